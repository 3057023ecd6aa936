#!/usr/bin/env python3
"""Profiles and curation against pagila (issue 10 items 14.3-14.5 and 12):
a sampled table reports its real row count and no exact distinct counts; a
re-profile that finds nothing new appends no event; stewards must be
existing users (API and CLI); columns that look like personal data keep no
raw values unless an admin allows it per column, and film.title keeps its
top values.
usage: scripts/pg-test run -- profiles_test.py ALMANACD ALMANAC"""
import os
import subprocess
import sys
import urllib.parse

from almanac_node import Checks, Node

almanacd, almanac = sys.argv[1], sys.argv[2]
node = Node(almanacd, "almanac-profiles-", env={"PAGILA_PW": os.environ["PGTEST_PASSWORD"]},
            token="profiles-admin")
check = Checks()
call = node.call


def q(urn):
    return urllib.parse.quote(urn, safe="")


def entity(urn, min_offset=0):
    return call("GET", f"/api/v1/entities/{q(urn)}?min_offset={min_offset}")


def run_job(kind, body=None):
    return node.run_job("pagila", kind, body)


def psql_one(sql):
    out = subprocess.run(["psql", "-At", "-c", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def log_end():
    return call("GET", "/api/v1/admin/log")[1]["end_offset"]


def edits_since(offset):
    st, ev = call("GET", f"/api/v1/events?from={offset}&max=10000&types=EntityEdited")
    return ev["events"]


def profile_of(column, min_offset):
    st, col = entity("urn:almanac:column:pagila.public." + column, min_offset)
    assert st == 200, (st, col)
    return col.get("profile", {})


try:
    st, j = call("POST", "/api/v1/sources", {"name": "pagila", "kind": "postgresql",
                                             "dsn": os.environ["PGTEST_TCP_DSN"],
                                             "password_env": "PAGILA_PW"})
    check(st == 201, f"register pagila ({st} {j})")
    job = run_job("extract")
    check(job["state"] == "succeeded", f"extract pagila ({job.get('error')})")
    job = run_job("profile")
    check(job["state"] == "succeeded" and job["result"]["columns"] > 100,
          f"profile every table ({job.get('result') or job.get('error')})")
    at = job["result"]["offset"]

    # 14.3: payment (16,049 rows) is sampled; its profile tells the table.
    count = int(psql_one("select count(*) from payment"))
    pid = profile_of("payment.payment_id", at)
    check(pid.get("sampled") is True and pid.get("sample_size") == 10000
          and pid.get("row_count") == count and pid.get("distinct_exact") is False,
          f"a sampled profile reports the real row count {count} and no exact distinct count "
          f"(row_count {pid.get('row_count')}, sample_size {pid.get('sample_size')}, "
          f"distinct_exact {pid.get('distinct_exact')})")
    amount = profile_of("payment.amount", at)
    check(amount.get("distinct_exact") is False and amount.get("distinct_method") == "sample_estimate"
          and amount.get("sample_distinct_count", 0) <= amount.get("distinct_count", -1),
          f"distinct counts of a sample are estimates ({amount.get('distinct_count')}, "
          f"{amount.get('distinct_method')})")
    title = profile_of("film.title", at)
    check(title.get("sampled") is False and title.get("distinct_exact") is True
          and title.get("row_count") == 1000, "a table read in full keeps exact figures")

    # 14.4: a second profile of an unchanged database appends no event.
    before = log_end()
    job = run_job("profile")
    edits = edits_since(before)
    res = job.get("result", {})
    check(job["state"] == "succeeded" and len(edits) == 0 and res.get("columns") == 0
          and res.get("unchanged", 0) > 100,
          f"a re-profile with nothing new appends no EntityEdited event ({len(edits)} appended, "
          f"result {job.get('result')})")
    # ...but a change does.
    subprocess.run(["psql", "-q", "-c", "update film set rental_rate = 9.99 where film_id = 1"],
                   check=True)
    before = log_end()
    job = run_job("profile", {"tables": ["public.film"]})
    keys = sorted({e["key"] for e in edits_since(before)})
    check(job["state"] == "succeeded" and "urn:almanac:column:pagila.public.film.rental_rate" in keys,
          f"a changed column is profiled again ({keys})")

    # 12: personal data has no raw values; film.title keeps them.
    email = profile_of("customer.email", at)
    first = profile_of("customer.first_name", at)
    phone = profile_of("address.phone", at)
    for name, p, kind in (("customer.email", email, "email"), ("customer.first_name", first, "name"),
                          ("address.phone", phone, "phone")):
        check(p.get("pii", {}).get("kind") == kind and p.get("top_values") == []
              and p.get("min") is None and p.get("max") is None
              and p.get("distinct_count", 0) > 0 and p.get("null_fraction") is not None
              and isinstance(p.get("length"), dict),
              f"{name} is marked {kind} and keeps counts and lengths but no raw values "
              f"({p.get('pii')}, top {p.get('top_values')}, min {p.get('min')})")
    st, raw = node.raw("GET", "/api/v1/entities/" + q("urn:almanac:column:pagila.public.customer.email"))
    check(b"sakilacustomer.org" not in raw, "no e-mail address appears in the column's entity")
    check(len(title.get("top_values", [])) == 10 and "pii" not in title
          and title.get("min") == "ACADEMY DINOSAUR", "film.title keeps its top values and min/max")

    # An admin may allow raw values per column; a steward may not.
    st, u = call("POST", "/api/v1/users", {"user": "stu", "role": "steward"})
    check(st == 201, f"create a steward ({st})")
    urn = "urn:almanac:column:pagila.public.customer.email"
    st, r = call("PATCH", f"/api/v1/entities/{q(urn)}", {"profile_raw_values": True},
                 token=u["token"])
    check(st == 403 and "admin" in r["error"]["message"], f"a steward cannot allow raw values ({st} {r})")
    st, r = call("PATCH", f"/api/v1/entities/{q('urn:almanac:table:pagila.public.customer')}",
                 {"profile_raw_values": True})
    check(st == 422, f"only a column takes profile_raw_values ({st} {r})")
    st, r = call("PATCH", f"/api/v1/entities/{q(urn)}", {"profile_raw_values": True})
    check(st == 200 and r.get("changed") is True, f"an admin allows raw values of customer.email ({st} {r})")
    job = run_job("profile", {"tables": ["public.customer"]})
    allowed = profile_of("customer.email", job["result"]["offset"])
    check(allowed.get("pii", {}).get("raw_values") is True and len(allowed.get("top_values", [])) == 10
          and "@" in (allowed.get("min") or ""),
          f"the next profile keeps the allowed column's raw values ({allowed.get('pii')})")
    check(profile_of("customer.first_name", job["result"]["offset"]).get("min") is None,
          "other personal columns stay without raw values")
    st, r = call("PATCH", f"/api/v1/entities/{q(urn)}", {"profile_raw_values": False})
    st, col = entity(urn, r.get("offset", 0))
    check(st == 200 and "profile" not in col and "profile_raw_values" not in col,
          "withdrawing the allowance drops the stored raw values at once")

    # 14.5: stewards are existing users.
    turn = "urn:almanac:table:pagila.public.film"
    st, r = call("PATCH", f"/api/v1/entities/{q(turn)}", {"stewards": ["nobody"]})
    check(st == 422 and "nobody" in r["error"]["message"],
          f"PATCH with an unknown steward is refused naming the user ({st} {r})")
    cli = subprocess.run([almanac, "entity", "edit", turn, "--stewards", "nobody"],
                         env=dict(os.environ, ALMANAC_SERVER=f"http://127.0.0.1:{node.port}",
                                  ALMANAC_TOKEN=node.token),
                         capture_output=True, text=True, timeout=60)
    check(cli.returncode != 0 and "nobody" in cli.stderr,
          f"the CLI's --stewards nobody fails naming the user ({cli.returncode}: {cli.stderr.strip()})")
    st, r = call("PATCH", f"/api/v1/entities/{q(turn)}", {"stewards": ["stu"]})
    st2, film = entity(turn, r.get("offset", 0))
    check(st == 200 and film.get("stewards") == ["stu"], f"an existing user can be a steward ({st} {r})")
finally:
    check.finish(node)
