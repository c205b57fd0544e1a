//! Container images as a scan source, with no daemon and nothing extracted to disk:
//! a `docker save` tarball, an OCI image layout folder, or an OCI layout packed as a
//! tar. The layers are applied in order into one merged tree, as a container runtime
//! would (OCI image-spec, layer.md: whiteouts, opaque folders, hard links), reading
//! each layer as a stream and keeping only an index of paths plus the facts of ELF
//! files and the text of the loader's configuration files. An image in a registry
//! (`registry:`, `docker://`) is streamed the same way (`registry`).

mod blobs;
mod content;
mod decompress;
mod host;
mod layers;
mod limits;
mod manifest;
mod pipeline;
mod reference;
pub mod registry;
mod source;
mod tree;

pub(crate) use content::read_content;
pub(crate) use decompress::CountedShared;
pub use host::ImageHost;
pub use limits::ImageLimits;
pub use reference::{ImageKind, ImageRef};
pub use registry::RegistryAccess;
pub use source::ImageSource;
pub use tree::{FileContent, ImageNote, MergedTree, TreeEntry, TreeNode};

use blobs::BlobStore;
use std::fmt;
use std::path::Path;

/// An image opened and merged.
pub struct Image {
    /// How the user named it.
    pub name: String,
    pub tree: MergedTree,
    /// The platform the image's config declares ("linux/amd64").
    pub platform: Option<String>,
}

#[derive(Debug)]
pub enum ImageError {
    /// The image could not be read at all, or the user must choose (a tag, a platform).
    Invalid(String),
    Io(std::io::Error),
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::Invalid(m) => f.write_str(m),
            ImageError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ImageError {}

impl From<std::io::Error> for ImageError {
    fn from(e: std::io::Error) -> Self {
        ImageError::Io(e)
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> ImageError {
    ImageError::Invalid(message.into())
}

/// Whether `spec` names an image rather than a folder: a registry reference, a
/// transport prefix, a tar file, or a folder with an `oci-layout` file.
pub fn looks_like_image(spec: &str) -> bool {
    registry::RegistryRef::parse(spec).is_some()
        || ImageRef::parse(spec).is_ok_and(|r| r.kind.is_some())
}

/// Opens an image and merges its layers. `platform` picks a manifest from a
/// multi-platform index ("linux/arm64").
pub fn open_image(spec: &str, platform: Option<&str>) -> Result<Image, ImageError> {
    open_image_with(spec, platform, ImageLimits::default())
}

/// `open_image`, with other limits on what is held to read the image's binaries.
pub fn open_image_with(
    spec: &str,
    platform: Option<&str>,
    limits: ImageLimits,
) -> Result<Image, ImageError> {
    open_image_from(spec, platform, limits, &RegistryAccess::default())
}

/// `open_image_with`, reaching a registry as `access` says.
pub fn open_image_from(
    spec: &str,
    platform: Option<&str>,
    limits: ImageLimits,
    access: &RegistryAccess,
) -> Result<Image, ImageError> {
    if let Some(reference) = registry::RegistryRef::parse(spec) {
        return registry::open(spec, &reference?, platform, limits, access);
    }
    let reference = ImageRef::parse(spec)?;
    let kind = reference.kind.ok_or_else(|| {
        invalid(format!(
            "{spec}: not an image (no manifest.json or oci-layout)"
        ))
    })?;
    let store = match kind {
        ImageKind::OciDir => BlobStore::folder(Path::new(&reference.path))?,
        ImageKind::DockerArchive | ImageKind::OciArchive => {
            BlobStore::archive(Path::new(&reference.path))?
        }
    };
    let chosen = match kind {
        ImageKind::DockerArchive => manifest::docker_layers(&store, reference.tag.as_deref())?,
        ImageKind::OciDir | ImageKind::OciArchive => {
            manifest::oci_layers(&store, reference.tag.as_deref(), platform)?
        }
    };
    let mut tree = MergedTree::default();
    tree.spill.limits = limits;
    for (index, layer) in chosen.layers.iter().enumerate() {
        let reader = store.open_verified(&layer.blob, layer.digest.as_deref())?;
        layers::apply_layer(&mut tree, index, &layer.label(), reader)?;
    }
    Ok(Image {
        name: spec.to_string(),
        tree,
        platform: chosen.platform,
    })
}
