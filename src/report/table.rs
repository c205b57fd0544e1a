//! Tables for a person at a terminal (comfy-table).

use crate::elf::ElfFacts;
use crate::policy::Severity;
use crate::scan::{FileReport, Outcome, ScanReport};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use std::io::{self, Write};

/// Fits the terminal when there is one; in a pipe or a CI log, lines stay whole.
pub(super) fn new_table() -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_string()
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(", ")
    }
}

/// `inspect`: one key/value table per file.
pub fn write_inspect_table(out: &mut dyn Write, files: &[FileReport]) -> io::Result<()> {
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let mut table = new_table();
        table.set_header(vec![Cell::new("file"), Cell::new(&file.path)]);
        match &file.outcome {
            Outcome::Unreadable { reason } => {
                table.add_row(vec!["status", "unreadable"]);
                table.add_row(vec!["reason", reason.as_str()]);
            }
            Outcome::Elf(facts) => add_fact_rows(&mut table, facts),
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}

fn add_fact_rows(table: &mut Table, f: &ElfFacts) {
    table.add_row(vec![
        "format".to_string(),
        format!(
            "{} {}-endian {}",
            f.class.as_str(),
            f.endian.as_str(),
            f.machine
        ),
    ]);
    table.add_row(vec!["kind".to_string(), f.kind.as_str().to_string()]);
    table.add_row(vec![
        "interpreter".to_string(),
        or_dash(f.interpreter.as_deref()),
    ]);
    table.add_row(vec!["soname".to_string(), or_dash(f.soname.as_deref())]);
    table.add_row(vec!["needed".to_string(), list(&f.needed)]);
    if !f.rpath.is_empty() {
        table.add_row(vec!["rpath".to_string(), f.rpath.join(":")]);
    }
    if !f.runpath.is_empty() {
        table.add_row(vec!["runpath".to_string(), f.runpath.join(":")]);
    }
    table.add_row(vec!["textrel".to_string(), yes_no(f.textrel)]);
    for (file, versions) in &f.version_needs {
        let names: Vec<String> = versions.iter().map(|v| v.to_string()).collect();
        table.add_row(vec![format!("versions from {file}"), names.join(", ")]);
    }
    if !f.version_defs.is_empty() {
        let names: Vec<String> = f.version_defs.iter().map(|v| v.to_string()).collect();
        table.add_row(vec!["versions defined".to_string(), names.join(", ")]);
    }
    for (version, symbols) in f.symbols_by_version() {
        table.add_row(vec![format!("needs {version}"), symbols.join(", ")]);
    }
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

/// `scan`: one row per file, then problems and a summary line.
/// `color`: severities in colour (the caller decides: a terminal, and NO_COLOR unset).
pub fn write_scan_table(out: &mut dyn Write, report: &ScanReport, color: bool) -> io::Result<()> {
    if !report.files.is_empty() {
        let mut table = new_table();
        table.set_header(vec![
            "file",
            "kind",
            "arch",
            "interpreter",
            "needed",
            "needs at least",
            "notes",
        ]);
        for file in &report.files {
            table.add_row(scan_row(file));
        }
        writeln!(out, "{table}")?;
    }
    write_findings(out, report, color)?;
    for problem in &report.problems {
        writeln!(out, "error: {}: {}", problem.path, problem.message)?;
    }
    writeln!(out, "{}", summary_line(report))
}

fn scan_row(file: &FileReport) -> Vec<String> {
    match &file.outcome {
        Outcome::Unreadable { reason } => vec![
            file.path.clone(),
            "unreadable".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            reason.clone(),
        ],
        Outcome::Elf(f) => {
            let highest: Vec<String> = f
                .highest_needed_versions()
                .iter()
                .map(|v| v.to_string())
                .collect();
            let mut notes = Vec::new();
            if let Some(soname) = &f.soname {
                notes.push(format!("SONAME {soname}"));
            }
            if !f.rpath.is_empty() {
                notes.push(format!("RPATH {}", f.rpath.join(":")));
            }
            if !f.runpath.is_empty() {
                notes.push(format!("RUNPATH {}", f.runpath.join(":")));
            }
            if f.textrel {
                notes.push("TEXTREL".into());
            }
            vec![
                file.path.clone(),
                f.kind.as_str().into(),
                f.machine.clone(),
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
    let mut line = format!("{}: {} files, {} ELF", report.root, s.files_seen, s.elf);
    if !kinds.is_empty() {
        line.push_str(&format!(" ({})", kinds.join(", ")));
    }
    line.push_str(&format!(
        ", {} unreadable, {} not ELF",
        s.unreadable, s.not_elf
    ));
    if !report.problems.is_empty() {
        line.push_str(&format!(", {} could not be read", report.problems.len()));
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    line.push_str(&format!(
        "; checked against {}: {} error{}, {} warning{}, {} note{}",
        report.hosts.join(", "),
        s.errors,
        plural(s.errors),
        s.warnings,
        plural(s.warnings),
        s.notes,
        plural(s.notes)
    ));
    if s.waived > 0 {
        line.push_str(&format!(", {} waived", s.waived));
    }
    line
}

/// Findings grouped by file: what, then why it matters and the fix.
fn write_findings(out: &mut dyn Write, report: &ScanReport, color: bool) -> io::Result<()> {
    let mut current: Option<&str> = None;
    for finding in &report.findings {
        if current != Some(finding.path.as_str()) {
            writeln!(out, "\n{}", finding.path)?;
            current = Some(&finding.path);
        }
        let on = finding
            .target
            .as_ref()
            .map(|t| format!(" on {t}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {} [{}]{on}: {}",
            severity_label(finding.severity, color),
            finding.rule.id(),
            finding.message
        )?;
        for place in &finding.tried {
            writeln!(out, "      tried {place}")?;
        }
        writeln!(out, "      why: {}", finding.why)?;
        writeln!(out, "      fix: {}", finding.fix)?;
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    Ok(())
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
