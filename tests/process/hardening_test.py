#!/usr/bin/env python3
"""Regression tests of the hardening review (issue 10) that need only a node
and a SQLite source: log subscribers survive a restart of the log (item 8),
schedules are validated and removed only when they exist (items 13, 14).
usage: hardening_test.py ALMANACD"""
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from almanac_node import Node, Checks  # noqa: E402

check = Checks()
node = Node(sys.argv[1], "almanac-hardening-", args=["--enable-fault-injection"])


def wait_running(names, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st, actors = node.call("GET", "/api/v1/admin/actors")
        if st == 200:
            states = {a["name"]: a["state"] for a in actors["actors"]}
            if all(states.get(n) == "running" for n in names):
                return True
        time.sleep(0.1)
    return False


def end_offset():
    return node.call("GET", "/api/v1/admin/log")[1]["end_offset"]


try:
    db = os.path.join(node.work, "lite.db")
    con = sqlite3.connect(db)
    con.execute("create table t (a integer, b text)")
    con.commit()
    con.close()
    st, _ = node.call("POST", "/api/v1/sources", {"name": "lite", "kind": "sqlite", "path": db})
    check(st == 201, f"register a SQLite source ({st})")

    # 14. A schedule for a source that does not exist is refused.
    before = end_offset()
    st, body = node.call("POST", "/api/v1/schedules",
                         {"cron": "0 3 * * *", "kind": "extract", "source": "nosuch"})
    check(st == 422 and "nosuch" in str(body), f"schedule for a missing source -> 422 ({st})")
    check(end_offset() == before, "... and nothing is appended")

    # 13. Removing a schedule that does not exist is 404 and appends nothing.
    st, _ = node.call("DELETE", "/api/v1/schedules/sched-missing")
    check(st == 404, f"DELETE of a missing schedule -> 404 ({st})")
    check(end_offset() == before, "... and nothing is appended")

    st, sched = node.call("POST", "/api/v1/schedules",
                          {"cron": "0 3 * * *", "kind": "extract", "source": "lite"})
    check(st == 201, f"define a schedule ({st})")

    # 8. After the log restarts (with the whole storage subtree), the
    # scheduler follows the new log: it lists, runs, and sees new schedules.
    for target in ["storage", "eventlog"]:
        st, _ = node.call("POST", f"/api/v1/admin/actors/{target}/restart")
        check(st == 202, f"restart {target} ({st})")
        time.sleep(0.5)
        check(wait_running(["eventlog", "catalog", "catalog_state", "scheduler"]),
              f"the tree is running again after restarting {target}")
        listed = False
        for _ in range(100):
            st, lst = node.call("GET", "/api/v1/schedules")
            if st == 200 and any(s["id"] == sched["id"] for s in lst["schedules"]):
                listed = True
                break
            time.sleep(0.1)
        check(listed, f"the schedule is still listed after restarting {target}")
        st, run = node.call("POST", f"/api/v1/schedules/{sched['id']}/run")
        check(st == 202, f"run the schedule after restarting {target} ({st}: {run})")
        st, extra = node.call("POST", "/api/v1/schedules",
                              {"cron": "5 4 * * *", "kind": "profile", "source": "lite"})
        check(st == 201, f"define another schedule after restarting {target}")
        seen = False
        for _ in range(100):
            st, lst = node.call("GET", "/api/v1/schedules")
            if st == 200 and any(s["id"] == extra["id"] for s in lst["schedules"]):
                seen = True
                break
            time.sleep(0.1)
        check(seen, f"a schedule defined after restarting {target} is listed")
        st, _ = node.call("DELETE", f"/api/v1/schedules/{extra['id']}")
        check(st == 200, f"remove it ({st})")

    # 12. Least privilege in the stream and the files.
    st, vera = node.call("POST", "/api/v1/users", {"user": "vera", "role": "viewer"})
    check(st == 201 and "token" in vera, f"create a viewer ({st})")
    st, sam = node.call("POST", "/api/v1/users", {"user": "sam", "role": "steward"})
    check(st == 201, f"create a steward ({st})")
    st, everything = node.call("GET", "/api/v1/events?from=0&max=10000")
    admin_types = {e["type"] for e in everything["events"]}
    check({"UserCreated", "TokenIssued", "ScheduleDefined"} <= admin_types,
          f"an admin's stream has account and schedule events ({sorted(admin_types)})")
    text = str(everything)
    check("token_sha256" not in text, "no token hash in an admin's stream")
    check(db not in text, "no source path (connection) in an admin's stream")
    for who, tok in [("viewer", vera["token"]), ("steward", sam["token"])]:
        st, seen = node.call("GET", "/api/v1/events?from=0&max=10000", token=tok)
        check(st == 200, f"a {who} reads the stream ({st})")
        types = {e["type"] for e in seen["events"]}
        check(not types & {"UserCreated", "TokenIssued", "TokenRevoked", "ScheduleDefined",
                           "ScheduleRemoved"},
              f"a {who}'s stream has no account or schedule events ({sorted(types)})")
        check("EntityRegistered" in types, f"a {who}'s stream has catalog events")
        check(db not in str(seen) and "token_sha256" not in str(seen),
              f"a {who}'s stream has no connection or token hash")
        st, ent = node.call("GET", "/api/v1/entities/urn:almanac:source:lite", token=tok)
        check(st == 200 and db not in str(ent),
              f"a {who} reading a source entity does not see its connection ({st})")
    st, ent = node.call("GET", "/api/v1/entities/urn:almanac:source:lite")
    check(st == 200 and db in str(ent), "an admin sees a source's connection")
    # Another user's searches stay private.
    node.call("GET", "/api/v1/search?q=secretplans", token=sam["token"])
    time.sleep(2.5)  # usage is flushed in batches
    st, seen = node.call("GET", "/api/v1/events?from=0&max=10000", token=vera["token"])
    check("secretplans" not in str(seen), "a viewer does not see another user's searches")
    # What another user ran in Compose stays private too (ComposeExecuted
    # and the QueryObserved it feeds); its author sees both.
    st, _ = node.call("POST", "/api/v1/compose/execute",
                      {"source": "lite", "sql": "select 'hush42' as word"}, token=sam["token"])
    check(st == 200, f"a steward runs Compose ({st})")
    st, seen = node.call("GET", "/api/v1/events?from=0&max=10000", token=vera["token"])
    check("hush42" not in str(seen), "a viewer does not see another user's Compose SQL")
    st, own = node.call("GET", "/api/v1/events?from=0&max=10000", token=sam["token"])
    mine = {e["type"] for e in own["events"] if "hush42" in str(e["payload"])}
    check(mine == {"ComposeExecuted", "QueryObserved"},
          f"its author sees their Compose events ({sorted(mine)})")
    data = os.path.join(node.work, "data")
    mode = os.stat(data).st_mode & 0o777
    check(mode == 0o700, f"the data directory is 0700 ({oct(mode)})")
    loose = []
    for root, dirs, files in os.walk(data):
        for f in files:
            m = os.stat(os.path.join(root, f)).st_mode & 0o077
            if m:
                loose.append(os.path.join(root, f))
    check(not loose, f"no file in the data directory is readable by others ({loose[:3]})")

    # Item 13: crashing the gateway under keep-alive load gave 1,091 bare
    # 404s. Now every answer a client gets is a route's own (200) or the
    # JSON error shape; a connection may drop while the gateway restarts.
    import http.client
    import threading
    answers, bad, stop = [], [], threading.Event()

    def reader():
        conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
        while not stop.is_set():
            try:
                conn.request("GET", "/api/v1/entities/urn:almanac:source:lite",
                             headers={"Authorization": f"Bearer {node.token}"})
                r = conn.getresponse()
                body = r.read()
                answers.append(r.status)
                if r.status != 200:
                    try:
                        assert isinstance(json.loads(body)["error"]["message"], str)
                    except Exception:
                        bad.append((r.status, body[:80]))
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
                time.sleep(0.05)

    def http_restarts():
        try:
            st, body = node.call("GET", "/api/v1/admin/actors")
        except OSError:
            return None
        if st != 200:
            return None
        return next((a["restarts"] for a in body["actors"] if a["name"] == "http"), None)

    def gateway_back(after, timeout=10):
        """True once the gateway restarted more than `after` times and answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = http_restarts()
            if n is not None and n > after:
                return True
            time.sleep(0.05)
        return False

    readers = [threading.Thread(target=reader, daemon=True) for _ in range(8)]
    for t in readers:
        t.start()
    try:
        for _ in range(3):
            time.sleep(0.7)
            before = http_restarts()
            st, r = node.call("POST", "/api/v1/admin/actors/http/crash")
            check(st in (200, 202), f"crash the gateway ({st} {r})")
            # It closes (draining requests that wait for actors), backs off
            # and listens again: a second crash must wait for that.
            began = time.monotonic()
            back = before is not None and gateway_back(before)
            check(back, f"the gateway listens again after a crash "
                        f"({time.monotonic() - began:.2f} s)")
            if not back:
                break
        time.sleep(1.5)
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=15)
    check(not bad and 404 not in answers,
          f"{len(answers)} answers while the gateway crashed 3 times: none bare ({bad[:3]})")
    st, _ = node.call("GET", "/health", token=None)
    check(st == 200, "the gateway is back")
finally:
    check.finish(node)
