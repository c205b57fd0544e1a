#!/usr/bin/env bash
# Saves what the fuzzers found as regression inputs: each target's corpus is
# minimized (cargo fuzz cmin: the fewest inputs that reach every feature the whole
# corpus reaches), then its smallest inputs, up to a byte budget per target, and every
# crash found (fuzz/artifacts/TARGET/crash-*, timeout-*, oom-*, leak-*) are copied to
# tests/fixtures/fuzz/TARGET/, named by their sha256. tests/fuzz_regressions.rs
# replays every one of them on each `cargo test`.
#
#   fuzz/export.sh [BUDGET_BYTES_PER_TARGET] [TARGET...]
#
# BUDGET defaults to 65536; inputs larger than 8 KiB are left out (the seeds, which
# are the fixtures themselves, are replayed by the tests anyway). Files already saved
# are kept. Needs what scripts/fuzz.sh needs, and a corpus it grew.
set -euo pipefail
cd "$(dirname "$0")/.."

budget="${1:-65536}"
if ! [[ "$budget" =~ ^[0-9]+$ ]]; then
  echo "usage: fuzz/export.sh [BUDGET_BYTES_PER_TARGET] [TARGET...]" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(elf_facts other_binary image_layer image_manifest profile_yaml archive)
fi
max_size=8192

for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  out="tests/fixtures/fuzz/$target"
  if [[ ! -d "$corpus" ]]; then
    echo "export.sh: no corpus for $target (run scripts/fuzz.sh first)" >&2
    exit 1
  fi
  # -detect_leaks=0: see the note on leaks in scripts/fuzz.sh.
  cargo +nightly fuzz cmin "$target" -- -detect_leaks=0 > "fuzz/artifacts/$target.cmin.log" 2>&1
  mkdir -p "$out"
  used=0
  saved=0
  # Crashes first, whatever their size; then the corpus, smallest first.
  while IFS= read -r -d '' file; do
    size="$(stat -c %s "$file")"
    case "$file" in
      fuzz/artifacts/*) ;;
      *)
        if ((size > max_size || used + size > budget)); then
          continue
        fi
        ;;
    esac
    name="$(sha256sum "$file" | cut -c1-16)"
    if [[ ! -e "$out/$name" ]]; then
      cp "$file" "$out/$name"
      saved=$((saved + 1))
    fi
    used=$((used + size))
  done < <(
    {
      find "fuzz/artifacts/$target" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) -print0 2> /dev/null || true
      find "$corpus" -type f -printf '%s\t%p\0' | sort -z -n | cut -z -f2-
    }
  )
  echo "export.sh: $target: $saved new inputs, $(find "$out" -type f | wc -l) in $out ($(du -sk "$out" | cut -f1) KiB)"
done
