//! The built-in host data (policies/hosts/), loaded as a scan loads it, checked against
//! the loader simulation's own tables and against the oracles of policies/oracles/
//! (made from real Debian 12 roots by policies/regen/oracle.sh). Data-driven: every
//! profile, platform and oracle line; no expected result is written here.

mod common;

use preflight::elf::{ElfFacts, Kind, Libc};
use preflight::platform::Platform;
use preflight::policy::{findings_from_resolution, remedy_of, Remedy};
use preflight::profile::{
    builtin_load_results, builtin_profiles_for, find_profile, find_profile_for, folders,
    quick_aliases, retired_names, Profile, ProfileHost,
};
use preflight::resolve::{musl_arch, standard_glibc_interpreters, GlibcLayout, Resolver};
use preflight::rules::{Finding, Rule, Severity};
use preflight::source::{HostObject, LibraryHost};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

fn oracle(name: &str) -> Vec<Vec<String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("policies/oracles")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// What an ELF file of `platform` looks like, with its loader and NEEDED.
fn program(platform: Platform, interpreter: &str, needed: &[&str]) -> ElfFacts {
    let mut facts = ElfFacts::bare(
        platform.class(),
        platform.endian(),
        &platform.machine_name(),
        platform.machine().e_machine(),
        Kind::PieExecutable,
    );
    facts.interpreter = Some(interpreter.to_string());
    facts.needed = needed.iter().map(|s| s.to_string()).collect();
    facts
}

/// The findings the scan pipeline makes for a program of `path` with these NEEDED,
/// resolved against `profile` on `platform` (no scanned tree around it).
fn findings_for(
    profile: &Profile,
    platform: Platform,
    path: &str,
    needed: &[&str],
) -> Vec<Finding> {
    let facts = profile.platform(platform).unwrap();
    let host = ProfileHost::new(profile, platform, None).unwrap();
    let object = Arc::new(HostObject::new(
        path.to_string(),
        Arc::new(program(platform, &facts.interpreter, needed)),
        None,
        None,
    ));
    let resolver = Resolver::new(&host, Default::default());
    let resolution = resolver.resolve(object, path, path);
    findings_from_resolution(&resolution, path, &|p| p.to_string(), &|soname| {
        remedy_of(&host, soname)
    })
}

#[test]
fn every_builtin_profile_loads_with_the_loader_facts_of_its_platforms() {
    let results = builtin_load_results();
    assert_eq!(results.len(), folders().len());
    for (folder, result) in &results {
        let profile = result.as_ref().unwrap_or_else(|e| panic!("{folder}: {e}"));
        assert_eq!(&profile.name, folder);
        // Aliases are found without parsing every header: the quick read agrees.
        let header = folders().iter().find(|f| f.name == folder).unwrap().profile;
        assert_eq!(
            quick_aliases(header).collect::<Vec<_>>(),
            profile.aliases,
            "{folder}"
        );
        assert!(profile.data_date.is_some() && profile.confidence.is_some());
        if let Some(repository) = &profile.repository {
            assert!(repository.is_sorted(), "{folder}: repository.txt unsorted");
        }
        assert!(!profile.platforms.is_empty(), "{folder}");
        for (key, facts) in &profile.platforms {
            let platform = Platform::parse(key).unwrap();
            assert_eq!(platform.as_str(), key);
            let what = format!("{folder} {key}");
            assert!(!facts.libraries.is_empty(), "{what}: no libraries");
            let wanted = program(platform, &facts.interpreter, &[]);
            match facts.libc {
                Libc::Glibc => {
                    // The loader simulation knows this platform's glibc loader, and
                    // searches first the folder the profile's libraries live in.
                    assert!(
                        standard_glibc_interpreters(&wanted).contains(&facts.interpreter),
                        "{what}: {} is not a glibc loader of {}",
                        facts.interpreter,
                        platform.machine_name()
                    );
                    let layout =
                        GlibcLayout::detect(&wanted, |d| facts.library_dirs.iter().any(|l| l == d));
                    assert_eq!(
                        layout.default_dirs.first(),
                        facts.library_dirs.first(),
                        "{what}"
                    );
                    assert!(facts.libc_soname.is_none(), "{what}");
                }
                Libc::Musl => {
                    let arch = musl_arch(None, &wanted);
                    assert_eq!(
                        facts.interpreter,
                        format!("/lib/ld-musl-{arch}.so.1"),
                        "{what}"
                    );
                    let soname = facts.libc_soname.as_deref().expect("musl libc soname");
                    assert!(facts.libraries.contains_key(soname), "{what}: {soname}");
                }
            }
            // The loader's own soname is described, with glibc's versions.
            let loader = facts.interpreter.rsplit('/').next().unwrap();
            assert!(facts.libraries.contains_key(loader), "{what}: {loader}");
        }
    }
}

#[test]
fn every_platform_has_built_in_profiles_and_every_profile_loads_alone() {
    for platform in Platform::ALL {
        let profiles = builtin_profiles_for(platform);
        assert!(!profiles.is_empty(), "{platform}");
        for loaded in &profiles {
            // Only the platform asked for is decompressed.
            assert_eq!(loaded.profile.platforms.len(), 1, "{}", loaded.profile.name);
            let alone = find_profile_for(&loaded.profile.name, platform).unwrap();
            assert_eq!(alone.profile, loaded.profile);
        }
    }
    // By alias too, and case-insensitively.
    for folder in folders() {
        for alias in quick_aliases(folder.profile) {
            assert_eq!(
                find_profile(&alias.to_uppercase()).unwrap().profile.name,
                folder.name
            );
        }
    }
}

#[test]
fn retired_releases_are_errors_that_name_the_replacement() {
    let names = retired_names();
    assert!(names.contains(&"ubuntu-18.04") && names.contains(&"centos-7"));
    for name in names {
        let error = find_profile(name).unwrap_err();
        assert!(error.contains("no longer a built-in profile"), "{error}");
        let instead = error
            .split("Check against ")
            .nth(1)
            .and_then(|rest| rest.split([',', ' ']).next())
            .unwrap();
        assert!(
            find_profile(instead).is_ok(),
            "{name}: the replacement {instead} is not built in"
        );
    }
    let out = common::preflight()
        .args(["scan", "--target", "debian-10", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("debian-11"));
}

/// The programs of every real minbase root built by policies/regen/roots.sh (Debian
/// 11-13 and Ubuntu 20.04-26.04, 20 roots over the seven platforms): every NEEDED
/// resolves against its release on its platform, so none gets a missing-library
/// finding. glibc's gconv modules' helpers (libGB.so, libJIS.so, ...) are the exception
/// the roots explain: they sit beside the modules, found through RUNPATH $ORIGIN, so
/// they are left out when they are in the same folder.
#[test]
fn the_programs_of_every_minbase_root_miss_nothing_on_their_release() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/oracles");
    let mut roots = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(root) = name.strip_suffix("-minbase-programs.tsv") else {
            continue;
        };
        let (release, arch) = root.rsplit_once('-').unwrap();
        let platform = Platform::parse(arch).unwrap_or_else(|| panic!("{name}: {arch}"));
        let profile = find_profile_for(release, platform).unwrap().profile;
        let programs = oracle(&name);
        assert!(programs.len() > 600, "{name}: {} programs", programs.len());
        let beside: std::collections::BTreeSet<String> =
            programs.iter().map(|row| row[0].clone()).collect();
        let mut checked = 0;
        for row in &programs {
            let (path, needed) = (&row[0], row.get(2).map(String::as_str).unwrap_or(""));
            let folder = path.rsplit_once('/').unwrap().0;
            let needed: Vec<&str> = needed
                .split_whitespace()
                .filter(|n| !beside.contains(&format!("{folder}/{n}")))
                .collect();
            let findings = findings_for(&profile, platform, path, &needed);
            let missing: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.rule == Rule::MissingLibrary)
                .collect();
            assert!(missing.is_empty(), "{root} {path}: {missing:#?}");
            checked += needed.len();
        }
        assert!(checked > 900, "{root}: {checked} NEEDED entries");
        roots += 1;
    }
    assert!(roots >= 20, "{roots} minbase roots");
}

/// 20 bookworm packages' programs installed on that root: each soname minbase lacks is
/// a warning naming the package `dpkg -S` names for the file the loader opened
/// (`-` where dpkg knows no owner: the library was not installed).
#[test]
fn libraries_outside_minbase_name_the_package_dpkg_names() {
    let rows = oracle("debian-12-amd64-outside-minbase.tsv");
    let profile = find_profile_for("debian-12", Platform::LinuxAmd64)
        .unwrap()
        .profile;
    let mut by_soname: BTreeMap<&str, (&str, Option<String>)> = BTreeMap::new();
    for row in &rows {
        let (program, soname, dpkg) = (&row[0], row[2].as_str(), row[3].as_str());
        let findings = findings_for(&profile, Platform::LinuxAmd64, program, &[soname]);
        assert_eq!(findings.len(), 1, "{program} {soname}: {findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule, Rule::MissingLibrary);
        assert_eq!(f.severity, Severity::Warning, "{soname}: {f:#?}");
        let package = f.package.clone().expect("a package");
        assert!(
            f.fix.contains(&format!("apt-get install {package})")),
            "{}",
            f.fix
        );
        by_soname.insert(soname, (dpkg, Some(package)));
    }
    assert!(by_soname.len() >= 30, "{} sonames", by_soname.len());
    let mut agree = 0;
    for (soname, (dpkg, ours)) in &by_soname {
        if *dpkg == "-" {
            // Not installed in the oracle's root: dpkg cannot say.
            continue;
        }
        assert_eq!(ours.as_deref(), Some(*dpkg), "{soname}");
        agree += 1;
    }
    let unknown = by_soname.values().filter(|(d, _)| *d == "-").count();
    assert_eq!(agree + unknown, by_soname.len());
    assert!(unknown <= 1, "{unknown} sonames dpkg could not name");
}

#[test]
fn wheel_policies_bundle_what_their_whitelist_lacks() {
    let profile = find_profile("manylinux2014").unwrap().profile;
    assert_eq!(profile.name, "manylinux_2_17");
    let findings = findings_for(
        &profile,
        Platform::LinuxAmd64,
        "ext.so",
        &["libz.so.1", "libcurl.so.4"],
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.library.as_deref(), Some("libcurl.so.4"));
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.fix.starts_with("Bundle libcurl.so.4 into the wheel"),
        "{}",
        f.fix
    );
    assert!(f.package.is_none());
    let host = ProfileHost::new(&profile, Platform::LinuxAmd64, None).unwrap();
    assert!(matches!(
        remedy_of(&host, "libcurl.so.4"),
        Some(Remedy::Bundle { .. })
    ));
    assert!(host.describe().starts_with("manylinux_2_17"));
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = common::preflight()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// A program of each platform, checked with `--runs-on --platform` against every
/// built-in profile of that platform: it runs exactly on the glibc targets whose
/// libc.so.6 defines the GLIBC version it needs (what `inspect` reads off it).
#[test]
fn runs_on_works_on_every_platform_with_a_program_of_it() {
    let programs = [
        (Platform::LinuxAmd64, "tests/fixtures/bin/pie-glibc234"),
        (Platform::LinuxArm64, "tests/fixtures/bin/aarch64-exe"),
        (Platform::LinuxArmV7, "tests/fixtures/hosts/bin/armhf-exe"),
        (Platform::Linux386, "tests/fixtures/bin/i386-exe"),
        (
            Platform::LinuxPpc64le,
            "tests/fixtures/hosts/bin/ppc64le-exe",
        ),
        (Platform::LinuxS390x, "tests/fixtures/bin/s390x-exe"),
        (
            Platform::LinuxRiscv64,
            "tests/fixtures/hosts/bin/riscv64-exe",
        ),
    ];
    for (platform, path) in programs {
        let facts = &json(&["inspect", "--format", "json", path])[0];
        let needs: Vec<&str> = facts["version_needs"]["libc.so.6"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let name = path.rsplit('/').next().unwrap();
        std::fs::copy(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path),
            dir.path().join(name),
        )
        .unwrap();
        let matrix = json(&[
            "scan",
            dir.path().to_str().unwrap(),
            "--runs-on",
            "--format",
            "json",
            "--platform",
            platform.as_str(),
        ]);
        let runs_on: Vec<&str> = matrix["tree"]["runs_on"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let targets = builtin_profiles_for(platform);
        assert_eq!(
            matrix["targets"].as_array().unwrap().len(),
            targets.len(),
            "{platform}"
        );
        for target in &targets {
            let p = &target.profile;
            let facts = p.platform(platform).unwrap();
            let expected = facts.libc == Libc::Glibc && {
                let described = facts.libraries["libc.so.6"].described_versions();
                needs
                    .iter()
                    .all(|n| described.provides(&(*n).into()) != Some(false))
            };
            assert_eq!(
                runs_on.contains(&p.name.as_str()),
                expected,
                "{name} on {} ({platform}): needs {needs:?}",
                p.name
            );
        }
        assert!(!runs_on.is_empty(), "{name} runs nowhere on {platform}");
    }
}

/// The wheel extension that imports a symbol manylinux2014 blacklists: a
/// blacklisted-symbol finding naming it there, and a wheel tag from the oldest
/// policy on whose blacklist it is not.
#[test]
fn a_blacklisted_symbol_keeps_a_wheel_from_its_tag() {
    let dir = "tests/fixtures/hosts/wheel-arm64";
    let report = json(&[
        "scan",
        dir,
        "--target",
        "manylinux2014",
        "--platform",
        "linux/arm64",
        "--format",
        "json",
    ]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["rule"], "blacklisted-symbol");
    assert_eq!(findings[0]["symbol"], "__cxa_thread_atexit_impl");
    assert_eq!(findings[0]["library"], "libc.so.6");
    // No host requirements for a wheel policy: it is not a host.
    assert_eq!(report["host_requirements"], serde_json::json!([]));

    let matrix = json(&[
        "scan",
        dir,
        "--runs-on",
        "--format",
        "json",
        "--platform",
        "linux/arm64",
    ]);
    let mut policies: Vec<Profile> = builtin_profiles_for(Platform::LinuxArm64)
        .into_iter()
        .map(|l| l.profile)
        .filter(|p| p.family == "manylinux")
        .collect();
    policies.sort_by_key(|p| preflight::profile::dotted_numbers(&p.version));
    let first = policies
        .iter()
        .position(|p| {
            !p.wheel_policy
                .as_ref()
                .unwrap()
                .blacklist
                .get("libc.so.6")
                .is_some_and(|symbols| symbols.iter().any(|s| s == "__cxa_thread_atexit_impl"))
        })
        .unwrap();
    assert!(first > 0, "manylinux2014 blacklists it");
    assert_eq!(
        matrix["tree"]["wheel_tags"],
        serde_json::json!([format!("{}_aarch64", policies[first].name)])
    );
}

/// `profiles capture --platform` on each of the seven platforms: a root whose musl
/// loader is a program of that platform (all capture needs to find the loader) is
/// captured with musl's loader path for it.
#[test]
fn capture_finds_the_loader_of_every_platform() {
    let programs = [
        (Platform::LinuxAmd64, "tests/fixtures/bin/pie-glibc234"),
        (Platform::LinuxArm64, "tests/fixtures/bin/aarch64-exe"),
        (Platform::LinuxArmV7, "tests/fixtures/hosts/bin/armhf-exe"),
        (Platform::Linux386, "tests/fixtures/bin/i386-exe"),
        (
            Platform::LinuxPpc64le,
            "tests/fixtures/hosts/bin/ppc64le-exe",
        ),
        (Platform::LinuxS390x, "tests/fixtures/bin/s390x-exe"),
        (
            Platform::LinuxRiscv64,
            "tests/fixtures/hosts/bin/riscv64-exe",
        ),
    ];
    for (platform, path) in programs {
        let root = tempfile::tempdir().unwrap();
        let wanted = program(platform, "", &[]);
        let loader = format!("lib/ld-musl-{}.so.1", musl_arch(None, &wanted));
        std::fs::create_dir_all(root.path().join("lib/apk/db")).unwrap();
        std::fs::write(
            root.path().join("lib/apk/db/installed"),
            "P:musl\nV:1.2.5-r9\n\n",
        )
        .unwrap();
        std::fs::copy(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path),
            root.path().join(&loader),
        )
        .unwrap();
        let out = common::preflight()
            .args(["profiles", "capture", "--platform", platform.as_str()])
            .arg(root.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{platform}: {text}");
        let profile = preflight::profile::parse_profile(&text, "captured.yaml").unwrap();
        let facts = profile.platform(platform).expect("the platform captured");
        assert_eq!(facts.libc, Libc::Musl);
        assert_eq!(facts.interpreter, format!("/{loader}"), "{platform}");
        assert_eq!(facts.libc_version, "1.2.5");
    }
}
