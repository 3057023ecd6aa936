#!/usr/bin/env python3
"""Lineage accuracy through a running node (issue 13): query-log lines with
their context (source, database, search_path, user) against catalogs
registered through the HTTP API, as a user's query log meets a user's
catalog. Each case's QueryObserved event must name exactly the expected
tables (as URNs: name resolution, view kinds) and give each expected column
exactly its upstream columns (the `outputs` of a SELECT, the
`column_lineage` of a write).

  catalog_accuracy.py ALMANACD CASES_DIR BEST_JSON [--update] [--report FILE]
                      [--only TEXT]

CASES_DIR holds catalogs (`*.fixture.json`) and cases (`*.jsonl`); see
CASES_DIR/README.md for both formats and where each case came from. Prints
the failing cases with the reason and the scores; exits 1 if a score is
below the best recorded under "catalog_cases" in BEST_JSON (--update
records a better one).
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "process"))
from almanac_node import Node  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("almanacd")
ap.add_argument("cases_dir")
ap.add_argument("best_json")
ap.add_argument("--update", action="store_true")
ap.add_argument("--report")
ap.add_argument("--only", help="run only the cases whose id contains this")
args = ap.parse_args()


def enc(part):
    """A name as a URN part: bytes the URN scheme reserves percent-encoded
    (messages/urn.cpp)."""
    out = ""
    for b in part.encode():
        out += f"%{b:02X}" if b <= 0x20 or b == 0x7F or chr(b) in "./%" else chr(b)
    return out


def table_urn(x):
    """'table:src.schema.name' or 'view:...' -> its URN."""
    kind, name = x.split(":", 1)
    return f"urn:almanac:{kind}:" + ".".join(enc(p) for p in name.split(".", 2))


def column_urn(x):
    """'src.schema.table.column' -> its URN (the column may hold dots)."""
    return "urn:almanac:column:" + ".".join(enc(p) for p in x.split(".", 3))


def load_fixtures():
    sources, relations = [], {}
    for path in sorted(glob.glob(os.path.join(args.cases_dir, "*.fixture.json"))):
        f = json.load(open(path))
        sources += f.get("sources", [])
        relations.update(f.get("relations", {}))
    return sources, relations


def load_cases():
    cases = []
    for path in sorted(glob.glob(os.path.join(args.cases_dir, "*.jsonl"))):
        for n, line in enumerate(open(path), 1):
            if line.strip():
                c = json.loads(line)
                c["_file"] = f"{os.path.basename(path)}:{n}"
                cases.append(c)
    if args.only:
        cases = [c for c in cases if args.only in c["id"]]
    ids = [c["id"] for c in cases]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise SystemExit(f"duplicate case ids: {sorted(dup)}")
    return cases


def register(node, sources, relations):
    for s in sources:
        path = os.path.join(node.work, s["name"] + ".db")
        open(path, "w").close()
        body = {"name": s["name"], "kind": "sqlite", "path": path}
        for k in ("database", "search_path"):
            if s.get(k):
                body[k] = s[k]
        st, r = node.call("POST", "/api/v1/sources", body)
        if st != 201:
            raise SystemExit(f"cannot register source {s['name']}: {st} {r}")
    schemas = set()
    for rel in relations:
        kind, name = rel.split(":", 1)
        src, schema, _ = name.split(".", 2)
        schemas.add(f"{src}.{schema}")
    for s in sorted(schemas):
        node.call("POST", "/api/v1/entities", {"urn": "urn:almanac:schema:" + s, "kind": "schema"})
    for rel, cols in relations.items():
        kind, name = rel.split(":", 1)
        st, r = node.call("POST", "/api/v1/entities", {"urn": table_urn(rel), "kind": kind})
        if st != 201:
            raise SystemExit(f"cannot register {rel}: {st} {r}")
        for i, col in enumerate(cols):
            st, r = node.call("POST", "/api/v1/entities",
                              {"urn": column_urn(f"{name}.{col}"), "kind": "column",
                               "attributes": {"ordinal": i + 1}})
            if st != 201:
                raise SystemExit(f"cannot register column {name}.{col}: {st} {r}")


def observe(node, cases):
    """The QueryObserved payload of each case, in order."""
    st, log = node.call("GET", "/api/v1/admin/log")
    start = log["end_offset"]
    lines = []
    for c in cases:
        line = {"sql": c["sql"], "source": c["source"]}
        for k in ("database", "search_path", "user"):
            if k in c:
                line[k] = c[k]
        lines.append(json.dumps(line))
    st, r = node.call("POST", "/api/v1/queries", "\n".join(lines))
    if st != 202 or r["accepted"] != len(cases):
        raise SystemExit(f"the upload was refused: {st} {r}")
    out, frm = [], start
    while len(out) < len(cases):
        st, page = node.call("GET", f"/api/v1/events?from={frm}&max=1000&wait_ms=2000")
        if st != 200 or not page["events"]:
            raise SystemExit(f"only {len(out)} of {len(cases)} QueryObserved events came")
        out += [e["payload"] for e in page["events"] if e["type"] == "QueryObserved"]
        frm = page["next"]
    return out


def as_map(entries, key):
    m = {}
    for e in entries:
        if e["sources"]:
            m.setdefault(e[key], set()).update(e["sources"])
    return m


def judge(c, ev):
    """(tables ok or None if unchecked, [(column, ok)], reasons)."""
    reasons = []
    if ev.get("parse_error"):
        reasons.append(f"parse error: {ev['parse_error']}")
    tables_ok = None
    for key in ("tables_read", "tables_written"):
        if key in c:
            want = {table_urn(x) for x in c[key]}
            got = set(ev.get(key, []))
            ok = want == got
            tables_ok = ok if tables_ok is None else tables_ok and ok
            if not ok:
                reasons.append(f"{key}: missing {sorted(want - got)}, extra {sorted(got - want)}")
    columns = []
    for key, field, name in (("outputs", "outputs", "name"),
                             ("column_lineage", "column_lineage", "target")):
        if key not in c:
            continue
        want = {(k if key == "outputs" else column_urn(k)): {column_urn(s) for s in v}
                for k, v in c[key].items()}
        got = as_map(ev.get(field, []), name)
        for col in sorted(set(want) | set(got)):
            ok = want.get(col) == got.get(col)
            columns.append((col, ok))
            if not ok:
                reasons.append(f"{key} {col}: expected {sorted(want.get(col, []))}, "
                               f"got {sorted(got.get(col, []))}")
    return tables_ok, columns, reasons


node = Node(args.almanacd, "almanac-lineage-accuracy-")
failed = False
try:
    sources, relations = load_fixtures()
    register(node, sources, relations)
    cases = load_cases()
    events = observe(node, cases)
    t_ok = t_all = c_ok = c_all = cases_ok = 0
    report = []
    by_class = {}
    for c, ev in zip(cases, events):
        tables_ok, columns, reasons = judge(c, ev)
        if tables_ok is not None:
            t_all += 1
            t_ok += tables_ok
        c_all += len(columns)
        c_ok += sum(ok for _, ok in columns)
        good = not reasons
        cases_ok += good
        k = by_class.setdefault(c.get("class", "other"), [0, 0])
        k[0] += good
        k[1] += 1
        if not good:
            report.append(f"- `{c['id']}` ({c['_file']}): " + "; ".join(reasons))
    text = f"Failing cases ({len(report)} of {len(cases)}):\n\n" + "\n".join(report) + "\n"
    print(text)
    for cls, (good, n) in sorted(by_class.items()):
        print(f"  {cls}: {good}/{n} cases")
    print(f"tables: {t_ok}/{t_all} statements with exactly the right tables")
    print(f"columns: {c_ok}/{c_all} columns with exactly their upstreams")
    print(f"cases: {cases_ok}/{len(cases)} exactly right")
    if args.report:
        open(args.report, "w").write(text)
    if not args.only:
        best_all = json.load(open(args.best_json)) if os.path.exists(args.best_json) else {}
        best = best_all.get("catalog_cases", {})
        print(f"best so far: tables {best.get('tables', 0)}, columns {best.get('columns', 0)}, "
              f"cases {best.get('cases', 0)}")
        if (t_ok < best.get("tables", 0) or c_ok < best.get("columns", 0)
                or cases_ok < best.get("cases", 0)):
            print(f"FAILED: accuracy dropped below the best recorded in {args.best_json}")
            failed = True
        elif (t_ok, c_ok, cases_ok) != (best.get("tables"), best.get("columns"), best.get("cases")):
            if args.update:
                best_all["catalog_cases"] = {"tables": t_ok, "tables_total": t_all,
                                             "columns": c_ok, "columns_total": c_all,
                                             "cases": cases_ok, "cases_total": len(cases)}
                with open(args.best_json, "w") as f:
                    f.write(json.dumps(best_all, indent=2, sort_keys=True) + "\n")
                print(f"recorded the new best in {args.best_json}")
            else:
                print(f"changed: run with --update to record it in {args.best_json}")
finally:
    node.stop()
sys.exit(1 if failed else 0)
