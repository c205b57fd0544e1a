//! Finding `.dynsym`, `.dynstr` and the version tables: by section header when the
//! file has them (as readelf does), else by their DT_* addresses (as ld.so does).

use super::layout::{DynamicTags, Layout, StringTable};
use super::machine::Machine;
use super::ElfError;
use goblin::elf::dynamic::{
    DT_GNU_HASH, DT_HASH, DT_JMPREL, DT_PLTREL, DT_PLTRELSZ, DT_REL, DT_RELA, DT_RELASZ, DT_RELSZ,
    DT_SYMTAB, DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM, DT_VERSYM,
};
use goblin::elf::section_header::{
    SHT_DYNSYM, SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_GNU_VERSYM, SHT_NOBITS,
};
use goblin::elf::SectionHeader;

/// A table found either by its section header or by its DT_* address, given as a
/// section header (real or synthesized) so goblin's readers serve both cases.
pub(crate) struct Table<'a> {
    pub shdr: SectionHeader,
    pub strings: StringTable<'a>,
}

pub(crate) struct SymbolTables<'a> {
    /// `.dynsym` and its number of entries (the null entry included).
    pub dynsym: Option<(Table<'a>, usize)>,
    pub versym: Option<SectionHeader>,
    pub verneed: Option<Table<'a>>,
    pub verdef: Option<Table<'a>>,
    /// The bytes at DT_GNU_HASH (to the end of their segment), when the table it
    /// indexes is the `.dynsym` read here (DT_SYMTAB is its address).
    pub gnu_hash: Option<&'a [u8]>,
}

impl<'a> SymbolTables<'a> {
    pub fn locate(
        layout: &Layout<'a>,
        dyns: &DynamicTags,
        dynstr: StringTable<'a>,
        e_machine: u16,
    ) -> Result<Self, ElfError> {
        let gnu_hash = |dynsym_addr: Option<u64>| {
            let addr = dyns.get(DT_GNU_HASH)?;
            let symtab = dyns.get(DT_SYMTAB)?;
            if dynsym_addr.is_some_and(|a| a != symtab) {
                return None;
            }
            layout.at_vaddr(addr, None, "DT_GNU_HASH").ok()
        };
        if !layout.shdrs.is_empty() {
            let mut tables = Self::from_sections(layout)?;
            let dynsym_addr = tables.dynsym.as_ref().map(|(t, _)| t.shdr.sh_addr);
            tables.gnu_hash = dynsym_addr.and_then(|a| gnu_hash(Some(a)));
            return Ok(tables);
        }
        let tag = |t: u64| dyns.get(t);
        let synth = |addr: u64, len: Option<u64>, sh_type: u32, info: u64, what: &str| {
            let (offset, available) = layout.vaddr_to_offset(addr).ok_or_else(|| {
                ElfError::Malformed(format!(
                    "{what} address {addr:#x} is not in a loadable segment"
                ))
            })?;
            Ok::<_, ElfError>(SectionHeader {
                sh_type,
                sh_offset: offset,
                sh_size: len.unwrap_or(available).min(available),
                sh_info: info as u32,
                ..SectionHeader::default()
            })
        };
        let entsize = symbol_entry_size(layout);
        let dynsym = match tag(DT_SYMTAB) {
            Some(addr) => {
                let count = dynsym_count(layout, dyns, e_machine)?;
                let shdr = synth(
                    addr,
                    Some(count as u64 * entsize),
                    SHT_DYNSYM,
                    0,
                    "DT_SYMTAB",
                )?;
                let count = (shdr.sh_size / entsize) as usize;
                Some((
                    Table {
                        shdr,
                        strings: dynstr,
                    },
                    count,
                ))
            }
            None => None,
        };
        let count = dynsym.as_ref().map_or(0, |(_, n)| *n as u64);
        let versym = tag(DT_VERSYM)
            .map(|addr| synth(addr, Some(count * 2), SHT_GNU_VERSYM, 0, "DT_VERSYM"))
            .transpose()?;
        let verneed = match (tag(DT_VERNEED), tag(DT_VERNEEDNUM)) {
            (Some(addr), Some(n)) => Some(Table {
                shdr: synth(addr, None, SHT_GNU_VERNEED, n, "DT_VERNEED")?,
                strings: dynstr,
            }),
            _ => None,
        };
        let verdef = match (tag(DT_VERDEF), tag(DT_VERDEFNUM)) {
            (Some(addr), Some(n)) => Some(Table {
                shdr: synth(addr, None, SHT_GNU_VERDEF, n, "DT_VERDEF")?,
                strings: dynstr,
            }),
            _ => None,
        };
        Ok(SymbolTables {
            dynsym,
            versym,
            verneed,
            verdef,
            gnu_hash: gnu_hash(None),
        })
    }

    fn from_sections(layout: &Layout<'a>) -> Result<Self, ElfError> {
        let table = |sh_type: u32, what: &str| -> Result<Option<Table<'a>>, ElfError> {
            let Some(shdr) = layout.section(sh_type) else {
                return Ok(None);
            };
            if shdr.sh_type != SHT_NOBITS {
                layout.section_bytes(shdr, what)?;
            }
            let strings = match layout.shdrs.get(shdr.sh_link as usize) {
                Some(link) => StringTable::new(layout.section_bytes(link, "string table")?),
                None => StringTable::default(),
            };
            Ok(Some(Table {
                shdr: shdr.clone(),
                strings,
            }))
        };
        let dynsym = table(SHT_DYNSYM, ".dynsym")?.map(|t| {
            let count = (t.shdr.sh_size / symbol_entry_size(layout)) as usize;
            (t, count)
        });
        let versym = table(SHT_GNU_VERSYM, ".gnu.version")?.map(|t| t.shdr);
        Ok(SymbolTables {
            dynsym,
            versym,
            verneed: table(SHT_GNU_VERNEED, ".gnu.version_r")?,
            verdef: table(SHT_GNU_VERDEF, ".gnu.version_d")?,
            gnu_hash: None,
        })
    }
}

pub(crate) fn symbol_entry_size(layout: &Layout<'_>) -> u64 {
    if layout.ctx.container.is_big() {
        24
    } else {
        16
    }
}

/// Without section headers nothing records how many dynamic symbols there are. As in
/// goblin and readelf: DT_HASH's `nchain`, or the highest index reachable through
/// DT_GNU_HASH's chains; and since DT_GNU_HASH only covers the exported symbols (an
/// executable's imports sit below `symoffset`), also one past the highest symbol
/// index any dynamic relocation uses.
fn dynsym_count(
    layout: &Layout<'_>,
    dyns: &DynamicTags,
    e_machine: u16,
) -> Result<usize, ElfError> {
    let from_hash = dynsym_count_from_hash(layout, dyns, e_machine)?;
    Ok(from_hash.max(highest_relocated_symbol(layout, dyns).map_or(0, |i| i + 1)))
}

fn highest_relocated_symbol(layout: &Layout<'_>, dyns: &DynamicTags) -> Option<usize> {
    let tag = |t: u64| dyns.get(t);
    let is64 = layout.ctx.container.is_big();
    let word = if is64 { 8 } else { 4 };
    let entry_size = |rela: bool| if rela { word * 3 } else { word * 2 };
    let plt_is_rela = tag(DT_PLTREL) == Some(DT_RELA);
    let tables = [
        (tag(DT_RELA), tag(DT_RELASZ), true),
        (tag(DT_REL), tag(DT_RELSZ), false),
        (tag(DT_JMPREL), tag(DT_PLTRELSZ), plt_is_rela),
    ];
    let mut highest = None;
    for (addr, size, rela) in tables {
        let (Some(addr), Some(size)) = (addr, size) else {
            continue;
        };
        let Ok(data) = layout.at_vaddr(addr, Some(size), "relocations") else {
            continue;
        };
        for entry in data.chunks_exact(entry_size(rela)) {
            // r_info follows r_offset; the symbol index is its high part (ELF64_R_SYM,
            // ELF32_R_SYM).
            let sym = if is64 {
                layout.u64_at(entry, 8).map(|info| info >> 32)
            } else {
                layout.u32_at(entry, 4).map(|info| u64::from(info >> 8))
            };
            if let Some(sym) = sym.and_then(|s| usize::try_from(s).ok()) {
                highest = highest.max(Some(sym));
            }
        }
    }
    highest
}

fn dynsym_count_from_hash(
    layout: &Layout<'_>,
    dyns: &DynamicTags,
    e_machine: u16,
) -> Result<usize, ElfError> {
    let tag = |t: u64| dyns.get(t);
    let bad = |what: &str| ElfError::Malformed(format!("{what} hash table is truncated"));
    if let Some(addr) = tag(DT_GNU_HASH) {
        let data = layout.at_vaddr(addr, None, "DT_GNU_HASH")?;
        let word = |i: usize| layout.u32_at(data, i * 4).ok_or_else(|| bad("DT_GNU_HASH"));
        let nbuckets = word(0)? as usize;
        let symoffset = word(1)? as usize;
        let bloom_words = word(2)? as usize;
        let bloom_word_size = if layout.ctx.container.is_big() { 2 } else { 1 };
        let buckets_at = 4usize
            .checked_add(bloom_words.saturating_mul(bloom_word_size))
            .ok_or_else(|| bad("DT_GNU_HASH"))?;
        let mut max = 0usize;
        for b in 0..nbuckets {
            max = max.max(word(buckets_at.saturating_add(b))? as usize);
        }
        if max < symoffset {
            return Ok(symoffset);
        }
        let chains_at = buckets_at.saturating_add(nbuckets);
        // Each chain ends with an entry whose low bit is set; a hostile table without
        // one ends where the data does, because `word` fails there.
        let mut index = max;
        loop {
            let entry = word(chains_at.saturating_add(index - symoffset))?;
            if entry & 1 == 1 {
                return Ok(index + 1);
            }
            index += 1;
        }
    }
    if let Some(addr) = tag(DT_HASH) {
        let data = layout.at_vaddr(addr, None, "DT_HASH")?;
        // 64-bit s390 and Alpha use 8-byte hash words (readelf, get_num_dynamic_syms).
        let nchain = if matches!(Machine::from(e_machine), Machine::S390 | Machine::Alpha)
            && layout.ctx.container.is_big()
        {
            layout.u64_at(data, 8).ok_or_else(|| bad("DT_HASH"))? as usize
        } else {
            layout.u32_at(data, 4).ok_or_else(|| bad("DT_HASH"))? as usize
        };
        return Ok(nchain);
    }
    Ok(0)
}
