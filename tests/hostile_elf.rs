//! ELF files built to cost time and memory: a few megabytes that describe far more
//! than they hold. Each is unreadable with a reason that names the limit, and the scan
//! goes on. The files are built here, byte by byte.

mod common;
mod hostile_synth;

use hostile_synth::*;
use preflight::elf::{read_facts, ElfError};
use std::fs;
use std::time::{Duration, Instant};

fn malformed(bytes: &[u8]) -> String {
    let start = Instant::now();
    let outcome = read_facts(bytes);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    match outcome {
        Err(ElfError::Malformed(reason)) => reason,
        Ok(facts) => panic!(
            "read as valid: {} needed, {} symbols",
            facts.needed.len(),
            facts.symbols.len()
        ),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn the_synthetic_library_reads() {
    let dynstr = b"\0libc.so.6\0";
    let bytes = synthetic_elf(dynstr, &[], 0, |p| {
        let mut entries = strings(dynstr)(p);
        entries.push((DT_NEEDED, 1));
        entries
    });
    let facts = read_facts(&bytes).unwrap();
    assert_eq!(facts.needed, ["libc.so.6"]);
}

/// 300,000 DT_NEEDED entries took 1.5 GB to scan (each library searched for, each
/// missing one a finding).
#[test]
fn too_many_needed_libraries_are_refused() {
    let dynstr = b"\0libnothere.so\0";
    let bytes = synthetic_elf(dynstr, &[], 0, |p| {
        let mut entries = strings(dynstr)(p);
        entries.extend(std::iter::repeat_n((DT_NEEDED, 1), 300_000));
        entries
    });
    let reason = malformed(&bytes);
    assert!(
        reason.contains("300,000 DT_NEEDED entries") && reason.contains("4,096"),
        "{reason}"
    );

    // And the scan reports the file as unreadable and goes on, in bounded time.
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    fs::create_dir_all(&dist).unwrap();
    fs::write(dist.join("libbomb.so"), &bytes).unwrap();
    fs::copy(common::fixture("pie-glibc234"), dist.join("app")).unwrap();
    let start = Instant::now();
    let out = common::preflight()
        .args(["scan", "--format", "json", "--root"])
        .arg(dir.path())
        .arg(&dist)
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(60));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    let bomb = files.iter().find(|f| f["path"] == "libbomb.so").unwrap();
    assert_eq!(bomb["status"], "unreadable");
    assert!(bomb["reason"].as_str().unwrap().contains("4,096"));
}

/// DT_RUNPATH of 100,000 colons: as many folders to search.
#[test]
fn too_many_search_folders_are_refused() {
    let mut dynstr = b"\0".to_vec();
    dynstr.extend(std::iter::repeat_n(b':', 100_000));
    dynstr.push(0);
    let bytes = synthetic_elf(&dynstr, &[], 0, |p| {
        let mut entries = strings(&dynstr)(p);
        entries.push((DT_RUNPATH, 1));
        entries
    });
    let reason = malformed(&bytes);
    assert!(
        reason.contains("100,001 DT_RPATH and DT_RUNPATH folders"),
        "{reason}"
    );
}

/// 8,000 symbols whose names are all one 32 KiB string: 256 MB of names from a file
/// of 230 KB.
#[test]
fn names_reused_far_beyond_the_file_are_refused() {
    let count: u32 = 8_000;
    let mut dynstr = b"\0".to_vec();
    dynstr.extend(std::iter::repeat_n(b'A', 32 << 10));
    dynstr.push(0);
    // DT_HASH (nbucket 1, nchain = count + 1, all zero), then the symbols.
    let mut data = Vec::new();
    for word in [1u32, count + 1] {
        data.extend_from_slice(&word.to_le_bytes());
    }
    data.extend(std::iter::repeat_n(0u8, 4 * (count as usize + 2)));
    let symtab_at = data.len();
    data.extend_from_slice(&[0u8; 24]);
    for _ in 0..count {
        data.extend_from_slice(&1u32.to_le_bytes()); // st_name
        data.push(0x12); // STB_GLOBAL, STT_FUNC
        data.push(0);
        data.extend_from_slice(&1u16.to_le_bytes()); // st_shndx: defined
        data.extend_from_slice(&[0u8; 16]);
    }
    let bytes = synthetic_elf(&dynstr, &data, 0, |p| {
        let mut entries = strings(&dynstr)(p);
        entries.push((DT_HASH, p.data));
        entries.push((DT_SYMTAB, p.data + symtab_at as u64));
        entries.push((DT_SYMENT, 24));
        entries
    });
    assert!(bytes.len() < 300 << 10);
    let reason = malformed(&bytes);
    assert!(
        reason.contains("dynamic symbol names") && reason.contains("twice its size"),
        "{reason}"
    );
}

/// One needed file with 5,000 versions.
#[test]
fn too_many_version_entries_are_refused() {
    let dynstr = b"\0libx.so\0V_1\0";
    let count: u16 = 5_000;
    let mut data = Vec::new();
    // Verneed: vn_version, vn_cnt, vn_file, vn_aux, vn_next.
    data.extend_from_slice(&1u16.to_le_bytes());
    data.extend_from_slice(&count.to_le_bytes());
    for word in [1u32, 16, 0] {
        data.extend_from_slice(&word.to_le_bytes());
    }
    for i in 0..count {
        // Vernaux: vna_hash, vna_flags, vna_other, vna_name, vna_next.
        data.extend_from_slice(&0u32.to_le_bytes());
        data.extend_from_slice(&0u16.to_le_bytes());
        data.extend_from_slice(&(2 + i % 100).to_le_bytes());
        data.extend_from_slice(&9u32.to_le_bytes());
        let next: u32 = if i + 1 == count { 0 } else { 16 };
        data.extend_from_slice(&next.to_le_bytes());
    }
    let bytes = synthetic_elf(dynstr, &data, 0, |p| {
        let mut entries = strings(dynstr)(p);
        entries.push((DT_NEEDED, 1));
        entries.push((DT_VERNEED, p.data));
        entries.push((DT_VERNEEDNUM, 1));
        entries
    });
    let reason = malformed(&bytes);
    assert!(
        reason.contains("symbol-version entries") && reason.contains("4096"),
        "{reason}"
    );
}

/// 2,000 program headers: the kernel loads no more than 64 KiB of them.
#[test]
fn too_many_program_headers_are_refused() {
    let dynstr = b"\0";
    let bytes = synthetic_elf(dynstr, &[], 1_998, strings(dynstr));
    let reason = malformed(&bytes);
    assert!(
        reason.contains("2000 program headers") && reason.contains("64 KiB"),
        "{reason}"
    );
    // 1,000 are read.
    let bytes = synthetic_elf(dynstr, &[], 998, strings(dynstr));
    assert!(read_facts(&bytes).is_ok());
}

/// An `ar` archive whose member header is damaged: a sentence naming the member's
/// offset and the field, not goblin's dump of the header's bytes.
#[test]
fn a_damaged_archive_header_is_a_sentence() {
    let mut archive = b"!<arch>\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(b"evil.o/         "); // name, 16
    header.extend_from_slice(b"0           "); // timestamp, 12
    header.extend_from_slice(b"0     0     "); // uid, gid
    header.extend_from_slice(b"100644  "); // mode, 8
    header.extend_from_slice(b"\x1b[2J12    "); // size, 10: not a number
    header.extend_from_slice(b"`\n");
    archive.extend_from_slice(&header);
    archive.extend_from_slice(&[0u8; 64]);
    let reason = match preflight::elf::read_other_binary(&archive) {
        Err(ElfError::Malformed(reason)) => reason,
        other => panic!("{other:?}"),
    };
    assert!(!reason.contains('['), "{reason}");
    assert!(!reason.chars().any(char::is_control), "{reason}");
    assert!(
        reason.contains("0x8") && reason.contains("size field"),
        "{reason}"
    );
}
