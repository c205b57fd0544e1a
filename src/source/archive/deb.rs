//! A Debian package: an ar archive (deb(5)) of `debian-binary`, `control.tar.*` and
//! `data.tar.*`, read as a stream. The control file names the package (its findings
//! carry `Package Version Architecture`), the data tar is its payload, installed at
//! `/`: its absolute links point inside it.

use super::read::{peek, Metadata, Place, Reader};
use crate::text::excerpt;
use std::io::{self, Read};

/// ar's member header: name, mtime, uid, gid, mode, size, "`\n" (60 bytes).
const HEADER: usize = 60;

pub(crate) fn read_deb(reader: &mut Reader, place: Place<'_>, mut stream: impl Read) {
    let mut magic = [0u8; 8];
    if stream.read_exact(&mut magic).is_err() || &magic != b"!<arch>\n" {
        reader.note(
            place.layer,
            place.at,
            "not a Debian package (no ar header): not read",
        );
        return;
    }
    let mut layer = place.layer;
    let mut data_seen = false;
    loop {
        let mut header = [0u8; HEADER];
        match read_full(&mut stream, &mut header) {
            Ok(0) => break,
            Ok(HEADER) => {}
            Ok(_) => {
                reader.note(
                    layer,
                    place.at,
                    "the package ends inside an ar header: the rest was not read",
                );
                break;
            }
            Err(e) => {
                reader.note(layer, place.at, format!("could not be read: {e}"));
                break;
            }
        }
        if &header[58..60] != b"`\n" {
            reader.note(
                layer,
                place.at,
                "a malformed ar member header: the rest was not read",
            );
            break;
        }
        let name = String::from_utf8_lossy(&header[..16])
            .trim_end()
            .trim_end_matches('/')
            .to_string();
        let Some(size) = std::str::from_utf8(&header[48..58])
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
        else {
            reader.note(
                layer,
                place.at,
                "an ar member with no valid size: the rest was not read",
            );
            break;
        };
        let mut member = (&mut stream).take(size);
        if name.starts_with("control.tar") {
            if let Some(control) = control_file(reader, &mut member) {
                let label = package_label(&control);
                layer = reader.push_layer(label);
                reader.metadata.push(Metadata {
                    at: place.at.to_string(),
                    name: "DEBIAN/control".into(),
                    text: control,
                });
            }
        } else if name.starts_with("data.tar") && !data_seen {
            data_seen = true;
            let payload = Place {
                layer,
                rooted: true,
                ..place
            };
            reader.read_stream(payload, &mut member);
        }
        // What the member's reader left, and ar's padding to an even offset.
        let skipped = io::copy(&mut member, &mut io::sink()).and_then(|_| {
            if size % 2 == 1 {
                io::copy(&mut (&mut stream).take(1), &mut io::sink())?;
            }
            Ok(())
        });
        if let Err(e) = skipped {
            let message = format!("the package ends early: {}", excerpt(&e.to_string(), 200));
            reader.note(layer, place.at, message);
            break;
        }
    }
    if !data_seen {
        reader.note(
            layer,
            place.at,
            "a Debian package without data.tar: nothing to scan",
        );
    }
}

/// `./control` of a control tar (compressed or not).
fn control_file(reader: &Reader, member: &mut impl Read) -> Option<String> {
    let limit = reader.limits.metadata;
    let (head, stream) = peek(member, 512).ok()?;
    let decoded: Box<dyn Read + '_> = if super::sniff(&head) == Some(super::Format::Tar) {
        Box::new(stream)
    } else {
        reader.decoder(&head, stream).ok()?
    };
    // A control tar holds a handful of small files.
    let mut archive = tar::Archive::new(decoded.take(64 << 20));
    for entry in archive.entries().ok()?.take(1000) {
        let entry = entry.ok()?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if name.trim_start_matches("./") == "control" && entry.size() <= limit {
            let mut text = String::new();
            entry.take(limit).read_to_string(&mut text).ok()?;
            return Some(text);
        }
    }
    None
}

/// A control file's field (RFC 822 style, the first line only).
pub(crate) fn field<'t>(control: &'t str, name: &str) -> Option<&'t str> {
    control.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn package_label(control: &str) -> String {
    let part = |name| field(control, name).map(|v| excerpt(v, 100));
    match (part("Package"), part("Version"), part("Architecture")) {
        (Some(p), Some(v), Some(a)) => format!("{p} {v} ({a})"),
        (Some(p), Some(v), None) => format!("{p} {v}"),
        (Some(p), None, _) => p,
        _ => "a Debian package without a name".into(),
    }
}

/// Reads until `buf` is full or the stream ends: the count read.
pub(crate) fn read_full(stream: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
