//! The scan table and tree at the scale of a real package (issue 15, "Readable at the
//! scale of a real package"): the verdict first, a rule's why and fix once per target,
//! long lists folded by folder and cut short, no path broken across lines outside a
//! terminal, `tree`'s already-loaded repeats folded. JSON keeps everything.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

/// `count` copies of a glibc program under `root`, at `folder/m{i}`.
fn copies(root: &Path, folder: &str, count: usize) {
    let dir = root.join(folder);
    fs::create_dir_all(&dir).unwrap();
    for i in 0..count {
        fs::copy(common::fixture("pie-glibc234"), dir.join(format!("m{i}"))).unwrap();
    }
}

fn scan_table(dir: &Path, extra: &[&str]) -> String {
    let out = common::preflight()
        .arg("scan")
        .arg(dir)
        .args(["--target", "alpine-3.20"])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

const WHY: &str = "Its loader and libc do not exist there";

#[test]
fn one_finding_on_many_files_says_its_why_and_fix_once_and_folds_folders() {
    let dir = tempfile::tempdir().unwrap();
    copies(dir.path(), "pkg/core", 20);
    copies(dir.path(), "pkg/io", 2);
    let text = scan_table(dir.path(), &[]);
    // The verdict comes first.
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("FAIL alpine-3.20 (linux/amd64): 22 errors"),
        "{text}"
    );
    // One group: the rule on the target, its message once over the files.
    assert!(
        text.contains("error [libc-mismatch] on alpine-3.20: 22 files\n"),
        "{text}"
    );
    assert_eq!(text.matches(WHY).count(), 1, "{text}");
    assert_eq!(
        text.matches("  fix: Build it against musl").count(),
        1,
        "{text}"
    );
    assert!(text.contains("\n    pkg/core/ (20 files)\n"), "{text}");
    assert!(text.contains("\n    pkg/io/m0\n    pkg/io/m1\n"), "{text}");
    // Same kind, arch and interpreter on every row: said once, not in 22 rows.
    assert!(
        text.contains("all 22 files: kind pie-executable; arch x86_64; interpreter /lib64/ld-linux-x86-64.so.2"),
        "{text}"
    );
    assert!(!text.contains("┆ pie-executable ┆"), "{text}");
    assert!(
        text.lines().count() < 60,
        "{} lines:\n{text}",
        text.lines().count()
    );

    // --verbose: every file, each finding its own line; why and fix still once.
    let all = scan_table(dir.path(), &["--verbose"]);
    for i in 0..20 {
        assert!(
            all.contains(&format!("  pkg/core/m{i}: is linked against glibc")),
            "{all}"
        );
    }
    assert_eq!(all.matches(WHY).count(), 1, "{all}");

    // JSON loses nothing: every finding with its own why and fix.
    let json = common::scan_json(&[dir.path().to_str().unwrap(), "--target", "alpine-3.20"]);
    let findings = json["findings"].as_array().unwrap();
    let mismatches: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "libc-mismatch")
        .collect();
    assert_eq!(mismatches.len(), 22);
    assert!(mismatches
        .iter()
        .all(|f| f["why"].as_str().unwrap().contains(WHY) && f["fix"].is_string()));
}

#[test]
fn long_lists_are_cut_short_with_the_way_to_see_them_all() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        copies(dir.path(), &format!("d{i:02}"), 1);
    }
    let text = scan_table(dir.path(), &[]);
    assert!(text.contains("\n    d00/m0\n"), "{text}");
    assert!(text.contains("\n    ... and 28 more files\n"), "{text}");
    assert!(
        text.contains("... and 10 more files (--verbose or --format json lists every one)"),
        "{text}"
    );
    assert!(!text.contains("d39/m0"), "{text}");
    let all = scan_table(dir.path(), &["--verbose"]);
    assert_eq!(
        all.matches("d39/m0").count(),
        2,
        "a row and a finding:\n{all}"
    );
    assert!(!all.contains("more files"), "{all}");
}

/// Files of a deep package: the paths are longer than the terminal is wide.
fn long_paths(root: &Path) -> Vec<String> {
    let folder = format!(
        "site-packages/{}/core",
        "averyveryverylongpackagename".repeat(3)
    );
    copies(root, &folder, 3);
    (0..3).map(|i| format!("{folder}/m{i}")).collect()
}

#[test]
fn piped_no_path_is_broken_across_lines() {
    let dir = tempfile::tempdir().unwrap();
    let paths = long_paths(dir.path());
    let text = scan_table(dir.path(), &[]);
    for path in &paths {
        assert!(
            text.lines().filter(|l| l.contains(path.as_str())).count() >= 2,
            "{path} whole in the table and the findings:\n{text}"
        );
    }
}

#[test]
fn written_to_a_file_from_a_narrow_terminal_no_path_is_broken() {
    // `--output FILE` typed at a terminal: the file gets whole lines, whatever the
    // terminal's width (comfy-table alone wraps to it). `script` gives the command a
    // terminal 40 columns wide.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no script(1)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let paths = long_paths(dir.path());
    let elsewhere = tempfile::tempdir().unwrap();
    let report = elsewhere.path().join("report.txt");
    let command = format!(
        "stty cols 40; '{}' scan '{}' --target alpine-3.20 --output '{}'",
        env!("CARGO_BIN_EXE_preflight"),
        dir.path().display(),
        report.display()
    );
    let run = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let text = fs::read_to_string(&report).unwrap();
    for path in &paths {
        assert!(
            text.lines().filter(|l| l.contains(path.as_str())).count() >= 2,
            "{path} whole in the table and the findings:\n{text}"
        );
    }
}

#[test]
fn tree_folds_what_the_load_already_holds_and_json_keeps_it() {
    let app = common::fixture("pie-glibc234");
    let out = common::preflight().arg("tree").arg(&app).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let repeats: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[already-loaded]"))
        .collect();
    assert!(!repeats.is_empty(), "{text}");
    // A repeat is its names, not its path again: that is shown where it was loaded.
    assert!(repeats.iter().all(|l| !l.contains("=>")), "{text}");
    let json = common::preflight()
        .arg("tree")
        .arg(&app)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        json["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["found_by"] == "already-loaded" && e["to"].is_string()),
        "{json}"
    );
}

/// `preflight ARGS` at a terminal `cols` wide (`script` gives it one), its screen as
/// lines; None without script(1).
fn at_terminal(cols: u16, args: &[String]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no script(1)");
        return None;
    }
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let command = format!(
        "stty cols {cols}; '{}' {}",
        env!("CARGO_BIN_EXE_preflight"),
        quoted.join(" ")
    );
    let run = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .unwrap();
    Some(String::from_utf8(run.stdout).unwrap().replace("\r\n", "\n"))
}

fn piped(args: &[String]) -> String {
    let out = common::preflight().args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// The first cells of a table's rows (the profiles table's names).
fn profile_names(table: &str) -> Vec<String> {
    table
        .lines()
        .skip(3) // the top border, the header, the rule under it
        .filter_map(|l| l.strip_prefix("│ "))
        .map(|l| l.split(" ┆").next().unwrap().trim().to_string())
        .collect()
}

#[test]
fn profiles_and_runs_on_tables_never_wrap_in_a_pipe_or_a_file() {
    // In a pipe: a row is one line (the footer counts the profiles).
    let list = piped(&strings(&["profiles"]));
    let count: usize = list
        .lines()
        .find_map(|l| l.strip_suffix(" built-in profiles; `preflight profiles show NAME` prints one with its sources, `--libraries` what it knows of each library."))
        .expect(&list)
        .parse()
        .unwrap();
    assert!(count > 10, "{list}");
    assert_eq!(
        list.lines().filter(|l| l.starts_with("│ ")).count(),
        count + 1,
        "a line per profile and the header:\n{list}"
    );
    assert_eq!(profile_names(&list).len(), count, "{list}");

    // Written with --output from a terminal 40 columns wide: the same whole lines.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profiles.txt");
    let file_arg = file.to_str().unwrap();
    if at_terminal(40, &strings(&["profiles", "--output", file_arg])).is_none() {
        return;
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), list);

    // The runs-on matrix of a deep package: each path whole, piped and in a file.
    let package = tempfile::tempdir().unwrap();
    let paths = long_paths(package.path());
    let scan = strings(&["scan", package.path().to_str().unwrap(), "--runs-on"]);
    let matrix = piped(&scan);
    for path in &paths {
        assert!(matrix.contains(&format!("│ {path} ┆")), "{matrix}");
    }
    let file = dir.path().join("runs-on.txt");
    let mut to_file = scan.clone();
    to_file.extend(strings(&["--output", file.to_str().unwrap()]));
    at_terminal(40, &to_file).unwrap();
    assert_eq!(fs::read_to_string(&file).unwrap(), matrix);
}

#[test]
fn at_a_terminal_the_key_column_of_profiles_and_runs_on_is_never_wrapped() {
    let names = profile_names(&piped(&strings(&["profiles"])));
    let package = tempfile::tempdir().unwrap();
    let paths = long_paths(package.path());
    let scan = strings(&["scan", package.path().to_str().unwrap(), "--runs-on"]);
    // Too narrow for the other columns to give way (no line is wrapped then), and wide
    // enough that they do and the table fits.
    for (cols, fits) in [(40, false), (130, true)] {
        let Some(screen) = at_terminal(cols, &strings(&["profiles"])) else {
            return;
        };
        keys_whole(&screen, cols, fits, &names);
    }
    for (cols, fits) in [(40, false), (150, true)] {
        let screen = at_terminal(cols, &scan).unwrap();
        keys_whole(&screen, cols, fits, &paths);
    }
}

#[test]
fn the_runs_on_table_escapes_a_file_name_as_the_scan_table_does() {
    // A name with a terminal's escape sequence (clear the screen): shown, never run.
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        common::fixture("pie-glibc234"),
        dir.path().join("evil\x1b[2Jname"),
    )
    .unwrap();
    let matrix = piped(&strings(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--runs-on",
    ]));
    assert!(!matrix.contains('\x1b'), "{matrix:?}");
    assert!(matrix.contains("│ evil\\x1b[2Jname ┆"), "{matrix}");
}

/// Every key (a profile name, a path) stands whole in its cell on `screen`, and when
/// the table `fits` no line is longer than the terminal's `cols`.
fn keys_whole(screen: &str, cols: u16, fits: bool, keys: &[impl std::fmt::Display]) {
    for key in keys {
        assert!(
            screen.contains(&format!("│ {key} ")),
            "{cols} columns: {key} whole:\n{screen}"
        );
    }
    if fits {
        assert!(
            screen
                .lines()
                .all(|l| l.chars().count() <= usize::from(cols)),
            "{cols} columns:\n{screen}"
        );
    }
}
