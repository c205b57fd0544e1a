//! Synthetic ELF files, built byte by byte for the hostile tests.
#![allow(dead_code)]

pub const PT_LOAD: u32 = 1;
pub const PT_DYNAMIC: u32 = 2;
pub const DT_NULL: u64 = 0;
pub const DT_NEEDED: u64 = 1;
pub const DT_HASH: u64 = 4;
pub const DT_STRTAB: u64 = 5;
pub const DT_SONAME: u64 = 14;
pub const DT_SYMTAB: u64 = 6;
pub const DT_STRSZ: u64 = 10;
pub const DT_SYMENT: u64 = 11;
pub const DT_RUNPATH: u64 = 29;
pub const DT_VERNEED: u64 = 0x6fff_fffe;
pub const DT_VERNEEDNUM: u64 = 0x6fff_ffff;

/// Where the parts of a synthetic file start: addresses equal file offsets (one
/// PT_LOAD maps the whole file at 0).
pub struct Places {
    pub dynstr: u64,
    pub data: u64,
}

/// A 64-bit little-endian x86-64 shared library without section headers, as the
/// loader reads it: the ELF header, `extra_phdrs` PT_NULL program headers besides its
/// PT_LOAD and PT_DYNAMIC, the string table `dynstr`, the bytes `data` (symbol or
/// version tables), and the dynamic section `dynamic` gives.
pub fn synthetic_elf(
    dynstr: &[u8],
    data: &[u8],
    extra_phdrs: usize,
    dynamic: impl Fn(&Places) -> Vec<(u64, u64)>,
) -> Vec<u8> {
    let phnum = 2 + extra_phdrs;
    let align = |n: u64| n.next_multiple_of(8);
    let places = Places {
        dynstr: 64 + 56 * phnum as u64,
        data: align(64 + 56 * phnum as u64 + dynstr.len() as u64),
    };
    let dyn_at = align(places.data + data.len() as u64);
    let mut entries = dynamic(&places);
    entries.push((DT_NULL, 0));
    let end = dyn_at + 16 * entries.len() as u64;

    let mut out = Vec::with_capacity(end as usize);
    out.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    out.extend_from_slice(&3u16.to_le_bytes()); // ET_DYN
    out.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // e_entry
    out.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    out.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    out.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    out.extend_from_slice(&64u16.to_le_bytes());
    out.extend_from_slice(&56u16.to_le_bytes());
    out.extend_from_slice(&(phnum as u16).to_le_bytes());
    out.extend_from_slice(&64u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    let phdr = |out: &mut Vec<u8>, kind: u32, offset: u64, size: u64| {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&4u32.to_le_bytes()); // PF_R
        for value in [offset, offset, offset, size, size, 8] {
            out.extend_from_slice(&value.to_le_bytes());
        }
    };
    phdr(&mut out, PT_LOAD, 0, end);
    phdr(&mut out, PT_DYNAMIC, dyn_at, end - dyn_at);
    for _ in 0..extra_phdrs {
        phdr(&mut out, 0, 0, 0);
    }
    out.extend_from_slice(dynstr);
    out.resize(places.data as usize, 0);
    out.extend_from_slice(data);
    out.resize(dyn_at as usize, 0);
    for (tag, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out
}

/// The dynamic entries that locate `dynstr`.
pub fn strings(dynstr: &[u8]) -> impl Fn(&Places) -> Vec<(u64, u64)> + '_ {
    move |p| vec![(DT_STRTAB, p.dynstr), (DT_STRSZ, dynstr.len() as u64)]
}
