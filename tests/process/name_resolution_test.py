#!/usr/bin/env python3
"""Name resolution of query-log SQL (issue 13, docs/lineage.md), through
the HTTP API of a real node with SQLite sources registered as the catalog.

- db.schema.table whose db is the source's database (its `database`
  setting, or the dsn's dbname) is the source's own table: never the
  mangled `SRC.db.schema%2Etable`; `*` expands through such a name.
- db.schema.table whose db is another source resolves into that source.
- db.schema.table naming neither stays in the query's source and is listed
  in the event's `unresolved_tables`.
- One-part names follow the search_path: the line's `search_path`, else the
  source's; the first schema holding the relation wins.
- CREATE VIEW yields a view URN.
- A bad search_path is refused by the sources API.

  usage: name_resolution_test.py ALMANACD
"""
import os
import sys
import urllib.parse

from almanac_node import Checks, Node

check = Checks()
node = Node(sys.argv[1], "almanac-names-")


def q(urn):
    return urllib.parse.quote(urn, safe="")


def ingest(line):
    """The QueryObserved event of one query-log line."""
    st, log = node.call("GET", "/api/v1/admin/log")
    start = log["end_offset"]
    st, r = node.call("POST", "/api/v1/queries?source=shop", line)
    check(st == 202, f"ingest {line[:60]} ({st} {r})")
    st, page = node.call("GET", f"/api/v1/events?from={start}&max=100")
    evs = [e for e in page["events"] if e["type"] == "QueryObserved"]
    return evs[-1]["payload"] if evs else {}


try:
    import json
    for name in ("shop", "warehouse"):
        path = os.path.join(node.work, name + ".db")
        open(path, "w").close()
        body = {"name": name, "kind": "sqlite", "path": path}
        if name == "shop":
            body.update({"database": "shopdb", "search_path": "sales, public"})
        st, r = node.call("POST", "/api/v1/sources", body)
        check(st == 201, f"register source {name} ({st} {r})")
    st, src = node.call("GET", "/api/v1/sources/shop")
    check(src.get("database") == "shopdb" and src.get("search_path") == "sales, public",
          f"the source shows its database and search_path ({src})")
    st, r = node.call("PATCH", "/api/v1/sources/warehouse", {"search_path": "\"unbalanced"})
    check(st in (400, 422) and "search_path" in r["error"]["message"],
          f"an unbalanced search_path is refused ({st} {r})")
    for urn, kind in [("urn:almanac:schema:shop.sales", "schema"),
                      ("urn:almanac:schema:shop.public", "schema"),
                      ("urn:almanac:table:shop.sales.orders", "table"),
                      ("urn:almanac:table:shop.public.items", "table"),
                      ("urn:almanac:schema:warehouse.dw", "schema"),
                      ("urn:almanac:table:warehouse.dw.facts", "table")]:
        st, r = node.call("POST", "/api/v1/entities", {"urn": urn, "kind": kind})
        check(st == 201, f"register {urn} ({st} {r})")
    for i, col in enumerate(["id", "total"]):
        st, r = node.call("POST", "/api/v1/entities",
                          {"urn": f"urn:almanac:column:shop.sales.orders.{col}", "kind": "column",
                           "attributes": {"ordinal": i + 1}})
        check(st == 201, f"register column {col} ({st} {r})")

    e = ingest(json.dumps({"sql": "select * from shopdb.sales.orders"}))
    check(e.get("tables_read") == ["urn:almanac:table:shop.sales.orders"],
          f"db.schema.table in the source's database is its own table ({e.get('tables_read')})")
    check(sorted(e.get("columns_read", [])) == ["urn:almanac:column:shop.sales.orders.id",
                                                "urn:almanac:column:shop.sales.orders.total"],
          f"* expands through a three-part name ({e.get('columns_read')})")
    e = ingest(json.dumps({"sql": "insert into shop.sales.archive select id, total "
                                  "from shopdb.sales.orders"}))
    check(e.get("tables_written") == ["urn:almanac:table:shop.sales.archive"]
          and e.get("table_lineage") == [{"from": "urn:almanac:table:shop.sales.orders",
                                          "to": "urn:almanac:table:shop.sales.archive"}],
          f"the source's own name as db ({e.get('tables_written')}, {e.get('table_lineage')})")
    e = ingest(json.dumps({"sql": "select id from warehouse.dw.facts"}))
    check(e.get("tables_read") == ["urn:almanac:table:warehouse.dw.facts"]
          and not e.get("unresolved_tables"),
          f"another source's database resolves into it ({e.get('tables_read')})")
    e = ingest(json.dumps({"sql": "select 1 from elsewhere.s.t"}))
    check(e.get("tables_read") == ["urn:almanac:table:shop.s.t"]
          and e.get("unresolved_tables") == ["elsewhere.s.t"],
          f"an unknown database stays in the source, listed ({e.get('tables_read')}, "
          f"{e.get('unresolved_tables')})")
    e = ingest(json.dumps({"sql": "select 1 from orders"}))
    check(e.get("tables_read") == ["urn:almanac:table:shop.sales.orders"],
          f"one-part names follow the source's search_path ({e.get('tables_read')})")
    e = ingest(json.dumps({"sql": "select 1 from items"}))
    check(e.get("tables_read") == ["urn:almanac:table:shop.public.items"],
          f"the first search_path schema holding it wins ({e.get('tables_read')})")
    e = ingest(json.dumps({"sql": "select 1 from orders", "search_path": "public"}))
    check(e.get("tables_read") == ["urn:almanac:table:shop.public.orders"]
          and e.get("search_path") == "public",
          f"a line's search_path overrides the source's ({e.get('tables_read')})")
    e = ingest(json.dumps({"sql": "select 1 from other.s.t", "database": "other"}))
    check(e.get("tables_read") == ["urn:almanac:table:shop.s.t"]
          and not e.get("unresolved_tables"),
          f"a line's database names the source's own tables ({e.get('tables_read')})")
    e = ingest(json.dumps({"sql": "create view sales.recent as select id from orders"}))
    check(e.get("tables_written") == ["urn:almanac:view:shop.sales.recent"],
          f"CREATE VIEW yields a view ({e.get('tables_written')})")
    # Server logs: a session's SET search_path applies to its later
    # statements (and to no other session); RESET and SET LOCAL do not
    # carry on.
    def csv(session, message):
        msg = message.replace('"', '""')
        return (f'2026-11-01 10:00:00.000 UTC,"alice","shopdb",101,"127.0.0.1:5000",{session},1,'
                f'"SELECT","2026-11-01 10:00:00 UTC",3/1,0,LOG,00000,"{msg}",,,,,,,,,"psql"\n')

    def ingest_log(body, fmt):
        st, log = node.call("GET", "/api/v1/admin/log")
        start = log["end_offset"]
        st, r = node.call("POST", f"/api/v1/queries?source=shop&format={fmt}", body)
        check(st == 202, f"ingest a {fmt} ({st} {r})")
        st, page = node.call("GET", f"/api/v1/events?from={start}&max=100")
        return [e["payload"] for e in page["events"] if e["type"] == "QueryObserved"]

    evs = ingest_log("".join([
        csv("s1", "statement: SET search_path TO public"),
        csv("s1", "duration: 0.5 ms  statement: select 1 from orders"),
        csv("s2", "statement: select 2 from orders"),
        csv("s1", "statement: SET search_path = 'Sales', \"sales\""),
        csv("s1", "statement: select 3 from orders"),
        csv("s1", "statement: RESET search_path"),
        csv("s1", "statement: select 4 from orders"),
        csv("s2", "statement: SET LOCAL search_path TO public"),
        csv("s2", "statement: select 5 from orders"),
        csv("s3", "statement: SET search_path TO public; select 7 from orders"),
        csv("s3", "statement: /* app */ SET search_path TO E'sales' -- note"),
        csv("s3", "statement: select 8 from items"),
        csv("s3", "statement: DISCARD ALL"),
        csv("s3", "statement: select 9 from orders")]), "csvlog")
    by_sql = {e["sql"]: e for e in evs}
    want = {"select 1 from orders": ("urn:almanac:table:shop.public.orders", "public"),
            "select 2 from orders": ("urn:almanac:table:shop.sales.orders", None),
            "select 3 from orders": ("urn:almanac:table:shop.sales.orders", '"Sales", sales'),
            "select 4 from orders": ("urn:almanac:table:shop.sales.orders", None),
            "select 5 from orders": ("urn:almanac:table:shop.sales.orders", None),
            "SET search_path TO public; select 7 from orders":
                ("urn:almanac:table:shop.public.orders", "public"),
            "select 8 from items": ("urn:almanac:table:shop.sales.items", "sales"),
            "select 9 from orders": ("urn:almanac:table:shop.sales.orders", None)}
    for sql, (table, path) in want.items():
        e = by_sql.get(sql, {})
        check(e.get("tables_read") == [table] and (e.get("search_path") or None) == path,
              f"csvlog: '{sql}' resolves with its session's search_path {path} "
              f"({e.get('tables_read')}, {e.get('search_path')})")
    jl = [{"timestamp": "2026-11-01 10:00:01.000 UTC", "user": "bob", "dbname": "shopdb",
           "session_id": "j1", "message": "statement: set search_path to public"},
          {"timestamp": "2026-11-01 10:00:02.000 UTC", "user": "bob", "dbname": "shopdb",
           "session_id": "j1", "message": "statement: select 6 from orders"}]
    evs = ingest_log("\n".join(json.dumps(x) for x in jl), "jsonlog")
    e = next((x for x in evs if x["sql"] == "select 6 from orders"), {})
    check(e.get("tables_read") == ["urn:almanac:table:shop.public.orders"],
          f"jsonlog: the session's search_path applies too ({e.get('tables_read')})")

    # Self-edges are edges, with their evidence.
    e = ingest(json.dumps({"sql": "update sales.orders set total = total + 1"}))
    col = "urn:almanac:column:shop.sales.orders.total"
    st, g = node.call("GET", f"/api/v1/lineage/{q(col)}?level=column&direction=upstream")
    self_edges = [x for x in g.get("edges", []) if x["from"] == col and x["to"] == col]
    check(st == 200 and self_edges and self_edges[0]["evidence"][0]["kind"] == "query"
          and self_edges[0]["evidence"][0]["id"] == e.get("fingerprint"),
          f"UPDATE ... SET total = total + 1: total <- total, with the query as evidence "
          f"({st} {g.get('edges')})")
    e = ingest(json.dumps({"sql": "insert into sales.orders select * from sales.orders"}))
    tab = "urn:almanac:table:shop.sales.orders"
    st, g = node.call("GET", f"/api/v1/lineage/{q(tab)}?direction=downstream&depth=1")
    check(st == 200 and any(x["from"] == tab and x["to"] == tab for x in g.get("edges", []))
          and g.get("truncated") is False,
          f"INSERT INTO t SELECT ... FROM t: the table edge t -> t, not a cut walk "
          f"({g.get('edges')}, truncated {g.get('truncated')})")

    st, r = node.call("POST", "/api/v1/queries?source=shop",
                      json.dumps({"sql": "select 1", "search_path": 3}))
    check(st == 400 and "search_path" in r["error"]["message"],
          f"a search_path that is not a string is refused ({st} {r})")
finally:
    check.finish(node)
