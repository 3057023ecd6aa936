"""Pieces the high-availability process tests share: URN quoting, waiting
for a condition, a node's log end, digests of its segment files and of its
projections at a checkpoint."""
import glob
import hashlib
import os
import time
import urllib.parse

PROJECTIONS = ["catalog_state", "lineage", "search", "event_counts"]


def q(urn):
    return urllib.parse.quote(urn, safe="")


def wait_for(check, what, cond, timeout=60):
    """cond()'s first true value, polling every 50 ms; a failed check
    naming `what` if none comes within `timeout` s (a node that does not
    answer yet counts as false)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = cond()
        except (OSError, KeyError, TypeError):
            v = None
        if v:
            return v
        time.sleep(0.05)
    check(False, f"{what} (timed out after {timeout} s)")
    return None


def segment_digests(node):
    """{segment file name: SHA-256} of a node's log."""
    out = {}
    for p in sorted(glob.glob(os.path.join(node.work, "data", "log", "*.log"))):
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        out[os.path.basename(p)] = h.hexdigest()
    return out


def log_end(node):
    return node.call("GET", "/api/v1/admin/log")[1]["end_offset"]


def projection_digest_at(node, name, end):
    """The digest of projection `name` once its checkpoint is `end`, else None."""
    d = node.call("GET", f"/api/v1/admin/projections/{name}/digest")[1]
    return d if d["checkpoint"] == end else None
