#!/usr/bin/env python3
"""Search over the extracted pagila catalog, through the API (run under
scripts/pg-test): ranking of the issue's examples, filters and facets,
read-your-writes with min_offset, suggest, the lexicon, and a rebuild that
never makes search go dark.
usage: scripts/pg-test run -- search_test.py ALMANACD"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from almanac_node import Checks, Node

almanacd = sys.argv[1]
node = Node(almanacd, "almanac-search-", env={"PAGILA_PW": os.environ["PGTEST_PASSWORD"]}, token="search-admin")
work = node.work
check = Checks()


call = node.call


def search(q, **params):
    params["q"] = q
    return call("GET", "/api/v1/search?" + urllib.parse.urlencode(params))


try:
    call("POST", "/api/v1/sources", {"name": "pagila", "kind": "postgresql",
                                     "dsn": os.environ["PGTEST_TCP_DSN"], "password_env": "PAGILA_PW"})
    st, j = call("POST", "/api/v1/sources/pagila/extract", {})
    for _ in range(600):
        st, job = call("GET", "/api/v1/jobs/" + j["job"])
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    offset = job["result"]["offset"]
    st, r = search("film", min_offset=offset)
    check(st == 200 and r["results"][0]["urn"] == "urn:almanac:table:pagila.public.film",
          f"'film' ranks the film table first ({[x['urn'] for x in r['results'][:3]]})")
    check(set(r) >= {"total", "results", "facets"} and set(r["results"][0]) >= {"urn", "kind", "name", "title", "score", "snippet"},
          "the answer has the interface's shape")
    st, r = search("actor info")
    check(r["results"][0]["urn"] == "urn:almanac:view:pagila.public.actor_info", "'actor info' finds the actor_info view")
    st, r = search("cust")
    check(r["results"][0]["urn"] == "urn:almanac:table:pagila.public.customer", "'cust' finds customer")
    st, r = search("film", kind="view")
    check(r["total"] > 0 and all(x["kind"] == "view" for x in r["results"]), "kind filter")
    check(r["facets"]["kind"] == {"view": r["total"]}, f"facets follow the filter ({r['facets'].get('kind')})")
    st, r = search("film", limit=2, offset=2)
    check(len(r["results"]) == 2, "pagination")
    st, r = search("film")
    check(r["facets"]["kind"].get("column", 0) > 0 and r["facets"]["source"].get("pagila", 0) > 0,
          f"facets by kind and source ({r['facets'].get('kind')}, {r['facets'].get('source')})")
    st, e = call("PATCH", "/api/v1/entities/" + urllib.parse.quote("urn:almanac:table:pagila.public.language", safe=""),
                 {"description": "Spoken tongues of the zebracorn era", "tags": ["reference"]})
    st, r = search("zebracorn", min_offset=e["offset"])
    check([x["urn"] for x in r["results"]] == ["urn:almanac:table:pagila.public.language"],
          "an edited description is searchable in the read that passes its offset")
    st, r = search("language", tag="reference")
    check(r["total"] == 1, "tag filter")
    st, r = call("GET", "/api/v1/search/suggest?prefix=fil&limit=5")
    check(st == 200 and r["suggestions"] and r["suggestions"][0]["name"] == "film", f"suggest ({r['suggestions'][:2]})")

    # One popularity: queries that read a partition make it the lineage
    # store's most popular, and search and suggest rank by that one score.
    part = "urn:almanac:table:pagila.public.payment_p2022_05"
    parts = [f"urn:almanac:table:pagila.public.payment_p2022_0{i}" for i in range(1, 8)]
    st, r = search("payment p2022", limit=20)
    before = [x["urn"] for x in r["results"] if x["urn"] in parts]
    check(len(before) == 7 and before[0] != part, f"the partitions rank alike before any use ({before[:3]})")
    st, r = call("GET", "/api/v1/search/suggest?prefix=payment_p&limit=7")
    check(st == 200 and r["suggestions"][0]["urn"] != part, "suggest does not lift it before any use")
    log = "\n".join(json.dumps({"sql": f"select amount from payment_p2022_05 where payment_id = {i}",
                                "user": "ana", "duration_ms": 2}) for i in range(5))
    st, r = call("POST", "/api/v1/queries?source=pagila", log)
    check(st == 202, f"a query log reading one partition ({st} {r})")
    for _ in range(100):  # the lineage store applies it (search waits on its own projection)
        st, e = call("GET", f"/api/v1/entities/{urllib.parse.quote(part, safe='')}")
        pop = e.get("popularity") or {}
        if pop.get("count") == 5:
            break
        time.sleep(0.05)
    check(pop.get("count") == 5 and pop.get("score", 0) > 4.9,
          f"the lineage store counts its uses ({pop})")
    st, r = search("payment p2022", limit=20, min_offset=r["offset"])
    after = [x["urn"] for x in r["results"] if x["urn"] in parts]
    check(after and after[0] == part, f"search ranks the used partition first ({after[:3]})")
    st, r = call("GET", "/api/v1/search/suggest?prefix=payment_p&limit=7")
    check(st == 200 and r["suggestions"][0]["urn"] == part,
          f"suggest lists it first ({[x['urn'] for x in r['suggestions'][:2]]})")

    st, r = call("PUT", "/api/v1/lexicon/zc", {"expansion": "zebracorn"})
    check(st == 200, "a steward puts a lexicon entry")
    st, lex = call("GET", f"/api/v1/lexicon?min_offset={r['offset']}")
    check(any(x["abbreviation"] == "zc" and x["expansion"] == "zebracorn" and x["source"] == "manual"
              for x in lex["entries"]), "the lexicon shows it")
    st, r = search("zc")
    check(r["results"] and r["results"][0]["urn"] == "urn:almanac:table:pagila.public.language",
          "the lexicon expands queries")
    st, r = call("PUT", "/api/v1/lexicon/zc", {"expansion": 3})
    check(st == 400, "a bad lexicon body is refused")
    # Rebuild beside the live index: search keeps answering all along.
    before = search("film")[1]["results"][0]["urn"]
    st, r = call("POST", "/api/v1/admin/projections/search/rebuild")
    check(st == 202, "rebuild the search index")
    dark = 0
    for _ in range(40):
        st, r = search("film")
        if st != 200 or not r["results"]:
            dark += 1
        time.sleep(0.02)
    check(dark == 0, f"search never went dark during the rebuild ({dark} empty answers)")
    for _ in range(200):
        st, p = call("GET", "/api/v1/admin/projections/search")
        if not p["state"]["rebuilding"]:
            break
        time.sleep(0.05)
    check(not p["state"]["rebuilding"] and search("film")[1]["results"][0]["urn"] == before,
          f"after the swap the same ranking ({p['state']})")
finally:
    check.finish(node)
