//! Binaries built for another system: an ELF file for FreeBSD, NetBSD, Solaris, ...,
//! or a Mach-O or PE file (the macOS or Windows build that slipped into a Linux
//! tarball). Linux runs none of them.

use super::layout::Layout;
use super::notes::Note;
use serde::{Deserialize, Serialize};

/// A binary of another format than ELF.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignBinary {
    /// "Mach-O" or "PE".
    pub format: String,
    /// "macOS", "iOS", "Windows", ... ("Apple" when a Mach-O file does not say which).
    pub platform: String,
    /// "arm64", "x86_64", ... (several for a universal binary).
    pub arch: Vec<String>,
    /// "executable", "object", "dynamic library", "DLL", ...
    pub kind: String,
}

const MH_MAGIC: u32 = 0xfeed_face;
const MH_MAGIC_64: u32 = 0xfeed_facf;
const FAT_MAGIC: u32 = 0xcafe_babe;
const FAT_MAGIC_64: u32 = 0xcafe_babf;

/// Whether the first four bytes could start a Mach-O or PE file: such files are
/// mapped and looked at, every other non-ELF file is skipped.
pub fn may_be_foreign(magic: &[u8]) -> bool {
    let Some(head) = magic.get(..4) else {
        return false;
    };
    let word = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let swapped = word.swap_bytes();
    matches!(word, MH_MAGIC | MH_MAGIC_64 | FAT_MAGIC | FAT_MAGIC_64)
        || matches!(swapped, MH_MAGIC | MH_MAGIC_64)
        || head.starts_with(b"MZ")
}

/// Identifies a Mach-O or PE file; None for anything else (a Java class file shares
/// the universal Mach-O magic; an "MZ" file may be a plain DOS program).
pub fn identify_foreign(bytes: &[u8]) -> Option<ForeignBinary> {
    let head: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    let word = u32::from_be_bytes(head);
    if matches!(word, FAT_MAGIC | FAT_MAGIC_64) {
        return universal(bytes, word == FAT_MAGIC_64);
    }
    if matches!(word, MH_MAGIC | MH_MAGIC_64) || matches!(word.swap_bytes(), MH_MAGIC | MH_MAGIC_64)
    {
        return mach_o(bytes);
    }
    if head.starts_with(b"MZ") {
        return pe(bytes);
    }
    None
}

fn mach_o(bytes: &[u8]) -> Option<ForeignBinary> {
    use goblin::mach::load_command::CommandVariant;
    let macho = goblin::mach::MachO::parse(bytes, 0).ok()?;
    let mut platform = None;
    for command in &macho.load_commands {
        let found = match &command.command {
            CommandVariant::BuildVersion(v) => apple_platform(v.platform),
            CommandVariant::VersionMinMacosx(_) => Some("macOS"),
            CommandVariant::VersionMinIphoneos(_) => Some("iOS"),
            CommandVariant::VersionMinTvos(_) => Some("tvOS"),
            CommandVariant::VersionMinWatchos(_) => Some("watchOS"),
            _ => None,
        };
        if found.is_some() {
            platform = found;
            break;
        }
    }
    let kind = match macho.header.filetype {
        1 => "object",
        2 => "executable",
        6 => "dynamic library",
        8 => "bundle",
        _ => "other",
    };
    Some(ForeignBinary {
        format: "Mach-O".into(),
        platform: platform.unwrap_or("Apple").into(),
        arch: vec![mach_cpu(macho.header.cputype).into()],
        kind: kind.into(),
    })
}

/// A universal ("fat") file: a big-endian count of slices, then one header per
/// slice. Java class files start with the same magic followed by their version
/// (45 and up), which no universal binary has as its slice count (file(1) uses the
/// same test).
fn universal(bytes: &[u8], wide: bool) -> Option<ForeignBinary> {
    let count = u32::from_be_bytes(bytes.get(4..8)?.try_into().ok()?) as usize;
    if count == 0 || count >= 45 {
        return None;
    }
    let stride = if wide { 32 } else { 20 };
    let mut arch = Vec::new();
    for i in 0..count {
        let at = 8 + i * stride;
        let cpu = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?);
        arch.push(mach_cpu(cpu).to_string());
    }
    Some(ForeignBinary {
        format: "Mach-O".into(),
        platform: "Apple".into(),
        arch,
        kind: "universal binary".into(),
    })
}

fn apple_platform(id: u32) -> Option<&'static str> {
    // PLATFORM_* of <mach-o/loader.h>.
    Some(match id {
        1 => "macOS",
        2 | 7 => "iOS",
        3 | 8 => "tvOS",
        4 | 9 => "watchOS",
        6 => "Mac Catalyst",
        11 | 12 => "visionOS",
        _ => return None,
    })
}

fn mach_cpu(cputype: u32) -> &'static str {
    match cputype {
        7 => "i386",
        0x0100_0007 => "x86_64",
        12 => "arm",
        0x0100_000c => "arm64",
        0x0200_000c => "arm64_32",
        18 => "ppc",
        0x0100_0012 => "ppc64",
        _ => "unknown",
    }
}

fn pe(bytes: &[u8]) -> Option<ForeignBinary> {
    let header = goblin::pe::header::Header::parse(bytes).ok()?;
    let machine = match header.coff_header.machine {
        0x8664 => "x86_64",
        0x014c => "i386",
        0xaa64 => "arm64",
        0x01c4 => "arm",
        0xc0ee => "CLR (.NET)",
        _ => "unknown",
    };
    const IMAGE_FILE_DLL: u16 = 0x2000;
    let kind = if header.coff_header.characteristics & IMAGE_FILE_DLL != 0 {
        "DLL"
    } else {
        "executable"
    };
    // IMAGE_SUBSYSTEM_EFI_*: firmware programs (a bootloader), not Windows ones.
    let platform = match header.optional_header.map(|o| o.windows_fields.subsystem) {
        Some(10..=13) => "UEFI",
        _ => "Windows",
    };
    Some(ForeignBinary {
        format: "PE".into(),
        platform: platform.into(),
        arch: vec![machine.into()],
        kind: kind.into(),
    })
}

const ELFOSABI_SYSV: u8 = 0;
const ELFOSABI_GNU: u8 = 3;
/// Set by some ARM toolchains on Linux binaries (EABI-era ABI marker).
const ELFOSABI_ARM: u8 = 97;

/// The system an ELF file is for when it is not Linux: its EI_OSABI byte (what
/// FreeBSD's `brandelf` sets), the owner of its ABI note, or its interpreter.
pub(crate) fn elf_platform(
    layout: &Layout<'_>,
    interpreter: Option<&str>,
    notes: &[Note<'_>],
) -> Option<String> {
    let osabi = layout.bytes.get(7).copied().unwrap_or(0);
    let by_osabi = match osabi {
        ELFOSABI_SYSV | ELFOSABI_GNU | ELFOSABI_ARM => None,
        1 => Some("HP-UX"),
        2 => Some("NetBSD"),
        6 => Some("Solaris"),
        7 => Some("AIX"),
        8 => Some("IRIX"),
        9 => Some("FreeBSD"),
        10 => Some("Tru64"),
        12 => Some("OpenBSD"),
        13 => Some("OpenVMS"),
        255 => Some("standalone (no OS)"),
        _ => Some("another OS"),
    };
    if let Some(name) = by_osabi {
        return Some(if name == "another OS" {
            format!("OS/ABI {osabi}")
        } else {
            name.to_string()
        });
    }
    for note in notes {
        match note.owner {
            b"FreeBSD" => return Some("FreeBSD".into()),
            b"NetBSD" => return Some("NetBSD".into()),
            b"OpenBSD" => return Some("OpenBSD".into()),
            // NT_GNU_ABI_TAG: its first word names the OS (0 is Linux).
            b"GNU" if note.kind == 1 => match layout.u32_at(note.desc, 0) {
                Some(1) => return Some("GNU/Hurd".into()),
                Some(2) => return Some("Solaris".into()),
                Some(3) => return Some("FreeBSD".into()),
                _ => {}
            },
            _ => {}
        }
    }
    match interpreter? {
        "/libexec/ld-elf.so.1" | "/libexec/ld-elf32.so.1" => Some("FreeBSD".into()),
        "/usr/libexec/ld.elf_so" => Some("NetBSD".into()),
        "/usr/libexec/ld.so" => Some("OpenBSD".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_class_files_are_not_universal_binaries() {
        // Magic, minor 0, major 52 (Java 8).
        let class = [0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52, 0, 0];
        assert!(may_be_foreign(&class));
        assert_eq!(identify_foreign(&class), None);
    }

    #[test]
    fn a_universal_header_lists_its_slices() {
        let mut fat = vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2];
        for cpu in [0x0100_0007u32, 0x0100_000c] {
            fat.extend(cpu.to_be_bytes());
            fat.extend([0u8; 16]);
        }
        let found = identify_foreign(&fat).expect("universal");
        assert_eq!(found.arch, ["x86_64", "arm64"]);
        assert_eq!(found.kind, "universal binary");
    }

    #[test]
    fn text_starting_with_mz_is_not_pe() {
        assert!(may_be_foreign(b"MZ hello"));
        assert_eq!(identify_foreign(b"MZ hello, this is text"), None);
    }
}
