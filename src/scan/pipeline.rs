//! The pipeline every scan shares, whatever the files come from: read each file once,
//! then for each host (a root filesystem or image, or each target profile) check every
//! file's facts and resolve each executable — and each library no scanned executable
//! loads — as its loader would, then apply the policy.

use super::hosts::{Candidate, Processes};
use super::readers::Readers;
use super::{Progress, ScanOptions};
use crate::elf::OtherBinary;
use crate::elf::{ElfFacts, Kind, Libc};
use crate::policy::{
    blacklist_findings, dlopen_findings, findings_from_facts, findings_from_resolution,
    linkage_findings, object_set_findings, other_binary_findings, remedy_of, unreadable_finding,
    FileContext, HostArch, Remedy, TargetFacts,
};
use crate::profile::{ProfileHost, WheelPolicy};
use crate::report::{Dependency, FileReport, HostRequirement, Need, Outcome, ScanReport, Summary};
use crate::resolve::{HostProcess, Resolution, ResolveOptions, Resolver};
use crate::rules::{Finding, Severity};
use crate::source::{Entry, HostObject, IoProblem, LibraryHost, Probe, TreeFile, TreeHost, View};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::Path;
use std::sync::Arc;

/// Files are read this many at a time, in parallel: enough to keep every core busy,
/// few enough that the paths of the (mostly non-ELF) files are never all in memory.
const BATCH: usize = 2048;

struct TreeObject {
    shown: String,
    view: String,
    object: Arc<HostObject>,
}

/// The ELF objects of a scanned tree, read once, shared by every host.
struct Tree {
    base: String,
    absolute: bool,
    objects: Vec<TreeObject>,
    /// The libc of the tree's files that show none: the one its packages declare,
    /// else the one all its other files show; None when they disagree or show none.
    libc: Option<Libc>,
}

impl Tree {
    fn display(&self, path: &str) -> String {
        if self.absolute {
            return path.to_string();
        }
        let base = self.base.trim_end_matches('/');
        path.strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('/'))
            .map(str::to_string)
            .unwrap_or_else(|| path.to_string())
    }

    /// Each scanned object's own NEEDED entries, as the resolutions found them. Objects
    /// are matched by their real path: a library appears in an executable's load
    /// under the path the loader opened (`bin/../lib/libx.so`).
    fn dependencies(&self, resolutions: &[Resolution]) -> Vec<Dependency> {
        let view_to_real: HashMap<&str, &str> = self
            .objects
            .iter()
            .map(|o| (o.view.as_str(), o.object.real_path.as_str()))
            .collect();
        // Real path of an object → its edges, from the first resolution that has them.
        let mut needs_of: HashMap<String, Vec<Need>> = HashMap::new();
        for r in resolutions {
            let mut real_of: HashMap<&str, &str> = r
                .loaded
                .iter()
                .map(|l| (l.path.as_str(), l.real_path.as_str()))
                .collect();
            if let Some(real) = view_to_real.get(r.view_path.as_str()) {
                real_of.insert(r.view_path.as_str(), real);
            }
            let mut found: HashMap<&str, Vec<Need>> = HashMap::new();
            for e in &r.edges {
                let Some(from) = real_of.get(e.from.as_str()) else {
                    continue;
                };
                if needs_of.contains_key(*from) {
                    continue;
                }
                found.entry(from).or_default().push(Need {
                    soname: e.name.clone(),
                    resolved: e
                        .to
                        .as_deref()
                        .map(|to| self.display(real_of.get(to).copied().unwrap_or(to))),
                });
            }
            for (from, needs) in found {
                needs_of.insert(from.to_string(), needs);
            }
        }
        self.objects
            .iter()
            .filter(|o| !o.object.facts.needed.is_empty())
            .map(|o| Dependency {
                path: o.shown.clone(),
                needs: needs_of
                    .get(&o.object.real_path)
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect()
    }
}

pub(super) fn run(name: &str, view: View<'_>, options: &ScanOptions) -> io::Result<ScanReport> {
    let View {
        host,
        base,
        absolute,
        files,
        findings: source_findings,
    } = view;
    // The view's host reads the files, and is the host when no target is given.
    let reader: &dyn TreeHost = &*host;
    let root_host: Option<&dyn LibraryHost> = options.targets.is_empty().then_some(reader);
    let mut problems = Vec::new();
    let tree = Tree {
        base: base.clone(),
        absolute,
        objects: Vec::new(),
        libc: None,
    };
    let mut read = Read {
        tree,
        summary: Summary::default(),
        reports: Vec::new(),
        files: Vec::new(),
        findings: source_findings,
        problems: Vec::new(),
        seen: HashSet::new(),
        declared: Vec::new(),
    };
    read_all(files, reader, options, &mut read, &mut problems);
    let Read {
        mut tree,
        mut summary,
        mut reports,
        files,
        mut findings,
        problems: read_problems,
        declared,
        ..
    } = read;
    problems.extend(read_problems);
    tree.libc = one_of(declared.into_iter())
        .or_else(|| one_of(tree.objects.iter().filter_map(|o| o.object.facts.libc())));
    let objects: Vec<(&str, &ElfFacts)> = tree
        .objects
        .iter()
        .map(|o| (o.shown.as_str(), &*o.object.facts))
        .collect();
    findings.extend(object_set_findings(&objects));
    findings.extend(linkage_findings(&options.policy.linkage, &objects));
    if options.sbom {
        hash_files(&files, &mut reports);
    }

    let mut dependencies: Option<Vec<Dependency>> = None;
    let mut hosts = Vec::new();
    let mut used = vec![false; options.policy.waivers.len()];
    let mut all_waived = Vec::new();
    let (kept, waived) = options.policy.apply(findings, &BTreeMap::new(), &mut used);
    let mut findings = kept;
    summary.waived += waived.len();
    all_waived.extend(waived);
    if let Some(host) = root_host {
        hosts.push(host.describe());
        let (raw, resolutions) = evaluate(
            &tree,
            host,
            &TargetChecks::none(),
            &options.resolve,
            options.sbom,
        );
        if options.sbom {
            dependencies.get_or_insert_with(|| tree.dependencies(&resolutions));
        }
        let (kept, waived) = options.policy.apply(raw, &BTreeMap::new(), &mut used);
        findings.extend(kept);
        summary.waived += waived.len();
        all_waived.extend(waived);
    }
    let mut requirements = Vec::new();
    for target in &options.targets {
        let profile = &target.profile;
        let host = ProfileHost::new(profile, options.platform, Some(reader))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let facts = TargetFacts::of(profile, options.platform);
        hosts.push(host.describe());
        let checks = TargetChecks {
            facts: facts.as_ref(),
            wheel: profile.wheel_policy.as_ref().map(|w| (w, host.describe())),
            remedy: &|soname| remedy_of(&host, soname),
        };
        let (mut raw, resolutions) = evaluate(
            &tree,
            &host,
            &checks,
            &options.resolve,
            options.sbom && dependencies.is_none(),
        );
        if options.sbom {
            dependencies.get_or_insert_with(|| tree.dependencies(&resolutions));
        }
        for finding in &mut raw {
            finding.target = Some(profile.name.clone());
        }
        let (kept, waived) = options.policy.apply(raw, &profile.levels, &mut used);
        if profile.wheel_policy.is_none() {
            requirements.push(HostRequirement::of(profile, options.platform, &kept));
        }
        findings.extend(kept);
        summary.waived += waived.len();
        all_waived.extend(waived);
    }
    findings.extend(options.policy.unused_waivers(&used));
    // Findings name the layer their file came from.
    let layer_of: HashMap<&str, &String> = files
        .iter()
        .filter_map(|f| f.layer.as_ref().map(|l| (f.shown.as_str(), l)))
        .collect();
    for finding in &mut findings {
        if let Some(layer) = layer_of.get(finding.path.as_str()) {
            finding.layer = Some((*layer).clone());
        }
    }
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
        root: name.to_string(),
        hosts,
        files: reports,
        findings,
        problems,
        summary,
        dependencies: dependencies.unwrap_or_default(),
        root_abs: base,
        host_requirements: requirements,
        baselined: Vec::new(),
        waived: all_waived,
    })
}

/// `files` are the reports' files, in the same order (both are pushed together).
/// What reading the files found, in source order.
struct Read {
    tree: Tree,
    summary: Summary,
    reports: Vec<FileReport>,
    /// The reports' files: only the ELF files are kept past their batch (a scan of
    /// /usr walks 140,000 files of which 3,800 are ELF).
    files: Vec<TreeFile>,
    findings: Vec<Finding>,
    /// Problems of reading: they come after those of listing, as when the whole
    /// listing came first.
    problems: Vec<IoProblem>,
    /// (device, inode) of the files reported: a hard link is reported once.
    seen: HashSet<(u64, u64)>,
    /// The libc families the tree's packages declare (a wheel's tag, an npm
    /// package's `libc` field).
    declared: Vec<Libc>,
}

/// Reads every file of the source, a batch at a time in parallel (by as many readers
/// as `Readers` calls for). The source is walked on a thread of its own, a batch or
/// two ahead of the reading: listing folders and reading files overlap. Its listing
/// problems go to `problems`.
///
/// Two batches are read at once, and their files added in order as each is done: a
/// reader done with its share of one batch goes on with the next. Read one after the
/// other, each batch ended with a reader waiting for the other's last file (an
/// archive takes milliseconds), spinning in `sched_yield` then asleep, 58 times on
/// /usr.
fn read_all(
    files: Box<dyn Iterator<Item = Entry> + Send + '_>,
    reader: &dyn TreeHost,
    options: &ScanOptions,
    read: &mut Read,
    problems: &mut Vec<IoProblem>,
) {
    let mut readers = Readers::new();
    std::thread::scope(|scope| {
        let (send, batches) = std::sync::mpsc::sync_channel::<Vec<Entry>>(2);
        scope.spawn(move || {
            let mut files = files;
            loop {
                let batch: Vec<Entry> = files.by_ref().take(BATCH).collect();
                if batch.is_empty() || send.send(batch).is_err() {
                    break;
                }
            }
        });
        let mut batches = batches.into_iter().peekable();
        let mut reading = Reading {
            reader,
            options,
            read,
            problems,
            readers: &mut readers,
            numbered: 0,
            added: 0,
            done: BTreeMap::new(),
        };
        // The batches go to one pool until the disk says another is wanted.
        while batches.peek().is_some() {
            match reading.readers.pool() {
                Some(pool) => pool.in_place_scope(|s| reading.some(s, &mut batches)),
                None => rayon::in_place_scope(|s| reading.some(s, &mut batches)),
            }
        }
    });
}

/// Batches read at once.
const BATCHES_AT_ONCE: usize = 2;

/// A batch's files and what reading each one found.
type ReadBatch = (Vec<TreeFile>, Vec<Probe>);

/// The reading of `read_all`: batches numbered as they are handed out, added in that
/// order as they are done.
struct Reading<'a> {
    reader: &'a dyn TreeHost,
    options: &'a ScanOptions,
    read: &'a mut Read,
    problems: &'a mut Vec<IoProblem>,
    readers: &'a mut Readers,
    /// Batches handed out so far.
    numbered: usize,
    /// Batches added so far.
    added: usize,
    /// Batches done and not yet added (one that finished before the one before it).
    done: BTreeMap<usize, ReadBatch>,
}

impl<'a> Reading<'a> {
    /// Reads batches on `scope`'s pool until none are left or the last one done
    /// calls for the other pool; each batch handed out is added before it returns.
    fn some<'s>(
        &mut self,
        scope: &rayon::Scope<'s>,
        batches: &mut std::iter::Peekable<impl Iterator<Item = Vec<Entry>>>,
    ) where
        'a: 's,
    {
        let cold = self.readers.cold();
        let (send, done) = std::sync::mpsc::channel();
        let mut reading = 0;
        loop {
            while reading < BATCHES_AT_ONCE && self.readers.cold() == cold {
                let Some(entries) = batches.next() else {
                    break;
                };
                let mut batch = Vec::with_capacity(entries.len());
                for entry in entries {
                    match entry {
                        Entry::File(file) => batch.push(file),
                        Entry::Problem(problem) => self.problems.push(problem),
                    }
                }
                self.read.summary.files_seen += batch.len();
                let (number, send) = (self.numbered, send.clone());
                let (reader, options) = (self.reader, self.options);
                scope.spawn(move |_| {
                    // A panic is sent on, and raised again where the batches are added:
                    // a batch that never came would leave them waiting.
                    let probes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        probe_all(reader, options, &batch)
                    }));
                    let _ = send.send((number, probes.map(|probes| (batch, probes))));
                });
                self.numbered += 1;
                reading += 1;
            }
            // The next batch is handed out before these are added: the readers do
            // not wait for the adding.
            while let Some((files, probes)) = self.done.remove(&self.added) {
                self.added += 1;
                for (file, probe) in files.into_iter().zip(probes) {
                    if matches!(probe, Probe::NotElf) {
                        self.read
                            .declared
                            .extend(declared_libc(self.reader, &file.view));
                    }
                    self.read.add(file, probe);
                }
            }
            if reading == 0 {
                return;
            }
            let (number, batch) = done
                .recv()
                .expect("each batch handed out sends what it read");
            reading -= 1;
            self.readers.batch_done();
            match batch {
                Ok(batch) => self.done.insert(number, batch),
                Err(panic) => std::panic::resume_unwind(panic),
            };
        }
    }
}

/// Each of `batch`'s files read, in parallel.
fn probe_all(reader: &dyn TreeHost, options: &ScanOptions, batch: &[TreeFile]) -> Vec<Probe> {
    batch
        .par_iter()
        .map(|f| {
            let probe = match &f.disk {
                Some(disk) => reader.probe_walked(&f.view, disk),
                None => reader.probe(&f.view),
            };
            if let Some(Progress(tick)) = &options.progress {
                tick();
            }
            probe
        })
        .collect()
}
impl Read {
    /// One file and what reading it found.
    fn add(&mut self, file: TreeFile, probe: Probe) {
        let outcome = match probe {
            // A hard link to a file already reported (its first path in walk order).
            Probe::Found(object) if object.identity.is_some_and(|id| !self.seen.insert(id)) => {
                self.summary.hard_links += 1;
                return;
            }
            Probe::Found(object) => {
                self.tree.objects.push(TreeObject {
                    shown: file.shown.clone(),
                    view: file.view.clone(),
                    object: object.clone(),
                });
                Outcome::Elf(object.facts.clone())
            }
            Probe::NotElf => {
                self.summary.not_elf += 1;
                return;
            }
            Probe::Other(binary) => {
                self.findings
                    .extend(other_binary_findings(&file.shown, &binary));
                match &*binary {
                    OtherBinary::Archive(archive) => Outcome::Archive(archive.clone()),
                    OtherBinary::Foreign(foreign) => Outcome::Foreign(foreign.clone()),
                }
            }
            Probe::Unreadable(reason) => {
                self.findings.push(unreadable_finding(&file.shown, &reason));
                Outcome::Unreadable { reason }
            }
            Probe::Absent | Probe::Loop | Probe::NotRegular | Probe::Error(_) => {
                self.problems.push(IoProblem {
                    path: file.shown.clone(),
                    message: match &probe {
                        Probe::Error(reason) => format!("cannot be read: {reason}"),
                        other => other.to_string(),
                    },
                });
                return;
            }
        };
        let report = FileReport {
            path: file.shown.clone(),
            sha256: None,
            layer: file.layer.clone(),
            outcome,
        };
        self.summary.count(&report);
        self.reports.push(report);
        self.files.push(file);
    }
}

fn hash_files(files: &[TreeFile], reports: &mut [FileReport]) {
    reports
        .par_iter_mut()
        .zip(files)
        .for_each(|(report, file)| {
            debug_assert_eq!(report.path, file.shown);
            report.sha256 = file.disk.as_deref().and_then(|p| sha256_file(p).ok());
        });
}

/// Every rule for every ELF object of the tree against one host: facts first, then
/// the loader simulation for what can run there. The resolutions are returned only
/// when `keep` (the SBOM's dependency graph needs them).
/// What checking against a target adds to checking against a host: the target's
/// facts for the rules, its wheel policy (with its label) for the blacklist, and what
/// it offers for a library it lacks.
struct TargetChecks<'a> {
    facts: Option<&'a TargetFacts>,
    wheel: Option<(&'a WheelPolicy, String)>,
    remedy: &'a (dyn Fn(&str) -> Option<Remedy> + Sync),
}

impl TargetChecks<'_> {
    /// A root filesystem or image: none of it.
    fn none() -> TargetChecks<'static> {
        TargetChecks {
            facts: None,
            wheel: None,
            remedy: &|_| None,
        }
    }
}

fn evaluate(
    tree: &Tree,
    host: &dyn LibraryHost,
    checks: &TargetChecks<'_>,
    options: &ResolveOptions,
    keep: bool,
) -> (Vec<Finding>, Vec<Resolution>) {
    let (target, remedy) = (checks.facts, checks.remedy);
    // A library that shows no libc is loaded by the target's, or on a root or image
    // by the one its package declares or its siblings link; else the host's.
    let unknown = target.map(|t| t.libc).or(tree.libc);
    let mut findings = Vec::new();
    let mut runnable = Vec::new();
    let ships_glibc = tree
        .objects
        .iter()
        .any(|o| o.object.facts.soname.as_deref() == Some("libc.so.6"));
    let host_arch = if target.is_none() {
        host_arch(host)
    } else {
        None
    };
    let has_dir = |dir: &str| host.is_dir(dir);
    let host_has_dir: Option<&(dyn Fn(&str) -> bool + Sync)> = match target {
        None => Some(&has_dir),
        Some(_) => None,
    };
    for o in &tree.objects {
        let context = FileContext {
            view: &o.view,
            ships_glibc,
            host: host_arch.as_ref(),
            host_has_dir,
        };
        if findings_from_facts(&o.object.facts, &o.shown, target, context, &mut findings) {
            if let Some((policy, label)) = &checks.wheel {
                findings.extend(blacklist_findings(&o.object.facts, &o.shown, policy, label));
            }
            runnable.push(o);
        }
    }
    let resolver = Resolver::new(host, options.clone());
    let display = |path: &str| tree.display(path);
    // Each load is judged as soon as it is resolved, and dropped: kept until all were
    // resolved, the loads of a scan of /usr took 25 MB at once.
    let judge_in = |o: &TreeObject, process: Option<&HostProcess>| {
        let resolution = resolver.resolve_in(o.object.clone(), &o.view, &o.shown, unknown, process);
        let found = findings_from_resolution(&resolution, &resolution.path, &display, remedy);
        // What the file itself leaves unbound, and what its interpreter provides (its
        // API): a program of the tree may export them (hosts.rs). Empty when nothing
        // is unbound: then no process is looked for.
        let mut unbound: Vec<String> = resolution
            .unbound_symbols
            .iter()
            .filter(|u| u.needed_by == o.view)
            .map(|u| u.symbol.clone())
            .collect();
        if !unbound.is_empty() {
            unbound.extend(
                resolution
                    .host_symbols
                    .iter()
                    .filter(|h| h.needed_by == o.view)
                    .flat_map(|h| h.symbols.iter().cloned()),
            );
        }
        let loaded: Vec<String>;
        let kept = if keep {
            loaded = resolution
                .loaded
                .iter()
                .map(|l| l.real_path.clone())
                .collect();
            Some(resolution)
        } else {
            loaded = resolution.loaded.into_iter().map(|l| l.real_path).collect();
            None
        };
        (found, loaded, kept, unbound)
    };
    let judge = |o: &&TreeObject| judge_in(o, None);
    // Executables first: a library they load is judged in their context (its
    // inherited RPATH, its place in their scope), not alone.
    let executables: Vec<&TreeObject> = runnable
        .iter()
        .filter(|o| is_dynamic_executable(&o.object.facts))
        .copied()
        .collect();
    let judged: Vec<_> = executables.par_iter().map(judge).collect();
    let loaded: HashSet<&str> = judged
        .iter()
        .flat_map(|(_, loaded, _, _)| loaded.iter().map(String::as_str))
        .collect();
    let standalone: Vec<&TreeObject> = runnable
        .iter()
        .filter(|o| {
            o.object.facts.kind == Kind::SharedLibrary
                && !loaded.contains(o.object.real_path.as_str())
        })
        .copied()
        .collect();
    // A library the tree's layout or a program of the tree opens is judged in that
    // process (hosts.rs); the others alone.
    let programs = executables.iter().map(|o| candidate(o)).collect();
    let processes = Processes::new(&resolver, unknown, &display, programs);
    let mut alone: Vec<_> = standalone
        .par_iter()
        .map(|o| {
            if let Some(process) = processes.by_layout(&candidate(o)) {
                return judge_in(o, Some(&process));
            }
            let judged = judge(o);
            match processes.by_exports(&candidate(o), &judged.3) {
                Some(process) => judge_in(o, Some(&process)),
                None => judged,
            }
        })
        .collect();
    // A library another one of them loads (a wheel's `pkg.libs/libgfortran` under its
    // extension module) is judged inside that load, with the RPATH chain it inherits
    // there: its findings alone are dropped. Libraries that load each other both stay.
    for i in inner_libraries(&standalone, &alone) {
        alone[i].0.clear();
    }
    // A library a scanned program loads is judged in its context, where its own
    // .note.dlopen is not looked at: its dlopen() dependencies are searched from it,
    // once, as from a file of their own.
    for o in runnable.iter().filter(|o| {
        !o.object.facts.dlopen.is_empty()
            && o.object.facts.kind == Kind::SharedLibrary
            && loaded.contains(o.object.real_path.as_str())
    }) {
        let resolution = resolver.resolve(o.object.clone(), &o.view, &o.shown);
        findings.extend(dlopen_findings(
            &resolution,
            &resolution.path,
            &display,
            remedy,
        ));
    }
    let mut resolutions = Vec::new();
    for (found, _, resolution, _) in judged.into_iter().chain(alone) {
        findings.extend(found);
        resolutions.extend(resolution);
    }
    (findings, resolutions)
}

/// The indexes of the `libraries` that another one of them loads (`judged[j].1` is
/// what library j's load holds, by real path), unless they load it in turn.
fn inner_libraries<F, K, U>(
    libraries: &[&TreeObject],
    judged: &[(F, Vec<String>, K, U)],
) -> Vec<usize> {
    let index: HashMap<&str, usize> = libraries
        .iter()
        .enumerate()
        .map(|(i, o)| (o.object.real_path.as_str(), i))
        .collect();
    let loads: Vec<HashSet<&str>> = judged
        .iter()
        .map(|(_, loaded, _, _)| loaded.iter().map(String::as_str).collect())
        .collect();
    let mut inner = vec![false; libraries.len()];
    for (j, loaded) in loads.iter().enumerate() {
        let loader = libraries[j].object.real_path.as_str();
        for path in loaded {
            if let Some(&i) = index.get(path) {
                if i != j && !loads[i].contains(loader) {
                    inner[i] = true;
                }
            }
        }
    }
    (0..libraries.len()).filter(|&i| inner[i]).collect()
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

/// The architecture of a root or image: that of its shell, or else of its loader.
/// None when it has neither (a folder of libraries used as a root).
fn host_arch(host: &dyn LibraryHost) -> Option<HostArch> {
    let mut candidates: Vec<String> = ["/bin/sh", "/usr/bin/sh", "/bin/busybox", "/usr/bin/env"]
        .iter()
        .map(|p| p.to_string())
        .collect();
    for dir in ["/lib", "/lib64"] {
        candidates.extend(
            host.list_dir(dir)
                .into_iter()
                .filter(|n| n.starts_with("ld-"))
                .map(|n| format!("{dir}/{n}")),
        );
    }
    candidates
        .into_iter()
        .find_map(|path| match host.probe(&path) {
            crate::source::Probe::Found(object) => Some(HostArch {
                label: host.describe(),
                class: object.facts.class,
                e_machine: object.facts.e_machine,
                machine: object.facts.machine.clone(),
            }),
            _ => None,
        })
}

/// The one value `items` hold; None when they hold none or several.
fn one_of(items: impl Iterator<Item = Libc>) -> Option<Libc> {
    let mut found = None;
    for libc in items {
        match found {
            None => found = Some(libc),
            Some(known) if known != libc => return None,
            Some(_) => {}
        }
    }
    found
}

/// The libc a package's metadata at `view` declares: a wheel's `WHEEL` file by its
/// tags (`musllinux_*` or `manylinux*`), an npm package's `package.json` by its `libc`
/// field (`["musl"]`, `["glibc"]`).
fn declared_libc(reader: &dyn TreeHost, view: &str) -> Option<Libc> {
    // Asked of each of the 110,000 files of /usr that are not ELF, on the thread that
    // adds them: the names' ends are compared before any search for the last '/'.
    if !view.ends_with("WHEEL") && !view.ends_with("package.json") {
        return None;
    }
    let name = view.rsplit('/').next().unwrap_or(view);
    let is_wheel = name == "WHEEL" && view.contains(".dist-info/");
    if !is_wheel && name != "package.json" {
        return None;
    }
    let text = reader.read_config(view, 256 * 1024)?;
    if is_wheel {
        let tags: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("Tag:"))
            .map(str::trim)
            .collect();
        let musl = tags.iter().any(|t| t.contains("musllinux"));
        let glibc = tags.iter().any(|t| t.contains("manylinux"));
        return match (musl, glibc) {
            (true, false) => Some(Libc::Musl),
            (false, true) => Some(Libc::Glibc),
            _ => None,
        };
    }
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let libc: Vec<&str> = json
        .get("libc")?
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    match libc.as_slice() {
        ["musl"] => Some(Libc::Musl),
        ["glibc"] => Some(Libc::Glibc),
        _ => None,
    }
}

fn candidate(o: &TreeObject) -> Candidate<'_> {
    Candidate {
        view: &o.view,
        shown: &o.shown,
        object: &o.object,
    }
}

fn is_dynamic_executable(facts: &ElfFacts) -> bool {
    matches!(facts.kind, Kind::Executable | Kind::PieExecutable)
}
