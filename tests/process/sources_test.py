#!/usr/bin/env python3
"""Sources end to end against a real PostgreSQL loaded with pagila (run under
scripts/pg-test) and a SQLite file: registration (no secret ever returned),
extraction (tables with partitions, the 7 views with definitions, the
materialized view, columns with types, foreign keys), incremental runs that
append exactly the changes and then nothing, failing sources that leave the
catalog unchanged, and Compose (limit, timeout, cancel, read-only).
usage: scripts/pg-test run -- sources_test.py ALMANACD"""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from almanac_node import Checks, Node

almanacd = sys.argv[1]
node = Node(almanacd, "almanac-sources-", args=["--jobs-max-attempts", "2"],
            env={"PAGILA_PW": os.environ["PGTEST_PASSWORD"]}, token="sources-admin")
work = node.work
check = Checks()


call = node.call


def entity(urn):
    return call("GET", "/api/v1/entities/" + urllib.parse.quote(urn, safe=""))


def psql(sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)


def psql_rows(sql):
    out = subprocess.run(["psql", "-At", "-c", sql], check=True, capture_output=True, text=True)
    return [l for l in out.stdout.splitlines() if l]


def run_job(source, kind="extract", body=None):
    st, j = call("POST", f"/api/v1/sources/{source}/{kind}", body or {})
    assert st == 202, (st, j)
    for _ in range(600):
        st, job = call("GET", "/api/v1/jobs/" + j["job"])
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise RuntimeError("job never finished")


def catalog_events():
    st, p = call("GET", "/api/v1/admin/projections/event_counts")
    st2, log = call("GET", "/api/v1/admin/log")
    # wait until event_counts has applied the whole log
    for _ in range(100):
        st, p = call("GET", "/api/v1/admin/projections/event_counts")
        if p["state"]["checkpoint"] >= log["end_offset"]:
            break
        time.sleep(0.05)
    by = p["state"]["events_by_type"]
    return sum(by.get(t, 0) for t in ("EntityRegistered", "EntityEdited", "EntityRemoved"))


try:
    dsn = os.environ["PGTEST_TCP_DSN"]
    st, j = call("POST", "/api/v1/sources", {"name": "pagila", "kind": "postgresql",
                                             "dsn": dsn, "password_env": "PAGILA_PW"})
    check(st == 201, f"register the pagila source ({st} {j})")
    st, j = call("POST", "/api/v1/sources", {"name": "bad", "kind": "postgresql",
                                             "dsn": dsn + " password=x"})
    check(st == 422 and "password" in j["error"]["message"], "a password in the dsn is refused")
    st, j = call("POST", "/api/v1/sources", {"name": "x", "kind": "oracle", "dsn": "a"})
    check(st == 422 and "kind" in j["error"]["message"], "an unknown kind is refused")
    st, j = call("POST", "/api/v1/sources", {"name": "wrongpw", "kind": "postgresql",
                                             "dsn": dsn, "password": "not-the-password"})
    check(st == 201, "register a source with a stored password")
    st, j = call("GET", "/api/v1/sources")
    text = json.dumps(j)
    check("not-the-password" not in text and os.environ["PGTEST_PASSWORD"] not in text,
          "the sources API never returns a secret")
    secrets = open(work + "/data/secrets.json").read()
    check("not-the-password" in secrets and oct(os.stat(work + "/data/secrets.json").st_mode & 0o777) == "0o600",
          "the secret lives in the node's secrets file, mode 0600")

    job = run_job("pagila")
    check(job["state"] == "succeeded", f"extraction succeeds ({job.get('error')})")
    check(job["progress"]["done"] == job["progress"]["total"] > 0, f"progress reported {job['progress']}")
    tables = set(psql_rows("select relname from pg_class c join pg_namespace n on n.oid = relnamespace "
                           "where nspname = 'public' and relkind in ('r','p','f')"))
    st, schema = entity("urn:almanac:schema:pagila.public")
    kids = set(schema["children"])
    missing = [t for t in tables if f"urn:almanac:table:pagila.public.{t}" not in kids]
    check(not missing and len(tables) >= 21, f"every table ({len(tables)}, partitions included) is in the catalog; missing {missing}")
    st, p = entity("urn:almanac:table:pagila.public.payment_p2022_01")
    check(st == 200 and p.get("partition_of") == "urn:almanac:table:pagila.public.payment",
          f"a partition names its parent ({st}, {p.get('partition_of') if st == 200 else p})")
    views = ["actor_info", "customer_list", "film_list", "nicer_but_slower_film_list",
             "sales_by_film_category", "sales_by_store", "staff_list"]
    for v in views:
        st, e = entity(f"urn:almanac:view:pagila.public.{v}")
        check(st == 200 and "select" in e.get("definition", "").lower(), f"view {v} with its definition")
    st, mv = entity("urn:almanac:view:pagila.public.rental_by_category")
    check(st == 200 and mv.get("materialized") is True, "the materialized view")
    st, col = entity("urn:almanac:column:pagila.public.film.title")
    check(st == 200 and col.get("data_type") == "text" and col.get("nullable") is False
          and col.get("ordinal") == 2, f"film.title with type, nullability, ordinal ({col.get('data_type')}, {col.get('nullable')}, {col.get('ordinal')})")
    st, fk = entity("urn:almanac:column:pagila.public.film.language_id")
    check(fk.get("references") == ["urn:almanac:column:pagila.public.language.language_id"],
          f"foreign key film.language_id -> language.language_id ({fk.get('references')})")

    # Profiling: figures on the column entities, equal to SQL's.
    job = run_job("pagila", "profile", {"tables": ["public.film", "public.language"], "full": True})
    check(job["state"] == "succeeded" and job["result"]["tables"] == 2, f"profiling job ({job.get('error')})")
    st, col = entity("urn:almanac:column:pagila.public.film.rental_duration")
    prof = col.get("profile", {})
    want = psql_rows("select count(*), count(distinct rental_duration), min(rental_duration), "
                     "max(rental_duration) from film")[0].split("|")
    check(prof.get("row_count") == int(want[0]) and prof.get("distinct_count") == int(want[1])
          and prof.get("min") == int(want[2]) and prof.get("max") == int(want[3])
          and prof.get("null_count") == 0 and len(prof.get("top_values", [])) > 0,
          f"film.rental_duration profile equals SQL ({want} vs {[prof.get(k) for k in ('row_count','distinct_count','min','max')]})")

    # Incremental: exactly the changes, then nothing.
    before = catalog_events()
    psql("ALTER TABLE film ADD COLUMN almanac_note text")
    psql("DROP VIEW actor_info")
    psql("COMMENT ON TABLE language IS 'Languages films are in'")
    job = run_job("pagila")
    r = job.get("result", {})
    check(job["state"] == "succeeded" and r.get("added") == 1 and r.get("changed") == 1
          and r.get("removed") == 5, f"incremental run: +1 column, 1 comment, -1 view and its 4 columns ({r})")
    check(catalog_events() - before == 7, "exactly 7 catalog events were appended")
    st, lang = entity("urn:almanac:table:pagila.public.language")
    check(lang.get("description") == "Languages films are in", "a new comment becomes the description")
    before = catalog_events()
    job = run_job("pagila")
    check(job["state"] == "succeeded" and job["result"]["events"] == 0, "a second run appends nothing")
    check(catalog_events() == before, "the catalog did not change")

    # Failing sources leave the catalog as it was.
    call("POST", "/api/v1/sources", {"name": "down", "kind": "postgresql",
                                     "dsn": "host=127.0.0.1 port=1 dbname=x user=y"})
    # A proxy to PostgreSQL that drops every connection after 6,000 bytes of
    # answers: the extraction loses its connection in the middle.
    pg_port = int(os.environ["PGTEST_TCP_PORT"])
    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen(8)
    proxy_port = proxy.getsockname()[1]

    def relay(client):
        upstream = socket.create_connection(("127.0.0.1", pg_port))
        sent = [0]

        def pump(a, b, limit):
            try:
                while True:
                    data = a.recv(4096)
                    if not data:
                        break
                    b.sendall(data)
                    sent[0] += len(data) if limit else 0
                    if limit and sent[0] > 6000:
                        break
            except OSError:
                pass
            for x in (a, b):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        threading.Thread(target=pump, args=(client, upstream, False), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, True), daemon=True).start()

    def accept_loop():
        while True:
            try:
                c, _ = proxy.accept()
            except OSError:
                return
            relay(c)
    threading.Thread(target=accept_loop, daemon=True).start()
    flaky = dsn.replace(f"port={pg_port}", f"port={proxy_port}")
    st, j = call("POST", "/api/v1/sources", {"name": "flaky", "kind": "postgresql",
                                             "dsn": flaky, "password_env": "PAGILA_PW"})
    check(st == 201, "register a source whose connection drops mid-extraction")
    before = catalog_events()
    job = run_job("wrongpw")
    check(job["state"] == "failed" and "password" in (job["error"] or "").lower()
          and "not-the-password" not in (job["error"] or ""),
          f"wrong password: failed with a clear error ({job['error']})")
    job = run_job("down")
    check(job["state"] == "failed" and job["attempts"] == 2, f"unreachable host: retried, then failed ({job['error']})")
    job = run_job("flaky")
    check(job["state"] == "failed" and job["attempts"] == 2,
          f"connection dropped mid-extraction: retried, then failed ({job['error']})")
    check(catalog_events() == before, "failed runs changed nothing in the catalog")
    proxy.close()

    # SQLite: the same extraction.
    db = work + "/shop.db"
    c = sqlite3.connect(db)
    c.executescript("""
      create table customer (id integer primary key, name text not null, email text);
      create table orders (id integer primary key, customer_id integer not null references customer(id),
                           amount real);
      create view big_orders as select * from orders where amount > 100;
      insert into customer values (1, 'Ada', 'ada@example.com');
      insert into orders values (1, 1, 250.0), (2, 1, 20.5);""")
    c.commit()
    c.close()
    st, j = call("POST", "/api/v1/sources", {"name": "shop", "kind": "sqlite", "path": db})
    check(st == 201, "register a SQLite source")
    job = run_job("shop")
    check(job["state"] == "succeeded", f"SQLite extraction ({job.get('error')})")
    st, o = entity("urn:almanac:column:shop.main.orders.customer_id")
    check(st == 200 and o.get("references") == ["urn:almanac:column:shop.main.customer.id"],
          f"SQLite foreign key ({o.get('references') if st == 200 else o})")
    st, v = entity("urn:almanac:view:shop.main.big_orders")
    check(st == 200 and "amount > 100" in v.get("definition", ""), "SQLite view with its definition")

    # Compose.
    st, r = call("POST", "/api/v1/compose/execute", {"source": "pagila", "sql": "select film_id, title from film order by film_id", "limit": 5})
    check(st == 200 and len(r["rows"]) == 5 and r["truncated"] and r["rows"][0][0] == 1,
          "compose: rows as JSON, limited and marked truncated")
    st, r = call("POST", "/api/v1/compose/execute", {"source": "pagila", "sql": "select pg_sleep(5)", "timeout_ms": 300})
    check(st == 504, f"compose: timeout ({st} {r})")
    st, r = call("POST", "/api/v1/compose/execute", {"source": "pagila", "sql": "delete from film"})
    check(st == 403 and "read-only" in r["error"]["message"], f"compose: a write is refused in read-only mode ({st})")
    result = {}

    def slow():
        result["r"] = call("POST", "/api/v1/compose/execute", {"source": "pagila", "sql": "select pg_sleep(20)", "id": "q1"})
    t = threading.Thread(target=slow)
    t.start()
    for _ in range(100):
        st, r = call("DELETE", "/api/v1/compose/q1")
        if st == 202:
            break
        time.sleep(0.05)
    t.join(timeout=10)
    check(not t.is_alive() and result["r"][0] == 409, f"compose: cancel ({result.get('r')})")
    # Schedules: events (so a standby has them), listed, run now, results kept.
    st, r = call("POST", "/api/v1/schedules", {"cron": "61 * * * *", "kind": "extract", "source": "pagila"})
    check(st == 422 and "minute" in r["error"]["message"], "a bad cron expression is refused naming the field")
    st, sched = call("POST", "/api/v1/schedules", {"cron": "0 3 * * *", "kind": "compose", "source": "pagila",
                                                   "options": {"sql": "select count(*) as films from film"}})
    check(st == 201 and sched["id"].startswith("sched-"), f"define a scheduled query ({st})")
    for _ in range(50):
        st, lst = call("GET", "/api/v1/schedules")
        if any(x["id"] == sched["id"] for x in lst["schedules"]):
            break
        time.sleep(0.05)
    check(any(x["id"] == sched["id"] and x["cron"] == "0 3 * * *" for x in lst["schedules"]), "the schedule is listed")
    st, r = call("POST", f"/api/v1/schedules/{sched['id']}/run")
    check(st == 202 and "job" in r, f"run a schedule now ({st} {r})")
    for _ in range(100):
        st, job = call("GET", "/api/v1/jobs/" + r["job"])
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    check(job["state"] == "succeeded" and job["result"]["rows"] == [[1000]], f"the scheduled query's result is kept ({job.get('result')})")
    st, ev = call("GET", "/api/v1/events?from=0&max=10000&types=JobFinished")
    check(any(e["payload"].get("result", {}).get("rows") == [[1000]] for e in ev["events"]),
          "and recorded in its JobFinished event")
    st, r = call("DELETE", f"/api/v1/schedules/{sched['id']}")
    check(st == 200, "remove the schedule")

    st, ev = call("GET", "/api/v1/events?from=0&max=10000&types=ComposeExecuted")
    check(len(ev["events"]) == 4, f"every execution is recorded ({len(ev['events'])} ComposeExecuted events)")

    # -- Issue 10 --------------------------------------------------------
    # 1. A steward cannot point a source at their own server with the admin
    # token (or another source's secret) as its password, nor remove one.
    st, u = call("POST", "/api/v1/users", {"user": "stella", "role": "steward"})
    steward = u["token"]
    trap = socket.socket()
    trap.bind(("127.0.0.1", 0))
    trap.listen(4)
    trap.settimeout(0.2)
    trap_port = trap.getsockname()[1]
    for name, conn in [("evil", {"kind": "postgresql", "password_env": "ALMANAC_ADMIN_TOKEN",
                                 "dsn": f"host=127.0.0.1 port={trap_port} dbname=x user=x"}),
                       ("evil2", {"kind": "postgresql", "password_ref": "source:wrongpw",
                                  "dsn": f"host=127.0.0.1 port={trap_port} dbname=x user=x"}),
                       ("evil3", {"kind": "sqlite", "path": work + "/data/secrets.json"})]:
        st, r = call("POST", "/api/v1/entities", {"urn": "urn:almanac:source:" + name, "kind": "source",
                                                  "attributes": {"connection": conn}}, token=steward)
        check(st == 403 and "/api/v1/sources" in r["error"]["message"],
              f"a steward cannot register source {name} through the entity API ({st} {r})")
        st, r = call("POST", "/api/v1/compose/execute", {"source": name, "sql": "select 1"}, token=steward)
        check(st == 404, f"so Compose has no source {name} to run on ({st})")
    try:
        trap.accept()
        check(False, "nothing connected to the steward's server")
    except socket.timeout:
        check(True, "nothing connected to the steward's server")
    trap.close()
    st, r = call("DELETE", "/api/v1/entities/urn%3Aalmanac%3Asource%3Awrongpw?cascade=true", token=steward)
    check(st == 403 and "DELETE /api/v1/sources/{name}" in r["error"]["message"],
          f"a steward cannot remove an admin's source ({st})")
    st, r = call("GET", "/api/v1/sources", token=steward)
    check(st == 403, f"GET /api/v1/sources needs the admin role ({st})")
    st, r = call("POST", "/api/v1/sources", {"name": "envy", "kind": "postgresql", "dsn": dsn,
                                             "password_env": "ALMANAC_ADMIN_TOKEN"})
    check(st == 422 and "ALMANAC_" in r["error"]["message"], f"password_env may not be ALMANAC_* ({st})")
    # Removing a source removes its secret; switching to password_env too.
    st, r = call("DELETE", "/api/v1/sources/wrongpw")
    check(st == 200 and "not-the-password" not in open(work + "/data/secrets.json").read(),
          f"DELETE /api/v1/sources/wrongpw removes its secret ({st})")
    call("POST", "/api/v1/sources", {"name": "switch", "kind": "postgresql", "dsn": dsn,
                                     "password": "switch-secret-1"})
    st, r = call("PATCH", "/api/v1/sources/switch", {"password_env": "PAGILA_PW"})
    check(st == 200 and "switch-secret-1" not in open(work + "/data/secrets.json").read(),
          f"a secret no longer used (now password_env) is removed ({st})")
    st, r = call("POST", "/api/v1/sources", {"name": "switch", "kind": "postgresql", "dsn": dsn,
                                             "password": "switch-secret-2"})
    check(st == 409 and "switch-secret-2" not in open(work + "/data/secrets.json").read(),
          f"registering an existing name again leaves its secret alone ({st})")

    # 2. A password inside a URI dsn is refused too, and never logged.
    for bad in [f"postgresql://almanac:UriSecret1@127.0.0.1:{pg_port}/pagila",
                f"postgresql://almanac@127.0.0.1:{pg_port}/pagila?password=UriSecret1",
                f"postgresql://almanac@127.0.0.1:{pg_port}/pagila?%70assword=UriSecret1"]:
        st, r = call("POST", "/api/v1/sources", {"name": "uri", "kind": "postgresql", "dsn": bad})
        check(st == 422 and "password" in r["error"]["message"] and "UriSecret1" not in json.dumps(r),
              f"a password in {bad.split('@')[0]}@...: 422 without echoing it ({st})")
    st, ev = call("GET", "/api/v1/events?from=0&max=100000")
    check("UriSecret1" not in json.dumps(ev), "no dsn password reached the event log")

    # 3. Compose refuses privileged roles (asked of PostgreSQL), unless allowed.
    marker = work + "/copy-to-program"
    st, r = call("POST", "/api/v1/sources", {"name": "su", "kind": "postgresql",
                                             "dsn": os.environ["PGTEST_DSN"]})
    check(st == 201, f"register a source that connects as the superuser ({st})")
    st, r = call("POST", "/api/v1/compose/execute",
                 {"source": "su", "sql": f"COPY (select 1) TO PROGRAM 'touch {marker}'"})
    msg = r["error"]["message"] if st >= 400 else ""
    check(st == 403 and "superuser" in msg and "'postgres'" in msg and "allow_privileged" in msg,
          f"Compose refuses a superuser source, saying why and how to allow it ({st} {msg})")
    check(not os.path.exists(marker), "COPY TO PROGRAM did not run")
    for sql in ["select pg_read_file('PG_VERSION')", "select pg_reload_conf()",
                "select pg_terminate_backend(pg_backend_pid())"]:
        st, r = call("POST", "/api/v1/compose/execute", {"source": "su", "sql": sql})
        check(st == 403, f"refused on the superuser source: {sql} ({st})")
    job = run_job("su", "extract")
    check(job["state"] == "succeeded", f"extraction still runs as the superuser ({job.get('error')})")
    st, r = call("POST", "/api/v1/schedules", {"cron": "0 3 * * *", "kind": "compose", "source": "su",
                                               "options": {"sql": "select 1"}})
    st, j = call("POST", f"/api/v1/schedules/{r['id']}/run")
    for _ in range(100):
        st, job = call("GET", "/api/v1/jobs/" + j["job"])
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    check(job["state"] == "failed" and "superuser" in (job["error"] or ""),
          f"a scheduled Compose query is refused too ({job['state']} {job.get('error')})")
    call("DELETE", f"/api/v1/schedules/{r['id']}")
    psql("DROP ROLE IF EXISTS almanac_files; CREATE ROLE almanac_files LOGIN PASSWORD '"
         + os.environ["PGTEST_PASSWORD"] + "' IN ROLE pg_read_server_files")
    st, r = call("POST", "/api/v1/sources", {"name": "files", "kind": "postgresql",
                                             "dsn": dsn.replace("user=almanac", "user=almanac_files"),
                                             "password_env": "PAGILA_PW"})
    st, r = call("POST", "/api/v1/compose/execute", {"source": "files", "sql": "select 1"})
    check(st == 403 and "pg_read_server_files" in r["error"]["message"],
          f"Compose refuses a member of pg_read_server_files ({st} {r})")
    st, r = call("PATCH", "/api/v1/sources/su", {"compose": {"allow_privileged": True}})
    check(st == 200, f"an admin allows Compose on the superuser source ({st} {r})")
    st, r = call("GET", "/api/v1/sources/su")
    check(r.get("compose") == {"allow_privileged": True}, f"the source shows it ({r.get('compose')})")
    st, r = call("POST", "/api/v1/compose/execute", {"source": "su", "sql": "select current_user"})
    check(st == 200 and r["rows"] == [["postgres"]], f"then Compose runs there ({st})")
    st, r = call("PATCH", "/api/v1/entities/urn%3Aalmanac%3Asource%3Afiles",
                 {"attributes": {"connection": {"compose": {"allow_privileged": True}}}}, token=steward)
    check(st == 400, f"a steward cannot allow it through the entity API ({st})")
    st, r = call("POST", "/api/v1/compose/execute",
                 {"source": "pagila", "sql": "LOCK TABLE film IN ACCESS EXCLUSIVE MODE"})
    check(st == 422 and "LOCK" in r["error"]["message"], f"Compose refuses LOCK ({st} {r})")
    st, r = call("POST", "/api/v1/compose/execute",
                 {"source": "su", "sql": "/* x */ lock film", "read_only": False})
    check(st == 422, f"also written otherwise, on an allowed source, outside read-only mode ({st})")
    st, r = call("POST", "/api/v1/compose/execute", {"source": "pagila", "sql": "select 'lock table film'"})
    check(st == 200, f"a query that only mentions LOCK runs ({st})")
finally:
    check.finish(node)
