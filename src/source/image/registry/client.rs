//! The OCI distribution API (distribution-spec, spec.md "Pull"), as much of it as a
//! pull needs: `GET /v2/NAME/manifests/REF` and `GET /v2/NAME/blobs/DIGEST`, with the
//! token flow of docker's registry (token.md: a 401 carries a `Bearer` challenge, whose
//! realm gives a token for the repository's `pull` scope) or basic authentication,
//! retries with back-off for what may pass (429, 5xx, a dropped connection), and an
//! error for each refusal that names the reference.
//!
//! Here the client and its requests; `token` answers the registry's challenges,
//! `refusal` words its refusals, `layer_stream` reads a layer and resumes it.

mod layer_stream;
mod refusal;
mod token;

pub use layer_stream::LayerStream;

use super::auth::{Challenge, Found};
use super::reference::RegistryRef;
use super::RegistryAccess;
use crate::source::image::{invalid, ImageError};
use crate::text::excerpt;
use std::io;
use std::sync::Mutex;
use std::time::Duration;
use ureq::http::Response;
use ureq::{Agent, Body};

/// Tries of one request, the first included, when the registry is busy or the
/// connection drops.
const TRIES: u32 = 4;
/// The first wait before a retry; each later one doubles it.
const FIRST_WAIT: Duration = Duration::from_millis(500);
/// A `Retry-After` longer than this is not waited for: the error says so.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

pub struct Client {
    agent: Agent,
    reference: RegistryRef,
    /// `https://HOST` or, with `--tls-verify=false` and a registry that does not speak
    /// TLS, `http://HOST`.
    base: String,
    explicit_authfile: Option<std::path::PathBuf>,
    /// What the last challenge was answered with: the `Authorization` value.
    authorization: Mutex<Option<String>>,
    /// The credentials, looked up at the first challenge.
    credential: Mutex<Option<Option<Found>>>,
}

/// A response the caller reads, with what it needs of the headers.
pub struct Fetched {
    pub content_type: Option<String>,
    pub digest: Option<String>,
    pub length: Option<u64>,
    /// A 206 answer to a `Range` request.
    pub partial: bool,
    pub body: Body,
}

impl Client {
    pub fn new(reference: &RegistryRef, access: &RegistryAccess) -> Result<Client, ImageError> {
        let tls = ureq::tls::TlsConfig::builder()
            // The system's trust store (where an administrator adds a private CA), as
            // podman and docker use it; SSL_CERT_FILE and SSL_CERT_DIR are honoured.
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .disable_verification(!access.tls_verify)
            .build();
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(format!("preflight/{}", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            // Blobs are often redirected to a CDN or object store, which must not see
            // the registry's token (ureq's default: credentials dropped on redirect).
            .max_redirects(8)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            // A stalled transfer fails instead of hanging the scan; a slow one goes on.
            .timeout_per_read(Some(Duration::from_secs(120)))
            .build();
        let agent: Agent = config.into();
        let host = reference.api_host();
        let mut client = Client {
            agent,
            reference: reference.clone(),
            base: format!("https://{host}"),
            explicit_authfile: access.authfile.clone(),
            authorization: Mutex::new(None),
            credential: Mutex::new(None),
        };
        if !access.tls_verify {
            // As podman does with --tls-verify=false: HTTPS (unverified) when the
            // registry speaks it, else plain HTTP.
            let https = client.agent.get(format!("{}/v2/", client.base)).call();
            if https.is_err() {
                client.base = format!("http://{host}");
            }
        }
        Ok(client)
    }

    /// The manifest `reference` names (a tag or digest), in any of `accept`'s types.
    pub fn manifest(&self, reference: &str, accept: &str) -> Result<Fetched, ImageError> {
        let path = format!("/v2/{}/manifests/{reference}", self.reference.repository);
        self.fetch(&path, Some(accept), None, "manifest")
    }

    /// A blob by digest.
    pub fn blob(&self, digest: &str) -> Result<Fetched, ImageError> {
        self.blob_from(digest, 0)
    }

    /// A blob from byte `offset` on (a `Range` request; a registry that ignores it
    /// answers 200 with the whole blob, and `partial` is false).
    fn blob_from(&self, digest: &str, offset: u64) -> Result<Fetched, ImageError> {
        let path = format!("/v2/{}/blobs/{digest}", self.reference.repository);
        let range = (offset > 0).then(|| format!("bytes={offset}-"));
        self.fetch(&path, None, range.as_deref(), "blob")
    }

    fn fetch(
        &self,
        path: &str,
        accept: Option<&str>,
        range: Option<&str>,
        what: &str,
    ) -> Result<Fetched, ImageError> {
        let url = format!("{}{path}", self.base);
        let mut answered_challenge = false;
        let mut tries = 0;
        loop {
            tries += 1;
            let mut request = self.agent.get(&url);
            if let Some(accept) = accept {
                request = request.header("Accept", accept);
            }
            if let Some(range) = range {
                request = request.header("Range", range);
            }
            if let Some(value) = self.authorization.lock().unwrap().clone() {
                request = request.header("Authorization", value);
            }
            let response = match request.call() {
                Ok(r) => r,
                Err(e) if tries < TRIES && transient(&e) => {
                    std::thread::sleep(FIRST_WAIT * 2u32.pow(tries - 1));
                    continue;
                }
                Err(e) => return Err(self.transport_error(e, tries)),
            };
            let status = response.status().as_u16();
            match status {
                200..=299 => return Ok(fetched(response)),
                // A token expires (docker.io's after 5 minutes): a new challenge is
                // answered once per request.
                401 if !answered_challenge => {
                    answered_challenge = true;
                    let challenge =
                        header(&response, "www-authenticate").and_then(|h| Challenge::parse(&h));
                    self.answer(challenge)?;
                    continue;
                }
                429 | 500 | 502 | 503 | 504 if tries < TRIES => {
                    let wait = retry_after(&response).unwrap_or(FIRST_WAIT * 2u32.pow(tries - 1));
                    if wait <= MAX_RETRY_AFTER {
                        std::thread::sleep(wait);
                        continue;
                    }
                    return Err(self.status_error(response, what, tries));
                }
                _ => return Err(self.status_error(response, what, tries)),
            }
        }
    }
}

fn header(response: &Response<Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn retry_after(response: &Response<Body>) -> Option<Duration> {
    header(response, "retry-after")?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn fetched(response: Response<Body>) -> Fetched {
    let content_type = header(&response, "content-type")
        .map(|t| t.split(';').next().unwrap_or_default().trim().to_string());
    let digest = header(&response, "docker-content-digest");
    let length = header(&response, "content-length").and_then(|l| l.parse().ok());
    Fetched {
        partial: response.status().as_u16() == 206,
        content_type,
        digest,
        length,
        body: response.into_body(),
    }
}

/// Whether a failed request may pass when tried again: the connection, not the
/// request, failed.
fn transient(e: &ureq::Error) -> bool {
    match e {
        // Not HTTP at all (a TLS client talking to a plain HTTP server): it will not
        // pass.
        ureq::Error::Io(io) => io.kind() != io::ErrorKind::InvalidData,
        ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed => true,
        _ => false,
    }
}

impl Fetched {
    /// The body whole, up to `limit` bytes.
    pub fn bytes(mut self, limit: u64, what: &str) -> Result<Vec<u8>, ImageError> {
        self.body
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| invalid(format!("{what}: {}", excerpt(&e.to_string(), 200))))
    }
}

#[cfg(test)]
mod tests;
