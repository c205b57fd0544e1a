//! Archives and packages as a scan source, recognised by their content (magic bytes),
//! not their name: tar (plain, gzip, xz, zstd, bzip2), zip, a Python wheel (a zip
//! with a `WHEEL` file), an npm package (a tar.gz of `package/`), a Debian package
//! (ar with `data.tar.*`), an RPM package (a cpio payload), and one level of archives
//! inside them (a `.tar.gz` holding a `.whl`); an AppImage (its ELF runtime and its
//! squashfs payload).
//!
//! An archive is read once, as a stream, into a tree of paths (`read.rs`), mounted at
//! the archive's own path as if it were extracted there: its files' `$ORIGIN` is
//! inside it, and what it does not hold comes from the host a folder scan would use
//! (`--root`, this machine's `/`) or from the targets. So an archive gives the same
//! findings as the folder it extracts to, plus what only the archive can say (its
//! unsafe entries, a wheel's tags against its content).

mod appimage;
mod deb;
mod host;
mod package;
mod read;
mod rpm;

pub use read::ArchiveLimits;

use super::image::{Image, ImageHost, TreeEntry};
use super::{
    open_host, open_regular, Entry, HostView, Libraries, Limits, Source, SourceError, TreeFile,
    View, Within,
};
use crate::platform::Platform;
use crate::rules::{Finding, Rule};
use host::ArchiveHost;
use read::{Place, Reader};
use std::io::{BufReader, Read};
use std::path::Path;

/// What the first bytes of a file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Tar,
    Gzip,
    Xz,
    Zstd,
    Bzip2,
    Zip,
    /// A Debian package: an ar archive whose first member is `debian-binary`.
    Deb,
    Rpm,
    /// A type 2 AppImage: an ELF runtime and a squashfs payload. Read at the top only
    /// (it is read from its end); inside an archive it is an ELF file.
    AppImage,
}

impl Format {
    /// Whether preflight reads it as an archive inside an archive.
    pub fn is_archive(self) -> bool {
        self != Format::AppImage
    }
}

/// The format of a file from its first bytes (up to 512: a tar's magic is at 257).
pub fn sniff(head: &[u8]) -> Option<Format> {
    if appimage::is_appimage(head) {
        Some(Format::AppImage)
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some(Format::Gzip)
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Format::Xz)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Format::Zstd)
    } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        Some(Format::Bzip2)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if head.starts_with(b"!<arch>\ndebian-binary") {
        Some(Format::Deb)
    } else if head.starts_with(&[0xed, 0xab, 0xee, 0xdb]) {
        Some(Format::Rpm)
    } else if head.get(257..262) == Some(b"ustar") {
        Some(Format::Tar)
    } else {
        None
    }
}

/// The format of the file at `path`, when it is an archive or package.
pub fn detect(path: &Path) -> Option<Format> {
    let file = open_regular(Within::Anywhere, path, Limits::UNLIMITED).ok()?;
    let mut head = Vec::with_capacity(512);
    file.take(512).read_to_end(&mut head).ok()?;
    sniff(&head)
}

pub struct ArchiveSource {
    /// As the user named it.
    name: String,
    /// Where its files are mounted: the archive's own absolute path, or "" for a
    /// package installed at `/`.
    mount: String,
    host: ImageHost,
    findings: Vec<Finding>,
    platform: Option<Platform>,
    targets: Vec<String>,
}

impl ArchiveSource {
    /// Reads the archive `spec` names (whose format is `format`).
    pub fn open(spec: &str, format: Format) -> Result<ArchiveSource, SourceError> {
        ArchiveSource::open_with(spec, format, ArchiveLimits::default())
    }

    pub fn open_with(
        spec: &str,
        format: Format,
        limits: ArchiveLimits,
    ) -> Result<ArchiveSource, SourceError> {
        let shown = crate::text::escape(spec);
        let error = |e: &dyn std::fmt::Display| SourceError(format!("{shown}: {e}"));
        let file = open_regular(Within::Anywhere, Path::new(spec), Limits::UNLIMITED)
            .map_err(|e| error(&e))?;
        // A package is installed at `/`; another archive is seen extracted where it
        // is.
        let mount = match format {
            Format::Deb | Format::Rpm => String::new(),
            _ => std::fs::canonicalize(spec)
                .map_err(|e| error(&e))?
                .to_string_lossy()
                .into_owned(),
        };
        let mut reader = Reader::new(spec, &mount, limits);
        let place = Place {
            at: &mount,
            layer: 0,
            depth: 0,
            rooted: false,
        };
        match format {
            Format::Zip => reader.read_zip(place, file),
            Format::AppImage => appimage::read_appimage(&mut reader, place, file),
            Format::Deb => deb::read_deb(&mut reader, place, BufReader::new(file)),
            Format::Rpm => rpm::read_rpm(&mut reader, place, BufReader::new(file)),
            _ => reader.read_stream(place, BufReader::new(file)),
        }
        let packages = package::Packages::of(&reader);
        let mut findings: Vec<Finding> = reader
            .tree
            .notes
            .iter()
            .map(|n| {
                let mut finding = Rule::UnsafeArchiveEntry.finding(&n.path, n.message.clone());
                if !n.layer.is_empty() {
                    finding = finding.layer(&n.layer);
                }
                finding.build()
            })
            .collect();
        findings.extend(packages.findings(&reader));
        let image = Image {
            name: spec.to_string(),
            tree: reader.tree,
            platform: None,
        };
        Ok(ArchiveSource {
            name: spec.to_string(),
            host: ImageHost::new(image, &mount),
            mount,
            findings,
            platform: packages.platform(),
            targets: packages.targets(),
        })
    }

    /// The targets the archive's own tags name (a wheel's `manylinux_2_17`): what it
    /// is checked against when no `--target` is given.
    pub fn declared_targets(&self) -> &[String] {
        &self.targets
    }
}

impl Source for ArchiveSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn platform(&self) -> Option<Platform> {
        self.platform
    }

    fn policy_folder(&self) -> Option<&Path> {
        None
    }

    fn default_targets(&self) -> Vec<String> {
        self.targets.clone()
    }

    fn view(&self, libraries: Libraries<'_>) -> std::io::Result<View<'_>> {
        let outside = match libraries {
            Libraries::Root(root) => Some(open_host(root, &[])?.0),
            Libraries::Targets => None,
        };
        let tree = &self.host.image().tree;
        let files = tree
            .files_under(&self.mount)
            .into_iter()
            .filter(|(_, node)| matches!(node.entry, TreeEntry::File(_)))
            .map(|(path, node)| {
                let label = tree.layers.get(node.layer).filter(|l| !l.is_empty());
                Entry::File(TreeFile {
                    shown: path[self.mount.len()..].trim_start_matches('/').to_string(),
                    view: path.clone(),
                    disk: None,
                    layer: label.cloned(),
                })
            });
        Ok(View {
            host: HostView::Owned(Box::new(ArchiveHost {
                tree: &self.host,
                mount: &self.mount,
                outside,
                label: format!("archive {}", self.name),
            })),
            base: self.mount.clone(),
            absolute: false,
            files: Box::new(files),
            findings: self.findings.clone(),
        })
    }

    fn as_root(&self) -> std::io::Result<HostView<'_>> {
        Ok(HostView::Borrowed(&self.host))
    }
}
