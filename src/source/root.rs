//! A read-only view of a root filesystem, as the loader inside it would see it.
//!
//! Every lookup happens inside the root, like a chroot (see `namespace::resolve`).
//! Paths are resolved one component at a time with lstat, so no host symlink is ever
//! followed by the operating system on our behalf.
//!
//! A view may also have folders mounted at a path inside it: `preflight scan ./dist
//! --root /srv/rootfs` sees `./dist` at its own absolute path and the rest of the
//! namespace in `/srv/rootfs`.

use super::in_root::{self, InRoot};
use super::namespace::{components, join, resolve, Node};
use super::open::{read_regular_elf_bytes, FileBytes, OpenError};
use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

#[derive(Clone, Debug)]
struct Mount {
    /// Absolute path inside the view, without a trailing '/' ("" for the root).
    at: String,
    host: PathBuf,
}

#[derive(Debug)]
pub struct RootView {
    /// Longest mount point first, so the innermost mount wins.
    mounts: Vec<Mount>,
    /// The folders and links met while resolving paths, by view path: every library
    /// search resolves the same few folders (`/lib` → `/usr/lib`, ...) again for each
    /// candidate, an lstat per component. Files are not remembered (they are many,
    /// and the probe cache above has their answers).
    folders: Mutex<HashMap<String, Node>>,
    /// The root folder's handle for `open_in_root` and its host path ("" for /),
    /// opened on first use; None with mounts, which the kernel's lookup does not see.
    root_handle: OnceLock<Option<(OwnedFd, String)>>,
}

impl Clone for RootView {
    /// A clone may be given other mounts: it starts with nothing remembered.
    fn clone(&self) -> Self {
        RootView {
            mounts: self.mounts.clone(),
            folders: Mutex::default(),
            root_handle: OnceLock::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("no such file")]
    NotFound,
    #[error("too many levels of symbolic links (a link loop?)")]
    Loop,
    #[error("not a regular file")]
    NotRegular,
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl From<OpenError> for LookupError {
    fn from(err: OpenError) -> Self {
        match err {
            OpenError::NotRegular(_) | OpenError::NotFolder(_) | OpenError::Link => {
                LookupError::NotRegular
            }
            OpenError::Io(e) if e.kind() == io::ErrorKind::NotFound => LookupError::NotFound,
            OpenError::Io(e) => LookupError::Io(e),
            other @ (OpenError::Outside | OpenError::TooLarge { .. }) => {
                LookupError::Io(io::Error::other(other.to_string()))
            }
        }
    }
}

impl RootView {
    /// A view whose `/` is the host folder `root`.
    pub fn new(root: &Path) -> io::Result<Self> {
        let host = fs::canonicalize(root)?;
        if !host.is_dir() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a folder"));
        }
        Ok(RootView {
            mounts: vec![Mount {
                at: String::new(),
                host,
            }],
            folders: Mutex::default(),
            root_handle: OnceLock::new(),
        })
    }

    /// A view with no root: only what is mounted exists. Used when the host is
    /// described by a target profile and only the scanned folder is real.
    pub fn mounts_only() -> Self {
        RootView {
            mounts: Vec::new(),
            folders: Mutex::default(),
            root_handle: OnceLock::new(),
        }
    }

    /// Shows the host folder `host` at the absolute path `at` inside the view.
    pub fn mount(&mut self, at: &str, host: &Path) -> io::Result<()> {
        let host = fs::canonicalize(host)?;
        let at = normalize(at);
        self.mounts.retain(|m| m.at != at);
        self.mounts.push(Mount { at, host });
        self.mounts.sort_by_key(|m| std::cmp::Reverse(m.at.len()));
        self.folders.get_mut().expect("folder cache lock").clear();
        self.root_handle = OnceLock::new();
        Ok(())
    }

    /// The path inside the view of a host path, when a mount contains it.
    pub fn view_path_of(&self, host_path: &Path) -> Option<String> {
        self.view_path_of_real(&fs::canonicalize(host_path).ok()?)
    }

    /// `view_path_of` a host path with no link, `.` or `..` left in it.
    pub fn view_path_of_real(&self, host_path: &Path) -> Option<String> {
        // The innermost host folder wins: search by the longest host prefix.
        let mut best: Option<(&Mount, usize)> = None;
        for m in &self.mounts {
            if host_path.starts_with(&m.host) {
                let depth = m.host.components().count();
                if best.is_none_or(|(_, d)| depth > d) {
                    best = Some((m, depth));
                }
            }
        }
        let (mount, _) = best?;
        let rest = host_path.strip_prefix(&mount.host).ok()?;
        let mut path = mount.at.clone();
        for part in rest.components() {
            path.push('/');
            path.push_str(&part.as_os_str().to_string_lossy());
        }
        Some(if path.is_empty() { "/".into() } else { path })
    }

    /// Where the (already resolved) view path lives on the host.
    /// Where the (already resolved) view path lives on the host; None outside every
    /// mount (only in a view without a root, see `RootView::mounts_only`).
    fn host_path(&self, path: &str) -> Option<PathBuf> {
        self.mounts.iter().find_map(|m| {
            strip_mount(path, &m.at).map(|rest| {
                let mut host = m.host.clone();
                host.extend(rest.split('/').filter(|c| !c.is_empty()));
                host
            })
        })
    }

    fn existing_host_path(&self, path: &str) -> Result<PathBuf, LookupError> {
        self.host_path(path).ok_or(LookupError::NotFound)
    }

    /// Whether `path` lies inside one of the view's mounts (always, with a root).
    pub fn covers(&self, path: &str) -> bool {
        self.host_path(path).is_some()
    }

    fn leads_to_mount(&self, path: &str) -> bool {
        self.mounts
            .iter()
            .any(|m| strip_mount(&m.at, path).is_some_and(|rest| !rest.is_empty()))
    }

    /// Resolves every symbolic link in `path` (absolute, inside the view) and returns
    /// the path of the file or folder it names, inside the view.
    pub fn canonicalize(&self, path: &str) -> Result<String, LookupError> {
        resolve(path, |current| {
            if let Some(known) = self.folders.lock().expect("folder cache lock").get(current) {
                return Ok(Some(known.clone()));
            }
            let node = self.lookup(current)?;
            if let Some(node @ (Node::Dir | Node::Link(_))) = &node {
                self.folders
                    .lock()
                    .expect("folder cache lock")
                    .insert(current.to_string(), node.clone());
            }
            Ok(node)
        })
    }

    /// What `current` (a view path whose parents are resolved) names, from the host.
    fn lookup(&self, current: &str) -> Result<Option<Node>, LookupError> {
        let Some(host) = self.host_path(current) else {
            // A folder on the way to a mount point exists in the view even when
            // the root has no such folder.
            return Ok(self.leads_to_mount(current).then_some(Node::Dir));
        };
        match fs::symlink_metadata(&host) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&host)?;
                Ok(Some(Node::Link(target.to_string_lossy().into_owned())))
            }
            Ok(meta) if meta.is_dir() => Ok(Some(Node::Dir)),
            Ok(_) => Ok(Some(Node::Leaf)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Ok(self.leads_to_mount(current).then_some(Node::Dir))
            }
            Err(e) => Err(LookupError::Io(e)),
        }
    }

    /// `path` (absolute, inside the view) opened by the kernel inside the root in one
    /// lookup (`in_root`), with the host path of the root to take off the file's real
    /// path; `InRoot::Walk` when the view has mounts, or the kernel cannot.
    pub(crate) fn open_in_root(&self, path: &str) -> (InRoot, &str) {
        let handle = self
            .root_handle
            .get_or_init(|| match self.mounts.as_slice() {
                [only] if only.at.is_empty() => {
                    let prefix = only.host.to_str()?.trim_end_matches('/').to_string();
                    Some((in_root::open_root(&only.host)?, prefix))
                }
                _ => None,
            });
        match handle {
            Some((fd, prefix)) => (in_root::open_in_root(fd, path), prefix),
            None => (InRoot::Walk, ""),
        }
    }

    /// The kind of what `path` names after resolving links: Some(true) for a folder,
    /// Some(false) for anything else, None when it does not resolve.
    pub fn is_dir(&self, path: &str) -> Option<bool> {
        let real = self.canonicalize(path).ok()?;
        fs::metadata(self.host_path(&real)?)
            .ok()
            .map(|m| m.is_dir())
    }

    /// Opens a file inside the view at a path `canonicalize` returned, when it starts
    /// like a binary preflight reads (`Ok(None)` when it exists but does not).
    pub fn open_resolved_elf(&self, real: &str) -> Result<Option<FileBytes>, LookupError> {
        let host = self.existing_host_path(real)?;
        // Never open a device or a FIFO: opening alone can act on it.
        if !fs::symlink_metadata(&host)?.file_type().is_file() {
            return Err(LookupError::NotRegular);
        }
        Ok(read_regular_elf_bytes(&host)?)
    }

    /// A regular file at a path `canonicalize` returned, opened for `pread` (the
    /// loader-facts reader), with (device, inode) and size; None for anything else or
    /// an error (`open_resolved_elf` then says which).
    pub(crate) fn open_resolved_file(
        &self,
        real: &str,
    ) -> Option<(std::fs::File, (u64, u64), u64)> {
        in_root::open_regular(&self.host_path(real)?)
    }

    /// Reads a small text file (a loader configuration file), at most `limit` bytes.
    pub fn read_text(&self, path: &str, limit: u64) -> Result<String, LookupError> {
        let bytes = self.read_bytes(path, limit)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Reads a small regular file (the loader cache), at most `limit` bytes; never a
    /// device or a FIFO, never through a link out of the view.
    pub fn read_bytes(&self, path: &str, limit: u64) -> Result<Vec<u8>, LookupError> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let real = self.canonicalize(path)?;
        let host = self.existing_host_path(&real)?;
        if !fs::symlink_metadata(&host)?.file_type().is_file() {
            return Err(LookupError::NotRegular);
        }
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(host)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(LookupError::NotRegular);
        }
        // Room for the whole file up front: one read takes it (ld.so.cache took
        // twelve, doubling from 32 bytes), one more sees its end.
        let expected = usize::try_from(meta.len().min(limit)).unwrap_or(0);
        let mut bytes = Vec::with_capacity(expected.saturating_add(1));
        file.take(limit).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// The names in a folder inside the view, sorted.
    pub fn list_dir(&self, path: &str) -> Result<Vec<String>, LookupError> {
        let real = self.canonicalize(path)?;
        let mut names: Vec<String> = fs::read_dir(self.existing_host_path(&real)?)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }
}

fn normalize(path: &str) -> String {
    let parts: Vec<String> = components(path)
        .filter(|p| !p.is_empty() && p != ".")
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        join(&parts)
    }
}

/// `path` below the mount point `at`, if it is inside it.
fn strip_mount<'a>(path: &'a str, at: &str) -> Option<&'a str> {
    if at.is_empty() {
        return Some(path);
    }
    let rest = path.strip_prefix(at)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> (tempfile::TempDir, RootView) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("usr/lib")).unwrap();
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::write(root.join("usr/lib/libz.so.1.2"), b"x").unwrap();
        symlink("libz.so.1.2", root.join("usr/lib/libz.so.1")).unwrap();
        symlink("usr/lib", root.join("lib")).unwrap();
        symlink("/etc/passwd", root.join("usr/lib/libpasswd.so")).unwrap();
        symlink(
            "../../../../../../etc/shadow",
            root.join("usr/lib/libclimb.so"),
        )
        .unwrap();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        fs::write(root.join("etc/passwd"), b"root-inside").unwrap();
        let view = RootView::new(root).unwrap();
        (dir, view)
    }

    #[test]
    fn links_resolve_inside_the_root() {
        let (_dir, view) = tree();
        assert_eq!(
            view.canonicalize("/lib/libz.so.1").unwrap(),
            "/usr/lib/libz.so.1.2"
        );
        // An absolute link is re-rooted: /etc/passwd of the view, not of the host.
        assert_eq!(
            view.canonicalize("/lib/libpasswd.so").unwrap(),
            "/etc/passwd"
        );
        assert_eq!(
            view.read_text("/lib/libpasswd.so", 100).unwrap(),
            "root-inside"
        );
        // `..` stops at the root.
        assert!(matches!(
            view.canonicalize("/usr/lib/libclimb.so"),
            Err(LookupError::NotFound)
        ));
        assert_eq!(
            view.canonicalize("/../../usr/./lib/../lib").unwrap(),
            "/usr/lib"
        );
    }

    #[test]
    fn loops_are_reported() {
        let (_dir, view) = tree();
        assert!(matches!(
            view.canonicalize("/loop1"),
            Err(LookupError::Loop)
        ));
    }

    #[test]
    fn mounts_overlay_the_root() {
        let (dir, mut view) = tree();
        let dist = dir.path().join("elsewhere/dist");
        fs::create_dir_all(dist.join("lib")).unwrap();
        fs::write(dist.join("lib/libapp.so"), b"y").unwrap();
        view.mount("/opt/app", &dist).unwrap();
        assert_eq!(view.read_text("/opt/app/lib/libapp.so", 10).unwrap(), "y");
        assert_eq!(
            view.view_path_of(&dist.join("lib")).unwrap(),
            "/opt/app/lib"
        );
        assert_eq!(view.view_path_of(&dir.path().join("usr")).unwrap(), "/usr");
        assert!(view.is_dir("/usr/lib").unwrap());
    }

    /// The kernel's lookup inside the root (`openat2`, RESOLVE_IN_ROOT) and the
    /// component walk it stands in for agree on every path: links re-rooted, `..`
    /// clamped at the root, loops and folders refused, a FIFO never opened.
    #[test]
    fn the_kernels_lookup_agrees_with_the_walk() {
        let (dir, view) = tree();
        let root = dir.path();
        fs::create_dir_all(root.join("usr/lib/sub")).unwrap();
        symlink("..", root.join("usr/lib/sub/up")).unwrap();
        symlink(
            "/usr/lib/../../../../lib/libz.so.1",
            root.join("libdeep.so"),
        )
        .unwrap();
        symlink("/nowhere/libx.so", root.join("usr/lib/libdangling.so")).unwrap();
        let fifo =
            std::ffi::CString::new(root.join("usr/lib/libfifo.so").to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let paths = [
            "/lib/libz.so.1",
            "/lib/libpasswd.so",
            "/usr/lib/libclimb.so",
            "/usr/lib/sub/up/sub/up/libz.so.1",
            "/libdeep.so",
            "/usr/lib/libdangling.so",
            "/usr/lib/libfifo.so",
            "/usr/lib",
            "/loop1",
            "/no/such/file",
            "/",
        ];
        for path in paths {
            let walked = match view.canonicalize(path) {
                Ok(real) => match fs::symlink_metadata(root.join(real.trim_start_matches('/'))) {
                    Ok(m) if m.is_file() => format!("file {real}"),
                    _ => "not regular".to_string(),
                },
                Err(LookupError::NotFound) => "absent".to_string(),
                Err(e) => format!("walk: {e}"),
            };
            let (opened, prefix) = view.open_in_root(path);
            let kernel = match opened {
                InRoot::File { file, .. } => format!("file {}", file.real_path(prefix).unwrap()),
                InRoot::Absent => "absent".to_string(),
                InRoot::NotRegular => "not regular".to_string(),
                // Loops are left to the walk, and so is everything on a kernel
                // without openat2.
                InRoot::Walk => walked.clone(),
            };
            assert_eq!(kernel, walked, "{path}");
        }
        // Not left to the walk on a kernel that has openat2 (5.6 and later).
        let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let version: Vec<u32> = release
            .split(|c: char| !c.is_ascii_digit())
            .take(2)
            .filter_map(|n| n.parse().ok())
            .collect();
        if version >= vec![5, 6] {
            assert!(matches!(
                view.open_in_root("/lib/libz.so.1").0,
                InRoot::File { .. }
            ));
        }
    }

    #[test]
    fn a_view_with_mounts_leaves_lookups_to_the_walk() {
        let (dir, mut view) = tree();
        let dist = dir.path().join("elsewhere/dist");
        fs::create_dir_all(&dist).unwrap();
        view.mount("/opt/app", &dist).unwrap();
        assert!(matches!(
            view.open_in_root("/lib/libz.so.1").0,
            InRoot::Walk
        ));
    }
}
