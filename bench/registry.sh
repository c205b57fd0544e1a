#!/usr/bin/env bash
# Benchmark: scan a large image straight from a registry, against the same image on
# disk, and report wall time and peak memory of each.
#
# Builds (once) a Debian 12 root with mmdebstrap (clang, LLVM, gcc, gdb, Python, Qt,
# GTK: about 1.5 GB unpacked, 8,000+ files) from deb.debian.org, packs it as a one-layer
# OCI image with umoci (about 490 MiB of gzip), starts Debian's docker-registry on
# 127.0.0.1, pushes the image with skopeo, then runs
# `preflight scan registry:127.0.0.1:PORT/big/debian:1 --tls-verify=false` and
# `preflight scan oci:DIR:latest` three times each. The registry scan streams the layer
# over HTTP through its digest check: its memory should stay near the on-disk scan's.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for tool in mmdebstrap umoci skopeo docker-registry; do
  command -v "$tool" >/dev/null || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
cargo build --release --quiet
work=${BENCH_DIR:-/tmp/preflight-bench-registry}
if [ ! -f "$work/done" ]; then
  rm -rf "$work" && mkdir -p "$work"
  mmdebstrap --variant=minbase \
    --include=clang-14,llvm-14-dev,libllvm15,g++,gdb,python3,libicu72,libqt5widgets5,libgtk-3-0 \
    bookworm "$work/root" http://deb.debian.org/debian
  umoci init --layout "$work/oci"
  umoci new --image "$work/oci:latest"
  umoci config --image "$work/oci:latest" --os linux --architecture amd64
  umoci insert --image "$work/oci:latest" "$work/root" /
  rm -rf "$work/root"
  touch "$work/done"
fi
size=$(du -sb "$work/oci/blobs" | cut -f1)
echo "image: $work/oci ($((size / 1048576)) MiB of compressed blobs)"

rm -rf "$work/registry" && mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/data
http:
  addr: 127.0.0.1:0
EOF
docker-registry serve "$work/registry/config.yml" 2> "$work/registry/log" &
registry=$!
trap 'kill "$registry"' EXIT
port=
for _ in $(seq 1 50); do
  port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/registry/log")
  [ -n "$port" ] && break
  sleep 0.1
done
skopeo copy --quiet --dest-tls-verify=false "oci:$work/oci:latest" "docker://127.0.0.1:$port/big/debian:1"

for source in "registry:127.0.0.1:$port/big/debian:1" "oci:$work/oci:latest"; do
  for run in 1 2 3; do
    /usr/bin/time -f "$source run $run: %e s wall, %M KiB peak RSS" \
      target/release/preflight scan --quiet --format json --output /dev/null --fail-on never \
      --tls-verify=false "$source" 2>&1 | tail -1
  done
done
