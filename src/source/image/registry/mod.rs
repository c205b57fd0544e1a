//! Images pulled straight from a registry (`registry:HOST/REPO[:TAG|@DIGEST]`,
//! `docker://…`) over the OCI distribution API: no daemon, no skopeo, nothing written
//! to disk but what a local image writes (a binary larger than the in-memory limit).
//! The manifest (or the index, then the platform's manifest) and the config are read
//! whole and checked against their digests; each layer is streamed from the registry
//! through its digest check into the same layer merge a local image goes through, so
//! memory is bounded by the largest binary read, not by the image.

mod auth;
mod client;
mod reference;

pub use reference::{RegistryRef, Target, PREFIXES};

use super::blobs::{Verifying, MAX_JSON};
use super::layers::apply_layer;
use super::limits::ImageLimits;
use super::manifest::{
    choose_manifest, descriptor_digest, image_layers, platform_name, platform_of, INDEX_TYPES,
};
use super::{invalid, Image, ImageError, MergedTree};
use crate::text::excerpt;
use client::{Client, LayerStream};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// How to reach registries: `--tls-verify`, `--authfile`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryAccess {
    /// Verify the registry's TLS certificate (podman's `--tls-verify`, on by
    /// default); off, a registry without TLS is reached over plain HTTP.
    pub tls_verify: bool,
    /// The auth file to read instead of the default ones.
    pub authfile: Option<PathBuf>,
}

impl Default for RegistryAccess {
    fn default() -> Self {
        RegistryAccess {
            tls_verify: true,
            authfile: None,
        }
    }
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// What a pull accepts, indexes first (the registry then answers a multi-platform tag
/// with its index rather than converting it).
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
const IMAGE_CONFIGS: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];
/// The platform chosen in a multi-platform image when none is asked for: docker's
/// default, and the one preflight's checks default to.
const DEFAULT_PLATFORM: &str = "linux/amd64";

/// Pulls and merges the image `reference` names; `spec` is how the user wrote it.
pub(crate) fn open(
    spec: &str,
    reference: &RegistryRef,
    platform: Option<&str>,
    limits: ImageLimits,
    access: &RegistryAccess,
) -> Result<Image, ImageError> {
    let client = std::sync::Arc::new(Client::new(reference, access)?);
    let pinned = match &reference.target {
        Target::Digest(d) => Some(d.as_str()),
        Target::Tag(_) => None,
    };
    let top = manifest(&client, reference, reference.reference(), pinned)?;
    let (manifest_doc, descriptor) = if is_index(&top) {
        let entries = expand(&client, reference, &top)?;
        let wanted = platform.or_else(|| {
            // Several platforms and none asked for: linux/amd64 when the image has it.
            let images: Vec<&Value> = entries
                .iter()
                .filter(|m| m["platform"]["os"].as_str() != Some("unknown"))
                .collect();
            (images.len() > 1
                && images
                    .iter()
                    .any(|m| platform_name(m).as_deref() == Some(DEFAULT_PLATFORM)))
            .then_some(DEFAULT_PLATFORM)
        });
        let descriptor =
            choose_manifest(entries, wanted).map_err(|e| invalid(format!("{reference}: {e}")))?;
        let digest = descriptor_digest(&descriptor)?;
        (
            manifest(&client, reference, &digest, Some(&digest))?,
            Some(descriptor),
        )
    } else {
        (top, None)
    };
    if is_index(&manifest_doc) {
        return Err(invalid(format!(
            "{reference}: an index where a platform's manifest was expected"
        )));
    }
    let config_descriptor = &manifest_doc["config"];
    if let Some(kind) = config_descriptor["mediaType"].as_str() {
        if !IMAGE_CONFIGS.contains(&kind) {
            return Err(invalid(format!(
                "{reference}: not a container image (an artifact whose config is {}); preflight reads container images",
                excerpt(kind, 120)
            )));
        }
    }
    let config_digest = descriptor_digest(config_descriptor)?;
    let config_bytes = client.blob(&config_digest)?.bytes(MAX_JSON, "config")?;
    check_digest(&config_bytes, &config_digest, reference, "config")?;
    let config: Value = serde_json::from_slice(&config_bytes).map_err(|e| {
        invalid(format!(
            "{reference}: the config is not JSON: {}",
            excerpt(&e.to_string(), 160)
        ))
    })?;
    let layers = image_layers(&manifest_doc).map_err(|e| invalid(format!("{reference}: {e}")))?;
    let sizes: Vec<u64> = manifest_doc["layers"]
        .as_array()
        .map(|l| l.iter().map(|d| d["size"].as_u64().unwrap_or(0)).collect())
        .unwrap_or_default();
    let mut tree = MergedTree::default();
    tree.spill.limits = limits;
    for (index, layer) in layers.iter().enumerate() {
        let digest = layer.digest.as_deref().unwrap_or_default();
        let label = layer.label();
        let size = sizes.get(index).copied().unwrap_or(0);
        let fetched = client.blob(digest)?;
        if let Some(length) = fetched.length.filter(|l| *l != size) {
            return Err(invalid(format!(
                "{reference}: layer {label}: the registry sends {length} bytes for a layer the manifest says has {size}"
            )));
        }
        let stream = LayerStream::new(client.clone(), digest, size, fetched);
        let verified = Verifying::new(Box::new(stream), digest, &label)?;
        apply_layer(&mut tree, index, &label, Box::new(verified))
            .map_err(|e| invalid(format!("{reference}: {e}")))?;
    }
    Ok(Image {
        name: spec.to_string(),
        tree,
        platform: platform_of(&config).or_else(|| descriptor.as_ref().and_then(platform_name)),
    })
}

fn is_index(doc: &Value) -> bool {
    doc["mediaType"]
        .as_str()
        .is_some_and(|m| INDEX_TYPES.contains(&m))
        || (doc["mediaType"].is_null() && doc["manifests"].is_array())
}

/// A manifest or index by tag or digest, read whole, checked against the digest it
/// was asked by (`pinned`) or that the registry gave, and parsed.
fn manifest(
    client: &Client,
    reference: &RegistryRef,
    name: &str,
    pinned: Option<&str>,
) -> Result<Value, ImageError> {
    let fetched = client.manifest(name, ACCEPT)?;
    let content_type = fetched.content_type.clone().unwrap_or_default();
    let given = fetched.digest.clone().filter(|d| d.starts_with("sha256:"));
    let bytes = fetched.bytes(MAX_JSON, "manifest")?;
    if let Some(digest) = pinned.map(str::to_string).or(given) {
        check_digest(&bytes, &digest, reference, "manifest")?;
    }
    let doc: Value = serde_json::from_slice(&bytes).map_err(|e| {
        invalid(format!(
            "{reference}: the manifest is not JSON: {}",
            excerpt(&e.to_string(), 160)
        ))
    })?;
    if doc["schemaVersion"].as_u64() == Some(1)
        || content_type.starts_with("application/vnd.docker.distribution.manifest.v1")
    {
        return Err(invalid(format!(
            "{reference}: a Docker schema 1 manifest (deprecated since 2017, unsupported); push the image again with a current docker, podman or skopeo"
        )));
    }
    let media = doc["mediaType"].as_str().unwrap_or(&content_type);
    if !(media.is_empty()
        || INDEX_TYPES.contains(&media)
        || media == OCI_MANIFEST
        || media == DOCKER_MANIFEST)
    {
        return Err(invalid(format!(
            "{reference}: a manifest of type {}, not an image manifest or index",
            excerpt(media, 120)
        )));
    }
    Ok(doc)
}

/// The entries of an index, nested indexes fetched and expanded.
fn expand(
    client: &Client,
    reference: &RegistryRef,
    index: &Value,
) -> Result<Vec<Value>, ImageError> {
    let mut pending: Vec<Value> = index["manifests"].as_array().cloned().unwrap_or_default();
    pending.reverse();
    let mut entries = Vec::new();
    let mut nested = 0;
    while let Some(entry) = pending.pop() {
        let media = entry["mediaType"].as_str().unwrap_or_default();
        if INDEX_TYPES.contains(&media) {
            nested += 1;
            if nested > 8 {
                return Err(invalid(format!("{reference}: indexes nested too deep")));
            }
            let digest = descriptor_digest(&entry)?;
            let inner = manifest(client, reference, &digest, Some(&digest))?;
            let mut more = inner["manifests"].as_array().cloned().unwrap_or_default();
            more.reverse();
            pending.extend(more);
        } else {
            entries.push(entry);
        }
    }
    Ok(entries)
}

fn check_digest(
    bytes: &[u8],
    digest: &str,
    reference: &RegistryRef,
    what: &str,
) -> Result<(), ImageError> {
    let actual: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if digest.strip_prefix("sha256:") != Some(actual.as_str()) {
        return Err(invalid(format!(
            "{reference}: the {what} does not match its digest: {} expected, sha256:{actual} received",
            excerpt(digest, 80)
        )));
    }
    Ok(())
}
