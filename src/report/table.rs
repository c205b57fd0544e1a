//! Tables for a person at a terminal (comfy-table).

use super::{FileReport, Outcome, ScanReport};
use crate::elf::{ArchiveFacts, ElfFacts, ObjectRelocations};
use crate::rules::Severity;
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
            Outcome::Archive(archive) => add_archive_rows(&mut table, archive),
            Outcome::Foreign(foreign) => {
                table.add_row(vec!["format".to_string(), foreign.format.clone()]);
                table.add_row(vec!["platform".to_string(), foreign.platform.clone()]);
                table.add_row(vec!["arch".to_string(), foreign.arch.join(", ")]);
                table.add_row(vec!["kind".to_string(), foreign.kind.clone()]);
            }
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
    add_build_rows(table, f);
}

/// What built the file, its mitigations, and what a link or the loader must patch.
fn add_build_rows(table: &mut Table, f: &ElfFacts) {
    if let Some(os) = &f.foreign_os {
        table.add_row(vec!["operating system".to_string(), os.clone()]);
    }
    if !f.text_relocations.is_empty() {
        let causes: Vec<String> = f
            .text_relocations
            .iter()
            .map(|r| {
                format!(
                    "{:#x} {} {} {}{}",
                    r.offset,
                    r.section.as_deref().unwrap_or("?"),
                    r.r_type,
                    r.symbol.as_deref().unwrap_or("-"),
                    r.function
                        .as_deref()
                        .map(|f| format!(" (in {f})"))
                        .unwrap_or_default()
                )
            })
            .collect();
        table.add_row(vec![
            format!("text relocations ({})", f.text_relocation_count),
            causes.join("\n"),
        ]);
    }
    if let Some(r) = &f.relocations {
        add_relocation_rows(table, r);
    }
    if let Some(h) = &f.hardening {
        let mut parts = vec![
            format!("RELRO {}", h.relro.as_str()),
            format!("BIND_NOW {}", yes_no(h.bind_now)),
        ];
        if let Some(pie) = h.pie {
            parts.push(format!("PIE {}", yes_no(pie)));
        }
        parts.push(format!("NX {}", yes_no(h.nx)));
        parts.push(format!(
            "canary {}",
            h.stack_protector.map_or("unknown".to_string(), yes_no)
        ));
        parts.push(format!(
            "FORTIFY {} of {}",
            h.fortified.len(),
            h.fortified.len() + h.fortifiable.len()
        ));
        if let (Some(ibt), Some(shstk)) = (h.ibt, h.shstk) {
            parts.push(format!("IBT {}", yes_no(ibt)));
            parts.push(format!("SHSTK {}", yes_no(shstk)));
        }
        table.add_row(vec!["hardening".to_string(), parts.join(", ")]);
        if !h.fortified.is_empty() {
            table.add_row(vec!["fortified".to_string(), h.fortified.join(", ")]);
        }
    }
    if let Some(runtime) = &f.static_runtime {
        table.add_row(vec![
            "static runtime".to_string(),
            format!(
                "libc {}; loads shared objects: {}",
                runtime.libc.map_or("not recognised", |l| l.as_str()),
                list(&runtime.loads_shared_objects)
            ),
        ]);
    }
    if let Some(go) = &f.go {
        let mut parts = vec![go.version.clone()];
        if let Some(path) = &go.path {
            parts.push(format!("path {path}"));
        }
        if let Some(module) = &go.module {
            parts.push(format!("module {module}"));
        }
        for key in ["CGO_ENABLED", "GOOS", "GOARCH"] {
            if let Some(value) = go.settings.get(key) {
                parts.push(format!("{key}={value}"));
            }
        }
        table.add_row(vec!["go".to_string(), parts.join(", ")]);
    }
    if let Some(rustc) = f.rustc_version() {
        table.add_row(vec!["rustc".to_string(), rustc.to_string()]);
    }
    if !f.compilers.is_empty() {
        table.add_row(vec!["compilers".to_string(), f.compilers.join("\n")]);
    }
}

fn add_relocation_rows(table: &mut Table, r: &ObjectRelocations) {
    let types: Vec<String> = r.by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
    table.add_row(vec![format!("relocations ({})", r.total), types.join(", ")]);
    if r.non_pic_total > 0 {
        let listed: Vec<String> = r
            .non_pic
            .iter()
            .map(|n| {
                format!(
                    "{}{}+{:#x} {} {}",
                    n.object
                        .as_deref()
                        .map(|o| format!("{o}: "))
                        .unwrap_or_default(),
                    n.section,
                    n.offset,
                    n.r_type,
                    n.symbol
                )
            })
            .collect();
        table.add_row(vec![
            format!("not PIC ({})", r.non_pic_total),
            listed.join("\n"),
        ]);
    }
    if let Some(small) = &r.small_got {
        table.add_row(vec![
            "small GOT model".to_string(),
            format!(
                "{} ({} entries needed, at most {})",
                small.relocation, r.got_entries, small.limit
            ),
        ]);
    }
}

fn add_archive_rows(table: &mut Table, a: &ArchiveFacts) {
    table.add_row(vec![
        "format".to_string(),
        "ar archive (static library)".to_string(),
    ]);
    table.add_row(vec![
        "members".to_string(),
        format!("{} ({} ELF objects)", a.members, a.objects),
    ]);
    table.add_row(vec!["arch".to_string(), list(&a.machines)]);
    add_relocation_rows(table, &a.relocations);
    if a.non_pic_member_count > 0 {
        table.add_row(vec![
            format!("members not PIC ({})", a.non_pic_member_count),
            a.non_pic_members.join(", "),
        ]);
    }
    if !a.other_members.is_empty() {
        table.add_row(vec![
            "other members".to_string(),
            a.other_members.join(", "),
        ]);
    }
    for problem in &a.unreadable_members {
        table.add_row(vec![
            format!("unreadable {}", problem.member),
            problem.reason.clone(),
        ]);
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
    writeln!(out, "{}", summary_line(report))?;
    super::requirements::write_requirement_lines(out, report)
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
        Outcome::Archive(a) => vec![
            file.path.clone(),
            "archive".into(),
            list(&a.machines),
            "-".into(),
            "-".into(),
            "-".into(),
            format!(
                "{} objects{}",
                a.objects,
                if a.non_pic_member_count > 0 {
                    format!("; {} not PIC", a.non_pic_member_count)
                } else {
                    String::new()
                }
            ),
        ],
        Outcome::Foreign(x) => vec![
            file.path.clone(),
            format!("{} {}", x.format, x.kind),
            x.arch.join(", "),
            "-".into(),
            "-".into(),
            "-".into(),
            format!("for {}", x.platform),
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
            if let Some(os) = &f.foreign_os {
                notes.push(format!("for {os}"));
            }
            if let Some(go) = &f.go {
                notes.push(go.version.clone());
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
    if s.archives > 0 {
        let plural = if s.archives == 1 { "" } else { "s" };
        line.push_str(&format!(", {} archive{plural}", s.archives));
    }
    if s.foreign > 0 {
        let plural = if s.foreign == 1 { "y" } else { "ies" };
        line.push_str(&format!(", {} foreign binar{plural}", s.foreign));
    }
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
