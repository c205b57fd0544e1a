//! A Markdown summary, fit for `$GITHUB_STEP_SUMMARY`.

use super::ScanReport;
use crate::rules::Severity;
use std::io::{self, Write};

fn icon(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "❌ error",
        Severity::Warning => "⚠️ warning",
        Severity::Note => "ℹ️ note",
    }
}

/// Table cells: no pipes or newlines inside.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn write_markdown(out: &mut dyn Write, report: &ScanReport) -> io::Result<()> {
    let s = &report.summary;
    writeln!(out, "## preflight: `{}`\n", cell(&report.root))?;
    writeln!(out, "Checked against {}.\n", report.hosts.join(", "))?;
    writeln!(
        out,
        "| ELF files | errors | warnings | notes | waived | unreadable |"
    )?;
    writeln!(out, "|---:|---:|---:|---:|---:|---:|")?;
    writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n",
        s.elf, s.errors, s.warnings, s.notes, s.waived, s.unreadable
    )?;
    if report.findings.is_empty() {
        writeln!(out, "✅ No findings: every file loads there.")?;
        return super::requirements::write_requirement_list(out, report);
    }
    writeln!(out, "| severity | file | rule | target | finding |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for f in &report.findings {
        writeln!(
            out,
            "| {} | `{}` | `{}` | {} | {} |",
            icon(f.severity),
            cell(&f.path),
            f.rule.id(),
            f.target.as_deref().map(cell).unwrap_or_else(|| "-".into()),
            cell(&f.message)
        )?;
    }
    writeln!(
        out,
        "\n<details><summary>Why it matters and how to fix it</summary>\n"
    )?;
    for f in &report.findings {
        writeln!(
            out,
            "- **`{}`** `{}`: {} **Fix:** {}",
            cell(&f.path),
            f.rule.id(),
            cell(&f.why),
            cell(&f.fix)
        )?;
    }
    writeln!(out, "\n</details>")?;
    super::requirements::write_requirement_list(out, report)
}
