"""Shared tables and writers of the host-data scripts (policies/regen/*)."""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
POLICIES = os.path.dirname(HERE)
HOSTS = os.path.join(POLICIES, "hosts")
CACHE = os.environ.get("HOSTDATA_CACHE", "/work/hostdata-cache")
FACTS = os.environ.get("HOSTDATA_FACTS", "/work/shared/facts")

# Docker platform -> facts of the architecture. `deb`: Debian's name; `uname`: the kernel's
# (auditwheel's and distro-symbol-versions' folder name); `interp`: glibc's PT_INTERP (read
# off the Debian roots' own programs, see the profiles' ROOT source); `musl`: musl's loader
# arch and Alpine's libc soname arch ([AW] _fixup_musl_libc_soname); `libdirs`: glibc's default
# folders where a distribution keeps glibc's own layout (no multiarch): each port's configure.ac
# `LIBC_SLIBDIR_RTLDDIR` (lib64 on 64-bit ports, riscv64's lib64/lp64d after its ABI), as
# preflight's resolver (src/resolve/flavor.rs) searches them.
PLATFORMS = {
    "linux/amd64": dict(libdirs=["/lib64", "/usr/lib64"], deb="amd64", uname="x86_64", triplet="x86_64-linux-gnu",
                        interp="/lib64/ld-linux-x86-64.so.2", musl_ld="x86_64", musl_soname="x86_64"),
    "linux/arm64": dict(libdirs=["/lib64", "/usr/lib64"], deb="arm64", uname="aarch64", triplet="aarch64-linux-gnu",
                        interp="/lib/ld-linux-aarch64.so.1", musl_ld="aarch64", musl_soname="aarch64"),
    "linux/arm/v7": dict(libdirs=["/lib", "/usr/lib"], deb="armhf", uname="armv7l", triplet="arm-linux-gnueabihf",
                         interp="/lib/ld-linux-armhf.so.3", musl_ld="armhf", musl_soname="armv7"),
    "linux/386": dict(libdirs=["/lib", "/usr/lib"], deb="i386", uname="i686", triplet="i386-linux-gnu",
                      interp="/lib/ld-linux.so.2", musl_ld="i386", musl_soname="x86"),
    "linux/ppc64le": dict(libdirs=["/lib64", "/usr/lib64"], deb="ppc64el", uname="ppc64le", triplet="powerpc64le-linux-gnu",
                          interp="/lib64/ld64.so.2", musl_ld="powerpc64le", musl_soname="ppc64le"),
    "linux/s390x": dict(libdirs=["/lib64", "/usr/lib64"], deb="s390x", uname="s390x", triplet="s390x-linux-gnu",
                        interp="/lib/ld64.so.1", musl_ld="s390x", musl_soname="s390x"),
    "linux/riscv64": dict(libdirs=["/lib64/lp64d", "/usr/lib64/lp64d"], deb="riscv64", uname="riscv64", triplet="riscv64-linux-gnu",
                          interp="/lib/ld-linux-riscv64-lp64d.so.1", musl_ld="riscv64", musl_soname="riscv64"),
}
PLATFORM_ORDER = list(PLATFORMS)
BY_DEB = {v["deb"]: k for k, v in PLATFORMS.items()}
BY_UNAME = {v["uname"]: k for k, v in PLATFORMS.items()}


def slug(platform):
    """linux/arm/v7 -> linux-arm-v7 (a file name)."""
    return platform.replace("/", "-")


def short(platform):
    """linux/arm/v7 -> arm/v7 (the repository file's architecture column)."""
    return platform[len("linux/"):]


def version_key(text):
    return [int(p) if p.isdigit() else -1 for p in re.split(r"[.]", text)]


def q(text):
    """A YAML scalar, quoted when it would not read back as the same string."""
    text = str(text)
    if re.fullmatch(r"[A-Za-z_/][A-Za-z0-9_./+-]*", text) and text.lower() not in ("yes", "no", "true", "false", "null", "on", "off"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def flow(items):
    return "[" + ", ".join(q(i) for i in items) + "]"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def version_sort_key(name):
    """GLIBC_2.2.5 < GLIBC_2.10 < GLIBC_ABI_DT_RELR; FAMILY<=x.y first in its family."""
    if "<=" in name:
        fam, ver = name.split("<=", 1)
        return (fam, 0, version_key(ver), name)
    fam, _, ver = name.partition("_")
    if re.fullmatch(r"[0-9.]+", ver):
        return (fam, 1, version_key(ver), name)
    # FAMILY_TAIL where TAIL is not dotted numbers: after the numbered ones (CXXABI_TM_1)
    return (fam, 2, [], name)


def base_lines(libraries):
    """libraries: soname -> (package or "", [version tokens]) -> the base-image file's text."""
    out = ["# soname\tpackage\tversion definitions (FAMILY<=x.y: every FAMILY_ version up to x.y)"]
    for soname in sorted(libraries):
        pkg, versions = libraries[soname]
        ordered = sorted(set(versions), key=version_sort_key)
        out.append(f"{soname}\t{pkg or '-'}\t{' '.join(ordered)}".rstrip("\t"))
    return "\n".join(out) + "\n"


def read_base(path):
    libs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            libs[parts[0]] = (parts[1] if len(parts) > 1 else "-", parts[2].split() if len(parts) > 2 else [])
    return libs
