"""Shared pieces of the process-level tests: an almanacd on a free port with
its own data directory, calls with the admin token, and checks that end in
the "N passed, N failed" line CTest's logs show."""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

_DEFAULT = object()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def quiet_port():
    """A free port below the ephemeral range (32768 and up), so that no
    other test's free_port() can be handed the same one before this test's
    node binds it (replication listeners bind late: on promotion)."""
    import random
    rnd = random.Random()
    for _ in range(200):
        port = rnd.randrange(20000, 32000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    return free_port()


class Node:
    """An almanacd process; `stop()` ends it and removes its directory."""

    def __init__(self, almanacd, prefix, args=(), env=None, token="test-admin", port=None):
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.port = port or free_port()
        self.token = token
        self.almanacd, self.args = almanacd, list(args)
        self.env = dict(os.environ, ALMANAC_ADMIN_TOKEN=token)
        self.env.update(env or {})
        self._start()

    def _start(self):
        self.proc = subprocess.Popen(
            [self.almanacd, "--data-dir", self.work + "/data", "--http-listen",
             f"127.0.0.1:{self.port}", *self.args],
            stdout=open(self.work + "/node.log", "a"), stderr=subprocess.STDOUT, env=self.env)
        for _ in range(300):
            # A process that exited did not come up, whoever answers on its
            # port (another test's node may have taken it meanwhile).
            if self.proc.poll() is not None:
                break
            try:
                if self.raw("GET", "/health", token=None)[0] == 200 and self.proc.poll() is None:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("almanacd did not come up:\n" + self.log_tail())

    def restart(self, kill=False):
        """Stops the process (SIGKILL with `kill`, else SIGTERM) and starts it
        again on the same data directory and port."""
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(timeout=30)
        self._start()

    def raw(self, method, path, body=None, headers=None, token=_DEFAULT):
        """(status, bytes) of one request; `token=None` sends none."""
        token = self.token if token is _DEFAULT else token
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = {"Authorization": f"Bearer {token}"} if token else {}
        h.update(headers or {})
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, data

    def call(self, method, path, body=None, headers=None, token=_DEFAULT):
        """(status, JSON answer — or its text if it is not JSON)."""
        status, data = self.raw(method, path, body, headers, token)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data.decode()

    def wait_job(self, job_id, states=("succeeded", "failed", "cancelled"), tries=1200):
        """The job once its state is one of `states` (polls every 50 ms)."""
        job = None
        for _ in range(tries):
            st, job = self.call("GET", "/api/v1/jobs/" + job_id)
            if st == 200 and job["state"] in states:
                return job
            time.sleep(0.05)
        raise RuntimeError(f"job {job_id} never reached {states}: {job}")

    def run_job(self, source, kind="extract", body=None):
        """Submits a job on `source` (extract, profile, query-log) and
        returns it once it has ended."""
        st, j = self.call("POST", f"/api/v1/sources/{source}/{kind}", body or {})
        assert st == 202, (st, j)
        return self.wait_job(j["job"])

    def log_tail(self, n=3000):
        try:
            return open(self.work + "/node.log").read()[-n:]
        except OSError:
            return ""

    def validate_events(self):
        """(ok, report): whether every event in the log follows its published
        schema (GET /api/v1/events/schema), checked by the jsonschema library."""
        st, schemas = self.call("GET", "/api/v1/events/schema")
        if st != 200:
            return False, f"GET /api/v1/events/schema answered {st}"
        events, frm = [], 0
        while True:
            st, page = self.call("GET", f"/api/v1/events?from={frm}&max=10000")
            if st != 200:
                return False, f"GET /api/v1/events answered {st}"
            events += page["events"]
            if page["next"] == frm:
                break
            frm = page["next"]
        with open(self.work + "/schemas.json", "w") as f:
            json.dump(schemas, f)
        with open(self.work + "/events.json", "w") as f:
            json.dump(events, f)
        r = subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(__file__),
                                                              "validate_events.py"),
                            self.work + "/schemas.json", self.work + "/events.json"],
                           capture_output=True, text=True)
        return r.returncode == 0, (r.stdout + r.stderr).strip()[-2000:]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.work, ignore_errors=True)


class Checks:
    """Collects checks; `finish()` prints the summary and exits."""

    def __init__(self):
        self.failures = []

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failures.append(what)

    def finish(self, node=None):
        # Called from a `finally`: an exception on its way out is a failure.
        exc = sys.exc_info()
        if exc[0] is not None:
            traceback.print_exception(*exc)
            self.failures.append(f"unexpected {exc[0].__name__}: {exc[1]}")
        if node:
            # Every test's events must follow the schemas outside consumers
            # are given (issue 11, item 2).
            if node.proc.poll() is None:
                try:
                    ok, report = node.validate_events()
                    self(ok, f"every event follows its published schema ({report})")
                except Exception as e:  # noqa: BLE001 - reported as a failure
                    self(False, f"validating the events: {e!r}")
            if self.failures:
                print(node.log_tail())
            node.stop()
        for f in self.failures:
            print("FAIL", f)
        print(f"{0 if self.failures else 1} passed, {1 if self.failures else 0} failed")
        sys.exit(1 if self.failures else 0)
