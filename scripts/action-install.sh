#!/usr/bin/env bash
# The GitHub Action's install step (action.yml runs it): puts preflight on PATH.
#
#   PREFLIGHT_VERSION=latest   the latest release of the action's repository (default)
#   PREFLIGHT_VERSION=v0.2.0   that release (0.2.0 works too)
#   PREFLIGHT_VERSION=source   cargo install from the action's own checkout (needs Rust)
#
# A release binary is the archive that scripts/release-build.sh makes,
# preflight-vVERSION-ARCH-unknown-linux-musl.tar.gz, downloaded with the release's
# sha256sums.txt. It is used only if sha256sums.txt has exactly one well-formed line for
# that archive and the archive's SHA-256 matches it: a missing sums file, a missing or
# malformed line, or a mismatch stops the step (exit 2) before anything is unpacked.
#
# Environment (action.yml passes inputs and contexts through env:, never through ${{ }}
# in the script):
#   PREFLIGHT_VERSION             the version input
#   PREFLIGHT_ACTION_REPOSITORY   github.action_repository (may be empty, see below)
#   PREFLIGHT_RUNNER_OS, PREFLIGHT_RUNNER_ARCH   runner.os and runner.arch
#   GH_TOKEN                      sent to GitHub's API only, to ask for the latest release
#   GITHUB_ACTION_PATH, GITHUB_REPOSITORY, GITHUB_SERVER_URL, GITHUB_API_URL,
#   RUNNER_TEMP, GITHUB_PATH      set by the runner
#
# The downloads use curl and the repository's public release URLs, so the action's
# repository must be public for release binaries (a private copy: version: source).
# scripts/test-release.sh runs this script against a local copy of a release.
set -euo pipefail

fail() {
  echo "::error title=preflight::$*"
  exit 2
}

version="${PREFLIGHT_VERSION:-latest}"
dest="$RUNNER_TEMP/preflight-action"
mkdir -p "$dest/bin"

if [[ "$version" == source ]]; then
  echo "Building preflight from $GITHUB_ACTION_PATH with cargo install"
  command -v cargo >/dev/null || fail "version: source needs a Rust toolchain (cargo) on the runner"
  cargo install --locked --quiet --root "$dest" --path "$GITHUB_ACTION_PATH"
  echo "$dest/bin" >> "$GITHUB_PATH"
  "$dest/bin/preflight" --version
  exit 0
fi

tag_pattern='^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$'
if [[ "$version" != latest ]]; then
  [[ "$version" == v* ]] || version="v$version"
  [[ "$version" =~ $tag_pattern ]] || fail "version must be latest, source, or a release tag such as v0.2.0"
fi
[[ "${PREFLIGHT_RUNNER_OS:-Linux}" == Linux ]] ||
  fail "release binaries are built for Linux runners (this one is $PREFLIGHT_RUNNER_OS); set version: source to build from source"
case "${PREFLIGHT_RUNNER_ARCH:-}" in
  X64) target=x86_64-unknown-linux-musl ;;
  ARM64) target=aarch64-unknown-linux-musl ;;
  *) fail "no release binary for runner architecture '${PREFLIGHT_RUNNER_ARCH:-}'; set version: source to build from source" ;;
esac

repo="${PREFLIGHT_ACTION_REPOSITORY:-}"
if [[ -z "$repo" && "$GITHUB_ACTION_PATH" == */_actions/*/*/* ]]; then
  # github.action_repository is only reliable when passed through env: in a composite
  # action (actions/runner#2473); the action's path, .../_actions/OWNER/REPO/REF[/dir],
  # names it too.
  rest="${GITHUB_ACTION_PATH#*/_actions/}"
  repo="${rest%%/*}/$(cut -d/ -f2 <<< "$rest")"
fi
# uses: ./ (the action is this repository's own checkout)
repo="${repo:-$GITHUB_REPOSITORY}"
[[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || fail "cannot tell the action's repository (got '$repo')"

# https only, redirects included; plain http only when the runner's own server URL is
# http (scripts/test-release.sh serves a release from 127.0.0.1).
proto='=https'
if [[ "${GITHUB_SERVER_URL:-}" == http://* ]]; then proto='=https,http'; fi
fetch() { # URL FILE
  curl --fail --silent --show-error --location --retry 3 --proto "$proto" --proto-redir "$proto" --output "$2" "$1"
}

download="$RUNNER_TEMP/preflight-download"
rm -rf "$download"
mkdir -p "$download"

if [[ "$version" == latest ]]; then
  # The API's latest release: the newest one that is neither a draft nor a prerelease.
  api="${GITHUB_API_URL:-https://api.github.com}/repos/$repo/releases/latest"
  auth=()
  if [[ -n "${GH_TOKEN:-}" ]]; then auth=(--header "Authorization: Bearer $GH_TOKEN"); fi
  curl --fail --silent --show-error --location --retry 3 --proto "$proto" --proto-redir "$proto" "${auth[@]}" \
    --header "Accept: application/vnd.github+json" --output "$download/latest.json" "$api" ||
    fail "cannot read the latest release of $repo ($api); name a tag in version, or set version: source"
  # The release's own tag_name comes first (assets have none); the tag is checked below.
  version="$({ grep -o '"tag_name": *"[^"]*"' "$download/latest.json" || true; } | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/')"
  [[ "$version" =~ $tag_pattern ]] || fail "the latest release of $repo has no tag of the form v0.2.0 (got '$version')"
fi

stem="preflight-$version-$target"
archive="$stem.tar.gz"
base="${GITHUB_SERVER_URL:-https://github.com}/$repo/releases/download/$version"
echo "Downloading $archive and sha256sums.txt from the $version release of $repo"
fetch "$base/sha256sums.txt" "$download/sha256sums.txt" ||
  fail "the $version release of $repo has no sha256sums.txt: refusing to run an unverified binary"
fetch "$base/$archive" "$download/$archive" ||
  fail "the $version release of $repo has no $archive"

# sha256sum's format: 64 hex digits, two spaces (or space and *), the file name.
expected="$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1 }' "$download/sha256sums.txt")"
[[ -n "$expected" ]] || fail "sha256sums.txt of $version has no line for $archive: refusing to run an unverified binary"
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || fail "sha256sums.txt of $version has more than one, or a malformed, line for $archive"
actual="$(sha256sum "$download/$archive")"
actual="${actual%% *}"
[[ "$actual" == "$expected" ]] ||
  fail "SHA-256 of $archive does not match sha256sums.txt of $version (got $actual, expected $expected): not installed"
echo "$archive: SHA-256 $actual matches sha256sums.txt"

tar -xzf "$download/$archive" -C "$download" "$stem/preflight" ||
  fail "$archive has no $stem/preflight"
install -m 0755 "$download/$stem/preflight" "$dest/bin/preflight"
echo "$dest/bin" >> "$GITHUB_PATH"
"$dest/bin/preflight" --version
