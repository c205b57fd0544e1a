#!/usr/bin/env bash
# Downloads the package indexes the repository maps are read from, into
# $HOSTDATA_CACHE/indexes/ (default /work/hostdata-cache): per release and architecture
# the Contents index (every file of every package) and the Packages index (to check that
# a file's package is a library package), for the release pocket and its -updates and
# -security pockets. A file already downloaded is kept (delete it to fetch it again).
#
# Debian: dists/<suite>/main/Contents-<arch>.gz, main/binary-<arch>/Packages.xz
# Ubuntu: dists/<suite>/Contents-<arch>.gz (all components in one file; the component is
#         the first part of the section), main and universe binary-<arch>/Packages.xz.
#         Only amd64 and i386 are on archive.ubuntu.com (resolute also has Contents-arm64);
#         the other architectures are on ports.ubuntu.com, which is not reachable here.
# Usage: policies/regen/indexes.sh [RELEASE ...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HOSTDATA_CACHE:-/work/hostdata-cache}
out=$cache/indexes
mkdir -p "$out"

get() { # url file  (a missing index is recorded as an empty .missing file)
    [ -e "$2" ] || [ -e "$2.missing" ] && return 0
    if curl -fsS --retry 3 -o "$2.part" "$1"; then mv "$2.part" "$2"; echo "got $1"
    else rm -f "$2.part"; : >"$2.missing"; echo "missing $1"; fi
}

while IFS=$'\t' read -r release _family _version codename archive arches _inferred; do
    case $release in '#'*|'') continue ;; esac
    if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$release"; then continue; fi
    mkdir -p "$out/$release"
    if [ "$archive" = debian ]; then
        for arch in $arches; do
            for pocket in "" -updates -security; do
                base=http://deb.debian.org/debian
                [ "$pocket" = -security ] && base=http://deb.debian.org/debian-security
                get "$base/dists/$codename$pocket/main/Contents-$arch.gz" "$out/$release/Contents$pocket-$arch.gz"
                get "$base/dists/$codename$pocket/main/binary-$arch/Packages.xz" "$out/$release/Packages$pocket-main-$arch.xz"
            done
        done
    else
        for arch in amd64 i386 arm64; do
            for pocket in "" -updates -security; do
                base=http://archive.ubuntu.com/ubuntu
                [ "$pocket" = -security ] && base=http://security.ubuntu.com/ubuntu
                get "$base/dists/$codename$pocket/Contents-$arch.gz" "$out/$release/Contents$pocket-$arch.gz"
                for comp in main universe; do
                    get "$base/dists/$codename$pocket/$comp/binary-$arch/Packages.xz" "$out/$release/Packages$pocket-$comp-$arch.xz"
                done
            done
        done
    fi
done <"$here/releases.tsv"
