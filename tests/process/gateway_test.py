#!/usr/bin/env python3
"""The gateway under hostile and heavy load (issue 10, items 1, 3, 4, 7, 13):
no number of slow bodies, long polls, min_offset waits or event streams can
hang the node; /health answers throughout; limits answer 408/413/431/503;
invalid UTF-8 and deep JSON are 400 and crash no actor; SIGTERM ends the
node promptly with streams open.
Latencies are printed, not asserted (timings never decide a test).
usage: gateway_test.py ALMANACD"""
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from almanac_node import Node, Checks  # noqa: E402

almanacd = sys.argv[1]
check = Checks()
node = Node(almanacd, "almanac-gateway-",
            args=["--http-body-timeout-ms", "1500", "--http-header-timeout-ms", "1500",
                  "--http-max-connections-per-client", "400", "--http-max-header-bytes",
                  "8192", "--http-max-body-bytes", "65536",
                  "--http-request-timeout-ms", "3000"])
PORT = node.port
AUTH = {"Authorization": f"Bearer {node.token}"}


def timed(method, path, body=None, headers=None, token=True, timeout=10):
    """(status, body bytes, milliseconds) of one request on a new connection."""
    t = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    h = dict(AUTH) if token else {}
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data, (time.monotonic() - t) * 1000


def raw_request(data, timeout=10):
    """The raw answer to raw request bytes (until the server closes)."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return out


def status_of(answer):
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def health_under_load(what):
    """Asks /health 10 times; checks each answer, prints the worst latency."""
    worst = 0
    for _ in range(10):
        st, _, ms = timed("GET", "/health", token=False)
        worst = max(worst, ms)
        check(st == 200, "/health answers " + what)
    print(f"note: /health worst of 10 {what}: {worst:.1f} ms")


def restarts(name):
    _, actors = node.call("GET", "/api/v1/admin/actors")
    return next(a["restarts"] for a in actors["actors"] if a["name"] == name)


try:
    check(node.call("POST", "/api/v1/sources", {"name": "g", "kind": "sqlite",
                                               "path": "/nonexistent/g.db"})[0] == 201,
          "register the source g")
    for urn, kind in [("urn:almanac:schema:g.s", "schema"), ("urn:almanac:table:g.s.t", "table")]:
        check(node.call("POST", "/api/v1/entities", {"urn": urn, "kind": kind})[0] == 201,
              f"register {urn}")
    TABLE = "/api/v1/entities/urn:almanac:table:g.s.t"

    # 1. Slow bodies, long polls and min_offset waits hold no thread.
    slow = []
    for _ in range(120):
        s = socket.create_connection(("127.0.0.1", PORT))
        s.sendall(b"POST /api/v1/entities HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nx")
        slow.append(s)
    polls = []
    for i in range(80):
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        path = ("/api/v1/events?from=100000&wait_ms=20000" if i % 2 == 0
                else TABLE + "?min_offset=100000")
        c.request("GET", path, headers=AUTH)
        polls.append(c)
    streams = []
    for _ in range(20):
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        c.request("GET", "/api/v1/events?from=0",
                  headers=dict(AUTH, Accept="text/event-stream"))
        streams.append(c)
    time.sleep(0.5)
    health_under_load("with 120 slow bodies, 80 waits, 20 streams open")
    st, data, ms = timed("GET", TABLE)
    check(st == 200, f"a read answers under that load ({ms:.1f} ms)")
    st, data, ms = timed("PATCH", TABLE, json.dumps({"description": "under load"}),
                         {"Content-Type": "application/json"})
    check(st == 200, f"a write answers under that load ({ms:.1f} ms)")

    # The slow bodies end with 408 once http.body_timeout_ms passes.
    time.sleep(2.0)
    timeouts = 0
    for s in slow:
        s.settimeout(5)
        try:
            if status_of(s.recv(4096)) == 408:
                timeouts += 1
        except OSError:
            pass
        s.close()
    check(timeouts == len(slow), f"every slow body got 408 ({timeouts}/{len(slow)})")

    # A waiting min_offset read ends with 503 naming the lag, not a hang.
    first = polls[1]
    r = first.getresponse()
    check(r.status == 503, f"min_offset past the log end -> 503 (got {r.status})")
    r.read()

    # Event streams deliver events while all of this is open.
    resp = streams[0].getresponse()
    check(resp.status == 200 and "text/event-stream" in resp.getheader("Content-Type", ""),
          "an event stream opens")
    got = b""
    deadline = time.monotonic() + 5
    while b"id: 2" not in got and time.monotonic() < deadline:
        got += resp.fp.read1(4096)
    check(b"id: 0" in got and b"id: 2" in got, "the stream carries the events from offset 0")

    # wrk-style load: many keep-alive clients; /health still answers.
    stop = threading.Event()
    counts = {"ok": 0, "other": 0}

    def hammer():
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while not stop.is_set():
            try:
                c.request("GET", TABLE, headers=AUTH)
                r = c.getresponse()
                r.read()
                counts["ok" if r.status == 200 else "other"] += 1
            except (OSError, http.client.HTTPException):
                c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    workers = [threading.Thread(target=hammer) for _ in range(48)]
    for w in workers:
        w.start()
    time.sleep(1)
    health_under_load("under 48 busy keep-alive clients")
    stop.set()
    for w in workers:
        w.join()
    print(f"note: {counts['ok']} reads ok, {counts['other']} other")
    check(counts["ok"] > 0 and counts["other"] == 0, "every read under load answered 200")

    # 13. Headers are capped before authentication; bodies before reading.
    big = b"GET /api/v1/entities HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    check(status_of(raw_request(big)) == 431, "20 KB of headers -> 431")
    many = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-H%d: 1\r\n" % i for i in range(150)) + b"\r\n"
    check(status_of(raw_request(many)) == 431, "150 header fields -> 431")
    over = (b"POST /api/v1/entities HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
    check(status_of(raw_request(over)) == 413, "Content-Length over the limit -> 413 at once")
    check(status_of(raw_request(b"NONSENSE\r\n\r\n")) == 400, "a malformed request line -> 400")

    # 3. Invalid UTF-8 is refused at the edge and crashes no actor.
    before = restarts("usage")
    bad = 0
    for _ in range(250):
        st, _, _ = timed("GET", "/api/v1/search?q=%FF")
        bad += st == 400
    check(bad == 250, f"GET /api/v1/search?q=%FF -> 400 every time ({bad}/250)")
    st, data, _ = timed("PUT", "/api/v1/lexicon/x%FF", json.dumps({"expansion": "y"}))
    check(st == 400, f"invalid UTF-8 in a path -> 400 (got {st})")
    st, data, _ = timed("POST", "/api/v1/queries?format=csvlog", b"\xff\xfe,1,2\n")
    check(st == 400 and b"UTF-8" in data, f"invalid UTF-8 in a raw body -> 400 (got {st})")
    st, data, _ = timed("POST", "/api/v1/entities", b'{"urn": "\xff"}')
    check(st == 400 and b"UTF-8" in data, f"invalid UTF-8 in a JSON body -> 400 (got {st})")
    time.sleep(0.5)
    check(restarts("usage") == before, "the usage actor never restarted")

    # 4. JSON nested 20,000 deep (and just past the limit) -> 400, nothing stored.
    # First let the reads above land: their usage is flushed once a second
    # (later under load), and must not be taken for a refused write.
    end0 = node.call("GET", "/api/v1/admin/log")[1]["end_offset"]
    for _ in range(20):
        time.sleep(1.5)
        now = node.call("GET", "/api/v1/admin/log")[1]["end_offset"]
        if now == end0:
            break
        end0 = now
    deep = '{"attributes": {"x": ' + "[" * 20000 + "]" * 20000 + "}}"
    st, data, _ = timed("PATCH", TABLE, deep, {"Content-Type": "application/json"})
    check(st == 400 and b"deeper" in data, f"JSON nested 20,000 deep -> 400 (got {st})")
    deep65 = '{"attributes": {"x": ' + "[" * 63 + "]" * 63 + "}}"
    st, data, _ = timed("PATCH", TABLE, deep65, {"Content-Type": "application/json"})
    check(st == 400, f"JSON nested 65 deep -> 400 (got {st})")
    end1 = node.call("GET", "/api/v1/admin/log")[1]["end_offset"]
    check(end0 == end1, "the log is unchanged by refused requests")
    check(node.call("GET", "/health", token=None)[0] == 200, "the node is still up")

    # 7. SIGTERM with long polls and event streams open: a prompt, clean exit.
    for c in polls:
        c.close()
    keep = []
    for _ in range(5):
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        c.request("GET", "/api/v1/events?from=0", headers=dict(AUTH, Accept="text/event-stream"))
        keep.append(c)
        c2 = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        c2.request("GET", "/api/v1/events?from=100000&wait_ms=30000", headers=AUTH)
        keep.append(c2)
    time.sleep(0.5)
    t = time.monotonic()
    node.proc.send_signal(signal.SIGTERM)
    try:
        code = node.proc.wait(timeout=20)
    except Exception:
        code = None
    secs = time.monotonic() - t
    print(f"note: SIGTERM to exit with 10 streams and polls open: {secs:.2f} s")
    check(code == 0, f"SIGTERM with streams open -> exit 0 (got {code})")
    check("killing it" not in node.log_tail(20000), "no actor had to be killed at shutdown")
finally:
    check.finish(node)
