#!/usr/bin/env python3
"""Compose bounded (issue 10, items 5, 11, 13): every query goes through a
cursor under a row and a byte cap (a nested comment no longer defeats it),
executions have server ids and only their user or an admin can cancel them,
COPY is refused with 422, and a query cancelled on the server is reported as
cancelled, not as a timeout. Peak memory is a bound, not a timing.
usage: scripts/pg-test run -- compose_test.py ALMANACD"""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from almanac_node import Checks, Node  # noqa: E402

CAP = 4 << 20
node = Node(sys.argv[1], "almanac-compose-",
            args=["--compose-allow-viewers", "--compose-max-result-bytes", str(CAP)],
            env={"PAGILA_PW": os.environ["PGTEST_PASSWORD"]})
check = Checks()
call = node.call


def peak_rss_mb():
    for line in open(f"/proc/{node.proc.pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0


def compose(sql, token=None, **kw):
    body = dict(source="pagila", sql=sql, **kw)
    if token:
        return call("POST", "/api/v1/compose/execute", body, token=token)
    return call("POST", "/api/v1/compose/execute", body)


def running(token=None):
    st, r = call("GET", "/api/v1/compose/running", token=token) if token else \
        call("GET", "/api/v1/compose/running")
    return r["running"] if st == 200 else []


def wait_running(pred, token=None, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = [q for q in running(token) if pred(q)]
        if r:
            return r[0]
        time.sleep(0.05)
    return None


try:
    st, _ = call("POST", "/api/v1/sources", {"name": "pagila", "kind": "postgresql",
                                             "dsn": os.environ["PGTEST_TCP_DSN"],
                                             "password_env": "PAGILA_PW"})
    check(st == 201, f"register pagila ({st})")
    base = peak_rss_mb()

    # 5. The nested-comment trick goes through the cursor: 10 rows read, not 10 M.
    st, r = compose("/* /* */ */ select g from generate_series(1, 10000000) g", limit=10)
    check(st == 200 and len(r["rows"]) == 10 and r["truncated"] and r["truncated_by"] == "rows",
          f"a nested comment before a 10 M-row query: 10 rows, truncated by rows ({st})")
    check(peak_rss_mb() - base < 150,
          f"... and memory stayed bounded (peak {peak_rss_mb():.0f} MB, start {base:.0f} MB)")
    # A result larger than the byte cap stops at the cap.
    st, r = compose("select repeat('x', 1000000) from generate_series(1, 1000)", limit=1000)
    check(st == 200 and r["truncated"] and r["truncated_by"] == "bytes"
          and r["bytes"] <= CAP + 1000000 and len(r["rows"]) < 1000,
          f"1 GB of values with a {CAP >> 20} MB cap: truncated by bytes "
          f"({st}, {r.get('bytes')} bytes, {len(r.get('rows', []))} rows)")
    check(peak_rss_mb() - base < 300, f"... memory bounded (peak {peak_rss_mb():.0f} MB)")
    st, r = compose("select film_id from film order by film_id", limit=3)
    check(st == 200 and [x[0] for x in r["rows"]] == [1, 2, 3] and r["execution_id"],
          "an ordinary query: rows and a server-generated execution_id")
    st, r = compose("show server_version")
    check(st == 200 and len(r["rows"]) == 1, f"SHOW still answers ({st})")
    st, r = compose("explain select * from film")
    check(st == 200 and len(r["rows"]) >= 1, f"EXPLAIN still answers ({st})")
    st, r = compose("selec 1")
    check(st == 422 and "syntax" in r["error"]["message"], f"a syntax error names it ({st})")

    # 13. COPY ... TO STDOUT is refused with 422 (was 500).
    st, r = compose("copy (select 1) to stdout")
    check(st == 422, f"COPY TO STDOUT -> 422 ({st} {r})")

    # 11. Only an execution's user or an admin can cancel it.
    st, vera = call("POST", "/api/v1/users", {"user": "vera", "role": "viewer"})
    st, sam = call("POST", "/api/v1/users", {"user": "sam", "role": "steward"})
    result = {}
    t = threading.Thread(target=lambda: result.update(
        r=compose("select pg_sleep(20)", token=sam["token"], id="mine", timeout_ms=30000)))
    t.start()
    q = wait_running(lambda q: q["id"] == "mine")
    check(q is not None and q["execution_id"].startswith("cq-") and q["user"] == "sam",
          f"an admin sees sam's execution with its server id ({q})")
    check(not running(vera["token"]), "a viewer does not see sam's execution")
    st, _ = call("DELETE", "/api/v1/compose/mine", token=vera["token"])
    check(st == 404, f"a viewer cannot cancel it by its client id ({st})")
    st, _ = call("DELETE", "/api/v1/compose/" + q["execution_id"], token=vera["token"])
    check(st == 404, f"... nor by its execution id ({st})")
    check(t.is_alive(), "... and it is still running")
    st, _ = call("DELETE", "/api/v1/compose/mine", token=sam["token"])
    check(st == 202, f"sam cancels it ({st})")
    t.join(10)
    check(not t.is_alive() and result["r"][0] == 409, f"... it ends as cancelled ({result.get('r')})")
    # An admin may cancel anyone's execution by its execution id.
    t = threading.Thread(target=lambda: result.update(
        r=compose("select pg_sleep(20)", token=sam["token"], timeout_ms=30000)))
    t.start()
    q = wait_running(lambda q: q["user"] == "sam")
    st, _ = call("DELETE", "/api/v1/compose/" + q["execution_id"])
    check(st == 202, f"an admin cancels sam's execution ({st})")
    t.join(10)
    check(result["r"][0] == 409, f"... it ends as cancelled ({result['r'][0]})")

    # 13. Cancelled on the server (pg_cancel_backend) -> cancelled, not timeout.
    result.clear()
    t = threading.Thread(target=lambda: result.update(
        r=compose("select pg_sleep(20)", timeout_ms=30000)))
    t.start()
    wait_running(lambda q: True)
    time.sleep(0.5)
    subprocess.run(["psql", "-q", "-c", "select pg_cancel_backend(pid) from pg_stat_activity "
                    "where query like '%FETCH FORWARD % FROM almanac_q%' and pid <> pg_backend_pid()"],
                   check=True, stdout=subprocess.DEVNULL)
    t.join(15)
    st, r = result.get("r", (None, None))
    check(st == 409 and r["error"]["code"] == "cancelled" and "server" in r["error"]["message"],
          f"pg_cancel_backend -> 409 cancelled ({st} {r})")
finally:
    check.finish(node)
