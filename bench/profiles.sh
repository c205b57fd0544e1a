#!/usr/bin/env bash
# The built-in host data's costs: loading each profile (examples/profile_load.rs: one
# platform, every platform, and the first repository lookup, medians of 50 runs), the
# release binary's size, and the embedded data's share of it (policies/hosts/ raw, and
# compressed as build.rs embeds it). Numbers, not pass/fail; the budgets are 5 ms per
# profile and 15 MB for the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example profile_load
cargo build --release --quiet
echo "== loading each built-in profile"
target/release/examples/profile_load
echo "== sizes"
bin=target/release/preflight
echo "release binary: $(stat -c %s "$bin") bytes ($(du -h "$bin" | cut -f1))"
raw=$(find policies/hosts -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
headers=$(find policies/hosts -name profile.yaml -printf '%s\n' | awk '{s+=$1} END {print s}')
packed=$(find target/release/build/preflight-*/out/hosts -name '*.zst' -newer build.rs -printf '%s\n' 2>/dev/null \
  | awk '{s+=$1} END {print s+0}')
echo "policies/hosts: $raw bytes raw; embedded: $headers bytes of profile.yaml as text + $packed bytes of zstd streams"
