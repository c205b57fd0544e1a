//! `write_tree_json` writes what serde_json's pretty writer wrote for the same
//! entries: every field filled, every list empty, strings that need escapes, one
//! entry and several. (The comparison of whole trees of /usr is bench work.)

use super::{write_tree_json, write_tree_json_serde, TreeResult};
use crate::elf::{DlopenPriority, Kind, Libc};
use crate::resolve::{
    Attempt, AttemptOutcome, DlopenLibrary, Edge, FoundBy, HostSymbols, LoadedObject,
    MissingLibrary, Resolution, StaleCacheEntry, UnboundSymbol, VersionGap,
};

const ODD: &str = "a \"quoted\" \\ back\nslash\t\u{1}\u{1f}\u{7f} é 🦀/";

fn bare(path: &str) -> Resolution {
    Resolution {
        path: path.into(),
        view_path: path.into(),
        root: "root /".into(),
        kind: Kind::SharedLibrary,
        loader: None,
        interpreter: None,
        interpreter_missing: false,
        loaded: vec![],
        missing: vec![],
        edges: vec![],
        version_gaps: vec![],
        unbound_symbols: vec![],
        host_symbols: vec![],
        opened_in: None,
        module_of: None,
        dlopen: vec![],
        stale_cache: vec![],
    }
}

fn attempt(outcome: AttemptOutcome) -> Attempt {
    Attempt {
        path: format!("/lib/{ODD}"),
        found_by: FoundBy::Runpath,
        outcome,
    }
}

fn full() -> Resolution {
    let loaded = |via: Option<&str>, found_by| LoadedObject {
        soname: "libz.so.1".into(),
        path: format!("/usr/lib/{ODD}"),
        real_path: "/usr/lib/libz.so.1.3".into(),
        found_by,
        via: via.map(String::from),
        needed_by: "/usr/bin/x".into(),
        depth: 12,
        object: None,
    };
    Resolution {
        kind: Kind::PieExecutable,
        loader: Some(Libc::Glibc),
        interpreter: Some("/lib64/ld-linux-x86-64.so.2".into()),
        interpreter_missing: true,
        loaded: vec![
            loaded(None, FoundBy::Interpreter),
            loaded(Some(ODD), FoundBy::Rpath),
            loaded(Some(""), FoundBy::LdSoConf),
            loaded(None, FoundBy::LdSoCache),
            loaded(None, FoundBy::MuslPath),
            loaded(None, FoundBy::LdLibraryPath),
            loaded(None, FoundBy::Default),
            loaded(None, FoundBy::Path),
        ],
        missing: vec![
            MissingLibrary {
                soname: ODD.into(),
                needed_by: "/usr/bin/x".into(),
                tried: vec![
                    attempt(AttemptOutcome::Absent),
                    attempt(AttemptOutcome::WrongArch("ELFCLASS32".into())),
                    attempt(AttemptOutcome::NotInCache(ODD.into())),
                    attempt(AttemptOutcome::Fatal("not ELF".into())),
                    attempt(AttemptOutcome::Loop),
                ],
            },
            MissingLibrary {
                soname: "libgone.so".into(),
                needed_by: "/usr/bin/x".into(),
                tried: vec![],
            },
        ],
        edges: vec![
            Edge {
                from: "/usr/bin/x".into(),
                name: ODD.into(),
                to: None,
                found_by: None,
            },
            Edge {
                from: "/usr/bin/x".into(),
                name: "libz.so.1".into(),
                to: Some("/usr/lib/libz.so.1".into()),
                found_by: Some(FoundBy::AlreadyLoaded),
            },
        ],
        version_gaps: vec![VersionGap {
            library: "libc.so.6".into(),
            library_path: "/lib/libc.so.6".into(),
            version: "GLIBC_2.99".into(),
            needed_by: ODD.into(),
            symbols: vec!["memcpy".into(), ODD.into()],
            newest_available: Some("GLIBC_2.39".into()),
        }],
        unbound_symbols: vec![
            UnboundSymbol {
                symbol: "f".into(),
                version: None,
                needed_by: "/usr/bin/x".into(),
            },
            UnboundSymbol {
                symbol: ODD.into(),
                version: Some("V_1".into()),
                needed_by: "/usr/bin/x".into(),
            },
        ],
        host_symbols: vec![HostSymbols {
            host: "the Python interpreter".into(),
            needed_by: ODD.into(),
            count: 3,
            symbols: vec!["Py_None".into()],
        }],
        opened_in: Some(ODD.into()),
        module_of: Some("the program nginx".into()),
        dlopen: vec![
            DlopenLibrary {
                needed_by: "/usr/bin/x".into(),
                feature: Some(ODD.into()),
                priority: DlopenPriority::Recommended,
                soname: vec!["libfoo.so.1".into(), "libfoo.so.0".into()],
                found: None,
                path: None,
                tried: vec![attempt(AttemptOutcome::Absent)],
            },
            DlopenLibrary {
                needed_by: "/usr/bin/x".into(),
                feature: None,
                priority: DlopenPriority::Required,
                soname: vec![],
                found: Some("libbar.so".into()),
                path: Some("/lib/libbar.so".into()),
                tried: vec![],
            },
        ],
        stale_cache: vec![StaleCacheEntry {
            soname: "libz.so.1".into(),
            needed_by: "/usr/bin/x".into(),
            cache_path: None,
            cache_error: Some(ODD.into()),
            conf_path: Some("/opt/lib/libz.so.1".into()),
            loaded: None,
        }],
        ..bare(ODD)
    }
}

fn both(entries: &[TreeResult]) -> (String, String) {
    let (mut direct, mut serde) = (Vec::new(), Vec::new());
    write_tree_json(&mut direct, entries).unwrap();
    write_tree_json_serde(&mut serde, entries).unwrap();
    (
        String::from_utf8(direct).unwrap(),
        String::from_utf8(serde).unwrap(),
    )
}

fn resolved(r: Resolution) -> TreeResult {
    TreeResult::Resolved(Box::new(r))
}

#[test]
fn one_entry_with_every_field_is_written_as_serde_writes_it() {
    let (direct, serde) = both(&[resolved(full())]);
    assert!(serde.contains("\"stale_cache\"") && serde.contains("\\u001f"));
    assert_eq!(direct, serde);
}

#[test]
fn one_entry_with_empty_lists_is_written_as_serde_writes_it() {
    let (direct, serde) = both(&[resolved(bare("/usr/bin/ls"))]);
    assert_eq!(direct, serde);
}

#[test]
fn several_entries_and_a_failure_are_written_as_serde_writes_them() {
    let entries = [
        resolved(full()),
        TreeResult::Failed {
            path: ODD.into(),
            error: "not an ELF file".into(),
        },
        resolved(bare("/usr/bin/ls")),
        resolved(full()),
    ];
    let (direct, serde) = both(&entries);
    assert_eq!(direct, serde);
    let (direct, serde) = both(&[]);
    assert_eq!(direct, serde);
}

#[test]
fn deep_indentation_is_written_past_the_spaces_kept() {
    let mut out = Vec::new();
    super::super::tree_json::serde_at(&mut out, 40, &vec![vec![1]]).unwrap();
    let expected = format!("[\n{0}  [\n{0}    1\n{0}  ]\n{0}]", " ".repeat(80));
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn strings_needing_no_escape_are_told_apart_at_every_position() {
    for len in [1usize, 15, 16, 17, 40] {
        for at in 0..len {
            for byte in 0u8..=255 {
                let mut text = vec![b'a'; len];
                text[at] = byte;
                let expected = byte >= 0x20 && byte != b'"' && byte != b'\\';
                assert_eq!(
                    super::super::tree_json::plain(&text),
                    expected,
                    "{byte} at {at}/{len}"
                );
            }
        }
    }
}
