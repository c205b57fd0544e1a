//! Verdicts on what real artifacts hold (issue 15): each test scans a small tree from
//! tests/fixtures/accuracy/ (built by its build.sh) modelled on a real wheel, npm
//! addon or base image, and checks that every error is a true one.

mod common;

use common::scan_json;

use serde_json::Value;
use std::path::PathBuf;

fn tree(name: &str) -> PathBuf {
    common::fixtures().join("accuracy").join(name)
}

/// The paths of the findings of `rule`, sorted.
fn paths_with(report: &Value, rule: &str) -> Vec<String> {
    let mut paths: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    paths
}

#[test]
fn glibc_parts_use_glibc_private_among_themselves_a_user_program_may_not() {
    let dir = tree("glibc-parts");
    let dir = dir.to_str().unwrap();
    // Against the root they run on, a gconv module and glibc's iconv use their own
    // build's internal interface; the user's program is still an error.
    let report = scan_json(&[dir]);
    assert_eq!(paths_with(&report, "private-symbol"), ["usr/bin/app"]);
    // Against another host whose glibc the tree does not ship, all three depend on
    // a build they do not come with.
    let report = scan_json(&[dir, "--target", "debian-12"]);
    assert_eq!(
        paths_with(&report, "private-symbol"),
        [
            "usr/bin/app",
            "usr/bin/iconv",
            "usr/lib/x86_64-linux-gnu/gconv/FAKE-1.so"
        ]
    );
}

#[test]
fn the_isa_level_comes_from_the_needed_property_and_only_glibc_checks_it() {
    let dir = tree("isa");
    let dir = dir.to_str().unwrap();
    // An AVX-512 kernel dispatched at run time is "used", not "needed".
    let report = scan_json(&[dir, "--target", "rhel-9"]);
    assert_eq!(paths_with(&report, "isa-level"), Vec::<String>::new());
    let inspect = common::preflight()
        .args(["inspect", "--format", "json"])
        .arg(tree("isa").join("libused-v4.so"))
        .output()
        .unwrap();
    let facts: Value = serde_json::from_slice(&inspect.stdout).unwrap();
    let facts = if facts.is_array() { &facts[0] } else { &facts };
    assert_eq!(facts["x86_isa_level"], Value::Null, "{facts:#}");
    assert_eq!(facts["x86_isa_used"], 4, "{facts:#}");
    let table = common::preflight()
        .arg("inspect")
        .arg(tree("isa").join("libused-v4.so"))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("x86-64-v4 (information: not checked by the loader)"),
        "{table}"
    );
    // musl's loader reads no property note: a musl program needing v3 loads on any
    // x86_64 CPU the kernel runs (and dies with SIGILL only where it executes AVX2).
    let report = scan_json(&[dir, "--target", "alpine-3.23"]);
    assert_eq!(paths_with(&report, "isa-level"), Vec::<String>::new());
    // On a glibc target the needed property still counts (tests/targets.rs,
    // isa-v3-exe on debian-13).
}

/// The paths of the error findings, sorted.
fn errors(report: &Value) -> Vec<String> {
    let mut paths: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            )
        })
        .collect();
    paths.sort();
    paths
}

#[test]
fn a_file_that_shows_no_libc_is_never_called_glibc() {
    let dir = tree("musl-wheel");
    let dir = dir.to_str().unwrap();
    // pkg/_ext.so needs only the bundled libhelper.so, pkg/_tiny.so nothing: on a musl
    // host both load (with musl, as the wheel's tag and libhelper.so say).
    let report = scan_json(&[dir, "--target", "alpine-3.23"]);
    assert_eq!(errors(&report), Vec::<String>::new(), "{report:#}");
    // On a glibc host only the file that links musl is refused for its libc.
    let report = scan_json(&[dir, "--target", "debian-12"]);
    assert_eq!(
        paths_with(&report, "libc-mismatch"),
        ["pkg.libs/libhelper.so"]
    );
}

fn runs_on_json(args: &[&str]) -> Value {
    let out = common::preflight()
        .arg("scan")
        .args(args)
        .args(["--runs-on", "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The loader `tree` uses for a library that shows no libc, in a root laid out as
/// `loaders` (empty files standing for the loaders) holding the musl wheel's _ext.so.
fn loader_for_no_libc_library(loaders: &[&str]) -> String {
    let root = tempfile::tempdir().unwrap();
    for loader in loaders {
        let path = root.path().join(loader.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }
    let lib = root.path().join("opt/pkg/_ext.so");
    std::fs::create_dir_all(lib.parent().unwrap()).unwrap();
    std::fs::copy(tree("musl-wheel").join("pkg/_ext.so"), &lib).unwrap();
    let out = common::preflight()
        .args(["tree", "--format", "json", "--root"])
        .arg(root.path())
        .arg(&lib)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["loader"].as_str().unwrap_or_default().to_string()
}

#[test]
fn a_glibc_host_with_musl_installed_loads_a_library_without_libc_the_glibc_way() {
    // Debian with its musl package has /lib/ld-musl-x86_64.so.1 beside glibc's loader:
    // the host is still glibc (it was called musl, and libstdc++ was "not found").
    let both = ["/lib/ld-musl-x86_64.so.1", "/lib64/ld-linux-x86-64.so.2"];
    assert_eq!(loader_for_no_libc_library(&both), "glibc");
    // Alpine: musl's loader alone.
    assert_eq!(loader_for_no_libc_library(&both[..1]), "musl");
}

#[test]
fn a_file_of_another_architecture_gets_one_arch_mismatch_on_a_root() {
    // An aarch64 wheel checked against this (x86_64) machine: the kernel refuses it,
    // that is the one finding; no list of libraries it would not find.
    let dir = common::fixtures().join("hosts/wheel-arm64");
    let report = scan_json(&[dir.to_str().unwrap()]);
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["arch-mismatch"], "{report:#}");
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("is ELF64 aarch64 but "), "{message}");
}

#[test]
fn runs_on_takes_the_platform_from_the_files_and_never_passes_a_vacuous_check() {
    let dir = common::fixtures().join("hosts/wheel-arm64");
    let dir = dir.to_str().unwrap();
    // All aarch64: checked against the linux/arm64 targets.
    let matrix = runs_on_json(&[dir]);
    assert_eq!(matrix["platform"], "linux/arm64", "{matrix:#}");
    assert_eq!(matrix["files_checked"], 1);
    assert!(!matrix["tree"]["runs_on"].as_array().unwrap().is_empty());
    // Forced onto another platform, nothing is checked: no target is a pass.
    let matrix = runs_on_json(&[dir, "--platform", "linux/amd64"]);
    assert_eq!(matrix["files_checked"], 0);
    assert_eq!(matrix["tree"]["runs_on"], serde_json::json!([]));
    let out = common::preflight()
        .args(["scan", dir, "--runs-on", "--platform", "linux/amd64"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("whole tree: nothing checked"), "{text}");
    // Mixed: each file against its own platform's targets, and said so.
    let mixed = tempfile::tempdir().unwrap();
    for name in ["aarch64-exe", "pie-glibc234"] {
        std::fs::copy(common::fixture(name), mixed.path().join(name)).unwrap();
    }
    let matrices = runs_on_json(&[mixed.path().to_str().unwrap()]);
    let matrices = matrices.as_array().expect("one matrix per platform");
    let platforms: Vec<&str> = matrices
        .iter()
        .map(|m| m["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    for m in matrices {
        assert_eq!(m["files_checked"], 1, "{m:#}");
        assert!(m["note"].as_str().unwrap().contains("its own platform"));
    }
}

#[test]
fn fd_set_checks_count_as_fortified() {
    let bytes = std::fs::read(tree("hardening").join("fdset")).unwrap();
    let facts = preflight::elf::read_facts(&bytes).unwrap();
    let hardening = facts.hardening.unwrap();
    assert_eq!(hardening.fortified, ["__fdelt_chk"]);
}

#[test]
fn a_static_glibc_hello_world_is_not_a_runtime_loader() {
    // libc.a's dlopen.o is linked into every static glibc program; only a call to
    // dlopen (or the NSS code) makes one load shared objects at run time.
    let dir = tree("static");
    let report = scan_json(&[dir.to_str().unwrap()]);
    assert_eq!(
        paths_with(&report, "static-glibc-runtime"),
        Vec::<String>::new(),
        "{report:#}"
    );
}

#[test]
fn a_bundled_library_is_judged_inside_the_load_that_opens_it() {
    // pkg.libs/libgfort.so finds libquad.so only through _module.so's inherited
    // DT_RPATH (as scipy's libgfortran finds libquadmath): alone it would not.
    let dir = tree("gnu-wheel");
    let dir = dir.to_str().unwrap();
    for args in [vec![dir], vec![dir, "--target", "debian-12"]] {
        let report = scan_json(&args);
        assert_eq!(
            errors(&report),
            Vec::<String>::new(),
            "{args:?}: {report:#}"
        );
        assert_eq!(paths_with(&report, "missing-library"), Vec::<String>::new());
    }
    // Without the module, the library is a root of its own, and misses libquad.so.
    let alone = tempfile::tempdir().unwrap();
    std::fs::copy(
        tree("gnu-wheel").join("pkg.libs/libgfort.so"),
        alone.path().join("libgfort.so"),
    )
    .unwrap();
    let report = scan_json(&[alone.path().to_str().unwrap()]);
    assert_eq!(paths_with(&report, "missing-library"), ["libgfort.so"]);
}

#[test]
fn a_plugin_leaves_its_hosts_api_undefined_and_nothing_else() {
    let dir = tree("plugins");
    let report = scan_json(&[dir.to_str().unwrap()]);
    let undefined: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "undefined-symbol")
        .collect();
    // The interpreter's API is the host's; lost_helper is really missing.
    assert_eq!(undefined.len(), 1, "{undefined:#?}");
    assert_eq!(
        undefined[0]["path"],
        "pyext.cpython-311-x86_64-linux-gnu.so"
    );
    assert_eq!(undefined[0]["symbols"], serde_json::json!(["lost_helper"]));
    let tree_out = common::preflight()
        .args(["tree", "--check-symbols"])
        .arg(dir.join("pyext.cpython-311-x86_64-linux-gnu.so"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&tree_out.stdout);
    assert!(
        text.contains("2 undefined symbols provided by the Python interpreter"),
        "{text}"
    );
    assert!(text.contains("! undefined symbol lost_helper"), "{text}");
    assert!(!text.contains("PyLong_FromLong"), "{text}");
}

#[test]
fn on_a_musl_host_the_why_quotes_musls_loader() {
    let dir = tree("musl-app");
    let report = scan_json(&[dir.to_str().unwrap(), "--target", "alpine-3.23"]);
    let missing: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "missing-library")
        .collect();
    assert_eq!(missing.len(), 1, "{report:#}");
    let why = missing[0]["why"].as_str().unwrap();
    assert!(
        why.contains(
            "Error loading shared library libgone.so: No such file or directory (needed by app)"
        ),
        "{why}"
    );
    assert!(!why.contains("cannot open shared object file"), "{why}");
}

#[test]
fn compat_abis_run_and_cross_sysroots_are_not_for_the_host() {
    let root = tempfile::tempdir().unwrap();
    let put = |from: &str, to: &str| {
        let to = root.path().join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(common::fixture(from), to).unwrap();
    };
    put("pie-glibc234", "bin/sh");
    put("i386-exe", "bin/i386-tool");
    put("aarch64-exe", "usr/aarch64-linux-gnu/lib/tool");
    put("aarch64-exe", "opt/arm64-tool");
    let dir = root.path().to_str().unwrap();
    let report = scan_json(&[dir, "--root", dir]);
    let arch: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "arch-mismatch")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // An x86_64 kernel runs i386 programs (its loader decides the rest); a cross
    // toolchain's sysroot is not for this host to run: a note.
    assert_eq!(
        arch,
        [
            ("opt/arm64-tool".to_string(), "error".to_string()),
            (
                "usr/aarch64-linux-gnu/lib/tool".to_string(),
                "note".to_string()
            ),
        ],
        "{report:#}"
    );
}
