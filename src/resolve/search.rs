//! Trying candidate paths the way the loaders do.

use super::model::{Attempt, AttemptOutcome, FoundBy};
use crate::elf::{ElfFacts, Kind};
use crate::source::{HostObject, Probe};
use std::sync::Arc;

/// Values for glibc's dynamic string tokens (elf/dl-load.c, `_dl_dst_substitute`).
pub struct Tokens<'a> {
    pub origin: &'a str,
    pub lib: &'a str,
    pub platform: &'a str,
}

/// Expands `$ORIGIN`, `$LIB` and `$PLATFORM` (also as `${NAME}`). A token must end
/// where a name cannot go on (`$ORIGINAL` is not `$ORIGIN` + "AL"); an unknown one is
/// copied as it stands, as glibc does.
pub fn expand_tokens(text: &str, tokens: &Tokens<'_>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, len) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        let value = match name {
            "ORIGIN" => Some(tokens.origin),
            "LIB" => Some(tokens.lib),
            "PLATFORM" => Some(tokens.platform),
            _ => None,
        };
        match value {
            Some(v) if len > 0 => {
                out.push_str(v);
                rest = &after[len..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Joins a search folder and a name. ld.so opens relative folders relative to the
/// process's working directory, which a static check cannot know: preflight takes `/`.
pub fn candidate(dir: &str, name: &str) -> String {
    let dir = dir.trim_end_matches('/');
    // Built by hand: a scan of /usr joins a few hundred thousand of these.
    let mut path = String::with_capacity(dir.len() + name.len() + 2);
    if !dir.starts_with('/') {
        path.push('/');
    }
    if !dir.is_empty() {
        path.push_str(dir);
        path.push('/');
    }
    path.push_str(name);
    path
}

/// The answer for one candidate.
pub enum Step {
    /// Load this.
    Take(Arc<HostObject>),
    /// Keep searching.
    Next,
    /// The loader gives up on this library here.
    Stop,
}

/// Whether the loader accepts a file it found for an object of `wanted`'s class,
/// byte order and machine (glibc elf/dl-load.c `open_verify`: a mismatch is skipped
/// and the search goes on; other problems end it with an error).
pub fn judge_glibc(
    probe: Probe,
    path: String,
    found_by: FoundBy,
    wanted: &ElfFacts,
    tried: &mut Vec<Attempt>,
) -> Step {
    // A folder both in ld.so.conf and among the default folders is looked in twice
    // (the cache, then the folder); the same outcome at the same path is listed once.
    let mut note = |outcome: AttemptOutcome| {
        if !tried.iter().any(|a| a.path == path && a.outcome == outcome) {
            tried.push(Attempt {
                path: path.clone(),
                found_by,
                outcome,
            })
        }
    };
    match probe {
        Probe::Absent => {
            note(AttemptOutcome::Absent);
            Step::Next
        }
        Probe::Loop => {
            note(AttemptOutcome::Loop);
            Step::Next
        }
        Probe::Found(object) => {
            let f = &object.facts;
            if f.class != wanted.class
                || f.endian != wanted.endian
                || f.e_machine != wanted.e_machine
            {
                note(AttemptOutcome::WrongArch(format!(
                    "{} {}-endian {}, not {} {}",
                    f.class.as_str(),
                    f.endian.as_str(),
                    f.machine,
                    wanted.class.as_str(),
                    wanted.machine
                )));
                return Step::Next;
            }
            if let Some(reason) = not_loadable(f) {
                note(AttemptOutcome::Fatal(reason));
                return Step::Stop;
            }
            Step::Take(object)
        }
        Probe::NotElf | Probe::Other(_) => {
            note(AttemptOutcome::Fatal(
                "not an ELF file (ld.so: invalid ELF header)".into(),
            ));
            Step::Stop
        }
        Probe::NotRegular => {
            note(AttemptOutcome::Fatal(
                "not a regular file (a FIFO, device or folder)".into(),
            ));
            Step::Stop
        }
        Probe::Unreadable(reason) => {
            note(AttemptOutcome::Fatal(format!(
                "unreadable ELF file: {reason}"
            )));
            Step::Stop
        }
        Probe::Error(reason) => {
            note(AttemptOutcome::Fatal(format!("cannot be read: {reason}")));
            Step::Stop
        }
    }
}

/// glibc refuses ET_REL and core files ("only ET_DYN and ET_EXEC can be loaded") and,
/// since 2.30, position-independent executables as dependencies.
fn not_loadable(f: &ElfFacts) -> Option<String> {
    match f.kind {
        Kind::Relocatable | Kind::Core => Some("only ET_DYN and ET_EXEC can be loaded".into()),
        Kind::PieExecutable | Kind::StaticPie => {
            Some("cannot dynamically load position-independent executable".into())
        }
        _ => None,
    }
}

/// ldconfig caches a library under its SONAME, so the cache only answers for a file
/// whose SONAME is the name asked for (or that has none and is named so).
pub fn judge_cache(
    probe: Probe,
    path: String,
    name: &str,
    wanted: &ElfFacts,
    tried: &mut Vec<Attempt>,
) -> Step {
    match probe {
        Probe::Found(object) => {
            let soname = object.facts.soname.as_deref().unwrap_or(name);
            if soname != name {
                tried.push(Attempt {
                    path,
                    found_by: FoundBy::LdSoConf,
                    outcome: AttemptOutcome::NotInCache(format!("its SONAME is {soname}")),
                });
                return Step::Next;
            }
            match judge_glibc(Probe::Found(object), path, FoundBy::LdSoConf, wanted, tried) {
                // ldconfig skips what it cannot use; the cache never points at it.
                Step::Stop => Step::Next,
                other => other,
            }
        }
        Probe::Absent | Probe::Loop => judge_glibc(probe, path, FoundBy::LdSoConf, wanted, tried),
        other => {
            let _ = judge_glibc(other, path.clone(), FoundBy::LdSoConf, wanted, tried);
            if let Some(last) = tried.last_mut() {
                if let AttemptOutcome::Fatal(reason) = &last.outcome {
                    last.outcome = AttemptOutcome::NotInCache(reason.clone());
                }
            }
            Step::Next
        }
    }
}

/// musl opens the first candidate that exists and maps it, whatever it is
/// (ldso/dynlink.c `path_open`: only ENOENT, ENOTDIR, EACCES and ENAMETOOLONG let the
/// search go on); a file of the wrong architecture there is an error, not a skip.
pub fn judge_musl(
    probe: Probe,
    path: String,
    found_by: FoundBy,
    wanted: &ElfFacts,
    tried: &mut Vec<Attempt>,
) -> Step {
    match probe {
        Probe::Absent => {
            tried.push(Attempt {
                path,
                found_by,
                outcome: AttemptOutcome::Absent,
            });
            Step::Next
        }
        other => match judge_glibc(other, path, found_by, wanted, tried) {
            Step::Next => {
                if let Some(last) = tried.last_mut() {
                    if let AttemptOutcome::WrongArch(why) | AttemptOutcome::NotInCache(why) =
                        &last.outcome
                    {
                        last.outcome =
                            AttemptOutcome::Fatal(format!("musl stops at the first file: {why}"));
                    } else if last.outcome == AttemptOutcome::Loop {
                        last.outcome = AttemptOutcome::Fatal("symbolic link loop".into());
                    }
                }
                Step::Stop
            }
            step => step,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expand_like_glibc() {
        let t = Tokens {
            origin: "/opt/app/bin",
            lib: "lib64",
            platform: "x86_64",
        };
        assert_eq!(expand_tokens("$ORIGIN/../lib", &t), "/opt/app/bin/../lib");
        assert_eq!(
            expand_tokens("${ORIGIN}/x:$LIB/$PLATFORM", &t),
            "/opt/app/bin/x:lib64/x86_64"
        );
        assert_eq!(expand_tokens("$ORIGINAL/$FOO", &t), "$ORIGINAL/$FOO");
        assert_eq!(expand_tokens("a$", &t), "a$");
    }

    #[test]
    fn candidates_are_absolute() {
        assert_eq!(candidate("/usr/lib/", "libz.so.1"), "/usr/lib/libz.so.1");
        assert_eq!(candidate("", "libz.so.1"), "/libz.so.1");
        assert_eq!(candidate("lib", "libz.so.1"), "/lib/libz.so.1");
    }
}
