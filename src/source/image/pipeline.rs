//! A stream read on a thread of its own and handed over in chunks through a bounded
//! channel, so that producing it (reading and hashing a layer's blob, decompressing
//! it) and consuming it (walking its tar, reading its ELF files) use both cores: a
//! layer takes the time of its longest stage instead of the sum of all. At most
//! `chunk * (depth + 2)` bytes of a stream are in flight, whatever its size.
//!
//! Once the stream ends (or fails, or its reader stops wanting it), the thread runs
//! what the caller asked to be done with what is left (read the compressed blob to
//! its end, so that its digest is checked); `Pipe::finish` answers with its result.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

/// How a stream is handed over: chunks of `chunk` bytes, at most `depth` waiting.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    pub chunk: usize,
    pub depth: usize,
}

enum Piece {
    Data(Vec<u8>),
    End,
    Failed(io::Error),
}

/// The decompressed stream, read on the calling thread.
pub(crate) struct Pipe {
    pieces: Option<Receiver<Piece>>,
    /// Chunks read, given back to the thread to be filled again.
    spare: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    /// The stream's end or first error (repeated to later reads).
    over: Option<Result<(), (io::ErrorKind, String)>>,
    worker: Option<JoinHandle<io::Result<()>>>,
}

impl Pipe {
    /// Starts reading `stream` on a thread; once it ends or fails, or the Pipe is
    /// finished, the thread runs `rest` on it (the rest of the compressed blob) and
    /// `finish` returns what `rest` returned.
    pub(crate) fn spawn<R, F>(name: &str, sizes: Sizes, stream: R, rest: F) -> io::Result<Pipe>
    where
        R: Read + Send + 'static,
        F: FnOnce(R) -> io::Result<()> + Send + 'static,
    {
        let (pieces, received) = sync_channel(sizes.depth);
        // Every chunk there will be (in the channel, being filled, being read),
        // allocated here: the thread waits for one to come back rather than
        // allocating more, so the bound holds whatever the two threads do.
        let (spare, spares) = sync_channel(sizes.depth + 2);
        for _ in 0..sizes.depth + 2 {
            let _ = spare.try_send(Vec::with_capacity(sizes.chunk));
        }
        let worker = thread::Builder::new().name(name.into()).spawn(move || {
            let mut stream = stream;
            produce(&mut stream, sizes.chunk, &pieces, &spares);
            // The reader may be gone (it stopped early): the rest is read anyway.
            drop(pieces);
            rest(stream)
        })?;
        Ok(Pipe {
            pieces: Some(received),
            spare,
            current: Vec::new(),
            at: 0,
            over: None,
            worker: Some(worker),
        })
    }

    /// Stops reading the decompressed stream (what was not read is dropped) and
    /// waits for the thread to read the compressed blob to its end: its error, if
    /// any (a digest that does not match).
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> io::Result<()> {
        // A thread waiting to hand over a chunk is told nobody takes it.
        self.pieces = None;
        match self.worker.take().map(JoinHandle::join) {
            None => Ok(()),
            Some(Ok(result)) => result,
            // A panic there is a panic here, as it was when one thread did both.
            Some(Err(panic)) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        if !thread::panicking() {
            let _ = self.stop();
        }
    }
}

/// Reads `stream` in chunks into the channel until it ends, fails, or nobody reads.
fn produce(
    stream: &mut impl Read,
    size: usize,
    pieces: &SyncSender<Piece>,
    spares: &Receiver<Vec<u8>>,
) {
    loop {
        // One comes back as soon as the reader moves on to the next.
        let Ok(mut chunk) = spares.recv() else {
            return;
        };
        chunk.resize(size, 0);
        let (filled, error) = fill(stream, &mut chunk);
        chunk.truncate(filled);
        if filled > 0 && pieces.send(Piece::Data(chunk)).is_err() {
            return;
        }
        let last = match error {
            Some(e) => Piece::Failed(e),
            None if filled == 0 => Piece::End,
            None => continue,
        };
        let _ = pieces.send(last);
        return;
    }
}

/// Reads into `chunk` until it is full, the stream ends (fewer bytes) or fails.
fn fill(stream: &mut impl Read, chunk: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while filled < chunk.len() {
        match stream.read(&mut chunk[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.current.len() {
            if let Some(over) = &self.over {
                return match over {
                    Ok(()) => Ok(0),
                    Err((kind, message)) => Err(io::Error::new(*kind, message.clone())),
                };
            }
            let Some(pieces) = &self.pieces else {
                return Ok(0);
            };
            let piece = pieces.recv().unwrap_or_else(|_| {
                Piece::Failed(io::Error::other("the thread reading the layer stopped"))
            });
            match piece {
                Piece::Data(chunk) => {
                    let read = std::mem::replace(&mut self.current, chunk);
                    self.at = 0;
                    if read.capacity() > 0 {
                        let _ = self.spare.try_send(read);
                    }
                }
                Piece::End => {
                    self.over = Some(Ok(()));
                    return Ok(0);
                }
                Piece::Failed(e) => {
                    self.over = Some(Err((e.kind(), e.to_string())));
                    return Err(e);
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    const SIZES: Sizes = Sizes {
        chunk: 64 << 10,
        depth: 4,
    };

    /// A stream of `len` bytes (i as u8 at offset i), failing at its end when
    /// `fails`.
    struct Numbers {
        at: usize,
        len: usize,
        fails: bool,
    }

    impl Read for Numbers {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.at == self.len && self.fails {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "bad block"));
            }
            let n = buf.len().min(self.len - self.at).min(1000);
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = (self.at + i) as u8;
            }
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn the_stream_arrives_whole_in_order_and_the_rest_is_read_after() {
        let len = SIZES.chunk * 3 + 12345;
        let rest_ran = Arc::new(AtomicBool::new(false));
        let ran = rest_ran.clone();
        let mut pipe = Pipe::spawn(
            "test",
            SIZES,
            Numbers {
                at: 0,
                len,
                fails: false,
            },
            move |numbers| {
                assert_eq!(numbers.at, numbers.len, "the rest runs after the end");
                ran.store(true, Ordering::SeqCst);
                Err(io::Error::other("digest mismatch"))
            },
        )
        .unwrap();
        let mut out = Vec::new();
        pipe.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), len);
        assert!(out.iter().enumerate().all(|(i, b)| *b == i as u8));
        assert_eq!(pipe.read(&mut [0; 10]).unwrap(), 0, "the end stays the end");
        let finished = pipe.finish().unwrap_err();
        assert_eq!(finished.to_string(), "digest mismatch");
        assert!(rest_ran.load(Ordering::SeqCst));
    }

    #[test]
    fn an_error_arrives_after_the_bytes_before_it_and_stays() {
        let mut pipe = Pipe::spawn(
            "test",
            SIZES,
            Numbers {
                at: 0,
                len: 5000,
                fails: true,
            },
            |_| Ok(()),
        )
        .unwrap();
        let mut out = vec![0; 5000];
        pipe.read_exact(&mut out).unwrap();
        let first = pipe.read(&mut [0; 10]).unwrap_err();
        let again = pipe.read(&mut [0; 10]).unwrap_err();
        assert_eq!(
            (first.kind(), first.to_string()),
            (again.kind(), again.to_string())
        );
        assert_eq!(first.to_string(), "bad block");
        pipe.finish().unwrap();
    }

    #[test]
    fn a_reader_that_stops_early_still_gets_the_rest_checked() {
        // Far more than the channel holds: the thread is blocked handing over a chunk
        // when the reader stops.
        let len = SIZES.chunk * (SIZES.depth + 10);
        let mut pipe = Pipe::spawn(
            "test",
            SIZES,
            Numbers {
                at: 0,
                len,
                fails: false,
            },
            |numbers| {
                assert!(
                    numbers.at < numbers.len,
                    "the decompressed stream is dropped"
                );
                Err(io::Error::other("rest read"))
            },
        )
        .unwrap();
        pipe.read_exact(&mut [0; 100]).unwrap();
        assert_eq!(pipe.finish().unwrap_err().to_string(), "rest read");
    }

    /// A layer larger than the channel holds, whose tar walk fails in its middle (the
    /// decompressing thread is then waiting to hand over more): the rest of the blob
    /// is still read, and a wrong digest is what is reported, not the tar's error.
    #[test]
    fn a_layer_walk_stopped_early_is_judged_by_its_digest() {
        use super::super::blobs::Verifying;
        use super::super::layers::apply_layer;
        use super::super::tree::MergedTree;
        use super::super::ImageError;
        use sha2::{Digest, Sha256};
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(4 << 20);
        header.set_mode(0o644);
        let data = vec![b'x'; 4 << 20];
        builder.append_data(&mut header, "big", &data[..]).unwrap();
        let mut bytes = builder.into_inner().unwrap();
        // Without its end-of-archive blocks, followed by what is not a tar header
        // (its checksum is wrong), then 16 MiB more.
        bytes.truncate(bytes.len() - 1024);
        bytes.extend_from_slice(&[b'z'; 512]);
        bytes.extend_from_slice(&vec![0; 16 << 20]);
        let digest = |bytes: &[u8]| -> String {
            let hash = Sha256::digest(bytes);
            format!(
                "sha256:{}",
                hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
            )
        };
        let apply = |expected: &str| -> String {
            let raw = Box::new(io::Cursor::new(bytes.clone()));
            let verified = Verifying::new(raw, expected, "blobs/x").unwrap();
            let mut tree = MergedTree::default();
            match apply_layer(&mut tree, 0, "l", Box::new(verified)) {
                Err(ImageError::Invalid(message)) => message,
                other => panic!("{:?}", other.map(|_| ())),
            }
        };
        let wrong = apply(&digest(b"another blob"));
        assert!(wrong.contains("does not match its digest"), "{wrong}");
        let right = apply(&digest(&bytes));
        assert!(
            right.starts_with("layer l: ") && !right.contains("digest"),
            "{right}"
        );
    }
}
