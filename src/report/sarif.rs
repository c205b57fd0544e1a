//! SARIF 2.1.0 (OASIS), for GitHub code scanning and other SARIF consumers: one rule
//! per rule id with its description and fix, one result per finding, locations
//! relative to the scanned folder (uriBaseId SRCROOT).

use crate::policy::{Finding, Rule, Severity};
use crate::scan::ScanReport;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
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

/// The fix hint for a rule, shown by code scanning as the rule's help.
fn rule_help(rule: Rule) -> &'static str {
    match rule {
        Rule::SymbolVersion => "Build against the oldest glibc/libstdc++ you support (an older distribution, or a manylinux container), or ship the newer library with the program.",
        Rule::MissingLibrary => "Ship the library with the program and set RUNPATH to $ORIGIN/../lib, install it on the host, or link it statically.",
        Rule::UndefinedSymbol => "Ship the library the program was built against, or build against the host's version.",
        Rule::ArchMismatch => "Build for the target's architecture.",
        Rule::LibcMismatch => "Build against the target's libc, or link fully statically.",
        Rule::InterpreterMissing => "Build for the target's loader, link statically, or install the loader.",
        Rule::Textrel => "Recompile every object with -fPIC; -Wl,-z,text names the objects at fault.",
        Rule::Rpath => "Use DT_RUNPATH (-Wl,--enable-new-dtags) with $ORIGIN-relative folders inside the shipped tree.",
        Rule::ExecutableStack => "Add .note.GNU-stack to assembly sources, or link with -Wl,-z,noexecstack.",
        Rule::PrivateSymbol => "Use glibc's public interface only.",
        Rule::IsaLevel => "Build for the target's x86-64 level (-march=x86-64-v1/v2) and dispatch at run time.",
        Rule::UnreadableFile => "Rebuild or re-copy the file.",
        Rule::UnusedWaiver => "Remove or correct the waiver.",
        Rule::UnsafeImageEntry => "Rebuild the image with a standard tool.",
        Rule::NonPicObject => "Recompile the object with -fPIC (or -fPIE for executables only).",
        Rule::SmallGotOverflow => "Recompile the objects that use -fpic with -fPIC.",
        Rule::ForeignBinary => "Remove the file from the Linux artifact, or replace it with the Linux build.",
        Rule::StaticGlibcRuntime => "Link dynamically against glibc, or statically against musl; avoid NSS and dlopen in static glibc binaries.",
        Rule::HardeningPie => "Build with -fPIE -pie.",
        Rule::HardeningRelro => "Link with -Wl,-z,relro,-z,now.",
        Rule::HardeningStackProtector => "Compile with -fstack-protector-strong.",
        Rule::HardeningFortify => "Compile with -O2 -D_FORTIFY_SOURCE=2 (or 3).",
        Rule::HardeningCet => "Compile every object, assembly included, with -fcf-protection=full.",
    }
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
                "help": {"text": rule_help(*r), "markdown": format!("**Fix:** {}", rule_help(*r))},
                "defaultConfiguration": {"level": level(r.default_severity())},
            })
        })
        .collect();
    let results: Vec<Value> = report.findings.iter().map(result).collect();
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
    // A stable identity for the same problem across runs (GitHub deduplicates alerts
    // by it): rule, file, target and what is missing, not the wording.
    let identity = format!(
        "{}|{}|{}|{}|{}|{}",
        f.rule.id(),
        f.path,
        f.target.as_deref().unwrap_or(""),
        f.library.as_deref().unwrap_or(""),
        f.version.as_deref().unwrap_or(""),
        f.symbol.as_deref().unwrap_or("")
    );
    let fingerprint: String = Sha256::digest(identity.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
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
