//! Fix texts say each thing once (issue 15 item 9: "Install it on the host (apk add
//! libstdc++), or ship it ... Ship libstdc++.so.6 ..."): no sentence or clause of a
//! fix repeats another, in the catalogue's texts and in every finding the fixtures
//! produce on old, new, musl and wheel-policy targets.

mod common;

use preflight::rules::Rule;
use std::collections::BTreeSet;

/// A text's clauses, as words: parentheses (examples, commands) left out, split at
/// sentence and clause ends, a leading "or"/"and" dropped.
fn clauses(text: &str) -> Vec<Vec<String>> {
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    // A dot inside a name (libstdc++.so.6) ends nothing.
    let plain = format!("{plain} ")
        .replace(". ", "\n")
        .replace("; ", "\n")
        .replace(": ", "\n")
        .replace(", ", "\n");
    plain
        .split('\n')
        .map(|clause| {
            let mut words: Vec<String> = clause
                .split_whitespace()
                .map(|w| w.to_lowercase())
                .collect();
            while words.first().is_some_and(|w| w == "or" || w == "and") {
                words.remove(0);
            }
            words
        })
        .filter(|words| words.len() >= 2)
        .collect()
}

/// Two clauses say the same thing: the same verb, and most of their words shared
/// ("ship it with the program" / "ship libx.so.1 with the program and ...").
fn repeats(a: &[String], b: &[String]) -> bool {
    if a == b {
        return true;
    }
    if a[0] != b[0] {
        return false;
    }
    let a: BTreeSet<&String> = a.iter().skip(1).collect();
    let b: BTreeSet<&String> = b.iter().skip(1).collect();
    let shared = a.intersection(&b).count();
    shared * 2 >= a.len().min(b.len()) && shared >= 2
}

fn repeated_clause(text: &str) -> Option<String> {
    let all = clauses(text);
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            if repeats(a, b) {
                return Some(format!("{:?} / {:?}", a.join(" "), b.join(" ")));
            }
        }
    }
    None
}

#[test]
fn the_check_catches_the_reported_repetition() {
    assert!(repeated_clause(
        "Install it on the host (apk add libstdc++), or ship it with the program. \
         Ship libstdc++.so.6 with the program and point RUNPATH at it."
    )
    .is_some());
    assert!(repeated_clause(
        "Install it on the host (apt-get install libx1), or ship libx.so.1 with the \
         program and point RUNPATH at it (-Wl,-rpath,'$ORIGIN/../lib')."
    )
    .is_none());
}

#[test]
fn no_fix_text_of_the_catalogue_repeats_itself() {
    for rule in Rule::ALL {
        let spec = rule.spec();
        let fixes = std::iter::once(spec.fix).chain(spec.cases.iter().filter_map(|c| c.fix));
        for fix in fixes.chain([spec.help]) {
            if let Some(repeat) = repeated_clause(fix) {
                panic!("{}: {repeat}\nin {fix:?}", spec.id);
            }
        }
    }
}

#[test]
fn no_fix_text_of_a_finding_on_the_fixtures_repeats_itself() {
    let fixtures = common::fixtures();
    let inputs = [
        "bin",
        "artifacts",
        "accuracy",
        "dlopen/dist",
        "inputs/tree",
        "inputs/fixture-app_1.0-1_amd64.deb",
        "inputs/glibcnew-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "inputs/muslonglibc-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "inputs/fixture-native-1.0.0.tgz",
    ];
    let targets = [
        "alpine-3.20",
        "ubuntu-20.04",
        "debian-13",
        "rhel-8",
        "manylinux_2_17",
        "musllinux_1_2",
    ];
    let mut fixes = BTreeSet::new();
    for input in inputs {
        let path = fixtures.join(input);
        let mut args = vec![path.to_str().unwrap(), "--preset", "hardened"];
        for target in targets {
            args.extend(["--target", target]);
        }
        let report = common::scan_json(&args);
        for f in report["findings"].as_array().unwrap() {
            fixes.insert((
                f["rule"].as_str().unwrap().to_string(),
                f["fix"].as_str().unwrap().to_string(),
            ));
        }
    }
    // The rules that name a package or a file in their fix are among them.
    let rules: BTreeSet<&str> = fixes.iter().map(|(r, _)| r.as_str()).collect();
    for rule in ["missing-library", "symbol-version", "libc-mismatch"] {
        assert!(rules.contains(rule), "{rules:?}");
    }
    for (rule, fix) in &fixes {
        if let Some(repeat) = repeated_clause(fix) {
            panic!("{rule}: {repeat}\nin {fix:?}");
        }
    }
}
