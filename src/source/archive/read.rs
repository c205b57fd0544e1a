//! Reading an archive as a stream into a tree of paths, as image layers are read
//! (`image/layers.rs`, whose `read_content` and temporary space it shares): nothing is
//! extracted to disk, only the facts of ELF files and a few metadata texts are kept.
//!
//! Every archive is hostile: names with `..` or absolute names are never applied,
//! links out of the archive and device entries are never followed or opened, and the
//! work is bounded (entries, decompressed bytes and their ratio to the compressed
//! ones, one level of archives inside the archive). Each of these is one note (an
//! `unsafe-archive-entry` finding) and reading goes on where it can.

use super::{sniff, Format};
use crate::source::image::{
    read_content, CountedShared, FileContent, ImageNote, MergedTree, TreeEntry, TreeNode,
};
use crate::source::size_text;
use crate::text::excerpt;
use std::io::{self, Cursor, Read, Seek};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How much of an archive preflight reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Entries read, all archives inside included; the rest is not read. A release
    /// tarball has thousands; a wheel of PyTorch about 15,000.
    pub entries: usize,
    /// Bytes decompressed in all, whatever the ratio (this bounds the time).
    pub decompressed: u64,
    /// Past `ratio_after` bytes decompressed, a stream that gives more than this many
    /// bytes for each compressed byte is a decompression bomb. Binaries and text
    /// compress 3 to 20 times; gzip cannot do better than about 1,030.
    pub ratio: u64,
    pub ratio_after: u64,
    /// Metadata files (WHEEL, package.json, a package's control file) larger than
    /// this are not metadata.
    pub metadata: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            entries: 250_000,
            decompressed: 32 << 30,
            ratio: 200,
            ratio_after: 256 << 20,
            metadata: 1 << 20,
        }
    }
}

/// A metadata file met while reading, by the folder it describes.
#[derive(Clone, Debug)]
pub struct Metadata {
    /// The archive (or package) it belongs to: its path in the tree.
    pub at: String,
    /// Its path relative to `at`.
    pub name: String,
    pub text: String,
}

/// Where entries go: below `at` in the tree, written by layer `layer`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place<'p> {
    pub at: &'p str,
    pub layer: usize,
    /// Archives inside archives above this one (0 at the top).
    pub depth: u8,
    /// A package's payload, meant to be installed at `/`: its absolute links point
    /// inside the package.
    pub rooted: bool,
}

pub(crate) struct Reader {
    pub tree: MergedTree,
    pub limits: ArchiveLimits,
    /// The whole archive's path in the tree: notes are shown relative to it.
    pub mount: String,
    /// How the user named the archive (notes about its top level name it).
    pub name: String,
    pub metadata: Vec<Metadata>,
    entries: usize,
    entries_noted: bool,
    decompressed: Arc<AtomicU64>,
}

impl Reader {
    pub fn new(name: &str, mount: &str, limits: ArchiveLimits) -> Reader {
        let mut tree = MergedTree::default();
        // Layer 0 is the archive itself: its files name no layer.
        tree.layers.push(String::new());
        Reader {
            tree,
            limits,
            mount: mount.to_string(),
            name: name.to_string(),
            metadata: Vec::new(),
            entries: 0,
            entries_noted: false,
            decompressed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A path of the tree as reports show it.
    pub fn shown(&self, path: &str) -> String {
        match path.strip_prefix(&self.mount) {
            Some(rest) if rest.starts_with('/') => rest[1..].to_string(),
            _ => self.name.clone(),
        }
    }

    pub fn note(&mut self, layer: usize, path: &str, message: impl Into<String>) {
        let shown = self.shown(path);
        self.tree.notes.push(ImageNote {
            layer: self.tree.layers.get(layer).cloned().unwrap_or_default(),
            path: shown,
            message: message.into(),
            device: false,
        });
    }

    /// A new layer label (an archive inside the archive, a package): its index.
    pub fn push_layer(&mut self, label: String) -> usize {
        self.tree.layers.push(label);
        self.tree.layers.len() - 1
    }

    pub(super) fn insert(&mut self, path: String, entry: TreeEntry, layer: usize) {
        self.tree.nodes.insert(path, TreeNode { entry, layer });
    }

    /// Counts one entry; false (noted once) past the limit.
    pub(super) fn count_entry(&mut self, place: Place<'_>) -> bool {
        if self.entries >= self.limits.entries {
            if !self.entries_noted {
                self.entries_noted = true;
                let message = format!(
                    "more than {} entries: the rest of the archive was not read (preflight's limit of entries per archive)",
                    self.limits.entries
                );
                self.note(place.layer, place.at, message);
            }
            return false;
        }
        self.entries += 1;
        true
    }

    /// A stream (compressed or not) holding a tar, read at `place`. Not a tar: noted.
    pub fn read_stream(&mut self, place: Place<'_>, raw: impl Read) {
        let (head, raw) = match peek(raw, 512) {
            Ok(peeked) => peeked,
            Err(e) => {
                self.note(place.layer, place.at, format!("could not be read: {e}"));
                return;
            }
        };
        if sniff(&head) == Some(Format::Tar) {
            self.read_tar(place, raw);
            return;
        }
        let guarded = match self.decoder(&head, raw) {
            Ok(decoded) => decoded,
            Err(e) => {
                self.note(place.layer, place.at, e);
                return;
            }
        };
        match peek(guarded, 512) {
            Ok((inner_head, stream)) if sniff(&inner_head) == Some(Format::Tar) => {
                self.read_tar(place, stream)
            }
            Ok(_) => self.note(
                place.layer,
                place.at,
                "a compressed file that is not a tar archive: not read",
            ),
            Err(e) => self.note(
                place.layer,
                place.at,
                format!(
                    "could not be decompressed: {}",
                    excerpt(&e.to_string(), 200)
                ),
            ),
        }
    }

    /// The decompressed stream of `raw` (whose first bytes are `head`), bounded
    /// against decompression bombs; Err(why) when it is not compressed as preflight
    /// reads (gzip, xz, zstd, bzip2).
    pub fn decoder<'r>(
        &self,
        head: &[u8],
        raw: impl Read + 'r,
    ) -> Result<Box<dyn Read + 'r>, String> {
        let input = Arc::new(AtomicU64::new(0));
        let counted = CountedShared {
            inner: raw,
            read: input.clone(),
        };
        let decoded: Box<dyn Read + 'r> = match sniff(head) {
            Some(Format::Gzip) => Box::new(flate2::read::MultiGzDecoder::new(counted)),
            Some(Format::Xz) => Box::new(liblzma::read::XzDecoder::new_multi_decoder(counted)),
            Some(Format::Bzip2) => Box::new(bzip2::read::MultiBzDecoder::new(counted)),
            Some(Format::Zstd) => Box::new(
                zstd::stream::read::Decoder::new(counted)
                    .map_err(|e| format!("could not be read: {e}"))?,
            ),
            _ => return Err("not a tar archive, compressed or not: not read".into()),
        };
        Ok(Box::new(Bounded {
            inner: decoded,
            input,
            total: self.decompressed.clone(),
            out: 0,
            limits: self.limits,
        }))
    }

    fn read_tar(&mut self, place: Place<'_>, stream: impl Read) {
        let mut archive = tar::Archive::new(stream);
        let entries = match archive.entries() {
            Ok(entries) => entries,
            Err(e) => {
                self.note(place.layer, place.at, format!("could not be read: {e}"));
                return;
            }
        };
        for entry in entries {
            let stopped = match entry {
                Ok(mut entry) => {
                    if !self.count_entry(place) {
                        return;
                    }
                    self.tar_entry(place, &mut entry).err()
                }
                Err(e) => Some(e),
            };
            if let Some(e) = stopped {
                let message = format!(
                    "reading stopped here, the entries before were read: {}",
                    excerpt(&e.to_string(), 300)
                );
                self.note(place.layer, place.at, message);
                return;
            }
        }
    }

    fn tar_entry<R: Read>(
        &mut self,
        place: Place<'_>,
        entry: &mut tar::Entry<'_, R>,
    ) -> io::Result<()> {
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = self.safe_path(place, &raw) else {
            return Ok(());
        };
        use tar::EntryType::*;
        let kind = entry.header().entry_type();
        match kind {
            Directory => self.insert(path, TreeEntry::Dir, place.layer),
            Regular | Continuous | GNUSparse => {
                let size = entry.size();
                self.add_file(place, path, size, entry)?;
            }
            Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                self.add_symlink(place, path, &target);
            }
            Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                self.add_hard_link(place, path, &target);
            }
            Char | Block | Fifo => self.add_special(place, path, kind == Fifo),
            _ => {}
        }
        Ok(())
    }

    /// A zip archive (a wheel, a `.zip`) at `place`.
    pub fn read_zip(&mut self, place: Place<'_>, reader: impl Read + Seek) {
        let mut zip = match zip::ZipArchive::new(reader) {
            Ok(zip) => zip,
            Err(e) => {
                let message = format!(
                    "not a readable zip archive: {}",
                    excerpt(&e.to_string(), 200)
                );
                self.note(place.layer, place.at, message);
                return;
            }
        };
        for index in 0..zip.len() {
            if !self.count_entry(place) {
                return;
            }
            // Names and sizes first, from the central directory, without
            // decompressing anything.
            let (raw, is_dir, is_symlink, size, compressed) = match zip.by_index_raw(index) {
                Ok(file) => (
                    String::from_utf8_lossy(file.name_raw()).into_owned(),
                    file.is_dir(),
                    file.is_symlink(),
                    file.size(),
                    file.compressed_size(),
                ),
                Err(e) => {
                    let message = format!(
                        "entry {index} could not be read: {}",
                        excerpt(&e.to_string(), 200)
                    );
                    self.note(place.layer, place.at, message);
                    continue;
                }
            };
            let Some(path) = self.safe_path(place, &raw) else {
                continue;
            };
            if is_dir {
                self.insert(path, TreeEntry::Dir, place.layer);
                continue;
            }
            if size > self.limits.ratio_after && size / compressed.max(1) > self.limits.ratio {
                let message = format!(
                    "{} compressed to {}: a ratio above {}:1, a decompression bomb; not read",
                    size_text(size),
                    size_text(compressed),
                    self.limits.ratio
                );
                self.note(place.layer, &path, message);
                continue;
            }
            let mut file = match zip.by_index(index) {
                Ok(file) => file,
                Err(e) => {
                    let message = format!("could not be read: {}", excerpt(&e.to_string(), 200));
                    self.note(place.layer, &path, message);
                    continue;
                }
            };
            if is_symlink {
                let mut target = Vec::new();
                if (&mut file).take(4096).read_to_end(&mut target).is_ok() {
                    self.add_symlink(place, path, &String::from_utf8_lossy(&target));
                }
                continue;
            }
            if let Err(e) = self.add_file(place, path.clone(), size, &mut file) {
                let message = format!("could not be read: {}", excerpt(&e.to_string(), 200));
                self.note(place.layer, &path, message);
            }
        }
    }

    /// A regular file of `size` bytes: an archive inside the archive is read in turn
    /// (one level deep), a metadata file is kept, a binary's facts are read.
    pub(super) fn add_file(
        &mut self,
        place: Place<'_>,
        path: String,
        size: u64,
        reader: &mut dyn Read,
    ) -> io::Result<()> {
        let mut reader = reader.take(size);
        let mut head = Vec::with_capacity(512);
        (&mut reader).take(512).read_to_end(&mut head)?;
        if place.depth == 0 {
            if let Some(format) = sniff(&head).filter(|f| f.is_archive()) {
                let label = self.shown(&path);
                let layer = self.push_layer(label);
                let inner = Place {
                    at: &path,
                    layer,
                    depth: place.depth + 1,
                    rooted: false,
                };
                let stream = Cursor::new(head).chain(reader);
                self.read_nested(inner, format, stream, size);
                return Ok(());
            }
        }
        let name = path
            .strip_prefix(place.at)
            .unwrap_or(&path)
            .trim_start_matches('/');
        if is_metadata(name) && size <= self.limits.metadata {
            let mut bytes = head;
            reader.read_to_end(&mut bytes)?;
            self.metadata.push(Metadata {
                at: place.at.to_string(),
                name: name.to_string(),
                text: String::from_utf8_lossy(&bytes).into_owned(),
            });
            // Kept as text in the tree too: the scan reads a package's declared libc
            // from it (pipeline.rs, `declared_libc`).
            let text: std::sync::Arc<str> = String::from_utf8_lossy(&bytes).into();
            self.insert(path, TreeEntry::File(FileContent::Text(text)), place.layer);
            return Ok(());
        }
        let mut stream = Cursor::new(head).chain(reader);
        let content = read_content(&path, &mut stream, size, &mut self.tree.spill)?;
        self.insert(path, TreeEntry::File(content), place.layer);
        Ok(())
    }

    /// An archive inside the archive, its files below its own path.
    fn read_nested(&mut self, place: Place<'_>, format: Format, mut stream: impl Read, size: u64) {
        match format {
            Format::Zip => {
                // A zip is read from its end (the central directory): it is held in
                // memory, or in a temporary file when large.
                let limits = self.tree.spill.limits;
                if size <= limits.in_memory {
                    let mut bytes = Vec::new();
                    match stream.read_to_end(&mut bytes) {
                        Ok(_) => self.read_zip(place, Cursor::new(bytes)),
                        Err(e) => {
                            self.note(place.layer, place.at, format!("could not be read: {e}"))
                        }
                    }
                } else if size <= limits.temporary_per_file {
                    let copied = (|| -> io::Result<std::fs::File> {
                        let mut file = tempfile::tempfile()?;
                        io::copy(&mut stream, &mut file)?;
                        file.rewind()?;
                        Ok(file)
                    })();
                    match copied {
                        Ok(file) => self.read_zip(place, file),
                        Err(e) => self.note(
                            place.layer,
                            place.at,
                            format!("could not be copied to a temporary file to be read: {e}"),
                        ),
                    }
                } else {
                    let message = format!(
                        "a zip archive of {} inside the archive: larger than the {} preflight copies out to read one (its limit of temporary space per file); not read",
                        size_text(size),
                        size_text(limits.temporary_per_file)
                    );
                    self.note(place.layer, place.at, message);
                }
            }
            Format::Deb => super::deb::read_deb(self, place, stream),
            Format::Rpm => super::rpm::read_rpm(self, place, stream),
            _ => self.read_stream(place, stream),
        }
    }

    /// The entry's path in the tree, or None (noted) for a name that is absolute or
    /// climbs out with `..`: such an entry is never applied.
    pub(super) fn safe_path(&mut self, place: Place<'_>, raw: &str) -> Option<String> {
        let trimmed = raw.trim_start_matches("./");
        if trimmed.starts_with('/') && !place.rooted {
            let message = format!("absolute entry name {}: not applied", excerpt(raw, 200));
            self.note(place.layer, place.at, message);
            return None;
        }
        let parts: Vec<&str> = trimmed
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        if parts.contains(&"..") {
            let message = format!("entry name with `..`: {}: not applied", excerpt(raw, 200));
            self.note(place.layer, place.at, message);
            return None;
        }
        (!parts.is_empty()).then(|| format!("{}/{}", place.at, parts.join("/")))
    }

    /// A symbolic link: kept when it stays inside the archive (a package's absolute
    /// links point inside the package, where it is installed); a link out is noted
    /// and never followed.
    pub(super) fn add_symlink(&mut self, place: Place<'_>, path: String, target: &str) {
        let out = if target.starts_with('/') {
            if place.rooted {
                let inside = format!("{}{}", place.at, target);
                self.insert(path, TreeEntry::Symlink(inside), place.layer);
                return;
            }
            true
        } else {
            // Climbs above the archive's top from the link's folder?
            let below = path[place.at.len()..].trim_start_matches('/');
            let mut depth = below.split('/').count() as i64 - 1;
            let mut out = false;
            for part in target.split('/') {
                match part {
                    "" | "." => {}
                    ".." => {
                        depth -= 1;
                        out |= depth < 0;
                    }
                    _ => depth += 1,
                }
            }
            out
        };
        if out {
            let message = format!(
                "symbolic link to {}, out of the archive: never followed",
                excerpt(target, 200)
            );
            self.note(place.layer, &path, message);
            self.insert(
                path,
                TreeEntry::Special("link out of the archive"),
                place.layer,
            );
            return;
        }
        self.insert(path, TreeEntry::Symlink(target.to_string()), place.layer);
    }

    /// A hard link: another name for an earlier entry of the archive.
    pub(super) fn add_hard_link(&mut self, place: Place<'_>, path: String, target: &str) {
        let Some(target) = self.safe_path(place, target) else {
            return;
        };
        match self.tree.get(&target).map(|n| n.entry.clone()) {
            Some(entry @ TreeEntry::File(_)) => self.insert(path, entry, place.layer),
            _ => {
                let message = format!(
                    "hard link to {}, which is no earlier file of the archive: not applied",
                    excerpt(&self.shown(&target), 200)
                );
                self.note(place.layer, &path, message);
            }
        }
    }

    pub(super) fn add_special(&mut self, place: Place<'_>, path: String, fifo: bool) {
        self.note(
            place.layer,
            &path,
            "device or FIFO entry: listed, never opened",
        );
        let kind = if fifo { "fifo" } else { "device" };
        self.insert(path, TreeEntry::Special(kind), place.layer);
    }
}

/// The files whose text is kept: a wheel's WHEEL, an npm package's package.json.
fn is_metadata(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    matches!(parts.as_slice(), [info, "WHEEL"] if info.ends_with(".dist-info"))
        || name == "package/package.json"
}

/// A stream whose first bytes were read: them, then the rest.
pub(crate) type Peeked<R> = io::Chain<Cursor<Vec<u8>>, R>;

/// The first `n` bytes of a stream (fewer if it is shorter), and the whole stream.
pub(crate) fn peek<R: Read>(mut reader: R, n: u64) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = Vec::with_capacity(n as usize);
    (&mut reader).take(n).read_to_end(&mut head)?;
    Ok((head.clone(), Cursor::new(head).chain(reader)))
}

/// A decompressed stream that fails once it gives too much, in all or for what it
/// was given: a decompression bomb ends there, with one error.
struct Bounded<R> {
    inner: R,
    input: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
    out: u64,
    limits: ArchiveLimits,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let total = self.total.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        let input = self.input.load(Ordering::Relaxed).max(1);
        if total > self.limits.decompressed {
            return Err(io::Error::other(format!(
                "more than {} decompressed in all (preflight's limit per archive): the rest was not read",
                size_text(self.limits.decompressed)
            )));
        }
        if self.out > self.limits.ratio_after && self.out / input > self.limits.ratio {
            return Err(io::Error::other(format!(
                "{} decompressed from {}: a ratio above {}:1, a decompression bomb; the rest was not read",
                size_text(self.out),
                size_text(input),
                self.limits.ratio
            )));
        }
        Ok(n)
    }
}
