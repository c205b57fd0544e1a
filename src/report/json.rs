//! JSON output: the stable contract documented in the README.

use crate::scan::{FileReport, ScanReport};
use serde_json::{json, Value};
use std::io::{self, Write};

/// The version of the scan report's JSON schema (schemas/scan-report.schema.json).
/// Raised when a key is removed or changes meaning; adding keys keeps it.
pub const SCHEMA_VERSION: u32 = 1;

/// One file as a JSON object. The full dynamic symbol table (`symbols`) is large
/// (thousands of entries for libc) and only shown when asked for.
fn file_value(report: &FileReport, with_symbols: bool) -> io::Result<Value> {
    let mut value = serde_json::to_value(report)?;
    if !with_symbols {
        if let Some(map) = value.as_object_mut() {
            map.remove("symbols");
        }
    }
    Ok(value)
}

pub fn write_inspect_json(
    out: &mut dyn Write,
    files: &[FileReport],
    with_symbols: bool,
) -> io::Result<()> {
    let values = files
        .iter()
        .map(|f| file_value(f, with_symbols))
        .collect::<io::Result<Vec<_>>>()?;
    serde_json::to_writer_pretty(&mut *out, &values)?;
    writeln!(out)
}

pub fn write_scan_json(
    out: &mut dyn Write,
    report: &ScanReport,
    with_symbols: bool,
) -> io::Result<()> {
    let files = report
        .files
        .iter()
        .map(|f| file_value(f, with_symbols))
        .collect::<io::Result<Vec<_>>>()?;
    let value = json!({
        "schema_version": SCHEMA_VERSION,
        "root": report.root,
                "hosts": report.hosts,
        "files": files,
        "findings": report.findings,
        "problems": report.problems,
        "summary": report.summary,
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}
