//! Findings about build artifacts: relocatable objects and static libraries that a
//! later link will fail on (non-PIC code, a small GOT overflowing), binaries for
//! another system, and static glibc binaries that still load shared objects.

use crate::elf::{
    ArchiveFacts, ElfFacts, ForeignBinary, Kind, NotPicFor, ObjectRelocations, OtherBinary,
};
use crate::rules::{Finding, Rule};
use std::collections::{BTreeMap, BTreeSet};

/// A small-GOT link is warned about from this share of its limit on: the objects
/// given are rarely all of the link (crt files, libgcc and libc add entries).
const GOT_WARN_PERCENT: usize = 90;

/// `non-pic-object` for one object, or for an archive's members together.
pub fn non_pic_finding(
    path: &str,
    relocations: &ObjectRelocations,
    archive: Option<&ArchiveFacts>,
) -> Option<Finding> {
    let not_for = relocations.not_pic_for()?;
    let listed: Vec<String> = relocations
        .non_pic
        .iter()
        .take(5)
        .map(|r| {
            let member = r
                .object
                .as_deref()
                .map(|m| format!("{m}: "))
                .unwrap_or_default();
            format!(
                "{member}{} against `{}` in {}+{:#x}",
                r.r_type, r.symbol, r.section, r.offset
            )
        })
        .collect();
    let more = relocations.non_pic_total.saturating_sub(listed.len());
    let what = match archive {
        Some(a) => format!(
            "has {} of {} members with relocations position-independent code never contains",
            a.non_pic_member_count, a.objects
        ),
        None => format!(
            "has {} relocation{} position-independent code never contains",
            relocations.non_pic_total,
            if relocations.non_pic_total == 1 {
                ""
            } else {
                "s"
            }
        ),
    };
    let consequence = match not_for {
        NotPicFor::PieAndSharedLibrary => "it cannot be linked into a shared library or a PIE",
        NotPicFor::SharedLibrary => {
            "it cannot be linked into a shared library (an executable or PIE can take it)"
        }
    };
    let mut message = format!("{what}: {}", listed.join(", "));
    if more > 0 {
        message.push_str(&format!(" and {more} more"));
    }
    message.push_str(&format!("; {consequence}"));
    let symbols = relocations
        .non_pic
        .iter()
        .map(|r| r.symbol.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Some(
        Rule::NonPicObject
            .finding(path, message)
            .case_if(not_for == NotPicFor::SharedLibrary, "shared-library-only")
            .case_if(archive.is_some(), "archive")
            .arg(
                "members",
                archive
                    .map(|a| name_list(&a.non_pic_members, a.non_pic_member_count))
                    .unwrap_or_default(),
            )
            .symbols(symbols)
            .build(),
    )
}

/// One link's worth of objects: an archive, or the loose objects of one folder.
pub struct ObjectSet<'a> {
    /// The archive or folder, as reports name it.
    pub path: &'a str,
    pub e_machine: u16,
    pub elf64: bool,
    /// Distinct GOT entries the objects need together.
    pub entries: usize,
    /// The small model's relocation name, when any object uses it.
    pub small_model: Option<&'a str>,
    /// The objects that use the small model (names), and how many there are.
    pub small_objects: Vec<String>,
    pub small_count: usize,
    pub objects: usize,
}

/// `small-got-overflow`: the GOT entries a set of objects needs together, against
/// what the small code model some of them use can address.
pub fn small_got_finding(set: &ObjectSet<'_>) -> Option<Finding> {
    let relocation = set.small_model?;
    let limit = crate::elf::small_got_limit(set.e_machine, set.elf64);
    let warn_from = limit / 100 * GOT_WARN_PERCENT;
    if set.entries < warn_from {
        return None;
    }
    let over = set.entries > limit;
    let message = format!(
        "its {} object{} need {} distinct GOT entries together, and {} use{} the small -fpic \
         model ({relocation}), which reaches at most {limit} entries{}",
        set.objects,
        if set.objects == 1 { "" } else { "s" },
        set.entries,
        name_list(&set.small_objects, set.small_count),
        if set.small_count == 1 { "s" } else { "" },
        if over {
            ": the link will fail"
        } else {
            ", and the rest of a link (crt files, libgcc, libc) adds more"
        }
    );
    Some(
        Rule::SmallGotOverflow
            .finding(set.path, message)
            .case_if(!over, "near-limit")
            .arg("limit", limit.to_string())
            .arg("relocation", relocation)
            .build(),
    )
}

/// Small-GOT sets of the loose relocatable objects of a tree, one per folder.
pub fn object_set_findings(objects: &[(&str, &ElfFacts)]) -> Vec<Finding> {
    struct Set {
        e_machine: u16,
        elf64: bool,
        globals: BTreeSet<String>,
        locals: usize,
        relocation: Option<String>,
        small: Vec<String>,
        small_count: usize,
        objects: usize,
    }
    let mut sets: BTreeMap<(String, u16), Set> = BTreeMap::new();
    for (path, facts) in objects {
        let Some(relocations) = facts
            .relocations
            .as_ref()
            .filter(|_| facts.kind == Kind::Relocatable)
        else {
            continue;
        };
        let folder = match path.rfind('/') {
            Some(i) => &path[..i],
            None => ".",
        };
        let set = sets
            .entry((folder.to_string(), facts.e_machine))
            .or_insert_with(|| Set {
                e_machine: facts.e_machine,
                elf64: facts.class == crate::elf::Class::Elf64,
                globals: BTreeSet::new(),
                locals: 0,
                relocation: None,
                small: Vec::new(),
                small_count: 0,
                objects: 0,
            });
        set.objects += 1;
        set.globals.extend(relocations.got_symbols.iter().cloned());
        set.locals += relocations.got_local;
        if let Some(small) = &relocations.small_got {
            set.relocation
                .get_or_insert_with(|| small.relocation.clone());
            set.small_count += 1;
            if set.small.len() < crate::elf::LISTED_OBJECTS {
                set.small
                    .push(path.rsplit('/').next().unwrap_or(path).to_string());
            }
        }
    }
    sets.iter()
        .filter_map(|((folder, _), set)| {
            small_got_finding(&ObjectSet {
                path: if folder.is_empty() { "/" } else { folder },
                e_machine: set.e_machine,
                elf64: set.elf64,
                entries: set.globals.len() + set.locals,
                small_model: set.relocation.as_deref(),
                small_objects: set.small.clone(),
                small_count: set.small_count,
                objects: set.objects,
            })
        })
        .collect()
}

/// Findings about an archive, or a Mach-O or PE file.
pub fn other_binary_findings(path: &str, binary: &OtherBinary) -> Vec<Finding> {
    match binary {
        OtherBinary::Foreign(foreign) => vec![foreign_finding(path, foreign)],
        OtherBinary::Archive(archive) => {
            let mut findings = Vec::new();
            findings.extend(non_pic_finding(path, &archive.relocations, Some(archive)));
            findings.extend(small_got_finding(&ObjectSet {
                path,
                e_machine: archive.e_machine,
                elf64: archive.elf64,
                entries: archive.relocations.got_entries,
                small_model: archive
                    .relocations
                    .small_got
                    .as_ref()
                    .map(|s| s.relocation.as_str()),
                small_objects: archive.small_got_members.clone(),
                small_count: archive.small_got_member_count,
                objects: archive.objects,
            }));
            for problem in &archive.unreadable_members {
                findings.push(
                    Rule::UnreadableFile
                        .finding(
                            path,
                            format!(
                                "member {} is not a readable ELF object: {}",
                                problem.member, problem.reason
                            ),
                        )
                        .case("archive-member")
                        .build(),
                );
            }
            findings
        }
    }
}

fn foreign_finding(path: &str, foreign: &ForeignBinary) -> Finding {
    Rule::ForeignBinary
        .finding(
            path,
            format!(
                "is a {} {} for {} ({}), not a Linux binary",
                foreign.format,
                foreign.kind,
                foreign.platform,
                foreign.arch.join(", ")
            ),
        )
        .build()
}

/// `foreign-binary` for an ELF file made for another OS.
pub fn foreign_os_finding(path: &str, facts: &ElfFacts, os: &str) -> Finding {
    Rule::ForeignBinary
        .finding(
            path,
            format!(
                "is an ELF {} for {os} ({}), not for Linux",
                facts.kind.as_str(),
                facts.machine
            ),
        )
        .case("other-os-elf")
        .build()
}

/// `static-glibc-runtime`: a static glibc binary that loads shared objects anyway.
pub fn static_runtime_finding(path: &str, facts: &ElfFacts) -> Option<Finding> {
    let runtime = facts.static_runtime.as_ref()?;
    if runtime.libc != Some(crate::elf::Libc::Glibc) || runtime.loads_shared_objects.is_empty() {
        return None;
    }
    let nss = runtime.loads_shared_objects.iter().any(|l| l == "nss");
    let message = if nss {
        "is statically linked with glibc and carries its NSS code (getpwnam, getaddrinfo, ...): \
         at run time that code loads libnss_*.so.2 modules named by /etc/nsswitch.conf"
    } else {
        "is statically linked with glibc and carries its dlopen: at run time it still loads \
         shared objects"
    };
    Some(Rule::StaticGlibcRuntime.finding(path, message).build())
}

fn name_list(names: &[String], count: usize) -> String {
    let mut text = names.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
    if count > names.len().min(8) {
        text.push_str(&format!(" and {} more", count - names.len().min(8)));
    }
    text
}

/// `unreadable-file`: a file that starts like ELF but cannot be read.
pub fn unreadable_finding(path: &str, reason: &str) -> Finding {
    Rule::UnreadableFile
        .finding(path, format!("is not a readable ELF file: {reason}"))
        .build()
}
