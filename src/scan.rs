//! Inspecting files and folders: the `elf` stage applied to what a `source` lists.

use crate::elf::{read_facts, ElfError, ElfFacts};
use crate::source::{read_elf_bytes, walk_folder, IoProblem, OpenError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// One ELF file's result: its facts, or why it could not be read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    pub path: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    #[serde(rename = "ok")]
    Elf(Box<ElfFacts>),
    /// Starts with the ELF magic but is malformed or truncated.
    Unreadable { reason: String },
}

impl FileReport {
    pub fn facts(&self) -> Option<&ElfFacts> {
        match &self.outcome {
            Outcome::Elf(facts) => Some(facts),
            Outcome::Unreadable { .. } => None,
        }
    }
}

/// The result of `preflight scan DIR`.
#[derive(Clone, Debug, Serialize)]
pub struct ScanReport {
    pub root: String,
    pub files: Vec<FileReport>,
    pub problems: Vec<IoProblem>,
    pub summary: Summary,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Regular files looked at (hard links counted once).
    pub files_seen: usize,
    /// Files that are not ELF, skipped after reading their first bytes.
    pub not_elf: usize,
    pub elf: usize,
    pub unreadable: usize,
    /// ELF files by kind ("pie-executable": 3, ...).
    pub kinds: BTreeMap<String, usize>,
}

/// Reads one file. `Ok(None)` when it is not an ELF file.
pub fn inspect_file(disk_path: &Path, shown_as: &str) -> Result<Option<FileReport>, OpenError> {
    let Some(bytes) = read_elf_bytes(disk_path)? else {
        return Ok(None);
    };
    // The reader is written to fail with an error, never a panic; this guard keeps a
    // bug in it (or in goblin) from losing the rest of a scan.
    let result = catch_unwind(AssertUnwindSafe(|| read_facts(&bytes))).unwrap_or_else(|_| {
        Err(ElfError::Malformed(
            "internal error while reading this file".into(),
        ))
    });
    let outcome = match result {
        Ok(facts) => Outcome::Elf(Box::new(facts)),
        Err(ElfError::NotElf) => return Ok(None),
        Err(ElfError::Malformed(reason)) => Outcome::Unreadable { reason },
    };
    Ok(Some(FileReport {
        path: shown_as.to_string(),
        outcome,
    }))
}

/// Walks `root` and inspects every ELF file under it, in parallel, in path order.
pub fn scan_folder(root: &Path) -> ScanReport {
    let (files, mut problems) = walk_folder(root);
    let results: Vec<_> = files
        .par_iter()
        .map(|f| (f, inspect_file(&f.disk_path, &f.relative)))
        .collect();
    let mut summary = Summary {
        files_seen: files.len(),
        ..Summary::default()
    };
    let mut reports = Vec::new();
    for (file, result) in results {
        match result {
            Ok(Some(report)) => {
                summary.count(&report);
                reports.push(report);
            }
            Ok(None) => summary.not_elf += 1,
            Err(err) => problems.push(IoProblem {
                path: file.relative.clone(),
                message: err.to_string(),
            }),
        }
    }
    ScanReport {
        root: root.display().to_string(),
        files: reports,
        problems,
        summary,
    }
}

impl Summary {
    fn count(&mut self, report: &FileReport) {
        match report.facts() {
            Some(facts) => {
                self.elf += 1;
                *self
                    .kinds
                    .entry(facts.kind.as_str().to_string())
                    .or_default() += 1;
            }
            None => self.unreadable += 1,
        }
    }
}
