//! `preflight scan`: what it reads (a folder, or a container image), what it reports,
//! and the shared pipeline (`pipeline.rs`) in between.

mod pipeline;

use crate::platform::Platform;
use crate::policy::PolicyConfig;
use crate::profile::LoadedProfile;
use crate::report::{FileReport, Outcome, ScanReport};
use crate::resolve::ResolveOptions;
use crate::rules::Rule;
use crate::source::{walk, RootView, Walked};
use crate::source::{FilesystemHost, ImageHost, LibraryHost, TreeHost};
use pipeline::{Entry, Input, TreeFile};
use std::io;
use std::path::{Path, PathBuf};
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

/// Scans a folder: its files against `--root` (or `/`), or against the targets.
pub fn scan(dir: &Path, options: &ScanOptions) -> io::Result<ScanReport> {
    let (root_host, tree_host, base) = if options.targets.is_empty() {
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
    let view_base = base.trim_end_matches('/').to_string();
    // Walked lazily: the pipeline looks at the files a batch at a time.
    let files = walk(dir).map(move |step| match step {
        Walked::File(f) => Entry::File(TreeFile {
            view: format!("{view_base}/{}", f.relative),
            shown: f.relative,
            disk: Some(f.disk_path),
            layer: None,
        }),
        Walked::Problem(problem) => Entry::Problem(problem),
    });
    let input = Input {
        name: dir.display().to_string(),
        base,
        absolute: false,
        files: Box::new(files),
        reader,
        root_host: root_host.as_ref().map(|h| h as &dyn LibraryHost),
        problems: Vec::new(),
        findings: Vec::new(),
    };
    pipeline::run(input, options)
}

/// Scans a container image: the files under `host`'s scanned path, against the image
/// itself, or against the targets. Findings name files by their path in the image.
pub fn scan_image(host: &ImageHost, options: &ScanOptions) -> io::Result<ScanReport> {
    let image = host.image();
    let files = image
        .tree
        .files_under("/")
        .into_iter()
        .filter(|(path, _)| host.covers(path))
        .map(|(path, node)| {
            Entry::File(TreeFile {
                shown: path.clone(),
                view: path.clone(),
                disk: None,
                layer: image.tree.layers.get(node.layer).cloned(),
            })
        });
    let findings = image
        .tree
        .notes
        .iter()
        .map(|n| {
            Rule::UnsafeImageEntry
                .finding(&n.path, format!("{} (layer {})", n.message, n.layer))
                .layer(&n.layer)
                .build()
        })
        .collect();
    let input = Input {
        name: image.name.clone(),
        base: "/".into(),
        absolute: true,
        files: Box::new(files),
        reader: host,
        root_host: options
            .targets
            .is_empty()
            .then_some(host as &dyn LibraryHost),
        problems: Vec::new(),
        findings,
    };
    pipeline::run(input, options)
}

/// Reads one file for `inspect`. `Ok(None)` when it is not a binary preflight reads
/// (ELF, an archive, Mach-O or PE).
pub fn inspect_file(
    path: &Path,
    shown_as: &str,
) -> Result<Option<FileReport>, crate::source::OpenError> {
    use crate::elf::{read_binary, Binary, Detail, OtherBinary};
    let Some(bytes) = crate::source::read_elf_bytes(path)? else {
        return Ok(None);
    };
    let outcome = match read_binary(&bytes, Detail::Full) {
        Binary::Elf(facts) => Outcome::Elf(Arc::from(facts)),
        Binary::Other(other) => match *other {
            OtherBinary::Archive(archive) => Outcome::Archive(archive),
            OtherBinary::Foreign(foreign) => Outcome::Foreign(foreign),
        },
        Binary::Unreadable(reason) => Outcome::Unreadable { reason },
        Binary::NotBinary => return Ok(None),
    };
    Ok(Some(FileReport {
        path: shown_as.to_string(),
        sha256: None,
        layer: None,
        outcome,
    }))
}
