//! Replays what the fuzzers found (fuzz/, run by scripts/fuzz.sh): every file in
//! tests/fixtures/fuzz/TARGET/ (the minimized corpus of each target: the inputs that
//! reached code no other input reached, and any crash found) goes through the same
//! harness as its fuzz target (fuzz/harness.rs) and must get an answer, Ok or Err:
//! never a panic, and not a hang. Every target must have such a folder, not empty.
//!
//! The seeds of the fuzz corpora (the fixture ELF files, image layers, manifests and
//! profiles) are replayed the same way, and those that are valid must be read as
//! valid: a harness that only ever reached the readers' error paths would fuzz nothing.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Far above what any input takes, even in a debug build; a hang found by the fuzzer
/// (libFuzzer's -timeout=10 on an optimized build) fails here instead of blocking.
const TIME_LIMIT: Duration = Duration::from_secs(120);

const TARGETS: [&str; 6] = [
    "elf_facts",
    "other_binary",
    "image_layer",
    "image_manifest",
    "profile_yaml",
    "archive",
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn images() -> PathBuf {
    fixtures().join("images")
}

fn scratch() -> Arc<harness::Scratch> {
    Arc::new(harness::Scratch::new(&images()).expect("scratch folder for the image harness"))
}

/// Runs `data` through `target`'s harness on a thread of its own: Ok(the library's
/// answer), or Err(why it did not answer: a panic, or no answer within TIME_LIMIT).
fn replay(
    scratch: &Arc<harness::Scratch>,
    target: &str,
    data: Vec<u8>,
) -> Result<Result<(), String>, String> {
    let (send, receive) = mpsc::channel();
    let scratch = Arc::clone(scratch);
    let target = target.to_string();
    std::thread::spawn(move || {
        let answer = match target.as_str() {
            "elf_facts" => harness::elf_facts(&data),
            "other_binary" => harness::other_binary(&data),
            "image_layer" => scratch
                .image_layer(&data)
                .expect("writing the scratch image"),
            "image_manifest" => scratch
                .image_manifest(&data)
                .expect("writing the scratch image"),
            "archive" => scratch.archive(&data).expect("writing the scratch archive"),
            "profile_yaml" => {
                let (profile, policy) = harness::profile_yaml(&data);
                profile.or(policy)
            }
            other => panic!("no fuzz target {other}"),
        };
        let _ = send.send(answer);
    });
    match receive.recv_timeout(TIME_LIMIT) {
        Ok(answer) => Ok(answer),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("no answer in {TIME_LIMIT:?}")),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("panicked".into()),
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn inputs_found_by_the_fuzzers_get_an_answer() {
    let dir = fixtures().join("fuzz");
    let scratch = scratch();
    let mut failures = Vec::new();
    for target in TARGETS {
        let folder = dir.join(target);
        assert!(
            folder.is_dir(),
            "{}: no inputs saved for the fuzz target {target} (scripts/fuzz.sh says how)",
            folder.display()
        );
        let inputs: Vec<PathBuf> = files_in(&folder)
            .into_iter()
            .filter(|p| p.extension().is_none_or(|e| e != "md"))
            .collect();
        assert!(
            !inputs.is_empty(),
            "{}: empty; the fuzz target {target} has nothing to replay",
            folder.display()
        );
        for path in &inputs {
            if let Err(why) = replay(&scratch, target, fs::read(path).unwrap()) {
                failures.push(format!("{}: {target}: {why}", path.display()));
            }
        }
        eprintln!("{target}: {} saved fuzz inputs replayed", inputs.len());
    }
    // Every saved input is in its target's folder.
    for path in files_in(&dir) {
        if path.extension().is_none_or(|e| e != "md") {
            failures.push(format!(
                "{}: not in a target's folder ({})",
                path.display(),
                TARGETS.join(", ")
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn elf_seeds_get_an_answer_and_real_elf_files_are_read() {
    let scratch = scratch();
    let mut read = 0;
    for path in files_in(&fixtures().join("bin")) {
        let data = fs::read(&path).unwrap();
        let elf = data.starts_with(b"\x7fELF");
        let answer = replay(&scratch, "elf_facts", data)
            .unwrap_or_else(|why| panic!("{}: {why}", path.display()));
        let name = path.file_name().unwrap().to_string_lossy();
        match answer {
            Ok(()) => read += 1,
            // The one deliberately broken ELF fixture, and the non-ELF ones.
            Err(_) if name == "truncated.so" || !elf => {}
            Err(e) => panic!("{name}: a valid ELF fixture is not read: {e}"),
        }
    }
    assert!(read >= 10, "only {read} fixture ELF files were read");
}

/// (blob path, its bytes) of every layer blob (not JSON) of the OCI fixture layouts.
fn layer_blobs(layouts: &[PathBuf]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut blobs = Vec::new();
    for layout in layouts {
        for path in files_in(&layout.join("blobs/sha256")) {
            let data = fs::read(&path).unwrap();
            if !data.starts_with(b"{") {
                blobs.push((path, data));
            }
        }
    }
    blobs
}

fn hostile_layouts() -> Vec<PathBuf> {
    let mut layouts: Vec<PathBuf> = fs::read_dir(images().join("hostile"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("index.json").is_file())
        .collect();
    layouts.sort();
    layouts
}

#[test]
fn layer_seeds_get_an_answer_and_real_layers_open() {
    let scratch = scratch();
    let good = [images().join("app.oci"), images().join("app-zstd.oci")];
    let mut opened = 0;
    for (path, data) in layer_blobs(&good) {
        // As stored (gzip, zstd), and the gzip ones decompressed: all must open and scan.
        let mut forms = vec![data.clone()];
        if data.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&data[..])
                .read_to_end(&mut plain)
                .unwrap();
            forms.push(plain);
        }
        for form in forms {
            let answer = replay(&scratch, "image_layer", form)
                .unwrap_or_else(|why| panic!("{}: {why}", path.display()));
            assert_eq!(answer, Ok(()), "{}", path.display());
            opened += 1;
        }
    }
    assert!(opened >= 6, "only {opened} fixture layers opened");
    // The hostile images' layers (truncated, traversal, symbolic link loop...): an
    // answer, whichever.
    for (path, data) in layer_blobs(&hostile_layouts()) {
        let _answer = replay(&scratch, "image_layer", data)
            .unwrap_or_else(|why| panic!("{}: {why}", path.display()));
    }
}

#[test]
fn manifest_seeds_get_an_answer_and_real_manifests_open() {
    let scratch = scratch();
    let with_mode = |mode: u8, data: &[u8]| -> Vec<u8> {
        let mut input = vec![mode];
        input.extend_from_slice(data);
        input
    };
    let app = images().join("app.oci");
    // Mode 0: app.oci's index.json; mode 1: its manifest; mode 2: the docker archive's
    // manifest.json.
    let index = fs::read(app.join("index.json")).unwrap();
    let manifest_digest = String::from_utf8_lossy(&index)
        .split("sha256:")
        .nth(1)
        .map(|rest| rest[..64].to_string())
        .expect("a manifest digest in app.oci/index.json");
    let manifest = fs::read(app.join("blobs/sha256").join(manifest_digest)).unwrap();
    let mut docker_manifest = Vec::new();
    let mut archive = tar::Archive::new(fs::File::open(images().join("app-docker.tar")).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_str() == Some("manifest.json") {
            entry.read_to_end(&mut docker_manifest).unwrap();
        }
    }
    assert!(
        !docker_manifest.is_empty(),
        "app-docker.tar has a manifest.json"
    );
    for (what, input) in [
        ("index.json", with_mode(0, &index)),
        ("manifest", with_mode(1, &manifest)),
        ("docker manifest.json", with_mode(2, &docker_manifest)),
    ] {
        let answer =
            replay(&scratch, "image_manifest", input).unwrap_or_else(|why| panic!("{what}: {why}"));
        assert_eq!(answer, Ok(()), "app image from its {what}");
    }
    // The hostile layouts' index.json files (several tags, several platforms, missing
    // blob...): an answer, whichever.
    for layout in hostile_layouts() {
        let index = fs::read(layout.join("index.json")).unwrap();
        let _answer = replay(&scratch, "image_manifest", with_mode(0, &index))
            .unwrap_or_else(|why| panic!("{}: {why}", layout.display()));
    }
}

#[test]
fn profile_seeds_get_an_answer_and_sample_profiles_parse() {
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/profiles");
    let mut parsed = 0;
    for path in files_in(&samples) {
        let (profile, _) = harness::profile_yaml(&fs::read(&path).unwrap());
        assert_eq!(profile, Ok(()), "{}", path.display());
        parsed += 1;
    }
    assert!(parsed >= 2, "only {parsed} sample profiles");
    let policy = "rules:\n  textrel: error\n  rpath: off\nwaivers:\n  - rule: missing-library\n    path: \"lib/plugins/*.so\"\n    target: ubuntu-20.04\n    reason: loaded by the host\n";
    assert_eq!(harness::profile_yaml(policy.as_bytes()).1, Ok(()));
    // Broken text gets errors, not a panic.
    let (profile, policy) = harness::profile_yaml(b"name: [\n\xff\xfe: *x\n");
    assert!(profile.is_err() && policy.is_err());
}

#[test]
fn archive_seeds_get_an_answer_and_real_archives_open() {
    let scratch = scratch();
    let mut opened = 0;
    for path in files_in(&fixtures().join("inputs")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".sh") {
            continue;
        }
        let answer = replay(&scratch, "archive", fs::read(&path).unwrap())
            .unwrap_or_else(|why| panic!("{name}: {why}"));
        // Every fixture opens, the hostile ones too: what they hold is a finding.
        assert_eq!(answer, Ok(()), "{name}");
        opened += 1;
    }
    assert!(opened >= 15, "only {opened} archive fixtures opened");
}
