#!/usr/bin/env python3
"""The job pool across node restarts (issue 10 item 14.1): job ids continue
after the highest ever given (no two JobSubmitted events share a key),
GET /api/v1/jobs lists the jobs of earlier runs with their outcome, and a job
running when the node was killed becomes failed and interrupted, recorded
once as a JobFinished event. Needs only a node and a SQLite file.
usage: jobs_test.py ALMANACD"""
import collections
import sqlite3
import sys
import time

from almanac_node import Checks, Node

node = Node(sys.argv[1], "almanac-jobs-")
check = Checks()
call = node.call


def extract():
    return node.run_job("lite")


def job_events():
    st, ev = call("GET", "/api/v1/events?from=0&max=10000&types=JobSubmitted,JobFinished")
    assert st == 200, (st, ev)
    return ev["events"]


def listed():
    st, j = call("GET", "/api/v1/jobs")
    assert st == 200, (st, j)
    return {x["id"]: x for x in j["jobs"]}


try:
    db = node.work + "/lite.db"
    c = sqlite3.connect(db)
    c.executescript("create table t (id integer primary key, name text);"
                    "insert into t values (1, 'a'), (2, 'b');")
    c.commit()
    c.close()
    st, j = call("POST", "/api/v1/sources", {"name": "lite", "kind": "sqlite", "path": db})
    check(st == 201, f"register a SQLite source ({st} {j})")
    first = extract()
    second = extract()
    check(first["id"] == "job-000001" and second["id"] == "job-000002"
          and first["state"] == second["state"] == "succeeded",
          f"two extractions before the restart ({first['id']} {first['state']}, "
          f"{second['id']} {second['state']})")

    # A compose job that runs for many seconds (a recursive count on SQLite).
    st, sched = call("POST", "/api/v1/schedules", {
        "cron": "0 3 * * *", "kind": "compose", "source": "lite",
        "options": {"sql": "with recursive c(x) as (select 1 union all select x + 1 from c "
                           "where x < 2000000000) select count(*) from c"}})
    check(st == 201, f"define a long scheduled query ({st} {sched})")
    for _ in range(100):
        st, r = call("POST", f"/api/v1/schedules/{sched['id']}/run")
        if st == 202:
            break
        time.sleep(0.05)
    check(st == 202, f"run it now ({st} {r})")
    slow = node.wait_job(r["job"], states=("running",))
    check(slow["id"] == "job-000003", f"the long job is running ({slow['id']})")

    node.restart(kill=True)

    jobs = listed()
    check({"job-000001", "job-000002", "job-000003"} <= set(jobs),
          f"after a SIGKILL and restart, GET /api/v1/jobs lists the earlier jobs ({sorted(jobs)})")
    check(jobs.get("job-000001", {}).get("state") == "succeeded"
          and jobs["job-000001"].get("result", {}).get("objects", 0) > 0,
          f"an earlier job keeps its outcome and result ({jobs.get('job-000001')})")
    interrupted = jobs.get("job-000003", {})
    check(interrupted.get("state") == "failed" and interrupted.get("interrupted") is True
          and "interrupted" in (interrupted.get("error") or ""),
          f"the job running at the kill is failed and interrupted ({interrupted})")
    third = extract()
    check(third["id"] == "job-000004" and third["state"] == "succeeded",
          f"the next job gets a new id ({third['id']}, {third['state']})")

    node.restart()
    jobs = listed()
    check(sorted(jobs) == ["job-000001", "job-000002", "job-000003", "job-000004"],
          f"after a second (graceful) restart all four jobs are listed ({sorted(jobs)})")
    check(jobs.get("job-000003", {}).get("interrupted") is True,
          "the interrupted job stays interrupted")
    fifth = extract()
    check(fifth["id"] == "job-000005", f"and ids still continue ({fifth['id']})")

    evs = job_events()
    submitted = collections.Counter(e["key"] for e in evs if e["type"] == "JobSubmitted")
    check(len(submitted) == 5 and max(submitted.values()) == 1,
          f"no two JobSubmitted events share a key ({dict(submitted)})")
    marks = [e for e in evs if e["type"] == "JobFinished" and e["payload"].get("interrupted")]
    check(len(marks) == 1 and marks[0]["key"] == "job:job-000003"
          and marks[0]["payload"].get("state") == "failed",
          f"the interruption is recorded once, as a JobFinished event ({marks})")
finally:
    check.finish(node)
