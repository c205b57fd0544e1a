//! The CPU the loader runs on, as far as it changes what glibc's ld.so loads: the
//! glibc-hwcaps subfolders it searches (glibc 2.33+, elf/dl-hwcaps.c and each port's
//! dl-hwcaps-subdirs.c), and, in glibc 2.36 and older, the legacy hwcaps subfolders
//! (`tls/`, `x86_64/`, `haswell/` ...: elf/dl-hwcaps.c `_dl_important_hwcaps`,
//! removed in 2.37) and the platform name `$PLATFORM` expands to.

use crate::elf::{ElfFacts, Machine};

/// What preflight knows of the target CPU. The default is a baseline CPU of the
/// architecture: no glibc-hwcaps subfolder, the kernel's usual AT_PLATFORM.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cpu {
    /// glibc-hwcaps subfolders it supports, best first (`x86-64-v3`, `x86-64-v2`).
    pub hwcaps: Vec<String>,
    /// glibc ≤ 2.36 on an Intel x86-64 CPU names a platform of its own
    /// (sysdeps/x86/cpu-features.c, `init_cpu_features`): `haswell` when AVX2, FMA,
    /// BMI1, BMI2, LZCNT, MOVBE and POPCNT are usable, `xeon_phi` with AVX512ER and
    /// AVX512PF. Other vendors keep the kernel's `x86_64`.
    pub x86_platform: Option<&'static str>,
    /// The legacy `avx512_1` hwcap (Intel, AVX512 F/CD/BW/DQ/VL, not a Xeon Phi).
    pub avx512_1: bool,
}

/// The CPU levels `--cpu` takes, each with the levels it implies, best first
/// (x86: sysdeps/x86_64/dl-hwcaps-subdirs.c; POWER: sysdeps/powerpc/powerpc64/le/
/// dl-hwcaps-subdirs.c; IBM Z: sysdeps/s390/s390-64/dl-hwcaps-subdirs.c). AArch64
/// and the other ports have no glibc-hwcaps subfolders.
pub const CPU_LEVELS: &[&[&str]] = &[
    &["x86-64-v4", "x86-64-v3", "x86-64-v2"],
    &["x86-64-v3", "x86-64-v2"],
    &["x86-64-v2"],
    &["power10", "power9"],
    &["power9"],
    &["z16", "z15", "z14", "z13"],
    &["z15", "z14", "z13"],
    &["z14", "z13"],
    &["z13"],
];

impl Cpu {
    /// A `--cpu` value: a level (`x86-64-v3`, `power10`, `z15`), `baseline`, or
    /// `host` (this machine, from `cpuinfo`, the text of its /proc/cpuinfo).
    pub fn from_level(
        level: &str,
        cpuinfo: impl FnOnce() -> Option<String>,
    ) -> Result<Cpu, String> {
        if level == "baseline" {
            return Ok(Cpu::default());
        }
        if level == "host" {
            return Ok(cpuinfo().map(|t| Cpu::from_cpuinfo(&t)).unwrap_or_default());
        }
        CPU_LEVELS
            .iter()
            .find(|l| l[0] == level)
            .map(|l| Cpu {
                hwcaps: l.iter().map(|s| s.to_string()).collect(),
                ..Cpu::default()
            })
            .ok_or_else(|| {
                let names: Vec<&str> = CPU_LEVELS.iter().map(|l| l[0]).collect();
                format!(
                    "unknown CPU level {level:?}: expected host, baseline or one of {}",
                    names.join(", ")
                )
            })
    }

    /// An x86-64 CPU from the `flags` and `vendor_id` lines of /proc/cpuinfo (the
    /// ISA levels as glibc's sysdeps/x86/get-isa-level.h defines them).
    pub fn from_cpuinfo(text: &str) -> Cpu {
        let field = |name: &str| {
            text.lines()
                .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        let flags = field("flags");
        let flags: Vec<&str> = flags.split_whitespace().collect();
        let has = |names: &[&str]| names.iter().all(|n| flags.contains(n));
        let v2 = has(&[
            "cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3",
        ]);
        let v3 = v2
            && has(&[
                "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave",
            ]);
        let avx512 = has(&["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]);
        let v4 = v3 && avx512;
        let hwcaps = [(v4, "x86-64-v4"), (v3, "x86-64-v3"), (v2, "x86-64-v2")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| name.to_string())
            .collect();
        let intel = field("vendor_id") == "GenuineIntel";
        let phi = intel && has(&["avx512cd", "avx512er", "avx512pf"]);
        let haswell = has(&["avx2", "fma", "bmi1", "bmi2", "abm", "movbe", "popcnt"]);
        Cpu {
            hwcaps,
            x86_platform: if phi {
                Some("xeon_phi")
            } else if intel && haswell {
                Some("haswell")
            } else {
                None
            },
            avx512_1: intel && !phi && avx512,
        }
    }

    /// What `$PLATFORM` expands to for an object of `facts`' machine: the kernel's
    /// AT_PLATFORM (`x86_64`, `aarch64`, `i686` on any modern x86 CPU, ...), which
    /// glibc ≤ 2.36 replaces on Intel x86-64 CPUs (`x86_platform`).
    pub fn platform(&self, facts: &ElfFacts, legacy_glibc: bool) -> String {
        match facts.arch() {
            Machine::X86_64 if legacy_glibc => self.x86_platform.unwrap_or("x86_64").into(),
            Machine::I386 => "i686".into(),
            _ => facts.machine.clone(),
        }
    }

    /// The legacy hwcaps subfolders glibc ≤ 2.36 searches in each folder, most
    /// specific first, the folder itself ("") last: every combination of the CPU's
    /// important hwcap names, its platform and `tls` (elf/dl-hwcaps.c,
    /// `_dl_important_hwcaps`; `x86_64` as hwcap and as platform on an AMD CPU gives
    /// `tls/x86_64/x86_64`, `tls/x86_64`, `tls`, `x86_64/x86_64`, `x86_64`, as
    /// `ld.so --help` lists them). Other ports: their platform and `tls`.
    pub fn legacy_subfolders(&self, facts: &ElfFacts) -> Vec<String> {
        let mut parts: Vec<String> = Vec::new();
        match facts.arch() {
            // sysdeps/x86/dl-hwcap.h: HWCAP_IMPORTANT is x86_64 and avx512_1 (and
            // sse2 on i386, whose CPUs all have it by now).
            Machine::X86_64 if facts.class == crate::elf::Class::Elf64 => {
                parts.push("x86_64".into());
                if self.avx512_1 {
                    parts.push("avx512_1".into());
                }
            }
            Machine::I386 => parts.push("sse2".into()),
            _ => {}
        }
        parts.push(self.platform(facts, true));
        parts.push("tls".into());
        let mut out: Vec<String> = Vec::new();
        for mask in (0..1u32 << parts.len()).rev() {
            let chosen: Vec<&str> = (0..parts.len())
                .rev()
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| parts[i].as_str())
                .collect();
            let sub = chosen.join("/");
            if !out.contains(&sub) {
                out.push(sub);
            }
        }
        out
    }

    /// The legacy hwcap bits ld.so keeps for cache entries (`dl_hwcap &
    /// hwcap_mask`): x86's HWCAP_X86_64 (bit 1) and HWCAP_X86_AVX512_1 (bit 2),
    /// sysdeps/x86/dl-hwcap.h.
    pub fn legacy_hwcap_bits(&self, facts: &ElfFacts) -> u64 {
        match facts.arch() {
            Machine::X86_64 => 1 << 1 | if self.avx512_1 { 1 << 2 } else { 0 },
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_imply_the_ones_below() {
        let cpu = Cpu::from_level("x86-64-v3", || None).unwrap();
        assert_eq!(cpu.hwcaps, ["x86-64-v3", "x86-64-v2"]);
        assert!(Cpu::from_level("x86-64-v9", || None).is_err());
        assert_eq!(Cpu::from_level("host", || None).unwrap(), Cpu::default());
    }

    #[test]
    fn legacy_subfolders_as_ld_so_lists_them() {
        use crate::elf::{Class, Endian, Kind};
        let facts = ElfFacts::bare(
            Class::Elf64,
            Endian::Little,
            "x86_64",
            62,
            Kind::SharedLibrary,
        );
        // glibc 2.36's ld.so --help on an AMD CPU: x86_64 (AT_PLATFORM), tls, x86_64.
        assert_eq!(
            Cpu::default().legacy_subfolders(&facts),
            [
                "tls/x86_64/x86_64",
                "tls/x86_64",
                "tls",
                "x86_64/x86_64",
                "x86_64",
                ""
            ]
        );
        let haswell = Cpu {
            x86_platform: Some("haswell"),
            ..Cpu::default()
        };
        assert_eq!(haswell.legacy_subfolders(&facts)[0], "tls/haswell/x86_64");
        assert_eq!(haswell.platform(&facts, true), "haswell");
        assert_eq!(haswell.platform(&facts, false), "x86_64");
    }

    #[test]
    fn cpuinfo_of_an_amd_and_an_intel_cpu() {
        let v3 = "cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3 avx avx2 bmi1 bmi2 f16c fma abm movbe xsave";
        let amd = Cpu::from_cpuinfo(&format!("vendor_id\t: AuthenticAMD\nflags\t\t: {v3}\n"));
        assert_eq!(amd.hwcaps, ["x86-64-v3", "x86-64-v2"]);
        assert_eq!(amd.x86_platform, None);
        let intel = Cpu::from_cpuinfo(&format!("vendor_id\t: GenuineIntel\nflags\t\t: {v3}\n"));
        assert_eq!(intel.x86_platform, Some("haswell"));
    }
}
