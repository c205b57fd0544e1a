//! Report formats: the JSON report against the project's own schema, SARIF and
//! CycloneDX against their official schemas (tests/schemas/), the table and Markdown
//! reports as snapshots, GitHub workflow commands, and exit codes per fail level.

mod common;

use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    common::preflight().args(args).output().unwrap()
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// Every error of `instance` against `schema`, as text.
fn schema_errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .offline()
        .build(schema)
        .expect("the schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn json_reports_follow_the_projects_own_schema() {
    let schema =
        read_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/scan-report.schema.json"));
    let empty_root = tempfile::tempdir().unwrap();
    let root = empty_root.path().to_str().unwrap().to_string();
    let fixtures = common::fixtures().join("bin");
    let fixtures = fixtures.to_str().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "scan",
            "--format",
            "json",
            "--target",
            "ubuntu-20.04",
            "samples/dist",
        ],
        vec!["scan", "--format", "json", "--root", &root, fixtures],
        vec![
            "scan",
            "--format",
            "json",
            "--symbols",
            "--target",
            "debian-13",
            "--target",
            "alpine-3.20",
            fixtures,
        ],
    ];
    for args in runs {
        let out = run(&args);
        let report = stdout_json(&out);
        assert_eq!(report["schema_version"], 1);
        let errors = schema_errors(&schema, &report);
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        assert!(
            !report["findings"].as_array().unwrap().is_empty(),
            "{args:?} has findings to check"
        );
    }
    // The schema is not a rubber stamp: a report with a misspelt rule fails it.
    let mut bad = stdout_json(&run(&[
        "scan",
        "--format",
        "json",
        "--target",
        "ubuntu-20.04",
        "samples/dist",
    ]));
    bad["findings"][0]["rule"] = Value::from("symbol-versions");
    assert!(!schema_errors(&schema, &bad).is_empty());
}

#[test]
fn table_and_markdown_reports_are_stable() {
    let table = run(&["scan", "--target", "ubuntu-20.04", "samples/dist"]);
    assert_eq!(table.status.code(), Some(1));
    insta::assert_snapshot!(
        "scan_table_ubuntu_20_04",
        String::from_utf8(table.stdout).unwrap()
    );
    let markdown = run(&[
        "scan",
        "--format",
        "markdown",
        "--target",
        "ubuntu-20.04",
        "samples/dist",
    ]);
    insta::assert_snapshot!(
        "scan_markdown_ubuntu_20_04",
        String::from_utf8(markdown.stdout).unwrap()
    );
    let runs_on = run(&["scan", "--runs-on", "samples/dist"]);
    assert_eq!(runs_on.status.code(), Some(0));
    insta::assert_snapshot!("scan_runs_on", String::from_utf8(runs_on.stdout).unwrap());
}

#[test]
fn github_annotations_name_the_file_and_escape_their_fields() {
    let out = run(&[
        "scan",
        "--format",
        "github",
        "--target",
        "ubuntu-20.04",
        "samples/dist",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(
            "::error file=samples/dist/bin/hello,title=preflight symbol-version on ubuntu-20.04::"
        ),
        "{}",
        lines[0]
    );
    // Multi-line messages are one line on the wire, newlines as %0A.
    assert!(lines[0].contains("%0Awhy: ") && !lines[0].contains('\r'));
    assert!(lines
        .last()
        .unwrap()
        .starts_with("::notice title=preflight::"));
    assert_eq!(preflight::report::escape_property("a:b,c"), "a%3Ab%2Cc");
    assert_eq!(preflight::report::escape_data("50%\n"), "50%25%0A");
}

#[test]
fn exit_codes_follow_the_fail_level() {
    // samples/dist on ubuntu-22.04: only the arm64 helper errs (arch-mismatch).
    let dist = tempfile::tempdir().unwrap();
    fs::copy(
        common::fixture("libtextrel.so"),
        dist.path().join("libtextrel.so"),
    )
    .unwrap();
    fs::copy(common::fixture("pie-glibc234"), dist.path().join("app")).unwrap();
    let dir = dist.path().to_str().unwrap();
    let code = |fail_on: &str, target: &str| {
        run(&[
            "scan",
            "--quiet",
            "--fail-on",
            fail_on,
            "--target",
            target,
            dir,
        ])
        .status
        .code()
    };
    // On 22.04 only a textrel warning: fails from `warning` down.
    assert_eq!(code("error", "ubuntu-22.04"), Some(0));
    assert_eq!(code("warning", "ubuntu-22.04"), Some(1));
    assert_eq!(code("note", "ubuntu-22.04"), Some(1));
    assert_eq!(code("never", "ubuntu-22.04"), Some(0));
    // On 20.04 the GLIBC_2.34 error fails every level but `never`.
    assert_eq!(code("error", "ubuntu-20.04"), Some(1));
    assert_eq!(code("never", "ubuntu-20.04"), Some(0));
    // Usage and input errors: 2.
    assert_eq!(
        run(&["scan", "--target", "no-such-distro", dir])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["scan", "--fail-on", "sometimes", dir]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["inspect", "--format", "sarif", dir]).status.code(),
        Some(2)
    );
}

#[test]
fn output_goes_to_a_file_and_quiet_silences_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.sarif");
    let out = run(&[
        "scan",
        "--quiet",
        "--format",
        "sarif",
        "--target",
        "ubuntu-20.04",
        "--output",
        file.to_str().unwrap(),
        "samples/dist",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let sarif = read_json(&file);
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let uri = &results[0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(uri["uri"], "bin/hello");
    assert_eq!(uri["uriBaseId"], "SRCROOT");
}

#[test]
fn completions_and_man_page() {
    let bash = run(&["completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bash.stdout).contains("--runs-on"));
    let man = run(&["man"]);
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(
        text.starts_with(".ie") || text.contains(".TH preflight"),
        "{}",
        &text[..200.min(text.len())]
    );
}
