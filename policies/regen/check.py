#!/usr/bin/env python3
"""Checks the generated host data under policies/hosts/ (format: policies/README.md, "Host data").

  - profile.yaml: known keys, quoted dotted versions, Docker platform names, the files it names exist,
    every source key a platform cites is defined, confidence is exact | inferred | mixed;
  - unique profile names and aliases over all of policies/hosts/;
  - base.<platform>.txt: one line per soname (no duplicates), every soname has a package
    (host profiles), version tokens are FAMILY_name or FAMILY<=x.y, glibc profiles have libc.so.6
    and the platform's loader soname, musl profiles their libc.musl-<arch>.so.1;
  - the glibc version agrees with the facts (distro-symbol-versions/<arch>/<release>.json) and, where
    the base image was read off a real root (confidence exact), with the highest GLIBC_ node of its
    glibc libraries;
  - repository.txt: sorted, no duplicate (soname, platform), platform column names platforms of the profile;
  - with --indexes (needs $HOSTDATA_CACHE/indexes from indexes.sh): a seeded sample of each Debian /
    Ubuntu repository map is looked up in the Packages index of its release: the package exists there,
    and the share of library packages (Section libs/oldlibs or a lib* name) is reported;
  - prints raw and zstd-compressed sizes of all the data (zstd -19, the CLI).

  - with --roots (needs $HOSTDATA_CACHE/captured and roots): every NEEDED of every dynamic ELF file of
    each root is in that platform's base file, or next to the file (gconv modules' $ORIGIN);

  - with --inference: the base image debian.py infers from the amd64 root, against each exact root
    of another platform (reported: how good the inferred platforms can be expected to be);

Usage: check.py [--indexes] [--roots] [--inference] [--sizes]     exit 1 on a problem
"""
import json
import os
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CACHE, FACTS, HOSTS, PLATFORMS, read_base, short, slug, version_key  # noqa: E402

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("check.py needs PyYAML: pip install pyyaml (or apt-get install python3-yaml)")

TOP = {"name", "aliases", "family", "version", "description", "data_date", "confidence", "sources", "repository",
       "platforms", "rules", "priority", "whitelist", "blacklist"}
HOST_PLAT = {"confidence", "source", "libc", "libc_version", "libc_soname", "interpreter", "library_dirs",
             "ld_so_conf", "isa_level", "base_image", "repository"}
WHEEL_PLAT = {"libc", "libc_version", "libc_soname", "interpreter", "library_dirs", "symbol_versions"}
DOTTED = re.compile(r"^[0-9]+(\.[0-9]+)*$")
# an exact version name as the library defines it (GLIBC_2.34, but also MIT krb5's HIDDEN and
# krb5_3_MIT), or FAMILY<=x.y
TOKEN = re.compile(r"^([A-Za-z_][A-Za-z0-9_.@+-]*|[A-Z][A-Z0-9_]*<=[0-9]+(\.[0-9]+)*)$")
FACT_NAME = {"rhel-8": "rhubi-8", "rhel-9": "rhubi-9", "rhel-10": "rhubi-10"}

problems = []


def problem(where, text):
    problems.append(f"{where}: {text}")


def check_host(name, doc, d):
    wheel = doc.get("family") in ("manylinux", "musllinux")
    for k in doc:
        if k not in TOP:
            problem(name, f"unknown key {k!r}")
    for k in ("name", "family", "version", "description", "data_date", "confidence", "sources", "platforms"):
        if k not in doc:
            problem(name, f"missing {k}")
    if doc.get("name") != name:
        problem(name, f"name {doc.get('name')!r} is not the folder name")
    if not isinstance(doc.get("version"), str) or not DOTTED.match(doc.get("version", "")):
        problem(name, "version must be a quoted dotted number")
    if doc.get("confidence") not in ("exact", "inferred", "mixed"):
        problem(name, f"confidence {doc.get('confidence')!r}")
    sources = doc.get("sources") or {}
    plats = doc.get("platforms") or {}
    if not plats:
        problem(name, "no platforms")
    if not wheel:
        repo = doc.get("repository")
        if not repo or not os.path.exists(os.path.join(d, repo)):
            problem(name, f"repository file {repo!r} missing")
        else:
            check_repository(name, os.path.join(d, repo), plats)
    else:
        wl = set(doc.get("whitelist") or [])
        if not wl:
            problem(name, "empty whitelist")
        for lib in (doc.get("blacklist") or {}):
            if lib not in wl:
                problem(name, f"blacklist library {lib} not in the whitelist")
    for platform, p in plats.items():
        where = f"{name} {platform}"
        if platform not in PLATFORMS:
            problem(where, "not one of Docker's seven Linux platforms")
            continue
        allowed = WHEEL_PLAT if wheel else HOST_PLAT
        for k in p:
            if k not in allowed:
                problem(where, f"unknown key {k!r}")
        if not isinstance(p.get("libc_version"), str) or not DOTTED.match(p.get("libc_version", "")):
            problem(where, "libc_version must be a quoted dotted number")
        if p.get("libc") not in ("glibc", "musl"):
            problem(where, f"libc {p.get('libc')!r}")
        if wheel:
            continue
        if p.get("confidence") not in ("exact", "inferred"):
            problem(where, f"confidence {p.get('confidence')!r}")
        cited = set(re.findall(r"\b(ROOT|CONTENTS|RI|SONAMES|KNOWN|PC-[a-z0-9_]+)\b", str(p.get("source", ""))))
        cited |= {str((p.get("repository") or {}).get("source"))}
        for key in cited:
            if key not in sources:
                problem(where, f"cites source {key} that `sources` does not define")
        base = (p.get("base_image") or {}).get("file")
        if not base or not os.path.exists(os.path.join(d, base)):
            problem(where, f"base image file {base!r} missing")
            continue
        if base != f"base.{slug(platform)}.txt":
            problem(where, f"base image file {base} is not base.{slug(platform)}.txt")
        check_base(where, os.path.join(d, base), p, doc)


def check_base(where, path, p, doc):
    seen = set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if cols[0] in seen:
                problem(where, f"{os.path.basename(path)}:{n}: duplicate soname {cols[0]}")
            seen.add(cols[0])
            if len(cols) < 2 or cols[1] in ("", "-"):
                problem(where, f"{os.path.basename(path)}:{n}: {cols[0]} has no package")
            for tok in (cols[2].split() if len(cols) > 2 else []):
                if not TOKEN.match(tok):
                    problem(where, f"{os.path.basename(path)}:{n}: bad version token {tok!r}")
    libs = read_base(path)
    interp = os.path.basename(p.get("interpreter", ""))
    if p.get("libc") == "glibc":
        for need in ("libc.so.6", interp):
            if need not in libs:
                problem(where, f"base image lacks {need}")
        check_glibc(where, p, doc, libs)
    else:
        if p.get("libc_soname") not in libs:
            problem(where, f"base image lacks {p.get('libc_soname')}")


def check_glibc(where, p, doc, libs):
    version = p["libc_version"]
    uname = PLATFORMS[where.split(" ", 1)[1]]["uname"]
    fact_name = FACT_NAME.get(doc["name"], doc["name"])
    fpath = os.path.join(FACTS, "distro-symbol-versions", uname, fact_name + ".json")
    if os.path.exists(fpath):
        with open(fpath, encoding="utf-8") as f:
            fact = json.load(f)
        if fact["glibc_version"] != version:
            problem(where, f"glibc {version} but the facts ({os.path.relpath(fpath, FACTS)}) say {fact['glibc_version']}")
    if p.get("confidence") == "exact":
        libc_pkg = libs["libc.so.6"][0]
        nodes = [t[6:] for s, (pkg, toks) in libs.items() if pkg == libc_pkg for t in toks
                 if re.fullmatch(r"GLIBC_[0-9.]+", t)]
        top = max(nodes, key=version_key) if nodes else None
        if top != version:
            problem(where, f"glibc {version} but the highest GLIBC_ node of its glibc libraries is {top}")


def check_repository(name, path, plats):
    allowed = {short(p) for p in PLATFORMS}
    seen = set()
    prev = ""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 2 or not cols[1]:
                problem(name, f"repository.txt:{n}: no package")
                continue
            if cols[0] < prev:
                problem(name, f"repository.txt:{n}: not sorted ({cols[0]} after {prev})")
            prev = cols[0]
            on = cols[2].split(",") if len(cols) > 2 else ["*"]
            for p in on:
                if p != "*" and p not in allowed:
                    problem(name, f"repository.txt:{n}: unknown platform {p}")
                if (cols[0], p) in seen or (cols[0], "*") in seen or (p == "*" and any(s == cols[0] for s, _ in seen)):
                    problem(name, f"repository.txt:{n}: duplicate entry for {cols[0]} on {p}")
                seen.add((cols[0], p))


def check_indexes(name, d, sample=150):
    """A seeded sample of the repository map against the release's Packages index (amd64)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import repository
    if not os.path.isdir(os.path.join(CACHE, "indexes", name)):
        return None
    info = repository.packages_info(name, "amd64")
    rows = []
    with open(os.path.join(d, "repository.txt"), encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                cols = line.rstrip("\n").split("\t")
                if len(cols) < 3 or "amd64" in cols[2].split(","):
                    rows.append(cols)
    rng = random.Random(17)
    picked = rng.sample(rows, min(sample, len(rows)))
    lib_like = 0
    for cols in picked:
        pkg = cols[1].split(",")[0]
        if pkg not in info:
            problem(name, f"repository: {cols[0]} -> {pkg}, which the amd64 Packages index does not have")
            continue
        section = (info[pkg][0] or "").split("/")[-1]
        if section in ("libs", "oldlibs") or pkg.startswith("lib"):
            lib_like += 1
    return len(picked), lib_like


def check_roots():
    """Every NEEDED of every dynamic ELF file of a root built here is in that platform's base
    file, or sits next to the file that needs it (glibc's gconv modules: RUNPATH $ORIGIN)."""
    import glob
    checked = 0
    for cap in sorted(glob.glob(os.path.join(CACHE, "captured", "*.json"))):
        with open(cap, encoding="utf-8") as f:
            d = json.load(f)
        base_path = os.path.join(HOSTS, d["release"], f"base.{slug(d['platform'])}.txt")
        if not os.path.exists(base_path):
            continue
        base = read_base(base_path)
        root = os.path.join(CACHE, "roots", f"{d['release']}-{d['arch']}")
        for prog in d["programs"]:
            for need in prog["needed"]:
                beside = os.path.join(root, os.path.dirname(prog["path"]).lstrip("/"), need)
                if need not in base and not os.path.exists(beside):
                    problem(f"{d['release']} {d['platform']}", f"{prog['path']} needs {need}, not in the base image")
        checked += 1
    return checked


def check_inference():
    """How well the inference of unreachable platforms works, measured where both exist: the base
    image debian.py would infer from the amd64 root against the exact one of each other platform
    built here (sonames, packages, exact version names the inference claims). Reported, not failed."""
    import debian
    out = []
    for rel in debian.releases():
        for arch in rel["built"]:
            platform = next(p for p, v in PLATFORMS.items() if v["deb"] == arch)
            if arch == "amd64":
                continue
            ref = debian.load_capture(rel["release"], "amd64")
            fact, _ = debian.facts(platform, rel["release"])
            path = os.path.join(HOSTS, rel["release"], f"base.{slug(platform)}.txt")
            if ref is None or fact is None or not os.path.exists(path):
                continue
            inferred = debian.inferred_base(ref, platform, fact, fact["glibc_version"])
            exact = read_base(path)
            extra = sorted(set(inferred) - set(exact))
            missing = sorted(set(exact) - set(inferred))
            pkg = sorted(s for s in set(inferred) & set(exact) if inferred[s][0] != exact[s][0])
            wrong = sorted(s for s in set(inferred) & set(exact)
                           if any(v not in exact[s][1] for v in inferred[s][1] if "<=" not in v))
            out.append(f"  {rel['release']} {short(platform)}: {len(exact)} exact sonames; inferred adds {extra or 'none'}, "
                       f"misses {missing or 'none'}; other package {pkg or 'none'}; wrong version names {wrong or 'none'}")
    return out


def sizes():
    total_raw = 0
    files = []
    for root, _, names in os.walk(HOSTS):
        for n in names:
            files.append(os.path.join(root, n))
            total_raw += os.path.getsize(files[-1])
    try:
        cat = subprocess.run(["tar", "-cf", "-", "-C", HOSTS, "."], capture_output=True, check=True).stdout
        packed = len(subprocess.run(["zstd", "-19", "-q", "-c"], input=cat, capture_output=True, check=True).stdout)
        each = sum(len(subprocess.run(["zstd", "-19", "-q", "-c", f], capture_output=True, check=True).stdout)
                   for f in files)
    except (OSError, subprocess.CalledProcessError):
        packed = each = None
    return len(files), total_raw, each, packed


def main(argv):
    names = sorted(n for n in os.listdir(HOSTS) if os.path.isdir(os.path.join(HOSTS, n)))
    owners = {}
    for name in names:
        d = os.path.join(HOSTS, name)
        path = os.path.join(d, "profile.yaml")
        try:
            with open(path, encoding="utf-8") as f:
                doc = yaml.safe_load(f)
        except (OSError, yaml.YAMLError) as e:
            problem(name, f"profile.yaml: {e}")
            continue
        for n in [doc.get("name")] + list(doc.get("aliases") or []):
            if n in owners:
                problem(name, f"name or alias {n!r} also used by {owners[n]}")
            owners[n] = name
        check_host(name, doc, d)
        plats = doc.get("platforms") or {}
        conf = ", ".join(f"{short(p)}={v.get('confidence', doc.get('confidence'))}" for p, v in plats.items())
        line = f"{name:18} {doc.get('confidence'):8} {conf}"
        if "--indexes" in argv and doc.get("family") in ("debian", "ubuntu"):
            r = check_indexes(name, d)
            if r:
                line += f"  [Packages sample: {r[0]} looked up, {r[1]} library packages]"
        print(line)
    if "--roots" in argv:
        print(f"{check_roots()} captured roots: every program's NEEDED checked against its base file")
    if "--inference" in argv:
        print("inference from the amd64 root, checked against the exact roots:")
        print("\n".join(check_inference()))
    if "--sizes" in argv:
        n, raw, each, packed = sizes()
        print(f"{n} files, {raw} bytes raw; zstd -19 per file {each} bytes, as one tar {packed} bytes")
    for p in problems:
        print("problem:", p)
    print(f"{len(names)} host data sets, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
