//! How much of an image's binaries preflight holds to read them (`ImageLimits`), and
//! the temporary space one image used (`Spill`): a binary too large for memory is
//! copied to a temporary file and mapped.

use crate::source::size_text;
use std::io::{self, Read, Write};

/// How much of an image's binaries preflight holds to read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageLimits {
    /// Binaries up to this size are read into memory: memory stays bounded by it.
    pub in_memory: u64,
    /// A larger binary is copied to a temporary file and mapped, up to this size; a
    /// larger one is an unreadable file. 2 GiB: the largest real ones (CUDA, PyTorch
    /// libraries) are about 1 GiB.
    pub temporary_per_file: u64,
    /// And up to this much for all the binaries of one image (each temporary file is
    /// removed once read, so this bounds the time spent writing, not the space).
    pub temporary_total: u64,
    /// A layer may expand to this many times its compressed size (decompression
    /// bombs)...
    pub expansion_ratio: u64,
    /// ...once past this many bytes, which any layer may expand to.
    pub expansion_free: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            in_memory: 64 << 20,
            temporary_per_file: 2 << 30,
            temporary_total: 8 << 30,
            // gzip cannot go past 1032 times; zstd can. Text-heavy layers reach 10.
            expansion_ratio: 100,
            expansion_free: 1 << 30,
        }
    }
}

/// The temporary space of one image: its limits and how much was used.
#[derive(Debug, Default)]
pub(crate) struct Spill {
    pub limits: ImageLimits,
    used: u64,
}

impl Spill {
    /// Copies a binary of `size` bytes (its first bytes read already) to a temporary
    /// file and maps it; Err(why not) for the file's unreadable entry.
    pub(super) fn copy(
        &mut self,
        head: Vec<u8>,
        rest: &mut impl Read,
        size: u64,
    ) -> Result<memmap2::Mmap, String> {
        let limits = self.limits;
        if size > limits.temporary_per_file {
            return Err(format!(
                "a binary of {size} bytes: larger than the {} preflight copies out of an image to read one file (its limit of temporary space per file)",
                size_text(limits.temporary_per_file)
            ));
        }
        if self.used.saturating_add(size) > limits.temporary_total {
            return Err(format!(
                "a binary of {size} bytes: the large binaries of this image add up to more than the {} preflight copies out of one image to read them (its limit of temporary space per image)",
                size_text(limits.temporary_total)
            ));
        }
        self.used += size;
        let mut copy = || -> io::Result<memmap2::Mmap> {
            let mut file = tempfile::tempfile()?;
            file.write_all(&head)?;
            // No more than the header said, whatever the stream holds.
            io::copy(
                &mut rest.by_ref().take(size.saturating_sub(head.len() as u64)),
                &mut file,
            )?;
            // SAFETY: a private temporary file, already unlinked, that nobody else
            // can open or write.
            unsafe { memmap2::Mmap::map(&file) }
        };
        copy().map_err(|e| {
            format!(
                "a binary of {size} bytes could not be copied to a temporary file to be read: {e}"
            )
        })
    }
}
