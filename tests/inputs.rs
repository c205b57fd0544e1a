//! Every input kind preflight reads, built by real tools (tests/fixtures/inputs/build.sh):
//! one file, several paths, archives (tar plain and compressed, zip, nested), Python
//! wheels, an npm package, a .deb, an .rpm; each scanned directly gives the findings
//! of the same files scanned as a folder, and hostile archives each give one clear
//! finding while the rest of the scan goes on.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn inputs() -> PathBuf {
    common::fixtures().join("inputs")
}

fn input(name: &str) -> String {
    inputs().join(name).to_string_lossy().into_owned()
}

struct Scan {
    report: Value,
    code: i32,
    stderr: String,
}

fn scan(args: &[&str]) -> Scan {
    let out = common::preflight()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    Scan {
        report,
        code: out.status.code().unwrap_or(-1),
        stderr,
    }
}

fn findings(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {report}"))
        .iter()
        .collect()
}

/// (rule, path, target, library, version) of each finding, paths with `strip`
/// removed from their start.
fn summary(report: &Value, strip: &str) -> BTreeSet<String> {
    findings(report)
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            format!(
                "{} {} {} {} {}",
                f["rule"].as_str().unwrap(),
                path.strip_prefix(strip).unwrap_or(path),
                f["target"],
                f["library"],
                f["version"]
            )
        })
        .collect()
}

fn files(report: &Value) -> Vec<String> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

fn rules_at(report: &Value, rule: &str) -> Vec<(String, String)> {
    findings(report)
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn one_file_is_scanned_with_its_folder_as_its_origin() {
    let s = scan(&[&input("tree/app/bin/app")]);
    assert_eq!(files(&s.report), ["app"], "{}", s.stderr);
    // libfoo.so comes from $ORIGIN/../lib, beside the file: no missing library.
    assert!(
        rules_at(&s.report, "missing-library").is_empty(),
        "{:#}",
        s.report["findings"]
    );
    assert_eq!(s.code, 0, "{}", s.stderr);
}

#[test]
fn several_paths_are_one_scan() {
    let app = input("tree/app/bin/app");
    let lib = input("tree/app/lib/libneeds.so");
    let s = scan(&[&app, &lib]);
    assert_eq!(files(&s.report), [app.clone(), lib.clone()], "{}", s.stderr);
    let missing = rules_at(&s.report, "missing-library");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].0, lib);
    assert!(missing[0].1.contains("libabsent.so.7"), "{missing:?}");
}

#[test]
fn a_fifo_is_refused_by_its_type() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let s = scan(&[fifo.to_str().unwrap()]);
    assert_eq!(s.code, 2);
    assert!(
        s.stderr.contains("pipe") && s.stderr.contains("FIFO"),
        "{}",
        s.stderr
    );
}

#[test]
fn a_file_preflight_does_not_read_names_what_it_reads() {
    let s = scan(&[&input("tree/app/README")]);
    assert_eq!(s.code, 2);
    assert!(
        s.stderr.contains("README") && s.stderr.contains("archives") && s.stderr.contains("wheels"),
        "{}",
        s.stderr
    );
}

#[test]
fn every_archive_form_gives_the_findings_of_its_folder() {
    for target in [&[][..], &["--target", "debian-12"][..]] {
        let mut folder_args = vec![input("tree")];
        folder_args.extend(target.iter().map(|t| t.to_string()));
        let folder_args: Vec<&str> = folder_args.iter().map(String::as_str).collect();
        let folder = scan(&folder_args);
        let expected = summary(&folder.report, "");
        assert!(
            expected
                .iter()
                .any(|f| f.starts_with("missing-library app/lib/libneeds.so")),
            "{expected:#?}"
        );
        for name in [
            "tree.tar",
            "tree.tar.gz",
            "tree.tar.xz",
            "tree.tar.zst",
            "tree.tar.bz2",
            "tree.zip",
        ] {
            let mut args = vec![input(name)];
            args.extend(target.iter().map(|t| t.to_string()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let archive = scan(&args);
            assert_eq!(
                files(&archive.report),
                files(&folder.report),
                "{name}: {}",
                archive.stderr
            );
            assert_eq!(summary(&archive.report, ""), expected, "{name} {target:?}");
            assert_eq!(archive.code, folder.code, "{name}");
        }
    }
}

#[test]
fn packages_give_the_findings_of_their_payload_and_name_the_package() {
    let folder = scan(&[&input("tree/app")]);
    let expected = summary(&folder.report, "");
    for (name, label) in [
        ("fixture-app_1.0-1_amd64.deb", "fixture-app 1.0-1 (amd64)"),
        ("fixture-app-1.0-1.x86_64.rpm", "fixture-app 1.0-1 (x86_64)"),
    ] {
        let s = scan(&[&input(name)]);
        assert_eq!(
            summary(&s.report, "usr/lib/fixture/"),
            expected,
            "{name}: {}",
            s.stderr
        );
        // Installed at `/`: usr/bin/sysapp finds libsys.so.1 where the package puts
        // it, in the default search path, on this machine and on a target.
        assert!(files(&s.report).contains(&"usr/bin/sysapp".to_string()));
        let s = scan(&[&input(name), "--target", "debian-12"]);
        let missing = rules_at(&s.report, "missing-library");
        assert_eq!(missing.len(), 1, "{name}: {missing:?}");
        assert_eq!(missing[0].0, "usr/lib/fixture/lib/libneeds.so");
        let missing = findings(&s.report)
            .into_iter()
            .find(|f| f["rule"] == "missing-library")
            .unwrap();
        assert_eq!(missing["layer"], label, "{name}");
        assert_eq!(missing["path"], "usr/lib/fixture/lib/libneeds.so");
    }
}

#[test]
fn a_wheel_in_a_tarball_is_read_one_level_down() {
    let s = scan(&[&input("nested.tar.gz")]);
    let wheel = "dist/glibcnew-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
    let so = format!("{wheel}/glibcnew/_native.so");
    assert!(files(&s.report).contains(&so), "{:?}", files(&s.report));
    let mismatch = rules_at(&s.report, "package-tag-mismatch");
    assert_eq!(mismatch.len(), 1, "{mismatch:?}");
    assert_eq!(mismatch[0].0, so);
    assert!(mismatch[0].1.contains("GLIBC_2.28"), "{mismatch:?}");
}

#[test]
fn wheel_content_that_contradicts_its_tags_is_reported() {
    for (wheel, case, words) in [
        (
            "glibcnew-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "glibc 2.17",
            "GLIBC_2.28",
        ),
        (
            "wrongarch-1.0-cp311-cp311-manylinux_2_28_x86_64.whl",
            "an aarch64 file",
            "x86_64",
        ),
        (
            "muslclaim-1.0-cp311-cp311-musllinux_1_2_x86_64.whl",
            "links against glibc",
            "musl",
        ),
        (
            "muslonglibc-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
            "links against musl",
            "glibc",
        ),
    ] {
        let s = scan(&[&input(wheel)]);
        let mismatch = rules_at(&s.report, "package-tag-mismatch");
        assert_eq!(mismatch.len(), 1, "{wheel}: {mismatch:?} {}", s.stderr);
        let (path, message) = &mismatch[0];
        assert!(path.ends_with("/_native.so"), "{path}");
        assert!(
            message.contains(case) && message.contains(words),
            "{wheel}: {message}"
        );
        assert_eq!(s.code, 1, "{wheel}");
    }
}

#[test]
fn a_wheel_is_checked_against_the_target_its_tag_names() {
    let s = scan(&[&input("fine-1.0-cp311-cp311-manylinux_2_28_x86_64.whl")]);
    let hosts = s.report["hosts"].to_string();
    assert!(hosts.contains("manylinux_2_28"), "{hosts}");
    assert!(
        rules_at(&s.report, "package-tag-mismatch").is_empty(),
        "{:#}",
        s.report["findings"]
    );
    // An explicit target wins.
    let s = scan(&[
        &input("fine-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"),
        "--target",
        "debian-12",
    ]);
    let hosts = s.report["hosts"].to_string();
    assert!(
        hosts.contains("debian-12") && !hosts.contains("manylinux"),
        "{hosts}"
    );
}

#[test]
fn an_npm_package_is_held_to_its_cpu_field() {
    let s = scan(&[&input("fixture-native-1.0.0.tgz")]);
    let mismatch = rules_at(&s.report, "package-tag-mismatch");
    assert_eq!(mismatch.len(), 1, "{mismatch:?} {}", s.stderr);
    assert_eq!(mismatch[0].0, "package/prebuilds/addon.node");
    assert!(mismatch[0].1.contains("cpu: [arm64]"), "{mismatch:?}");
}

#[test]
fn hostile_entries_are_each_reported_and_never_followed() {
    let s = scan(&[&input("hostile.tar")]);
    let unsafe_entries = rules_at(&s.report, "unsafe-archive-entry");
    let messages: Vec<&str> = unsafe_entries.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(messages.len(), 6, "{unsafe_entries:#?}");
    for words in [
        "`..`",
        "absolute entry name",
        "../../../etc/passwd, out of the archive",
        "/usr/lib/libc.so.6, out of the archive",
        "device",
        "hard link",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(words)),
            "{words}: {messages:#?}"
        );
    }
    // The rest was read.
    assert_eq!(files(&s.report), ["app/lib/libfoo.so"]);
}

#[test]
fn bombs_sparse_members_and_cut_streams_are_one_finding_each() {
    for (name, words) in [
        ("bomb.tar.bz2", "decompression bomb"),
        ("bomb.zip", "decompression bomb"),
        ("truncated.tar.gz", "reading stopped here"),
    ] {
        let s = scan(&[&input(name)]);
        let found = rules_at(&s.report, "unsafe-archive-entry");
        assert_eq!(found.len(), 1, "{name}: {found:?} {}", s.stderr);
        assert!(found[0].1.contains(words), "{name}: {found:?}");
    }
    // The cut stream's entries before the cut were read.
    let s = scan(&[&input("truncated.tar.gz")]);
    assert!(
        s.report["summary"]["files_seen"].as_u64() >= Some(1),
        "{}",
        s.report["summary"]
    );
    // A 10 GiB sparse member that starts like ELF: refused by its size, not read.
    let s = scan(&[&input("sparse.tar")]);
    let unreadable = rules_at(&s.report, "unreadable-file");
    assert_eq!(unreadable.len(), 1, "{:#}", s.report);
    assert!(unreadable[0].1.contains("larger than"), "{unreadable:?}");
}

#[test]
fn a_mistyped_transport_is_a_usage_error_naming_the_transports() {
    let s = scan(&["regsitry:ghcr.io/org/app:1.2"]);
    assert_eq!(s.code, 2);
    assert!(
        s.stderr.contains("unknown transport `regsitry:`") && s.stderr.contains("`oci:`"),
        "{}",
        s.stderr
    );
    let s = scan(&["oci-archve:image.tar"]);
    assert!(
        s.stderr.contains("did you mean `oci-archive:`?"),
        "{}",
        s.stderr
    );
}

#[test]
fn an_appimage_is_its_runtime_and_its_payload_as_a_tree() {
    let folder = scan(&[&input("tree/app")]);
    let s = scan(&[&input("fixture-x86_64.AppImage")]);
    assert_eq!(
        files(&s.report),
        [
            "[runtime]",
            "usr/bin/app",
            "usr/lib/libfoo.so",
            "usr/lib/libneeds.so"
        ],
        "{}",
        s.stderr
    );
    // usr/bin/app finds usr/lib/libfoo.so through $ORIGIN/../lib, as bin/app does in
    // the folder: the same findings.
    assert_eq!(
        summary(&s.report, "usr/"),
        summary(&folder.report, ""),
        "{:#}",
        s.report["findings"]
    );
}
