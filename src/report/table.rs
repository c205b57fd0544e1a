//! Tables for a person at a terminal (comfy-table).

use super::text::{count, esc, join_escaped, severity_counts};
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

// Every value from a file (its name, strings read from inside it) is escaped where
// it enters a cell or a line: see `text`.

fn or_dash(value: Option<&str>) -> String {
    value.map_or_else(|| "-".to_string(), esc)
}

fn list<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        join_escaped(items, ", ")
    }
}

/// `inspect`: one key/value table per file.
pub fn write_inspect_table(out: &mut dyn Write, files: &[FileReport]) -> io::Result<()> {
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let mut table = new_table();
        table.set_header(vec![Cell::new("file"), Cell::new(esc(&file.path))]);
        match &file.outcome {
            Outcome::Unreadable { reason } => {
                table.add_row(vec!["status".to_string(), "unreadable".to_string()]);
                table.add_row(vec!["reason".to_string(), esc(reason)]);
            }
            Outcome::Elf(facts) => add_fact_rows(&mut table, facts),
            Outcome::Archive(archive) => add_archive_rows(&mut table, archive),
            Outcome::Foreign(foreign) => {
                table.add_row(vec!["format".to_string(), esc(&foreign.format)]);
                table.add_row(vec!["platform".to_string(), esc(&foreign.platform)]);
                table.add_row(vec!["arch".to_string(), list(&foreign.arch)]);
                table.add_row(vec!["kind".to_string(), esc(&foreign.kind)]);
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
            esc(&f.machine)
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
        table.add_row(vec!["rpath".to_string(), join_escaped(&f.rpath, ":")]);
    }
    if !f.runpath.is_empty() {
        table.add_row(vec!["runpath".to_string(), join_escaped(&f.runpath, ":")]);
    }
    table.add_row(vec!["textrel".to_string(), yes_no(f.textrel)]);
    if let Some(level) = f.x86_isa_level {
        table.add_row(vec![
            "x86 ISA needed".to_string(),
            format!("x86-64-v{level}"),
        ]);
    }
    if let Some(level) = f.x86_isa_used {
        // Run-time dispatched code counts too: not a requirement (glibc checks only
        // the needed property).
        table.add_row(vec![
            "x86 ISA used".to_string(),
            format!("x86-64-v{level} (information: not checked by the loader)"),
        ]);
    }
    for (file, versions) in &f.version_needs {
        let names: Vec<String> = versions.iter().map(|v| v.to_string()).collect();
        table.add_row(vec![format!("versions from {}", esc(file)), list(&names)]);
    }
    if !f.version_defs.is_empty() {
        let names: Vec<String> = f.version_defs.iter().map(|v| v.to_string()).collect();
        table.add_row(vec!["versions defined".to_string(), list(&names)]);
    }
    for (version, symbols) in f.symbols_by_version() {
        table.add_row(vec![
            format!("needs {}", esc(&version.to_string())),
            list(&symbols),
        ]);
    }
    if !f.dlopen.is_empty() {
        let lines: Vec<String> = f
            .dlopen
            .iter()
            .map(|d| {
                format!(
                    "{} ({}{})",
                    join_escaped(&d.soname, " or "),
                    d.priority.as_str(),
                    d.feature
                        .as_deref()
                        .map(|f| format!(", {}", esc(f)))
                        .unwrap_or_default()
                )
            })
            .collect();
        table.add_row(vec!["dlopen".to_string(), lines.join("\n")]);
    }
    add_build_rows(table, f);
}

/// What built the file, its mitigations, and what a link or the loader must patch.
fn add_build_rows(table: &mut Table, f: &ElfFacts) {
    if let Some(os) = &f.foreign_os {
        table.add_row(vec!["operating system".to_string(), esc(os)]);
    }
    if !f.text_relocations.is_empty() {
        let causes: Vec<String> = f
            .text_relocations
            .iter()
            .map(|r| {
                format!(
                    "{:#x} {} {} {}{}",
                    r.offset,
                    esc(r.section.as_deref().unwrap_or("?")),
                    esc(&r.r_type),
                    esc(r.symbol.as_deref().unwrap_or("-")),
                    r.function
                        .as_deref()
                        .map(|f| format!(" (in {})", esc(f)))
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
            table.add_row(vec!["fortified".to_string(), list(&h.fortified)]);
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
        let mut parts = vec![esc(&go.version)];
        if let Some(path) = &go.path {
            parts.push(format!("path {}", esc(path)));
        }
        if let Some(module) = &go.module {
            parts.push(format!("module {}", esc(module)));
        }
        for key in ["CGO_ENABLED", "GOOS", "GOARCH"] {
            if let Some(value) = go.settings.get(key) {
                parts.push(format!("{key}={}", esc(value)));
            }
        }
        table.add_row(vec!["go".to_string(), parts.join(", ")]);
    }
    if let Some(rustc) = f.rustc_version() {
        table.add_row(vec!["rustc".to_string(), esc(rustc)]);
    }
    if !f.compilers.is_empty() {
        table.add_row(vec![
            "compilers".to_string(),
            join_escaped(&f.compilers, "\n"),
        ]);
    }
}

fn add_relocation_rows(table: &mut Table, r: &ObjectRelocations) {
    let types: Vec<String> = r
        .by_type
        .iter()
        .map(|(t, n)| format!("{} {n}", esc(t)))
        .collect();
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
                        .map(|o| format!("{}: ", esc(o)))
                        .unwrap_or_default(),
                    esc(&n.section),
                    n.offset,
                    esc(&n.r_type),
                    esc(&n.symbol)
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
                esc(&small.relocation),
                r.got_entries,
                small.limit
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
            list(&a.non_pic_members),
        ]);
    }
    if !a.other_members.is_empty() {
        table.add_row(vec!["other members".to_string(), list(&a.other_members)]);
    }
    for problem in &a.unreadable_members {
        table.add_row(vec![
            format!("unreadable {}", esc(&problem.member)),
            esc(&problem.reason),
        ]);
    }
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

/// `scan`: one row per file, then problems and a summary line.
/// `color`: severities in colour (the caller decides: a terminal, and NO_COLOR unset).
/// `show_waived`: also list the findings waivers silenced, each with its reason
/// (`--show-waived`); else the summary line only counts them.
pub fn write_scan_table(
    out: &mut dyn Write,
    report: &ScanReport,
    color: bool,
    show_waived: bool,
) -> io::Result<()> {
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
    if show_waived && !report.waived.is_empty() {
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
    writeln!(out, "{}", summary_line(report))?;
    super::requirements::write_requirement_lines(out, report)
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

/// Findings grouped by file: what, then why it matters and the fix.
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

fn write_findings(out: &mut dyn Write, report: &ScanReport, color: bool) -> io::Result<()> {
    let mut current: Option<&str> = None;
    for finding in &report.findings {
        if current != Some(finding.path.as_str()) {
            writeln!(out, "\n{}", esc(&finding.path))?;
            current = Some(&finding.path);
        }
        let on = finding
            .target
            .as_ref()
            .map(|t| format!(" on {}", esc(t)))
            .unwrap_or_default();
        writeln!(
            out,
            "  {} [{}]{on}: {}",
            severity_label(finding.severity, color),
            finding.rule.id(),
            esc(&finding.message)
        )?;
        for place in &finding.tried {
            writeln!(out, "      tried {}", esc(place))?;
        }
        writeln!(out, "      why: {}", esc(&finding.why))?;
        writeln!(out, "      fix: {}", esc(&finding.fix))?;
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
