//! The causes of DT_TEXTREL: the dynamic relocations that patch a segment mapped
//! without write permission, which the loader must make writable for the time it
//! relocates (glibc elf/dl-reloc.c, `_dl_relocate_object`, the `textrels` list).
//! `ld -z text` refuses each of them and names the symbol and section
//! ("relocation against `x' in read-only section `.text'"); preflight lists the same
//! from the linked file, so the user learns which code to rebuild with -fPIC.

use super::layout::{DynamicTags, Layout};
use super::relocations::type_name;
use super::tables::SymbolTables;
use goblin::elf::dynamic::{
    DT_JMPREL, DT_PLTREL, DT_PLTRELSZ, DT_REL, DT_RELA, DT_RELASZ, DT_RELSZ,
};
use goblin::elf::program_header::PT_LOAD;
use goblin::elf::reloc::RelocSection;
use goblin::elf::sym::{Symtab, STT_FUNC};
use serde::{Deserialize, Serialize};

/// How many causes are listed (the count is always complete).
pub const LISTED: usize = 50;

const PF_W: u32 = 2;

/// One dynamic relocation that writes into a read-only segment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TextRelocation {
    /// The address patched.
    pub offset: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(rename = "type")]
    pub r_type: String,
    /// The symbol whose address is written (none for a relative relocation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The function containing the patched address, when `.symtab` is still there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
}

/// The first `LISTED` text relocations and how many there are in all.
pub(crate) fn text_relocations(
    layout: &Layout<'_>,
    dyns: &DynamicTags,
    tables: &SymbolTables<'_>,
    machine: u16,
) -> (Vec<TextRelocation>, usize) {
    let read_only: Vec<(u64, u64)> = layout
        .phdrs
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_flags & PF_W == 0)
        .map(|p| (p.p_vaddr, p.p_vaddr.saturating_add(p.p_memsz)))
        .collect();
    let in_read_only = |addr: u64| read_only.iter().any(|&(lo, hi)| addr >= lo && addr < hi);
    let dynsym = tables.dynsym.as_ref().and_then(|(table, count)| {
        let symbols = Symtab::parse(
            layout.bytes,
            table.shdr.sh_offset as usize,
            *count,
            layout.ctx,
        )
        .ok()?;
        Some((symbols, table.strings))
    });
    let functions = FunctionIndex::new(layout);
    let mut causes = Vec::new();
    let mut total = 0;
    let tables_of = [
        (dyns.get(DT_RELA), dyns.get(DT_RELASZ), true),
        (dyns.get(DT_REL), dyns.get(DT_RELSZ), false),
        (
            dyns.get(DT_JMPREL),
            dyns.get(DT_PLTRELSZ),
            dyns.get(DT_PLTREL) == Some(DT_RELA),
        ),
    ];
    for (addr, size, is_rela) in tables_of {
        let (Some(addr), Some(size)) = (addr, size) else {
            continue;
        };
        let Some((offset, available)) = layout.vaddr_to_offset(addr) else {
            continue;
        };
        let Ok(relocs) = RelocSection::parse(
            layout.bytes,
            offset as usize,
            size.min(available) as usize,
            is_rela,
            layout.ctx,
        ) else {
            continue;
        };
        for reloc in relocs.iter() {
            if !in_read_only(reloc.r_offset) {
                continue;
            }
            total += 1;
            if causes.len() >= LISTED {
                continue;
            }
            let symbol = dynsym
                .as_ref()
                .filter(|_| reloc.r_sym != 0)
                .and_then(|(symbols, strings)| {
                    let s = symbols.get(reloc.r_sym)?;
                    Some(strings.get_borrowed(s.st_name as u64)?.into_owned())
                })
                .filter(|name| !name.is_empty());
            causes.push(TextRelocation {
                offset: reloc.r_offset,
                section: layout
                    .section_at_vaddr(reloc.r_offset)
                    .map(|s| s.into_owned()),
                r_type: type_name(reloc.r_type, machine),
                symbol,
                function: functions.containing(reloc.r_offset),
            });
        }
    }
    (causes, total)
}

/// The functions of `.symtab` by address, when the file was not stripped.
struct FunctionIndex(Vec<(u64, u64, String)>);

impl FunctionIndex {
    fn new(layout: &Layout<'_>) -> Self {
        let Some(table) = layout.section_symbols(None) else {
            return FunctionIndex(Vec::new());
        };
        let mut functions = Vec::new();
        for s in table.symbols.iter() {
            if s.st_type() != STT_FUNC || s.st_size == 0 {
                continue;
            }
            let Some(name) = table.name(&s) else {
                continue;
            };
            // The names only explain the causes: once the file's text budget is
            // spent, the rest go without.
            if layout.text.take(name.len(), ".symtab names").is_err() {
                break;
            }
            functions.push((
                s.st_value,
                s.st_value.saturating_add(s.st_size),
                name.into_owned(),
            ));
        }
        FunctionIndex(functions)
    }

    fn containing(&self, addr: u64) -> Option<String> {
        self.0
            .iter()
            .find(|(lo, hi, _)| addr >= *lo && addr < *hi)
            .map(|(_, _, name)| name.clone())
    }
}
