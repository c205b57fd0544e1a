//! Hostile container images, built at run time: links out of the layout, FIFOs and
//! devices in place of blobs, oversized and lying JSON, layers that do not match their
//! digest, text meant for the terminal. Each gets one clear error naming the file, in
//! bounded time, and no error quotes more than a short, escaped excerpt of what the
//! image holds.

mod common;

use sha2::{Digest, Sha256};
use std::fs;
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// Runs preflight, killing it after `limit`: Err(what it printed so far) on a hang.
/// Its output is read as it comes, so that a long message cannot block it.
fn run_bounded(args: &[&str], limit: Duration) -> Result<Output, String> {
    let mut child = common::preflight()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut all = Vec::new();
            pipe.read_to_end(&mut all).unwrap();
            all
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
            return Err(format!(
                "preflight {args:?} still running after {limit:?}; stderr: {}",
                stderr.chars().take(500).collect::<String>()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    })
}

/// `preflight scan SPEC`: it must end within 30 s with exit status 2 and one error on
/// standard error, which is returned.
fn scan_error(spec: &str) -> String {
    let out = run_bounded(&["scan", "--format", "json", spec], Duration::from_secs(30))
        .unwrap_or_else(|hang| panic!("{hang}"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{spec}: {stderr}");
    assert!(!stderr.trim().is_empty(), "{spec}: no error message");
    stderr
}

/// A message as the terminal would get it: no escape character, no control character
/// but the final newline, short.
fn assert_harmless(message: &str) {
    assert!(
        !message
            .trim_end_matches('\n')
            .chars()
            .any(|c| c.is_control()),
        "control characters in {:?}",
        message.chars().take(300).collect::<String>()
    );
    assert!(
        message.len() < 1000,
        "{} bytes: {}...",
        message.len(),
        message.chars().take(200).collect::<String>()
    );
}

/// A tar stream with one regular file `name` holding `data`.
fn tar_of(name: &str, data: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o755);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, name, data).unwrap();
    builder.into_inner().unwrap()
}

/// One raw ustar header whose size field holds `size_field` (checksum correct, so the
/// tar reader gets as far as reading the field), then the end blocks.
fn tar_with_size_field(size_field: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..5].copy_from_slice(b"a.txt");
    header[100..108].copy_from_slice(b"0000644\0");
    header[124..124 + size_field.len()].copy_from_slice(size_field);
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = header.to_vec();
    tar.extend_from_slice(&[0u8; 1024]);
    tar
}

/// An OCI image layout with one layer, written by hand: (layout folder, layer blob
/// path, config blob path, manifest blob path).
struct Layout {
    _dir: tempfile::TempDir,
    root: PathBuf,
    layer: PathBuf,
    config: PathBuf,
    manifest: PathBuf,
}

impl Layout {
    fn new(layer: &[u8]) -> Layout {
        Layout::with_tag(layer, "latest")
    }

    fn with_tag(layer: &[u8], tag: &str) -> Layout {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("layout");
        let blobs = root.join("blobs/sha256");
        fs::create_dir_all(&blobs).unwrap();
        fs::write(
            root.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        let put = |data: &[u8]| -> (String, PathBuf) {
            let hex = sha256_hex(data);
            let path = blobs.join(&hex);
            fs::write(&path, data).unwrap();
            (hex, path)
        };
        let (layer_hex, layer_path) = put(layer);
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{layer_hex}"]}}}}"#
        );
        let (config_hex, config_path) = put(config.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config_hex}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{layer_hex}","size":{}}}]}}"#,
            config.len(),
            layer.len()
        );
        let (manifest_hex, manifest_path) = put(manifest.as_bytes());
        let index = serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": format!("sha256:{manifest_hex}"),
                "size": manifest.len(),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }],
        });
        fs::write(root.join("index.json"), index.to_string()).unwrap();
        Layout {
            _dir: dir,
            root,
            layer: layer_path,
            config: config_path,
            manifest: manifest_path,
        }
    }

    fn spec(&self) -> String {
        format!("oci:{}", self.root.display())
    }

    /// Replaces `blob` by a symbolic link to `target`.
    fn link(&self, blob: &Path, target: &Path) {
        fs::remove_file(blob).unwrap();
        symlink(target, blob).unwrap();
    }

    fn fifo(&self, blob: &Path) {
        fs::remove_file(blob).unwrap();
        mkfifo(blob);
    }
}

fn hello_layer() -> Vec<u8> {
    tar_of("hello.txt", b"hello\n")
}

#[test]
fn the_hand_built_layout_scans() {
    let layout = Layout::new(&hello_layer());
    let out = run_bounded(
        &["scan", "--format", "json", &layout.spec()],
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A blob, manifest, config or index.json that is a symbolic link is refused before
/// anything reads through it, whether it points at a host file, out of the layout, or
/// at another blob of the layout.
#[test]
fn links_in_an_image_layout_are_never_followed() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("shadow");
    fs::write(
        &secret,
        "root:SECRET-HASH-4242:19000:0:99999:7:::\n".repeat(20),
    )
    .unwrap();
    let fifo = outside.path().join("fifo");
    mkfifo(&fifo);
    type Pick = fn(&Layout) -> PathBuf;
    let blobs: [(&str, Pick); 4] = [
        ("layer", |l| l.layer.clone()),
        ("config", |l| l.config.clone()),
        ("manifest", |l| l.manifest.clone()),
        ("index.json", |l| l.root.join("index.json")),
    ];
    for (what, pick) in blobs {
        for target in [&secret, &fifo, &PathBuf::from("/etc/passwd")] {
            let layout = Layout::new(&hello_layer());
            let blob = pick(&layout);
            layout.link(&blob, target);
            let message = scan_error(&layout.spec());
            let name: String = blob
                .file_name()
                .unwrap()
                .to_string_lossy()
                .chars()
                .take(12)
                .collect();
            assert!(
                message.contains("symbolic link") && message.contains(&name),
                "{what} linked to {}: {message}",
                target.display()
            );
            assert!(!message.contains("SECRET"), "{what}: {message}");
            assert_harmless(&message);
        }
    }
    // A link to another blob of the same layout is refused as well: the digest names
    // the content, a link makes it name something else.
    let layout = Layout::new(&hello_layer());
    let sibling = layout.config.clone();
    layout.link(&layout.layer, &sibling);
    assert!(scan_error(&layout.spec()).contains("symbolic link"));
}

/// A FIFO or a device where a file should be: one error naming it, at once. Opening a
/// FIFO for reading blocks until a writer comes, and /dev/zero never ends.
#[test]
fn fifos_and_devices_in_place_of_image_files_are_refused() {
    let layout = Layout::new(&hello_layer());
    layout.fifo(&layout.layer);
    let message = scan_error(&layout.spec());
    assert!(message.contains("FIFO"), "{message}");

    let layout = Layout::new(&hello_layer());
    layout.fifo(&layout.root.join("index.json"));
    let message = scan_error(&layout.spec());
    assert!(
        message.contains("index.json") && message.contains("FIFO"),
        "{message}"
    );

    let layout = Layout::new(&hello_layer());
    layout.link(&layout.layer, Path::new("/dev/zero"));
    let message = scan_error(&layout.spec());
    assert!(message.contains("symbolic link"), "{message}");

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("image.tar");
    mkfifo(&fifo);
    for spec in [
        format!("docker-archive:{}", fifo.display()),
        format!("oci-archive:{}", fifo.display()),
        format!("oci:{}", fifo.display()),
        "docker-archive:/dev/zero".to_string(),
    ] {
        let message = scan_error(&spec);
        assert!(
            message.contains("FIFO") || message.contains("device"),
            "{spec}: {message}"
        );
        assert_harmless(&message);
    }
    // A bare path is told apart without opening what is not a regular file (the
    // message is the command line's: "neither a folder nor a container image").
    for spec in [fifo.display().to_string(), "/dev/zero".to_string()] {
        assert_harmless(&scan_error(&spec));
    }
}

/// index.json, manifests and configs are read up to a limit, and the error says which
/// file and which limit.
#[test]
fn image_json_is_read_up_to_a_limit() {
    let layout = Layout::new(&hello_layer());
    let index = layout.root.join("index.json");
    let mut big = fs::read(&index).unwrap();
    big.resize(17 << 20, b' ');
    fs::write(&index, big).unwrap();
    let message = scan_error(&layout.spec());
    assert!(
        message.contains("index.json") && message.contains("16 MiB"),
        "{message}"
    );
    assert_harmless(&message);
}

/// Text from the image (tags, digests, media types, tar header fields) reaches the
/// error messages escaped and cut short.
#[test]
fn errors_quote_image_text_short_and_escaped() {
    let evil_tag = format!("\x1b]0;owned\x07\x1b[2J{}", "t".repeat(100_000));
    let layout = Layout::with_tag(&hello_layer(), &evil_tag);
    let message = scan_error(&format!("{}:missing", layout.spec()));
    assert!(message.contains("missing"), "{message}");
    assert_harmless(&message);

    // A digest that is no digest.
    let layout = Layout::new(&hello_layer());
    let index = layout.root.join("index.json");
    let text = fs::read_to_string(&index).unwrap();
    let digest_at = text.find("sha256:").unwrap();
    let evil_digest = format!("sha256:\x1b[31m{}", "f".repeat(200_000));
    let text = format!(
        "{}{evil_digest}{}",
        &text[..digest_at],
        &text[digest_at + 71..]
    );
    fs::write(&index, text).unwrap();
    assert_harmless(&scan_error(&layout.spec()));

    // A layer whose tar header carries escape sequences in a number field.
    let layout = Layout::new(&tar_with_size_field(b"\x1b[2J\x1b]0;x\x07"));
    let message = scan_error(&layout.spec());
    assert!(message.contains("layer"), "{message}");
    assert_harmless(&message);
}

/// A layer that is not what its digest says is reported as such, whatever its bytes
/// would have made the tar reader say: what is streamed before the digest is known
/// must not reach a message.
#[test]
fn a_layer_that_fails_its_digest_is_reported_by_its_digest_not_its_content() {
    let layout = Layout::new(&hello_layer());
    fs::write(&layout.layer, tar_with_size_field(b"SECRET-42")).unwrap();
    let message = scan_error(&layout.spec());
    assert!(message.contains("digest"), "{message}");
    assert!(!message.contains("SECRET"), "{message}");

    // A config blob that fails its digest: its content is not parsed (or quoted).
    let layout = Layout::new(&hello_layer());
    fs::write(&layout.config, "SECRET-42 is not JSON").unwrap();
    let message = scan_error(&layout.spec());
    assert!(
        message.contains("digest") && !message.contains("SECRET"),
        "{message}"
    );
    let mut read_back = String::new();
    fs::File::open(&layout.config)
        .unwrap()
        .read_to_string(&mut read_back)
        .unwrap();
    assert!(read_back.starts_with("SECRET"), "inputs are never modified");
}

/// A large binary in an image is copied to a temporary file to be read: up to a
/// limit per file and per image, beyond which it is an unreadable file that names the
/// limit (a 13.8 MB layer of zeros once filled 3 GB of /tmp).
#[test]
fn temporary_space_for_large_binaries_is_capped() {
    use preflight::source::image::{open_image_with, FileContent, ImageLimits, TreeEntry};
    let elf = fs::read(common::fixture("static-pie")).unwrap();
    let padded = |size: usize| {
        let mut bytes = elf.clone();
        bytes.resize(size, 0);
        bytes
    };
    let mut builder = tar::Builder::new(Vec::new());
    let files = [
        ("small", 100 << 10),
        ("big-1", 700 << 10),
        ("too-big", 1536 << 10),
        ("big-2", 700 << 10),
        ("big-3", 700 << 10),
    ];
    for (name, size) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(size as u64);
        header.set_mode(0o755);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, name, &padded(size)[..])
            .unwrap();
    }
    let layout = Layout::new(&builder.into_inner().unwrap());
    let limits = ImageLimits {
        in_memory: 256 << 10,
        temporary_per_file: 1 << 20,
        temporary_total: 2 << 20,
        ..ImageLimits::default()
    };
    let image = open_image_with(&layout.spec(), None, limits).unwrap();
    let outcome = |name: &str| match &image.tree.get(&format!("/{name}")).unwrap().entry {
        TreeEntry::File(FileContent::Elf(Ok(_))) => "read".to_string(),
        TreeEntry::File(FileContent::Elf(Err(reason))) => reason.clone(),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(outcome("small"), "read");
    assert_eq!(outcome("big-1"), "read");
    assert!(
        outcome("too-big").contains("1 MiB"),
        "{}",
        outcome("too-big")
    );
    assert!(outcome("too-big").contains("per file"));
    assert_eq!(outcome("big-2"), "read");
    assert!(outcome("big-3").contains("2 MiB"), "{}", outcome("big-3"));
    assert!(outcome("big-3").contains("per image"));
}

/// Hard links of a layer that lead nowhere, to a folder, or to each other: each gets
/// a sentence naming what it links to (the report said `Absent`, `NotRegular`,
/// `Loop`), and a hard link to a file is that file under another name.
#[test]
fn hard_links_in_an_image_are_explained() {
    let mut builder = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_size(0);
    dir.set_mode(0o755);
    builder.append_data(&mut dir, "etc/", &[][..]).unwrap();
    let elf = fs::read(common::fixture("pie-glibc234")).unwrap();
    let mut file = tar::Header::new_gnu();
    file.set_entry_type(tar::EntryType::Regular);
    file.set_size(elf.len() as u64);
    file.set_mode(0o755);
    builder
        .append_data(&mut file, "bin/real", &elf[..])
        .unwrap();
    for (name, target) in [
        ("bin/nowhere", "usr/bin/missing"),
        ("bin/folder", "etc"),
        ("bin/a", "bin/b"),
        ("bin/b", "bin/a"),
        ("bin/same", "bin/real"),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Link);
        header.set_size(0);
        header.set_mode(0o755);
        builder.append_link(&mut header, name, target).unwrap();
    }
    let layout = Layout::new(&builder.into_inner().unwrap());
    let out = run_bounded(
        &["scan", "--format", "json", &layout.spec()],
        Duration::from_secs(30),
    )
    .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let text = report.to_string();
    for debug in ["\"Absent\"", "\"Loop\"", "\"NotRegular\""] {
        assert!(!text.contains(debug), "{debug} in {text}");
    }
    assert_eq!(
        report["problems"].as_array().map_or(0, Vec::len),
        0,
        "{text}"
    );
    let message = |path: &str| -> String {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("no finding for {path}: {text}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message("/bin/nowhere").contains("hard link to /usr/bin/missing"));
    assert!(message("/bin/folder").contains("hard link to the folder /etc"));
    assert!(message("/bin/a").contains("hard link to /bin/b"));
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // The hard link is the file under another name: reported once, and counted.
    assert_eq!(files, ["/bin/real"], "{text}");
    assert_eq!(report["summary"]["hard_links"], 1, "{text}");
}

/// A docker archive as `docker save` wrote it before 25.0: one folder per layer, and
/// a layer it had written already linked, not copied (`../ID/layer.tar`). Links are
/// followed between members of the archive, never out of it.
#[test]
fn links_inside_a_docker_archive_stay_inside() {
    let layer = hello_layer();
    let layer_hex = sha256_hex(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{layer_hex}","sha256:{layer_hex}"]}}}}"#
    );
    let build = |second_layer_target: &str, manifest_link: Option<&str>| -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut builder =
            tar::Builder::new(fs::File::create(dir.path().join("image.tar")).unwrap());
        let mut append = |name: &str, data: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder.append_data(&mut header, name, data).unwrap();
        };
        let manifest = r#"[{"Config":"config.json","RepoTags":["t:1"],"Layers":["a/layer.tar","b/layer.tar"]}]"#;
        append("config.json", config.as_bytes());
        append("a/layer.tar", &layer);
        if manifest_link.is_none() {
            append("manifest.json", manifest.as_bytes());
        }
        let mut link = |name: &str, target: &str| {
            let mut header = tar::Header::new_gnu();
            header.set_size(0);
            header.set_mode(0o777);
            header.set_entry_type(tar::EntryType::Symlink);
            builder.append_link(&mut header, name, target).unwrap();
        };
        link("b/layer.tar", second_layer_target);
        if let Some(target) = manifest_link {
            link("manifest.json", target);
        }
        builder.finish().unwrap();
        dir
    };
    let spec = |dir: &tempfile::TempDir| {
        format!("docker-archive:{}", dir.path().join("image.tar").display())
    };

    let good = build("../a/layer.tar", None);
    let out = run_bounded(
        &["scan", "--format", "json", &spec(&good)],
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let escaping = build("../../../etc/passwd", None);
    let message = scan_error(&spec(&escaping));
    assert!(message.contains("leads out of the archive"), "{message}");

    let absolute = build("../a/layer.tar", Some("/etc/passwd"));
    let message = scan_error(&spec(&absolute));
    assert!(message.contains("outside the archive"), "{message}");
}

/// A small gzip layer holding a file of zeros many times its size (a decompression
/// bomb: a few MB of gzip hold terabytes) was read to its end. It is refused once it
/// has expanded past its limit, with one error naming the layer.
#[test]
fn a_layer_expanding_a_thousandfold_is_refused() {
    use preflight::source::image::{open_image_with, ImageLimits};
    use std::io::Write;
    let size: u64 = 16 << 20;
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    builder
        .append_data(&mut header, "zeros", std::io::repeat(0).take(size))
        .unwrap();
    // best(): flate2's zlib-rs backend (backhand turns it on) compresses zeros only
    // about 100:1 at fast().
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&builder.into_inner().unwrap()).unwrap();
    let layer = gzip.finish().unwrap();
    assert!((layer.len() as u64) < size / 200, "{} bytes", layer.len());
    let layout = Layout::new(&layer);
    let limits = ImageLimits {
        expansion_free: 1 << 20,
        ..ImageLimits::default()
    };
    let error = match open_image_with(&layout.spec(), None, limits) {
        Ok(_) => panic!("the layer was read to its end"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains("layer") && error.contains("decompression bomb"),
        "{error}"
    );
    assert!(
        error.contains("more than 100 times its compressed size"),
        "{error}"
    );
    // Within the bytes any layer may expand to, the same layer is read.
    assert!(open_image_with(&layout.spec(), None, ImageLimits::default()).is_ok());
}
