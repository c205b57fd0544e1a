//! Reading blobs (manifests, configs, layers) by name from an OCI layout folder or
//! from inside a tar archive, verifying each against its sha256 digest while reading.
//!
//! Every name comes from the image. In a layout folder it is opened beneath the
//! folder, as a regular file only, following no symbolic link (`source::open_regular`):
//! a blob linked to a host file or to /dev/zero is refused, never read. In an archive,
//! only regular members are read, from the archive's own bytes. JSON documents are
//! read whole, up to a limit, and their digest is compared before they are parsed.

use super::{invalid, ImageError};
use crate::source::{open_folder, open_regular, read_capped, Limits, OpenError, Within};
use crate::text::excerpt;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) enum BlobStore {
    /// An OCI layout folder, open.
    Folder { path: PathBuf, handle: File },
    /// A tar file, open, and what each member is.
    Archive {
        path: PathBuf,
        file: Arc<File>,
        members: HashMap<String, Member>,
    },
}

/// A member of an archive, as its header describes it.
pub(crate) enum Member {
    /// A regular file: where its bytes are and how many.
    Data { offset: u64, size: u64 },
    /// A symbolic link, to a path relative to its own folder (`docker save` links a
    /// layer it already wrote: `../ID/layer.tar`).
    Symlink(String),
    /// A hard link, to another member's name.
    Hardlink(String),
    /// A folder, a device, a FIFO...
    Other,
}

/// Links followed from one member to another, at most.
const MAX_MEMBER_LINKS: usize = 8;

/// The member `name` is, following links between members of the archive (never out
/// of it: its own bytes are all that is read).
fn member<'a>(
    members: &'a HashMap<String, Member>,
    name: &str,
) -> Result<Option<&'a Member>, String> {
    let mut current = name.to_string();
    for _ in 0..=MAX_MEMBER_LINKS {
        let next = match members.get(&current) {
            Some(Member::Symlink(target)) if !target.starts_with('/') => {
                let folder = current.rsplit_once('/').map_or("", |(folder, _)| folder);
                format!("{folder}/{target}")
            }
            Some(Member::Symlink(target)) => {
                return Err(format!("a link to {}, outside the archive", shown(target)))
            }
            Some(Member::Hardlink(target)) => target.clone(),
            other => return Ok(other),
        };
        // Normalized within the archive: `..` may not climb out of it.
        let mut parts: Vec<&str> = Vec::new();
        for part in next.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(format!(
                            "a link that leads out of the archive ({})",
                            shown(&next)
                        ));
                    }
                }
                part => parts.push(part),
            }
        }
        current = parts.join("/");
    }
    Err(format!(
        "links between members chained more than {MAX_MEMBER_LINKS} deep"
    ))
}

/// JSON documents (index, manifest, config) larger than this are refused. The largest
/// real ones are multi-platform indexes of a few dozen KiB.
pub(crate) const MAX_JSON: u64 = 16 << 20;

/// How an untrusted name is quoted in a message.
fn shown(name: &str) -> String {
    excerpt(name, 120)
}

impl BlobStore {
    /// Opens an OCI layout folder (a path the user gave: a link to it is followed).
    pub fn folder(path: &Path) -> Result<BlobStore, ImageError> {
        let handle = open_folder(path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        Ok(BlobStore::Folder {
            path: path.to_path_buf(),
            handle,
        })
    }

    /// Indexes the members of an archive by reading its headers only.
    pub fn archive(path: &Path) -> Result<BlobStore, ImageError> {
        let file = open_regular(Within::Anywhere, path, Limits::UNLIMITED)
            .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        let file = Arc::new(file);
        let mut archive = tar::Archive::new(Region::whole(file.clone()));
        let mut members = HashMap::new();
        let damaged = |e: io::Error| {
            invalid(format!(
                "{}: damaged tar archive: {}",
                path.display(),
                excerpt(&e.to_string(), 160)
            ))
        };
        let entries = archive.entries_with_seek().map_err(damaged)?;
        for entry in entries {
            let entry = entry.map_err(damaged)?;
            let Ok(name) = entry.path() else { continue };
            let name = name.to_string_lossy().trim_start_matches("./").to_string();
            if name.split('/').any(|c| c == "..") {
                continue;
            }
            use tar::EntryType::*;
            let member = match entry.header().entry_type() {
                Regular | Continuous => Member::Data {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                },
                kind @ (Symlink | Link) => {
                    let target = entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    if kind == Symlink {
                        Member::Symlink(target)
                    } else {
                        Member::Hardlink(target.trim_start_matches("./").to_string())
                    }
                }
                _ => Member::Other,
            };
            members.insert(name, member);
        }
        Ok(BlobStore::Archive {
            path: path.to_path_buf(),
            file,
            members,
        })
    }

    /// Opens a member (a path inside the layout or archive) no larger than `limit`.
    fn open(&self, name: &str, limit: u64) -> Result<Box<dyn Read + Send>, ImageError> {
        if name.split('/').any(|c| c == "..") || name.starts_with('/') {
            return Err(invalid(format!(
                "refusing blob name {}: it leaves the image",
                shown(name)
            )));
        }
        let too_large = |size: u64| {
            invalid(format!(
                "{}: {}",
                shown(name),
                OpenError::TooLarge { size, limit }
            ))
        };
        match self {
            BlobStore::Folder { path, handle } => {
                let file = open_regular(
                    Within::BeneathHandle(handle.as_fd()),
                    Path::new(name),
                    Limits::bytes(limit),
                )
                .map_err(|e| match e {
                    OpenError::Io(e) if e.kind() == io::ErrorKind::NotFound => {
                        invalid(format!("blob {} is missing from the image", shown(name)))
                    }
                    OpenError::TooLarge { size, .. } => too_large(size),
                    e => invalid(format!(
                        "{} in the layout {}: {e}",
                        shown(name),
                        path.display()
                    )),
                })?;
                Ok(Box::new(file))
            }
            BlobStore::Archive {
                path,
                file,
                members,
            } => match member(members, name) {
                Ok(Some(&Member::Data { size, .. })) if size > limit => Err(too_large(size)),
                Ok(Some(&Member::Data { offset, size })) => Ok(Box::new(Region {
                    file: file.clone(),
                    at: offset,
                    end: offset.saturating_add(size),
                })),
                Err(why) => Err(invalid(format!(
                    "{} in the archive {}: {why}",
                    shown(name),
                    path.display()
                ))),
                Ok(Some(_)) => Err(invalid(format!(
                    "{} in the archive {} is not a regular file",
                    shown(name),
                    path.display()
                ))),
                Ok(None) => Err(invalid(format!(
                    "blob {} is missing from the image",
                    shown(name)
                ))),
            },
        }
    }

    /// Opens a member whose bytes must hash to `digest` ("sha256:…"): the reader
    /// fails at its end if they do not.
    pub fn open_verified(
        &self,
        name: &str,
        digest: Option<&str>,
    ) -> Result<Box<dyn Read + Send>, ImageError> {
        let inner = self.open(name, u64::MAX)?;
        Ok(match digest {
            Some(d) => Box::new(Verifying::new(inner, d, name)?),
            None => inner,
        })
    }

    /// A small JSON document: read whole (up to `MAX_JSON`), its digest compared when
    /// it is known, and only then parsed.
    pub fn read_json(
        &self,
        name: &str,
        digest: Option<&str>,
    ) -> Result<serde_json::Value, ImageError> {
        let reader = self.open(name, MAX_JSON)?;
        let reader: Box<dyn Read + Send> = match digest {
            Some(d) => Box::new(Verifying::new(reader, d, name)?),
            None => reader,
        };
        let text =
            read_capped(reader, MAX_JSON).map_err(|e| invalid(format!("{}: {e}", shown(name))))?;
        serde_json::from_slice(&text).map_err(|e| {
            invalid(format!(
                "{}: invalid JSON: {}",
                shown(name),
                excerpt(&e.to_string(), 160)
            ))
        })
    }
}

/// Bytes `at..end` of a file, read with `pread`: members of one archive are read one
/// after the other, each from its own position.
struct Region {
    file: Arc<File>,
    at: u64,
    end: u64,
}

impl Region {
    fn whole(file: Arc<File>) -> Region {
        Region {
            file,
            at: 0,
            end: u64::MAX,
        }
    }
}

impl Read for Region {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.end.saturating_sub(self.at);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

impl io::Seek for Region {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let base = match to {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::Current(d) => self.at.checked_add_signed(d),
            io::SeekFrom::End(d) => self.file.metadata()?.len().checked_add_signed(d),
        };
        self.at = base.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad seek"))?;
        Ok(self.at)
    }
}

/// `sha256:HEX` → the blob's path in an OCI layout, refusing anything else (a digest is
/// data from the image, and must not name a path of its choice).
pub(crate) fn blob_path(digest: &str) -> Result<String, ImageError> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        })
        .ok_or_else(|| {
            invalid(format!(
                "unsupported or malformed digest `{}` (only sha256 is read)",
                excerpt(digest, 80)
            ))
        })?;
    Ok(format!("blobs/sha256/{hex}"))
}

/// Hashes what passes through; at the end of the data, compares with the expected
/// digest and turns a mismatch into an error naming the blob.
pub(crate) struct Verifying {
    inner: Box<dyn Read + Send>,
    hasher: Sha256,
    expected: String,
    name: String,
    done: bool,
}

impl Verifying {
    pub(crate) fn new(
        inner: Box<dyn Read + Send>,
        digest: &str,
        name: &str,
    ) -> Result<Self, ImageError> {
        blob_path(digest)?;
        Ok(Verifying {
            inner,
            hasher: Sha256::new(),
            expected: digest.trim_start_matches("sha256:").to_string(),
            name: shown(name),
            done: false,
        })
    }
}

impl Read for Verifying {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        if n == 0 && !buf.is_empty() && !self.done {
            self.done = true;
            let actual: String = std::mem::take(&mut self.hasher)
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            if actual != self.expected {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "blob {} does not match its digest: sha256:{} expected, sha256:{actual} read",
                        self.name, self.expected
                    ),
                ));
            }
        }
        Ok(n)
    }
}
