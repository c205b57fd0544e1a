#!/usr/bin/env bash
# A policy with many waivers against a folder with many findings: the time of
# `preflight scan` (parsing the policy, then matching every finding against every
# waiver). Numbers, not pass/fail; the README's "Performance" section has the last
# ones. Usage: bench/waivers.sh [WAIVERS] [FILES]  (defaults: 100000 and 2000);
# PREFLIGHT=path/to/preflight measures another build (an older one, for comparison).
# RUNS=N: hyperfine's runs (default 3).
#
# Measured 2026-12-07 on the shared 2-core machine (load average 22: wall times are
# inflated, user CPU is the steadier number), 2,000 files, release builds:
#   no waivers                      0.64 s wall, 0.09 s user
#   10,000 waivers, before (430f2df) 62.3 s wall, 16.5 s user (mean of 3)
#   10,000 waivers, after            1.36 s wall, 0.28 s user
#   100,000 waivers, after           9.8 s wall, 1.85 s user (mean of 3)
#   100,000 waivers, before: over 120 s (issue 14; parsing alone is quadratic)
set -euo pipefail
cd "$(dirname "$0")/.."
waivers=${1:-100000}
files=${2:-2000}
if [ -z "${PREFLIGHT:-}" ]; then
  cargo build --release --quiet
fi
bin=${PREFLIGHT:-$PWD/target/release/preflight}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/dist/bin" "$work/dist/lib" "$work/root"
# Each file: a copy of a fixture whose loader the empty root lacks (one
# interpreter-missing finding per file), under a distinct name.
for i in $(seq 1 "$files"); do
  cp tests/fixtures/bin/pie-glibc234 "$work/dist/bin/app$i"
done
python3 - "$work/dist/.preflight.yaml" "$waivers" "$files" <<'PY'
import sys
path, count, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as f:
    f.write("waivers:\n")
    for i in range(count):
        # A third literal paths, a third globs with a wildcard, a third `**` prefixes;
        # one waiver in 50 names a scanned file.
        n = i // 50 if i % 50 == 0 and i // 50 < files else files + i
        glob = ["bin/app%d" % n, "bin/app%d*" % n, "**/app%d" % n][i % 3]
        f.write("- rule: interpreter-missing\n  path: \"%s\"\n  reason: vendor %d\n" % (glob, i))
PY
echo "== $waivers waivers, $files files (each with an interpreter-missing finding)"
hyperfine --warmup 0 --runs "${RUNS:-3}" \
  "$bin scan --quiet --root $work/root --format json $work/dist > /dev/null || true"
