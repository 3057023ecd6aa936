#!/usr/bin/env python3
"""Process-level crash test of the catalog and the event stream.

Starts almanacd, registers a source, a schema and 1,000 tables, then edits
descriptions of random tables from 8 client threads, SIGKILLs the server
after a random 1-3 s of edits, restarts it on the same data directory and
edits on. Five short rounds follow that edit only 4 tables each and are
killed too; after each kill the editors first edit the tables edited last,
so that edits in flight at a kill meet edits of the same tables right after
the restart (a catalog validating against a projection that has not caught
up with the log hands out a version twice). Then checks:

  * every acknowledged registration exists;
  * no version or offset was acknowledged twice; every acknowledged edit is
    in its entity's history (same description, version, offset, user), the
    history's versions are 1..n and hold only descriptions clients wrote, and
    each entity's current state is its last acknowledged edit, or a later
    one whose answer a kill swallowed;
  * an SSE subscriber that ran the whole time, reconnecting after each kill
    with Last-Event-ID, received every offset of the log exactly once, with
    the same event data as a JSON long-poll read of the whole log.

  usage: catalog_kill_test.py ALMANACD [--seed N] [--tables N]
Python 3 standard library only.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

TOKEN = "catalog-kill-test-token"
EDITORS = 8


def fail(msg):
    raise AssertionError(msg)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def entity_path(urn, suffix=""):
    return "/api/v1/entities/" + urllib.parse.quote(urn, safe="") + suffix


class Client:
    """One keep-alive connection; reconnects after any error."""

    def __init__(self, port, timeout=15):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """Returns (status, parsed JSON). Raises OSError/HTTPException when
        the server is unreachable or the connection breaks."""
        h = {"Authorization": "Bearer " + TOKEN}
        if headers:
            h.update(headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                   timeout=self.timeout)
        try:
            self.conn.request(method, path, body=data, headers=h)
            resp = self.conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            fail("%s %s: %d with a body that is not JSON: %r"
                 % (method, path, resp.status, raw[:200]))

    def ok(self, method, path, body=None, expect=200, headers=None):
        try:
            status, doc = self.request(method, path, body, headers)
        except (OSError, http.client.HTTPException):
            if method != "GET":
                raise
            # A kept-alive connection the server closed: GETs may be resent.
            status, doc = self.request(method, path, body, headers)
        if status != expect:
            fail("%s %s: expected %d, got %d %s" % (method, path, expect, status, doc))
        return doc

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Node:
    def __init__(self, binary, data_dir, port, log_path):
        self.binary, self.data_dir, self.port = binary, data_dir, port
        self.log_path = log_path
        self.proc = None

    def start(self):
        env = dict(os.environ, ALMANAC_ADMIN_TOKEN=TOKEN)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--data-dir", self.data_dir,
             "--http-listen", "127.0.0.1:%d" % self.port],
            stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail("almanacd exited with %d at start" % self.proc.returncode)
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/health")
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status == 200 and json.loads(body).get("status") == "ok":
                    return
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.05)
        fail("almanacd did not become healthy within 20 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                rc = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("almanacd did not stop within 15 s of SIGTERM")
            if rc != 0:
                fail("almanacd exited with %d after SIGTERM" % rc)


class SseSubscriber(threading.Thread):
    """Reads GET /api/v1/events as server-sent events from offset 0 and, when
    the connection breaks, reconnects with Last-Event-ID = the id of the last
    event it dispatched. Records (id, event type) of every event."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.events = []          # [(id, type)] in arrival order
        self.docs = {}            # id -> the event's data (JSON)
        self.connections = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.error = None

    def last_id(self):
        with self.lock:
            return self.events[-1][0] if self.events else None

    def run(self):
        try:
            while not self.stopping.is_set():
                try:
                    self.stream_once()
                except (OSError, http.client.HTTPException):
                    pass
                if not self.stopping.is_set():
                    time.sleep(0.05)
        except Exception as e:  # surfaced by the main thread
            self.error = e

    def stream_once(self):
        headers = {"Authorization": "Bearer " + TOKEN,
                   "Accept": "text/event-stream"}
        last = self.last_id()
        path = "/api/v1/events?from=0"
        if last is not None:
            headers["Last-Event-ID"] = str(last)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            if resp.status != 200:
                fail("SSE: status %d: %r" % (resp.status, resp.read()[:300]))
            ctype = resp.getheader("Content-Type", "")
            if "text/event-stream" not in ctype:
                fail("SSE: Content-Type %r" % ctype)
            with self.lock:
                self.connections += 1
            ev_id, ev_type, data = None, None, []
            while not self.stopping.is_set():
                line = resp.readline()
                if not line:
                    return  # the server went away
                if not line.endswith(b"\n"):
                    return  # torn line at a broken connection: not dispatched
                line = line.rstrip(b"\r\n").decode()
                if line == "":
                    if ev_id is not None:
                        doc = json.loads("\n".join(data))
                        if doc.get("offset") != ev_id:
                            fail("SSE: id %d carries offset %s" % (ev_id, doc.get("offset")))
                        with self.lock:
                            self.events.append((ev_id, ev_type))
                            self.docs[ev_id] = doc
                    ev_id, ev_type, data = None, None, []
                elif line.startswith(":"):
                    continue
                else:
                    field, _, value = line.partition(":")
                    if value.startswith(" "):
                        value = value[1:]
                    if field == "id":
                        ev_id = int(value)
                    elif field == "event":
                        ev_type = value
                    elif field == "data":
                        data.append(value)
        finally:
            conn.close()


def read_whole_log(client, docs=None):
    """JSON long poll from offset 0 to the end: [(offset, type)]; fills
    docs (offset -> event) if given."""
    out, nxt = [], 0
    while True:
        doc = client.ok("GET", "/api/v1/events?from=%d&max=10000&wait_ms=0" % nxt)
        if not doc["events"]:
            if doc["next"] != nxt:
                fail("long poll: empty batch but next moved %d -> %d" % (nxt, doc["next"]))
            return out
        for e in doc["events"]:
            out.append((e["offset"], e["type"]))
            if docs is not None:
                docs[e["offset"]] = e
        nxt = doc["next"]


def run_threads(n, target):
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:
            errors.append(e)
    ts = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise errors[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("almanacd")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    t_start = time.time()
    work = tempfile.mkdtemp(prefix="almanac-catalog-kill.")
    node = Node(args.almanacd, os.path.join(work, "data"), free_port(),
                os.path.join(work, "node.log"))
    ok = False
    try:
        print("seed %d, work dir %s" % (seed, work), flush=True)
        node.start()
        sse = SseSubscriber(node.port)
        sse.start()

        # -- registrations ---------------------------------------------------
        admin = Client(node.port)
        admin.ok("POST", "/api/v1/sources",
                 {"name": "s1", "kind": "sqlite", "path": "/nonexistent/s1.db"}, 201)
        admin.ok("POST", "/api/v1/entities",
                 {"urn": "urn:almanac:schema:s1.public", "kind": "schema",
                  "parent": "urn:almanac:source:s1"}, 201)
        tables = ["urn:almanac:table:s1.public.t%d" % i for i in range(args.tables)]
        registered = {}   # urn -> (version, offset)
        reg_lock = threading.Lock()

        def register(i):
            c = Client(node.port)
            for urn in tables[i::EDITORS]:
                doc = c.ok("POST", "/api/v1/entities", {"urn": urn, "kind": "table"}, 201)
                if doc.get("urn") != urn or doc.get("version") != 1:
                    fail("register %s answered %s" % (urn, doc))
                with reg_lock:
                    registered[urn] = (doc["version"], doc["offset"])
            c.close()
        run_threads(EDITORS, register)
        offsets = sorted(o for _, o in registered.values())
        if len(set(offsets)) != len(offsets):
            fail("two registrations acknowledged at the same offset")
        print("registered %d tables (offsets %d..%d)"
              % (len(registered), offsets[0], offsets[-1]), flush=True)

        # -- concurrent edits, SIGKILL, restart -------------------------------
        # Round 1 edits all tables and is killed after a random 1-3 s. Then
        # HOT_ROUNDS short rounds edit only 4 tables, so that edits in flight
        # at the kill (not yet applied by the projection) are likely to meet
        # edits of the same tables right after the restart.
        acked = []        # (urn, description, version, offset)
        unknown = {}      # urn -> set of descriptions whose outcome is unknown
        rejected = [0]
        attempts = [0]
        lock = threading.Lock()
        stop_edits = threading.Event()
        # targets: what editors edit; hot: after kill number `epoch`, each
        # editor's first HOT_EDITS acknowledged edits go to the tables edited
        # last before it, which the restarted catalog must not validate
        # against a projection that has not applied them yet.
        phase = {"targets": tables, "hot": [], "epoch": 0}
        HOT_EDITS = 40
        HOT_ROUNDS = 5

        def editor(i):
            r = random.Random(seed * 31 + i)
            c = Client(node.port, timeout=10)
            n, epoch, hot_left = 0, 0, 0
            while not stop_edits.is_set():
                with lock:
                    if phase["epoch"] != epoch:
                        epoch, hot_left = phase["epoch"], HOT_EDITS
                    pool = phase["hot"] if hot_left > 0 and phase["hot"] else phase["targets"]
                    attempts[0] += 1
                urn = r.choice(pool)
                desc = "edit %d.%d of %s: *markdown* %x" % (i, n, urn, r.randrange(1 << 32))
                n += 1
                try:
                    status, doc = c.request("PATCH", entity_path(urn), {"description": desc})
                except ConnectionRefusedError:
                    time.sleep(0.005)  # the node is down; nothing was sent
                    continue
                except (OSError, http.client.HTTPException):
                    with lock:
                        unknown.setdefault(urn, set()).add(desc)
                    time.sleep(0.005)
                    continue
                if status == 200:
                    hot_left -= 1
                    if doc.get("urn") != urn or doc.get("changed") is not True:
                        fail("PATCH %s answered %s" % (urn, doc))
                    with lock:
                        acked.append((urn, desc, doc["version"], doc["offset"]))
                elif status == 503:
                    # Not acknowledged: it may still land (e.g. a timeout).
                    with lock:
                        unknown.setdefault(urn, set()).add(desc)
                        rejected[0] += 1
                else:
                    fail("PATCH %s: %d %s" % (urn, status, doc))
            c.close()

        thread_errors = []

        def guard(fn, i):
            try:
                fn(i)
            except BaseException as e:
                thread_errors.append(e)
                stop_edits.set()

        def kill_and_restart(label):
            with lock:
                before = len(acked)
            node.kill()
            with lock:
                after = len(acked)
                recent = sorted(acked, key=lambda a: a[3])[-EDITORS:]
                phase["hot"] = sorted({a[0] for a in recent} | set(unknown))
                phase["epoch"] += 1
            if thread_errors:
                raise thread_errors[0]
            time.sleep(0.2)
            t_restart = time.time()
            node.start()
            admin.close()
            print("%s: SIGKILL with %d edits acknowledged, SSE at %s; restarted in %.2f s"
                  % (label, after, sse.last_id(), time.time() - t_restart), flush=True)
            return before, after

        editors = [threading.Thread(target=guard, args=(editor, i), daemon=True)
                   for i in range(EDITORS)]
        for t in editors:
            t.start()
        kill_after = rng.uniform(1.0, 3.0)
        time.sleep(kill_after)
        acked_before_kill, acked_at_kill = kill_and_restart(
            "round 1 (%d tables, %.2f s)" % (len(tables), kill_after))
        if acked_before_kill == 0:
            fail("no edit was acknowledged in %.2f s" % kill_after)
        time.sleep(0.7)
        for k in range(HOT_ROUNDS):
            with lock:
                phase["targets"] = tables[4 * k:4 * k + 4]
            time.sleep(0.6)
            kill_and_restart("hot round %d (4 tables)" % (k + 1))
            time.sleep(0.4)
        with lock:
            phase["targets"] = tables
        time.sleep(0.3)
        stop_edits.set()
        for t in editors:
            t.join()
        if thread_errors:
            raise thread_errors[0]
        if len(acked) <= acked_at_kill:
            fail("no edit was acknowledged after the restart")

        # -- every acknowledged write is there -----------------------------------
        max_offset = max(o for *_, o in acked)
        by_offset = {}
        for a in acked:
            if a[3] in by_offset:
                fail("two edits acknowledged at offset %d: %s and %s" % (a[3], by_offset[a[3]], a))
            by_offset[a[3]] = a
        per_urn = {}
        for a in acked:
            per_urn.setdefault(a[0], []).append(a)
        for lst in per_urn.values():
            lst.sort(key=lambda a: a[2])
            versions = [a[2] for a in lst]
            if len(set(versions)) != len(versions):
                twice = sorted({v for v in versions if versions.count(v) > 1})
                fail("%s: version %d acknowledged twice, at offsets %s" % (
                    lst[0][0], twice[0], [a[3] for a in lst if a[2] == twice[0]]))
        problems = []
        landed = []       # entities whose newest edit is one without an answer

        def verify(i):
            c = Client(node.port)
            for urn in tables[i::EDITORS]:
                st = c.ok("GET", entity_path(urn) + "?min_offset=%d" % max_offset)
                if st.get("urn") != urn or st.get("kind") != "table":
                    problems.append("%s: state %s" % (urn, st))
                    continue
                edits = per_urn.get(urn, [])
                if not edits:
                    if st["version"] == 1 and st["description"] != "":
                        problems.append("%s: never edited yet described %r" % (urn, st["description"]))
                    continue
                hist = c.ok("GET", entity_path(urn, "/history") + "?min_offset=%d" % max_offset)
                changes = {ch["offset"]: ch for ch in hist["changes"]}
                if registered[urn][1] not in changes:
                    problems.append("%s: registration at %d missing from history"
                                    % (urn, registered[urn][1]))
                for (_, desc, version, offset) in edits:
                    ch = changes.get(offset)
                    if ch is None:
                        problems.append("%s: acknowledged edit v%d at offset %d missing "
                                        "from history" % (urn, version, offset))
                    elif ch.get("version") != version \
                            or ch.get("fields", {}).get("description") != desc \
                            or ch.get("user") != "admin" \
                            or not str(ch.get("time", "")).endswith("Z"):
                        problems.append("%s: history at offset %d is v%s %r by %r at %r, "
                                        "acknowledged v%d %r by 'admin'"
                                        % (urn, offset, ch.get("version"),
                                           ch.get("fields", {}).get("description"),
                                           ch.get("user"), ch.get("time"), version, desc))
                acked_desc = {a[1] for a in edits}
                versions = [ch.get("version") for ch in hist["changes"]]
                if versions != list(range(1, len(versions) + 1)):
                    odd = sorted({v for v in versions if versions.count(v) != 1}) \
                        or [v for k, v in enumerate(versions) if v != k + 1][:3]
                    problems.append("%s: history versions are not 1..%d: %s" % (
                        urn, len(versions), "; ".join(
                            "v%s at offsets %s" % (v, [ch["offset"] for ch in hist["changes"]
                                                      if ch.get("version") == v])
                            for v in odd[:3])))
                for ch in hist["changes"][1:]:
                    d = ch.get("fields", {}).get("description")
                    if d not in acked_desc and d not in unknown.get(urn, ()):
                        problems.append("%s: history v%s has description %r that no client "
                                        "wrote" % (urn, ch.get("version"), d))
                last = edits[-1]
                if st["version"] < last[2]:
                    problems.append("%s: version %d below acknowledged v%d"
                                    % (urn, st["version"], last[2]))
                elif st["version"] == last[2]:
                    if st["description"] != last[1]:
                        problems.append("%s: description %r, last acknowledged %r"
                                        % (urn, st["description"], last[1]))
                elif st["description"] in unknown.get(urn, ()):
                    landed.append(urn)
                else:
                    problems.append("%s: v%d description %r is neither the last acknowledged "
                                    "(v%d) nor an unanswered edit"
                                    % (urn, st["version"], st["description"], last[2]))
                if hist["changes"] and hist["changes"][-1].get("version") != st["version"]:
                    problems.append("%s: history ends at v%s, state is v%d"
                                    % (urn, hist["changes"][-1].get("version"), st["version"]))
            c.close()
        run_threads(EDITORS, verify)
        if problems:
            fail("%d problems, first ones:\n  %s" % (len(problems), "\n  ".join(problems[:15])))

        # -- the SSE subscriber got every offset exactly once ----------------------
        log_docs = {}
        log = read_whole_log(admin, log_docs)
        end = len(log)
        if [o for o, _ in log] != list(range(end)):
            fail("the long-poll read of the log is not dense from 0")
        deadline = time.time() + 15
        while time.time() < deadline:
            last = sse.last_id()
            if last is not None and last >= end - 1:
                break
            if sse.error:
                raise sse.error
            time.sleep(0.05)
        sse.stopping.set()
        sse.join(timeout=10)
        if sse.error:
            raise sse.error
        with sse.lock:
            got = list(sse.events)
            connections = sse.connections
        ids = [i for i, _ in got]
        if len(set(ids)) != len(ids):
            seen, dups = set(), []
            for i in ids:
                if i in seen:
                    dups.append(i)
                seen.add(i)
            fail("SSE delivered %d offsets twice, first %s" % (len(dups), dups[:10]))
        if ids != sorted(ids):
            fail("SSE delivered offsets out of order")
        prefix = [e for e in got if e[0] < end]
        if [i for i, _ in prefix] != list(range(end)):
            missing = sorted(set(range(end)) - set(ids))
            fail("SSE missed %d of %d offsets, first %s" % (len(missing), end, missing[:10]))
        if prefix != log:
            bad = [(a, b) for a, b in zip(prefix, log) if a != b]
            fail("SSE event types differ from the log, first %s" % bad[:5])
        with sse.lock:
            differ = [o for o in range(end) if sse.docs.get(o) != log_docs[o]]
        if differ:
            fail("SSE event data differ from the long poll's at %d offsets, first %d:\n"
                 "  SSE:       %s\n  long poll: %s" % (len(differ), differ[0],
                                                      sse.docs.get(differ[0]),
                                                      log_docs[differ[0]]))
        if connections < 2 + HOT_ROUNDS:
            fail("the SSE subscriber connected %d times across %d kills"
                 % (connections, 1 + HOT_ROUNDS))
        if not any(t == "EntityEdited" for _, t in log):
            fail("no EntityEdited in the log")

        node.stop()
        print("catalog_kill_test: OK kills=%d entities=%d acked_edits=%d (%d before the first kill, "
              "%d unanswered of which %d landed last, %d 503) edit_attempts=%d events_streamed=%d log_end=%d "
              "sse_connections=%d elapsed=%.1fs"
              % (1 + HOT_ROUNDS, len(registered), len(acked), acked_at_kill,
                 sum(len(v) for v in unknown.values()), len(landed), rejected[0], attempts[0],
                 len(got), end, connections, time.time() - t_start), flush=True)
        ok = True
    finally:
        if node.proc is not None and node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait()
        if not ok and os.path.exists(node.log_path):
            with open(node.log_path, "rb") as f:
                tail = f.read()[-4000:]
            sys.stderr.write("--- almanacd log tail:\n" + tail.decode(errors="replace") + "\n")
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            sys.stderr.write("data kept in %s\n" % work)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("FAIL: %s" % e, file=sys.stderr, flush=True)
        sys.exit(1)
