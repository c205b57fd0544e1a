//! Opening one file for reading, as cheaply as the answer allows.

use super::guard::Guard;
use crate::elf::Contents;
use memmap2::Mmap;
use std::fs::{File, Metadata};
use std::io::Read;
use std::ops::Deref;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

/// The bytes of an ELF file, memory-mapped: only the pages the reader touches (headers,
/// dynamic section, symbol and version tables) are ever read from disk.
///
/// Another process may change the file while it is read. Cut short, the pages past its
/// new end read as zeros instead of ending the process (see `guard`); cut short or
/// rewritten, `Contents::changed` says so once the reader is done, so that what it read
/// is not kept.
pub struct FileBytes {
    // Declared first, so dropped first: the mapping is unregistered before it is
    // unmapped.
    guard: Option<Guard>,
    data: Data,
    file: File,
    /// Size and modification time when the file was opened.
    opened: Stamp,
    /// (device, inode): one file reached by several hard links is one file.
    pub identity: (u64, u64),
}

enum Data {
    Mapped(Mmap),
    /// Read whole, when no mapping could be guarded.
    Read(Vec<u8>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: (i64, i64),
}

impl Stamp {
    fn of(meta: &Metadata) -> Stamp {
        Stamp {
            len: meta.len(),
            modified: (meta.mtime(), meta.mtime_nsec()),
        }
    }
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.data {
            Data::Mapped(map) => map,
            Data::Read(bytes) => bytes,
        }
    }
}

impl Contents for FileBytes {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn changed(&self) -> Option<String> {
        let now = self.file.metadata().ok().map(|m| Stamp::of(&m));
        let faulted = self.guard.as_ref().is_some_and(Guard::faulted);
        if !faulted && now == Some(self.opened) {
            return None;
        }
        let how = match now {
            Some(now) if now.len != self.opened.len => format!(
                "its size went from {} to {} bytes",
                self.opened.len, now.len
            ),
            _ if faulted => "it was cut short".to_string(),
            Some(_) => "it was modified".to_string(),
            None => "it can no longer be examined".to_string(),
        };
        Some(format!(
            "the file changed while it was read ({how}); read it again once nothing writes to it"
        ))
    }
}

/// Why a file was not opened or read.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}, not a regular file")]
    NotRegular(FileKind),
    #[error("{0}, not a folder")]
    NotFolder(FileKind),
    #[error("a symbolic link, which preflight does not follow here")]
    Link,
    #[error("the path leaves the folder it must stay in (`..` or an absolute path)")]
    Outside,
    #[error("larger than preflight reads from such a file ({}; the limit is {})", size_text(*.size), size_text(*.limit))]
    TooLarge { size: u64, limit: u64 },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What a path is when it is not a regular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    File,
    Folder,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
    Link,
    Unknown,
}

impl FileKind {
    pub fn of(file_type: std::fs::FileType) -> FileKind {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_file() {
            FileKind::File
        } else if file_type.is_dir() {
            FileKind::Folder
        } else if file_type.is_fifo() {
            FileKind::Fifo
        } else if file_type.is_char_device() {
            FileKind::CharDevice
        } else if file_type.is_block_device() {
            FileKind::BlockDevice
        } else if file_type.is_socket() {
            FileKind::Socket
        } else if file_type.is_symlink() {
            FileKind::Link
        } else {
            FileKind::Unknown
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileKind::File => "a regular file",
            FileKind::Folder => "a folder",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Socket => "a socket",
            FileKind::Link => "a symbolic link",
            FileKind::Unknown => "something else",
        })
    }
}

/// `16 MiB`, `64 KiB`, `1000 bytes`.
pub(crate) fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Opens `path` and maps it when it starts like a binary preflight reads (ELF, an `ar`
/// archive, Mach-O, PE); `Ok(None)` for any other file, decided after reading four
/// bytes. For a path from anywhere (the command line): a symbolic link is followed, as
/// the shell and `tree` do; what it leads to is checked before it is opened (opening
/// a device can act on it) and again on the handle before anything is read, so a FIFO
/// or a device is "not a regular file".
pub fn read_elf_bytes(path: &Path) -> Result<Option<FileBytes>, OpenError> {
    match std::fs::metadata(path) {
        Ok(before) if !before.file_type().is_file() => {
            return Err(OpenError::NotRegular(FileKind::of(before.file_type())))
        }
        // Longer than stat(2) takes: the handle, opened a folder at a time, is checked.
        Err(e) if e.raw_os_error() != Some(libc::ENAMETOOLONG) => return Err(e.into()),
        _ => {}
    }
    let file = super::regular::open_long(
        path,
        libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC,
    )?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(OpenError::NotRegular(FileKind::of(meta.file_type())));
    }
    elf_bytes_of(file, Some(meta))
}

/// `read_elf_bytes` for a path already known to be a regular file (the walk's
/// directory entry said so, or an lstat): most files are not ELF, and they then cost
/// an open, one read and a close, not an fstat more (130,000 of them under /usr).
///
/// The open is guarded all the same, should the file have been swapped since:
/// O_NOFOLLOW refuses a symbolic link put in its place, O_NONBLOCK keeps a FIFO from
/// blocking, O_NOCTTY a terminal from becoming ours; a binary is then checked with
/// `fstat` before it is mapped.
pub(crate) fn read_regular_elf_bytes(path: &Path) -> Result<Option<FileBytes>, OpenError> {
    elf_bytes_of(open_for_reading(path)?, None)
}

fn open_for_reading(path: &Path) -> std::io::Result<File> {
    super::regular::open_long(
        path,
        libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC,
    )
}

/// Files up to this size are read whole with pread rather than mapped: for them a
/// mapping (mmap, the guard's registration, the page faults, munmap and its TLB
/// shootdown on every core) costs more than copying the bytes, and most of the ELF
/// files of /usr/bin are this small.
const READ_WHOLE_UP_TO: u64 = 64 * 1024;

/// The bytes of the open `file` if it starts like a binary; `meta`, when given, is
/// its fstat already.
fn elf_bytes_of(mut file: File, meta: Option<Metadata>) -> Result<Option<FileBytes>, OpenError> {
    let mut magic = [0u8; 4];
    let mut filled = 0;
    while filled < magic.len() {
        match file.read(&mut magic[filled..]) {
            Ok(0) => return Ok(None),
            Ok(n) => filled += n,
            // A FIFO or a folder swapped in: not a file to read.
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {
                return Err(OpenError::NotRegular(FileKind::Fifo))
            }
            Err(e) if e.raw_os_error() == Some(libc::EISDIR) => {
                return Err(OpenError::NotRegular(FileKind::Folder))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !crate::elf::may_be_binary(&magic) {
        return Ok(None);
    }
    let meta = match meta {
        Some(meta) => meta,
        None => file.metadata()?,
    };
    if !meta.file_type().is_file() {
        return Err(OpenError::NotRegular(FileKind::of(meta.file_type())));
    }
    let opened = Stamp::of(&meta);
    if opened.len <= READ_WHOLE_UP_TO {
        return Ok(Some(FileBytes {
            guard: None,
            data: Data::Read(read_whole(&file, opened.len)?),
            file,
            opened,
            identity: (meta.dev(), meta.ino()),
        }));
    }
    // SAFETY: the map is read-only and private to this process. Another process may
    // still truncate the file while we read it: the guard registered right after
    // turns the SIGBUS that would follow into zeros and a "changed" answer. The length
    // is the one fstat just gave (Mmap::map would ask again).
    let map = match usize::try_from(meta.len()) {
        Ok(len) => unsafe { memmap2::MmapOptions::new().len(len).map(&file)? },
        Err(_) => unsafe { Mmap::map(&file)? },
    };
    let guard = Guard::register(map.as_ptr(), map.len());
    let data = if guard.is_some() || map.is_empty() {
        Data::Mapped(map)
    } else {
        drop(map);
        Data::Read(read_whole(&file, opened.len)?)
    };
    Ok(Some(FileBytes {
        guard,
        data,
        file,
        opened,
        identity: (meta.dev(), meta.ino()),
    }))
}

/// The file's first `len` bytes (fewer if it was cut short since).
fn read_whole(file: &File, len: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read_at(&mut bytes[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}
