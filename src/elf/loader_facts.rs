//! A dependency tree's reader: only what the dynamic loader itself reads, with
//! `pread`, as libtree does. The ELF header, the program headers, PT_INTERP,
//! PT_DYNAMIC, the strings DT_STRTAB holds for it, DT_VERNEED and DT_VERDEF (found
//! through their DT_* addresses, as ld.so finds them: glibc elf/get-dynamic-info.h,
//! elf/dl-version.c) and the note segments (for `.note.dlopen`). No section header
//! is parsed, no file is mapped, nothing past what the loader needs is touched.
//!
//! It reads the files an ordinary tree is made of: executables and shared
//! libraries. Anything else, and any file it cannot read cleanly, is `None`, and the
//! caller reads the file with `read_facts_with` instead, whose error messages then
//! name what is wrong. Where both succeed they give the same loader facts (the
//! fixtures and /usr/bin are checked against it): the facts a tree never looks at
//! (hardening, notes beyond dlopen, `.comment`, Go build information, the symbol
//! table) are left empty, as `Detail::Links` leaves the symbols.

use super::facts::{ElfFacts, Kind};
pub(super) use super::layout::vaddr_to_offset;
use super::layout::DynamicTags;
use super::limits::TextBudget;
use super::machine::machine_name;
use super::notes::{dlopen_dependencies, walk_notes};
use super::read::{classify, read_dynamic, read_header, read_program_headers};
use super::ElfError;
use goblin::elf::dynamic::{DT_NULL, DT_STRSZ, DT_STRTAB, DT_VERSYM};
use goblin::elf::program_header::{PT_DYNAMIC, PT_GNU_PROPERTY, PT_INTERP, PT_LOAD, PT_NOTE};
use goblin::elf::{Dyn, ProgramHeader, SectionHeader};
use scroll::ctx::SizeWith;
use scroll::Pread;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fs::File;
use std::os::fd::AsRawFd;

/// Bytes are read a block at a time and kept for the rest of the file's reading: the
/// headers, the interpreter and the notes share the first block, the NEEDED names
/// and version names a few of the string table's.
const BLOCK: u64 = 4096;
/// At most this many blocks (1 MiB) per file: real files need 3 to 8. A hostile
/// file's chains of version entries or endless strings stop here, and the file is
/// left to the full reader, which bounds them its own way.
const MAX_BLOCKS: usize = 256;

/// The file read through `pread`, a block at a time.
struct Blocks<'f> {
    file: &'f File,
    len: u64,
    blocks: RefCell<Vec<(u64, Box<[u8]>)>>,
}

impl<'f> Blocks<'f> {
    /// The block `index` (shorter at the end of the file), read on first use.
    fn with_block<T>(&self, index: u64, f: impl FnOnce(&[u8]) -> T) -> Option<T> {
        let mut blocks = self.blocks.borrow_mut();
        // The block used last is looked at first: reads come in runs.
        if let Some((_, data)) = blocks.iter().rev().find(|(i, _)| *i == index) {
            return Some(f(data));
        }
        if blocks.len() >= MAX_BLOCKS {
            return None;
        }
        let start = index.checked_mul(BLOCK)?;
        let size = usize::try_from(self.len.checked_sub(start)?.min(BLOCK)).ok()?;
        let mut data: Vec<u8> = Vec::with_capacity(size);
        // SAFETY: pread writes at most `size` bytes into the vector's spare capacity,
        // of which exactly the `n` it reports are then taken as initialized. (Zeroing
        // 4 KiB first cost as much as the rest of the file's reading.)
        let n = unsafe {
            libc::pread(
                self.file.as_raw_fd(),
                data.as_mut_ptr().cast(),
                size,
                libc::off_t::try_from(start).ok()?,
            )
        };
        // A short read is a file cut short since its size was taken: not read here.
        if usize::try_from(n).ok()? != size {
            return None;
        }
        // SAFETY: the first `size` bytes were just written by pread.
        unsafe { data.set_len(size) };
        let answer = f(&data);
        blocks.push((index, data.into_boxed_slice()));
        Some(answer)
    }

    /// `N` bytes at `offset` without a copy when they lie in one block.
    fn array<const N: usize>(&self, offset: u64) -> Option<[u8; N]> {
        let from = (offset % BLOCK) as usize;
        if from + N <= BLOCK as usize {
            return self.with_block(offset / BLOCK, |b| b.get(from..from + N)?.try_into().ok())?;
        }
        self.read(offset, N as u64)?.try_into().ok()
    }

    /// `len` bytes at `offset`; None past the end of the file.
    fn read(&self, offset: u64, len: u64) -> Option<Vec<u8>> {
        let end = offset.checked_add(len)?;
        if end > self.len {
            return None;
        }
        let mut out = Vec::with_capacity(usize::try_from(len).ok()?);
        let mut at = offset;
        while at < end {
            let from = (at % BLOCK) as usize;
            let want = (end - at).min(BLOCK - at % BLOCK) as usize;
            self.with_block(at / BLOCK, |b| {
                out.extend_from_slice(b.get(from..from + want)?);
                Some(())
            })??;
            at += want as u64;
        }
        Some(out)
    }

    /// The NUL-terminated string at `offset`, which must end before `limit`.
    fn c_string(&self, offset: u64, limit: u64) -> Option<Vec<u8>> {
        let limit = limit.min(self.len);
        let mut out = Vec::new();
        let mut at = offset;
        while at < limit {
            let from = (at % BLOCK) as usize;
            let want = (limit - at).min(BLOCK - at % BLOCK) as usize;
            let done = self.with_block(at / BLOCK, |b| {
                let part = b.get(from..from + want)?;
                match memchr::memchr(0, part) {
                    Some(end) => {
                        out.extend_from_slice(&part[..end]);
                        Some(true)
                    }
                    None => {
                        out.extend_from_slice(part);
                        Some(false)
                    }
                }
            })??;
            if done {
                return Some(out);
            }
            at += want as u64;
        }
        None
    }

    fn u16_at(&self, offset: u64, le: scroll::Endian) -> Option<u16> {
        let bytes = self.array::<2>(offset)?;
        Some(match le.is_little() {
            true => u16::from_le_bytes(bytes),
            false => u16::from_be_bytes(bytes),
        })
    }

    fn u32_at(&self, offset: u64, le: scroll::Endian) -> Option<u32> {
        let bytes = self.array::<4>(offset)?;
        Some(match le.is_little() {
            true => u32::from_le_bytes(bytes),
            false => u32::from_be_bytes(bytes),
        })
    }
}

/// The loader facts of the ELF file `file` (`len` bytes long), or None when the full
/// reader must read it (not an executable or shared library, or not read cleanly).
pub fn read_loader_facts(file: &File, len: u64) -> Option<ElfFacts> {
    let blocks = Blocks {
        file,
        len,
        blocks: RefCell::new(Vec::new()),
    };
    read(&blocks).ok().flatten()
}

/// Ok(None) where the full reader is to decide; an error is only a shortcut to it.
fn read(file: &Blocks<'_>) -> Result<Option<ElfFacts>, ElfError> {
    let Some(start) = file.read(0, file.len.min(64)) else {
        return Ok(None);
    };
    let (header, class, endian, ctx) = read_header(&start)?;
    let le = ctx.le;
    let table_end = header
        .e_phoff
        .checked_add(u64::from(header.e_phnum) * u64::from(header.e_phentsize));
    let Some(head) = table_end.and_then(|end| file.read(0, end.min(64 << 10))) else {
        return Ok(None);
    };
    let phdrs = read_program_headers(&head, &header, ctx)?;
    // Without program headers the full reader takes the notes from the sections.
    if phdrs.is_empty() {
        return Ok(None);
    }
    // What the full reader refuses, refused here too: section headers of another
    // size or past the end of the file, and segments cut short.
    if header.e_shoff != 0 {
        let size = SectionHeader::size(ctx) as u64;
        let end = u64::from(header.e_shnum)
            .checked_mul(size)
            .and_then(|n| n.checked_add(header.e_shoff));
        if header.e_shnum == 0
            || u64::from(header.e_shentsize) != size
            || end.is_none_or(|end| end > file.len)
        {
            return Ok(None);
        }
    }
    for p in &phdrs {
        let fits = p
            .p_offset
            .checked_add(p.p_filesz)
            .is_some_and(|end| end <= file.len && usize::try_from(end).is_ok());
        if matches!(p.p_type, PT_LOAD | PT_DYNAMIC | PT_INTERP) && !fits {
            return Ok(None);
        }
        // A separate debug-info file (see `read::is_debug_companion`).
        if matches!(p.p_type, PT_DYNAMIC | PT_INTERP) && p.p_filesz == 0 && p.p_memsz > 0 {
            return Ok(None);
        }
    }
    let interpreter = match phdrs
        .iter()
        .find(|p| p.p_type == PT_INTERP && p.p_filesz > 0)
    {
        Some(p) => {
            let Some(data) = file.read(p.p_offset, p.p_filesz) else {
                return Ok(None);
            };
            let end = memchr::memchr(0, &data).unwrap_or(data.len());
            Some(String::from_utf8_lossy(&data[..end]).into_owned())
        }
        None => None,
    };
    let Some(dyns) = dynamic_tags(file, &phdrs, ctx) else {
        return Ok(None);
    };
    let text = TextBudget::for_file(usize::try_from(file.len).unwrap_or(usize::MAX));
    let Some(strings) = StringsAt::locate(file, &phdrs, &dyns) else {
        return Ok(None);
    };
    let facts = read_dynamic(&dyns, &|val, what| strings.get(file, val, what), &text)?;
    let kind = classify(
        header.e_type,
        interpreter.is_some(),
        facts.pie,
        facts.soname.is_some(),
    );
    if !matches!(
        kind,
        Kind::Executable | Kind::PieExecutable | Kind::SharedLibrary
    ) {
        return Ok(None);
    }
    // The full reader's DT_* path checks DT_VERSYM's address.
    if dyns
        .get(DT_VERSYM)
        .is_some_and(|addr| vaddr_to_offset(&phdrs, addr).is_none())
    {
        return Ok(None);
    }
    let Some((version_needs, version_defs)) =
        versions::read(file, &phdrs, &dyns, &strings, le, &text)?
    else {
        return Ok(None);
    };
    let Some(dlopen) = dlopen(file, &phdrs, le) else {
        return Ok(None);
    };
    let machine = machine_name(header.e_machine, class, endian);
    // What the loader does not read (notes but .note.dlopen, section headers,
    // symbols) stays as `bare` leaves it.
    Ok(Some(ElfFacts {
        interpreter,
        soname: facts.soname,
        needed: facts.needed,
        rpath: facts.rpath,
        runpath: facts.runpath,
        textrel: facts.textrel,
        nodeflib: facts.nodeflib,
        version_needs,
        version_defs,
        dlopen,
        ..ElfFacts::bare(class, endian, &machine, header.e_machine, kind)
    }))
}

/// The entries of the first PT_DYNAMIC up to DT_NULL (included), as goblin's
/// `Dynamic::parse` reads them.
fn dynamic_tags(
    file: &Blocks<'_>,
    phdrs: &[ProgramHeader],
    ctx: goblin::container::Ctx,
) -> Option<DynamicTags> {
    let Some(p) = phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) else {
        return Some(DynamicTags::default());
    };
    let data = file.read(p.p_offset, p.p_filesz)?;
    let size = Dyn::size_with(&ctx);
    let mut tags = Vec::with_capacity(data.len() / size);
    for entry in data.chunks_exact(size) {
        let d: Dyn = entry.pread_with(0, ctx).ok()?;
        tags.push((d.d_tag, d.d_val));
        if d.d_tag == DT_NULL {
            break;
        }
    }
    Some(DynamicTags(tags))
}

/// The dynamic string table: where it is in the file, read a string at a time.
struct StringsAt {
    offset: u64,
    size: u64,
}

impl StringsAt {
    fn locate(file: &Blocks<'_>, phdrs: &[ProgramHeader], dyns: &DynamicTags) -> Option<Self> {
        let Some(addr) = dyns.get(DT_STRTAB) else {
            return Some(StringsAt { offset: 0, size: 0 });
        };
        let (offset, available) = vaddr_to_offset(phdrs, addr)?;
        let size = dyns.get(DT_STRSZ).unwrap_or(available);
        let end = offset.checked_add(size)?;
        (end <= file.len && usize::try_from(end).is_ok()).then_some(StringsAt { offset, size })
    }

    /// The string at `at` handed to `f` where it lies in one block read before, as
    /// valid UTF-8 (most names): no copy is made for a name that is copied again
    /// anyway (a version name becomes a shared string). Otherwise `get`'s answer.
    fn with<T>(
        &self,
        file: &Blocks<'_>,
        at: u64,
        what: &str,
        f: impl FnOnce(&str) -> T,
    ) -> Result<T, ElfError> {
        let mut f = Some(f);
        if at < self.size {
            let start = self.offset + at;
            let limit = (self.offset + self.size).min(file.len);
            let from = (start % BLOCK) as usize;
            let want = limit.saturating_sub(start).min(BLOCK - start % BLOCK) as usize;
            let done = file
                .with_block(start / BLOCK, |b| {
                    let part = b.get(from..from + want)?;
                    let end = memchr::memchr(0, part)?;
                    let text = std::str::from_utf8(&part[..end]).ok()?;
                    f.take().map(|f| f(text))
                })
                .flatten();
            if let Some(answer) = done {
                return Ok(answer);
            }
        }
        let text = self.get(file, at, what)?;
        Ok(f.take().expect("called only here")(&text))
    }

    fn get<'s>(&self, file: &Blocks<'_>, at: u64, what: &str) -> Result<Cow<'s, str>, ElfError> {
        let found = (at < self.size)
            .then(|| file.c_string(self.offset + at, self.offset + self.size))
            .flatten();
        match found {
            Some(bytes) => Ok(match String::from_utf8(bytes) {
                Ok(text) => Cow::Owned(text),
                Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            }),
            None => Err(ElfError::Malformed(format!(
                "{what}: string offset {at:#x} is outside the string table"
            ))),
        }
    }
}

/// The `.note.dlopen` libraries, from the note segments in the full reader's order
/// (PT_GNU_PROPERTY first, then PT_NOTE).
fn dlopen(
    file: &Blocks<'_>,
    phdrs: &[ProgramHeader],
    le: scroll::Endian,
) -> Option<Vec<super::facts::DlopenDependency>> {
    let segments: Vec<&ProgramHeader> = phdrs
        .iter()
        .filter(|p| p.p_type == PT_GNU_PROPERTY)
        .chain(phdrs.iter().filter(|p| p.p_type == PT_NOTE))
        .collect();
    let mut data = Vec::with_capacity(segments.len());
    for p in &segments {
        // One past the end of the file is skipped, as `notes::notes` skips it.
        let fits = p
            .p_offset
            .checked_add(p.p_filesz)
            .is_some_and(|end| end <= file.len);
        if fits {
            data.push((file.read(p.p_offset, p.p_filesz)?, p.p_align));
        }
    }
    let mut notes = Vec::new();
    for (bytes, align) in &data {
        walk_notes(bytes, *align, le, &mut notes);
    }
    Some(dlopen_dependencies(&notes))
}

mod versions;

#[cfg(test)]
mod tests;
