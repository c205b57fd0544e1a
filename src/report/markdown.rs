//! A Markdown summary, fit for `$GITHUB_STEP_SUMMARY`.

use super::groups::{group, listed, Caps, Listed};
use super::text::{code, count, markdown};
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

/// `show_waived`: also list the findings waivers silenced, with their reasons.
pub fn write_markdown(
    out: &mut dyn Write,
    report: &ScanReport,
    show_waived: bool,
) -> io::Result<()> {
    let s = &report.summary;
    // Every path and name comes from what was scanned: as code, or as text that makes
    // no markup (see `text`).
    writeln!(out, "## preflight: {}\n", code(&report.root))?;
    let hosts: Vec<String> = report.hosts.iter().map(|h| markdown(h)).collect();
    writeln!(out, "Checked against {}.\n", hosts.join(", "))?;
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
    if s.baselined > 0 {
        writeln!(
            out,
            "{} finding{} already in the baseline (not listed).\n",
            s.baselined,
            if s.baselined == 1 { " was" } else { "s were" }
        )?;
    }
    if show_waived && !report.waived.is_empty() {
        writeln!(
            out,
            "<details><summary>{} waived</summary>\n",
            report.waived.len()
        )?;
        for w in &report.waived {
            let at = match w.waiver.line {
                Some(line) => format!("{}:{line}", w.waiver.file),
                None => w.waiver.file.clone(),
            };
            writeln!(
                out,
                "- {} `{}`: {} (waived by {}: {})",
                code(&w.finding.path),
                w.finding.rule.id(),
                markdown(&w.finding.message),
                code(&at),
                markdown(&w.waiver.reason)
            )?;
        }
        writeln!(out, "\n</details>\n")?;
    }
    if report.findings.is_empty() {
        writeln!(out, "✅ No findings: every file loads there.")?;
        return super::requirements::write_requirement_list(out, report);
    }
    // A row per thing said: the files that share a message share its row (folded by
    // folder, the first few named; the JSON report lists every one).
    writeln!(out, "| severity | file | rule | target | finding |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    let groups = group(&report.findings, true);
    for g in &groups {
        let target = g.target.map(markdown).unwrap_or_else(|| "-".into());
        for part in &g.parts {
            writeln!(
                out,
                "| {} | {} | `{}` | {target} | {} |",
                icon(g.severity),
                files_cell(&part.paths),
                g.rule.id(),
                markdown(&part.message)
            )?;
        }
    }
    writeln!(
        out,
        "\n<details><summary>Why it matters and how to fix it</summary>\n"
    )?;
    // Each rule's why and fix once per target, not once per file (see `groups`).
    for g in &groups {
        let on = g
            .target
            .map(|t| format!(" on {}", markdown(t)))
            .unwrap_or_default();
        for part in &g.parts {
            let (Some(why), Some(fix)) = (
                part.why.as_ref().or(g.why.as_ref()),
                part.fix.as_ref().or(g.fix.as_ref()),
            ) else {
                continue;
            };
            let whom = match part.paths[..] {
                [one] => code(one),
                _ => count(part.paths.len(), "file", "files"),
            };
            let whom = if g.why.is_some() && g.fix.is_some() && g.files > 1 {
                count(g.files, "file", "files")
            } else {
                whom
            };
            writeln!(
                out,
                "- `{}`{on} ({whom}): {} **Fix:** {}",
                g.rule.id(),
                markdown(why),
                markdown(fix)
            )?;
            if g.why.is_some() && g.fix.is_some() {
                break;
            }
        }
    }
    writeln!(out, "\n</details>")?;
    super::requirements::write_requirement_list(out, report)
}

/// Files named in a table cell: one as itself; several counted, the first lines of
/// their list (folded by folder) named.
fn files_cell(paths: &[&str]) -> String {
    const NAMED: usize = 5;
    if let [one] = paths {
        return code(one);
    }
    let lines = listed(paths, Caps::DEFAULT.fold_at, NAMED);
    let mut named: Vec<String> = lines
        .iter()
        .take(NAMED)
        .map(|l| match l {
            Listed::File(p) => code(p),
            Listed::Folder(dir, n) => format!("{} ({n})", code(dir)),
        })
        .collect();
    if lines.len() > NAMED {
        named.push("...".into());
    }
    format!(
        "{}: {}",
        count(paths.len(), "file", "files"),
        named.join(", ")
    )
}
