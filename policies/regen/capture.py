#!/usr/bin/env python3
"""Reads one release root made by roots.sh into a JSON capture: the loader, the glibc
version, the library folders (the defaults, then /etc/ld.so.conf in its order), every
shared library on them (soname, version definitions, the package owning the file) and the
root's dynamic ELF programs (path, interpreter, NEEDED, owning package).

Usage: capture.py RELEASE-ARCH [...]   (roots in $HOSTDATA_CACHE/roots, default /work/hostdata-cache)
Writes $HOSTDATA_CACHE/captured/RELEASE-ARCH.json; a capture newer than its root's .ok
stamp is kept. Where preflight accepts the platform (linux/amd64, linux/arm64), the same
root is also captured by `preflight profiles capture` and the two readings are compared:
a difference in sonames or version names is an error.
"""
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import elfread  # noqa: E402

CACHE = os.environ.get("HOSTDATA_CACHE", "/work/hostdata-cache")
PREFLIGHT = os.environ.get("PREFLIGHT", "/work/bin/preflight-919bf3d")

# Debian architecture -> (Docker platform, multiarch triplet, ELF machine, ELF class, byte order)
ARCHES = {
    "amd64": ("linux/amd64", "x86_64-linux-gnu", 62, 64, "<"),
    "arm64": ("linux/arm64", "aarch64-linux-gnu", 183, 64, "<"),
    "armhf": ("linux/arm/v7", "arm-linux-gnueabihf", 40, 32, "<"),
    "i386": ("linux/386", "i386-linux-gnu", 3, 32, "<"),
    "ppc64el": ("linux/ppc64le", "powerpc64le-linux-gnu", 21, 64, "<"),
    "s390x": ("linux/s390x", "s390x-linux-gnu", 22, 64, ">"),
    "riscv64": ("linux/riscv64", "riscv64-linux-gnu", 243, 64, "<"),
}
PREFLIGHT_PLATFORMS = {"linux/amd64", "linux/arm64"}


class Root:
    """Paths inside a root folder, symlinks resolved inside it (never outside)."""

    def __init__(self, top):
        self.top = os.path.realpath(top)

    def host(self, path):
        return os.path.join(self.top, path.lstrip("/"))

    def canonical(self, path, follow_last=False):
        """The path inside the root with every symlinked folder resolved (and the last
        component too when follow_last)."""
        parts = [p for p in path.split("/") if p]
        done = []
        hops = 0
        i = 0
        while i < len(parts):
            part = parts[i]
            i += 1
            if part == ".":
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            candidate = "/" + "/".join(done + [part])
            full = self.host(candidate)
            if os.path.islink(full) and (i < len(parts) or follow_last) and hops < 40:
                hops += 1
                target = os.readlink(full)
                rest = parts[i:]
                if target.startswith("/"):
                    done = []
                parts = [p for p in target.split("/") if p] + rest
                i = 0
                continue
            done.append(part)
        return "/" + "/".join(done)


def dpkg_owners(root):
    """canonical path -> package, from the dpkg database's file lists."""
    owners = {}
    for lst in sorted(glob.glob(root.host("/var/lib/dpkg/info/*.list"))):
        pkg = os.path.basename(lst)[:-5].split(":")[0]
        with open(lst, encoding="utf-8", errors="replace") as f:
            for line in f:
                path = line.rstrip("\n")
                if path and path != "/.":
                    owners.setdefault(root.canonical(path), pkg)
    return owners


def ld_so_conf(root, conf="/etc/ld.so.conf", depth=0):
    """The folders /etc/ld.so.conf names, includes expanded in glob order (as ldconfig)."""
    dirs = []
    try:
        with open(root.host(conf), encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return dirs
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("include") and depth < 8:
            for pattern in line.split()[1:]:
                if not pattern.startswith("/"):
                    pattern = os.path.join(os.path.dirname(conf), pattern)
                for inc in sorted(glob.glob(root.host(pattern))):
                    dirs += ld_so_conf(root, "/" + os.path.relpath(inc, root.top), depth + 1)
        else:
            for d in line.replace(",", " ").split():
                dirs.append(d.split("=", 1)[0])
    return dirs


def package_list(root_dir):
    path = os.path.join(root_dir, ".hostdata-packages")
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            name, version, arch = line.rstrip("\n").split("\t")
            rows.append([name, version, arch])
    return sorted(rows)


def upstream_version(deb_version):
    v = deb_version.split(":", 1)[-1]
    return v.rsplit("-", 1)[0] if "-" in v else v


def read_elf(path):
    try:
        return elfread.read(path)
    except (elfread.NotElf, OSError, ValueError, IndexError, Exception):  # noqa: BLE001 - hostile files: skip
        return None


def capture(name):
    release, arch = name.rsplit("-", 1)
    platform, triplet, machine, bits, endian = ARCHES[arch]
    root_dir = os.path.join(CACHE, "roots", name)
    root = Root(root_dir)
    with open(root_dir + ".ok", encoding="utf-8") as f:
        stamp = f.read().split()
    owners = dpkg_owners(root)
    packages = package_list(root_dir)
    versions = {p[0]: p[1] for p in packages}

    defaults = [f"/lib/{triplet}", f"/usr/lib/{triplet}", "/lib", "/usr/lib"]
    conf = ld_so_conf(root)
    library_dirs = list(defaults)
    for d in conf:
        if d not in library_dirs:
            library_dirs.append(d)

    def fits(elf):
        return elf.machine == machine and elf.bits == bits and elf.endian == endian

    libraries = {}
    for d in library_dirs:
        full = root.host(root.canonical(d))
        try:
            entries = sorted(os.listdir(full))
        except OSError:
            continue
        for entry in entries:
            path = f"{d.rstrip('/')}/{entry}"
            real = root.host(root.canonical(path, follow_last=True))
            if not os.path.isfile(real):
                continue
            elf = read_elf(real)
            if elf is None or not fits(elf) or elf.type != elfread.ET_DYN:
                continue
            if elf.soname is None and elf.interp is not None:
                continue  # a position-independent program, not a library
            soname = elf.soname or entry
            # the package of the name the loader opens (the soname link), else of the file
            link = f"{d.rstrip('/')}/{soname}"
            pkg = owners.get(root.canonical(link)) or owners.get(root.canonical(path)) \
                or owners.get(root.canonical(path, follow_last=True))
            lib = libraries.get(soname)
            if lib is None:
                libraries[soname] = {"versions": sorted(set(elf.version_defs)), "package": pkg,
                                     "path": root.canonical(path, follow_last=True)}
            elif lib["package"] is None and pkg is not None:
                lib["package"] = pkg

    # the interpreter: the one the root's own programs carry
    interps = {}
    programs = []
    for dirpath, dirnames, filenames in os.walk(root.top):
        rel = "/" + os.path.relpath(dirpath, root.top)
        if rel in ("/proc", "/sys", "/dev"):
            dirnames[:] = []
            continue
        dirnames.sort()
        for fn in sorted(filenames):
            full = os.path.join(dirpath, fn)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            elf = read_elf(full)
            if elf is None or not fits(elf) or not elf.dynamic:
                continue
            path = os.path.normpath(os.path.join(rel, fn))
            if elf.interp:
                interps[elf.interp] = interps.get(elf.interp, 0) + 1
            programs.append({"path": path, "type": {2: "exec", 3: "dyn"}.get(elf.type, str(elf.type)),
                             "interp": elf.interp, "soname": elf.soname, "needed": elf.needed,
                             "package": owners.get(root.canonical(path))})
    interpreter = max(interps, key=interps.get) if interps else None

    libc6 = next((p for p in ("libc6", "libc6.1") if p in versions), None)
    glibc = upstream_version(versions[libc6]) if libc6 else None
    glibc_nodes = sorted({v for lib in libraries.values() if lib["package"] == libc6
                          for v in lib["versions"] if v.startswith("GLIBC_2")},
                         key=lambda v: [int(x) for x in v[6:].split(".")])
    os_release = {}
    for cand in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            with open(root.host(root.canonical(cand, follow_last=True)), encoding="utf-8") as f:
                for line in f:
                    if "=" in line:
                        k, v = line.rstrip("\n").split("=", 1)
                        os_release[k] = v.strip('"')
            break
        except OSError:
            pass
    return {
        "release": release, "arch": arch, "platform": platform, "triplet": triplet,
        "variant": stamp[0], "built": stamp[-1],
        "pockets": stamp[1] if len(stamp) > 3 else "all", "os_release": os_release,
        "packages": packages,
        "glibc_version": glibc, "libc_package": libc6, "libc_package_version": versions.get(libc6),
        "glibc_max_node": glibc_nodes[-1][6:] if glibc_nodes else None,
        "interpreter": interpreter, "interpreter_exists": interpreter is not None
        and os.path.exists(root.host(root.canonical(interpreter, follow_last=True))),
        "library_dirs": library_dirs, "ld_so_conf": conf,
        "libraries": dict(sorted(libraries.items())),
        "programs": programs,
    }


def preflight_check(name, data):
    """Compares the capture with preflight's own (`profiles capture`) where it accepts the platform."""
    if data["platform"] not in PREFLIGHT_PLATFORMS or not os.access(PREFLIGHT, os.X_OK):
        return None
    import yaml  # PyYAML, only for reading preflight's output
    out = subprocess.run([PREFLIGHT, "-q", "profiles", "capture", os.path.join(CACHE, "roots", name),
                          "--platform", data["platform"], "--name", name],
                         check=True, capture_output=True, text=True).stdout
    theirs = yaml.safe_load(out)["platforms"][data["platform"]]
    ours = data["libraries"]
    problems = []
    for soname in sorted(set(theirs["libraries"]) | set(ours)):
        a = sorted(theirs["libraries"].get(soname, {}).get("versions", [])) if soname in theirs["libraries"] else None
        b = ours[soname]["versions"] if soname in ours else None
        if a != b:
            problems.append(f"{soname}: preflight {a} / elfread {b}")
    return {"preflight": os.path.basename(PREFLIGHT), "libraries": len(theirs["libraries"]),
            "interpreter": theirs["interpreter"], "libc_version": theirs["libc_version"],
            "differences": problems}


def main(names):
    os.makedirs(os.path.join(CACHE, "captured"), exist_ok=True)
    status = 0
    for name in names:
        out = os.path.join(CACHE, "captured", name + ".json")
        ok = os.path.join(CACHE, "roots", name + ".ok")
        if not os.path.exists(ok):
            print(f"{name}: no root (run roots.sh {name})", file=sys.stderr)
            status = 1
            continue
        if os.path.exists(out) and os.path.getmtime(out) > os.path.getmtime(ok):
            print(f"have {out}")
            continue
        data = capture(name)
        data["preflight_check"] = preflight_check(name, data)
        if data["preflight_check"] and data["preflight_check"]["differences"]:
            print(f"{name}: preflight's capture differs:\n  " + "\n  ".join(data["preflight_check"]["differences"]),
                  file=sys.stderr)
            status = 1
        with open(out + ".part", "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(out + ".part", out)
        print(f"captured {name}: {len(data['libraries'])} libraries, {len(data['programs'])} dynamic ELF files, "
              f"glibc {data['glibc_version']}, {data['interpreter']}")
    return status


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
