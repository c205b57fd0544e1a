//! An AppImage (type 2): an ELF runtime with `AI\x02` at offset 8 of its
//! identification, followed by a squashfs image of the application's folder (the
//! AppImage specification; the runtime finds the image where its ELF file ends: its
//! section header table's end). The runtime is checked as a file of its own,
//! `[runtime]`; the payload is read with `backhand` into the tree, its files checked
//! as a tree (`usr/bin/app` finding `usr/lib/libx.so` through `$ORIGIN/../lib`).

use super::read::{Place, Reader};
use crate::source::image::{read_content, FileContent, TreeEntry};
use crate::text::excerpt;
use backhand::{FilesystemReader, InnerNode};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// The name the runtime is reported under.
pub const RUNTIME: &str = "[runtime]";

/// Whether the first bytes are those of a type 2 AppImage.
pub fn is_appimage(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF") && head.get(8..11) == Some(b"AI\x02")
}

/// Where the ELF file that starts `head` ends: its section header table's end.
fn elf_end(head: &[u8]) -> Option<u64> {
    let little = *head.get(5)? == 1;
    let number = |at: usize, len: usize| -> Option<u64> {
        let bytes = head.get(at..at + len)?;
        let mut value = 0u64;
        for i in 0..len {
            let byte = if little { bytes[len - 1 - i] } else { bytes[i] };
            value = (value << 8) | u64::from(byte);
        }
        Some(value)
    };
    let (shoff, shentsize, shnum) = match head.get(4)? {
        1 => (number(0x20, 4)?, number(0x2e, 2)?, number(0x30, 2)?),
        2 => (number(0x28, 8)?, number(0x3a, 2)?, number(0x3c, 2)?),
        _ => return None,
    };
    shoff.checked_add(shentsize.checked_mul(shnum)?)
}

pub(crate) fn read_appimage(reader: &mut Reader, place: Place<'_>, mut file: File) {
    let mut head = Vec::with_capacity(64);
    if (&mut file).take(64).read_to_end(&mut head).is_err() {
        reader.note(place.layer, place.at, "could not be read");
        return;
    }
    let Some(offset) = elf_end(&head) else {
        reader.note(
            place.layer,
            place.at,
            "an AppImage whose runtime has no section header table: its payload was not found",
        );
        return;
    };
    // The runtime, as a file of its own.
    let runtime = format!("{}/{RUNTIME}", place.at);
    let read_runtime = file.rewind().and_then(|_| {
        let mut limited = (&mut file).take(offset);
        read_content(&runtime, &mut limited, offset, &mut reader.tree.spill)
    });
    match read_runtime {
        Ok(content) => reader.insert(runtime, TreeEntry::File(content), place.layer),
        Err(e) => reader.note(
            place.layer,
            place.at,
            format!("its runtime could not be read: {e}"),
        ),
    }
    let mut magic = [0u8; 4];
    let found = file
        .seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut magic))
        .is_ok()
        && &magic == b"hsqs";
    if !found {
        let message = format!(
            "no squashfs image where its runtime ends (offset {offset}): its payload was not read"
        );
        reader.note(place.layer, place.at, message);
        return;
    }
    let squashfs = match FilesystemReader::from_reader_with_offset(BufReader::new(file), offset) {
        Ok(squashfs) => squashfs,
        Err(e) => {
            let message = format!(
                "its squashfs payload could not be read: {}",
                excerpt(&e.to_string(), 200)
            );
            reader.note(place.layer, place.at, message);
            return;
        }
    };
    let payload = Place {
        rooted: false,
        ..place
    };
    for node in squashfs.files() {
        let name = node.fullpath.to_string_lossy().into_owned();
        if name == "/" {
            continue;
        }
        if !reader.count_entry(payload) {
            return;
        }
        let Some(path) = reader.safe_path(payload, name.trim_start_matches('/')) else {
            continue;
        };
        match &node.inner {
            InnerNode::Dir(_) => reader.insert(path, TreeEntry::Dir, payload.layer),
            InnerNode::File(entry) => {
                let size = entry.file_len() as u64;
                let mut data = squashfs.file(entry).reader();
                if let Err(e) = reader.add_file(payload, path.clone(), size, &mut data) {
                    let message = format!("could not be read: {}", excerpt(&e.to_string(), 200));
                    reader.note(payload.layer, &path, message);
                    reader.insert(path, TreeEntry::File(FileContent::Other), payload.layer);
                }
            }
            InnerNode::Symlink(link) => {
                let target = link.link.to_string_lossy().into_owned();
                reader.add_symlink(payload, path, &target);
            }
            InnerNode::CharacterDevice(_) | InnerNode::BlockDevice(_) => {
                reader.add_special(payload, path, false)
            }
            InnerNode::NamedPipe => reader.add_special(payload, path, true),
            InnerNode::Socket => {}
        }
    }
}
