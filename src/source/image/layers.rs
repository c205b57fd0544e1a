//! Applying one layer (a tar stream, gzip or zstd compressed or not) onto the merged
//! tree, as OCI image-spec layer.md describes: `.wh.NAME` deletes NAME from the layers
//! below, `.wh..wh..opq` empties its folder of what the layers below put there, a
//! later entry replaces an earlier one, a non-folder replaces a whole folder.

use super::pipeline::{Pipe, Sizes};
use super::tree::{FileContent, ImageNote, MergedTree, TreeEntry, TreeNode};
use super::{invalid, ImageError};
use crate::elf::{has_elf_magic, may_be_binary, read_binary, Binary, Detail};
use crate::source::size_text;
use crate::text::excerpt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Configuration files larger than this are not configuration files.
const MAX_TEXT: u64 = 4 << 20;

type Raw = BufReader<Box<dyn Read + Send>>;

/// A layer is decompressed on a thread of its own (`pipeline`), which also reads and
/// hashes the blob (a thread of its own for that was measured: it shortened nothing),
/// while this one walks the tar and reads the ELF files. The decompressed bytes are
/// handed over in chunks of 256 KiB, at most 8 waiting (2 MiB in flight: room for the
/// decompression to go on while a large ELF file is parsed).
const DECOMPRESSED: Sizes = Sizes {
    chunk: 256 << 10,
    depth: 8,
};

/// The decompressor for a layer, kept typed so that the compressed stream can be read
/// to its end afterwards (the digest is checked there).
enum Decoder {
    Plain(Raw),
    // Boxed: with flate2's zlib-rs backend (which backhand turns on) the decoder
    // holds its inflate state inline.
    Gzip(Box<flate2::read::MultiGzDecoder<Raw>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, Raw>>),
}

impl Read for Decoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
        }
    }
}

impl Decoder {
    fn into_raw(self) -> Raw {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(r) => r.into_inner(),
            Decoder::Zstd(r) => r.finish(),
        }
    }
}

pub(crate) fn apply_layer(
    tree: &mut MergedTree,
    index: usize,
    label: &str,
    raw: Box<dyn Read + Send>,
) -> Result<(), ImageError> {
    tree.layers.push(label.to_string());
    let limits = tree.spill.limits;
    // What the tar or decompression libraries say may quote the layer's bytes (a
    // header field that is not a number): cut short and escaped.
    let layer_error =
        |e: io::Error| invalid(format!("layer {label}: {}", excerpt(&e.to_string(), 200)));
    let compressed = Arc::new(AtomicU64::new(0));
    let raw_failed = Arc::new(Mutex::new(None));
    let raw: Box<dyn Read + Send> = Box::new(CountedShared {
        inner: FirstError {
            inner: raw,
            failed: raw_failed.clone(),
        },
        read: compressed.clone(),
    });
    let mut raw = BufReader::with_capacity(1 << 16, raw);
    let magic = raw.fill_buf().map_err(layer_error)?;
    let decoder = if magic.starts_with(&[0x1f, 0x8b]) {
        Decoder::Gzip(Box::new(flate2::read::MultiGzDecoder::new(raw)))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Decoder::Zstd(Box::new(
            zstd::stream::read::Decoder::with_buffer(raw).map_err(layer_error)?,
        ))
    } else {
        Decoder::Plain(raw)
    };
    // Once the decompressed stream is over (or this thread stops reading it), its
    // thread reads the compressed one to its end: the digest is checked there. It may
    // have been checked already, and have failed, ahead of a tar walk that stopped
    // short of that for an error of its own: the digest's error is still the answer.
    let expansion = Expansion {
        inner: decoder,
        out: 0,
        compressed,
        limits,
    };
    let pipe = Pipe::spawn("layer-inflate", DECOMPRESSED, expansion, move |expansion| {
        io::copy(&mut expansion.inner.into_raw(), &mut io::sink())?;
        match raw_failed.lock().map(|mut failed| failed.take()) {
            Ok(Some((kind, message))) => Err(io::Error::new(kind, message)),
            _ => Ok(()),
        }
    })
    .map_err(layer_error)?;
    let mut archive = tar::Archive::new(pipe);
    let mut applied = 0usize;
    let mut ended_early = None;
    let walked = (|| -> io::Result<()> {
        for entry in archive.entries()? {
            match entry {
                Ok(mut entry) => {
                    apply_entry(tree, index, label, &mut entry)?;
                    applied += 1;
                }
                // umoci 0.4 (bug #436) ends some layers right after the last file's
                // data, without the padding and end blocks; Go's archive/tar, which
                // runtimes use, accepts that. It is accepted here too when the
                // compressed stream itself ends cleanly (checked below); a truncated
                // stream still fails. (The tar crate reports it as ErrorKind::Other
                // "unexpected EOF during skip".)
                Err(e) if applied > 0 && is_end_of_data(&e) => {
                    ended_early = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })();
    // Read both streams to their ends: a truncated or altered blob must fail its
    // digest. When reading stopped on an error, the digest decides what is said: a
    // blob that is not the one its digest names is reported as such, whatever its
    // bytes made the tar reader say.
    let mut pipe = archive.into_inner();
    let fail = |pipe: Pipe, error: io::Error| -> ImageError {
        match pipe.finish() {
            Err(digest) => layer_error(digest),
            Ok(()) => layer_error(error),
        }
    };
    if let Err(e) = walked {
        return Err(fail(pipe, e));
    }
    if let Some(early) = ended_early {
        if io::copy(&mut pipe, &mut io::sink()).is_err() {
            return Err(fail(pipe, early));
        }
    }
    if let Err(e) = io::copy(&mut pipe, &mut io::sink()) {
        return Err(fail(pipe, e));
    }
    pipe.finish().map_err(layer_error)?;
    Ok(())
}

/// A reader that remembers its first error where another reader sees it (the
/// compressed stream's, after the decompressor met it).
struct FirstError {
    inner: Box<dyn Read + Send>,
    failed: Arc<Mutex<Option<(io::ErrorKind, String)>>>,
}

impl Read for FirstError {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf);
        match (&read, self.failed.lock()) {
            (Err(e), Ok(mut failed)) if e.kind() != io::ErrorKind::Interrupted => {
                failed.get_or_insert_with(|| (e.kind(), e.to_string()));
            }
            _ => {}
        }
        read
    }
}

/// A reader that counts what it passed on where another reader sees it (the
/// compressed bytes of a layer, for `Expansion`).
pub(crate) struct CountedShared<R> {
    pub(crate) inner: R,
    pub(crate) read: Arc<AtomicU64>,
}

impl<R: Read> Read for CountedShared<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A layer's decompressed stream, cut off once it has grown past
/// `ImageLimits::expansion_ratio` times the compressed bytes read so far (after a
/// first `expansion_free` bytes): a few MB of gzip can hold terabytes of zeros, which
/// would be read, all of them, at a gigabyte a second. Real layers expand 2 to 10
/// times.
struct Expansion {
    inner: Decoder,
    out: u64,
    compressed: Arc<AtomicU64>,
    limits: ImageLimits,
}

impl Read for Expansion {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let compressed = self.compressed.load(Ordering::Relaxed);
        if self.out > self.limits.expansion_free
            && self.out / self.limits.expansion_ratio.max(1) > compressed
        {
            return Err(io::Error::other(format!(
                "it expands to more than {} times its compressed size ({} from {}): a decompression bomb, not read further",
                self.limits.expansion_ratio,
                size_text(self.out),
                size_text(compressed)
            )));
        }
        Ok(n)
    }
}

/// A reader that counts what it passed on.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

fn is_end_of_data(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::UnexpectedEof || e.to_string().contains("unexpected EOF")
}

fn note(tree: &mut MergedTree, label: &str, path: &str, message: &str) {
    tree.notes.push(ImageNote {
        layer: label.to_string(),
        path: path.to_string(),
        message: message.to_string(),
        device: false,
    });
}

fn apply_entry<R: Read>(
    tree: &mut MergedTree,
    index: usize,
    label: &str,
    entry: &mut tar::Entry<'_, R>,
) -> io::Result<()> {
    let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
    let Some(path) = safe_path(tree, label, &raw_name) else {
        return Ok(());
    };
    let (parent, base) = match path.rfind('/') {
        Some(0) => ("/".to_string(), path[1..].to_string()),
        Some(i) => (path[..i].to_string(), path[i + 1..].to_string()),
        None => return Ok(()),
    };
    if base == ".wh..wh..opq" {
        tree.remove_below(&parent, index, true);
        return Ok(());
    }
    if let Some(hidden) = base.strip_prefix(".wh.") {
        let target = if parent == "/" {
            format!("/{hidden}")
        } else {
            format!("{parent}/{hidden}")
        };
        tree.remove_below(&target, index, false);
        return Ok(());
    }
    use tar::EntryType::*;
    let kind = entry.header().entry_type();
    let new = match kind {
        Directory => TreeEntry::Dir,
        Regular | Continuous => {
            // Every byte of the file is read, so that a layer cut inside a file is an
            // error (a layer cut only after its last file, see apply_layer, is not).
            let size = entry.size();
            let mut counted = Counted {
                inner: entry,
                read: 0,
            };
            let content = read_content(&path, &mut counted, size, &mut tree.spill)?;
            io::copy(&mut counted, &mut io::sink())?;
            if counted.read < size {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the layer ends inside {path} ({} of {size} bytes)",
                        counted.read
                    ),
                ));
            }
            TreeEntry::File(content)
        }
        Symlink => {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            TreeEntry::Symlink(target.unwrap_or_default())
        }
        // A hard link is another name for the file it links to: it takes that
        // file's content as it is now, whatever later entries do to the first name
        // (as an inode would). A runtime fails to unpack a link to nothing or to a
        // folder; such an entry is reported and not applied.
        Link => {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            let Some(target) = target.as_deref().and_then(|t| safe_path(tree, label, t)) else {
                return Ok(());
            };
            match tree.get(&target).map(|n| n.entry.clone()) {
                Some(TreeEntry::Dir) => {
                    let message = format!(
                        "hard link to the folder {}: not applied (a folder cannot be hard-linked)",
                        excerpt(&target, 200)
                    );
                    note(tree, label, &path, &message);
                    return Ok(());
                }
                Some(same) => same,
                None => {
                    let message = format!(
                        "hard link to {}, which no earlier entry of the image has: not applied (unpacking this layer fails there)",
                        excerpt(&target, 200)
                    );
                    note(tree, label, &path, &message);
                    return Ok(());
                }
            }
        }
        Char | Block | Fifo => {
            tree.notes.push(ImageNote {
                layer: label.to_string(),
                path: path.clone(),
                message: "device or FIFO entry: listed, never opened".to_string(),
                device: true,
            });
            TreeEntry::Special(if kind == Fifo { "fifo" } else { "device" })
        }
        _ => return Ok(()),
    };
    // A non-folder replaces a folder of a lower layer with everything in it.
    if !matches!(new, TreeEntry::Dir) {
        tree.remove_below(&path, index, true);
    }
    tree.nodes.insert(
        path,
        TreeNode {
            entry: new,
            layer: index,
        },
    );
    Ok(())
}

/// The entry's absolute path in the image, or None (reported) for a name that is
/// absolute or climbs out with `..`: such an entry is never applied.
fn safe_path(tree: &mut MergedTree, label: &str, raw: &str) -> Option<String> {
    let trimmed = raw.trim_start_matches("./");
    if trimmed.starts_with('/') {
        note(tree, label, raw, "absolute entry name: not applied");
        return None;
    }
    let parts: Vec<&str> = trimmed
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if parts.contains(&"..") {
        note(tree, label, raw, "entry name with `..`: not applied");
        return None;
    }
    (!parts.is_empty()).then(|| format!("/{}", parts.join("/")))
}

fn is_config(path: &str) -> bool {
    path == "/etc/ld.so.conf"
        || path.starts_with("/etc/ld.so.conf.d/")
        || (path.starts_with("/etc/ld-musl-") && path.ends_with(".path"))
        || path == "/etc/os-release"
        || path == "/usr/lib/os-release"
        || path == "/lib/apk/db/installed"
        // A JDK's default VM (resolve/process.rs, `JdkHome`).
        || path.ends_with("/lib/jvm.cfg")
}

/// Package metadata the scan reads a declared libc from (pipeline.rs `declared_libc`),
/// as it does in a folder: a wheel's `NAME.dist-info/WHEEL` (its tags) and an npm
/// package's `package.json` (its `libc` field).
fn is_package_metadata(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    match (parts.next(), parts.next()) {
        (Some("WHEEL"), Some(info)) => info.ends_with(".dist-info"),
        (Some("package.json"), _) => true,
        _ => false,
    }
}

/// The largest package metadata file read (the folder source reads as much).
const MAX_METADATA: u64 = 256 << 10;

/// Reads what the checks need of a file: an ELF file's facts (from memory, or from a
/// temporary file for a large one), a configuration file's text, nothing of the rest.
pub(crate) fn read_content(
    path: &str,
    entry: &mut impl Read,
    size: u64,
    spill: &mut Spill,
) -> io::Result<FileContent> {
    // glibc's loader cache, kept as bytes.
    if path == crate::source::LD_SO_CACHE {
        let mut bytes = Vec::new();
        entry
            .by_ref()
            .take(crate::source::MAX_LD_CACHE_BYTES + 1)
            .read_to_end(&mut bytes)?;
        return Ok(FileContent::Data(bytes.into()));
    }
    let mut magic = Vec::with_capacity(4);
    entry.by_ref().take(4).read_to_end(&mut magic)?;
    if may_be_binary(&magic) {
        let elf = has_elf_magic(&magic);
        let read = |bytes: &[u8]| match read_binary(bytes, Detail::Full) {
            Binary::Elf(facts) => FileContent::Elf(Ok(Arc::from(facts))),
            Binary::Other(other) => FileContent::Binary(Ok(Arc::from(other))),
            Binary::Unreadable(reason) if elf => FileContent::Elf(Err(reason)),
            Binary::Unreadable(reason) => FileContent::Binary(Err(reason)),
            Binary::NotBinary => FileContent::Other,
        };
        if size <= spill.limits.in_memory {
            let mut bytes = magic;
            bytes.reserve(size as usize);
            entry.read_to_end(&mut bytes)?;
            return Ok(read(&bytes));
        }
        // The caller reads what is left of the entry whatever is answered here.
        return Ok(match spill.copy(magic, entry, size) {
            Ok(map) => read(&map[..]),
            Err(reason) if elf => FileContent::Elf(Err(reason)),
            Err(reason) => FileContent::Binary(Err(reason)),
        });
    }
    if is_config(path) && size <= MAX_TEXT {
        let mut bytes = magic;
        entry.read_to_end(&mut bytes)?;
        return Ok(FileContent::Text(String::from_utf8_lossy(&bytes).into()));
    }
    if is_package_metadata(path) && size <= MAX_METADATA {
        let mut bytes = magic;
        entry.read_to_end(&mut bytes)?;
        let text = String::from_utf8_lossy(&bytes);
        // An image of a Node app holds thousands of package.json files: only those
        // that declare a libc are kept.
        if path.ends_with("/WHEEL") || text.contains("\"libc\"") {
            return Ok(FileContent::Text(text.into()));
        }
    }
    Ok(FileContent::Other)
}

/// How much of an image's binaries preflight holds to read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageLimits {
    /// Binaries up to this size are read into memory: memory stays bounded by it.
    pub in_memory: u64,
    /// A larger binary is copied to a temporary file and mapped, up to this size; a
    /// larger one is an unreadable file. 2 GiB: the largest real ones (CUDA, PyTorch
    /// libraries) are about 1 GiB.
    pub temporary_per_file: u64,
    /// And up to this much for all the binaries of one image (each temporary file is
    /// removed once read, so this bounds the time spent writing, not the space).
    pub temporary_total: u64,
    /// A layer may expand to this many times its compressed size (decompression
    /// bombs)...
    pub expansion_ratio: u64,
    /// ...once past this many bytes, which any layer may expand to.
    pub expansion_free: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            in_memory: 64 << 20,
            temporary_per_file: 2 << 30,
            temporary_total: 8 << 30,
            // gzip cannot go past 1032 times; zstd can. Text-heavy layers reach 10.
            expansion_ratio: 100,
            expansion_free: 1 << 30,
        }
    }
}

/// The temporary space of one image: its limits and how much was used.
#[derive(Debug, Default)]
pub(crate) struct Spill {
    pub limits: ImageLimits,
    used: u64,
}

impl Spill {
    /// Copies a binary of `size` bytes (its first bytes read already) to a temporary
    /// file and maps it; Err(why not) for the file's unreadable entry.
    fn copy(
        &mut self,
        head: Vec<u8>,
        rest: &mut impl Read,
        size: u64,
    ) -> Result<memmap2::Mmap, String> {
        let limits = self.limits;
        if size > limits.temporary_per_file {
            return Err(format!(
                "a binary of {size} bytes: larger than the {} preflight copies out of an image to read one file (its limit of temporary space per file)",
                size_text(limits.temporary_per_file)
            ));
        }
        if self.used.saturating_add(size) > limits.temporary_total {
            return Err(format!(
                "a binary of {size} bytes: the large binaries of this image add up to more than the {} preflight copies out of one image to read them (its limit of temporary space per image)",
                size_text(limits.temporary_total)
            ));
        }
        self.used += size;
        let mut copy = || -> io::Result<memmap2::Mmap> {
            let mut file = tempfile::tempfile()?;
            file.write_all(&head)?;
            // No more than the header said, whatever the stream holds.
            io::copy(
                &mut rest.by_ref().take(size.saturating_sub(head.len() as u64)),
                &mut file,
            )?;
            // SAFETY: a private temporary file, already unlinked, that nobody else
            // can open or write.
            unsafe { memmap2::Mmap::map(&file) }
        };
        copy().map_err(|e| {
            format!(
                "a binary of {size} bytes could not be copied to a temporary file to be read: {e}"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_metadata_is_a_wheels_wheel_file_or_a_package_json() {
        assert!(is_package_metadata(
            "/usr/lib/python3/site-packages/numpy-2.2.6.dist-info/WHEEL"
        ));
        assert!(is_package_metadata(
            "/app/node_modules/@img/sharp-linuxmusl-x64/package.json"
        ));
        assert!(!is_package_metadata("/usr/share/doc/WHEEL"));
        assert!(!is_package_metadata("/app/package.json.bak"));
    }

    /// A layer tar built in memory: (name, kind, data or link target).
    fn layer(entries: &[(&str, char, &str)]) -> Box<dyn Read + Send> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o755);
            match kind {
                'f' => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_size(data.len() as u64);
                    builder
                        .append_data(&mut header, name, data.as_bytes())
                        .unwrap();
                }
                'd' => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_size(0);
                    builder.append_data(&mut header, name, &[][..]).unwrap();
                }
                'l' | 'h' => {
                    header.set_entry_type(if *kind == 'l' {
                        tar::EntryType::Symlink
                    } else {
                        tar::EntryType::Link
                    });
                    header.set_size(0);
                    builder.append_link(&mut header, name, data).unwrap();
                }
                _ => unreachable!(),
            }
        }
        Box::new(io::Cursor::new(builder.into_inner().unwrap()))
    }

    /// A raw tar with one entry whose name the tar crate's builder would refuse.
    fn raw_entry(name: &str) -> Box<dyn Read + Send> {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(1);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let mut bytes = header.as_bytes().to_vec();
        bytes.extend_from_slice(b"x");
        bytes.resize(512 * 2, 0);
        bytes.extend_from_slice(&[0u8; 1024]);
        Box::new(io::Cursor::new(bytes))
    }

    fn paths(tree: &MergedTree) -> Vec<&str> {
        tree.nodes.keys().map(String::as_str).collect()
    }

    #[test]
    fn whiteouts_opaque_folders_and_replacement() {
        let mut tree = MergedTree::default();
        apply_layer(
            &mut tree,
            0,
            "base",
            layer(&[
                ("usr/lib/libgone.so", 'f', "a"),
                ("usr/lib/libkeep.so", 'f', "b"),
                ("opt/plugins/old.so", 'f', "c"),
                ("srv/data/x", 'f', "d"),
            ]),
        )
        .unwrap();
        apply_layer(
            &mut tree,
            1,
            "top",
            layer(&[
                ("usr/lib/.wh.libgone.so", 'f', ""),
                ("opt/plugins/new.so", 'f', "e"),
                ("opt/plugins/.wh..wh..opq", 'f', ""),
                ("srv/data", 'f', "now a file"),
            ]),
        )
        .unwrap();
        assert_eq!(
            paths(&tree),
            ["/opt/plugins/new.so", "/srv/data", "/usr/lib/libkeep.so"],
            "the whiteout deletes, the opaque marker keeps only this layer's entries, a file replaces a folder"
        );
        assert_eq!(tree.layers, ["base", "top"]);
        assert_eq!(tree.get("/opt/plugins/new.so").unwrap().layer, 1);
    }

    #[test]
    fn links_are_recorded_and_escapes_refused() {
        let mut tree = MergedTree::default();
        apply_layer(
            &mut tree,
            0,
            "l",
            layer(&[
                ("lib/real.so", 'f', "x"),
                ("lib/hard.so", 'h', "lib/real.so"),
                ("lib/soft.so", 'l', "/lib/real.so"),
            ]),
        )
        .unwrap();
        // The hard link is the file itself, under another name.
        assert!(matches!(
            &tree.get("/lib/hard.so").unwrap().entry,
            TreeEntry::File(FileContent::Other)
        ));
        assert!(
            matches!(&tree.get("/lib/soft.so").unwrap().entry, TreeEntry::Symlink(t) if t == "/lib/real.so")
        );
        apply_layer(&mut tree, 1, "evil", raw_entry("../escape.txt")).unwrap();
        apply_layer(&mut tree, 2, "evil2", raw_entry("/abs.txt")).unwrap();
        assert!(tree.get("/escape.txt").is_none() && tree.get("/abs.txt").is_none());
        let notes: Vec<&str> = tree.notes.iter().map(|n| n.message.as_str()).collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("`..`") && notes[1].contains("absolute"));
    }

    #[test]
    fn a_truncated_layer_is_an_error_not_a_panic() {
        let mut full = Vec::new();
        layer(&[("lib/a.so", 'f', &"x".repeat(5000))])
            .read_to_end(&mut full)
            .unwrap();
        full.truncate(1500);
        let mut tree = MergedTree::default();
        let result = apply_layer(&mut tree, 0, "cut", Box::new(io::Cursor::new(full)));
        assert!(matches!(result, Err(ImageError::Invalid(m)) if m.contains("layer cut")));
    }
}

#[cfg(test)]
mod binary_tests {
    use super::*;

    #[test]
    fn archives_and_foreign_binaries_in_a_layer_are_read() {
        let fixture = |path: &str| {
            std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/artifacts")
                    .join(path),
            )
            .unwrap()
        };
        let content = |bytes: Vec<u8>| {
            let size = bytes.len() as u64;
            read_content(
                "/opt/x",
                &mut io::Cursor::new(bytes),
                size,
                &mut Spill::default(),
            )
            .unwrap()
        };
        match content(fixture("got/fPIC.a")) {
            FileContent::Binary(Ok(binary)) => match &*binary {
                crate::elf::OtherBinary::Archive(a) => assert_eq!(a.objects, 4),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        match content(fixture("foreign/hello.exe")) {
            FileContent::Binary(Ok(binary)) => match &*binary {
                crate::elf::OtherBinary::Foreign(f) => assert_eq!(f.format, "PE"),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        // Text that merely starts like a DOS program is nothing.
        assert!(matches!(
            content(b"MZ is not a program".to_vec()),
            FileContent::Other
        ));
    }
}
