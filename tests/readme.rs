//! The README and docs/*.md as tests: every ```` ```console ```` block is run against
//! the built binary and its output compared, so an output change fails until the
//! documentation shows it (the convention is written at the top of the README's
//! "Tests and fixtures" section).
//!
//! A console block is a list of commands, each a line starting with `$ `, followed by
//! the standard output it prints. The command runs under `sh` in the repository's root
//! with the built `preflight` first on PATH (`cargo run --release --` stands for it).
//! Its exit status must be 0, or the block's `exit=N`. A line `...` in the output
//! stands for any number of lines: an abridgement the reader sees. Nothing else is
//! normalised (`README_EXAMPLES=overwrite` writes the real output into the blocks
//! shown whole, to review with git diff). A block whose info string has `skip: REASON`
//! is not run (it needs a registry, a network or a host's files); the README states
//! how many there are.
//! `needs-x86_64-host` runs a block only on an x86_64 glibc machine (its output is
//! that of "this machine": the sample's x86_64 files load there, its arm64 one does not).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One fenced block of a Markdown file.
#[derive(Debug)]
struct Block {
    file: String,
    line: usize,
    info: String,
    body: Vec<String>,
}

impl Block {
    fn lang(&self) -> &str {
        self.info.split_whitespace().next().unwrap_or("")
    }

    fn skip_reason(&self) -> Option<&str> {
        self.info.split_once("skip:").map(|(_, r)| r.trim())
    }

    fn exit_status(&self) -> i32 {
        self.info
            .split_whitespace()
            .find_map(|w| w.strip_prefix("exit="))
            .map(|n| n.parse().expect("exit=N takes a number"))
            .unwrap_or(0)
    }

    fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced blocks of `text`, with the (1-based) line of their opening fence. A fence
/// may be indented (inside a list item); its indentation is removed from the body.
fn blocks(file: &str, text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(Block, usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match open.take() {
            None => {
                if trimmed.starts_with("```") {
                    let info = trimmed.trim_start_matches('`');
                    let fence = trimmed[..trimmed.len() - info.len()].to_string();
                    let block = Block {
                        file: file.to_string(),
                        line: n + 1,
                        info: info.trim().to_string(),
                        body: Vec::new(),
                    };
                    open = Some((block, indent, fence));
                }
            }
            Some((mut block, fence_indent, fence)) => {
                if trimmed.starts_with(&fence) && trimmed.trim_end() == fence {
                    out.push(block);
                } else {
                    let cut = line.len().min(fence_indent).min(indent);
                    block.body.push(line[cut..].to_string());
                    open = Some((block, fence_indent, fence));
                }
            }
        }
    }
    assert!(open.is_none(), "{file}: a fenced block is never closed");
    out
}

/// The documentation files whose examples are checked.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// `expected` (with `...` lines) matches `actual`.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            actual.first().is_some_and(|a| a == first) && matches(rest, &actual[1..])
        }
    }
}

fn trim_blank_tail<T: AsRef<str>>(lines: &mut Vec<T>) {
    while lines.last().is_some_and(|l| l.as_ref().trim().is_empty()) {
        lines.pop();
    }
}

/// The commands of a console block, each with the output shown after it and the
/// index of its line in the block's body.
fn commands(block: &Block) -> Vec<(String, Vec<String>, usize)> {
    let mut out: Vec<(String, Vec<String>, usize)> = Vec::new();
    for (i, line) in block.body.iter().enumerate() {
        if let Some(command) = line.strip_prefix("$ ") {
            out.push((command.to_string(), Vec::new(), i));
        } else if let Some((_, output, _)) = out.last_mut() {
            output.push(line.clone());
        } else {
            panic!(
                "{}: a console block starts with a `$ ` command line, not {line:?}",
                block.at()
            );
        }
    }
    for (_, output, _) in &mut out {
        trim_blank_tail(output);
    }
    out
}

/// A command whose output differs from the block's: what to say, and what it printed.
struct Difference {
    message: String,
    printed: Vec<String>,
    status_differs: bool,
}

/// Runs one command as the README shows it; how its output differs, if it does.
fn run(block: &Block, command: &str, expected: &[String], bin_dir: &Path) -> Option<Difference> {
    let shell_command = command.replacen("cargo run --release -- ", "preflight ", 1);
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("sh")
        .arg("-c")
        .arg(&shell_command)
        .current_dir(root())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut actual: Vec<&str> = stdout.lines().collect();
    trim_blank_tail(&mut actual);
    let status = output.status.code().unwrap_or(-1);
    if matches(expected, &actual) && status == block.exit_status() {
        return None;
    }
    let first_difference = expected
        .iter()
        .take_while(|l| *l != "...")
        .zip(actual.iter().map(Some).chain(std::iter::repeat(None)))
        .position(|(e, a)| a.is_none_or(|a| a != e))
        .map(|i| format!("first difference at output line {}\n", i + 1))
        .unwrap_or_default();
    let message = format!(
        "{}: `$ {command}` exited with {status} (the block says {}); {first_difference}\
         it printed:\n{}\n--- the block shows:\n{}\n--- standard error:\n{}",
        block.at(),
        block.exit_status(),
        actual.join("\n"),
        expected.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(Difference {
        message,
        printed: actual.iter().map(|l| l.to_string()).collect(),
        status_differs: status != block.exit_status(),
    })
}

/// Replaces, in each file, `count` lines from line `first` (0-based) by `lines`.
fn rewrite(mut edits: Vec<(PathBuf, usize, usize, Vec<String>)>) {
    // From the bottom up, so that the line numbers of the edits above stay right.
    edits.sort_by(|a, b| (&a.0, b.1).cmp(&(&b.0, a.1)));
    for (path, first, count, lines) in edits {
        let text = fs::read_to_string(&path).unwrap();
        let mut all: Vec<&str> = text.lines().collect();
        all.splice(first..first + count, lines.iter().map(String::as_str));
        fs::write(&path, all.join("\n") + "\n").unwrap();
        println!("rewrote {} line {}", path.display(), first + 1);
    }
}

/// Whether this machine's `/` is the one the `needs-x86_64-host` blocks were written on.
fn x86_64_host() -> bool {
    cfg!(target_arch = "x86_64") && Path::new("/lib64/ld-linux-x86-64.so.2").exists()
}

/// The number the README states in "Example blocks not run: N".
fn stated_skips(readme: &str) -> usize {
    let marker = "Example blocks not run: ";
    let at = readme
        .find(marker)
        .expect("the README's \"Tests and fixtures\" states how many example blocks are not run");
    let rest = &readme[at + marker.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

#[test]
fn every_example_in_the_documentation_prints_what_it_shows() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_preflight"));
    let bin_dir = tempfile::tempdir().unwrap();
    // `preflight` on PATH is the binary under test, whatever cargo named its folder.
    std::os::unix::fs::symlink(&bin, bin_dir.path().join("preflight")).unwrap();

    let (mut ran, mut run_blocks, mut skipped, mut failures) = (0, 0, Vec::new(), Vec::new());
    // README_EXAMPLES=overwrite: write what the commands print into the blocks (those
    // shown whole), to review with git diff, instead of failing.
    let overwrite = std::env::var("README_EXAMPLES").as_deref() == Ok("overwrite");
    let mut edits = Vec::new();
    for path in documents() {
        let name = path.strip_prefix(root()).unwrap().display().to_string();
        let text = fs::read_to_string(&path).unwrap();
        for block in blocks(&name, &text) {
            assert!(
                !block.lang().is_empty(),
                "{}: a fenced block names its kind: ```console for a command and its output \
                 (run by tests/readme.rs), ```text, ```yaml, ```sh, ... for the rest",
                block.at()
            );
            if block.lang() != "console" {
                assert!(
                    !block.body.iter().any(|l| l.starts_with("$ preflight")),
                    "{}: a block showing `$ preflight ...` is a ```console block",
                    block.at()
                );
                continue;
            }
            if let Some(reason) = block.skip_reason() {
                assert!(!reason.is_empty(), "{}: skip: needs a reason", block.at());
                skipped.push(format!("{} ({reason})", block.at()));
                continue;
            }
            if block.info.contains("needs-x86_64-host") && !x86_64_host() {
                skipped.push(format!("{} (not an x86_64 glibc host)", block.at()));
                continue;
            }
            run_blocks += 1;
            for (command, expected, at) in commands(&block) {
                ran += 1;
                let Some(difference) = run(&block, &command, &expected, bin_dir.path()) else {
                    continue;
                };
                // The output's lines in the file (0-based), when it can be rewritten:
                // shown whole, exit status right, block not indented.
                let rewritable = overwrite
                    && !difference.status_differs
                    && !expected.iter().any(|l| l == "...")
                    && text
                        .lines()
                        .nth(block.line - 1)
                        .is_some_and(|l| l.starts_with("```"));
                if rewritable {
                    let first = block.line + at + 1;
                    edits.push((path.clone(), first, expected.len(), difference.printed));
                } else {
                    failures.push(difference.message);
                }
            }
        }
    }
    rewrite(edits);
    println!(
        "documentation examples: {ran} commands in {run_blocks} blocks run; not run: {}",
        skipped.len()
    );
    for s in &skipped {
        println!("  {s}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran > 0, "no example was run");
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let host_skips = skipped
        .iter()
        .filter(|s| s.ends_with("glibc host)"))
        .count();
    assert_eq!(
        stated_skips(&readme),
        skipped.len() - host_skips,
        "the README's \"Tests and fixtures\" says how many example blocks are marked skip:"
    );
}

#[test]
fn an_ellipsis_line_stands_for_any_lines_and_nothing_else_is_loose() {
    let e = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(&e(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&e(&["a", "...", "d"]), &["a", "d"]));
    assert!(!matches(&e(&["a", "...", "d"]), &["a", "b", "c"]));
    assert!(!matches(&e(&["a", "b"]), &["a", "b ", ""]));
    assert!(!matches(&e(&["a"]), &["a", "b"]));
}

#[test]
fn fences_inside_list_items_and_longer_fences_are_read() {
    let text = "x\n  ```console exit=1\n  $ preflight a\n    out\n  ```\n````text\n```\n````\n";
    let b = blocks("t.md", text);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].line, 2);
    assert_eq!(b[0].exit_status(), 1);
    assert_eq!(b[0].body, ["$ preflight a", "  out"]);
    assert_eq!(b[1].lang(), "text");
    assert_eq!(b[1].body, ["```"]);
}

/// Every key of a file object (`files[]` of a scan, `inspect --format json`) over the
/// committed fixtures, archives, foreign and unreadable files included.
fn file_keys() -> std::collections::BTreeSet<String> {
    let mut folders = vec![root().join("tests/fixtures/bin")];
    for entry in fs::read_dir(root().join("tests/fixtures/artifacts")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && !path.ends_with("src") {
            folders.push(path);
        }
    }
    let mut keys = std::collections::BTreeSet::new();
    // An empty root: the keys of a file do not depend on the host.
    let empty = tempfile::tempdir().unwrap();
    for folder in folders {
        let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
            .args(["scan", "--format", "json", "--root"])
            .arg(empty.path())
            .arg(&folder)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        for file in report["files"].as_array().unwrap() {
            keys.extend(file.as_object().unwrap().keys().cloned());
        }
    }
    keys
}

#[test]
fn the_json_key_table_names_every_key_a_file_object_has() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("A file object\nhas:")
        .expect("the README's JSON section introduces the file object's keys");
    let end = start + readme[start..].find("\nA finding has").unwrap();
    let table = &readme[start..end];
    let missing: Vec<String> = file_keys()
        .into_iter()
        .filter(|key| !table.contains(&format!("`{key}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md, \"JSON output\": the file object's table does not name {missing:?}"
    );
}
