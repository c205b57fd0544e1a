//! A root filesystem on disk (a folder, or `/` itself) as a host: the loader's view
//! of it through a `RootView`, each file's facts read once.

use super::host::{HostObject, LibraryHost, Probe, ProbeCache, TreeHost};
use super::identical::IdenticalFacts;
use super::in_root::InRoot;
use super::{FileBytes, LookupError, RootView};
use crate::elf::{read_binary, read_loader_facts, Binary, Detail};
use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

impl TreeHost for FilesystemHost {
    fn covers(&self, path: &str) -> bool {
        self.view.covers(path)
    }

    /// A walked file is opened by its disk path: the walk followed no link, so its
    /// path inside the view is already its real path, and resolving it component by
    /// component again would cost a system call per component.
    fn probe_walked(&self, view_path: &str, disk_path: &std::path::Path) -> Probe {
        let opened = super::read_regular_elf_bytes(disk_path).map_err(LookupError::from);
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

    fn probe_uncached(&self, path: &str) -> Probe {
        if self.detail == Detail::Links {
            return self.probe_lean(path);
        }
        let real = match self.view.canonicalize(path) {
            Ok(real) => real,
            Err(err) => return lookup_probe(err),
        };
        let opened = self.view.open_resolved_elf(&real);
        self.object_at(real, opened)
    }

    /// A dependency tree's way, the loader's: one `openat2` inside the root for the
    /// path (the component walk where the kernel cannot, see `in_root`), then a few
    /// `pread`s of the file (`elf::read_loader_facts`). A file the lean reader does
    /// not take, and any error, is left to the full reader, as before.
    fn probe_lean(&self, path: &str) -> Probe {
        let (opened, prefix) = self.view.open_in_root(path);
        let kernel = match opened {
            InRoot::Absent => return Probe::Absent,
            InRoot::NotRegular => return Probe::NotRegular,
            InRoot::Walk => None,
            InRoot::File {
                file,
                identity,
                len,
            } => {
                // A file already read, under this name or another (a hard link).
                if let Some(known) = self.known(None, identity) {
                    return known;
                }
                file.real_path(prefix)
                    .map(|real| (real, file, identity, len))
            }
        };
        let (real, file, identity, len) = match kernel {
            Some((real, file, identity, len)) => {
                if let Some(known) = self.known(Some(&real), identity) {
                    return known;
                }
                match file.reopen() {
                    Ok(file) => (real, file, identity, len),
                    Err(_) => return self.read_in_full(real),
                }
            }
            None => {
                let real = match self.view.canonicalize(path) {
                    Ok(real) => real,
                    Err(err) => return lookup_probe(err),
                };
                match self.view.open_resolved_file(&real) {
                    Some((file, identity, len)) => {
                        if let Some(known) = self.known(Some(&real), identity) {
                            return known;
                        }
                        (real, file, identity, len)
                    }
                    None => return self.read_in_full(real),
                }
            }
        };
        let Some(facts) = read_loader_facts(&file, len) else {
            return self.read_in_full(real);
        };
        let probe = Probe::Found(Arc::new(HostObject::new(
            real.clone(),
            self.identical.share(facts),
            None,
            Some(identity),
        )));
        self.remember(real, probe)
    }

    /// What was read before at `real`, or of the file `identity` under another name.
    fn known(&self, real: Option<&str>, identity: impl Into<Option<(u64, u64)>>) -> Option<Probe> {
        if let Some(known) =
            real.and_then(|r| self.objects.lock().expect("cache lock").get(r).cloned())
        {
            return Some(known);
        }
        let identity = identity.into()?;
        self.by_identity
            .lock()
            .expect("cache lock")
            .get(&identity)
            .cloned()
    }

    /// `probe`, kept as what is at `real` and, for an object, as what its file is under
    /// any other name.
    fn remember(&self, real: String, probe: Probe) -> Probe {
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

    /// `real` read by the full reader, its errors named as always.
    fn read_in_full(&self, real: String) -> Probe {
        let opened = self.view.open_resolved_elf(&real);
        self.object_at(real, opened)
    }

    /// The object at `real` (a path with no link left in it), read once: later probes
    /// of the same file, under any name, share it.
    fn object_at(&self, real: String, opened: Result<Option<FileBytes>, LookupError>) -> Probe {
        // Read before, or another name for a file already read (a hard link): the
        // same object.
        let identity = opened
            .as_ref()
            .ok()
            .and_then(|b| b.as_ref())
            .map(|b| b.identity);
        if let Some(known) = self.known(Some(&real), identity) {
            return known;
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
        self.remember(real, probe)
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

    fn read_data(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        self.view.read_bytes(path, limit).ok()
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

/// A host view for checking `paths`: `root` (or `/`) with every path that lies
/// outside it mounted at its own absolute location. Returns each path's location
/// inside the view.
pub fn open_host(
    root: Option<&Path>,
    paths: &[&Path],
) -> io::Result<(FilesystemHost, Vec<String>)> {
    // Errors name the path they are about (io::Error alone does not).
    let named = |what: &str, path: &Path, e: io::Error| {
        let shown = match path.as_os_str().is_empty() {
            true => "\"\" (an empty path)".to_string(),
            false => crate::text::escape(&path.display().to_string()).into_owned(),
        };
        io::Error::new(e.kind(), format!("{what}{shown}: {e}"))
    };
    let root_path = root.unwrap_or(Path::new("/"));
    let mut view = RootView::new(root_path).map_err(|e| named("the root ", root_path, e))?;
    let mut located = Vec::new();
    let mut real = RealPaths::default();
    for path in paths {
        let at = match real.of(path).ok().and_then(|p| view.view_path_of_real(&p)) {
            Some(at) => at,
            None => mount_at_own_path(&mut view, path).map_err(|e| named("", path, e))?,
        };
        located.push(at);
    }
    let label = match root {
        Some(r) => format!("root {}", r.display()),
        None => "this machine (/)".to_string(),
    };
    Ok((FilesystemHost::new(view, label), located))
}

/// `fs::canonicalize` for many paths in a few folders (a tree of 50 programs of
/// /usr/bin): realpath reads every component's link (three `readlink`s per path), so
/// each folder is resolved once and a file that is not a link, named plainly after
/// it, is that folder's. Anything else (a link, a trailing '/' or '.', which make
/// the last component resolve, a bare name) goes to `fs::canonicalize` itself.
#[derive(Default)]
struct RealPaths {
    folders: HashMap<std::path::PathBuf, std::path::PathBuf>,
}

impl RealPaths {
    fn of(&mut self, path: &Path) -> io::Result<std::path::PathBuf> {
        use std::os::unix::ffi::OsStrExt;
        let raw = path.as_os_str().as_bytes();
        let plain_name = path.file_name().filter(|name| {
            let name = name.as_bytes();
            raw.len() > name.len()
                && raw.ends_with(name)
                && raw[..raw.len() - name.len()].ends_with(b"/")
        });
        let (Some(name), Some(folder)) = (plain_name, path.parent()) else {
            return std::fs::canonicalize(path);
        };
        match std::fs::symlink_metadata(path) {
            Ok(meta) if !meta.file_type().is_symlink() => {}
            _ => return std::fs::canonicalize(path),
        }
        let real_folder = match self.folders.get(folder) {
            Some(real) => real.clone(),
            None => {
                let real = std::fs::canonicalize(folder)?;
                self.folders.insert(folder.to_path_buf(), real.clone());
                real
            }
        };
        Ok(real_folder.join(name))
    }
}

/// Mounts `path` (a folder, or a file's folder) at its own absolute location.
fn mount_at_own_path(view: &mut RootView, path: &Path) -> io::Result<String> {
    let abs = std::fs::canonicalize(path)?;
    let folder = if abs.is_dir() {
        abs.clone()
    } else {
        abs.parent().unwrap_or(Path::new("/")).to_path_buf()
    };
    view.mount(&folder.to_string_lossy(), &folder)?;
    Ok(abs.to_string_lossy().into_owned())
}

/// The scanned tree alone, at its own absolute path: the real half of a target check.
pub fn open_tree(dir: &Path) -> io::Result<(FilesystemHost, String)> {
    let (host, mut located) = open_trees(&[dir])?;
    Ok((host, located.remove(0)))
}

/// Several scanned paths (folders, or files whose folder is mounted), each at its own
/// absolute path; returns each path's location inside the view.
pub fn open_trees(paths: &[&Path]) -> io::Result<(FilesystemHost, Vec<String>)> {
    let mut view = RootView::mounts_only();
    let mut located = Vec::new();
    for path in paths {
        located.push(mount_at_own_path(&mut view, path)?);
    }
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    Ok((
        FilesystemHost::new(view, format!("tree {}", shown.join(" "))),
        located,
    ))
}

#[cfg(test)]
mod tests {
    use super::RealPaths;
    use std::path::Path;

    /// Whatever the path's form, its real path is `fs::canonicalize`'s, links in the
    /// last component, trailing '/' and '.' included (each resolves what a link names).
    #[test]
    fn real_paths_agree_with_canonicalize() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("d/sub")).unwrap();
        std::fs::write(root.join("d/file"), b"x").unwrap();
        std::os::unix::fs::symlink("file", root.join("d/to-file")).unwrap();
        std::os::unix::fs::symlink("sub", root.join("d/to-sub")).unwrap();
        std::os::unix::fs::symlink("nowhere", root.join("d/dangling")).unwrap();
        std::os::unix::fs::symlink("d", root.join("link-to-d")).unwrap();
        let names = [
            "d/file",
            "d/to-file",
            "d/to-sub",
            "d/to-sub/",
            "d/to-sub/.",
            "d/sub",
            "d/sub/",
            "d/dangling",
            "d/missing",
            "d/file/",
            "d/file/.",
            "d/sub/..",
            "d//file",
            "link-to-d/file",
            "link-to-d/to-file",
            "link-to-d/sub/../file",
            "d/./file",
        ];
        let mut real = RealPaths::default();
        // Twice: the second time every folder is known.
        for _ in 0..2 {
            for name in names {
                let path = root.join(name);
                let expected = std::fs::canonicalize(&path).ok();
                assert_eq!(real.of(&path).ok(), expected, "{name}");
            }
        }
        assert_eq!(real.of(Path::new("")).ok(), None);
        assert!(real.folders.contains_key(&root.join("link-to-d")));
    }
}
