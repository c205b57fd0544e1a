//! An archive's files as a host: its tree mounted at the archive's own path (as if
//! it were extracted there, so that its files' `$ORIGIN` is inside it), and around it
//! the host of a folder scan (`--root`, this machine's `/`) or nothing (targets).

use crate::source::{FilesystemHost, ImageHost, LibraryHost, Probe, TreeHost};

pub struct ArchiveHost<'a> {
    /// The archive's tree (paths below `mount`).
    pub(super) tree: &'a ImageHost,
    pub(super) mount: &'a str,
    /// The host around it; None for a target check (the profiles are the rest).
    pub(super) outside: Option<FilesystemHost>,
    pub(super) label: String,
}

impl ArchiveHost<'_> {
    fn inside(&self, path: &str) -> bool {
        path == self.mount
            || path
                .strip_prefix(self.mount)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

impl LibraryHost for ArchiveHost<'_> {
    fn probe(&self, path: &str) -> Probe {
        if self.inside(path) {
            return self.tree.probe(path);
        }
        match &self.outside {
            Some(host) => host.probe(path),
            None => Probe::Absent,
        }
    }

    fn read_config(&self, path: &str, limit: u64) -> Option<String> {
        if self.inside(path) {
            return self.tree.read_config(path, limit);
        }
        self.outside.as_ref()?.read_config(path, limit)
    }

    fn list_dir(&self, path: &str) -> Vec<String> {
        if self.inside(path) {
            return self.tree.list_dir(path);
        }
        self.outside
            .as_ref()
            .map(|h| h.list_dir(path))
            .unwrap_or_default()
    }

    fn is_dir(&self, path: &str) -> bool {
        if self.inside(path) {
            return self.tree.is_dir(path);
        }
        self.outside.as_ref().is_some_and(|h| h.is_dir(path))
    }

    fn describe(&self) -> String {
        match &self.outside {
            Some(host) => host.describe(),
            None => self.label.clone(),
        }
    }
}

impl TreeHost for ArchiveHost<'_> {
    fn covers(&self, path: &str) -> bool {
        self.inside(path)
    }
}
