//! Where host libraries come from: a root filesystem today, a described host (a
//! target profile) later. Resolution only talks to this trait.

use crate::elf::{read_facts_guarded, ElfError, ElfFacts};
use crate::source::{LookupError, RootView};
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
}

/// What the loader would meet when it tries to open a path.
#[derive(Clone, Debug)]
pub enum Probe {
    Found(Arc<HostObject>),
    Absent,
    /// A file that is not ELF: ld.so stops with "invalid ELF header".
    NotElf,
    /// A FIFO, device or folder under a library's name.
    NotRegular,
    /// A symbolic link loop.
    Loop,
    /// ELF magic, but malformed.
    Unreadable(String),
    /// It could not be read at all (permission denied, I/O error).
    Error(String),
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

/// A root filesystem (a folder, or `/` itself) as a library host. Each file's facts
/// are read once however many objects need it.
pub struct FilesystemHost {
    view: RootView,
    label: String,
    probes: Mutex<HashMap<String, Probe>>,
    objects: Mutex<HashMap<String, Probe>>,
}

impl FilesystemHost {
    pub fn new(view: RootView, label: impl Into<String>) -> Self {
        FilesystemHost {
            view,
            label: label.into(),
            probes: Mutex::new(HashMap::new()),
            objects: Mutex::new(HashMap::new()),
        }
    }

    pub fn view(&self) -> &RootView {
        &self.view
    }

    fn probe_uncached(&self, path: &str) -> Probe {
        let real = match self.view.canonicalize(path) {
            Ok(real) => real,
            Err(err) => return lookup_probe(err),
        };
        if let Some(known) = self.objects.lock().expect("cache lock").get(&real) {
            return known.clone();
        }
        let probe = match self.view.open_elf(&real) {
            Err(err) => lookup_probe(err),
            Ok((_, None)) => Probe::NotElf,
            Ok((real_path, Some(bytes))) => match read_facts_guarded(&bytes) {
                Ok(facts) => Probe::Found(Arc::new(HostObject {
                    real_path,
                    facts: Arc::new(facts),
                })),
                Err(ElfError::NotElf) => Probe::NotElf,
                Err(ElfError::Malformed(reason)) => Probe::Unreadable(reason),
            },
        };
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
        if let Some(known) = self.probes.lock().expect("cache lock").get(path) {
            return known.clone();
        }
        let probe = self.probe_uncached(path);
        self.probes
            .lock()
            .expect("cache lock")
            .insert(path.to_string(), probe.clone());
        probe
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
