//! A folder as a scan source: its regular files, walked without following links, seen
//! inside a root filesystem (`--root`, or this machine's `/`), or alone for a target
//! check.

use super::filesystem::{open_host, open_tree};
use super::folder::{walk, Walked};
use super::{Entry, HostView, Libraries, Source, SourceError, TreeFile, View};
use crate::platform::Platform;
use std::path::{Path, PathBuf};

pub struct FolderSource {
    /// As the user named it.
    name: String,
    dir: PathBuf,
}

impl FolderSource {
    /// `path` is what `--path` gave: a folder scan takes all of the folder.
    pub fn open(spec: &str, path: &str) -> Result<FolderSource, SourceError> {
        let dir = PathBuf::from(spec);
        if !dir.is_dir() {
            let shown = crate::text::escape(spec);
            return Err(SourceError(match std::fs::metadata(&dir) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    format!("{shown}: no such file or folder")
                }
                Err(e) => format!("{shown}: cannot be read: {e}"),
                Ok(_) => format!("{shown}: neither a folder nor a container image"),
            }));
        }
        if path != "/" {
            return Err(SourceError(format!(
                "--path selects files of an image; scan the folder {spec}/{path} instead"
            )));
        }
        Ok(FolderSource::new(&dir))
    }

    pub fn new(dir: &Path) -> FolderSource {
        FolderSource {
            name: dir.display().to_string(),
            dir: dir.to_path_buf(),
        }
    }
}

impl Source for FolderSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn platform(&self) -> Option<Platform> {
        None
    }

    fn policy_folder(&self) -> Option<&Path> {
        Some(&self.dir)
    }

    fn view(&self, libraries: Libraries<'_>) -> std::io::Result<View<'_>> {
        let (host, base) = match libraries {
            Libraries::Root(root) => {
                let (host, located) = open_host(root, &[&self.dir])?;
                (host, located.into_iter().next().unwrap_or_default())
            }
            Libraries::Targets => open_tree(&self.dir)?,
        };
        let view_base = base.trim_end_matches('/').to_string();
        // Walked lazily: the pipeline looks at the files a batch at a time.
        let files = walk(&self.dir).map(move |step| match step {
            Walked::File(f) => Entry::File(TreeFile {
                view: format!("{view_base}/{}", f.relative),
                shown: f.relative,
                disk: Some(f.disk_path),
                layer: None,
            }),
            Walked::Problem(problem) => Entry::Problem(problem),
        });
        Ok(View {
            host: HostView::Owned(Box::new(host)),
            base,
            absolute: false,
            files: Box::new(files),
            findings: Vec::new(),
        })
    }

    fn as_root(&self) -> std::io::Result<HostView<'_>> {
        let view = super::RootView::new(&self.dir)?;
        Ok(HostView::Owned(Box::new(super::FilesystemHost::new(
            view,
            format!("root {}", self.dir.display()),
        ))))
    }
}
