//! The root's loader cache, `/etc/ld.so.cache`, read as glibc's ld.so reads it
//! (tests/fixtures/ldcache, built by its build.sh with real ldconfig; expected.txt
//! holds what the real loader did with each root).

mod common;

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

fn roots() -> PathBuf {
    common::fixtures().join("ldcache")
}

/// What the real loader did with each case: the path it loaded libgreet-ldc.so.1
/// from, or None when it could not.
fn expected(case: &str) -> Option<String> {
    let text = fs::read_to_string(roots().join("expected.txt")).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{case}: ")))
        .unwrap_or_else(|| panic!("expected.txt has no line for {case}"));
    line.strip_prefix("libgreet-ldc.so.1 => ")
        .map(str::to_string)
}

/// `preflight tree ROOT/usr/bin/PROGRAM --root ROOT ARGS --format json`.
fn tree(root: &Path, program: &str, args: &[&str]) -> Value {
    let out = common::preflight()
        .arg("tree")
        .arg(root.join("usr/bin").join(program))
        .arg("--root")
        .arg(root)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Where preflight's loader found libgreet-ldc.so.1, and how; None when missing.
fn greet(tree: &Value) -> Option<(String, String)> {
    let tree = if tree.is_array() { &tree[0] } else { tree };
    tree["loaded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["soname"] == "libgreet-ldc.so.1")
        .map(|l| {
            (
                l["path"].as_str().unwrap().to_string(),
                l["found_by"].as_str().unwrap().to_string(),
            )
        })
}

fn scan(root: &Path) -> Vec<Value> {
    let root_arg = root.to_str().unwrap();
    let app = root.join("usr/bin/app");
    let report = common::scan_json(&[app.to_str().unwrap(), "--root", root_arg]);
    report["findings"].as_array().unwrap().clone()
}

fn of_rule<'a>(findings: &'a [Value], rule: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["rule"] == rule).collect()
}

#[test]
fn each_cache_format_is_read_as_the_real_loader_reads_it() {
    // new: glibc-ld.so.cache1.1; compat: the old layout with the new one inside;
    // old-part: the old layout alone (the compat file's new header defaced); old: as
    // glibc 2.31's ldconfig -c old writes it, with string offsets no loader can use.
    // No ld.so.conf names /opt/greet/lib in these roots: only the cache has it.
    for case in ["new", "compat", "old-part", "old", "stale", "gone"] {
        let found = greet(&tree(&roots().join(case), "app", &[]));
        let want = expected(case);
        assert_eq!(found.as_ref().map(|f| f.0.clone()), want, "{case}");
        if let Some((_, how)) = found {
            assert_eq!(how, "ld.so.cache", "{case}");
        }
    }
}

#[test]
fn glibc_hwcaps_entries_of_the_cache_follow_the_cpu() {
    let root = roots().join("hwcaps");
    let base = "/opt/greet/lib/libgreet-ldc.so.1";
    let v3 = "/opt/greet/lib/glibc-hwcaps/x86-64-v3/libgreet-ldc.so.1";
    let path = |args: &[&str]| greet(&tree(&root, "app", args)).unwrap().0;
    assert_eq!(path(&[]), base, "a baseline CPU");
    assert_eq!(path(&["--cpu", "x86-64-v2"]), base);
    assert_eq!(path(&["--cpu", "x86-64-v4"]), v3);
    assert_eq!(path(&["--cpu", "x86-64-v3"]), v3);
    // The machine that ran build.sh recorded what its loader chose.
    let text = fs::read_to_string(roots().join("expected.txt")).unwrap();
    if text.contains("supports: x86-64-v4 x86-64-v3") || text.contains("supports: x86-64-v3") {
        assert_eq!(expected("hwcaps").as_deref(), Some(v3));
    }
}

#[test]
fn legacy_hwcaps_subfolders_only_where_glibc_is_2_36_or_older() {
    // glibc 2.37 removed them ("tls", the platform, legacy hwcap names).
    let old = greet(&tree(&roots().join("legacy-2.36"), "app-runpath", &[]));
    assert_eq!(old.map(|f| f.0), expected("legacy-2.36"));
    assert!(greet(&tree(&roots().join("legacy-2.39"), "app-runpath", &[])).is_none());
}

#[test]
fn the_classic_dockerfile_bug_a_conf_file_without_ldconfig() {
    let findings = scan(&roots().join("stale"));
    let stale = of_rule(&findings, "ld-cache-stale");
    assert_eq!(stale.len(), 1, "{findings:#?}");
    assert_eq!(stale[0]["severity"], "warning");
    let message = stale[0]["message"].as_str().unwrap();
    assert!(
        message.contains("/opt/greet/lib/libgreet-ldc.so.1") && message.contains("no entry"),
        "{message}"
    );
    assert!(stale[0]["fix"].as_str().unwrap().contains("RUN ldconfig"));
    // The load really fails: that is the error, and it explains the ldconfig step.
    let missing = of_rule(&findings, "missing-library");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["severity"], "error");
    assert!(missing[0]["why"]
        .as_str()
        .unwrap()
        .contains("/etc/ld.so.cache"));
    assert!(missing[0]["fix"].as_str().unwrap().contains("ldconfig"));
    // `greet` is unbound because its library is not loaded: the fix sends the user to
    // that library, not after a host library "built differently".
    let undefined = of_rule(&findings, "undefined-symbol");
    assert_eq!(undefined.len(), 1, "{findings:#?}");
    let (why, fix) = (
        undefined[0]["why"].as_str().unwrap(),
        undefined[0]["fix"].as_str().unwrap(),
    );
    assert!(
        why.contains("stops at the missing libgreet-ldc.so.1"),
        "{why}"
    );
    assert!(
        fix.starts_with("Make libgreet-ldc.so.1 load first"),
        "{fix}"
    );
}

#[test]
fn a_cache_entry_whose_file_is_gone() {
    let findings = scan(&roots().join("gone"));
    let stale = of_rule(&findings, "ld-cache-stale");
    assert_eq!(stale.len(), 1, "{findings:#?}");
    let message = stale[0]["message"].as_str().unwrap();
    assert!(
        message.contains("/opt/greet-1.0/lib/libgreet-ldc.so.1")
            && message.contains("no longer exists"),
        "{message}"
    );
    assert_eq!(of_rule(&findings, "missing-library").len(), 1);
}

#[test]
fn a_fresh_cache_gives_no_stale_finding() {
    for case in ["new", "compat", "hwcaps"] {
        let findings = scan(&roots().join(case));
        assert!(findings.is_empty(), "{case}: {findings:#?}");
    }
}

/// Copies the `stale` root (its ld.so.conf names /opt/greet/lib) with `cache` as its
/// /etc/ld.so.cache.
fn root_with_cache(cache: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&roots().join("stale"), dir.path());
    fs::write(dir.path().join("etc/ld.so.cache"), cache).unwrap();
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn hostile_caches_are_one_clear_finding() {
    let good = fs::read(roots().join("hwcaps/etc/ld.so.cache")).unwrap();
    let mut huge_count = good.clone();
    huge_count[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut key_out_of_range = good.clone();
    for entry in 0..2 {
        let at = 48 + entry * 24 + 4;
        key_out_of_range[at..at + 4].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    }
    let mut bad_extension = good.clone();
    bad_extension[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut unterminated = good.clone();
    let last = unterminated.len() - 1;
    unterminated[last] = b'x';
    unterminated.truncate(0xc2);
    let mut old_huge = b"ld.so-1.7.0\0".to_vec();
    old_huge.extend_from_slice(&u32::MAX.to_le_bytes());
    old_huge.extend_from_slice(&[0; 12]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "not a loader cache"),
        (
            "truncated header",
            good[..30].to_vec(),
            "not a loader cache",
        ),
        ("garbage", vec![0xa5; 4096], "not a loader cache"),
        ("huge entry count", huge_count, "4294967295 entries"),
        ("old layout, huge count", old_huge, "4294967295 entries"),
        ("truncated strings", unterminated, "no entry"),
        ("names out of range", key_out_of_range, "no entry"),
    ];
    for (what, bytes, says) in cases {
        let root = root_with_cache(&bytes);
        let findings = scan(root.path());
        let stale = of_rule(&findings, "ld-cache-stale");
        assert_eq!(stale.len(), 1, "{what}: {findings:#?}");
        let message = stale[0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{what}: {message}");
        assert_eq!(of_rule(&findings, "missing-library").len(), 1, "{what}");
    }
    // A broken hwcaps extension only loses the glibc-hwcaps entries.
    let root = root_with_cache(&bad_extension);
    let found = greet(&tree(root.path(), "app", &["--cpu", "x86-64-v3"])).unwrap();
    assert_eq!(found.0, "/opt/greet/lib/libgreet-ldc.so.1");
}

#[test]
fn a_cache_larger_than_any_real_one_is_refused_unread() {
    let root = root_with_cache(b"");
    let file = fs::File::options()
        .write(true)
        .open(root.path().join("etc/ld.so.cache"))
        .unwrap();
    // Sparse: 65 MiB of nothing.
    file.set_len(65 << 20).unwrap();
    let findings = scan(root.path());
    let stale = of_rule(&findings, "ld-cache-stale");
    assert_eq!(stale.len(), 1, "{findings:#?}");
    assert!(stale[0]["message"]
        .as_str()
        .unwrap()
        .contains("larger than 64 MiB"));
}

#[test]
fn cpu_levels_are_checked_when_parsed() {
    let out = common::preflight()
        .args(["tree", "/bin/sh", "--cpu", "x86-64-v9"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("x86-64-v3") && err.contains("host"), "{err}");
}

/// `root` as a one-layer image, as `docker save` writes it.
fn docker_archive_of(root: &Path, out: &Path) {
    let mut layer = tar::Builder::new(Vec::new());
    layer.follow_symlinks(false);
    layer.append_dir_all(".", root).unwrap();
    let layer = layer.into_inner().unwrap();
    let digest: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&layer)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{digest}"]}}}}"#
    );
    let manifest = r#"[{"Config":"config.json","RepoTags":["stale:1"],"Layers":["layer.tar"]}]"#;
    let mut image = tar::Builder::new(fs::File::create(out).unwrap());
    for (name, data) in [
        ("config.json", config.as_bytes()),
        ("layer.tar", &layer[..]),
        ("manifest.json", manifest.as_bytes()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        image.append_data(&mut header, name, data).unwrap();
    }
    image.finish().unwrap();
}

#[test]
fn an_image_is_judged_by_its_own_cache() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("image.tar");
    docker_archive_of(&roots().join("stale"), &image);
    let spec = format!("docker-archive:{}", image.display());
    let report = common::scan_json(&[&spec]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(
        of_rule(findings, "ld-cache-stale").len(),
        1,
        "{findings:#?}"
    );
    assert_eq!(of_rule(findings, "missing-library").len(), 1);
    // The same files with a cache that has the library: nothing to report.
    let fresh = tempfile::tempdir().unwrap();
    copy_tree(&roots().join("stale"), fresh.path());
    fs::copy(
        roots().join("new/etc/ld.so.cache"),
        fresh.path().join("etc/ld.so.cache"),
    )
    .unwrap();
    let image = dir.path().join("fresh.tar");
    docker_archive_of(fresh.path(), &image);
    let spec = format!("docker-archive:{}", image.display());
    let report = common::scan_json(&[&spec]);
    let findings = report["findings"].as_array().unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
}

/// A FIFO or a link out of the root where the cache should be is never opened
/// through: the root counts as having no cache (ld.so could not map either).
#[test]
fn a_fifo_or_an_escaping_link_as_the_cache_is_not_followed() {
    let root = root_with_cache(b"");
    let cache = root.path().join("etc/ld.so.cache");
    fs::remove_file(&cache).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(&cache)
        .status()
        .unwrap();
    assert!(status.success());
    // No cache: the one ldconfig would write, which has the library.
    let found = greet(&tree(root.path(), "app", &[])).unwrap();
    assert_eq!(
        found,
        (
            "/opt/greet/lib/libgreet-ldc.so.1".into(),
            "ld.so.conf".into()
        )
    );
    fs::remove_file(&cache).unwrap();
    std::os::unix::fs::symlink("../../../../../../../../etc/ld.so.cache", &cache).unwrap();
    let found = greet(&tree(root.path(), "app", &[])).unwrap();
    assert_eq!(found.1, "ld.so.conf");
}

/// `profiles capture` records what ld.so would load on the root: what its cache
/// provides and its default folders hold, not what ld.so.conf names now. In
/// capture/ the two disagree both ways (expected.txt has the real loader's verdicts):
/// the cache has libgreet-ldc.so.1 from a folder ld.so.conf no longer names, and
/// ld.so.conf names the folder of libgreet-conf.so.1, added after ldconfig ran.
#[test]
fn a_captured_profile_has_what_the_cache_provides() {
    let root = roots().join("capture");
    let out = common::preflight()
        .args(["profiles", "capture"])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let profile = preflight::profile::parse_profile(&text, "captured.yaml").unwrap();
    let facts = profile
        .platform(preflight::platform::Platform::LinuxAmd64)
        .expect("linux/amd64 captured");
    let recorded = fs::read_to_string(roots().join("expected.txt")).unwrap();
    let loads = |case: &str, soname: &str| {
        let line = recorded
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{case}: ")))
            .unwrap_or_else(|| panic!("expected.txt has no line for {case}"));
        line.starts_with(&format!("{soname} => "))
    };
    let (cached, conf) = ("libgreet-ldc.so.1", "libgreet-conf.so.1");
    // The fixture is the one intended: the real loader finds one and not the other.
    assert!(loads("capture", cached) && !loads("capture-conf", conf));
    assert!(facts.libraries.contains_key(cached), "{text}");
    assert!(!facts.libraries.contains_key(conf), "{text}");

    // Checked against the captured profile, each program gets the real loader's
    // verdict: app runs, app-conf misses its library.
    let dir = tempfile::tempdir().unwrap();
    let captured = dir.path().join("captured.yaml");
    fs::write(&captured, &text).unwrap();
    let bin = root.join("usr/bin");
    let report = common::scan_json(&[
        bin.to_str().unwrap(),
        "--target",
        captured.to_str().unwrap(),
    ]);
    let missing: Vec<&str> = of_rule(report["findings"].as_array().unwrap(), "missing-library")
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["app-conf"], "{report}");
}
