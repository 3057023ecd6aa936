"""Pieces the high-availability process tests share: URN quoting, waiting
for a condition, a node's log end, digests of its segment files and of its
projections at the log's end."""
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


def digests_at_end(check, primary, other, name, timeout=60):
    """(primary's digest, other's digest) of projection `name` once both
    are at the primary's log end, read again on every try: usage the
    test's own reads caused (EntityViewed, SearchPerformed) is appended
    later, at the usage actor's next flush, and moves the end. (None, None)
    and a failed check if that never happens within `timeout` s."""
    def both():
        end = log_end(primary)
        a = primary.call("GET", f"/api/v1/admin/projections/{name}/digest")[1]
        b = other.call("GET", f"/api/v1/admin/projections/{name}/digest")[1]
        return (a, b) if a["checkpoint"] == b["checkpoint"] == end else None
    got = wait_for(check, f"{name} at the log's end on both nodes", both, timeout)
    return got if got else (None, None)
