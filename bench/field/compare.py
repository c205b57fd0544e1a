#!/usr/bin/env python3
"""Check preflight's verdicts on the real-world corpus against the oracles (oracle.py).

For each artifact, preflight runs the way a user would today:
  wheels, npm groups, debs: unpacked into a folder and scanned as a folder (`--direct`: the
     downloaded file itself, once preflight reads archives and packages);
  images: scanned as images (oci:DIR:latest and docker-archive:FILE).
Modes: against this machine (no target); against targets (debian-12, ubuntu-24.04, debian-13,
manylinux_*, alpine-3.22, musllinux_1_2, by the artifact's libc and architecture); debs also with
--root of the image that has them installed; and `--runs-on --format json`.

Then, per mode, every *error* finding is judged against the oracle of that mode:
  this machine   wheel modules imported here (and the libraries each import mapped), node dlopen of
                 .node files, `ldd -r` inside the image root (images, and debs in the `big` image)
  debian/ubuntu  `ldd -r` of the tree copied into that release's stock minbase root
  manylinux_X    auditwheel's tag for the wheel (consistent with X or not)
  alpine/musl    musl's loader (`ld-musl --list`) in a root with only musl's libc
An error is `confirmed` when the oracle sees that file fail in that mode, `false` when the oracle
sees it load, `unjudged` when no oracle covers it (listed, not counted either way). Every
failure the oracle sees is looked up among preflight's errors: `caught`, `warned` (only a
warning/note), or `missed`. Plugins' undefined symbols that their host process provides (Py*,
napi_*, symbols of the root's executables) are not failures.

Output: a summary on stdout, DEST/results/report.json and DEST/results/report.md in detail.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fetch import artifact_id  # noqa: E402
from oracle import elf_files, elf_header, ELF_ARCH  # noqa: E402

HOST_SYMBOL = re.compile(r"^(_?Py|PyInit_|_PyRuntime|napi_|node_api_|uv_|_ZN2v8|_ZN4node)")
GLIBC = {"debian-12": (2, 36), "debian-13": (2, 41), "ubuntu-24.04": (2, 39), "manylinux2014": (2, 17),
         "manylinux_2_28": (2, 28), "manylinux_2_34": (2, 34)}
MANYLINUX_PROFILES = ["manylinux2014", "manylinux_2_28", "manylinux_2_34"]
MUSL_TARGETS = {"alpine-3.22", "musllinux_1_2"}
# What an ImportError says when dlopen() failed (glibc's dlerror texts): the loader's verdict.
# Any other import error (a circular import when a submodule is imported first, a helper
# library without PyInit_) says nothing about loading.
LOADER_ERROR = re.compile(r"cannot open shared object|undefined symbol|version `|ELF|executable stack|static TLS")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def glibc_of_tag(tag):
    m = re.match(r"manylinux_(\d+)_(\d+)", tag or "")
    if m:
        return int(m.group(1)), int(m.group(2))
    return {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}.get((tag or "").split("_x86")[0].split("_aarch")[0])


def policy_of_tag(tag):
    """auditwheel's platform tag -> the policy's canonical name (manylinux2014_x86_64 -> manylinux_2_17)."""
    if not tag:
        return None
    for arch in ("_x86_64", "_aarch64", "_armv7l", "_i686", "_ppc64le", "_s390x", "_riscv64"):
        if tag.endswith(arch):
            tag = tag[: -len(arch)]
    return {"manylinux1": "manylinux_2_5", "manylinux2010": "manylinux_2_12",
            "manylinux2014": "manylinux_2_17"}.get(tag, tag)


def compare_tags(aw_tag, ro):
    """preflight --runs-on's wheel tag (tree.wheel_tags, the finest policy every file meets) against
    auditwheel's. manylinux: the same policy. musllinux: auditwheel judges only one musl policy (the
    newest, on a glibc machine), so it agrees when preflight's wheel meets that one."""
    expected = policy_of_tag(aw_tag)
    tags = [policy_of_tag(t) for t in ro.get("wheel_tags", [])]
    if expected and expected.startswith("musllinux"):
        got = next((t for t in tags if t.startswith("musllinux")), "none")
        agree = expected in ro.get("runs_on", [])
    else:
        got = next((t for t in tags if t.startswith("manylinux")), "none")
        agree = got == (expected or "none")
    return {"auditwheel": aw_tag, "expected_profile": expected, "preflight_lowest": got, "agree": agree}


# ---- running preflight -------------------------------------------------------------------------

def scan(pf, args, out_json):
    if out_json.exists():
        d = json.loads(out_json.read_text())
        return d["_exit"], d
    cmd = [pf, "scan", *args, "--format", "json", "--quiet", "--fail-on", "error"]
    r = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=1800)
    try:
        d = json.loads(r.stdout)
    except json.JSONDecodeError:
        d = {"findings": [], "_stderr": r.stderr[-3000:]}
    d["_exit"], d["_cmd"] = r.returncode, cmd
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(d))
    return r.returncode, d


def norm(path):
    return path.lstrip("/")


def npm_folder(pkg):
    """Where fetch.py's unpack_npm lays an npm package out in its group's tree."""
    return f"node_modules/{pkg['name']}/"


def in_tree(art, path, direct):
    """A finding's path as the unpacked tree and the oracles name the file. Scanned
    directly, an npm .tgz holds its files under `package/`; the group's tree (which the
    oracles ran on) lays the package out as node_modules/NAME/ (fetch.py)."""
    p = norm(path)
    if direct and art["kind"] == "npm" and p.startswith("package/"):
        return npm_folder(art["src"]["packages"][0]) + p[len("package/"):]
    return p


def held_elsewhere(art, f, direct):
    """Scanned directly, an npm group's .tgz holds its first package only, while the
    oracles ran on the whole group: a library the finding names that only another
    package of the group holds (sharp's addon and libvips) is that package's name, or
    None. Such an error is right for the .tgz alone and no oracle covers it."""
    lib = f.get("library")
    if not (direct and art["kind"] == "npm" and lib):
        return None
    for pkg in art["src"]["packages"][1:]:
        folder = npm_folder(pkg)
        if any(p.startswith(folder) and os.path.basename(p) == lib for p in art["files"]):
            return pkg["name"]
    return None


def scanned(art, path, direct):
    """Whether `path` (the oracle's) is among the files the scan read: scanned directly,
    an npm group's .tgz holds its first package only."""
    if direct and art["kind"] == "npm":
        return path.startswith(npm_folder(art["src"]["packages"][0]))
    return True


# ---- oracles per mode: file -> list of failures ('' = loads) ------------------------------------

def ldd_failures(res, rel=None, hosted=frozenset()):
    """The failures in one `ldd -r` (or musl --list) result, host-provided symbols left out."""
    f = [f"not found: {m}" for m in res.get("missing", [])]
    f += [f"version {v['version']} not found" for v in res.get("versions", [])]
    f += [f"undefined symbol {u['symbol']}" for u in res.get("undefined", [])
          if not HOST_SYMBOL.match(u["symbol"]) and not u.get("host") and (rel, u["symbol"]) not in hosted
          # libthread_db's ps_* are the proc_service interface its host, the debugger, provides
          and not (u["symbol"].startswith("ps_") and "libthread_db" in u.get("file", ""))]
    for o in res.get("other", []):
        m = re.match(r"undefined symbol: ([^,\s]+), version (\S+)", o)  # ldd -r's versioned form
        if m:
            if not HOST_SYMBOL.match(m.group(1)) and (rel, m.group(1)) not in hosted:
                f.append(f"undefined symbol {m.group(1)}@{m.group(2)}")
        elif "cannot" in o or "error" in o.lower():
            f.append(f"ldd: {o}")
    return f


def usable_roots(dest):
    """Target roots that stand for their release. mmdebstrap's Ubuntu noble minbase came out without
    apt and so without libstdc++6, which every ubuntu:24.04 image has: not a fair stand-in."""
    out = set()
    for name, image in {"debian-12": "debian-bookworm-minbase-amd64", "debian-13": "debian-trixie-minbase-amd64",
                        "ubuntu-24.04": "ubuntu-noble-minbase-amd64"}.items():
        lib = dest / "images" / image / "rootfs/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
        if lib.exists():
            out.add(name)
    return out


class Oracle:
    usable_roots = set()

    """Per artifact: for a mode, a dict file -> failures list, or None when the mode has no oracle."""

    def __init__(self, art, dest):
        self.art = art
        odir = dest / "oracle"
        self.o = json.loads((odir / f"{art['id']}.json").read_text()) if (odir / f"{art['id']}.json").exists() else {}
        t = odir / f"{art['id']}.targets.json"
        self.targets = json.loads(t.read_text()) if t.exists() else {}
        # (file, symbol) pairs the big image's host executables provide (postgres, perl, nginx plugins)
        self.hosted = frozenset((rel, u["symbol"]) for rel, r in self.o.get("ldd", {}).items()
                                for u in r.get("undefined", []) if u.get("host")) if art["kind"] == "deb" else frozenset()

    def host(self):
        o, kind = self.o, self.art["kind"]
        if self.art["arch"] != "x86_64" and kind != "image":
            return {p: [f"{self.art['arch']} file"] for p in self.art["files"]}, "architecture"
        if kind == "wheel" and "imports" in o and isinstance(o["imports"], dict) and "install_error" not in o["imports"]:
            verdict = {}
            for rel, r in o["imports"].items():
                err = r.get("error", "import failed")
                if not r["ok"] and not LOADER_ERROR.search(err):
                    continue  # Python's error, not the loader's (a circular import, no PyInit_): unjudged
                verdict[rel] = [] if r["ok"] else [err]
                for lib in r.get("loaded", []):
                    if r["ok"]:
                        verdict.setdefault(lib, [])
            return verdict, "import"
        if kind == "npm" and "node_dlopen" in o:
            verdict = {rel: ([] if r["ok"] else [r["error"]]) for rel, r in o["node_dlopen"].items()}
            if all(r["ok"] for r in o["node_dlopen"].values()):
                for p in self.art["files"]:  # libraries that the loaded addons brought in
                    verdict.setdefault(p, [])
            return verdict, "node dlopen"
        if kind == "image":
            return {rel: ldd_failures(r, rel) for rel, r in o.get("ldd", {}).items()}, "chroot ldd -r"
        if kind == "wheel" and self.art["arch"] != "x86_64":
            return {p: [f"{self.art['arch']} file"] for p in self.art["files"]}, "architecture"
        if self.art["libc"] == "musl":
            return {p: ["musl file on a glibc host"] for p in self.art["files"]}, "libc"
        return None, None

    def root(self):
        if self.art["kind"] == "deb" and self.o.get("ldd"):
            return {rel: ldd_failures(r, rel, self.hosted) for rel, r in self.o["ldd"].items()}, f"chroot ldd -r in {self.o.get('in_image')}"
        return None, None

    def target(self, name):
        if self.art["libc"] == "musl" and name not in MUSL_TARGETS:
            return {p: ["musl file on a glibc host"] for p in self.art["files"]}, "libc"
        if self.art["kind"] == "image":  # the image's own root is the host its files run on
            return self.host()
        if name in self.targets and name in self.usable_roots:
            return ({rel: ldd_failures(r, rel, self.hosted) for rel, r in self.targets[name]["ldd"].items()},
                    f"ldd -r in {self.targets[name]['image']}")
        if name in MUSL_TARGETS:
            if self.art["libc"] == "glibc":
                return {p: ["glibc file on a musl host"] for p in self.art["files"]}, "libc"
            ml = self.o.get("musl_list")
            if ml:
                return {rel: ldd_failures(r) for rel, r in ml.items()}, "ld-musl --list"
        if name.startswith("manylinux") and self.art["kind"] == "wheel":
            tag = self.o.get("auditwheel", {}).get("overall_tag")
            if not tag:
                return None, None
            if tag.startswith("musllinux"):
                fails = ["musl wheel"]
            else:
                g = glibc_of_tag(tag)
                fails = [] if g and g <= GLIBC[name] else [f"auditwheel: {tag}"]
            return {p: fails for p in self.art["files"]}, f"auditwheel show ({tag})"
        return None, None


def needs_musl(tree, rel):
    """Whether a file names musl's libc (NEEDED libc.musl-* or the ld-musl interpreter)."""
    try:
        data = (tree / rel).read_bytes()
    except OSError:
        return False
    return b"libc.musl-" in data or b"ld-musl-" in data


def derived_confirms(how, f, art, p):
    if how == "architecture":
        return f["rule"] == "arch-mismatch"
    if art["libc"] == "musl":  # a musl file on a glibc host: only a file that names musl's libc surely fails
        return f["rule"] in ("libc-mismatch", "missing-library", "interpreter-missing") and needs_musl(art["tree"], p)
    return f["rule"] in ("libc-mismatch", "missing-library", "interpreter-missing")


# ---- classes of disagreement --------------------------------------------------------------------

def classify_false(f, art, mode):
    rule, msg = f["rule"], f.get("message", "")
    lib = f.get("library") or ""
    sym = f.get("symbol") or ""
    base = {os.path.basename(p) for p in art["files"]}
    if rule == "isa-level":
        return "isa-level from the USED note"
    if rule == "private-symbol":
        p = norm(f["path"])
        if re.search(r"(^|/)(libc\.so|ld-linux|libpthread|libm\.so|libdl|librt|libresolv|libnss|libanl|libutil|libmvec|libBrokenLocale|libthread_db|libc_malloc|libmemusage|libpcprofile|gconv/|audit/|getconf|ldconfig|iconv|sotruss|pldd|zdump|locale|localedef)", p):
            return "GLIBC_PRIVATE inside glibc"
        return "private-symbol outside glibc"
    if rule == "undefined-symbol":
        if HOST_SYMBOL.match(sym) or HOST_SYMBOL.match(msg.split("`")[1] if "`" in msg else ""):
            return "plugin host symbols (Py*/napi_*)"
        return "undefined symbol provided by the host process / load order"
    if rule == "missing-library":
        if lib in base or any(b.startswith(lib.split(".so")[0] + "-") for b in base):
            return "bundled library judged outside its load (inherited DT_RPATH)"
        if art.get("arch") == "aarch64" and mode == "host":
            return "aarch64 file vs x86_64 host: missing-library instead of arch-mismatch"
        if mode.startswith("target") and art["libc"] == "glibc":
            return "library in the target's base image but not in the profile"
        return "missing-library other"
    if rule == "libc-mismatch":
        return "libc family guessed glibc (no NEEDED)" if art["libc"] == "musl" else "libc-mismatch other"
    if rule == "symbol-version":
        if mode.startswith("target") and art["kind"] == "wheel":
            return "symbol-version against a bundled library / wheel tag"
        return "symbol-version other"
    if rule == "executable-stack":
        return "executable-stack as an error on debian-13"
    if rule == "static-glibc-runtime":
        return "static-glibc-runtime false positive"
    if rule == "rpath":
        return "RPATH advice"
    if rule == "arch-mismatch":
        return "arch-mismatch other"
    return f"{rule} (other)"


# ---- the corpus --------------------------------------------------------------------------------

def artifacts(corpus, dest, only):
    out = []
    for a in corpus["wheels"]:
        tags = a["file"][:-4].split("-")[-1]
        out.append({"id": artifact_id(a), "kind": "wheel", "src": a,
                    "arch": "aarch64" if "aarch64" in tags else "x86_64",
                    "libc": "musl" if "musllinux" in tags else "glibc", "direct": dest / "downloads" / a["file"]})
    for g in corpus["npm"]:
        libc = {l for p in g["packages"] for l in (p.get("libc") or [])}
        cpu = {c for p in g["packages"] for c in (p.get("cpu") or [])}
        out.append({"id": artifact_id(g), "kind": "npm", "src": g, "arch": "aarch64" if cpu == {"arm64"} else "x86_64",
                    "libc": "musl" if "musl" in libc else "glibc" if libc else "static",
                    "direct": dest / "downloads" / Path(g["packages"][0]["url"]).name})
    for a in corpus["debs"]:
        out.append({"id": artifact_id(a), "kind": "deb", "src": a, "arch": "aarch64" if a["arch"] == "arm64" else "x86_64",
                    "libc": "glibc", "direct": dest / "downloads" / Path(a["url"]).name})
    for spec in corpus["images"]:
        d = dest / "images" / spec["name"]
        if not (d / "image.json").exists():
            continue
        meta = json.loads((d / "image.json").read_text())
        out.append({"id": "image-" + spec["name"], "kind": "image", "src": spec, "image": d,
                    "arch": "aarch64" if meta["arch"] == "arm64" else "x86_64", "libc": "glibc"})
    if only:
        out = [a for a in out if any(o in a["id"] for o in only)]
    for a in out:
        if a["kind"] != "image":
            tree = dest / "unpacked" / a["id"]
            a["tree"] = tree
            a["files"] = [os.path.relpath(p, tree) for p in elf_files(tree)]
        else:
            a["files"] = []
    return out


def modes(art, dest, direct):
    """(mode name, preflight arguments) for one artifact."""
    plat = ["--platform", "linux/arm64"] if art["arch"] == "aarch64" else []
    if art["kind"] == "image":
        d = art["image"]
        name = art["src"]["name"]
        m = [("host", [f"oci:{d / 'oci'}:latest"]), ("host-docker-archive", [f"docker-archive:{d / 'docker.tar'}"])]
        own = {"bookworm": "debian-12", "trixie": "debian-13", "noble": "ubuntu-24.04"}.get(art["src"].get("suite", ""), "debian-12")
        m.append((f"target:{own}", [f"oci:{d / 'oci'}:latest", "--target", own]))
        return m
    src = [str(art["direct"])] if direct else [str(art["tree"])]
    m = [("host", src)]
    if art["libc"] == "musl":
        targets = ["alpine-3.22"] + (["musllinux_1_2"] if art["kind"] == "wheel" else [])
    elif art["kind"] == "wheel":
        targets = ["debian-12", "ubuntu-24.04", "debian-13"] + MANYLINUX_PROFILES
    else:
        targets = ["debian-12", "ubuntu-24.04", "debian-13"]
    if art["kind"] != "deb":
        targets.append("alpine-3.22" if art["libc"] != "musl" else "debian-12")
    for t in dict.fromkeys(targets):
        m.append((f"target:{t}", src + ["--target", t] + plat))
    if art["kind"] == "deb" and art["arch"] == "x86_64":
        big = dest / "images" / "debian-bookworm-big-amd64" / "rootfs"
        m.append(("root:big", src + ["--root", str(big)]))
    m.append(("runs-on", src + ["--runs-on"]))
    if plat:
        m.append(("runs-on-platform", src + ["--runs-on"] + plat))
    return m


def judge(art, dest, pf, results, direct):
    oracle = Oracle(art, dest)
    rec = {"id": art["id"], "kind": art["kind"], "arch": art["arch"], "libc": art["libc"], "modes": {}}
    for mode, argv in modes(art, dest, direct):
        exit_code, rep = scan(pf, argv, results / art["id"] / (mode.replace(":", "_") + ".json"))
        if mode.startswith("runs-on"):
            tree = rep.get("tree", {})
            runs = tree.get("runs_on", [])
            rec["modes"][mode] = {"exit": exit_code, "runs_on": runs, "fails_on": tree.get("fails_on", {}),
                                  "platform": rep.get("platform"), "wheel_tags": tree.get("wheel_tags", [])}
            continue
        if mode == "host":
            verdict, how = oracle.host()
        elif mode == "host-docker-archive":
            verdict, how = oracle.host()
        elif mode == "root:big":
            verdict, how = oracle.root()
        else:
            verdict, how = oracle.target(mode.split(":", 1)[1])
        errors = [f for f in rep.get("findings", []) if f["severity"] == "error"]
        m = {"exit": exit_code, "oracle": how, "errors": len(errors),
             "warnings": sum(f["severity"] == "warning" for f in rep.get("findings", [])),
             "confirmed": [], "false": [], "unjudged": [], "caught": [], "warned": [], "missed": [],
             "problems": rep.get("problems", []), "stderr": rep.get("_stderr")}
        by_file = collections.defaultdict(list)
        for f in rep.get("findings", []):
            by_file[in_tree(art, f["path"], direct)].append(f)
        for f in errors:
            p = in_tree(art, f["path"], direct)
            item = {"file": p, "rule": f["rule"], "message": f["message"], "target": f.get("target"),
                    **{k: f[k] for k in ("library", "symbol", "version", "needed_by") if k in f}}
            how = how or ""
            elsewhere = held_elsewhere(art, f, direct)
            if elsewhere:
                item["why_unjudged"] = f"{f['library']} is in {elsewhere}, which the .tgz does not hold"
                m["unjudged"].append(item)
            elif how in ("architecture", "libc"):
                # derived verdicts (no loader ran): they confirm only the rule that names the cause
                if derived_confirms(how, f, art, p):
                    item["oracle"] = verdict.get(p, [how])[:1]
                    m["confirmed"].append(item)
                elif how == "architecture":
                    item["oracle"] = f"{art['arch']} file: the failure is the architecture"
                    item["class"] = "aarch64 file vs x86_64 host: reported as another rule"
                    m["false"].append(item)
                else:
                    m["unjudged"].append(item)
            elif verdict is None or p not in verdict:
                m["unjudged"].append(item)
            elif verdict[p]:
                item["oracle"] = verdict[p][:5]
                m["confirmed"].append(item)
            else:
                item["oracle"] = "loads"
                item["class"] = classify_false(f, art, mode)
                m["false"].append(item)
        how = how or ""
        if how.startswith("auditwheel"):
            # a wheel-level verdict: the wheel fails the policy if any file does, so one error suffices
            fails = next((v for v in (verdict or {}).values() if v), None)
            if fails:
                (m["caught"] if errors else m["missed"]).append({"file": "(wheel)", "oracle": fails[:1]})
        for p, fails in (verdict or {}).items() if how not in ("architecture", "libc") and not how.startswith("auditwheel") else ():
            if not fails or not scanned(art, p, direct):
                continue
            sev = {f["severity"] for f in by_file.get(p, [])}
            item = {"file": p, "oracle": fails[:5]}
            (m["caught"] if "error" in sev else m["warned"] if sev else m["missed"]).append(item)
        rec["modes"][mode] = m
    aw = oracle.o.get("auditwheel", {}) if art["kind"] == "wheel" else {}
    if aw:
        rec["auditwheel_tag"] = aw.get("overall_tag")
        ro = rec["modes"].get("runs-on-platform") or rec["modes"].get("runs-on")
        rec["runs_on_manylinux"] = compare_tags(aw.get("overall_tag"), ro)
    if art["kind"] == "image":
        h = rec["modes"]["host"]
        rec["stock_image_clean"] = h["exit"] == 0 and h["errors"] == 0
    return rec


# ---- summary -----------------------------------------------------------------------------------

def summarize(records):
    tot = collections.defaultdict(lambda: collections.Counter())
    classes = collections.defaultdict(list)
    unjudged = collections.Counter()
    missed = []
    for r in records:
        for mode, m in r["modes"].items():
            if "errors" not in m:
                continue
            c = tot[r["kind"]]
            c["errors"] += m["errors"]
            c["confirmed"] += len(m["confirmed"])
            c["false"] += len(m["false"])
            c["unjudged"] += len(m["unjudged"])
            c["oracle_failures"] += len(m["caught"]) + len(m["warned"]) + len(m["missed"])
            c["caught"] += len(m["caught"])
            c["warned"] += len(m["warned"])
            c["missed"] += len(m["missed"])
            for f in m["false"]:
                classes[f["class"]].append({"artifact": r["id"], "mode": mode, **f})
            for f in m["unjudged"]:
                unjudged[(r["kind"], mode, f["rule"], f.get("why_unjudged", ""))] += 1
            for f in m["missed"] + m["warned"]:
                missed.append({"artifact": r["id"], "mode": mode, **f})
    return tot, classes, unjudged, missed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preflight", required=True, help="the preflight binary to check")
    ap.add_argument("--dest", default="/work/corpus")
    ap.add_argument("--corpus", default=str(HERE / "corpus.json"))
    ap.add_argument("--direct", action="store_true", help="scan the downloaded wheel/npm/deb file itself, not its unpacked folder")
    ap.add_argument("--only", action="append", help="only artifacts whose id contains this (repeatable)")
    ap.add_argument("--fresh", action="store_true", help="rerun preflight even where results are kept")
    args = ap.parse_args()
    dest = Path(args.dest)
    pf = os.path.abspath(args.preflight)
    version = subprocess.run([pf, "--version"], capture_output=True, text=True).stdout.strip()
    tag = Path(pf).name + ("-direct" if args.direct else "")
    results = dest / "results" / tag
    if args.fresh and results.exists():
        subprocess.run(["rm", "-rf", str(results)], check=True)
    corpus = json.loads(Path(args.corpus).read_text())
    records = []
    Oracle.usable_roots = usable_roots(dest)
    for art in artifacts(corpus, dest, args.only):
        log(f"{art['id']}")
        records.append(judge(art, dest, pf, results, args.direct))
    tot, classes, unjudged, missed = summarize(records)
    runs = [r["runs_on_manylinux"] for r in records if "runs_on_manylinux" in r]
    images = [(r["id"], r["stock_image_clean"], r["modes"]["host"]["errors"], r["modes"]["host"]["exit"])
              for r in records if "stock_image_clean" in r]
    # (a): modules that import here get 0 errors against this machine
    imported = [(r["id"], f) for r in records if r["kind"] == "wheel" for f in r["modes"]["host"]["false"]]
    report = {"preflight": version, "binary": pf, "direct": args.direct,
              "totals": {k: dict(v) for k, v in tot.items()},
              "classes": {k: v for k, v in sorted(classes.items(), key=lambda kv: -len(kv[1]))},
              "unjudged": [{"kind": k[0], "mode": k[1], "rule": k[2], "count": n, **({"why": k[3]} if k[3] else {})}
                           for k, n in unjudged.most_common()],
              "missed": missed, "runs_on_manylinux": runs, "images": images, "records": records}
    out = results / "report.json"
    out.write_text(json.dumps(report, indent=1))
    md = render_md(report)
    (results / "report.md").write_text(md)
    print(md.split("\n## Disagreements")[0])
    print(f"(detail: {results / 'report.md'}, {out})")


def render_md(rep):
    L = [f"# preflight on the real-world corpus\n", f"`{rep['preflight']}` ({rep['binary']}){' --direct' if rep['direct'] else ''}\n",
         "## Agreement\n", "| artifacts | errors printed | confirmed | false | unjudged | oracle failures | caught (error) | warned only | missed |",
         "|---|---|---|---|---|---|---|---|---|"]
    all_ = collections.Counter()
    for k, c in rep["totals"].items():
        all_.update(c)
        L.append(f"| {k} | {c['errors']} | {c['confirmed']} | {c['false']} | {c['unjudged']} | {c['oracle_failures']} | {c['caught']} | {c['warned']} | {c['missed']} |")
    c = all_
    L.append(f"| **all** | {c['errors']} | {c['confirmed']} | {c['false']} | {c['unjudged']} | {c['oracle_failures']} | {c['caught']} | {c['warned']} | {c['missed']} |")
    n_imp = sum(1 for r in rep["records"] if r["kind"] == "wheel" and r["modes"]["host"].get("oracle") == "import")
    bad_imp = sorted({r["id"] for r in rep["records"] if r["kind"] == "wheel" and r["modes"]["host"].get("oracle") == "import" and r["modes"]["host"]["false"]})
    L.append(f"\n(a) wheels whose modules import here: {n_imp}; with false errors against this machine: {len(bad_imp)}")
    L.append(f"\n(b) stock images scanned as themselves: " + ", ".join(f"{i}: {'clean' if ok else f'{e} errors, exit {x}'}" for i, ok, e, x in rep["images"]))
    agree = sum(r["agree"] for r in rep["runs_on_manylinux"])
    L.append(f"\n(e) --runs-on vs auditwheel: {agree}/{len(rep['runs_on_manylinux'])} agree\n")
    L.append("| wheel tag (auditwheel) | auditwheel's policy | preflight's wheel tag | |\n|---|---|---|---|")
    for r, rec in zip(rep["runs_on_manylinux"], [x for x in rep["records"] if "runs_on_manylinux" in x]):
        L.append(f"| {rec['id']} ({r['auditwheel']}) | {r['expected_profile']} | {r['preflight_lowest']} | {'ok' if r['agree'] else '**differs**'} |")
    L.append("\n## Disagreements: false errors by class\n")
    for cls, items in rep["classes"].items():
        arts = sorted({i["artifact"] for i in items})
        L.append(f"### {cls}: {len(items)} errors in {len(arts)} artifacts\n")
        seen = set()
        for i in items:
            key = (i["rule"], i["artifact"])
            if key in seen or len(seen) >= 4:
                continue
            seen.add(key)
            L.append(f"- `{i['artifact']}` [{i['mode']}] `{i['file']}` **{i['rule']}**: {i['message'][:300]} — oracle: {i['oracle']}")
        L.append("")
    L.append("## Oracle failures preflight did not report as errors\n")
    for i in rep["missed"][:200]:
        L.append(f"- `{i['artifact']}` [{i['mode']}] `{i['file']}`: {i['oracle']}")
    L.append("\n## Errors no oracle covers (counted apart)\n")
    for u in rep["unjudged"]:
        L.append(f"- {u['kind']} [{u['mode']}] {u['rule']}: {u['count']}" + (f" ({u['why']})" if u.get("why") else ""))
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
