//! An archive's files as a host. A plain archive's tree is mounted at the archive's
//! own path (as if it were extracted there, so that its files' `$ORIGIN` is inside
//! it); a package's payload (.deb, .rpm) is installed at `/`, over the host. Around it
//! is the host of a folder scan (`--root`, this machine's `/`), or nothing for a target
//! check (the profiles are the rest).

use crate::source::{FilesystemHost, ImageHost, LibraryHost, Probe, TreeHost};

pub struct ArchiveHost<'a> {
    /// The archive's tree (paths below `mount`).
    pub(super) tree: &'a ImageHost,
    /// Where the tree is: the archive's path, or "" for a package installed at `/`.
    pub(super) mount: &'a str,
    /// The host around it; None for a target check.
    pub(super) outside: Option<FilesystemHost>,
    pub(super) label: String,
}

impl ArchiveHost<'_> {
    fn rooted(&self) -> bool {
        self.mount.is_empty()
    }

    /// Whether the tree answers for `path`: below the archive's path, or (installed at
    /// `/`) a path the package has.
    fn inside(&self, path: &str) -> bool {
        if self.rooted() {
            // Resolved in the package (`..`, its links), whatever the path's kind.
            return self.tree.is_dir(path) || !matches!(self.tree.probe(path), Probe::Absent);
        }
        path == self.mount
            || path
                .strip_prefix(self.mount)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

impl LibraryHost for ArchiveHost<'_> {
    fn probe(&self, path: &str) -> Probe {
        if self.inside(path) {
            let probe = self.tree.probe(path);
            // A package's link to a file it does not ship (another package's) is
            // followed on the host it is installed on.
            if !(self.rooted() && matches!(probe, Probe::Absent)) {
                return probe;
            }
        }
        match &self.outside {
            Some(host) => host.probe(path),
            None => Probe::Absent,
        }
    }

    fn read_config(&self, path: &str, limit: u64) -> Option<String> {
        if self.inside(path) {
            if let Some(text) = self.tree.read_config(path, limit) {
                return Some(text);
            }
        }
        self.outside.as_ref()?.read_config(path, limit)
    }

    fn read_data(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        // Installing a package runs ldconfig (dpkg's trigger, rpm's %post): the cache
        // the host has now does not know the package's libraries yet, the one after
        // the install will. None: the cache ldconfig would write is emulated.
        if self.rooted() {
            return None;
        }
        if self.inside(path) {
            if let Some(bytes) = self.tree.read_data(path, limit) {
                return Some(bytes);
            }
        }
        self.outside.as_ref()?.read_data(path, limit)
    }

    fn list_dir(&self, path: &str) -> Vec<String> {
        let mut names = if self.inside(path) {
            self.tree.list_dir(path)
        } else {
            Vec::new()
        };
        if self.rooted() || !self.inside(path) {
            if let Some(host) = &self.outside {
                names.extend(host.list_dir(path));
            }
        }
        names.sort();
        names.dedup();
        names
    }

    fn is_dir(&self, path: &str) -> bool {
        (self.inside(path) && self.tree.is_dir(path))
            || ((self.rooted() || !self.inside(path))
                && self.outside.as_ref().is_some_and(|h| h.is_dir(path)))
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
