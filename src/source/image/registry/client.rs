//! The OCI distribution API (distribution-spec, spec.md "Pull"), as much of it as a
//! pull needs: `GET /v2/NAME/manifests/REF` and `GET /v2/NAME/blobs/DIGEST`, with the
//! token flow of docker's registry (token.md: a 401 carries a `Bearer` challenge, whose
//! realm gives a token for the repository's `pull` scope) or basic authentication,
//! retries with back-off for what may pass (429, 5xx, a dropped connection), and an
//! error for each refusal that names the reference.

use super::auth::{lookup, Challenge, Credential, Found};
use super::reference::RegistryRef;
use super::RegistryAccess;
use crate::source::image::{invalid, ImageError};
use crate::text::excerpt;
use base64::Engine;
use std::io::{self, Read};
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

    fn credential(&self) -> Result<Option<Found>, ImageError> {
        let mut cached = self.credential.lock().unwrap();
        if cached.is_none() {
            let found = lookup(
                &self.reference.registry,
                &self.reference.repository,
                self.explicit_authfile.as_deref(),
            )
            .map_err(|e| invalid(format!("{}: {e}", self.reference)))?;
            *cached = Some(found);
        }
        Ok(cached.clone().flatten())
    }

    /// Answers a 401's challenge: a bearer token from its realm, or basic credentials.
    fn answer(&self, challenge: Option<Challenge>) -> Result<(), ImageError> {
        let found = self.credential()?;
        let value = match challenge {
            Some(c) if c.scheme == "bearer" => Some(self.token(&c, found.as_ref())?),
            Some(c) if c.scheme == "basic" => match found.as_ref().map(|f| &f.credential) {
                Some(Credential::Basic { username, password }) => Some(basic(username, password)),
                _ => None,
            },
            _ => None,
        };
        // Without an answer, the request is sent again as it was and its 401 reported.
        *self.authorization.lock().unwrap() = value;
        Ok(())
    }

    /// token.md: GET REALM?service=…&scope=… (with basic credentials when there are
    /// some), or oauth.md's POST with a refresh token; `token` or `access_token`.
    fn token(&self, challenge: &Challenge, found: Option<&Found>) -> Result<String, ImageError> {
        let realm = challenge.param("realm").unwrap_or_default();
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(invalid(format!(
                "{}: the registry's token realm `{}` is not an HTTP URL",
                self.reference,
                excerpt(realm, 120)
            )));
        }
        let default_scope = format!("repository:{}:pull", self.reference.repository);
        let scope = challenge.param("scope").unwrap_or(&default_scope);
        let service = challenge.param("service").unwrap_or_default();
        let mut tries = 0;
        let response = loop {
            tries += 1;
            let result = match found.map(|f| &f.credential) {
                Some(Credential::IdentityToken(refresh)) => self.agent.post(realm).send_form([
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.as_str()),
                    ("service", service),
                    ("scope", scope),
                    ("client_id", "preflight"),
                ]),
                credential => {
                    let mut request = self.agent.get(realm).query("scope", scope);
                    if !service.is_empty() {
                        request = request.query("service", service);
                    }
                    if let Some(Credential::Basic { username, password }) = credential {
                        request = request.header("Authorization", basic(username, password));
                    }
                    request.call()
                }
            };
            match result {
                Ok(r)
                    if matches!(r.status().as_u16(), 429 | 500 | 502 | 503 | 504)
                        && tries < TRIES =>
                {
                    std::thread::sleep(FIRST_WAIT * 2u32.pow(tries - 1));
                }
                Ok(r) => break r,
                Err(e) if tries < TRIES && transient(&e) => {
                    std::thread::sleep(FIRST_WAIT * 2u32.pow(tries - 1));
                }
                Err(e) => return Err(self.transport_error(e, tries)),
            }
        };
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            return Err(invalid(format!(
                "{}: {status} from the registry's token service {}: {}",
                self.reference,
                excerpt(realm, 120),
                self.credential_words(found)
            )));
        }
        if !(200..300).contains(&status) {
            return Err(self.status_error(response, "token", tries));
        }
        let body: serde_json::Value = response
            .into_body()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            .map_err(|e| {
                invalid(format!(
                    "{}: the token service's answer: {}",
                    self.reference,
                    excerpt(&e.to_string(), 160)
                ))
            })?;
        let token = body["token"]
            .as_str()
            .or_else(|| body["access_token"].as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                invalid(format!(
                    "{}: the token service answered no token",
                    self.reference
                ))
            })?;
        Ok(format!("Bearer {token}"))
    }

    /// Which credentials were sent, for a refusal.
    fn credential_words(&self, found: Option<&Found>) -> String {
        match found {
            None => format!(
                "no credentials for {} were found (log in with `podman login {}` or `docker login {}`, or name an auth file with --authfile)",
                self.reference.registry, self.reference.registry, self.reference.registry
            ),
            Some(Found {
                credential: Credential::Basic { username, .. },
                origin,
            }) => format!(
                "the credentials of user {} (from {origin}) were refused",
                excerpt(username, 60)
            ),
            Some(Found { origin, .. }) => {
                format!("the identity token from {origin} was refused")
            }
        }
    }

    fn status_error(&self, response: Response<Body>, what: &str, tries: u32) -> ImageError {
        let status = response.status();
        let code = status.as_u16();
        let (_, mut body) = response.into_parts();
        // distribution-spec's error body: {"errors": [{"code", "message", "detail"}]}.
        let said = body
            .with_config()
            .limit(64 << 10)
            .read_to_vec()
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| {
                let e = &v["errors"][0];
                let code = e["code"].as_str()?;
                Some(match e["message"].as_str() {
                    Some(m) => format!("{code}: {m}"),
                    None => code.to_string(),
                })
            })
            .map(|s| format!(" ({})", excerpt(&s, 160)))
            .unwrap_or_default();
        let reference = &self.reference;
        let message = match code {
            401 => {
                let found = self.credential().ok().flatten();
                format!(
                    "{reference}: 401 Unauthorized{said}: {}",
                    self.credential_words(found.as_ref())
                )
            }
            403 => format!(
                "{reference}: 403 Forbidden{said}: the registry refuses to let {} pull {}",
                match self.credential().ok().flatten() {
                    Some(f) => format!("the credentials from {}", f.origin),
                    None => "an anonymous client".to_string(),
                },
                reference.repository
            ),
            404 if what == "manifest" => format!(
                "{reference}: 404 Not Found{said}: no such image in {} (check the repository and the tag or digest)",
                reference.registry
            ),
            404 => format!(
                "{reference}: 404 Not Found{said}: the {what} is missing from the registry"
            ),
            429 => format!(
                "{reference}: 429 Too Many Requests{said} after {tries} tries: the registry limits pulls; wait and try again, or log in (anonymous pulls have the lowest limits)"
            ),
            _ => format!(
                "{reference}: HTTP {code} {}{said} for the {what}{}",
                status.canonical_reason().unwrap_or(""),
                if tries > 1 {
                    format!(" after {tries} tries")
                } else {
                    String::new()
                }
            ),
        };
        invalid(message)
    }

    fn transport_error(&self, e: ureq::Error, tries: u32) -> ImageError {
        let text = excerpt(&e.to_string(), 200);
        let hint = match &e {
            ureq::Error::Rustls(_) | ureq::Error::Tls(_) => {
                " (a self-signed certificate or a private CA? add it to the system's trust store, or point SSL_CERT_FILE at it; --tls-verify=false skips verification)"
            }
            ureq::Error::Io(io) if io.kind() == io::ErrorKind::InvalidData => {
                " (a registry serving plain HTTP? --tls-verify=false allows it)"
            }
            _ => "",
        };
        let after = if tries > 1 {
            format!(" (after {tries} tries)")
        } else {
            String::new()
        };
        invalid(format!(
            "{}: cannot reach {}: {text}{hint}{after}",
            self.reference, self.base
        ))
    }
}

fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    /// A registry on 127.0.0.1 that answers each HTTP request with the next canned
    /// response (and closes the connection), recording the requests' first line and
    /// Authorization and Range headers. A TLS hello (the --tls-verify=false probe) is dropped.
    fn canned(responses: impl FnOnce(u16) -> Vec<String>) -> (u16, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let responses = responses(port);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            let mut responses = responses.into_iter();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() || !first.starts_with("GET") {
                    continue;
                }
                let mut authorization = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if lower.starts_with("authorization:") || lower.starts_with("range:") {
                        authorization += line.trim_end();
                    }
                }
                log.lock()
                    .unwrap()
                    .push(format!("{} {authorization}", first.trim_end()));
                let Some(response) = responses.next() else {
                    return;
                };
                let _ = stream.write_all(response.as_bytes());
            }
        });
        (port, seen)
    }

    fn response(status: &str, headers: &[&str], body: &str) -> String {
        let mut text = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for h in headers {
            text += &format!("{h}\r\n");
        }
        text + "\r\n" + body
    }

    /// A client with no credentials (an empty auth file, kept while the client is),
    /// for `port`.
    fn client(port: u16) -> (Client, tempfile::NamedTempFile) {
        let auth = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(auth.path(), "{}").unwrap();
        let reference = RegistryRef::parse(&format!("registry:127.0.0.1:{port}/org/app:1"))
            .unwrap()
            .unwrap();
        let client = Client::new(
            &reference,
            &RegistryAccess {
                tls_verify: false,
                authfile: Some(auth.path().to_path_buf()),
            },
        )
        .unwrap();
        (client, auth)
    }

    #[test]
    fn busy_registries_are_retried_then_named() {
        let busy = response("429 Too Many Requests", &["Retry-After: 0"], "");
        let (port, seen) = canned(|_| {
            vec![
                response("503 Service Unavailable", &["Retry-After: 0"], ""),
                busy.clone(),
                response("200 OK", &[], "{}"),
            ]
        });
        let body = client(port)
            .0
            .manifest("1", "*/*")
            .unwrap()
            .bytes(100, "m")
            .unwrap();
        assert_eq!(body, b"{}");
        assert_eq!(seen.lock().unwrap().len(), 3);
        // Still busy after every try: the error names the reference and the limit.
        let (port, _) = canned(|_| vec![busy; 4]);
        let e = client(port)
            .0
            .manifest("1", "*/*")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains(&format!("127.0.0.1:{port}/org/app:1"))
                && e.contains("429 Too Many Requests")
                && e.contains("after 4 tries"),
            "{e}"
        );
    }

    #[test]
    fn a_bearer_challenge_is_answered_with_a_token_for_the_pull_scope() {
        let (port, seen) = canned(|port| {
            let challenge = format!(
                r#"WWW-Authenticate: Bearer realm="http://127.0.0.1:{port}/token",service="test registry""#
            );
            vec![
                response("401 Unauthorized", &[&challenge], ""),
                response("200 OK", &[], r#"{"token":"t0k3n"}"#),
                response("200 OK", &[], "{}"),
            ]
        });
        let body = client(port)
            .0
            .manifest("1", "*/*")
            .unwrap()
            .bytes(100, "m")
            .unwrap();
        assert_eq!(body, b"{}");
        let seen = seen.lock().unwrap();
        assert_eq!(
            *seen,
            [
                "GET /v2/org/app/manifests/1 HTTP/1.1 ".to_string(),
                "GET /token?scope=repository%3Aorg%2Fapp%3Apull&service=test%20registry HTTP/1.1 "
                    .to_string(),
                "GET /v2/org/app/manifests/1 HTTP/1.1 authorization: Bearer t0k3n".to_string(),
            ]
        );
    }

    #[test]
    fn a_layer_cut_mid_transfer_is_resumed_where_it_stopped() {
        let digest = format!("sha256:{}", "0".repeat(64));
        let (port, seen) = canned(|_| {
            vec![
                // Declares 10 bytes, sends 4, closes.
                "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123".into(),
                response("206 Partial Content", &[], "456789"),
            ]
        });
        let (client, _auth) = client(port);
        let client = std::sync::Arc::new(client);
        let first = client.blob(&digest).unwrap();
        let mut stream = LayerStream::new(client, &digest, 10, first);
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes, b"0123456789");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert!(seen[1].ends_with("range: bytes=4-"), "{seen:?}");
    }

    #[test]
    fn refusals_name_the_reference_and_the_way_out() {
        let (port, _) = canned(|_| {
            vec![
                response(
                    "401 Unauthorized",
                    &[r#"WWW-Authenticate: Basic realm="r""#],
                    "",
                ),
                response(
                    "401 Unauthorized",
                    &[r#"WWW-Authenticate: Basic realm="r""#],
                    "",
                ),
                response(
                    "403 Forbidden",
                    &[],
                    r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
                ),
            ]
        });
        let (client, _auth) = client(port);
        let e = client.manifest("1", "*/*").err().unwrap().to_string();
        assert!(
            e.starts_with(&format!("127.0.0.1:{port}/org/app:1: 401 Unauthorized"))
                && e.contains("no credentials for 127.0.0.1")
                && e.contains("--authfile"),
            "{e}"
        );
        let e = client.manifest("1", "*/*").err().unwrap().to_string();
        assert!(
            e.contains("403 Forbidden (DENIED: requested access to the resource is denied)")
                && e.contains("an anonymous client")
                && e.contains("org/app"),
            "{e}"
        );
    }
}
