#!/usr/bin/env python3
"""High availability in sync mode (issue 12), with a TCP proxy the test
controls between the standby and its primary.

1. Sync, ha.sync_fallback = refuse: every acknowledged write is already in
   the standby's log when the client hears of it. A partition (the proxy
   drops packets): a write fails with 503 `unavailable` naming the standby
   after ha.sync_timeout_ms, later writes fail at once, readers on the
   primary never see the write in doubt, /health and /monitor/replication
   say why; healing resumes streaming and writes.
2. Sync with ha.sync_fallback = async: through a partition writes go on,
   and /health and /monitor/replication say `degraded` until the standby
   has caught up again.
3. A bit flipped on the wire by the proxy: the connection drops and is
   re-established, nothing corrupt is written, the logs end byte-identical.
4. RPO 0: rounds of SIGKILL of the primary under 8 writers and 2 readers,
   promotion of the standby, and a check that every write any client saw
   acknowledged, and every version any reader saw, is on the new primary
   with its exact content; the old primary rejoins as the standby and the
   roles swap. The standby follows through a proxy that delays the
   primary's bytes by 20 ms, so that `--rpo-mode async` (by hand) shows
   the check catching lost writes.

  usage: ha_sync_test.py ALMANACD [--rounds N]
"""

import argparse
import os
import subprocess
import random
import threading
import time

from almanac_node import Checks, Node, quiet_port
from ha_common import digests_at_end, log_end, q, segment_digests
from ha_common import wait_for as wait_until
from tcp_proxy import Proxy

ap = argparse.ArgumentParser()
ap.add_argument("almanacd")
ap.add_argument("--rounds", type=int, default=20)
ap.add_argument("--rpo-only", action="store_true", help="only the kill rounds")
ap.add_argument("--rpo-mode", default="sync",
                help="the kill rounds' ha.mode: async shows what the check catches")
args = ap.parse_args()

check = Checks()


def wait_for(what, cond, timeout=60):
    return wait_until(check, what, cond, timeout)
ENV = {"ALMANAC_HA_SECRET": "sync mode test secret, 32 bytes!"}
TABLES = [f"urn:almanac:table:shop.s.t{i}" for i in range(16)]
nodes = []


def start(name, ha_port, role="primary", primary=None, extra=(), keep=None, mode="sync"):
    flags = ["--ha-listen", f"127.0.0.1:{ha_port}", "--ha-name", name,
             "--ha-mode", mode, "--eventlog-segment-bytes", str(1 << 20), *extra]
    if role == "standby":
        flags += ["--node-role", "standby", "--ha-primary", f"127.0.0.1:{primary}"]
    if keep is not None:
        keep.args = flags
        keep._start()
        return keep
    n = Node(ALMANACD, f"almanac-sync-{name}-", args=flags, env=ENV, port=quiet_port())
    nodes.append(n)
    return n


def seed(p):
    lite = os.path.join(p.work, "shop.db")
    open(lite, "w").close()
    st, r = p.call("POST", "/api/v1/sources", {"name": "shop", "kind": "sqlite", "path": lite})
    check(st == 201, f"register the source ({st} {r})")
    p.call("POST", "/api/v1/entities", {"urn": "urn:almanac:schema:shop.s", "kind": "schema"})
    for urn in TABLES:
        st, r = p.call("POST", "/api/v1/entities", {"urn": urn, "kind": "table",
                                                    "description": "start"})
        check(st == 201, f"create {urn} ({st} {r})")


def streaming(p, name):
    return p.call("GET", "/monitor/replication")[1][name]["state"] == "streaming"


def ha_status(node):
    """What `almanac ha status` prints for `node`."""
    cli = os.path.join(os.path.dirname(os.path.abspath(ALMANACD)), "almanac")
    env = dict(os.environ, ALMANAC_SERVER=f"http://127.0.0.1:{node.port}",
               ALMANAC_TOKEN=node.token)
    r = subprocess.run([cli, "ha", "status"], capture_output=True, text=True, env=env,
                       timeout=30)
    return r.stdout + r.stderr


def proxied_pair(p_name, s_name, timeout_ms):
    """A sync primary and its standby, which follows it through a Proxy the
    test controls; seeded once the standby streams. (primary, proxy,
    standby), each node with its ha_port."""
    p_port, s_port = quiet_port(), quiet_port()
    p = start(p_name, p_port, extra=["--ha-sync-timeout-ms", str(timeout_ms)])
    px = Proxy(p_port)
    s = start(s_name, s_port, role="standby", primary=px.port)
    wait_for(f"{s_name} streams from {p_name}", lambda: streaming(p, s_name))
    seed(p)
    p.ha_port, s.ha_port = p_port, s_port
    return p, px, s


def patch(p, urn, desc):
    return p.call("PATCH", "/api/v1/entities/" + q(urn), {"description": desc})


ALMANACD = args.almanacd
try:
    # -- 1. partition, ha.sync_fallback = refuse ------------------------------
    if not args.rpo_only:
        a, proxy, b = proxied_pair("a", "b", 1000)
        missing = 0
        for i in range(30):
            st, e = patch(a, TABLES[i % 4], f"sync edit {i}")
            if st != 200:
                check(False, f"sync write {i} acknowledged ({st} {e})")
                break
            # Acknowledged: the standby has it durably already.
            if log_end(b) <= e["offset"]:
                missing += 1
        check(missing == 0, f"every acknowledged write was in the standby's log when the client "
              f"heard of it ({missing} of 30 were not)")
        st, mon = a.call("GET", "/monitor/replication")
        check(mon["sync"] is True and mon["b"]["sync"] is True and mon["replicated_end"] == mon["log_end"]
              and mon["writes_refused"] is False,
              f"/monitor/replication: sync, watermark at the log end ({mon})")
        st, before = a.call("GET", "/api/v1/entities/" + q(TABLES[0]))

        proxy.partition(silent=True)
        t0 = time.monotonic()
        st, r = patch(a, TABLES[0], "in doubt")
        took = time.monotonic() - t0
        check(st == 503 and r["error"]["code"] == "unavailable"
              and "did not confirm" in r["error"]["message"] and "standby b" in r["error"]["message"],
              f"partitioned: the write fails with 503 naming the standby ({st} {r})")
        check(0.9 <= took < 4, f"after ha.sync_timeout_ms (1000 ms): {1000 * took:.0f} ms")
        t0 = time.monotonic()
        st, r = patch(a, TABLES[1], "refused")
        check(st == 503 and "refused until the standby" in r["error"]["message"]
              and time.monotonic() - t0 < 0.5,
              f"later writes are refused at once ({st} {r}, {1000 * (time.monotonic() - t0):.0f} ms)")
        st, now = a.call("GET", "/api/v1/entities/" + q(TABLES[0]))
        check(st == 200 and now["description"] == before["description"]
              and now["version"] == before["version"],
              f"readers on the primary do not see the write in doubt ({now.get('description')})")
        st, h = a.call("GET", "/health", token=None)
        check(h["status"] == "degraded"
              and any(d["component"] == "replication" for d in h.get("degraded", [])),
              f"/health says why writes are refused ({h})")
        st, mon = a.call("GET", "/monitor/replication")
        check(mon["writes_refused"] is True and mon["replicated_end"] < mon["log_end"],
              f"/monitor/replication shows the refusal and the watermark ({mon})")
        out = ha_status(a)
        check("mode    sync" in out and "WRITES REFUSED" in out and "standby b" in out,
              f"almanac ha status says so too ({out.strip()})")
        # A restarted event log keeps refusing: the write in doubt is still
        # not on the standby.
        st, r = a.call("POST", "/api/v1/admin/actors/eventlog/restart")
        check(st in (200, 202), f"restart the event log while refusing ({st} {r})")
        wait_for("the event log is back", lambda: a.call("GET", "/api/v1/admin/log")[0] == 200)
        # (The catalog restarts after the log: "restarting" until it is up.)
        def refused_again():
            st, r = patch(a, TABLES[1], "refused after restart")
            return (st, r) if "restarting" not in str(r) else None
        st, r = wait_for("the catalog is back after the event log", refused_again, 30) or (0, {})
        check(st == 503 and "refused until the standby" in r["error"]["message"],
              f"after a restart of the event log writes are still refused ({st} {r})")
        st, now = a.call("GET", "/api/v1/entities/" + q(TABLES[0]))
        check(now["description"] == before["description"],
              f"and the write in doubt is still invisible ({now['description']})")

        # Across the heal, clients keep sending a change validated against
        # the version before the write in doubt: none may land, since the
        # write in doubt takes effect once the standby has it.
        stop = threading.Event()
        stale = {"sent": 0, "landed": [], "other": []}

        def stale_writer():
            while not stop.is_set():
                st, r = a.call("PATCH", "/api/v1/entities/" + q(TABLES[0]),
                               {"description": "stale"},
                               headers={"If-Match": f'"{before["version"]}"'})
                stale["sent"] += 1
                if st == 200:
                    stale["landed"].append(r)
                elif st not in (409, 503):
                    stale["other"].append((st, r))

        hammer = [threading.Thread(target=stale_writer) for _ in range(3)]
        for t in hammer:
            t.start()
        time.sleep(0.3)
        proxy.heal()
        wait_for("after healing, writes are acknowledged again",
                 lambda: patch(a, TABLES[2], "healed")[0] == 200, timeout=30)
        time.sleep(0.3)
        stop.set()
        for t in hammer:
            t.join()
        check(not stale["landed"] and not stale["other"] and stale["sent"] > 10,
              f"no change validated before the write in doubt landed after it "
              f"({stale['sent']} sent, landed {stale['landed'][:2]}, other {stale['other'][:2]})")
        st, now = a.call("GET", "/api/v1/entities/" + q(TABLES[0]))
        check(now["description"] == "in doubt" and now["version"] == before["version"] + 1,
              f"the write in doubt is visible once the standby has it ({now['description']}, "
              f"version {now['version']} after {before['version']})")
        st, h = a.call("GET", "/health", token=None)
        check(h["status"] == "ok", f"/health is ok again ({h})")
        end = log_end(a)
        wait_for("b has a's whole log", lambda: log_end(b) == end)
        check(segment_digests(a) == segment_digests(b), "the logs are byte-identical after healing")

        # -- 3. a bit flipped on the wire ------------------------------------------
        wait_for("b streams again", lambda: streaming(a, "b"))
        conns = proxy.connections
        proxy.flip_bit(200)
        for i in range(20):
            patch(a, TABLES[3], "x" * 300 + f" flip {i}")
        check(proxy.flipped == 1, "the proxy flipped a bit")
        wait_for("b reconnects after the corrupt message", lambda: proxy.connections > conns, timeout=30)
        wait_for("b streams after reconnecting", lambda: streaming(a, "b"))
        patch(a, TABLES[3], "after the flip")
        end = log_end(a)
        wait_for("b has a's whole log after the flip", lambda: log_end(b) == end)
        check(segment_digests(a) == segment_digests(b),
              "nothing corrupt was written: the logs are byte-identical")
        def row(node, name):
            rows = node.call("GET", "/api/v1/admin/actors")[1]["actors"]
            return next((x for x in rows if x["name"] == name), None)

        sender = row(a, "replication:sender:b")
        receiver = row(b, "replication:receiver")
        check(sender and sender["state"] == "running" and sender["restarts"] >= 1
              and sender["parent"] == "replication" and sender["processed"] > 0,
              f"the registry shows the sender to b, running again after its reconnection "
              f"({sender})")
        check(receiver and receiver["state"] == "running" and receiver["restarts"] >= 1
              and receiver["last_error"],
              f"and b's receiver with its reconnection and the reason ({receiver})")
        blog = b.log_tail(200000)
        check("decrypt" in blog or "corrupt" in blog or "bad record mac" in blog.lower()
              or "TLS" in blog,
              "the standby says why it dropped the connection")

        # -- 2. ha.sync_fallback = async ------------------------------------------
        a.proc.terminate()
        a.proc.wait()
        start("a", a.ha_port, extra=["--ha-sync-timeout-ms", "1000", "--ha-sync-fallback", "async"], keep=a)
        wait_for("b streams from a again", lambda: streaming(a, "b"))
        proxy.partition()
        t0 = time.monotonic()
        st, r = patch(a, TABLES[4], "degraded edit")
        check(st == 200, f"with the async fallback a write goes on through a partition ({st} {r})")
        st, r = patch(a, TABLES[4], "degraded edit 2")
        check(st == 200, f"and the next one ({st})")
        st, mon = a.call("GET", "/monitor/replication")
        check(mon["degraded"] is True and "fell back to async" in mon.get("problem", ""),
              f"/monitor/replication says degraded ({mon})")
        st, h = a.call("GET", "/health", token=None)
        check(h["status"] == "degraded", f"/health says degraded ({h})")
        out = ha_status(a)
        check("DEGRADED" in out, f"almanac ha status says degraded ({out.strip()})")
        st, now = a.call("GET", "/api/v1/entities/" + q(TABLES[4]))
        check(now["description"] == "degraded edit 2", "degraded writes are readable on the primary")
        # Heal under steady load: sync mode comes back although the standby
        # trails the log's end by the writes in flight, and no event a
        # reader saw vanishes when readers stop at the watermark again.
        stop = threading.Event()
        load = {"writes": 0, "failed": [], "vanished": [], "reads": 0}

        def writer(k):
            i = 0
            while not stop.is_set():
                st, r = patch(a, TABLES[8 + k], f"load {k} {i}")
                if st == 200:
                    load["writes"] += 1
                else:
                    load["failed"].append((st, r))
                i += 1

        def reader():
            seen = -1
            while not stop.is_set():
                frm = max(seen, 0)
                st, r = a.call("GET", f"/api/v1/events?from={frm}&max=1000")
                if st != 200:
                    continue
                offs = [x["offset"] for x in r["events"]]
                if seen >= 0 and seen not in offs:
                    load["vanished"].append((seen, r["next"]))
                if offs:
                    seen = max(seen, offs[-1])
                load["reads"] += 1

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        threads.append(threading.Thread(target=reader))
        for t in threads:
            t.start()
        time.sleep(1)
        # A slow link (10 ms per chunk): the standby trails the log's end
        # by the writes in flight, so it is never exactly at the end.
        proxy.delay = 0.01
        proxy.heal()
        back = wait_for("under steady load, sync mode comes back once the standby has caught up",
                        lambda: a.call("GET", "/monitor/replication")[1]["degraded"] is False,
                        timeout=30)
        time.sleep(1)
        writes_then = load["writes"]
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join()
        proxy.delay = 0.0
        check(back and load["writes"] > writes_then,
              f"the load went on while sync mode came back ({load['writes']} writes)")
        check(not load["failed"], f"no write failed across it ({load['failed'][:3]})")
        check(not load["vanished"] and load["reads"] > 10,
              f"no event a reader saw vanished ({load['vanished'][:3]}, {load['reads']} reads)")
        st, e = patch(a, TABLES[4], "sync again")
        check(st == 200 and log_end(b) > e["offset"], "sync again: the standby has the write")
        a.stop()
        b.stop()
        proxy.close()
        nodes.clear()

    # -- 5. a fenced primary acknowledges nothing it holds ---------------------
    if not args.rpo_only:
        e, px, f = proxied_pair("e", "f", 8000)
        px.partition(silent=True)
        held = {}

        def held_write():
            held["answer"] = patch(e, TABLES[0], "held")

        t = threading.Thread(target=held_write)
        t.start()
        time.sleep(0.5)
        st, r = f.call("POST", "/api/v1/admin/promote")
        check(st == 200, f"f promoted while e holds a write ({st} {r})")
        # f, of the later epoch, says hello to e: e is fenced.
        f.proc.terminate()
        f.proc.wait()
        start("f", f.ha_port, role="standby", primary=e.ha_port, keep=f)
        t.join(timeout=20)
        st, r = held.get("answer", (0, None))
        check(st == 503 and r["error"]["code"] == "read_only",
              f"the write e held fails once e is fenced, never 200 ({st} {r})")
        st, ent = e.call("GET", "/api/v1/entities/" + q(TABLES[0]))
        check(ent.get("description") == "start",
              f"and e's readers never see it ({ent.get('description')})")
        px.close()
        e.stop()
        f.stop()
        nodes.clear()

    # -- 4. RPO 0 ---------------------------------------------------------------
    # The standby follows through a proxy that delays what the primary
    # sends by 20 ms (a slow link): in async mode the kill then loses the
    # writes of the last 20 ms, which this check catches (--rpo-mode async).
    ha = {"c": quiet_port(), "d": quiet_port()}
    link = {n: Proxy(p) for n, p in ha.items()}
    for x in link.values():
        x.delay = 0.02
    pair = {"c": start("c", ha["c"], extra=["--ha-sync-timeout-ms", "3000"], mode=args.rpo_mode)}
    pair["d"] = start("d", ha["d"], role="standby", primary=link["c"].port,
                      extra=["--ha-sync-timeout-ms", "3000"], mode=args.rpo_mode)
    wait_for("d streams from c", lambda: streaming(pair["c"], "d"))
    seed(pair["c"])
    primary, standby = "c", "d"
    total_acked = 0
    total_lost = 0
    for rnd in range(args.rounds):
        P, S = pair[primary], pair[standby]
        if not wait_for(f"round {rnd}: {standby} streams from {primary}",
                        lambda: streaming(P, standby)):
            break
        stop = threading.Event()
        acked = {}   # urn -> (version, description)
        count = [0]  # writes acknowledged
        seen = {}    # urn -> highest version a reader saw on P
        lock = threading.Lock()

        def writer(n):
            r = random.Random(rnd * 100 + n)
            while not stop.is_set():
                urn = r.choice(TABLES)
                desc = f"r{rnd} w{n} {time.monotonic():.6f}"
                try:
                    st, body = patch(P, urn, desc)
                except OSError:
                    return
                if st == 200:
                    with lock:
                        count[0] += 1
                        if body["version"] > acked.get(urn, (0, ""))[0]:
                            acked[urn] = (body["version"], desc)

        def reader(n):
            r = random.Random(rnd * 1000 + n)
            while not stop.is_set():
                urn = r.choice(TABLES)
                try:
                    st, body = P.call("GET", "/api/v1/entities/" + q(urn))
                except OSError:
                    return
                if st == 200:
                    with lock:
                        seen[urn] = max(seen.get(urn, 0), body["version"])

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
        threads += [threading.Thread(target=reader, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.3 + random.Random(rnd).random() * 1.2)
        P.proc.kill()
        P.proc.wait()
        stop.set()
        for t in threads:
            t.join()
        st, r = S.call("POST", "/api/v1/admin/promote")
        check(st == 200, f"round {rnd}: {standby} promoted ({st} {r})")
        if rnd == 0:
            # A sync primary with no standby yet: its NodePromoted record
            # reaches the projections at once, not at the watermark's next
            # move (there is none until a standby connects).
            off = r["offset"]
            wait_for(f"round {rnd}: the projections have NodePromoted (offset {off}) right "
                     f"after promotion",
                     lambda: all(x["checkpoint"] > off for x in S.call(
                         "GET", "/api/v1/admin/projections")[1]["projections"]), timeout=3)
        lost = 0
        vanished = 0
        for u in TABLES:
            st, ent = S.call("GET", "/api/v1/entities/" + q(u))
            if u in acked:
                v, desc = acked[u]
                if ent["version"] < v or (ent["version"] == v and ent["description"] != desc):
                    lost += 1
            if ent["version"] < seen.get(u, 0):
                vanished += 1
        total_acked += count[0]
        total_lost += lost
        check(lost == 0 and vanished == 0 and count[0] > 0,
              f"round {rnd}: every acknowledged write ({count[0]} on {len(acked)} entities) and "
              f"every version a reader saw is on {standby} ({lost} lost, {vanished} vanished)")
        # The old primary rejoins as the standby (truncating what it alone had).
        pair[primary] = start(primary, ha[primary], role="standby", primary=link[standby].port,
                              extra=["--ha-sync-timeout-ms", "3000"], keep=P,
                              mode=args.rpo_mode)
        primary, standby = standby, primary
    P, S = pair[primary], pair[standby]
    if wait_for("the last standby streams", lambda: streaming(P, standby)):
        end = log_end(P)
        wait_for("the last standby has the whole log", lambda: log_end(S) == end)
        check(segment_digests(P) == segment_digests(S),
              f"after {args.rounds} rounds the logs are byte-identical")
        for name in ["catalog_state", "lineage", "search", "event_counts"]:
            dp, ds = digests_at_end(check, P, S, name)
            check(dp and ds and dp["digest"] == ds["digest"],
                  f"{name} on {standby} equals {primary}'s")
    print(f"ha_sync: {args.rounds} rounds ({args.rpo_mode}), {total_acked} acknowledged "
          f"writes, {total_lost} entities lost their last acknowledged edit")
finally:
    if check.failures:
        for n in nodes:
            print(f"--- node {n.work} (exit {n.proc.poll()}, port {n.port})")
            print(n.log_tail(5000))
    for n in nodes[1:]:
        n.stop()
    check.finish(nodes[0] if nodes else None)
