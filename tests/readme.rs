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
//! normalised. A block whose info string has `skip: REASON` is not run (it needs a
//! registry, a network or a host's files); the README states how many there are.
//! `needs-x86_64-host` runs a block only on an x86_64 glibc machine without an arm64
//! loader (its output is that of "this machine").

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

/// The commands of a console block and the output shown after each.
fn commands(block: &Block) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in &block.body {
        if let Some(command) = line.strip_prefix("$ ") {
            out.push((command.to_string(), Vec::new()));
        } else if let Some((_, output)) = out.last_mut() {
            output.push(line.clone());
        } else {
            panic!(
                "{}: a console block starts with a `$ ` command line, not {line:?}",
                block.at()
            );
        }
    }
    for (_, output) in &mut out {
        trim_blank_tail(output);
    }
    out
}

/// Runs one command as the README shows it; a description of the difference if any.
fn run(block: &Block, command: &str, expected: &[String], bin_dir: &Path) -> Option<String> {
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
    Some(format!(
        "{}: `$ {command}` exited with {status} (the block says {}); {first_difference}\
         it printed:\n{}\n--- the block shows:\n{}\n--- standard error:\n{}",
        block.at(),
        block.exit_status(),
        actual.join("\n"),
        expected.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// Whether this machine's `/` is the one the `needs-x86_64-host` blocks were written on.
fn x86_64_host() -> bool {
    cfg!(target_arch = "x86_64")
        && Path::new("/lib64/ld-linux-x86-64.so.2").exists()
        && !Path::new("/lib/ld-linux-aarch64.so.1").exists()
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
            for (command, expected) in commands(&block) {
                ran += 1;
                failures.extend(run(&block, &command, &expected, bin_dir.path()));
            }
        }
    }
    println!(
        "documentation examples: {ran} commands in {run_blocks} blocks run, {} blocks not run:",
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
