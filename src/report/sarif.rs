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
    let root = report.root_abs.as_str();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| state("new", result(f, root)))
        .chain(
            report
                .baselined
                .iter()
                .map(|f| state("unchanged", result(f, root))),
        )
        // Waived findings are results with a suppression: code scanning shows them as
        // dismissed, with the waiver's reason, located at the waiver.
        .chain(report.waived.iter().map(|w| {
            let mut value = result(&w.finding, root);
            value["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": w.waiver.reason,
                "location": policy_location(&w.waiver.file, w.waiver.line, root),
            }]);
            value
        }))
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

/// Where a line of a policy file is, as a SARIF location: relative to SRCROOT when the
/// file lies inside the scanned folder, else its absolute `file://` URI (a policy
/// named relatively is taken from the working directory, where it was read).
fn policy_location(file: &str, line: Option<usize>, root_abs: &str) -> Value {
    let path = std::path::Path::new(file);
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let absolute = absolute.to_string_lossy().to_string();
    let root = format!("{}/", root_abs.trim_end_matches('/'));
    let artifact = match absolute.strip_prefix(&root) {
        Some(inside) => json!({"uri": uri_escape(inside), "uriBaseId": "SRCROOT"}),
        None => json!({"uri": format!("file://{}", uri_escape(&absolute))}),
    };
    let mut physical = json!({"artifactLocation": artifact});
    if let Some(line) = line {
        physical["region"] = json!({"startLine": line});
    }
    json!({"physicalLocation": physical})
}

fn result(f: &Finding, root_abs: &str) -> Value {
    let rule_index = Rule::ALL.iter().position(|r| *r == f.rule).unwrap_or(0);
    let on = f
        .target
        .as_ref()
        .map(|t| format!(" [{t}]"))
        .unwrap_or_default();
    let fingerprint = f.fingerprint();
    // A finding about a policy file (an unused waiver) is located at its line there.
    let location = match f.line {
        Some(line) => policy_location(&f.path, Some(line), root_abs),
        None => {
            json!({"physicalLocation": {"artifactLocation": {"uri": uri_escape(&f.path), "uriBaseId": "SRCROOT"}}})
        }
    };
    let mut properties = json!({});
    if let Some(t) = &f.target {
        properties["target"] = json!(t);
    }
    json!({
        "ruleId": f.rule.id(),
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": format!("{}{on}: {} {} Fix: {}", f.path, f.message, f.why, f.fix)},
        "locations": [location],
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
