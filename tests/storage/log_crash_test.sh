#!/usr/bin/env bash
# Process-level crash test of the durable log: `log_tool append` (which
# behaves like `almanac log append`, fsync=always) is fed an endless stream of
# JSON lines with unique payloads and SIGKILLed at random moments, again and
# again. After each kill: every offset it printed (acknowledged) must be in
# the log with its exact payload, offsets must be dense, and whatever else
# reached the log must be the next lines of the stream, in order.
#
# usage: log_crash_test.sh PATH/TO/log_tool [ROUNDS] [SEED]
set -euo pipefail

tool=${1:?usage: log_crash_test.sh PATH/TO/log_tool [ROUNDS] [SEED]}
rounds=${2:-24}
seed=${3:-$RANDOM}
work=$(mktemp -d /tmp/almanac-log-crash-XXXXXX)
trap 'rm -rf "$work"' EXIT
data="$work/data"
echo "log_crash_test: $rounds rounds, seed $seed, in $work"

# The stream of round R: {"run":R,"seq":0,...}, {"run":R,"seq":1,...}, ...
cat > "$work/gen.py" <<'PY'
import sys
run = int(sys.argv[1])
pad = "x" * (50 + run % 7 * 40)
seq = 0
out = sys.stdout
try:
    while True:
        out.write('{"run":%d,"seq":%d,"pad":"%s"}\n' % (run, seq, pad))
        seq += 1
        if seq % 64 == 0:
            out.flush()
except (BrokenPipeError, KeyboardInterrupt):
    pass
PY

# Checks the dump (records from offset FROM on) against the acknowledgements
# of all rounds so far at or after FROM; prints the log's end offset and the
# number of records this round acknowledged.
cat > "$work/check.py" <<'PY'
import json, os, sys
work, run, start, first = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                           int(sys.argv[4]))
acked_path = os.path.join(work, "acked.jsonl")
# This round's acknowledgements: consecutive offsets from `start`.
with open(os.path.join(work, "out.%d" % run)) as f:
    text = f.read()
lines = text.split("\n")
if not text.endswith("\n"):
    lines = lines[:-1]  # a line cut by the kill
acked = [int(l) for l in lines if l.strip()]
for i, off in enumerate(acked):
    if off != start + i:
        sys.exit("round %d: acknowledgement %d is offset %d, expected %d"
                 % (run, i, off, start + i))
pad = "x" * (50 + run % 7 * 40)
with open(acked_path, "a") as f:
    for i, off in enumerate(acked):
        f.write(json.dumps({"offset": off,
                            "payload": {"run": run, "seq": i, "pad": pad}}) + "\n")
# The log as dumped after the crash.
records = [json.loads(l) for l in open(os.path.join(work, "dump.%d" % run))]
for i, r in enumerate(records):
    if r["offset"] != first + i:
        sys.exit("round %d: offsets not dense: record %d has offset %d"
                 % (run, first + i, r["offset"]))
end = first + len(records)
for line in open(acked_path):
    a = json.loads(line)
    if a["offset"] >= end:
        sys.exit("round %d: acknowledged offset %d lost (log ends at %d)"
                 % (run, a["offset"], end))
    if a["offset"] < first:
        continue
    got = records[a["offset"] - first]["payload"]
    if got != a["payload"]:
        sys.exit("round %d: offset %d has payload %r, acknowledged %r"
                 % (run, a["offset"], got, a["payload"]))
# Unacknowledged records that made it are the stream's next lines.
for r in records[start - first:]:
    seq = r["offset"] - start
    if r["payload"] != {"run": run, "seq": seq, "pad": pad}:
        sys.exit("round %d: offset %d holds %r, not line %d of the stream"
                 % (run, r["offset"], r["payload"], seq))
print(end, len(acked))
PY

start=0
previous_start=0
total_acked=0
for ((round = 1; round <= rounds; ++round)); do
  "$tool" append "$data" test_event crash-key \
    < <(exec python3 "$work/gen.py" "$round") \
    > "$work/out.$round" 2> "$work/err.$round" &
  pid=$!
  # A random moment: 10 ms to 250 ms (this includes opening the log).
  delay=$(python3 -c "import random; random.seed($seed * 1000 + $round); print(random.uniform(0.01, 0.25))")
  sleep "$delay"
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  # Every round checks the last two rounds' records; every 8th round and
  # the last check the whole log from offset 0.
  first=$previous_start
  if ((round % 8 == 0 || round == rounds)); then first=0; fi
  if ! "$tool" dump "$data" "$first" > "$work/dump.$round" \
       2> "$work/dumperr.$round"; then
    echo "round $round: dump failed:"; cat "$work/dumperr.$round"; exit 1
  fi
  read -r end acked < <(python3 "$work/check.py" "$work" "$round" "$start" \
                          "$first") || {
    echo "log_crash_test: FAILED in round $round"; exit 1; }
  rm -f "$work/dump.$round"
  previous_start=$start
  total_acked=$((total_acked + acked))
  echo "round $round: killed after ${delay:0:5} s, $acked acknowledged, log ends at $end"
  start=$end
done
"$tool" stat "$data"

# A second process cannot open a log another process holds.
"$tool" append "$data" test_event lock-key < <(exec sleep 5) \
  > /dev/null 2> "$work/holder.err" &
holder=$!
sleep 0.3
if "$tool" stat "$data" > /dev/null 2> "$work/second.err"; then
  echo "log_crash_test: a second process opened a locked log"; exit 1
fi
kill -9 "$holder" 2> /dev/null || true
wait "$holder" 2> /dev/null || true
if ! grep -q "locked" "$work/second.err"; then
  echo "log_crash_test: expected a 'locked' error, got:"; cat "$work/second.err"
  exit 1
fi
echo "second opener refused: $(head -1 "$work/second.err")"
# ...and the lock dies with its holder.
"$tool" stat "$data" > /dev/null
if ((total_acked == 0)); then
  echo "log_crash_test: no append was ever acknowledged"; exit 1
fi
echo "log_crash_test: $rounds kills, $total_acked acknowledged records all present"
