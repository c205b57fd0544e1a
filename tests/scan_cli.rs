//! `preflight scan` and `preflight inspect` as a user runs them.

mod common;

use serde_json::Value;
use std::fs;
use std::process::Output;

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A root with nothing in it: no loader, no library. Keeps these tests independent of
/// the machine they run on.
fn empty_root() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn scan_reports_every_elf_and_one_unreadable_entry_for_the_truncated_file() {
    let root = empty_root();
    let out = common::preflight()
        .args(["scan", "--format", "json", "--root"])
        .arg(root.path())
        .arg(common::fixtures().join("bin"))
        .output()
        .unwrap();
    // Against an empty root nothing dynamic can start: error findings, exit 1.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let files = report["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    // Paths are relative to the scanned folder; non-ELF files are skipped.
    assert!(paths.contains(&"pie-glibc234"));
    assert!(paths.contains(&"aarch64-exe"));
    assert!(!paths.iter().any(|p| p.starts_with("not-elf")));
    let unreadable: Vec<&Value> = files
        .iter()
        .filter(|f| f["status"] == "unreadable")
        .collect();
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert_eq!(unreadable[0]["path"], "truncated.so");
    assert!(unreadable[0]["reason"]
        .as_str()
        .unwrap()
        .contains("past the end of the file"));
    // Every expected record has a scanned counterpart.
    let expected = fs::read_dir(common::fixtures().join("expected"))
        .unwrap()
        .count();
    assert_eq!(
        report["summary"]["elf"].as_u64().unwrap() as usize,
        expected
    );
    assert_eq!(report["summary"]["unreadable"], 1);
    assert_eq!(report["summary"]["not_elf"], 2);
    assert!(
        files.iter().all(|f| f.get("symbols").is_none()),
        "symbols are opt-in"
    );

    let findings = report["findings"].as_array().unwrap();
    let rules_for = |path: &str| -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f["path"] == path)
            .map(|f| f["rule"].as_str().unwrap())
            .collect()
    };
    for exe in [
        "pie-glibc234",
        "aarch64-exe",
        "musl-exe",
        "i386-exe",
        "s390x-exe",
        "nonpie-exe",
    ] {
        assert_eq!(rules_for(exe), ["interpreter-missing"], "{exe}");
    }
    // Libraries no scanned executable loads are resolved alone: no libc in this root.
    let lib = rules_for("libsoname-runpath.so.1");
    assert!(lib.contains(&"missing-library"), "{lib:?}");
    assert_eq!(rules_for("truncated.so"), ["unreadable-file"]);
    assert!(rules_for("static-exe").is_empty());
    assert!(rules_for("static-pie").is_empty());
    // gcc's default -fPIE object: fine for executables, not for a shared library.
    assert_eq!(rules_for("object.o"), ["non-pic-object"]);
    let object = findings.iter().find(|f| f["path"] == "object.o").unwrap();
    assert_eq!(object["severity"], "note", "{object}");
    let missing = findings
        .iter()
        .find(|f| f["path"] == "libsoname-runpath.so.1" && f["library"] == "libm.so.6")
        .expect("libm.so.6 is reported missing");
    assert!(!missing["tried"].as_array().unwrap().is_empty());
    assert!(missing["fix"].as_str().unwrap().contains("RUNPATH"));
}

#[test]
fn scan_exits_0_when_everything_loads() {
    let dist = tempfile::tempdir().unwrap();
    fs::copy(common::fixture("static-exe"), dist.path().join("tool")).unwrap();
    fs::write(dist.path().join("README"), "docs").unwrap();
    let root = empty_root();
    let out = common::preflight()
        .args(["scan", "--root"])
        .arg(root.path())
        .arg(dist.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("0 errors"), "{text}");
}

#[test]
fn scan_table_has_a_row_per_file_and_a_summary_line() {
    let root = empty_root();
    let out = common::preflight()
        .args(["scan", "--root"])
        .arg(root.path())
        .arg(common::fixtures().join("bin"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("pie-glibc234"));
    assert!(text.contains("GLIBC_2.34"));
    assert!(text.contains("unreadable"));
    assert!(text.contains("error [interpreter-missing]"));
    assert!(text.contains("warning [unreadable-file]"));
    let last = text.lines().last().unwrap();
    assert!(
        last.contains("1 unreadable") && last.contains("2 not ELF"),
        "{last}"
    );
}

#[test]
fn inspect_json_has_the_documented_keys() {
    let out = common::preflight()
        .args(["inspect", "--format", "json"])
        .arg(common::fixture("libsoname-runpath.so.1"))
        .arg(common::fixture("truncated.so"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    let files = report.as_array().unwrap();
    assert_eq!(files.len(), 2);
    for key in [
        "path",
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
        "version_needs",
        "version_defs",
        "symbols_by_version",
    ] {
        assert!(files[0].get(key).is_some(), "missing key {key}");
    }
    assert_eq!(files[0]["runpath"], serde_json::json!(["$ORIGIN/../lib"]));
    assert_eq!(files[1]["status"], "unreadable");
}

#[test]
fn inspect_symbols_flag_adds_the_dynamic_symbol_table() {
    let out = common::preflight()
        .args(["inspect", "--format", "json", "--symbols"])
        .arg(common::fixture("pie-glibc234"))
        .output()
        .unwrap();
    let report = json(&out);
    let symbols = report[0]["symbols"].as_array().unwrap();
    let start = symbols
        .iter()
        .find(|s| s["name"] == "__libc_start_main")
        .unwrap();
    assert_eq!(start["defined"], false);
    assert_eq!(start["binding"], "global");
    assert_eq!(start["version"]["name"], "GLIBC_2.34");
    assert_eq!(start["version"]["file"], "libc.so.6");
}

#[test]
fn usage_and_io_errors_exit_2() {
    let missing = common::preflight()
        .args(["scan", "/nonexistent/dir"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let not_elf = common::preflight()
        .arg("inspect")
        .arg(common::fixture("not-elf.txt"))
        .output()
        .unwrap();
    assert_eq!(not_elf.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_elf.stderr).contains("not an ELF file"));
    let bad_flag = common::preflight()
        .args(["scan", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(bad_flag.status.code(), Some(2));
}
