#!/usr/bin/env bash
# A policy with many waivers against a folder with many findings: the time of
# `preflight scan` (parsing the policy, then matching every finding against every
# waiver). Numbers, not pass/fail; the README's "Performance" section has the last
# ones. Usage: bench/waivers.sh [WAIVERS] [FILES]  (defaults: 100000 and 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
waivers=${1:-100000}
files=${2:-2000}
cargo build --release --quiet
bin=$PWD/target/release/preflight
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
hyperfine --warmup 1 --runs 3 \
  "$bin scan --quiet --root $work/root --format json $work/dist > /dev/null || true"
