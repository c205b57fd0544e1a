//! `preflight diff OLD NEW`: what a release changed about where it runs. Both sides
//! are scan reports as JSON (read from a saved report, or written by scanning a
//! folder or image with the same options), so a saved report and a fresh scan
//! compare alike. Files are matched by path; findings by their stable fingerprints.

use super::baseline::fingerprint_of_json;
use super::text::esc;
use crate::elf::VersionName;
use crate::rules::Severity;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// One version the new release needs that the old one did not (or the reverse).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionChange {
    pub version: String,
    /// The library it is needed from.
    pub library: String,
    /// The undefined symbols that pull it in (on the side that needs it).
    pub symbols: Vec<String>,
    /// It raises the newest version needed of its family (`GLIBC_`): what that was
    /// before (None: the family was not needed at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raises_from: Option<String>,
    pub raises: bool,
}

/// What changed in one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileChange {
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub new_version_needs: Vec<VersionChange>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped_version_needs: Vec<VersionChange>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub new_needed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped_needed: Vec<String>,
    /// Some(true): its stack became executable; Some(false): no longer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executable_stack: Option<bool>,
}

/// The difference between two scan reports.
#[derive(Clone, Debug, Serialize)]
pub struct ReportDiff {
    pub old: String,
    pub new: String,
    pub files: Vec<FileChange>,
    /// Findings of NEW that OLD did not have (a newly missing library, ...).
    pub new_findings: Vec<Value>,
    /// Findings of OLD that NEW no longer has.
    pub resolved_findings: Vec<Value>,
    /// Per target (or the host): the files with an error in NEW and none in OLD
    /// there — they no longer load or run on it.
    pub newly_failing: Vec<FailingOn>,
    /// Per target: the files with an error in OLD and none in NEW.
    pub no_longer_failing: Vec<FailingOn>,
}

/// Files that fail (have an error) on one target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailingOn {
    pub target: String,
    pub files: Vec<String>,
}

/// (target, file) pairs grouped by target.
fn by_target<'a>(pairs: impl Iterator<Item = &'a (String, String)>) -> Vec<FailingOn> {
    let mut grouped: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (target, path) in pairs {
        grouped.entry(target).or_default().push(path.clone());
    }
    grouped
        .into_iter()
        .map(|(target, files)| FailingOn {
            target: target.to_string(),
            files,
        })
        .collect()
}

impl ReportDiff {
    /// Compares two `scan --format json` reports.
    pub fn between(old_name: &str, old: &Value, new_name: &str, new: &Value) -> ReportDiff {
        let old_files = elf_files(old);
        let new_files = elf_files(new);
        let mut files = Vec::new();
        for (path, after) in &new_files {
            match old_files.get(path) {
                None => files.push(FileChange {
                    path: path.clone(),
                    status: "added",
                    ..compare(&Value::Null, after, path)
                }),
                Some(before) => {
                    let change = compare(before, after, path);
                    if change.has_changes() {
                        files.push(change);
                    }
                }
            }
        }
        for path in old_files.keys().filter(|p| !new_files.contains_key(*p)) {
            files.push(FileChange {
                path: path.clone(),
                status: "removed",
                ..empty(path)
            });
        }
        let old_prints = fingerprints(old);
        let new_prints = fingerprints(new);
        let new_findings = findings(new)
            .filter(|f| fingerprint_of_json(f).is_some_and(|p| !old_prints.contains(&p)))
            .cloned()
            .collect();
        let resolved_findings = findings(old)
            .filter(|f| fingerprint_of_json(f).is_some_and(|p| !new_prints.contains(&p)))
            .cloned()
            .collect();
        let (old_failing, new_failing) = (failing(old), failing(new));
        ReportDiff {
            old: old_name.to_string(),
            new: new_name.to_string(),
            files,
            new_findings,
            resolved_findings,
            newly_failing: by_target(new_failing.difference(&old_failing)),
            no_longer_failing: by_target(old_failing.difference(&new_failing)),
        }
    }

    /// The worst severity among what NEW newly reports: `--fail-on` judges it.
    pub fn worst(&self) -> Option<Severity> {
        let mut worst = self
            .new_findings
            .iter()
            .filter_map(|f| match f.get("severity").and_then(Value::as_str)? {
                "error" => Some(Severity::Error),
                "warning" => Some(Severity::Warning),
                "note" => Some(Severity::Note),
                _ => None,
            })
            .max();
        if !self.newly_failing.is_empty() {
            worst = Some(Severity::Error);
        }
        worst
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
            && self.new_findings.is_empty()
            && self.resolved_findings.is_empty()
            && self.newly_failing.is_empty()
            && self.no_longer_failing.is_empty()
    }
}

impl FileChange {
    fn has_changes(&self) -> bool {
        !self.new_version_needs.is_empty()
            || !self.dropped_version_needs.is_empty()
            || !self.new_needed.is_empty()
            || !self.dropped_needed.is_empty()
            || self.executable_stack.is_some()
    }
}

fn empty(path: &str) -> FileChange {
    FileChange {
        path: path.to_string(),
        status: "changed",
        new_version_needs: Vec::new(),
        dropped_version_needs: Vec::new(),
        new_needed: Vec::new(),
        dropped_needed: Vec::new(),
        executable_stack: None,
    }
}

/// The ELF files of a report (status ok), by path.
fn elf_files(report: &Value) -> BTreeMap<String, &Value> {
    report
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| f.get("status").and_then(Value::as_str) == Some("ok"))
        .filter_map(|f| Some((f.get("path")?.as_str()?.to_string(), f)))
        .collect()
}

fn findings(report: &Value) -> impl Iterator<Item = &Value> {
    report
        .get("findings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn fingerprints(report: &Value) -> BTreeSet<String> {
    findings(report).filter_map(fingerprint_of_json).collect()
}

/// (target, file) for each file with at least one error on a target (or, without
/// one, on "the host").
fn failing(report: &Value) -> BTreeSet<(String, String)> {
    // Without a target the host is each side's own (its root, or the image itself),
    // named differently on each side: one label, so the two compare.
    let host = "the host".to_string();
    findings(report)
        .filter(|f| f.get("severity").and_then(Value::as_str) == Some("error"))
        .filter_map(|f| {
            let target = f
                .get("target")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| host.clone());
            Some((target, f.get("path")?.as_str()?.to_string()))
        })
        .collect()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// version → the library it is needed from, from `version_needs`.
fn version_needs(file: &Value) -> BTreeMap<String, String> {
    let mut needs = BTreeMap::new();
    if let Some(map) = file.get("version_needs").and_then(Value::as_object) {
        for (library, versions) in map {
            for version in strings(Some(versions)) {
                needs.insert(version, library.clone());
            }
        }
    }
    needs
}

/// The newest version needed of each family (`GLIBC_` → `GLIBC_2.34`).
fn newest_by_family(needs: &BTreeMap<String, String>) -> BTreeMap<String, VersionName> {
    let mut newest: BTreeMap<String, VersionName> = BTreeMap::new();
    for version in needs.keys() {
        let name = VersionName::from(version.as_str());
        let (family, numbers) = name.family_and_numbers();
        if numbers.is_empty() {
            continue;
        }
        let family = family.to_string();
        match newest.get(&family) {
            Some(have) if *have >= name => {}
            _ => {
                newest.insert(family, name);
            }
        }
    }
    newest
}

fn compare(before: &Value, after: &Value, path: &str) -> FileChange {
    let mut change = empty(path);
    let (old_needs, new_needs) = (version_needs(before), version_needs(after));
    let old_newest = newest_by_family(&old_needs);
    let symbols_of = |file: &Value, version: &str| {
        strings(file.get("symbols_by_version").and_then(|m| m.get(version)))
    };
    for (version, library) in &new_needs {
        if old_needs.contains_key(version) {
            continue;
        }
        let name = VersionName::from(version.as_str());
        let (family, numbers) = name.family_and_numbers();
        let before_newest = old_newest.get(family);
        let raises = !numbers.is_empty() && before_newest.is_none_or(|have| name > *have);
        change.new_version_needs.push(VersionChange {
            version: version.clone(),
            library: library.clone(),
            symbols: symbols_of(after, version),
            raises_from: before_newest.filter(|_| raises).map(|v| v.to_string()),
            raises,
        });
    }
    for (version, library) in &old_needs {
        if !new_needs.contains_key(version) {
            change.dropped_version_needs.push(VersionChange {
                version: version.clone(),
                library: library.clone(),
                symbols: symbols_of(before, version),
                raises_from: None,
                raises: false,
            });
        }
    }
    let (old_needed, new_needed) = (strings(before.get("needed")), strings(after.get("needed")));
    change.new_needed = new_needed
        .iter()
        .filter(|n| !old_needed.contains(n))
        .cloned()
        .collect();
    change.dropped_needed = old_needed
        .iter()
        .filter(|n| !new_needed.contains(n))
        .cloned()
        .collect();
    let stack = |f: &Value| f.get("executable_stack").and_then(Value::as_bool);
    change.executable_stack = match (stack(before), stack(after)) {
        (Some(false) | None, Some(true)) => Some(true),
        (Some(true), Some(false)) => Some(false),
        _ => None,
    };
    change
}

/// Symbol lists longer than this are cut, with the count.
const SHOWN_SYMBOLS: usize = 6;

fn symbol_list(symbols: &[String]) -> String {
    if symbols.is_empty() {
        return String::new();
    }
    // Demangled for reading (the JSON keeps the names as the file has them).
    let shown: Vec<String> = symbols
        .iter()
        .take(SHOWN_SYMBOLS)
        .map(|s| esc(&crate::elf::readable(s)))
        .collect();
    let more = symbols.len().saturating_sub(SHOWN_SYMBOLS);
    if more > 0 {
        format!(" ({}, and {more} more)", shown.join(", "))
    } else {
        format!(" ({})", shown.join(", "))
    }
}

fn finding_line(f: &Value) -> String {
    let field = |key: &str| f.get(key).and_then(Value::as_str).unwrap_or("");
    let on = f
        .get("target")
        .and_then(Value::as_str)
        .map(|t| format!(" on {}", esc(t)))
        .unwrap_or_default();
    format!(
        "{} [{}] {}{on}: {}",
        field("severity"),
        esc(field("rule")),
        esc(field("path")),
        esc(field("message"))
    )
}

/// The diff as text: what the new release newly needs or breaks first, then what it
/// no longer needs.
pub fn write_diff_table(out: &mut dyn Write, diff: &ReportDiff) -> io::Result<()> {
    writeln!(
        out,
        "preflight diff {} → {}",
        esc(&diff.old),
        esc(&diff.new)
    )?;
    if diff.is_empty() {
        writeln!(out, "no change in what the files need or where they run")?;
        return Ok(());
    }
    for file in &diff.files {
        let status = match file.status {
            "changed" => String::new(),
            other => format!(" ({other})"),
        };
        writeln!(out, "{}{status}", esc(&file.path))?;
        for need in &file.new_version_needs {
            let raises = match (&need.raises_from, need.raises) {
                (Some(from), true) => format!(": its newest need of the family was {from}"),
                (None, true) => ": the first of its family".to_string(),
                _ => String::new(),
            };
            writeln!(
                out,
                "  + needs {} from {}{}{raises}",
                esc(&need.version),
                esc(&need.library),
                symbol_list(&need.symbols)
            )?;
        }
        for needed in &file.new_needed {
            writeln!(out, "  + NEEDED {}", esc(needed))?;
        }
        match file.executable_stack {
            Some(true) => writeln!(out, "  + executable stack")?,
            Some(false) => writeln!(out, "  - executable stack")?,
            None => {}
        }
        for need in &file.dropped_version_needs {
            writeln!(
                out,
                "  - no longer needs {} from {}",
                esc(&need.version),
                esc(&need.library)
            )?;
        }
        for needed in &file.dropped_needed {
            writeln!(out, "  - NEEDED {}", esc(needed))?;
        }
    }
    for failing in &diff.newly_failing {
        let files: Vec<String> = failing.files.iter().map(|f| esc(f)).collect();
        writeln!(
            out,
            "newly failing on {}: {}",
            esc(&failing.target),
            files.join(", ")
        )?;
    }
    for fixed in &diff.no_longer_failing {
        let files: Vec<String> = fixed.files.iter().map(|f| esc(f)).collect();
        writeln!(
            out,
            "no longer failing on {}: {}",
            esc(&fixed.target),
            files.join(", ")
        )?;
    }
    if !diff.new_findings.is_empty() {
        writeln!(out, "new findings ({}):", diff.new_findings.len())?;
        for f in &diff.new_findings {
            writeln!(out, "  {}", finding_line(f))?;
        }
    }
    if !diff.resolved_findings.is_empty() {
        writeln!(
            out,
            "no longer reported ({}):",
            diff.resolved_findings.len()
        )?;
        for f in &diff.resolved_findings {
            writeln!(out, "  {}", finding_line(f))?;
        }
    }
    Ok(())
}

pub fn write_diff_json(out: &mut dyn Write, diff: &ReportDiff) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, diff)?;
    writeln!(out)
}

/// Whether `value` is a scan report (`scan --format json`): what `diff` takes as a
/// saved side rather than a folder or image to scan.
pub fn is_scan_report(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|o: &Map<String, Value>| o.contains_key("findings") && o.contains_key("files"))
}
