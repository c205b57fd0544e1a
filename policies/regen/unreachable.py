#!/usr/bin/env python3
"""Writes policies/hosts/<release>/ for the releases whose package archives are not reachable
from here: the RHEL family (with its rebuilds as aliases), Amazon Linux, Fedora, openSUSE Leap
and Alpine. Every fact names its source; whatever is not read off a primary source is marked
`confidence: inferred` and says what it was derived from.

Sources:
  [PC-<arch>]  the facts' distro-symbol-versions/<arch>/<release>.json (pep600_compliance cache,
               read inside the release's official image): glibc version, GLIBCXX/CXXABI/GCC/ZLIB/
               LIBATOMIC version lists. Primary for those numbers.
  [RI]         package lists of official images (docker-library/repo-info, linux/amd64 only),
               transcribed in policies/regen/images/*.txt. Primary for "the image has package X".
  [SONAMES]    policies/regen/sonames.tsv: package -> sonames (inferred).
  [KNOWN]      policies/regen/known-packages.tsv: soname -> package name per family (inferred).
Usage: unreachable.py
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import version_key, FACTS, HERE, HOSTS, PLATFORMS, base_lines, flow, q, short, slug, write  # noqa: E402

ALL_RPM = ["linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x"]
# name, family, version, aliases, description, facts file name, platforms of the official image,
# image list (or None), soname tag, rpm/suse/apk column of known-packages, notes
RELEASES = [
    dict(name="rhel-8", family="rhel", version="8", facts="rhubi-8", tag="el8", pkg="rpm",
         aliases=["ubi-8", "almalinux-8", "alma-8", "rockylinux-8", "rocky-8", "oraclelinux-8", "centos-8"],
         desc="Red Hat Enterprise Linux 8 and its rebuilds (UBI, AlmaLinux, Rocky, Oracle)",
         platforms=ALL_RPM, image="almalinux-9.8-20260902.txt", image_exact=False, isa=1),
    dict(name="rhel-9", family="rhel", version="9", facts="rhubi-9", tag="el9", pkg="rpm",
         aliases=["ubi-9", "almalinux-9", "alma-9", "rockylinux-9", "rocky-9", "oraclelinux-9", "centos-stream9"],
         desc="Red Hat Enterprise Linux 9 and its rebuilds (UBI, AlmaLinux, Rocky, Oracle, CentOS Stream)",
         platforms=ALL_RPM, image="almalinux-9.8-20260902.txt", image_exact=True, isa=2),
    dict(name="rhel-10", family="rhel", version="10", facts="rhubi-10", tag="el10", pkg="rpm",
         aliases=["ubi-10", "almalinux-10", "alma-10", "rockylinux-10", "rocky-10", "oraclelinux-10", "centos-stream10"],
         desc="Red Hat Enterprise Linux 10 and its rebuilds (UBI, AlmaLinux, Rocky, Oracle, CentOS Stream)",
         platforms=ALL_RPM, image="almalinux-9.8-20260902.txt", image_exact=False, isa=None),
    dict(name="amazonlinux-2", family="amazonlinux", version="2", facts="amazonlinux-2", tag="al2", pkg="rpm",
         aliases=["al2"], desc="Amazon Linux 2", platforms=["linux/amd64", "linux/arm64"], image=None, isa=1),
    dict(name="amazonlinux-2023", family="amazonlinux", version="2023", facts="amazonlinux-2023", tag="al2023",
         pkg="rpm", aliases=["al2023"], desc="Amazon Linux 2023", platforms=["linux/amd64", "linux/arm64"],
         image="amazonlinux-2023.12.20260831.txt", image_exact=True, isa=None),
    dict(name="fedora-43", family="fedora", version="43", facts="fedora-43", tag="fedora", pkg="rpm",
         aliases=[], desc="Fedora 43", platforms=ALL_RPM, image=None, isa=None),
    dict(name="fedora-44", family="fedora", version="44", facts="fedora-44", tag="fedora", pkg="rpm",
         aliases=[], desc="Fedora 44", platforms=ALL_RPM, image=None, isa=None),
    dict(name="opensuse-15.6", family="opensuse", version="15.6", facts="opensuse-15.6", tag="suse", pkg="suse",
         aliases=["leap-15.6", "sles-15.6", "sles-15"], desc="openSUSE Leap 15.6 (SLES 15 SP6)",
         platforms=["linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x"], image=None, isa=None),
    dict(name="opensuse-16.0", family="opensuse", version="16.0", facts="opensuse-16.0", tag="suse", pkg="suse",
         aliases=["leap-16.0", "leap-16", "sles-16"], desc="openSUSE Leap 16.0 (SLES 16)",
         platforms=["linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x"], image=None, isa=None),
]
ALPINE_PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/ppc64le", "linux/s390x",
                    "linux/riscv64"]
ALPINES = [("3.20", None), ("3.21", "alpine-3.21.8.txt"), ("3.22", "alpine-3.22.6.txt"), ("3.23", "alpine-3.23.6.txt")]
# The libraries every glibc image of these families has whatever its package list
# (glibc itself, and the C++ runtime of its package manager: dnf/zypper are C++).
CORE = ["glibc", "libgcc", "libstdc++", "zlib"]
FAMILY_OWNER = {"GLIBCXX": "libstdc++.so.6", "CXXABI": "libstdc++.so.6", "GCC": "libgcc_s.so.1", "ZLIB": "libz.so.1"}


def read_tsv(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rows.append(line.rstrip("\n").split("\t"))
    return rows


def image_list(name):
    pkgs, header = {}, []
    with open(os.path.join(HERE, "images", name), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                header.append(line[1:].strip())
            elif line.strip():
                p, v = line.split()
                pkgs[p] = v
    return pkgs, header[0].removeprefix("[RI] ")


def sonames_for(packages, tag):
    """package -> sonames for the release tag, from sonames.tsv."""
    out = {}
    for row in read_tsv("sonames.tsv"):
        pkg, names = row[0], row[1].split()
        tags = row[2].split() if len(row) > 2 else []
        if pkg in packages and (not tags or tag in tags) and not (tag == "alpine") ^ ("alpine" in tags):
            for n in names:
                out[n] = pkg
    return out


def facts(platform, key):
    path = os.path.join(FACTS, "distro-symbol-versions", PLATFORMS[platform]["uname"], key + ".json")
    if not os.path.exists(path):
        return None, None
    with open(path, encoding="utf-8") as f:
        return json.load(f), os.path.relpath(path, os.path.dirname(FACTS))


def known(column, release):
    """soname -> package of the family's column, less the sonames the `not on` column says
    this release lacks (its version of the library has another soname)."""
    idx = {"rpm": 1, "suse": 2, "apk": 3}[column]
    return {r[0]: r[idx] for r in read_tsv("known-packages.tsv")
            if r[idx] != "-" and release not in (r[4].split(",") if len(r) > 4 else [])}


def glibc_release(rel):
    today = time.strftime("%Y-%m-%d", time.gmtime())
    sources, platforms = {}, {}
    img_pkgs, img_src = (image_list(rel["image"]) if rel.get("image") else (None, None))
    if img_pkgs is not None:
        sources["RI"] = img_src + (" (this release's own image)" if rel["image_exact"]
                                   else " (the nearest image read here; not this release's)")
    sources["SONAMES"] = "policies/regen/sonames.tsv: package -> sonames, written from the packages' usual contents (inferred)"
    sources["KNOWN"] = "policies/regen/known-packages.tsv: soname -> package naming of the family (inferred)"
    for platform in rel["platforms"]:
        fact, fact_src = facts(platform, rel["facts"])
        if fact is None:
            continue
        key = "PC-" + PLATFORMS[platform]["uname"]
        sources[key] = f"{fact_src} (pep600_compliance cache, read inside the official image): glibc " \
                       f"{fact['glibc_version']}, GLIBCXX/CXXABI/GCC/ZLIB version lists"
        glibc = fact["glibc_version"]
        pkgs = set(img_pkgs) if img_pkgs is not None else set(CORE)
        names = sonames_for(pkgs | set(CORE), rel["tag"])
        if platform not in ("linux/amd64", "linux/arm64"):
            names.pop("libmvec.so.1", None)
        names[os.path.basename(PLATFORMS[platform]["interp"])] = "glibc"
        # glibc's vector math library: x86_64 since 2.22, aarch64 since 2.38 (bookworm's 2.36
        # arm64 has none, trixie's 2.41 has it: the Debian roots)
        if platform == "linux/amd64" or (platform == "linux/arm64" and version_key(glibc) >= [2, 38]):
            names["libmvec.so.1"] = "glibc"
        libs = {}
        for soname, pkg in names.items():
            versions = []
            if pkg == "glibc":
                versions = [f"GLIBC<={glibc}"]
            for fam, owner in FAMILY_OWNER.items():
                if owner == soname:
                    versions += [f"{fam}_{v}" for v in fact["symbol_versions"].get(fam, [])]
            libs[soname] = (pkg, versions)
        if img_pkgs is not None and rel["image_exact"] and platform == "linux/amd64":
            how = f"package list [RI] of this image (amd64), its sonames [SONAMES]"
        elif img_pkgs is not None:
            how = f"package list [RI] of {'the amd64 image' if rel['image_exact'] else 'a related image'}, its sonames [SONAMES]"
        else:
            how = "no package list of the image reachable: glibc, libgcc, libstdc++ and zlib only [SONAMES]"
        platforms[platform] = dict(
            confidence="inferred", glibc=glibc, key=key,
            source=f"{how}; glibc {glibc} and version lists [{key}]; loader path of the glibc ABI",
            interpreter=PLATFORMS[platform]["interp"],
            library_dirs=PLATFORMS[platform]["libdirs"],
            libs=libs)
    return sources, platforms, today


def write_profile(rel, sources, platforms, today, libc, repo_column):
    out_dir = os.path.join(HOSTS, rel["name"])
    for platform, p in platforms.items():
        write(os.path.join(out_dir, f"base.{slug(platform)}.txt"), base_lines(p["libs"]))
    kp = known(repo_column, rel["name"])
    lines = ["# soname\tpackages (preferred first)\tplatforms (only where not all)",
             "# inferred: known-packages.tsv (family naming), not a repository index"]
    lines += [f"{s}\t{kp[s]}" for s in sorted(kp)]
    write(os.path.join(out_dir, "repository.txt"), "\n".join(lines) + "\n")
    y = ["# Generated by policies/regen/unreachable.py; do not edit. Format: policies/README.md (Host data).",
         f"name: {rel['name']}", f"aliases: {flow(rel['aliases'])}", f"family: {rel['family']}",
         f"version: {q(rel['version'])}", f"description: {q(rel['desc'])}", f"data_date: {q(today)}",
         "confidence: inferred", "sources:"]
    y += [f"  {k}: {q(v)}" for k, v in sources.items()]
    y.append("repository: repository.txt")
    y.append("platforms:")
    for platform, p in platforms.items():
        y += [f"  {platform}:", "    confidence: inferred", f"    source: {q(p['source'])}", f"    libc: {libc}",
              f"    libc_version: {q(p['glibc'])}   # [{p['key']}]" if libc == "glibc"
              else f"    libc_version: {q(p['glibc'])}   # {p['key']}",
              f"    interpreter: {p['interpreter']}"]
        if libc == "musl":
            y.append(f"    libc_soname: {p['libc_soname']}")
        y.append(f"    library_dirs: {flow(p['library_dirs'])}")
        if platform == "linux/amd64" and rel.get("isa"):
            y.append(f"    isa_level: {rel['isa']}")
        y.append(f"    base_image: {{file: base.{slug(platform)}.txt, libraries: {len(p['libs'])}}}")
        y.append("    repository: {confidence: inferred, source: KNOWN}")
    write(os.path.join(out_dir, "profile.yaml"), "\n".join(y) + "\n")
    print(f"{rel['name']}: {' '.join(short(p) for p in platforms)} (inferred)")


def alpine():
    today = time.strftime("%Y-%m-%d", time.gmtime())
    for version, image in ALPINES:
        rel = dict(name=f"alpine-{version}", family="alpine", version=version, aliases=[],
                   desc=f"Alpine Linux {version} (musl)")
        sources = {}
        nearest = image or "alpine-3.21.8.txt"
        pkgs, src = image_list(nearest)
        sources["RI"] = src + ("" if image else " (the nearest image read here; no repo-info file for 3.20)")
        sources["SONAMES"] = "policies/regen/sonames.tsv (inferred)"
        sources["KNOWN"] = "policies/regen/known-packages.tsv (inferred)"
        musl = pkgs["musl"].split("-")[0]
        platforms = {}
        for platform in ALPINE_PLATFORMS:
            arch = PLATFORMS[platform]
            names = sonames_for(set(pkgs), "alpine")
            libs = {}
            for soname, pkg in names.items():
                soname = soname.replace("ARCH", arch["musl_soname"])
                libs[soname] = (pkg, [])
            libs[f"ld-musl-{arch['musl_ld']}.so.1"] = ("musl", [])
            platforms[platform] = dict(
                glibc=musl, key=f"musl {pkgs['musl']} [RI]" + ("" if image else " (3.21's; inferred for 3.20)"),
                source="package list [RI] of the amd64 image" + ("" if image else " of 3.21")
                + ", its sonames [SONAMES]; musl's loader and Alpine's libc soname per architecture "
                  "(auditwheel's _fixup_musl_libc_soname)",
                interpreter=f"/lib/ld-musl-{arch['musl_ld']}.so.1",
                libc_soname=f"libc.musl-{arch['musl_soname']}.so.1",
                library_dirs=["/lib", "/usr/local/lib", "/usr/lib"], libs=libs)
        write_profile(rel, sources, platforms, today, "musl", "apk")


def main():
    for rel in RELEASES:
        sources, platforms, today = glibc_release(rel)
        if not platforms:
            print(f"{rel['name']}: no facts for any platform; left out", file=sys.stderr)
            continue
        write_profile(rel, sources, platforms, today, "glibc", rel["pkg"])
    alpine()


if __name__ == "__main__":
    main()
