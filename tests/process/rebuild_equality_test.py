#!/usr/bin/env python3
"""Every projection equals its rebuild after a crash (issue 11, item 6).

A mixed workload runs from several clients — entities registered, edited
and removed, queries observed (lineage and popularity), entity reads (page
views), searches, lexicon entries, OpenLineage runs — and the node is
SIGKILLed in the middle of it, restarted on the same data directory, and
the load goes on. Once the log is quiet, every projection's digest
(GET /api/v1/admin/projections/{name}/digest) and the rankings of a fixed
set of searches are taken; then every projection is rebuilt from offset 0
and both must come out the same: equal digests at the same checkpoint,
the same URNs in the same order with the same scores.

  usage: rebuild_equality_test.py ALMANACD [--seed N]
"""

import argparse
import os
import random
import sqlite3
import threading
import time
import urllib.parse
import uuid

from almanac_node import Checks, Node

ap = argparse.ArgumentParser()
ap.add_argument("almanacd")
ap.add_argument("--seed", type=int, default=11)
args = ap.parse_args()

check = Checks()
node = Node(args.almanacd, "almanac-rebuild-eq-", args=["--supervisor-max-restarts", "100"])
TABLES = [f"urn:almanac:table:shop.s.t{i}" for i in range(40)]
WORDS = ["orders", "customer", "revenue", "daily", "payments", "stock", "store", "returns"]
QUERIES = ["orders", "customer revenue", "t1", "daily", "shop", "cust", "payments stock"]


def q(urn):
    return urllib.parse.quote(urn, safe="")


def setup():
    lite = os.path.join(node.work, "shop.db")
    sqlite3.connect(lite).close()
    st, r = node.call("POST", "/api/v1/sources", {"name": "shop", "kind": "sqlite", "path": lite})
    check(st == 201, f"register the source ({st} {r})")
    st, r = node.call("POST", "/api/v1/entities", {"urn": "urn:almanac:schema:shop.s", "kind": "schema"})
    check(st == 201, f"register the schema ({st} {r})")
    for i, urn in enumerate(TABLES):
        words = " ".join(random.Random(i).sample(WORDS, 3))
        st, r = node.call("POST", "/api/v1/entities",
                          {"urn": urn, "kind": "table", "description": f"the {words} table"})
        if st != 201:
            check(False, f"register {urn} ({st} {r})")


stop = threading.Event()
errors = []


def worker(n):
    rnd = random.Random(args.seed * 100 + n)
    extra = 0
    while not stop.is_set():
        roll = rnd.random()
        try:
            if roll < 0.25:
                urn = rnd.choice(TABLES)
                body = {"description": "about " + " ".join(rnd.sample(WORDS, 2)),
                        "tags": rnd.sample(["pii", "core", "finance", "ops"], rnd.randint(0, 2))}
                st, _ = node.call("PATCH", "/api/v1/entities/" + q(urn), body)
            elif roll < 0.40:
                a, b = rnd.sample(range(len(TABLES)), 2)
                sql = rnd.choice([f"insert into s.t{a} select * from s.t{b}",
                                  f"select x.id from s.t{a} x join s.t{b} y on x.id = y.id"])
                st, _ = node.call("POST", "/api/v1/queries?source=shop",
                                  {"sql": sql, "user": f"u{rnd.randint(0, 4)}"})
            elif roll < 0.60:
                st, _ = node.call("GET", "/api/v1/entities/" + q(rnd.choice(TABLES)))
            elif roll < 0.72:
                st, _ = node.call("GET", "/api/v1/search?q=" + q(rnd.choice(QUERIES)))
            elif roll < 0.78:
                abbr = rnd.choice(["cust", "rev", "pay", "qty"])
                st, _ = node.call("PUT", "/api/v1/lexicon/" + abbr,
                                  {"expansion": rnd.choice(["customer", "revenue", "payment", "quantity"])})
            elif roll < 0.88:
                a, b = rnd.sample(range(len(TABLES)), 2)
                ev = {"eventType": "COMPLETE", "eventTime": "2026-11-01T00:00:00Z",
                      "producer": "https://example.com/rebuild-test",
                      "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                      "run": {"runId": str(uuid.UUID(int=rnd.getrandbits(128)))},
                      "job": {"namespace": "etl", "name": f"job{rnd.randint(0, 5)}"},
                      "inputs": [{"namespace": "shop", "name": f"s.t{a}"}],
                      "outputs": [{"namespace": "shop", "name": f"s.t{b}"}]}
                st, _ = node.call("POST", "/api/v1/lineage", ev)
            elif roll < 0.95:
                extra += 1
                st, _ = node.call("POST", "/api/v1/entities",
                                  {"urn": f"urn:almanac:table:shop.s.w{n}_{extra}", "kind": "table",
                                   "description": "a scratch " + rnd.choice(WORDS) + " table"})
            else:
                victim = f"urn:almanac:table:shop.s.w{n}_{rnd.randint(1, max(1, extra))}"
                st, _ = node.call("DELETE", "/api/v1/entities/" + q(victim))
            if st >= 500 and st != 503:
                errors.append(st)
        except OSError:
            time.sleep(0.1)  # the node is being killed or restarted


def load(seconds):
    stop.clear()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    return threads


def quiet():
    """The log end once it has not moved for 2.5 s (usage flushes each
    second) and every projection has applied it."""
    last, since = None, time.monotonic()
    for _ in range(600):
        st, ps = node.call("GET", "/api/v1/admin/projections")
        end = ps["log_end"]
        if end != last:
            last, since = end, time.monotonic()
        elif time.monotonic() - since > 2.5 and all(p["checkpoint"] >= end for p in ps["projections"]):
            return end, [p["name"] for p in ps["projections"]]
        time.sleep(0.25)
    raise AssertionError("the projections never caught up with the log")


def digests(names):
    out = {}
    for n in names:
        st, d = node.call("GET", f"/api/v1/admin/projections/{n}/digest")
        check(st == 200 and len(d.get("digest", "")) == 64, f"digest of {n} ({st})")
        out[n] = (d.get("checkpoint"), d.get("digest"))
    return out


def rankings():
    out = {}
    for text in QUERIES:
        st, r = node.call("GET", "/api/v1/search?limit=50&q=" + q(text))
        check(st == 200, f"search '{text}' ({st})")
        out[text] = [(h["urn"], h["score"]) for h in r.get("results", [])]
    return out


def same_ranking(a, b):
    """The same URNs in the same order with the same scores; popularity
    decays with the clock (a 30-day half-life: a few parts in a million
    between two snapshots), so scores may differ by one part in 100,000."""
    return len(a) == len(b) and all(
        ua == ub and abs(sa - sb) <= 1e-5 * max(abs(sa), abs(sb), 1e-9)
        for (ua, sa), (ub, sb) in zip(a, b))


try:
    setup()
    threads = load(4 + random.Random(args.seed).random() * 2)
    node.restart(kill=True)
    print("killed and restarted mid-stream", flush=True)
    time.sleep(3)
    stop.set()
    for t in threads:
        t.join()
    check(not errors, f"no 5xx but 503 during the load ({errors[:5]})")

    quiet()
    before_rank = rankings()
    end, names = quiet()
    check(set(names) >= {"catalog_state", "search", "lineage", "event_counts"},
          f"every projection is listed ({names})")
    before = digests(names)
    check(all(cp == end for cp, _ in before.values()), f"digests taken at the log end {end}")
    check(sum(len(v) for v in before_rank.values()) > 0, "the searches find something")

    for n in names:
        st, r = node.call("POST", f"/api/v1/admin/projections/{n}/rebuild")
        check(st == 202, f"rebuild {n} ({st} {r})")
    end2, _ = quiet()
    check(end2 == end, f"nothing was appended meanwhile ({end} -> {end2})")
    after = digests(names)
    for n in names:
        check(after[n] == before[n], f"{n} equals its rebuild ({before[n][1][:12]} / {after[n][1][:12]})")
    after_rank = rankings()
    for text in QUERIES:
        same = same_ranking(after_rank[text], before_rank[text])
        check(same, f"search '{text}' ranks as its rebuild ({len(before_rank[text])} results)")
        if not same:
            print("  before", before_rank[text][:6], "\n  after ", after_rank[text][:6])
finally:
    check.finish(node)
