//! The rule catalogue against what documents it and what exercises it: the JSON
//! schema's rule enum, the README's rule table and `Rule::ALL` list the same rules,
//! and every rule fires on at least one committed fixture.

mod common;

use preflight::rules::Rule;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;

fn all_ids() -> BTreeSet<String> {
    Rule::ALL.iter().map(|r| r.id().to_string()).collect()
}

fn repo_file(path: &str) -> String {
    fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn the_schema_lists_every_rule_and_no_other() {
    let schema: Value =
        serde_json::from_str(&repo_file("schemas/scan-report.schema.json")).unwrap();
    let listed: BTreeSet<String> = schema["$defs"]["finding"]["properties"]["rule"]["enum"]
        .as_array()
        .expect("$defs.finding.properties.rule.enum")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, all_ids());
}

/// The rows of the README's table under "### Findings and the policy": the ids in
/// backticks of the first column, and the second column.
fn readme_rule_rows() -> Vec<(Vec<String>, String)> {
    let readme = repo_file("README.md");
    let section = readme
        .split("### Findings and the policy")
        .nth(1)
        .expect("the README's rule section");
    let mut rows = Vec::new();
    for line in section
        .lines()
        .skip_while(|l| !l.starts_with("| rule |"))
        .skip(2)
    {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let ids = cells[1]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        rows.push((ids, cells[2].to_string()));
    }
    rows
}

#[test]
fn the_readme_table_lists_every_rule_with_its_default() {
    let rows = readme_rule_rows();
    let listed: BTreeSet<String> = rows.iter().flat_map(|(ids, _)| ids.clone()).collect();
    assert_eq!(listed, all_ids());
    for (ids, default) in &rows {
        for id in ids {
            let rule = Rule::from_id(id).unwrap();
            let want = if rule.off_by_default() {
                "off"
            } else {
                rule.default_severity().as_str()
            };
            assert!(
                default.starts_with(want),
                "README says {id} defaults to `{default}`, its declaration says {want}"
            );
        }
    }
}

/// The rule ids a scan of the fixtures reports.
fn fired(args: &[&str]) -> BTreeSet<String> {
    let out = common::preflight()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_rule_fires_on_a_fixture() {
    let policy = tempfile::NamedTempFile::new().unwrap();
    fs::write(
        policy.path(),
        "waivers:\n  - rule: rpath\n    path: \"no/such/file\"\n    reason: matches nothing\n",
    )
    .unwrap();
    let policy = policy.path().to_str().unwrap();
    let linkage = tempfile::NamedTempFile::new().unwrap();
    fs::write(
        linkage.path(),
        "linkage:\n  - path: \"bin/hello\"\n    forbid: [\"libgreet.so.*\"]\n    reason: retired\n\
         \x20 - path: \"lib/*\"\n    require: [\"libm.so.6\"]\n    reason: our libm\n\
         \x20 - path: \"bin/tool-*\"\n    allow_only: [\"libz.so.1\"]\n    reason: zlib only\n",
    )
    .unwrap();
    let linkage = linkage.path().to_str().unwrap();
    let scans: &[&[&str]] = &[
        // Loader scenarios, against this machine.
        &["tests/fixtures/resolve/missing-library"],
        &["tests/fixtures/resolve/missing-symbol"],
        &["tests/fixtures/resolve/old-version"],
        // Build hygiene and unreadable files, and a root with no loader in it.
        &["tests/fixtures/bin", "--policy", policy],
        &[
            "tests/fixtures/bin",
            "--root",
            "tests/fixtures/resolve/origin",
        ],
        // Target checks: architecture, libc, x86-64 level.
        &[
            "tests/fixtures/bin",
            "--target",
            "debian-12",
            "--target",
            "rhel-9",
        ],
        &["samples/dist", "--target", "ubuntu-20.04"],
        // A wheel policy's symbol blacklist.
        &[
            "tests/fixtures/hosts/wheel-arm64",
            "--target",
            "manylinux2014",
            "--platform",
            "linux/arm64",
        ],
        // Build artifacts, hardening through the preset.
        &["tests/fixtures/artifacts", "--preset", "hardened"],
        // The policy's linkage assertions.
        &["samples/dist", "--policy", linkage],
        // A root whose /etc/ld.so.cache predates its ld.so.conf file.
        &[
            "tests/fixtures/ldcache/stale/usr/bin/app",
            "--root",
            "tests/fixtures/ldcache/stale",
        ],
        // dlopen() dependencies declared in .note.dlopen, missing.
        &["tests/fixtures/dlopen/dist"],
        // Images: an entry that climbs out of the image.
        &["tests/fixtures/images/hostile/traversal.tar"],
        // Archives and packages: unsafe entries, a wheel whose file needs more than
        // its tag promises.
        &["tests/fixtures/inputs/hostile.tar"],
        &["tests/fixtures/inputs/glibcnew-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"],
    ];
    let mut seen = BTreeSet::new();
    for args in scans {
        seen.extend(fired(args));
    }
    let never: Vec<&str> = Rule::ALL
        .iter()
        .map(|r| r.id())
        .filter(|id| !seen.contains(*id))
        .collect();
    assert!(never.is_empty(), "rules no fixture makes fire: {never:?}");
}
