//! preflight's facts against binutils readelf, recorded per fixture at build time in
//! tests/fixtures/expected/ (tests/fixtures/readelf_facts.py). The expectations come
//! from an independent tool, never from preflight.

mod common;

use preflight::elf::read_facts;
use serde_json::Value;
use std::fs;

/// Keys whose value is an ordered list (file order matters to the loader).
const ORDERED: &[&str] = &[
    "class",
    "endian",
    "machine",
    "kind",
    "interpreter",
    "soname",
    "needed",
    "rpath",
    "runpath",
    "textrel",
    "executable_stack",
    "x86_isa_level",
];
/// Keys compared as sets: preflight sorts versions numerically, readelf_facts.py as text.
const AS_SETS: &[&str] = &["version_needs", "version_defs", "symbols_by_version"];

fn sorted(value: &Value) -> Value {
    match value {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(sorted).collect();
            items.sort_by_key(|v| v.to_string());
            Value::Array(items)
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), sorted(v))).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn every_fixture_agrees_with_readelf() {
    let expected_dir = common::fixtures().join("expected");
    let mut compared = Vec::new();
    let mut mismatches = Vec::new();
    for entry in fs::read_dir(&expected_dir).expect("tests/fixtures/expected exists") {
        let path = entry.unwrap().path();
        let expected: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if expected.get("unreadable") == Some(&Value::Bool(true)) {
            continue;
        }
        let bytes = fs::read(common::fixture(&name)).unwrap();
        let facts = read_facts(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let actual = serde_json::to_value(&facts).unwrap();
        for key in ORDERED {
            if actual[key] != expected[key] {
                mismatches.push(format!(
                    "{name}.{key}: preflight {} readelf {}",
                    actual[key], expected[key]
                ));
            }
        }
        for key in AS_SETS {
            if sorted(&actual[key]) != sorted(&expected[key]) {
                mismatches.push(format!(
                    "{name}.{key}: preflight {} readelf {}",
                    actual[key], expected[key]
                ));
            }
        }
        compared.push(name);
    }
    assert!(
        mismatches.is_empty(),
        "disagreements with readelf:\n{}",
        mismatches.join("\n")
    );
    compared.sort();
    // The fixtures the issue asks for must all have been compared.
    for required in [
        "pie-glibc234",
        "libsoname-runpath.so.1",
        "librpath.so",
        "libtextrel.so",
        "static-exe",
        "static-pie",
        "aarch64-exe",
        "musl-exe",
        "i386-exe",
        "s390x-exe",
        "nonpie-exe",
        "object.o",
    ] {
        assert!(
            compared.iter().any(|c| c == required),
            "{required} has no readelf record"
        );
    }
}

#[test]
fn glibc_234_need_is_traced_to_libc_start_main() {
    let facts = read_facts(&fs::read(common::fixture("pie-glibc234")).unwrap()).unwrap();
    let needs = facts.symbols_by_version();
    let start_main = needs
        .iter()
        .find(|(version, _)| version.as_str() == "GLIBC_2.34")
        .map(|(_, symbols)| symbols.clone());
    assert_eq!(start_main, Some(vec!["__libc_start_main"]));
    let highest: Vec<&str> = facts
        .highest_needed_versions()
        .iter()
        .map(|v| v.as_str())
        .collect();
    assert_eq!(highest, ["GLIBC_2.34"]);
}

#[test]
fn defined_and_undefined_symbols_keep_version_and_binding() {
    let facts = read_facts(&fs::read(common::fixture("libsoname-runpath.so.1")).unwrap()).unwrap();
    let pow = facts
        .symbols
        .iter()
        .find(|s| s.name == "pow")
        .expect("pow is imported");
    assert!(!pow.defined);
    let version = pow.version.as_ref().expect("pow is versioned");
    assert_eq!(version.name.as_str(), "GLIBC_2.29");
    assert_eq!(version.file.as_deref(), Some("libm.so.6"));
    // Every version the library defines is carried by at least one defined symbol.
    for def in &facts.version_defs {
        assert!(
            facts.symbols.iter().any(|s| s.defined
                && s.version
                    .as_ref()
                    .is_some_and(|v| &v.name == def && v.file.is_none())),
            "no defined symbol carries {def}"
        );
    }
}

/// Clears e_shoff, e_shnum and e_shstrndx, as `sstrip` does: the loader never needed
/// the section headers, and neither may preflight.
fn without_section_headers(bytes: &[u8]) -> Vec<u8> {
    let mut copy = bytes.to_vec();
    let is64 = copy[4] == 2;
    let (shoff, shnum) = if is64 {
        (0x28..0x30, 0x3c..0x40)
    } else {
        (0x20..0x24, 0x30..0x34)
    };
    copy[shoff].fill(0);
    copy[shnum].fill(0); // e_shnum and e_shstrndx
    copy
}

#[test]
fn stripped_section_headers_give_the_same_facts_through_the_dynamic_section() {
    let mut checked = 0;
    for name in [
        "pie-glibc234",
        "libsoname-runpath.so.1",
        "librpath.so",
        "aarch64-exe",
        "i386-exe",
        "s390x-exe",
        "musl-exe",
        "nonpie-exe",
    ] {
        let bytes = fs::read(common::fixture(name)).unwrap();
        let mut with = read_facts(&bytes).unwrap();
        let without = read_facts(&without_section_headers(&bytes))
            .unwrap_or_else(|e| panic!("{name} without section headers: {e}"));
        assert!(!with.symbols.is_empty(), "{name} has dynamic symbols");
        // `.comment` is not loaded: only a section header finds it.
        assert!(
            !with.compilers.is_empty() && without.compilers.is_empty(),
            "{name}"
        );
        with.compilers.clear();
        assert_eq!(with, without, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 8);
}
