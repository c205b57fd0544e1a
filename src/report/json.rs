//! JSON output: the stable contract documented in the README, written as a stream
//! (a scan of /usr describes thousands of files; nothing is built in memory first).

use super::{FileReport, ScanReport};
#[cfg(test)]
use super::{HostRequirement, Summary};
use crate::elf::SymbolTable;
#[cfg(test)]
use crate::policy::WaivedFinding;
use crate::policy::WaiverRef;
use crate::rules::Finding;
#[cfg(test)]
use crate::source::IoProblem;
use rayon::prelude::*;
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

#[cfg(test)]
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

/// The scan report as one struct, as serde writes it: what `write_scan_json` writes,
/// piece by piece (the tests hold the two to the same bytes).
#[cfg(test)]
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

#[cfg(test)]
fn write_scan_json_whole(
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
        waived: (!report.waived.is_empty()).then(|| seq(waived(&report.waived))),
    };
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

#[cfg(test)]
fn waived(list: &[WaivedFinding]) -> impl Iterator<Item = WaivedJson<'_>> {
    list.iter().map(|w| WaivedJson {
        finding: FindingJson {
            finding: &w.finding,
            fingerprint: w.finding.fingerprint(),
        },
        waiver: &w.waiver,
    })
}

/// The scan report: serde_json's pretty output of the report as one object, written
/// a key at a time. The files and findings (8 MB for /usr) are rendered on every
/// core, a slice at a time, each item into a buffer of its own, then written in
/// order: serde_json wrote them as thousands of small pieces, each through the
/// output's `dyn Write`, on one thread, a fifth of a scan of /usr/bin's instructions.
pub fn write_scan_json(
    out: &mut dyn Write,
    report: &ScanReport,
    with_symbols: bool,
) -> io::Result<()> {
    let mut top = TopLevel { out, first: true };
    top.value("schema_version", &SCHEMA_VERSION)?;
    top.value("root", &report.root)?;
    top.value("hosts", &report.hosts)?;
    top.array("files", &report.files, |report| FileJson {
        report,
        symbols: report.facts().filter(|_| with_symbols).map(|f| &f.symbols),
    })?;
    top.array("findings", &report.findings, finding_json)?;
    top.value("problems", &report.problems)?;
    top.value("summary", &report.summary)?;
    top.value("host_requirements", &report.host_requirements)?;
    if !report.baselined.is_empty() {
        top.array("baselined", &report.baselined, finding_json)?;
    }
    if !report.waived.is_empty() {
        top.array("waived", &report.waived, |w| WaivedJson {
            finding: finding_json(&w.finding),
            waiver: &w.waiver,
        })?;
    }
    top.out.write_all(b"\n}\n")
}

fn finding_json(finding: &Finding) -> FindingJson<'_> {
    FindingJson {
        finding,
        fingerprint: finding.fingerprint(),
    }
}

/// Items of a large array rendered at once (their buffers are held until written).
const RENDERED_AT_ONCE: usize = 1024;

/// The top-level object of a pretty report, written one key at a time as serde_json's
/// `PrettyFormatter` writes it: two spaces a level, `"key": value`, entries separated
/// by `,` and a new line.
struct TopLevel<'a> {
    out: &'a mut dyn Write,
    first: bool,
}

impl TopLevel<'_> {
    fn key(&mut self, key: &str) -> io::Result<()> {
        let start: &[u8] = if self.first { b"{\n  \"" } else { b",\n  \"" };
        self.first = false;
        self.out.write_all(start)?;
        self.out.write_all(key.as_bytes())?;
        self.out.write_all(b"\": ")
    }

    /// A value at the first level.
    fn value<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> io::Result<()> {
        self.key(key)?;
        self.out.write_all(&rendered(value, 1)?)
    }

    /// An array at the first level, its items `item(x)` for each of `items`, rendered
    /// in parallel.
    fn array<'i, T: Sync, J: Serialize>(
        &mut self,
        key: &str,
        items: &'i [T],
        item: impl Fn(&'i T) -> J + Sync,
    ) -> io::Result<()> {
        self.key(key)?;
        if items.is_empty() {
            return self.out.write_all(b"[]");
        }
        self.out.write_all(b"[")?;
        let mut first = true;
        for slice in items.chunks(RENDERED_AT_ONCE) {
            let buffers: Vec<Vec<u8>> = slice
                .par_iter()
                .map(|x| rendered(&item(x), 2))
                .collect::<io::Result<_>>()?;
            for buffer in buffers {
                self.out
                    .write_all(if first { b"\n    " } else { b",\n    " })?;
                first = false;
                self.out.write_all(&buffer)?;
            }
        }
        self.out.write_all(b"\n  ]")
    }
}

/// `value` as serde_json's pretty printer writes it `depth` levels deep: every new
/// line it starts is followed by two spaces more for each level. JSON strings hold no
/// raw new line (it is escaped as `\\n`), so each one in the output is the printer's.
fn rendered<T: Serialize + ?Sized>(value: &T, depth: usize) -> io::Result<Vec<u8>> {
    let plain = serde_json::to_vec_pretty(value)?;
    let lines = memchr::memchr_iter(b'\n', &plain).count();
    if lines == 0 {
        return Ok(plain);
    }
    let mut indented = Vec::with_capacity(plain.len() + lines * 2 * depth);
    for (i, line) in plain.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            indented.push(b'\n');
            indented.extend(std::iter::repeat_n(b' ', 2 * depth));
        }
        indented.extend_from_slice(line);
    }
    Ok(indented)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyConfig, WaivedFinding, WaiverRef};
    use crate::scan::{scan, ScanOptions};
    use crate::source::FolderSource;
    use std::path::Path;

    /// A scan of the artifact fixtures against a target (findings of many rules),
    /// its files repeated past a few slices of RENDERED_AT_ONCE, with findings
    /// baselined and waived.
    fn report() -> ScanReport {
        let options = ScanOptions {
            targets: vec![crate::profile::find_profile("ubuntu-20.04").unwrap()],
            policy: PolicyConfig::default(),
            ..ScanOptions::default()
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/artifacts");
        let mut report = scan(&FolderSource::new(&dir), &options).unwrap();
        assert!(!report.files.is_empty() && !report.findings.is_empty());
        let files = report.files.clone();
        while report.files.len() <= 2 * RENDERED_AT_ONCE + 1 {
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

    fn both(report: &ScanReport, with_symbols: bool) -> (String, String) {
        let mut pieces = Vec::new();
        write_scan_json(&mut pieces, report, with_symbols).unwrap();
        let mut whole = Vec::new();
        write_scan_json_whole(&mut whole, report, with_symbols).unwrap();
        (
            String::from_utf8(pieces).unwrap(),
            String::from_utf8(whole).unwrap(),
        )
    }

    #[test]
    fn the_report_written_in_pieces_is_serdes_pretty_output_byte_for_byte() {
        let full = report();
        for with_symbols in [false, true] {
            let (pieces, whole) = both(&full, with_symbols);
            assert!(pieces == whole, "with_symbols {with_symbols}");
        }
        // Empty arrays, and the keys left out when there is nothing to list.
        let mut empty = full;
        empty.files.clear();
        empty.findings.clear();
        empty.baselined.clear();
        empty.waived.clear();
        let (pieces, whole) = both(&empty, false);
        assert_eq!(pieces, whole);
        assert!(pieces.contains("\"files\": [],\n"));
    }
}
