//! Loader-relevant bits of the program headers beyond the dynamic section: the stack
//! permission (PT_GNU_STACK) and the x86 ISA level a binary needs (the GNU property
//! note, PT_GNU_PROPERTY or a PT_NOTE with NT_GNU_PROPERTY_TYPE_0).

use super::layout::Layout;
use goblin::elf::program_header::{PT_GNU_PROPERTY, PT_GNU_STACK, PT_NOTE};
use goblin::elf::section_header::SHT_NOTE;

const PF_X: u32 = 1;
const NT_GNU_PROPERTY_TYPE_0: u32 = 5;
/// GNU_PROPERTY_X86_ISA_1_NEEDED (binutils include/elf/common.h, since 2.35): the
/// x86-64 micro-architecture levels the code needs, one bit per level.
const GNU_PROPERTY_X86_ISA_1_NEEDED: u32 = 0xc000_8002;
/// Older binutils (2.31-2.34) wrote GNU_PROPERTY_X86_ISA_1_USED with the same bits.
const GNU_PROPERTY_X86_ISA_1_USED: u32 = 0xc001_0002;

/// Whether the process stack will be executable because of this object. Without
/// PT_GNU_STACK, glibc uses DEFAULT_STACK_PERMS, which includes PF_X on every port
/// but the ones born after the note existed (aarch64, riscv, loongarch:
/// sysdeps/*/stackinfo.h).
pub fn executable_stack(layout: &Layout<'_>, machine: &str) -> bool {
    match layout.phdrs.iter().find(|p| p.p_type == PT_GNU_STACK) {
        Some(p) => p.p_flags & PF_X != 0,
        None => !matches!(machine, "aarch64" | "riscv64" | "riscv32" | "loongarch64"),
    }
}

/// The x86-64 level (2, 3 or 4; 1 for the baseline) the GNU property note says the
/// code needs; None without such a note.
pub fn x86_isa_level(layout: &Layout<'_>) -> Option<u8> {
    let bits = gnu_property(layout, GNU_PROPERTY_X86_ISA_1_NEEDED)
        .or_else(|| gnu_property(layout, GNU_PROPERTY_X86_ISA_1_USED))?;
    Some(match bits {
        b if b & 0b1000 != 0 => 4,
        b if b & 0b0100 != 0 => 3,
        b if b & 0b0010 != 0 => 2,
        _ => 1,
    })
}

/// The 4-byte value of one GNU property, from the first note segment that has it.
fn gnu_property(layout: &Layout<'_>, wanted: u32) -> Option<u32> {
    let align = if layout.ctx.container.is_big() { 8 } else { 4 };
    // Loadable files carry the note in a segment; relocatable objects, which have
    // no program headers, only in a SHT_NOTE section.
    let segments = layout
        .phdrs
        .iter()
        .filter(|p| p.p_type == PT_GNU_PROPERTY)
        .chain(layout.phdrs.iter().filter(|p| p.p_type == PT_NOTE))
        .map(|p| (p.p_offset, p.p_filesz));
    let sections = layout
        .shdrs
        .iter()
        .filter(|s| s.sh_type == SHT_NOTE && layout.phdrs.is_empty())
        .map(|s| (s.sh_offset, s.sh_size));
    for (offset, size) in segments.chain(sections) {
        let Ok(data) = layout.slice(offset, size, "note") else {
            continue;
        };
        let mut at = 0usize;
        // Each note: namesz, descsz, type, name (padded to 4), desc (padded to align).
        while at + 12 <= data.len() {
            let namesz = layout.u32_at(data, at)? as usize;
            let descsz = layout.u32_at(data, at + 4)? as usize;
            let kind = layout.u32_at(data, at + 8)?;
            let name_at = at + 12;
            let desc_at = name_at.checked_add(namesz.checked_add(3)? & !3)?;
            let desc_end = desc_at.checked_add(descsz)?;
            if desc_end > data.len() {
                break;
            }
            if kind == NT_GNU_PROPERTY_TYPE_0
                && data.get(name_at..name_at + namesz) == Some(b"GNU\0")
            {
                if let Some(value) = find_property(layout, &data[desc_at..desc_end], wanted, align)
                {
                    return Some(value);
                }
            }
            at = desc_end.checked_add(align - 1)? & !(align - 1);
        }
    }
    None
}

fn find_property(layout: &Layout<'_>, desc: &[u8], wanted: u32, align: usize) -> Option<u32> {
    let mut at = 0usize;
    while at + 8 <= desc.len() {
        let kind = layout.u32_at(desc, at)?;
        let size = layout.u32_at(desc, at + 4)? as usize;
        let data_at = at + 8;
        if kind == wanted && size >= 4 {
            return layout.u32_at(desc, data_at);
        }
        at = data_at.checked_add(size)?.checked_add(align - 1)? & !(align - 1);
    }
    None
}
