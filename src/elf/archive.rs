//! Static libraries (`ar` archives, `.a`): the relocatable objects a link will pull
//! in, read member by member with goblin's archive reader. What matters for a link is
//! the members together: their non-PIC relocations, and the GOT entries they share.

use super::read::{read_object, ObjectFile};
use super::relocations::{ObjectRelocations, LISTED};
use super::ElfError;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// `!<arch>\n`, the first eight bytes of an archive; `!<thin>\n` for a thin one,
/// whose members are files elsewhere.
pub const ARCHIVE_MAGIC: &[u8] = b"!<arch>\n";
pub const THIN_ARCHIVE_MAGIC: &[u8] = b"!<thin>\n";

/// No real archive has more members (libc.a: about 1,800); a hostile one is cut.
const MAX_MEMBERS: usize = 100_000;

/// One member that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberProblem {
    pub member: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveFacts {
    /// Members, the symbol index and name table left out.
    pub members: usize,
    /// Members that are ELF relocatable objects.
    pub objects: usize,
    /// Their architectures ("x86_64"), each once.
    pub machines: Vec<String>,
    /// The raw `e_machine` and ELF64-ness of the first object (for the GOT limit).
    #[serde(skip)]
    pub e_machine: u16,
    #[serde(skip)]
    pub elf64: bool,
    /// Every member's relocations together (listed ones name their member).
    pub relocations: ObjectRelocations,
    /// Members with relocations PIC never contains (the first `LISTED`).
    pub non_pic_members: Vec<String>,
    pub non_pic_member_count: usize,
    /// Members compiled for a small GOT model (`-fpic`), the first `LISTED`.
    pub small_got_members: Vec<String>,
    pub small_got_member_count: usize,
    /// Members that are neither ELF objects nor readable (LLVM bitcode from -flto,
    /// a text file), the first `LISTED`.
    pub other_members: Vec<String>,
    pub unreadable_members: Vec<MemberProblem>,
}

/// One member: its name (long GNU names looked up) and its bytes, None when its
/// header promises more than the archive holds.
struct Member<'a> {
    name: String,
    data: Option<&'a [u8]>,
}

/// The members, in order, with goblin's member-header parser. goblin's
/// `Archive::parse` also builds maps of the symbol index (tens of thousands of names
/// in libLLVM*.a), which a scan never uses: that was a third of the time spent on
/// archives, so the index and the name table are only stepped over here.
fn members(bytes: &[u8]) -> Result<Vec<Member<'_>>, ElfError> {
    let mut found = Vec::new();
    let mut long_names: &[u8] = &[];
    let mut offset = ARCHIVE_MAGIC.len();
    while offset + 1 < bytes.len() && found.len() < MAX_MEMBERS {
        // Members start on even offsets.
        offset += offset & 1;
        let header_at = offset;
        let member = goblin::archive::Member::parse(bytes, &mut offset)
            .map_err(|_| damaged_header(bytes, header_at))?;
        let start = member.offset as usize;
        let data = start
            .checked_add(member.size())
            .and_then(|end| bytes.get(start..end));
        offset = start.saturating_add(member.size());
        let raw = member.raw_name().trim_end();
        if member.extended_name().starts_with("__.SYMDEF") {
            continue; // BSD's symbol index
        }
        match raw {
            // GNU's symbol index (32- and 64-bit): not a member.
            "/" | "/SYM64/" => continue,
            // GNU's table of names longer than 15 bytes, each ended by "/\n".
            "//" => {
                long_names = data.unwrap_or_default();
                continue;
            }
            _ => {}
        }
        let name = match raw.strip_prefix('/').and_then(|n| n.parse::<usize>().ok()) {
            Some(at) => long_names
                .get(at..)
                .map(|rest| {
                    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                    String::from_utf8_lossy(&rest[..end])
                        .trim_end_matches('/')
                        .to_string()
                })
                .unwrap_or_else(|| raw.to_string()),
            None => member.extended_name().trim_end_matches('/').to_string(),
        };
        found.push(Member { name, data });
        if data.is_none() {
            break;
        }
    }
    Ok(found)
}

/// Why the member header at `at` cannot be read, in words: goblin's own error dumps
/// the header's fields as arrays of bytes.
fn damaged_header(bytes: &[u8], at: usize) -> ElfError {
    // ar(5): name 16, date 12, uid 6, gid 6, mode 8, size 10, then "`\n".
    const SIZE: std::ops::Range<usize> = 48..58;
    let what = match bytes.get(at..at.saturating_add(60)) {
        None => "the archive ends inside it".to_string(),
        Some(header) => {
            let size = std::str::from_utf8(&header[SIZE]).unwrap_or("");
            if size.trim_end().parse::<usize>().is_err() {
                "its size field is not a decimal number".to_string()
            } else if &header[58..60] != b"`\n" {
                "it does not end with the header terminator".to_string()
            } else {
                "its name cannot be read".to_string()
            }
        }
    };
    ElfError::Malformed(format!(
        "the archive member header at offset {at:#x} is damaged: {what}"
    ))
}

pub fn has_archive_magic(bytes: &[u8]) -> bool {
    bytes.starts_with(ARCHIVE_MAGIC) || bytes.starts_with(THIN_ARCHIVE_MAGIC)
}

pub fn read_archive(bytes: &[u8]) -> Result<ArchiveFacts, ElfError> {
    if bytes.starts_with(THIN_ARCHIVE_MAGIC) {
        return Err(ElfError::Malformed(
            "a thin archive: its members are files elsewhere, not inside it".into(),
        ));
    }
    let mut facts = ArchiveFacts::default();
    let members = members(bytes)?;
    // A large archive's members are read in parallel (libLLVM*.a has thousands, and
    // its reader was the last one left at the end of a scan), a chunk at a time so
    // that few members' facts are held at once, and added up in member order.
    for chunk in members.chunks(MEMBERS_AT_ONCE) {
        let read: Vec<Option<Result<ObjectFile, ElfError>>> = chunk
            .par_iter()
            .map(|member| member.data.map(read_object))
            .collect();
        for (member, object) in chunk.iter().zip(read) {
            facts.add(member.name.clone(), object);
        }
    }
    Ok(facts)
}

/// Members read in parallel at most (their facts are held until added).
const MEMBERS_AT_ONCE: usize = 256;

impl ArchiveFacts {
    /// One member, in archive order: what reading it found (None: its bytes extend
    /// past the end of the archive).
    fn add(&mut self, name: String, object: Option<Result<ObjectFile, ElfError>>) {
        self.members += 1;
        let Some(object) = object else {
            self.unreadable_members.push(MemberProblem {
                member: name,
                reason: "extends past the end of the archive".into(),
            });
            return;
        };
        match object {
            Ok(object) if object.relocations.is_some() => {
                self.objects += 1;
                if self.objects == 1 {
                    self.e_machine = object.e_machine;
                    self.elf64 = object.class == super::Class::Elf64;
                }
                if !self.machines.contains(&object.machine) {
                    self.machines.push(object.machine.clone());
                }
                let Some(relocations) = object.relocations else {
                    return;
                };
                if relocations.non_pic_total > 0 {
                    self.non_pic_member_count += 1;
                    if self.non_pic_members.len() < LISTED {
                        self.non_pic_members.push(name.clone());
                    }
                }
                if relocations.small_got.is_some() {
                    self.small_got_member_count += 1;
                    if self.small_got_members.len() < LISTED {
                        self.small_got_members.push(name.clone());
                    }
                }
                self.relocations.absorb(&name, relocations);
            }
            Ok(_) | Err(ElfError::NotElf) => {
                if self.other_members.len() < LISTED {
                    self.other_members.push(name);
                }
            }
            Err(ElfError::Malformed(reason)) => {
                if self.unreadable_members.len() < LISTED {
                    self.unreadable_members.push(MemberProblem {
                        member: name,
                        reason,
                    });
                }
            }
        }
    }
}
