//! The scan report's JSON is written a key at a time, its files and findings rendered
//! in parallel: the bytes are those serde_json's pretty printer writes for the report
//! as one struct, the way `write_scan_json` wrote it before (kept here as the
//! reference).

use preflight::elf::SymbolTable;
use preflight::policy::{PolicyConfig, WaivedFinding, WaiverRef};
use preflight::report::{write_scan_json, FileReport, HostRequirement, ScanReport, Summary};
use preflight::rules::Finding;
use preflight::scan::{scan, ScanOptions};
use preflight::source::{FolderSource, IoProblem};
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct FileJson<'a> {
    #[serde(flatten)]
    report: &'a FileReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    symbols: Option<&'a SymbolTable>,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    fingerprint: String,
}

#[derive(Serialize)]
struct WaivedJson<'a> {
    #[serde(flatten)]
    finding: FindingJson<'a>,
    waiver: &'a WaiverRef,
}

#[derive(Serialize)]
struct ScanJson<'a> {
    schema_version: u32,
    root: &'a str,
    hosts: &'a [String],
    files: Vec<FileJson<'a>>,
    findings: Vec<FindingJson<'a>>,
    problems: &'a [IoProblem],
    summary: &'a Summary,
    host_requirements: &'a [HostRequirement],
    #[serde(skip_serializing_if = "Option::is_none")]
    baselined: Option<Vec<FindingJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waived: Option<Vec<WaivedJson<'a>>>,
}

fn finding_json(finding: &Finding) -> FindingJson<'_> {
    FindingJson {
        finding,
        fingerprint: finding.fingerprint(),
    }
}

/// The report as one struct through serde_json's pretty printer.
fn whole(report: &ScanReport, with_symbols: bool) -> String {
    let value = ScanJson {
        // The schema version the report declares (schemas/scan-report.schema.json).
        schema_version: 1,
        root: &report.root,
        hosts: &report.hosts,
        files: report
            .files
            .iter()
            .map(|report| FileJson {
                report,
                symbols: report.facts().filter(|_| with_symbols).map(|f| &f.symbols),
            })
            .collect(),
        findings: report.findings.iter().map(finding_json).collect(),
        problems: &report.problems,
        summary: &report.summary,
        host_requirements: &report.host_requirements,
        baselined: (!report.baselined.is_empty())
            .then(|| report.baselined.iter().map(finding_json).collect()),
        waived: (!report.waived.is_empty()).then(|| {
            report
                .waived
                .iter()
                .map(|w| WaivedJson {
                    finding: finding_json(&w.finding),
                    waiver: &w.waiver,
                })
                .collect()
        }),
    };
    serde_json::to_string_pretty(&value).unwrap() + "\n"
}

fn pieces(report: &ScanReport, with_symbols: bool) -> String {
    let mut out = Vec::new();
    write_scan_json(&mut out, report, with_symbols).unwrap();
    String::from_utf8(out).unwrap()
}

/// A scan of the artifact fixtures against a target (findings of many rules), its
/// files repeated past a few of the writer's slices (1,024 items), with findings
/// baselined and waived.
fn report() -> ScanReport {
    let options = ScanOptions {
        targets: vec![preflight::profile::find_profile("ubuntu-20.04").unwrap()],
        policy: PolicyConfig::default(),
        ..ScanOptions::default()
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/artifacts");
    let mut report = scan(&FolderSource::new(&dir), &options).unwrap();
    assert!(!report.files.is_empty() && !report.findings.is_empty());
    let files = report.files.clone();
    while report.files.len() <= 2 * 1024 + 1 {
        report.files.extend(files.iter().cloned());
    }
    report.baselined = report.findings.iter().step_by(2).cloned().collect();
    report.waived = report
        .findings
        .iter()
        .skip(1)
        .step_by(3)
        .map(|finding| WaivedFinding {
            finding: finding.clone(),
            waiver: WaiverRef {
                reason: "known\nand \"accepted\"".into(),
                file: "preflight.yaml".into(),
                line: Some(3),
            },
        })
        .collect();
    report
}

#[test]
fn the_report_written_in_pieces_is_serdes_pretty_output_byte_for_byte() {
    let full = report();
    for with_symbols in [false, true] {
        let (pieces, whole) = (pieces(&full, with_symbols), whole(&full, with_symbols));
        assert!(pieces == whole, "with_symbols {with_symbols}");
    }
    // Empty arrays, and the keys left out when there is nothing to list.
    let mut empty = full;
    empty.files.clear();
    empty.findings.clear();
    empty.baselined.clear();
    empty.waived.clear();
    let (pieces, whole) = (pieces(&empty, false), whole(&empty, false));
    assert_eq!(pieces, whole);
    assert!(pieces.contains("\"files\": [],\n"));
}
