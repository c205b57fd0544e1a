//! Opening one file for reading, as cheaply as the answer allows.

use memmap2::Mmap;
use std::fs::OpenOptions;
use std::io::Read;
use std::ops::Deref;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// The bytes of an ELF file, memory-mapped: only the pages the reader touches (headers,
/// dynamic section, symbol and version tables) are ever read from disk.
pub struct FileBytes {
    map: Mmap,
    /// (device, inode): one file reached by several hard links is one file.
    pub identity: (u64, u64),
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.map
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("not a regular file")]
    NotRegular,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Opens `path` and maps it when it starts like a binary preflight reads (ELF, an `ar`
/// archive, Mach-O, PE); `Ok(None)` for any other file, decided after reading four
/// bytes.
///
/// Callers open only what they know to be a regular file (the walk's directory entry
/// type, or an lstat), because opening a device can have effects of its own. The open
/// is guarded all the same: O_NOFOLLOW refuses a symbolic link put in the file's place,
/// O_NONBLOCK keeps a FIFO from blocking; an ELF file is then checked with `fstat`
/// before it is mapped. Most files are not ELF: they cost an open, one read and a close.
pub fn read_elf_bytes(path: &Path) -> Result<Option<FileBytes>, OpenError> {
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let mut magic = [0u8; 4];
    let mut filled = 0;
    while filled < magic.len() {
        match file.read(&mut magic[filled..]) {
            Ok(0) => return Ok(None),
            Ok(n) => filled += n,
            // A FIFO or a folder swapped in: not a file to read.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EISDIR)) => {
                return Err(OpenError::NotRegular)
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !crate::elf::may_be_binary(&magic) {
        return Ok(None);
    }
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(OpenError::NotRegular);
    }
    // SAFETY: the map is read-only and private to this process. preflight scans build
    // outputs and images at rest; if another process truncated the file while we read
    // it, the read could fault (SIGBUS) — the same contract ripgrep accepts for mmap.
    // The length is the one fstat just gave (Mmap::map would ask again).
    let map = match usize::try_from(meta.len()) {
        Ok(len) => unsafe { memmap2::MmapOptions::new().len(len).map(&file)? },
        Err(_) => unsafe { Mmap::map(&file)? },
    };
    Ok(Some(FileBytes {
        map,
        identity: (meta.dev(), meta.ino()),
    }))
}
