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
    st, r = node.call("POST", "/api/v1/queries?source=shop",
                      json.dumps({"sql": "select 1", "search_path": 3}))
    check(st == 400 and "search_path" in r["error"]["message"],
          f"a search_path that is not a string is refused ({st} {r})")
finally:
    check.finish(node)
