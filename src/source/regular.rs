//! Opening a file preflight reads whole: a path the user named (a tarball, a policy
//! file) or a path found inside something scanned (an image layout's index.json,
//! manifests and blobs; a policy file in a scanned folder).
//!
//! Such a file is checked to be a regular file before it is opened: opening a FIFO
//! for reading blocks until a writer comes, and opening a device can act on it. It is
//! opened with O_NONBLOCK and O_NOCTTY all the same (the path may be swapped between
//! the check and the open), and checked again through the open handle. Inside a
//! folder, the path is resolved one component at a time from a handle on the folder,
//! with O_NOFOLLOW at every step and no `..`: no symbolic link is followed, so nothing
//! outside the folder (a host file, /dev/zero) can be reached through it. What is read
//! has a size limit, checked before reading and enforced while reading.

use super::open::{FileKind, OpenError};
use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path};

/// Where a path may lead.
#[derive(Clone, Copy, Debug)]
pub enum Within<'a> {
    /// Wherever it leads, links included, as the shell would: a path the user gave.
    Anywhere,
    /// Beneath this folder, no link followed: a path found inside what is scanned.
    Beneath(&'a Path),
    /// Beneath the folder open as this handle.
    BeneathHandle(BorrowedFd<'a>),
}

/// What may be read from a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Files larger than this are refused (`OpenError::TooLarge`).
    pub max_bytes: u64,
}

impl Limits {
    pub const fn bytes(max_bytes: u64) -> Limits {
        Limits { max_bytes }
    }

    /// No limit on the size (for files read as a stream, such as layers).
    pub const UNLIMITED: Limits = Limits {
        max_bytes: u64::MAX,
    };
}

/// Opens `path` for reading if it is a regular file no larger than the limit (see the
/// module's description). Errors say what the path is instead; the caller names it.
pub fn open_regular(within: Within<'_>, path: &Path, limits: Limits) -> Result<File, OpenError> {
    let file = match within {
        Within::Anywhere => open_anywhere(path)?,
        Within::Beneath(folder) => {
            let folder = open_folder(folder)?;
            open_beneath(folder.as_fd(), path)?
        }
        Within::BeneathHandle(folder) => open_beneath(folder, path)?,
    };
    let size = file.metadata()?.len();
    if size > limits.max_bytes {
        return Err(OpenError::TooLarge {
            size,
            limit: limits.max_bytes,
        });
    }
    Ok(file)
}

/// Reads `reader` to its end, refusing more than `limit` bytes (a file that grew
/// since it was opened, a member larger than its archive said).
pub fn read_capped(reader: impl Read, limit: u64) -> Result<Vec<u8>, OpenError> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(OpenError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// `open_regular` then `read_capped`: the whole content of a small file.
pub fn read_regular(within: Within<'_>, path: &Path, limits: Limits) -> Result<Vec<u8>, OpenError> {
    read_capped(open_regular(within, path, limits)?, limits.max_bytes)
}

/// A handle on a folder the user named (links followed), for `Within::BeneathHandle`.
pub fn open_folder(path: &Path) -> Result<File, OpenError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_dir() {
        return Err(OpenError::NotFolder(FileKind::of(meta.file_type())));
    }
    let fd = open_at(
        libc::AT_FDCWD,
        path,
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
    )?;
    Ok(File::from(fd))
}

fn open_anywhere(path: &Path) -> Result<File, OpenError> {
    let before = std::fs::metadata(path)?;
    if !before.is_file() {
        return Err(OpenError::NotRegular(FileKind::of(before.file_type())));
    }
    let fd = open_at(
        libc::AT_FDCWD,
        path,
        libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC,
    )?;
    same_regular_file(File::from(fd), &before)
}

fn open_beneath(folder: BorrowedFd<'_>, path: &Path) -> Result<File, OpenError> {
    let mut names = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => names.push(name),
            Component::CurDir => {}
            Component::RootDir | Component::ParentDir | Component::Prefix(_) => {
                return Err(OpenError::Outside)
            }
        }
    }
    let Some((name, folders)) = names.split_last() else {
        return Err(OpenError::NotRegular(FileKind::Folder));
    };
    let mut current: Option<OwnedFd> = None;
    for step in folders {
        let at = current.as_ref().map_or(folder, |fd| fd.as_fd());
        let fd = open_at(
            at.as_raw_fd(),
            Path::new(step),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
        .map_err(|e| {
            // O_NOFOLLOW with O_DIRECTORY refuses a link with ELOOP or ENOTDIR.
            let link = stat_at(at, Path::new(step))
                .is_ok_and(|s| s.st_mode & libc::S_IFMT == libc::S_IFLNK);
            if link {
                OpenError::Link
            } else {
                OpenError::Io(e)
            }
        })?;
        current = Some(fd);
    }
    let at = current.as_ref().map_or(folder, |fd| fd.as_fd());
    let before = stat_at(at, Path::new(name))?;
    match before.st_mode & libc::S_IFMT {
        libc::S_IFREG => {}
        libc::S_IFLNK => return Err(OpenError::Link),
        mode => return Err(OpenError::NotRegular(kind_of_mode(mode))),
    }
    let fd = open_at(
        at.as_raw_fd(),
        Path::new(name),
        libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
    )
    .map_err(|e| match e.raw_os_error() {
        Some(libc::ELOOP) => OpenError::Link,
        _ => OpenError::Io(e),
    })?;
    let file = File::from(fd);
    let after = file.metadata()?;
    if !after.is_file() || after.dev() != before.st_dev || after.ino() != before.st_ino {
        return Err(OpenError::NotRegular(FileKind::of(after.file_type())));
    }
    Ok(file)
}

/// The file, if it is still the regular file `before` described (the path was not
/// swapped between the check and the open).
fn same_regular_file(file: File, before: &std::fs::Metadata) -> Result<File, OpenError> {
    let after = file.metadata()?;
    if !after.is_file() || after.dev() != before.dev() || after.ino() != before.ino() {
        return Err(OpenError::NotRegular(FileKind::of(after.file_type())));
    }
    Ok(file)
}

/// Opens `path` with `flags` like open(2) does, also when it is longer than the
/// kernel takes (ENAMETOOLONG: a file thousands of folders deep, which the walk
/// reaches by folder handles): then one component at a time, each folder from the
/// handle of the one before.
pub(crate) fn open_long(path: &Path, flags: libc::c_int) -> std::io::Result<File> {
    match open_at(libc::AT_FDCWD, path, flags) {
        Err(e) if e.raw_os_error() == Some(libc::ENAMETOOLONG) => {}
        opened => return opened.map(File::from),
    }
    let mut folder: Option<OwnedFd> = None;
    let mut components = path.components().peekable();
    while let Some(component) = components.next() {
        let name: &Path = match component {
            Component::RootDir => Path::new("/"),
            Component::Prefix(_) => continue,
            other => Path::new(other.as_os_str()),
        };
        let at = folder.as_ref().map_or(libc::AT_FDCWD, |fd| fd.as_raw_fd());
        if components.peek().is_none() {
            return open_at(at, name, flags).map(File::from);
        }
        folder = Some(open_at(
            at,
            name,
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )?);
    }
    Err(std::io::Error::from_raw_os_error(libc::ENOENT))
}

fn c_path(path: &Path) -> std::io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "a NUL in the path"))
}

fn open_at(at: libc::c_int, path: &Path, flags: libc::c_int) -> std::io::Result<OwnedFd> {
    let path = c_path(path)?;
    // SAFETY: a valid NUL-terminated path; the returned descriptor is owned here.
    let fd = unsafe { libc::openat(at, path.as_ptr(), flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a descriptor just opened, owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn stat_at(at: BorrowedFd<'_>, name: &Path) -> std::io::Result<libc::stat> {
    let name = c_path(name)?;
    // SAFETY: zeroed is a valid stat; fstatat writes it; the path is NUL-terminated.
    unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        if libc::fstatat(
            at.as_raw_fd(),
            name.as_ptr(),
            &mut stat,
            libc::AT_SYMLINK_NOFOLLOW,
        ) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
        Ok(stat)
    }
}

fn kind_of_mode(mode: libc::mode_t) -> FileKind {
    match mode {
        libc::S_IFREG => FileKind::File,
        libc::S_IFDIR => FileKind::Folder,
        libc::S_IFIFO => FileKind::Fifo,
        libc::S_IFCHR => FileKind::CharDevice,
        libc::S_IFBLK => FileKind::BlockDevice,
        libc::S_IFSOCK => FileKind::Socket,
        libc::S_IFLNK => FileKind::Link,
        _ => FileKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn mkfifo(path: &Path) {
        let path = c_path(path).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn only_regular_files_open_and_links_stay_outside_beneath() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("layout");
        fs::create_dir_all(root.join("blobs/sha256")).unwrap();
        fs::write(root.join("blobs/sha256/good"), b"content").unwrap();
        fs::write(dir.path().join("secret"), b"secret").unwrap();
        symlink(dir.path().join("secret"), root.join("blobs/sha256/link")).unwrap();
        symlink("good", root.join("blobs/sha256/sibling")).unwrap();
        symlink(root.join("blobs"), root.join("linked-blobs")).unwrap();
        mkfifo(&root.join("fifo"));
        let beneath = Within::Beneath(&root);
        let limits = Limits::bytes(100);

        let read = |path: &str| read_regular(beneath, Path::new(path), limits);
        assert_eq!(read("blobs/sha256/good").unwrap(), b"content");
        assert_eq!(read("./blobs/./sha256/good").unwrap(), b"content");
        assert!(matches!(read("blobs/sha256/link"), Err(OpenError::Link)));
        assert!(matches!(read("blobs/sha256/sibling"), Err(OpenError::Link)));
        assert!(matches!(
            read("linked-blobs/sha256/good"),
            Err(OpenError::Link)
        ));
        assert!(matches!(
            read("fifo"),
            Err(OpenError::NotRegular(FileKind::Fifo))
        ));
        assert!(matches!(
            read("blobs"),
            Err(OpenError::NotRegular(FileKind::Folder))
        ));
        assert!(matches!(read("../secret"), Err(OpenError::Outside)));
        assert!(matches!(read("/etc/passwd"), Err(OpenError::Outside)));
        assert!(matches!(read("missing"), Err(OpenError::Io(_))));
        // From a handle on the folder, the same.
        let handle = open_folder(&root).unwrap();
        let within = Within::BeneathHandle(handle.as_fd());
        assert!(read_regular(within, Path::new("blobs/sha256/good"), limits).is_ok());
        assert!(matches!(
            read_regular(within, Path::new("blobs/sha256/link"), limits),
            Err(OpenError::Link)
        ));

        // A path the user gave: links are followed, but to regular files only.
        let anywhere = |path: &Path| read_regular(Within::Anywhere, path, limits);
        assert_eq!(
            anywhere(&root.join("blobs/sha256/link")).unwrap(),
            b"secret"
        );
        assert!(matches!(
            anywhere(&root.join("fifo")),
            Err(OpenError::NotRegular(FileKind::Fifo))
        ));
        assert!(matches!(
            anywhere(Path::new("/dev/zero")),
            Err(OpenError::NotRegular(FileKind::CharDevice))
        ));
    }

    #[test]
    fn sizes_are_capped_before_and_while_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.json");
        fs::write(&path, vec![b' '; 3 << 20]).unwrap();
        let err = read_regular(Within::Anywhere, &path, Limits::bytes(2 << 20)).unwrap_err();
        assert!(matches!(
            err,
            OpenError::TooLarge {
                size: 3145728,
                limit: 2097152
            }
        ));
        assert_eq!(
            err.to_string(),
            "larger than preflight reads from such a file (3 MiB; the limit is 2 MiB)"
        );
        assert!(matches!(
            read_capped(std::io::repeat(0), 1000),
            Err(OpenError::TooLarge { limit: 1000, .. })
        ));
        assert_eq!(read_capped(&b"abc"[..], 3).unwrap(), b"abc");
    }
}
