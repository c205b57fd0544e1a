//! The dynamic symbol table and the GNU symbol-versioning tables.
//!
//! Format: "Symbol Versioning" in the LSB Core specification (gnu.version, gnu.version_d,
//! gnu.version_r); glibc reads them in elf/dl-version.c. Each `.gnu.version` entry is
//! the version index of the `.dynsym` entry with the same number; the index names a
//! `vna_other` of `.gnu.version_r` (a version needed from a library) or a `vd_ndx` of
//! `.gnu.version_d` (a version this object defines). Indexes 0 and 1 mean local and
//! global-unversioned; bit 15 marks a hidden (non-default) version.

use super::facts::{Binding, DynSymbol, SymbolType, SymbolVersion};
use super::layout::{Layout, StringTable};
use super::version_name::VersionName;
use super::ElfError;
use goblin::elf::section_header::{
    SHT_DYNSYM, SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_GNU_VERSYM, SHT_NOBITS,
};
use goblin::elf::symver::{VerdefSection, VerneedSection, VersymSection, VER_FLG_BASE};
use goblin::elf::{SectionHeader, Symtab};
use std::collections::{BTreeMap, HashMap};

const DT_HASH: u64 = 4;
const DT_SYMTAB: u64 = 6;
const DT_GNU_HASH: u64 = 0x6fff_fef5;
const DT_VERSYM: u64 = 0x6fff_fff0;
const DT_VERDEF: u64 = 0x6fff_fffc;
const DT_VERDEFNUM: u64 = 0x6fff_fffd;
const DT_VERNEED: u64 = 0x6fff_fffe;
const DT_VERNEEDNUM: u64 = 0x6fff_ffff;
const EM_S390: u16 = 22;
const EM_ALPHA: u16 = 0x9026;

/// A table found either by its section header or by its DT_* address, given as a
/// section header (real or synthesized) so goblin's readers serve both cases.
struct Table<'a> {
    shdr: SectionHeader,
    strings: StringTable<'a>,
}

pub(crate) struct SymbolTables<'a> {
    dynsym: Option<(Table<'a>, usize)>,
    versym: Option<SectionHeader>,
    verneed: Option<Table<'a>>,
    verdef: Option<Table<'a>>,
}

pub(crate) struct Versions {
    pub needs: BTreeMap<String, Vec<VersionName>>,
    pub defs: Vec<VersionName>,
    pub symbols_by_version: BTreeMap<VersionName, Vec<String>>,
    pub symbols: Vec<DynSymbol>,
}

impl<'a> SymbolTables<'a> {
    pub fn locate(
        layout: &Layout<'a>,
        dyns: &[(u64, u64)],
        dynstr: StringTable<'a>,
        e_machine: u16,
    ) -> Result<Self, ElfError> {
        if !layout.shdrs.is_empty() {
            return Self::from_sections(layout);
        }
        let tag = |t: u64| dyns.iter().find(|(tag, _)| *tag == t).map(|&(_, v)| v);
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
        })
    }
}

fn symbol_entry_size(layout: &Layout<'_>) -> u64 {
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
    dyns: &[(u64, u64)],
    e_machine: u16,
) -> Result<usize, ElfError> {
    let from_hash = dynsym_count_from_hash(layout, dyns, e_machine)?;
    Ok(from_hash.max(highest_relocated_symbol(layout, dyns).map_or(0, |i| i + 1)))
}

const DT_RELA: u64 = 7;
const DT_RELASZ: u64 = 8;
const DT_REL: u64 = 17;
const DT_RELSZ: u64 = 18;
const DT_PLTREL: u64 = 20;
const DT_JMPREL: u64 = 23;
const DT_PLTRELSZ: u64 = 2;

fn highest_relocated_symbol(layout: &Layout<'_>, dyns: &[(u64, u64)]) -> Option<usize> {
    let tag = |t: u64| dyns.iter().find(|(tag, _)| *tag == t).map(|&(_, v)| v);
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
    dyns: &[(u64, u64)],
    e_machine: u16,
) -> Result<usize, ElfError> {
    let tag = |t: u64| dyns.iter().find(|(tag, _)| *tag == t).map(|&(_, v)| v);
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
        let nchain =
            if (e_machine == EM_S390 || e_machine == EM_ALPHA) && layout.ctx.container.is_big() {
                layout.u64_at(data, 8).ok_or_else(|| bad("DT_HASH"))? as usize
            } else {
                layout.u32_at(data, 4).ok_or_else(|| bad("DT_HASH"))? as usize
            };
        return Ok(nchain);
    }
    Ok(0)
}

pub(crate) fn read_symbols_and_versions(
    layout: &Layout<'_>,
    tables: &SymbolTables<'_>,
) -> Result<Versions, ElfError> {
    let bytes = layout.bytes;
    let ctx = layout.ctx;
    let mut by_index: HashMap<u16, (VersionName, Option<String>)> = HashMap::new();
    let mut needs: BTreeMap<String, Vec<VersionName>> = BTreeMap::new();
    let mut defs = Vec::new();

    if let Some(t) = &tables.verneed {
        let section = VerneedSection::parse(bytes, std::slice::from_ref(&t.shdr), ctx)
            .map_err(|e| ElfError::Malformed(format!(".gnu.version_r: {e}")))?;
        for need in section.iter().flat_map(|s| s.iter().collect::<Vec<_>>()) {
            let file = t
                .strings
                .require(need.vn_file as u64, "version need file")?;
            for aux in need.iter() {
                let name = VersionName(
                    t.strings
                        .require(aux.vna_name as u64, "version need name")?,
                );
                needs.entry(file.clone()).or_default().push(name.clone());
                by_index.insert(aux.vna_other, (name, Some(file.clone())));
            }
        }
    }
    if let Some(t) = &tables.verdef {
        let section = VerdefSection::parse(bytes, std::slice::from_ref(&t.shdr), ctx)
            .map_err(|e| ElfError::Malformed(format!(".gnu.version_d: {e}")))?;
        for def in section.iter().flat_map(|s| s.iter().collect::<Vec<_>>()) {
            let Some(aux) = def.iter().next() else {
                continue;
            };
            let name = VersionName(
                t.strings
                    .require(aux.vda_name as u64, "version definition name")?,
            );
            if def.vd_flags & VER_FLG_BASE == 0 {
                defs.push(name.clone());
            }
            by_index.insert(def.vd_ndx, (name, None));
        }
    }
    for list in needs.values_mut() {
        list.sort();
        list.dedup();
    }
    defs.sort();
    defs.dedup();

    let mut symbols = Vec::new();
    let mut symbols_by_version: BTreeMap<VersionName, Vec<String>> = BTreeMap::new();
    if let Some((t, count)) = &tables.dynsym {
        let count = *count;
        if count as u64 * symbol_entry_size(layout) > bytes.len() as u64 {
            return Err(ElfError::Malformed(format!(
                ".dynsym claims {count} symbols, more than the file can hold"
            )));
        }
        let offset = usize::try_from(t.shdr.sh_offset).unwrap_or(usize::MAX);
        let symtab = Symtab::parse(bytes, offset, count, ctx)
            .map_err(|e| ElfError::Malformed(format!(".dynsym: {e}")))?;
        let versym = match &tables.versym {
            Some(shdr) => VersymSection::parse(bytes, std::slice::from_ref(shdr), ctx)
                .map_err(|e| ElfError::Malformed(format!(".gnu.version: {e}")))?,
            None => None,
        };
        symbols.reserve(count.saturating_sub(1));
        for index in 1..count {
            let Some(sym) = symtab.get(index) else { break };
            let name = t
                .strings
                .require(sym.st_name as u64, "dynamic symbol name")?;
            let version = versym.as_ref().and_then(|v| v.get_at(index)).and_then(|v| {
                let (name, file) = by_index.get(&v.version())?;
                (v.version() > 1).then(|| SymbolVersion {
                    name: name.clone(),
                    file: file.clone(),
                    hidden: v.is_hidden(),
                })
            });
            let defined = sym.st_shndx != 0;
            if let Some(SymbolVersion {
                name: version,
                file: Some(_),
                ..
            }) = &version
            {
                if !defined {
                    symbols_by_version
                        .entry(version.clone())
                        .or_default()
                        .push(name.clone());
                }
            }
            symbols.push(DynSymbol {
                name,
                defined,
                binding: binding(sym.st_bind()),
                kind: symbol_type(sym.st_type()),
                version,
            });
        }
    }
    for list in symbols_by_version.values_mut() {
        list.sort();
        list.dedup();
    }
    Ok(Versions {
        needs,
        defs,
        symbols_by_version,
        symbols,
    })
}

fn binding(bind: u8) -> Binding {
    match bind {
        0 => Binding::Local,
        1 => Binding::Global,
        2 => Binding::Weak,
        10 => Binding::GnuUnique,
        _ => Binding::Other,
    }
}

fn symbol_type(kind: u8) -> SymbolType {
    match kind {
        0 => SymbolType::NoType,
        1 => SymbolType::Object,
        2 => SymbolType::Func,
        3 => SymbolType::Section,
        4 => SymbolType::File,
        5 => SymbolType::Common,
        6 => SymbolType::Tls,
        10 => SymbolType::Ifunc,
        _ => SymbolType::Other,
    }
}
