//! Folders and files on disk as a scan source: a folder's regular files, walked
//! without following links, or one file (an ELF file, a `.o`, a `.a`) whose folder is
//! its `$ORIGIN`; several of them named on one command line are one scan. They are seen
//! inside a root filesystem (`--root`, or this machine's `/`), or alone for a target
//! check.

use super::filesystem::{open_host, open_trees};
use super::folder::{walk, Walked};
use super::open::FileKind;
use super::{Entry, HostView, Libraries, Source, SourceError, TreeFile, View};
use crate::platform::Platform;
use std::path::{Path, PathBuf};

pub struct FolderSource {
    /// As the user named it (them).
    name: String,
    /// Each path as typed, and where it is on disk.
    paths: Vec<(String, PathBuf)>,
}

/// What a path the user named on disk is, for a scan of folders and files.
pub(crate) enum OnDisk {
    Folder,
    File,
}

/// A path the user named: a folder or a regular file; anything else (a FIFO, a
/// device, a socket) is refused by its type before anything opens it (opening a FIFO
/// blocks until a writer comes).
pub(crate) fn classify(spec: &str) -> Result<OnDisk, SourceError> {
    let meta = std::fs::metadata(spec).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
            _ => e.to_string(),
        };
        SourceError(format!("{}: {why}", crate::text::escape(spec)))
    })?;
    if meta.is_dir() {
        return Ok(OnDisk::Folder);
    }
    if meta.is_file() {
        return Ok(OnDisk::File);
    }
    Err(SourceError(format!(
        "{}: {}, which preflight never opens; it reads folders, files (ELF, .o, .a), archives, packages and container images",
        crate::text::escape(spec),
        FileKind::of(meta.file_type())
    )))
}

impl FolderSource {
    /// `path` is what `--path` gave: a folder scan takes all of the folder.
    pub fn open(spec: &str, path: &str) -> Result<FolderSource, SourceError> {
        FolderSource::open_all(&[spec.to_string()], path)
    }

    /// Several folders and files as one scan.
    pub fn open_all(specs: &[String], path: &str) -> Result<FolderSource, SourceError> {
        let mut paths = Vec::new();
        for spec in specs {
            classify(spec)?;
            if path != "/" {
                return Err(SourceError(format!(
                    "--path selects files of an image; scan the folder {spec}/{path} instead"
                )));
            }
            paths.push((spec.clone(), PathBuf::from(spec)));
        }
        Ok(FolderSource {
            name: specs.join(" "),
            paths,
        })
    }

    pub fn new(dir: &Path) -> FolderSource {
        FolderSource {
            name: dir.display().to_string(),
            paths: vec![(dir.display().to_string(), dir.to_path_buf())],
        }
    }

    fn single(&self) -> bool {
        self.paths.len() == 1
    }
}

impl Source for FolderSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn platform(&self) -> Option<Platform> {
        None
    }

    /// One folder's `.preflight.yaml`; a file or several paths have none.
    fn policy_folder(&self) -> Option<&Path> {
        match self.paths.as_slice() {
            [(_, dir)] if dir.is_dir() => Some(dir),
            _ => None,
        }
    }

    fn view(&self, libraries: Libraries<'_>) -> std::io::Result<View<'_>> {
        let disk: Vec<&Path> = self.paths.iter().map(|(_, p)| p.as_path()).collect();
        let (host, located) = match libraries {
            Libraries::Root(root) => open_host(root, &disk)?,
            Libraries::Targets => open_trees(&disk)?,
        };
        // Each path's folder inside the view: a file's own folder is its base (its
        // `$ORIGIN`), and the walk of a file yields the file under its name.
        let bases: Vec<String> = self
            .paths
            .iter()
            .zip(&located)
            .map(|((_, path), at)| {
                let at = at.trim_end_matches('/');
                if path.is_dir() {
                    at.to_string()
                } else {
                    at.rsplit_once('/').map_or("", |(dir, _)| dir).to_string()
                }
            })
            .collect();
        let single = self.single();
        let mut files: Box<dyn Iterator<Item = Entry> + Send + '_> = Box::new(std::iter::empty());
        for ((spec, path), view_base) in self.paths.iter().zip(bases.clone()) {
            let is_dir = path.is_dir();
            let typed = spec.trim_end_matches('/').to_string();
            // Walked lazily: the pipeline looks at the files a batch at a time.
            let walked = walk(path).map(move |step| match step {
                Walked::File(f) => Entry::File(TreeFile {
                    view: format!("{view_base}/{}", f.relative),
                    // One path: relative to it, as always; several: as typed.
                    shown: match (single, is_dir) {
                        (true, _) => f.relative,
                        (false, true) => format!("{typed}/{}", f.relative),
                        (false, false) => typed.clone(),
                    },
                    disk: Some(f.disk_path),
                    layer: None,
                }),
                Walked::Problem(problem) => Entry::Problem(problem),
            });
            files = Box::new(files.chain(walked));
        }
        let (base, absolute) = if single {
            (bases.into_iter().next().unwrap_or_default(), false)
        } else {
            ("/".to_string(), true)
        };
        Ok(View {
            host: HostView::Owned(Box::new(host)),
            base,
            absolute,
            files,
            findings: Vec::new(),
        })
    }

    fn as_root(&self) -> std::io::Result<HostView<'_>> {
        let dir = &self.paths[0].1;
        let view = super::RootView::new(dir)?;
        Ok(HostView::Owned(Box::new(super::FilesystemHost::new(
            view,
            format!("root {}", dir.display()),
        ))))
    }
}
