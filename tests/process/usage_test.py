#!/usr/bin/env python3
"""Entity reads are recorded as usage, batched: many reads become one
EntityViewed event per flush, with counts per (user, entity).
usage: usage_test.py ALMANACD"""
import sys
import time

from almanac_node import Checks, Node

node = Node(sys.argv[1], "almanac-usage-")
check = Checks()
call = node.call
try:
    check(call("POST", "/api/v1/sources", {"name": "u", "kind": "sqlite",
                                           "path": "/nonexistent/u.db"})[0] == 201,
          "register the source u")
    check(call("POST", "/api/v1/entities", {"urn": "urn:almanac:schema:u.s", "kind": "schema"})[0] == 201,
          "register urn:almanac:schema:u.s")
    before = call("GET", "/api/v1/admin/log")[1]["end_offset"]
    for _ in range(50):
        call("GET", "/api/v1/entities/urn%3Aalmanac%3Asource%3Au")
    for _ in range(7):
        call("GET", "/api/v1/entities/urn%3Aalmanac%3Aschema%3Au.s")
    # One flush (1 s) later: one event with both counts, not 57 events.
    status, page = call("GET", f"/api/v1/events?from={before}&wait_ms=5000&types=EntityViewed")
    events = page["events"]
    time.sleep(1.5)
    after = call("GET", "/api/v1/admin/log")[1]["end_offset"]
    views = {v["urn"]: v["count"] for e in events for v in e["payload"]["views"]}
    check(views.get("urn:almanac:source:u") == 50 and views.get("urn:almanac:schema:u.s") == 7,
          f"57 reads counted per entity ({views})")
    check(after - before <= 2, f"usage was batched: the log grew by {after - before} event(s)")
finally:
    check.finish(node)
