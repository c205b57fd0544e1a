//! What a host is to the loader simulation: the `LibraryHost` trait (what is at a
//! path, a configuration file's text, a folder's names) and the answers it gives.
//! Resolution only talks to this trait; a root filesystem (`filesystem.rs`), an
//! image (`image/host.rs`) and a target profile (`profile::ProfileHost`) implement it.

use crate::elf::{ElfFacts, OtherBinary, VersionName};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An ELF object a host has at some path.
#[derive(Debug)]
pub struct HostObject {
    /// The path after resolving symbolic links: the file's identity. Two paths to one
    /// file are one object to the loader (glibc compares st_dev/st_ino,
    /// elf/dl-load.c `_dl_file_id_match_p`).
    pub real_path: String,
    pub facts: Arc<ElfFacts>,
    /// For a library a target profile describes rather than a file preflight read:
    /// the versions it provides. Such an object has no symbol table.
    pub described: Option<DescribedVersions>,
    /// (device, inode) of a file on disk: hard links to one file are one object.
    pub identity: Option<(u64, u64)>,
    /// Its symbols indexed for binding, built the first time a load needs them.
    symbol_index: std::sync::OnceLock<crate::elf::SymbolIndex>,
    /// Sets of objects that bound all its references in a load (resolve/binding.rs):
    /// a later load that holds one of these sets binds them all again.
    pub(crate) bound_by: Mutex<Vec<Box<[std::sync::Weak<HostObject>]>>>,
}

impl HostObject {
    pub fn new(
        real_path: String,
        facts: Arc<ElfFacts>,
        described: Option<DescribedVersions>,
        identity: Option<(u64, u64)>,
    ) -> Self {
        HostObject {
            real_path,
            facts,
            described,
            identity,
            symbol_index: std::sync::OnceLock::new(),
            bound_by: Mutex::new(Vec::new()),
        }
    }

    /// Its exports by name and the references it needs bound: built once per object,
    /// shared by every load that has the object in its scope.
    pub fn symbol_index(&self) -> &crate::elf::SymbolIndex {
        self.symbol_index
            .get_or_init(|| crate::elf::SymbolIndex::of(&self.facts))
    }
}

/// The symbol versions a described library provides: exact names, and for some
/// families everything up to a highest version (glibc's names have gaps, so "needs
/// GLIBC_2.30" is met by any glibc >= 2.30, not by a list lookup).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DescribedVersions {
    pub exact: Vec<VersionName>,
    /// Family → highest version numbers (`GLIBC` → [2, 31]).
    pub max: Vec<(String, Vec<u64>)>,
}

impl DescribedVersions {
    /// Some(true/false) when the description covers the version's family, None when
    /// it says nothing about it (a library listed without versions).
    pub fn provides(&self, version: &VersionName) -> Option<bool> {
        if self.exact.contains(version) {
            return Some(true);
        }
        let (family, numbers) = version.family_and_numbers();
        if let Some((_, max)) = self.max.iter().find(|(f, _)| f == family) {
            return Some(!numbers.is_empty() && numbers <= *max);
        }
        // A non-numeric name of a family the description bounds (GLIBC_ABI_DT_RELR,
        // CXXABI_FLOAT128) exists only where it is listed. GLIBC_PRIVATE is left to
        // the private-symbol rule.
        let name = version.as_str();
        if name != "GLIBC_PRIVATE"
            && self.max.iter().any(|(f, _)| {
                name.strip_prefix(f.as_str())
                    .is_some_and(|r| r.starts_with('_'))
            })
        {
            return Some(false);
        }
        let family_known = self
            .exact
            .iter()
            .any(|v| v.family_and_numbers().0 == family);
        family_known.then_some(false)
    }

    /// The newest version of `version`'s family it provides, for messages.
    pub fn newest_of_family(&self, version: &VersionName) -> Option<String> {
        let (family, _) = version.family_and_numbers();
        if let Some((f, max)) = self.max.iter().find(|(f, _)| f == family) {
            let dotted: Vec<String> = max.iter().map(u64::to_string).collect();
            return Some(format!("{f}_{}", dotted.join(".")));
        }
        self.exact
            .iter()
            .filter(|v| {
                let (f, n) = v.family_and_numbers();
                f == family && !n.is_empty()
            })
            .max()
            .map(|v| v.to_string())
    }
}

/// What the loader would meet when it tries to open a path.
#[derive(Clone, Debug)]
pub enum Probe {
    Found(Arc<HostObject>),
    Absent,
    /// A file that is not ELF: ld.so stops with "invalid ELF header".
    NotElf,
    /// Not ELF either, but a binary of another kind: an archive, a Mach-O or PE file.
    Other(Arc<OtherBinary>),
    /// A FIFO, device or folder under a library's name.
    NotRegular,
    /// A symbolic link loop.
    Loop,
    /// ELF magic, but malformed.
    Unreadable(String),
    /// It could not be read at all (permission denied, I/O error).
    Error(String),
}

/// What a probe found, in words, for messages that name the path before it
/// ("PATH: no such file"). Phase B: the scan's problems and `tree` print this instead
/// of the variant's name.
impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Probe::Found(_) => f.write_str("an ELF file"),
            Probe::Absent => f.write_str("no such file"),
            Probe::NotElf => f.write_str("not an ELF file"),
            Probe::Other(_) => f.write_str("not an ELF file (an archive, Mach-O or PE file)"),
            Probe::NotRegular => f.write_str("not a regular file (a folder, FIFO or device)"),
            Probe::Loop => f.write_str("a loop of symbolic links (or more than 40 in a row)"),
            Probe::Unreadable(reason) | Probe::Error(reason) => f.write_str(reason),
        }
    }
}

/// Answers already given, by path: a scan asks for the same candidate paths
/// thousands of times (every program looks for libc.so.6 in the same folders).
#[derive(Debug, Default)]
pub struct ProbeCache(Mutex<HashMap<String, Probe>>);

impl ProbeCache {
    /// The cached answer for `path`, or `probe()`'s, remembered. The lock is not held
    /// while probing, so two threads may probe one path at once; both get an answer.
    pub fn get_or(&self, path: &str, probe: impl FnOnce() -> Probe) -> Probe {
        if let Some(known) = self.0.lock().expect("probe cache lock").get(path) {
            return known.clone();
        }
        let answer = probe();
        self.0
            .lock()
            .expect("probe cache lock")
            .insert(path.to_string(), answer.clone());
        answer
    }
}

pub trait LibraryHost: Sync {
    /// What is at `path` (absolute, in the host's namespace).
    fn probe(&self, path: &str) -> Probe;
    /// The text of a small configuration file (`/etc/ld.so.conf`, musl's path file).
    fn read_config(&self, path: &str, limit: u64) -> Option<String>;
    /// The bytes of a small binary file the loader reads (`/etc/ld.so.cache`), at
    /// most `limit`; None when there is no such regular file.
    fn read_data(&self, _path: &str, _limit: u64) -> Option<Vec<u8>> {
        None
    }
    /// The names in a folder, sorted; empty when there is no such folder.
    fn list_dir(&self, path: &str) -> Vec<String>;
    fn is_dir(&self, path: &str) -> bool;
    /// For the report's header: which host the libraries came from.
    fn describe(&self) -> String;
}

/// A host that also holds the scanned files: it says which paths are the tree's (the
/// rest, with a target profile, is the profile's).
pub trait TreeHost: LibraryHost {
    fn covers(&self, path: &str) -> bool;

    /// A file the scan's own walk found at `disk_path`.
    fn probe_walked(&self, view_path: &str, _disk_path: &std::path::Path) -> Probe {
        self.probe(view_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_read_as_sentences() {
        assert_eq!(Probe::Absent.to_string(), "no such file");
        assert_eq!(
            Probe::Error("Permission denied (os error 13)".into()).to_string(),
            "Permission denied (os error 13)"
        );
        assert!(Probe::Loop.to_string().contains("symbolic links"));
    }

    #[test]
    fn described_versions_bound_their_families() {
        let d = DescribedVersions {
            exact: vec![VersionName::from("CXXABI_TM_1")],
            max: vec![
                ("GLIBC".into(), vec![2, 31]),
                ("CXXABI".into(), vec![1, 3, 12]),
            ],
        };
        let provides = |v: &str| d.provides(&VersionName::from(v));
        assert_eq!(provides("GLIBC_2.2.5"), Some(true));
        assert_eq!(provides("GLIBC_2.34"), Some(false));
        assert_eq!(provides("GLIBC_ABI_DT_RELR"), Some(false));
        assert_eq!(provides("CXXABI_TM_1"), Some(true));
        assert_eq!(provides("CXXABI_FLOAT128"), Some(false));
        assert_eq!(provides("GLIBC_PRIVATE"), None);
        assert_eq!(provides("OPENSSL_3.0.0"), None);
        assert_eq!(
            d.newest_of_family(&VersionName::from("GLIBC_2.34"))
                .as_deref(),
            Some("GLIBC_2.31")
        );
    }
}
