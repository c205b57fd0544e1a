//! What a new user reads in the first runs: counts that agree with their nouns, the
//! places a missing library was looked for, a hard link in an image (issue 19).

mod common;

fn run(args: &[&str]) -> String {
    let out = common::preflight()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn one_of_a_thing_is_singular() {
    let dist = tempfile::tempdir().unwrap();
    // libtextrel.so has exactly one text relocation.
    std::fs::copy(
        common::fixture("libtextrel.so"),
        dist.path().join("libtextrel.so"),
    )
    .unwrap();
    let dir = dist.path().to_str().unwrap();
    let table = run(&["scan", dir, "--target", "debian-12"]);
    assert!(
        table.contains("1 relocation writes into read-only segments"),
        "{table}"
    );
    assert!(
        table.contains(": 1 file, 1 ELF (1 shared-library), 0 unreadable, 0 not ELF;"),
        "{table}"
    );
    assert!(table.contains(": 0 errors, 1 warning, 0 notes"), "{table}");

    let github = run(&[
        "scan",
        "samples/dist",
        "--target",
        "ubuntu-22.04",
        "--format",
        "github",
    ]);
    assert!(
        github.contains(
            "3 ELF files checked against ubuntu-22.04 (linux/amd64): 1 error, 0 warnings, 0 notes"
        ),
        "{github}"
    );
    let markdown = run(&[
        "scan",
        "samples/dist",
        "--target",
        "ubuntu-22.04",
        "--format",
        "markdown",
    ]);
    assert!(
        markdown.contains("1 error remains there whatever is installed"),
        "{markdown}"
    );
}

#[test]
fn a_folder_searched_twice_is_listed_once_in_tried() {
    // /lib/x86_64-linux-gnu is both in ld.so.conf and a default folder: glibc looks
    // in it twice (the cache, then the folder), but a file absent the first time is
    // absent the second, and the list a user reads names it once.
    let root = tempfile::tempdir().unwrap();
    for dir in ["etc", "lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"] {
        std::fs::create_dir_all(root.path().join(dir)).unwrap();
    }
    std::fs::write(
        root.path().join("etc/ld.so.conf"),
        "/lib/x86_64-linux-gnu\n",
    )
    .unwrap();
    let out = common::preflight()
        .args(["tree", "--format", "json", "--root"])
        .arg(root.path())
        .arg(common::fixture("ssl-app"))
        .output()
        .unwrap();
    let tree: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let missing = tree["missing"].as_array().unwrap();
    assert!(!missing.is_empty());
    for m in missing {
        let paths: Vec<&str> = m["tried"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["path"].as_str().unwrap())
            .collect();
        let mut unique = paths.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(paths.len(), unique.len(), "{paths:?}");
        assert_eq!(
            paths[0],
            format!("/lib/x86_64-linux-gnu/{}", m["soname"].as_str().unwrap())
        );
        assert_eq!(m["tried"][0]["found_by"], "ld.so.conf");
    }
}
