#!/usr/bin/env python3
"""High availability: a divergent tail, and the ha.* settings a node
refuses (issue 12).

1. Settings: each bad replication setting stops the node at start-up with
   exit 2 and a message naming the setting, never the secret.
2. Divergence (async mode): a partition (a TCP proxy the test controls)
   between primary E and standby F; E acknowledges writes F never gets; F
   is promoted and takes writes of its own; E is killed and restarted as
   F's standby. E must truncate exactly its divergent records (the ones
   after F's promotion offset), follow, and end byte-identical to F with
   equal projection digests; the edits only E had are gone from it.

  usage: ha_divergence_test.py ALMANACD
"""

import argparse
import os
import re
import subprocess
import tempfile

from almanac_node import Checks, Node, quiet_port
from ha_common import PROJECTIONS, digests_at_end, log_end, q, segment_digests
from ha_common import wait_for as wait_until
from tcp_proxy import Proxy

ap = argparse.ArgumentParser()
ap.add_argument("almanacd")
args = ap.parse_args()

check = Checks()
SECRET = "divergence test secret, 32 bytes"
ENV = {"ALMANAC_HA_SECRET": SECRET}
TABLES = [f"urn:almanac:table:shop.s.t{i}" for i in range(8)]
nodes = []


def wait_for(what, cond, timeout=60):
    return wait_until(check, what, cond, timeout)


def refused(flags, env, expect):
    """almanacd with `flags` exits 2 naming `expect`, without the secret."""
    work = tempfile.mkdtemp(prefix="almanac-hacfg-")
    e = dict(os.environ, ALMANAC_ADMIN_TOKEN="t")
    e.pop("ALMANAC_HA_SECRET", None)
    e.update(env)
    r = subprocess.run([args.almanacd, "--data-dir", work + "/data", "--http-listen",
                        f"127.0.0.1:{quiet_port()}", *flags],
                       capture_output=True, text=True, env=e, timeout=30)
    out = r.stdout + r.stderr
    check(r.returncode == 2 and expect in out and SECRET not in out,
          f"{' '.join(flags)[:70]}: exit 2 naming '{expect}' (exit {r.returncode}: "
          f"{out.strip()[-200:]})")


def patch(node, urn, desc):
    return node.call("PATCH", "/api/v1/entities/" + q(urn), {"description": desc})


ALMANACD = args.almanacd
try:
    # -- 1. settings ---------------------------------------------------------
    listen = ["--ha-listen", "127.0.0.1:1"]
    refused(["--node-role", "standby"], ENV, "a standby needs ha.primary")
    refused(["--ha-primary", "127.0.0.1:1"], ENV, "ha.primary is set on a primary")
    refused(listen, {}, "replication needs a secret")
    refused(listen, {"ALMANAC_HA_SECRET": "short"}, "at least 16 bytes")
    refused(["--ha-listen", "nowhere"], ENV, "is not HOST:PORT")
    refused(["--node-role", "standby", "--ha-primary", "127.0.0.1"], ENV, "is not HOST:PORT")
    refused(["--ha-mode", "eventual", *listen], ENV, "ha.mode")
    refused(["--ha-mode", "sync"], ENV, "ha.mode sync needs ha.listen")
    secret_dir = tempfile.mkdtemp(prefix="almanac-hasecret-")
    loose = os.path.join(secret_dir, "loose")
    with open(loose, "w") as f:
        f.write(SECRET + "\n")
    os.chmod(loose, 0o644)
    refused([*listen, "--ha-secret-file", loose], {}, "readable by others: chmod 600")
    refused([*listen, "--ha-secret-file", os.path.join(secret_dir, "absent")], {},
            "cannot be read")
    empty = os.path.join(secret_dir, "empty")
    open(empty, "w").close()
    os.chmod(empty, 0o600)
    refused([*listen, "--ha-secret-file", empty], {}, "is empty")

    # -- 2. divergence -------------------------------------------------------
    ha_e, ha_f = quiet_port(), quiet_port()
    e = Node(ALMANACD, "almanac-div-e-", env=dict(ENV, DIV_PG_PASSWORD="pw"), port=quiet_port(),
             args=["--ha-listen", f"127.0.0.1:{ha_e}", "--ha-name", "e"])
    nodes.append(e)
    proxy = Proxy(ha_e)
    f = Node(ALMANACD, "almanac-div-f-", env=ENV, port=quiet_port(),
             args=["--ha-listen", f"127.0.0.1:{ha_f}", "--ha-name", "f", "--node-role",
                   "standby", "--ha-primary", f"127.0.0.1:{proxy.port}"])
    nodes.append(f)
    lite = os.path.join(e.work, "shop.db")
    open(lite, "w").close()
    e.call("POST", "/api/v1/sources", {"name": "shop", "kind": "sqlite", "path": lite})
    e.call("POST", "/api/v1/entities", {"urn": "urn:almanac:schema:shop.s", "kind": "schema"})
    for urn in TABLES:
        e.call("POST", "/api/v1/entities", {"urn": urn, "kind": "table", "description": "agreed"})
    # A password from a variable only e has: f's status names the source.
    st, r = e.call("POST", "/api/v1/sources", {"name": "pg", "kind": "postgresql",
                                               "dsn": "host=127.0.0.1 dbname=x user=u",
                                               "password_env": "DIV_PG_PASSWORD"})
    check(st == 201, f"register a source whose password is in e's environment ({st} {r})")
    end = log_end(e)
    wait_for("f follows e", lambda: log_end(f) == end)
    missing = wait_for("f's status lists the source whose password it lacks",
                       lambda: f.call("GET", "/monitor/replication")[1].get(
                           "sources_without_password"))
    check(missing == ["pg"], f"only pg is listed, not the SQLite source ({missing})")
    st, mon = e.call("GET", "/monitor/replication")
    check("sources_without_password" not in mon, "e has every password")

    proxy.partition()
    wait_for("e sees f disconnected",
             lambda: e.call("GET", "/monitor/replication")[1]["f"]["state"] == "disconnected")
    for i in range(7):
        st, _ = patch(e, TABLES[i], f"only on e {i}")
        check(st == 200, f"e (async) acknowledges divergent write {i} ({st})")
    e_end = log_end(e)
    st, p = f.call("POST", "/api/v1/admin/promote")
    check(st == 200 and p["offset"] == end, f"f promoted at offset {end} ({st} {p})")
    for i in range(5):
        st, _ = patch(f, TABLES[i], f"on f {i}")
        check(st == 200, f"the new primary f takes write {i} ({st})")
    e.proc.kill()
    e.proc.wait()
    proxy.close()
    e.args = ["--ha-listen", f"127.0.0.1:{ha_e}", "--ha-name", "e", "--node-role", "standby",
              "--ha-primary", f"127.0.0.1:{ha_f}"]
    e._start()
    f_end = log_end(f)
    wait_for("e rejoins as f's standby and catches up",
             lambda: log_end(e) == f_end
             and f.call("GET", "/monitor/replication")[1]["e"]["state"] == "streaming", 90)
    divergent = e_end - end
    m = re.search(r"truncating (\d+) records", e.log_tail(10 ** 6))
    check(m and int(m.group(1)) == divergent,
          f"e truncated exactly its {divergent} divergent records ({m and m.group(0)})")
    check(segment_digests(e) == segment_digests(f), "e's log is byte-identical to f's")
    for name in PROJECTIONS:
        df, de = digests_at_end(check, f, e, name)
        check(de and df and de["digest"] == df["digest"], f"{name} on e equals f's")
    for i in range(7):
        st, ent = e.call("GET", "/api/v1/entities/" + q(TABLES[i]))
        want = f"on f {i}" if i < 5 else "agreed"
        check(ent["description"] == want,
              f"{TABLES[i]} on e is f's ({ent['description']!r}, want {want!r})")
    st, r = e.call("PATCH", "/api/v1/entities/" + q(TABLES[0]), {"description": "x"})
    check(st == 503 and r["error"]["code"] == "read_only", f"e is a standby now ({st})")
finally:
    if check.failures:
        for n in nodes:
            print(f"--- node {n.work} (exit {n.proc.poll()})")
            print(n.log_tail(4000))
    for n in nodes[1:]:
        n.stop()
    check.finish(nodes[0] if nodes else None)
