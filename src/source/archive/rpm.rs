//! An RPM package, read as a stream by a small bounded reader: the lead (96 bytes),
//! the signature header, the main header (whose NAME, VERSION, RELEASE and ARCH name
//! the package in findings), then the payload: a cpio archive (the "new ASCII"
//! format, `070701`/`070702`), compressed. The payload is installed at `/`.
//!
//! Not the `rpm` crate: its parser reads the whole package into memory (the payload
//! included) and brings signing and time crates along; preflight needs four strings
//! of the header and a stream of the payload. (rpm's own format: lib/header.c,
//! lib/rpmlead.c; cpio newc: cpio(5).)

use super::deb::read_full as fill;
use super::read::{peek, Metadata, Place, Reader};
use crate::source::image::{FileContent, TreeEntry};
use crate::text::excerpt;
use std::collections::HashMap;
use std::io::{self, Read};

const LEAD: usize = 96;
/// rpm's own limits (lib/header_internal.h: HEADER_TAGS_MAX, HEADER_DATA_MAX).
const MAX_TAGS: u32 = 0xffff;
const MAX_DATA: u32 = 256 << 20;

const NAME: u32 = 1000;
const VERSION: u32 = 1001;
const RELEASE: u32 = 1002;
const ARCH: u32 = 1022;

pub(crate) fn read_rpm(reader: &mut Reader, place: Place<'_>, mut stream: impl Read) {
    let header = (|| -> Result<HashMap<u32, String>, String> {
        let mut lead = [0u8; LEAD];
        if fill(&mut stream, &mut lead).map_err(|e| e.to_string())? < LEAD
            || lead[..4] != [0xed, 0xab, 0xee, 0xdb]
        {
            return Err("not an RPM package (no lead)".into());
        }
        // The signature header is padded to a multiple of 8 bytes.
        let signature = read_header(&mut stream)?;
        let padding = (8 - signature.len % 8) % 8;
        io::copy(&mut (&mut stream).take(padding as u64), &mut io::sink())
            .map_err(|e| e.to_string())?;
        Ok(read_header(&mut stream)?.strings)
    })();
    let strings = match header {
        Ok(strings) => strings,
        Err(e) => {
            reader.note(place.layer, place.at, format!("{e}: not read"));
            return;
        }
    };
    let part = |tag| strings.get(&tag).map(|v| excerpt(v, 100));
    let label = match (part(NAME), part(VERSION), part(RELEASE), part(ARCH)) {
        (Some(n), Some(v), Some(r), Some(a)) => format!("{n} {v}-{r} ({a})"),
        (Some(n), Some(v), _, _) => format!("{n} {v}"),
        (Some(n), ..) => n,
        _ => "an RPM package without a name".into(),
    };
    let text = [
        (NAME, "Name"),
        (VERSION, "Version"),
        (RELEASE, "Release"),
        (ARCH, "Arch"),
    ]
    .iter()
    .filter_map(|(tag, key)| strings.get(tag).map(|v| format!("{key}: {v}\n")))
    .collect();
    reader.metadata.push(Metadata {
        at: place.at.to_string(),
        name: "RPM header".into(),
        text,
    });
    let layer = reader.push_layer(label);
    let payload = Place {
        layer,
        rooted: true,
        ..place
    };
    read_payload(reader, payload, stream);
}

struct Header {
    /// Its size in bytes, past the 16-byte preamble.
    len: usize,
    /// Its string tags (type 6, STRING; the first of type 8/9 too).
    strings: HashMap<u32, String>,
}

fn read_header(stream: &mut impl Read) -> Result<Header, String> {
    let mut intro = [0u8; 16];
    if fill(stream, &mut intro).map_err(|e| e.to_string())? < 16 || intro[..3] != [0x8e, 0xad, 0xe8]
    {
        return Err("a malformed RPM header".into());
    }
    let be =
        |at: usize| u32::from_be_bytes([intro[at], intro[at + 1], intro[at + 2], intro[at + 3]]);
    let (tags, data) = (be(8), be(12));
    if tags > MAX_TAGS || data > MAX_DATA {
        return Err(format!(
            "an RPM header of {tags} tags and {data} bytes, more than rpm itself accepts"
        ));
    }
    let len = tags as usize * 16 + data as usize;
    let mut bytes = vec![0u8; len];
    if fill(stream, &mut bytes).map_err(|e| e.to_string())? < len {
        return Err("the package ends inside its header".into());
    }
    let (index, store) = bytes.split_at(tags as usize * 16);
    let mut strings = HashMap::new();
    for entry in index.chunks_exact(16) {
        let word = |at: usize| {
            u32::from_be_bytes([entry[at], entry[at + 1], entry[at + 2], entry[at + 3]])
        };
        let (tag, kind, offset) = (word(0), word(4), word(8) as usize);
        // STRING, STRING_ARRAY (its first), I18NSTRING (its first).
        if !matches!(kind, 6 | 8 | 9) {
            continue;
        }
        let Some(rest) = store.get(offset..) else {
            continue;
        };
        let end = memchr::memchr(0, rest).unwrap_or(rest.len());
        strings.insert(tag, String::from_utf8_lossy(&rest[..end]).into_owned());
    }
    Ok(Header {
        len: 16 + len,
        strings,
    })
}

/// The payload: a compressed cpio archive.
fn read_payload(reader: &mut Reader, place: Place<'_>, stream: impl Read) {
    let (head, stream) = match peek(stream, 512) {
        Ok(peeked) => peeked,
        Err(e) => {
            reader.note(
                place.layer,
                place.at,
                format!("its payload could not be read: {e}"),
            );
            return;
        }
    };
    let bounded = if head.starts_with(b"0707") {
        Box::new(stream) as Box<dyn Read + '_>
    } else {
        match reader.decoder(&head, stream) {
            Ok(decoded) => decoded,
            Err(e) => {
                let message = format!("its payload could not be read: {e}");
                reader.note(place.layer, place.at, message);
                return;
            }
        }
    };
    if let Err(e) = read_cpio(reader, place, bounded) {
        let message = format!(
            "reading its payload stopped here, the entries before were read: {}",
            excerpt(&e.to_string(), 300)
        );
        reader.note(place.layer, place.at, message);
    }
}

/// cpio's "new ASCII" format (cpio(5)): a 110-byte header of hexadecimal fields, the
/// name (padded to 4 bytes with the header), the data (padded to 4 bytes).
fn read_cpio(reader: &mut Reader, place: Place<'_>, mut stream: impl Read) -> io::Result<()> {
    let cut = |what: &str| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the payload ends inside {what}"),
        )
    };
    // Hard links: the data comes with the last name of an inode; the earlier names
    // (of size 0) take it then.
    let mut waiting: HashMap<u64, Vec<String>> = HashMap::new();
    loop {
        let mut header = [0u8; 110];
        if fill(&mut stream, &mut header)? < 110 {
            return Err(cut("a header"));
        }
        if !(header.starts_with(b"070701") || header.starts_with(b"070702")) {
            return Err(io::Error::other(
                "not a cpio archive of the new ASCII format (070701)",
            ));
        }
        let hex = |i: usize| -> io::Result<u64> {
            std::str::from_utf8(&header[6 + i * 8..14 + i * 8])
                .ok()
                .and_then(|s| u64::from_str_radix(s, 16).ok())
                .ok_or_else(|| io::Error::other("a cpio header field that is not hexadecimal"))
        };
        let (ino, mode, nlink, size, name_size) = (hex(0)?, hex(1)?, hex(4)?, hex(6)?, hex(11)?);
        if name_size > 4096 {
            return Err(io::Error::other("a cpio entry name longer than 4096 bytes"));
        }
        let mut name = vec![0u8; name_size as usize];
        if fill(&mut stream, &mut name)? < name.len() {
            return Err(cut("a name"));
        }
        skip(&mut stream, pad4(110 + name_size))?;
        let end = memchr::memchr(0, &name).unwrap_or(name.len());
        let name = String::from_utf8_lossy(&name[..end]).into_owned();
        if name == "TRAILER!!!" {
            return Ok(());
        }
        if !reader.count_entry(place) {
            return Ok(());
        }
        let mut data = (&mut stream).take(size);
        reader.cpio_entry(
            place,
            &name,
            mode,
            size,
            &mut data,
            ino,
            nlink,
            &mut waiting,
        )?;
        io::copy(&mut data, &mut io::sink())?;
        if data.limit() != 0 {
            return Err(cut("a file's data"));
        }
        skip(&mut stream, pad4(size))?;
    }
}

fn pad4(n: u64) -> u64 {
    (4 - n % 4) % 4
}

fn skip(stream: &mut impl Read, n: u64) -> io::Result<()> {
    let skipped = io::copy(&mut stream.take(n), &mut io::sink())?;
    if skipped < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the payload ends early",
        ));
    }
    Ok(())
}

impl Reader {
    #[allow(clippy::too_many_arguments)]
    fn cpio_entry(
        &mut self,
        place: Place<'_>,
        name: &str,
        mode: u64,
        size: u64,
        data: &mut dyn Read,
        ino: u64,
        nlink: u64,
        waiting: &mut HashMap<u64, Vec<String>>,
    ) -> io::Result<()> {
        let Some(path) = self.safe_path(place, name) else {
            return Ok(());
        };
        match mode & 0o170000 {
            0o040000 => self.insert(path, TreeEntry::Dir, place.layer),
            0o100000 => {
                if size == 0 && nlink > 1 {
                    waiting.entry(ino).or_default().push(path.clone());
                }
                self.add_file(place, path.clone(), size, data)?;
                if size > 0 && nlink > 1 {
                    let content = self.tree.get(&path).map(|n| n.entry.clone());
                    for other in waiting.remove(&ino).unwrap_or_default() {
                        let entry = content
                            .clone()
                            .unwrap_or(TreeEntry::File(FileContent::Other));
                        self.insert(other, entry, place.layer);
                    }
                }
            }
            0o120000 => {
                let mut target = Vec::new();
                data.take(4096).read_to_end(&mut target)?;
                self.add_symlink(place, path, &String::from_utf8_lossy(&target));
            }
            0o020000 | 0o060000 => self.add_special(place, path, false),
            0o010000 => self.add_special(place, path, true),
            _ => {}
        }
        Ok(())
    }
}
