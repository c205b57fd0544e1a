//! Reading blobs (manifests, configs, layers) by name from an OCI layout folder or
//! from inside a tar archive, verifying each against its sha256 digest while reading.

use super::{invalid, ImageError};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub(crate) enum BlobStore {
    Folder(PathBuf),
    /// A tar file and where each member's bytes are: name → (offset, size).
    Archive {
        file: PathBuf,
        members: HashMap<String, (u64, u64)>,
    },
}

/// JSON documents (index, manifest, config) larger than this are refused.
const MAX_JSON: u64 = 16 << 20;

impl BlobStore {
    pub fn folder(path: &Path) -> BlobStore {
        BlobStore::Folder(path.to_path_buf())
    }

    /// Indexes the members of an archive by reading its headers only.
    pub fn archive(path: &Path) -> Result<BlobStore, ImageError> {
        let file = File::open(path)?;
        let mut archive = tar::Archive::new(file);
        let mut members = HashMap::new();
        let entries = archive.entries_with_seek().map_err(|e| {
            invalid(format!(
                "{}: not a readable tar archive: {e}",
                path.display()
            ))
        })?;
        for entry in entries {
            let entry = entry
                .map_err(|e| invalid(format!("{}: damaged tar archive: {e}", path.display())))?;
            let Ok(name) = entry.path() else { continue };
            let name = name.to_string_lossy().trim_start_matches("./").to_string();
            if name.split('/').any(|c| c == "..") {
                continue;
            }
            members.insert(name, (entry.raw_file_position(), entry.size()));
        }
        Ok(BlobStore::Archive {
            file: path.to_path_buf(),
            members,
        })
    }

    /// Opens a member (a path inside the layout or archive).
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send>, ImageError> {
        if name.split('/').any(|c| c == "..") || name.starts_with('/') {
            return Err(invalid(format!(
                "refusing blob name {name}: it leaves the image"
            )));
        }
        match self {
            BlobStore::Folder(dir) => {
                let path = dir.join(name);
                let file = File::open(&path).map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => {
                        invalid(format!("blob {name} is missing from the image"))
                    }
                    _ => ImageError::Io(e),
                })?;
                Ok(Box::new(file))
            }
            BlobStore::Archive { file, members } => {
                let (offset, size) = *members
                    .get(name)
                    .ok_or_else(|| invalid(format!("blob {name} is missing from the image")))?;
                let mut f = File::open(file)?;
                f.seek(SeekFrom::Start(offset))?;
                Ok(Box::new(f.take(size)))
            }
        }
    }

    /// Opens a member whose bytes must hash to `digest` ("sha256:…"): the reader
    /// fails at its end if they do not.
    pub fn open_verified(
        &self,
        name: &str,
        digest: Option<&str>,
    ) -> Result<Box<dyn Read + Send>, ImageError> {
        let inner = self.open(name)?;
        Ok(match digest {
            Some(d) => Box::new(Verifying::new(inner, d, name)?),
            None => inner,
        })
    }

    /// A small JSON document, verified when its digest is known.
    pub fn read_json(
        &self,
        name: &str,
        digest: Option<&str>,
    ) -> Result<serde_json::Value, ImageError> {
        let mut text = Vec::new();
        self.open_verified(name, digest)?
            .take(MAX_JSON + 1)
            .read_to_end(&mut text)
            .map_err(|e| invalid(format!("{name}: {e}")))?;
        if text.len() as u64 > MAX_JSON {
            return Err(invalid(format!("{name}: larger than {MAX_JSON} bytes")));
        }
        serde_json::from_slice(&text).map_err(|e| invalid(format!("{name}: invalid JSON: {e}")))
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
                "unsupported or malformed digest `{digest}` (only sha256 is read)"
            ))
        })?;
    Ok(format!("blobs/sha256/{hex}"))
}

/// Hashes what passes through; at the end of the data, compares with the expected
/// digest and turns a mismatch into an error naming the blob.
struct Verifying {
    inner: Box<dyn Read + Send>,
    hasher: Sha256,
    expected: String,
    name: String,
    done: bool,
}

impl Verifying {
    fn new(inner: Box<dyn Read + Send>, digest: &str, name: &str) -> Result<Self, ImageError> {
        blob_path(digest)?;
        Ok(Verifying {
            inner,
            hasher: Sha256::new(),
            expected: digest.trim_start_matches("sha256:").to_string(),
            name: name.to_string(),
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
