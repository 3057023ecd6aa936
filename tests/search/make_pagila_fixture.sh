#!/usr/bin/env bash
# Regenerates tests/search/pagila_entities.json: extracts pagila into a
# throwaway node (scripts/pg-test) and dumps every entity under
# urn:almanac:source:pagila (children first-to-last, depth first).
#   tests/search/make_pagila_fixture.sh [BIN_DIR]   (default build/runtime)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/runtime}
TMP=$(mktemp -d)
cp "$BIN/almanacd" "$BIN/almanac" "$TMP/"
eval "$(scripts/pg-test start)"
export PAGILA_PASSWORD=$PGTEST_PASSWORD
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
URL=http://127.0.0.1:$PORT
"$TMP/almanacd" --data-dir "$TMP/data" --http-listen "127.0.0.1:$PORT" --logging-level warn &
NODE=$!
cleanup() {
  kill -TERM "$NODE" 2>/dev/null && wait "$NODE" 2>/dev/null || true
  scripts/pg-test stop "$PGTEST_DIR" || true
  rm -rf "$TMP"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "$URL/health" >/dev/null 2>&1 && break; sleep 0.1; done
export ALMANAC_SERVER=$URL ALMANAC_TOKEN=$(cat "$TMP/data/admin.token")
"$TMP/almanac" sources add pagila --kind postgresql --dsn "$PGTEST_TCP_DSN" \
  --password-env PAGILA_PASSWORD --description "The pagila DVD-rental sample"
"$TMP/almanac" extract pagila --wait
python3 - "$URL" "$ALMANAC_TOKEN" > tests/search/pagila_entities.json <<'PY'
import json, sys, urllib.parse, urllib.request
url, token = sys.argv[1], sys.argv[2]
def get(urn):
    req = urllib.request.Request(url + "/api/v1/entities/" + urllib.parse.quote(urn, safe=""),
                                 headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(req))
out, todo = [], ["urn:almanac:source:pagila"]
while todo:
    e = get(todo.pop(0))
    todo[0:0] = e.get("children", [])
    out.append(e)
print(json.dumps(out, indent=1, sort_keys=True))
PY
echo "wrote $(python3 -c 'import json;print(len(json.load(open("tests/search/pagila_entities.json"))))') entities"
