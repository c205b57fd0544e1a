#!/usr/bin/env python3
"""Compare `preflight tree` with the real loader (`ldd`) on every dynamically
linked ELF file under DIRs.

Usage:
    scripts/compare-ldd.py [--preflight PATH] [--jobs N] [--batch N]
                           [--timeout S] [--show N] [--same-file-ok]
                           [--ldd-only] DIR...

Walks each DIR (symlinks are not followed; only regular files whose first four
bytes are b"\\x7fELF"), keeps the dynamically linked ones (a PT_INTERP, or
ET_DYN with at least one DT_NEEDED; relocatable objects, static executables
and libraries without NEEDED are skipped, and so are files with a musl
interpreter: glibc's ldd would trace them with the wrong loader), and runs

    ldd FILE                     (--jobs workers, default 2; --timeout s each)

with LD_LIBRARY_PATH / LD_PRELOAD removed.  Files ldd rejects ("not a dynamic
executable", e.g. other architectures) are skipped.  Its lines are parsed with
tests/fixtures/src/resolve/ldd_record.py: "soname => path (0x...)" and
"soname => not found" are the edges; the vdso line and the interpreter line
("/lib64/ld-linux-x86-64.so.2 (0x...)") are not.  Then

    PREFLIGHT tree --root / --format json FILE...

in batches of --batch files (default 100) gives one object per file with
"loaded": [{"soname", "path", ...}] and "missing": [{"soname", ...}] (or
{"path", "error"}: counted apart, not compared).

For every (file, soname) edge: ldd's path must equal preflight's loaded path
for that soname, an ldd "not found" must be in preflight's missing, and
preflight must not load or miss sonames ldd does not list (the interpreter's
soname, e.g. ld-linux-x86-64.so.2, is left out: ldd prints it without "=>";
it is compared separately, for information).  With --same-file-ok two
different paths naming the same file (e.g. /lib/x86_64-linux-gnu/X and
/usr/lib/x86_64-linux-gnu/X when /lib -> usr/lib) count as equal, and so does
a soname preflight lists that ldd shows under another name for the same file
(ld.so maps a file only once and ldd prints only its first name).

Prints per-reason counts, the first --show (default 30) differing edges with
both answers, and ends with "compared N files, E edges, D edges differed".
Exit status 1 if D > 0, 2 on usage errors, else 0.

--ldd-only skips preflight: it reports how many files and edges ldd gave.

Python 3 standard library only.
"""

import argparse
import collections
import concurrent.futures
import importlib.util
import json
import os
import stat
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LDD_RECORD = os.path.join(REPO, "tests", "fixtures", "src", "resolve", "ldd_record.py")

# Loaders glibc's ldd tries (RTLDLIST); a line naming one of them without
# "=>" is the interpreter.
KNOWN_RTLDS = ("/lib/ld-linux.so.2", "/lib64/ld-linux-x86-64.so.2",
               "/libx32/ld-linux-x32.so.2")

PT_INTERP, PT_DYNAMIC = 3, 2
ET_REL, ET_EXEC, ET_DYN = 1, 2, 3
DT_NULL, DT_NEEDED = 0, 1


def load_ldd_parser():
    sys.dont_write_bytecode = True  # no __pycache__ in tests/fixtures/
    spec = importlib.util.spec_from_file_location("ldd_record", LDD_RECORD)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --- finding the files --------------------------------------------------------

def find_elf_files(dirs):
    """The same walk as compare-readelf.py's: regular files starting with \\x7fELF."""
    spec = importlib.util.spec_from_file_location(
        "compare_readelf", os.path.join(HERE, "compare-readelf.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.find_elf_files(dirs)


def elf_dynamic_info(path):
    """(e_type, interpreter or None, number of DT_NEEDED) from the headers.

    Raises ValueError on anything malformed."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 52 or data[:4] != b"\x7fELF":
        raise ValueError("short or not ELF")
    cls, enc = data[4], data[5]
    if cls not in (1, 2) or enc not in (1, 2):
        raise ValueError("bad class/encoding")
    e = "<" if enc == 1 else ">"
    if cls == 2:
        if len(data) < 64:
            raise ValueError("short header")
        e_type, = struct.unpack_from(e + "H", data, 16)
        e_phoff, = struct.unpack_from(e + "Q", data, 32)
        e_phentsize, e_phnum = struct.unpack_from(e + "HH", data, 54)
        ph_fmt, dyn_fmt = e + "IIQQQQQQ", e + "qQ"
    else:
        e_type, = struct.unpack_from(e + "H", data, 16)
        e_phoff, = struct.unpack_from(e + "I", data, 28)
        e_phentsize, e_phnum = struct.unpack_from(e + "HH", data, 42)
        ph_fmt, dyn_fmt = e + "IIIIIIII", e + "iI"
    interp = None
    dyn = None
    ph_size = struct.calcsize(ph_fmt)
    if e_phnum and e_phentsize < ph_size:
        raise ValueError("bad e_phentsize")
    for i in range(e_phnum):
        off = e_phoff + i * e_phentsize
        if off + ph_size > len(data):
            raise ValueError("program headers past end of file")
        f = struct.unpack_from(ph_fmt, data, off)
        if cls == 2:
            p_type, p_offset, p_filesz = f[0], f[2], f[5]
        else:
            p_type, p_offset, p_filesz = f[0], f[1], f[4]
        if p_type == PT_INTERP:
            raw = data[p_offset:p_offset + p_filesz]
            interp = raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        elif p_type == PT_DYNAMIC:
            dyn = (p_offset, p_filesz)
    needed = 0
    if dyn is not None:
        off, size = dyn
        step = struct.calcsize(dyn_fmt)
        end = min(off + size, len(data))
        while off + step <= end:
            tag, _ = struct.unpack_from(dyn_fmt, data, off)
            if tag == DT_NULL:
                break
            if tag == DT_NEEDED:
                needed += 1
            off += step
    return e_type, interp, needed


def classify(path):
    """None if the file is to be traced, else the reason it is skipped."""
    try:
        e_type, interp, needed = elf_dynamic_info(path)
    except (OSError, ValueError, struct.error) as exc:
        return "unparsable ELF headers (%s)" % exc.__class__.__name__
    if e_type == ET_REL:
        return "relocatable object"
    if e_type not in (ET_EXEC, ET_DYN):
        return "neither executable nor shared object"
    if interp is not None and "ld-musl" in interp:
        return "musl interpreter"
    if interp is None and not needed:
        return "static (no interpreter, no NEEDED)"
    return None


# --- ldd ----------------------------------------------------------------------

def run_ldd_all(parser, paths, jobs, timeout):
    """path -> {"status": "ok"|"rejected"|"timeout"|"failed", ...}."""

    def one(p):
        try:
            rc, out = parser.run_ldd([p], timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"status": "timeout"}
        except OSError as exc:
            return {"status": "failed", "reason": str(exc)}
        parsed = parser.parse_ldd(out)
        if parsed["not_dynamic"]:
            return {"status": "rejected", "reason": "not a dynamic executable"}
        if rc != 0 and not (parsed["loaded"] or parsed["missing"]):
            return {"status": "failed", "reason": "exit %d: %s" % (rc, out.strip()[:300])}
        parsed["status"] = "ok"
        parsed["exit"] = rc
        return parsed

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        for p, r in zip(paths, ex.map(one, paths)):
            results[p] = r
    return results


def split_direct(direct, interp):
    """ldd lines without "=>": (interpreter lines, path-NEEDED lines)."""
    interps, others = [], []
    for name in direct:
        if name == interp or name in KNOWN_RTLDS or os.path.basename(name).startswith("ld-linux"):
            interps.append(name)
        else:
            others.append(name)
    return interps, others


# --- preflight ----------------------------------------------------------------

def run_preflight(preflight, paths, batch):
    """path -> preflight's object for it, or {"path", "error"}."""
    results = {}
    for i in range(0, len(paths), batch):
        chunk = paths[i:i + batch]
        proc = subprocess.run(
            [preflight, "tree", "--root", "/", "--format", "json"] + chunk,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            arr = json.loads(proc.stdout.decode("utf-8", "surrogateescape"))
        except ValueError as exc:
            err = proc.stderr.decode("utf-8", "replace").strip()
            msg = "preflight output is not JSON (exit %d): %s; stderr: %s" % (
                proc.returncode, exc, err[:500])
            for p in chunk:
                results[p] = {"path": p, "error": msg, "_tool_failure": True}
            continue
        if not isinstance(arr, list):
            arr = [arr]
        by_path = {}
        for obj in arr:
            if isinstance(obj, dict) and "path" in obj:
                by_path.setdefault(obj["path"], obj)
        for idx, p in enumerate(chunk):
            obj = by_path.get(p)
            if obj is None and len(arr) == len(chunk) and isinstance(arr[idx], dict):
                obj = arr[idx]
            if obj is None:
                obj = {"path": p, "error": "no object for this path in preflight output",
                       "_tool_failure": True}
            results[p] = obj
    return results


# --- comparison ---------------------------------------------------------------

def same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def compare_file(path, interp, ldd, pf, same_file_ok):
    """List of (soname, ldd_answer, preflight_answer, reason, differs) per edge,
    plus interpreter info."""
    edges = []
    ldd_loaded = dict(ldd["loaded"])
    interp_lines, path_needed = split_direct(ldd["direct"], interp)
    for name in path_needed:  # NEEDED given as a path: loaded under that path
        ldd_loaded.setdefault(name, name)
    ldd_missing = set(ldd["missing"])

    pf_loaded = collections.defaultdict(list)
    for e in pf.get("loaded") or []:
        if isinstance(e, dict) and "soname" in e:
            pf_loaded[e["soname"]].append(e.get("path"))
    pf_missing = set()
    for e in pf.get("missing") or []:
        if isinstance(e, dict) and "soname" in e:
            pf_missing.add(e["soname"])

    # A NEEDED containing "/" (e.g. "$ORIGIN/../lib/libx.so") is printed by
    # ldd without "=>", under its expanded path: match preflight's entry for
    # it by path.
    for soname in list(pf_loaded):
        if "/" in soname and soname not in ldd_loaded:
            q = next((q for q in pf_loaded[soname] if q in path_needed), None)
            if q is None:
                q = next((n for n in path_needed for q2 in pf_loaded[soname]
                          if q2 and same_file(n, q2)), None)
            if q is not None:
                pf_loaded.setdefault(q, []).extend(pf_loaded.pop(soname))

    # the interpreter: left out of the edges, reported apart
    interp_paths = set(interp_lines) | ({interp} if interp else set())
    interp_names = {os.path.basename(p) for p in interp_paths}

    def is_interp(soname, paths):
        if soname in interp_names or soname in interp_paths:
            return True
        return any(p and any(p == ip or same_file(p, ip) for ip in interp_paths)
                   for p in paths)

    interp_info = []
    for soname in list(pf_loaded):
        if is_interp(soname, pf_loaded[soname]):
            interp_info.append((soname, pf_loaded.pop(soname)))
    for soname in list(pf_missing):
        if soname in interp_names:
            pf_missing.discard(soname)
            interp_info.append((soname, None))

    for soname in sorted(set(ldd_loaded) | ldd_missing):
        pf_paths = pf_loaded.get(soname, [])
        if soname in ldd_missing:
            ldd_ans = "not found"
            if soname in pf_missing:
                edges.append((soname, ldd_ans, "missing", "same: not found", False))
            elif pf_paths:
                edges.append((soname, ldd_ans, pf_paths[0],
                              "ldd not found, preflight loaded", True))
            else:
                edges.append((soname, ldd_ans, None, "ldd not found, preflight lacks soname", True))
            continue
        ldd_path = ldd_loaded[soname]
        if ldd_path in pf_paths:
            reason = "same path" if len(set(pf_paths)) == 1 else "same path (preflight lists it more than once)"
            edges.append((soname, ldd_path, ldd_path, reason, False))
        elif pf_paths:
            if any(same_file(ldd_path, q) for q in pf_paths):
                edges.append((soname, ldd_path, pf_paths[0],
                              "different path, same file", not same_file_ok))
            else:
                edges.append((soname, ldd_path, pf_paths[0], "different file", True))
        elif soname in pf_missing:
            edges.append((soname, ldd_path, "missing", "ldd loaded, preflight missing", True))
        else:
            edges.append((soname, ldd_path, None, "ldd loaded, preflight lacks soname", True))

    ldd_names = set(ldd_loaded) | ldd_missing
    ldd_paths = list(ldd_loaded.values())
    for soname in sorted(set(pf_loaded) - ldd_names):
        q = pf_loaded[soname][0]
        alias = next((lp for lp in ldd_paths if q and (lp == q or same_file(lp, q))), None)
        if alias is not None:
            edges.append((soname, None, q, "preflight only, same file as an ldd line",
                          not same_file_ok))
        else:
            edges.append((soname, None, q, "preflight only (loaded)", True))
    for soname in sorted(pf_missing - ldd_names - set(pf_loaded)):
        edges.append((soname, None, "missing", "preflight only (missing)", True))
    return edges, interp_lines, interp_info


def main(argv):
    ap = argparse.ArgumentParser(description="Compare preflight tree with ldd.")
    ap.add_argument("--preflight", default=os.path.join(REPO, "target", "release", "preflight"),
                    help="preflight binary (default: target/release/preflight)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel ldd workers (default 2)")
    ap.add_argument("--batch", type=int, default=100, help="files per preflight call (default 100)")
    ap.add_argument("--timeout", type=float, default=30, help="seconds per ldd run (default 30)")
    ap.add_argument("--show", type=int, default=30, help="differing edges to show (default 30)")
    ap.add_argument("--same-file-ok", action="store_true",
                    help="two paths to the same file (inode) count as equal")
    ap.add_argument("--ldd-only", action="store_true", help="run ldd only, no preflight")
    ap.add_argument("dirs", nargs="+", metavar="DIR")
    args = ap.parse_args(argv[1:])

    if not args.ldd_only and not os.access(args.preflight, os.X_OK):
        print("preflight binary not found or not executable: %s" % args.preflight,
              file=sys.stderr)
        return 2

    parser = load_ldd_parser()
    # Absolute folder names: for "./bin/app" ld.so prints "$PWD/./bin/../lib/x"
    # (it keeps the "./" in $ORIGIN) where a kernel exec gives "$PWD/bin/../lib/x".
    args.dirs = [os.path.abspath(d) for d in args.dirs]
    paths, unreadable = find_elf_files(args.dirs)
    skipped = collections.Counter()
    traced = []
    interps = {}
    for p in paths:
        why = classify(p)
        if why:
            skipped[why] += 1
        else:
            traced.append(p)
            try:
                interps[p] = elf_dynamic_info(p)[1]
            except (OSError, ValueError, struct.error):
                interps[p] = None
    print("found %d ELF files under %s (%d could not be opened); %d dynamically linked"
          % (len(paths), " ".join(args.dirs), unreadable, len(traced)))
    for why, n in sorted(skipped.items()):
        print("  skipped %-40s %d" % (why + ":", n))

    ldd_res = run_ldd_all(parser, traced, args.jobs, args.timeout)
    ldd_status = collections.Counter(r["status"] for r in ldd_res.values())
    print("ldd: %s" % json.dumps(dict(sorted(ldd_status.items()))))
    for p in traced:
        r = ldd_res[p]
        if r["status"] in ("failed", "timeout"):
            print("  ldd %s: %s %s" % (r["status"], p, r.get("reason", "")))
    ok = [p for p in traced if ldd_res[p]["status"] == "ok"]
    n_loaded = sum(len(ldd_res[p]["loaded"]) for p in ok)
    n_missing = sum(len(set(ldd_res[p]["missing"])) for p in ok)  # ldd may repeat them
    n_direct = sum(len(split_direct(ldd_res[p]["direct"], interps[p])[1]) for p in ok)
    other = sum(1 for p in ok if ldd_res[p]["other"])
    print("ldd edges: %d loaded, %d not found, %d NEEDED-by-path; %d files with other output lines"
          % (n_loaded, n_missing, n_direct, other))

    if args.ldd_only:
        nf = [(p, s) for p in ok for s in sorted(set(ldd_res[p]["missing"]))]
        for p, s in nf[:args.show]:
            print("  not found: %s needs %s" % (p, s))
        odd = [(p, l) for p in ok for l in ldd_res[p]["other"]]
        for p, l in odd[:10]:
            print("  other line: %s: %s" % (p, l.strip()[:200]))
        print("ldd-only: %d files traced, %d edges" % (len(ok), n_loaded + n_missing + n_direct))
        return 0

    pf_res = run_preflight(args.preflight, ok, args.batch)
    pf_errors = [(p, pf_res[p]) for p in ok if "error" in pf_res[p]]
    tool_failures = [p for p, r in pf_errors if r.get("_tool_failure")]
    loaders = collections.Counter(pf_res[p].get("loader") for p in ok if "error" not in pf_res[p])
    print("preflight: %d objects, %d with \"error\" (%d of them: no usable output), loaders %s"
          % (len(ok), len(pf_errors), len(tool_failures), json.dumps(
              {str(k): v for k, v in sorted(loaders.items(), key=lambda kv: str(kv[0]))})))
    for p, r in pf_errors[:10]:
        print("  preflight error: %s: %s" % (p, str(r.get("error"))[:300]))

    reasons = collections.Counter()
    differing = []
    n_files = n_edges = n_diff = 0
    interp_stats = collections.Counter()
    for p in ok:
        pf = pf_res[p]
        if "error" in pf:
            continue
        n_files += 1
        edges, interp_lines, interp_info = compare_file(p, interps[p], ldd_res[p], pf,
                                                        args.same_file_ok)
        for soname, l, q, reason, differs in edges:
            n_edges += 1
            reasons[(reason, differs)] += 1
            if differs:
                n_diff += 1
                differing.append((p, soname, l, q, reason))
        for soname, pf_paths in interp_info:
            if pf_paths is None:
                interp_stats["preflight: interpreter soname missing"] += 1
            elif any(q in interp_lines for q in pf_paths):
                interp_stats["preflight: interpreter at ldd's path"] += 1
            elif any(q and same_file(q, il) for q in pf_paths for il in interp_lines):
                interp_stats["preflight: interpreter at another path to the same file (%s)"
                             % pf_paths[0]] += 1
            else:
                interp_stats["preflight: interpreter at another path (%s)" % pf_paths[0]] += 1

    print("edges per reason (differing ones marked *):")
    for (reason, differs), n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        print("  %s %-50s %d" % ("*" if differs else " ", reason, n))
    if interp_stats:
        print("interpreter (not counted as edges):")
        for k, n in sorted(interp_stats.items()):
            print("    %-70s %d" % (k, n))
    if differing:
        by_reason = collections.defaultdict(list)
        for d in differing:
            by_reason[d[4]].append(d)
        print("examples per differing reason (up to 3 each):")
        for reason in sorted(by_reason):
            print("  [%s] %d edges" % (reason, len(by_reason[reason])))
            for p, soname, l, q, _ in by_reason[reason][:3]:
                print("    %s: %s: ldd=%s preflight=%s" % (
                    p, soname, l if l is not None else "-", q if q is not None else "-"))
        print("first %d differing edges:" % min(args.show, len(differing)))
        for p, soname, l, q, reason in differing[:args.show]:
            print("  %s: %s: ldd=%s preflight=%s [%s]" % (
                p, soname, l if l is not None else "-", q if q is not None else "-", reason))
    print("compared %d files, %d edges, %d edges differed" % (n_files, n_edges, n_diff))
    return 1 if n_diff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
