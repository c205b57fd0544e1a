//! `preflight tree`: the dependency tree as the loader builds it.

use super::text::esc;
use crate::resolve::{Edge, FoundBy, Resolution};
use serde::Serialize;
use std::collections::HashSet;
use std::io::{self, Write};

/// What `tree` found for one file: its resolution, or why it could not be resolved.
pub enum TreeResult {
    Resolved(Box<Resolution>),
    Failed { path: String, error: String },
}

/// One entry as JSON: the resolution itself, or the file and its error.
#[derive(Serialize)]
#[serde(untagged)]
enum EntryJson<'a> {
    Resolved(&'a Resolution),
    Failed { path: &'a str, error: &'a str },
}

impl<'a> From<&'a TreeResult> for EntryJson<'a> {
    fn from(entry: &'a TreeResult) -> Self {
        match entry {
            TreeResult::Resolved(r) => EntryJson::Resolved(r),
            TreeResult::Failed { path, error } => EntryJson::Failed { path, error },
        }
    }
}

/// JSON: one object for one file, an array for several (README, "tree JSON"), the
/// bytes serde_json's pretty writer gives for `EntryJson`, written by `tree_json`.
pub fn write_tree_json(out: &mut Vec<u8>, entries: &[TreeResult]) -> io::Result<()> {
    let entry = |out: &mut Vec<u8>, level: usize, entry: &TreeResult| match entry {
        TreeResult::Resolved(r) => super::tree_json::resolution(out, level, r),
        failed => super::tree_json::serde_at(out, level, &EntryJson::from(failed)),
    };
    match entries {
        [one] => entry(out, 0, one)?,
        _ => super::tree_json::list(out, 0, entries, entry)?,
    }
    writeln!(out)
}

/// The writer `write_tree_json` replaced, kept for the tests that compare both.
#[cfg(test)]
fn write_tree_json_serde(out: &mut Vec<u8>, entries: &[TreeResult]) -> io::Result<()> {
    match entries {
        [one] => serde_json::to_writer_pretty(&mut *out, &EntryJson::from(one))?,
        _ => {
            let all: Vec<EntryJson> = entries.iter().map(EntryJson::from).collect();
            serde_json::to_writer_pretty(&mut *out, &all)?
        }
    }
    writeln!(out)
}

pub fn write_tree_table(out: &mut dyn Write, entries: &[TreeResult]) -> io::Result<()> {
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        match entry {
            TreeResult::Failed { path, error } => writeln!(out, "{}: {}", esc(path), esc(error))?,
            TreeResult::Resolved(r) => write_one(out, r)?,
        }
    }
    Ok(())
}

fn write_one(out: &mut dyn Write, r: &Resolution) -> io::Result<()> {
    let loader = crate::elf::Libc::name_or_none(r.loader);
    writeln!(
        out,
        "{} [{loader} loader, libraries from {}]",
        esc(&r.path),
        esc(&r.root)
    )?;
    if let Some(process) = &r.opened_in {
        // Its "already-loaded" libraries are that process's.
        writeln!(out, "  opened in {}", esc(process))?;
    }
    if r.interpreter_missing {
        writeln!(
            out,
            "  ! interpreter {} does not exist",
            esc(r.interpreter.as_deref().unwrap_or("?"))
        )?;
    }
    let mut expanded = HashSet::new();
    expanded.insert(r.view_path.clone());
    write_children(out, r, &r.view_path, "", &mut expanded)?;
    for miss in &r.missing {
        writeln!(
            out,
            "  ! {} (needed by {}) not found; tried:",
            esc(&miss.soname),
            esc(&miss.needed_by)
        )?;
        if miss.tried.is_empty() {
            writeln!(out, "      (nowhere: the loader providing it is missing)")?;
        }
        for attempt in &miss.tried {
            let what = attempt.outcome.code();
            let extra = attempt
                .outcome
                .detail()
                .map(|d| format!(": {}", esc(d)))
                .unwrap_or_default();
            writeln!(
                out,
                "      {} [{}] {what}{extra}",
                esc(&attempt.path),
                attempt.found_by.as_str()
            )?;
        }
    }
    for gap in &r.version_gaps {
        writeln!(
            out,
            "  ! {} needs {} from {} ({}), which does not define it",
            esc(&gap.needed_by),
            esc(&gap.version.to_string()),
            esc(&gap.library),
            esc(&gap.library_path)
        )?;
    }
    for h in &r.host_symbols {
        writeln!(
            out,
            "  = {} undefined symbol{} provided by {} (needed by {})",
            h.count,
            if h.count == 1 { "" } else { "s" },
            h.host,
            esc(&h.needed_by)
        )?;
    }
    for s in &r.unbound_symbols {
        let version = s
            .version
            .as_ref()
            .map(|v| format!("@{}", esc(&v.to_string())))
            .unwrap_or_default();
        writeln!(
            out,
            "  ! undefined symbol {}{version} (needed by {})",
            esc(&crate::elf::readable(&s.symbol)),
            esc(&s.needed_by)
        )?;
    }
    Ok(())
}

/// Paths and names come from the files (file names, DT_NEEDED, search paths): each is
/// escaped where it is written (see `text`).
/// Prints the NEEDED entries of `from`; a library's own dependencies are shown under
/// the entry that loaded it, once.
fn write_children(
    out: &mut dyn Write,
    r: &Resolution,
    from: &str,
    indent: &str,
    expanded: &mut HashSet<String>,
) -> io::Result<()> {
    let (repeats, children): (Vec<&Edge>, Vec<&Edge>) = r
        .edges
        .iter()
        .filter(|e| e.from == from)
        .partition(|e| e.to.is_some() && e.found_by == Some(FoundBy::AlreadyLoaded));
    // What the load already holds is shown in full once; here its names share one
    // line (JSON keeps every edge).
    let folded = (!repeats.is_empty()).then(|| {
        let names: Vec<String> = repeats.iter().map(|e| esc(&e.name)).collect();
        format!("{} [{}]", names.join(", "), FoundBy::AlreadyLoaded.as_str())
    });
    for (i, edge) in children.iter().enumerate() {
        let last = i + 1 == children.len() && folded.is_none();
        let branch = if last { "└── " } else { "├── " };
        let name = esc(&edge.name);
        let line = match (&edge.to, edge.found_by) {
            (None, _) => format!("{name} => not found"),
            (Some(to), Some(how)) => {
                let via = r
                    .loaded
                    .iter()
                    .find(|l| &l.path == to && how != FoundBy::AlreadyLoaded)
                    .and_then(|l| l.via.as_ref())
                    .map(|v| format!(" of {}", esc(v)))
                    .unwrap_or_default();
                format!("{name} => {} [{}{via}]", esc(to), how.as_str())
            }
            (Some(to), None) => format!("{name} => {}", esc(to)),
        };
        writeln!(out, "{indent}{branch}{line}")?;
        if let (Some(to), Some(how)) = (&edge.to, edge.found_by) {
            if how != FoundBy::AlreadyLoaded && expanded.insert(to.clone()) {
                let deeper = format!("{indent}{}", if last { "    " } else { "│   " });
                write_children(out, r, to, &deeper, expanded)?;
            }
        }
    }
    if let Some(line) = folded {
        writeln!(out, "{indent}└── {line}")?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "tree_json_tests.rs"]
mod json_tests;
