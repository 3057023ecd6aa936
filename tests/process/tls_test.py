#!/usr/bin/env python3
"""The HTTP API over TLS (http.tls_cert, http.tls_key) with a certificate
this test generates: answers over HTTPS, refuses plain HTTP, streams events,
and refuses to start with a key that does not load.
usage: tls_test.py ALMANACD"""
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from almanac_node import Checks, free_port  # noqa: E402

almanacd = sys.argv[1]
check = Checks()
work = tempfile.mkdtemp(prefix="almanac-tls-")
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1"],
               check=True, capture_output=True)
port = free_port()
env = dict(os.environ, ALMANAC_ADMIN_TOKEN="tls-admin")
proc = subprocess.Popen([almanacd, "--data-dir", work + "/data", "--http-listen",
                         f"127.0.0.1:{port}", "--http-tls-cert", cert, "--http-tls-key", key],
                        stdout=open(work + "/node.log", "w"), stderr=subprocess.STDOUT, env=env)
ctx = ssl.create_default_context(cafile=cert)


def https(method, path, body=None, headers=None):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    h = {"Authorization": "Bearer tls-admin"}
    h.update(headers or {})
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    return r.status, r.read(), c, r


try:
    up = False
    for _ in range(100):
        try:
            up = https("GET", "/health")[0] == 200
            if up:
                break
        except OSError:
            pass
        time.sleep(0.1)
    check(up, "/health answers over HTTPS with the generated certificate")
    st, data, _, _ = https("POST", "/api/v1/sources", {"name": "t", "kind": "sqlite",
                                                      "path": "/nonexistent/t.db"})
    check(st == 201, f"a write over HTTPS ({st})")
    st, data, _, _ = https("GET", "/api/v1/entities/urn:almanac:source:t")
    check(st == 200 and json.loads(data)["urn"] == "urn:almanac:source:t", "a read over HTTPS")
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/health")
        plain = c.getresponse().status
    except (OSError, http.client.HTTPException):
        plain = None
    check(plain is None, f"plain HTTP on the TLS port gets no answer ({plain})")
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    c.request("GET", "/api/v1/events?from=0",
              headers={"Authorization": "Bearer tls-admin", "Accept": "text/event-stream"})
    r = c.getresponse()
    got = b""
    deadline = time.monotonic() + 5
    while b"id: 0" not in got and time.monotonic() < deadline:
        got += r.fp.read1(4096)
    check(r.status == 200 and b"id: 0" in got, "an event stream over HTTPS")
    c.close()
    proc.terminate()
    check(proc.wait(timeout=20) == 0, "SIGTERM -> exit 0")
    # A key that does not load: the node says so and does not start.
    bad = os.path.join(work, "bad.pem")
    open(bad, "w").write("not a key")
    out = subprocess.run([almanacd, "--data-dir", work + "/data2", "--http-listen",
                          f"127.0.0.1:{free_port()}", "--http-tls-cert", cert,
                          "--http-tls-key", bad], capture_output=True, text=True, env=env,
                         timeout=60)
    check(out.returncode != 0 and "http.tls_key" in (out.stdout + out.stderr),
          f"a bad key is refused naming http.tls_key (exit {out.returncode})")
finally:
    if proc.poll() is None:
        proc.kill()
    if check.failures:
        print(open(work + "/node.log").read()[-3000:])
    check.finish()
