//! JSON output: the stable contract documented in the README, written as a stream
//! (a scan of /usr describes thousands of files; nothing is built in memory first).

use super::{FileReport, HostRequirement, ScanReport, Summary};
use crate::elf::SymbolTable;
use crate::policy::WaiverRef;
use crate::rules::Finding;
use crate::source::IoProblem;
use serde::Serialize;
use std::io::{self, Write};

/// The version of the scan report's JSON schema (schemas/scan-report.schema.json).
/// Raised when a key is removed or changes meaning; adding keys keeps it.
pub const SCHEMA_VERSION: u32 = 1;

/// One file. The full dynamic symbol table is large (thousands of entries for libc)
/// and only written when asked for.
#[derive(Serialize)]
struct FileJson<'a> {
    #[serde(flatten)]
    report: &'a FileReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    symbols: Option<&'a SymbolTable>,
}

fn files(reports: &[FileReport], with_symbols: bool) -> impl Iterator<Item = FileJson<'_>> {
    reports.iter().map(move |report| FileJson {
        report,
        symbols: report.facts().filter(|_| with_symbols).map(|f| &f.symbols),
    })
}

/// Serializes an iterator as a JSON array without collecting it.
struct Seq<I>(std::cell::RefCell<Option<I>>);

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Seq<I> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.borrow_mut().take().into_iter().flatten())
    }
}

fn seq<I>(items: I) -> Seq<I> {
    Seq(std::cell::RefCell::new(Some(items)))
}

pub fn write_inspect_json(
    out: &mut dyn Write,
    reports: &[FileReport],
    with_symbols: bool,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &seq(files(reports, with_symbols)))?;
    writeln!(out)
}

/// A finding with its stable fingerprint (what `scan --baseline` and `diff` match).
#[derive(Serialize)]
struct FindingJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    fingerprint: String,
}

fn findings(list: &[Finding]) -> impl Iterator<Item = FindingJson<'_>> {
    list.iter().map(|finding| FindingJson {
        finding,
        fingerprint: finding.fingerprint(),
    })
}

/// A waived finding: the finding, its fingerprint, and the waiver (reason, file, line).
#[derive(Serialize)]
struct WaivedJson<'a> {
    #[serde(flatten)]
    finding: FindingJson<'a>,
    waiver: &'a WaiverRef,
}

#[derive(Serialize)]
struct ScanJson<'a, F: Serialize, G: Serialize, H: Serialize, W: Serialize> {
    schema_version: u32,
    root: &'a str,
    hosts: &'a [String],
    files: F,
    findings: G,
    problems: &'a [IoProblem],
    summary: &'a Summary,
    host_requirements: &'a [HostRequirement],
    #[serde(skip_serializing_if = "Option::is_none")]
    baselined: Option<H>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waived: Option<W>,
}

pub fn write_scan_json(
    out: &mut dyn Write,
    report: &ScanReport,
    with_symbols: bool,
) -> io::Result<()> {
    let value = ScanJson {
        schema_version: SCHEMA_VERSION,
        root: &report.root,
        hosts: &report.hosts,
        files: seq(files(&report.files, with_symbols)),
        findings: seq(findings(&report.findings)),
        problems: &report.problems,
        summary: &report.summary,
        host_requirements: &report.host_requirements,
        baselined: (!report.baselined.is_empty()).then(|| seq(findings(&report.baselined))),
        waived: (!report.waived.is_empty()).then(|| {
            seq(report.waived.iter().map(|w| WaivedJson {
                finding: FindingJson {
                    finding: &w.finding,
                    fingerprint: w.finding.fingerprint(),
                },
                waiver: &w.waiver,
            }))
        }),
    };
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}
