#!/usr/bin/env bash
# Process-level test of almanacd and the almanac CLI: configuration through
# flags and environment, health, the actor registry, crash -> restart,
# 6 crashes -> escalation, root failure -> /health failed + non-zero exit,
# SIGTERM -> exit 0.
#   usage: node_test.sh ALMANACD ALMANAC
set -euo pipefail
ALMANACD=$1
ALMANAC=$2
WORK=$(mktemp -d /tmp/almanac-node-test.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$WORK/node.log" ] && tail -30 "$WORK/node.log" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
export ALMANAC_SERVER=$URL
unset ALMANAC_ADMIN_TOKEN ALMANAC_TOKEN || true

echo "--- configuration: flag beats environment beats default"
out=$(ALMANAC_SUPERVISOR_MAX_RESTARTS=7 ALMANAC_HTTP_LISTEN=127.0.0.1:1234 \
      "$ALMANACD" --print-config --supervisor-max-restarts 9)
grep -q '^max_restarts = 9' <<<"$out" || fail "flag did not win: $out"
grep -q '^listen = "127.0.0.1:1234"' <<<"$out" || fail "env not applied"
grep -q '^window_s = 60' <<<"$out" || fail "default missing"
set +e
err=$("$ALMANACD" --print-config --http-max-body-bytes lots 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "bad flag value: exit $rc"
grep -q "http.max_body_bytes" <<<"$err" || fail "error does not name the key: $err"
grep -q "'lots'" <<<"$err" || fail "error does not name the value: $err"
"$ALMANACD" --help >"$WORK/help.txt"
grep -q -- "--enable-fault-injection" "$WORK/help.txt" || fail "--help lacks settings"

echo "--- start a node"
"$ALMANACD" --data-dir "$WORK/data" --http-listen "127.0.0.1:$PORT" \
  --enable-fault-injection --supervisor-backoff-initial-ms 20 \
  --supervisor-backoff-max-ms 100 >"$WORK/node.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do
  curl -sf "$URL/health" >/dev/null 2>&1 && break
  sleep 0.1
done
[ "$(curl -s "$URL/health" | json 'd["status"]')" = ok ] || fail "health not ok"
[ "$(stat -c %a "$WORK/data/admin.token")" = 600 ] || fail "admin.token mode"
export ALMANAC_TOKEN=$(cat "$WORK/data/admin.token")
"$ALMANAC" health >/dev/null || fail "almanac health"
table=$("$ALMANAC" admin actors)
grep -q "^http  *gateway  *running" <<<"$table" || fail "actors table: $table"

actor() { "$ALMANAC" admin actors --json | json "[a for a in d['actors'] if a['name']=='$1'][0]$2"; }
wait_for() { # NAME FIELD VALUE
  for _ in $(seq 1 100); do
    [ "$(actor "$1" "['$2']" 2>/dev/null)" = "$3" ] && return 0
    sleep 0.05
  done
  fail "$1.$2 never became $3 (is $(actor "$1" "['$2']"))"
}

echo "--- the storage subtree: event log and projections"
api() { curl -sf -H "Authorization: Bearer $ALMANAC_TOKEN" "$@"; }
[ "$(api "$URL/api/v1/admin/log" | json 'd["end_offset"]')" = 0 ] || fail "log status"
want="['catalog_state', 'event_counts', 'lineage', 'search']"
for _ in $(seq 1 100); do
  got=$(api "$URL/api/v1/admin/projections" | json 'sorted(p["name"] for p in d["projections"])')
  [ "$got" = "$want" ] && break
  sleep 0.05
done
[ "$got" = "$want" ] || fail "projections: $got"
[ "$(api -XPOST "$URL/api/v1/admin/projections/event_counts/rebuild" | json 'd["rebuilding"]')" = True ] || fail "rebuild"
[ "$(api "$URL/api/v1/admin/projections/event_counts" | json 'd["state"]["checkpoint"]')" = 0 ] || fail "projection state"
"$ALMANAC" admin crash eventlog >/dev/null
wait_for eventlog restarts 1
wait_for event_counts state running
wait_for projections restarts 1   # rest-for-one: projections follow the log

echo "--- entity history: pages, and --all follows them back"
python3 -c "import sqlite3; c=sqlite3.connect('$WORK/lite.db'); c.execute('create table t (a int)'); c.commit()"
curl -sf -X POST "$URL/api/v1/sources" -H "Authorization: Bearer $ALMANAC_TOKEN" \
  -d "{\"name\":\"lite\",\"kind\":\"sqlite\",\"path\":\"$WORK/lite.db\"}" >/dev/null || fail "register a source"
SRC=urn:almanac:source:lite
for t in one two three; do
  "$ALMANAC" entity edit "$SRC" --title "$t" >/dev/null || fail "edit the source ($t)"
done
page=$("$ALMANAC" entity history "$SRC" --limit 2)
[ "$(grep -c '^[0-9]' <<<"$page")" = 2 ] || fail "one page of 2: $page"
grep -q -- "--all" <<<"$page" || fail "no hint of older changes: $page"
all=$("$ALMANAC" entity history "$SRC" --limit 2 --all)
[ "$(grep -c '^[0-9]' <<<"$all")" = 4 ] || fail "--all gives the 4 changes: $all"
head -2 <<<"$all" | tail -1 | grep -q registered || fail "oldest first: $all"
tail -1 <<<"$all" | grep -q three || fail "newest last: $all"

echo "--- three crashes: restarted each time, visible in the registry"
for n in 1 2 3; do
  "$ALMANAC" admin crash http >/dev/null
  wait_for http restarts $n
  wait_for http state running
done
actor http "['last_error']" | grep -q fault_injected || fail "last_error"
[ "$(actor gateway "['restarts']")" = 0 ] || fail "gateway restarted too early"

echo "--- six crashes within the window escalate to the parent"
for n in 4 5 6; do
  "$ALMANAC" admin crash http >/dev/null
  if [ $n -lt 6 ]; then wait_for http restarts $n; wait_for http state running; fi
done
wait_for gateway restarts 1
wait_for http state running
actor gateway "['last_error']" | grep -q escalated || fail "gateway last_error"
[ "$(curl -s "$URL/health" | json 'd["status"]')" = ok ] || fail "health after escalation"

echo "--- restart on request"
"$ALMANAC" admin restart http | grep -q "restarting http" || fail "restart"
# The listener is down while it restarts: wait until it answers again.
for _ in $(seq 1 200); do curl -s -o /dev/null "$URL/health" && break; sleep 0.05; done
wait_for http state running
set +e; "$ALMANAC" admin restart ghost 2>"$WORK/err"; rc=$?; set -e
[ $rc -ne 0 ] && grep -q "no actor named 'ghost'" "$WORK/err" || fail "restart ghost"

echo "--- SIGTERM: ordered shutdown, exit 0"
kill -TERM $PID
set +e; wait $PID; rc=$?; set -e
PID=""
[ $rc -eq 0 ] || fail "exit code after SIGTERM: $rc"
grep -q "shutting down" "$WORK/node.log" || fail "no shutdown log"

echo "--- a second node on a taken port fails fast"
"$ALMANACD" --data-dir "$WORK/data2" --http-listen "127.0.0.1:$PORT" >"$WORK/a.log" 2>&1 &
PID=$!
sleep 0.5
set +e
"$ALMANACD" --data-dir "$WORK/data3" --http-listen "127.0.0.1:$PORT" >"$WORK/b.log" 2>&1; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "cannot listen on 127.0.0.1:$PORT" "$WORK/b.log" || fail "taken port: rc=$rc $(cat "$WORK/b.log")"
kill -TERM $PID; wait $PID || true; PID=""

echo "--- root failure: /health says failed, then exit non-zero"
"$ALMANACD" --data-dir "$WORK/data" --http-listen "127.0.0.1:$PORT" \
  --enable-fault-injection --supervisor-max-restarts 0 \
  --node-failed-linger-ms 3000 >"$WORK/node.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do curl -sf "$URL/health" >/dev/null 2>&1 && break; sleep 0.1; done
"$ALMANAC" admin crash http >/dev/null || fail "crash request"
status=""
for _ in $(seq 1 60); do
  status=$(curl -s "$URL/health" 2>/dev/null | json 'd["status"]' 2>/dev/null || true)
  [ "$status" = failed ] && break
  sleep 0.05
done
[ "$status" = failed ] || fail "/health never said failed"
set +e; wait $PID; rc=$?; set -e
PID=""
[ $rc -ne 0 ] || fail "exit code after root failure is 0"
grep -q "root supervisor failed" "$WORK/node.log" || fail "no root failure log"
echo "node_test: all checks passed"
