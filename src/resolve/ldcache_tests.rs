//! Unit tests of ldcache.rs: layouts built by hand, lookups, refusals.
use super::*;
use std::cmp::Ordering::*;

#[test]
fn libcmp_compares_numbers_as_numbers() {
    assert_eq!(libcmp(b"libfoo.so.10", b"libfoo.so.9"), Greater);
    assert_eq!(libcmp(b"libfoo.so.1", b"libfoo.so.1"), Equal);
    assert_eq!(libcmp(b"libfoo.so", b"libfoo.so.1"), Less);
    assert_eq!(libcmp(b"liba.so", b"libb.so"), Less);
}

/// An old-layout cache (libc5, glibc 2.0/2.1) of `entries`, strings after them.
fn old_cache(entries: &[(i32, &str, &str)]) -> Vec<u8> {
    let mut strings = Vec::new();
    let mut table = Vec::new();
    for (flags, key, value) in entries {
        table.extend_from_slice(&flags.to_le_bytes());
        table.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        strings.extend_from_slice(key.as_bytes());
        strings.push(0);
        table.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        strings.extend_from_slice(value.as_bytes());
        strings.push(0);
    }
    let mut bytes = b"ld.so-1.7.0\0".to_vec();
    bytes.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    bytes.extend(table);
    bytes.extend(strings);
    bytes
}

fn query(flags: CacheFlags) -> CacheQuery<'static> {
    CacheQuery {
        flags,
        hwcaps: &[],
        legacy_hwcap: 0,
    }
}

#[test]
fn old_layout_sorted_as_ldconfig_sorts_it() {
    let x86_64 = CacheFlags {
        default_id: 0x0303,
        generic: false,
    };
    // Descending by _dl_cache_libcmp; a 32-bit entry (flags 3) before the 64-bit one.
    let bytes = old_cache(&[
        (0x0303, "libz.so.1", "/usr/lib/libz.so.1"),
        (3, "libm.so.6", "/usr/lib32/libm.so.6"),
        (0x0303, "libm.so.6", "/usr/lib/libm.so.6"),
        (0x0303, "libc.so.6", "/usr/lib/libc.so.6"),
    ]);
    let cache = LdCache::parse(bytes, Endian::Little).unwrap();
    assert_eq!(cache.format(), CacheFormat::Old);
    assert_eq!(cache.len(), 4);
    let q = query(x86_64);
    assert_eq!(
        cache.lookup("libm.so.6", &q).as_deref(),
        Some("/usr/lib/libm.so.6")
    );
    assert_eq!(
        cache.lookup("libz.so.1", &q).as_deref(),
        Some("/usr/lib/libz.so.1")
    );
    assert_eq!(
        cache.lookup("libc.so.6", &q).as_deref(),
        Some("/usr/lib/libc.so.6")
    );
    assert_eq!(cache.lookup("libx.so.1", &q), None);
    let i386 = query(CacheFlags {
        default_id: 3,
        generic: true,
    });
    assert_eq!(
        cache.lookup("libm.so.6", &i386).as_deref(),
        Some("/usr/lib32/libm.so.6")
    );
    assert_eq!(cache.lookup("libc.so.6", &i386), None);
}

#[test]
fn refuses_what_is_not_a_cache() {
    assert!(LdCache::parse(b"hello".to_vec(), Endian::Little).is_err());
    let mut huge = MAGIC_NEW.to_vec();
    huge.resize(HEADER_NEW + 8, 0);
    huge[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = LdCache::parse(huge, Endian::Little).unwrap_err();
    assert!(err.contains("4294967295 entries"), "{err}");
}

/// The binary search compares keys in place, up to their NUL: a key the file cuts
/// off before its NUL (a truncated cache) still ends the lookup with nothing, and
/// keys followed by other strings compare as the strings they are.
#[test]
fn keys_compared_in_place_end_at_their_nul() {
    let flags = CacheFlags {
        default_id: 0x0303,
        generic: false,
    };
    let mut bytes = old_cache(&[
        (0x0303, "libz.so.1", "/usr/lib/libz.so.1"),
        (0x0303, "libm.so.6", "/usr/lib/libm.so.6"),
        (0x0303, "libc.so", "/usr/lib/libc.so"),
    ]);
    // A key that is a prefix of the string after it would match it if the NUL were
    // not looked at; then the last key cut before its NUL.
    let q = query(flags);
    let cache = LdCache::parse(bytes.clone(), Endian::Little).unwrap();
    assert_eq!(cache.lookup("libc.so/usr", &q), None);
    assert_eq!(
        cache.lookup("libc.so", &q).as_deref(),
        Some("/usr/lib/libc.so")
    );
    let cut = bytes.len() - "/usr/lib/libc.so".len() - 2;
    bytes.truncate(cut);
    let cache = LdCache::parse(bytes, Endian::Little).unwrap();
    for i in 0..3 {
        let key = cache.entry(i).unwrap().1;
        let whole = cache.string(key);
        let in_place = cache.key(key);
        assert_eq!(whole.is_some(), in_place.is_some(), "entry {i}");
        if let (Some(whole), Some(in_place)) = (whole, in_place) {
            assert_eq!(libcmp(whole, in_place), std::cmp::Ordering::Equal);
        }
    }
    assert_eq!(cache.lookup("libc.so", &q), None);
    assert_eq!(
        cache.lookup("libz.so.1", &q).as_deref(),
        Some("/usr/lib/libz.so.1")
    );
}
