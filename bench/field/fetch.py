#!/usr/bin/env python3
"""Download the real-world corpus named in corpus.json, check every sha256, unpack it, build the images.

Idempotent: a download whose sha256 matches is kept, an unpacked folder with its stamp is kept,
an image with its image.json is kept. Everything goes under --dest (default /work/corpus),
never into git:

  DEST/downloads/            the artifacts as published (wheels, npm tarballs, debs)
  DEST/unpacked/ID/          each artifact as a user would have it on disk: a wheel unzipped, an
                             npm group laid out as node_modules/NAME/, a deb extracted (dpkg-deb -x)
  DEST/images/NAME/rootfs/   each image's root (for the oracle: chroot ldd, dpkg -S)
  DEST/images/NAME/oci/      the same root as an OCI layout (one layer), tag `latest`
  DEST/images/NAME/docker.tar  the same image as `docker save` writes it (skopeo copy)
  DEST/images/NAME/image.json  how it was built and its digests

Images are built with mmdebstrap from the live Debian/Ubuntu archives (so their content is
recorded, not pinned: image.json keeps the manifest digest and the package list).
Needs root (mmdebstrap --mode=root, chroot); installs mmdebstrap, skopeo, qemu-user-static
from Debian when missing.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(url, sha256, dest):
    if dest.exists() and sha256_file(dest) == sha256:
        return dest
    tmp = dest.with_suffix(dest.suffix + ".part")
    for attempt in range(3):
        try:
            with urllib.request.urlopen(url, timeout=300) as r, open(tmp, "wb") as f:
                shutil.copyfileobj(r, f, 1 << 20)
            break
        except OSError as e:
            log(f"  retry {url}: {e}")
            time.sleep(2 + attempt * 3)
    else:
        sys.exit(f"cannot download {url}")
    got = sha256_file(tmp)
    if got != sha256:
        tmp.unlink()
        sys.exit(f"{url}: sha256 {got}, corpus.json says {sha256}")
    tmp.rename(dest)
    return dest


def artifact_id(a):
    if a["kind"] == "wheel":
        return a["file"][:-4]
    if a["kind"] == "npm":
        return "npm-" + a["name"]
    return f"deb-{a['name']}_{a['version'].replace(':', '%3a')}_{a['arch']}"


def safe_members(names, root):
    """Refuse archive members that would land outside root (`..`, absolute names)."""
    root = os.path.realpath(root)
    for n in names:
        target = os.path.realpath(os.path.join(root, n))
        if target != root and not target.startswith(root + os.sep):
            sys.exit(f"archive member {n!r} leaves the folder")


def unpack_wheel(whl, out):
    with zipfile.ZipFile(whl) as z:
        safe_members(z.namelist(), out)
        for info in z.infolist():
            z.extract(info, out)
            mode = info.external_attr >> 16
            if mode & 0o777:
                os.chmod(out / info.filename, mode & 0o777)


def unpack_npm(tgz, pkg_name, out):
    dest = out / "node_modules" / pkg_name
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tgz) as t:
        for m in t.getmembers():
            if not (m.isfile() or m.isdir()):
                continue
            parts = m.name.split("/", 1)  # npm tarballs put everything under one top folder ("package/")
            if len(parts) < 2 or not parts[1]:
                continue
            m.name = parts[1]
            safe_members([m.name], dest)
            t.extract(m, dest, set_attrs=False)
            if m.isfile():
                os.chmod(dest / m.name, m.mode & 0o777 | 0o644)


def unpack(a, downloads, unpacked):
    aid = artifact_id(a)
    out = unpacked / aid
    stamp = out / ".field-unpacked"
    if stamp.exists():
        return
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if a["kind"] == "wheel":
        unpack_wheel(downloads / a["file"], out)
    elif a["kind"] == "npm":
        for p in a["packages"]:
            unpack_npm(downloads / Path(p["url"]).name, p["name"], out)
    elif a["kind"] == "deb":
        subprocess.run(["dpkg-deb", "-x", str(downloads / Path(a["url"]).name), str(out)], check=True)
    stamp.write_text("")


def ensure_tools():
    need = [pkg for cmd, pkg in [("mmdebstrap", "mmdebstrap"), ("skopeo", "skopeo"),
                                 ("qemu-aarch64-static", "qemu-user-static"), ("gcc", "gcc")]
            if shutil.which(cmd) is None]
    if need:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *need], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def ubuntu_keyring(corpus, downloads, dest):
    kr = dest / "tools" / "ubuntu-keyring"
    target = kr / "usr/share/keyrings/ubuntu-archive-keyring.gpg"
    if not target.exists():
        t = next(t for t in corpus["tools"] if t["name"] == "ubuntu-keyring")
        deb = download(t["url"], t["sha256"], downloads / Path(t["url"]).name)
        kr.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(kr)], check=True)
    return target


# ---- OCI / docker-archive writing -------------------------------------------------------------

def blob(oci, data):
    d = hashlib.sha256(data).hexdigest()
    p = oci / "blobs" / "sha256" / d
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return "sha256:" + d, len(data)


def write_oci(rootfs, oci, arch, name):
    """One-layer OCI image layout of rootfs (tar by GNU tar: numeric owners, device nodes kept)."""
    if oci.exists():
        shutil.rmtree(oci)
    (oci / "blobs" / "sha256").mkdir(parents=True)
    layer_tar = oci.parent / "layer.tar"
    subprocess.run(["tar", "--numeric-owner", "--xattrs", "--sort=name", "--mtime=@0", "-C", str(rootfs),
                    "-cf", str(layer_tar), "."], check=True)
    diff_id = "sha256:" + sha256_file(layer_tar)
    gz = oci.parent / "layer.tar.gz"
    with open(layer_tar, "rb") as src, open(gz, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as z:
            shutil.copyfileobj(src, z, 1 << 20)
    layer_digest = "sha256:" + sha256_file(gz)
    layer_size = gz.stat().st_size
    shutil.move(gz, oci / "blobs" / "sha256" / layer_digest[7:])
    layer_tar.unlink()
    config = {"architecture": arch, "os": "linux", "created": "1970-01-01T00:00:00Z",
              "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["bash"]},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]},
              "history": [{"created": "1970-01-01T00:00:00Z", "created_by": f"bench/field/fetch.py {name}"}]}
    cfg_digest, cfg_size = blob(oci, json.dumps(config, sort_keys=True).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest, "size": cfg_size},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer_size}]}
    man_digest, man_size = blob(oci, json.dumps(manifest, sort_keys=True).encode())
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": man_digest, "size": man_size, "platform": {"architecture": arch, "os": "linux"},
             "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
    (oci / "index.json").write_text(json.dumps(index))
    (oci / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return {"manifest": man_digest, "config": cfg_digest, "layer": layer_digest, "layer_size": layer_size, "diff_id": diff_id}


def build_ldconf_bug(rootfs):
    """The classic Dockerfile bug: a library folder added to /etc/ld.so.conf.d without `RUN ldconfig`.
    ld.so reads only /etc/ld.so.cache, so /opt/fieldbug/bin/app cannot find libfieldbug.so.1."""
    src = Path(rootfs.parent / "src")
    src.mkdir(exist_ok=True)
    (src / "lib.c").write_text("int fieldbug_answer(void) { return 42; }\n")
    (src / "app.c").write_text("int fieldbug_answer(void);\nint main(void) { return fieldbug_answer() == 42 ? 0 : 1; }\n")
    lib = rootfs / "opt/fieldbug/lib"
    bindir = rootfs / "opt/fieldbug/bin"
    lib.mkdir(parents=True, exist_ok=True)
    bindir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libfieldbug.so.1", "-o", str(lib / "libfieldbug.so.1"),
                    str(src / "lib.c")], check=True)
    subprocess.run(["gcc", "-o", str(bindir / "app"), str(src / "app.c"), f"-L{lib}", "-l:libfieldbug.so.1"], check=True)
    (rootfs / "etc/ld.so.conf.d/fieldbug.conf").write_text("/opt/fieldbug/lib\n")


def build_image(spec, images, downloads, corpus, dest):
    d = images / spec["name"]
    meta_path = d / "image.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    rootfs = d / "rootfs"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    started = time.time()
    if "base" in spec:
        base = images / spec["base"] / "rootfs"
        subprocess.run(["cp", "-a", str(base), str(rootfs)], check=True)
        shutil.rmtree(rootfs / "tmp" / "field", ignore_errors=True)  # oracle.py's scratch copy, if it is running
        arch = json.loads((images / spec["base"] / "image.json").read_text())["arch"]
        cmd = ["cp", "-a", str(base), str(rootfs)]
        if spec.get("ldconf_bug"):
            build_ldconf_bug(rootfs)
    else:
        arch = spec["arch"]
        cmd = ["mmdebstrap", "--mode=root", f"--variant={spec['variant']}", f"--architectures={arch}"]
        if spec.get("include"):
            cmd.append("--include=" + ",".join(spec["include"]))
        if spec.get("components"):
            cmd.append("--components=" + ",".join(spec["components"]))
        if spec.get("keyring") == "ubuntu-keyring":
            cmd.append(f"--keyring={ubuntu_keyring(corpus, downloads, dest)}")
        cmd += [spec["suite"], str(rootfs), spec["mirror"]]
        log("  " + " ".join(cmd))
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    digests = write_oci(rootfs, d / "oci", arch, spec["name"])
    subprocess.run(["skopeo", "copy", "--quiet", f"oci:{d / 'oci'}:latest",
                    f"docker-archive:{d / 'docker.tar'}:field/{spec['name']}:latest"], check=True)
    pkgs = subprocess.run(["dpkg-query", f"--admindir={rootfs}/var/lib/dpkg", "-W", "-f=${Package} ${Version} ${Architecture}\n"],
                          capture_output=True, text=True).stdout.split("\n")
    meta = {**spec, "arch": arch, "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.time() - started), "command": cmd,
            "digests": digests, "docker_tar_sha256": sha256_file(d / "docker.tar"),
            "packages": [p for p in pkgs if p]}
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dest", default="/work/corpus")
    ap.add_argument("--corpus", default=str(HERE / "corpus.json"))
    ap.add_argument("--only", choices=["wheels", "npm", "debs", "images"], action="append",
                    help="fetch only these parts (repeatable); default all")
    args = ap.parse_args()
    corpus = json.loads(Path(args.corpus).read_text())
    dest = Path(args.dest)
    downloads, unpacked, images = dest / "downloads", dest / "unpacked", dest / "images"
    for p in (downloads, unpacked, images):
        p.mkdir(parents=True, exist_ok=True)
    parts = args.only or ["wheels", "npm", "debs", "images"]
    artifacts = []
    for a in corpus["wheels"] if "wheels" in parts else []:
        download(a["url"], a["sha256"], downloads / a["file"])
        artifacts.append(a)
    for g in corpus["npm"] if "npm" in parts else []:
        for p in g["packages"]:
            download(p["url"], p["sha256"], downloads / Path(p["url"]).name)
        artifacts.append(g)
    for a in corpus["debs"] if "debs" in parts else []:
        download(a["url"], a["sha256"], downloads / Path(a["url"]).name)
        artifacts.append(a)
    for a in artifacts:
        unpack(a, downloads, unpacked)
    log(f"{len(artifacts)} artifacts downloaded (sha256 checked) and unpacked under {unpacked}")
    if "images" in parts:
        ensure_tools()
        for spec in corpus["images"]:
            log(f"image {spec['name']}")
            meta = build_image(spec, images, downloads, corpus, dest)
            log(f"  {meta['digests']['manifest']} ({meta['digests']['layer_size'] >> 20} MiB layer)")
    size = subprocess.run(["du", "-sh", str(dest)], capture_output=True, text=True).stdout.split()[0]
    log(f"corpus at {dest}: {size}")


if __name__ == "__main__":
    main()
