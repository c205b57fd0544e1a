#!/usr/bin/env bash
# Checks that the three descriptions of a release archive agree, and that the Action's
# install step verifies what it downloads:
#
#   scripts/test-release.sh
#
# 1. Names: scripts/release-build.sh --names (what the release workflow uploads) against
#    [package.metadata.binstall] in Cargo.toml, with binstall's template variables
#    filled in as cargo-binstall does for pkg-fmt tgz.
# 2. scripts/action-install.sh (action.yml's install step) against a release served
#    from 127.0.0.1: archives packed by release-build.sh --package from a stand-in
#    executable (a shell script that prints the version, so no build is needed),
#    sha256sums.txt written by release-build.sh --sums, and the API's latest-release
#    answer. version latest, a tag, and both runner architectures must install the
#    right archive; a tampered archive, a wrong or missing checksum line, a missing
#    sums file, an unknown tag, a bad version or a non-Linux runner must fail with
#    exit 2 and install nothing.
#
# Needs bash, python3, curl, tar, gzip, sha256sum and cargo (for the version): no
# network, no Rust build. Runs in .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
ok() {
  echo "ok: $*"
  passed=$((passed + 1))
}
not_ok() {
  echo "FAILED: $*"
  failed=$((failed + 1))
}

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

version="$(cargo metadata --no-deps --format-version 1 --offline |
  python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "preflight"))')"
tag="v$version"

echo "== release names: scripts/release-build.sh --names against Cargo.toml's binstall metadata"
for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  mapfile -t names < <(bash scripts/release-build.sh --names "$target")
  if python3 - "$target" "${names[0]}" "${names[1]}" <<'PY'; then
import sys
import tomllib

target, archive, bin_path = sys.argv[1:]
with open("Cargo.toml", "rb") as f:
    package = tomllib.load(f)["package"]
meta = package["metadata"]["binstall"]
# cargo-binstall's variables; { repo } is package.repository (any URL here), and
# archive-suffix follows pkg-fmt.
suffixes = {"tgz": ".tar.gz", "txz": ".tar.xz", "tzstd": ".tar.zst", "zip": ".zip", "bin": ""}
values = {
    "repo": "https://github.com/OWNER/preflight",
    "name": package["name"],
    "version": package["version"],
    "target": target,
    "archive-suffix": suffixes[meta["pkg-fmt"]],
    "archive-format": meta["pkg-fmt"],
    "bin": "preflight",
    "binary-ext": "",
}

def render(template):
    import re
    def var(m):
        return values[m.group(1)]
    return re.sub(r"\{ *([a-z-]+) *\}", var, template)

url = render(meta["pkg-url"])
want_url = f"https://github.com/OWNER/preflight/releases/download/v{package['version']}/{archive}"
problems = []
if url != want_url:
    problems.append(f"pkg-url gives {url}, the release has {want_url}")
if render(meta["bin-dir"]) != bin_path:
    problems.append(f"bin-dir gives {render(meta['bin-dir'])}, the archive holds {bin_path}")
if not archive.endswith(suffixes[meta["pkg-fmt"]]):
    problems.append(f"pkg-fmt {meta['pkg-fmt']} does not match {archive}")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
    ok "$target: binstall's pkg-url and bin-dir name ${names[0]} and ${names[1]}"
  else
    not_ok "$target: binstall metadata and release-build.sh disagree"
  fi
done

echo
echo "== scripts/action-install.sh against a release served from 127.0.0.1"
stand_in="$work/stand-in"
printf '#!/bin/sh\necho "preflight %s"\n' "$version" > "$stand_in"
chmod +x "$stand_in"
srv="$work/srv"
release="$srv/OWNER/preflight/releases/download/$tag"
for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  bash scripts/release-build.sh --package "$stand_in" "$target" "$release" >/dev/null
done
# The sidecars stay in the build's output; a release has only sha256sums.txt.
rm -f "$release"/*.sha256
mkdir -p "$srv/api/repos/OWNER/preflight/releases"
# Compact, as the API may send it, with a tag_name in a nested object after the real one.
printf '{"url":"x","tag_name":"%s","name":"preflight %s","author":{"login":"x"},"assets":[{"name":"a","tag_name":"v9.9.9"}]}' \
  "$tag" "$tag" > "$srv/api/repos/OWNER/preflight/releases/latest"

python3 - "$srv" "$work/port" <<'PY' > "$work/server.log" 2>&1 &
import functools, http.server, sys
root, port_file = sys.argv[1:]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
server_pid=$!
for _ in $(seq 50); do
  [[ -s "$work/port" ]] && break
  sleep 0.1
done
[[ -s "$work/port" ]] || {
  cat "$work/server.log"
  echo "test-release.sh: the local server did not start" >&2
  exit 1
}
url="http://127.0.0.1:$(cat "$work/port")"

# install NAME EXPECTED_STATUS EXPECTED_OUTPUT [VAR=VALUE...]: runs the install step with
# a fresh RUNNER_TEMP, checks its status, a piece of its output, and that it installed
# preflight (status 0) or nothing (otherwise).
case_n=0
install() {
  local name="$1" want_status="$2" want_text="$3"
  shift 3
  case_n=$((case_n + 1))
  local temp="$work/runner-$case_n" status=0 out
  mkdir -p "$temp"
  : > "$temp/github_path"
  out="$(env -i PATH="$PATH" HOME="$HOME" \
    RUNNER_TEMP="$temp" GITHUB_PATH="$temp/github_path" \
    GITHUB_ACTION_PATH="$PWD" GITHUB_REPOSITORY=someone/else \
    GITHUB_SERVER_URL="$url" GITHUB_API_URL="$url/api" \
    PREFLIGHT_ACTION_REPOSITORY=OWNER/preflight PREFLIGHT_RUNNER_OS=Linux PREFLIGHT_RUNNER_ARCH=X64 \
    PREFLIGHT_VERSION=latest GH_TOKEN=test-token \
    "$@" bash scripts/action-install.sh 2>&1)" || status=$?
  local installed="$temp/preflight-action/bin/preflight" problems=()
  [[ "$status" == "$want_status" ]] || problems+=("exit $status, expected $want_status")
  [[ "$out" == *"$want_text"* ]] || problems+=("output lacks '$want_text'")
  if [[ "$want_status" == 0 ]]; then
    [[ -x "$installed" && "$("$installed" --version)" == "preflight $version" ]] || problems+=("preflight not installed")
    [[ "$(cat "$temp/github_path")" == "$temp/preflight-action/bin" ]] || problems+=("GITHUB_PATH not set")
  else
    [[ ! -e "$installed" ]] || problems+=("installed a binary anyway")
    [[ ! -s "$temp/github_path" ]] || problems+=("changed GITHUB_PATH anyway")
  fi
  if ((${#problems[@]})); then
    not_ok "$name: ${problems[*]}"
    while IFS= read -r line; do echo "    | $line"; done <<< "$out"
  else
    ok "$name"
  fi
}

x86="preflight-$tag-x86_64-unknown-linux-musl.tar.gz"
arm="preflight-$tag-aarch64-unknown-linux-musl.tar.gz"
install "latest on X64 installs $x86" 0 "$x86: SHA-256"
install "latest on ARM64 installs $arm" 0 "$arm: SHA-256" PREFLIGHT_RUNNER_ARCH=ARM64
install "version $tag" 0 "$x86: SHA-256" PREFLIGHT_VERSION="$tag"
install "version $version (no v)" 0 "$x86: SHA-256" PREFLIGHT_VERSION="$version"
install "empty version means latest" 0 "$x86: SHA-256" PREFLIGHT_VERSION=
install "repository from the action's path when github.action_repository is empty" 0 "$x86: SHA-256" \
  PREFLIGHT_ACTION_REPOSITORY= GITHUB_ACTION_PATH=/home/runner/work/_actions/OWNER/preflight/v1
install "unknown tag" 2 "has no sha256sums.txt" PREFLIGHT_VERSION=v9.9.9
install "a version that is not a tag" 2 "version must be latest, source, or a release tag" PREFLIGHT_VERSION="main"
install "non-Linux runner" 2 "built for Linux runners" PREFLIGHT_RUNNER_OS=macOS
install "unknown architecture" 2 "no release binary for runner architecture" PREFLIGHT_RUNNER_ARCH=ARM

sums="$release/sha256sums.txt"
cp "$sums" "$work/sums.good"
cp "$release/$x86" "$work/x86.good"

# The archive changed after the sums were written (the sums still name it).
printf '#!/bin/sh\necho "preflight %s (tampered)"\n' "$version" > "$work/tampered"
chmod +x "$work/tampered"
bash scripts/release-build.sh --package "$work/tampered" x86_64-unknown-linux-musl "$work/tampered-out" >/dev/null
cp "$work/tampered-out/$x86" "$release/$x86"
install "tampered archive" 2 "does not match" # sha256sums.txt says
cp "$work/x86.good" "$release/$x86"

grep -v " $x86\$" "$work/sums.good" > "$sums"
install "sha256sums.txt without the archive's line" 2 "has no line for $x86"

sed "s/^[0-9a-f]\{64\}  $x86\$/$(printf '0%.0s' $(seq 64))  $x86/" "$work/sums.good" > "$sums"
install "wrong checksum" 2 "does not match"

{
  cat "$work/sums.good"
  grep " $x86\$" "$work/sums.good"
} > "$sums"
install "two lines for the archive" 2 "more than one, or a malformed, line"

sed "s/^[0-9a-f]\{64\}  $x86\$/not-a-hash  $x86/" "$work/sums.good" > "$sums"
install "malformed checksum" 2 "more than one, or a malformed, line"

rm "$sums"
install "no sha256sums.txt" 2 "has no sha256sums.txt"
cp "$work/sums.good" "$sums"

rm "$srv/api/repos/OWNER/preflight/releases/latest"
install "no latest release" 2 "cannot read the latest release"

echo
echo "test-release: $passed passed, $failed failed"
((failed == 0))
