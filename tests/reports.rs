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
    let artifacts = common::fixtures().join("artifacts");
    let artifacts = artifacts.to_str().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        // Archives, foreign binaries, relocations, hardening, Go and Rust facts.
        vec![
            "scan", "--format", "json", "--preset", "hardened", "--root", &root, artifacts,
        ],
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

/// Serves the schemas' `$ref`s from tests/schemas/ (CycloneDX refers to its SPDX
/// and JSF schemas by URL); nothing is fetched.
struct LocalSchemas;

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let path = schemas_dir().join(&name);
        Ok(serde_json::from_str(
            &fs::read_to_string(&path).map_err(|e| format!("{name}: {e}"))?,
        )?)
    }
}

fn schemas_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas")
}

fn official_errors(schema_file: &str, instance: &Value) -> Vec<String> {
    let schema = read_json(&schemas_dir().join(schema_file));
    let validator = jsonschema::options()
        .with_retriever(LocalSchemas)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{schema_file} compiles: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sarif_follows_the_official_sarif_2_1_0_schema() {
    let empty_root = tempfile::tempdir().unwrap();
    let fixtures = common::fixtures().join("bin");
    for args in [
        vec![
            "scan",
            "--format",
            "sarif",
            "--target",
            "ubuntu-20.04",
            "samples/dist",
        ],
        vec![
            "scan",
            "--format",
            "sarif",
            "--root",
            empty_root.path().to_str().unwrap(),
            fixtures.to_str().unwrap(),
        ],
    ] {
        let sarif = stdout_json(&run(&args));
        let errors = official_errors("sarif-schema-2.1.0.json", &sarif);
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        let run0 = &sarif["runs"][0];
        let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
        for result in run0["results"].as_array().unwrap() {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            assert!(rules[index]["help"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty()));
        }
    }
    // A broken log fails the schema: the validation is real.
    let mut bad = stdout_json(&run(&[
        "scan",
        "--format",
        "sarif",
        "--target",
        "ubuntu-20.04",
        "samples/dist",
    ]));
    bad["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!official_errors("sarif-schema-2.1.0.json", &bad).is_empty());
}

#[test]
fn cyclonedx_follows_the_official_1_5_schema_and_carries_the_graph() {
    let bom = stdout_json(&run(&[
        "scan",
        "--format",
        "cyclonedx",
        "--target",
        "debian-12",
        "samples/dist",
    ]));
    let errors = official_errors("bom-1.5.schema.json", &bom);
    assert!(errors.is_empty(), "{errors:#?}");
    let components = bom["components"].as_array().unwrap();
    let hello = components
        .iter()
        .find(|c| c["name"] == "bin/hello")
        .unwrap();
    let hash = hello["hashes"][0]["content"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    let property = |c: &Value, name: &str| {
        c["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["value"].clone())
    };
    assert_eq!(
        property(hello, "preflight:glibc-required"),
        Some(Value::from("2.34"))
    );
    assert_eq!(
        property(hello, "preflight:libc"),
        Some(Value::from("glibc"))
    );
    let deps = bom["dependencies"].as_array().unwrap();
    let of_hello = deps.iter().find(|d| d["ref"] == "file:bin/hello").unwrap();
    let depends: Vec<&str> = of_hello["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(depends.contains(&"file:lib/libgreet.so.1"), "{depends:?}");
    assert!(
        depends
            .iter()
            .any(|d| d.starts_with("host:") && d.ends_with("libc.so.6")),
        "{depends:?}"
    );
    let mut bad = bom.clone();
    bad["components"][0]["type"] = Value::from("gizmo");
    assert!(!official_errors("bom-1.5.schema.json", &bad).is_empty());
}
