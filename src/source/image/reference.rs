//! Naming an image: the transports skopeo and syft users know (`docker-archive:FILE`,
//! `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`), or a bare path whose kind is detected.

use super::{invalid, ImageError};
use crate::source::{open_regular, Limits, Within};
use std::io::{Read, Seek};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    /// `docker save` output: manifest.json and layer tars in one tar.
    DockerArchive,
    /// An OCI image layout folder: oci-layout, index.json, blobs/sha256/…
    OciDir,
    /// An OCI image layout packed as a tar.
    OciArchive,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    pub path: String,
    /// None when the path is not an image at all.
    pub kind: Option<ImageKind>,
    /// The manifest to use, by `org.opencontainers.image.ref.name` (OCI) or repo tag
    /// (docker archive).
    pub tag: Option<String>,
}

impl ImageRef {
    pub fn parse(spec: &str) -> Result<ImageRef, ImageError> {
        let (transport, rest) = match spec.split_once(':') {
            Some((t @ ("docker-archive" | "oci" | "oci-archive"), rest)) => (Some(t), rest),
            _ => (None, spec),
        };
        // A TAG follows the path after a ':' (a path with ':' in it needs the
        // transport-less form).
        let (path, tag) = match transport {
            Some(_) => match rest.split_once(':') {
                Some((p, t)) if !t.is_empty() => (p.to_string(), Some(t.to_string())),
                _ => (rest.to_string(), None),
            },
            None => (rest.to_string(), None),
        };
        let kind = match transport {
            Some("docker-archive") => Some(ImageKind::DockerArchive),
            Some("oci") => Some(ImageKind::OciDir),
            Some("oci-archive") => Some(ImageKind::OciArchive),
            _ => detect(Path::new(&path)),
        };
        if transport.is_some() && !Path::new(&path).exists() {
            return Err(invalid(format!("{path}: no such file or folder")));
        }
        Ok(ImageRef { path, kind, tag })
    }
}

/// A folder with `oci-layout` is an OCI layout; a tar whose first entries include
/// `manifest.json` is a docker archive, one with `oci-layout` an OCI archive.
fn detect(path: &Path) -> Option<ImageKind> {
    if path.is_dir() {
        return path
            .join("oci-layout")
            .is_file()
            .then_some(ImageKind::OciDir);
    }
    // A regular file only: opening a FIFO would block, a device would not end.
    let file = open_regular(Within::Anywhere, path, Limits::UNLIMITED).ok()?;
    let mut header = [0u8; 512];
    (&file).take(512).read_exact(&mut header).ok()?;
    // "ustar" at offset 257: a tar file.
    if &header[257..262] != b"ustar" {
        return None;
    }
    // Read the members from the start again (the header check moved the offset).
    (&file).seek(std::io::SeekFrom::Start(0)).ok()?;
    let mut archive = tar::Archive::new(file);
    let mut kind = None;
    // Headers only: the members' data is seeked over, not read (layers are large).
    for entry in archive.entries_with_seek().ok()?.take(10_000) {
        let entry = entry.ok()?;
        let name = entry
            .path()
            .ok()?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        match name.as_str() {
            "manifest.json" => kind = kind.or(Some(ImageKind::DockerArchive)),
            "oci-layout" => return Some(ImageKind::OciArchive),
            _ => {}
        }
    }
    kind
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_and_tags() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().to_str().unwrap();
        let r = ImageRef::parse(&format!("oci:{p}:v2")).unwrap();
        assert_eq!(
            (r.kind, r.tag.as_deref(), r.path.as_str()),
            (Some(ImageKind::OciDir), Some("v2"), p)
        );
        let r = ImageRef::parse(&format!("docker-archive:{p}")).unwrap();
        assert_eq!((r.kind, r.tag), (Some(ImageKind::DockerArchive), None));
        // A plain folder is not an image.
        assert_eq!(ImageRef::parse(p).unwrap().kind, None);
        assert!(ImageRef::parse("oci:/no/such/layout").is_err());
    }
}
