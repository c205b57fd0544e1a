//! The machine a file is for (`e_machine`), by goblin's EM_* constants, and its
//! readable name the way distributions and Docker name architectures.
//!
//! Several machines need the class and byte order to be named: EM_PPC64 is "ppc64le"
//! or "ppc64", EM_MIPS covers four Debian architectures.

use super::facts::{Class, Endian};
use goblin::elf::header::{
    EM_386, EM_68K, EM_AARCH64, EM_ARM, EM_IA_64, EM_LOONGARCH, EM_MIPS, EM_NONE, EM_PARISC,
    EM_PPC, EM_PPC64, EM_RISCV, EM_S390, EM_SH, EM_SPARC, EM_SPARC32PLUS, EM_SPARCV9, EM_X86_64,
};

/// The number Linux/Alpha binaries carry: the gABI's EM_ALPHA (41) was never used by
/// Linux, so goblin has no constant for it (binutils include/elf/common.h: EM_ALPHA).
const EM_ALPHA_LINUX: u16 = 0x9026;
/// The number S/390 used before EM_S390 was assigned; readelf names it alike.
const EM_S390_OLD: u16 = 0xA390;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Machine {
    None,
    Sparc,
    I386,
    M68k,
    Mips,
    Parisc,
    Sparc32Plus,
    Ppc,
    Ppc64,
    S390,
    Arm,
    Sh,
    SparcV9,
    Ia64,
    X86_64,
    Aarch64,
    RiscV,
    LoongArch,
    Alpha,
    /// Any other `e_machine`.
    Other(u16),
}

impl From<u16> for Machine {
    fn from(e_machine: u16) -> Machine {
        match e_machine {
            EM_NONE => Machine::None,
            EM_SPARC => Machine::Sparc,
            EM_386 => Machine::I386,
            EM_68K => Machine::M68k,
            EM_MIPS => Machine::Mips,
            EM_PARISC => Machine::Parisc,
            EM_SPARC32PLUS => Machine::Sparc32Plus,
            EM_PPC => Machine::Ppc,
            EM_PPC64 => Machine::Ppc64,
            EM_S390 | EM_S390_OLD => Machine::S390,
            EM_ARM => Machine::Arm,
            EM_SH => Machine::Sh,
            EM_SPARCV9 => Machine::SparcV9,
            EM_IA_64 => Machine::Ia64,
            EM_X86_64 => Machine::X86_64,
            EM_AARCH64 => Machine::Aarch64,
            EM_RISCV => Machine::RiscV,
            EM_LOONGARCH => Machine::LoongArch,
            EM_ALPHA_LINUX => Machine::Alpha,
            other => Machine::Other(other),
        }
    }
}

impl Machine {
    /// The `e_machine` number (EM_S390 for S/390).
    pub fn e_machine(self) -> u16 {
        match self {
            Machine::None => EM_NONE,
            Machine::Sparc => EM_SPARC,
            Machine::I386 => EM_386,
            Machine::M68k => EM_68K,
            Machine::Mips => EM_MIPS,
            Machine::Parisc => EM_PARISC,
            Machine::Sparc32Plus => EM_SPARC32PLUS,
            Machine::Ppc => EM_PPC,
            Machine::Ppc64 => EM_PPC64,
            Machine::S390 => EM_S390,
            Machine::Arm => EM_ARM,
            Machine::Sh => EM_SH,
            Machine::SparcV9 => EM_SPARCV9,
            Machine::Ia64 => EM_IA_64,
            Machine::X86_64 => EM_X86_64,
            Machine::Aarch64 => EM_AARCH64,
            Machine::RiscV => EM_RISCV,
            Machine::LoongArch => EM_LOONGARCH,
            Machine::Alpha => EM_ALPHA_LINUX,
            Machine::Other(n) => n,
        }
    }

    /// The readable name ("x86_64", "aarch64", "ppc64le", ...; "em-N" for a number
    /// with no name), as JSON reports and distributions write it.
    pub fn name(self, class: Class, endian: Endian) -> String {
        let is64 = class == Class::Elf64;
        let little = endian == Endian::Little;
        let name = match self {
            Machine::None => "none",
            Machine::Sparc => "sparc",
            Machine::I386 => "i386",
            Machine::M68k => "m68k",
            Machine::Mips => match (is64, little) {
                (false, false) => "mips",
                (false, true) => "mipsel",
                (true, false) => "mips64",
                (true, true) => "mips64el",
            },
            Machine::Parisc => "hppa",
            Machine::Ppc if little => "ppcle",
            Machine::Ppc => "ppc",
            Machine::Ppc64 if little => "ppc64le",
            Machine::Ppc64 => "ppc64",
            Machine::S390 if is64 => "s390x",
            Machine::S390 => "s390",
            Machine::Arm if little => "arm",
            Machine::Arm => "armeb",
            Machine::Sh => "sh",
            Machine::SparcV9 => "sparc64",
            Machine::Ia64 => "ia64",
            Machine::X86_64 => "x86_64",
            Machine::Aarch64 => "aarch64",
            Machine::RiscV if is64 => "riscv64",
            Machine::RiscV => "riscv32",
            Machine::LoongArch if is64 => "loongarch64",
            Machine::LoongArch => "loongarch32",
            Machine::Alpha => "alpha",
            Machine::Sparc32Plus => return format!("em-{EM_SPARC32PLUS}"),
            Machine::Other(other) => return format!("em-{other}"),
        };
        name.to_string()
    }
}

/// The readable name of `e_machine` for a file of `class` and `endian`.
pub fn machine_name(e_machine: u16, class: Class, endian: Endian) -> String {
    Machine::from(e_machine).name(class, endian)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_depend_on_class_and_byte_order() {
        assert_eq!(machine_name(21, Class::Elf64, Endian::Little), "ppc64le");
        assert_eq!(machine_name(21, Class::Elf64, Endian::Big), "ppc64");
        assert_eq!(machine_name(22, Class::Elf64, Endian::Big), "s390x");
        assert_eq!(machine_name(0xA390, Class::Elf64, Endian::Big), "s390x");
        assert_eq!(machine_name(8, Class::Elf32, Endian::Little), "mipsel");
        assert_eq!(machine_name(62, Class::Elf64, Endian::Little), "x86_64");
        assert_eq!(machine_name(18, Class::Elf32, Endian::Big), "em-18");
        assert_eq!(machine_name(4242, Class::Elf64, Endian::Little), "em-4242");
        for n in [0u16, 2, 3, 8, 21, 40, 62, 183, 243, 258, 0x9026, 4242] {
            assert_eq!(Machine::from(n).e_machine(), n);
        }
    }
}
