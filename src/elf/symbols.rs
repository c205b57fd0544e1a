//! The dynamic symbol table and the GNU symbol-versioning tables.
//!
//! Format: "Symbol Versioning" in the LSB Core specification (gnu.version, gnu.version_d,
//! gnu.version_r); glibc reads them in elf/dl-version.c. Each `.gnu.version` entry is
//! the version index of the `.dynsym` entry with the same number; the index names a
//! `vna_other` of `.gnu.version_r` (a version needed from a library) or a `vd_ndx` of
//! `.gnu.version_d` (a version this object defines). Indexes 0 and 1 mean local and
//! global-unversioned; bit 15 marks a hidden (non-default) version.

use super::export_hash::ExportHash;
use super::facts::{Binding, SymbolType, SymbolVersion};
use super::layout::Layout;
use super::limits::MAX_VERSION_ENTRIES;
use super::symbol_table::SymbolTable;
use super::tables::{symbol_entry_size, SymbolTables};
use super::version_name::{sort_version_names, VersionName};
use super::ElfError;
use goblin::elf::symver::{VerdefSection, VerneedSection, VersymSection, VER_FLG_BASE};
use goblin::elf::Symtab;
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) struct Versions {
    pub needs: BTreeMap<String, Vec<VersionName>>,
    pub defs: Vec<VersionName>,
    pub symbols: SymbolTable,
}

pub(crate) fn read_symbols_and_versions(
    layout: &Layout<'_>,
    tables: &SymbolTables<'_>,
    with_symbols: bool,
) -> Result<Versions, ElfError> {
    let bytes = layout.bytes;
    let ctx = layout.ctx;
    // Version index (`vna_other`, `vd_ndx`) → the version and the file it is needed
    // from; a later entry with the same index replaces an earlier one.
    let mut by_index: Vec<Option<(VersionName, Option<Arc<str>>)>> = Vec::new();
    let mut index_version = |index: u16, version: (VersionName, Option<Arc<str>>)| {
        let index = usize::from(index);
        if by_index.len() <= index {
            by_index.resize(index + 1, None);
        }
        by_index[index] = Some(version);
    };
    let mut needs: BTreeMap<String, Vec<VersionName>> = BTreeMap::new();
    let mut defs = Vec::new();

    // Entries are counted as they are read: goblin follows `vn_next` and `vna_next`
    // as far as the counts say, and hostile offsets make entries overlap.
    let mut entries = 0usize;
    let mut count_entry = || {
        entries += 1;
        if entries > MAX_VERSION_ENTRIES {
            return Err(ElfError::Malformed(format!(
                "more than {MAX_VERSION_ENTRIES} symbol-version entries (.gnu.version_r and .gnu.version_d): more than preflight reads from one file (real files have a few hundred at most)"
            )));
        }
        Ok(())
    };
    if let Some(t) = &tables.verneed {
        let section = VerneedSection::parse(bytes, std::slice::from_ref(&t.shdr), ctx)
            .map_err(|e| ElfError::Malformed(format!(".gnu.version_r: {e}")))?;
        for need in section.iter().flat_map(|s| s.iter()) {
            count_entry()?;
            let file = t
                .strings
                .require_borrowed(need.vn_file as u64, "version need file")?;
            layout.text.take(file.len(), "version need file")?;
            let shared: Arc<str> = file.as_ref().into();
            let list = needs.entry(file.into_owned()).or_default();
            for aux in need.iter() {
                count_entry()?;
                let name = t
                    .strings
                    .require_borrowed(aux.vna_name as u64, "version need name")?;
                layout.text.take(name.len(), "version need name")?;
                let name = VersionName::new(name.as_ref());
                list.push(name.clone());
                index_version(aux.vna_other, (name, Some(shared.clone())));
            }
        }
    }
    if let Some(t) = &tables.verdef {
        let section = VerdefSection::parse(bytes, std::slice::from_ref(&t.shdr), ctx)
            .map_err(|e| ElfError::Malformed(format!(".gnu.version_d: {e}")))?;
        for def in section.iter().flat_map(|s| s.iter()) {
            count_entry()?;
            let Some(aux) = def.iter().next() else {
                continue;
            };
            let name = t
                .strings
                .require_borrowed(aux.vda_name as u64, "version definition name")?;
            layout.text.take(name.len(), "version definition name")?;
            let name = VersionName::new(name.as_ref());
            if def.vd_flags & VER_FLG_BASE == 0 {
                defs.push(name.clone());
            }
            index_version(def.vd_ndx, (name, None));
        }
    }
    for list in needs.values_mut() {
        sort_version_names(list);
        list.dedup();
    }
    sort_version_names(&mut defs);
    defs.dedup();

    let mut symbols = SymbolTable::default();
    if let Some((t, count)) = tables.dynsym.as_ref().filter(|_| with_symbols) {
        let count = *count;
        if count as u64 * symbol_entry_size(layout) > bytes.len() as u64 {
            return Err(ElfError::Malformed(format!(
                ".dynsym claims {count} symbols, more than the file can hold"
            )));
        }
        let offset = usize::try_from(t.shdr.sh_offset).unwrap_or(usize::MAX);
        // goblin checks that the table is inside the file (and says where it is not);
        // the entries are then read in place, field by field.
        Symtab::parse(bytes, offset, count, ctx)
            .map_err(|e| ElfError::Malformed(format!(".dynsym: {e}")))?;
        let entry_size = symbol_entry_size(layout) as usize;
        let raw = &bytes[offset..offset + count * entry_size];
        let versym = match &tables.versym {
            Some(shdr) => VersymSection::parse(bytes, std::slice::from_ref(shdr), ctx)
                .map_err(|e| ElfError::Malformed(format!(".gnu.version: {e}")))?,
            None => None,
        };
        // Each `.gnu.version` entry in place: goblin's reader parsed one per call.
        let versym_bytes: &[u8] = match &tables.versym {
            Some(shdr) if versym.is_some() => {
                let at = shdr.sh_offset as usize;
                &bytes[at..at + shdr.sh_size as usize]
            }
            _ => &[],
        };
        let little = ctx.le.is_little();
        let u16_at = |data: &[u8], at: usize| -> Option<u16> {
            let b: [u8; 2] = data.get(at..at + 2)?.try_into().ok()?;
            Some(if little {
                u16::from_le_bytes(b)
            } else {
                u16::from_be_bytes(b)
            })
        };
        let u32_at = |data: &[u8], at: usize| -> u32 {
            let b: [u8; 4] = data[at..at + 4].try_into().expect("4 bytes");
            if little {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            }
        };
        // Where st_info and st_shndx sit (ELF64: name, info, other, shndx, value,
        // size; ELF32: name, value, size, info, other, shndx).
        let (info_at, shndx_at) = if ctx.container.is_big() {
            (4, 6)
        } else {
            (12, 14)
        };
        // The names are most of the string table (which also holds the NEEDED and
        // version names); a table far larger than its symbols' names is not reserved.
        let name_bytes = t.strings.len().min(count.saturating_mul(64));
        symbols = SymbolTable::with_capacity(count.saturating_sub(1), name_bytes);
        let strings = t.strings.checked();
        // Raw `.gnu.version` value → the table's slot for it: a few distinct values
        // for thousands of symbols (a hostile file may have 65,536); neighbours
        // mostly share one, so the last one is tried first.
        let mut slots: Vec<(u16, usize)> = Vec::new();
        let mut last: Option<(u16, usize)> = None;
        for (index, sym) in raw.chunks_exact(entry_size).enumerate().skip(1) {
            let st_name = u32_at(sym, 0);
            let st_info = sym[info_at];
            let st_shndx = u16_at(sym, shndx_at).unwrap_or(0);
            let name = match strings.text_at(st_name) {
                Some(name) => std::borrow::Cow::Borrowed(name),
                None => strings.require_borrowed(u64::from(st_name), "dynamic symbol name")?,
            };
            layout.text.take(name.len(), "dynamic symbol names")?;
            let slot = match u16_at(versym_bytes, index * 2) {
                None => 0,
                Some(raw) => match last.filter(|(r, _)| *r == raw) {
                    Some((_, slot)) => slot,
                    None => {
                        let slot = match slots.iter().find(|(r, _)| *r == raw) {
                            Some(&(_, slot)) => slot,
                            None => {
                                let version = raw & 0x7fff;
                                let known =
                                    by_index.get(usize::from(version)).and_then(Option::as_ref);
                                let slot = match known {
                                    Some((name, file)) if version > 1 => {
                                        symbols.version_slot(SymbolVersion {
                                            name: name.clone(),
                                            file: file.clone(),
                                            hidden: raw & 0x8000 != 0,
                                        })
                                    }
                                    _ => 0,
                                };
                                slots.push((raw, slot));
                                slot
                            }
                        };
                        last = Some((raw, slot));
                        slot
                    }
                },
            };
            symbols.push_in_slot(
                &name,
                st_shndx != 0,
                binding(st_info >> 4),
                symbol_type(st_info & 0xf),
                slot,
            );
        }
        symbols.shrink();
        // Only over a complete table: the hash's symbol indexes are `.dynsym`'s.
        if let Some(hash) = tables.gnu_hash.filter(|_| symbols.len() + 1 == count) {
            let big_endian = !ctx.le.is_little();
            if let Some(hash) = ExportHash::read(hash, big_endian, ctx.container.is_big(), count) {
                symbols.set_export_hash(hash);
            }
        }
    }
    Ok(Versions {
        needs,
        defs,
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
