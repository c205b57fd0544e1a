#!/usr/bin/env bash
# Builds one release archive of preflight: a statically linked Linux executable for
# TARGET, packed as OUTDIR/preflight-vVERSION-TARGET.tar.gz, with its sha256 line next
# to it (.sha256) and in OUTDIR/sha256sums.txt. The release workflow
# (.github/workflows/release.yml) runs exactly this, once per target:
#
#   scripts/release-build.sh x86_64-unknown-linux-musl dist
#   scripts/release-build.sh aarch64-unknown-linux-musl dist
#   scripts/release-build.sh --sums dist            # (re)write dist/sha256sums.txt
#   scripts/release-build.sh --names TARGET         # print the archive name and the
#                                                   # executable's path inside it
#   scripts/release-build.sh --package BIN TARGET OUTDIR   # pack an existing BIN
#
# The archive's name and layout are what action.yml downloads and what
# [package.metadata.binstall] in Cargo.toml describes (scripts/test-release.sh checks
# that the three agree):
#
#   preflight-v0.2.0-x86_64-unknown-linux-musl.tar.gz
#     preflight-v0.2.0-x86_64-unknown-linux-musl/preflight
#     preflight-v0.2.0-x86_64-unknown-linux-musl/README.md
#
# Why cargo-zigbuild. The musl targets need a C compiler for the target, because zstd-sys
# compiles zstd's C sources; rustup's musl targets bring musl's libc.a and start files
# but no compiler or headers. Debian and Ubuntu package musl-gcc for the host only, and
# no aarch64 musl cross compiler at all. Zig's `zig cc` carries musl's headers and libc
# for every architecture, so one x86_64 machine (this one, or GitHub's ubuntu runner)
# builds both targets the same way, with no Docker (cross) and no emulator. Both
# cargo-zigbuild and Zig come from PyPI as binary wheels (the pins below), installed
# into a virtual environment under ${XDG_CACHE_HOME:-$HOME/.cache}/preflight-release.
# The Rust target is added with rustup when it is missing.
#
# The binary is checked before it is packed: the ELF machine is the target's, there is
# no PT_INTERP and no NEEDED (static), and it runs: natively when the target is the
# host's architecture, else under qemu-user when qemu-TARGETARCH(-static) is installed
# (--version must print the Cargo.toml version, and it scans samples/dist).
#
# With PREFLIGHT_RELEASE_TAG set (the workflow passes the pushed tag), the tag must be
# v followed by Cargo.toml's version, or the script stops before building.
#
# Reproducible where it can be: paths of the checkout and of cargo's registry are
# remapped in the binary, and the archive's entries carry SOURCE_DATE_EPOCH (default:
# the last commit's time), owner 0 and no gzip timestamp.
set -euo pipefail
cd "$(dirname "$0")/.."

PINS=(
  "cargo-zigbuild==0.24.1"
  "ziglang==0.15.2"
)
TARGETS=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/preflight-release"
STAMP="$VENV/.preflight-release-pins"

die() {
  echo "release-build.sh: $*" >&2
  exit 2
}

usage() {
  sed -n '/^#   scripts/p' "$0" | sed 's/^# *//' >&2
  exit 2
}

check_target() {
  local t
  for t in "${TARGETS[@]}"; do
    if [[ "$1" == "$t" ]]; then return 0; fi
  done
  die "unknown target '$1' (one of: ${TARGETS[*]})"
}

package_version() {
  cargo metadata --no-deps --format-version 1 --offline |
    python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "preflight"))'
}

# The one place the release names are made.
archive_stem() {
  echo "preflight-v$1-$2"
}

write_sums() {
  local outdir="$1" archives sidecar
  shopt -s nullglob
  archives=("$outdir"/preflight-v*-*.tar.gz)
  shopt -u nullglob
  ((${#archives[@]})) || die "no preflight-v*-*.tar.gz in $outdir"
  # The .sha256 written next to each archive by the build must still match: the archives
  # travel between jobs of the workflow as artifacts before they are released.
  for a in "${archives[@]}"; do
    sidecar="$a.sha256"
    if [[ -f "$sidecar" ]]; then
      (cd "$outdir" && sha256sum --check --strict --quiet -- "${sidecar##*/}") ||
        die "${a##*/} no longer matches ${sidecar##*/}"
    fi
  done
  (cd "$outdir" && LC_ALL=C sha256sum -- "${archives[@]##*/}" | LC_ALL=C sort -k 2) > "$outdir/sha256sums.txt.tmp"
  mv "$outdir/sha256sums.txt.tmp" "$outdir/sha256sums.txt"
  echo "== $outdir/sha256sums.txt"
  cat "$outdir/sha256sums.txt"
}

# Packs BIN as the release archive of TARGET into OUTDIR and prints its sha256 line last.
package() {
  local bin="$1" target="$2" outdir="$3" version stem stage epoch archive
  version="$(package_version)"
  stem="$(archive_stem "$version" "$target")"
  mkdir -p "$outdir"
  stage="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the trap runs after stage goes out of scope
  trap "rm -rf '$stage'" EXIT
  mkdir "$stage/$stem"
  install -m 0755 "$bin" "$stage/$stem/preflight"
  install -m 0644 README.md "$stage/$stem/README.md"
  epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
  archive="$outdir/$stem.tar.gz"
  tar --create --format=gnu --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    --directory "$stage" "$stem" | gzip -9 --no-name > "$archive.tmp"
  mv "$archive.tmp" "$archive"
  (cd "$outdir" && sha256sum -- "$stem.tar.gz") > "$archive.sha256"
  write_sums "$outdir" >/dev/null
  echo "== $archive: $(stat -c %s "$archive") bytes; preflight inside: $(stat -c %s "$bin") bytes"
  cat "$archive.sha256"
}

as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

setup_tools() {
  local target="$1" want
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$target"; then
    echo "== rustup target add $target"
    rustup target add "$target"
  fi
  want="$(printf '%s\n' "${PINS[@]}")"
  if [[ -x "$VENV/bin/cargo-zigbuild" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    return 0
  fi
  command -v python3 >/dev/null || die "python3 is required"
  # Debian's python3 lacks ensurepip (and so a working venv) until python3-venv is in.
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    echo "== installing python3-venv with apt-get"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  echo "== installing ${PINS[*]} into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: "${PINS[@]}"
  printf '%s\n' "${PINS[@]}" > "$STAMP"
}

# Runs the built binary when this machine can: natively, or under qemu-user.
runner_for() {
  local arch="$1" host
  host="$(uname -m)"
  if [[ "$arch" == "$host" ]]; then
    echo native
  elif command -v "qemu-$arch-static" >/dev/null; then
    echo "qemu-$arch-static"
  elif command -v "qemu-$arch" >/dev/null; then
    echo "qemu-$arch"
  fi
}

check_binary() {
  local bin="$1" target="$2" version="$3" arch machine run out
  arch="${target%%-*}"
  case "$arch" in
    x86_64) machine="Advanced Micro Devices X86-64" ;;
    aarch64) machine="AArch64" ;;
  esac
  echo "== checking $bin"
  readelf -hW "$bin" | grep -q "Machine: *$machine\$" ||
    die "$bin is not a $arch executable: $(readelf -hW "$bin" | grep Machine:)"
  if readelf -lW "$bin" | grep -q 'Requesting program interpreter'; then
    die "$bin has a program interpreter (PT_INTERP): it is dynamically linked"
  fi
  if readelf -dW "$bin" 2>/dev/null | grep -q '(NEEDED)'; then
    die "$bin needs shared libraries: $(readelf -dW "$bin" | grep '(NEEDED)')"
  fi
  echo "readelf: $arch, no PT_INTERP, no NEEDED: statically linked"
  run="$(runner_for "$arch")"
  if [[ -z "$run" ]]; then
    echo "not run: this is $(uname -m) and there is no qemu-$arch(-static) (apt-get install qemu-user-static)"
    return 0
  fi
  local cmd=("$bin")
  [[ "$run" == native ]] || cmd=("$run" "$bin")
  out="$("${cmd[@]}" --version)"
  echo "${cmd[*]} --version: $out"
  [[ "$out" == "preflight $version" ]] || die "--version prints '$out', expected 'preflight $version'"
  # A real scan: the samples' loader facts and one arch-mismatch finding (the aarch64 tool).
  echo "${cmd[*]} scan samples/dist --target debian-12 --quiet --fail-on never"
  "${cmd[@]}" scan samples/dist --target debian-12 --quiet --fail-on never
}

build() {
  local target="$1" outdir="$2" version target_dir bin flags
  check_target "$target"
  version="$(package_version)"
  if [[ -n "${PREFLIGHT_RELEASE_TAG:-}" && "$PREFLIGHT_RELEASE_TAG" != "v$version" ]]; then
    die "the tag $PREFLIGHT_RELEASE_TAG does not name Cargo.toml's version $version (expected v$version)"
  fi
  setup_tools "$target"
  export PATH="$VENV/bin:$PATH"
  echo "== $(cargo-zigbuild --version), zig $("$VENV/bin/python" -m ziglang version), $(rustc --version)"

  target_dir=target/release-build
  # Paths in panic messages and debug info name the checkout and the registry; remapped,
  # they are the same on every machine. musl targets link statically by default;
  # crt-static says it anyway.
  flags="-C target-feature=+crt-static --remap-path-prefix=$PWD=preflight --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=cargo"
  echo "== cargo zigbuild --release --locked --target $target (RUSTFLAGS: $flags)"
  RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }$flags" \
    cargo zigbuild --release --locked --target "$target" --target-dir "$target_dir"
  bin="$target_dir/$target/release/preflight"
  check_binary "$bin" "$target" "$version"
  package "$bin" "$target" "$outdir"
}

case "${1:-}" in
  --sums)
    [[ $# == 2 ]] || usage
    write_sums "$2"
    ;;
  --names)
    [[ $# == 2 ]] || usage
    check_target "$2"
    stem="$(archive_stem "$(package_version)" "$2")"
    echo "$stem.tar.gz"
    echo "$stem/preflight"
    ;;
  --package)
    [[ $# == 4 ]] || usage
    check_target "$3"
    package "$2" "$3" "$4"
    ;;
  -* | "")
    usage
    ;;
  *)
    [[ $# == 2 ]] || usage
    build "$1" "$2"
    ;;
esac
