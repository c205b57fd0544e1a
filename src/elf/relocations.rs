//! What a relocatable object (`.o`, or a member of a `.a`) asks of the link that will
//! take it: relocations position-independent code never contains, and the GOT entries
//! it needs, counted where a small code model caps the GOT.
//!
//! The classes follow the linkers' own checks: GNU ld refuses `R_X86_64_32` in a PIE or
//! shared object ("recompile with -fPIE/-fPIC", bfd/elf64-x86-64.c
//! `elf_x86_64_need_pic`), turns a full-width absolute relocation in a read-only
//! section into a text relocation, and refuses a PC- or page-relative reference to a
//! symbol that may bind outside a shared object (`R_AARCH64_ADR_PREL_PG_HI21 against
//! symbol ... which may bind externally`, bfd/elfnn-aarch64.c).

use super::layout::{Layout, SectionSymbols};
use super::machine::Machine;
use super::ElfError;
use goblin::elf::reloc::r_to_str;
use goblin::elf::section_header::{SHT_REL, SHT_RELA};
use goblin::elf::sym;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// How many offending relocations a report lists (the count is always complete).
pub const LISTED: usize = 20;

const SHF_WRITE: u64 = 1;
const SHF_ALLOC: u64 = 2;

/// Where an object with a non-PIC relocation can still go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotPicFor {
    /// A reference to a symbol that may bind to another module, with no GOT or PLT in
    /// between: fine in an executable (a copy relocation), refused in a shared library.
    SharedLibrary,
    /// An absolute address in code: neither a shared library nor a PIE can take it
    /// without text relocations (or at all, for 32-bit fields on a 64-bit target).
    PieAndSharedLibrary,
}

/// One relocation position-independent code never contains.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NonPicRelocation {
    /// The archive member it is in (objects inside a `.a`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub section: String,
    pub offset: u64,
    #[serde(rename = "type")]
    pub r_type: String,
    pub symbol: String,
    pub not_for: NotPicFor,
}

/// A small code model: GOT offsets that fit in a few bits cap the number of entries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SmallGot {
    /// The relocation that reveals it (`R_AARCH64_LD64_GOTPAGE_LO15`).
    pub relocation: String,
    /// The most GOT entries a link of such objects can have.
    pub limit: usize,
}

/// The relocations of one relocatable object (or of all members of an archive).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectRelocations {
    /// Relocations of allocated sections (debug information and `.eh_frame` left out).
    pub total: usize,
    /// How many of each type, by name.
    pub by_type: BTreeMap<String, usize>,
    /// The first `LISTED` relocations PIC never contains.
    pub non_pic: Vec<NonPicRelocation>,
    pub non_pic_total: usize,
    /// Distinct GOT entries the object needs (counted on architectures with a small
    /// GOT model only).
    pub got_entries: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_got: Option<SmallGot>,
    /// Global symbols reached through the GOT: entries objects linked together share.
    #[serde(skip)]
    pub got_symbols: Vec<String>,
    /// GOT entries for this object's local symbols, which no other object shares.
    #[serde(skip)]
    pub got_local: usize,
}

impl ObjectRelocations {
    /// The worst place the object cannot go, if any.
    pub fn not_pic_for(&self) -> Option<NotPicFor> {
        self.non_pic.iter().map(|r| r.not_for).max()
    }

    /// Adds another object's relocations (an archive member) to these.
    pub fn absorb(&mut self, member: &str, other: ObjectRelocations) {
        self.total += other.total;
        for (name, n) in other.by_type {
            *self.by_type.entry(name).or_default() += n;
        }
        self.non_pic_total += other.non_pic_total;
        for mut r in other.non_pic {
            if self.non_pic.len() < LISTED {
                r.object = Some(member.to_string());
                self.non_pic.push(r);
            }
        }
        self.got_symbols.extend(other.got_symbols);
        self.got_symbols.sort_unstable();
        self.got_symbols.dedup();
        self.got_local += other.got_local;
        self.got_entries = self.got_symbols.len() + self.got_local;
        if self.small_got.is_none() {
            self.small_got = other.small_got;
        }
    }
}

/// What a relocation type means for position independence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// An absolute address narrower than a pointer, or split across instructions:
    /// never in PIC or PIE code.
    Absolute,
    /// A pointer-sized absolute address: fine in writable data (a dynamic relocation),
    /// a text relocation in read-only sections.
    AbsoluteWord,
    /// PC- or page-relative: fine against a local or hidden symbol, not against one
    /// that may bind to another module.
    Direct,
    /// Local-exec TLS: only the executable's own TLS block has a fixed offset.
    LocalExecTls,
    Got,
    SmallGot,
    Other,
}

#[cfg(test)]
fn classify(machine: u16, r_type: u32) -> Class {
    classify_for(Machine::from(machine), r_type)
}

fn classify_for(machine: Machine, r_type: u32) -> Class {
    use Class::*;
    use Machine::{Aarch64, Arm, M68k, Ppc, Sparc, Sparc32Plus, SparcV9, I386, X86_64};
    match (machine, r_type) {
        // R_X86_64_32, _32S, _16, _8; R_X86_64_64; PC32/PC16/PC8; TPOFF32;
        // GOT32, GOTPCREL, GOTPCRELX, REX_GOTPCRELX, GOTTPOFF.
        (X86_64, 10 | 11 | 12 | 14) => Absolute,
        (X86_64, 1) => AbsoluteWord,
        (X86_64, 2 | 13 | 15) => Direct,
        (X86_64, 23) => LocalExecTls,
        (X86_64, 3 | 9 | 41 | 42 | 22) => Got,
        // R_386_32, _16, _8; TLS_LE, TLS_LE_32; GOT32, GOT32X, TLS_IE, TLS_GOTIE.
        // Not R_386_PC32: i386 ld sends a PC32 call to a preemptible function
        // through the PLT (measured: tests/fixtures/artifacts, `nonpic`), and non-PIC
        // data references are absolute.
        (I386, 1) => AbsoluteWord,
        (I386, 20 | 22) => Absolute,
        (I386, 17 | 34) => LocalExecTls,
        (I386, 3 | 43 | 15 | 16) => Got,
        // R_AARCH64_ABS64; ABS32, ABS16, MOVW_UABS_G0..G3; LD_PREL_LO19,
        // ADR_PREL_LO21, ADR_PREL_PG_HI21(_NC); TLSLE_*; GOT_LD_PREL19,
        // ADR_GOT_PAGE, LD64_GOT_LO12_NC, TLSIE_*; LD64_GOTOFF_LO15,
        // LD64_GOTPAGE_LO15 (the -fpic model: a 15-bit scaled GOT offset).
        (Aarch64, 257) => AbsoluteWord,
        (Aarch64, 258 | 259 | 263..=269) => Absolute,
        (Aarch64, 273..=276) => Direct,
        (Aarch64, 544..=559 | 570 | 571) => LocalExecTls,
        (Aarch64, 309 | 311 | 312 | 541..=543) => Got,
        (Aarch64, 310 | 313) => SmallGot,
        // R_ARM_ABS32; MOVW_ABS_NC, MOVT_ABS, THM_MOVW_ABS_NC, THM_MOVT_ABS;
        // TLS_LE32; GOT_BREL, GOT_PREL.
        (Arm, 2) => AbsoluteWord,
        (Arm, 43 | 44 | 47 | 48) => Absolute,
        (Arm, 108) => LocalExecTls,
        (Arm, 26 | 96) => Got,
        // R_SPARC_32; HI22, LO10; GOT13 (-fpic: 13-bit GOT offsets); GOT10, GOT22.
        (Sparc | Sparc32Plus | SparcV9, 3) => AbsoluteWord,
        (Sparc | Sparc32Plus | SparcV9, 9 | 12) => Absolute,
        (Sparc | Sparc32Plus | SparcV9, 14) => SmallGot,
        (Sparc | Sparc32Plus | SparcV9, 13 | 15) => Got,
        // R_68K_32; GOT16, GOT8, GOT16O, GOT8O (-fpic); GOT32, GOT32O.
        (M68k, 1) => AbsoluteWord,
        (M68k, 8 | 9 | 11 | 12) => SmallGot,
        (M68k, 7 | 10) => Got,
        // R_PPC_ADDR32; ADDR16_LO/HI/HA; GOT16 (-fpic); GOT16_LO/HI/HA.
        (Ppc, 1) => AbsoluteWord,
        (Ppc, 4..=6) => Absolute,
        (Ppc, 14) => SmallGot,
        (Ppc, 15..=17) => Got,
        _ => Other,
    }
}

/// The most GOT entries of its own objects a small-model (`-fpic`) shared library can
/// have: what Debian 12's binutils 2.40 linked when tests/fixtures/artifacts/build.sh
/// bisected it with the real linkers (expected.json, `got` and `got_arches`; one more
/// entry fails with "relocation truncated to fit"). The rest of each window is the
/// GOT header and the crt files' entries.
///
/// - aarch64 (R_AARCH64_LD64_GOTPAGE_LO15, a 15-bit offset scaled by 8: 32 KiB; GCC's
///   manual says 28 KiB): 4,088. A static link with glibc's libc.a, itself -fpic
///   code, fails from 3,965.
/// - sparc64 (R_SPARC_GOT13, signed 13 bits, but ld points the GOT register at the
///   start of `.got`, so only 4 KiB): 505. 32-bit SPARC (ld centres the register in
///   a large GOT: 8 KiB): 2,047.
/// - m68k (R_68K_GOT16O, 32 KiB from the start): 8,187.
/// - 32-bit PowerPC (R_PPC_GOT16, ld centres the register: 64 KiB): 16,380.
pub fn small_got_limit(machine: u16, elf64: bool) -> usize {
    use Machine::{Aarch64, M68k, Ppc, Sparc, Sparc32Plus, SparcV9};
    match Machine::from(machine) {
        Aarch64 => AARCH64_SMALL_GOT_ENTRIES,
        Sparc | Sparc32Plus | SparcV9 if elf64 => 505,
        Sparc | Sparc32Plus | SparcV9 => 2047,
        M68k => 8187,
        Ppc => 16_380,
        _ => usize::MAX,
    }
}

/// Measured: see `small_got_limit`.
pub const AARCH64_SMALL_GOT_ENTRIES: usize = 4088;

/// The relocations of a relocatable object, from its SHT_REL/SHT_RELA sections.
pub(crate) fn object_relocations(
    layout: &Layout<'_>,
    machine: u16,
) -> Result<ObjectRelocations, ElfError> {
    // Relocation sections of a real object each have bytes of their own; sections
    // that all describe the same bytes would have them read once per section.
    let described: u64 = layout
        .shdrs
        .iter()
        .filter(|s| s.sh_type == SHT_RELA || s.sh_type == SHT_REL)
        .fold(0u64, |sum, s| sum.saturating_add(s.sh_size));
    if described > layout.bytes.len() as u64 {
        return Err(ElfError::Malformed(format!(
            "the relocation sections add up to {described} bytes in a file of {}: they overlap",
            layout.bytes.len()
        )));
    }
    let mut out = ObjectRelocations::default();
    let mut by_type: Vec<(u32, usize)> = Vec::new();
    // Global symbols reached through the GOT, by (symbol table, index); named at the
    // end, once each.
    let mut got_globals: HashSet<(usize, usize)> = HashSet::new();
    let mut got_locals: HashSet<(usize, i64)> = HashSet::new();
    let elf64 = layout.ctx.container.is_big();
    // GOT entries matter only where a code model caps them; elsewhere (x86) counting
    // them would cost a string per GOT relocation for nothing.
    let count_got = small_got_limit(machine, elf64) != usize::MAX;
    let kind = Machine::from(machine);
    for shdr in &layout.shdrs {
        if shdr.sh_type != SHT_RELA && shdr.sh_type != SHT_REL {
            continue;
        }
        let Some(target) = layout.shdrs.get(shdr.sh_info as usize) else {
            continue;
        };
        // Relocations of debug information never reach the loaded image; the unwind
        // tables' only point at the object's own code, and ld parses and rewrites
        // `.eh_frame` itself. Skipping them also skips a third of all relocations.
        if target.sh_flags & SHF_ALLOC == 0 || layout.section_name(target) == ".eh_frame" {
            continue;
        }
        let Some(symtab) = layout.section_symbols(Some(shdr.sh_link as usize)) else {
            continue;
        };
        let (Ok(offset), Ok(size)) = (
            usize::try_from(shdr.sh_offset),
            usize::try_from(shdr.sh_size),
        ) else {
            continue;
        };
        let Some(entries) = offset
            .checked_add(size)
            .and_then(|end| layout.bytes.get(offset..end))
        else {
            continue;
        };
        let format = EntryFormat {
            rela: shdr.sh_type == SHT_RELA,
            elf64,
            little: layout.ctx.le.is_little(),
        };
        let writable = target.sh_flags & SHF_WRITE != 0;
        for reloc in format.entries(entries) {
            out.total += 1;
            // A handful of types per object: a short list beats a map.
            match by_type.iter_mut().find(|(t, _)| *t == reloc.r_type) {
                Some((_, n)) => *n += 1,
                None => by_type.push((reloc.r_type, 1)),
            }
            let class = classify_for(kind, reloc.r_type);
            // Most relocations (calls through the PLT, PC-relative data of PIC code)
            // need no symbol: skip reading it for them.
            let needs_symbol = match class {
                Class::Absolute | Class::AbsoluteWord | Class::LocalExecTls => true,
                Class::Direct => true,
                Class::SmallGot | Class::Got => count_got,
                Class::Other => false,
            };
            if !needs_symbol || (class == Class::AbsoluteWord && writable) {
                continue;
            }
            let symbol = symtab.symbols.get(reloc.r_sym);
            // `_GLOBAL_OFFSET_TABLE_` is undefined in every object that uses it, but
            // the linker defines it in the output itself: it never binds elsewhere.
            let preemptible = symbol.as_ref().is_some_and(|s| {
                matches!(
                    s.st_bind(),
                    sym::STB_GLOBAL | sym::STB_WEAK | sym::STB_GNU_UNIQUE
                ) && s.st_visibility() == sym::STV_DEFAULT
                    && s.st_type() != sym::STT_SECTION
                    && !symtab.strings.is(s.st_name as u64, "_GLOBAL_OFFSET_TABLE_")
            });
            let not_for = match class {
                Class::Absolute => Some(NotPicFor::PieAndSharedLibrary),
                Class::AbsoluteWord if !writable => Some(NotPicFor::PieAndSharedLibrary),
                Class::Direct if preemptible => Some(NotPicFor::SharedLibrary),
                Class::LocalExecTls => Some(NotPicFor::SharedLibrary),
                Class::SmallGot | Class::Got if count_got => {
                    if class == Class::SmallGot && out.small_got.is_none() {
                        out.small_got = Some(SmallGot {
                            relocation: type_name(reloc.r_type, machine),
                            limit: small_got_limit(machine, elf64),
                        });
                    }
                    match &symbol {
                        Some(s) if s.st_bind() != sym::STB_LOCAL => {
                            got_globals.insert((shdr.sh_link as usize, reloc.r_sym));
                        }
                        _ => {
                            got_locals.insert((reloc.r_sym, reloc.r_addend));
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some(not_for) = not_for {
                out.non_pic_total += 1;
                if out.non_pic.len() < LISTED {
                    out.non_pic.push(NonPicRelocation {
                        object: None,
                        section: layout.section_name(target).into_owned(),
                        offset: reloc.r_offset,
                        r_type: type_name(reloc.r_type, machine),
                        symbol: symbol
                            .as_ref()
                            .map(|s| symbol_name(&symtab, s, layout))
                            .unwrap_or_default(),
                        not_for,
                    });
                }
            }
        }
    }
    out.by_type = by_type
        .into_iter()
        .map(|(t, n)| (type_name(t, machine), n))
        .collect();
    let mut got_names: HashSet<String> = HashSet::new();
    for (table, index) in got_globals {
        let Some(symtab) = layout.section_symbols(Some(table)) else {
            continue;
        };
        if let Some(s) = symtab.symbols.get(index) {
            let name = symbol_name(&symtab, &s, layout);
            layout.text.take(name.len(), "GOT symbol names")?;
            got_names.insert(name);
        }
    }
    out.got_symbols = got_names.into_iter().collect();
    out.got_symbols.sort_unstable();
    out.got_local = got_locals.len();
    out.got_entries = out.got_symbols.len() + out.got_local;
    Ok(out)
}

/// How the entries of one SHT_REL or SHT_RELA section are laid out (ELF gABI,
/// "Relocation Entries"): `Elf32_Rel{,a}` or `Elf64_Rel{,a}`, in the file's byte order.
/// They are decoded here directly: goblin's reader went through scroll's context
/// dispatch for every field, most of the time spent on the 4 million relocations of
/// the static libraries under /usr.
#[derive(Clone, Copy)]
struct EntryFormat {
    rela: bool,
    elf64: bool,
    little: bool,
}

/// One relocation entry; `r_addend` is 0 for SHT_REL (its addend is in the bytes it
/// relocates).
struct Entry {
    r_offset: u64,
    r_sym: usize,
    r_type: u32,
    r_addend: i64,
}

impl EntryFormat {
    fn size(self) -> usize {
        match (self.elf64, self.rela) {
            (true, true) => 24,
            (true, false) => 16,
            (false, true) => 12,
            (false, false) => 8,
        }
    }

    /// The entries `section` holds whole (a trailing partial entry is not one).
    fn entries(self, section: &[u8]) -> impl Iterator<Item = Entry> + '_ {
        section.chunks_exact(self.size()).map(move |e| {
            if self.elf64 {
                let info = self.u64_at(e, 8);
                Entry {
                    r_offset: self.u64_at(e, 0),
                    r_sym: (info >> 32) as usize,
                    r_type: info as u32,
                    r_addend: if self.rela {
                        self.u64_at(e, 16) as i64
                    } else {
                        0
                    },
                }
            } else {
                let info = self.u32_at(e, 4);
                Entry {
                    r_offset: u64::from(self.u32_at(e, 0)),
                    r_sym: (info >> 8) as usize,
                    r_type: info & 0xff,
                    r_addend: if self.rela {
                        i64::from(self.u32_at(e, 8) as i32)
                    } else {
                        0
                    },
                }
            }
        })
    }

    fn u64_at(self, entry: &[u8], at: usize) -> u64 {
        let bytes: [u8; 8] = entry
            .get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .unwrap_or_default();
        match self.little {
            true => u64::from_le_bytes(bytes),
            false => u64::from_be_bytes(bytes),
        }
    }

    fn u32_at(self, entry: &[u8], at: usize) -> u32 {
        let bytes: [u8; 4] = entry
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .unwrap_or_default();
        match self.little {
            true => u32::from_le_bytes(bytes),
            false => u32::from_be_bytes(bytes),
        }
    }
}

/// `R_X86_64_32`: goblin's names, with the `R_` prefix readelf shows; for the
/// machines goblin does not name, the relocations this module classifies.
pub(crate) fn type_name(r_type: u32, machine: u16) -> String {
    let name = r_to_str(r_type, machine);
    if !name.contains("UNKNOWN") {
        return if name.starts_with("R_") {
            name.to_string()
        } else {
            format!("R_{name}")
        };
    }
    use Machine::{M68k, Sparc, Sparc32Plus, SparcV9};
    let known = match (Machine::from(machine), r_type) {
        (Sparc | Sparc32Plus | SparcV9, 3) => "R_SPARC_32",
        (Sparc | Sparc32Plus | SparcV9, 9) => "R_SPARC_HI22",
        (Sparc | Sparc32Plus | SparcV9, 12) => "R_SPARC_LO10",
        (Sparc | Sparc32Plus | SparcV9, 13) => "R_SPARC_GOT10",
        (Sparc | Sparc32Plus | SparcV9, 14) => "R_SPARC_GOT13",
        (Sparc | Sparc32Plus | SparcV9, 15) => "R_SPARC_GOT22",
        (Sparc | Sparc32Plus | SparcV9, 16) => "R_SPARC_PC10",
        (Sparc | Sparc32Plus | SparcV9, 17) => "R_SPARC_PC22",
        (Sparc | Sparc32Plus | SparcV9, 18) => "R_SPARC_WPLT30",
        (M68k, 1) => "R_68K_32",
        (M68k, 7) => "R_68K_GOT32",
        (M68k, 8) => "R_68K_GOT16",
        (M68k, 9) => "R_68K_GOT8",
        (M68k, 10) => "R_68K_GOT32O",
        (M68k, 11) => "R_68K_GOT16O",
        (M68k, 12) => "R_68K_GOT8O",
        _ => return format!("type {r_type}"),
    };
    known.to_string()
}

/// A symbol's name for reports; a section symbol (what relocations against static
/// data use) is named after its section, as readelf shows it.
fn symbol_name(table: &SectionSymbols<'_>, s: &sym::Sym, layout: &Layout<'_>) -> String {
    if s.st_type() == sym::STT_SECTION {
        return layout
            .shdrs
            .get(s.st_shndx)
            .map(|sec| layout.section_name(sec).into_owned())
            .unwrap_or_default();
    }
    table.name(s).map(|n| n.into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use goblin::elf::header::{EM_68K, EM_AARCH64, EM_PPC, EM_SPARC, EM_SPARCV9, EM_X86_64};

    #[test]
    fn classes_follow_the_linkers() {
        assert_eq!(classify(EM_X86_64, 10), Class::Absolute);
        assert_eq!(classify(EM_X86_64, 4), Class::Other); // PLT32
        assert_eq!(classify(EM_AARCH64, 313), Class::SmallGot);
        assert_eq!(classify(EM_AARCH64, 312), Class::Got);
        assert_eq!(classify(EM_AARCH64, 275), Class::Direct);
        assert_eq!(small_got_limit(EM_SPARC, false), 2047);
        assert_eq!(small_got_limit(EM_SPARCV9, true), 505);
        assert_eq!(small_got_limit(EM_X86_64, true), usize::MAX);
        assert_eq!(type_name(10, EM_X86_64), "R_X86_64_32");
        assert_eq!(type_name(313, EM_AARCH64), "R_AARCH64_LD64_GOTPAGE_LO15");
        assert_eq!(type_name(14, EM_SPARCV9), "R_SPARC_GOT13");
        assert_eq!(type_name(11, EM_68K), "R_68K_GOT16O");
        assert_eq!(type_name(14, EM_PPC), "R_PPC_GOT16");
        assert_eq!(type_name(999, EM_68K), "type 999");
    }

    #[test]
    fn entries_decode_as_goblin_reads_them() {
        use goblin::container::{Container, Ctx};
        use goblin::elf::reloc::RelocSection;
        // Bytes that make every field differ by width and byte order, with a
        // trailing partial entry.
        let bytes: Vec<u8> = (0..100u8)
            .map(|b| b.wrapping_mul(37).wrapping_add(0x81))
            .collect();
        for elf64 in [false, true] {
            for rela in [false, true] {
                for little in [false, true] {
                    let format = EntryFormat {
                        rela,
                        elf64,
                        little,
                    };
                    let container = if elf64 {
                        Container::Big
                    } else {
                        Container::Little
                    };
                    let le = if little {
                        scroll::Endian::Little
                    } else {
                        scroll::Endian::Big
                    };
                    let ctx = Ctx::new(container, le);
                    let goblin = RelocSection::parse(&bytes, 0, bytes.len(), rela, ctx).unwrap();
                    let ours: Vec<Entry> = format.entries(&bytes).collect();
                    assert_eq!(ours.len(), goblin.len());
                    for (a, b) in ours.iter().zip(goblin.iter()) {
                        assert_eq!(
                            (a.r_offset, a.r_sym, a.r_type, a.r_addend),
                            (b.r_offset, b.r_sym, b.r_type, b.r_addend.unwrap_or(0))
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn absorbing_members_unions_global_got_entries() {
        let member = |syms: &[&str], locals: usize| ObjectRelocations {
            got_symbols: syms.iter().map(|s| s.to_string()).collect(),
            got_local: locals,
            ..ObjectRelocations::default()
        };
        let mut all = ObjectRelocations::default();
        all.absorb("a.o", member(&["x", "y"], 1));
        all.absorb("b.o", member(&["y", "z"], 2));
        assert_eq!(all.got_entries, 3 + 3);
    }
}
