#!/usr/bin/env python3
"""Entity reads are recorded as usage, batched: many reads become one
EntityViewed event per flush, with counts per (user, entity).
usage: usage_test.py ALMANACD"""
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
work = tempfile.mkdtemp(prefix="almanac-usage-")
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
TOKEN = "usage-admin"
node = subprocess.Popen([almanacd, "--data-dir", work + "/data", "--http-listen", f"127.0.0.1:{port}"],
                        stdout=open(work + "/node.log", "w"), stderr=subprocess.STDOUT,
                        env=dict(os.environ, ALMANAC_ADMIN_TOKEN=TOKEN))


def call(method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    conn.request(method, path, body=body, headers={"Authorization": f"Bearer {TOKEN}"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, json.loads(data) if data else None


ok = True
try:
    for _ in range(100):
        try:
            if call("GET", "/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    for urn, kind in [("urn:almanac:source:u", "source"), ("urn:almanac:schema:u.s", "schema")]:
        assert call("POST", "/api/v1/entities", json.dumps({"urn": urn, "kind": kind}))[0] == 201
    before = call("GET", "/api/v1/admin/log")[1]["end_offset"]
    for _ in range(50):
        assert call("GET", "/api/v1/entities/urn%3Aalmanac%3Asource%3Au")[0] == 200
    for _ in range(7):
        assert call("GET", "/api/v1/entities/urn%3Aalmanac%3Aschema%3Au.s")[0] == 200
    # One flush (1 s) later: one event with both counts, not 57 events.
    status, page = call("GET", f"/api/v1/events?from={before}&wait_ms=5000&types=EntityViewed")
    events = page["events"]
    time.sleep(1.5)
    after = call("GET", "/api/v1/admin/log")[1]["end_offset"]
    views = {v["urn"]: v["count"] for e in events for v in e["payload"]["views"]}
    print("usage events:", len(events), "views:", views, "log grew by", after - before)
    if views.get("urn:almanac:source:u") != 50 or views.get("urn:almanac:schema:u.s") != 7:
        ok = False
        print("FAIL: counts are wrong")
    if after - before > 2:
        ok = False
        print("FAIL: usage was not batched")
finally:
    node.terminate()
    node.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
sys.exit(0 if ok else 1)
