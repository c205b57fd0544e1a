//! The pipeline behind `preflight scan`: walk a folder, read every ELF file through
//! the host view, resolve each executable (and each library no scanned executable
//! loads) against the host, and evaluate the rules.

use crate::elf::{ElfFacts, Kind};
use crate::policy::{findings_from_resolution, Finding, Rule, Severity};
use crate::resolve::{FilesystemHost, LibraryHost, Probe, Resolution, ResolveOptions, Resolver};
use crate::source::{walk_folder, IoProblem, RootView};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    Elf(Arc<ElfFacts>),
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

#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// The host the libraries come from; `/` when None.
    pub root: Option<PathBuf>,
    pub resolve: ResolveOptions,
}

/// The result of `preflight scan DIR`.
#[derive(Clone, Debug, Serialize)]
pub struct ScanReport {
    pub root: String,
    /// Which host the files were checked against.
    pub host: String,
    pub files: Vec<FileReport>,
    pub findings: Vec<Finding>,
    pub problems: Vec<IoProblem>,
    pub summary: Summary,
}

impl ScanReport {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
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
    pub errors: usize,
    pub warnings: usize,
}

/// A host view for checking `paths`: `root` (or `/`) with every path that lies
/// outside it mounted at its own absolute location. Returns each path's location
/// inside the view.
pub fn open_host(
    root: Option<&Path>,
    paths: &[&Path],
) -> io::Result<(FilesystemHost, Vec<String>)> {
    let mut view = RootView::new(root.unwrap_or(Path::new("/")))?;
    let mut located = Vec::new();
    for path in paths {
        let inside = view.view_path_of(path);
        let at = match inside {
            Some(at) => at,
            None => {
                let abs = std::fs::canonicalize(path)?;
                let folder = if abs.is_dir() {
                    abs.clone()
                } else {
                    abs.parent().unwrap_or(Path::new("/")).to_path_buf()
                };
                view.mount(&folder.to_string_lossy(), &folder)?;
                abs.to_string_lossy().into_owned()
            }
        };
        located.push(at);
    }
    let label = match root {
        Some(r) => format!("root {}", r.display()),
        None => "this machine (/)".to_string(),
    };
    Ok((FilesystemHost::new(view, label), located))
}

pub fn scan(dir: &Path, options: &ScanOptions) -> io::Result<ScanReport> {
    let (host, located) = open_host(options.root.as_deref(), &[dir])?;
    let dir_view = located.into_iter().next().unwrap_or_else(|| "/".into());
    let (files, mut problems) = walk_folder(dir);
    let view_of = |relative: &str| format!("{}/{relative}", dir_view.trim_end_matches('/'));
    let probes: Vec<Probe> = files
        .par_iter()
        .map(|f| host.probe(&view_of(&f.relative)))
        .collect();

    let mut summary = Summary {
        files_seen: files.len(),
        ..Summary::default()
    };
    let mut reports = Vec::new();
    let mut objects = Vec::new();
    let mut findings = Vec::new();
    for (file, probe) in files.iter().zip(probes) {
        let outcome = match probe {
            Probe::Found(object) => {
                objects.push((file.relative.clone(), object.clone()));
                Outcome::Elf(object.facts.clone())
            }
            Probe::NotElf => {
                summary.not_elf += 1;
                continue;
            }
            Probe::Unreadable(reason) => {
                findings.push(unreadable_finding(&file.relative, &reason));
                Outcome::Unreadable { reason }
            }
            Probe::Absent | Probe::Loop | Probe::NotRegular | Probe::Error(_) => {
                problems.push(IoProblem {
                    path: file.relative.clone(),
                    message: format!("{probe:?}"),
                });
                continue;
            }
        };
        let report = FileReport {
            path: file.relative.clone(),
            outcome,
        };
        summary.count(&report);
        reports.push(report);
    }

    let resolver = Resolver::new(&host, options.resolve.clone());
    let display = |path: &str| display_path(&dir_view, path);
    let resolve = |(shown, object): &(String, Arc<crate::resolve::HostObject>)| {
        resolver.resolve(object.clone(), &view_of(shown), shown)
    };
    // Executables first: a library they load is judged in their context (its
    // inherited RPATH, its place in their scope), not alone.
    let executables: Vec<_> = objects
        .iter()
        .filter(|(_, o)| is_dynamic_executable(&o.facts))
        .collect();
    let mut resolutions: Vec<Resolution> = executables.par_iter().map(|o| resolve(o)).collect();
    let loaded: HashSet<&str> = resolutions
        .iter()
        .flat_map(|r| r.loaded.iter().map(|l| l.real_path.as_str()))
        .collect();
    let standalone: Vec<_> = objects
        .iter()
        .filter(|(_, o)| {
            o.facts.kind == Kind::SharedLibrary && !loaded.contains(o.real_path.as_str())
        })
        .collect();
    let alone: Vec<Resolution> = standalone.par_iter().map(|o| resolve(o)).collect();
    resolutions.extend(alone);
    for resolution in &resolutions {
        findings.extend(findings_from_resolution(
            resolution,
            &resolution.path,
            &display,
        ));
    }
    findings.sort_by(|a, b| a.path.cmp(&b.path).then(b.severity.cmp(&a.severity)));
    summary.errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    summary.warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    Ok(ScanReport {
        root: dir.display().to_string(),
        host: host.describe(),
        files: reports,
        findings,
        problems,
        summary,
    })
}

fn is_dynamic_executable(facts: &ElfFacts) -> bool {
    matches!(facts.kind, Kind::Executable | Kind::PieExecutable)
}

/// A path inside the host as the report shows it: relative to the scanned folder
/// when it lies inside, else as the host has it.
fn display_path(dir_view: &str, path: &str) -> String {
    let base = dir_view.trim_end_matches('/');
    path.strip_prefix(base)
        .and_then(|rest| rest.strip_prefix('/'))
        .map(str::to_string)
        .unwrap_or_else(|| path.to_string())
}

fn unreadable_finding(path: &str, reason: &str) -> Finding {
    let mut finding = Finding::new(
        Rule::UnreadableFile,
        path,
        format!("not a readable ELF file: {reason}"),
        "The file starts like an ELF binary but is cut short or damaged (an interrupted download, copy \
         or build step). Anything that runs or loads it will fail; rebuild or re-copy it."
            .to_string(),
    );
    finding.severity = Severity::Warning;
    finding
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

/// Reads one file for `inspect`. `Ok(None)` when it is not an ELF file.
pub fn inspect_file(
    path: &Path,
    shown_as: &str,
) -> Result<Option<FileReport>, crate::source::OpenError> {
    use crate::elf::{read_facts_guarded, ElfError};
    let Some(bytes) = crate::source::read_elf_bytes(path)? else {
        return Ok(None);
    };
    let outcome = match read_facts_guarded(&bytes) {
        Ok(facts) => Outcome::Elf(Arc::new(facts)),
        Err(ElfError::NotElf) => return Ok(None),
        Err(ElfError::Malformed(reason)) => Outcome::Unreadable { reason },
    };
    Ok(Some(FileReport {
        path: shown_as.to_string(),
        outcome,
    }))
}
