//! Credentials for a registry, found where podman and docker keep them
//! (containers-auth.json(5)): `--authfile FILE` or `$REGISTRY_AUTH_FILE` alone when
//! given, else `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `$XDG_CONFIG_HOME/containers/auth.json` (default `~/.config`), then docker's
//! `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`). In each file a
//! credential helper named for the registry (`credHelpers`) comes first, then an
//! `auths` entry (the most specific of `host/repo/path`, …, `host`), then the file's
//! `credsStore` helper. And the challenge a registry answers 401 with
//! (`WWW-Authenticate`, RFC 7235).

use base64::Engine;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What the user logged in with.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Basic {
        username: String,
        password: String,
    },
    /// An identity (refresh) token, exchanged for an access token (docker login's
    /// OAuth2 flow: `identitytoken`, or a helper's `<token>` user).
    IdentityToken(String),
}

impl std::fmt::Debug for Credential {
    // Never print a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Credential::IdentityToken(_) => f.write_str("IdentityToken(***)"),
        }
    }
}

/// Where credentials were found, for messages ("from ~/.docker/config.json").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub credential: Credential,
    pub origin: String,
}

/// The files to read, in order.
pub fn auth_files(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(path) = explicit {
        return vec![path.to_path_buf()];
    }
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = env("REGISTRY_AUTH_FILE") {
        return vec![PathBuf::from(path)];
    }
    let home = env("HOME").map(PathBuf::from);
    let mut files = Vec::new();
    if let Some(runtime) = env("XDG_RUNTIME_DIR") {
        files.push(PathBuf::from(runtime).join("containers/auth.json"));
    }
    match (env("XDG_CONFIG_HOME"), &home) {
        (Some(config), _) => files.push(PathBuf::from(config).join("containers/auth.json")),
        (None, Some(home)) => files.push(home.join(".config/containers/auth.json")),
        _ => {}
    }
    match (env("DOCKER_CONFIG"), &home) {
        (Some(dir), _) => files.push(PathBuf::from(dir).join("config.json")),
        (None, Some(home)) => files.push(home.join(".docker/config.json")),
        _ => {}
    }
    files
}

/// The credentials for `registry`/`repository`, from the first file that has some.
/// A file given explicitly must exist; the default ones may not. Err names the file
/// or helper that failed.
pub fn lookup(
    registry: &str,
    repository: &str,
    explicit: Option<&Path>,
) -> Result<Option<Found>, String> {
    for file in auth_files(explicit) {
        let text = match std::fs::read(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => continue,
            Err(e) => return Err(format!("auth file {}: {e}", file.display())),
        };
        let config: Value = serde_json::from_slice(&text)
            .map_err(|e| format!("auth file {}: invalid JSON: {e}", file.display()))?;
        if let Some(found) = in_file(&config, &file, registry, repository)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

fn in_file(
    config: &Value,
    file: &Path,
    registry: &str,
    repository: &str,
) -> Result<Option<Found>, String> {
    let origin = file.display().to_string();
    if let Some(helper) = config["credHelpers"][registry].as_str() {
        return helper_get(helper, registry, &origin);
    }
    // The most specific key first: host/a/b/c, host/a/b, host/a, host.
    let mut keys = Vec::new();
    let mut scope = format!("{registry}/{repository}");
    loop {
        keys.push(scope.clone());
        match scope.rsplit_once('/') {
            Some((parent, _)) => scope = parent.to_string(),
            None => break,
        }
    }
    if let Some(auths) = config["auths"].as_object() {
        for key in &keys {
            let entry = auths
                .iter()
                .find(|(k, _)| normalize_key(k) == *key)
                .map(|(_, v)| v);
            let Some(entry) = entry else { continue };
            if let Some(token) = entry["identitytoken"].as_str().filter(|t| !t.is_empty()) {
                return Ok(Some(Found {
                    credential: Credential::IdentityToken(token.to_string()),
                    origin,
                }));
            }
            if let Some(auth) = entry["auth"].as_str().filter(|a| !a.is_empty()) {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(auth.trim())
                    .ok()
                    .and_then(|d| String::from_utf8(d).ok())
                    .ok_or_else(|| {
                        format!("auth file {origin}: the `auth` of {key} is not base64 of user:password")
                    })?;
                let (username, password) = decoded.split_once(':').ok_or_else(|| {
                    format!(
                        "auth file {origin}: the `auth` of {key} is not base64 of user:password"
                    )
                })?;
                return Ok(Some(Found {
                    credential: Credential::Basic {
                        username: username.to_string(),
                        password: password.to_string(),
                    },
                    origin,
                }));
            }
        }
    }
    if let Some(helper) = config["credsStore"].as_str().filter(|h| !h.is_empty()) {
        return helper_get(helper, registry, &origin);
    }
    Ok(None)
}

/// An `auths` key as docker and podman write it: `host[/path]`, or docker's legacy
/// URL form (`https://index.docker.io/v1/`), whose path is not a repository.
fn normalize_key(key: &str) -> String {
    let (had_scheme, rest) = match key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
    {
        Some(rest) => (true, rest),
        None => (false, key),
    };
    let rest = if had_scheme {
        rest.split('/').next().unwrap_or(rest)
    } else {
        rest.trim_end_matches('/')
    };
    match rest.split_once('/') {
        Some((host, path)) => format!("{}/{path}", hub_name(host)),
        None => hub_name(rest).to_string(),
    }
}

fn hub_name(host: &str) -> &str {
    match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io",
        other => other,
    }
}

/// Runs `docker-credential-HELPER get` (the docker-credential-helpers protocol: the
/// server on standard input, `{"Username", "Secret"}` on standard output).
fn helper_get(helper: &str, registry: &str, origin: &str) -> Result<Option<Found>, String> {
    if !helper
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(format!(
            "auth file {origin}: credential helper name `{}` is not a plain name",
            crate::text::excerpt(helper, 60)
        ));
    }
    let program = format!("docker-credential-{helper}");
    // Docker Hub's credentials are stored under its legacy URL.
    let server = if registry == "docker.io" {
        "https://index.docker.io/v1/"
    } else {
        registry
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("credential helper {program} (configured in {origin}): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("credential helper {program}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        // The protocol's answer for "nothing stored for this server".
        if stdout.contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!(
            "credential helper {program} failed ({}): {}",
            output.status,
            crate::text::excerpt(String::from_utf8_lossy(&output.stderr).trim_end(), 200)
        ));
    }
    let answer: Value = serde_json::from_str(&stdout)
        .map_err(|e| format!("credential helper {program}: invalid answer: {e}"))?;
    let username = answer["Username"].as_str().unwrap_or_default();
    let secret = answer["Secret"].as_str().unwrap_or_default();
    let origin = format!("credential helper {program}");
    Ok(Some(Found {
        credential: if username == "<token>" {
            Credential::IdentityToken(secret.to_string())
        } else {
            Credential::Basic {
                username: username.to_string(),
                password: secret.to_string(),
            }
        },
        origin,
    }))
}

/// A `WWW-Authenticate` challenge: its scheme (lowercase) and parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Bearer realm="…",service="…",scope="…"`: quoted values may hold commas.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.is_empty() {
            return None;
        }
        let mut params = Vec::new();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
                chars.next();
            }
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            if key.is_empty() {
                break;
            }
            let mut value = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                value = chars.by_ref().take_while(|c| *c != ',').collect();
            }
            params.push((key.trim().to_string(), value.trim().to_string()));
        }
        Some(Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_with_quoted_commas() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(
            c.param("scope"),
            Some("repository:library/ubuntu:pull,push")
        );
        let c = Challenge::parse(r#"Basic realm="basic-realm""#).unwrap();
        assert_eq!(
            (c.scheme.as_str(), c.param("realm")),
            ("basic", Some("basic-realm"))
        );
    }

    #[test]
    fn auth_file_entries_most_specific_first() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("auth.json");
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        std::fs::write(
            &file,
            serde_json::json!({"auths": {
                "https://index.docker.io/v1/": {"auth": b64("hub:one")},
                "ghcr.io": {"auth": b64("gh:two")},
                "ghcr.io/org/app": {"auth": b64("app:three")},
                "quay.io": {"identitytoken": "refresh"},
            }})
            .to_string(),
        )
        .unwrap();
        let user = |registry: &str, repo: &str| match lookup(registry, repo, Some(&file))
            .unwrap()
            .map(|f| f.credential)
        {
            Some(Credential::Basic { username, password }) => format!("{username}:{password}"),
            Some(Credential::IdentityToken(t)) => format!("token:{t}"),
            None => "none".into(),
        };
        assert_eq!(user("docker.io", "library/ubuntu"), "hub:one");
        assert_eq!(user("ghcr.io", "org/app"), "app:three");
        assert_eq!(user("ghcr.io", "org/other"), "gh:two");
        assert_eq!(user("quay.io", "x/y"), "token:refresh");
        assert_eq!(user("127.0.0.1:5000", "x"), "none");
        let missing = dir.path().join("nope.json");
        assert!(lookup("ghcr.io", "a", Some(&missing))
            .unwrap_err()
            .contains("nope.json"));
    }

    #[test]
    fn a_missing_credential_helper_is_named() {
        let config = serde_json::json!({"credHelpers": {"ghcr.io": "preflight-no-such-helper"}});
        let e = in_file(&config, Path::new("cfg.json"), "ghcr.io", "a/b").unwrap_err();
        assert!(
            e.contains("docker-credential-preflight-no-such-helper") && e.contains("cfg.json"),
            "{e}"
        );
    }
}
