//! Tables for a person at a terminal (comfy-table).

use super::layout::Width;
use super::text::{esc, join_escaped};
use super::{FileReport, Outcome};
use crate::elf::{ArchiveFacts, ElfFacts, ObjectRelocations};
use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Cell, ColumnConstraint, ContentArrangement, Table,
};
use std::io::{self, Write};

/// A column of a table that fits a terminal is wrapped no narrower than this.
const MIN_COLUMN: u16 = 10;

/// Fits the terminal when there is one; in a pipe or a CI log, lines stay whole.
fn new_table() -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table
}

/// A table as wide as `width` says: the terminal's (comfy-table reads its size), a
/// given number of columns, or unlimited (a pipe, a file, a CI log: no line is
/// wrapped). comfy-table alone asks whether standard output is a terminal, which is
/// wrong for `--output FILE` typed at one.
pub(super) fn table_of_width(width: Width) -> Table {
    let mut table = new_table();
    match width {
        Width::Terminal => {}
        Width::Columns(n) => {
            table.force_no_tty().set_width(n);
        }
        Width::Unlimited => {
            table
                .force_no_tty()
                .set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table
}

/// Once every row is in: at a terminal (or a given width), the first column, the
/// table's key (a path, a profile's name), is never wrapped. The other columns give
/// way, down to `MIN_COLUMN` characters; where even that does not fit, no line is
/// wrapped (the terminal folds them). comfy-table alone wraps every column alike and
/// breaks a path in the middle.
pub(super) fn keep_key_whole(table: &mut Table, width: Width) {
    let Some(limit) = table.width().filter(|_| width != Width::Unlimited) else {
        return;
    };
    let widest = table.column_max_content_widths();
    let Some((&key, others)) = widest.split_first() else {
        return;
    };
    let needed: usize = usize::from(key)
        + others
            .iter()
            .map(|&w| usize::from(w.min(MIN_COLUMN)))
            .sum::<usize>()
        + 3 * widest.len()
        + 1;
    if needed > usize::from(limit) {
        table.set_content_arrangement(ContentArrangement::Disabled);
    } else if let Some(column) = table.column_mut(0) {
        column.set_constraint(ColumnConstraint::ContentWidth);
    }
}

// Every value from a file (its name, strings read from inside it) is escaped where
// it enters a cell or a line: see `text`.

pub(super) fn or_dash(value: Option<&str>) -> String {
    value.map_or_else(|| "-".to_string(), esc)
}

pub(super) fn list<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        join_escaped(items, ", ")
    }
}

/// `inspect`: one key/value table per file.
pub fn write_inspect_table(
    out: &mut dyn Write,
    files: &[FileReport],
    width: Width,
) -> io::Result<()> {
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let mut table = table_of_width(width);
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
        keep_key_whole(&mut table, width);
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
