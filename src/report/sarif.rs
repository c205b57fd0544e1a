//! SARIF 2.1.0 (OASIS), for GitHub code scanning and other SARIF consumers: one rule
//! per rule id with its description and fix, one result per finding, locations
//! relative to the scanned folder (uriBaseId SRCROOT).

use super::ScanReport;
use crate::rules::{Finding, Rule, Severity};
use serde_json::{json, Value};
use std::io::{self, Write};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// "symbol-version" → "SymbolVersion", SARIF's human-readable rule name.
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

pub fn write_sarif(out: &mut dyn Write, report: &ScanReport) -> io::Result<()> {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "name": pascal(r.id()),
                "shortDescription": {"text": r.description()},
                "fullDescription": {"text": r.description()},
                "help": {"text": r.help(), "markdown": format!("**Fix:** {}", r.help())},
                "defaultConfiguration": {"level": level(r.default_severity())},
            })
        })
        .collect();
    // With a baseline, every result says whether it is new or was already there.
    let baselined = !report.baselined.is_empty() || report.summary.baselined > 0;
    let state = |state: &str, mut value: Value| {
        if baselined {
            value["baselineState"] = json!(state);
        }
        value
    };
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| state("new", result(f)))
        .chain(
            report
                .baselined
                .iter()
                .map(|f| state("unchanged", result(f))),
        )
        .collect();
    let root_uri = format!("file://{}/", report.root_abs.trim_end_matches('/'));
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "preflight",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": {"SRCROOT": {"uri": root_uri}},
            "results": results,
            "properties": {"hosts": report.hosts},
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

fn result(f: &Finding) -> Value {
    let rule_index = Rule::ALL.iter().position(|r| *r == f.rule).unwrap_or(0);
    let on = f
        .target
        .as_ref()
        .map(|t| format!(" [{t}]"))
        .unwrap_or_default();
    let fingerprint = f.fingerprint();
    let mut properties = json!({});
    if let Some(t) = &f.target {
        properties["target"] = json!(t);
    }
    json!({
        "ruleId": f.rule.id(),
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": format!("{}{on}: {} {} Fix: {}", f.path, f.message, f.why, f.fix)},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri_escape(&f.path), "uriBaseId": "SRCROOT"}}}],
        "partialFingerprints": {"preflightFinding/v1": fingerprint},
        "properties": properties,
    })
}

/// A relative path as a URI reference: percent-encode what is not allowed there.
fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'+'
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(pascal("symbol-version"), "SymbolVersion");
        assert_eq!(uri_escape("lib/lib foo#1.so"), "lib/lib%20foo%231.so");
    }
}
