//! Hostile and broken input: never a panic, never a hang, never a read outside the root.

mod common;

use preflight::elf::{read_facts, ElfError};
use preflight::scan::{scan, ScanOptions};
use preflight::source::FolderSource;
use std::fs;
use std::os::unix::fs::symlink;

fn fixture_bytes() -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for entry in fs::read_dir(common::fixtures().join("bin")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        if bytes.starts_with(b"\x7fELF") {
            all.push((
                path.file_name().unwrap().to_string_lossy().into_owned(),
                bytes,
            ));
        }
    }
    assert!(all.len() >= 10);
    all
}

#[test]
fn every_prefix_of_every_fixture_reads_or_fails_cleanly() {
    for (name, bytes) in fixture_bytes() {
        let step = (bytes.len() / 400).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let result = std::panic::catch_unwind(|| read_facts(&bytes[..cut]));
            let result = result.unwrap_or_else(|_| panic!("{name} cut at {cut} panicked"));
            // Section headers sit at the end of every fixture, so any cut loses them.
            match result {
                Err(ElfError::Malformed(_)) => {}
                Err(ElfError::NotElf) if cut < 4 => {}
                other => panic!("{name} cut at {cut}: {other:?}"),
            }
        }
    }
}

/// Deterministic corruption (xorshift): flip bytes in the headers and tables and check
/// that reading never panics.
#[test]
fn corrupted_fixtures_never_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (name, bytes) in fixture_bytes() {
        for round in 0..300 {
            let mut copy = bytes.clone();
            for _ in 0..1 + next() % 8 {
                // Mostly the first 4 KiB, where headers and dynamic tables live.
                let limit = if next() % 4 == 0 {
                    copy.len()
                } else {
                    copy.len().min(4096)
                };
                let at = (next() as usize) % limit;
                copy[at] = next() as u8;
            }
            let result = std::panic::catch_unwind(|| read_facts(&copy));
            assert!(result.is_ok(), "{name} round {round} panicked");
        }
    }
}

#[test]
fn truncated_file_names_the_problem() {
    let bytes = fs::read(common::fixture("truncated.so")).unwrap();
    match read_facts(&bytes) {
        Err(ElfError::Malformed(reason)) => assert!(reason.contains("past the end"), "{reason}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
    assert_eq!(read_facts(b"not an elf"), Err(ElfError::NotElf));
}

#[test]
fn scan_survives_links_out_of_the_root_loops_and_fifos() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dist");
    let outside = dir.path().join("outside");
    fs::create_dir_all(root.join("lib")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::copy(common::fixture("pie-glibc234"), root.join("app")).unwrap();
    fs::copy(common::fixture("pie-glibc234"), outside.join("secret-elf")).unwrap();
    fs::copy(common::fixture("truncated.so"), root.join("lib/broken.so")).unwrap();
    fs::hard_link(root.join("app"), root.join("lib/app-hardlink")).unwrap();
    symlink(outside.join("secret-elf"), root.join("lib/escape.so")).unwrap();
    symlink(&outside, root.join("outside-dir")).unwrap();
    symlink("loop-b", root.join("loop-a")).unwrap();
    symlink("loop-a", root.join("loop-b")).unwrap();
    symlink(".", root.join("lib/self")).unwrap();
    let fifo = root.join("lib/libfifo.so");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());

    let options = ScanOptions {
        root: Some(dir.path().join("empty-root")),
        ..ScanOptions::default()
    };
    fs::create_dir_all(dir.path().join("empty-root")).unwrap();
    let report = scan(&FolderSource::new(&root), &options).unwrap();
    let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["app", "lib/broken.so"]);
    assert_eq!(report.summary.unreadable, 1);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
