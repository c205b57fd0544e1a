//! dlopen() dependencies declared in `.note.dlopen` (the freedesktop.org "ELF dlopen
//! metadata" spec), on the fixture tests/fixtures/dlopen/build.sh builds with gcc:
//! read by `inspect`, searched like NEEDED by `scan` and `tree`, each missing one a
//! finding whose severity is the note's priority.

mod common;

use serde_json::Value;

fn dist(path: &str) -> String {
    common::fixtures()
        .join("dlopen/dist")
        .join(path)
        .to_str()
        .unwrap()
        .to_string()
}

fn run_json(args: &[&str]) -> Value {
    let out = common::preflight().args(args).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: {e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn inspect_reads_the_note_as_an_array_and_as_a_single_object() {
    let app = run_json(&["inspect", &dist("bin/app"), "--format", "json"]);
    assert_eq!(
        app[0]["dlopen"],
        serde_json::json!([
            {"feature": "compression", "description": "Compressed journal files",
             "priority": "required", "soname": ["libdlreq.so.1"]},
            {"feature": "tpm2", "description": "Unlocking with a TPM2 chip",
             "priority": "required", "soname": ["libdlmissing-tpm2.so.0"]},
            {"feature": "idn", "description": "Internationalized domain names",
             "priority": "recommended", "soname": ["libdlmissing-idn2.so.0", "libdlmissing-idn.so.12"]},
            {"feature": "qrcode", "description": "Showing recovery keys as QR codes",
             "priority": "suggested", "soname": ["libdlmissing-qrencode.so.4"]},
        ])
    );
    // The first version of the spec: one object, a string soname, no priority
    // (taken as "recommended").
    let host = run_json(&["inspect", &dist("lib/libhost.so.1"), "--format", "json"]);
    assert_eq!(
        host[0]["dlopen"],
        serde_json::json!([{"feature": "pcre2", "description": "Regular expressions in filters",
                            "priority": "recommended", "soname": ["libdlmissing-pcre2-8.so.0"]}])
    );
    // No note, no key.
    let plain = run_json(&["inspect", &dist("lib/libdlreq.so.1"), "--format", "json"]);
    assert!(plain[0].get("dlopen").is_none());
}

#[test]
fn each_missing_dlopen_dependency_is_a_finding_with_the_notes_priority() {
    let report = run_json(&["scan", &dist(""), "--format", "json"]);
    let mut found: Vec<(String, String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "dlopen-missing")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["library"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    let summary: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|(p, s, l, _)| (p.as_str(), s.as_str(), l.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("bin/app", "error", "libdlmissing-tpm2.so.0"),
            ("bin/app", "note", "libdlmissing-qrencode.so.4"),
            ("bin/app", "warning", "libdlmissing-idn2.so.0"),
            // A library the program loads: its own note is checked too.
            ("lib/libhost.so.1", "warning", "libdlmissing-pcre2-8.so.0"),
        ],
        "{found:#?}"
    );
    let idn = &found[2].3;
    assert!(
        idn.starts_with("libdlmissing-idn2.so.0 or libdlmissing-idn.so.12 (dlopen()ed for idn, recommended) is not found on "),
        "{idn}"
    );
    let tpm = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["library"] == "libdlmissing-tpm2.so.0")
        .unwrap();
    assert!(tpm["why"]
        .as_str()
        .unwrap()
        .contains("tpm2 is core functionality"));
    // Searched as dlopen() from bin/app searches: its RUNPATH first.
    assert!(
        tpm["tried"][0]
            .as_str()
            .unwrap()
            .contains("lib/libdlmissing-tpm2.so.0 (runpath): absent"),
        "{tpm}"
    );
    // The shipped one is found: no finding names it.
    assert!(!found.iter().any(|f| f.2 == "libdlreq.so.1"));
}

#[test]
fn tree_shows_where_each_declared_library_was_found() {
    let tree = run_json(&["tree", &dist("bin/app"), "--format", "json"]);
    let dlopen = tree["dlopen"].as_array().unwrap();
    assert_eq!(dlopen.len(), 4);
    assert_eq!(dlopen[0]["found"], "libdlreq.so.1");
    assert!(dlopen[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("dlopen/dist/bin/../lib/libdlreq.so.1"));
    assert_eq!(dlopen[1]["found"], Value::Null);
    assert_eq!(
        dlopen[2]["soname"],
        serde_json::json!(["libdlmissing-idn2.so.0", "libdlmissing-idn.so.12"])
    );
}
