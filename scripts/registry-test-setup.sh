#!/usr/bin/env bash
# Installs what tests/registry.rs needs to serve images on 127.0.0.1: Debian's
# docker-registry (the CNCF distribution registry, v2.8), skopeo (pushes the fixture
# images) and openssl (makes the test's CA and certificate). Nothing is installed when both are present. Run by .ci/run; the
# tests skip, saying so, only when these cannot be installed (no apt-get, not root).
set -euo pipefail

missing=()
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v skopeo >/dev/null || missing+=(skopeo)
command -v openssl >/dev/null || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "registry-test-setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
command -v apt-get >/dev/null || { echo "registry-test-setup: no apt-get to install ${missing[*]}" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
