//! Where the files to check come from.
//!
//! A folder on disk, walked (`walk_folder`), and a root filesystem seen as the loader
//! inside it would see it (`RootView`). preflight only ever opens regular files for reading; it
//! never follows a symbolic link (so nothing outside the scanned folder is read) and
//! never opens a FIFO or a device (opening a FIFO would block the scan forever).

mod folder;
mod host;
mod identical;
pub mod image;
mod namespace;
mod open;
mod root;

pub use folder::{walk, walk_folder, FolderFile, IoProblem, Walked};
pub use host::{
    DescribedVersions, FilesystemHost, HostObject, LibraryHost, Probe, ProbeCache, TreeHost,
};
pub use image::ImageHost;
pub(crate) use namespace::{resolve, Node};
pub use open::{read_elf_bytes, FileBytes, OpenError};
pub use root::{LookupError, RootView};
