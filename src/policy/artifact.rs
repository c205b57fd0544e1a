//! Findings from a file's own facts, against a target when there is one.

use crate::elf::{ElfFacts, Kind, Libc, Machine};
use crate::platform::Platform;
use crate::profile::Profile;
use crate::rules::{Finding, Rule};

/// What the rules need to know about the target host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetFacts {
    /// The profile's name, for messages ("ubuntu-20.04 (linux/amd64)").
    pub label: String,
    pub libc: Libc,
    pub libc_version: Vec<u64>,
    pub platform: Platform,
    pub isa_level: Option<u8>,
}

impl TargetFacts {
    /// What the rules need to know about `profile` on `platform`; None when the
    /// profile does not describe that platform.
    pub fn of(profile: &Profile, platform: Platform) -> Option<TargetFacts> {
        let p = profile.platform(platform)?;
        Some(TargetFacts {
            label: format!("{} ({platform})", profile.name),
            libc: p.libc,
            libc_version: p.libc_numbers(),
            platform,
            isa_level: p.isa_level,
        })
    }

    fn glibc_at_least(&self, major: u64, minor: u64) -> bool {
        self.libc == Libc::Glibc && self.libc_version.as_slice() >= [major, minor].as_slice()
    }
}

/// What the rules need to know about a file beyond its facts: where it is, and what
/// the scanned tree around it holds.
#[derive(Clone, Copy, Default)]
pub struct FileContext<'a> {
    /// Its path inside the host (absolute), whatever the report shows.
    pub view: &'a str,
    /// The tree ships glibc itself (a `libc.so.6`): its own glibc components are
    /// loaded with it, whatever the target.
    pub ships_glibc: bool,
    /// Without a target: the architecture of the root or image the files are checked
    /// against (its own programs'), when it has one.
    pub host: Option<&'a HostArch>,
    /// Without a target: whether the root or image has a folder (an absolute RPATH
    /// folder the host has is its own, put there on purpose).
    pub host_has_dir: Option<&'a (dyn Fn(&str) -> bool + Sync)>,
}

/// The architecture of a root filesystem or image, read off its own programs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostArch {
    /// For messages: the host as the report names it.
    pub label: String,
    pub class: crate::elf::Class,
    pub e_machine: u16,
    /// Readable ("x86_64").
    pub machine: String,
}

/// Findings from the facts of the file at `path` (relative to the scanned folder).
/// Returns whether the file can be resolved against the target at all: a file of
/// another architecture or libc gets only that finding.
pub fn findings_from_facts(
    facts: &ElfFacts,
    path: &str,
    target: Option<&TargetFacts>,
    context: FileContext<'_>,
    findings: &mut Vec<Finding>,
) -> bool {
    if let Some(os) = &facts.foreign_os {
        findings.push(super::build::foreign_os_finding(path, facts, os));
        return false;
    }
    // Objects for a link (`.o`) are not run: their architecture is the build's.
    let runs = facts.kind.is_executable() || facts.kind == Kind::SharedLibrary;
    if let Some(host) = context.host.filter(|_| target.is_none() && runs) {
        // A root or image runs its own architecture: a file of another one is refused
        // by the kernel (and skipped by the loader as a library), whatever it needs.
        if (facts.e_machine != host.e_machine || facts.class != host.class)
            && !compat_mode(host, facts)
        {
            let sysroot = cross_sysroot(context.view);
            findings.push(
                Rule::ArchMismatch
                    .finding(
                        path,
                        format!(
                            "is {} {} but {} is {} {}",
                            facts.class.as_str(),
                            facts.machine,
                            host.label,
                            host.class.as_str(),
                            host.machine
                        ),
                    )
                    .arg("machine", host.machine.clone())
                    .case_if(sysroot, "cross-sysroot")
                    .build(),
            );
            return false;
        }
    }
    if let Some(t) = target {
        let (class, machine) = (t.platform.class(), t.platform.machine_name());
        if facts.arch() != t.platform.machine() || facts.class != class {
            findings.push(
                Rule::ArchMismatch
                    .finding(
                        path,
                        format!(
                            "is {} {} but {} is {} {}",
                            facts.class.as_str(),
                            facts.machine,
                            t.label,
                            class.as_str(),
                            machine
                        ),
                    )
                    .arg("machine", machine)
                    .build(),
            );
            return false;
        }
        if let Some(have) = facts.libc().filter(|libc| *libc != t.libc) {
            let (have, want) = (have.as_str(), t.libc.as_str());
            findings.push(
                Rule::LibcMismatch
                    .finding(
                        path,
                        format!(
                            "is linked against {have} (interpreter {}) but {} uses {want}",
                            facts.interpreter.as_deref().unwrap_or("none"),
                            t.label
                        ),
                    )
                    .arg("libc", want)
                    .build(),
            );
            return false;
        }
    }
    if facts.textrel {
        findings.push(textrel_finding(facts, path));
    }
    findings.extend(super::build::static_runtime_finding(path, facts));
    if let Some(relocations) = &facts.relocations {
        findings.extend(super::build::non_pic_finding(path, relocations, None));
    }
    super::hardening::hardening_findings(facts, path, findings);
    rpath_findings(facts, path, context, findings);
    if facts.executable_stack {
        let strict =
            target.is_some_and(|t| t.glibc_at_least(2, 41)) && facts.kind == Kind::SharedLibrary;
        findings.push(
            Rule::ExecutableStack
                .finding(
                    path,
                    "asks for an executable stack (PT_GNU_STACK with PF_X, or no PT_GNU_STACK)",
                )
                .case_if(strict, "dlopen-refused")
                .build(),
        );
    }
    let private: Vec<&String> = facts
        .version_needs
        .iter()
        .filter(|(_, versions)| versions.iter().any(|v| v.as_str() == "GLIBC_PRIVATE"))
        .map(|(file, _)| file)
        .collect();
    // glibc's own parts (libc.so.6 and ld.so, libm, libresolv, the NSS and gconv
    // modules, iconv, getent ...) use GLIBC_PRIVATE among themselves: that is how
    // one glibc build is put together. They are loaded with their own build when the
    // host is the root they came with, or when the tree ships libc.so.6 itself.
    let same_build =
        (target.is_none() || context.ships_glibc) && is_glibc_component(facts, context.view);
    if !private.is_empty() && !same_build {
        let symbols: Vec<String> = facts
            .symbols_by_version()
            .into_iter()
            .filter(|(v, _)| v.as_str() == "GLIBC_PRIVATE")
            .flat_map(|(_, s)| s)
            .map(str::to_string)
            .collect();
        findings.push(
            Rule::PrivateSymbol
                .finding(
                    path,
                    format!(
                        "needs GLIBC_PRIVATE from {} ({})",
                        private
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        symbols.join(", ")
                    ),
                )
                .version("GLIBC_PRIVATE")
                .symbols(symbols)
                .build(),
        );
    }
    // Only glibc's loader refuses a file for its ISA level (sysdeps/x86/dl-prop.h);
    // musl's reads no property note.
    if let (Some(t), Some(needed)) = (target, facts.x86_isa_level) {
        let baseline = t.isa_level.unwrap_or(1);
        if facts.arch() == Machine::X86_64 && needed > baseline && t.libc == Libc::Glibc {
            findings.push(
                Rule::IsaLevel
                    .finding(
                        path,
                        format!(
                            "needs x86-64-v{needed} (GNU property note) but {} assumes x86-64-v{baseline}",
                            t.label
                        ),
                    )
                    .arg("baseline", baseline.to_string())
                    .arg("needed", needed.to_string())
                    .build(),
            );
        }
    }
    true
}

/// The 32-bit ABIs a 64-bit kernel runs natively (CONFIG_IA32_EMULATION,
/// CONFIG_X86_X32_ABI, CONFIG_COMPAT on arm64): i386 and x32 files on x86_64, arm on
/// aarch64. Whether they load is then the loader's question.
fn compat_mode(host: &HostArch, facts: &ElfFacts) -> bool {
    use crate::elf::Class;
    let (x86_64, i386, aarch64, arm) = (62, 3, 183, 40);
    host.class == Class::Elf64
        && facts.class == Class::Elf32
        && ((host.e_machine == x86_64 && (facts.e_machine == i386 || facts.e_machine == x86_64))
            || (host.e_machine == aarch64 && facts.e_machine == arm))
}

/// A file of a cross-compilation sysroot (Debian's `libc6-dev-arm64-cross` puts one in
/// `/usr/aarch64-linux-gnu/`): for the cross linker and qemu, never run by this host.
fn cross_sysroot(view: &str) -> bool {
    let mut parts = view.trim_start_matches('/').split('/');
    parts.next() == Some("usr")
        && parts
            .next()
            .is_some_and(|triplet| triplet.contains("-linux-") && parts.next().is_some())
}

/// The sonames of glibc's own libraries (glibc's `shlib-versions` files, 2.17 to
/// 2.41): each needs GLIBC_PRIVATE from libc.so.6 or ld.so of its own build.
const GLIBC_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libc.so.6.1",
    "libm.so.6",
    "libm.so.6.1",
    "libmvec.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libresolv.so.2",
    "libanl.so.1",
    "libutil.so.1",
    "libnsl.so.1",
    "libcidn.so.1",
    "libcrypt.so.1",
    "libBrokenLocale.so.1",
    "libthread_db.so.1",
    "libc_malloc_debug.so.0",
    "libmemusage.so",
    "libpcprofile.so",
    "libSegFault.so",
    "sotruss-lib.so",
    "libnss_files.so.2",
    "libnss_dns.so.2",
    "libnss_compat.so.2",
    "libnss_hesiod.so.2",
    "libnss_db.so.2",
    "libnss_nis.so.2",
    "libnss_nisplus.so.2",
];

/// glibc's programs (its Makeconfig `others`/`install-bin` lists) that use
/// GLIBC_PRIVATE: iconv, getent, pldd, gencat ...
const GLIBC_PROGRAMS: &[&str] = &[
    "iconv",
    "iconvconfig",
    "getent",
    "getconf",
    "gencat",
    "pldd",
    "sprof",
    "locale",
    "localedef",
    "ldconfig",
    "zdump",
    "memusagestat",
    "catchsegv",
];

/// Whether the file is one of glibc's own parts: its loader (`ld-linux*.so.*`,
/// `ld64.so.*`, `ld.so.1`), one of its libraries, a gconv module (any library in a
/// `gconv` folder: glibc's iconv loads them from `$libdir/gconv`), or one of its
/// programs that needs nothing but glibc.
fn is_glibc_component(facts: &ElfFacts, path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let folder = path.rsplit('/').nth(1).unwrap_or("");
    let name = facts.soname.as_deref().unwrap_or(file);
    let loader = |n: &str| {
        n.starts_with("ld-linux") && n.contains(".so.")
            || n.starts_with("ld64.so.")
            || n == "ld.so.1"
    };
    if loader(name) || loader(file) || GLIBC_LIBRARIES.contains(&name) {
        return true;
    }
    if folder == "gconv" && facts.kind == Kind::SharedLibrary {
        return true;
    }
    facts.kind.is_executable()
        && GLIBC_PROGRAMS.contains(&file)
        && facts
            .needed
            .iter()
            .all(|n| loader(n) || GLIBC_LIBRARIES.contains(&n.as_str()))
}

/// `textrel`, naming the relocations that patch read-only code (what `ld -z text`
/// would refuse), so the user learns which code to rebuild.
fn textrel_finding(facts: &ElfFacts, path: &str) -> Finding {
    let mut message =
        "has text relocations (DT_TEXTREL): the loader must patch its code pages".to_string();
    let causes: Vec<String> = facts
        .text_relocations
        .iter()
        .take(5)
        .map(|r| {
            let mut cause = r.r_type.clone();
            if let Some(symbol) = &r.symbol {
                cause.push_str(&format!(" against `{symbol}`"));
            }
            cause.push_str(&format!(" at {:#x}", r.offset));
            if let Some(section) = &r.section {
                cause.push_str(&format!(" in {section}"));
            }
            if let Some(function) = &r.function {
                cause.push_str(&format!(" (function {function})"));
            }
            cause
        })
        .collect();
    if !causes.is_empty() {
        let (relocations, write) = if facts.text_relocation_count == 1 {
            ("relocation", "writes")
        } else {
            ("relocations", "write")
        };
        message.push_str(&format!(
            "; {} {relocations} {write} into read-only segments: {}",
            facts.text_relocation_count,
            causes.join(", ")
        ));
        let more = facts.text_relocation_count.saturating_sub(causes.len());
        if more > 0 {
            message.push_str(&format!(" and {more} more"));
        }
    }
    let mut symbols: Vec<String> = facts
        .text_relocations
        .iter()
        .filter_map(|r| r.symbol.clone())
        .collect();
    symbols.sort();
    symbols.dedup();
    Rule::Textrel
        .finding(path, message)
        .symbols(symbols)
        .build()
}

/// Where build machines keep their work: an absolute search folder under one of these
/// is the build's, never the target's (manylinux's `/opt/_internal`, CI workspaces).
const BUILD_FOLDERS: &[&str] = &[
    "/home/",
    "/root/",
    "/tmp/",
    "/var/tmp/",
    "/build/",
    "/builds/",
    "/opt/_internal/",
    "/__w/",
    "/github/",
    "/workspace/",
    "/project/",
    "/io/",
    "/src/",
    "/usr/src/",
];

/// `rpath`: the search folders that are really wrong. `$ORIGIN`-relative folders
/// inside the tree are deliberate, DT_RPATH included (auditwheel and many SDKs set
/// DT_RPATH because it is inherited by the libraries the file loads): no finding.
/// What is warned about: a build machine's absolute folder, an absolute folder the
/// root or image does not have, a folder resolved against the process's current
/// folder, and an `$ORIGIN` path that climbs out of the tree.
fn rpath_findings(
    facts: &ElfFacts,
    path: &str,
    context: FileContext<'_>,
    findings: &mut Vec<Finding>,
) {
    let depth = path.matches('/').count();
    let kind = if facts.runpath.is_empty() {
        "DT_RPATH"
    } else {
        "DT_RUNPATH"
    };
    let entries = if facts.runpath.is_empty() {
        &facts.rpath
    } else {
        // With DT_RUNPATH, glibc ignores DT_RPATH (elf/dl-load.c).
        &facts.runpath
    };
    for entry in entries {
        if entry.starts_with('/') {
            let folder = entry.trim_end_matches('/');
            if BUILD_FOLDERS
                .iter()
                .any(|b| entry.starts_with(b) || folder == b.trim_end_matches('/'))
            {
                findings.push(
                    Rule::Rpath
                        .finding(
                            path,
                            format!("{kind} searches {entry}, a folder of the build machine"),
                        )
                        .case("build-machine")
                        .build(),
                );
            } else if !context.host_has_dir.is_some_and(|has| has(entry)) {
                findings.push(
                    Rule::Rpath
                        .finding(path, format!("{kind} searches the absolute folder {entry}"))
                        .case("absolute")
                        .build(),
                );
            }
        } else if let Some(rest) = entry
            .strip_prefix("$ORIGIN")
            .or_else(|| entry.strip_prefix("${ORIGIN}"))
        {
            let mut level = depth as i64;
            for part in rest.split('/') {
                match part {
                    ".." => level -= 1,
                    "" | "." => {}
                    _ => level += 1,
                }
                if level < 0 {
                    findings.push(
                        Rule::Rpath
                            .finding(
                                path,
                                format!("{kind} searches {entry}, which leaves the scanned tree"),
                            )
                            .case("leaves-tree")
                            .build(),
                    );
                    break;
                }
            }
        } else if !entry.starts_with('$') {
            // glibc (elf/dl-load.c, fillin_rpath) takes a relative element, the empty
            // one included, relative to the current folder of the process.
            let shown = if entry.is_empty() {
                "an empty element".to_string()
            } else {
                format!("`{entry}`")
            };
            findings.push(
                Rule::Rpath
                    .finding(
                        path,
                        format!(
                            "{kind} searches {shown}, which the loader takes relative to the process's current folder"
                        ),
                    )
                    .case("cwd-relative")
                    .build(),
            );
        }
    }
}
