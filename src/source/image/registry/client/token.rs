//! A registry's challenge answered (docker's token.md and oauth.md): a bearer token
//! from the challenge's realm for the repository's `pull` scope, asked with the
//! credentials found for the registry, or those credentials as basic authentication.

use super::{transient, Client, FIRST_WAIT, TRIES};
use crate::source::image::registry::auth::{lookup, Challenge, Credential, Found};
use crate::source::image::{invalid, ImageError};
use crate::text::excerpt;
use base64::Engine;

impl Client {
    pub(super) fn credential(&self) -> Result<Option<Found>, ImageError> {
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
    pub(super) fn answer(&self, challenge: Option<Challenge>) -> Result<(), ImageError> {
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
}

fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
    )
}
