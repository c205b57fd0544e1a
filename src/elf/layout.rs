//! Where the loader's tables live inside the file.
//!
//! The dynamic loader finds everything through PT_DYNAMIC and the addresses in it; it
//! never reads section headers, which `strip` and `sstrip` may remove. readelf prefers
//! the section headers when they exist. preflight does the same (so it agrees with
//! readelf on every ordinary file), and falls back to the DT_* addresses, translated
//! through the PT_LOAD segments, when a file has no section headers.

use super::ElfError;
use goblin::container::Ctx;
use goblin::elf::program_header::PT_LOAD;
use goblin::elf::{ProgramHeader, SectionHeader};
use scroll::Pread;

/// A bounds-checked view of the file.
pub(crate) struct Layout<'a> {
    pub bytes: &'a [u8],
    pub ctx: Ctx,
    pub phdrs: Vec<ProgramHeader>,
    pub shdrs: Vec<SectionHeader>,
    /// The section name table (`e_shstrndx`); empty when the file has none.
    pub shstrtab: StringTable<'a>,
    /// What may still be copied out of the file as text.
    pub text: super::limits::TextBudget,
}

impl<'a> Layout<'a> {
    /// The file bytes from `offset`, `len` long, or an error naming `what`.
    pub fn slice(&self, offset: u64, len: u64, what: &str) -> Result<&'a [u8], ElfError> {
        let start = usize::try_from(offset).ok();
        let end = offset
            .checked_add(len)
            .and_then(|e| usize::try_from(e).ok());
        match (start, end) {
            (Some(s), Some(e)) if e <= self.bytes.len() => Ok(&self.bytes[s..e]),
            _ => Err(ElfError::Malformed(format!(
                "{what} (offset {offset:#x}, {len} bytes) extends past the end of the file ({} bytes)",
                self.bytes.len()
            ))),
        }
    }

    /// Translates a virtual address into a file offset and the number of bytes from
    /// there to the end of its PT_LOAD segment's file image, as ld.so does when it
    /// reads the dynamic tables of a mapped object.
    pub fn vaddr_to_offset(&self, addr: u64) -> Option<(u64, u64)> {
        vaddr_to_offset(&self.phdrs, addr)
    }

    /// The bytes at virtual address `addr`: `len` of them when given, else up to the end
    /// of the segment.
    pub fn at_vaddr(&self, addr: u64, len: Option<u64>, what: &str) -> Result<&'a [u8], ElfError> {
        let (offset, available) = self.vaddr_to_offset(addr).ok_or_else(|| {
            ElfError::Malformed(format!(
                "{what} address {addr:#x} is not inside any loadable segment"
            ))
        })?;
        self.slice(offset, len.unwrap_or(available), what)
    }

    pub fn section(&self, sh_type: u32) -> Option<&SectionHeader> {
        self.shdrs.iter().find(|s| s.sh_type == sh_type)
    }

    pub fn section_bytes(&self, shdr: &SectionHeader, what: &str) -> Result<&'a [u8], ElfError> {
        self.slice(shdr.sh_offset, shdr.sh_size, what)
    }

    /// A section's name, "" when the name table lacks it (hostile or stripped files).
    pub fn section_name(&self, shdr: &SectionHeader) -> std::borrow::Cow<'a, str> {
        self.shstrtab
            .get_borrowed(shdr.sh_name as u64)
            .unwrap_or_default()
    }

    /// The first section with this name (compared as bytes: this runs for every file).
    pub fn section_named(&self, name: &str) -> Option<&SectionHeader> {
        let name = name.as_bytes();
        self.shdrs.iter().find(|s| {
            let at = s.sh_name;
            self.shstrtab.data.get(at..at + name.len()) == Some(name)
                && self.shstrtab.data.get(at + name.len()) == Some(&0)
        })
    }

    /// The static symbol table (`.symtab`, SHT_SYMTAB) at section `index`, or the
    /// first one when `index` is None; None once stripped.
    pub fn section_symbols(&self, index: Option<usize>) -> Option<SectionSymbols<'a>> {
        use goblin::elf::section_header::SHT_SYMTAB;
        let shdr = match index {
            Some(i) => self.shdrs.get(i).filter(|s| s.sh_type == SHT_SYMTAB)?,
            None => self.section(SHT_SYMTAB)?,
        };
        let count = usize::try_from(shdr.sh_size / super::tables::symbol_entry_size(self)).ok()?;
        let symbols =
            goblin::elf::sym::Symtab::parse(self.bytes, shdr.sh_offset as usize, count, self.ctx)
                .ok()?;
        let strings = self
            .shdrs
            .get(shdr.sh_link as usize)
            .and_then(|s| self.slice(s.sh_offset, s.sh_size, "strtab").ok())
            .map(StringTable::new)
            .unwrap_or_default();
        Some(SectionSymbols { symbols, strings })
    }

    /// The allocated section holding virtual address `addr`, by name.
    pub fn section_at_vaddr(&self, addr: u64) -> Option<std::borrow::Cow<'a, str>> {
        const SHF_ALLOC: u64 = 2;
        self.shdrs
            .iter()
            .find(|s| {
                s.sh_flags & SHF_ALLOC != 0 && addr >= s.sh_addr && addr - s.sh_addr < s.sh_size
            })
            .map(|s| self.section_name(s))
    }

    pub fn u32_at(&self, data: &[u8], offset: usize) -> Option<u32> {
        data.pread_with::<u32>(offset, self.ctx.le).ok()
    }

    pub fn u64_at(&self, data: &[u8], offset: usize) -> Option<u64> {
        data.pread_with::<u64>(offset, self.ctx.le).ok()
    }
}

/// A symbol table read through the section headers, with its names.
pub(crate) struct SectionSymbols<'a> {
    pub symbols: goblin::elf::sym::Symtab<'a>,
    pub strings: StringTable<'a>,
}

impl SectionSymbols<'_> {
    pub fn name(&self, symbol: &goblin::elf::sym::Sym) -> Option<std::borrow::Cow<'_, str>> {
        self.strings.get_borrowed(symbol.st_name as u64)
    }
}

/// A string table (`.dynstr`): NUL-terminated names addressed by offset.
#[derive(Clone, Copy, Default)]
pub(crate) struct StringTable<'a> {
    data: &'a [u8],
    /// The whole table as text, when `checked` found it valid UTF-8.
    text: Option<&'a str>,
}

impl<'a> StringTable<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        StringTable { data, text: None }
    }

    /// The table, checked once as a whole for valid UTF-8: then each name read from it
    /// needs no check of its own (a library reads thousands, and checking them one by
    /// one cost a scan of /usr 4% of its instructions).
    pub fn checked(self) -> Self {
        StringTable {
            text: std::str::from_utf8(self.data).ok(),
            ..self
        }
    }

    /// Its size in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// The string at `offset`. Names are bytes to the loader; invalid UTF-8 is shown
    /// with replacement characters rather than rejected. Borrowed from the file when
    /// it is valid UTF-8 (the common case: no copy for each of a library's thousands
    /// of symbol names).
    pub fn get_borrowed(&self, offset: u64) -> Option<std::borrow::Cow<'a, str>> {
        let start = usize::try_from(offset).ok()?;
        let rest = self.data.get(start..)?;
        // memchr's vector search: core's CStr scan was half the cost of reading a
        // library's symbols.
        let len = memchr::memchr(0, rest)?;
        // A valid table's slice is valid text unless it starts inside a character.
        if let Some(name) = self.text.and_then(|text| text.get(start..start + len)) {
            return Some(std::borrow::Cow::Borrowed(name));
        }
        let bytes = &rest[..len];
        // The check for valid UTF-8 first: it is several times faster than the lossy
        // conversion, which only invalid names need.
        Some(match std::str::from_utf8(bytes) {
            Ok(name) => std::borrow::Cow::Borrowed(name),
            Err(_) => String::from_utf8_lossy(bytes),
        })
    }

    /// The string at `offset` when the table is checked text and `offset` starts a
    /// character: `get_borrowed`'s common case, without its `Cow` (this runs for every
    /// dynamic symbol). None means: ask `get_borrowed`.
    #[inline]
    pub fn text_at(&self, offset: u32) -> Option<&'a str> {
        let text = self.text?;
        let start = offset as usize;
        let len = memchr::memchr(0, self.data.get(start..)?)?;
        text.get(start..start + len)
    }

    /// Whether the string at `offset` is `name` (compared as bytes, without decoding).
    pub fn is(&self, offset: u64, name: &str) -> bool {
        let Ok(at) = usize::try_from(offset) else {
            return false;
        };
        let name = name.as_bytes();
        at.checked_add(name.len())
            .and_then(|end| self.data.get(at..=end))
            .is_some_and(|s| &s[..name.len()] == name && s[name.len()] == 0)
    }

    pub fn require_borrowed(
        &self,
        offset: u64,
        what: &str,
    ) -> Result<std::borrow::Cow<'a, str>, ElfError> {
        self.get_borrowed(offset).ok_or_else(|| {
            ElfError::Malformed(format!(
                "{what}: string offset {offset:#x} is outside the string table ({} bytes)",
                self.data.len()
            ))
        })
    }
}

/// The entries of the dynamic section, as (d_tag, d_val), up to DT_NULL.
#[derive(Default)]
pub(crate) struct DynamicTags(pub Vec<(u64, u64)>);

impl DynamicTags {
    /// The value of the last entry with `tag`: ld.so stores `info[d_tag] = dyn` for
    /// each entry in turn (glibc elf/get-dynamic-info.h), so a repeated tag's last
    /// value is the one it uses.
    pub fn get(&self, tag: u64) -> Option<u64> {
        self.0
            .iter()
            .rev()
            .find(|(t, _)| *t == tag)
            .map(|&(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(u64, u64)> {
        self.0.iter()
    }
}

/// `Layout::vaddr_to_offset` over program headers alone (the lean loader-facts reader
/// has no `Layout`).
pub(super) fn vaddr_to_offset(phdrs: &[ProgramHeader], addr: u64) -> Option<(u64, u64)> {
    phdrs
        .iter()
        .filter(|p| p.p_type == PT_LOAD)
        .find(|p| addr >= p.p_vaddr && addr - p.p_vaddr < p.p_filesz)
        .map(|p| {
            let delta = addr - p.p_vaddr;
            (p.p_offset + delta, p.p_filesz - delta)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_tables_read_the_same_names() {
        let data: &[u8] = b"\0libc.so.6\0caf\xc3\xa9\0bad\xff\0no end";
        let plain = StringTable::new(data);
        let valid = StringTable::new(&data[..17]);
        for table in [plain, plain.checked(), valid, valid.checked()] {
            for offset in 0..table.len() as u64 + 2 {
                let expected = table.data.get(offset as usize..).and_then(|rest| {
                    let end = rest.iter().position(|&b| b == 0)?;
                    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
                });
                let got = table.get_borrowed(offset).map(|s| s.into_owned());
                assert_eq!(got, expected, "offset {offset}");
                // The fast path answers only where it reads the same name.
                if let Some(fast) = table.text_at(offset as u32) {
                    assert_eq!(Some(fast.to_string()), expected, "text_at {offset}");
                }
            }
        }
        // Inside "é": not a character boundary of the checked text.
        assert_eq!(
            valid.checked().get_borrowed(15).as_deref(),
            Some("\u{fffd}")
        );
    }
}
