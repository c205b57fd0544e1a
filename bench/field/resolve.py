#!/usr/bin/env python3
"""Pin the real-world corpus: resolve each artifact below to an exact version, URL and sha256.

Run once by hand when the corpus should change; it rewrites corpus.json, which is committed.
fetch.py then downloads exactly what corpus.json names, so a later run gets the same bytes
(or fails on the sha256). Sources: PyPI's JSON API (sha256 given), the npm registry (only
sha1/sha512 given, so the tarball is downloaded once here to compute its sha256), and
Debian's/Ubuntu's Packages indexes (SHA256 given).
"""
import argparse
import gzip
import hashlib
import json
import lzma
import re
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (pypi name, version, filename regex, why it is in the corpus)
WHEELS = [
    ("numpy", "2.2.6", r"cp311-cp311-manylinux_2_17_x86_64", "openblas+gfortran+quadmath in numpy.libs via DT_RPATH; AVX-512 dispatch"),
    ("numpy", "2.2.6", r"cp311-cp311-manylinux_2_17_aarch64", "aarch64 numpy.libs"),
    ("numpy", "2.2.6", r"cp311-cp311-musllinux_1_2_x86_64", "musllinux with bundled libgfortran"),
    ("numpy", "2.4.6", r"cp311-cp311-manylinux_2_27_x86_64", "manylinux_2_28 numpy"),
    ("numpy", "1.26.4", r"cp311-cp311-musllinux_1_1_x86_64", "musllinux_1_1"),
    ("scipy", "1.15.3", r"cp311-cp311-manylinux_2_17_x86_64", "libgfortran+libquadmath+openblas in scipy.libs"),
    ("scipy", "1.15.3", r"cp311-cp311-manylinux_2_17_aarch64", "aarch64 scipy.libs"),
    ("scipy", "1.17.1", r"cp311-cp311-manylinux_2_27_x86_64", "manylinux_2_28 scipy"),
    ("scipy", "1.17.1", r"cp311-cp311-musllinux_1_2_x86_64", "musllinux scipy"),
    ("scikit-learn", "1.7.2", r"cp311-cp311-manylinux2014_x86_64", "bundled libgomp"),
    ("scikit-learn", "1.7.2", r"cp311-cp311-manylinux_2_27_aarch64", "aarch64 libgomp"),
    ("pyzmq", "27.3.0", r"cp311-cp311-manylinux_2_26_x86_64", "bundled libzmq/libsodium"),
    ("pyzmq", "27.3.0", r"cp311-cp311-musllinux_1_2_aarch64", "musl aarch64 bundled libs"),
    ("shapely", "2.2.0", r"cp311-cp311-manylinux_2_24_x86_64", "bundled libgeos"),
    ("shapely", "2.2.0", r"cp311-cp311-musllinux_1_2_x86_64", "musl bundled libgeos"),
    ("h5py", "3.16.0", r"cp311-cp311-manylinux_2_28_x86_64", "bundled libhdf5 chain"),
    ("h5py", "3.16.0", r"cp311-cp311-manylinux_2_28_aarch64", "aarch64 libhdf5"),
    ("pillow", "13.0.0", r"cp311-cp311-manylinux_2_27_x86_64", "many bundled image libs"),
    ("pillow", "13.0.0", r"cp311-cp311-musllinux_1_2_x86_64", "musl image libs"),
    ("lxml", "6.2.1", r"cp311-cp311-manylinux2014_x86_64", "static libxml2, manylinux2014"),
    ("lxml", "6.2.1", r"cp311-cp311-manylinux_2_26_aarch64", "aarch64 manylinux_2_28"),
    ("psycopg2-binary", "2.9.13", r"cp311-cp311-manylinux2014_x86_64", "bundled libpq/libssl"),
    ("psycopg2-binary", "2.9.13", r"cp311-cp311-musllinux_1_2_x86_64", "musl bundled libpq"),
    ("psycopg-binary", "3.3.9", r"cp311-cp311-manylinux2014_x86_64", "bundled libpq (psycopg 3)"),
    ("pyarrow", "26.0.1", r"cp311-cp311-manylinux_2_28_x86_64", "large C++ libs inside the package dir"),
    ("pandas", "3.1.1", r"cp311-cp311-manylinux_2_24_x86_64", "many extension modules"),
    ("cryptography", "51.0.1", r"cp311-abi3-manylinux2014_x86_64", "abi3 Rust module"),
    ("cryptography", "51.0.1", r"cp311-abi3-manylinux_2_34_x86_64", "abi3 manylinux_2_34"),
    ("cryptography", "51.0.1", r"cp311-abi3-musllinux_1_2_aarch64", "abi3 musl aarch64"),
    ("orjson", "3.13.0", r"cp311-cp311-manylinux_2_17_x86_64", "Rust/PyO3"),
    ("orjson", "3.13.0", r"cp311-cp311-musllinux_1_2_x86_64", "Rust/PyO3 musl"),
    ("pydantic-core", "2.50.5", r"cp311-cp311-manylinux2014_x86_64", "Rust/PyO3"),
    ("pydantic-core", "2.50.5", r"cp311-cp311-musllinux_1_1_x86_64", "Rust/PyO3 musllinux_1_1"),
    ("rpds-py", "2026.9.1", r"cp311-cp311-manylinux_2_17_x86_64", "Rust/PyO3"),
    ("rpds-py", "2026.9.1", r"cp311-cp311-manylinux_2_17_aarch64", "Rust/PyO3 aarch64"),
    ("tokenizers", "0.23.3", r"cp310-abi3-manylinux_2_17_x86_64", "abi3 Rust, large"),
    ("simsimd", "6.5.16", r"cp311-cp311-manylinux2014_x86_64", "AVX-512 dispatch"),
    ("simsimd", "6.5.16", r"cp311-cp311-musllinux_1_2_x86_64", "AVX-512 dispatch, musl"),
    ("markupsafe", "3.0.4", r"cp311-cp311-musllinux_1_2_x86_64", "tiny musl extension"),
    ("markupsafe", "3.0.4", r"cp311-cp311-manylinux2014_x86_64", "tiny glibc extension"),
    ("pyyaml", "6.0.4", r"cp311-cp311-musllinux_1_2_x86_64", "musl, static libyaml"),
    ("pyyaml", "6.0.4", r"cp311-cp311-manylinux2014_aarch64", "aarch64 tiny"),
    ("msgpack", "1.2.4", r"cp311-cp311-musllinux_1_2_x86_64", "tiny musl C++"),
    ("regex", "2026.12.2", r"cp311-cp311-musllinux_1_2_x86_64", "tiny musl"),
    ("regex", "2026.12.2", r"cp311-cp311-manylinux2014_x86_64\.manylinux_2_17_x86_64\.whl", "manylinux2014 only"),
    ("psutil", "7.2.2", r"cp36-abi3-manylinux2010_x86_64", "abi3 manylinux2010"),
    ("zstandard", "0.25.0", r"cp311-cp311-musllinux_1_1_x86_64", "musllinux_1_1"),
    ("grpcio", "1.85.4", r"cp311-cp311-manylinux2014_x86_64", "large C++ extension"),
    ("ujson", "6.1.0", r"cp311-cp311-musllinux_1_2_aarch64", "musl aarch64 tiny"),
]

# npm groups: packages laid out together in one node_modules (sharp's addon finds libvips
# through its RUNPATH into the sibling package).
NPM = [
    ("sharp-linux-x64", ["@img/sharp-linux-x64", "@img/sharp-libvips-linux-x64"]),
    ("sharp-linuxmusl-x64", ["@img/sharp-linuxmusl-x64", "@img/sharp-libvips-linuxmusl-x64"]),
    ("sharp-linux-arm64", ["@img/sharp-linux-arm64", "@img/sharp-libvips-linux-arm64"]),
    ("swc-linux-x64-gnu", ["@swc/core-linux-x64-gnu"]),
    ("swc-linux-x64-musl", ["@swc/core-linux-x64-musl"]),
    ("lightningcss-linux-x64-gnu", ["lightningcss-linux-x64-gnu"]),
    ("lightningcss-linux-arm64-musl", ["lightningcss-linux-arm64-musl"]),
    ("rollup-linux-x64-gnu", ["@rollup/rollup-linux-x64-gnu"]),
    ("rollup-linux-x64-musl", ["@rollup/rollup-linux-x64-musl"]),
    ("napi-canvas-linux-x64-gnu", ["@napi-rs/canvas-linux-x64-gnu"]),
    ("parcel-watcher-linux-x64-glibc", ["@parcel/watcher-linux-x64-glibc"]),
    ("parcel-watcher-linux-x64-musl", ["@parcel/watcher-linux-x64-musl"]),
    ("parcel-watcher-linux-arm64-glibc", ["@parcel/watcher-linux-arm64-glibc"]),
    ("argon2-linux-x64-gnu", ["@node-rs/argon2-linux-x64-gnu"]),
    ("esbuild-linux-x64", ["@esbuild/linux-x64"]),
    ("esbuild-linux-arm64", ["@esbuild/linux-arm64"]),
]

DEBIAN = "http://deb.debian.org/debian"
UBUNTU = "http://archive.ubuntu.com/ubuntu"
# (suite, arch, packages): debs scanned one by one and installed into the "big" image.
DEBS = [
    ("bookworm", "amd64", [
        "curl", "libcurl4", "libpq5", "nginx-core", "libnginx-mod-http-image-filter",
        "libnginx-mod-stream", "postgresql-15", "python3.11-minimal", "libpython3.11-stdlib",
        "libperl5.36", "systemd", "libssl3", "libgcrypt20",
    ]),
    ("bookworm", "arm64", ["curl", "libcurl4", "libpq5"]),
]
# The keyring mmdebstrap needs for Ubuntu (Debian has no ubuntu-keyring package).
EXTRA_DEBS = [("noble", "amd64", UBUNTU, "ubuntu-keyring")]

# Images fetch.py builds with mmdebstrap (suite, arch, variant, extra packages, mirror).
IMAGES = [
    {"name": "debian-bookworm-minbase-amd64", "suite": "bookworm", "arch": "amd64", "variant": "minbase", "mirror": DEBIAN},
    {"name": "debian-trixie-minbase-amd64", "suite": "trixie", "arch": "amd64", "variant": "minbase", "mirror": DEBIAN},
    {"name": "debian-bookworm-minbase-arm64", "suite": "bookworm", "arch": "arm64", "variant": "minbase", "mirror": DEBIAN},
    {"name": "ubuntu-noble-minbase-amd64", "suite": "noble", "arch": "amd64", "variant": "minbase", "mirror": UBUNTU,
     "components": ["main"], "keyring": "ubuntu-keyring", "include": ["apt"]},
    {"name": "debian-bookworm-big-amd64", "suite": "bookworm", "arch": "amd64", "variant": "minbase", "mirror": DEBIAN,
     "include": ["python3", "python3-numpy", "curl", "nginx-core", "libnginx-mod-http-image-filter", "libnginx-mod-stream",
                 "postgresql-15", "perl", "libperl5.36", "systemd", "openssh-client", "git", "libgl1", "libgl1-mesa-dri"]},
    {"name": "debian-bookworm-ldconf-bug-amd64", "base": "debian-bookworm-minbase-amd64", "ldconf_bug": True},
]


def get(url):
    with urllib.request.urlopen(url, timeout=120) as r:
        return r.read()


def resolve_wheels():
    out, cache = [], {}
    for name, version, pattern, why in WHEELS:
        if name not in cache:
            cache[name] = json.loads(get(f"https://pypi.org/pypi/{name}/json"))
        files = [f for f in cache[name]["releases"].get(version, []) if f["filename"].endswith(".whl")
                 and re.search(pattern, f["filename"])]
        if len(files) != 1:
            sys.exit(f"{name} {version} /{pattern}/: {len(files)} matches: {[f['filename'] for f in files]}")
        f = files[0]
        url = f["url"]
        if "://" not in url:  # some PyPI front ends give the file path relative to the JSON page
            url = "https://files.pythonhosted.org/packages/" + url.split("/packages/", 1)[1]
        out.append({"kind": "wheel", "name": name, "version": version, "file": f["filename"],
                    "url": url, "sha256": f["digests"]["sha256"], "size": f["size"], "why": why})
    return out


def resolve_npm():
    out = []
    for group, pkgs in NPM:
        members = []
        for pkg in pkgs:
            meta = json.loads(get(f"https://registry.npmjs.org/{pkg}/latest"))
            blob = get(meta["dist"]["tarball"])
            if hashlib.sha1(blob).hexdigest() != meta["dist"]["shasum"]:
                sys.exit(f"{pkg}: sha1 differs from the registry's")
            members.append({"name": pkg, "version": meta["version"], "url": meta["dist"]["tarball"],
                            "sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob),
                            "os": meta.get("os"), "cpu": meta.get("cpu"), "libc": meta.get("libc")})
        out.append({"kind": "npm", "name": group, "packages": members})
    return out


def packages_index(mirror, suite, arch, components=("main",)):
    entries = {}
    for comp in components:
        raw = lzma.decompress(get(f"{mirror}/dists/{suite}/{comp}/binary-{arch}/Packages.xz"))
        for para in raw.decode("utf-8", "replace").split("\n\n"):
            fields = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", para, re.M))
            if "Package" in fields:
                entries[fields["Package"]] = fields
    return entries


def resolve_debs():
    out = []
    for suite, arch, pkgs in DEBS:
        idx = packages_index(DEBIAN, suite, arch)
        for p in pkgs:
            e = idx[p]
            out.append({"kind": "deb", "name": p, "version": e["Version"], "suite": suite, "arch": arch,
                        "url": f"{DEBIAN}/{e['Filename']}", "sha256": e["SHA256"], "size": int(e["Size"])})
    extra = []
    for suite, arch, mirror, p in EXTRA_DEBS:
        e = packages_index(mirror, suite, arch)[p]
        extra.append({"kind": "tool-deb", "name": p, "version": e["Version"], "suite": suite, "arch": arch,
                      "url": f"{mirror}/{e['Filename']}", "sha256": e["SHA256"], "size": int(e["Size"])})
    return out, extra


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-o", "--output", default=str(HERE / "corpus.json"))
    args = ap.parse_args()
    debs, tools = resolve_debs()
    corpus = {"comment": "Pinned by bench/field/resolve.py; downloaded by fetch.py. Do not edit by hand.",
              "wheels": resolve_wheels(), "npm": resolve_npm(), "debs": debs, "tools": tools, "images": IMAGES}
    Path(args.output).write_text(json.dumps(corpus, indent=1) + "\n")
    print(f"{args.output}: {len(corpus['wheels'])} wheels, {len(corpus['npm'])} npm groups, {len(debs)} debs, {len(IMAGES)} images")


if __name__ == "__main__":
    main()
