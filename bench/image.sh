#!/usr/bin/env bash
# Benchmark: scan a large container image and report wall time and peak memory.
# Builds an OCI image (umoci, from Debian's packages) whose one layer is this
# machine's /usr/lib/x86_64-linux-gnu and /usr/bin (several hundred MB), then runs
# `preflight scan` on it. Prints the image size and preflight's peak RSS: the scan
# streams each layer, so memory should stay far below the image size.
# IMAGE_BUILD_ONLY=1 builds the image (if not built yet) and stops: bench/compare.sh
# times the scan against its peer itself.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v umoci >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq umoci; }
[ -n "${IMAGE_BUILD_ONLY:-}" ] || cargo build --release --quiet
work=${BENCH_DIR:-/tmp/preflight-bench-image}
if [ ! -f "$work/done" ]; then
  rm -rf "$work" && mkdir -p "$work"
  umoci init --layout "$work/oci"
  umoci new --image "$work/oci:big"
  umoci unpack --rootless --image "$work/oci:big" "$work/bundle" >/dev/null
  mkdir -p "$work/bundle/rootfs/usr/lib" "$work/bundle/rootfs/usr/bin" "$work/bundle/rootfs/etc"
  cp -a /usr/lib/x86_64-linux-gnu "$work/bundle/rootfs/usr/lib/"
  cp -a /usr/bin/. "$work/bundle/rootfs/usr/bin/"
  cp -a /etc/ld.so.conf /etc/ld.so.conf.d "$work/bundle/rootfs/etc/" 2>/dev/null || true
  # merged /usr, as Debian 12: /lib and /lib64 are links into /usr.
  mkdir -p "$work/bundle/rootfs/usr/lib64"
  cp -a /usr/lib64/ld-linux-x86-64.so.2 "$work/bundle/rootfs/usr/lib64/"
  ln -s usr/lib "$work/bundle/rootfs/lib"
  ln -s usr/lib64 "$work/bundle/rootfs/lib64"
  umoci repack --image "$work/oci:big" "$work/bundle" >/dev/null
  rm -rf "$work/bundle"
  touch "$work/done"
fi
[ -n "${IMAGE_BUILD_ONLY:-}" ] && exit 0
size=$(du -sb "$work/oci/blobs" | cut -f1)
echo "image: $work/oci ($((size / 1048576)) MiB of compressed blobs)"
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KiB peak RSS" \
    target/release/preflight scan --quiet --format json --output /dev/null --fail-on never "oci:$work/oci:big" \
    2>&1 | tail -1
done
