#!/usr/bin/env python3
"""Record what real tools say about each corpus artifact: the oracles compare.py checks preflight against.

One JSON per artifact in DEST/oracle/ID.json (kept across runs; --force redoes them):

- every wheel: `auditwheel show --json` (auditwheel from PyPI, in DEST/oracle-venv): its tag, the
  tag it is consistent with, the versioned symbols, external libraries.
- x86_64 glibc wheels for cp311 or abi3: installed with their dependencies into a venv of their own
  (this machine's Python 3.11) and every extension module imported in a fresh process
  (`import` ok, or the error text).
- musllinux x86_64 wheels and musl x64 npm addons: musl's loader (Debian's musl, `ld-musl --list`)
  in a root holding only musl's libc (like alpine's base image, which has no libgcc/libstdc++ either).
- x64 glibc npm groups: `node -e 'process.dlopen(...)'` of every `.node` file.
- images: inside each root, `chroot ROOT ldd -r FILE` for every ELF file (arm64 through
  qemu-user-static's binfmt), `python3 -c 'import M'` for Python modules of the root's Python,
  and `dpkg -S` (with the root's dpkg database) for file -> package.
- debs: the image oracle of the `big` image, which has them installed, for each of their ELF files.

Oracle versions are recorded in DEST/oracle/versions.json.
"""
import argparse
import concurrent.futures as cf
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fetch import artifact_id  # noqa: E402

PY_SUFFIX = re.compile(r"(\.cpython-[^.]+|\.abi3)?\.so$")
TIMEOUT = 120


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    kw.setdefault("timeout", TIMEOUT)
    try:
        return subprocess.run(cmd, capture_output=True, text=True, errors="replace", **kw)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -1, "", "timeout")


def elf_header(path):
    """(class, e_type, e_machine) of an ELF file, or None."""
    try:
        with open(path, "rb") as f:
            h = f.read(20)
    except OSError:
        return None
    if len(h) < 20 or h[:4] != b"\x7fELF":
        return None
    little = h[5] == 1
    e_type = int.from_bytes(h[16:18], "little" if little else "big")
    e_machine = int.from_bytes(h[18:20], "little" if little else "big")
    return h[4], e_type, e_machine


def elf_files(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in filenames:
            p = os.path.join(dirpath, n)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            h = elf_header(p)
            if h and h[1] in (2, 3):  # executables and shared objects
                out.append(p)
    return sorted(out)


# ---- ldd output --------------------------------------------------------------------------------

def parse_ldd(text):
    """glibc ldd -r: missing libraries, missing versions, undefined symbols."""
    missing, versions, undefined, other = [], [], [], []
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"^(\S+) => not found$", line)
        if m:
            missing.append(m.group(1))
            continue
        m = re.search(r"version `([^']+)' not found \(required by ([^)]+)\)", line)
        if m:
            versions.append({"version": m.group(1), "required_by": m.group(2), "line": line})
            continue
        m = re.match(r"^undefined symbol: ([^,\s]+)(?:, version \S+)?\s+\((.+)\)$", line)
        if m:
            sym = m.group(1).split(",")[0]
            undefined.append({"symbol": sym, "file": m.group(2)})
            continue
        if "=>" in line or line.startswith(("linux-vdso", "/")) or "statically linked" in line \
                or "not a dynamic executable" in line:
            continue
        if line:
            other.append(line)
    return {"missing": sorted(set(missing)), "versions": versions, "undefined": undefined, "other": other}


def parse_musl(text):
    missing, undefined, other = [], [], []
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"^Error loading shared library (\S+): (.*?) \(needed by (.+)\)$", line)
        if m:
            missing.append(m.group(1))
            continue
        m = re.match(r"^Error relocating (.+): (\S+): symbol not found$", line)
        if m:
            undefined.append({"symbol": m.group(2), "file": m.group(1)})
            continue
        if "=>" in line or line.startswith("/"):
            continue
        if line:
            other.append(line)
    return {"missing": sorted(set(missing)), "versions": [], "undefined": undefined, "other": other}


# ---- wheels -------------------------------------------------------------------------------------

def venv(path, packages=()):
    """A venv without a pip of its own (ensurepip takes a minute on a loaded machine):
    this Python's pip installs into it (`pip --python`, pip >= 22.3)."""
    py = path / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    if packages:
        subprocess.run(pip_into(py) + ["-q", *packages], check=True)
    return py


def pip_into(py):
    return [sys.executable, "-m", "pip", "--python", str(py), "install"]


def module_name(rel):
    return PY_SUFFIX.sub("", rel).replace("/", ".")


def wheel_platform(fn):
    tags = fn[:-4].split("-")[-1]
    arch = "aarch64" if "aarch64" in tags else "x86_64" if "x86_64" in tags else "other"
    libc = "musl" if "musllinux" in tags else "glibc"
    return arch, libc, tags


def oracle_wheel(a, dest, tools):
    out = {"kind": "wheel", "file": a["file"]}
    whl = dest / "downloads" / a["file"]
    # auditwheel reads every ELF file in Python: minutes for pyarrow or scipy on a busy machine.
    r = run([str(tools["auditwheel"]), "show", "--json", str(whl)], timeout=1800)
    try:
        out["auditwheel"] = json.loads(r.stdout)
    except json.JSONDecodeError:
        out["auditwheel"] = {"error": (r.stderr or r.stdout).strip()[-2000:]}
    arch, libc, tags = wheel_platform(a["file"])
    out["arch"], out["libc"], out["tags"] = arch, libc, tags
    unpacked = dest / "unpacked" / artifact_id(a)
    if arch == "x86_64" and libc == "glibc" and ("cp311" in a["file"] or "abi3" in a["file"]):
        out["imports"] = import_wheel(a, dest, unpacked)
    if arch == "x86_64" and libc == "musl":
        out["musl_list"] = musl_list(unpacked, dest)
    return out


# One Python process per wheel imports each module in a child of its own (fork: the
# interpreter starts once, not once per module; scipy has ~110 modules) and reports, per
# module, ok with the shared objects mapped after the import (which bundled libraries
# that import really loaded), or the error. A child that crashes is reported by its
# exit status. Each child starts from a process that has imported nothing but the
# standard library, as `python -c "import M"` would.
IMPORT_EACH = r"""import importlib, json, os, sys, traceback
out = {}
for name in sys.argv[1:]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            importlib.import_module(name)
            maps = sorted({l.split()[-1] for l in open("/proc/self/maps") if ".so" in l})
            res = {"ok": True, "maps": maps}
        except BaseException as e:
            last = [l for l in traceback.format_exception_only(type(e), e)[-1].splitlines() if l.strip()]
            res = {"ok": False, "error": last[-1] if last else repr(e)}
        os.write(w, json.dumps(res).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    try:
        out[name] = json.loads(data)
    except ValueError:
        out[name] = {"ok": False, "error": f"the import crashed (wait status {status})"}
print(json.dumps(out))
"""


def import_wheel(a, dest, unpacked):
    env_dir = dest / "oracle-venvs" / artifact_id(a)
    py = venv(env_dir)
    r = run(pip_into(py) + ["-q", str(dest / "downloads" / a["file"])], timeout=900)
    if r.returncode != 0:
        return {"install_error": r.stderr.strip()[-2000:]}
    site = Path(run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['platlib'])"]).stdout.strip())
    modules = {}
    for p in elf_files(unpacked):
        rel = os.path.relpath(p, unpacked)
        top = rel.split("/")[0]
        if top.endswith(".libs") or top.endswith(".data") or not rel.endswith(".so") \
                or not (site / rel).exists():
            continue
        if "." in Path(rel).name.replace(".so", "").split(".cpython")[0].split(".abi3")[0]:
            continue  # not an importable module name (e.g. libfoo.so.1 inside the package)
        modules[rel] = module_name(rel)
    r = run([str(py), "-c", IMPORT_EACH, *modules.values()], cwd="/", timeout=60 + 30 * len(modules))
    try:
        answers = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        answers = {}
    results = {}
    for rel, name in modules.items():
        a = answers.get(name, {"ok": False, "error": f"no answer (exit {r.returncode}): {r.stderr.strip()[-300:]}"})
        if a["ok"]:
            loaded = sorted({os.path.relpath(x, site) for x in a["maps"] if x.startswith(str(site) + "/")})
            results[rel] = {"module": name, "ok": True, "loaded": loaded}
        else:
            results[rel] = {"module": name, "ok": False, "error": a["error"]}
    return results


# ---- musl --------------------------------------------------------------------------------------

def musl_root(dest):
    """A root with only musl's libc in it, as alpine names it (libc.musl-x86_64.so.1)."""
    root = dest / "oracle-musl-root"
    ld = Path("/lib/ld-musl-x86_64.so.1")
    if not ld.exists():
        subprocess.run(["apt-get", "install", "-y", "-qq", "musl"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not (root / "lib/ld-musl-x86_64.so.1").exists():
        (root / "lib").mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(ld), root / "lib/ld-musl-x86_64.so.1")
        os.symlink("ld-musl-x86_64.so.1", root / "lib/libc.musl-x86_64.so.1")
        (root / "usr/lib").mkdir(parents=True, exist_ok=True)
        (root / "etc").mkdir(exist_ok=True)
    return root


def musl_list(tree, dest):
    root = musl_root(dest)
    mnt = root / f"a-{os.getpid()}-{threading.get_ident()}"  # one per worker
    if mnt.exists():
        shutil.rmtree(mnt)
    shutil.copytree(tree, mnt, symlinks=True)
    results = {}
    try:
        for p in elf_files(mnt):
            h = elf_header(p)
            if h[2] != 62:  # x86_64 only: the musl loader here is x86_64
                continue
            rel = os.path.relpath(p, mnt)
            r = run(["chroot", str(root), "/lib/ld-musl-x86_64.so.1", "--list", f"/{mnt.name}/{rel}"])
            res = parse_musl(r.stdout + r.stderr)
            res["exit"] = r.returncode
            results[rel] = res
    finally:
        shutil.rmtree(mnt)
    return results


# ---- npm ---------------------------------------------------------------------------------------

def oracle_npm(a, dest):
    tree = dest / "unpacked" / artifact_id(a)
    libc = {l for p in a["packages"] for l in (p.get("libc") or [])}
    cpu = {c for p in a["packages"] for c in (p.get("cpu") or [])}
    out = {"kind": "npm", "libc": sorted(libc), "cpu": sorted(cpu)}
    if cpu == {"x64"} and "musl" not in libc:
        results = {}
        for p in elf_files(tree):
            if not p.endswith(".node"):
                continue
            rel = os.path.relpath(p, tree)
            r = run(["node", "-e", "process.dlopen({exports: {}}, process.argv[1])", p], cwd="/")
            if r.returncode == 0:
                results[rel] = {"ok": True}
            else:
                lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
                err = next((ln for ln in lines if "Error" in ln), lines[-1] if lines else f"exit {r.returncode}")
                results[rel] = {"ok": False, "error": err.strip()}
        out["node_dlopen"] = results
    if cpu == {"x64"} and "musl" in libc:
        out["musl_list"] = musl_list(tree, dest)
    return out


# ---- images ------------------------------------------------------------------------------------

def ldd_in_root(root, rel, foreign):
    r = run(["chroot", str(root), "/usr/bin/ldd", "-r", "/" + rel], timeout=300 if foreign else TIMEOUT)
    res = parse_ldd(r.stdout + r.stderr)
    res["exit"] = r.returncode
    return res


def host_symbols(root, files):
    """Symbols that a plugin's host process provides: those defined by executables in the root
    (python3, postgres, nginx ...) and by the interpreter libraries they load (libperl, libpython)."""
    hosts = []
    for p in files:
        h = elf_header(p)
        name = os.path.basename(p)
        if h[1] == 2 or re.match(r"lib(perl|python3|ruby|lua|jvm|node|c|m|pthread|dl|rt)[.-]", name) \
                or (h[1] == 3 and re.search(r"/(s?bin|libexec)/", p)):
            hosts.append(p)
    syms = {}
    for chunk in range(0, len(hosts), 200):
        r = run(["nm", "-D", "--defined-only", "--with-symbol-versions", *hosts[chunk:chunk + 200]], timeout=600)
        cur = None
        for line in r.stdout.splitlines():
            if line.endswith(":") and line[:-1] in hosts:
                cur = os.path.relpath(line[:-1], root)
                continue
            parts = line.split()
            if len(parts) == 3 and cur:
                syms.setdefault(parts[2].split("@")[0], cur)
    return syms


def python_imports(root, files):
    """Import each extension module of the root's own Python, inside the root."""
    if not (root / "usr/bin/python3").exists():
        return {}
    out = {}
    for p in files:
        rel = os.path.relpath(p, root)
        m = re.match(r"usr/lib/python3(?:\.\d+)?/(?:lib-dynload/|dist-packages/)(.+\.so)$", rel)
        if not m:
            continue
        name = module_name(m.group(1))
        if m.group(1).startswith(("lib-dynload",)):
            name = name.split(".", 1)[1]
        r = run(["chroot", str(root), "/usr/bin/python3", "-c", "import importlib, sys; importlib.import_module(sys.argv[1])", name])
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        out[rel] = {"module": name, "ok": r.returncode == 0, **({} if r.returncode == 0 else {"error": lines[-1] if lines else ""})}
    return out


def dpkg_owner(root, rels):
    owners = {}
    for chunk in range(0, len(rels), 300):
        r = run(["dpkg", f"--admindir={root}/var/lib/dpkg", "-S", *["/" + x for x in rels[chunk:chunk + 300]]], timeout=600)
        for line in r.stdout.splitlines():
            if ": " in line:
                pkg, path = line.split(": ", 1)
                owners[path.lstrip("/")] = pkg
    return owners


def oracle_image(spec, dest, workers):
    d = dest / "images" / spec["name"]
    meta = json.loads((d / "image.json").read_text())
    root = d / "rootfs"
    foreign = meta["arch"] != "amd64"
    files = elf_files(root)
    rels = [os.path.relpath(p, root) for p in files]
    kept = dest / "oracle" / f"image-{spec['name']}.json"
    old = json.loads(kept.read_text()) if kept.exists() else {}
    if old.get("manifest") == meta["digests"]["manifest"] and set(old.get("ldd", {})) == set(rels):
        ldd = old["ldd"]  # same image: only the host symbols are recomputed
        for res in ldd.values():
            for u in res["undefined"]:
                u.pop("host", None)
    else:
        log(f"  {len(files)} ELF files; ldd -r in the root")
        with cf.ThreadPoolExecutor(max_workers=workers) as ex:
            ldd = dict(zip(rels, ex.map(lambda r: ldd_in_root(root, r, foreign), rels)))
    ld_version = run(["chroot", str(root), "/usr/bin/ldd", "--version"]).stdout.splitlines()[:1]
    syms = host_symbols(root, files)
    for rel, res in ldd.items():
        for u in res["undefined"]:
            host = syms.get(u["symbol"])
            if host and host != rel:
                u["host"] = host
    # a plugin's own undefined symbols, when its host provides them, are no failure of the load
    return {"kind": "image", "name": spec["name"], "arch": meta["arch"], "manifest": meta["digests"]["manifest"],
            "ldd_version": ld_version[0] if ld_version else None, "ldd": ldd,
            "python_imports": python_imports(root, files) if not foreign else {},
            "owners": dpkg_owner(root, rels),
            "ld_so_cache_exists": (root / "etc/ld.so.cache").exists()}


def oracle_deb(a, dest, image_oracles):
    tree = dest / "unpacked" / artifact_id(a)
    out = {"kind": "deb", "arch": a["arch"], "in_image": None, "ldd": {}}
    for name, o in image_oracles.items():
        if o["arch"] == a["arch"] and "big" in name:
            out["in_image"] = name
            owners = o["owners"]
            for p in elf_files(tree):
                rel = os.path.relpath(p, tree)
                if rel in o["ldd"] and owners.get(rel, "").split(":")[0].split(",")[0] in (a["name"], ""):
                    out["ldd"][rel] = o["ldd"][rel]
                elif rel in o["ldd"]:
                    out["ldd"][rel] = o["ldd"][rel]
    return out


# Stock roots that stand for the targets preflight knows: `ldd -r` inside them is the truth
# about a tree copied in (the same loader, cache and libraries as the real host).
TARGET_ROOTS = {("debian-12", "x86_64"): "debian-bookworm-minbase-amd64",
                ("debian-13", "x86_64"): "debian-trixie-minbase-amd64",
                ("ubuntu-24.04", "x86_64"): "ubuntu-noble-minbase-amd64"}
# Through qemu-user-static each ldd costs about a second: only with --qemu-targets.
QEMU_TARGET_ROOTS = {("debian-12", "aarch64"): "debian-bookworm-minbase-arm64"}
ELF_ARCH = {62: "x86_64", 183: "aarch64"}


def tree_arch(tree):
    archs = {ELF_ARCH.get(elf_header(p)[2], "other") for p in elf_files(tree)}
    return archs.pop() if len(archs) == 1 else "mixed"


def link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def target_ldd(tree, dest, workers, qemu=False):
    """ldd -r of every ELF file of tree, copied into each stock root of its architecture."""
    arch = tree_arch(tree)
    out = {}
    for (target, tarch), image in {**TARGET_ROOTS, **(QEMU_TARGET_ROOTS if qemu else {})}.items():
        root = dest / "images" / image / "rootfs"
        if tarch != arch or not root.exists():
            continue
        mnt = root / "tmp" / "field"
        if mnt.exists():
            shutil.rmtree(mnt)
        # Hard links, not copies: the corpus and the roots share a file system, and a
        # wheel such as pyarrow is 100+ MB; ldd only reads the files.
        shutil.copytree(tree, mnt, symlinks=True, copy_function=link_or_copy)
        try:
            rels = [os.path.relpath(p, mnt) for p in elf_files(mnt)]
            with cf.ThreadPoolExecutor(max_workers=workers) as ex:
                res = ex.map(lambda r: ldd_in_root(root, "tmp/field/" + r, arch != "x86_64"), rels)
                out[target] = {"image": image, "ldd": dict(zip(rels, res))}
        finally:
            shutil.rmtree(mnt)
    return out


def versions(dest, tools):
    musl_root(dest)  # installs Debian's musl when missing: its loader is an oracle
    v = {"python": sys.version.split()[0],
         "auditwheel": run([str(tools["auditwheel"]), "--version"]).stdout.strip(),
         "node": run(["node", "--version"]).stdout.strip(),
         "musl": run(["/lib/ld-musl-x86_64.so.1"]).stderr.strip().replace("\n", " "),
         "host_ldd": run(["ldd", "--version"]).stdout.splitlines()[0],
         "nm": run(["nm", "--version"]).stdout.splitlines()[0]}
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dest", default="/work/corpus")
    ap.add_argument("--corpus", default=str(HERE / "corpus.json"))
    ap.add_argument("--force", action="store_true", help="redo oracles already recorded")
    ap.add_argument("--only", choices=["wheels", "npm", "images", "debs", "targets"], action="append")
    ap.add_argument("--match", help="only artifacts whose id contains this")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--qemu-targets", action="store_true", help="also ldd aarch64 trees in the arm64 root (slow)")
    args = ap.parse_args()
    dest = Path(args.dest)
    corpus = json.loads(Path(args.corpus).read_text())
    odir = dest / "oracle"
    odir.mkdir(parents=True, exist_ok=True)
    tools = {"auditwheel": dest / "oracle-venv" / "bin" / "auditwheel"}
    venv(dest / "oracle-venv", ["auditwheel==6.8.2"] if not tools["auditwheel"].exists() else [])
    (odir / "versions.json").write_text(json.dumps(versions(dest, tools), indent=1))
    parts = args.only or ["wheels", "npm", "images", "debs", "targets"]

    def todo(aid):
        return (args.force or not (odir / f"{aid}.json").exists()) and (not args.match or args.match in aid)

    def save(aid, o):
        (odir / f"{aid}.json").write_text(json.dumps(o, indent=1, sort_keys=True))

    # Wheels and npm groups are independent: --workers of them at a time.
    def one(kind, a):
        aid = artifact_id(a)
        log(f"{kind} {aid}")
        save(aid, oracle_wheel(a, dest, tools) if kind == "wheel" else oracle_npm(a, dest))
    jobs = [("wheel", a) for a in corpus["wheels"] if "wheels" in parts and todo(artifact_id(a))] \
        + [("npm", a) for a in corpus["npm"] if "npm" in parts and todo(artifact_id(a))]
    with cf.ThreadPoolExecutor(max_workers=args.workers) as ex:
        for f in [ex.submit(one, kind, a) for kind, a in jobs]:
            f.result()
    image_oracles = {}
    for spec in corpus["images"]:
        aid = "image-" + spec["name"]
        if not (dest / "images" / spec["name"] / "image.json").exists():
            log(f"image {spec['name']}: not built (run fetch.py)")
            continue
        if "images" in parts and todo(aid):
            log(f"image {aid}")
            save(aid, oracle_image(spec, dest, args.workers))
        if (odir / f"{aid}.json").exists():
            image_oracles[spec["name"]] = json.loads((odir / f"{aid}.json").read_text())
    if "debs" in parts:
        for a in corpus["debs"]:
            aid = artifact_id(a)
            if todo(aid):
                save(aid, oracle_deb(a, dest, image_oracles))
    if "targets" in parts:
        for a in corpus["wheels"] + corpus["npm"] + corpus["debs"]:
            aid = artifact_id(a)
            if todo(aid + ".targets"):
                log(f"targets {aid}")
                save(aid + ".targets", target_ldd(dest / "unpacked" / aid, dest, args.workers, args.qemu_targets))


if __name__ == "__main__":
    main()
