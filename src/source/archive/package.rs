//! What a package says about itself, against what it holds: a Python wheel's
//! platform tags (the `Tag:` lines of its `WHEEL` file, else its file name; PEP 425,
//! PEP 600, PEP 656) and an npm package's `os`, `cpu` and `libc` fields (package.json,
//! as npm and pnpm honour them). A file that contradicts them is a
//! `package-tag-mismatch`: auditwheel's consistency check, for any wheel, without
//! Python. The tags also give the platform and the default targets of a scan.

use super::read::Reader;
use crate::elf::{ElfFacts, Libc};
use crate::platform::Platform;
use crate::rules::{Finding, Rule};
use crate::source::image::{FileContent, TreeEntry};
use crate::text::excerpt;

/// One platform tag of a wheel.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tag {
    /// `manylinux_2_17_x86_64` (and the legacy `manylinux1`, `manylinux2010`,
    /// `manylinux2014`, PEP 600's aliases).
    Manylinux { glibc: (u64, u64), arch: String },
    /// `musllinux_1_2_aarch64` (PEP 656).
    Musllinux { arch: String },
    /// `linux_x86_64`: any Linux of that architecture.
    Linux { arch: String },
    /// `any`: pure Python, no binary.
    Any,
    /// Another system's tag (`macosx_11_0_arm64`, `win_amd64`).
    Other(String),
}

impl Tag {
    fn parse(text: &str) -> Tag {
        let manylinux_legacy = [
            ("manylinux1_", (2, 5)),
            ("manylinux2010_", (2, 12)),
            ("manylinux2014_", (2, 17)),
        ];
        for (prefix, glibc) in manylinux_legacy {
            if let Some(arch) = text.strip_prefix(prefix) {
                return Tag::Manylinux {
                    glibc,
                    arch: arch.into(),
                };
            }
        }
        let versioned = |rest: &str| -> Option<((u64, u64), String)> {
            let mut parts = rest.splitn(3, '_');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next()?.parse().ok()?;
            Some(((major, minor), parts.next()?.to_string()))
        };
        if let Some((glibc, arch)) = text.strip_prefix("manylinux_").and_then(versioned) {
            return Tag::Manylinux { glibc, arch };
        }
        if let Some((_, arch)) = text.strip_prefix("musllinux_").and_then(versioned) {
            return Tag::Musllinux { arch };
        }
        if let Some(arch) = text.strip_prefix("linux_") {
            return Tag::Linux { arch: arch.into() };
        }
        if text == "any" {
            return Tag::Any;
        }
        Tag::Other(text.into())
    }

    fn arch(&self) -> Option<&str> {
        match self {
            Tag::Manylinux { arch, .. } | Tag::Musllinux { arch } | Tag::Linux { arch } => {
                Some(arch)
            }
            _ => None,
        }
    }
}

/// A wheel found in the archive (or the archive itself).
struct Wheel {
    at: String,
    /// Its platform tags, as written.
    written: Vec<String>,
    tags: Vec<Tag>,
}

/// An npm package's declared platforms.
struct Npm {
    at: String,
    os: Vec<String>,
    cpu: Vec<String>,
    libc: Vec<String>,
}

pub(crate) struct Packages {
    wheels: Vec<Wheel>,
    npm: Vec<Npm>,
    /// Architectures Debian or RPM packages declare.
    declared_arch: Vec<String>,
}

impl Packages {
    pub fn of(reader: &Reader) -> Packages {
        let mut wheels: Vec<Wheel> = Vec::new();
        let mut npm = Vec::new();
        let mut declared_arch = Vec::new();
        for meta in &reader.metadata {
            if meta.name.ends_with("/WHEEL") {
                let mut written: Vec<String> = meta
                    .text
                    .lines()
                    .filter_map(|l| l.strip_prefix("Tag:"))
                    .filter_map(|t| t.trim().rsplit('-').next().map(str::to_string))
                    .flat_map(|p| p.split('.').map(str::to_string).collect::<Vec<_>>())
                    .collect();
                // The file name's tags when the WHEEL file has none.
                if written.is_empty() {
                    written = file_name_tags(&meta.at);
                }
                written.sort();
                written.dedup();
                if wheels.iter().any(|w| w.at == meta.at) {
                    continue;
                }
                let tags = written.iter().map(|t| Tag::parse(t)).collect();
                wheels.push(Wheel {
                    at: meta.at.clone(),
                    written,
                    tags,
                });
            } else if meta.name == "package/package.json" {
                let json: serde_json::Value = serde_json::from_str(&meta.text).unwrap_or_default();
                let list = |key: &str| -> Vec<String> {
                    match &json[key] {
                        serde_json::Value::Array(items) => items
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect(),
                        serde_json::Value::String(one) => vec![one.clone()],
                        _ => Vec::new(),
                    }
                };
                npm.push(Npm {
                    at: meta.at.clone(),
                    os: list("os"),
                    cpu: list("cpu"),
                    libc: list("libc"),
                });
            } else if meta.name == "DEBIAN/control" {
                declared_arch
                    .extend(super::deb::field(&meta.text, "Architecture").map(str::to_string));
            } else if meta.name == "RPM header" {
                declared_arch.extend(super::deb::field(&meta.text, "Arch").map(str::to_string));
            }
        }
        Packages {
            wheels,
            npm,
            declared_arch,
        }
    }

    /// The platform the packages declare: a wheel's Linux tag, an npm package's
    /// `cpu`, a Debian or RPM package's architecture; None when they say none or
    /// disagree.
    pub fn platform(&self) -> Option<Platform> {
        let mut named: Vec<Platform> = Vec::new();
        for wheel in &self.wheels {
            named.extend(
                wheel
                    .tags
                    .iter()
                    .filter_map(|t| t.arch())
                    .filter_map(Platform::parse),
            );
        }
        for package in &self.npm {
            named.extend(
                package
                    .cpu
                    .iter()
                    .filter(|c| !c.starts_with('!'))
                    .filter_map(|c| npm_platform(c)),
            );
        }
        named.extend(self.declared_arch.iter().filter_map(|a| Platform::parse(a)));
        named.sort();
        named.dedup();
        match named.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// The built-in targets a wheel's tags name, most demanding claim first: the
    /// oldest manylinux glibc it promises, or musllinux. Empty for other archives.
    pub fn targets(&self) -> Vec<String> {
        let mut targets = Vec::new();
        for wheel in &self.wheels {
            let oldest = wheel
                .tags
                .iter()
                .filter_map(|t| match t {
                    Tag::Manylinux { glibc, .. } => Some(*glibc),
                    _ => None,
                })
                .min();
            if let Some((major, minor)) = oldest {
                targets.push(format!("manylinux_{major}_{minor}"));
            }
            let musl = wheel
                .written
                .iter()
                .filter_map(|t| t.strip_prefix("musllinux_"))
                .filter_map(|rest| {
                    let mut parts = rest.splitn(3, '_');
                    Some((
                        parts.next()?.parse::<u64>().ok()?,
                        parts.next()?.parse::<u64>().ok()?,
                    ))
                })
                .min();
            if let Some((major, minor)) = musl {
                targets.push(format!("musllinux_{major}_{minor}"));
            }
        }
        targets.sort();
        targets.dedup();
        targets
    }

    /// What the packages' files contradict of what the packages declare.
    pub fn findings(&self, reader: &Reader) -> Vec<Finding> {
        let mut findings = Vec::new();
        let elf_files = |at: &str| -> Vec<(String, std::sync::Arc<ElfFacts>)> {
            reader
                .tree
                .files_under(at)
                .into_iter()
                .filter_map(|(path, node)| match &node.entry {
                    TreeEntry::File(FileContent::Elf(Ok(facts))) => {
                        Some((reader.shown(path), facts.clone()))
                    }
                    _ => None,
                })
                .collect()
        };
        for wheel in &self.wheels {
            for (path, facts) in elf_files(&wheel.at) {
                findings.extend(wheel_finding(wheel, &path, &facts));
            }
        }
        for package in &self.npm {
            for (path, facts) in elf_files(&package.at) {
                findings.extend(npm_finding(package, &path, &facts));
            }
        }
        findings
    }
}

/// The platform tags of a wheel's file name (`{name}-{ver}[-{build}]-{py}-{abi}-{plat}.whl`).
fn file_name_tags(at: &str) -> Vec<String> {
    let name = at.rsplit('/').next().unwrap_or(at);
    let Some(stem) = name.strip_suffix(".whl") else {
        return Vec::new();
    };
    stem.rsplit('-')
        .next()
        .map(|plat| plat.split('.').map(str::to_string).collect())
        .unwrap_or_default()
}

/// The newest GLIBC_ version the file needs, as (major, minor) and its name.
fn newest_glibc(facts: &ElfFacts) -> Option<((u64, u64), String)> {
    facts
        .version_needs
        .values()
        .flatten()
        .filter_map(|v| {
            let (family, numbers) = v.family_and_numbers();
            (family == "GLIBC" && numbers.len() >= 2)
                .then(|| ((numbers[0], numbers[1]), v.to_string()))
        })
        .max()
}

fn wheel_finding(wheel: &Wheel, path: &str, facts: &ElfFacts) -> Option<Finding> {
    let claimed = excerpt(&wheel.written.join("."), 200);
    let mismatch = |case: &'static str, message: String| {
        Some(
            Rule::PackageTagMismatch
                .finding(path, message)
                .case(case)
                .arg("tag", &claimed)
                .build(),
        )
    };
    let linux: Vec<&Tag> = wheel.tags.iter().filter(|t| t.arch().is_some()).collect();
    if linux.is_empty() {
        let case = if wheel.tags.contains(&Tag::Any) {
            "pure"
        } else {
            "os"
        };
        return mismatch(
            case,
            format!(
                "the wheel is tagged {claimed}, which installs it where this {} ELF file cannot run",
                facts.machine
            ),
        );
    }
    // The tags of the file's own architecture.
    let own: Vec<&&Tag> = linux
        .iter()
        .filter(|t| {
            t.arch()
                .and_then(Platform::parse)
                .is_some_and(|p| p.machine_name() == facts.machine)
        })
        .collect();
    if own.is_empty() {
        let archs: Vec<&str> = linux.iter().filter_map(|t| t.arch()).collect();
        return mismatch(
            "architecture",
            format!(
                "an {} file in a wheel tagged {claimed} (for {}): pip installs it where it cannot load",
                facts.machine,
                archs.join(", ")
            ),
        );
    }
    let many: Vec<(u64, u64)> = own
        .iter()
        .filter_map(|t| match t {
            Tag::Manylinux { glibc, .. } => Some(*glibc),
            _ => None,
        })
        .collect();
    let musl = own.iter().any(|t| matches!(t, Tag::Musllinux { .. }));
    match facts.libc() {
        Some(Libc::Musl) if !many.is_empty() && !musl => {
            return mismatch(
                "libc",
                format!("links against musl, in a wheel tagged {claimed} (for glibc): it does not load on a manylinux host"),
            );
        }
        Some(Libc::Glibc) if musl && many.is_empty() => {
            return mismatch(
                "libc",
                format!("links against glibc, in a wheel tagged {claimed} (for musl): it does not load on a musllinux host"),
            );
        }
        _ => {}
    }
    let oldest = many.iter().min()?;
    let (needed, name) = newest_glibc(facts)?;
    (needed > *oldest).then(|| {
        Rule::PackageTagMismatch
            .finding(
                path,
                format!(
                    "needs {name}, but the wheel's tag {claimed} promises it runs on glibc {}.{}",
                    oldest.0, oldest.1
                ),
            )
            .case("glibc-version")
            .arg("tag", &claimed)
            .version(&name)
            .build()
    })
}

/// npm's name for the architecture of a file (`process.arch`).
fn npm_cpu(machine: &str) -> Option<&'static str> {
    Some(match machine {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        "i386" => "ia32",
        "arm" => "arm",
        "ppc64le" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loongarch64" => "loong64",
        _ => return None,
    })
}

fn npm_platform(cpu: &str) -> Option<Platform> {
    Some(match cpu {
        "x64" => Platform::LinuxAmd64,
        "arm64" => Platform::LinuxArm64,
        "ia32" => Platform::Linux386,
        "arm" => Platform::LinuxArmV7,
        "ppc64" => Platform::LinuxPpc64le,
        "s390x" => Platform::LinuxS390x,
        "riscv64" => Platform::LinuxRiscv64,
        _ => return None,
    })
}

/// Whether npm's list (`["x64"]`, `["!arm"]`) admits `value`: listed, or not
/// excluded when the list only excludes.
fn admits(list: &[String], value: &str) -> bool {
    if list.is_empty() {
        return true;
    }
    if list.iter().any(|v| v.strip_prefix('!') == Some(value)) {
        return false;
    }
    let positive: Vec<&String> = list.iter().filter(|v| !v.starts_with('!')).collect();
    positive.is_empty() || positive.iter().any(|v| *v == value)
}

fn npm_finding(package: &Npm, path: &str, facts: &ElfFacts) -> Option<Finding> {
    let mismatch = |case: &'static str, field: &str, list: &[String], message: String| {
        let claimed = excerpt(&format!("{field}: [{}]", list.join(", ")), 200);
        Some(
            Rule::PackageTagMismatch
                .finding(path, message)
                .case(case)
                .arg("tag", &claimed)
                .build(),
        )
    };
    if !admits(&package.os, "linux") {
        return mismatch(
            "os",
            "os",
            &package.os,
            format!(
                "an ELF file in an npm package whose package.json says os: [{}]",
                package.os.join(", ")
            ),
        );
    }
    let cpu = npm_cpu(&facts.machine).unwrap_or("unknown");
    if !admits(&package.cpu, cpu) {
        return mismatch(
            "architecture",
            "cpu",
            &package.cpu,
            format!(
                "an {} file ({cpu}) in an npm package whose package.json says cpu: [{}]: npm installs it where it cannot load",
                facts.machine,
                package.cpu.join(", ")
            ),
        );
    }
    let libc = facts.libc()?.as_str();
    if !admits(&package.libc, libc) {
        return mismatch(
            "libc",
            "libc",
            &package.libc,
            format!(
                "links against {libc}, in an npm package whose package.json says libc: [{}]",
                package.libc.join(", ")
            ),
        );
    }
    None
}
