//! Where host libraries come from: a root filesystem today, a described host (a
//! target profile) later. Resolution only talks to this trait.

use super::identical::IdenticalFacts;
use super::{FileBytes, LookupError, RootView};
use crate::elf::{read_binary, Binary, Detail, ElfFacts, OtherBinary, VersionName};
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

impl TreeHost for FilesystemHost {
    fn covers(&self, path: &str) -> bool {
        self.view.covers(path)
    }

    /// A walked file is opened by its disk path: the walk followed no link, so its
    /// path inside the view is already its real path, and resolving it component by
    /// component again would cost a system call per component.
    fn probe_walked(&self, view_path: &str, disk_path: &std::path::Path) -> Probe {
        let opened = super::read_elf_bytes(disk_path).map_err(LookupError::from);
        // Most walked files are not ELF; nothing asks for them again, so they are not
        // remembered (a scan of /usr would keep 100,000 paths for nothing).
        if let Ok(None) = opened {
            return Probe::NotElf;
        }
        self.object_at(view_path.to_string(), opened)
    }
}

/// A root filesystem (a folder, or `/` itself) as a library host. Each file's facts
/// are read once however many objects need it.
pub struct FilesystemHost {
    view: RootView,
    label: String,
    probes: ProbeCache,
    objects: Mutex<HashMap<String, Probe>>,
    by_identity: Mutex<HashMap<(u64, u64), Probe>>,
    /// Facts equal to those of a file read before (a copy) are that file's.
    identical: IdenticalFacts,
    detail: Detail,
}

impl FilesystemHost {
    pub fn new(view: RootView, label: impl Into<String>) -> Self {
        FilesystemHost {
            view,
            label: label.into(),
            probes: ProbeCache::default(),
            objects: Mutex::new(HashMap::new()),
            by_identity: Mutex::new(HashMap::new()),
            identical: IdenticalFacts::default(),
            detail: Detail::Full,
        }
    }

    /// Reads files with less detail (no symbol tables): a dependency tree does not
    /// bind symbols, and reading them is most of its cost.
    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = detail;
        self
    }

    pub fn view(&self) -> &RootView {
        &self.view
    }

    fn probe_uncached(&self, path: &str) -> Probe {
        let real = match self.view.canonicalize(path) {
            Ok(real) => real,
            Err(err) => return lookup_probe(err),
        };
        let opened = self.view.open_resolved_elf(&real);
        self.object_at(real, opened)
    }

    /// The object at `real` (a path with no link left in it), read once: later probes
    /// of the same file, under any name, share it.
    fn object_at(&self, real: String, opened: Result<Option<FileBytes>, LookupError>) -> Probe {
        if let Some(known) = self.objects.lock().expect("cache lock").get(&real) {
            return known.clone();
        }
        // Another name for a file already read (a hard link): the same object.
        if let Ok(Some(bytes)) = &opened {
            if let Some(known) = self
                .by_identity
                .lock()
                .expect("cache lock")
                .get(&bytes.identity)
            {
                return known.clone();
            }
        }
        let probe = match opened {
            Err(err) => lookup_probe(err),
            Ok(None) => Probe::NotElf,
            Ok(Some(bytes)) => match read_binary(&bytes, self.detail) {
                Binary::Elf(facts) => Probe::Found(Arc::new(HostObject::new(
                    real.clone(),
                    self.identical.share(*facts),
                    None,
                    Some(bytes.identity),
                ))),
                Binary::Other(other) => Probe::Other(Arc::from(other)),
                Binary::NotBinary => Probe::NotElf,
                Binary::Unreadable(reason) => Probe::Unreadable(reason),
            },
        };
        if let Probe::Found(object) = &probe {
            if let Some(identity) = object.identity {
                self.by_identity
                    .lock()
                    .expect("cache lock")
                    .insert(identity, probe.clone());
            }
        }
        self.objects
            .lock()
            .expect("cache lock")
            .insert(real, probe.clone());
        probe
    }
}

fn lookup_probe(err: LookupError) -> Probe {
    match err {
        LookupError::NotFound => Probe::Absent,
        LookupError::Loop => Probe::Loop,
        LookupError::NotRegular => Probe::NotRegular,
        LookupError::Io(e) => Probe::Error(e.to_string()),
    }
}

impl LibraryHost for FilesystemHost {
    fn probe(&self, path: &str) -> Probe {
        self.probes.get_or(path, || self.probe_uncached(path))
    }

    fn read_config(&self, path: &str, limit: u64) -> Option<String> {
        self.view.read_text(path, limit).ok()
    }

    fn list_dir(&self, path: &str) -> Vec<String> {
        self.view.list_dir(path).unwrap_or_default()
    }

    fn is_dir(&self, path: &str) -> bool {
        self.view.is_dir(path).unwrap_or(false)
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
