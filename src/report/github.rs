//! GitHub Actions workflow commands: one annotation per finding
//! (`::error file=…,title=…::message`), escaped as the workflow-command format
//! requires (actions/toolkit, packages/core/src/command.ts).

use super::text::{count, severity_counts};
use super::ScanReport;
use crate::rules::Severity;
use std::io::{self, Write};

/// Message data: `%`, CR and LF are encoded.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values additionally encode `:` and `,`, which delimit properties.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `file=` is the scanned folder as given joined with the finding's path, which is the
/// repository-relative path when the scan runs from the checkout's root.
pub fn write_github(out: &mut dyn Write, report: &ScanReport) -> io::Result<()> {
    let base = report.root.trim_end_matches('/');
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        // A finding about a policy file (an unused waiver) names it as the user did,
        // with its line.
        let (file, line) = match f.line {
            Some(line) => (f.path.clone(), format!(",line={line}")),
            None if base.is_empty() || base == "." => (f.path.clone(), String::new()),
            None => (format!("{base}/{}", f.path), String::new()),
        };
        let on = f
            .target
            .as_ref()
            .map(|t| format!(" on {t}"))
            .unwrap_or_default();
        let title = format!("preflight {}{on}", f.rule.id());
        let message = format!("{}: {}\nwhy: {}\nfix: {}", f.path, f.message, f.why, f.fix);
        writeln!(
            out,
            "::{command} file={}{line},title={}::{}",
            escape_property(&file),
            escape_property(&title),
            escape_data(&message)
        )?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "::notice title=preflight::{}",
        escape_data(&format!(
            "{} checked against {}: {}",
            count(s.elf, "ELF file", "ELF files"),
            report.hosts.join(", "),
            severity_counts(s.errors, s.warnings, s.notes)
        ))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_workflow_command_spec() {
        assert_eq!(escape_data("100%\r\nnext"), "100%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        // Data keeps ':' and ',' as they are.
        assert_eq!(escape_data("a:b,c"), "a:b,c");
    }
}
