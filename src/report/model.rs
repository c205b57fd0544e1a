//! What a scan found, as plain data: the report every printer writes (and `inspect`'s
//! file reports). Built by the scan pipeline; nothing here reads a file.

use crate::elf::{ArchiveFacts, Binary, ElfFacts, ForeignBinary, OtherBinary};
use crate::platform::Platform;
use crate::policy::WaivedFinding;
use crate::profile::Profile;
use crate::rules::{Finding, Rule, Severity};
use crate::source::IoProblem;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One ELF file's result: its facts, or why it could not be read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileReport {
    pub path: String,
    /// SHA-256 of the file, when the scan was asked for hashes (the SBOM needs them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The image layer that wrote it (images only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    #[serde(rename = "ok")]
    Elf(Arc<ElfFacts>),
    /// Starts with the ELF magic but is malformed or truncated.
    Unreadable { reason: String },
    /// A static library (`ar` archive) of relocatable objects.
    Archive(ArchiveFacts),
    /// A Mach-O or PE file.
    Foreign(ForeignBinary),
}

impl FileReport {
    /// The report of a file read on its own (`inspect`): what `elf::read_binary`
    /// found; None when it is not a binary preflight reads.
    pub fn read(path: &str, binary: Binary) -> Option<FileReport> {
        let outcome = match binary {
            Binary::Elf(facts) => Outcome::Elf(Arc::from(facts)),
            Binary::Other(other) => match *other {
                OtherBinary::Archive(archive) => Outcome::Archive(archive),
                OtherBinary::Foreign(foreign) => Outcome::Foreign(foreign),
            },
            Binary::Unreadable(reason) => Outcome::Unreadable { reason },
            Binary::NotBinary => return None,
        };
        Some(FileReport {
            path: path.to_string(),
            sha256: None,
            layer: None,
            outcome,
        })
    }

    pub fn facts(&self) -> Option<&ElfFacts> {
        match &self.outcome {
            Outcome::Elf(facts) => Some(facts),
            _ => None,
        }
    }
}

/// One scanned file's NEEDED entries and where the first host's loader found them.
#[derive(Clone, Debug, Serialize)]
pub struct Dependency {
    pub path: String,
    pub needs: Vec<Need>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Need {
    pub soname: String,
    /// Relative to the scanned folder when inside it, else the host's path; None when
    /// not found.
    pub resolved: Option<String>,
}

/// The result of `preflight scan DIR`.
#[derive(Clone, Debug, Serialize)]
pub struct ScanReport {
    pub root: String,
    /// Which hosts the files were checked against.
    pub hosts: Vec<String>,
    pub files: Vec<FileReport>,
    pub findings: Vec<Finding>,
    pub problems: Vec<IoProblem>,
    pub summary: Summary,
    /// The dependency graph as the first host's loader builds it.
    #[serde(skip)]
    pub dependencies: Vec<Dependency>,
    /// The scanned folder's absolute path.
    #[serde(skip)]
    pub root_abs: String,
    /// Per target release (not wheel policies): the packages its hosts need.
    pub host_requirements: Vec<HostRequirement>,
    /// Findings `--baseline` already had: listed apart, not failing the run.
    pub baselined: Vec<Finding>,
    /// Findings the policy file's waivers silenced, each with its waiver.
    pub waived: Vec<WaivedFinding>,
}

/// What the hosts of one target need installed for the scanned files to load: the
/// packages named by its `missing-library` findings (the kept ones, after waivers).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HostRequirement {
    pub target: String,
    pub platform: Platform,
    /// Sorted, each once.
    pub packages: Vec<String>,
    /// The command that installs them; None when nothing is needed.
    pub command: Option<String>,
    /// Some package names are the family's usual ones, not read off the release's
    /// own index.
    pub inferred: bool,
    /// Errors that remain on this target whatever is installed.
    pub errors: usize,
}

impl HostRequirement {
    /// From the findings kept for `profile` on `platform`.
    pub fn of(profile: &Profile, platform: Platform, findings: &[Finding]) -> HostRequirement {
        let mut packages: Vec<String> = findings
            .iter()
            .filter(|f| f.rule == Rule::MissingLibrary)
            .filter_map(|f| f.package.clone())
            .collect();
        packages.sort();
        packages.dedup();
        let inferred = findings.iter().any(|f| {
            f.package.is_some()
                && f.library
                    .as_deref()
                    .and_then(|soname| profile.installable(platform, soname))
                    .is_some_and(|p| p.inferred)
        });
        HostRequirement {
            target: profile.name.clone(),
            platform,
            command: (!packages.is_empty()).then(|| profile.install_command(&packages)),
            packages,
            inferred,
            errors: findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count(),
        }
    }

    /// `ubuntu-24.04 hosts need: apt-get install libcurl4t64 libpq5`.
    pub fn sentence(&self) -> String {
        let mut line = format!(
            "{} hosts need: {}",
            self.target,
            self.command
                .as_deref()
                .unwrap_or("nothing beyond the base image")
        );
        if self.inferred {
            line.push_str(" (package names inferred)");
        }
        if self.errors > 0 {
            let (errors, remain) = if self.errors == 1 {
                ("error", "remains")
            } else {
                ("errors", "remain")
            };
            line.push_str(&format!(
                "; {} {errors} {remain} there whatever is installed",
                self.errors
            ));
        }
        line
    }
}

impl ScanReport {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
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
    pub notes: usize,
    /// Findings silenced by waivers of the policy file.
    pub waived: usize,
    /// Findings the `--baseline` report already had (not counted above).
    #[serde(skip_serializing_if = "is_zero")]
    pub baselined: usize,
    /// ELF files reached again through another hard link (reported once).
    pub hard_links: usize,
    /// Static libraries (`ar` archives).
    pub archives: usize,
    /// Mach-O and PE files.
    pub foreign: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    /// Counts one file's report.
    pub fn count(&mut self, report: &FileReport) {
        match &report.outcome {
            Outcome::Elf(facts) => {
                self.elf += 1;
                *self
                    .kinds
                    .entry(facts.kind.as_str().to_string())
                    .or_default() += 1;
            }
            Outcome::Unreadable { .. } => self.unreadable += 1,
            Outcome::Archive(_) => self.archives += 1,
            Outcome::Foreign(_) => self.foreign += 1,
        }
    }
}
