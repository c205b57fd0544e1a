//! Each refusal or failure of a registry as an error that names the reference and the
//! way out: which credentials were refused, what the registry's error body said, and
//! for a connection that fails, what to check.

use super::Client;
use crate::source::image::registry::auth::{Credential, Found};
use crate::source::image::{invalid, ImageError};
use crate::text::excerpt;
use std::io;
use ureq::http::Response;
use ureq::Body;

impl Client {
    /// Which credentials were sent, for a refusal.
    pub(super) fn credential_words(&self, found: Option<&Found>) -> String {
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

    pub(super) fn status_error(
        &self,
        response: Response<Body>,
        what: &str,
        tries: u32,
    ) -> ImageError {
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

    pub(super) fn transport_error(&self, e: ureq::Error, tries: u32) -> ImageError {
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
