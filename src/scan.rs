//! The pipeline behind `preflight scan`: walk a folder, read every ELF file once, and
//! for each host (a root filesystem, or each target profile) check every file's facts
//! and resolve each executable (and each library no scanned executable loads) as its
//! loader would, then apply the policy.

use crate::elf::{ElfFacts, Kind};
use crate::policy::{
    findings_from_facts, findings_from_resolution, Finding, PolicyConfig, Rule, Severity,
    TargetFacts,
};
use crate::profile::{LoadedProfile, ProfileHost};
use crate::resolve::{
    FilesystemHost, HostObject, LibraryHost, Probe, Resolution, ResolveOptions, Resolver,
};
use crate::source::{walk_folder, IoProblem, RootView};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One ELF file's result: its facts, or why it could not be read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    pub path: String,
    /// SHA-256 of the file, when the scan was asked for hashes (the SBOM needs them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
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

/// What a scan checks against, and how.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// The host the libraries come from when no target is given; `/` when None.
    pub root: Option<PathBuf>,
    pub resolve: ResolveOptions,
    /// Target profiles to check against (the scanned tree provides its own libraries).
    pub targets: Vec<LoadedProfile>,
    /// Docker platform of the targets ("linux/amd64").
    pub platform: String,
    pub policy: PolicyConfig,
    /// Compute each ELF file's SHA-256.
    pub hashes: bool,
    /// Told about each file read, from any thread (a progress bar).
    pub progress: Option<Progress>,
}

/// A callback for each file read; no stage prints, the caller decides how to show it.
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
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
        let at = match view.view_path_of(path) {
            Some(at) => at,
            None => mount_at_own_path(&mut view, path)?,
        };
        located.push(at);
    }
    let label = match root {
        Some(r) => format!("root {}", r.display()),
        None => "this machine (/)".to_string(),
    };
    Ok((FilesystemHost::new(view, label), located))
}

/// Mounts `path` (a folder, or a file's folder) at its own absolute location.
fn mount_at_own_path(view: &mut RootView, path: &Path) -> io::Result<String> {
    let abs = std::fs::canonicalize(path)?;
    let folder = if abs.is_dir() {
        abs.clone()
    } else {
        abs.parent().unwrap_or(Path::new("/")).to_path_buf()
    };
    view.mount(&folder.to_string_lossy(), &folder)?;
    Ok(abs.to_string_lossy().into_owned())
}

/// The scanned tree alone, at its own absolute path: the real half of a target check.
pub fn open_tree(dir: &Path) -> io::Result<(FilesystemHost, String)> {
    let mut view = RootView::mounts_only();
    let at = mount_at_own_path(&mut view, dir)?;
    Ok((
        FilesystemHost::new(view, format!("tree {}", dir.display())),
        at,
    ))
}

/// The ELF objects of a scanned tree, read once, shared by every target.
struct Tree {
    dir_view: String,
    objects: Vec<(String, Arc<HostObject>)>,
}

impl Tree {
    fn view_of(&self, relative: &str) -> String {
        format!("{}/{relative}", self.dir_view.trim_end_matches('/'))
    }

    /// Each scanned object's own NEEDED entries, as the resolutions found them. Objects
    /// are matched by their real path: a library appears in an executable's load
    /// under the path the loader opened (`bin/../lib/libx.so`).
    fn dependencies(&self, resolutions: &[Resolution]) -> Vec<Dependency> {
        let real_of = |r: &Resolution, path: &str| -> Option<String> {
            if path == r.view_path {
                return self
                    .objects
                    .iter()
                    .find(|(p, _)| self.view_of(p) == path)
                    .map(|(_, o)| o.real_path.clone());
            }
            r.loaded
                .iter()
                .find(|l| l.path == path)
                .map(|l| l.real_path.clone())
        };
        self.objects
            .iter()
            .filter(|(_, o)| !o.facts.needed.is_empty())
            .map(|(path, object)| {
                let needs = resolutions
                    .iter()
                    .find_map(|r| {
                        let edges: Vec<Need> = r
                            .edges
                            .iter()
                            .filter(|e| {
                                real_of(r, &e.from).as_deref() == Some(object.real_path.as_str())
                            })
                            .map(|e| Need {
                                soname: e.name.clone(),
                                resolved: e.to.as_deref().map(|to| {
                                    self.display(&real_of(r, to).unwrap_or_else(|| to.to_string()))
                                }),
                            })
                            .collect();
                        (!edges.is_empty()).then_some(edges)
                    })
                    .unwrap_or_default();
                Dependency {
                    path: path.clone(),
                    needs,
                }
            })
            .collect()
    }

    fn display(&self, path: &str) -> String {
        let base = self.dir_view.trim_end_matches('/');
        path.strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('/'))
            .map(str::to_string)
            .unwrap_or_else(|| path.to_string())
    }
}

pub fn scan(dir: &Path, options: &ScanOptions) -> io::Result<ScanReport> {
    let (walked, mut problems) = walk_folder(dir);
    let (root_host, tree_host, dir_view) = if options.targets.is_empty() {
        let (host, located) = open_host(options.root.as_deref(), &[dir])?;
        (
            Some(host),
            None,
            located.into_iter().next().unwrap_or_default(),
        )
    } else {
        let (host, at) = open_tree(dir)?;
        (None, Some(host), at)
    };
    let reader: &FilesystemHost = root_host.as_ref().or(tree_host.as_ref()).expect("one host");
    let mut tree = Tree {
        dir_view,
        objects: Vec::new(),
    };
    let probes: Vec<Probe> = walked
        .par_iter()
        .map(|f| {
            let probe = reader.probe(&tree.view_of(&f.relative));
            if let Some(Progress(tick)) = &options.progress {
                tick();
            }
            probe
        })
        .collect();

    let mut summary = Summary {
        files_seen: walked.len(),
        ..Summary::default()
    };
    let mut reports = Vec::new();
    let mut findings = Vec::new();
    for (file, probe) in walked.iter().zip(probes) {
        let outcome = match probe {
            Probe::Found(object) => {
                tree.objects.push((file.relative.clone(), object.clone()));
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
            sha256: None,
            outcome,
        };
        summary.count(&report);
        reports.push(report);
    }

    if options.hashes {
        let by_path: HashMap<&str, &std::path::Path> = walked
            .iter()
            .map(|f| (f.relative.as_str(), f.disk_path.as_path()))
            .collect();
        let hashes: Vec<Option<String>> = reports
            .par_iter()
            .map(|r| {
                by_path
                    .get(r.path.as_str())
                    .and_then(|p| sha256_file(p).ok())
            })
            .collect();
        for (report, hash) in reports.iter_mut().zip(hashes) {
            report.sha256 = hash;
        }
    }
    let mut dependencies: Option<Vec<Dependency>> = None;
    let mut hosts = Vec::new();
    let mut used = vec![false; options.policy.waivers.len()];
    let (kept, waived) = options.policy.apply(findings, &BTreeMap::new(), &mut used);
    let mut findings = kept;
    summary.waived += waived;
    if let Some(host) = &root_host {
        hosts.push(host.describe());
        let (raw, resolutions) = evaluate(&tree, host, None, &options.resolve, &|_| None);
        dependencies.get_or_insert_with(|| tree.dependencies(&resolutions));
        let (kept, waived) = options.policy.apply(raw, &BTreeMap::new(), &mut used);
        findings.extend(kept);
        summary.waived += waived;
    }
    for target in &options.targets {
        let profile = &target.profile;
        let host = ProfileHost::new(profile, &options.platform, tree_host.as_ref())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let facts = profile.target_facts(&options.platform);
        hosts.push(host.describe());
        let (mut raw, resolutions) =
            evaluate(&tree, &host, facts.as_ref(), &options.resolve, &|soname| {
                host.install_hint(soname)
            });
        dependencies.get_or_insert_with(|| tree.dependencies(&resolutions));
        for finding in &mut raw {
            finding.target = Some(profile.name.clone());
        }
        let (kept, waived) = options.policy.apply(raw, &profile.rule_levels(), &mut used);
        findings.extend(kept);
        summary.waived += waived;
    }
    findings.extend(options.policy.unused_waivers(&used));
    findings.sort_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then(a.target.cmp(&b.target))
            .then(b.severity.cmp(&a.severity))
    });
    for f in &findings {
        match f.severity {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
            Severity::Note => summary.notes += 1,
        }
    }
    Ok(ScanReport {
        root: dir.display().to_string(),
        hosts,
        files: reports,
        findings,
        problems,
        summary,
        dependencies: dependencies.unwrap_or_default(),
        root_abs: tree.dir_view.clone(),
    })
}

/// Every rule for every ELF object of the tree against one host: facts first, then
/// the loader simulation for what can run there.
fn evaluate(
    tree: &Tree,
    host: &dyn LibraryHost,
    target: Option<&TargetFacts>,
    options: &ResolveOptions,
    install_hint: &(dyn Fn(&str) -> Option<String> + Sync),
) -> (Vec<Finding>, Vec<Resolution>) {
    let mut findings = Vec::new();
    let mut runnable = Vec::new();
    for (path, object) in &tree.objects {
        if findings_from_facts(&object.facts, path, target, &mut findings) {
            runnable.push((path, object));
        }
    }
    let resolver = Resolver::new(host, options.clone());
    let resolve = |(shown, object): &(&String, &Arc<HostObject>)| {
        resolver.resolve((*object).clone(), &tree.view_of(shown), shown)
    };
    // Executables first: a library they load is judged in their context (its
    // inherited RPATH, its place in their scope), not alone.
    let executables: Vec<_> = runnable
        .iter()
        .filter(|(_, o)| is_dynamic_executable(&o.facts))
        .copied()
        .collect();
    let mut resolutions: Vec<Resolution> = executables.par_iter().map(resolve).collect();
    let loaded: HashSet<&str> = resolutions
        .iter()
        .flat_map(|r| r.loaded.iter().map(|l| l.real_path.as_str()))
        .collect();
    let standalone: Vec<_> = runnable
        .iter()
        .filter(|(_, o)| {
            o.facts.kind == Kind::SharedLibrary && !loaded.contains(o.real_path.as_str())
        })
        .copied()
        .collect();
    let alone: Vec<Resolution> = standalone.par_iter().map(resolve).collect();
    resolutions.extend(alone);
    let display = |path: &str| tree.display(path);
    for resolution in &resolutions {
        let mut found = findings_from_resolution(resolution, &resolution.path, &display);
        for finding in &mut found {
            if finding.rule != Rule::MissingLibrary {
                continue;
            }
            if let Some(hint) = finding.library.as_deref().and_then(install_hint) {
                finding.severity = Severity::Warning;
                finding
                    .message
                    .push_str(" (not in its base image; its repositories have it)");
                finding.fix = format!(
                    "Install it on the host ({hint}), or ship it with the program. {}",
                    finding.fix
                );
            }
        }
        findings.extend(found);
    }
    (findings, resolutions)
}

/// Streams a file through SHA-256.
fn sha256_file(path: &Path) -> io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn is_dynamic_executable(facts: &ElfFacts) -> bool {
    matches!(facts.kind, Kind::Executable | Kind::PieExecutable)
}

fn unreadable_finding(path: &str, reason: &str) -> Finding {
    Finding::new(
        Rule::UnreadableFile,
        path,
        format!("is not a readable ELF file: {reason}"),
        "The file starts like an ELF binary but is cut short or damaged (an interrupted download, \
         copy or build step): anything that runs or loads it will fail.",
        "Rebuild or re-copy it.".to_string(),
    )
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
        sha256: None,
        outcome,
    }))
}
