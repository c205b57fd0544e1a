//! Resolution inside hostile or synthetic roots: every lookup stays in the root, loops
//! and FIFOs are reported, never followed or opened; musl's rules apply to musl.

mod common;

use preflight::resolve::{AttemptOutcome, FoundBy, Resolution, ResolveOptions, Resolver};
use preflight::source::{open_host, HostObject, LibraryHost, Probe};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Arc;

fn resolve_in(root: &Path, file: &str) -> Resolution {
    let (host, _) = open_host(Some(root), &[]).unwrap();
    let resolver = Resolver::new(&host, ResolveOptions::default());
    let Probe::Found(object) = host.probe(file) else {
        panic!("{file} is not an ELF file in the root");
    };
    resolver.resolve(object, file, file)
}

/// Copies `source` to `dest` inside `root`, creating the folders on the way.
fn put(root: &Path, dest: &str, source: impl AsRef<Path>) {
    let dest = root.join(dest);
    fs::create_dir_all(dest.parent().unwrap()).unwrap();
    fs::copy(source, dest).unwrap();
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn lookups_stay_inside_the_root_and_survive_loops_and_fifos() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in [
        "bin",
        "etc/ld.so.conf.d",
        "opt/loop",
        "opt/lib",
        "lib64",
        "usr/lib64",
    ] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    put(root, "bin/app", common::fixture("pie-glibc234"));
    // Any x86_64 ELF stands in for the loader.
    put(
        root,
        "lib64/ld-linux-x86-64.so.2",
        common::fixture("librpath.so"),
    );
    fs::write(
        root.join("etc/ld.so.conf"),
        "# test\ninclude /etc/ld.so.conf.d/*.conf\n",
    )
    .unwrap();
    fs::write(
        root.join("etc/ld.so.conf.d/a.conf"),
        "/opt/loop\n/opt/lib\n",
    )
    .unwrap();
    fs::write(root.join("etc/passwd"), "root-inside\n").unwrap();
    symlink("libc.so.6", root.join("opt/loop/libc.so.6")).unwrap();
    // An absolute link: must land on the root's /etc/passwd, not the host's.
    symlink("/etc/passwd", root.join("opt/lib/libc.so.6")).unwrap();
    // A FIFO where the loader looks by default: never opened for reading.
    mkfifo(&root.join("lib64/libc.so.6"));

    let r = resolve_in(root, "/bin/app");
    assert!(!r.interpreter_missing);
    assert_eq!(r.missing.len(), 1);
    let tried = &r.missing[0].tried;
    let outcome_of = |path: &str| {
        tried
            .iter()
            .find(|t| t.path == path)
            .unwrap_or_else(|| panic!("{path} not tried: {tried:?}"))
            .outcome
            .clone()
    };
    assert_eq!(outcome_of("/opt/loop/libc.so.6"), AttemptOutcome::Loop);
    assert!(matches!(
        outcome_of("/opt/lib/libc.so.6"),
        AttemptOutcome::NotInCache(_)
    ));
    assert!(
        matches!(outcome_of("/lib64/libc.so.6"), AttemptOutcome::Fatal(ref why) if why.contains("not a regular file"))
    );
    // The FIFO stops the search, as a failed open stops ld.so.
    assert!(tried.iter().all(|t| t.path != "/usr/lib64/libc.so.6"));
}

#[test]
fn a_library_without_the_needed_versions_is_a_version_gap() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(root, "bin/app", common::fixture("pie-glibc234"));
    put(
        root,
        "lib64/ld-linux-x86-64.so.2",
        common::fixture("librpath.so"),
    );
    // A libc.so.6 that defines versions, but not GLIBC_*: every GLIBC need is a gap.
    put(
        root,
        "lib64/libc.so.6",
        common::fixture("libsoname-runpath.so.1"),
    );
    // ... and its own dependency, so nothing is missing.
    put(root, "lib64/libm.so.6", common::fixture("librpath.so"));

    let r = resolve_in(root, "/bin/app");
    let libc = r.loaded.iter().find(|l| l.soname == "libc.so.6").unwrap();
    assert_eq!(libc.found_by, FoundBy::Default);
    assert_eq!(libc.path, "/lib64/libc.so.6");
    let gap = r
        .version_gaps
        .iter()
        .find(|g| g.version == "GLIBC_2.34")
        .expect("GLIBC_2.34 gap");
    assert_eq!(gap.symbols, ["__libc_start_main"]);
    assert_eq!(gap.newest_available, None);
}

#[test]
fn musl_programs_find_libc_in_their_loader() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(root, "bin/app", common::fixture("musl-exe"));
    let r = resolve_in(root, "/bin/app");
    assert!(r.interpreter_missing, "no loader yet");

    put(
        root,
        "lib/ld-musl-x86_64.so.1",
        common::fixture("librpath.so"),
    );
    let r = resolve_in(root, "/bin/app");
    assert_eq!(serde_json::to_value(r.loader).unwrap(), "musl");
    assert!(r.missing.is_empty(), "{:?}", r.missing);
    // musl-exe NEEDs libc.so: musl's loader is its libc.
    let edge = r.edges.iter().find(|e| e.name == "libc.so").unwrap();
    assert_eq!(edge.to.as_deref(), Some("/lib/ld-musl-x86_64.so.1"));
    assert_eq!(edge.found_by, Some(FoundBy::Interpreter));
}

/// `fixture` as found in `root`, with its NEEDED list replaced: a program that needs
/// exactly `needed`, without building one per scenario.
fn program_needing(host: &dyn LibraryHost, path: &str, needed: &[&str]) -> Arc<HostObject> {
    let Probe::Found(object) = host.probe(path) else {
        panic!("{path} is not an ELF file in the root");
    };
    let mut facts = (*object.facts).clone();
    facts.needed = needed.iter().map(|n| n.to_string()).collect();
    facts.version_needs.clear();
    Arc::new(HostObject::new(
        object.real_path.clone(),
        Arc::new(facts),
        None,
        None,
    ))
}

#[test]
fn musl_stops_at_the_first_file_glibc_skips_the_wrong_class() {
    // One layout read by both loaders: an i386 libw.so.1 first on the search path, the
    // x86_64 one second.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("etc")).unwrap();
    let case = common::fixtures().join("resolve/wrong-class");
    put(root, "opt/first/libw.so.1", case.join("lib32/libw.so.1"));
    put(root, "opt/second/libw.so.1", case.join("lib/libw.so.1"));
    put(
        root,
        "lib/ld-musl-x86_64.so.1",
        common::fixture("librpath.so"),
    );
    put(
        root,
        "lib64/ld-linux-x86-64.so.2",
        common::fixture("librpath.so"),
    );
    fs::write(
        root.join("etc/ld-musl-x86_64.path"),
        "/opt/first\n/opt/second:/lib\n",
    )
    .unwrap();
    fs::write(root.join("etc/ld.so.conf"), "/opt/first\n/opt/second\n").unwrap();
    put(root, "bin/musl-app", common::fixture("musl-exe"));
    put(root, "bin/glibc-app", common::fixture("pie-glibc234"));
    let (host, _) = open_host(Some(root), &[]).unwrap();
    let resolver = Resolver::new(&host, ResolveOptions::default());

    let glibc = resolver.resolve(
        program_needing(&host, "/bin/glibc-app", &["libw.so.1"]),
        "/bin/glibc-app",
        "glibc-app",
    );
    let libw = glibc
        .loaded
        .iter()
        .find(|l| l.soname == "libw.so.1")
        .expect("glibc finds libw.so.1");
    assert_eq!(libw.path, "/opt/second/libw.so.1");
    assert_eq!(libw.found_by, FoundBy::LdSoConf);

    let musl = resolver.resolve(
        program_needing(&host, "/bin/musl-app", &["libw.so.1"]),
        "/bin/musl-app",
        "musl-app",
    );
    assert_eq!(musl.missing.len(), 1, "{:?}", musl.loaded);
    let tried = &musl.missing[0].tried;
    assert_eq!(tried.len(), 1, "musl stops at the first file: {tried:?}");
    assert_eq!(tried[0].path, "/opt/first/libw.so.1");
    assert_eq!(tried[0].found_by, FoundBy::MuslPath);
    assert!(matches!(&tried[0].outcome, AttemptOutcome::Fatal(why) if why.contains("ELF32")));
    assert_eq!(host.describe(), format!("root {}", root.display()));
}

#[test]
fn nodeflib_refuses_default_folders_and_their_cache_entries() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("etc")).unwrap();
    put(root, "bin/app", common::fixture("pie-glibc234"));
    put(
        root,
        "lib64/ld-linux-x86-64.so.2",
        common::fixture("librpath.so"),
    );
    // librpath.so has no SONAME, so the cache lists it under its file name.
    put(root, "lib64/libdef.so", common::fixture("librpath.so"));
    put(
        root,
        "opt/extra/libextra.so",
        common::fixture("librpath.so"),
    );
    fs::write(root.join("etc/ld.so.conf"), "/lib64\n/opt/extra\n").unwrap();
    let (host, _) = open_host(Some(root), &[]).unwrap();
    let resolver = Resolver::new(&host, ResolveOptions::default());

    let plain = program_needing(&host, "/bin/app", &["libdef.so", "libextra.so"]);
    let r = resolver.resolve(plain, "/bin/app", "app");
    assert!(r.missing.is_empty(), "{:?}", r.missing);

    let mut facts =
        (*program_needing(&host, "/bin/app", &["libdef.so", "libextra.so"]).facts).clone();
    facts.nodeflib = true;
    let nodeflib = Arc::new(HostObject::new(
        "/bin/app".into(),
        Arc::new(facts),
        None,
        None,
    ));
    let r = resolver.resolve(nodeflib, "/bin/app", "app");
    let missing: Vec<&str> = r.missing.iter().map(|m| m.soname.as_str()).collect();
    assert_eq!(
        missing,
        ["libdef.so"],
        "the cache entry in /lib64 is refused, /opt/extra is not"
    );
    let extra = r.loaded.iter().find(|l| l.soname == "libextra.so").unwrap();
    assert_eq!(extra.found_by, FoundBy::LdSoConf);
}
