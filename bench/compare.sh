#!/usr/bin/env bash
# preflight against the tools users know, on this machine's /usr: every row of the
# performance table (issue 20), from alternating runs.
#
#   bench/compare.sh            the rows as they are measured, then the table
#   bench/compare.sh --readme   only the markdown table on stdout (the rest on stderr):
#                               README's "Performance" table is this output
#
# Each row runs its commands in ROUNDS rounds (default 10); a round is one hyperfine
# call running every command of the row in turn (RUNS times each: more for the rows
# that take milliseconds), so the tools alternate and share whatever the machine is
# doing. The median of all runs is shown, with the load average before and after.
#
# COLD_ROUNDS=N (default ROUNDS; 0 skips the row: dropping the page cache slows
# everything else on the machine) for the cold row.
#
# PF_BEFORE=/path/to/old/preflight puts an older binary in the same rounds: each row
# then shows before, after, the peer, after/peer and the goal. Never pass --output
# /dev/null to preflight here: releases before the fix replaced /dev/null (run as
# root) with the report; hyperfine discards the output itself.
#
# Rows: scan /usr --root / warm vs scanelf; the same with a cold cache (the page cache
# dropped before each run; skipped, saying so, when /proc/sys/vm/drop_caches cannot be
# written); scan of /usr/bin (ELF-dense) vs scanelf; tree of 50 binaries in one
# process and tree of one binary vs libtree; a large OCI image (bench/image.sh builds
# it) vs decompressing its layers and walking the tar; peak RSS on /usr; growth
# (/usr/bin copied 1x and 10x); a sparse 2 GB ELF vs a 6 KB one.
# Installs what it needs from Debian's packages. Numbers, not pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --readme ]; then
  exec 3>&1 1>&2
else
  exec 3>&1
fi
rounds=${ROUNDS:-10}
need=()
command -v scanelf >/dev/null || need+=(pax-utils)
command -v libtree >/dev/null || need+=(libtree)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# PF=/path/to/preflight times that binary instead of building this checkout's.
pf=${PF:-}
if [ -z "$pf" ]; then
  cargo build --release --quiet
  pf=$PWD/target/release/preflight
fi
before=${PF_BEFORE:-}
if [ -n "$before" ] && [ ! -x "$before" ]; then
  echo "PF_BEFORE=$before is not an executable" >&2
  exit 2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
table=$out/table.md
{
  echo "| work | preflight before | preflight | peer | ratio (preflight/peer) | goal |"
  echo "|---|---|---|---|---|---|"
} >"$table"

load() { cut -d' ' -f1-3 /proc/loadavg; }

# median SECONDS of the runs of command N over every round's JSON file.
median() { # N files...
  python3 - "$@" <<'EOF'
import json, statistics, sys
n = int(sys.argv[1])
times = []
for f in sys.argv[2:]:
    times += json.load(open(f))["results"][n]["times"]
print(statistics.median(times))
EOF
}

# Pretty seconds: 1.234 s, 12.3 ms, 456 µs.
shown() {
  python3 -c "
import sys
s = float(sys.argv[1])
print('%.2f s' % s if s >= 1 else ('%.2f ms' % (s * 1e3) if s >= 1e-3 else '%.0f µs' % (s * 1e6)))" "$1"
}

ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

# row NAME GOAL PEER_NAME RUNS PREPARE -- PREFLIGHT_ARGS... -- PEER_COMMAND
# PREFLIGHT_ARGS run with the new binary (and PF_BEFORE's); PEER_COMMAND (a shell
# line) is the other tool, "" for none. PREPARE ("" for none) runs before each run.
row() {
  local name=$1 goal=$2 peer_name=$3 runs=$4 prepare=$5
  shift 5
  [ "$1" = -- ] && shift
  local args=()
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  local peer=$1
  local cmds=() files=()
  local quoted
  quoted=$(printf ' %q' "${args[@]}")
  [ -n "$before" ] && cmds+=("$before$quoted")
  cmds+=("$pf$quoted")
  [ -n "$peer" ] && cmds+=("$peer")
  local opts=(--style none --runs "$runs" -i "${no_shell[@]}")
  [ -n "$prepare" ] && opts+=(--prepare "$prepare")
  [ -z "$prepare" ] && opts+=(--warmup 1)
  echo "== $name (load before: $(load))"
  for r in $(seq 1 "$rounds"); do
    hyperfine "${opts[@]}" --export-json "$out/r$r.json" "${cmds[@]}" >/dev/null
    files+=("$out/r$r.json")
  done
  local i=0 b="" a p="" line shown_line
  if [ -n "$before" ]; then b=$(median $i "${files[@]}"); i=$((i + 1)); fi
  a=$(median $i "${files[@]}"); i=$((i + 1))
  [ -n "$peer" ] && p=$(median $i "${files[@]}")
  line="| $name | ${b:+$(shown "$b")} | $(shown "$a") | ${p:+$peer_name $(shown "$p")} | ${p:+$(ratio "$a" "$p")} | $goal |"
  shown_line="  "
  [ -n "$b" ] && shown_line+=" before: $(shown "$b") "
  shown_line+=" preflight: $(shown "$a")"
  # A row without a peer (growth, inspect) has no ratio and no goal to print.
  [ -n "$p" ] && shown_line+="  ${peer_name}: $(shown "$p")  ratio: $(ratio "$a" "$p") (goal $goal)"
  echo "$shown_line"
  echo "   (medians of $((rounds * runs)) runs each, $rounds alternating rounds; load after: $(load))"
  echo "$line" >>"$table"
  rm -f "${files[@]}"
}

scan_args=(--format json --quiet --fail-on never)
no_shell=()
elf_count=$(scanelf -RB -F '%F' /usr 2>/dev/null | wc -l)

row "\`scan /usr --root /\` warm ($elf_count ELF files)" "≤ 0.5" scanelf 1 "" \
  -- scan /usr --root / "${scan_args[@]}" -- "scanelf -RBq -F '%F %n %r %t %i' /usr"

cold_rounds=${COLD_ROUNDS:-$rounds}
if [ "$cold_rounds" = 0 ]; then
  echo "== same, cold cache: skipped (COLD_ROUNDS=0)"
  echo "| same, cold cache | | | | skipped (COLD_ROUNDS=0) | ≤ 0.35 |" >>"$table"
elif [ -w /proc/sys/vm/drop_caches ] && (sync && echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
  saved=$rounds
  rounds=$cold_rounds
  row "same, cold cache" "≤ 0.35" scanelf 1 "sync; echo 3 > /proc/sys/vm/drop_caches" \
    -- scan /usr --root / "${scan_args[@]}" -- "scanelf -RBq -F '%F %n %r %t %i' /usr"
  rounds=$saved
else
  echo "== same, cold cache: skipped (/proc/sys/vm/drop_caches cannot be written: run as root, outside a container)"
  echo "| same, cold cache | | | | skipped: needs root to drop the page cache | ≤ 0.35 |" >>"$table"
fi

row "\`scan\` of an ELF-dense tree (/usr/bin)" "≤ 2" scanelf 3 "" \
  -- scan /usr/bin --root / "${scan_args[@]}" -- "scanelf -RBq -F '%F %n %r %t %i' /usr/bin"

# 50 dynamically linked ELF programs of /usr/bin (scripts and static programs left out:
# libtree refuses them).
mapfile -t bins < <(find /usr/bin -maxdepth 1 -type f -size +8k -perm -u+x | sort |
  python3 -c '
import sys
n = 0
for path in sys.stdin.read().split():
    with open(path, "rb") as f:
        head = f.read(4096)
    if head[:4] == b"\x7fELF" and b"ld-linux" in head and n < 50:
        print(path); n += 1')
one=/usr/bin/ls
[ -x "$one" ] || one=${bins[0]}
# Milliseconds each: run without a shell, whose start-up hyperfine cannot subtract
# precisely enough at that scale.
no_shell=(-N)
row "\`tree\` of ${#bins[@]} binaries, one process" "≤ 1.0" libtree 20 "" \
  -- tree --root / --format json "${bins[@]}" -- "libtree ${bins[*]}"
row "\`tree\` of one binary ($one)" "≤ 1.0" libtree 20 "" \
  -- tree --root / --format json "$one" -- "libtree $one"
no_shell=()

# The image of bench/image.sh (built once, kept in BENCH_DIR); the peer decompresses
# each layer and lists its tar, what any image scan must at least do.
work=${BENCH_DIR:-/tmp/preflight-bench-image}
IMAGE_BUILD_ONLY=1 bench/image.sh >/dev/null
mib=$(($(du -sb "$work/oci/blobs" | cut -f1) / 1048576))
layers=$(python3 - "$work/oci" <<'EOF'
import json, os, sys
oci = sys.argv[1]
blob = lambda d: os.path.join(oci, "blobs", *d.split(":"))
index = json.load(open(os.path.join(oci, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
print(" ".join(blob(l["digest"]) for l in manifest["layers"]))
EOF
)
row "$mib MiB OCI image" "≤ 1.0" "decompress + tar walk" 1 "" \
  -- scan "oci:$work/oci:big" "${scan_args[@]}" -- "for l in $layers; do gzip -dc \$l | tar -tf - >/dev/null; done"

echo "== peak RSS, scan /usr --root / (load before: $(load))"
rss() { # binary → median peak RSS in MB of 3 runs
  for _ in 1 2 3; do
    /usr/bin/time -f "%M" "$1" scan /usr --root / "${scan_args[@]}" 2>&1 >/dev/null | tail -1
  done | sort -n | sed -n 2p | awk '{printf "%.0f", $1 / 1024}'
}
rb=""
[ -n "$before" ] && rb=$(rss "$before")
ra=$(rss "$pf")
echo "  ${rb:+ before: $rb MB } preflight: $ra MB  (goal < 150 MB; load after: $(load))"
echo "| peak RSS, \`scan /usr\` | ${rb:+$rb MB} | $ra MB | | | < 150 MB |" >>"$table"

# Growth: /usr/bin's ELF files copied once, then 10 times (copies, not hard links:
# preflight reads a hard-linked file once).
base=$out/base
mkdir -p "$base"
find /usr/bin -maxdepth 1 -type f -exec cp -t "$base" {} +
big=$out/big
for i in $(seq 1 10); do mkdir -p "$big/copy$i" && cp -a "$base/." "$big/copy$i/"; done
saved=$rounds
rounds=$(((rounds + 2) / 3))
row "growth: /usr/bin copied 1×" "" "" 3 "" -- scan "$base" --root / "${scan_args[@]}" -- ""
row "growth: /usr/bin copied 10×" "" "" 1 "" -- scan "$big" --root / "${scan_args[@]}" -- ""
rounds=$saved
rm -rf "$base" "$big"

# A huge file costs no more than a small one: a sparse 2 GB copy of a 6 KB program.
small=$out/small-elf
cp tests/fixtures/bin/pie-glibc234 "$small"
huge=$out/huge-elf
cp "$small" "$huge"
truncate -s 2G "$huge"
row "\`inspect\` of a 6 KB ELF file" "" "" 10 "" -- inspect --format json "$small" -- ""
row "\`inspect\` of the same, sparse, 2 GB long" "" "" 10 "" -- inspect --format json "$huge" -- ""

{
  echo "Produced by \`bench/compare.sh\`${before:+ (PF_BEFORE: the preflight before)} on $(nproc) cores, $(date -u +%Y-%m-%d); medians of alternating runs:"
  echo
  cat "$table"
} >&3
