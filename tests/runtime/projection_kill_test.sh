#!/usr/bin/env bash
# Projection exactly-once across SIGKILL: a producer appends to the log while
# the event_counts projection follows; it is killed at random moments 20
# times; then the resumed projection must equal a fresh rebuild from offset 0.
#   usage: projection_kill_test.sh DRIVER
set -euo pipefail
DRIVER=$1
DIR=$(mktemp -d /tmp/almanac-projkill.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
acked=0
for round in $(seq 1 20); do
  "$DRIVER" produce "$DIR" >"$DIR/out.txt" 2>"$DIR/err.txt" &
  pid=$!
  sleep "0.$(( RANDOM % 4 + 1 ))$(( RANDOM % 10 ))"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  n=$(wc -l <"$DIR/out.txt")
  acked=$((acked + n))
done
echo "acknowledged batches over 20 kills: $acked"
[ "$acked" -gt 0 ] || { echo "FAIL: nothing was appended"; cat "$DIR/err.txt"; exit 1; }
"$DRIVER" verify "$DIR"
