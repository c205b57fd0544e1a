#!/usr/bin/env bash
# Builds a statically linked preflight without Docker, the way the Dockerfile's build
# stage does, and checks the result:
#
#   scripts/build-static.sh            # prints the binary's path last
#   PREFLIGHT_STATIC=gnu scripts/build-static.sh
#
# The Dockerfile builds on rust:1-alpine for the musl target
# (x86_64-unknown-linux-musl / aarch64-unknown-linux-musl). Rust links musl statically
# by default. musl's static libc has no limits at run time, and Alpine brings the
# whole toolchain for it, so that is the image's build.
#
# Here the build uses the musl target when rustup has it installed. rustup fetches
# targets from static.rust-lang.org, so a machine that reaches only the package
# registries may not be able to add it. The fallback is the installed glibc target
# linked statically: -C target-feature=+crt-static. Rust makes that a static-pie with
# no interpreter and no NEEDED. That is fine for preflight, which calls none of the
# glibc functions that still dlopen at run time in a static binary (NSS lookups such as
# getpwnam or getaddrinfo, iconv): the link would warn about them, and the script
# prints such warnings. PREFLIGHT_STATIC=musl or PREFLIGHT_STATIC=gnu forces a choice.
#
# The output goes to its own target directory, target/static, so it never mixes with
# the normal builds in target/.
set -euo pipefail
cd "$(dirname "$0")/.."

host="$(rustc -vV | sed -n 's/^host: //p')"
arch="${host%%-*}"
musl="$arch-unknown-linux-musl"
gnu="$arch-unknown-linux-gnu"
installed="$(rustup target list --installed 2>/dev/null || true)"

kind="${PREFLIGHT_STATIC:-auto}"
if [[ "$kind" == auto ]]; then
  if grep -qx "$musl" <<< "$installed"; then kind=musl; else kind=gnu; fi
fi
case "$kind" in
  musl)
    triple="$musl"
    # musl targets link statically by default; crt-static is spelled out anyway.
    flags="-C target-feature=+crt-static"
    ;;
  gnu)
    triple="$gnu"
    flags="-C target-feature=+crt-static"
    ;;
  *)
    echo "build-static.sh: PREFLIGHT_STATIC must be musl, gnu or auto (got '$kind')" >&2
    exit 2
    ;;
esac
if ! grep -qx "$triple" <<< "$installed" && [[ "$triple" != "$host" ]]; then
  echo "build-static.sh: the Rust target $triple is not installed (rustup target add $triple)" >&2
  exit 2
fi

target_dir=target/static
echo "== building preflight for $triple, statically linked ($flags), into $target_dir"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# With --target, RUSTFLAGS reaches only the target's code: build scripts and proc-macro
# crates are still built for the host as usual (a proc macro cannot be static).
if ! RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }$flags" \
  cargo build --release --locked --target "$triple" --target-dir "$target_dir" 2>&1 | tee "$log"; then
  echo "build-static.sh: cargo build failed" >&2
  exit 1
fi
if grep -E "in statically linked applications requires at runtime" "$log"; then
  echo "build-static.sh: WARNING: the static binary calls glibc functions that load shared libraries at run time (above)" >&2
fi

bin="$target_dir/$triple/release/preflight"
echo
echo "== checking $bin"
file "$bin"
if readelf -lW "$bin" | grep -q 'Requesting program interpreter'; then
  echo "build-static.sh: $bin has a program interpreter (PT_INTERP): it is dynamically linked" >&2
  exit 1
fi
needed="$(readelf -dW "$bin" 2>/dev/null | grep '(NEEDED)' || true)"
if [[ -n "$needed" ]]; then
  echo "build-static.sh: $bin needs shared libraries:" >&2
  echo "$needed" >&2
  exit 1
fi
echo "readelf: no PT_INTERP, no NEEDED: statically linked"

# preflight's own view of itself.
"$bin" inspect "$bin" --format json | python3 -c '
import json, sys
f = json.load(sys.stdin)[0]
print("preflight inspect: kind %s, interpreter %s, needed %s" % (f["kind"], f["interpreter"], f["needed"]))
sys.exit(0 if f["kind"] in ("static-executable", "static-pie") and not f["needed"] else 1)
'

echo
echo "== $bin --version"
"$bin" --version

echo
echo "== $bin scan samples/dist --target debian-12 --fail-on never"
"$bin" scan samples/dist --target debian-12 --fail-on never

size="$(stat -c %s "$bin")"
echo
echo "static preflight ($triple): $bin, $size bytes ($(numfmt --to=iec-i --suffix=B "$size"))"
