//! `scan` as a table for a person: the verdict first, then the files (the columns
//! that tell them apart), then the findings grouped by rule and target with their why
//! and fix once (`groups`), then the summary line.

use super::groups::{group, listed, Caps, Group, Listed};
use super::layout::Layout;
use super::table::{keep_key_whole, list, or_dash, table_of_width};
use super::text::{count, esc, join_escaped, severity_counts};
use super::{FileReport, Outcome, ScanReport};
use crate::rules::Severity;
use std::io::{self, Write};

/// Up to this many files, the table shows every column.
const FEW_ROWS: usize = 5;
/// Rows of the file table the default layout shows.
const MAX_ROWS: usize = 30;

/// What to write after a list shortened for the default layout.
const FOR_ALL: &str = "--verbose or --format json lists every one";

/// `scan`: the verdict per host, a row per file, the findings, problems and a summary
/// line. Waived findings are listed (with their reasons) only with
/// `layout.show_waived`; else the summary line only counts them.
pub fn write_scan_table(
    out: &mut dyn Write,
    report: &ScanReport,
    layout: &Layout,
) -> io::Result<()> {
    for line in verdict_lines(report, layout) {
        writeln!(out, "{line}")?;
    }
    let mut shortened = false;
    if !report.files.is_empty() {
        writeln!(out)?;
        shortened |= write_files(out, &report.files, layout)?;
    }
    shortened |= write_findings(out, report, layout)?;
    if layout.show_waived && !report.waived.is_empty() {
        writeln!(out, "waived ({}):", report.waived.len())?;
        for w in &report.waived {
            writeln!(out, "  {}", waived_line(w))?;
        }
        writeln!(out)?;
    }
    for problem in &report.problems {
        writeln!(
            out,
            "error: {}: {}",
            esc(&problem.path),
            esc(&problem.message)
        )?;
    }
    if shortened {
        writeln!(out, "(lists shortened: {FOR_ALL})")?;
    }
    writeln!(out, "{}", summary_line(report))?;
    super::requirements::write_requirement_lines(out, report)
}

/// One line per host, before anything else: whether the run fails there (at
/// `--fail-on`) and its counts. Findings about no target (an archive, the policy
/// file) count on every host.
fn verdict_lines(report: &ScanReport, layout: &Layout) -> Vec<String> {
    report
        .hosts
        .iter()
        .map(|host| {
            let name = host.split(" (").next().unwrap_or(host);
            let mine = report
                .findings
                .iter()
                .filter(|f| f.target.is_none() || f.target.as_deref() == Some(name));
            let (mut errors, mut warnings, mut notes) = (0, 0, 0);
            let mut worst = None;
            for f in mine {
                match f.severity {
                    Severity::Error => errors += 1,
                    Severity::Warning => warnings += 1,
                    Severity::Note => notes += 1,
                }
                worst = worst.max(Some(f.severity));
            }
            let fails = matches!((layout.fail_at, worst), (Some(at), Some(w)) if w >= at);
            let word = match (fails, layout.color) {
                (true, true) => "\x1b[1;31mFAIL\x1b[0m",
                (true, false) => "FAIL",
                (false, true) => "\x1b[1;32mPASS\x1b[0m",
                (false, false) => "PASS",
            };
            let mut line = format!(
                "{word} {}: {}",
                esc(host),
                severity_counts(errors, warnings, notes)
            );
            if !report.problems.is_empty() {
                line.push_str(&format!(
                    "; {} could not be read",
                    count(report.problems.len(), "input", "inputs")
                ));
            }
            line
        })
        .collect()
}

const COLUMNS: [&str; 7] = [
    "file",
    "kind",
    "arch",
    "interpreter",
    "needed",
    "needs at least",
    "notes",
];

/// The file table. With many files, a column that has the same value on every row is
/// said once above the table instead; the rows past `MAX_ROWS` are counted, not shown
/// (unless verbose). Returns whether rows were left out.
fn write_files(out: &mut dyn Write, files: &[FileReport], layout: &Layout) -> io::Result<bool> {
    let rows: Vec<Vec<String>> = files.iter().map(scan_row).collect();
    let mut keep: Vec<usize> = (0..COLUMNS.len()).collect();
    if rows.len() > FEW_ROWS {
        let same: Vec<usize> = (1..COLUMNS.len())
            .filter(|&c| rows.iter().all(|r| r[c] == rows[0][c]))
            .collect();
        if !same.is_empty() {
            let said: Vec<String> = same
                .iter()
                .map(|&c| {
                    let value = if rows[0][c].is_empty() {
                        "-"
                    } else {
                        &rows[0][c]
                    };
                    format!("{} {value}", COLUMNS[c])
                })
                .collect();
            writeln!(out, "all {} files: {}", rows.len(), said.join("; "))?;
            keep.retain(|c| !same.contains(c));
        }
    }
    let mut table = table_of_width(layout.width);
    table.set_header(keep.iter().map(|&c| COLUMNS[c]).collect::<Vec<_>>());
    let shown = if layout.verbose {
        rows.len()
    } else {
        rows.len().min(MAX_ROWS)
    };
    for row in &rows[..shown] {
        table.add_row(keep.iter().map(|&c| row[c].as_str()).collect::<Vec<_>>());
    }
    keep_key_whole(&mut table, layout.width);
    writeln!(out, "{table}")?;
    let left = rows.len() - shown;
    if left > 0 {
        writeln!(
            out,
            "... and {left} more {} ({FOR_ALL})",
            noun(left, "file", "files")
        )?;
    }
    Ok(left > 0)
}

fn scan_row(file: &FileReport) -> Vec<String> {
    match &file.outcome {
        Outcome::Unreadable { reason } => vec![
            esc(&file.path),
            "unreadable".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            esc(reason),
        ],
        Outcome::Archive(a) => vec![
            esc(&file.path),
            "archive".into(),
            list(&a.machines),
            "-".into(),
            "-".into(),
            "-".into(),
            format!(
                "{}{}",
                count(a.objects, "object", "objects"),
                if a.non_pic_member_count > 0 {
                    format!("; {} not PIC", a.non_pic_member_count)
                } else {
                    String::new()
                }
            ),
        ],
        Outcome::Foreign(x) => vec![
            esc(&file.path),
            esc(&format!("{} {}", x.format, x.kind)),
            list(&x.arch),
            "-".into(),
            "-".into(),
            "-".into(),
            format!("for {}", esc(&x.platform)),
        ],
        Outcome::Elf(f) => {
            let highest: Vec<String> = f
                .highest_needed_versions()
                .iter()
                .map(|v| v.to_string())
                .collect();
            let mut notes = Vec::new();
            if let Some(soname) = &f.soname {
                notes.push(format!("SONAME {}", esc(soname)));
            }
            if !f.rpath.is_empty() {
                notes.push(format!("RPATH {}", join_escaped(&f.rpath, ":")));
            }
            if !f.runpath.is_empty() {
                notes.push(format!("RUNPATH {}", join_escaped(&f.runpath, ":")));
            }
            if f.textrel {
                notes.push("TEXTREL".into());
            }
            if let Some(os) = &f.foreign_os {
                notes.push(format!("for {}", esc(os)));
            }
            if let Some(go) = &f.go {
                notes.push(esc(&go.version));
            }
            vec![
                esc(&file.path),
                f.kind.as_str().into(),
                esc(&f.machine),
                or_dash(f.interpreter.as_deref()),
                list(&f.needed),
                list(&highest),
                notes.join("; "),
            ]
        }
    }
}

fn summary_line(report: &ScanReport) -> String {
    let s = &report.summary;
    let kinds: Vec<String> = s.kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let mut line = format!(
        "{}: {}, {} ELF",
        esc(&report.root),
        count(s.files_seen, "file", "files"),
        s.elf
    );
    if !kinds.is_empty() {
        line.push_str(&format!(" ({})", kinds.join(", ")));
    }
    line.push_str(&format!(
        ", {} unreadable, {} not ELF",
        s.unreadable, s.not_elf
    ));
    if s.archives > 0 {
        line.push_str(&format!(", {}", count(s.archives, "archive", "archives")));
    }
    if s.foreign > 0 {
        let foreign = count(s.foreign, "foreign binary", "foreign binaries");
        line.push_str(&format!(", {foreign}"));
    }
    if !report.problems.is_empty() {
        line.push_str(&format!(", {} could not be read", report.problems.len()));
    }
    line.push_str(&format!(
        "; checked against {}: {}",
        join_escaped(&report.hosts, ", "),
        severity_counts(s.errors, s.warnings, s.notes)
    ));
    if s.waived > 0 {
        line.push_str(&format!(", {} waived", s.waived));
    }
    if s.baselined > 0 {
        line.push_str(&format!(
            ", {} already in the baseline (not shown)",
            s.baselined
        ));
    }
    line
}

/// One waived finding in a line: what it was, and the waiver that silenced it.
pub(super) fn waived_line(w: &crate::policy::WaivedFinding) -> String {
    let f = &w.finding;
    let on = f
        .target
        .as_ref()
        .map(|t| format!(" on {}", esc(t)))
        .unwrap_or_default();
    let at = match w.waiver.line {
        Some(line) => format!("{}:{line}", w.waiver.file),
        None => w.waiver.file.clone(),
    };
    format!(
        "{}: {} [{}]{on}: {} (waived by {}: {})",
        esc(&f.path),
        f.severity.as_str(),
        f.rule.id(),
        esc(&f.message),
        esc(&at),
        esc(&w.waiver.reason)
    )
}

/// The findings by rule and target (see `groups`). Returns whether a list was
/// shortened.
fn write_findings(out: &mut dyn Write, report: &ScanReport, layout: &Layout) -> io::Result<bool> {
    let caps = if layout.verbose {
        Caps::NONE
    } else {
        Caps::DEFAULT
    };
    let mut shortened = false;
    for g in group(&report.findings, !layout.verbose) {
        writeln!(out)?;
        shortened |= write_group(out, &g, caps, layout.color)?;
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    Ok(shortened)
}

fn write_group(out: &mut dyn Write, g: &Group, caps: Caps, color: bool) -> io::Result<bool> {
    let on = g
        .target
        .map(|t| format!(" on {}", esc(t)))
        .unwrap_or_default();
    let how_many = match (g.findings, g.files) {
        (1, _) => String::new(),
        (n, m) if n == m => format!(": {}", count(m, "file", "files")),
        (n, m) => format!(": {n} findings in {}", count(m, "file", "files")),
    };
    writeln!(
        out,
        "{} [{}]{on}{how_many}",
        severity_label(g.severity, color),
        g.rule.id()
    )?;
    let mut shortened = false;
    for part in g.parts.iter().take(caps.parts) {
        if let [path] = part.paths[..] {
            writeln!(out, "  {}: {}", esc(path), esc(&part.message))?;
        } else {
            writeln!(
                out,
                "  {} ({}):",
                esc(&part.message),
                count(part.paths.len(), "file", "files")
            )?;
        }
        for place in part.tried {
            writeln!(out, "      tried {}", esc(place))?;
        }
        if let Some(why) = &part.why {
            writeln!(out, "      why: {}", esc(why))?;
        }
        if let Some(fix) = &part.fix {
            writeln!(out, "      fix: {}", esc(fix))?;
        }
        if part.paths.len() > 1 {
            let lines = listed(&part.paths, caps.fold_at, caps.files);
            shortened |= lines.iter().any(|l| matches!(l, Listed::Folder(..)));
            for line in lines.iter().take(caps.files) {
                match line {
                    Listed::File(p) => writeln!(out, "    {}", esc(p))?,
                    Listed::Folder(dir, n) => {
                        writeln!(out, "    {} ({})", esc(dir), count(*n, "file", "files"))?
                    }
                }
            }
            if lines.len() > caps.files {
                let left: usize = lines[caps.files..]
                    .iter()
                    .map(|l| match l {
                        Listed::File(_) => 1,
                        Listed::Folder(_, n) => *n,
                    })
                    .sum();
                writeln!(
                    out,
                    "    ... and {left} more {}",
                    noun(left, "file", "files")
                )?;
                shortened = true;
            }
        }
    }
    if g.parts.len() > caps.parts {
        let left: usize = g.parts[caps.parts..].iter().map(|p| p.paths.len()).sum();
        writeln!(
            out,
            "  ... and {left} more {}",
            noun(left, "finding", "findings")
        )?;
        shortened = true;
    }
    if let Some(why) = &g.why {
        writeln!(out, "  why: {}", esc(why))?;
    }
    if let Some(fix) = &g.fix {
        writeln!(out, "  fix: {}", esc(fix))?;
    }
    Ok(shortened)
}

fn severity_label(severity: Severity, color: bool) -> String {
    let name = severity.as_str();
    if !color {
        return name.to_string();
    }
    let code = match severity {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Note => "1;36",
    };
    format!("\x1b[{code}m{name}\x1b[0m")
}

fn noun(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Summary, Width};

    fn report(paths: &[&str]) -> ScanReport {
        ScanReport {
            root: "dist".into(),
            hosts: vec!["this machine (/)".into()],
            files: paths
                .iter()
                .map(|p| FileReport {
                    path: p.to_string(),
                    sha256: None,
                    layer: None,
                    outcome: Outcome::Unreadable {
                        reason: "truncated: the section headers lie past the end of the file"
                            .into(),
                    },
                })
                .collect(),
            findings: Vec::new(),
            problems: Vec::new(),
            summary: Summary::default(),
            dependencies: Vec::new(),
            root_abs: "/dist".into(),
            host_requirements: Vec::new(),
            baselined: Vec::new(),
            waived: Vec::new(),
        }
    }

    fn table(report: &ScanReport, width: Width) -> String {
        let mut out = Vec::new();
        let layout = Layout {
            width,
            ..Layout::default()
        };
        write_scan_table(&mut out, report, &layout).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn at_any_terminal_width_a_path_stays_on_one_line() {
        let long = "site-packages/averyveryverylongpackagename/core/_multiarray.so";
        let r = report(&[long, "lib/a.so"]);
        for width in [Width::Columns(40), Width::Columns(140), Width::Unlimited] {
            let text = table(&r, width);
            assert!(text.lines().any(|l| l.contains(long)), "{width:?}:\n{text}");
        }
        // Wide enough for the path: the other columns wrap, the table fits.
        let text = table(&r, Width::Columns(140));
        assert!(text.lines().all(|l| l.chars().count() <= 140), "{text}");
        assert!(text.contains("truncated: the"), "{text}");
    }

    #[test]
    fn the_verdict_comes_first_and_follows_fail_on() {
        let r = report(&["a"]);
        assert!(table(&r, Width::Unlimited).starts_with("PASS this machine (/): 0 errors"));
    }
}
