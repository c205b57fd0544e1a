#!/usr/bin/env python3
"""Checks policies/targets/*.yaml against the target-profile schema (see policies/README.md).

Usage: python3 policies/check.py [DIR]      (DIR defaults to policies/targets next to this file)

Needs PyYAML (`pip install pyyaml`, or the distro's python3-yaml). Prints one summary line
per profile, then every problem found; exits 1 when there is a problem, 0 when clean.
"""
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("check.py needs PyYAML: pip install pyyaml (or apt-get install python3-yaml)")

TOP_KEYS = {"requires", "name", "aliases", "family", "version", "description", "platforms", "rules"}
TOP_REQUIRED = {"name", "family", "version", "description", "platforms"}
FAMILIES = {"ubuntu", "debian", "rhel", "amazonlinux", "alpine", "manylinux", "musllinux"}
PLATFORMS = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}
PLAT_KEYS = {"libc", "libc_version", "interpreter", "library_dirs", "isa_level", "libraries"}
PLAT_REQUIRED = {"libc", "libc_version", "interpreter", "library_dirs", "libraries"}
LIB_KEYS = {"max", "versions", "package", "base_image"}
SEVERITIES = {"error", "warning", "note", "off"}

DOTTED = re.compile(r"^[0-9]+(\.[0-9]+)*$")
FAMILY_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# FAMILY_x.y, also non-numeric names such as CXXABI_TM_1, GLIBC_ABI_DT_RELR, OPENSSL_1_1_0
VERSION_NAME = re.compile(r"^[A-Z][A-Z0-9_]*_[A-Za-z0-9][A-Za-z0-9._]*$")
RULE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
INTERP = {
    ("glibc", "x86_64"): "/lib64/ld-linux-x86-64.so.2",
    ("glibc", "aarch64"): "/lib/ld-linux-aarch64.so.1",
    ("musl", "x86_64"): "/lib/ld-musl-x86_64.so.1",
    ("musl", "aarch64"): "/lib/ld-musl-aarch64.so.1",
}
MUSL_LIBC = {"x86_64": "libc.musl-x86_64.so.1", "aarch64": "libc.musl-aarch64.so.1"}
MUSL_FAMILIES = {"alpine", "musllinux"}


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (plain PyYAML keeps the last one silently)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def vkey(v):
    return tuple(int(p) for p in v.split("."))


def check_profile(path, data, errs):
    where = os.path.basename(path)

    def err(msg):
        errs.append(f"{where}: {msg}")

    if not isinstance(data, dict):
        err("top level is not a mapping")
        return None
    for k in data:
        if k not in TOP_KEYS:
            err(f"unknown key {k!r}")
    for k in TOP_REQUIRED - set(data):
        err(f"missing required key {k!r}")

    stem = os.path.splitext(os.path.basename(path))[0]
    name = data.get("name")
    if name != stem:
        err(f"name {name!r} does not equal the file name {stem!r}")
    if isinstance(name, str) and not PROFILE_NAME.match(name):
        err(f"name {name!r} is not lowercase [a-z0-9._-]")

    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        err("aliases must be a list of strings")
        aliases = []
    for a in aliases:
        if a != a.lower() or not PROFILE_NAME.match(a):
            err(f"alias {a!r} is not lowercase [a-z0-9._-]")
        if a == name:
            err(f"alias {a!r} repeats the name")
    if len(set(aliases)) != len(aliases):
        err("aliases repeat")

    family = data.get("family")
    if family not in FAMILIES:
        err(f"family {family!r} is not one of {sorted(FAMILIES)}")

    version = data.get("version")
    if not isinstance(version, str):
        err(f"version must be a string (quote it), got {type(version).__name__} {version!r}")
    elif not DOTTED.match(version):
        err(f"version {version!r} is not numeric dotted")

    desc = data.get("description")
    if not isinstance(desc, str) or not desc.strip() or "\n" in desc.strip():
        err("description must be a non-empty one-line string")

    rules = data.get("rules", {})
    if rules is None:
        rules = {}
    if not isinstance(rules, dict):
        err("rules must be a mapping rule-id -> severity")
    else:
        for rid, sev in rules.items():
            if not isinstance(rid, str) or not RULE_ID.match(rid):
                err(f"rule id {rid!r} is not kebab-case")
            if sev not in SEVERITIES:
                err(f"rule {rid!r}: severity {sev!r} is not one of {sorted(SEVERITIES)}")

    plats = data.get("platforms")
    summary = {}
    if not isinstance(plats, dict):
        err("platforms must be a mapping")
        return summary
    for p in plats:
        if p not in PLATFORMS:
            err(f"unknown platform {p!r} (only linux/amd64 and linux/arm64)")
    for p in PLATFORMS:
        if p not in plats:
            err(f"platform {p} missing (every built-in profile has linux/amd64 and linux/arm64)")

    for plat, pl in plats.items():
        if plat not in PLATFORMS:
            continue
        arch = PLATFORMS[plat]
        pw = f"{plat}"
        if not isinstance(pl, dict):
            err(f"{pw}: not a mapping")
            continue
        for k in pl:
            if k not in PLAT_KEYS:
                err(f"{pw}: unknown key {k!r}")
        for k in PLAT_REQUIRED - set(pl):
            err(f"{pw}: missing required key {k!r}")
        libc = pl.get("libc")
        if libc not in ("glibc", "musl"):
            err(f"{pw}: libc {libc!r} is not glibc or musl")
        if family in MUSL_FAMILIES and libc != "musl":
            err(f"{pw}: family {family} must use libc musl")
        if family not in MUSL_FAMILIES and family in FAMILIES and libc != "glibc":
            err(f"{pw}: family {family} must use libc glibc")
        lv = pl.get("libc_version")
        if not isinstance(lv, str) or not DOTTED.match(lv):
            err(f"{pw}: libc_version {lv!r} must be a quoted numeric dotted string")
            lv = None
        interp = pl.get("interpreter")
        if not isinstance(interp, str) or not interp.startswith("/"):
            err(f"{pw}: interpreter {interp!r} must be an absolute path")
        elif (libc, arch) in INTERP and interp != INTERP[(libc, arch)]:
            err(f"{pw}: interpreter {interp} is not the {libc} {arch} ABI path {INTERP[(libc, arch)]}")
        dirs = pl.get("library_dirs")
        if not isinstance(dirs, list) or not dirs or not all(isinstance(d, str) and d.startswith("/") for d in dirs):
            err(f"{pw}: library_dirs must be a non-empty list of absolute paths")
        elif len(set(dirs)) != len(dirs):
            err(f"{pw}: library_dirs repeat")
        if "isa_level" in pl:
            isa = pl["isa_level"]
            if arch != "x86_64":
                err(f"{pw}: isa_level is for linux/amd64 only")
            if not isinstance(isa, int) or isinstance(isa, bool) or not 1 <= isa <= 4:
                err(f"{pw}: isa_level {isa!r} must be an integer 1..4")

        libs = pl.get("libraries")
        if not isinstance(libs, dict):
            err(f"{pw}: libraries must be a mapping soname -> entry")
            continue
        for so, e in libs.items():
            lw = f"{pw} {so}"
            if not isinstance(so, str) or "/" in so or not so:
                err(f"{pw}: bad soname {so!r}")
            if e is None:
                err(f"{lw}: entry is null; write {{}} for a present soname with unknown versions")
                continue
            if not isinstance(e, dict):
                err(f"{lw}: entry must be a mapping")
                continue
            for k in e:
                if k not in LIB_KEYS:
                    err(f"{lw}: unknown key {k!r}")
            mx = e.get("max", {})
            if not isinstance(mx, dict):
                err(f"{lw}: max must be a mapping FAMILY -> version")
                mx = {}
            for fam, v in mx.items():
                if not isinstance(fam, str) or not FAMILY_NAME.match(fam):
                    err(f"{lw}: max family {fam!r} is not an upper-case version family")
                if not isinstance(v, str) or not DOTTED.match(v):
                    err(f"{lw}: max {fam}: {v!r} must be a quoted numeric dotted string")
            vs = e.get("versions", [])
            if not isinstance(vs, list):
                err(f"{lw}: versions must be a list")
                vs = []
            for v in vs:
                if not isinstance(v, str) or not VERSION_NAME.match(v):
                    err(f"{lw}: version {v!r} does not look like FAMILY_x.y")
                elif v == "GLIBC_PRIVATE":
                    err(f"{lw}: GLIBC_PRIVATE must not be listed (never satisfiable by outside code)")
            if len(set(map(str, vs))) != len(vs):
                err(f"{lw}: versions repeat")
            if "package" in e and (not isinstance(e["package"], str) or not e["package"] or " " in e["package"]):
                err(f"{lw}: package must be one package name")
            if "base_image" in e and not isinstance(e["base_image"], bool):
                err(f"{lw}: base_image must be true or false")
            if family in ("manylinux", "musllinux") and e.get("base_image") is False:
                err(f"{lw}: wheel policies list only what the policy allows; base_image must stay true")

        if libc == "glibc" and lv:
            c = libs.get("libc.so.6")
            if not isinstance(c, dict):
                err(f"{pw}: glibc target without libc.so.6")
            else:
                got = (c.get("max") or {}).get("GLIBC")
                if got != lv:
                    err(f"{pw}: libc.so.6 max GLIBC {got!r} != libc_version {lv!r}")
            for so, e in libs.items():
                if isinstance(e, dict):
                    g = (e.get("max") or {}).get("GLIBC")
                    if isinstance(g, str) and DOTTED.match(g) and vkey(g) > vkey(lv):
                        err(f"{pw} {so}: max GLIBC {g} is above libc_version {lv}")
        if libc == "musl":
            want = MUSL_LIBC[arch]
            if want not in libs:
                err(f"{pw}: musl target without {want}")
            for so, e in libs.items():
                if isinstance(e, dict) and "GLIBC" in (e.get("max") or {}):
                    err(f"{pw} {so}: musl target with a GLIBC max")

        cxx = libs.get("libstdc++.so.6") or {}
        cmax = cxx.get("max") or {} if isinstance(cxx, dict) else {}
        summary[plat] = {
            "n": len(libs),
            "libc": f"{libc} {lv}",
            "glibcxx": cmax.get("GLIBCXX", "-"),
            "cxxabi": cmax.get("CXXABI", "-"),
        }
    return summary


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "targets")
    files = sorted(f for f in os.listdir(d) if f.endswith((".yaml", ".yml")))
    errs = []
    names = {}
    rows = []
    for f in files:
        path = os.path.join(d, f)
        if f.endswith(".yml"):
            errs.append(f"{f}: use the .yaml extension")
        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml.load(fh, Loader=UniqueKeyLoader)
        except yaml.YAMLError as e:
            errs.append(f"{f}: YAML error: {e}")
            continue
        summary = check_profile(path, data, errs)
        if isinstance(data, dict):
            for n in [data.get("name")] + list(data.get("aliases") or []):
                if isinstance(n, str):
                    if n in names:
                        errs.append(f"{f}: name/alias {n!r} already used by {names[n]}")
                    names[n] = f
            rows.append((data.get("name"), data.get("family"), data.get("version"), summary or {}))
    for name, family, version, summary in rows:
        parts = []
        for plat in ("linux/amd64", "linux/arm64"):
            s = summary.get(plat)
            if s:
                parts.append(f"{plat}: {s['n']:2d} libs, {s['libc']}, GLIBCXX {s['glibcxx']}, CXXABI {s['cxxabi']}")
        print(f"{name:<18} {family:<12} {version:<6} " + " | ".join(parts))
    if errs:
        print(f"\n{len(errs)} problem(s):")
        for e in errs:
            print("  " + e)
        return 1
    print(f"\nOK: {len(rows)} profiles, no problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
