//! Resolution against the real loader: each case under tests/fixtures/resolve/ was run
//! through `ldd -r` when it was built (tests/fixtures/build.sh) and its answer kept in
//! CASE.expected.json. These tests resolve the same files statically and compare.
//! System libraries come from this machine's `/`, like the recorded ldd run.

mod common;

use preflight::resolve::{Resolution, ResolveOptions, Resolver};
use preflight::scan::{scan, ScanOptions};
use preflight::source::{open_host, FolderSource, LibraryHost, Probe};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const CASES: &[&str] = &[
    "rpath-grandchild",
    "runpath-not-inherited",
    "runpath-cancels-rpath",
    "origin",
    "wrong-class",
    "missing-library",
    "missing-symbol",
    "old-version",
];

fn case_dir(case: &str) -> PathBuf {
    fs::canonicalize(common::fixtures().join("resolve").join(case)).unwrap()
}

fn expected(case: &str) -> Value {
    let path = common::fixtures()
        .join("resolve")
        .join(format!("{case}.expected.json"));
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// Removes `.` and `..` the way the kernel would walk them (no links in these trees).
fn lexical(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn resolve_case(case: &str) -> Resolution {
    let app = case_dir(case).join("bin/app");
    let (host, located) = open_host(Some(Path::new("/")), &[&app]).unwrap();
    let resolver = Resolver::new(&host, ResolveOptions::default());
    let Probe::Found(object) = host.probe(&located[0]) else {
        panic!("{case}: bin/app is not readable");
    };
    resolver.resolve(object, &located[0], "bin/app")
}

#[test]
fn every_case_resolves_as_the_real_loader_did() {
    for case in CASES {
        let want = expected(case);
        let got = resolve_case(case);
        let dir = case_dir(case).to_string_lossy().into_owned();

        let loaded: BTreeSet<&str> = got
            .loaded
            .iter()
            .filter(|l| l.found_by != preflight::resolve::FoundBy::Interpreter)
            .map(|l| l.soname.as_str())
            .collect();
        let want_loaded: BTreeSet<&str> = want["loaded"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(loaded, want_loaded, "{case}: loaded sonames");
        for (soname, path) in want["loaded"].as_object().unwrap() {
            let path = path.as_str().unwrap();
            let ours = got.loaded.iter().find(|l| &l.soname == soname).unwrap();
            if path.starts_with('/') {
                // A system library: same path when this machine has it where ldd saw it.
                if Path::new(path).exists() {
                    assert_eq!(ours.path, path, "{case}: {soname}");
                }
            } else {
                assert_eq!(
                    lexical(&ours.path),
                    format!("{dir}/{path}"),
                    "{case}: {soname}"
                );
            }
        }

        let missing: BTreeSet<&str> = got.missing.iter().map(|m| m.soname.as_str()).collect();
        let want_missing: BTreeSet<&str> = want["missing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(missing, want_missing, "{case}: missing");
        for miss in &got.missing {
            assert!(
                !miss.tried.is_empty(),
                "{case}: {} lists the places tried",
                miss.soname
            );
        }

        let gaps: BTreeSet<(String, String)> = got
            .version_gaps
            .iter()
            .map(|g| (g.library.clone(), g.version.clone()))
            .collect();
        let want_gaps: BTreeSet<(String, String)> = want["version_errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["library"].as_str().unwrap().to_string(),
                    e["version"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(gaps, want_gaps, "{case}: version errors");

        let want_undefined: BTreeSet<&str> = want["undefined_symbols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        // ldd -r lists a symbol of a missing version too; preflight reports it once,
        // as the version gap that explains it.
        let explained: BTreeSet<&str> = got
            .unbound_symbols
            .iter()
            .map(|u| u.symbol.as_str())
            .chain(
                got.version_gaps
                    .iter()
                    .flat_map(|g| g.symbols.iter().map(String::as_str)),
            )
            .collect();
        assert_eq!(explained, want_undefined, "{case}: undefined symbols");
    }
}

#[test]
fn each_planted_fault_gets_exactly_its_finding() {
    let expected_rules: &[(&str, &[&str])] = &[
        ("rpath-grandchild", &[]),
        // As `ldd -r`: the symbols the missing library would have brought are
        // undefined too (the finding says they may be the missing library's).
        (
            "runpath-not-inherited",
            &["missing-library", "undefined-symbol"],
        ),
        // libb.so.1's own RUNPATH cancels the RPATH chain of bin/app for libc1.
        (
            "runpath-cancels-rpath",
            &["missing-library", "undefined-symbol"],
        ),
        ("origin", &[]),
        ("wrong-class", &[]),
        ("missing-library", &["missing-library", "undefined-symbol"]),
        ("missing-symbol", &["undefined-symbol"]),
        ("old-version", &["symbol-version"]),
    ];
    for (case, rules) in expected_rules {
        let options = ScanOptions {
            root: Some(PathBuf::from("/")),
            ..ScanOptions::default()
        };
        let report = scan(&FolderSource::new(&case_dir(case)), &options).unwrap();
        // The loader's verdicts; the rpath rule is checked below.
        let got: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.path == "bin/app")
            .map(|f| f.rule.id())
            .filter(|r| {
                [
                    "missing-library",
                    "symbol-version",
                    "undefined-symbol",
                    "interpreter-missing",
                ]
                .contains(r)
            })
            .collect();
        assert_eq!(&got, rules, "{case}: {:#?}", report.findings);
        // Three of these use DT_RPATH, all of it $ORIGIN-relative inside the tree:
        // deliberate (it is inherited), never a finding.
        let rpath: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.rule.id() == "rpath")
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(rpath, Vec::<&str>::new(), "{case}");
    }
}

#[test]
fn provenance_names_the_rule_that_found_each_library() {
    let grandchild = resolve_case("rpath-grandchild");
    let c1 = grandchild
        .loaded
        .iter()
        .find(|l| l.soname == "libc1.so.1")
        .unwrap();
    // Found through the executable's DT_RPATH, inherited by libb.so.1.
    assert_eq!(c1.found_by.as_str(), "rpath");
    assert!(c1.via.as_deref().unwrap().ends_with("/bin/app"));
    assert!(c1.needed_by.ends_with("/lib/libb.so.1"));
    assert_eq!(c1.depth, 2);

    let origin = resolve_case("origin");
    let libo = origin
        .loaded
        .iter()
        .find(|l| l.soname == "libo.so.1")
        .unwrap();
    assert_eq!(libo.found_by.as_str(), "runpath");
    assert!(
        libo.path.ends_with("/bin/../lib/libo.so.1"),
        "{}",
        libo.path
    );

    let not_inherited = resolve_case("runpath-not-inherited");
    let miss = &not_inherited.missing[0];
    assert!(miss.needed_by.ends_with("/lib/libb.so.1"));
    // libb.so.1 has no RUNPATH of its own, and the executable's is not inherited:
    // nothing under the case folder was tried.
    let dir = case_dir("runpath-not-inherited")
        .to_string_lossy()
        .into_owned();
    assert!(
        miss.tried.iter().all(|t| !t.path.starts_with(&dir)),
        "{:?}",
        miss.tried
    );
    assert!(miss.tried.iter().any(|t| t.found_by.as_str() == "default"));

    // The loader libb.so.1 has a RUNPATH: the executable's RPATH (which found libb
    // itself, and has libc1 beside it) is not searched for libb's NEEDED; libb's
    // RUNPATH folder is (glibc elf/dl-load.c, _dl_map_object).
    let cancelled = resolve_case("runpath-cancels-rpath");
    let libb = cancelled
        .loaded
        .iter()
        .find(|l| l.soname == "libb.so.1")
        .unwrap();
    assert_eq!(libb.found_by.as_str(), "rpath");
    let miss = &cancelled.missing[0];
    assert_eq!(miss.soname, "libc1.so.1");
    assert!(
        miss.tried.iter().all(|t| t.found_by.as_str() != "rpath"),
        "{:?}",
        miss.tried
    );
    assert!(
        miss.tried
            .iter()
            .any(|t| t.found_by.as_str() == "runpath" && t.path.ends_with("/runpath/libc1.so.1")),
        "{:?}",
        miss.tried
    );
}

#[test]
fn tree_json_is_the_documented_contract() {
    let app = case_dir("rpath-grandchild").join("bin/app");
    let out = common::preflight()
        .args(["tree", "--format", "json", "--root", "/"])
        .arg(&app)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tree["path"], app.to_string_lossy().as_ref());
    for entry in tree["loaded"].as_array().unwrap() {
        for key in ["soname", "path", "found_by", "needed_by"] {
            assert!(entry.get(key).is_some(), "loaded entry without {key}");
        }
    }
    assert!(tree["missing"].as_array().unwrap().is_empty());

    let two = common::preflight()
        .args(["tree", "--format", "json"])
        .arg(&app)
        .arg(case_dir("missing-library").join("bin/app"))
        .output()
        .unwrap();
    assert_eq!(two.status.code(), Some(1));
    let trees: Value = serde_json::from_slice(&two.stdout).unwrap();
    assert_eq!(trees.as_array().unwrap().len(), 2);
    let missing = &trees[1]["missing"][0];
    assert_eq!(missing["soname"], "libgone.so.1");
    assert!(!missing["tried"].as_array().unwrap().is_empty());
    assert!(missing["tried"][0].get("outcome").is_some());
}
