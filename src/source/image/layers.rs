//! Applying one layer (a tar stream, gzip or zstd compressed or not) onto the merged
//! tree, as OCI image-spec layer.md describes: `.wh.NAME` deletes NAME from the layers
//! below, `.wh..wh..opq` empties its folder of what the layers below put there, a
//! later entry replaces an earlier one, a non-folder replaces a whole folder.

use super::content::read_content;
use super::decompress::{Counted, CountedShared, Decoder, Expansion, FirstError};
use super::pipeline::{Pipe, Sizes};
use super::tree::{ImageNote, MergedTree, TreeEntry, TreeNode};
use super::{invalid, ImageError};
use crate::text::excerpt;
use std::io::{self, BufReader, Read};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

/// A layer is decompressed on a thread of its own (`pipeline`), which also reads and
/// hashes the blob (a thread of its own for that was measured: it shortened nothing),
/// while this one walks the tar and reads the ELF files. The decompressed bytes are
/// handed over in chunks of 256 KiB, at most 8 waiting (2 MiB in flight: room for the
/// decompression to go on while a large ELF file is parsed).
const DECOMPRESSED: Sizes = Sizes {
    chunk: 256 << 10,
    depth: 8,
};

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
    let raw = BufReader::with_capacity(1 << 16, raw);
    let decoder = Decoder::new(raw).map_err(layer_error)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::image::FileContent;

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
