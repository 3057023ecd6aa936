#!/usr/bin/env python3
"""High availability, async streaming (issue 12): two almanacd on loopback.

A primary with a replication listener takes EVENTS query-log events (and
entities); an empty standby then starts, catches up, and follows while 8
writers go on. Once the writers stop and the standby has caught up:

- its log is byte-identical to the primary's (every segment file, the epoch
  history), and every projection's digest equals the primary's at the same
  checkpoint;
- GET /monitor/replication has the documented shape on both nodes (lag 0);
- the standby serves reads, search and lineage, refuses every write with
  503 read_only naming the primary's URL, and says "role":"standby";
- a standby with another secret is refused (TLS handshake) and logged by
  the primary, and nothing of it appears in the primary's status.

  usage: ha_test.py ALMANACD [--events N]
"""

import argparse
import glob
import hashlib
import os
import random
import threading
import time
import urllib.parse

from almanac_node import Checks, Node, quiet_port

ap = argparse.ArgumentParser()
ap.add_argument("almanacd")
ap.add_argument("--events", type=int, default=200000)
args = ap.parse_args()

check = Checks()
SECRET = "almanac ha test secret, not for production"
ENV = {"ALMANAC_HA_SECRET": SECRET}
SEGMENT = ["--eventlog-segment-bytes", str(4 << 20)]
TABLES = [f"urn:almanac:table:shop.s.t{i}" for i in range(40)]


def q(urn):
    return urllib.parse.quote(urn, safe="")


def log_files(node):
    d = os.path.join(node.work, "data", "log")
    return sorted(os.path.basename(p) for p in glob.glob(d + "/*.log")), d


def digest_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wait_for(what, cond, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    check(False, f"{what} (timed out after {timeout} s)")
    return None


def load_queries(node, n, tag):
    """n QueryObserved events, 1,000 a request."""
    sent = 0
    while sent < n:
        k = min(1000, n - sent)
        lines = "\n".join(
            '{"sql": "insert into s.t%d select * from s.t%d", "user": "%s%d"}'
            % (i % 40, (i * 7 + 1) % 40, tag, i % 5) for i in range(sent, sent + k))
        st, r = node.call("POST", "/api/v1/queries?source=shop", lines)
        if st != 202:
            check(False, f"load queries ({st} {r})")
            return
        sent += k


primary = Node(args.almanacd, "almanac-ha-p-", env=ENV,
               args=["--ha-listen", f"127.0.0.1:{quiet_port()}", "--ha-name", "p1", *SEGMENT])
ha_port = int(primary.args[1].split(":")[1])
standby = None
stranger = None
try:
    lite = os.path.join(primary.work, "shop.db")
    open(lite, "w").close()
    st, r = primary.call("POST", "/api/v1/sources", {"name": "shop", "kind": "sqlite", "path": lite})
    check(st == 201, f"register the source ({st})")
    primary.call("POST", "/api/v1/entities", {"urn": "urn:almanac:schema:shop.s", "kind": "schema"})
    for urn in TABLES:
        primary.call("POST", "/api/v1/entities", {"urn": urn, "kind": "table",
                                                  "description": "orders and customers"})
    t0 = time.monotonic()
    load_queries(primary, args.events, "u")
    st, log = primary.call("GET", "/api/v1/admin/log")
    check(log["end_offset"] >= args.events, f"the primary holds {log['end_offset']} events "
          f"({time.monotonic() - t0:.1f} s to load)")

    # An empty standby catches up, then follows under 8 writers.
    t1 = time.monotonic()
    standby = Node(args.almanacd, "almanac-ha-s-", env=ENV,
                   args=["--node-role", "standby", "--ha-primary", f"127.0.0.1:{ha_port}",
                         "--ha-name", "s1", *SEGMENT])
    caught = wait_for("the empty standby catches up",
                      lambda: standby.call("GET", "/api/v1/admin/log")[1]["end_offset"]
                      >= log["end_offset"] and time.monotonic(), timeout=300)
    if caught:
        secs = caught - t1
        st, slog = standby.call("GET", "/api/v1/admin/log")
        print(f"ha: catch-up of {log['end_offset']} events, {log['end_position'] / 1e6:.1f} MB "
              f"in {secs:.1f} s ({log['end_position'] / 1e6 / max(secs, 1e-3):.1f} MB/s)")

    stop = threading.Event()
    acked = {}
    lock = threading.Lock()

    def writer(n):
        rnd = random.Random(n)
        while not stop.is_set():
            urn = rnd.choice(TABLES)
            desc = f"w{n} {time.monotonic():.6f}"
            st, r = primary.call("PATCH", "/api/v1/entities/" + q(urn), {"description": desc})
            if st == 200:
                with lock:
                    acked[urn] = max(acked.get(urn, (0, "")), (r["version"], desc))
            if rnd.random() < 0.2:
                load_queries(primary, 50, f"w{n}-")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    time.sleep(8)
    st, mon = primary.call("GET", "/monitor/replication")
    check(st == 200 and mon.get("s1", {}).get("state") in ("streaming", "catching_up"),
          f"under load the primary shows s1 streaming ({mon.get('s1')})")
    stop.set()
    for t in threads:
        t.join()

    # Caught up: same log end on both.
    st, plog = primary.call("GET", "/api/v1/admin/log")
    end = plog["end_offset"]
    wait_for("the standby has the primary's every record",
             lambda: standby.call("GET", "/api/v1/admin/log")[1]["end_offset"] == end)
    pnames, pdir = log_files(primary)
    snames, sdir = log_files(standby)
    check(pnames == snames and len(pnames) > 1,
          f"the same segment files on both ({len(pnames)}: {pnames[:3]}...)")
    same = [n for n in pnames if n in snames
            and digest_file(os.path.join(pdir, n)) == digest_file(os.path.join(sdir, n))]
    check(same == pnames, f"every segment byte-identical ({len(same)} of {len(pnames)})")
    check(open(pdir + "/epochs").read() == open(sdir + "/epochs").read(),
          "the same epoch history")

    # Every projection equals the primary's at the same checkpoint.
    st, projs = primary.call("GET", "/api/v1/admin/projections")
    for p in projs["projections"]:
        name = p["name"]

        def at_end(node):
            st, d = node.call("GET", f"/api/v1/admin/projections/{name}/digest")
            return d if st == 200 and d["checkpoint"] == end else None
        dp = wait_for(f"{name} on the primary at {end}", lambda: at_end(primary))
        ds = wait_for(f"{name} on the standby at {end}", lambda: at_end(standby))
        check(dp and ds and dp["digest"] == ds["digest"],
              f"{name}: the standby's digest equals the primary's at {end}")

    # Status on both sides.
    st, mon = primary.call("GET", "/monitor/replication")
    row = mon.get("s1", {})
    check(st == 200 and mon["replication_mode"] == "primary" and mon["epoch"] == 1
          and mon["log_end"] == end and mon["degraded"] is False,
          f"the primary's status ({ {k: v for k, v in mon.items() if k != 's1'} })")
    wait_for("the primary sees s1 at its end",
             lambda: primary.call("GET", "/monitor/replication")[1]["s1"]["durable_offset"] == end)
    st, mon = primary.call("GET", "/monitor/replication")
    row = mon["s1"]
    check(row["state"] == "streaming" and row["log_lag_bytes"] == 0 and row["log_lag_events"] == 0
          and row["lag_ms"] == 0 and row["sync"] is False,
          f"s1 streaming with no lag ({row})")
    wait_for("the standby's heartbeat lag reaches 0",
             lambda: standby.call("GET", "/monitor/replication")[1].get("log_lag_events") == 0)
    st, smon = standby.call("GET", "/monitor/replication")
    check(st == 200 and smon["replication_mode"] == "standby"
          and smon["primary"] == f"127.0.0.1:{ha_port}" and smon["epoch"] == 1
          and smon["log_lag_bytes"] == 0 and smon["lag_ms"] == 0
          and all(v["lag"] == 0 for v in smon["projections"].values())
          and "catalog_state" in smon["projections"],
          f"the standby's status ({smon})")
    st, viewer = standby.call("GET", "/monitor/replication", token=None)
    check(st == 401, f"/monitor/replication needs a token ({st})")

    # The standby serves reads, search and lineage, and refuses writes.
    st, h = standby.call("GET", "/health", token=None)
    check(st == 200 and h["role"] == "standby", f"/health says standby ({h})")
    urn = TABLES[3]
    st, e = standby.call("GET", "/api/v1/entities/" + q(urn))
    st2, pe = primary.call("GET", "/api/v1/entities/" + q(urn))
    # The popularity score decays with the time of the read: compare the rest.
    for x in (e, pe):
        (x.get("popularity") or {}).pop("score", None)
    diff = {k: (e.get(k), pe.get(k)) for k in set(e) | set(pe) if e.get(k) != pe.get(k)}
    check(st == 200 and not diff, f"an entity reads the same on the standby ({diff})")
    if urn in acked:
        check(e["description"] == acked[urn][1], "with the last acknowledged edit")
    st, s = standby.call("GET", "/api/v1/search?q=shop")
    st2, ps = primary.call("GET", "/api/v1/search?q=shop")
    check(st == 200 and len(s["results"]) > 0
          and [x["urn"] for x in s["results"]] == [x["urn"] for x in ps["results"]],
          f"search answers on the standby as on the primary ({st}, {len(s['results'])} results)")
    st, lin = standby.call("GET", "/api/v1/lineage/" + q(TABLES[1]))
    st2, plin = primary.call("GET", "/api/v1/lineage/" + q(TABLES[1]))
    check(st == 200 and lin == plin, "lineage reads the same on the standby")
    purl = f"http://127.0.0.1:{primary.port}"
    for method, path, body in [("POST", "/api/v1/entities", {"urn": TABLES[0] + "x", "kind": "table"}),
                               ("PATCH", "/api/v1/entities/" + q(TABLES[0]), {"description": "no"}),
                               ("DELETE", "/api/v1/entities/" + q(TABLES[0]), None),
                               ("POST", "/api/v1/queries?source=shop", '{"sql": "select 1"}')]:
        st, r = standby.call(method, path, body)
        err = (r or {}).get("error", {}) if isinstance(r, dict) else {}
        check(st == 503 and err.get("code") == "read_only" and purl in err.get("message", ""),
              f"the standby refuses {method} {path.split('?')[0]} with read_only naming {purl} "
              f"({st} {r})")
    st, slog2 = standby.call("GET", "/api/v1/admin/log")
    check(slog2["end_offset"] == end, "and wrote nothing")

    # Node-local secrets reach the standby over the channel, mode 0600, and
    # appear in no log and no answer.
    password = "pg-password-" + SECRET[:6].replace(" ", "") + "-91e3"
    st, r = primary.call("POST", "/api/v1/sources",
                         {"name": "warehouse", "kind": "postgresql",
                          "dsn": "host=127.0.0.1 dbname=warehouse user=almanac",
                          "password": password})
    check(st == 201, f"register a source with a password ({st} {r})")
    spath = os.path.join(standby.work, "data", "secrets.json")
    got = wait_for("the secrets file reaches the standby",
                   lambda: os.path.exists(spath) and password in open(spath).read(), timeout=30)
    if got:
        check(os.stat(spath).st_mode & 0o777 == 0o600, "with mode 0600")
    wait_for("the standby has the source",
             lambda: standby.call("GET", "/api/v1/sources/warehouse")[0] == 200, timeout=30)
    for n in (primary, standby):
        st, r = n.call("GET", "/api/v1/sources/warehouse")
        check(password not in str(r) and password not in n.log_tail(10 ** 7),
              "the password is in neither answers nor logs")

    # A standby with another secret is turned away.
    stranger = Node(args.almanacd, "almanac-ha-x-",
                    env={"ALMANAC_HA_SECRET": "another secret of enough length"},
                    args=["--node-role", "standby", "--ha-primary", f"127.0.0.1:{ha_port}",
                          "--ha-name", "x1"])
    wait_for("the stranger reports its refusal",
             lambda: "TLS handshake" in stranger.call("GET", "/monitor/replication")[1]
             .get("last_error", ""), timeout=30)
    st, mon = primary.call("GET", "/monitor/replication")
    check("x1" not in mon, "the primary's status has no x1")
    check("refused a connection" in primary.log_tail(200000),
          "the primary logs the refused connection")
    st, xlog = stranger.call("GET", "/api/v1/admin/log")
    check(xlog["end_offset"] == 0, "the stranger received nothing")
    for n in (primary, standby, stranger):
        check(SECRET not in n.log_tail(10 ** 7), "the secret is in no server log")
finally:
    for n in (stranger, standby):
        if n:
            if check.failures:
                print(n.log_tail())
            n.stop()
    check.finish(primary)
