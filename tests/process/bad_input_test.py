#!/usr/bin/env python3
"""Every kind of bad input gets a 4xx JSON error naming the problem and
changes nothing (the log's end offset stays where it was).
usage: bad_input_test.py ALMANACD"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

almanacd = sys.argv[1]
work = tempfile.mkdtemp(prefix="almanac-bad-")
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
TOKEN = "bad-input-admin"
node = subprocess.Popen([almanacd, "--data-dir", work + "/data", "--http-listen",
                         f"127.0.0.1:{port}", "--http-max-body-bytes", "4096"],
                        stdout=open(work + "/node.log", "w"), stderr=subprocess.STDOUT,
                        env=dict(os.environ, ALMANAC_ADMIN_TOKEN=TOKEN))
failures = []


def call(method, path, body=None, headers=None, token=TOKEN):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"Authorization": f"Bearer {token}"} if token else {}
    h.update(headers or {})
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def log_end():
    status, data = call("GET", "/api/v1/admin/log")
    return json.loads(data)["end_offset"]


def expect(name, method, path, body, status, words, headers=None, token=TOKEN, absent=()):
    before = log_end()
    got, data = call(method, path, body, headers, token)
    try:
        err = json.loads(data)["error"]
        msg = err["message"]
        assert isinstance(err["code"], str)
    except Exception:
        failures.append(f"{name}: not the JSON error shape: {data[:200]!r}")
        return
    if got != status:
        failures.append(f"{name}: status {got}, expected {status}: {msg}")
    for w in words:
        if w not in msg:
            failures.append(f"{name}: message does not name {w!r}: {msg}")
    for w in absent:
        if w in msg:
            failures.append(f"{name}: message echoes {w!r}: {msg}")
    if log_end() != before:
        failures.append(f"{name}: the log changed ({before} -> {log_end()})")
    print(f"ok  {status} {name}: {msg[:100]}")


try:
    for _ in range(100):
        try:
            if call("GET", "/health", token=None)[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    ok = call("POST", "/api/v1/sources", '{"name":"s","kind":"sqlite","path":"/nonexistent/s.db"}')
    assert ok[0] == 201, ok
    ok = call("POST", "/api/v1/entities",
              '{"urn":"urn:almanac:schema:s.public","kind":"schema"}')
    assert ok[0] == 201, ok
    E = "/api/v1/entities"
    S = "/api/v1/entities/urn%3Aalmanac%3Aschema%3As.public"
    expect("malformed JSON", "POST", E, '{"urn": "urn:almanac:table:s.public.t",', 400,
           ["JSON"])
    expect("malformed JSON in PATCH", "PATCH", S, "{description: x}", 400, ["JSON"])
    expect("history page too large", "GET", S + "/history?limit=5000", None, 422, ["limit"])
    expect("history page of nothing", "GET", S + "/history?limit=0", None, 422, ["limit"])
    expect("history cursor not a number", "GET", S + "/history?before=x", None, 400, ["before"])
    expect("body not an object", "POST", E, '["urn"]', 400, [])
    expect("wrong type", "POST", E, '{"urn":"urn:almanac:table:s.public.t","kind":"table","tags":"pii"}',
           400, ["tags"])
    expect("wrong type in PATCH", "PATCH", S, '{"deprecated":"yes"}', 400, ["deprecated"])
    expect("unknown field", "POST", E, '{"urn":"urn:almanac:table:s.public.t","kind":"table","colour":"red"}',
           400, ["colour"])
    expect("unknown field in PATCH", "PATCH", S, '{"owner":"me"}', 400, ["owner"])
    expect("missing required field", "POST", E, '{"kind":"table"}', 400, ["urn"])
    expect("oversize body", "POST", E,
           '{"urn":"urn:almanac:table:s.public.t","kind":"table","description":"' + "x" * 5000 + '"}',
           413, ["4096"])
    expect("invalid identifier", "POST", E, '{"urn":"urn:almanac:table:not a urn","kind":"table"}',
           422, ["urn"])
    expect("unknown kind", "POST", E, '{"urn":"urn:almanac:bucket:s.b","kind":"bucket"}', 422, ["kind"])
    expect("control characters", "PATCH", S, '{"title":"bad\\u0007title"}', 422, ["title"])
    expect("invalid UTF-8", "PATCH", S, b'{"title":"caf\xc3\x28"}', 400, ["UTF-8"])
    expect("invalid If-Match", "PATCH", S, '{"title":"t"}', 400, ["If-Match"], {"If-Match": "abc"})
    expect("version conflict", "PATCH", S, '{"title":"t"}', 409, ["version"], {"If-Match": '"7"'})
    expect("unknown entity", "PATCH", "/api/v1/entities/urn%3Aalmanac%3Atable%3As.public.none",
           '{"title":"t"}', 404, ["urn:almanac:table:s.public.none"])
    expect("bad min_offset", "GET", S + "?min_offset=soon", None, 400, ["min_offset"])
    expect("no token", "PATCH", S, '{"title":"t"}', 401, ["token"], token=None)
    expect("bad role", "POST", "/api/v1/users", '{"user":"x","role":"king"}', 422, ["role"])
    expect("missing user", "POST", "/api/v1/users", '{"role":"viewer"}', 400, ["user"])
    # A viewer cannot write; a revoked token cannot read.
    st, data = call("POST", "/api/v1/users", '{"user":"vic","role":"viewer"}')
    assert st == 201, data
    viewer = json.loads(data)
    expect("viewer writes", "PATCH", S, '{"title":"t"}', 403, ["steward"], token=viewer["token"])
    st, _ = call("DELETE", "/api/v1/tokens/" + viewer["token_id"])
    assert st == 200
    expect("revoked token", "GET", S, None, 401, ["revoked"], token=viewer["token"])

    # Issue 10: sources (how Almanac connects, which secret it sends) are the
    # sources API's alone; a steward cannot create, point or remove one.
    st, data = call("POST", "/api/v1/users", '{"user":"stu","role":"steward"}')
    assert st == 201, data
    steward = json.loads(data)["token"]
    evil = {"kind": "postgresql", "dsn": "host=127.0.0.1 port=9 dbname=x user=x",
            "password_env": "ALMANAC_ADMIN_TOKEN"}
    expect("steward registers a source", "POST", E,
           json.dumps({"urn": "urn:almanac:source:evil", "kind": "source",
                       "attributes": {"connection": evil}}),
           403, ["POST /api/v1/sources"], token=steward)
    expect("admin registers a source as an entity", "POST", E,
           '{"urn":"urn:almanac:source:plain","kind":"source"}', 403, ["/api/v1/sources"])
    expect("steward steals another source's secret", "POST", E,
           json.dumps({"urn": "urn:almanac:source:evil2", "kind": "source",
                       "attributes": {"connection": dict(evil, password_env=None,
                                                         password_ref="source:s")}}),
           403, ["/api/v1/sources"], token=steward)
    expect("a connection on a table", "POST", E,
           json.dumps({"urn": "urn:almanac:table:s.public.t", "kind": "table",
                       "attributes": {"connection": {"kind": "sqlite", "path": "/etc/passwd"}}}),
           403, ["attributes.connection"], token=steward)
    expect("steward removes a source", "DELETE",
           "/api/v1/entities/urn%3Aalmanac%3Asource%3As?cascade=true", None, 403,
           ["DELETE /api/v1/sources/{name}"], token=steward)
    expect("steward edits a source's attributes", "PATCH",
           "/api/v1/entities/urn%3Aalmanac%3Asource%3As",
           json.dumps({"attributes": {"connection": evil}}), 400, ["attributes"], token=steward)
    expect("steward uses the sources API", "POST", "/api/v1/sources",
           '{"name":"x","kind":"sqlite","path":"/etc/passwd"}', 403, ["admin"], token=steward)
    expect("password_env names the admin token", "POST", "/api/v1/sources",
           json.dumps({"name": "x", "kind": "postgresql", "dsn": "host=db dbname=x",
                       "password_env": "ALMANAC_ADMIN_TOKEN"}),
           422, ["password_env", "ALMANAC_"])
    expect("password_env in lower case", "PATCH", "/api/v1/sources/s",
           '{"password_env":"almanac_admin_token"}', 422, ["ALMANAC_"])
    for label, dsn in [("key/value", "host=db user=u password=Hunter2pw"),
                       ("URI user:password@", "postgresql://u:Hunter2pw@db/x"),
                       ("URI ?password=", "postgresql://u@db/x?password=Hunter2pw"),
                       ("URI ?%70assword=", "postgresql://u@db/x?%70assword=Hunter2pw"),
                       ("sslpassword", "host=db sslpassword=Hunter2pw")]:
        expect(f"a password in the dsn ({label})", "POST", "/api/v1/sources",
               json.dumps({"name": "pw", "kind": "postgresql", "dsn": dsn}),
               422, ["dsn", "password"], absent=["Hunter2pw"])
    expect("a dsn on a sqlite source", "POST", "/api/v1/sources",
           json.dumps({"name": "pw", "kind": "sqlite", "path": "/x.db", "dsn": "password=Hunter2pw"}),
           422, ["dsn"], absent=["Hunter2pw"])
    expect("a steward lists sources", "GET", "/api/v1/sources", None, 403, ["admin"],
           token=steward)
    expect("a steward reads a source", "GET", "/api/v1/sources/s", None, 403, ["admin"],
           token=steward)
    st, data = call("GET", "/api/v1/entities/urn%3Aalmanac%3Asource%3As", token=steward)
    if st != 200 or b"nonexistent" in data:
        failures.append(f"an entity read shows the source's connection: {st} {data[:200]!r}")
finally:
    node.terminate()
    node.wait(timeout=30)
    if failures:
        print(open(work + "/node.log").read()[-3000:])
    shutil.rmtree(work, ignore_errors=True)

for f in failures:
    print("FAIL", f)
print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)
