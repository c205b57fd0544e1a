//! `scan --baseline FILE`: the findings of an earlier report (its JSON, or its
//! SARIF), by their stable fingerprints (`Finding::fingerprint`). A scan then fails
//! only on findings that are not in it; those that are stay listed apart.

use super::ScanReport;
use crate::rules::{fingerprint_of, Severity};
use serde_json::Value;
use std::collections::HashSet;

/// The fingerprints of a saved report's findings.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    /// The file it was read from, for messages.
    pub file: String,
    fingerprints: HashSet<String>,
}

impl Baseline {
    /// Reads a saved `scan --format json` report (each finding's `fingerprint`, or
    /// for reports written before it existed the fields it is made of) or a SARIF
    /// log (`partialFingerprints."preflightFinding/v1"`).
    pub fn parse(text: &str, file: &str) -> Result<Baseline, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("{file}: not a preflight JSON or SARIF report: {e}"))?;
        let mut fingerprints = HashSet::new();
        if let Some(runs) = value.get("runs").and_then(Value::as_array) {
            for result in runs
                .iter()
                .filter_map(|r| r.get("results").and_then(Value::as_array))
                .flatten()
            {
                if let Some(print) = result
                    .pointer("/partialFingerprints/preflightFinding~1v1")
                    .and_then(Value::as_str)
                {
                    fingerprints.insert(print.to_string());
                }
            }
        } else if let Some(findings) = value.get("findings").and_then(Value::as_array) {
            fingerprints.extend(findings.iter().filter_map(fingerprint_of_json));
        } else {
            return Err(format!(
                "{file}: not a preflight report: it has neither `findings` (scan --format json) nor `runs` (SARIF)"
            ));
        }
        Ok(Baseline {
            file: file.to_string(),
            fingerprints,
        })
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

/// The fingerprint of one finding of a saved JSON report.
pub fn fingerprint_of_json(finding: &Value) -> Option<String> {
    if let Some(print) = finding.get("fingerprint").and_then(Value::as_str) {
        return Some(print.to_string());
    }
    let field = |key: &str| finding.get(key).and_then(Value::as_str);
    Some(fingerprint_of(
        field("rule")?,
        field("path")?,
        field("target"),
        field("library"),
        field("version"),
        field("symbol"),
    ))
}

impl ScanReport {
    /// Moves the findings the baseline has into `baselined`, and counts only the
    /// others in the summary: the exit code then follows the new findings alone.
    pub fn apply_baseline(&mut self, baseline: &Baseline) {
        let (known, new): (Vec<_>, Vec<_>) = std::mem::take(&mut self.findings)
            .into_iter()
            .partition(|f| baseline.contains(&f.fingerprint()));
        self.findings = new;
        self.baselined = known;
        let summary = &mut self.summary;
        summary.baselined = self.baselined.len();
        summary.errors = 0;
        summary.warnings = 0;
        summary.notes = 0;
        for f in &self.findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Note => summary.notes += 1,
            }
        }
        for requirement in &mut self.host_requirements {
            requirement.errors = self
                .findings
                .iter()
                .filter(|f| {
                    f.severity == Severity::Error
                        && f.target.as_deref() == Some(requirement.target.as_str())
                })
                .count();
        }
    }
}
