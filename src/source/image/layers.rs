//! Applying one layer (a tar stream, gzip or zstd compressed or not) onto the merged
//! tree, as OCI image-spec layer.md describes: `.wh.NAME` deletes NAME from the layers
//! below, `.wh..wh..opq` empties its folder of what the layers below put there, a
//! later entry replaces an earlier one, a non-folder replaces a whole folder.

use super::tree::{FileContent, ImageNote, MergedTree, TreeEntry, TreeNode};
use super::{invalid, ImageError};
use crate::elf::{has_elf_magic, read_facts_guarded};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::Arc;

/// ELF files up to this size are read into memory; larger ones go to a temporary
/// file and are mapped, so memory stays bounded whatever the image holds.
const MAX_IN_MEMORY: u64 = 64 << 20;
/// Configuration files larger than this are not configuration files.
const MAX_TEXT: u64 = 4 << 20;

type Raw = BufReader<Box<dyn Read + Send>>;

/// The decompressor for a layer, kept typed so that the compressed stream can be read
/// to its end afterwards (the digest is checked there).
enum Decoder {
    Plain(Raw),
    Gzip(flate2::read::MultiGzDecoder<Raw>),
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
    let layer_error = |e: io::Error| invalid(format!("layer {label}: {e}"));
    let mut raw = BufReader::with_capacity(1 << 16, raw);
    let magic = raw.fill_buf().map_err(layer_error)?;
    let decoder = if magic.starts_with(&[0x1f, 0x8b]) {
        Decoder::Gzip(flate2::read::MultiGzDecoder::new(raw))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Decoder::Zstd(Box::new(
            zstd::stream::read::Decoder::with_buffer(raw).map_err(layer_error)?,
        ))
    } else {
        Decoder::Plain(raw)
    };
    let mut archive = tar::Archive::new(decoder);
    for entry in archive.entries().map_err(layer_error)? {
        let mut entry = entry.map_err(layer_error)?;
        apply_entry(tree, index, label, &mut entry).map_err(layer_error)?;
    }
    // Read both streams to their ends: a truncated or altered blob must fail its digest.
    let mut decoder = archive.into_inner();
    io::copy(&mut decoder, &mut io::sink()).map_err(layer_error)?;
    io::copy(&mut decoder.into_raw(), &mut io::sink()).map_err(layer_error)?;
    Ok(())
}

fn note(tree: &mut MergedTree, label: &str, path: &str, message: &str) {
    tree.notes.push(ImageNote {
        layer: label.to_string(),
        path: path.to_string(),
        message: message.to_string(),
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
        Regular | Continuous => TreeEntry::File(read_content(&path, entry)?),
        Symlink => {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            TreeEntry::Symlink(target.unwrap_or_default())
        }
        Link => {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            match target.as_deref().and_then(|t| safe_path(tree, label, t)) {
                Some(t) => TreeEntry::Hardlink(t),
                None => return Ok(()),
            }
        }
        Char | Block | Fifo => {
            note(
                tree,
                label,
                &path,
                "device or FIFO entry: listed, never opened",
            );
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
}

/// Reads what the checks need of a file: an ELF file's facts (from memory, or from a
/// temporary file for a large one), a configuration file's text, nothing of the rest.
fn read_content<R: Read>(path: &str, entry: &mut tar::Entry<'_, R>) -> io::Result<FileContent> {
    let size = entry.size();
    let mut magic = Vec::with_capacity(4);
    entry.by_ref().take(4).read_to_end(&mut magic)?;
    if has_elf_magic(&magic) {
        let facts = if size <= MAX_IN_MEMORY {
            let mut bytes = magic;
            bytes.reserve(size as usize);
            entry.read_to_end(&mut bytes)?;
            read_facts_guarded(&bytes)
        } else {
            let mut spill = tempfile::tempfile()?;
            spill.write_all(&magic)?;
            io::copy(entry, &mut spill)?;
            // SAFETY: a private temporary file nobody else writes.
            let map = unsafe { memmap2::Mmap::map(&spill)? };
            read_facts_guarded(&map)
        };
        return Ok(FileContent::Elf(
            facts.map(Arc::new).map_err(|e| e.to_string()),
        ));
    }
    if is_config(path) && size <= MAX_TEXT {
        let mut bytes = magic;
        entry.read_to_end(&mut bytes)?;
        return Ok(FileContent::Text(String::from_utf8_lossy(&bytes).into()));
    }
    Ok(FileContent::Other)
}
