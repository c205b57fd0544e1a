//! Loader-relevant bits of the program headers beyond the dynamic section: the stack
//! permission (PT_GNU_STACK) and the x86 ISA level a binary needs (the GNU property
//! note, PT_GNU_PROPERTY or a PT_NOTE with NT_GNU_PROPERTY_TYPE_0).

use super::facts::{Class, DlopenDependency, DlopenPriority};
use super::layout::Layout;
use super::machine::Machine;
use goblin::elf::program_header::{PT_GNU_PROPERTY, PT_GNU_STACK, PT_NOTE};
use goblin::elf::section_header::SHT_NOTE;

const PF_X: u32 = 1;
const NT_GNU_PROPERTY_TYPE_0: u32 = 5;
/// GNU_PROPERTY_X86_ISA_1_NEEDED (binutils include/elf/common.h, since 2.35): the
/// x86-64 micro-architecture levels the code needs, one bit per level. The only ISA
/// property glibc's loader checks (sysdeps/x86/dl-prop.h, `l_x86_isa_1_needed`,
/// glibc >= 2.33); musl's loader reads no property note.
const GNU_PROPERTY_X86_ISA_1_NEEDED: u32 = 0xc000_8002;
/// GNU_PROPERTY_X86_ISA_1_USED (`as -mx86-used-note=yes`): the levels of the
/// instructions the code contains, run-time dispatched ones included (AVX-512
/// kernels chosen by cpuid). Information only: it says nothing of what is required.
const GNU_PROPERTY_X86_ISA_1_USED: u32 = 0xc001_0002;

/// Whether the process stack will be executable because of this object. Without
/// PT_GNU_STACK, glibc uses DEFAULT_STACK_PERMS, which includes PF_X on every port
/// but the ones born after the note existed (aarch64, riscv, loongarch:
/// sysdeps/*/stackinfo.h).
pub fn executable_stack(layout: &Layout<'_>, machine: Machine, class: Class) -> bool {
    match layout.phdrs.iter().find(|p| p.p_type == PT_GNU_STACK) {
        Some(p) => p.p_flags & PF_X != 0,
        None => !matches!(
            (machine, class),
            (Machine::Aarch64 | Machine::RiscV, _) | (Machine::LoongArch, Class::Elf64)
        ),
    }
}

/// The x86-64 level (2, 3 or 4; 1 for the baseline) the GNU property note says the
/// code needs; None without such a note.
pub(crate) fn x86_isa_level(layout: &Layout<'_>, notes: &[Note<'_>]) -> Option<u8> {
    gnu_property(layout, notes, GNU_PROPERTY_X86_ISA_1_NEEDED).map(level_of)
}

/// The x86-64 level of the instructions the code contains (the "used" property).
pub(crate) fn x86_isa_used(layout: &Layout<'_>, notes: &[Note<'_>]) -> Option<u8> {
    gnu_property(layout, notes, GNU_PROPERTY_X86_ISA_1_USED).map(level_of)
}

/// The highest level whose bit is set: bit 0 baseline, 1 v2, 2 v3, 3 v4.
fn level_of(bits: u32) -> u8 {
    match bits {
        b if b & 0b1000 != 0 => 4,
        b if b & 0b0100 != 0 => 3,
        b if b & 0b0010 != 0 => 2,
        _ => 1,
    }
}

/// The 4-byte value of one GNU property, from the first note segment that has it.
fn gnu_property(layout: &Layout<'_>, notes: &[Note<'_>], wanted: u32) -> Option<u32> {
    let align = if layout.ctx.container.is_big() { 8 } else { 4 };
    notes
        .iter()
        .filter(|n| n.kind == NT_GNU_PROPERTY_TYPE_0 && n.owner == b"GNU")
        .find_map(|n| find_property(layout, n.desc, wanted, align))
}

/// One ELF note: its owner's name (without the NUL), type and descriptor.
pub(crate) struct Note<'a> {
    pub owner: &'a [u8],
    pub kind: u32,
    pub desc: &'a [u8],
}

/// The notes of the file: from its note segments, or, for relocatable objects (no
/// program headers), from its SHT_NOTE sections. A note that does not fit ends the
/// walk of its segment.
pub(crate) fn notes<'a>(layout: &Layout<'a>) -> Vec<Note<'a>> {
    let mut found = Vec::new();
    let segments = layout
        .phdrs
        .iter()
        .filter(|p| p.p_type == PT_GNU_PROPERTY)
        .chain(layout.phdrs.iter().filter(|p| p.p_type == PT_NOTE))
        .map(|p| (p.p_offset, p.p_filesz, p.p_align));
    let sections = layout
        .shdrs
        .iter()
        .filter(|s| s.sh_type == SHT_NOTE && layout.phdrs.is_empty())
        .map(|s| (s.sh_offset, s.sh_size, s.sh_addralign));
    for (offset, size, align) in segments.chain(sections) {
        let Ok(data) = layout.slice(offset, size, "note") else {
            continue;
        };
        walk_notes(data, align, layout.ctx.le, &mut found);
    }
    found
}

/// The notes of one note segment or section (`data`, aligned to `align`), added to
/// `found` up to `MAX_NOTES` in all. A note that does not fit ends the walk.
pub(crate) fn walk_notes<'a>(
    data: &'a [u8],
    align: u64,
    le: scroll::Endian,
    found: &mut Vec<Note<'a>>,
) {
    use scroll::Pread;
    let u32_at = |at: usize| data.pread_with::<u32>(at, le).ok();
    // The descriptor is padded to the note's alignment: 8 for GNU property notes
    // on 64-bit files, 4 for everything else (the gABI says 4; binutils uses the
    // segment's alignment).
    let align: usize = if align == 8 { 8 } else { 4 };
    let mut at = 0usize;
    while at + 12 <= data.len() && found.len() < MAX_NOTES {
        let (Some(namesz), Some(descsz), Some(kind)) = (u32_at(at), u32_at(at + 4), u32_at(at + 8))
        else {
            break;
        };
        let name_at = at + 12;
        let Some(desc_at) = (namesz as usize).checked_add(3).map(|n| name_at + (n & !3)) else {
            break;
        };
        let Some(desc_end) = desc_at.checked_add(descsz as usize) else {
            break;
        };
        if desc_end > data.len() {
            break;
        }
        let name = &data[name_at..name_at + namesz as usize];
        found.push(Note {
            owner: name.strip_suffix(b"\0").unwrap_or(name),
            kind,
            desc: &data[desc_at..desc_end],
        });
        let Some(next) = desc_end.checked_add(align - 1) else {
            break;
        };
        at = next & !(align - 1);
    }
}

/// A hostile file could hold millions of empty notes; real ones hold a handful. The
/// walk stops there, silently: past it is nothing preflight needs, and objects built
/// with annobin carry thousands of notes in their SHT_NOTE sections.
const MAX_NOTES: usize = 256;
/// Properties looked at in one GNU property note.
const MAX_PROPERTIES: usize = 64;

/// GNU_PROPERTY_X86_FEATURE_1_AND (binutils include/elf/common.h): bit 0 IBT, bit 1
/// SHSTK — set only when every object linked in was built with -fcf-protection.
pub(crate) fn x86_features(layout: &Layout<'_>, notes: &[Note<'_>]) -> Option<u32> {
    gnu_property(layout, notes, 0xc000_0002)
}

fn find_property(layout: &Layout<'_>, desc: &[u8], wanted: u32, align: usize) -> Option<u32> {
    let mut at = 0usize;
    // Real property notes hold a handful; a hostile one could hold a million empty
    // ones, walked for each of the 256 notes and each property looked up.
    for _ in 0..MAX_PROPERTIES {
        if at + 8 > desc.len() {
            break;
        }
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

/// The freedesktop.org "ELF dlopen metadata" note (uapi-group.org
/// specifications/specs/elf_dlopen_metadata; systemd's `SD_ELF_NOTE_DLOPEN_TYPE`).
const NT_FDO_DLOPEN: u32 = 0x407c_0c0a;
/// A real note lists a few libraries in well under a kilobyte (systemd's largest,
/// libsystemd-shared's, is about 4 KiB in all); a larger one is not parsed.
const MAX_DLOPEN_NOTE: usize = 64 * 1024;
/// Entries kept from all the notes of a file, sonames kept per entry, and the length
/// of any text kept.
const MAX_DLOPEN_ENTRIES: usize = 128;
const MAX_DLOPEN_SONAMES: usize = 16;
const MAX_DLOPEN_TEXT: usize = 512;

/// The libraries the file declares it may `dlopen()`, from its `.note.dlopen` notes
/// (owner `FDO`). The payload is a JSON array of objects, or (the first version of
/// the spec) one object; `soname` an array of alternatives, or one string. Notes
/// that are not such JSON, and entries without a soname, are skipped: the note is
/// advice for packagers, not something the loader reads.
pub(crate) fn dlopen_dependencies(notes: &[Note<'_>]) -> Vec<DlopenDependency> {
    let mut found = Vec::new();
    for note in notes
        .iter()
        .filter(|n| n.kind == NT_FDO_DLOPEN && n.owner == b"FDO")
    {
        if note.desc.len() > MAX_DLOPEN_NOTE {
            continue;
        }
        // Zero-terminated and zero-padded to 4 bytes.
        let end = note
            .desc
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(note.desc.len());
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&note.desc[..end]) else {
            continue;
        };
        let entries = match value {
            serde_json::Value::Array(entries) => entries,
            object @ serde_json::Value::Object(_) => vec![object],
            _ => continue,
        };
        for entry in entries {
            if found.len() >= MAX_DLOPEN_ENTRIES {
                return found;
            }
            if let Some(dependency) = dlopen_entry(&entry) {
                found.push(dependency);
            }
        }
    }
    found
}

fn dlopen_entry(entry: &serde_json::Value) -> Option<DlopenDependency> {
    let text = |key: &str| {
        entry
            .get(key)
            .and_then(|v| v.as_str())
            .map(|s| s.chars().take(MAX_DLOPEN_TEXT).collect::<String>())
    };
    let soname: Vec<String> = match entry.get("soname")? {
        serde_json::Value::String(one) => vec![one.clone()],
        serde_json::Value::Array(many) => many
            .iter()
            .filter_map(|v| v.as_str())
            .take(MAX_DLOPEN_SONAMES)
            .map(str::to_string)
            .collect(),
        _ => return None,
    };
    let soname: Vec<String> = soname
        .into_iter()
        .filter(|s| !s.is_empty() && s.len() <= MAX_DLOPEN_TEXT)
        .collect();
    if soname.is_empty() {
        return None;
    }
    // The spec: "If it is not specified, a parser should assume 'recommended'"; an
    // unknown value is taken the same way.
    let priority = match entry.get("priority").and_then(|v| v.as_str()) {
        Some("required") => DlopenPriority::Required,
        Some("suggested") => DlopenPriority::Suggested,
        _ => DlopenPriority::Recommended,
    };
    Some(DlopenDependency {
        feature: text("feature"),
        description: text("description"),
        priority,
        soname,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(desc: &[u8]) -> Note<'_> {
        Note {
            owner: b"FDO",
            kind: NT_FDO_DLOPEN,
            desc,
        }
    }

    #[test]
    fn dlopen_notes_are_read_leniently_and_within_bounds() {
        // Two notes: a list (with an entry lacking a soname, skipped) and one object.
        let list =
            br#"[{"soname":["liba.so.1","liba.so.0"],"priority":"suggested"},{"feature":"x"}]"#;
        let one = b"{\"soname\":\"libb.so.2\",\"priority\":\"bogus\"}\0\0\0";
        let found = dlopen_dependencies(&[note(list), note(one)]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].soname, ["liba.so.1", "liba.so.0"]);
        assert_eq!(found[0].priority, DlopenPriority::Suggested);
        // An unknown priority is taken as the default, recommended.
        assert_eq!(found[1].priority, DlopenPriority::Recommended);
        // Not JSON, the wrong owner or type, a JSON scalar: nothing, and no panic.
        let other_owner = Note {
            owner: b"GNU",
            ..note(list)
        };
        assert!(
            dlopen_dependencies(&[note(b"[{\"soname\":"), note(b"42"), other_owner]).is_empty()
        );
        // A note past the size limit is not parsed; entries and sonames are capped.
        let huge = format!("[{}]", vec!["{\"soname\":\"l.so\"}"; 5000].join(","));
        assert!(huge.len() > MAX_DLOPEN_NOTE);
        assert!(dlopen_dependencies(&[note(huge.as_bytes())]).is_empty());
        let many = format!("[{}]", vec!["{\"soname\":\"l.so\"}"; 500].join(","));
        assert_eq!(
            dlopen_dependencies(&[note(many.as_bytes())]).len(),
            MAX_DLOPEN_ENTRIES
        );
        let names = format!("{{\"soname\":[{}]}}", vec!["\"l.so\""; 100].join(","));
        assert_eq!(
            dlopen_dependencies(&[note(names.as_bytes())])[0]
                .soname
                .len(),
            MAX_DLOPEN_SONAMES
        );
    }
}
