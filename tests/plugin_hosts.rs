//! Plugins judged in the process that opens them (issue 15): a JDK's libraries in its
//! VM's process, a program's modules in the program's. The trees come from
//! tests/fixtures/plugin-hosts/ (built by its build.sh, which records what glibc's
//! loader says about each in verdicts.txt); every verdict here is checked against it.

mod common;

use common::scan_json;
use serde_json::Value;
use std::path::PathBuf;

fn tree(name: &str) -> String {
    let dir: PathBuf = common::fixtures().join("plugin-hosts").join(name);
    dir.to_str().unwrap().to_string()
}

/// What the real loader said (verdicts.txt): the lines after `$ COMMAND`.
fn verdict(command: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(common::fixtures().join("plugin-hosts/verdicts.txt")).unwrap();
    text.lines()
        .skip_while(|l| *l != format!("$ {command}"))
        .skip(1)
        .take_while(|l| !l.starts_with("$ "))
        .map(str::to_string)
        .collect()
}

/// (rule, severity, path, symbols) of every finding that is not about hardening.
fn findings(report: &Value) -> Vec<(String, String, String, Vec<String>)> {
    let mut found: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let symbols = f["symbols"]
                .as_array()
                .map(|s| s.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                symbols,
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn a_jdk_library_finds_libjvm_in_the_vm_that_opens_it() {
    // The launcher opens lib/server/libjvm.so by its full path and then lib/libjava.so
    // loads; ldd of libjava.so alone misses libjvm.so.
    assert_eq!(verdict("jdk/bin/java"), ["ok 17"]);
    assert_eq!(
        verdict("ldd jdk/lib/libjava.so | grep libjvm"),
        ["libjvm.so => not found"]
    );
    for args in [
        vec![tree("jdk"), "--target".into(), "debian-12".into()],
        vec![tree("jdk"), "--root".into(), "/".into()],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let report = scan_json(&args);
        assert_eq!(findings(&report), [], "{args:?}: {report:#}");
    }
}

#[test]
fn without_the_jdk_layout_libjvm_is_missing() {
    // The same libraries without release and lib/modules: nothing says a VM opens
    // libjvm.so first, and libjava.so alone does not find it.
    assert_eq!(
        verdict("ldd not-jdk/lib/libjava.so | grep libjvm"),
        ["libjvm.so => not found"]
    );
    let report = scan_json(&[&tree("not-jdk"), "--target", "debian-12"]);
    assert_eq!(
        findings(&report),
        [(
            "missing-library".into(),
            "error".into(),
            "lib/libjava.so".into(),
            vec![]
        )]
    );
}

#[test]
fn a_module_is_bound_to_the_program_of_the_tree_that_exports_its_api() {
    assert_eq!(verdict("program/bin/host mod_ok.so"), ["log module"]);
    assert_eq!(
        verdict("program/bin/host mod_bad.so"),
        ["program/modules/mod_bad.so: undefined symbol: host_gone"]
    );
    let report = scan_json(&[&tree("program"), "--root", "/"]);
    // mod_ok.so loads in bin/host; mod_bad.so lacks host_gone there, and only that
    // (a warning: a module opened before it might define it).
    assert_eq!(
        findings(&report),
        [(
            "undefined-symbol".into(),
            "warning".into(),
            "modules/mod_bad.so".into(),
            vec!["host_gone".into()]
        )],
        "{report:#}"
    );
    let finding = &report["findings"][0];
    assert!(
        finding["why"]
            .as_str()
            .unwrap()
            .starts_with("Opened by the program bin/host,"),
        "{finding:#}"
    );
}

#[test]
fn a_module_folder_without_its_program_gets_warnings_never_errors() {
    // ldd -r of the module alone: its host's symbol is undefined.
    assert_eq!(
        verdict("ldd -r program/modules/mod_ok.so | grep undefined"),
        ["undefined symbol: host_log"]
    );
    let report = scan_json(&[&tree("program/modules"), "--root", "/"]);
    let found = findings(&report);
    assert_eq!(found.len(), 2, "{report:#}");
    assert!(found
        .iter()
        .all(|(rule, severity, _, _)| rule == "undefined-symbol" && severity == "warning"));
}

#[test]
fn an_image_reads_a_wheels_declared_libc_as_a_folder_does() {
    // tests/fixtures/image-packages: a musllinux wheel whose _ext.so shows no libc and
    // needs libdep.so from /usr/local/lib, which musl's loader searches by default.
    let dir = common::fixtures().join("image-packages");
    let verdicts = std::fs::read_to_string(dir.join("verdicts.txt")).unwrap();
    assert!(
        verdicts.contains("libdep.so => /usr/local/lib/libdep.so"),
        "{verdicts}"
    );
    let root = dir.join("wheel");
    let root = root.to_str().unwrap();
    let image = dir.join("wheel-docker.tar");
    let folder = scan_json(&[root, "--root", root]);
    let image = scan_json(&[image.to_str().unwrap()]);
    // Only the WHEEL file says musl (no file of the root shows a libc): the image scan
    // loads _ext.so with musl's loader, as the folder scan does, and finds libdep.so.
    assert_eq!(findings(&folder), [], "{folder:#}");
    assert_eq!(findings(&image), [], "{image:#}");
}
