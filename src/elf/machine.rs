//! Readable names for `e_machine`, the way distributions and Docker name architectures.
//!
//! Several ELF machines need the class and byte order to be named: EM_PPC64 is "ppc64le"
//! or "ppc64", EM_MIPS covers four Debian architectures. Numbers are from the ELF gABI
//! registry (binutils `include/elf/common.h`).

use super::facts::{Class, Endian};

pub fn machine_name(e_machine: u16, class: Class, endian: Endian) -> String {
    let is64 = class == Class::Elf64;
    let little = endian == Endian::Little;
    let name = match e_machine {
        0 => "none",
        2 => "sparc",
        3 => "i386",
        4 => "m68k",
        8 => match (is64, little) {
            (false, false) => "mips",
            (false, true) => "mipsel",
            (true, false) => "mips64",
            (true, true) => "mips64el",
        },
        15 => "hppa",
        20 => {
            if little {
                "ppcle"
            } else {
                "ppc"
            }
        }
        21 => {
            if little {
                "ppc64le"
            } else {
                "ppc64"
            }
        }
        // 0xA390: the number S/390 used before EM_S390 was assigned; readelf names it alike.
        22 | 0xA390 => {
            if is64 {
                "s390x"
            } else {
                "s390"
            }
        }
        40 => {
            if little {
                "arm"
            } else {
                "armeb"
            }
        }
        42 => "sh",
        43 => "sparc64",
        50 => "ia64",
        62 => "x86_64",
        183 => "aarch64",
        243 => {
            if is64 {
                "riscv64"
            } else {
                "riscv32"
            }
        }
        258 => {
            if is64 {
                "loongarch64"
            } else {
                "loongarch32"
            }
        }
        0x9026 => "alpha",
        other => return format!("em-{other}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_depend_on_class_and_byte_order() {
        assert_eq!(machine_name(21, Class::Elf64, Endian::Little), "ppc64le");
        assert_eq!(machine_name(21, Class::Elf64, Endian::Big), "ppc64");
        assert_eq!(machine_name(22, Class::Elf64, Endian::Big), "s390x");
        assert_eq!(machine_name(8, Class::Elf32, Endian::Little), "mipsel");
        assert_eq!(machine_name(62, Class::Elf64, Endian::Little), "x86_64");
        assert_eq!(machine_name(4242, Class::Elf64, Endian::Little), "em-4242");
    }
}
