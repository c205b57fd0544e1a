//! A layer's bytes on their way to the tar reader: the decompressor its first bytes
//! call for (gzip, zstd or none), the compressed bytes counted and their first error
//! kept where the layer's other thread sees them, and the decompressed stream cut
//! off past `ImageLimits`'s expansion limit (decompression bombs).

use super::limits::ImageLimits;
use crate::source::size_text;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub(super) type Raw = BufReader<Box<dyn Read + Send>>;

/// The decompressor for a layer, kept typed so that the compressed stream can be read
/// to its end afterwards (the digest is checked there).
pub(super) enum Decoder {
    Plain(Raw),
    // Boxed: with flate2's zlib-rs backend (which backhand turns on) the decoder
    // holds its inflate state inline.
    Gzip(Box<flate2::read::MultiGzDecoder<Raw>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, Raw>>),
}

impl Read for Decoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
        }
    }
}

impl Decoder {
    /// The decompressor `raw`'s first bytes (its magic) call for.
    pub(super) fn new(mut raw: Raw) -> io::Result<Decoder> {
        let magic = raw.fill_buf()?;
        Ok(if magic.starts_with(&[0x1f, 0x8b]) {
            Decoder::Gzip(Box::new(flate2::read::MultiGzDecoder::new(raw)))
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Decoder::Zstd(Box::new(zstd::stream::read::Decoder::with_buffer(raw)?))
        } else {
            Decoder::Plain(raw)
        })
    }

    pub(super) fn into_raw(self) -> Raw {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(r) => r.into_inner(),
            Decoder::Zstd(r) => r.finish(),
        }
    }
}

/// A reader that remembers its first error where another reader sees it (the
/// compressed stream's, after the decompressor met it).
pub(super) struct FirstError {
    pub(super) inner: Box<dyn Read + Send>,
    pub(super) failed: Arc<Mutex<Option<(io::ErrorKind, String)>>>,
}

impl Read for FirstError {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf);
        match (&read, self.failed.lock()) {
            (Err(e), Ok(mut failed)) if e.kind() != io::ErrorKind::Interrupted => {
                failed.get_or_insert_with(|| (e.kind(), e.to_string()));
            }
            _ => {}
        }
        read
    }
}

/// A reader that counts what it passed on where another reader sees it (the
/// compressed bytes of a layer, for `Expansion`).
pub(crate) struct CountedShared<R> {
    pub(crate) inner: R,
    pub(crate) read: Arc<AtomicU64>,
}

impl<R: Read> Read for CountedShared<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A layer's decompressed stream, cut off once it has grown past
/// `ImageLimits::expansion_ratio` times the compressed bytes read so far (after a
/// first `expansion_free` bytes): a few MB of gzip can hold terabytes of zeros, which
/// would be read, all of them, at a gigabyte a second. Real layers expand 2 to 10
/// times.
pub(super) struct Expansion {
    pub(super) inner: Decoder,
    pub(super) out: u64,
    pub(super) compressed: Arc<AtomicU64>,
    pub(super) limits: ImageLimits,
}

impl Read for Expansion {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let compressed = self.compressed.load(Ordering::Relaxed);
        if self.out > self.limits.expansion_free
            && self.out / self.limits.expansion_ratio.max(1) > compressed
        {
            return Err(io::Error::other(format!(
                "it expands to more than {} times its compressed size ({} from {}): a decompression bomb, not read further",
                self.limits.expansion_ratio,
                size_text(self.out),
                size_text(compressed)
            )));
        }
        Ok(n)
    }
}

/// A reader that counts what it passed on.
pub(super) struct Counted<R> {
    pub(super) inner: R,
    pub(super) read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}
