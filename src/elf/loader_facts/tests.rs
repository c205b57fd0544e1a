//! The lean reader against the full one: where it answers, the loader's facts are
//! the same; where the file is cut short or damaged, it answers nothing or the same.

use super::read_loader_facts;
use crate::elf::{read_facts_with, Detail, ElfFacts};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a dependency tree reads of the facts.
fn loader_view(f: &ElfFacts) -> String {
    format!(
        "{:?} {:?} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {} {} {:?} {:?} {:?}",
        f.class,
        f.endian,
        f.machine,
        f.e_machine,
        f.kind,
        f.interpreter,
        f.soname,
        f.needed,
        f.rpath,
        f.runpath,
        f.textrel,
        f.nodeflib,
        f.version_needs,
        f.version_defs,
        f.dlopen,
    )
}

fn elf_fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut found = Vec::new();
    let mut pending = vec![root];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if std::fs::read(&path).is_ok_and(|b| b.starts_with(b"\x7fELF")) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The lean answer for `bytes`, written to a file.
fn lean(bytes: &[u8]) -> Option<ElfFacts> {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(bytes).unwrap();
    read_loader_facts(&file, bytes.len() as u64)
}

/// Some(facts) must be the full reader's facts; None is "read it in full".
fn check(what: &str, bytes: &[u8]) -> bool {
    check_with(what, bytes, true)
}

/// `check`, the version tables compared only when `versions`.
fn check_with(what: &str, bytes: &[u8], versions: bool) -> bool {
    let Some(mut lean) = lean(bytes) else {
        return false;
    };
    match read_facts_with(bytes, Detail::Links) {
        Ok(mut full) => {
            if !versions {
                for f in [&mut lean, &mut full] {
                    f.version_needs.clear();
                    f.version_defs.clear();
                }
            }
            assert_eq!(loader_view(&lean), loader_view(&full), "{what}")
        }
        Err(e) => panic!("{what}: the lean reader read what the full one refuses: {e}"),
    }
    true
}

#[test]
fn the_fixtures_read_as_the_full_reader_reads_them() {
    let fixtures = elf_fixtures();
    assert!(fixtures.len() > 50, "{}", fixtures.len());
    let mut read = 0;
    for path in &fixtures {
        read += usize::from(check(
            &path.display().to_string(),
            &std::fs::read(path).unwrap(),
        ));
    }
    // The executables and libraries, not only the fallbacks.
    assert!(read > 40, "only {read} of {} read lean", fixtures.len());
}

#[test]
fn this_machines_libraries_read_as_the_full_reader_reads_them() {
    let mut read = 0;
    for dir in [
        "/usr/bin",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
    ] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten().take(400) {
            let path = entry.path();
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            read += usize::from(check(&path.display().to_string(), &bytes));
        }
    }
    assert!(read > 0);
}

/// Cut short anywhere, or with bytes of its headers and dynamic section damaged: the
/// lean reader gives the full reader's facts or leaves the file to it, never facts
/// the full reader would refuse (its error messages stay the ones users see).
#[test]
fn damaged_files_are_left_to_the_full_reader() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resolve/old-version/bin/app");
    let bytes = std::fs::read(path).unwrap();
    assert!(check("whole", &bytes));
    let mut cut_and_read = 0;
    for len in (0..bytes.len()).step_by(61) {
        cut_and_read += usize::from(check(&format!("cut at {len}"), &bytes[..len]));
    }
    // The file's last section headers go first: nothing short of whole reads lean.
    assert_eq!(cut_and_read, 0);
    // Damage: a deterministic sequence of bytes changed in the first 4 KiB (headers,
    // interpreter, notes, the tables of a small file). The version tables are found
    // two ways: the full reader takes them from the section headers, as readelf does,
    // the lean one through PT_DYNAMIC's DT_VERNEED/DT_VERDEF and walks them as ld.so
    // does (elf/dl-version.c), to the end of their segment. Damage to the program
    // headers, PT_DYNAMIC or the tables themselves makes the two disagree, as the loader and
    // readelf then disagree; their facts are compared when the damage is elsewhere.
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let tables: Vec<std::ops::Range<usize>> = elf
        .section_headers
        .iter()
        .filter(|s| {
            use goblin::elf::section_header::{SHT_GNU_VERDEF, SHT_GNU_VERNEED};
            s.sh_type == SHT_GNU_VERNEED || s.sh_type == SHT_GNU_VERDEF
        })
        .map(|s| s.sh_offset as usize..(s.sh_offset + s.sh_size) as usize)
        .collect();
    assert!(!tables.is_empty());
    let headers = 0..(elf.header.e_phoff as usize + elf.program_headers.len() * 56);
    let dynamic = elf
        .program_headers
        .iter()
        .find(|p| p.p_type == goblin::elf::program_header::PT_DYNAMIC)
        .map(|p| p.p_offset as usize..(p.p_offset + p.p_filesz) as usize)
        .unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..3000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut damaged = bytes.clone();
        let at = (seed % 4096.min(bytes.len() as u64)) as usize;
        damaged[at] = (seed >> 32) as u8;
        let versions = ![&headers, &dynamic].iter().any(|r| r.contains(&at))
            && !tables.iter().any(|t| t.contains(&at));
        let what = format!("round {round}: byte {at:#x} set to {:#x}", damaged[at]);
        check_with(&what, &damaged, versions);
    }
}
