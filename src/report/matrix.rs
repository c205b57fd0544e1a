//! The runs-on matrix.

use super::layout::Width;
use super::table::{keep_key_whole, table_of_width};
use super::text::{count, esc, join_escaped};
use crate::policy::RunsOn;
use std::io::{self, Write};

/// `width`: as for the scan table (`Layout::width`); a file's path is never wrapped.
pub fn write_runs_on_table(out: &mut dyn Write, matrix: &RunsOn, width: Width) -> io::Result<()> {
    writeln!(
        out,
        "Runs on ({}; {} checked):",
        matrix.platform,
        count(matrix.targets.len(), "target", "targets")
    )?;
    let mut table = table_of_width(width);
    table.set_header(vec!["file", "needs", "runs on"]);
    for file in &matrix.files {
        // The path and the versions come from the scanned files: escaped, as in the
        // scan table (a name holding a terminal's escape sequence is shown, not run).
        let needs = if file.needs.is_empty() {
            "-".to_string()
        } else {
            join_escaped(&file.needs, ", ")
        };
        let verdict = if file.other_platform {
            format!(
                "built for another architecture than {}: check it with its --platform",
                matrix.platform
            )
        } else {
            file.verdict.sentence()
        };
        table.add_row(vec![esc(&file.path), needs, verdict]);
    }
    keep_key_whole(&mut table, width);
    writeln!(out, "{table}")?;
    if let Some(note) = &matrix.note {
        writeln!(out, "note: {note}")?;
    }
    if matrix.files_checked == 0 {
        writeln!(
            out,
            "whole tree: nothing checked: no file is built for {} (choose the files' platform with --platform)",
            matrix.platform
        )?;
        return Ok(());
    }
    writeln!(out, "whole tree: {}", matrix.tree.sentence())?;
    for tag in &matrix.tree.wheel_tags {
        writeln!(out, "  wheel tag: {tag}")?;
    }
    // The targets where it runs once packages are installed, grouped by command.
    let mut by_command: Vec<(&str, Vec<&str>)> = Vec::new();
    for target in &matrix.targets {
        if let Some(install) = matrix.tree.after_installing.get(target) {
            match by_command.iter_mut().find(|(c, _)| *c == install.command) {
                Some((_, targets)) => targets.push(target),
                None => by_command.push((&install.command, vec![target])),
            }
        }
    }
    for (command, targets) in by_command {
        writeln!(
            out,
            "  runs after installing on {}: {command}",
            targets.join(", ")
        )?;
    }
    // Why the newest release that fails fails, per family: the line to act on.
    let mut shown = std::collections::BTreeSet::new();
    for target in matrix.targets.iter().rev() {
        let Some(rules) = matrix.tree.fails_on.get(target) else {
            continue;
        };
        let family = matrix.family_of(target);
        if shown.insert(family) {
            let rules: Vec<&str> = rules.iter().map(|r| r.id()).collect();
            writeln!(
                out,
                "  newest {family} that fails: {target} ({})",
                rules.join(", ")
            )?;
        }
    }
    writeln!(out, "Details: preflight scan DIR --target NAME")
}

pub fn write_runs_on_json(out: &mut dyn Write, matrix: &RunsOn) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, matrix)?;
    writeln!(out)
}

/// Files of several platforms: an array of matrices, one per platform.
pub fn write_runs_on_json_list(out: &mut dyn Write, matrices: &[RunsOn]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, matrices)?;
    writeln!(out)
}
