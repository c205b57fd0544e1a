//! Exports looked up through each library's own DT_GNU_HASH (as ld.so does) against
//! the index preflight builds from the symbol table alone: on every ELF fixture and
//! every shared library of this machine's /usr/lib/x86_64-linux-gnu, every name of
//! the symbol table (exports and references) gives the same versions either way.
//! The libraries are the machine's own (real linkers' tables); the expectation is the
//! symbol table itself, not a recorded result.

mod common;

use preflight::elf::{gnu_hash, read_facts, ElfFacts, SymbolIndex, SymbolVersion};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn elf_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            elf_files(&path, out);
        } else if kind.is_file() {
            let mut magic = [0u8; 4];
            let is_elf = std::fs::File::open(&path)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
                .is_ok()
                && magic == *b"\x7fELF";
            if is_elf {
                out.push(path);
            }
        }
    }
}

fn versions(found: Vec<Option<&SymbolVersion>>) -> Vec<String> {
    let mut v: Vec<String> = found.iter().map(|v| format!("{v:?}")).collect();
    v.sort();
    v
}

/// Compares the two lookups for every name of `facts`; whether the file's own table
/// was used.
fn agree(path: &Path, facts: &ElfFacts) -> bool {
    let through_table = SymbolIndex::of(facts);
    let indexed = SymbolIndex::indexed(facts);
    let mut names: BTreeSet<&str> = facts.symbols.iter().map(|s| s.name).collect();
    names.extend(["", "no_such_symbol", "printf", "_ZNSt8ios_base4InitC1Ev"]);
    for name in names {
        let hash = gnu_hash(name.as_bytes());
        let want = versions(indexed.exported_versions(facts, name, hash));
        let got = versions(through_table.exported_versions(facts, name, hash));
        assert_eq!(got, want, "{}: {name:?}", path.display());
    }
    // Every export is found, by the table too.
    for (i, s) in facts.symbols.iter().enumerate() {
        if facts.symbols.is_export(i) {
            let found = through_table.exported_versions(facts, s.name, gnu_hash(s.name.as_bytes()));
            assert!(
                found.contains(&s.version),
                "{}: {:?} not found",
                path.display(),
                s.name
            );
        }
    }
    through_table.uses_export_hash()
}

fn check(paths: &[PathBuf]) -> (usize, usize) {
    let (mut with_table, mut read) = (0, 0);
    for path in paths {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let Ok(facts) = read_facts(&bytes) else {
            continue;
        };
        read += 1;
        if agree(path, &facts) {
            with_table += 1;
        }
    }
    (with_table, read)
}

#[test]
fn fixture_exports_are_found_through_their_own_hash_tables_as_through_the_index() {
    let mut paths = Vec::new();
    elf_files(&common::fixtures(), &mut paths);
    let (with_table, read) = check(&paths);
    assert!(read > 50, "{read} fixtures read");
    // gcc's fixtures are linked with --hash-style=gnu.
    assert!(
        with_table > 20,
        "{with_table} of {read} used their DT_GNU_HASH"
    );
}

#[test]
fn this_machines_libraries_export_the_same_through_their_hash_tables() {
    let dir = Path::new("/usr/lib/x86_64-linux-gnu");
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("no {}: nothing to compare", dir.display());
        return;
    };
    let mut seen = BTreeSet::new();
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".so"))
        })
        .filter(|p| std::fs::canonicalize(p).is_ok_and(|real| seen.insert(real)))
        .collect();
    paths.sort();
    let (with_table, read) = check(&paths);
    eprintln!("{with_table} of {read} libraries used their DT_GNU_HASH");
    assert!(
        read == 0 || with_table * 10 >= read * 9,
        "{with_table} of {read}"
    );
}

/// The fixture library, and the offset of its `.gnu.hash`.
fn library() -> (Vec<u8>, usize) {
    let path = common::fixtures().join("resolve/origin/lib/libo.so.1");
    let bytes = std::fs::read(path).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let at = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".gnu.hash"))
        .expect("libo.so.1 has a .gnu.hash")
        .sh_offset as usize;
    (bytes, at)
}

#[test]
fn a_hostile_hash_table_is_left_for_the_index() {
    let (bytes, at) = library();
    let word = |i: usize| u32::from_le_bytes(bytes[at + i * 4..at + i * 4 + 4].try_into().unwrap());
    let facts = read_facts(&bytes).unwrap();
    assert!(
        SymbolIndex::of(&facts).uses_export_hash(),
        "the sound table is used"
    );
    // After 4 header words and the Bloom filter (2 words each in ELF64): the buckets.
    let first_bucket = 4 + 2 * word(2) as usize;
    for (i, value, why) in [
        (first_bucket, u32::MAX, "a bucket past the symbols"),
        (0, 0x4000_0000, "buckets past the end of the file"),
        (0, 0, "no buckets"),
        (2, 3, "a Bloom filter of 3 words"),
        (3, 200, "a Bloom shift past the word"),
    ] {
        let mut hostile = bytes.clone();
        hostile[at + i * 4..at + i * 4 + 4].copy_from_slice(&value.to_le_bytes());
        let facts = read_facts(&hostile).unwrap_or_else(|e| panic!("{why}: {e}"));
        assert!(!agree(Path::new(why), &facts), "{why}: the table was kept");
        let found = SymbolIndex::of(&facts).exported_versions(&facts, "o_fn", gnu_hash(b"o_fn"));
        assert_eq!(found.len(), 1, "{why}: o_fn is found through the index");
    }
}
