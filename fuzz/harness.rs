//! What each fuzz target does with the fuzzer's bytes, shared by the targets
//! (fuzz/fuzz_targets/*.rs) and by the replay of their findings in
//! tests/fuzz_regressions.rs, so that a saved input runs exactly the same code in both.
//!
//! Every function returns normally whatever the library answers, and hands that answer
//! back (`Err` with the library's message) for the replay test to check that seeds
//! which should work do: a panic, a hang or unbounded memory is the bug the fuzzer
//! looks for.
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// `elf_facts`: the unguarded ELF reader (a panic must reach the fuzzer), and the JSON
/// of what it read.
pub fn elf_facts(data: &[u8]) -> Result<(), String> {
    let facts = preflight::elf::read_facts(data).map_err(|e| e.to_string())?;
    serde_json::to_string(&facts).expect("ElfFacts serializes to JSON");
    let _ = facts.highest_needed_versions();
    Ok(())
}

/// `other_binary`: the archive reader and the Mach-O/PE identification, unguarded, and
/// the JSON of what they read.
pub fn other_binary(data: &[u8]) -> Result<(), String> {
    let foreign = preflight::elf::identify_foreign(data);
    serde_json::to_string(&foreign).expect("ForeignBinary serializes to JSON");
    let archive = preflight::elf::read_archive(data).map_err(|e| e.to_string())?;
    serde_json::to_string(&archive).expect("ArchiveFacts serializes to JSON");
    Ok(())
}

/// `profile_yaml`: the text as a target profile and as a policy file; the two answers.
pub fn profile_yaml(data: &[u8]) -> (Result<(), String>, Result<(), String>) {
    let text = String::from_utf8_lossy(data);
    let messages = |errors: Vec<preflight::yaml::YamlError>| -> String {
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let profile = preflight::profile::parse_profile(&text, "fuzz.yaml").map(|profile| {
        for platform in preflight::platform::Platform::ALL {
            let _ = preflight::policy::TargetFacts::of(&profile, platform);
        }
    });
    let policy = preflight::policy::PolicyConfig::parse(&text, "fuzz.yaml").map(drop);
    (profile.map_err(messages), policy.map_err(messages))
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn append(builder: &mut tar::Builder<impl Write>, name: &str, data: &[u8]) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, name, data)
}

/// Opens the image as the command line does and, when it opens, scans it with the
/// image as its own host (links, symbolic links and the loader's search inside it) and
/// writes the report in every format (paths and facts from the image reach them all).
fn open_and_scan(spec: &str) -> Result<(), String> {
    let image = preflight::source::image::open_image(spec, None).map_err(|e| e.to_string())?;
    let source = preflight::source::ImageSource::new(preflight::source::ImageHost::new(image, "/"));
    scan_and_write(&source)
}

/// Scans `source` against its own host, with the SBOM's hashes and graph, and writes
/// the report in every format.
fn scan_and_write(source: &dyn preflight::source::Source) -> Result<(), String> {
    use preflight::report::{
        write_cyclonedx, write_github, write_markdown, write_sarif, write_scan_json,
        write_scan_table, Layout,
    };
    let options = preflight::scan::ScanOptions {
        sbom: true,
        ..Default::default()
    };
    let report = preflight::scan::scan(source, &options).map_err(|e| e.to_string())?;
    let out = &mut io::sink();
    let written = [
        write_scan_json(out, &report, true),
        write_scan_table(
            out,
            &report,
            &Layout {
                color: true,
                show_waived: true,
                verbose: true,
                ..Layout::default()
            },
        ),
        write_scan_table(out, &report, &Layout::default()),
        write_sarif(out, &report),
        write_markdown(out, &report, true),
        write_github(out, &report),
        write_cyclonedx(out, &report),
    ];
    for w in written {
        w.expect("writing a report to io::sink");
    }
    Ok(())
}

/// A scratch folder reused for every input of one process: the image files are
/// overwritten in place, never created anew.
pub struct Scratch {
    dir: tempfile::TempDir,
    /// `docker-archive:` path for `image_layer` and for `image_manifest` mode 2.
    archive: PathBuf,
    /// OCI layout folder for `image_manifest` modes 0 and 1.
    layout: PathBuf,
    /// The members of the docker archive of mode 2, without the end-of-archive blocks:
    /// every blob of the image fixtures, as `blobs/sha256/HEX`.
    blob_members: Vec<u8>,
    /// The hex digests of those blobs.
    fixture_blobs: Vec<String>,
}

impl Scratch {
    /// `images` is tests/fixtures/images: the blobs of its OCI layouts (app.oci and
    /// the hostile ones) are put in the scratch layout, so that a fuzzed index or
    /// manifest can name real manifests, configs and layers.
    pub fn new(images: &Path) -> io::Result<Scratch> {
        let dir = tempfile::Builder::new()
            .prefix("preflight-fuzz")
            .tempdir()?;
        let layout = dir.path().join("layout");
        let blobs = layout.join("blobs/sha256");
        fs::create_dir_all(&blobs)?;
        fs::write(
            layout.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )?;
        let mut layouts = vec![images.join("app.oci"), images.join("app-zstd.oci")];
        let mut hostile: Vec<PathBuf> = fs::read_dir(images.join("hostile"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("blobs/sha256").is_dir())
            .collect();
        hostile.sort();
        layouts.extend(hostile);
        let mut names = Vec::new();
        for l in layouts {
            for entry in fs::read_dir(l.join("blobs/sha256"))? {
                let path = entry?.path();
                let bytes = fs::read(&path)?;
                let hex = sha256_hex(&bytes);
                // Only blobs that match their name (not digest-mismatch's altered one).
                if path.file_name().is_some_and(|n| *n == *hex) && !names.contains(&hex) {
                    fs::write(blobs.join(&hex), &bytes)?;
                    names.push(hex);
                }
            }
        }
        names.sort();
        let mut builder = tar::Builder::new(Vec::new());
        for hex in &names {
            append(
                &mut builder,
                &format!("blobs/sha256/{hex}"),
                &fs::read(blobs.join(hex))?,
            )?;
        }
        // And the members of the fixture docker archives (their layers and configs are
        // named `HEX.tar` and `HEX.json`), so their own manifest.json files work too.
        for archive in [
            images.join("app-docker.tar"),
            images.join("hostile/traversal.tar"),
        ] {
            let mut members = tar::Archive::new(fs::File::open(&archive)?);
            for entry in members.entries()? {
                let mut entry = entry?;
                let name = entry.path()?.to_string_lossy().into_owned();
                if name == "manifest.json" || name == "repositories" {
                    continue;
                }
                let header = entry.header().clone();
                let mut data = Vec::new();
                io::Read::read_to_end(&mut entry, &mut data)?;
                builder.append(&header, &data[..])?;
            }
        }
        let blob_members = builder.get_ref().clone();
        let archive = dir.path().join("image.tar");
        Ok(Scratch {
            dir,
            archive,
            layout,
            blob_members,
            fixture_blobs: names,
        })
    }

    /// `image_layer`: the bytes are the only layer of a docker archive (named by their
    /// sha256, so the digest check passes and the layer is applied), then the image
    /// is opened and scanned.
    pub fn image_layer(&self, data: &[u8]) -> io::Result<Result<(), String>> {
        let layer_hex = sha256_hex(data);
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{layer_hex}"]}}}}"#
        );
        let config_hex = sha256_hex(config.as_bytes());
        let manifest = format!(
            r#"[{{"Config":"blobs/sha256/{config_hex}","RepoTags":["fuzz:latest"],"Layers":["blobs/sha256/{layer_hex}"]}}]"#
        );
        let mut builder = tar::Builder::new(io::BufWriter::new(fs::File::create(&self.archive)?));
        append(&mut builder, "manifest.json", manifest.as_bytes())?;
        append(
            &mut builder,
            &format!("blobs/sha256/{config_hex}"),
            config.as_bytes(),
        )?;
        append(&mut builder, &format!("blobs/sha256/{layer_hex}"), data)?;
        builder.into_inner()?.flush()?;
        Ok(open_and_scan(&format!(
            "docker-archive:{}",
            self.archive.display()
        )))
    }

    /// `archive`: the bytes as a file preflight reads as an archive or package
    /// (detected by content: tar, compressed or not, zip, wheel, npm, .deb, .rpm),
    /// opened and scanned.
    pub fn archive(&self, data: &[u8]) -> io::Result<Result<(), String>> {
        let path = self.dir.path().join("input.archive");
        fs::write(&path, data)?;
        let Some(format) = preflight::source::archive::detect(&path) else {
            return Ok(Err("not an archive".into()));
        };
        let spec = path.to_string_lossy().into_owned();
        Ok(preflight::source::ArchiveSource::open(&spec, format)
            .map_err(|e| e.to_string())
            .and_then(|source| scan_and_write(&source)))
    }

    /// `image_manifest`: the first byte chooses what the rest is:
    /// 0 (mod 3) the index.json of an OCI layout folder;
    /// 1 an OCI manifest (or nested index) blob, which a generated index.json names;
    /// 2 the manifest.json of a docker archive.
    /// The layout and the archive also hold every blob of the image fixtures.
    pub fn image_manifest(&self, data: &[u8]) -> io::Result<Result<(), String>> {
        let Some((&mode, rest)) = data.split_first() else {
            return Ok(Err("no input".into()));
        };
        let spec = match mode % 3 {
            0 => {
                fs::write(self.layout.join("index.json"), rest)?;
                format!("oci:{}", self.layout.display())
            }
            1 => {
                let hex = sha256_hex(rest);
                let blob = self.layout.join("blobs/sha256").join(&hex);
                fs::write(&blob, rest)?;
                let index = format!(
                    r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{hex}","size":{}}}]}}"#,
                    rest.len()
                );
                fs::write(self.layout.join("index.json"), index)?;
                let outcome = open_and_scan(&format!("oci:{}", self.layout.display()));
                // Keep the layout to the fixtures' blobs.
                if !self.fixture_blobs.contains(&hex) {
                    fs::remove_file(&blob)?;
                }
                return Ok(outcome);
            }
            _ => {
                let mut file = io::BufWriter::new(fs::File::create(&self.archive)?);
                file.write_all(&self.blob_members)?;
                let mut builder = tar::Builder::new(file);
                append(&mut builder, "manifest.json", rest)?;
                builder.into_inner()?.flush()?;
                format!("docker-archive:{}", self.archive.display())
            }
        };
        Ok(open_and_scan(&spec))
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}
