//! Waived findings stay visible: JSON `waived` with each waiver's reason and
//! file:line, SARIF results with an external suppression (validated against the
//! official SARIF 2.1.0 schema), a count in the table and Markdown that
//! `--show-waived` expands; an unused waiver of a policy file outside the scanned
//! folder is located at that file's line in SARIF and GitHub output.

mod common;

use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    common::preflight()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// A policy outside the scanned folder: line 2 waives the arm64 helper's
/// arch-mismatch, line 5 waives nothing.
fn policy() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        "waivers:\n  - rule: arch-mismatch\n    path: \"bin/tool-*\"\n    reason: the arm64 helper ships in the arm64 image only\n  - rule: rpath\n    path: \"lib/nothing\"\n    reason: left over\n",
    )
    .unwrap();
    file
}

fn scan(policy: &str, format: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "scan",
        "samples/dist",
        "--target",
        "ubuntu-22.04",
        "--policy",
        policy,
        "--format",
        format,
    ];
    args.extend(extra);
    run(&args)
}

#[test]
fn json_lists_each_waived_finding_with_its_waiver() {
    let file = policy();
    let path = file.path().to_str().unwrap();
    let report: Value = serde_json::from_slice(&scan(path, "json", &[]).stdout).unwrap();
    assert_eq!(report["summary"]["waived"], 1);
    let waived = report["waived"].as_array().unwrap();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["rule"], "arch-mismatch");
    assert_eq!(waived[0]["path"], "bin/tool-arm64");
    assert_eq!(
        waived[0]["waiver"],
        serde_json::json!({"reason": "the arm64 helper ships in the arm64 image only", "file": path, "line": 2})
    );
    assert!(!report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "arch-mismatch"));
    let unused = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "unused-waiver")
        .unwrap();
    assert_eq!(unused["path"], path);
    assert_eq!(unused["line"], 5);
    // The project's schema knows both.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/scan-report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options().offline().build(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn sarif_suppresses_waived_results_and_locates_the_unused_waiver_at_its_line() {
    let file = policy();
    let path = file.path().to_str().unwrap();
    let sarif: Value = serde_json::from_slice(&scan(path, "sarif", &[]).stdout).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let waived: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["ruleId"], "arch-mismatch");
    let suppression = &waived[0]["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert_eq!(
        suppression["justification"],
        "the arm64 helper ships in the arm64 image only"
    );
    let at = &suppression["location"]["physicalLocation"];
    assert_eq!(at["artifactLocation"]["uri"], format!("file://{path}"));
    assert_eq!(at["region"]["startLine"], 2);
    let unused = results
        .iter()
        .find(|r| r["ruleId"] == "unused-waiver")
        .unwrap();
    let at = &unused["locations"][0]["physicalLocation"];
    assert_eq!(at["artifactLocation"]["uri"], format!("file://{path}"));
    assert!(at["artifactLocation"].get("uriBaseId").is_none());
    assert_eq!(at["region"]["startLine"], 5);
}

#[test]
fn github_output_puts_the_unused_waiver_on_its_line() {
    let file = policy();
    let path = file.path().to_str().unwrap();
    let text = String::from_utf8(scan(path, "github", &[]).stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("unused-waiver"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.starts_with(&format!(
            "::notice file={},line=5,title=preflight unused-waiver::",
            path.replace(':', "%3A")
        )),
        "{line}"
    );
}

#[test]
fn table_and_markdown_count_waived_findings_and_list_them_when_asked() {
    let file = policy();
    let path = file.path().to_str().unwrap();
    let plain = String::from_utf8(scan(path, "table", &[]).stdout).unwrap();
    assert!(plain.contains(", 1 waived"), "{plain}");
    assert!(!plain.contains("waived ("), "{plain}");
    let listed = String::from_utf8(scan(path, "table", &["--show-waived"]).stdout).unwrap();
    assert!(
        listed.contains(&format!(
            "waived (1):\n  bin/tool-arm64: error [arch-mismatch] on ubuntu-22.04: is ELF64 aarch64 but ubuntu-22.04 (linux/amd64) is ELF64 x86_64 (waived by {path}:2: the arm64 helper ships in the arm64 image only)\n"
        )),
        "{listed}"
    );
    let markdown = String::from_utf8(scan(path, "markdown", &["--show-waived"]).stdout).unwrap();
    assert!(
        markdown.contains("<details><summary>1 waived</summary>"),
        "{markdown}"
    );
    assert!(
        markdown.contains("the arm64 helper ships in the arm64 image only"),
        "{markdown}"
    );
}
