//! The regression gate: `preflight diff OLD NEW` and `scan --baseline REPORT`, on the
//! bundled sample (samples/dist) and the same dist with its library rebuilt to call
//! arc4random(), which needs GLIBC_2.36 (tests/fixtures/diff/build.sh builds it).

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn run(args: &[&str]) -> Output {
    common::preflight()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// samples/dist copied, with lib/libgreet.so.1 replaced by the rebuilt one.
fn new_release() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["bin", "lib"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    for file in [
        "README.txt",
        "bin/hello",
        "bin/tool-arm64",
        "lib/libgreet.so.1",
    ] {
        std::fs::copy(repo("samples/dist").join(file), dir.path().join(file)).unwrap();
    }
    std::fs::copy(
        repo("tests/fixtures/diff/new-lib/libgreet.so.1"),
        dir.path().join("lib/libgreet.so.1"),
    )
    .unwrap();
    dir
}

#[test]
fn diff_names_exactly_the_new_glibc_need_and_the_symbol_that_pulls_it() {
    let new = new_release();
    let new = new.path().to_str().unwrap();
    let out = run(&["diff", "samples/dist", new, "--format", "json"]);
    let diff = json(&out);
    assert_eq!(
        diff["files"],
        serde_json::json!([{
            "path": "lib/libgreet.so.1",
            "status": "changed",
            "new_version_needs": [{
                "version": "GLIBC_2.36",
                "library": "libc.so.6",
                "symbols": ["arc4random"],
                "raises_from": "GLIBC_2.2.5",
                "raises": true
            }]
        }]),
        "{diff:#}"
    );
    // The same two releases against a glibc 2.35 target: the program that loads the
    // library newly fails there, and the one new finding is the version it lacks.
    let out = run(&[
        "diff",
        "samples/dist",
        new,
        "--target",
        "ubuntu-22.04",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let diff = json(&out);
    assert_eq!(
        diff["newly_failing"],
        serde_json::json!([{"target": "ubuntu-22.04", "files": ["bin/hello"]}])
    );
    let new_findings = diff["new_findings"].as_array().unwrap();
    assert_eq!(new_findings.len(), 1, "{new_findings:#?}");
    assert_eq!(new_findings[0]["rule"], "symbol-version");
    assert_eq!(new_findings[0]["path"], "bin/hello");
    assert_eq!(new_findings[0]["needed_by"], "bin/../lib/libgreet.so.1");
    assert_eq!(new_findings[0]["version"], "GLIBC_2.36");
    assert_eq!(new_findings[0]["symbol"], "arc4random");
    assert_eq!(diff["resolved_findings"], serde_json::json!([]));
    // --fail-on never: the same report, exit 0.
    let out = run(&[
        "diff",
        "samples/dist",
        new,
        "--target",
        "ubuntu-22.04",
        "--fail-on",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "lib/libgreet.so.1\n  + needs GLIBC_2.36 from libc.so.6 (arc4random): its newest need of the family was GLIBC_2.2.5\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("newly failing on ubuntu-22.04: bin/hello\n"),
        "{text}"
    );
}

#[test]
fn diff_takes_a_saved_report_as_either_side_and_shows_what_is_no_longer_needed() {
    let new = new_release();
    let new = new.path().to_str().unwrap();
    let saved = tempfile::NamedTempFile::new().unwrap();
    let out = run(&[
        "scan",
        new,
        "--target",
        "ubuntu-22.04",
        "--format",
        "json",
        "-o",
        saved.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    // NEW (saved) → the sample: the need and the failure go away.
    let out = run(&[
        "diff",
        saved.path().to_str().unwrap(),
        "samples/dist",
        "--target",
        "ubuntu-22.04",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let diff = json(&out);
    assert_eq!(
        diff["files"][0]["dropped_version_needs"][0]["version"],
        "GLIBC_2.36"
    );
    assert_eq!(
        diff["no_longer_failing"],
        serde_json::json!([{"target": "ubuntu-22.04", "files": ["bin/hello"]}])
    );
    assert_eq!(diff["resolved_findings"].as_array().unwrap().len(), 1);
    assert_eq!(diff["new_findings"], serde_json::json!([]));
}

#[test]
fn scan_with_a_baseline_fails_only_on_new_findings() {
    let new = new_release();
    let new = new.path().to_str().unwrap();
    let old_report = tempfile::NamedTempFile::new().unwrap();
    let old_path = old_report.path().to_str().unwrap();
    let out = run(&[
        "scan",
        "samples/dist",
        "--target",
        "ubuntu-22.04",
        "--format",
        "json",
        "-o",
        old_path,
    ]);
    let old: Value = serde_json::from_str(&std::fs::read_to_string(old_path).unwrap()).unwrap();
    let old_count = old["findings"].as_array().unwrap().len();
    assert!(old_count > 0, "{out:?}");
    // Every finding carries its fingerprint.
    assert!(old["findings"][0]["fingerprint"].as_str().unwrap().len() == 32);
    // The same release against its own report: nothing new, exit 0.
    let out = run(&[
        "scan",
        "samples/dist",
        "--target",
        "ubuntu-22.04",
        "--baseline",
        old_path,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report = json(&out);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["summary"]["baselined"], old_count);
    assert_eq!(report["baselined"].as_array().unwrap().len(), old_count);
    // The project's schema knows the keys a baseline adds.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schemas/scan-report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options().offline().build(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The new release against the old report: only the new need fails it.
    let out = run(&[
        "scan",
        new,
        "--target",
        "ubuntu-22.04",
        "--baseline",
        old_path,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["version"], "GLIBC_2.36");
    assert_eq!(report["summary"]["errors"], 1);
    // The table says how many were left out.
    let out = run(&[
        "scan",
        new,
        "--target",
        "ubuntu-22.04",
        "--baseline",
        old_path,
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("{old_count} already in the baseline (not shown)")),
        "{text}"
    );
}

#[test]
fn a_sarif_baseline_works_and_results_carry_their_baseline_state() {
    let new = new_release();
    let new = new.path().to_str().unwrap();
    let sarif = tempfile::NamedTempFile::new().unwrap();
    let sarif_path = sarif.path().to_str().unwrap();
    run(&[
        "scan",
        "samples/dist",
        "--target",
        "ubuntu-22.04",
        "--format",
        "sarif",
        "-o",
        sarif_path,
    ]);
    let out = run(&[
        "scan",
        new,
        "--target",
        "ubuntu-22.04",
        "--baseline",
        sarif_path,
        "--format",
        "sarif",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let log = json(&out);
    let states: Vec<(&str, &str)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap(),
                r["baselineState"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states.iter().filter(|(_, s)| *s == "new").count(),
        1,
        "{states:?}"
    );
    assert!(states.contains(&("symbol-version", "new")));
    assert!(states.iter().any(|(_, s)| *s == "unchanged"));
}

#[test]
fn a_baseline_that_is_not_a_report_is_refused_naming_the_file() {
    let bogus = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bogus.path(), "{\"hello\": 1}").unwrap();
    let out = run(&[
        "scan",
        "samples/dist",
        "--baseline",
        bogus.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("not a preflight report"), "{err}");
    assert!(err.contains(bogus.path().to_str().unwrap()), "{err}");
}

#[test]
fn diff_compares_two_images_each_its_own_host() {
    // The same files in a docker-save tarball and an OCI archive: each image is the
    // host of its own files, named differently, and nothing changed.
    let out = run(&[
        "diff",
        "tests/fixtures/images/app-docker.tar",
        "tests/fixtures/images/app-oci.tar",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let diff = json(&out);
    for key in [
        "files",
        "new_findings",
        "resolved_findings",
        "newly_failing",
    ] {
        assert_eq!(diff[key], serde_json::json!([]), "{key}: {diff:#}");
    }
}
