//! Names meant for a terminal or a Markdown renderer: a file name and strings inside
//! an ELF file (DT_NEEDED, DT_SONAME, DT_RUNPATH) carrying ESC and OSC sequences,
//! newlines that would forge a report line, bidi overrides, and HTML. The
//! human-readable reports show them escaped; JSON, SARIF and GitHub keep them as data.

mod common;
mod hostile_synth;

use hostile_synth::*;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;

const EVIL_NEEDED: &str =
    "lib\x1b]0;pwned\x07\x1b[2Jevil\u{202e}os.<img src=x onerror=alert(1)>|`x`\n  error [forged]: line\u{85}.so";
const EVIL_SONAME: &str = "libself\u{9b}31m\r.so";
const EVIL_RUNPATH: &str = "/opt/\x1b[31mred\u{2066}";
const EVIL_FILE: &[u8] = b"app\n[error] forged\x1b]0;title\x07\xe2\x80\xae.so";

/// The characters no human-readable report may print as they are: controls other
/// than the newlines the report itself writes, and bidi controls.
fn raw_controls(output: &str) -> Vec<char> {
    output
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        })
        .collect()
}

fn evil_library() -> Vec<u8> {
    let mut dynstr = vec![0u8];
    let mut offsets = Vec::new();
    for text in [EVIL_NEEDED, EVIL_SONAME, EVIL_RUNPATH] {
        offsets.push(dynstr.len() as u64);
        dynstr.extend_from_slice(text.as_bytes());
        dynstr.push(0);
    }
    synthetic_elf(&dynstr, &[], 0, |p| {
        let mut entries = strings(&dynstr)(p);
        entries.push((DT_NEEDED, offsets[0]));
        entries.push((DT_SONAME, offsets[1]));
        entries.push((DT_RUNPATH, offsets[2]));
        entries
    })
}

fn run(args: &[&OsStr]) -> String {
    let out = common::preflight().args(args).output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn assert_no_forged_lines(what: &str, output: &str) {
    for line in output.lines() {
        let line = line.trim_start_matches(['│', '┆', '|', ' ']);
        assert!(
            !line.starts_with("[error] forged") && !line.starts_with("error [forged]"),
            "{what}: a forged line: {line:?}"
        );
    }
}

#[test]
fn human_readable_reports_escape_names_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let dist = dir.path().join("dist");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&dist).unwrap();
    let file = dist.join(OsStr::from_bytes(EVIL_FILE));
    fs::write(&file, evil_library()).unwrap();
    let os = |s: &'static str| OsStr::new(s);

    let reports = [
        (
            "scan table",
            run(&[
                os("scan"),
                os("--format"),
                os("table"),
                os("--root"),
                root.as_os_str(),
                dist.as_os_str(),
            ]),
        ),
        (
            "scan markdown",
            run(&[
                os("scan"),
                os("--format"),
                os("markdown"),
                os("--root"),
                root.as_os_str(),
                dist.as_os_str(),
            ]),
        ),
        ("inspect table", run(&[os("inspect"), file.as_os_str()])),
        (
            "tree table",
            run(&[os("tree"), os("--root"), root.as_os_str(), file.as_os_str()]),
        ),
    ];
    for (what, output) in &reports {
        assert!(output.contains("evil"), "{what}: {output}");
        assert_eq!(
            raw_controls(output),
            Vec::<char>::new(),
            "{what}:\n{output}"
        );
        assert_no_forged_lines(what, output);
    }
    // The escapes show what is there.
    let table = &reports[0].1;
    assert!(table.contains("\\x1b]0;pwned\\x07"), "{table}");
    assert!(table.contains("\\u{202e}"), "{table}");

    // Markdown: no HTML, no cell split by a name's `|`, no code span closed by its
    // backtick.
    let markdown = &reports[1].1;
    assert!(!markdown.contains("<img"), "{markdown}");
    let header_cells = markdown
        .lines()
        .find(|l| l.starts_with("| severity"))
        .map(cells)
        .unwrap();
    for row in markdown
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("missing-library"))
    {
        assert_eq!(cells(row), header_cells, "{row}");
    }
}

/// Cells of a Markdown table row: `|` not escaped by a backslash.
fn cells(row: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count
}

#[test]
fn machine_readable_reports_keep_names_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let dist = dir.path().join("dist");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&dist).unwrap();
    fs::write(dist.join(OsStr::from_bytes(EVIL_FILE)), evil_library()).unwrap();
    let scan = |format: &str| {
        run(&[
            OsStr::new("scan"),
            OsStr::new("--format"),
            OsStr::new(format),
            OsStr::new("--root"),
            root.as_os_str(),
            dist.as_os_str(),
        ])
    };
    // JSON and SARIF: C0 controls (ESC, newlines) are \u escapes, and the names come
    // back whole. (C1 controls and bidi marks are valid JSON text and stay as they
    // are: the reader of JSON is a program.)
    for format in ["json", "sarif"] {
        let output = scan(format);
        let c0: Vec<char> = output.chars().filter(|&c| c < ' ' && c != '\n').collect();
        assert_eq!(c0, Vec::<char>::new(), "{format}");
        let value: serde_json::Value = serde_json::from_str(&output).unwrap();
        let text = value.to_string();
        assert!(text.contains(&serde_json::to_string(EVIL_NEEDED).unwrap()[1..20]));
    }
    let json: serde_json::Value = serde_json::from_str(&scan("json")).unwrap();
    let file = &json["files"][0];
    assert_eq!(file["needed"][0], EVIL_NEEDED);
    assert_eq!(file["soname"], EVIL_SONAME);
    assert_eq!(
        file["path"].as_str().unwrap().as_bytes(),
        String::from_utf8_lossy(EVIL_FILE).as_bytes()
    );
    // GitHub workflow commands: one line per annotation, the newlines encoded.
    let github = scan("github");
    for line in github.lines() {
        assert!(
            line.starts_with("::"),
            "a line that is no command: {line:?}"
        );
    }
    assert!(github.contains("%0A  error [forged]"), "{github}");
}
