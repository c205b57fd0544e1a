#!/usr/bin/env python3
"""Writes the test oracles of the Debian 12 host data (policies/oracles/):

  <release>-<arch>-minbase-programs.tsv every dynamic ELF file of each minbase root built here (the
                                         20 of roots.sh: path, owning package, NEEDED): none of them
                                         may get a missing-library error against its release on its
                                         platform (tests/hosts.rs);
  debian-12-amd64-outside-minbase.tsv    programs of 20 bookworm packages installed on top of minbase
                                         (oracle.sh), each NEEDED soname the minbase root lacks, and the
                                         package `dpkg -S` names for the file the loader would open:
                                         preflight's host requirement for it must name the same package.

Usage: oracle.py ORACLE_ROOT PKG,PKG,...    (called by oracle.sh)
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import elfread  # noqa: E402
from capture import Root, dpkg_owners, ld_so_conf  # noqa: E402
from common import CACHE, HOSTS, POLICIES, read_base, write  # noqa: E402

TRIPLET = "x86_64-linux-gnu"


def dpkg_S(root_dir, path):
    """The package `dpkg -S` names for path in the root's own database (both /usr spellings
    tried: bookworm's database lists /lib/... for files merged-/usr moved to /usr/lib/...)."""
    alternatives = [path]
    alternatives.append(path[4:] if path.startswith("/usr/") else "/usr" + path)
    for p in alternatives:
        r = subprocess.run(["dpkg", "--admindir", os.path.join(root_dir, "var/lib/dpkg"), "-S", p],
                           capture_output=True, text=True)
        if r.returncode == 0:
            line = r.stdout.splitlines()[0]
            return line.split(": ", 1)[0].split(":")[0], p
    return None, None


def minbase_programs():
    """One file per captured minbase root; returns the number of programs of debian-12 amd64."""
    captured = os.path.join(CACHE, "captured")
    counts = {}
    for name in sorted(os.listdir(captured)):
        if not name.endswith(".json") or "oracle" in name:
            continue
        root = name[:-len(".json")]
        with open(os.path.join(captured, name), encoding="utf-8") as f:
            cap = json.load(f)
        release, arch = root.rsplit("-", 1)
        lines = [f"# Dynamic ELF files of the {release} {arch} minbase root ({cap['built']}, {len(cap['packages'])}"
                 " packages; policies/regen/roots.sh + capture.py)", "# path\tpackage\tNEEDED (space separated)"]
        for p in sorted(cap["programs"], key=lambda p: p["path"]):
            lines.append(f"{p['path']}\t{p['package'] or '-'}\t{' '.join(p['needed'])}")
        write(os.path.join(POLICIES, "oracles", f"{root}-minbase-programs.tsv"), "\n".join(lines) + "\n")
        counts[root] = len(cap["programs"])
    return counts["debian-12-amd64"]


def main(root_dir, packages):
    root = Root(root_dir)
    base = read_base(os.path.join(HOSTS, "debian-12", "base.linux-amd64.txt"))
    repo = {}
    with open(os.path.join(HOSTS, "debian-12", "repository.txt"), encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                cols = line.rstrip("\n").split("\t")
                if len(cols) < 3 or "amd64" in cols[2].split(","):
                    repo[cols[0]] = cols[1].split(",")
    owners = dpkg_owners(root)
    dirs = [f"/lib/{TRIPLET}", f"/usr/lib/{TRIPLET}", "/lib", "/usr/lib"] + ld_so_conf(root)
    wanted = set(packages.split(","))
    rows, agree, total = [], 0, 0
    per_soname = {}
    for path, pkg in sorted(owners.items()):
        if pkg not in wanted:
            continue
        full = root.host(path)
        if os.path.islink(full) or not os.path.isfile(full):
            continue
        try:
            elf = elfread.read(full)
        except Exception:  # noqa: BLE001 - not ELF
            continue
        if elf.machine != 62 or not elf.dynamic or (elf.type == elfread.ET_DYN and elf.soname and not elf.interp):
            continue  # only programs (executables and PIEs), not the packages' own libraries
        for need in elf.needed:
            if need in base:
                continue
            found = next((f"{d.rstrip('/')}/{need}" for d in dirs
                          if os.path.exists(root.host(root.canonical(f"{d.rstrip('/')}/{need}", True)))), None)
            dpkg_pkg, listed = dpkg_S(root_dir, found) if found else (None, None)
            rows.append((path, pkg, need, dpkg_pkg or "-", listed or "-"))
            per_soname[need] = dpkg_pkg
    lines = ["# Programs of 20 bookworm packages (policies/regen/oracle.sh) installed on Debian 12 amd64 minbase,",
             "# each NEEDED soname that minbase (policies/hosts/debian-12/base.linux-amd64.txt) lacks, and the package",
             "# `dpkg -S` names in that root for the file the loader opens (default folders and ld.so.conf; RUNPATH not used).",
             "# program\tprogram's package\tNEEDED soname\tdpkg -S package\tpath dpkg -S matched"]
    lines += ["\t".join(r) for r in rows]
    write(os.path.join(POLICIES, "oracles", "debian-12-amd64-outside-minbase.tsv"), "\n".join(lines) + "\n")
    for soname, pkg in per_soname.items():
        total += 1
        first = (repo.get(soname) or ["-"])[0]
        if first == pkg:
            agree += 1
        else:
            print(f"  differs: {soname}: dpkg -S {pkg}, repository.txt {repo.get(soname)}")
    n = minbase_programs()
    print(f"oracle: {len(rows)} (program, missing soname) pairs over {len({r[0] for r in rows})} programs of "
          f"{len({r[1] for r in rows})} packages; {total} distinct sonames, repository.txt's first package = "
          f"dpkg -S for {agree}; minbase: {n} dynamic ELF files")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
