//! DT_VERNEED and DT_VERDEF, read in place as ld.so reads them (elf/dl-version.c):
//! found through their DT_* addresses and walked through `vn_next`/`vna_next` and
//! `vd_next`, to the end of their segment at most.

use super::{vaddr_to_offset, Blocks, StringsAt};
use crate::elf::layout::DynamicTags;
use crate::elf::limits::{TextBudget, MAX_VERSION_ENTRIES};
use crate::elf::version_name::{sort_version_names, VersionName};
use crate::elf::ElfError;
use goblin::elf::dynamic::{DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM};
use goblin::elf::ProgramHeader;
use std::collections::BTreeMap;

const VERDEF_SIZE: u64 = 20;
const VERDAUX_SIZE: u64 = 8;
const VERNEED_SIZE: u64 = 16;
const VERNAUX_SIZE: u64 = 16;
/// VER_FLG_BASE: the entry that names the file itself (glibc's elf.h).
const VER_FLG_BASE: u16 = 1;

type Needs = BTreeMap<String, Vec<VersionName>>;

/// DT_VERNEED and DT_VERDEF as `symbols::read_symbols_and_versions` reads them
/// (goblin's iterators: an entry that does not fit in its segment ends the walk).
pub(super) fn read(
    file: &Blocks<'_>,
    phdrs: &[ProgramHeader],
    dyns: &DynamicTags,
    strings: &StringsAt,
    le: scroll::Endian,
    text: &TextBudget,
) -> Result<Option<(Needs, Vec<VersionName>)>, ElfError> {
    let mut entries = 0usize;
    let mut count_entry = || {
        entries += 1;
        match entries > MAX_VERSION_ENTRIES {
            true => Err(ElfError::Malformed("too many version entries".into())),
            false => Ok(()),
        }
    };
    let string = |at: u32, what: &str| -> Result<String, ElfError> {
        let name = strings.get(file, u64::from(at), what)?;
        text.take(name.len(), what)?;
        Ok(name.into_owned())
    };
    // A version name goes from the block it lies in to its shared string, one copy.
    let version = |at: u32, what: &str| -> Result<VersionName, ElfError> {
        let (len, name) = strings.with(file, u64::from(at), what, |name| {
            (name.len(), VersionName::new(name))
        })?;
        text.take(len, what)?;
        Ok(name)
    };
    // (file offset, bytes to the end of the segment, entry count)
    let table = |addr: u64, num: u64| -> Option<(u64, u64, u32)> {
        let (offset, available) = vaddr_to_offset(phdrs, addr)?;
        Some((offset, available, num as u32))
    };
    let mut needs = Needs::new();
    if let (Some(addr), Some(num)) = (dyns.get(DT_VERNEED), dyns.get(DT_VERNEEDNUM)) {
        let Some((base, size, count)) = table(addr, num) else {
            return Ok(None);
        };
        let mut at = 0u64;
        for _ in 0..count {
            if at.saturating_add(VERNEED_SIZE) > size {
                break;
            }
            let (Some(cnt), Some(vn_file), Some(vn_aux), Some(vn_next)) = (
                file.u16_at(base + at + 2, le),
                file.u32_at(base + at + 4, le),
                file.u32_at(base + at + 8, le),
                file.u32_at(base + at + 12, le),
            ) else {
                return Ok(None);
            };
            let aux_start = at + u64::from(vn_aux);
            if aux_start >= size {
                break;
            }
            count_entry()?;
            let name = string(vn_file, "version need file")?;
            let list = needs.entry(name).or_default();
            let mut aux = aux_start;
            for _ in 0..cnt {
                if aux.saturating_add(VERNAUX_SIZE) > size {
                    break;
                }
                let (Some(vna_name), Some(vna_next)) = (
                    file.u32_at(base + aux + 8, le),
                    file.u32_at(base + aux + 12, le),
                ) else {
                    return Ok(None);
                };
                count_entry()?;
                list.push(version(vna_name, "version need name")?);
                if vna_next == 0 {
                    break;
                }
                aux += u64::from(vna_next);
            }
            if vn_next == 0 {
                break;
            }
            at += u64::from(vn_next);
        }
    }
    let mut defs = Vec::new();
    if let (Some(addr), Some(num)) = (dyns.get(DT_VERDEF), dyns.get(DT_VERDEFNUM)) {
        let Some((base, size, count)) = table(addr, num) else {
            return Ok(None);
        };
        let mut at = 0u64;
        for _ in 0..count {
            if at.saturating_add(VERDEF_SIZE) > size {
                break;
            }
            let (Some(flags), Some(cnt), Some(vd_aux), Some(vd_next)) = (
                file.u16_at(base + at + 2, le),
                file.u16_at(base + at + 6, le),
                file.u32_at(base + at + 12, le),
                file.u32_at(base + at + 16, le),
            ) else {
                return Ok(None);
            };
            let aux = at + u64::from(vd_aux);
            if aux >= size {
                break;
            }
            count_entry()?;
            // Only the first auxiliary entry names the version.
            if cnt > 0 && aux.saturating_add(VERDAUX_SIZE) <= size {
                let Some(vda_name) = file.u32_at(base + aux, le) else {
                    return Ok(None);
                };
                let name = version(vda_name, "version definition name")?;
                if flags & VER_FLG_BASE == 0 {
                    defs.push(name);
                }
            }
            if vd_next == 0 {
                break;
            }
            at += u64::from(vd_next);
        }
    }
    for list in needs.values_mut() {
        sort_version_names(list);
        list.dedup();
    }
    sort_version_names(&mut defs);
    defs.dedup();
    Ok(Some((needs, defs)))
}
