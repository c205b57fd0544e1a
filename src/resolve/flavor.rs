//! The parts of the loaders' search that depend on the architecture and the
//! distribution's layout (which loader runs an object is a fact of the file:
//! `ElfFacts::libc`).

use crate::elf::{Class, ElfFacts, Endian, Machine};

pub(crate) fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub(crate) fn dirname(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => path[..i].to_string(),
        None => ".".to_string(),
    }
}

/// Debian's multiarch triplet for an object (`dpkg-architecture -qDEB_HOST_MULTIARCH`).
fn multiarch_triplets(facts: &ElfFacts) -> &'static [&'static str] {
    use Machine::*;
    let (is64, little) = (facts.class == Class::Elf64, facts.endian == Endian::Little);
    match facts.arch() {
        X86_64 => &["x86_64-linux-gnu"],
        I386 => &["i386-linux-gnu"],
        Aarch64 => &["aarch64-linux-gnu"],
        Arm if little => &["arm-linux-gnueabihf", "arm-linux-gnueabi"],
        Ppc64 if little => &["powerpc64le-linux-gnu"],
        Ppc64 => &["powerpc64-linux-gnu"],
        Ppc if !little => &["powerpc-linux-gnu"],
        S390 if is64 => &["s390x-linux-gnu"],
        RiscV if is64 => &["riscv64-linux-gnu"],
        Mips if is64 && little => &["mips64el-linux-gnuabi64"],
        Mips if !is64 && little => &["mipsel-linux-gnu"],
        Mips if !is64 => &["mips-linux-gnu"],
        LoongArch if is64 => &["loongarch64-linux-gnu"],
        SparcV9 => &["sparc64-linux-gnu"],
        M68k => &["m68k-linux-gnu"],
        Parisc => &["hppa-linux-gnu"],
        Alpha => &["alpha-linux-gnu"],
        Sh => &["sh4-linux-gnu"],
        _ => &[],
    }
}

/// 64-bit ports whose glibc puts libraries in `lib64` (sysdeps/unix/sysv/linux/*/
/// configure.ac: `LIBC_SLIBDIR_RTLDDIR([lib64], ...)`, e.g. s390/s390-64); Fedora,
/// RHEL, SUSE and Amazon Linux follow it. RISC-V's is a subfolder named after its
/// ABI (below).
fn uses_lib64(facts: &ElfFacts) -> bool {
    use Machine::*;
    facts.class == Class::Elf64
        && matches!(
            facts.arch(),
            X86_64 | Aarch64 | Ppc64 | S390 | SparcV9 | Mips | LoongArch | RiscV
        )
}

/// The folder under `/lib64` and `/usr/lib64` of ports whose glibc names it after the
/// ABI: riscv64's lp64d (sysdeps/unix/sysv/linux/riscv/configure.ac:
/// `LIBC_SLIBDIR_RTLDDIR([lib64/lp64d], [lib])`; binutils' elf64lriscv.sh searches
/// `/lib64/lp64d` first "as per the glibc ABI"). Debian-style roots use their
/// multiarch folders instead.
fn lib64_subdir(facts: &ElfFacts) -> &'static str {
    match facts.arch() {
        Machine::RiscV => "/lp64d",
        _ => "",
    }
}

/// The glibc loader's layout for one class and architecture inside a root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlibcLayout {
    /// The trusted system directories (glibc's SYSTEM_DIRS, printed by `ld.so --help`).
    pub default_dirs: Vec<String>,
    /// What `$LIB` expands to.
    pub lib: String,
    /// What `$PLATFORM` expands to.
    pub platform: String,
}

impl GlibcLayout {
    /// Debian and Ubuntu build glibc with multiarch directories: SYSTEM_DIRS is
    /// `/lib/TRIPLET:/usr/lib/TRIPLET:/lib:/usr/lib` and `$LIB` is `lib/TRIPLET`. Other
    /// distributions use `/lib64:/usr/lib64` on 64-bit ports and `/lib:/usr/lib`
    /// elsewhere. The root tells which: a multiarch folder exists or it does not.
    pub fn detect(facts: &ElfFacts, dir_exists: impl Fn(&str) -> bool) -> GlibcLayout {
        let platform = platform(facts);
        for triplet in multiarch_triplets(facts) {
            if dir_exists(&format!("/lib/{triplet}")) || dir_exists(&format!("/usr/lib/{triplet}"))
            {
                return GlibcLayout {
                    default_dirs: vec![
                        format!("/lib/{triplet}"),
                        format!("/usr/lib/{triplet}"),
                        "/lib".into(),
                        "/usr/lib".into(),
                    ],
                    lib: format!("lib/{triplet}"),
                    platform,
                };
            }
        }
        if uses_lib64(facts) {
            let sub = lib64_subdir(facts);
            GlibcLayout {
                default_dirs: vec![format!("/lib64{sub}"), format!("/usr/lib64{sub}")],
                lib: format!("lib64{sub}"),
                platform,
            }
        } else {
            GlibcLayout {
                default_dirs: vec!["/lib".into(), "/usr/lib".into()],
                lib: "lib".into(),
                platform,
            }
        }
    }
}

/// `$PLATFORM` is the kernel's AT_PLATFORM string; it depends on the CPU, so this is
/// the usual value for the architecture (i386 kernels report "i686" on any modern CPU).
fn platform(facts: &ElfFacts) -> String {
    match facts.arch() {
        Machine::I386 => "i686".into(),
        _ => facts.machine.clone(),
    }
}

/// musl's architecture name, as in its loader's file name `ld-musl-ARCH.so.1` and its
/// path file `/etc/ld-musl-ARCH.path`: musl's `LDSO_ARCH` (arch/*/reloc.h). Without
/// an interpreter to read it from, the usual one of the machine: `x86_64`, `aarch64`,
/// `i386`, `s390x`, `riscv64` (its double-float ABI has no suffix), `powerpc64le`
/// (`"powerpc64" ENDIAN_SUFFIX`), and `armhf` for 32-bit ARM (`"arm" ENDIAN_SUFFIX
/// FP_SUFFIX`, "hf" with the VFP calling convention that Docker's linux/arm/v7 and
/// every armv7 distribution use; soft-float `arm` roots have `ld-musl-arm.so.1`).
pub fn musl_arch(interpreter: Option<&str>, facts: &ElfFacts) -> String {
    if let Some(arch) = interpreter
        .map(basename)
        .and_then(|b| b.strip_prefix("ld-musl-"))
        .and_then(|b| b.strip_suffix(".so.1"))
    {
        return arch.to_string();
    }
    match facts.arch() {
        Machine::Ppc64 if facts.endian == Endian::Little => "powerpc64le".into(),
        Machine::Ppc64 => "powerpc64".into(),
        Machine::Arm if facts.endian == Endian::Little => "armhf".into(),
        _ => facts.machine.clone(),
    }
}

/// musl's search path when `/etc/ld-musl-ARCH.path` is absent (ldso/dynlink.c,
/// load_library: `sys_path = "/lib:/usr/local/lib:/usr/lib"`).
pub const MUSL_DEFAULT_PATH: &[&str] = &["/lib", "/usr/local/lib", "/usr/lib"];

/// musl's loader is also its libc: `libc.*`, `libpthread.*`, `librt.*`, `libm.*`,
/// `libdl.*`, `libutil.*` and `libxnet.*` all resolve to it (ldso/dynlink.c,
/// load_library, the `reserved` list).
pub fn is_musl_reserved(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("lib") else {
        return false;
    };
    ["c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."]
        .iter()
        .any(|r| rest.starts_with(r))
}

/// The program interpreter each glibc port's ABI fixes (glibc sysdeps/*/ldconfig.h,
/// each port's shlib-versions `ld=` line — riscv: `ld-linux-riscv64-lp64d.so.1` in
/// `/lib`, its rtlddir — and the psABI documents). The built-in profiles' interpreters
/// are checked against this table (tests/targets.rs).
pub fn standard_glibc_interpreters(facts: &ElfFacts) -> Vec<String> {
    use Machine::*;
    let (is64, little) = (facts.class == Class::Elf64, facts.endian == Endian::Little);
    let paths: &[&str] = match facts.arch() {
        X86_64 if is64 => &["/lib64/ld-linux-x86-64.so.2"],
        X86_64 => &["/libx32/ld-linux-x32.so.2"],
        I386 => &["/lib/ld-linux.so.2"],
        Aarch64 => &["/lib/ld-linux-aarch64.so.1"],
        Arm if little => &["/lib/ld-linux-armhf.so.3", "/lib/ld-linux.so.3"],
        Ppc64 if little => &["/lib64/ld64.so.2"],
        Ppc64 => &["/lib64/ld64.so.1"],
        Ppc if !little => &["/lib/ld.so.1"],
        S390 if is64 => &["/lib/ld64.so.1"],
        RiscV if is64 => &["/lib/ld-linux-riscv64-lp64d.so.1"],
        Mips if is64 => &["/lib64/ld.so.1"],
        Mips => &["/lib/ld.so.1"],
        LoongArch if is64 => &["/lib64/ld-linux-loongarch-lp64d.so.1"],
        SparcV9 => &["/lib64/ld-linux.so.2"],
        _ => &[],
    };
    paths.iter().map(|p| p.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn musl_reserved_names() {
        assert!(is_musl_reserved("libc.musl-x86_64.so.1"));
        assert!(is_musl_reserved("libc.so"));
        assert!(is_musl_reserved("libpthread.so.0"));
        assert!(!is_musl_reserved("libcrypto.so.3"));
        assert!(!is_musl_reserved("libmagic.so.1"));
    }
}
