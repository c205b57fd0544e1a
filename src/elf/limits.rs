//! How much one file may make preflight read, keep and do.
//!
//! A file of a few megabytes can describe far more than it holds: 300,000 DT_NEEDED
//! entries (each resolved, each a finding: 1.5 GB), a hundred thousand symbols whose
//! names all point at one long string, version tables whose entries overlap. Past
//! these limits the file is unreadable, and the reason names the limit. Each is far
//! above what real files have (measured on Debian 12's /usr: at most 21 DT_NEEDED,
//! 2 search paths, 50 needed and 62 defined versions per file; libLLVM-14 has 45,000
//! dynamic symbols and 3 MB of their names in a 110 MB file).

use super::ElfError;
use std::cell::Cell;

/// DT_NEEDED entries of one file.
pub(crate) const MAX_NEEDED: usize = 4096;
/// Folders of DT_RPATH and DT_RUNPATH together.
pub(crate) const MAX_SEARCH_PATHS: usize = 4096;
/// Entries of `.gnu.version_r` (files and versions) and `.gnu.version_d`, together.
pub(crate) const MAX_VERSION_ENTRIES: usize = 4096;
/// The kernel refuses a program whose program headers take more than 64 KiB
/// (fs/binfmt_elf.c, `load_elf_phdrs`: ELF_MIN_ALIGN); no library has more either.
pub(crate) const MAX_PROGRAM_HEADER_BYTES: u64 = 64 << 10;
/// Text copied out of one file (names of libraries, symbols, versions, functions),
/// beyond the file's own size: a linker writes each name once and shares only
/// suffixes, so real files copy out less than their size.
const TEXT_ALLOWANCE: u64 = 16 << 20;

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The error for `count` entries of `what` where at most `limit` are read.
pub(crate) fn too_many(what: &str, count: usize, limit: usize) -> ElfError {
    ElfError::Malformed(format!(
        "{} {what}: more than the {} preflight reads from one file (real files have far fewer)",
        thousands(count),
        thousands(limit)
    ))
}

/// The text one file may have copied out of it: twice its size plus 16 MiB.
#[derive(Debug)]
pub(crate) struct TextBudget {
    limit: u64,
    used: Cell<u64>,
}

impl TextBudget {
    pub fn for_file(len: usize) -> TextBudget {
        TextBudget {
            limit: (len as u64)
                .saturating_mul(2)
                .saturating_add(TEXT_ALLOWANCE),
            used: Cell::new(0),
        }
    }

    /// Counts `bytes` more bytes of text copied out for `what`, or fails once the
    /// limit is passed.
    pub fn take(&self, bytes: usize, what: &str) -> Result<(), ElfError> {
        let used = self.used.get().saturating_add(bytes as u64);
        self.used.set(used);
        if used > self.limit {
            return Err(ElfError::Malformed(format!(
                "{what}: the names copied out of this file pass {} bytes, twice its size plus 16 MiB, which preflight does not exceed (its string tables are reused far more than a linker does)",
                self.limit
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_numbers_and_budgets_run_out() {
        assert_eq!(thousands(300_000), "300,000");
        assert_eq!(thousands(4096), "4,096");
        assert_eq!(thousands(12), "12");
        let err = too_many("DT_NEEDED entries", 300_000, MAX_NEEDED);
        assert_eq!(
            err.to_string(),
            "300,000 DT_NEEDED entries: more than the 4,096 preflight reads from one file (real files have far fewer)"
        );
        let budget = TextBudget::for_file(0);
        assert!(budget.take(16 << 20, "x").is_ok());
        assert!(budget.take(1, "symbol names").is_err());
    }
}
