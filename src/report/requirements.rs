//! The host requirements that end a scan's table and Markdown reports: per target
//! release, the packages its hosts need for the scanned files to load.

use super::text::{code, esc, markdown};
use super::ScanReport;
use std::io::{self, Write};

/// `ubuntu-24.04 hosts need: apt-get install libcurl4t64 libpq5`, one line per target,
/// when the scan was checked against target releases.
pub fn write_requirement_lines(out: &mut dyn Write, report: &ScanReport) -> io::Result<()> {
    if report.host_requirements.is_empty() {
        return Ok(());
    }
    writeln!(out, "Host requirements:")?;
    for requirement in &report.host_requirements {
        writeln!(out, "  {}", esc(&requirement.sentence()))?;
    }
    Ok(())
}

/// The same as a Markdown list.
pub fn write_requirement_list(out: &mut dyn Write, report: &ScanReport) -> io::Result<()> {
    if report.host_requirements.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n### Host requirements\n")?;
    for requirement in &report.host_requirements {
        let line = requirement.sentence();
        // The command in code, the rest as text; a profile file names its target and
        // packages, so both are escaped.
        let line = match requirement
            .command
            .as_deref()
            .and_then(|command| Some((command, line.split_once(command)?)))
        {
            Some((command, (before, after))) => {
                format!("{}{}{}", markdown(before), code(command), markdown(after))
            }
            None => markdown(&line),
        };
        writeln!(out, "- {line}")?;
    }
    Ok(())
}
