//! Container images as a scan source, on fixtures built by real tools (umoci, skopeo;
//! tests/fixtures/images/build.sh) with their expected outcomes in expected.json.

mod common;

use preflight::platform::Platform;
use preflight::profile::capture;
use preflight::rules::Finding;
use preflight::scan::{scan as scan_source, ScanOptions};
use preflight::source::image::open_image;
use preflight::source::{ImageHost, ImageSource};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

fn images() -> PathBuf {
    common::fixtures().join("images")
}

fn expected() -> Value {
    serde_json::from_str(&fs::read_to_string(images().join("expected.json")).unwrap()).unwrap()
}

fn scan(spec: &str, platform: Option<&str>, path: &str) -> Result<Vec<Finding>, String> {
    let image = open_image(spec, platform).map_err(|e| e.to_string())?;
    let host = ImageHost::new(image, path);
    let report =
        scan_source(&ImageSource::new(host), &ScanOptions::default()).map_err(|e| e.to_string())?;
    Ok(report.findings)
}

/// The loader findings per file, as expected.json writes them ("rule:subject").
fn loader_findings(findings: &[Finding]) -> BTreeMap<String, BTreeSet<String>> {
    let mut by_file: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in findings {
        let subjects: Vec<String> = match f.rule.id() {
            "missing-library" => vec![f.library.clone().unwrap_or_default()],
            "symbol-version" => vec![f.version.clone().unwrap_or_default()],
            "undefined-symbol" => f
                .symbols
                .iter()
                .map(|s| s.split('@').next().unwrap_or(s).to_string())
                .collect(),
            "interpreter-missing" => vec![String::new()],
            _ => continue,
        };
        for subject in subjects {
            by_file
                .entry(f.path.clone())
                .or_default()
                .insert(format!("{}:{subject}", f.rule.id()));
        }
    }
    by_file
}

fn as_sets(expected: &Value) -> BTreeMap<String, BTreeSet<String>> {
    expected
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, list)| {
            (
                path.clone(),
                list.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// What the real loader said (`ldd -r` chrooted into the unpacked image, recorded in
/// expected.json) as "rule:subject" per file. A symbol `ldd` lists with the version
/// it lacks is the version gap, which preflight reports once.
fn oracle(want: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut by_file: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, run) in want["loader_oracle"].as_object().unwrap() {
        let set = by_file.entry(path.clone()).or_default();
        for line in run["output"].as_str().unwrap().lines() {
            let line = line.trim();
            if let Some(lib) = line.strip_suffix(" => not found") {
                set.insert(format!("missing-library:{lib}"));
            } else if let Some(rest) = line.strip_prefix("undefined symbol: ") {
                let symbol = rest.split('\t').next().unwrap();
                if !symbol.contains(", version ") {
                    set.insert(format!("undefined-symbol:{symbol}"));
                }
            } else if let Some(i) = line.find("version `") {
                let version = line[i + 9..].split('\'').next().unwrap();
                set.insert(format!("symbol-version:{version}"));
            }
        }
    }
    by_file
}

#[test]
fn each_image_format_gives_exactly_what_the_real_loader_says() {
    let want = expected();
    // A hard link is its file under another name: preflight reports the file once, by
    // the name the walk meets first (as for a folder), and the loader said the same of
    // both names.
    let hardlinks = want["rootfs"]["hardlinks"].as_object().unwrap();
    let mut oracle = oracle(&want);
    for (link, file) in hardlinks {
        let said = oracle.remove(link).unwrap();
        assert_eq!(said, oracle[file.as_str().unwrap()], "{link}");
    }
    let mut checked = 0;
    for (name, image) in want["images"].as_object().unwrap() {
        let spec = images().join(name);
        for form in [
            spec.to_string_lossy().into_owned(),
            image["reference"].as_str().unwrap().replacen(
                ':',
                &format!(":{}/", images().display()),
                1,
            ),
        ] {
            let findings = scan(&form, None, "/").unwrap_or_else(|e| panic!("{form}: {e}"));
            let got = loader_findings(&findings);
            assert_eq!(got, oracle, "{form}");
            // The planted faults (expected.json's list) are all among them.
            for (path, planted) in as_sets(&image["findings"]) {
                if hardlinks.contains_key(&path) {
                    continue;
                }
                assert!(planted.is_subset(&got[&path]), "{form} {path}");
            }
            for clean in image["no_findings"].as_array().unwrap() {
                assert!(
                    findings.iter().all(|f| f.path != clean.as_str().unwrap()),
                    "{form}: {clean}"
                );
            }
            // Every finding names the layer its file came from.
            assert!(
                findings
                    .iter()
                    .all(|f| f.layer.as_deref().is_some_and(|l| l.starts_with("sha256:"))),
                "{form}"
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked, 8,
        "four images, each by path and by transport reference"
    );
}

#[test]
fn findings_name_the_layer_that_brought_the_file() {
    let want = expected();
    let layers: Vec<String> = want["images"]["app.oci"]["layer_digests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().chars().take(19).collect())
        .collect();
    let findings = scan(&images().join("app.oci").to_string_lossy(), None, "/").unwrap();
    let layer_of = |path: &str| {
        findings
            .iter()
            .find(|f| f.path == path)
            .and_then(|f| f.layer.clone())
    };
    assert_eq!(layer_of("/app/bin/app"), Some(layers[0].clone()));
    assert_eq!(layer_of("/app/bin/newglibc"), Some(layers[1].clone()));
}

#[test]
fn path_limits_the_files_checked_not_the_libraries() {
    let findings = scan(
        &images().join("app.oci").to_string_lossy(),
        None,
        "/app/bin/newglibc",
    )
    .unwrap();
    let files: BTreeSet<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, BTreeSet::from(["/app/bin/newglibc"]));
    // The image's libc (outside --path) still answered: the finding is the version gap.
    assert_eq!(findings[0].rule.id(), "symbol-version");
}

#[test]
fn hostile_images_fail_cleanly_or_are_reported() {
    let want = expected();
    for (name, case) in want["hostile"].as_object().unwrap() {
        let spec = images()
            .join("hostile")
            .join(name)
            .to_string_lossy()
            .into_owned();
        match case["expect"].as_str().unwrap() {
            "error" => {
                let error = scan(&spec, None, "/").expect_err(name);
                let hint = match case["error"].as_str().unwrap() {
                    "digest-mismatch" => "does not match its digest",
                    "missing-blob" => "missing from the image",
                    "truncated-layer" => "layer",
                    "platform-required" => "--platform",
                    "tag-required" => "several tags",
                    other => panic!("unknown expected error {other}"),
                };
                assert!(error.contains(hint), "{name}: {error}");
                if let Some(blob) = case["blob"].as_str() {
                    let short: String = blob.chars().take(19).collect();
                    let hex = &blob["sha256:".len()..];
                    assert!(
                        error.contains(&short) || error.contains(hex),
                        "{name} names the blob: {error}"
                    );
                }
                for platform in case["platforms"].as_array().into_iter().flatten() {
                    let p = platform.as_str().unwrap();
                    assert!(
                        error.contains(p.trim_end_matches("/v8")),
                        "{name} lists {p}: {error}"
                    );
                }
                for tag in case["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|_| case["error"] == "tag-required")
                {
                    assert!(
                        error.contains(tag.as_str().unwrap()),
                        "{name} lists {tag}: {error}"
                    );
                }
                for (platform, outcome) in case["with_platform"].as_object().into_iter().flatten() {
                    let findings = scan(&spec, Some(platform), "/")
                        .unwrap_or_else(|e| panic!("{name} {platform}: {e}"));
                    assert_eq!(
                        loader_findings(&findings),
                        as_sets(&outcome["findings"]),
                        "{name} {platform}"
                    );
                }
                for (tag, outcome) in case["with_tag"].as_object().into_iter().flatten() {
                    let findings = scan(&format!("oci:{spec}:{tag}"), None, "/")
                        .unwrap_or_else(|e| panic!("{name}:{tag}: {e}"));
                    assert_eq!(
                        loader_findings(&findings),
                        as_sets(&outcome["findings"]),
                        "{name}:{tag}"
                    );
                }
            }
            "report" => {
                let findings = scan(&spec, None, "/").unwrap_or_else(|e| panic!("{name}: {e}"));
                let got = loader_findings(&findings);
                let planted = as_sets(&case["findings"]);
                assert_eq!(
                    got.keys().collect::<Vec<_>>(),
                    planted.keys().collect::<Vec<_>>(),
                    "{name}"
                );
                for (path, faults) in planted {
                    // Beyond the planted fault, only the symbols of the missing library.
                    let extra: Vec<&String> = got[&path].difference(&faults).collect();
                    assert!(faults.is_subset(&got[&path]), "{name} {path}: {got:?}");
                    assert!(
                        extra.iter().all(|e| e.starts_with("undefined-symbol:")),
                        "{name} {path}: {extra:?}"
                    );
                }
                let unsafe_entries = case["unsafe_entries"].as_array().map_or(0, Vec::len);
                let reported = findings
                    .iter()
                    .filter(|f| f.rule.id() == "unsafe-image-entry")
                    .count();
                assert_eq!(reported, unsafe_entries, "{name}: {findings:#?}");
            }
            other => panic!("unknown expectation {other}"),
        }
    }
}

#[test]
fn an_image_can_be_captured_as_a_profile() {
    let image = open_image(&images().join("app.oci").to_string_lossy(), None).unwrap();
    let host = ImageHost::new(image, "/");
    let profile = capture(&host, "app.oci", Platform::LinuxAmd64, Some("app")).unwrap();
    let platform = &profile.platforms["linux/amd64"];
    assert_eq!(
        platform.libc_version, "2.31",
        "the stand-in libc defines up to GLIBC_2.31"
    );
    assert!(platform.libraries.contains_key("libold.so.1"));
    assert!(
        !platform.libraries.contains_key("libgone.so.1"),
        "whited out in layer 2"
    );
    assert_eq!(profile.family, "fixture");
}

#[test]
fn the_cli_scans_an_image_against_a_target() {
    let out = common::preflight()
        .args([
            "scan",
            "--format",
            "json",
            "--target",
            "debian-12",
            "--path",
            "/app",
        ])
        .arg(format!("oci:{}:latest", images().join("app.oci").display()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["hosts"][0], "debian-12 (linux/amd64)");
    // Against Debian 12 (glibc 2.36) newglibc is fine; the image's own libraries do
    // not count, so libold.so.1 is missing there.
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.iter().any(|f| f["path"] == "/app/bin/newglibc"));
    assert!(findings
        .iter()
        .any(|f| f["path"] == "/app/bin/app" && f["library"] == "libold.so.1"));
}
