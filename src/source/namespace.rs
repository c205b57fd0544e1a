//! Resolving a path inside a root the way the kernel resolves it inside a chroot, for
//! any tree that can say what a path is: a folder on disk, or an image's merged layers.

use super::LookupError;

/// Linux follows at most 40 symbolic links in one lookup (include/linux/namei.h).
pub(crate) const MAX_SYMLINKS: usize = 40;

/// What one path names, without following it.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Dir,
    /// Anything that is not a folder or a link: a file, a device, a FIFO.
    Leaf,
    Link(String),
}

/// Resolves every symbolic link in `path` (absolute, inside the root) and returns the
/// path it names. An absolute link is re-rooted, `..` of the root is the root, and a
/// chain of more than 40 links is a loop. `lookup` answers for one resolved path;
/// Ok(None) is "no such file".
pub(crate) fn resolve(
    path: &str,
    mut lookup: impl FnMut(&str) -> Result<Option<Node>, LookupError>,
) -> Result<String, LookupError> {
    // The path resolved so far ("/usr/lib"), grown and cut in place, and where each
    // of its components starts: rebuilt from a list of components for every lookup,
    // it was most of a dependency tree's path work.
    let mut resolved = String::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut pending: Vec<String> = components(path).rev().collect();
    let mut links = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                if let Some(start) = starts.pop() {
                    resolved.truncate(start);
                }
                continue;
            }
            _ => {}
        }
        starts.push(resolved.len());
        resolved.push('/');
        resolved.push_str(&part);
        match lookup(&resolved)? {
            None => return Err(LookupError::NotFound),
            Some(Node::Dir) => {}
            Some(Node::Leaf) => {
                // A file used as a folder: ENOTDIR.
                if !pending.iter().all(|p| p.is_empty() || p == ".") {
                    return Err(LookupError::NotFound);
                }
            }
            Some(Node::Link(target)) => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(LookupError::Loop);
                }
                if let Some(start) = starts.pop() {
                    resolved.truncate(start);
                }
                if target.starts_with('/') {
                    resolved.clear();
                    starts.clear();
                }
                pending.extend(components(&target).rev());
            }
        }
    }
    Ok(if resolved.is_empty() {
        "/".to_string()
    } else {
        resolved
    })
}

pub(crate) fn components(path: &str) -> impl DoubleEndedIterator<Item = String> + '_ {
    path.split('/').map(str::to_string)
}

pub(crate) fn join(parts: &[String]) -> String {
    if parts.is_empty() {
        "/".to_string()
    } else {
        parts.iter().map(|p| format!("/{p}")).collect()
    }
}
