//! glibc's loader cache, `/etc/ld.so.cache`, read as ld.so reads it (glibc
//! elf/dl-cache.c `_dl_load_cache_lookup` and `search_cache`, sysdeps/generic/
//! dl-cache.h). Three layouts exist: the new one (`glibc-ld.so.cache1.1`, written by
//! ldconfig since glibc 2.32), the old libc5 one (`ld.so-1.7.0`), and "compat" (the
//! old header and entries followed by a new header, glibc 2.2 to 2.31's default).
//! ld.so uses the new part when there is one. Every offset is checked against the
//! file before it is used: a corrupt cache is refused as a whole (ld.so ignores it
//! and searches the default folders only) or, for a bad entry, ends that lookup,
//! as glibc's `_dl_cache_verify_ptr` does.

use crate::elf::{Class, ElfFacts, Endian, Machine};

pub use crate::source::MAX_LD_CACHE_BYTES as MAX_CACHE_BYTES;

const MAGIC_OLD: &[u8] = b"ld.so-1.7.0";
const MAGIC_NEW: &[u8] = b"glibc-ld.so.cache1.1";
/// `sizeof (struct cache_file)`: the old magic, padding, `nlibs`.
const HEADER_OLD: usize = 16;
/// `sizeof (struct cache_file_new)`.
const HEADER_NEW: usize = 48;
const ENTRY_OLD: usize = 12;
const ENTRY_NEW: usize = 24;
/// dl-cache.h: `cache_extension_magic`, and the tag of the glibc-hwcaps section.
const EXTENSION_MAGIC: u32 = 0xeaa4_2174;
const TAG_GLIBC_HWCAPS: u32 = 1;
/// dl-cache.h `DL_CACHE_HWCAP_EXTENSION`, and the ISA level bits next to it.
const HWCAP_EXTENSION: u64 = 1 << 62;
const HWCAP_ISA_LEVEL_MASK: u64 = (1 << 10) - 1;
/// The legacy `tls` bit, which ld.so never excludes (`_DL_HWCAP_TLS_MASK`).
const HWCAP_TLS: u64 = 1 << 63;

/// Which layout a cache has (shown in messages and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheFormat {
    New,
    Old,
    /// The old layout with the new one inside it.
    Compat,
}

/// A cache ld.so accepts.
#[derive(Debug)]
pub struct LdCache {
    bytes: Vec<u8>,
    format: CacheFormat,
    big_endian: bool,
    /// Where the entries searched start, how many, how large each is, and the
    /// offset string indices count from.
    entries_at: usize,
    nlibs: usize,
    entry_size: usize,
    strings_at: usize,
    /// The glibc-hwcaps subfolder names of the extension section, by index.
    hwcaps: Vec<Option<String>>,
    /// Where the file's last NUL is: every string that starts before it ends at a
    /// NUL (a cache ends with ldconfig's generator text, which has none).
    last_nul: Option<usize>,
}

/// What a lookup may accept: glibc's `_dl_cache_check_flags` and
/// `_DL_CACHE_DEFAULT_ID` for the loading object's ABI, and the CPU.
pub struct CacheQuery<'a> {
    pub flags: CacheFlags,
    /// glibc-hwcaps subfolders the CPU supports, best first.
    pub hwcaps: &'a [String],
    /// Legacy hwcap bits ld.so keeps (its `dl_hwcap & hwcap_mask`).
    pub legacy_hwcap: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct CacheFlags {
    pub default_id: i32,
    /// Also `FLAG_ELF` (1) and `FLAG_ELF_LIBC6` (3): the generic check, for ports that
    /// put no ABI in their entries (i386, 32-bit ARM, PowerPC, ...).
    pub generic: bool,
}

impl CacheFlags {
    fn accepts(self, flags: i32) -> bool {
        flags == self.default_id || (self.generic && (flags == 1 || flags == 3))
    }
}

/// The entry flags ld.so accepts for an object (ldconfig.h `FLAG_*`; each port's
/// sysdeps/unix/sysv/linux/*/dl-cache.h).
pub fn cache_flags(facts: &ElfFacts) -> CacheFlags {
    const LIBC6: i32 = 0x0003;
    let exact = |abi: i32| CacheFlags {
        default_id: abi | LIBC6,
        generic: false,
    };
    let is64 = facts.class == Class::Elf64;
    match facts.arch() {
        Machine::X86_64 if is64 => exact(0x0300),
        Machine::X86_64 => exact(0x0800),
        Machine::Aarch64 if is64 => exact(0x0a00),
        Machine::Ppc64 => exact(0x0500),
        Machine::S390 if is64 => exact(0x0400),
        Machine::SparcV9 => exact(0x0100),
        Machine::Ia64 => exact(0x0200),
        Machine::RiscV if is64 => exact(0x1000),
        Machine::LoongArch if is64 => exact(0x1200),
        // 32-bit ARM: hard-float (0x0900) is every current distribution's; the
        // generic flags are accepted too (sysdeps/unix/sysv/linux/arm/dl-cache.h).
        Machine::Arm => CacheFlags {
            default_id: 0x0900 | LIBC6,
            generic: true,
        },
        _ => CacheFlags {
            default_id: LIBC6,
            generic: true,
        },
    }
}

/// A little reader over the cache: every read is checked.
struct Bytes<'a> {
    data: &'a [u8],
    big: bool,
}

impl<'a> Bytes<'a> {
    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u64_at(&self, at: usize) -> Option<u64> {
        let b: [u8; 8] = self.data.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(if self.big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    /// The NUL-terminated string at `at`; None when it runs off the file.
    fn c_str_at(&self, at: usize) -> Option<&'a [u8]> {
        let rest = self.data.get(at..)?;
        let end = memchr::memchr(0, rest)?;
        Some(&rest[..end])
    }
}

/// The new header's endianness flags (dl-cache.h `cache_file_new_flags_endian_*`):
/// 0 unknown, 2 little, 3 big; anything else makes ld.so ignore the cache.
fn new_header_endian(data: &[u8], at: usize, little_first: bool) -> Result<bool, String> {
    // The flags byte follows magic, version, nlibs and len_strings.
    match data.get(at + 28).map(|f| f & 3) {
        Some(2) => Ok(false),
        Some(3) => Ok(true),
        Some(0) => Ok(!little_first),
        _ => Err("its header says its byte order is invalid".into()),
    }
}

impl LdCache {
    /// Reads a cache as ld.so would, for objects of byte order `endian`. Err: why
    /// ld.so ignores the whole file.
    pub fn parse(bytes: Vec<u8>, endian: Endian) -> Result<LdCache, String> {
        if bytes.len() as u64 > MAX_CACHE_BYTES {
            return Err(format!(
                "it is larger than {} MiB, which no real cache is",
                MAX_CACHE_BYTES >> 20
            ));
        }
        let big_wanted = endian == Endian::Big;
        let len = bytes.len();
        if bytes.starts_with(MAGIC_NEW) && len > HEADER_NEW {
            let big = new_header_endian(&bytes, 0, !big_wanted)?;
            if big != big_wanted {
                return Err("it was written for the other byte order".into());
            }
            let nlibs = Bytes { data: &bytes, big }.u32_at(20).unwrap_or(0) as usize;
            if (len - HEADER_NEW) / ENTRY_NEW < nlibs {
                return Err(format!(
                    "it claims {nlibs} entries, more than its {len} bytes can hold"
                ));
            }
            return Self::new_part(bytes, 0, nlibs, big, CacheFormat::New);
        }
        if bytes.starts_with(MAGIC_OLD) && len > HEADER_OLD {
            let big = big_wanted;
            let nlibs = Bytes { data: &bytes, big }.u32_at(12).unwrap_or(0) as usize;
            if (len - HEADER_OLD) / ENTRY_OLD < nlibs {
                return Err(format!(
                    "it claims {nlibs} entries, more than its {len} bytes can hold"
                ));
            }
            // The new header follows the old entries, 8-byte aligned (ALIGN_CACHE).
            let new_at = (HEADER_OLD + nlibs * ENTRY_OLD + 7) & !7;
            if len >= new_at + HEADER_NEW && bytes[new_at..].starts_with(MAGIC_NEW) {
                let big = new_header_endian(&bytes, new_at, !big_wanted)?;
                if big != big_wanted {
                    return Err("it was written for the other byte order".into());
                }
                let new_nlibs = Bytes { data: &bytes, big }.u32_at(new_at + 20).unwrap_or(0);
                return Self::new_part(bytes, new_at, new_nlibs as usize, big, CacheFormat::Compat);
            }
            return Ok(LdCache {
                format: CacheFormat::Old,
                big_endian: big,
                entries_at: HEADER_OLD,
                nlibs,
                entry_size: ENTRY_OLD,
                strings_at: HEADER_OLD + nlibs * ENTRY_OLD,
                hwcaps: Vec::new(),
                last_nul: memchr::memrchr(0, &bytes),
                bytes,
            });
        }
        Err("it is not a loader cache (neither \"glibc-ld.so.cache1.1\" nor \"ld.so-1.7.0\" at its start)".into())
    }

    fn new_part(
        bytes: Vec<u8>,
        at: usize,
        nlibs: usize,
        big: bool,
        format: CacheFormat,
    ) -> Result<LdCache, String> {
        // The compat layout's inner count is not checked by ld.so either; an entry
        // beyond the file ends the lookup that reaches it (see `entry`).
        let hwcaps = hwcaps_section(&Bytes { data: &bytes, big }, at);
        Ok(LdCache {
            format,
            big_endian: big,
            entries_at: at + HEADER_NEW,
            nlibs,
            entry_size: ENTRY_NEW,
            strings_at: at,
            hwcaps,
            last_nul: memchr::memrchr(0, &bytes),
            bytes,
        })
    }

    pub fn format(&self) -> CacheFormat {
        self.format
    }

    pub fn big_endian(&self) -> bool {
        self.big_endian
    }

    /// How many entries ld.so searches.
    pub fn len(&self) -> usize {
        self.nlibs
    }

    pub fn is_empty(&self) -> bool {
        self.nlibs == 0
    }

    fn reader(&self) -> Bytes<'_> {
        Bytes {
            data: &self.bytes,
            big: self.big_endian,
        }
    }

    /// Entry `i`: flags, key, value, hwcap (0 in the old layout).
    fn entry(&self, i: usize) -> Option<(i32, u32, u32, u64)> {
        let r = self.reader();
        let at = self
            .entries_at
            .checked_add(i.checked_mul(self.entry_size)?)?;
        let flags = r.u32_at(at)? as i32;
        let key = r.u32_at(at + 4)?;
        let value = r.u32_at(at + 8)?;
        let hwcap = if self.entry_size == ENTRY_NEW {
            r.u64_at(at + 16)?
        } else {
            0
        };
        Some((flags, key, value, hwcap))
    }

    /// The string at `index` and the bytes after it, for `libcmp`, which stops at the
    /// string's NUL as glibc's `_dl_cache_libcmp` does: the binary search does not look
    /// for each key's end first. A string with no NUL after it is None, as in `string`.
    fn key(&self, index: u32) -> Option<&[u8]> {
        let at = self.strings_at.checked_add(index as usize)?;
        match self.last_nul {
            Some(nul) if at <= nul => self.bytes.get(at..),
            _ => None,
        }
    }

    fn string(&self, index: u32) -> Option<&[u8]> {
        self.reader()
            .c_str_at(self.strings_at.checked_add(index as usize)?)
    }

    /// Every entry's name and path, in the file's order (for tests and `inspect`).
    pub fn entries(&self) -> Vec<(String, String)> {
        (0..self.nlibs)
            .map_while(|i| {
                let (_, key, value, _) = self.entry(i)?;
                Some((
                    String::from_utf8_lossy(self.string(key)?).into_owned(),
                    String::from_utf8_lossy(self.string(value)?).into_owned(),
                ))
            })
            .collect()
    }

    /// Every name the cache has an entry for, with the path ld.so takes for it
    /// (`lookup` with `query`): what the cache provides. A name whose entries `query`
    /// refuses all (another ABI's) is left out.
    pub fn provided(&self, query: &CacheQuery<'_>) -> Vec<(String, String)> {
        let mut names: Vec<String> = self.entries().into_iter().map(|(name, _)| name).collect();
        // ldconfig sorts the entries by name: the entries of a name are together.
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| {
                let path = self.lookup(&name, query)?;
                Some((name, path))
            })
            .collect()
    }

    /// The path ld.so takes from the cache for `name`, or None: glibc's
    /// `search_cache`, a binary search over entries ldconfig sorted by
    /// `_dl_cache_libcmp` (descending), then the first acceptable entry of that
    /// name; entries in glibc-hwcaps subfolders come first and the best one the CPU
    /// supports wins.
    pub fn lookup(&self, name: &str, query: &CacheQuery<'_>) -> Option<String> {
        let name = name.as_bytes();
        let key_of = |i: usize| -> Option<&[u8]> { self.key(self.entry(i)?.1) };
        let (mut left, mut right) = (0isize, self.nlibs as isize - 1);
        while left <= right {
            let middle = (left + right) / 2;
            let cmp = libcmp(name, key_of(middle as usize)?);
            if cmp == std::cmp::Ordering::Equal {
                return self.first_acceptable(name, middle as usize, right as usize, query);
            }
            if cmp == std::cmp::Ordering::Less {
                left = middle + 1;
            } else {
                right = middle - 1;
            }
        }
        None
    }

    fn first_acceptable(
        &self,
        name: &[u8],
        found: usize,
        right: usize,
        query: &CacheQuery<'_>,
    ) -> Option<String> {
        let mut start = found;
        while start > 0 {
            match self.key(self.entry(start - 1)?.1) {
                Some(key) if libcmp(name, key).is_eq() => start -= 1,
                _ => break,
            }
        }
        // Legacy entries need their hwcap bits among the CPU's (`hwcap_exclude`);
        // entries for a legacy platform (`haswell`...) are not taken either.
        let exclude = !(query.legacy_hwcap | HWCAP_TLS);
        let mut best: Option<(u32, &[u8])> = None;
        for i in start..=right {
            let (flags, key, value, hwcap) = self.entry(i)?;
            if i > found && !self.key(key).is_some_and(|k| libcmp(name, k).is_eq()) {
                break;
            }
            let Some(path) = self.string(value) else {
                continue;
            };
            if !query.flags.accepts(flags) {
                continue;
            }
            let named = self.entry_size == ENTRY_NEW
                && ((hwcap >> 32) & !HWCAP_ISA_LEVEL_MASK) == HWCAP_EXTENSION >> 32;
            if !named && best.is_some() {
                break;
            }
            if !named && hwcap & exclude != 0 {
                continue;
            }
            if named {
                let priority = self.hwcaps_priority(hwcap as u32, query.hwcaps);
                match (priority, best) {
                    (0, _) => continue,
                    (p, Some((b, _))) if p >= b => continue,
                    _ => {}
                }
                best = Some((priority, path));
                continue;
            }
            best = Some((u32::MAX, path));
            if flags == query.flags.default_id {
                break;
            }
        }
        best.map(|(_, path)| String::from_utf8_lossy(path).into_owned())
    }

    /// 1 for the CPU's best glibc-hwcaps subfolder, 2 for the next...; 0: not
    /// supported (elf/dl-cache.c `glibc_hwcaps_priority`).
    fn hwcaps_priority(&self, index: u32, supported: &[String]) -> u32 {
        let Some(Some(subfolder)) = self.hwcaps.get(index as usize) else {
            return 0;
        };
        supported
            .iter()
            .position(|s| s == subfolder)
            .map_or(0, |p| p as u32 + 1)
    }
}

/// The glibc-hwcaps extension (glibc 2.33+): subfolder names by index, from the
/// extension directory (dl-cache.h `cache_extension_load`). Anything out of range
/// gives no names: ld.so then uses no glibc-hwcaps entry either.
fn hwcaps_section(r: &Bytes<'_>, header_at: usize) -> Vec<Option<String>> {
    // `extension_offset` follows the flags byte and its 3 bytes of padding.
    let Some(offset) = r.u32_at(header_at + 32).map(|o| o as usize) else {
        return Vec::new();
    };
    if offset == 0 || offset % 4 != 0 || r.u32_at(offset) != Some(EXTENSION_MAGIC) {
        return Vec::new();
    }
    let Some(count) = r.u32_at(offset + 4) else {
        return Vec::new();
    };
    // Each section descriptor is 16 bytes; a count the file cannot hold is refused.
    let table = offset + 8;
    if (r.data.len().saturating_sub(table) / 16) < count as usize {
        return Vec::new();
    }
    for s in 0..count as usize {
        let at = table + s * 16;
        let (Some(tag), Some(data), Some(size)) =
            (r.u32_at(at), r.u32_at(at + 8), r.u32_at(at + 12))
        else {
            return Vec::new();
        };
        let (data, size) = (data as usize, size as usize);
        if tag != TAG_GLIBC_HWCAPS {
            continue;
        }
        if size == 0 || size % 4 != 0 || data % 4 != 0 || data + size > r.data.len() {
            return Vec::new();
        }
        return (0..size / 4)
            .map(|i| {
                // The names are indices into the file (elf/dl-cache.c,
                // `glibc_hwcaps_compare`: `(const char *) cache + left_index`).
                let index = r.u32_at(data + i * 4)? as usize;
                r.c_str_at(index)
                    .map(|n| String::from_utf8_lossy(n).into_owned())
            })
            .collect();
    }
    Vec::new()
}

/// glibc's `_dl_cache_libcmp`: digits compare as numbers (`libfoo.so.10` after
/// `libfoo.so.9`), the rest byte by byte. Digit runs are bounded by the name.
pub fn libcmp(p1: &[u8], p2: &[u8]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut i, mut j) = (0, 0);
    let at = |s: &[u8], k: usize| s.get(k).copied().unwrap_or(0);
    while at(p1, i) != 0 {
        let (a, b) = (at(p1, i), at(p2, j));
        if a.is_ascii_digit() {
            if !b.is_ascii_digit() {
                return Ordering::Greater;
            }
            let (mut v1, mut v2) = (0u64, 0u64);
            while at(p1, i).is_ascii_digit() {
                v1 = v1
                    .wrapping_mul(10)
                    .wrapping_add(u64::from(at(p1, i) - b'0'));
                i += 1;
            }
            while at(p2, j).is_ascii_digit() {
                v2 = v2
                    .wrapping_mul(10)
                    .wrapping_add(u64::from(at(p2, j) - b'0'));
                j += 1;
            }
            if v1 != v2 {
                return v1.cmp(&v2);
            }
        } else if b.is_ascii_digit() {
            return Ordering::Less;
        } else if a != b {
            return a.cmp(&b);
        } else {
            i += 1;
            j += 1;
        }
    }
    0u8.cmp(&at(p2, j))
}

#[cfg(test)]
#[path = "ldcache_tests.rs"]
mod tests;
