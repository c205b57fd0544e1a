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
