//! Target profiles, the policy evaluator and the runs-on matrix, on the fixtures.

mod common;

use preflight::platform::Platform;
use preflight::policy::PolicyConfig;
use preflight::profile::{
    builtin_load_results, capture, find_profile, parse_profile, retired_names,
};
use preflight::rules::Finding;
use preflight::scan::{scan, ScanOptions};
use preflight::source::{FolderSource, Source};
use serde_json::Value;
use std::fs;
use std::path::Path;

/// A folder holding copies of the named fixtures.
fn dist(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in names {
        fs::copy(common::fixture(name), dir.path().join(name)).unwrap();
    }
    dir
}

fn scan_against(
    dir: &Path,
    targets: &[&str],
    platform: &str,
    policy: PolicyConfig,
) -> Vec<Finding> {
    let options = ScanOptions {
        targets: targets.iter().map(|t| find_profile(t).unwrap()).collect(),
        platform: Platform::parse(platform).unwrap(),
        policy,
        ..ScanOptions::default()
    };
    scan(&FolderSource::new(dir), &options).unwrap().findings
}

fn rules(findings: &[Finding], path: &str) -> Vec<&'static str> {
    findings
        .iter()
        .filter(|f| f.path == path)
        .map(|f| f.rule.id())
        .collect()
}

/// Every release and policy issue 17 names is built in, with its aliases, and every
/// name the hand-written profiles of policies/targets had still works: as a profile,
/// or as a retired release whose error names the replacement.
#[test]
fn every_supported_release_is_built_in_and_no_old_name_disappears() {
    let wanted = [
        "ubuntu-20.04",
        "ubuntu-22.04",
        "ubuntu-24.04",
        "ubuntu-26.04",
        "debian-11",
        "debian-12",
        "debian-13",
        "rhel-8",
        "rhel-9",
        "rhel-10",
        "rocky-9",
        "alma-8",
        "almalinux-10",
        "oraclelinux-9",
        "ubi-10",
        "fedora-43",
        "fedora-44",
        "amazonlinux-2",
        "amazonlinux-2023",
        "opensuse-15.6",
        "opensuse-16.0",
        "sles-15",
        "sles-16",
        "alpine-3.20",
        "alpine-3.21",
        "alpine-3.22",
        "alpine-3.23",
        "manylinux1",
        "manylinux2010",
        "manylinux2014",
        "manylinux_2_5",
        "manylinux_2_17",
        "manylinux_2_24",
        "manylinux_2_26",
        "manylinux_2_27",
        "manylinux_2_28",
        "manylinux_2_34",
        "manylinux_2_39",
        "manylinux_2_41",
        "musllinux_1_1",
        "musllinux_1_2",
    ];
    for name in wanted {
        assert!(find_profile(name).is_ok(), "no profile for {name}");
    }
    // The names of the hand-written profiles this data replaced (policies/targets/).
    let old = [
        "alpine-3.19",
        "alpine-3.20",
        "alpine-3.21",
        "alpine-3.22",
        "amazonlinux-2",
        "al2",
        "amazonlinux-2023",
        "al2023",
        "debian-10",
        "buster",
        "debian-11",
        "bullseye",
        "debian-12",
        "bookworm",
        "debian-13",
        "trixie",
        "manylinux2014",
        "manylinux_2_17",
        "manylinux_2_28",
        "manylinux_2_34",
        "musllinux_1_2",
        "rhel-7",
        "centos-7",
        "oraclelinux-7",
        "ubi-7",
        "rhel-8",
        "centos-8",
        "rocky-8",
        "rockylinux-8",
        "alma-8",
        "almalinux-8",
        "oraclelinux-8",
        "ubi-8",
        "rhel-9",
        "rocky-9",
        "rockylinux-9",
        "alma-9",
        "almalinux-9",
        "oraclelinux-9",
        "ubi-9",
        "centos-stream9",
        "ubuntu-18.04",
        "bionic",
        "ubuntu-20.04",
        "focal",
        "ubuntu-22.04",
        "jammy",
        "ubuntu-24.04",
        "noble",
    ];
    let retired = retired_names();
    for name in old {
        match find_profile(name) {
            Ok(_) => assert!(!retired.contains(&name), "{name}"),
            Err(e) => assert!(
                retired.contains(&name) && e.contains("Check against"),
                "{name}: {e}"
            ),
        }
    }
    for (name, result) in builtin_load_results() {
        assert!(result.is_ok(), "{name}: {result:?}");
    }
}

#[test]
fn glibc_2_34_fails_on_ubuntu_20_04_and_passes_on_22_04_naming_the_symbol() {
    let dir = dist(&["pie-glibc234"]);
    let old = scan_against(
        dir.path(),
        &["ubuntu-20.04"],
        "linux/amd64",
        PolicyConfig::default(),
    );
    let gap = old
        .iter()
        .find(|f| f.rule.id() == "symbol-version")
        .expect("symbol-version on 20.04");
    assert_eq!(gap.version.as_deref(), Some("GLIBC_2.34"));
    assert_eq!(gap.symbols, ["__libc_start_main"]);
    assert!(
        gap.message.contains("__libc_start_main@GLIBC_2.34"),
        "{}",
        gap.message
    );
    // It names the newest GLIBC version the target's libc.so.6 defines (2.31 added
    // symbols to libm and libpthread only, so that is 2.30 on Ubuntu 20.04).
    let libc = &find_profile("ubuntu-20.04").unwrap().profile.platforms["linux/amd64"].libraries
        ["libc.so.6"];
    let newest = libc
        .versions
        .iter()
        .filter_map(|v| v.strip_prefix("GLIBC_"))
        .filter_map(|v| preflight::profile::dotted_numbers(v).map(|n| (n, v)))
        .max()
        .map(|(_, v)| v)
        .unwrap();
    assert!(
        gap.message
            .ends_with(&format!("it provides up to GLIBC_{newest}")),
        "names what the target has: {}",
        gap.message
    );
    assert!(gap.fix.contains("manylinux"), "{}", gap.fix);
    assert_eq!(gap.target.as_deref(), Some("ubuntu-20.04"));

    let new = scan_against(
        dir.path(),
        &["ubuntu-22.04"],
        "linux/amd64",
        PolicyConfig::default(),
    );
    assert!(new.is_empty(), "{new:#?}");
}

#[test]
fn libc_arch_and_library_mismatches() {
    let dir = dist(&["musl-exe", "aarch64-exe", "ssl-app"]);
    let debian = scan_against(
        dir.path(),
        &["debian-12"],
        "linux/amd64",
        PolicyConfig::default(),
    );
    assert_eq!(rules(&debian, "musl-exe"), ["libc-mismatch"]);
    assert_eq!(rules(&debian, "aarch64-exe"), ["arch-mismatch"]);

    let jammy = scan_against(
        dir.path(),
        &["ubuntu-22.04"],
        "linux/amd64",
        PolicyConfig::default(),
    );
    let missing: Vec<&Finding> = jammy.iter().filter(|f| f.path == "ssl-app").collect();
    assert_eq!(missing.len(), 1, "{missing:#?}");
    assert_eq!(missing[0].rule.id(), "missing-library");
    assert_eq!(missing[0].library.as_deref(), Some("libssl.so.1.1"));

    // The same aarch64 binary is at home on arm64, where the x86 ones are foreign.
    let arm = scan_against(
        dir.path(),
        &["debian-12"],
        "linux/arm64",
        PolicyConfig::default(),
    );
    assert!(rules(&arm, "aarch64-exe").is_empty(), "{arm:#?}");
    assert_eq!(rules(&arm, "musl-exe"), ["arch-mismatch"]);
}

#[test]
fn hygiene_rules_fire_on_their_fixtures() {
    let dir = dist(&[
        "libtextrel.so",
        "libexecstack.so",
        "isa-v3-exe",
        "librpath.so",
    ]);
    let trixie = scan_against(
        dir.path(),
        &["debian-13"],
        "linux/amd64",
        PolicyConfig::default(),
    );
    assert!(rules(&trixie, "libtextrel.so").contains(&"textrel"));
    let stack = trixie
        .iter()
        .find(|f| f.rule.id() == "executable-stack")
        .unwrap();
    // glibc 2.41 refuses to dlopen it: an error on Debian 13, a warning on Debian 12.
    assert_eq!(stack.severity.as_str(), "error");
    let bookworm = scan_against(
        dir.path(),
        &["debian-12"],
        "linux/amd64",
        PolicyConfig::default(),
    );
    let stack = bookworm
        .iter()
        .find(|f| f.rule.id() == "executable-stack")
        .unwrap();
    assert_eq!(stack.severity.as_str(), "warning");
    assert!(rules(&trixie, "isa-v3-exe").contains(&"isa-level"));
    let rpath = rules(&trixie, "librpath.so");
    // The two absolute folders; DT_RPATH's $ORIGIN element is deliberate.
    assert_eq!(
        rpath.iter().filter(|r| **r == "rpath").count(),
        2,
        "two absolute folders: {rpath:?}"
    );
}

#[test]
fn a_waiver_silences_exactly_its_finding_and_an_unused_one_is_a_note() {
    let dir = dist(&["pie-glibc234", "musl-exe"]);
    let policy = PolicyConfig::parse(
        "rules:\n  textrel: error\nwaivers:\n  - rule: symbol-version\n    path: pie-*\n    reason: built for 22.04+ only\n  - rule: missing-library\n    path: nothing/*\n    reason: stale\n",
        ".preflight.yaml",
    )
    .unwrap();
    let findings = scan_against(dir.path(), &["ubuntu-20.04"], "linux/amd64", policy);
    assert!(rules(&findings, "pie-glibc234").is_empty(), "{findings:#?}");
    assert_eq!(rules(&findings, "musl-exe"), ["libc-mismatch"]);
    let unused: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule.id() == "unused-waiver")
        .collect();
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0].severity.as_str(), "note");
    assert!(
        unused[0].message.contains(".preflight.yaml:7"),
        "{}",
        unused[0].message
    );
}

#[test]
fn malformed_profiles_and_policies_give_located_errors() {
    let typo = "name: x\nfamily: debian\nversion: \"1\"\ndescription: d\nplatforms:\n  linux/amd64:\n    libc: glibc\n    libc_versoin: \"2.31\"\n";
    let errors = parse_profile(typo, "bad.yaml").unwrap_err();
    let text = errors[0].to_string();
    assert!(text.starts_with("bad.yaml:"), "{text}");
    assert_eq!(errors[0].line, Some(8), "{text}");
    assert!(text.contains("libc_versoin"), "{text}");

    let bad_values = "name: x\nfamily: debian\nversion: \"1\"\ndescription: d\nplatforms:\n  linux/amd64:\n    libc: glibc\n    libc_version: two\n    interpreter: /lib64/ld-linux-x86-64.so.2\n    library_dirs: [/lib]\nrules:\n  textrell: error\n";
    let errors = parse_profile(bad_values, "bad.yaml").unwrap_err();
    let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 2, "{all:?}");
    assert!(
        all[0].contains("bad.yaml:8") && all[0].contains("libc_version"),
        "{all:?}"
    );
    assert!(
        all[1].contains("bad.yaml:12") && all[1].contains("unknown rule `textrell`"),
        "{all:?}"
    );

    let errors = PolicyConfig::parse(
        "rules:\n  rpath: fatal\nwaivers:\n  - rule: rpath\n    path: '*'\n    reason: ''\n",
        "p.yaml",
    )
    .unwrap_err();
    let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        all.iter()
            .any(|e| e.contains("p.yaml:2") && e.contains("expected one of")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|e| e.contains("p.yaml:4") && e.contains("needs a reason")),
        "{all:?}"
    );

    // On the command line: exit 2 and the located error.
    let dir = dist(&["pie-glibc234"]);
    fs::write(dir.path().join(".preflight.yaml"), "rulez: {}\n").unwrap();
    let out = common::preflight()
        .arg("scan")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".preflight.yaml:1") && stderr.contains("rulez"),
        "{stderr}"
    );
}

#[test]
fn a_captured_root_accepts_what_was_built_for_it() {
    // This machine's root, captured; the fixtures were built here (tests/fixtures/build.sh).
    let source = FolderSource::new(Path::new("/"));
    let root = source.as_root().unwrap();
    let profile = capture(&*root, "/", Platform::LinuxAmd64, Some("here")).unwrap();
    let platform = &profile.platforms["linux/amd64"];
    assert!(platform.libraries.contains_key("libc.so.6"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("here.yaml");
    let text = preflight::yaml::to_yaml(&profile).unwrap();
    fs::write(&file, &text).unwrap();
    // What capture writes, the parser reads back unchanged.
    assert_eq!(parse_profile(&text, "here.yaml").unwrap(), profile);

    let built_here = dist(&[
        "pie-glibc234",
        "nonpie-exe",
        "libsoname-runpath.so.1",
        "static-exe",
    ]);
    let findings = scan_against(
        built_here.path(),
        &[file.to_str().unwrap()],
        "linux/amd64",
        PolicyConfig::default(),
    );
    let errors: Vec<&Finding> = findings.iter().filter(|f| f.rule.id() != "rpath").collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn json_findings_carry_rule_target_path_and_fix_and_exit_follows_fail_on() {
    let dir = dist(&["pie-glibc234", "libtextrel.so"]);
    let run = |extra: &[&str]| {
        common::preflight()
            .args([
                "scan",
                "--format",
                "json",
                "--target",
                "ubuntu-20.04",
                "--target",
                "ubuntu-22.04",
            ])
            .args(extra)
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    for f in findings {
        for key in [
            "rule", "severity", "path", "target", "message", "why", "fix",
        ] {
            assert!(f.get(key).is_some(), "finding without {key}: {f}");
        }
    }
    let targets: Vec<&str> = findings
        .iter()
        .map(|f| f["target"].as_str().unwrap())
        .collect();
    assert!(targets.contains(&"ubuntu-20.04") && targets.contains(&"ubuntu-22.04"));
    assert_eq!(run(&["--fail-on", "never"]).status.code(), Some(0));
    // Only 22.04, where nothing but the textrel warning remains.
    let warn_only = common::preflight()
        .args(["scan", "--target", "jammy"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(warn_only.status.code(), Some(0));
    let strict = common::preflight()
        .args(["scan", "--target", "jammy", "--fail-on", "warning"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn runs_on_names_the_oldest_release_per_family() {
    let dir = dist(&["pie-glibc234", "aarch64-exe"]);
    let out = common::preflight()
        .args([
            "scan",
            "--runs-on",
            "--platform",
            "linux/amd64",
            "--format",
            "json",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let matrix: Value = serde_json::from_slice(&out.stdout).unwrap();
    let families = matrix["tree"]["families"].as_array().unwrap();
    let from = |family: &str| {
        families
            .iter()
            .find(|f| f["family"] == family)
            .map(|f| f["from"].clone())
            .unwrap()
    };
    // GLIBC_2.34: Ubuntu 22.04 (2.35), Debian 12 (2.36), RHEL 9 (2.34), AL2023 (2.34).
    assert_eq!(from("ubuntu"), "22.04");
    assert_eq!(from("debian"), "12");
    assert_eq!(from("rhel"), "9");
    assert_eq!(from("amazonlinux"), "2023");
    assert_eq!(from("alpine"), Value::Null);
    let arm = matrix["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "aarch64-exe")
        .unwrap();
    assert_eq!(arm["other_platform"], true);
}
