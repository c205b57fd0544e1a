#!/usr/bin/env python3
"""Builds the repository map of a Debian or Ubuntu release: every soname its archive's
packages put on the loader's default path -> the package(s) that ship it.

Read from the Contents indexes downloaded by indexes.sh (release, -updates and -security
pockets; Debian main, Ubuntu main and universe). A file counts when it is a direct child
of /lib/<triplet>, /usr/lib/<triplet>, /lib or /usr/lib (the folders the loader searches
without any configuration; sub-folders reached only through a package's own ld.so.conf.d
file are left out) and its name looks like a soname:
  - `*.so.<version>` and `ld-*.so*` (the brief's "soname-looking files"), and
  - unversioned `*.so` outside development packages (section libdevel or a name ending
    in -dev), for libraries whose soname has no version suffix (libnss3.so, libdb-5.3.so);
    the unversioned links of -dev packages are for the link editor, not the loader.
Within one package, `libfoo.so.1.2.3` is dropped when `libfoo.so.1` (or `libfoo.so.1.2`)
is there too: it is the real file behind the soname link.

Usage: repository.py RELEASE ARCH[,ARCH...]  -> prints JSON {arch: {soname: [packages]}} to stdout
"""
import gzip
import json
import os
import re
import sys

CACHE = os.environ.get("HOSTDATA_CACHE", "/work/hostdata-cache")
TRIPLETS = {
    "amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "armhf": "arm-linux-gnueabihf",
    "i386": "i386-linux-gnu", "ppc64el": "powerpc64le-linux-gnu", "s390x": "s390x-linux-gnu",
    "riscv64": "riscv64-linux-gnu",
}
VERSIONED = re.compile(r"^[^/]+\.so(\.[0-9A-Za-z_+-]+)+$")
LOADER = re.compile(r"^ld(64)?([-.][^/]*)?\.so[^/]*$")
UNVERSIONED = re.compile(r"^lib[^/]*\.so$")


# The loaders an architecture's binaries can name; another architecture's loader in /lib
# (libc6-i386's /lib/ld-linux.so.2 on amd64) is not a library for it.
OWN_LOADERS = {
    "amd64": {"ld-linux-x86-64.so.2", "ld-musl-x86_64.so.1"},
    "arm64": {"ld-linux-aarch64.so.1", "ld-musl-aarch64.so.1"},
    "armhf": {"ld-linux-armhf.so.3", "ld-musl-armhf.so.1"},
    "i386": {"ld-linux.so.2", "ld-musl-i386.so.1"},
    "ppc64el": {"ld64.so.2", "ld-musl-powerpc64le.so.1"},
    "s390x": {"ld64.so.1", "ld-musl-s390x.so.1"},
    "riscv64": {"ld-linux-riscv64-lp64d.so.1", "ld-musl-riscv64.so.1"},
}


def lib_dirs(arch):
    t = TRIPLETS[arch]
    return (f"lib/{t}/", f"usr/lib/{t}/", "lib/", "usr/lib/")


def contents_files(release, arch):
    d = os.path.join(CACHE, "indexes", release)
    for pocket in ("", "-updates", "-security"):
        path = os.path.join(d, f"Contents{pocket}-{arch}.gz")
        if os.path.exists(path):
            yield path


def wanted_component(section, ubuntu):
    """Debian's main Contents has no component prefix; Ubuntu's file has every component."""
    first = section.split("/", 1)[0]
    if ubuntu:
        return first not in ("restricted", "multiverse")
    return first not in ("contrib", "non-free", "non-free-firmware")


def read_contents(release, arch, ubuntu):
    """package -> set of soname-looking file names on the default path; and the sources read."""
    dirs = lib_dirs(arch)
    per_package = {}
    sources = []
    for path in contents_files(release, arch):
        sources.append(os.path.basename(path))
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            for line in f:
                if ".so" not in line:
                    continue
                try:
                    name, where = line.rstrip("\n").rsplit(None, 1)
                except ValueError:
                    continue
                name = name.strip()
                slash = name.rfind("/")
                folder, base = name[:slash + 1], name[slash + 1:]
                if folder not in dirs:
                    continue
                if LOADER.match(base) and base not in OWN_LOADERS[arch]:
                    continue  # another architecture's loader, or the file behind the loader's soname (ld-2.31.so)
                versioned = bool(VERSIONED.match(base) or LOADER.match(base))
                unversioned = not versioned and bool(UNVERSIONED.match(base))
                if not versioned and not unversioned:
                    continue
                for item in where.split(","):
                    section, _, pkg = item.rpartition("/")
                    if not wanted_component(section, ubuntu):
                        continue
                    if unversioned and (section.endswith("libdevel") or pkg.endswith("-dev")):
                        continue
                    per_package.setdefault(pkg, set()).add(base)
    return per_package, sources


def sonames_of(names):
    """Drops real file names whose shorter versioned name is in the same package."""
    keep = set()
    for n in names:
        cut = n
        shadowed = False
        while True:
            head, dot, tail = cut.rpartition(".")
            if not dot or ".so" not in head:
                break
            cut = head
            if ".so." in cut and cut in names:
                shadowed = True
                break
        if not shadowed:
            keep.add(n)
    return keep


def packages_info(release, arch):
    """package -> (section, priority) from the Packages indexes of every pocket and component."""
    import lzma
    info = {}
    d = os.path.join(CACHE, "indexes", release)
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if not (name.startswith("Packages") and name.endswith(f"-{arch}.xz")):
            continue
        pkg = section = priority = None
        with lzma.open(os.path.join(d, name), "rt", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("Package: "):
                    pkg = line[9:].strip()
                elif line.startswith("Section: "):
                    section = line[9:].strip()
                elif line.startswith("Priority: "):
                    priority = line[10:].strip()
                elif line == "\n" and pkg:
                    info.setdefault(pkg, (section, priority))
                    pkg = section = priority = None
        if pkg:
            info.setdefault(pkg, (section, priority))
    return info


PRIORITY_RANK = {"required": 0, "important": 1, "standard": 2, "optional": 3, "extra": 4}


def preferred_order(packages, base_packages, info):
    """The package a fix hint names first: one the base image has, then the higher
    Priority, then the shorter name (libavcodec59 before libavcodec-extra59)."""
    return sorted(packages, key=lambda p: (p not in base_packages,
                                           PRIORITY_RANK.get((info.get(p) or (None, None))[1], 5),
                                           len(p), p))


def build(release, arches, ubuntu):
    result = {}
    sources = {}
    for arch in arches:
        per_package, read = read_contents(release, arch, ubuntu)
        if not read:
            continue
        sources[arch] = read
        m = {}
        for pkg, names in per_package.items():
            for soname in sonames_of(names):
                m.setdefault(soname, set()).add(pkg)
        result[arch] = {s: sorted(p) for s, p in sorted(m.items())}
    return result, sources


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rel = sys.argv[1]
    maps, srcs = build(rel, sys.argv[2].split(","), rel.startswith("ubuntu"))
    json.dump({"sources": srcs, "maps": maps}, sys.stdout, indent=0, sort_keys=True)
