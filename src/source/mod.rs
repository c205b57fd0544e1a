//! Where the files to check come from, and the host view they are read through.
//!
//! A source kind (a folder, a container image; next a single file, an archive, a
//! package, a registry image) is one module implementing `Source`: it is opened from
//! what the user typed (`open_source`), says which platform it is for when it knows,
//! lists its files, and gives the view the loader simulation reads them through
//! (`View`: a `TreeHost`, with the source's own root around the files or without it).
//! Findings and problems the source itself met (an image's refused layer entries, a
//! folder it could not list) come with the view.
//!
//! preflight only ever opens regular files for reading; it never follows a symbolic
//! link out of a root (so nothing outside the scanned folder is read) and never opens a
//! FIFO or a device (opening a FIFO would block the scan forever).

pub mod archive;
mod filesystem;
mod folder;
mod folder_source;
mod guard;
mod host;
mod identical;
pub mod image;
mod in_root;
mod namespace;
mod open;
mod regular;
mod root;

pub use archive::{ArchiveLimits, ArchiveSource};
pub use filesystem::{open_host, open_tree, FilesystemHost};
pub use folder::{walk, walk_folder, FolderFile, IoProblem, Walked};
pub use folder_source::FolderSource;
pub use host::{DescribedVersions, HostObject, LibraryHost, Probe, ProbeCache, TreeHost};
pub use image::{ImageHost, ImageSource, RegistryAccess};
pub(crate) use namespace::{resolve, Node};
pub use open::{read_elf_bytes, FileBytes, FileKind, OpenError};

/// glibc's loader cache (elf/dl-cache.c), which a host reads as data.
pub const LD_SO_CACHE: &str = "/etc/ld.so.cache";
/// A cache larger than this is not one (real ones hold a few thousand entries, under
/// 1 MiB); it is refused rather than read.
pub const MAX_LD_CACHE_BYTES: u64 = 64 << 20;
pub(crate) use open::{read_regular_elf_bytes, size_text};
pub use regular::{open_folder, open_regular, read_capped, read_regular, Limits, Within};
pub use root::{LookupError, RootView};

use crate::elf::{read_binary, Binary, Detail};
use crate::platform::Platform;
use crate::rules::Finding;
use std::ops::Deref;
use std::path::{Path, PathBuf};

/// Something `scan` reads: its files, and the host they are seen in.
pub trait Source: Send + Sync {
    /// As the user named it (the report's `root`).
    fn name(&self) -> &str;

    /// The platform the source says it is for (an image's config); None when it does
    /// not say.
    fn platform(&self) -> Option<Platform>;

    /// The folder whose `.preflight.yaml` is the default policy, when there is one.
    fn policy_folder(&self) -> Option<&Path>;

    /// The built-in targets the source itself names (a wheel's manylinux tag): what
    /// it is checked against when no `--target` is given.
    fn default_targets(&self) -> Vec<String> {
        Vec::new()
    }

    /// The view a scan reads the files through, with the libraries from `libraries`.
    fn view(&self, libraries: Libraries<'_>) -> std::io::Result<View<'_>>;

    /// The source as a root filesystem of its own: what `profile capture` reads.
    fn as_root(&self) -> std::io::Result<HostView<'_>>;
}

/// Where the scanned files' libraries come from.
#[derive(Clone, Copy, Debug)]
pub enum Libraries<'a> {
    /// A root filesystem: `--root DIR` (a folder treated as `/`), else the source's
    /// own root (an image's) or this machine's `/` (for a folder).
    Root(Option<&'a Path>),
    /// Target profiles: the view holds the scanned files alone, the profiles the rest.
    Targets,
}

/// What a scan reads: the files and the host they are seen in.
pub struct View<'a> {
    /// Reads the scanned files; with `Libraries::Root`, also the host of their
    /// libraries.
    pub host: HostView<'a>,
    /// The scanned files' folder inside the host (the base of relative report paths).
    pub base: String,
    /// Report paths are absolute inside the host (an image's) rather than relative to
    /// `base`.
    pub absolute: bool,
    /// The files, in report order, pulled a batch at a time.
    pub files: Box<dyn Iterator<Item = Entry> + Send + 'a>,
    /// What the source itself refused or could not read.
    pub findings: Vec<Finding>,
}

/// A host the view owns (a folder's, opened for the scan) or borrows (an image's).
pub enum HostView<'a> {
    Owned(Box<dyn TreeHost + 'a>),
    Borrowed(&'a dyn TreeHost),
}

impl<'a> Deref for HostView<'a> {
    type Target = dyn TreeHost + 'a;
    fn deref(&self) -> &Self::Target {
        match self {
            HostView::Owned(host) => host.as_ref(),
            HostView::Borrowed(host) => *host,
        }
    }
}

/// One step of a source's listing: a file, or a path it could not list.
pub enum Entry {
    File(TreeFile),
    Problem(IoProblem),
}

/// One file of the scanned tree.
pub struct TreeFile {
    /// As reports show it (relative to the scanned folder, or the image path).
    pub shown: String,
    /// Its path inside the host.
    pub view: String,
    /// Where to read it on disk, for hashing (folders only).
    pub disk: Option<PathBuf>,
    /// The image layer that wrote it.
    pub layer: Option<String>,
}

/// Why a source could not be opened: the message names what the user typed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// Opens what the user named: a container image (a registry reference, a transport
/// prefix, a tar file, an OCI layout folder), else a folder. `platform` picks an
/// image's manifest; `path` limits an image's scanned files (a folder takes only "/");
/// `registry` says how to reach a registry.
pub fn open_source(
    spec: &str,
    platform: Option<Platform>,
    path: &str,
    registry: &RegistryAccess,
) -> Result<Box<dyn Source>, SourceError> {
    if spec.is_empty() {
        return Err(SourceError(
            "the folder or image to scan is an empty path (\"\"): name a folder or an image".into(),
        ));
    }
    if image::looks_like_image(spec) {
        return Ok(Box::new(ImageSource::open_with(
            spec, platform, path, registry,
        )?));
    }
    check_transport(spec)?;
    if let folder_source::OnDisk::File = folder_source::classify(spec)? {
        if let Some(format) = archive::detect(Path::new(spec)) {
            if path != "/" {
                return Err(SourceError(format!(
                    "--path selects files of an image; {spec} is an archive, scanned whole"
                )));
            }
            return Ok(Box::new(ArchiveSource::open(spec, format)?));
        }
        check_binary_file(spec)?;
    }
    Ok(Box::new(FolderSource::open(spec, path)?))
}

/// Opens what the user named on one command line as one scan: one input as
/// `open_source` does, several folders and files (binaries) together.
pub fn open_sources(
    specs: &[String],
    platform: Option<Platform>,
    path: &str,
    registry: &RegistryAccess,
) -> Result<Box<dyn Source>, SourceError> {
    match specs {
        [] => Err(SourceError(
            "nothing to scan: name a folder, a file or an image".into(),
        )),
        [one] => open_source(one, platform, path, registry),
        several => {
            for spec in several {
                let shown = crate::text::escape(spec);
                if image::looks_like_image(spec) {
                    return Err(SourceError(format!(
                        "{shown}: a container image; scan it on its own (several inputs on one command line must be folders or binaries)"
                    )));
                }
                check_transport(spec)?;
                if let folder_source::OnDisk::File = folder_source::classify(spec)? {
                    if archive::detect(Path::new(spec)).is_some() {
                        return Err(SourceError(format!(
                            "{shown}: an archive or package; scan it on its own (several inputs on one command line must be folders or binaries)"
                        )));
                    }
                    check_binary_file(spec)?;
                }
            }
            Ok(Box::new(FolderSource::open_all(several, path)?))
        }
    }
}

/// The transports an input may be named with (skopeo's spelling). A source kind that
/// takes another adds it here, so that a typo is told apart from a path.
pub const TRANSPORTS: &[&str] = &[
    "docker-archive:",
    "oci:",
    "oci-archive:",
    "registry:",
    "docker://",
];

/// A name that starts like a transport (`word:`, `word://`) but is none and is no
/// path either is a typo: a usage error naming the transports, not "no such file".
fn check_transport(spec: &str) -> Result<(), SourceError> {
    let Some((scheme, _)) = spec.split_once(':') else {
        return Ok(());
    };
    let looks_like = scheme.len() >= 2
        && scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(c));
    if !looks_like || Path::new(spec).exists() || TRANSPORTS.iter().any(|t| spec.starts_with(t)) {
        return Ok(());
    }
    let typed = format!("{}:", crate::text::escape(scheme));
    let shown = crate::text::escape(spec);
    let nearest = TRANSPORTS
        .iter()
        .map(|t| (edit_distance(&typed, t), *t))
        .min()
        .filter(|(d, _)| *d <= 2)
        .map(|(_, t)| format!(" (did you mean `{t}`?)"))
        .unwrap_or_default();
    Err(SourceError(format!(
        "{shown}: unknown transport `{typed}`{nearest}; preflight takes {}, or a path: a folder, a file, an archive, a package or an image tarball",
        TRANSPORTS
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// Levenshtein distance, for suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

/// A file named on its own must be a binary preflight reads (ELF, `.o`, `.a`).
fn check_binary_file(spec: &str) -> Result<(), SourceError> {
    use std::io::Read;
    let shown = crate::text::escape(spec);
    let file = open_regular(Within::Anywhere, Path::new(spec), Limits::UNLIMITED)
        .map_err(|e| SourceError(format!("{shown}: {e}")))?;
    let mut magic = Vec::with_capacity(8);
    file.take(8)
        .read_to_end(&mut magic)
        .map_err(|e| SourceError(format!("{shown}: {e}")))?;
    if crate::elf::may_be_binary(&magic) {
        return Ok(());
    }
    Err(SourceError(format!(
        "{shown}: not a file preflight reads; it reads folders, ELF files (executables, libraries, .o, .a), archives (tar, plain or compressed with gzip, xz, zstd or bzip2; zip), packages (Python wheels, npm .tgz, .deb, .rpm) and container images (docker save tarballs, OCI layouts)"
    )))
}

/// Reads one file on its own (`inspect`), as every source reads its files.
pub fn read_binary_file(path: &Path) -> Result<Binary, OpenError> {
    Ok(match read_elf_bytes(path)? {
        Some(bytes) => read_binary(&bytes, Detail::Full),
        None => Binary::NotBinary,
    })
}
