//! The facts of one ELF file, read from its bytes with goblin.
//!
//! `read_facts` is the only entry point: it takes the bytes of one file (normally a
//! memory map) and returns owned, serializable `ElfFacts`, or an `ElfError` that says
//! why the file cannot be read. It never panics on hostile input: every offset is
//! bounds-checked and every count is capped by the file's size.

mod facts;
mod facts_json;
mod layout;
mod machine;
mod notes;
mod read;
mod symbol_table;
mod symbols;
mod tables;
pub mod version_name;

pub use facts::{Binding, Class, DynSymbol, ElfFacts, Endian, Kind, SymbolType, SymbolVersion};
pub use machine::machine_name;
pub use read::{read_facts, read_facts_with, Detail};
pub use symbol_table::{SymbolRef, SymbolTable};
pub use version_name::VersionName;

/// `\x7fELF`, the first four bytes of every ELF file.
pub const ELF_MAGIC: [u8; 4] = *b"\x7fELF";

pub fn has_elf_magic(bytes: &[u8]) -> bool {
    bytes.starts_with(&ELF_MAGIC)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    /// Not an ELF file at all: a normal outcome, such files are skipped.
    #[error("not an ELF file")]
    NotElf,
    /// Starts like an ELF file but cannot be read: the reason names the part at fault.
    #[error("{0}")]
    Malformed(String),
}

/// `read_facts`, with a guard: the reader is written to fail with an error, never a
/// panic, but a bug in it (or in goblin) must not lose the rest of a scan.
pub fn read_facts_guarded(bytes: &[u8]) -> Result<ElfFacts, ElfError> {
    read_facts_guarded_with(bytes, Detail::Full)
}

pub fn read_facts_guarded_with(bytes: &[u8], detail: Detail) -> Result<ElfFacts, ElfError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_facts_with(bytes, detail)
    }))
    .unwrap_or_else(|_| {
        Err(ElfError::Malformed(
            "internal error while reading this file".into(),
        ))
    })
}
