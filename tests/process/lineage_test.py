#!/usr/bin/env python3
"""Query log ingestion, the query store, SQL and view lineage, OpenLineage and
popularity through the API, against pagila (run under scripts/pg-test).
usage: scripts/pg-test run -- lineage_test.py ALMANACD CORPUS_DIR"""
import glob
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

from almanac_node import Checks, Node

almanacd, corpus = sys.argv[1], sys.argv[2]
node = Node(almanacd, "almanac-lineage-", env={"PAGILA_PW": os.environ["PGTEST_PASSWORD"]}, token="lineage-admin")
work = node.work
check = Checks()


call = node.call


def q(urn):
    return urllib.parse.quote(urn, safe="")


def lineage(urn, **params):
    params.setdefault("min_offset", last_offset)
    return call("GET", f"/api/v1/lineage/{q(urn)}?" + urllib.parse.urlencode(params))[1]


last_offset = 0
try:
    st, j = call("POST", "/api/v1/sources", {"name": "pagila", "kind": "postgresql",
                                             "dsn": os.environ["PGTEST_TCP_DSN"], "password_env": "PAGILA_PW"})
    st, j = call("POST", "/api/v1/sources/pagila/extract", {})
    for _ in range(600):
        st, job = call("GET", "/api/v1/jobs/" + j["job"])
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    check(job["state"] == "succeeded", "pagila extracted")
    last_offset = job["result"]["offset"]

    # View lineage from extraction alone.
    g = lineage("urn:almanac:view:pagila.public.film_list", direction="upstream")
    ups = {e["from"] for e in g["edges"]}
    check({"urn:almanac:table:pagila.public.film", "urn:almanac:table:pagila.public.category"} <= ups,
          f"view lineage of film_list after extraction ({sorted(ups)})")
    g = lineage("urn:almanac:column:pagila.public.film_list.title", direction="upstream", level="column")
    check(any(e["from"] == "urn:almanac:column:pagila.public.film.title" for e in g["edges"]),
          "column lineage of film_list.title <- film.title")

    # A query log over pagila's tables.
    log = [
        {"sql": "CREATE TABLE public.film_rentals AS SELECT f.film_id, f.title, count(r.rental_id) AS rentals "
                "FROM film f JOIN inventory i ON i.film_id = f.film_id JOIN rental r ON r.inventory_id = i.inventory_id "
                "GROUP BY f.film_id, f.title", "user": "ana", "start_time": "2026-11-01T10:00:00Z", "duration_ms": 120},
        {"sql": "INSERT INTO public.top_customers (customer_id, total) SELECT customer_id, sum(amount) FROM payment "
                "WHERE amount > 5 GROUP BY customer_id", "user": "ben", "start_time": "2026-11-01T11:00:00Z", "duration_ms": 80},
        {"sql": "SELECT title FROM film WHERE rating = 'PG' AND length > 100", "user": "ana",
         "start_time": "2026-11-01T12:00:00Z", "duration_ms": 3},
        {"sql": "SELECT title FROM film WHERE rating = 'R' AND length > 90", "user": "cid",
         "start_time": "2026-11-01T12:05:00Z", "duration_ms": 4},
        {"sql": "SELEC broken FROM", "user": "ana", "start_time": "2026-11-01T12:06:00Z"},
    ]
    body = "\n".join(json.dumps(x) for x in log)
    st, r = call("POST", "/api/v1/queries?source=pagila", body)
    check(st == 202 and r["accepted"] == 5, f"a query log is accepted ({st} {r})")
    last_offset = r["offset"]
    st, r2 = call("POST", "/api/v1/queries?source=pagila", body)
    last_offset = r2["offset"]
    st, bad = call("POST", "/api/v1/queries", '{"sql":"select 1"}\n{"sq": 1}')
    check(st == 400 and "line" in bad["error"]["message"], f"a bad line is refused naming it ({bad})")

    st, qs = call("GET", f"/api/v1/queries?table={q('urn:almanac:table:pagila.public.film')}&min_offset={last_offset}")
    sel = [x for x in qs["queries"] if x["kind"] == "select"]
    check(len(sel) == 1 and sel[0]["count"] == 2 and sorted(sel[0]["users"]) == ["ana", "cid"],
          f"the two SELECTs share a fingerprint: count 2, users ana and cid, re-ingestion idempotent ({[(x['kind'], x['count']) for x in qs['queries']]})")
    fp = sel[0]["fingerprint"]
    st, one = call("GET", f"/api/v1/queries/{fp}")
    check(st == 200 and "$1" in one["normalized"] and one["tables_read"] == ["urn:almanac:table:pagila.public.film"]
          and one["parse_error"] is None and one["first_seen"].startswith("2026-11-01T12:00"),
          f"the stored query: normalized, tables, first seen ({one.get('normalized')})")
    st, allq = call("GET", f"/api/v1/queries?table={q('urn:almanac:table:pagila.public.payment')}")
    check(any(x["kind"] == "insert" for x in allq["queries"]), "queries by table: payment is read by the INSERT")

    g = lineage("urn:almanac:table:pagila.public.film_rentals", direction="upstream")
    ups = {e["from"] for e in g["edges"]}
    check({"urn:almanac:table:pagila.public.film", "urn:almanac:table:pagila.public.inventory",
           "urn:almanac:table:pagila.public.rental"} <= ups, f"CTAS table lineage ({sorted(ups)})")
    check(all(e["evidence"] and e["evidence"][0]["kind"] == "query" for e in g["edges"]), "edges carry their evidence")
    g = lineage("urn:almanac:column:pagila.public.payment.amount", direction="downstream", level="column")
    check(any(e["to"] == "urn:almanac:column:pagila.public.top_customers.total" for e in g["edges"]),
          "impact: payment.amount flows into top_customers.total")
    g = lineage("urn:almanac:table:pagila.public.film", direction="downstream", depth=5)
    check(g["truncated"] is False and any(n["urn"].endswith("film_rentals") for n in g["nodes"]),
          "downstream traversal from film")
    # A walk cut at its depth cap says so (issue 10, item 13).
    chain = "\n".join(json.dumps({"sql": sql, "user": "ana"}) for sql in [
        "CREATE TABLE public.chain_b AS SELECT * FROM public.film_rentals",
        "CREATE TABLE public.chain_c AS SELECT * FROM public.chain_b"])
    st, r = call("POST", "/api/v1/queries?source=pagila", chain)
    last_offset = r["offset"]
    g1 = lineage("urn:almanac:table:pagila.public.chain_c", direction="upstream", depth=1)
    g9 = lineage("urn:almanac:table:pagila.public.chain_c", direction="upstream", depth=9)
    check(len(g9["nodes"]) > len(g1["nodes"]) and g1["truncated"] is True
          and g1["depth_reached"] is True,
          f"a walk cut at the depth cap is truncated ({len(g1['nodes'])} of {len(g9['nodes'])} nodes)")
    check(g9["truncated"] is False and g9["depth_reached"] is False,
          "a walk that ends before the cap is not truncated")

    st, film = call("GET", f"/api/v1/entities/{q('urn:almanac:table:pagila.public.film')}")
    pop = film.get("popularity") or {}
    check(pop.get("count", 0) >= 3 and pop.get("users", 0) >= 2, f"film's popularity ({pop})")

    # The PostgreSQL server log, as csvlog and jsonlog.
    csvlog = (
        '2026-11-02 09:00:00.000 UTC,"dora","pagila",4242,"127.0.0.1:5000",6541a.1,1,"SELECT",'
        '2026-11-02 08:59:00 UTC,3/4,0,LOG,00000,"duration: 12.5 ms  statement: SELECT a.first_name, '
        'count(*) FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id GROUP BY a.first_name",,,,,,,,,"psql","client backend",,0\n'
        '2026-11-02 09:00:01.000 UTC,"dora","pagila",4242,"127.0.0.1:5000",6541a.1,2,"idle",'
        '2026-11-02 08:59:00 UTC,3/5,0,LOG,00000,"connection authorized: user=dora",,,,,,,,,"psql","client backend",,0\n')
    st, r = call("POST", "/api/v1/queries?source=pagila&format=csvlog", csvlog)
    check(st == 202 and r["accepted"] == 1, f"a csvlog server log: statements accepted, other lines skipped ({r})")
    jsonlog = json.dumps({"timestamp": "2026-11-02 09:05:00.000 UTC", "user": "eve", "dbname": "pagila",
                          "message": "statement: SELECT address FROM address WHERE city_id = 3"}) + "\n"
    st, r2 = call("POST", "/api/v1/queries?source=pagila&format=jsonlog", jsonlog)
    check(st == 202 and r2["accepted"] == 1, "a jsonlog server log")
    last_offset = r2["offset"]
    st, qs = call("GET", f"/api/v1/queries?table={q('urn:almanac:table:pagila.public.film_actor')}&min_offset={last_offset}")
    srv = [x for x in qs["queries"] if x["users"] == ["dora"]]
    check(len(srv) == 1 and abs(srv[0]["mean_duration_ms"] - 12.5) < 1e-9, f"the csvlog query is in the store with its duration ({srv})")
    st, r = call("POST", "/api/v1/queries?source=pagila&format=csvlog", '2026-11-02,"unterminated')
    check(st == 400 and "csvlog" in r["error"]["message"], f"a malformed server log is refused ({r})")

    # Compose executions feed the query store.
    st, r = call("POST", "/api/v1/compose/execute", {"source": "pagila", "sql": "select count(*) from rental"})
    time.sleep(0.3)
    st, ev = call("GET", "/api/v1/events?from=0&max=10000&types=QueryObserved")
    check(any(e["payload"]["origin"] == "compose" for e in ev["events"]), "a Compose execution is a QueryObserved event")

    # OpenLineage: the corpus.
    manifest = json.load(open(os.path.join(corpus, "manifest.json")))["files"]
    accepted = rejected = 0
    for f in manifest:
        if f["kind"] != "event":
            continue
        ev = json.load(open(os.path.join(corpus, f["file"])))
        st, r = call("POST", "/api/v1/lineage", ev)
        if f["valid_core_schema"]:
            check(st == 201, f"valid OpenLineage event {f['file']} accepted ({st} {r})")
            accepted += 1
        else:
            check(st == 400 and "run" in r["error"]["message"], f"invalid {f['file']}: 400 naming the field ({r})")
            rejected += 1
    for bad_ev, field in [({"producer": "p", "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "n", "name": "j"}}, "eventTime"),
                          ({"eventTime": "2026-01-01T00:00:00Z", "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "n", "name": "j"}}, "producer"),
                          ({"eventTime": "2026-01-01T00:00:00Z", "producer": "p", "run": {"runId": "not-a-uuid"}, "job": {"namespace": "n", "name": "j"}}, "run.runId"),
                          ({"eventTime": "2026-01-01T00:00:00Z", "producer": "p", "run": {"runId": str(uuid.uuid4())}, "job": {"name": "j"}}, "job.namespace"),
                          ({"eventTime": "2026-01-01T00:00:00Z", "producer": "p", "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "n"}}, "job.name")]:
        st, r = call("POST", "/api/v1/lineage", bad_ev)
        check(st == 400 and field in r["error"]["message"], f"missing {field}: 400 naming it")
    # Events of one run merge in any order: the latest eventTime decides.
    rid = str(uuid.uuid4())
    base = {"producer": "p", "run": {"runId": rid}, "job": {"namespace": "etl", "name": "merge"}}
    complete = dict(base, eventType="COMPLETE", eventTime="2026-11-03T10:05:00Z",
                    outputs=[{"namespace": "pg", "name": "pagila.public.film_daily"}])
    start = dict(base, eventType="START", eventTime="2026-11-03T10:00:00Z",
                 inputs=[{"namespace": "pg", "name": "pagila.public.film"}])
    for ev in (complete, start):
        st, r = call("POST", "/api/v1/lineage", ev)
    st, run = call("GET", f"/api/v1/lineage/runs/{rid}?min_offset={r['offset']}")
    check(st == 200 and run["state"] == "COMPLETE" and run["events"] == 2 and len(run["inputs"]) == 1
          and len(run["outputs"]) == 1, f"a run merged from events out of order ({run})")
    time.sleep(0.3)
    st, rent = call("GET", "/api/v1/entities/" + q(f"urn:almanac:run:etl.merge.{rid}"))
    st2, jent = call("GET", "/api/v1/entities/" + q("urn:almanac:job:etl.merge"))
    st3, dent = call("GET", "/api/v1/entities/" + q("urn:almanac:table:pagila.public.film_daily"))
    check(st == 200 and rent.get("state") == "COMPLETE" and st2 == 200 and st3 == 200,
          f"datasets, jobs and runs become catalog entities (run state {rent.get('state') if st == 200 else rent})")

    # Re-extracting pagila keeps the datasets OpenLineage registered in it
    # (issue 10 item 14.2): nothing is removed, and the edge into one still
    # points at an entity.
    weekly = dict(base, run={"runId": str(uuid.uuid4())}, eventType="COMPLETE",
                  eventTime="2026-11-03T11:00:00Z",
                  inputs=[{"namespace": "pg", "name": "pagila.public.film"}],
                  outputs=[{"namespace": "pg", "name": "pagila.public.film_weekly"}])
    st, r = call("POST", "/api/v1/lineage", weekly)
    check(st == 201, f"an OpenLineage run from film to film_weekly ({st} {r})")
    time.sleep(0.3)
    job = node.run_job("pagila")
    check(job["state"] == "succeeded" and job["result"]["removed"] == 0,
          f"re-extraction removes nothing OpenLineage registered ({job.get('result') or job.get('error')})")
    after = job["result"]["offset"]
    for name in ("film_daily", "film_weekly"):
        st3, dent = call("GET", "/api/v1/entities/" + q(f"urn:almanac:table:pagila.public.{name}")
                         + f"?min_offset={after}")
        check(st3 == 200 and dent.get("openlineage", {}).get("name") == f"pagila.public.{name}",
              f"the OpenLineage dataset {name} is still in the catalog ({st3})")
    g = lineage("urn:almanac:table:pagila.public.film_weekly", direction="upstream", min_offset=after)
    ends = {x for e in g["edges"] for x in (e["from"], e["to"])}
    missing = [u for u in ends if call("GET", "/api/v1/entities/" + q(u))[0] != 200]
    check("urn:almanac:table:pagila.public.film" in ends and not missing,
          f"its lineage edges point at entities ({sorted(ends)}; missing {missing})")

    # Column lineage facets (Spark's expected events, completed with the
    # required fields they leave out as partial expectations).
    st, status = call("GET", f"/api/v1/admin/projections/lineage")
    edges_before = status["state"]["edges"]
    pairs = set()
    for path in sorted(glob.glob(os.path.join(corpus, "spark-expected-partial", "*.json"))):
        ev = json.load(open(path))
        ev.setdefault("eventTime", "2026-11-01T00:00:00Z")
        ev.setdefault("producer", "https://github.com/OpenLineage/OpenLineage/tree/main/integration/spark")
        ev.setdefault("run", {})["runId"] = str(uuid.uuid4())
        ev.setdefault("job", {}).setdefault("namespace", "spark")
        ev["job"].setdefault("name", os.path.basename(path))
        for d in ev.get("inputs", []) + ev.get("outputs", []):
            d.setdefault("namespace", "default")
            for spec in d.get("facets", {}).get("columnLineage", {}).get("fields", {}).values():
                for inp in spec.get("inputFields", []):
                    inp.setdefault("namespace", "default")
        st, r = call("POST", "/api/v1/lineage", ev)
        check(st == 201, f"{os.path.basename(path)} with its columnLineage facet accepted ({r if st != 201 else ''})")
        last_offset = r.get("offset", last_offset)
        for out in ev.get("outputs", []):
            for field, spec in out.get("facets", {}).get("columnLineage", {}).get("fields", {}).items():
                for inp in spec.get("inputFields", []):
                    pairs.add((out["namespace"], out["name"], field, inp["namespace"], inp["name"], inp["field"]))
    edges_expected = len(pairs)
    call("GET", "/api/v1/lineage/" + q("urn:almanac:table:x") + f"?min_offset={last_offset}")
    st, status = call("GET", "/api/v1/admin/projections/lineage")
    if "state" not in status:
        print("projection status:", st, status)
        print(open(work + "/node.log").read()[-2500:])
    added = status["state"]["edges"] - edges_before
    check(added >= edges_expected > 0, f"column lineage facets became edges ({added} new edges, {edges_expected} distinct column pairs in the facets)")
    print(f"openlineage: {accepted} accepted, {rejected} rejected, {edges_expected} facet edges expected")
finally:
    check.finish(node)
