#!/usr/bin/env python3
"""Compare `preflight inspect` with GNU readelf on every ELF file under DIRs.

Usage:
    scripts/compare-readelf.py [--preflight PATH] [--jobs N] [--batch N]
                               [--show N] [--readelf-only] DIR...

Walks each DIR (symlinks are not followed; only regular files whose first
four bytes are b"\\x7fELF" are used), computes the readelf facts of each file
with tests/fixtures/readelf_facts.py (run in parallel, --jobs workers,
default 2) and the preflight facts with

    PREFLIGHT inspect --format json FILE...

in batches of --batch files (default 200); preflight prints a JSON array with
one object per file, the keys of readelf_facts.py plus "status": "ok" (or
"status": "unreadable" with a "reason": those are counted, not compared).

Keys are compared as follows: needed, rpath, runpath in order; version_defs
and the lists in version_needs / symbols_by_version as sorted sets; all other
keys for equality.  The report gives per-key mismatch counts, the first
--show (default 20) differing files with the differing keys and both values,
and ends with the line "compared N files, M differed".  Exit status is 1 if
any file differed, 0 otherwise.

--readelf-only skips preflight altogether: it only checks that the oracle
parses every ELF file under DIRs (reports counts and readelf failures) and
exits 1 if the oracle crashed on any file.

Python 3 standard library only.
"""

import argparse
import collections
import concurrent.futures
import importlib.util
import json
import os
import stat
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ORACLE = os.path.join(REPO, "tests", "fixtures", "readelf_facts.py")

ORDERED_LIST_KEYS = ("needed", "rpath", "runpath")
SET_KEYS = ("version_defs",)
DICT_OF_SETS_KEYS = ("version_needs", "symbols_by_version")
SCALAR_KEYS = (
    "class",
    "endian",
    "machine",
    "kind",
    "interpreter",
    "soname",
    "textrel",
    "executable_stack",
    "x86_isa_level",
)
COMPARED_KEYS = SCALAR_KEYS + ORDERED_LIST_KEYS + SET_KEYS + DICT_OF_SETS_KEYS


def load_oracle():
    sys.dont_write_bytecode = True  # no __pycache__ in tests/fixtures/
    spec = importlib.util.spec_from_file_location("readelf_facts", ORACLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def find_elf_files(dirs):
    """Regular files (no symlinks followed) starting with \\x7fELF, sorted."""
    found = []
    skipped_unreadable = 0
    for top in dirs:
        for root, subdirs, files in os.walk(top, followlinks=False):
            subdirs.sort()
            for name in sorted(files):
                p = os.path.join(root, name)
                try:
                    st = os.lstat(p)
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    with open(p, "rb") as f:
                        magic = f.read(4)
                except OSError:
                    skipped_unreadable += 1
                    continue
                if magic == b"\x7fELF":
                    found.append(p)
    return found, skipped_unreadable


def run_oracle(oracle, paths, jobs):
    """path -> facts dict, {"error": ...} (readelf failed) or {"crash": ...}."""

    def one(p):
        try:
            return oracle.facts_for_file(p)
        except oracle.ReadelfError as e:
            return {"path": p, "error": str(e)}
        except Exception:  # a bug in the oracle's parser
            return {"path": p, "crash": traceback.format_exc()}

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        for p, r in zip(paths, ex.map(one, paths)):
            results[p] = r
    return results


def run_preflight(preflight, paths, batch):
    """path -> preflight's object for it (or {"status": "missing"...})."""
    results = {}
    for i in range(0, len(paths), batch):
        chunk = paths[i:i + batch]
        proc = subprocess.run(
            [preflight, "inspect", "--format", "json"] + chunk,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            arr = json.loads(proc.stdout.decode("utf-8", "surrogateescape"))
        except ValueError as e:
            err = proc.stderr.decode("utf-8", "replace").strip()
            msg = "preflight output is not JSON (exit %d): %s; stderr: %s" % (
                proc.returncode, e, err[:500])
            for p in chunk:
                results[p] = {"path": p, "status": "preflight-failed", "reason": msg}
            continue
        if not isinstance(arr, list):
            arr = [arr]
        by_path = {}
        for obj in arr:
            if isinstance(obj, dict) and "path" in obj:
                by_path[obj["path"]] = obj
        for idx, p in enumerate(chunk):
            obj = by_path.get(p)
            if obj is None and len(arr) == len(chunk) and isinstance(arr[idx], dict):
                obj = arr[idx]  # fall back to position
            if obj is None:
                obj = {"path": p, "status": "missing",
                       "reason": "no object for this path in preflight output"}
            results[p] = obj
    return results


def normalize(key, value):
    if key in SET_KEYS:
        return sorted(set(value)) if isinstance(value, list) else value
    if key in DICT_OF_SETS_KEYS:
        if isinstance(value, dict):
            return {k: sorted(set(v)) if isinstance(v, list) else v
                    for k, v in sorted(value.items())}
        return value
    return value


_MISSING = "<missing key>"


def compare_one(expected, actual):
    """List of (key, readelf_value, preflight_value) that differ."""
    diffs = []
    for key in COMPARED_KEYS:
        e = normalize(key, expected.get(key, _MISSING))
        a = normalize(key, actual.get(key, _MISSING))
        if e != a:
            diffs.append((key, e, a))
    return diffs


def short(value, limit=300):
    s = json.dumps(value, sort_keys=True)
    return s if len(s) <= limit else s[:limit] + "..."


def main(argv):
    ap = argparse.ArgumentParser(
        description="Compare preflight inspect with readelf on ELF files.")
    ap.add_argument("--preflight", default=os.path.join(REPO, "target", "release", "preflight"),
                    help="preflight binary (default: target/release/preflight)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel readelf workers (default 2)")
    ap.add_argument("--batch", type=int, default=200, help="files per preflight call (default 200)")
    ap.add_argument("--show", type=int, default=20, help="differing files to show (default 20)")
    ap.add_argument("--readelf-only", action="store_true",
                    help="only check that the readelf oracle parses every file")
    ap.add_argument("dirs", nargs="+", metavar="DIR")
    args = ap.parse_args(argv[1:])

    oracle = load_oracle()
    paths, unreadable_fs = find_elf_files(args.dirs)
    print("found %d ELF files under %s (%d files could not be opened)"
          % (len(paths), " ".join(args.dirs), unreadable_fs))

    if not args.readelf_only and not os.access(args.preflight, os.X_OK):
        print("preflight binary not found or not executable: %s" % args.preflight,
              file=sys.stderr)
        return 2

    oracle_res = run_oracle(oracle, paths, args.jobs)
    crashes = [r for r in oracle_res.values() if "crash" in r]
    errors = [r for r in oracle_res.values() if "error" in r]
    parsed = len(paths) - len(crashes) - len(errors)
    print("readelf oracle: %d parsed, %d readelf errors, %d oracle crashes"
          % (parsed, len(errors), len(crashes)))
    for r in errors[:args.show]:
        print("  readelf error: %s: %s" % (r["path"], r["error"][:300]))
    for r in crashes[:args.show]:
        print("  ORACLE CRASH: %s:\n%s" % (r["path"], r["crash"]))

    if args.readelf_only:
        kinds = collections.Counter(r.get("kind") for r in oracle_res.values()
                                    if "error" not in r and "crash" not in r)
        machines = collections.Counter(r.get("machine") for r in oracle_res.values()
                                       if "error" not in r and "crash" not in r)
        print("kinds: %s" % json.dumps(dict(sorted(kinds.items()))))
        print("machines: %s" % json.dumps(dict(sorted(machines.items()))))
        return 1 if crashes else 0

    pf_res = run_preflight(args.preflight, paths, args.batch)

    per_key = collections.Counter()
    status_counts = collections.Counter()
    differing = []
    both_unreadable = 0
    oracle_only_unreadable = []
    preflight_only_unreadable = []
    compared = 0
    for p in paths:
        exp = oracle_res[p]
        act = pf_res[p]
        status = act.get("status")
        status_counts[status] += 1
        exp_bad = "error" in exp or "crash" in exp
        if status != "ok":
            if exp_bad:
                both_unreadable += 1
            else:
                preflight_only_unreadable.append((p, status, act.get("reason")))
            continue
        if exp_bad:
            oracle_only_unreadable.append((p, exp.get("error") or "oracle crash"))
            continue
        compared += 1
        diffs = compare_one(exp, act)
        if diffs:
            for key, _, _ in diffs:
                per_key[key] += 1
            differing.append((p, diffs))

    print("preflight statuses: %s" % json.dumps(
        {str(k): v for k, v in sorted(status_counts.items(), key=lambda kv: str(kv[0]))}))
    print("unreadable for both: %d" % both_unreadable)
    if preflight_only_unreadable:
        print("unreadable for preflight only (readelf read them): %d"
              % len(preflight_only_unreadable))
        for p, status, reason in preflight_only_unreadable[:args.show]:
            print("  %s: %s: %s" % (p, status, reason))
    if oracle_only_unreadable:
        print("unreadable for readelf only (preflight said ok): %d" % len(oracle_only_unreadable))
        for p, err in oracle_only_unreadable[:args.show]:
            print("  %s: %s" % (p, err[:300]))

    print("mismatches per key:")
    for key in COMPARED_KEYS:
        print("  %-20s %d" % (key, per_key[key]))
    if differing:
        print("first %d differing files:" % min(args.show, len(differing)))
        for p, diffs in differing[:args.show]:
            print("  %s" % p)
            for key, e, a in diffs:
                print("    %s: readelf=%s preflight=%s" % (key, short(e), short(a)))
    print("compared %d files, %d differed" % (compared, len(differing)))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
