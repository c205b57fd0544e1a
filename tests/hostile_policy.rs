//! Policy and profile files as hostile input: a `.preflight.yaml` in the scanned
//! folder is written by whoever wrote the folder (a link to a host file, a FIFO, a
//! huge file), and `--policy`/`--target` may name anything. YAML built to take
//! forever (nesting, aliases). Every input is built at run time.

mod common;

use preflight::policy::PolicyConfig;
use preflight::profile::parse_profile;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A line no policy file has, to find out whether a file's content was printed.
const SECRET: &str = "root:$6$SECRET-HASH-0123456789:19000:0:99999:7:::";

/// Runs `command`, killing it after 60 s (a hang is a failure, not a stuck test).
fn run_bounded(mut command: Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{command:?} still ran after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// A folder `dist` with one program, and an empty root.
fn tree() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let root = dir.path().join("root");
    fs::create_dir_all(&dist).unwrap();
    fs::create_dir_all(&root).unwrap();
    fs::copy(common::fixture("pie-glibc234"), dist.join("app")).unwrap();
    (dir, dist, root)
}

fn scan(dist: &Path, root: &Path, extra: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let mut command = common::preflight();
    command
        .args(["scan", "--quiet", "--format", "json", "--root"])
        .arg(root)
        .args(extra)
        .arg(dist);
    let out = run_bounded(command);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A `.preflight.yaml` that links to a host file was followed, and the file's content
/// printed in the parse error (`invalid type: string "root:$6$..."`).
#[test]
fn a_policy_file_in_the_tree_linking_out_is_not_followed() {
    let (dir, dist, root) = tree();
    let secret = dir.path().join("shadow");
    fs::write(&secret, format!("{SECRET}\n")).unwrap();
    symlink(&secret, dist.join(".preflight.yaml")).unwrap();
    let (code, stderr) = scan(&dist, &root, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains("SECRET-HASH"), "{stderr}");
    assert!(
        stderr.contains(".preflight.yaml") && stderr.contains("symbolic link"),
        "{stderr}"
    );
    assert!(stderr.contains("--policy"), "{stderr}");

    // A link inside the tree is refused all the same: nothing is followed there.
    fs::remove_file(dist.join(".preflight.yaml")).unwrap();
    fs::write(dist.join("policy.yaml"), "rules: {}\n").unwrap();
    symlink("policy.yaml", dist.join(".preflight.yaml")).unwrap();
    let (code, stderr) = scan(&dist, &root, &[]);
    assert_eq!(code, Some(2), "{stderr}");

    // Named with --policy, a link is the user's choice and is followed.
    let (code, stderr) = scan(
        &dist,
        &root,
        &[
            "--policy".as_ref(),
            dist.join(".preflight.yaml").as_os_str(),
        ],
    );
    assert!(code.is_some_and(|c| c < 2), "{stderr}");
}

/// A `.preflight.yaml` that is a FIFO was silently skipped (the scan then ran without
/// the policy its folder asked for); `--policy FIFO` blocked forever and `--policy
/// /dev/zero` read until memory ran out. Each is one error saying what the path is.
#[test]
fn policy_and_profile_paths_that_are_not_regular_files_are_one_clear_error() {
    let (dir, dist, root) = tree();
    mkfifo(&dist.join(".preflight.yaml"));
    let (code, stderr) = scan(&dist, &root, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(".preflight.yaml")
            && stderr.contains("FIFO")
            && stderr.contains("not a regular file"),
        "{stderr}"
    );
    fs::remove_file(dist.join(".preflight.yaml")).unwrap();

    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    for (flag, path, kind) in [
        ("--policy", fifo.as_path(), "FIFO"),
        ("--policy", Path::new("/dev/zero"), "character device"),
        ("--target", fifo.as_path(), "FIFO"),
        ("--target", Path::new("/dev/zero"), "character device"),
    ] {
        let (code, stderr) = scan(&dist, &root, &[flag.as_ref(), path.as_os_str()]);
        assert_eq!(code, Some(2), "{flag} {}: {stderr}", path.display());
        assert!(
            stderr.contains(&path.display().to_string())
                && stderr.contains(kind)
                && stderr.contains("not a regular file"),
            "{flag} {}: {stderr}",
            path.display()
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }

    // A file larger than any policy: refused by its size, not read.
    let huge = dir.path().join("huge.yaml");
    fs::File::create(&huge).unwrap().set_len(1 << 30).unwrap();
    for flag in ["--policy", "--target"] {
        let (code, stderr) = scan(&dist, &root, &[flag.as_ref(), huge.as_os_str()]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("larger than"), "{flag}: {stderr}");
    }
}

/// A policy file's errors quote what it holds cut short and escaped: a file of
/// terminal escapes and kilobytes of text printed neither.
#[test]
fn policy_errors_quote_a_short_escaped_excerpt() {
    let (_dir, dist, root) = tree();
    let long = "A".repeat(5000);
    fs::write(
        dist.join(".preflight.yaml"),
        format!("\"\\e]0;pwned\\a\\e[2J{long}\"\n"),
    )
    .unwrap();
    let (code, stderr) = scan(&dist, &root, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\x07'),
        "{stderr}"
    );
    assert!(stderr.len() < 500, "{} bytes: {stderr}", stderr.len());
    assert!(stderr.contains("]0;pwned"), "{stderr}");

    // An unknown key and an unknown rule, each a long name with escapes.
    let key = format!("k\x1b[31m{long}");
    fs::write(
        dist.join(".preflight.yaml"),
        format!("waivers:\n- rule: \"x\\e[2J{long}\"\n  path: \"[\"\n  reason: r\n\"{key}\": 1\n"),
    )
    .unwrap();
    let (code, stderr) = scan(&dist, &root, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr}");
    assert!(stderr.len() < 1500, "{} bytes: {stderr}", stderr.len());
}

/// YAML nested 100,000 deep: libyaml's scanner is quadratic in the nesting (47-85 s
/// before the file was measured first), and serde_yaml's own limit only stops it
/// afterwards. Now refused at once, with its line.
#[test]
fn deeply_nested_yaml_is_refused_before_it_is_parsed() {
    let depth = 100_000;
    let flow = format!("rules: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let block = format!("waivers:\n{}x\n", "- ".repeat(depth));
    let mapping = format!("rules: {}{}\n", "{a: ".repeat(depth), "}".repeat(depth));
    for (what, text) in [("flow", &flow), ("block", &block), ("mapping", &mapping)] {
        let errors = PolicyConfig::parse(text, "deep.yaml").unwrap_err();
        assert_eq!(errors.len(), 1, "{what}");
        let message = errors[0].to_string();
        assert!(
            message.starts_with("deep.yaml:") && message.contains("nested more than 64 levels"),
            "{what}: {message}"
        );
        let errors = parse_profile(text, "deep.yaml").unwrap_err();
        assert!(errors[0].message.contains("nested more than"), "{what}");
    }
    // 60 levels of brackets is within the limit; the policy then says what is wrong.
    let fine = format!("rules: {}{}\n", "[".repeat(60), "]".repeat(60));
    let errors = PolicyConfig::parse(&fine, "p.yaml").unwrap_err();
    assert!(!errors[0].message.contains("nested"), "{errors:?}");
}

/// "Billion laughs": nine levels of ten aliases each expand a kilobyte to gigabytes.
#[test]
fn alias_bombs_are_refused_before_they_expand() {
    let mut laughs = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        laughs.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    // The same in block style, and a wide variant: one large anchored list used often.
    let mut block = String::from("a0: &a0\n");
    for _ in 0..10 {
        block.push_str("  - lol\n");
    }
    for level in 1..10 {
        block.push_str(&format!("a{level}: &a{level}\n"));
        for _ in 0..10 {
            block.push_str(&format!("  - *a{}\n", level - 1));
        }
    }
    let mut wide = format!("big: &big [{}]\n", vec!["x"; 200_000].join(", "));
    wide.push_str(&format!("uses: [{}]\n", vec!["*big"; 1000].join(", ")));
    for (what, text) in [("flow", &laughs), ("block", &block), ("wide", &wide)] {
        for text in [text.clone(), format!("requires: *a9\n{text}")] {
            let errors = PolicyConfig::parse(&text, "lol.yaml").unwrap_err();
            let message = errors[0].to_string();
            assert!(message.contains("aliases"), "{what}: {message}");
            let errors = parse_profile(&text, "lol.yaml").unwrap_err();
            assert!(errors[0].message.contains("aliases"), "{what}");
        }
    }
    // Aliases of a modest size are fine: a reason written once and used often.
    let mut reused = String::from("waivers:\n");
    for i in 0..200 {
        let reason = if i == 0 {
            "&why \"the vendor's build, ticket 42\"".to_string()
        } else {
            "*why".to_string()
        };
        reused.push_str(&format!(
            "- rule: interpreter-missing\n  path: bin/app{i}\n  reason: {reason}\n"
        ));
    }
    let policy = PolicyConfig::parse(&reused, "p.yaml").unwrap();
    assert_eq!(policy.waivers.len(), 200);
    assert_eq!(policy.waivers[199].reason, "the vendor's build, ticket 42");
}
