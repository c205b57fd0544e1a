#!/usr/bin/env bash
# Rebuilds every host data set under policies/hosts/ from its sources, step by step; each step
# keeps what it already made in $HOSTDATA_CACHE (default /work/hostdata-cache), so a second run
# only redoes what is missing. Prints the time of each step.
#   roots.sh      mmdebstrap minbase roots (Debian 11/12/13, Ubuntu 20.04-26.04)      network, root, qemu
#   capture.py    every library of each root (+ preflight's own capture on amd64/arm64)
#   indexes.sh    Contents and Packages indexes of every release and architecture     network
#   debian.py     policies/hosts/{debian,ubuntu}-*/
#   wheels.py     policies/hosts/{manylinux,musllinux}_*/  (auditwheel's policy files)
#   unreachable.py policies/hosts/{rhel,amazonlinux,fedora,opensuse,alpine}-*/  (facts + repo-info lists)
#   oracle.sh     Debian 12 test oracle (policies/oracles/)
#   check.py      validation and sizes
# Usage: policies/regen/all.sh        (as root: mmdebstrap --mode=root, binfmt_misc)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HOSTDATA_CACHE:-/work/hostdata-cache}
step() { local t=$SECONDS name; name=$(basename "$([ "$1" = python3 ] && echo "$2" || echo "$1")"); echo "== $name"; "$@"; echo "== $name: $((SECONDS - t)) s"; }
step "$here/roots.sh"
mapfile -t built < <(find "$cache/roots" -maxdepth 1 -name '*.ok' ! -name '*oracle*' -printf '%f\n' | sed 's/\.ok$//' | sort)
step python3 "$here/capture.py" "${built[@]}"
step "$here/indexes.sh"
step python3 "$here/debian.py"
step python3 "$here/wheels.py"
step python3 "$here/unreachable.py"
step "$here/oracle.sh"
step python3 "$here/check.py" --indexes --roots --sizes
