#!/usr/bin/env python3
"""Runs the examples of docs/api.md against a real node.

Every ```sh block of the document runs, in order, in one bash session (so
variables carry over). `curl` is wrapped to record each answer's status;
the `# => NNN` lines of the document give the statuses expected, in order.
usage: api_examples_test.py ALMANACD DOCS_API_MD
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

almanacd, doc_path = sys.argv[1], sys.argv[2]
doc = open(doc_path, encoding="utf-8").read()
blocks = re.findall(r"```sh\n(.*?)```", doc, re.S)
expected = [int(s) for b in blocks for s in re.findall(r"^# => (\d{3})$", b, re.M)]
curls = sum(len(re.findall(r"^\S*.*\bcurl ", b, re.M)) for b in blocks)
assert blocks and expected, "no runnable examples found"

work = tempfile.mkdtemp(prefix="almanac-doc-")
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
port = sock.getsockname()[1]
sock.close()
token = "doc-test-admin-token"
env = dict(os.environ, ALMANAC_ADMIN_TOKEN=token)
node = subprocess.Popen([almanacd, "--data-dir", work + "/data",
                         "--http-listen", f"127.0.0.1:{port}"],
                        stdout=open(work + "/node.log", "w"),
                        stderr=subprocess.STDOUT, env=env)
try:
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except Exception:
            time.sleep(0.1)
    status_log = work + "/statuses"
    script = ["set -u", f"export ALMANAC={base} TOKEN={token}",
              f"__status_log={status_log}",
              'curl() { local out code; out=$(mktemp); '
              'code=$(command curl -s -o "$out" -w "%{http_code}" "$@"); '
              'echo "$code" >> "$__status_log"; cat "$out"; echo; rm -f "$out"; }']
    script += blocks
    run = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True,
                         text=True, timeout=120)
    got = [int(x) for x in open(status_log).read().split()]
    print(run.stdout)
    ok = True
    if "Traceback" in run.stderr:
        print("an example's output was not what the document says:\n" + run.stderr)
        ok = False
    if got != expected:
        ok = False
        print(f"statuses differ: expected {len(expected)}, got {len(got)}")
        for i, (e, g) in enumerate(zip(expected, got)):
            mark = "" if e == g else "   <-- MISMATCH"
            print(f"  #{i + 1}: expected {e} got {g}{mark}")
    print(f"api examples: {len(got)} requests, {len(expected)} expected statuses")
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    sys.exit(0 if ok else 1)
finally:
    node.terminate()
    node.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
