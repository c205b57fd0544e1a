#!/usr/bin/env bash
# preflight against the C and Python tools users know, on this machine's /usr.
# Prints, in one run:
#   1. `preflight scan /usr --root / --format json` (facts + resolution + policy) vs
#      `scanelf -RBq -F '%F %n %r %t %i' /usr` (facts only): median wall times, warm cache.
#   2. `preflight tree` on 50 binaries of /usr/bin in one process vs libtree (C) and
#      lddtree (Python, pax-utils).
#   3. preflight's peak RSS on /usr.
#   4. growth: the same scan on a tree, then on the tree hard-linked 10 times.
# Installs what it needs from Debian's packages. Numbers, not pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v scanelf >/dev/null || need+=(pax-utils)
command -v lddtree >/dev/null || need+=(pax-utils)
command -v libtree >/dev/null || need+=(libtree)
command -v hyperfine >/dev/null || need+=(hyperfine)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --release --quiet
pf=target/release/preflight
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median() { # hyperfine JSON → median seconds of command N
  python3 -c "import json,sys; print('%.3f' % json.load(open(sys.argv[1]))['results'][int(sys.argv[2])]['median'])" "$1" "$2"
}

echo "== 1. /usr: preflight scan vs scanelf (median of 5, warm)"
hyperfine --warmup 1 --runs 5 --export-json "$out/usr.json" --style none \
  "$pf scan /usr --root / --format json --output /dev/null --quiet --fail-on never" \
  "scanelf -RBq -F '%F %n %r %t %i' /usr > /dev/null" >/dev/null
p=$(median "$out/usr.json" 0); s=$(median "$out/usr.json" 1)
echo "preflight scan: ${p} s   scanelf: ${s} s   ratio preflight/scanelf: $(python3 -c "print('%.2f' % ($p/$s))")"

echo "== 2. dependency trees of 50 binaries of /usr/bin"
mapfile -t bins < <(find /usr/bin -maxdepth 1 -type f -size +8k -perm -u+x | sort | head -50)
hyperfine --warmup 1 --runs 5 --export-json "$out/tree.json" --style none -i \
  "$pf tree --root / --format json --output /dev/null --quiet ${bins[*]}" \
  "libtree ${bins[*]} > /dev/null" >/dev/null
hyperfine --runs 1 --export-json "$out/lddtree.json" --style none -i "lddtree ${bins[*]} > /dev/null" >/dev/null
pt=$(median "$out/tree.json" 0); lt=$(median "$out/tree.json" 1); ld=$(median "$out/lddtree.json" 0)
echo "preflight tree: ${pt} s   libtree: ${lt} s   lddtree: ${ld} s"

echo "== 3. peak RSS, preflight scan /usr --format json"
/usr/bin/time -f "%M KiB" "$pf" scan /usr --root / --format json --output /dev/null --quiet --fail-on never 2>&1 | tail -1

echo "== 4. growth: a tree of copies, then 10 times as many copies"
# Copies, not hard links: preflight reads a hard-linked file once, so links would not
# measure growth. The base is /usr/bin's ELF files (about 390 MB).
base=$out/base
mkdir -p "$base"
find /usr/bin -maxdepth 1 -type f -exec cp -t "$base" {} +
big=$out/big
for i in $(seq 1 10); do mkdir -p "$big/copy$i" && cp -a "$base/." "$big/copy$i/"; done
hyperfine --warmup 1 --runs 3 --export-json "$out/grow.json" --style none \
  "$pf scan $base --root / --format json --output /dev/null --quiet --fail-on never" \
  "$pf scan $big --root / --format json --output /dev/null --quiet --fail-on never" >/dev/null
b=$(median "$out/grow.json" 0); g=$(median "$out/grow.json" 1)
echo "1x: ${b} s   10x: ${g} s   ratio: $(python3 -c "print('%.1f' % ($g/$b))")"
/usr/bin/time -f "1x peak RSS: %M KiB" "$pf" scan "$base" --root / --format json --output /dev/null --quiet --fail-on never 2>&1 | tail -1
/usr/bin/time -f "10x peak RSS: %M KiB" "$pf" scan "$big" --root / --format json --output /dev/null --quiet --fail-on never 2>&1 | tail -1

echo "== 5. a huge file costs no more than a small one"
small=$out/small-elf
cp tests/fixtures/bin/pie-glibc234 "$small"
huge=$out/huge-elf
cp "$small" "$huge"
truncate -s 2G "$huge" # sparse: 2 GB long, the same few pages of content
hyperfine --warmup 2 --runs 10 --export-json "$out/huge.json" --style none -N \
  "$pf inspect --format json --output /dev/null $small" \
  "$pf inspect --format json --output /dev/null $huge" >/dev/null
echo "6 KB ELF: $(median "$out/huge.json" 0) s   2 GB ELF: $(median "$out/huge.json" 1) s"
/usr/bin/time -f "2 GB ELF peak RSS: %M KiB" "$pf" inspect --format json --output /dev/null "$huge" 2>&1 | tail -1
