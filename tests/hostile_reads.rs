//! Files that change while preflight reads them, and paths that are not files at all:
//! one clear answer naming the file, in bounded time, and the scan goes on. Every
//! input is built at run time in a temporary folder.

mod common;

use preflight::elf::{read_facts_guarded, ElfError};
use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A file mapped, then cut short before its pages are read (a build still writing
/// it, a package manager replacing it in place): reading a page past the new end of a
/// mapping raises SIGBUS, which killed preflight. Now it is an unreadable file.
#[test]
fn a_file_cut_short_after_it_was_opened_is_changed_while_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app");
    // Two pages: the section headers sit on the second one.
    fs::copy(common::fixture("pie-glibc234"), &path).unwrap();
    assert!(fs::metadata(&path).unwrap().len() > 4096);
    let bytes = preflight::source::read_elf_bytes(&path)
        .unwrap()
        .expect("an ELF file");
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(64)
        .unwrap();
    match read_facts_guarded(&bytes) {
        Err(ElfError::Malformed(reason)) => {
            assert!(reason.contains("changed while it was read"), "{reason}")
        }
        other => panic!("expected an unreadable file, got {other:?}"),
    }
    // A file rewritten in place (same size, new content) is caught by its times.
    fs::copy(common::fixture("pie-glibc234"), &path).unwrap();
    let bytes = preflight::source::read_elf_bytes(&path).unwrap().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(b"\x7fELF", 0).unwrap();
    match read_facts_guarded(&bytes) {
        Err(ElfError::Malformed(reason)) => {
            assert!(reason.contains("changed while it was read"), "{reason}")
        }
        other => panic!("expected an unreadable file, got {other:?}"),
    }
    // An untouched file reads as before.
    let bytes = preflight::source::read_elf_bytes(&path).unwrap().unwrap();
    assert!(read_facts_guarded(&bytes).is_ok());
}

/// Copies of an ELF file that a thread keeps cutting to their first page and
/// restoring, while `scan`, `tree` and `inspect` run over them again and again. Before
/// the guard, some runs died of SIGBUS with no report.
#[test]
fn scan_tree_and_inspect_survive_files_shrinking_while_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let dist = dir.path().join("dist");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&dist).unwrap();
    let original = fs::read(common::fixture("static-pie")).unwrap();
    assert!(original.len() > 3 * 4096);
    let paths: Vec<PathBuf> = (0..40)
        .map(|i| {
            let path = dist.join(format!("app{i:02}"));
            fs::write(&path, &original).unwrap();
            path
        })
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let cutter = {
        let stop = stop.clone();
        let paths = paths.clone();
        let original = original.clone();
        std::thread::spawn(move || {
            let files: Vec<fs::File> = paths
                .iter()
                .map(|p| OpenOptions::new().write(true).open(p).unwrap())
                .collect();
            let mut cycles = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for file in &files {
                    file.set_len(4096).unwrap();
                }
                for file in &files {
                    file.write_all_at(&original[4096..], 4096).unwrap();
                }
                cycles += 1;
            }
            cycles
        })
    };

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut runs = 0;
    let mut failures = Vec::new();
    let first = paths[0].clone();
    let commands: [Vec<&std::ffi::OsStr>; 3] = [
        vec![
            "scan".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--root".as_ref(),
            root.as_os_str(),
            dist.as_os_str(),
        ],
        vec![
            "tree".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--root".as_ref(),
            root.as_os_str(),
            first.as_os_str(),
        ],
        vec!["inspect".as_ref(), "--format".as_ref(), "json".as_ref()],
    ];
    while Instant::now() < deadline && runs < 120 {
        let mut args = commands[runs % 3].clone();
        if runs % 3 == 2 {
            args.extend(paths.iter().map(|p| p.as_os_str()));
        }
        let out = common::preflight().args(&args).output().unwrap();
        runs += 1;
        if out.status.code().is_none() {
            failures.push(format!(
                "{}: killed ({:?}), stderr: {}",
                args[0].to_string_lossy(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
            failures.push(format!(
                "{}: exit {:?}, no JSON report ({e}); stderr: {}",
                args[0].to_string_lossy(),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let cycles = cutter.join().unwrap();
    assert!(cycles > 10, "the files changed only {cycles} times");
    assert!(failures.is_empty(), "{runs} runs: {failures:#?}");
}
