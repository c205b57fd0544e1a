#!/usr/bin/env bash
# Builds a real root of each Debian / Ubuntu release and architecture with mmdebstrap
# (--variant=minbase: Priority: required + apt, what the official images are made of).
# Foreign architectures run their maintainer scripts under qemu-user-static through
# binfmt_misc (this script enables the handlers when they are disabled); where that is
# not possible, set HOSTDATA_EXTRACT=1 to unpack the same package set with
# --variant=extract instead (no maintainer scripts, no dpkg database: the package of a
# file then comes from the .debs' own file lists, see capture.py).
#
# Usage: policies/regen/roots.sh [RELEASE[-ARCH] ...]     (default: every row of releases.tsv)
# Roots go to $HOSTDATA_CACHE/roots/<release>-<arch>/ (default /work/hostdata-cache), never
# into git. A root whose .ok stamp exists is not built again (delete the stamp to rebuild).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HOSTDATA_CACHE:-/work/hostdata-cache}
mkdir -p "$cache/roots" "$cache/keyrings" "$cache/logs"

ubuntu_keyring() {
    # Debian 12 has no ubuntu-keyring package; take Ubuntu's own from its archive.
    local ring=$cache/keyrings/ubuntu-archive-keyring.gpg
    if [ ! -s "$ring" ]; then
        local deb=$cache/keyrings/ubuntu-keyring.deb tmp
        curl -fsS -o "$deb" http://archive.ubuntu.com/ubuntu/pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1build1_all.deb
        tmp=$(mktemp -d)
        dpkg-deb -x "$deb" "$tmp"
        cp "$tmp/usr/share/keyrings/ubuntu-archive-keyring.gpg" "$ring"
        rm -rf "$tmp"
    fi
    echo "$ring"
}

qemu_name() {
    case $1 in
        arm64) echo aarch64 ;; armhf) echo arm ;; ppc64el) echo ppc64le ;;
        s390x) echo s390x ;; riscv64) echo riscv64 ;; *) echo "" ;;
    esac
}

enable_binfmt() {
    local q
    q=$(qemu_name "$1")
    [ -n "$q" ] || return 0
    [ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$q" 2>/dev/null || update-binfmts --enable "qemu-$q"
}

run_mmdebstrap() { # mirror lines; uses variant, arch, opts, codename, dir, release of build()
    # the hook's $1 is mmdebstrap's root, expanded by the hook's own shell
    # shellcheck disable=SC2016
    mmdebstrap --variant=$variant --mode=root --arch="$arch" --format=directory \
        --aptopt='Acquire::Retries "3"' "${opts[@]}" \
        --customize-hook='chroot "$1" dpkg-query -W -f="\${Package}\t\${Version}\t\${Architecture}\n" > "$1/.hostdata-packages"' \
        "$codename" "$dir" "$@" >>"$cache/logs/$release-$arch.log" 2>&1
}

build() { # release codename archive arch
    local release=$1 codename=$2 archive=$3 arch=$4
    local dir=$cache/roots/$release-$arch
    [ -e "$dir.ok" ] && { echo "have $dir"; return 0; }
    # one builder per root when several run in parallel
    mkdir "$dir.lock" 2>/dev/null || { echo "$dir is being built by another run"; return 0; }
    trap 'rmdir "$dir.lock" 2>/dev/null' RETURN
    rm -rf "$dir"
    local -a mirrors opts
    if [ "$archive" = debian ]; then
        mirrors=("deb http://deb.debian.org/debian $codename main"
                 "deb http://deb.debian.org/debian $codename-updates main"
                 "deb http://deb.debian.org/debian-security $codename-security main")
    else
        mirrors=("deb http://archive.ubuntu.com/ubuntu $codename main"
                 "deb http://archive.ubuntu.com/ubuntu $codename-updates main"
                 "deb http://security.ubuntu.com/ubuntu $codename-security main")
        opts+=(--keyring="$(ubuntu_keyring)")
    fi
    local variant=minbase
    if [ "${HOSTDATA_EXTRACT:-0}" = 1 ] && [ "$arch" != amd64 ] && [ "$arch" != i386 ]; then
        # the amd64 root's package set, unpacked without running anything
        variant=extract
        opts+=(--include="$(cut -f1 "$cache/roots/$release-amd64/.hostdata-packages" | paste -sd, -)")
    else
        enable_binfmt "$arch"
    fi
    echo "building $dir ($variant)"
    : >"$cache/logs/$release-$arch.log"
    local start=$SECONDS
    local pockets=all
    if ! run_mmdebstrap "${mirrors[@]}"; then
        # The mirror here lacks some -security pool files of older releases on some
        # architectures (bullseye arm64: index entries whose .deb is a 404). The same
        # package set without the -security pocket, and the stamp says so.
        echo "retrying $dir without the -security pocket"
        rm -rf "$dir"
        pockets=no-security
        if ! run_mmdebstrap "${mirrors[@]:0:2}"; then
            # the -updates index itself can be inconsistent on the mirror (ubuntu resolute arm64:
            # "File has unexpected size"): the release pocket alone
            echo "retrying $dir with the release pocket only"
            rm -rf "$dir"
            pockets="release-only"
            run_mmdebstrap "${mirrors[0]}"
        fi
    fi
    # mmdebstrap succeeds on an empty package set (an architecture the mirror dropped)
    if [ "$(wc -l <"$dir/.hostdata-packages")" -lt 20 ]; then
        echo "$dir: fewer than 20 packages installed; see $cache/logs/$release-$arch.log" >&2
        return 1
    fi
    echo "$variant $pockets $((SECONDS - start))s $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$dir.ok"
    echo "built $dir in $((SECONDS - start)) s"
}

want() { # release arch -> 0 when the command line asks for it
    [ $# -gt 0 ] || return 0
    local r=$1 a=$2 w
    shift 2
    for w in "${selection[@]}"; do
        [ "$w" = "$r" ] || [ "$w" = "$r-$a" ] && return 0
    done
    return 1
}

selection=("$@")
while IFS=$'\t' read -r release _family _version codename archive arches _inferred; do
    case $release in '#'*|'') continue ;; esac
    for arch in $arches; do
        if [ ${#selection[@]} -eq 0 ] || want "$release" "$arch" "${selection[@]}"; then
            build "$release" "$codename" "$archive" "$arch"
        fi
    done
done <"$here/releases.tsv"
