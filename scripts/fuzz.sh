#!/usr/bin/env bash
# Fuzzes preflight's readers of untrusted input with cargo-fuzz (libFuzzer, with
# AddressSanitizer, debug assertions and overflow checks):
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
#   elf_facts       preflight::elf::read_facts on arbitrary bytes (and the JSON of its facts)
#   other_binary    the archive reader and the Mach-O/PE identification
#   image_layer     arbitrary bytes as the one layer of a docker archive, opened and scanned
#   image_manifest  arbitrary bytes as an OCI index.json / manifest or a docker manifest.json
#   profile_yaml    arbitrary text as a target profile and as a policy file
#   archive         arbitrary bytes as an archive or package (tar, zip, wheel, .deb, .rpm), opened and scanned
#
# SECONDS_PER_TARGET defaults to 60; the targets default to all six, run one after the
# other. Each target's corpus (fuzz/corpus/TARGET, seeded from the fixtures by
# fuzz/seed.sh) grows from run to run; its log is fuzz/artifacts/TARGET.log. The script
# prints, per target, the executions run and whether it found a crash, and exits 1 if
# any target crashed (a panic, a sanitizer error, a timeout over 10 s for one input, or
# more than 2048 MiB). To reproduce and minimize a crash:
#
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...
#   cargo +nightly fuzz tmin TARGET fuzz/artifacts/TARGET/crash-...
#
# then save what the runs found, the minimized corpus and every crash, with
#
#   fuzz/export.sh
#
# which copies them to tests/fixtures/fuzz/TARGET/: tests/fuzz_regressions.rs replays
# every file there on each `cargo test`, and fails when a target has none.
#
# Extra libFuzzer options for every target go in FUZZ_ARGS, e.g.
#   FUZZ_ARGS="-use_value_profile=1 -max_len=200000" scripts/fuzz.sh 600 elf_facts
#
# Needs the nightly toolchain (rustup toolchain install nightly) and cargo-fuzz, which
# the script installs with `cargo install cargo-fuzz --locked` when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
all_targets=(elf_facts other_binary image_layer image_manifest profile_yaml archive)
if (($# > 0)); then
  targets=("$@")
else
  targets=("${all_targets[@]}")
fi
for t in "${targets[@]}"; do
  if [[ ! -f "fuzz/fuzz_targets/$t.rs" ]]; then
    echo "fuzz.sh: unknown target $t (known: ${all_targets[*]})" >&2
    exit 2
  fi
done

if ! rustup run nightly rustc --version > /dev/null 2>&1; then
  echo "fuzz.sh: installing the nightly toolchain"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version > /dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

bash fuzz/seed.sh
cargo +nightly fuzz build

read -ra extra <<< "${FUZZ_ARGS:-}"
crashed=0
mkdir -p fuzz/artifacts
summary=()
for target in "${targets[@]}"; do
  log="fuzz/artifacts/$target.log"
  dict=()
  if [[ -f "fuzz/dicts/$target.dict" ]]; then
    dict=("-dict=fuzz/dicts/$target.dict")
  fi
  # The image targets scan, and a scan runs a scoped thread: std::thread::scope can
  # return before that thread's TLS destructors have run, and LeakSanitizer then
  # sometimes reports glibc's 32-byte TLS-destructor node (__cxa_thread_atexit_impl)
  # as a leak (seen once in ~120,000 runs of each; the input alone never repeats it).
  # Memory is still bounded by -rss_limit_mb.
  case "$target" in
    image_layer | image_manifest | archive) dict+=("-detect_leaks=0") ;;
  esac
  echo "fuzz.sh: $target for ${seconds}s (log: $log)"
  status=0
  cargo +nightly fuzz run "$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 "${dict[@]}" "${extra[@]}" \
    > "$log" 2>&1 || status=$?
  runs="$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log" | tail -n 1)"
  artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
  if ((status != 0)) || [[ -n "$artifact" ]]; then
    crashed=1
    kind="$(grep -m 1 -oE 'panicked at [^ ]+:[0-9]+:[0-9]+|ERROR: libFuzzer: [a-z-]+( [a-z-]+)*' "$log" || true)"
    if [[ "$kind" == panicked* ]]; then
      # The panic message is the line after "panicked at FILE:LINE:COLUMN:".
      kind="$kind: $(grep -m 1 -A 1 'panicked at' "$log" | sed -n 2p || true)"
    fi
    if [[ -z "$runs" ]]; then
      runs="$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#' || true)"
      runs="${runs:-0} runs (stopped)"
    fi
    line="$target: CRASH after $runs: ${kind:-exit status $status}; input: ${artifact:-none saved}"
  else
    line="$target: ok, ${runs:-? runs}, no crash"
  fi
  echo "fuzz.sh: $line"
  summary+=("$line")
done

echo
echo "fuzz.sh: summary (${seconds}s per target)"
printf '  %s\n' "${summary[@]}"
if ((crashed)); then
  echo "fuzz.sh: a target crashed; see its log and input above" >&2
  exit 1
fi
