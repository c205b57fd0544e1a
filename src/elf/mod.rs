//! The facts of one ELF file, read from its bytes with goblin.
//!
//! `read_binary` is the entry point of every source: it takes the bytes of one file
//! (normally a memory map) and says what they are — an ELF file with its owned
//! `ElfFacts`, an archive or a Mach-O/PE file, a file that starts like one of those but
//! cannot be read (and why), or anything else. `read_facts` is its ELF half. Nothing
//! here panics on hostile input: every offset is bounds-checked and every count is
//! capped by the file's size. Facts derived from other facts (`ElfFacts::libc`,
//! `arch`, `SymbolIndex`) live here too, so every stage asks the facts, not another
//! stage.

mod archive;
mod demangle;
mod export_hash;
mod facts;
mod facts_json;
mod foreign;
mod hardening;
mod layout;
mod libc;
mod limits;
mod loader_facts;
mod machine;
mod notes;
mod read;
mod relocations;
mod symbol_index;
mod symbol_table;
mod symbols;
mod tables;
mod textrel;
mod toolchain;
pub mod version_name;

pub use archive::{has_archive_magic, read_archive, ArchiveFacts, MemberProblem};
pub use demangle::{demangle, readable};
pub use export_hash::{gnu_hash, Bloom, ExportHash};
pub use facts::{
    Binding, Class, DlopenDependency, DlopenPriority, DynSymbol, ElfFacts, Endian, Kind,
    OtherBinary, SymbolType, SymbolVersion,
};
pub use foreign::{identify_foreign, may_be_foreign, ForeignBinary};
pub use hardening::{Hardening, Relro};
pub use libc::Libc;
pub use loader_facts::read_loader_facts;
pub use machine::{machine_name, Machine};
pub use read::{read_facts, read_facts_with, Detail};
pub use relocations::LISTED as LISTED_OBJECTS;
pub use relocations::{
    small_got_limit, NonPicRelocation, NotPicFor, ObjectRelocations, SmallGot,
    AARCH64_SMALL_GOT_ENTRIES,
};
pub use symbol_index::SymbolIndex;
pub use symbol_table::{SymbolRef, SymbolTable};
pub use textrel::TextRelocation;
pub use toolchain::{GoBuildInfo, StaticRuntime};
pub use version_name::VersionName;

/// `\x7fELF`, the first four bytes of every ELF file.
pub const ELF_MAGIC: [u8; 4] = *b"\x7fELF";

pub fn has_elf_magic(bytes: &[u8]) -> bool {
    bytes.starts_with(&ELF_MAGIC)
}

/// Whether the first bytes could start a binary preflight reads: ELF, an archive, or
/// a Mach-O or PE file. Every other file is skipped after reading them.
pub fn may_be_binary(magic: &[u8]) -> bool {
    has_elf_magic(magic)
        || magic.starts_with(b"!<ar")
        || magic.starts_with(b"!<th")
        || may_be_foreign(magic)
}

/// What facts are read from: the bytes of one file. A file on disk may change while
/// it is read (a build still writing it, a package manager replacing it in place);
/// such a file says so once the reader is done, and what was read from it is not kept.
pub trait Contents {
    fn bytes(&self) -> &[u8];

    /// Why the bytes just read cannot be taken for the file's, if they cannot.
    fn changed(&self) -> Option<String> {
        None
    }
}

impl Contents for [u8] {
    fn bytes(&self) -> &[u8] {
        self
    }
}

impl Contents for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

/// `outcome`, unless the file changed while it was read: then that is the answer.
fn unless_changed<T, C: Contents + ?Sized>(
    contents: &C,
    outcome: Result<T, ElfError>,
) -> Result<T, ElfError> {
    match contents.changed() {
        Some(why) => Err(ElfError::Malformed(why)),
        None => outcome,
    }
}

/// What a file's bytes are to preflight: the one classification every source and
/// command uses.
#[derive(Debug)]
pub enum Binary {
    Elf(Box<ElfFacts>),
    /// A static library (`ar` archive), or a Mach-O or PE file.
    Other(Box<OtherBinary>),
    /// Starts like a binary preflight reads but cannot be read (or changed while it
    /// was read): why.
    Unreadable(String),
    /// Anything else (text, images, ...): skipped.
    NotBinary,
}

/// Reads `contents` as ELF (with `detail`), else as an archive, a Mach-O or a PE
/// file, never panicking; a file that changed while it was read is `Unreadable`.
pub fn read_binary<C: Contents + ?Sized>(contents: &C, detail: Detail) -> Binary {
    match read_facts_guarded_with(contents, detail) {
        Ok(facts) => Binary::Elf(Box::new(facts)),
        Err(ElfError::Malformed(reason)) => Binary::Unreadable(reason),
        Err(ElfError::NotElf) => match read_other_binary(contents) {
            Ok(other) => Binary::Other(Box::new(other)),
            Err(ElfError::NotElf) => Binary::NotBinary,
            Err(ElfError::Malformed(reason)) => Binary::Unreadable(reason),
        },
    }
}

/// An archive, or a Mach-O or PE file; `NotElf` for anything else.
pub fn read_other_binary<C: Contents + ?Sized>(contents: &C) -> Result<OtherBinary, ElfError> {
    let bytes = contents.bytes();
    let outcome = std::panic::catch_unwind(|| {
        if has_archive_magic(bytes) {
            return read_archive(bytes).map(OtherBinary::Archive);
        }
        identify_foreign(bytes)
            .map(OtherBinary::Foreign)
            .ok_or(ElfError::NotElf)
    })
    .unwrap_or_else(|_| {
        Err(ElfError::Malformed(
            "internal error while reading this file".into(),
        ))
    });
    unless_changed(contents, outcome)
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

/// `read_facts_with`, with guards: the reader is written to fail with an error, never
/// a panic, but a bug in it (or in goblin) must not lose the rest of a scan; and the
/// facts of a file that changed while it was read are not its facts.
pub fn read_facts_guarded_with<C: Contents + ?Sized>(
    contents: &C,
    detail: Detail,
) -> Result<ElfFacts, ElfError> {
    let bytes = contents.bytes();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_facts_with(bytes, detail)
    }))
    .unwrap_or_else(|_| {
        Err(ElfError::Malformed(
            "internal error while reading this file".into(),
        ))
    });
    unless_changed(contents, outcome)
}
