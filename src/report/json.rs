//! JSON output: the stable contract documented in the README, written as a stream
//! (a scan of /usr describes thousands of files; nothing is built in memory first).

use super::{FileReport, ScanReport};
use crate::elf::SymbolTable;
use crate::policy::WaiverRef;
use crate::rules::Finding;
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

/// A waived finding: the finding, its fingerprint, and the waiver (reason, file, line).
#[derive(Serialize)]
struct WaivedJson<'a> {
    #[serde(flatten)]
    finding: FindingJson<'a>,
    waiver: &'a WaiverRef,
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
