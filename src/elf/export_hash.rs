//! A library's own `DT_GNU_HASH` table, kept with its symbols so that binding looks
//! its exports up as ld.so does (glibc elf/dl-lookup.c, `do_lookup_x`: the Bloom
//! filter, then the bucket, then the chain up to the entry with the end bit) instead of
//! indexing every export of every object again.
//!
//! Layout (glibc elf/dl-lookup.c `_dl_setup_hash`, binutils bfd/elflink.c): four
//! 32-bit words `nbuckets`, `symoffset`, `bloom_size` (in address-sized words),
//! `bloom_shift`; the Bloom filter; `nbuckets` 32-bit bucket entries (the first symbol
//! index of each chain, 0 for none); then one 32-bit chain entry per symbol from
//! `symoffset` on, holding the symbol's hash with the low bit replaced by "last of its
//! chain".
//!
//! A table that does not fit the file or the symbol table is not kept (binding then
//! indexes the exports itself); a chain without an end bit stops at the last symbol.

/// The hash ld.so uses with `DT_GNU_HASH` (glibc elf/dl-new-hash.h, `_dl_new_hash`:
/// Bernstein's h * 33 + c from 5381).
pub fn gnu_hash(name: &[u8]) -> u32 {
    name.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExportHash {
    /// The Bloom filter, each word widened to 64 bits.
    bloom: Box<[u64]>,
    /// Bits per Bloom word: 64 in an ELF64 file, 32 in an ELF32 one.
    word_bits: u32,
    bloom_shift: u32,
    /// The first dynamic symbol index of each chain (0: an empty bucket); each is
    /// checked to lie in `symoffset..nsyms`.
    buckets: Box<[u32]>,
    symoffset: u32,
    /// One entry per dynamic symbol from `symoffset` to the end of `.dynsym`.
    chain: Box<[u32]>,
}

/// A table's Bloom filter (glibc elf/dl-lookup.c, `do_lookup_x`): two bits of the
/// hash in one word; both clear or either clear rules the name out.
#[derive(Clone, Copy, Debug)]
pub struct Bloom<'a> {
    words: &'a [u64],
    /// log2 of the bits per word (6 in ELF64, 5 in ELF32).
    word_shift: u32,
    bit_mask: u32,
    shift: u32,
}

impl Bloom<'_> {
    /// Whether a name whose `gnu_hash` is `hash` may be in the table. Shifts and
    /// masks, not divisions: this runs for every object a name is looked up in.
    #[inline]
    pub fn may_contain(&self, hash: u32) -> bool {
        let word = self.words[(hash >> self.word_shift) as usize & (self.words.len() - 1)];
        let bit1 = hash & self.bit_mask;
        let bit2 = (hash >> self.shift) & self.bit_mask;
        (word >> bit1) & (word >> bit2) & 1 != 0
    }
}

impl ExportHash {
    /// Reads the table from `data` (the bytes at DT_GNU_HASH to the end of its
    /// segment) for a `.dynsym` of `nsyms` entries; None when it is malformed.
    pub fn read(data: &[u8], big_endian: bool, elf64: bool, nsyms: usize) -> Option<ExportHash> {
        let word = |i: usize| -> Option<u32> {
            let b: [u8; 4] = data.get(i.checked_mul(4)?..)?.get(..4)?.try_into().ok()?;
            Some(match big_endian {
                true => u32::from_be_bytes(b),
                false => u32::from_le_bytes(b),
            })
        };
        let words = |from: usize, count: usize| -> Option<Vec<u32>> {
            let start = from.checked_mul(4)?;
            let bytes = data.get(start..start.checked_add(count.checked_mul(4)?)?)?;
            Some(
                bytes
                    .chunks_exact(4)
                    .map(|b| {
                        let b = [b[0], b[1], b[2], b[3]];
                        match big_endian {
                            true => u32::from_be_bytes(b),
                            false => u32::from_le_bytes(b),
                        }
                    })
                    .collect(),
            )
        };
        let nbuckets = word(0)? as usize;
        let symoffset = word(1)?;
        let bloom_size = word(2)? as usize;
        let bloom_shift = word(3)?;
        // glibc masks the Bloom index with `bloom_size - 1`: it must be a power of two
        // (bfd writes one), and neither count may be 0.
        // A shift past the word is undefined in ld.so's C.
        let word_bits = if elf64 { 64 } else { 32 };
        if nbuckets == 0
            || bloom_size == 0
            || !bloom_size.is_power_of_two()
            || bloom_shift >= word_bits
        {
            return None;
        }
        if symoffset as usize > nsyms || nsyms > u32::MAX as usize {
            return None;
        }
        let per_word = if elf64 { 2 } else { 1 };
        let raw_bloom = words(4, bloom_size.checked_mul(per_word)?)?;
        let bloom: Box<[u64]> = match elf64 {
            true => raw_bloom
                .chunks_exact(2)
                .map(|w| {
                    let (first, second) = (u64::from(w[0]), u64::from(w[1]));
                    match big_endian {
                        true => first << 32 | second,
                        false => second << 32 | first,
                    }
                })
                .collect(),
            false => raw_bloom.into_iter().map(u64::from).collect(),
        };
        let buckets_at = 4 + bloom_size * per_word;
        let buckets = words(buckets_at, nbuckets)?;
        if buckets
            .iter()
            .any(|&b| b != 0 && (b < symoffset || b as usize >= nsyms))
        {
            return None;
        }
        let chain = words(buckets_at + nbuckets, nsyms - symoffset as usize)?;
        Some(ExportHash {
            bloom,
            word_bits,
            bloom_shift,
            buckets: buckets.into_boxed_slice(),
            symoffset,
            chain: chain.into_boxed_slice(),
        })
    }

    /// The Bloom filter alone, for a lookup that tests it in every object of a scope
    /// before reading any of their tables.
    pub fn bloom(&self) -> Bloom<'_> {
        Bloom {
            words: &self.bloom,
            word_shift: self.word_bits.trailing_zeros(),
            bit_mask: self.word_bits - 1,
            shift: self.bloom_shift,
        }
    }

    /// Where the chain of `hash` starts in `chain`, unless the Bloom filter rules
    /// the name out or its bucket is empty (most lookups: a name is looked up in
    /// every object of a scope before the one that defines it).
    #[inline]
    fn chain_start(&self, hash: u32) -> Option<usize> {
        // Shifts and masks, not divisions: word_bits is 32 or 64 (this runs for
        // every object a name is looked up in).
        if !self.bloom().may_contain(hash) {
            return None;
        }
        match self.buckets[hash as usize % self.buckets.len()] {
            0 => None,
            first => Some((first - self.symoffset) as usize),
        }
    }

    /// Whether `accept` takes one of the dynamic symbol indexes whose hash is
    /// `hash` (the name still has to be compared), asked in chain order. The walk
    /// ends at the entry with the end bit, or at the end of the table when a hostile
    /// chain has none: at most `nsyms` steps.
    #[inline]
    pub fn any(&self, hash: u32, mut accept: impl FnMut(usize) -> bool) -> bool {
        let Some(start) = self.chain_start(hash) else {
            return false;
        };
        for (at, &entry) in self.chain.iter().enumerate().skip(start) {
            if (entry ^ hash) >> 1 == 0 && accept(at + self.symoffset as usize) {
                return true;
            }
            if entry & 1 == 1 {
                return false;
            }
        }
        false
    }

    /// The dynamic symbol indexes whose hash is `hash`, in chain order.
    pub fn candidates(&self, hash: u32) -> Vec<usize> {
        let mut found = Vec::new();
        self.any(hash, |i| {
            found.push(i);
            false
        });
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_glibcs() {
        // Values from glibc's elf/tst-dl-hash.c and the GNU hash write-ups.
        assert_eq!(gnu_hash(b""), 0x0000_1505);
        assert_eq!(gnu_hash(b"printf"), 0x156b_2bb8);
        assert_eq!(gnu_hash(b"exit"), 0x7c96_7e3f);
        assert_eq!(gnu_hash(b"syscall"), 0xbac2_12a0);
    }

    /// A table over `names` (dynamic symbols `symoffset..`, in bucket order as ld
    /// writes them), laid out as bfd does, little-endian ELF64: the header words, then
    /// `(bloom words, buckets, chain)`.
    fn table(names: &[&str], nbuckets: u32, bloom_size: u32, shift: u32) -> (Vec<u8>, Vec<String>) {
        let symoffset = 1u32;
        let mut sorted: Vec<(u32, String)> = names
            .iter()
            .map(|n| (gnu_hash(n.as_bytes()), n.to_string()))
            .collect();
        sorted.sort_by_key(|(h, _)| h % nbuckets);
        let mut bloom = vec![0u64; bloom_size as usize];
        let mut buckets = vec![0u32; nbuckets as usize];
        let mut chain = Vec::new();
        for (i, (h, _)) in sorted.iter().enumerate() {
            let w = (h / 64) as usize & (bloom_size as usize - 1);
            bloom[w] |= 1 << (h % 64) | 1 << ((h >> shift) % 64);
            let b = (h % nbuckets) as usize;
            if buckets[b] == 0 {
                buckets[b] = symoffset + i as u32;
            }
            let last = sorted
                .get(i + 1)
                .is_none_or(|(next, _)| next % nbuckets != h % nbuckets);
            chain.push(if last { h | 1 } else { h & !1 });
        }
        let mut bytes = Vec::new();
        for w in [nbuckets, symoffset, bloom_size, shift] {
            bytes.extend(w.to_le_bytes());
        }
        for w in bloom {
            bytes.extend(w.to_le_bytes());
        }
        for w in buckets.iter().chain(&chain) {
            bytes.extend(w.to_le_bytes());
        }
        (bytes, sorted.into_iter().map(|(_, n)| n).collect())
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("symbol_{i}")).collect()
    }

    #[test]
    fn every_name_of_a_table_is_found_at_its_index_and_others_mostly_are_not() {
        let owned = names(300);
        let all: Vec<&str> = owned.iter().map(String::as_str).collect();
        let (bytes, order) = table(&all, 37, 4, 6);
        let nsyms = order.len() + 1;
        let hash = ExportHash::read(&bytes, false, true, nsyms).expect("a sound table");
        for (i, name) in order.iter().enumerate() {
            let found = hash.candidates(gnu_hash(name.as_bytes()));
            assert!(found.contains(&(i + 1)), "{name} at {}: {found:?}", i + 1);
        }
        // Names not in the table: a candidate only where the full hash collides.
        for i in 300..3000 {
            let name = format!("symbol_{i}");
            let h = gnu_hash(name.as_bytes());
            for c in hash.candidates(h) {
                assert_eq!(gnu_hash(order[c - 1].as_bytes()) | 1, h | 1);
            }
        }
    }

    #[test]
    fn a_malformed_table_is_not_kept() {
        let owned = names(40);
        let all: Vec<&str> = owned.iter().map(String::as_str).collect();
        let (bytes, order) = table(&all, 7, 2, 5);
        let nsyms = order.len() + 1;
        assert!(ExportHash::read(&bytes, false, true, nsyms).is_some());
        // Truncated anywhere: in the header, the Bloom filter, the buckets, the chain.
        for len in [0, 3, 15, 16, 20, 40, bytes.len() - 1] {
            assert!(
                ExportHash::read(&bytes[..len], false, true, nsyms).is_none(),
                "{len}"
            );
        }
        // More symbols than the chain has entries: it would run past the file.
        assert!(ExportHash::read(&bytes, false, true, nsyms + 1).is_none());
        let patched = |word: usize, value: u32| {
            let mut b = bytes.clone();
            b[word * 4..word * 4 + 4].copy_from_slice(&value.to_le_bytes());
            b
        };
        let first_bucket = 4 + 2 * 2;
        for (word, value, why) in [
            (0, 0, "no buckets"),
            (1, nsyms as u32 + 1, "symoffset past the symbols"),
            (2, 0, "no Bloom words"),
            (2, 3, "Bloom words not a power of two"),
            (3, 64, "a shift past the word"),
            (first_bucket, nsyms as u32, "a bucket past the symbols"),
            (first_bucket, u32::MAX, "a bucket far past the symbols"),
        ] {
            assert!(
                ExportHash::read(&patched(word, value), false, true, nsyms).is_none(),
                "{why}"
            );
        }
        // A bucket below symoffset: the first chain starts at symbol 1.
        assert!(
            ExportHash::read(&patched(1, 2), false, true, nsyms).is_none(),
            "a bucket below symoffset"
        );
    }

    #[test]
    fn a_chain_without_an_end_bit_stops_at_the_last_symbol() {
        let owned = names(50);
        let all: Vec<&str> = owned.iter().map(String::as_str).collect();
        // One bucket, one chain: every entry's end bit cleared, hashes kept.
        let (mut bytes, order) = table(&all, 1, 1, 6);
        let chain_at = (4 + 2 + 1) * 4;
        for at in (chain_at..bytes.len()).step_by(4) {
            bytes[at] &= !1;
        }
        let hash = ExportHash::read(&bytes, false, true, order.len() + 1).unwrap();
        // The last symbol is found (with "symbol_48", whose hash differs only in
        // the end bit), and the walk ends with the table.
        let last = order.last().unwrap();
        let found = hash.candidates(gnu_hash(last.as_bytes()));
        assert_eq!(found.last(), Some(&order.len()), "{found:?}");
        // Every entry matching: the walk is still bounded by the table.
        let mut same = bytes.clone();
        let h = gnu_hash(b"symbol_0") & !1;
        for at in (chain_at..same.len()).step_by(4) {
            same[at..at + 4].copy_from_slice(&h.to_le_bytes());
        }
        let hash = ExportHash::read(&same, false, true, order.len() + 1).unwrap();
        assert_eq!(hash.candidates(gnu_hash(b"symbol_0")).len(), order.len());
    }
}
