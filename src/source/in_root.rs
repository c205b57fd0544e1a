//! One path inside a root opened by the kernel in one system call: `openat2` with
//! RESOLVE_IN_ROOT resolves it as a chroot would (an absolute link is re-rooted, `..`
//! stops at the root, nothing outside the root is reached) and RESOLVE_NO_MAGICLINKS
//! refuses /proc's links to other files. It replaces `RootView::canonicalize`'s
//! lstat per component for `tree`; a kernel without it (before Linux 5.6, or a
//! seccomp filter that refuses it) leaves that walk to do the work.
//!
//! The path is opened with O_PATH first: opening a device can act on it (a watchdog
//! starts, a tape rewinds), so only a regular file is reopened for reading, through
//! /proc/self/fd, which reopens that same file and no other.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once the kernel refused openat2 itself: every later lookup walks.
static UNSUPPORTED: AtomicBool = AtomicBool::new(false);

/// What opening a path inside the root gave.
pub(crate) enum InRoot {
    /// A regular file, its path inside the root with every link resolved, (device,
    /// inode), and size.
    File {
        file: Opened,
        identity: (u64, u64),
        len: u64,
    },
    /// Nothing at that path (or a link to nothing).
    Absent,
    /// A folder, a FIFO, a device.
    NotRegular,
    /// Not answered here (no openat2, no /proc, a loop or a magic link, an error):
    /// the component walk answers, with its own messages.
    Walk,
}

/// An O_PATH handle, reopened for reading on demand.
pub(crate) struct Opened {
    handle: File,
}

impl Opened {
    /// The path of the file inside the root whose host path is `prefix` ("" for /).
    pub fn real_path(&self, prefix: &str) -> Option<String> {
        let link = std::fs::read_link(self.proc_path()).ok()?;
        let host = link.to_str()?;
        let inside = host.strip_prefix(prefix)?;
        match inside {
            "" => Some("/".to_string()),
            rest if rest.starts_with('/') && !rest.ends_with(" (deleted)") => {
                Some(rest.to_string())
            }
            _ => None,
        }
    }

    /// The file opened for reading: the same file, whatever its path names now.
    pub fn reopen(&self) -> io::Result<File> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
            .open(self.proc_path())
    }

    fn proc_path(&self) -> String {
        format!("/proc/self/fd/{}", self.handle.as_raw_fd())
    }
}

/// A regular file opened for reading, with (device, inode) and size; None for
/// anything else, or an error, which the full reader's open then reports.
pub(crate) fn open_regular(host: &std::path::Path) -> Option<(File, (u64, u64), u64)> {
    use std::os::unix::fs::OpenOptionsExt;
    // Never open a device or a FIFO: opening alone can act on it.
    if !std::fs::symlink_metadata(host).ok()?.file_type().is_file() {
        return None;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(host)
        .ok()?;
    let meta = file.metadata().ok()?;
    meta.file_type()
        .is_file()
        .then(|| (file, (meta.dev(), meta.ino()), meta.len()))
}

/// Opens `path` (absolute, inside the root) below the root folder `root`.
pub(crate) fn open_in_root(root: &OwnedFd, path: &str) -> InRoot {
    if UNSUPPORTED.load(Ordering::Relaxed) {
        return InRoot::Walk;
    }
    let relative = path.trim_start_matches('/');
    let relative = if relative.is_empty() { "." } else { relative };
    let Ok(name) = CString::new(relative.as_bytes()) else {
        return InRoot::Walk;
    };
    let handle = match openat2(root, &name) {
        Ok(handle) => handle,
        // ENOTDIR (a file used as a folder) is left to the walk, which accepts a
        // trailing '/' after a file.
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return InRoot::Absent,
        Err(e) => {
            if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) {
                UNSUPPORTED.store(true, Ordering::Relaxed);
            }
            return InRoot::Walk;
        }
    };
    let file = Opened {
        handle: File::from(handle),
    };
    // fstat on an O_PATH handle (Linux >= 3.6).
    let Ok(meta) = file.handle.metadata() else {
        return InRoot::Walk;
    };
    if !meta.file_type().is_file() {
        return InRoot::NotRegular;
    }
    InRoot::File {
        identity: (meta.dev(), meta.ino()),
        len: meta.len(),
        file,
    }
}

/// openat2(root, name, O_PATH | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).
fn openat2(root: &OwnedFd, name: &CString) -> io::Result<OwnedFd> {
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (libc::O_PATH | libc::O_CLOEXEC) as u64;
    how.resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
    let mut tries = 0;
    loop {
        tries += 1;
        // SAFETY: a valid directory handle, a NUL-terminated name and an open_how
        // of the size given; the returned descriptor is owned by no one else.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                root.as_raw_fd(),
                name.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd >= 0 {
            // SAFETY: a descriptor the kernel just returned to us.
            return Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) });
        }
        let err = io::Error::last_os_error();
        // EAGAIN: a rename raced the lookup (RESOLVE_IN_ROOT retries are ours).
        if tries == 3 || !matches!(err.raw_os_error(), Some(libc::EINTR | libc::EAGAIN)) {
            return Err(err);
        }
    }
}

/// The root folder, opened once for `open_in_root`.
pub(crate) fn open_root(host: &std::path::Path) -> Option<OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(host)
        .ok()
        .map(OwnedFd::from)
}
