//! A scan reads its files a batch at a time, several batches at once: whatever order
//! the batches are done in, the report lists the files in walk order, a hard link
//! under its first path, and counts every file once.

mod common;

use preflight::scan::{scan, ScanOptions};
use preflight::source::FolderSource;
use std::fs;

/// More files than two of the pipeline's batches (2,048 files each).
const FILES: usize = 5000;

#[test]
fn files_of_many_batches_are_reported_in_walk_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    fs::create_dir_all(&root).unwrap();
    let elf = fs::read(common::fixture("pie-glibc234")).unwrap();
    let mut expected = Vec::new();
    for i in 0..FILES {
        let name = format!("f{i:05}");
        let path = root.join(&name);
        if i % 97 == 0 {
            // A different file each time (a trailing byte), so that none is a hard
            // link of another.
            let mut bytes = elf.clone();
            bytes.extend_from_slice(&(i as u32).to_le_bytes());
            fs::write(&path, bytes).unwrap();
            expected.push(name);
        } else {
            fs::write(&path, b"not an ELF file").unwrap();
        }
    }
    // Hard links whose first path is in the first batch and whose others are in later
    // ones: reported once, under the first.
    for i in [2500, 4500] {
        fs::hard_link(root.join("f00000"), root.join(format!("f{i:05}-link"))).unwrap();
    }

    let options = ScanOptions {
        root: Some(dir.path().join("empty-root")),
        ..ScanOptions::default()
    };
    fs::create_dir_all(dir.path().join("empty-root")).unwrap();
    let report = scan(&FolderSource::new(&root), &options).unwrap();
    let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, expected);
    assert_eq!(report.summary.hard_links, 2);
    assert_eq!(report.summary.files_seen, FILES + 2);
    assert_eq!(report.summary.not_elf, FILES - expected.len());
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
