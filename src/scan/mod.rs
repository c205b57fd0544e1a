//! `preflight scan`: a source's files through the pipeline (`pipeline.rs`): each file
//! read once, checked against each host, judged by the policy, into a report.

mod hosts;
mod pipeline;
mod readers;

use crate::platform::Platform;
use crate::policy::PolicyConfig;
use crate::profile::LoadedProfile;
use crate::report::ScanReport;
use crate::resolve::ResolveOptions;
use crate::source::{Libraries, Source};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// What a scan checks against, and how.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// The host the libraries come from when no target is given; `/` when None.
    pub root: Option<PathBuf>,
    pub resolve: ResolveOptions,
    /// Target profiles to check against (the scanned tree provides its own libraries).
    pub targets: Vec<LoadedProfile>,
    /// The platform of the targets.
    pub platform: Platform,
    pub policy: PolicyConfig,
    /// Gather what an SBOM needs: each ELF file's SHA-256 and the dependency graph.
    pub sbom: bool,
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

/// Scans `source`: its files against its root (`--root`, or this machine's `/`, or
/// the image itself), or against the targets.
pub fn scan(source: &dyn Source, options: &ScanOptions) -> io::Result<ScanReport> {
    let libraries = if options.targets.is_empty() {
        Libraries::Root(options.root.as_deref())
    } else {
        Libraries::Targets
    };
    let view = source.view(libraries)?;
    pipeline::run(source.name(), view, options)
}
