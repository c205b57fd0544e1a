#!/usr/bin/env python3
"""Writes policies/hosts/<release>/ for the Debian and Ubuntu rows of releases.tsv:

  profile.yaml          the release and, per platform, its loader facts and where each came from
  base.<platform>.txt   every shared library of the platform's minbase root: soname, package, versions
  repository.txt        soname -> package(s) of the archive (Contents indexes), all platforms in one file

Inputs (all in $HOSTDATA_CACHE, made by roots.sh, capture.py and indexes.sh): captured/<release>-<arch>.json
and indexes/<release>/. Platforms of the official image whose archive is not reachable here
(releases.tsv's last column) are derived and marked `confidence: inferred` with their source:
the sonames and packages of the release's amd64 root, the loader and version ceilings of that
architecture from the facts' distro-symbol-versions (GLIBC, GLIBCXX, CXXABI, GCC, ZLIB, LIBATOMIC).

Usage: debian.py [RELEASE ...]
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import repository  # noqa: E402
from common import (CACHE, FACTS, HERE, HOSTS, PLATFORMS, PLATFORM_ORDER, BY_DEB, base_lines, flow, q,  # noqa: E402
                    short, slug, version_key, write)

NAMES = {
    "debian-11": "Debian 11 (bullseye)", "debian-12": "Debian 12 (bookworm)", "debian-13": "Debian 13 (trixie)",
    "ubuntu-20.04": "Ubuntu 20.04 LTS (Focal Fossa)", "ubuntu-22.04": "Ubuntu 22.04 LTS (Jammy Jellyfish)",
    "ubuntu-24.04": "Ubuntu 24.04 LTS (Noble Numbat)", "ubuntu-26.04": "Ubuntu 26.04 LTS (Resolute Raccoon)",
}
# Rules a release's facts justify (carried over from policies/targets, where they are explained).
# None today: glibc 2.41 refuses only *libraries* that ask for an executable stack, which the
# executable-stack rule's `dlopen-refused` case already makes an error on any glibc >= 2.41 host.
RULES = {}
# The x86-64 level the release's amd64 packages are built for (policies/README.md, isa_level).
ISA_LEVEL = 1
# glibc library families whose version ceilings the facts give per architecture, and the
# soname whose exact list the facts' family list is.
FACT_FAMILY_OWNER = {"GLIBCXX": "libstdc++.so.6", "CXXABI": "libstdc++.so.6", "GCC": "libgcc_s.so.1",
                     "ZLIB": "libz.so.1", "LIBATOMIC": "libatomic.so.1"}
LOADER_SONAMES = {p: os.path.basename(v["interp"]) for p, v in PLATFORMS.items()}


def releases():
    with open(os.path.join(HERE, "releases.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            cols += [""] * (7 - len(cols))
            yield dict(release=cols[0], family=cols[1], version=cols[2], codename=cols[3], archive=cols[4],
                       built=cols[5].split(), inferred=cols[6].split())


def load_capture(release, arch):
    path = os.path.join(CACHE, "captured", f"{release}-{arch}.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def facts(platform, release):
    path = os.path.join(FACTS, "distro-symbol-versions", PLATFORMS[platform]["uname"], release + ".json")
    if not os.path.exists(path):
        return None, None
    with open(path, encoding="utf-8") as f:
        return json.load(f), os.path.relpath(path, os.path.dirname(FACTS))


def exact_versions(lib):
    """The captured version names, less GLIBC_PRIVATE (outside code can never rely on it)."""
    return [v for v in lib["versions"] if v != "GLIBC_PRIVATE"]


def version_stem(name):
    """LIBFFI_COMPLEX_8.0 -> LIBFFI_COMPLEX: a version family without its numbers."""
    return re.sub(r"[_.0-9]+$", "", name)


def arch_absent_stems():
    """platform -> {(soname without version, stem)} that amd64 defines and that platform lacks,
    learned from every release with exact roots of both (debian-12 ppc64le: libffi has no
    LIBFFI_COMPLEX_* there). The inference leaves such names out on that platform."""
    absent = {}
    for rel in releases():
        ref = load_capture(rel["release"], "amd64")
        if ref is None:
            continue
        for arch in rel["built"]:
            other = load_capture(rel["release"], arch) if arch != "amd64" else None
            if other is None:
                continue
            for soname, lib in ref["libraries"].items():
                theirs = other["libraries"].get(soname)
                if theirs is None:
                    continue
                have = {version_stem(v) for v in theirs["versions"]}
                for v in lib["versions"]:
                    if version_stem(v) not in have and not v.startswith("GLIBC"):
                        absent.setdefault(BY_DEB[arch], set()).add((soname.split(".so")[0], version_stem(v)))
    return absent


_ABSENT = None


def inferred_base(ref, platform, fact, glibc):
    """The base image of an unreachable platform: the reference root's sonames and packages;
    glibc's own libraries get GLIBC<=version; libstdc++/libgcc_s/libz/libatomic the exact
    family lists of the facts; other libraries keep their reference names except GLIBC_*
    compatibility nodes, whose base version differs per architecture."""
    ref_loader = os.path.basename(ref["interpreter"])
    libc_pkg = ref["libc_package"]
    out = {}
    for soname, lib in ref["libraries"].items():
        # glibc's vector math library: x86_64 since 2.22, aarch64 since 2.38 (bookworm's 2.36
        # arm64 root has none, trixie's 2.41 has it), no other architecture
        if soname == "libmvec.so.1" and not (platform == "linux/amd64" or (
                platform == "linux/arm64" and version_key(glibc) >= [2, 38])):
            continue
        name = LOADER_SONAMES[platform] if soname == ref_loader else soname
        if lib["package"] == libc_pkg:
            versions = [f"GLIBC<={glibc}"] + [v for v in lib["versions"] if v == "GLIBC_ABI_DT_RELR"]
        else:
            global _ABSENT
            if _ABSENT is None:
                _ABSENT = arch_absent_stems()
            gone = _ABSENT.get(platform, set())
            versions = [v for v in exact_versions(lib) if not v.startswith("GLIBC_")
                        and (soname.split(".so")[0], version_stem(v)) not in gone]
            families = {f for f, owner in FACT_FAMILY_OWNER.items() if owner == soname}
            if families and fact:
                versions = [v for v in versions if v.split("_", 1)[0] not in families]
                for fam in sorted(families):
                    versions += [f"{fam}_{v}" for v in fact["symbol_versions"].get(fam, [])]
        out[name] = (lib["package"], versions)
    return out


def repo_lines(maps, base_packages, info):
    """soname -> package(s), with the platforms column only where the platforms differ."""
    platforms = sorted(maps, key=PLATFORM_ORDER.index)
    sonames = sorted(set().union(*[set(m) for m in maps.values()]))
    lines = ["# soname\tpackages (preferred first)\tplatforms (only where not all of: "
             + " ".join(short(p) for p in platforms) + ")"]
    for s in sonames:
        groups = {}
        for p in platforms:
            if s in maps[p]:
                pk = tuple(repository.preferred_order(maps[p][s], base_packages, info))
                groups.setdefault(pk, []).append(p)
        for pk, plats in sorted(groups.items(), key=lambda kv: PLATFORM_ORDER.index(kv[1][0])):
            col = "" if len(plats) == len(platforms) else "\t" + ",".join(short(p) for p in plats)
            lines.append(f"{s}\t{','.join(pk)}{col}")
    return "\n".join(lines) + "\n"


def generate(rel):
    release = rel["release"]
    out_dir = os.path.join(HOSTS, release)
    ubuntu = rel["archive"] == "ubuntu"
    today = time.strftime("%Y-%m-%d", time.gmtime())
    captures = {BY_DEB[a]: c for a in rel["built"] if (c := load_capture(release, a))}
    if "linux/amd64" not in captures:
        print(f"{release}: no amd64 capture; run roots.sh and capture.py first", file=sys.stderr)
        return 1
    ref = captures["linux/amd64"]
    sources = {}
    built_dates = sorted({c["built"][:10] for c in captures.values()})
    pocket_note = ", ".join(sorted({f"{short(p)}: {c.get('pockets', 'all')}" for p, c in captures.items()
                                    if c.get("pockets", "all") != "all"}))
    mirror = "archive.ubuntu.com/ubuntu" if ubuntu else "deb.debian.org/debian"
    sources["ROOT"] = (f"mmdebstrap --variant=minbase roots of {rel['codename']} (+ -updates, -security main) from "
                       f"{mirror}, built {', '.join(built_dates)} by policies/regen/roots.sh; every library on the "
                       f"loader path read by policies/regen/capture.py (elfread.py); package = dpkg database owner"
                       + (f"; pockets left out where this mirror failed (missing pool files, inconsistent "
                          f"indexes): {pocket_note}" if pocket_note else ""))
    checked = sorted(short(p) for p, c in captures.items() if c.get("preflight_check"))
    if checked:
        sources["ROOT"] += (f"; {', '.join(checked)} also captured by `preflight profiles capture` "
                            f"({ref['preflight_check']['preflight'] if ref.get('preflight_check') else 'preflight'}): "
                            "same sonames and version names")

    # repository maps (Contents) of every architecture whose index is reachable
    # only the platforms the release's image has (Ubuntu's i386 archive has no image)
    repo_arches = [a for a in rel["built"] + rel["inferred"]
                   if os.path.exists(os.path.join(CACHE, "indexes", release, f"Contents-{a}.gz"))]
    maps_deb, read_files = repository.build(release, repo_arches, ubuntu)
    maps = {BY_DEB[a]: m for a, m in maps_deb.items()}
    if not maps:
        print(f"{release}: no Contents index; run indexes.sh first", file=sys.stderr)
        return 1
    # Contents can list packages the Packages index no longer has (noble's release-pocket
    # Contents names libdart6.12t64; its Packages has only 6.13): keep only installable ones
    dropped = 0
    for platform, m in maps.items():
        have = repository.packages_info(release, PLATFORMS[platform]["deb"])
        if not have:
            continue
        for soname in list(m):
            keep = [p for p in m[soname] if p in have]
            dropped += len(m[soname]) - len(keep)
            if keep:
                m[soname] = keep
            else:
                del m[soname]
    info = repository.packages_info(release, "amd64")
    base_packages = {p[0] for c in captures.values() for p in c["packages"]}
    comps = "main, universe" if ubuntu else "main"
    sources["CONTENTS"] = (f"{mirror} dists/{rel['codename']}{{,-updates,-security}} Contents-<arch>.gz ({comps}), "
                           f"read {today} for {', '.join(short(p) for p in sorted(maps, key=PLATFORM_ORDER.index))} "
                           "by policies/regen/repository.py; Packages.xz of the same pockets for the preferred package"
                           + (f"; {dropped} entries whose package no Packages index has were left out" if dropped else ""))

    platforms = {}
    for platform in PLATFORM_ORDER:
        arch = PLATFORMS[platform]["deb"]
        fact, fact_src = facts(platform, release)
        if platform in captures:
            c = captures[platform]
            libs = {s: (l["package"], exact_versions(l)) for s, l in c["libraries"].items()}
            p = dict(confidence="exact", source="ROOT", glibc=c["glibc_version"],
                     glibc_note=f"{c['libc_package']} {c['libc_package_version']} [ROOT]",
                     interpreter=c["interpreter"], library_dirs=c["library_dirs"], ld_so_conf=c["ld_so_conf"],
                     packages=len(c["packages"]), libs=libs)
            if fact and fact["glibc_version"] != c["glibc_version"]:
                p["glibc_note"] += f"; facts {fact_src} say {fact['glibc_version']}"
        elif arch in rel["inferred"]:
            if fact is None:
                print(f"{release}: no facts for {platform}; left out", file=sys.stderr)
                continue
            key = "PC-" + PLATFORMS[platform]["uname"]
            sources[key] = (f"{fact_src} (pep600_compliance cache, read inside the official {release} image of "
                            f"{PLATFORMS[platform]['uname']}): glibc {fact['glibc_version']} and the "
                            "GLIBCXX/CXXABI/GCC/ZLIB/LIBATOMIC version lists")
            triplet = PLATFORMS[platform]["triplet"]
            conf = [d.replace(ref["triplet"], triplet) for d in ref["ld_so_conf"]]
            dirs = [d.replace(ref["triplet"], triplet) for d in ref["library_dirs"]]
            p = dict(confidence="inferred",
                     source=f"ROOT amd64 package set and sonames, {key} version ceilings; loader path of the "
                            "glibc ABI (same path on every Debian and Ubuntu release)",
                     glibc=fact["glibc_version"], glibc_note=f"[{key}]",
                     interpreter=PLATFORMS[platform]["interp"], library_dirs=dirs, ld_so_conf=conf,
                     packages=len(ref["packages"]),
                     libs=inferred_base(ref, platform, fact, fact["glibc_version"]))
        else:
            continue
        if platform in maps:
            p["repository"] = dict(confidence="exact", source="CONTENTS")
        else:
            p["repository"] = dict(confidence="inferred", source="CONTENTS", platform="linux/amd64")
        platforms[platform] = p

    # files
    for platform, p in platforms.items():
        write(os.path.join(out_dir, f"base.{slug(platform)}.txt"), base_lines(p["libs"]))
    write(os.path.join(out_dir, "repository.txt"), repo_lines(maps, base_packages, info))

    y = ["# Generated by policies/regen/debian.py; do not edit. Format: policies/README.md (Host data).",
         f"name: {release}", f"aliases: [{rel['codename']}]", f"family: {rel['family']}",
         f"version: {q(rel['version'])}", f"description: {q(NAMES[release])}", f"data_date: {q(today)}",
         "confidence: " + ("exact" if all(p["confidence"] == "exact" for p in platforms.values()) else "mixed"),
         "sources:"]
    for k, v in sources.items():
        y.append(f"  {k}: {q(v)}")
    y.append("repository: repository.txt")
    y.append("platforms:")
    for platform, p in platforms.items():
        y += [f"  {platform}:",
              f"    confidence: {p['confidence']}",
              f"    source: {q(p['source'])}",
              "    libc: glibc",
              f"    libc_version: {q(p['glibc'])}   # {p['glibc_note']}",
              f"    interpreter: {p['interpreter']}",
              f"    library_dirs: {flow(p['library_dirs'])}",
              f"    ld_so_conf: {flow(p['ld_so_conf'])}"]
        if platform == "linux/amd64":
            y.append(f"    isa_level: {ISA_LEVEL}")
        y.append(f"    base_image: {{file: base.{slug(platform)}.txt, libraries: {len(p['libs'])}, "
                 f"packages: {p['packages']}}}")
        r = p["repository"]
        extra = f", from: {r['platform']}" if "platform" in r else ""
        y.append(f"    repository: {{confidence: {r['confidence']}, source: {r['source']}{extra}}}")
    if release in RULES:
        y.append("rules:")
        for k, v in RULES[release].items():
            y.append(f"  {k}: {v}")
    write(os.path.join(out_dir, "profile.yaml"), "\n".join(y) + "\n")
    summary = ", ".join(f"{short(p)} ({v['confidence']}, {len(v['libs'])} libs)" for p, v in platforms.items())
    print(f"{release}: {summary}; "
          f"repository {sum(len(m) for m in maps.values())} soname entries over {len(maps)} platforms")
    return 0


def main(selected):
    status = 0
    for rel in releases():
        if selected and rel["release"] not in selected:
            continue
        status |= generate(rel)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
