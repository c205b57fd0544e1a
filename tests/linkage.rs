//! Linkage assertions of the policy file (`linkage:` require / forbid / allow_only
//! per path glob) and waivers that match on `library:` and `symbol:`, on the bundled
//! sample (samples/dist: bin/hello links lib/libgreet.so.1 and libc.so.6).

mod common;

use serde_json::Value;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    common::preflight()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn policy(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

const ASSERTIONS: &str = "\
linkage:
  - path: \"bin/hello\"
    forbid: [\"libgreet.so.*\"]
    reason: libgreet is being retired
  - path: \"lib/*.so*\"
    require: [\"libm.so.6\"]
    reason: every library uses the team's libm
  - path: \"bin/tool-*\"
    allow_only: [\"libz.so.1\"]
    reason: tools may only take zlib from the host
";

/// (rule, path, library, message) of the linkage findings of a scan.
fn linkage(report: &Value) -> Vec<(String, String, String, String)> {
    let mut found: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("linkage-"))
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("rule"), s("path"), s("library"), s("message"))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn each_assertion_is_a_finding_of_its_own_rule_with_the_reason() {
    let file = policy(ASSERTIONS);
    let path = file.path().to_str().unwrap();
    let out = run(&["scan", "samples/dist", "--policy", path, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = linkage(&report);
    let short: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|(r, p, l, _)| (r.as_str(), p.as_str(), l.as_str()))
        .collect();
    assert_eq!(
        short,
        [
            ("linkage-forbidden", "bin/hello", "libgreet.so.1"),
            ("linkage-not-allowed", "bin/tool-arm64", "libc.so.6"),
            ("linkage-required", "lib/libgreet.so.1", "libm.so.6"),
        ]
    );
    assert_eq!(
        found[0].3,
        format!(
            "links libgreet.so.1, which the policy forbids for bin/hello (libgreet.so.*, {path}:2)"
        )
    );
    let forbidden = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "linkage-forbidden")
        .unwrap();
    assert_eq!(
        forbidden["why"],
        "The policy forbids libgreet.so.1 here: libgreet is being retired"
    );
    // bin/hello's libgreet.so.1 is shipped: allow_only judges only external sonames,
    // and bin/hello is not under bin/tool-*.
    assert!(!found
        .iter()
        .any(|f| f.0 == "linkage-not-allowed" && f.2 == "libgreet.so.1"));
}

#[test]
fn waivers_match_on_library_and_symbol() {
    let file = policy(&format!(
        "{ASSERTIONS}waivers:
  - rule: linkage-forbidden
    path: \"bin/*\"
    library: \"libgreet.so.*\"
    reason: retired in the next release
  - rule: linkage-required
    path: \"lib/*\"
    library: \"libpthread*\"
    reason: matches no library of the findings
"
    ));
    let path = file.path().to_str().unwrap();
    let out = run(&["scan", "samples/dist", "--policy", path, "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<String> = linkage(&report).into_iter().map(|f| f.0).collect();
    // The first waiver silences the forbidden libgreet; the second names another
    // library, so the required libm stays, and the waiver is reported unused.
    assert_eq!(rules, ["linkage-not-allowed", "linkage-required"]);
    let unused: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unused-waiver")
        .collect();
    assert_eq!(unused.len(), 1, "{unused:#?}");
    assert!(unused[0]["message"]
        .as_str()
        .unwrap()
        .contains("linkage-required"));
    // symbol: the one new need of the rebuilt library, arc4random@GLIBC_2.36.
    let dist = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dist.path().join("lib")).unwrap();
    std::fs::copy(
        common::fixtures().join("diff/new-lib/libgreet.so.1"),
        dist.path().join("lib/libgreet.so.1"),
    )
    .unwrap();
    let dir = dist.path().to_str().unwrap();
    let scan = |policy_text: &str| {
        let file = policy(policy_text);
        let out = run(&[
            "scan",
            dir,
            "--target",
            "ubuntu-22.04",
            "--policy",
            file.path().to_str().unwrap(),
            "--format",
            "json",
        ]);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let waiver = |symbol: &str| {
        format!(
            "waivers:\n  - rule: symbol-version\n    path: \"lib/*\"\n    symbol: \"{symbol}\"\n    reason: only the greeting number needs it\n"
        )
    };
    assert_eq!(scan(&waiver("arc4random")), Vec::<String>::new());
    let mut rules = scan(&waiver("memcpy"));
    rules.sort();
    assert_eq!(rules, ["symbol-version", "unused-waiver"]);
}

#[test]
fn a_linkage_assertion_without_a_reason_or_a_check_is_refused_with_its_line() {
    let file = policy("linkage:\n  - path: \"bin/*\"\n    reason: \"\"\n    forbid: [\"[\"]\n");
    let out = run(&[
        "scan",
        "samples/dist",
        "--policy",
        file.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(":2: linkage[0].reason: a linkage assertion needs a reason"),
        "{err}"
    );
    assert!(err.contains(":2: linkage[0].forbid: "), "{err}");
    let file = policy("linkage:\n  - path: \"bin/*\"\n    reason: why\n");
    let out = run(&[
        "scan",
        "samples/dist",
        "--policy",
        file.path().to_str().unwrap(),
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("give require, forbid or allow_only"), "{err}");
}
