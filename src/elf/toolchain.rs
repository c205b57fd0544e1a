//! What built the file and what its runtime will ask of the host: the Go build
//! information, the compilers named in `.comment`, and for a static binary which libc
//! it carries and whether that libc will still load shared libraries at run time.

use super::facts::Kind;
use super::layout::Layout;
use super::libc::Libc;
use super::machine::Machine;
use super::notes::Note;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The build information the Go linker embeds (`go version -m` prints it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GoBuildInfo {
    /// `go1.19.8`.
    pub version: String,
    /// The main package's import path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The main module and its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// `build` lines: CGO_ENABLED, GOOS, GOARCH, -ldflags, ...
    pub settings: BTreeMap<String, String>,
}

impl GoBuildInfo {
    /// Whether cgo was on: the binary then links the host's libc like any C program.
    pub fn cgo(&self) -> Option<bool> {
        self.settings.get("CGO_ENABLED").map(|v| v == "1")
    }
}

/// A static binary's libc, and the shared libraries it will still try to load.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StaticRuntime {
    /// glibc, or None when not recognised (musl leaves no mark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libc: Option<Libc>,
    /// What makes glibc load shared objects at run time: "nss" (getpwnam,
    /// getaddrinfo, ... read /etc/nsswitch.conf and dlopen libnss_*.so.2), "dlopen".
    pub loads_shared_objects: Vec<String>,
}

const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
/// Bounds on what a hostile file can make preflight read or keep.
const MAX_GO_STRING: u64 = 1 << 20;
const MAX_COMMENTS: usize = 16;

/// Parses `.go.buildinfo` (src/debug/buildinfo/buildinfo.go): a 32-byte header, then
/// either two length-prefixed strings (Go 1.18+, flag bit 2) or two pointers to Go
/// string headers (older).
pub(crate) fn go_build_info(layout: &Layout<'_>) -> Option<GoBuildInfo> {
    let shdr = layout.section_named(".go.buildinfo")?;
    let data = layout
        .slice(shdr.sh_offset, shdr.sh_size.min(64 * 1024), "")
        .ok()?;
    if data.len() < 32 || !data.starts_with(GO_MAGIC) {
        return None;
    }
    let ptr_size = usize::from(data[14]);
    let flags = data[15];
    let (version, modinfo): (Vec<u8>, Vec<u8>) = if flags & 2 != 0 {
        let (version, rest) = varint_bytes(&data[32..])?;
        let (modinfo, _) = varint_bytes(rest).unwrap_or((&[], &[]));
        (version.to_vec(), modinfo.to_vec())
    } else {
        if !matches!(ptr_size, 4 | 8) {
            return None;
        }
        let big = flags & 1 != 0;
        // A Go string header: a pointer to the bytes and a length, both words.
        let string_at = |header_addr: u64| -> Option<Vec<u8>> {
            let header = layout
                .at_vaddr(header_addr, Some(2 * ptr_size as u64), "")
                .ok()?;
            let addr = word_at(header, 0, ptr_size, big)?;
            let len = word_at(header, ptr_size, ptr_size, big)?;
            let bytes = layout
                .at_vaddr(addr, Some(len.min(MAX_GO_STRING)), "")
                .ok()?;
            Some(bytes.to_vec())
        };
        let version = string_at(word_at(data, 16, ptr_size, big)?)?;
        let modinfo = word_at(data, 16 + ptr_size, ptr_size, big)
            .and_then(string_at)
            .unwrap_or_default();
        (version, modinfo)
    };
    let mut info = GoBuildInfo {
        version: String::from_utf8_lossy(&version).into_owned(),
        path: None,
        module: None,
        settings: BTreeMap::new(),
    };
    // The module information is framed by two 16-byte sentinels (binary, not UTF-8).
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &modinfo[..]
    };
    for line in String::from_utf8_lossy(modinfo).lines() {
        let mut fields = line.split('\t');
        match fields.next() {
            Some("path") => info.path = fields.next().map(str::to_string),
            Some("mod") => {
                let parts: Vec<&str> = fields.filter(|f| !f.is_empty()).take(2).collect();
                info.module = Some(parts.join(" "));
            }
            Some("build") => {
                if let Some((key, value)) = fields.next().and_then(|kv| kv.split_once('=')) {
                    info.settings.insert(key.to_string(), value.to_string());
                }
            }
            _ => {}
        }
    }
    Some(info)
}

/// A pointer-sized word at `at`, in the byte order the header's flags give.
fn word_at(bytes: &[u8], at: usize, size: usize, big: bool) -> Option<u64> {
    let bytes = bytes.get(at..at.checked_add(size)?)?;
    Some(bytes.iter().enumerate().fold(0u64, |value, (i, b)| {
        let shift = if big { (size - 1 - i) * 8 } else { i * 8 };
        value | u64::from(*b) << shift
    }))
}

/// A uvarint length, then that many bytes.
fn varint_bytes(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len = 0u64;
    let mut at = 0;
    for shift in (0..64).step_by(7) {
        let b = *data.get(at)?;
        at += 1;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
    }
    let len = usize::try_from(len.min(MAX_GO_STRING)).ok()?;
    let bytes = data.get(at..at.checked_add(len)?)?;
    Some((bytes, &data[at + len..]))
}

/// The NUL-separated strings of `.comment`: "GCC: (Debian 12.2.0-14) 12.2.0",
/// "rustc version 1.95.0 (...)", "clang version ...". Duplicates (one per object
/// linked in) are dropped.
pub(crate) fn compilers(layout: &Layout<'_>) -> Vec<String> {
    let Some(shdr) = layout.section_named(".comment") else {
        return Vec::new();
    };
    let Ok(data) = layout.slice(shdr.sh_offset, shdr.sh_size.min(64 * 1024), "") else {
        return Vec::new();
    };
    let mut found: Vec<String> = Vec::new();
    for part in data.split(|&b| b == 0) {
        let text = String::from_utf8_lossy(part);
        let text = text.trim();
        if !text.is_empty() && !found.iter().any(|f| f == text) && found.len() < MAX_COMMENTS {
            found.push(text.chars().take(200).collect());
        }
    }
    found
}

const NT_GNU_ABI_TAG: u32 = 1;

/// The address of the function `name` in the symbol table (`.symtab`).
fn function_address(layout: &Layout<'_>, name: &str) -> Option<u64> {
    use goblin::elf::sym::STT_FUNC;
    let table = layout.section_symbols(None)?;
    table
        .symbols
        .iter()
        .find(|s| {
            s.st_type() == STT_FUNC && s.st_value != 0 && table.name(s).as_deref() == Some(name)
        })
        .map(|s| s.st_value)
}

/// Whether the executable segments hold a direct call (or tail jump) to `target`: on
/// x86 a `call`/`jmp rel32` (E8/E9), on aarch64 a `bl`/`b`. Other machines: no answer
/// (false), so nothing is claimed.
fn calls(layout: &Layout<'_>, machine: Machine, target: u64) -> bool {
    use goblin::elf::program_header::PT_LOAD;
    const PF_X: u32 = 1;
    for p in layout
        .phdrs
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_flags & PF_X != 0)
    {
        let Ok(code) = layout.slice(p.p_offset, p.p_filesz, "") else {
            continue;
        };
        let at = |i: usize| p.p_vaddr.wrapping_add(i as u64);
        let found = match machine {
            Machine::X86_64 | Machine::I386 => code.windows(5).enumerate().any(|(i, w)| {
                (w[0] == 0xe8 || w[0] == 0xe9) && {
                    let rel = i32::from_le_bytes([w[1], w[2], w[3], w[4]]);
                    at(i).wrapping_add(5).wrapping_add(rel as i64 as u64) == target
                }
            }),
            Machine::Aarch64 => code.chunks_exact(4).enumerate().any(|(i, w)| {
                let word = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
                // BL is 100101 imm26, B is 000101 imm26.
                (word >> 26 == 0b100101 || word >> 26 == 0b000101) && {
                    let imm = ((word & 0x03ff_ffff) << 6) as i32 >> 4;
                    at(i * 4).wrapping_add(imm as i64 as u64) == target
                }
            }),
            _ => false,
        };
        if found {
            return true;
        }
    }
    false
}

/// Whether `haystack` contains `needle`, searched from the end in growing windows
/// (each overlapping the next by `needle.len() - 1` bytes, so the answer is
/// `memmem::find`'s). libc.a's objects are linked after the program's, so glibc's
/// strings sit at the end of `.rodata`: in a static qemu the NSS path is in the last
/// 3 % of 2.8 MB, and a search from the start was 7 % of a scan of /usr/bin.
fn contains_towards_end(haystack: &[u8], needle: &[u8]) -> bool {
    let finder = memchr::memmem::Finder::new(needle);
    let overlap = needle.len().saturating_sub(1);
    let mut end = haystack.len();
    let mut window = 64 << 10;
    loop {
        let start = end.saturating_sub(window);
        let stop = (end + overlap).min(haystack.len());
        if finder.find(&haystack[start..stop]).is_some() {
            return true;
        }
        if start == 0 {
            return false;
        }
        end = start;
        window *= 4;
    }
}

/// For a static executable: is it glibc, and will it dlopen at run time?
///
/// A static glibc binary still loads `libnss_*.so.2` for user, group and host
/// lookups (getpwnam, getaddrinfo, ...) and any library it `dlopen`s, and those must
/// come from the exact glibc version it was linked with; ld warns ("Using 'getpwnam'
/// in statically linked applications requires at runtime the shared libraries from
/// the glibc version used for linking"). The symbol table says so when it is still
/// there; in a stripped binary, the path `/etc/nsswitch.conf`, which only glibc's NSS
/// code carries (measured on static glibc 2.36 builds with and without getpwnam:
/// tests/fixtures/artifacts/expected.json, `static`).
pub(crate) fn static_runtime(
    layout: &Layout<'_>,
    kind: Kind,
    machine: Machine,
    notes: &[Note<'_>],
    symbols: Option<&[String]>,
) -> Option<StaticRuntime> {
    if !kind.is_static() {
        return None;
    }
    // glibc's crt1.o carries the ABI tag note; musl's and Go's binaries do not.
    let glibc = notes
        .iter()
        .any(|n| n.kind == NT_GNU_ABI_TAG && n.owner == b"GNU" && n.desc.first() == Some(&0));
    let mut loads = Vec::new();
    if glibc {
        let rodata = layout
            .section_named(".rodata")
            .and_then(|s| layout.slice(s.sh_offset, s.sh_size, "").ok())
            .unwrap_or_default();
        if contains_towards_end(rodata, b"/etc/nsswitch.conf") {
            loads.push("nss".to_string());
        }
        // Every static glibc carries dlopen's code, its public `dlopen` symbol included
        // (libc.a's dlopen.o comes with the gconv and NSS code even into a hello
        // world): what tells a program that calls dlopen itself is a call to it.
        if symbols.is_some_and(|names| names.iter().any(|n| n == "dlopen"))
            && function_address(layout, "dlopen").is_some_and(|at| calls(layout, machine, at))
        {
            loads.push("dlopen".to_string());
        }
    }
    Some(StaticRuntime {
        libc: glibc.then_some(Libc::Glibc),
        loads_shared_objects: loads,
    })
}

#[cfg(test)]
mod tests {
    use super::contains_towards_end;

    #[test]
    fn the_search_from_the_end_finds_what_memmem_finds() {
        let needle = b"/etc/nsswitch.conf";
        // Every position, including across each window boundary (64 KiB, then 256 KiB
        // before it) and at both ends.
        let len = 400 << 10;
        let mut hay = vec![b'x'; len];
        let boundaries = [
            0,
            1,
            len - needle.len(),
            len - (64 << 10),
            len - (320 << 10),
        ];
        for &b in &boundaries {
            for at in b.saturating_sub(needle.len())..(b + needle.len()).min(len - needle.len() + 1)
            {
                hay.fill(b'x');
                hay[at..at + needle.len()].copy_from_slice(needle);
                assert!(contains_towards_end(&hay, needle), "at {at}");
                // One byte wrong: nowhere.
                hay[at + needle.len() / 2] = b'y';
                assert!(!contains_towards_end(&hay, needle), "broken at {at}");
            }
        }
        assert!(!contains_towards_end(b"", needle));
        assert!(contains_towards_end(needle, needle));
        assert!(!contains_towards_end(&needle[1..], needle));
    }
}
