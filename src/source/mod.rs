//! Where the files to check come from.
//!
//! A folder on disk, walked (`walk_folder`), and a root filesystem seen as the loader
//! inside it would see it (`RootView`). preflight only ever opens regular files for reading; it
//! never follows a symbolic link (so nothing outside the scanned folder is read) and
//! never opens a FIFO or a device (opening a FIFO would block the scan forever).

mod folder;
mod guard;
pub mod image;
mod namespace;
mod open;
mod regular;
mod root;
pub mod text;

pub use folder::{walk, walk_folder, FolderFile, IoProblem, Walked};
pub(crate) use namespace::{resolve, Node};
pub use open::{read_elf_bytes, FileBytes, FileKind, OpenError};
pub(crate) use open::{read_regular_elf_bytes, size_text};
pub use regular::{open_folder, open_regular, read_capped, read_regular, Limits, Within};
pub use root::{LookupError, RootView};
