#!/usr/bin/env bash
# The tree keeps its include order (scripts/check-includes), and the check
# does catch an include against it.
set -euo pipefail
root="$1"
python3 "$root/scripts/check-includes" "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/runtime" "$tmp/actors/http" "$tmp/config"
echo '#include "actors/http/server.hpp"' > "$tmp/runtime/bad.cpp"
echo '#include "storage/log/record.hpp"' > "$tmp/config/peer.cpp"
if out=$(python3 "$root/scripts/check-includes" "$tmp"); then
  echo "FAIL: an include against the order passed: $out"; exit 1
fi
grep -q "runtime/bad.cpp:1: runtime includes actors/http/server.hpp from the layer above" <<<"$out"
grep -q "config/peer.cpp:1: config includes storage/log/record.hpp from its own layer" <<<"$out"
echo "ok   the check names both violations"
