#!/usr/bin/env python3
"""Almanac Analytics end to end: a node with --analytics-dsn projects its
log into PostgreSQL. Entities, views and searches (one without results)
become rows; the projection's checkpoint reaches the log's end; after a
SIGKILL and a restart the rows are neither lost nor doubled; the
password never appears in the node's log.
usage: analytics_test.py ALMANACD   (under scripts/pg-test run --)"""
import os
import subprocess
import sys
import time
import urllib.parse

from almanac_node import Checks, Node

S = "almanac_analytics"
dsn = os.environ["PGTEST_TCP_DSN"]


def psql_rows(sql):
    out = subprocess.run(["psql", "-At", "-c", sql], check=True, capture_output=True, text=True)
    return [l for l in out.stdout.splitlines() if l]


def count(table, where="true"):
    return int(psql_rows(f"SELECT count(*) FROM {S}.{table} WHERE {where}")[0])


# The analytics role needs CREATEROLE (the reader role) and a database to
# create its schema in: the test's superuser grants both.
subprocess.run(["psql", "-q", "-c", "ALTER ROLE almanac CREATEROLE; GRANT CREATE ON DATABASE "
                + psql_rows("SELECT current_database()")[0] + " TO almanac"], check=True)
node = Node(sys.argv[1], "almanac-analytics-", args=["--analytics-dsn", dsn,
                                                     "--analytics-password-env", "AN_PW"],
            env={"AN_PW": os.environ["PGTEST_PASSWORD"]})
check = Checks()
call = node.call


def caught_up(tries=200):
    end = call("GET", "/api/v1/admin/log")[1]["end_offset"]
    for _ in range(tries):
        projections = call("GET", "/api/v1/admin/projections")[1]["projections"]
        mine = [p for p in projections if p.get("name") == "analytics"]
        if mine and mine[0].get("checkpoint", 0) >= end:
            return mine[0]
        time.sleep(0.1)
    return None


try:
    check(call("POST", "/api/v1/sources", {"name": "an", "kind": "sqlite",
                                           "path": "/nonexistent/an.db"})[0] == 201,
          "register the source an")
    for urn, kind in [("urn:almanac:schema:an.s", "schema"),
                      ("urn:almanac:table:an.s.orders", "table"),
                      ("urn:almanac:table:an.s.items", "table")]:
        check(call("POST", "/api/v1/entities", {"urn": urn, "kind": kind})[0] == 201,
              f"register {urn}")
    check(call("PATCH", "/api/v1/entities/" + urllib.parse.quote("urn:almanac:table:an.s.orders", safe=""),
               {"description": "Orders placed", "tags": ["core"]})[0] == 200,
          "describe orders")
    for _ in range(3):
        call("GET", "/api/v1/entities/" + urllib.parse.quote("urn:almanac:table:an.s.orders", safe=""))
    call("GET", "/api/v1/search?q=orders")
    call("GET", "/api/v1/search?q=zzzznothing")
    time.sleep(2.5)  # usage flushes every second
    p = caught_up()
    check(p is not None, f"the analytics projection reached the log's end ({p})")
    check(count("dim_entities") == 4, "4 entities in dim_entities (source, schema, 2 tables)")
    check(count("fact_curation_edits", "urn = 'urn:almanac:table:an.s.orders'") == 2,
          "the edit's two fields in fact_curation_edits")
    views = psql_rows(f"SELECT views FROM {S}.top_entities_viewed_90d "
                      "WHERE urn = 'urn:almanac:table:an.s.orders'")
    check(views == ["3"], f"3 views of orders ({views})")
    # (The search for "orders" may run before the search index has it.)
    zero = psql_rows(f"SELECT text, count FROM {S}.searches_without_results")
    check("zzzznothing|1" in zero, f"the search without results is kept ({zero})")
    cov = psql_rows(f"SELECT pct_described FROM {S}.curation_coverage "
                    "WHERE source = 'an' AND kind = 'table'")
    check(cov == ["50.0"], f"half the tables described ({cov})")
    before = {t: count(t) for t in ("dim_entities", "fact_entity_views", "fact_searches",
                                    "fact_curation_edits")}

    # SIGKILL, restart: nothing lost, nothing twice.
    node.restart(kill=True)
    call("GET", "/api/v1/entities/" + urllib.parse.quote("urn:almanac:table:an.s.items", safe=""))
    time.sleep(2.5)
    check(caught_up() is not None, "caught up again after the restart")
    after = {t: count(t) for t in before}
    check(after["dim_entities"] == before["dim_entities"]
          and after["fact_searches"] == before["fact_searches"]
          and after["fact_curation_edits"] == before["fact_curation_edits"],
          f"no row lost or doubled by the restart ({before} -> {after})")
    check(after["fact_entity_views"] == before["fact_entity_views"] + 1,
          "the new view is one more row")
    log = node.log_tail()
    check(os.environ["PGTEST_PASSWORD"] not in log, "the password is not in the node's log")
finally:
    check.finish(node)
