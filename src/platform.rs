//! The platforms preflight checks for, named Docker's way (`--platform linux/arm64`,
//! the keys of a profile's `platforms:`, an image index's entries), and what an ELF
//! file built for each one looks like.

use crate::elf::{Class, Endian, Machine};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    LinuxAmd64,
    LinuxArm64,
    LinuxArmV7,
    Linux386,
    LinuxPpc64le,
    LinuxS390x,
    LinuxRiscv64,
}

impl Platform {
    pub const ALL: [Platform; 7] = [
        Platform::LinuxAmd64,
        Platform::LinuxArm64,
        Platform::LinuxArmV7,
        Platform::Linux386,
        Platform::LinuxPpc64le,
        Platform::LinuxS390x,
        Platform::LinuxRiscv64,
    ];

    /// Docker's spelling: `linux/amd64`.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::LinuxAmd64 => "linux/amd64",
            Platform::LinuxArm64 => "linux/arm64",
            Platform::LinuxArmV7 => "linux/arm/v7",
            Platform::Linux386 => "linux/386",
            Platform::LinuxPpc64le => "linux/ppc64le",
            Platform::LinuxS390x => "linux/s390x",
            Platform::LinuxRiscv64 => "linux/riscv64",
        }
    }

    /// A platform as users write it: Docker's names (`linux/arm64`, `arm64`,
    /// `linux/arm64/v8`) or the kernel's (`x86_64`, `aarch64`, `i686`, `armv7l`).
    pub fn parse(text: &str) -> Option<Platform> {
        let text = text.trim().to_ascii_lowercase();
        let name = text.strip_prefix("linux/").unwrap_or(&text);
        Some(match name {
            "amd64" | "x86_64" | "x86-64" => Platform::LinuxAmd64,
            "arm64" | "arm64/v8" | "aarch64" => Platform::LinuxArm64,
            "arm/v7" | "arm" | "armv7" | "armv7l" | "armhf" => Platform::LinuxArmV7,
            "386" | "i386" | "i686" => Platform::Linux386,
            "ppc64le" | "ppc64el" => Platform::LinuxPpc64le,
            "s390x" => Platform::LinuxS390x,
            "riscv64" => Platform::LinuxRiscv64,
            _ => return None,
        })
    }

    /// For messages: every platform, as Docker writes them.
    pub fn all_names() -> String {
        Platform::ALL
            .iter()
            .map(|p| format!("`{}`", p.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `os/architecture` as an image index or config writes it (the variant apart).
    pub fn os_arch(self) -> &'static str {
        match self {
            Platform::LinuxArmV7 => "linux/arm",
            other => other.as_str(),
        }
    }

    /// The machine of its ELF files.
    pub fn machine(self) -> Machine {
        match self {
            Platform::LinuxAmd64 => Machine::X86_64,
            Platform::LinuxArm64 => Machine::Aarch64,
            Platform::LinuxArmV7 => Machine::Arm,
            Platform::Linux386 => Machine::I386,
            Platform::LinuxPpc64le => Machine::Ppc64,
            Platform::LinuxS390x => Machine::S390,
            Platform::LinuxRiscv64 => Machine::RiscV,
        }
    }

    pub fn class(self) -> Class {
        match self {
            Platform::LinuxArmV7 | Platform::Linux386 => Class::Elf32,
            _ => Class::Elf64,
        }
    }

    pub fn endian(self) -> Endian {
        match self {
            Platform::LinuxS390x => Endian::Big,
            _ => Endian::Little,
        }
    }

    /// The architecture part of a Python wheel's platform tag (`manylinux_2_17_x86_64`),
    /// as auditwheel's policy files name the architectures.
    pub fn wheel_arch(self) -> &'static str {
        match self {
            Platform::LinuxAmd64 => "x86_64",
            Platform::LinuxArm64 => "aarch64",
            Platform::LinuxArmV7 => "armv7l",
            Platform::Linux386 => "i686",
            Platform::LinuxPpc64le => "ppc64le",
            Platform::LinuxS390x => "s390x",
            Platform::LinuxRiscv64 => "riscv64",
        }
    }

    /// The machine's readable name for its files ("x86_64", "aarch64", ...).
    pub fn machine_name(self) -> String {
        self.machine().name(self.class(), self.endian())
    }
}

impl Default for Platform {
    /// When neither `--platform` nor the source names one: Docker's own default.
    fn default() -> Platform {
        Platform::LinuxAmd64
    }
}

impl serde::Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_and_kernel_names() {
        for p in Platform::ALL {
            assert_eq!(Platform::parse(p.as_str()), Some(p));
            assert_eq!(Platform::parse(p.os_arch()), Some(p));
        }
        assert_eq!(Platform::parse("x86_64"), Some(Platform::LinuxAmd64));
        assert_eq!(
            Platform::parse("linux/arm64/v8"),
            Some(Platform::LinuxArm64)
        );
        assert_eq!(Platform::parse("i686"), Some(Platform::Linux386));
        assert_eq!(Platform::parse("linux/mips"), None);
        let names: Vec<String> = Platform::ALL.iter().map(|p| p.machine_name()).collect();
        assert_eq!(
            names,
            ["x86_64", "aarch64", "arm", "i386", "ppc64le", "s390x", "riscv64"]
        );
    }
}
