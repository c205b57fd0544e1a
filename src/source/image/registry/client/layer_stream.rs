//! A layer's blob as it arrives from the registry, resumed where it stopped.

use super::{Client, Fetched, FIRST_WAIT, TRIES};
use std::io::{self, Read};

/// A layer as it arrives, at most its descriptor's `size` bytes (a registry that sends
/// more cannot make the scan read forever). A connection that drops mid-layer is
/// resumed where it stopped, with a `Range` request, up to `TRIES` times; the digest
/// check above this reader catches whatever a resumed transfer got wrong.
pub struct LayerStream {
    client: std::sync::Arc<Client>,
    digest: String,
    size: u64,
    read: u64,
    body: Option<ureq::BodyReader<'static>>,
    resumed: u32,
}

impl LayerStream {
    pub fn new(client: std::sync::Arc<Client>, digest: &str, size: u64, first: Fetched) -> Self {
        LayerStream {
            client,
            digest: digest.to_string(),
            size,
            read: 0,
            body: Some(first.body.into_reader()),
            resumed: 0,
        }
    }

    /// Asks for the rest of the blob, skipping what was read when the registry sends
    /// it whole.
    fn reopen(&mut self) -> io::Result<()> {
        let fetched = self
            .client
            .blob_from(&self.digest, self.read)
            .map_err(io::Error::other)?;
        let partial = fetched.partial;
        let mut body = fetched.body.into_reader();
        if !partial {
            let skipped = io::copy(&mut (&mut body).take(self.read), &mut io::sink())?;
            if skipped < self.read {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the blob ended early when asked again",
                ));
            }
        }
        self.body = Some(body);
        Ok(())
    }
}

impl Read for LayerStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.size.saturating_sub(self.read);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        loop {
            let result = match self.body.as_mut() {
                Some(body) => body.read(&mut buf[..want]),
                None => match self.reopen() {
                    Ok(()) => continue,
                    Err(e) => Err(e),
                },
            };
            let failure = match result {
                Ok(n) if n > 0 => {
                    self.read += n as u64;
                    return Ok(n);
                }
                // Ended before the declared size: the connection dropped.
                Ok(_) => io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the connection ended after {} of {} bytes",
                        self.read, self.size
                    ),
                ),
                Err(e) => e,
            };
            if self.resumed + 1 >= TRIES || failure.kind() == io::ErrorKind::InvalidData {
                return Err(failure);
            }
            self.resumed += 1;
            self.body = None;
            std::thread::sleep(FIRST_WAIT * 2u32.pow(self.resumed - 1));
        }
    }
}
