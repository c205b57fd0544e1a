//! A container image as a scan source: the files under `--path` of its merged tree,
//! seen in the image itself (its loader, libraries and ld.so.conf), or alone for a
//! target check. Layer entries the merge refused are findings of the source.

use super::{open_image_from, ImageHost, ImageLimits, RegistryAccess};
use crate::platform::Platform;
use crate::rules::Rule;
use crate::source::{Entry, HostView, Libraries, Source, SourceError, TreeFile, TreeHost, View};
use std::path::Path;

pub struct ImageSource {
    host: ImageHost,
}

impl ImageSource {
    /// Opens and merges the image `spec` names; `platform` picks a manifest of a
    /// multi-platform index, `path` the files to check.
    pub fn open(
        spec: &str,
        platform: Option<Platform>,
        path: &str,
    ) -> Result<ImageSource, SourceError> {
        ImageSource::open_with(spec, platform, path, &RegistryAccess::default())
    }

    /// `open`, reaching a registry as `access` says.
    pub fn open_with(
        spec: &str,
        platform: Option<Platform>,
        path: &str,
        access: &RegistryAccess,
    ) -> Result<ImageSource, SourceError> {
        let image = open_image_from(
            spec,
            platform.map(Platform::as_str),
            ImageLimits::default(),
            access,
        )
        .map_err(|e| match e {
            // A registry's errors name the reference already.
            super::ImageError::Invalid(m)
                if super::registry::RegistryRef::parse(spec).is_some() =>
            {
                SourceError(m)
            }
            e => SourceError(format!("{spec}: {e}")),
        })?;
        Ok(ImageSource {
            host: ImageHost::new(image, path),
        })
    }

    pub fn new(host: ImageHost) -> ImageSource {
        ImageSource { host }
    }
}

impl Source for ImageSource {
    fn name(&self) -> &str {
        &self.host.image().name
    }

    fn platform(&self) -> Option<Platform> {
        self.host
            .image()
            .platform
            .as_deref()
            .and_then(Platform::parse)
    }

    fn policy_folder(&self) -> Option<&Path> {
        None
    }

    /// The image is its own root: `Libraries::Root` takes no other.
    fn view(&self, _libraries: Libraries<'_>) -> std::io::Result<View<'_>> {
        let host = &self.host;
        let image = host.image();
        let files = image
            .tree
            .files_under("/")
            .into_iter()
            .filter(|(path, _)| host.covers(path))
            .map(|(path, node)| {
                Entry::File(TreeFile {
                    shown: path.clone(),
                    view: path.clone(),
                    disk: None,
                    layer: image.tree.layers.get(node.layer).cloned(),
                })
            });
        let findings = image
            .tree
            .notes
            .iter()
            // A device node is a word about the files checked (`--path`); entries
            // that were refused are the image's, whatever is checked.
            .filter(|n| !n.device || host.covers(&n.path))
            .map(|n| {
                Rule::UnsafeImageEntry
                    .finding(&n.path, format!("{} (layer {})", n.message, n.layer))
                    .layer(&n.layer)
                    .build()
            })
            .collect();
        Ok(View {
            host: HostView::Borrowed(host),
            base: "/".into(),
            absolute: true,
            files: Box::new(files),
            findings,
        })
    }

    fn as_root(&self) -> std::io::Result<HostView<'_>> {
        Ok(HostView::Borrowed(&self.host))
    }
}
