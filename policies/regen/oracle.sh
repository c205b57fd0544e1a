#!/usr/bin/env bash
# Builds the test oracle's root: Debian 12 amd64 minbase plus 20 packages whose programs need
# libraries outside minbase, then records for each such library the package `dpkg -S` names in
# that root (oracle.py). Root: $HOSTDATA_CACHE/roots/debian-12-amd64-oracle (not in git).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HOSTDATA_CACHE:-/work/hostdata-cache}
dir=$cache/roots/debian-12-amd64-oracle
packages=curl,wget,openssl,git,sqlite3,jq,libxml2-utils,rsync,openssh-client,gnupg,file,htop,tmux,nano,iproute2,procps,tcpdump,gawk,postgresql-client-15,redis-tools
if [ ! -e "$dir.ok" ]; then
    rm -rf "$dir"
    mkdir -p "$cache/logs"
    mmdebstrap --variant=minbase --mode=root --arch=amd64 --format=directory --include="$packages" \
        --aptopt='Acquire::Retries "3"' bookworm "$dir" \
        "deb http://deb.debian.org/debian bookworm main" \
        "deb http://deb.debian.org/debian bookworm-updates main" \
        "deb http://deb.debian.org/debian-security bookworm-security main" >"$cache/logs/debian-12-amd64-oracle.log" 2>&1
    date -u +%Y-%m-%dT%H:%M:%SZ >"$dir.ok"
fi
python3 "$here/oracle.py" "$dir" "$packages"
