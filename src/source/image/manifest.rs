//! Which layers make the image: docker's manifest.json, or the OCI index and manifest
//! (image-spec image-index.md, manifest.md), choosing by tag and platform.

use super::blobs::{blob_path, BlobStore};
use super::{invalid, ImageError};
use crate::text::excerpt;
use serde_json::Value;

pub(crate) struct LayerRef {
    /// Its name in the store.
    pub blob: String,
    /// The digest its bytes must have, when known.
    pub digest: Option<String>,
}

impl LayerRef {
    /// How findings and errors name the layer: its short digest, else its name.
    pub fn label(&self) -> String {
        match &self.digest {
            Some(d) => excerpt(
                &d.chars().take("sha256:".len() + 12).collect::<String>(),
                40,
            ),
            None => excerpt(&self.blob, 80),
        }
    }
}

pub(crate) struct Chosen {
    pub layers: Vec<LayerRef>,
    pub platform: Option<String>,
}

const REF_NAME: &str = "org.opencontainers.image.ref.name";
pub(crate) const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

pub(crate) fn platform_of(config: &Value) -> Option<String> {
    let os = config.get("os")?.as_str()?;
    let arch = config.get("architecture")?.as_str()?;
    Some(format!("{os}/{arch}"))
}

pub(crate) fn docker_layers(store: &BlobStore, tag: Option<&str>) -> Result<Chosen, ImageError> {
    let manifest = store.read_json("manifest.json", None)?;
    let images = manifest
        .as_array()
        .ok_or_else(|| invalid("manifest.json: not a list of images"))?;
    let tags_of = |image: &Value| -> Vec<String> {
        image["RepoTags"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let image = match tag {
        Some(tag) => images
            .iter()
            .find(|i| {
                tags_of(i)
                    .iter()
                    .any(|t| t == tag || t.rsplit_once(':').is_some_and(|(_, x)| x == tag))
            })
            .ok_or_else(|| {
                invalid(format!(
                    "no image tagged {} in the archive",
                    excerpt(tag, 120)
                ))
            })?,
        None if images.len() > 1 => {
            let all: Vec<String> = images.iter().flat_map(tags_of).collect();
            return Err(invalid(format!(
                "the archive holds {} images ({}); name one: docker-archive:FILE:TAG",
                images.len(),
                list(&all)
            )));
        }
        None => images
            .first()
            .ok_or_else(|| invalid("manifest.json lists no image"))?,
    };
    let config_name = image["Config"]
        .as_str()
        .ok_or_else(|| invalid("manifest.json: no Config"))?;
    let config = store.read_json(config_name, digest_from_name(config_name).as_deref())?;
    let diff_ids: Vec<&str> = config["rootfs"]["diff_ids"]
        .as_array()
        .map(|d| d.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let names = image["Layers"]
        .as_array()
        .ok_or_else(|| invalid("manifest.json: no Layers"))?;
    let mut layers = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let blob = name
            .as_str()
            .ok_or_else(|| invalid("manifest.json: a layer is not a name"))?;
        // docker save writes layers uncompressed, so a layer's digest is its diff_id.
        let digest = digest_from_name(blob).or_else(|| diff_ids.get(i).map(|d| d.to_string()));
        layers.push(LayerRef {
            blob: blob.to_string(),
            digest,
        });
    }
    Ok(Chosen {
        layers,
        platform: platform_of(&config),
    })
}

/// `blobs/sha256/HEX` → `sha256:HEX`.
fn digest_from_name(name: &str) -> Option<String> {
    let hex = name.strip_prefix("blobs/sha256/")?;
    (hex.len() == 64).then(|| format!("sha256:{hex}"))
}

/// One manifest descriptor of an index, with the tag it was listed under.
struct Candidate {
    descriptor: Value,
    tag: Option<String>,
}

pub(crate) fn oci_layers(
    store: &BlobStore,
    tag: Option<&str>,
    platform: Option<&str>,
) -> Result<Chosen, ImageError> {
    let index = store.read_json("index.json", None)?;
    let mut candidates: Vec<Candidate> = descriptors(&index)
        .into_iter()
        .map(|d| Candidate {
            tag: d["annotations"][REF_NAME].as_str().map(str::to_string),
            descriptor: d,
        })
        .collect();
    if let Some(tag) = tag {
        candidates.retain(|c| c.tag.as_deref() == Some(tag));
        if candidates.is_empty() {
            return Err(invalid(format!(
                "no manifest tagged {} in index.json ({})",
                excerpt(tag, 120),
                tags(&index)
            )));
        }
    } else {
        let mut distinct: Vec<&str> = candidates.iter().filter_map(|c| c.tag.as_deref()).collect();
        distinct.sort();
        distinct.dedup();
        if distinct.len() > 1 {
            return Err(invalid(format!(
                "index.json has several tags ({}); name one: oci:DIR:TAG or oci-archive:FILE:TAG",
                list(&distinct)
            )));
        }
    }
    // Nested indexes (docker's OCI export, multi-platform images) are expanded.
    let mut manifests = Vec::new();
    let mut depth = 0;
    while let Some(c) = candidates.pop() {
        let media = c.descriptor["mediaType"].as_str().unwrap_or_default();
        if INDEX_TYPES.contains(&media) {
            depth += 1;
            if depth > 8 {
                return Err(invalid("index.json: indexes nested too deep"));
            }
            let digest = descriptor_digest(&c.descriptor)?;
            let nested = store.read_json(&blob_path(&digest)?, Some(&digest))?;
            for d in descriptors(&nested) {
                candidates.push(Candidate {
                    descriptor: d,
                    tag: c.tag.clone(),
                });
            }
        } else {
            manifests.push(c.descriptor);
        }
    }
    manifests.reverse();
    let descriptor = choose_manifest(manifests, platform)?;
    let digest = descriptor_digest(&descriptor)?;
    let manifest = store.read_json(&blob_path(&digest)?, Some(&digest))?;
    let config_digest = descriptor_digest(&manifest["config"])?;
    let config = store.read_json(&blob_path(&config_digest)?, Some(&config_digest))?;
    Ok(Chosen {
        layers: image_layers(&manifest)?,
        platform: platform_of(&config).or_else(|| platform_name(&descriptor)),
    })
}

/// An index's entry: its `os/architecture`.
pub(crate) fn platform_name(m: &Value) -> Option<String> {
    let p = &m["platform"];
    Some(format!(
        "{}/{}",
        p["os"].as_str()?,
        p["architecture"].as_str()?
    ))
}

/// An index's entry as a platform is written: `os/architecture[/variant]`.
fn platform_label(m: &Value) -> Option<String> {
    let name = platform_name(m)?;
    Some(match m["platform"]["variant"].as_str() {
        Some(v) => format!("{name}/{v}"),
        None => name,
    })
}

/// Whether an index's entry is for `want` (`os/arch[/variant]`): an entry without a
/// platform is for any; a variant counts when both name one (`linux/arm/v7` is not
/// `linux/arm/v6`; `linux/arm64` is `linux/arm64/v8`).
fn platform_matches(m: &Value, want: &str) -> bool {
    let Some(have) = platform_name(m) else {
        return true;
    };
    let mut parts = want.splitn(3, '/');
    let (os, arch, variant) = (parts.next(), parts.next(), parts.next());
    if have != format!("{}/{}", os.unwrap_or_default(), arch.unwrap_or_default()) {
        return false;
    }
    match (variant, m["platform"]["variant"].as_str()) {
        (Some(want), Some(have)) => want == have,
        _ => true,
    }
}

/// The one image manifest of an index's entries (nested indexes expanded) for
/// `platform`; with no platform asked for, the only one there is.
pub(crate) fn choose_manifest(
    mut manifests: Vec<Value>,
    platform: Option<&str>,
) -> Result<Value, ImageError> {
    // Attestations and other non-images carry platform unknown/unknown.
    manifests.retain(|m| m["platform"]["os"].as_str() != Some("unknown"));
    if let Some(want) = platform {
        let matching: Vec<Value> = manifests
            .iter()
            .filter(|m| platform_matches(m, want))
            .cloned()
            .collect();
        if matching.is_empty() {
            let have: Vec<String> = manifests.iter().filter_map(platform_label).collect();
            return Err(invalid(format!(
                "no manifest for {} (the image has {})",
                excerpt(want, 60),
                list(&have)
            )));
        }
        manifests = matching;
    }
    let mut platforms: Vec<String> = manifests.iter().filter_map(platform_label).collect();
    platforms.sort();
    platforms.dedup();
    if manifests.len() > 1 {
        return Err(invalid(format!(
            "the image has {} manifests ({}); choose with --platform",
            manifests.len(),
            if platforms.is_empty() {
                "no platform given".to_string()
            } else {
                list(&platforms)
            }
        )));
    }
    manifests
        .pop()
        .ok_or_else(|| invalid("index.json lists no image manifest"))
}

/// The layers of an image manifest, bottom first.
pub(crate) fn image_layers(manifest: &Value) -> Result<Vec<LayerRef>, ImageError> {
    let mut layers = Vec::new();
    for layer in manifest["layers"]
        .as_array()
        .ok_or_else(|| invalid("manifest: no layers"))?
    {
        let media = layer["mediaType"].as_str().unwrap_or_default();
        if media.contains("+encrypted") {
            return Err(invalid(format!(
                "layer {} is encrypted; preflight cannot read it",
                excerpt(media, 120)
            )));
        }
        let digest = descriptor_digest(layer)?;
        layers.push(LayerRef {
            blob: blob_path(&digest)?,
            digest: Some(digest),
        });
    }
    Ok(layers)
}

fn descriptors(index: &Value) -> Vec<Value> {
    index["manifests"].as_array().cloned().unwrap_or_default()
}

pub(crate) fn descriptor_digest(d: &Value) -> Result<String, ImageError> {
    d["digest"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| invalid("a descriptor without a digest"))
}

fn tags(index: &Value) -> String {
    let names: Vec<String> = descriptors(index)
        .iter()
        .filter_map(|d| d["annotations"][REF_NAME].as_str().map(str::to_string))
        .collect();
    if names.is_empty() {
        "it has no tags".into()
    } else {
        format!("it has {}", list(&names))
    }
}

/// Names from the image, for a message: the first few, each cut short and escaped.
pub(crate) fn list<S: AsRef<str>>(names: &[S]) -> String {
    const SHOWN: usize = 8;
    let mut text: Vec<String> = names
        .iter()
        .take(SHOWN)
        .map(|n| excerpt(n.as_ref(), 60))
        .collect();
    if names.len() > SHOWN {
        text.push(format!("and {} more", names.len() - SHOWN));
    }
    text.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(os: &str, arch: &str, variant: Option<&str>) -> Value {
        let mut platform = serde_json::json!({"os": os, "architecture": arch});
        if let Some(v) = variant {
            platform["variant"] = Value::from(v);
        }
        serde_json::json!({"digest": format!("sha256:{arch}{}", variant.unwrap_or("")), "platform": platform})
    }

    #[test]
    fn variants_pick_among_one_architecture() {
        // debian:12's shape: arm/v5 and arm/v7 beside arm64/v8.
        let index = vec![
            entry("linux", "arm", Some("v5")),
            entry("linux", "arm", Some("v7")),
            entry("linux", "arm64", Some("v8")),
            entry("unknown", "unknown", None),
        ];
        let chosen = |want: &str| choose_manifest(index.clone(), Some(want));
        assert_eq!(chosen("linux/arm/v7").unwrap()["digest"], "sha256:armv7");
        assert_eq!(chosen("linux/arm64").unwrap()["digest"], "sha256:arm64v8");
        let e = chosen("linux/s390x").unwrap_err().to_string();
        assert!(
            e.contains("linux/arm/v5, linux/arm/v7, linux/arm64/v8"),
            "{e}"
        );
        // Without a variant, both arm entries fit: the choice is the user's.
        let e = chosen("linux/arm").unwrap_err().to_string();
        assert!(e.contains("2 manifests") && e.contains("--platform"), "{e}");
    }
}
