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


class Node:
    """An almanacd process; `stop()` ends it and removes its directory."""

    def __init__(self, almanacd, prefix, args=(), env=None, token="test-admin"):
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.port = free_port()
        self.token = token
        full_env = dict(os.environ, ALMANAC_ADMIN_TOKEN=token)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [almanacd, "--data-dir", self.work + "/data", "--http-listen",
             f"127.0.0.1:{self.port}", *args],
            stdout=open(self.work + "/node.log", "w"), stderr=subprocess.STDOUT, env=full_env)
        for _ in range(300):
            try:
                if self.raw("GET", "/health", token=None)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("almanacd did not come up:\n" + self.log_tail())

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

    def log_tail(self, n=3000):
        try:
            return open(self.work + "/node.log").read()[-n:]
        except OSError:
            return ""

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
            if self.failures:
                print(node.log_tail())
            node.stop()
        for f in self.failures:
            print("FAIL", f)
        print(f"{0 if self.failures else 1} passed, {1 if self.failures else 0} failed")
        sys.exit(1 if self.failures else 0)
