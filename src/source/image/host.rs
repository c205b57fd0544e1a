//! A container image's merged tree as a library host: the image's own loader,
//! libraries and `/etc/ld.so.conf` are the host.

use super::{FileContent, Image, TreeEntry};
use crate::source::{
    resolve, HostObject, LibraryHost, LookupError, Node, Probe, ProbeCache, TreeHost,
};
use std::sync::Arc;

pub struct ImageHost {
    image: Image,
    /// Only paths below this are "the scanned tree" (`--path`).
    scanned: String,
    cache: ProbeCache,
}

impl ImageHost {
    pub fn new(image: Image, scanned: &str) -> Self {
        let scanned = if scanned.is_empty() {
            "/".into()
        } else {
            scanned.trim_end_matches('/').to_string()
        };
        ImageHost {
            image,
            scanned: if scanned.is_empty() {
                "/".into()
            } else {
                scanned
            },
            cache: ProbeCache::default(),
        }
    }

    pub fn image(&self) -> &Image {
        &self.image
    }

    fn canonicalize(&self, path: &str) -> Result<String, LookupError> {
        let tree = &self.image.tree;
        resolve(path, |current| {
            Ok(match tree.get(current).map(|n| &n.entry) {
                Some(TreeEntry::Dir) => Some(Node::Dir),
                Some(TreeEntry::Symlink(target)) => Some(Node::Link(target.clone())),
                Some(_) => Some(Node::Leaf),
                // Tar archives may leave out folder entries.
                None if current == "/" || tree.has_children(current) => Some(Node::Dir),
                None => None,
            })
        })
    }

    /// The content at a resolved path (a hard link is stored as what it links to).
    fn content(&self, real: &str) -> Result<(String, &TreeEntry), LookupError> {
        match self.image.tree.get(real).map(|n| &n.entry) {
            Some(entry) => Ok((real.to_string(), entry)),
            None if self.image.tree.has_children(real) => Ok((real.to_string(), &TreeEntry::Dir)),
            None => Err(LookupError::NotFound),
        }
    }

    fn probe_uncached(&self, path: &str) -> Probe {
        let real = match self.canonicalize(path) {
            Ok(real) => real,
            Err(LookupError::Loop) => return Probe::Loop,
            Err(_) => return Probe::Absent,
        };
        match self.content(&real) {
            Ok((_, TreeEntry::File(FileContent::Elf(Ok(facts))))) => {
                let identity = Some(identity(facts));
                Probe::Found(Arc::new(HostObject::new(
                    real,
                    facts.clone(),
                    None,
                    identity,
                )))
            }
            Ok((_, TreeEntry::File(FileContent::Elf(Err(reason))))) => {
                Probe::Unreadable(reason.clone())
            }
            Ok((_, TreeEntry::File(FileContent::Binary(Ok(other))))) => Probe::Other(other.clone()),
            Ok((_, TreeEntry::File(FileContent::Binary(Err(reason))))) => {
                Probe::Unreadable(reason.clone())
            }
            Ok((_, TreeEntry::File(_))) => Probe::NotElf,
            Ok(_) => Probe::NotRegular,
            Err(LookupError::Loop) => Probe::Loop,
            Err(_) => Probe::Absent,
        }
    }
}

/// An image file's identity, its (device, inode) as the scan and the loader compare
/// them: each file entry of a layer is read into facts of its own, and a hard link
/// shares the facts of the file it names (layers.rs), so the facts' address is the
/// inode. The device number no real file system has keeps it apart from disk files.
fn identity(facts: &Arc<crate::elf::ElfFacts>) -> (u64, u64) {
    (u64::MAX, Arc::as_ptr(facts) as usize as u64)
}

impl LibraryHost for ImageHost {
    fn probe(&self, path: &str) -> Probe {
        self.cache.get_or(path, || self.probe_uncached(path))
    }

    fn read_config(&self, path: &str, limit: u64) -> Option<String> {
        let real = self.canonicalize(path).ok()?;
        match self.content(&real).ok()? {
            (_, TreeEntry::File(FileContent::Text(text))) => {
                Some(text.chars().take(limit as usize).collect())
            }
            _ => None,
        }
    }

    fn read_data(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        let real = self.canonicalize(path).ok()?;
        match self.content(&real).ok()? {
            (_, TreeEntry::File(FileContent::Data(bytes))) => {
                Some(bytes.iter().take(limit as usize).copied().collect())
            }
            _ => None,
        }
    }

    fn list_dir(&self, path: &str) -> Vec<String> {
        self.canonicalize(path)
            .map(|real| self.image.tree.children(&real))
            .unwrap_or_default()
    }

    fn is_dir(&self, path: &str) -> bool {
        self.canonicalize(path)
            .is_ok_and(|real| matches!(self.content(&real), Ok((_, TreeEntry::Dir))))
    }

    fn describe(&self) -> String {
        format!("image {}", self.image.name)
    }
}

impl TreeHost for ImageHost {
    /// Whether `path` lies in the scanned part of the image (`--path`).
    fn covers(&self, path: &str) -> bool {
        self.scanned == "/"
            || path == self.scanned
            || path.starts_with(&format!("{}/", self.scanned))
    }
}
