//! An image in a registry, named as docker, podman and skopeo name it:
//! `registry:HOST/REPO[:TAG|@sha256:DIGEST]` or skopeo's `docker://…`, with docker's
//! normalization of short names (distribution/reference, normalize.go): a first
//! component without a `.` or `:` (and not `localhost`) is a path on Docker Hub, and a
//! one-component name there is an official image under `library/`.

use crate::source::image::{invalid, ImageError};
use crate::text::excerpt;
use std::fmt;

/// The prefixes that name a registry image.
pub const PREFIXES: [&str; 2] = ["registry:", "docker://"];

/// Docker Hub as references name it, and the host its API is served from.
const HUB: &str = "docker.io";
const HUB_API: &str = "registry-1.docker.io";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRef {
    /// The registry as named (`docker.io`, `ghcr.io`, `127.0.0.1:5000`): the key of
    /// its credentials.
    pub registry: String,
    /// The repository (`library/ubuntu`).
    pub repository: String,
    /// A tag or a digest.
    pub target: Target,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Tag(String),
    /// `sha256:HEX`.
    Digest(String),
}

impl RegistryRef {
    /// Parses what follows `registry:` or `docker://` (None when `spec` has neither).
    pub fn parse(spec: &str) -> Option<Result<RegistryRef, ImageError>> {
        let rest = PREFIXES.iter().find_map(|p| spec.strip_prefix(p))?;
        Some(parse_name(rest).map_err(|why| {
            invalid(format!(
                "{}: not a registry reference ({why}); expected registry:HOST/REPO[:TAG|@sha256:DIGEST], e.g. registry:ghcr.io/org/app:1.2 or registry:ubuntu:24.04",
                excerpt(spec, 200)
            ))
        }))
    }

    /// The host of the registry's API.
    pub fn api_host(&self) -> &str {
        if self.registry == HUB {
            HUB_API
        } else {
            &self.registry
        }
    }

    /// The tag or digest, as the manifest URL takes it.
    pub fn reference(&self) -> &str {
        match &self.target {
            Target::Tag(t) | Target::Digest(t) => t,
        }
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        match &self.target {
            Target::Tag(t) => write!(f, ":{t}"),
            Target::Digest(d) => write!(f, "@{d}"),
        }
    }
}

fn parse_name(name: &str) -> Result<RegistryRef, String> {
    if name.is_empty() {
        return Err("no image named".into());
    }
    let (name, digest) = match name.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (name, None),
    };
    // A tag follows the last ':' of the last component (a ':' before a '/' is a port).
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    let (registry, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (HUB.to_string(), name.to_string()),
    };
    let registry = if registry == "index.docker.io" {
        HUB.to_string()
    } else {
        registry
    };
    let repository = if registry == HUB && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    if registry.is_empty()
        || !registry
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    {
        return Err(format!("bad registry host `{}`", excerpt(&registry, 80)));
    }
    // distribution/reference: path components of lowercase letters and digits, joined
    // by '.', '_', '__' or runs of '-'.
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
    };
    if repository.len() > 255 || !repository.split('/').all(component_ok) {
        return Err(format!(
            "bad repository name `{}` (lowercase letters, digits, '.', '_', '-', '/')",
            excerpt(&repository, 120)
        ));
    }
    let target = match (tag, digest) {
        (_, Some(digest)) => {
            let hex = digest.strip_prefix("sha256:").unwrap_or("");
            if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(format!(
                    "bad digest `{}` (sha256: and 64 lowercase hex digits)",
                    excerpt(digest, 80)
                ));
            }
            // A tag beside a digest is ignored, as docker does: the digest decides.
            Target::Digest(digest.to_string())
        }
        (Some(tag), None) => {
            let ok = !tag.is_empty()
                && tag.len() <= 128
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
                && !tag.starts_with(['.', '-']);
            if !ok {
                return Err(format!("bad tag `{}`", excerpt(tag, 80)));
            }
            Target::Tag(tag.to_string())
        }
        (None, None) => Target::Tag("latest".into()),
    };
    Ok(RegistryRef {
        registry,
        repository,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(spec: &str) -> RegistryRef {
        RegistryRef::parse(spec).unwrap().unwrap()
    }

    #[test]
    fn short_names_go_to_docker_hub() {
        let r = parsed("registry:ubuntu:24.04");
        assert_eq!(r.to_string(), "docker.io/library/ubuntu:24.04");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(
            parsed("docker://bitnami/redis").to_string(),
            "docker.io/bitnami/redis:latest"
        );
        assert_eq!(
            parsed("registry:index.docker.io/library/debian:12").to_string(),
            "docker.io/library/debian:12"
        );
    }

    #[test]
    fn hosts_ports_tags_and_digests() {
        let r = parsed("registry:127.0.0.1:5000/fixture/app:1");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.reference()),
            ("127.0.0.1:5000", "fixture/app", "1")
        );
        let r = parsed("registry:localhost/app");
        assert_eq!(
            (r.registry.as_str(), r.reference()),
            ("localhost", "latest")
        );
        let digest = format!("sha256:{}", "ab".repeat(32));
        let r = parsed(&format!("docker://ghcr.io/org/app:1.2@{digest}"));
        assert_eq!(r.target, Target::Digest(digest.clone()));
        assert_eq!(r.to_string(), format!("ghcr.io/org/app@{digest}"));
    }

    #[test]
    fn malformed_references_say_what_is_wrong() {
        assert!(RegistryRef::parse("./dist").is_none());
        for (spec, why) in [
            ("registry:", "no image named"),
            ("registry:Ubuntu", "bad repository"),
            ("registry:ubuntu:", "bad tag"),
            ("registry:ubuntu@sha256:12", "bad digest"),
            ("registry:ghcr.io/org//app", "bad repository"),
        ] {
            let e = RegistryRef::parse(spec).unwrap().unwrap_err().to_string();
            assert!(e.contains(why) && e.contains(spec), "{spec}: {e}");
        }
    }
}
