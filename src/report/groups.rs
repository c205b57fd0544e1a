//! Findings as a person reads them at the scale of a real package: grouped by rule and
//! target, each group's why and fix said once, the files that share a message listed
//! under it (folded by folder, capped) instead of one paragraph per file. Only the
//! human formats (table, Markdown) group; JSON and SARIF keep every finding whole.

use crate::rules::{Finding, Rule, Severity};
use std::collections::HashMap;

/// In a text shared by several files, what stands for each file's own path.
pub(super) const EACH_FILE: &str = "<file>";

/// How much of a long list the default layout shows; `--verbose` shows all.
#[derive(Clone, Copy, Debug)]
pub(super) struct Caps {
    /// Messages (parts) listed per group.
    pub parts: usize,
    /// Lines of files listed under one message.
    pub files: usize,
    /// A folder holding at least this many files of one list is one line.
    pub fold_at: usize,
}

impl Caps {
    pub const DEFAULT: Caps = Caps {
        parts: 10,
        files: 12,
        fold_at: 4,
    };
    pub const NONE: Caps = Caps {
        parts: usize::MAX,
        files: usize::MAX,
        fold_at: usize::MAX,
    };
}

/// The findings of one rule on one target, at one severity.
pub(super) struct Group<'a> {
    pub severity: Severity,
    pub rule: Rule,
    pub target: Option<&'a str>,
    /// Said once for the group, when every finding of it has the same.
    pub why: Option<String>,
    pub fix: Option<String>,
    pub parts: Vec<Part<'a>>,
    pub findings: usize,
    pub files: usize,
}

/// Findings of a group that say the same thing, each about its own file.
pub(super) struct Part<'a> {
    /// With one file, the finding's own text; with several, each file's path written
    /// as `EACH_FILE`.
    pub message: String,
    /// Where the loader looked, when the same for every file of the part.
    pub tried: &'a [String],
    /// When the group does not say it once.
    pub why: Option<String>,
    pub fix: Option<String>,
    pub paths: Vec<&'a str>,
}

/// One line of a part's file list: a file, or a folder that holds `count` of them.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Listed<'a> {
    File(&'a str),
    Folder(&'a str, usize),
}

/// The findings grouped: errors first, then by rule (the catalogue's order) and
/// target (as the report lists them); within a group, parts in the order of their
/// first file.
/// `merge`: findings that say the same thing share a part (else each is its own, as
/// `--verbose` lists them).
pub(super) fn group(findings: &[Finding], merge: bool) -> Vec<Group<'_>> {
    let mut order: Vec<(Severity, Rule, Option<&str>)> = Vec::new();
    let mut members: HashMap<(Severity, Rule, Option<&str>), Vec<&Finding>> = HashMap::new();
    for f in findings {
        let key = (f.severity, f.rule, f.target.as_deref());
        members
            .entry(key)
            .or_insert_with(|| {
                order.push(key);
                Vec::new()
            })
            .push(f);
    }
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    order
        .into_iter()
        .map(|key| make_group(key, &members[&key], merge))
        .collect()
}

fn make_group<'a>(
    key: (Severity, Rule, Option<&'a str>),
    members: &[&'a Finding],
    merge: bool,
) -> Group<'a> {
    let (severity, rule, target) = key;
    let mut files: Vec<&str> = members.iter().map(|f| f.path.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    // All about one file: each text as it stands.
    let single = files.len() == 1;
    let templated = |f: &Finding, text: &str| {
        if single {
            text.to_string()
        } else {
            each_file(text, &f.path)
        }
    };
    let whys: Vec<String> = members.iter().map(|f| templated(f, &f.why)).collect();
    let same_why = whys.iter().all(|w| w == &whys[0]);
    let same_fix = members.iter().all(|f| f.fix == members[0].fix);
    let mut parts: Vec<Part<'a>> = Vec::new();
    let mut index: HashMap<(String, Option<String>, Option<&str>), usize> = HashMap::new();
    for (f, why) in members.iter().zip(whys) {
        let why = (!same_why).then_some(why);
        let fix = (!same_fix).then_some(f.fix.as_str());
        // Where the loader looked differs with each file's folder: not what makes
        // two findings say something else.
        let key = (templated(f, &f.message), why, fix);
        match index.get(&key).filter(|_| merge) {
            Some(&i) => {
                let part: &mut Part = &mut parts[i];
                part.paths.push(&f.path);
                if part.tried != f.tried.as_slice() {
                    part.tried = &[];
                }
            }
            None => {
                index.insert(key.clone(), parts.len());
                parts.push(Part {
                    message: key.0,
                    tried: &f.tried,
                    why: key.1,
                    fix: key.2.map(str::to_string),
                    paths: vec![&f.path],
                });
            }
        }
    }
    // A part of one file reads as that file's own finding.
    for part in &mut parts {
        if let [path] = part.paths[..] {
            let own = members
                .iter()
                .find(|f| f.path == path && templated(f, &f.message) == part.message);
            if let Some(f) = own {
                part.message = f.message.clone();
                if part.why.is_some() {
                    part.why = Some(f.why.clone());
                }
            }
        }
    }
    Group {
        severity,
        rule,
        target,
        why: same_why.then(|| templated(members[0], &members[0].why)),
        fix: same_fix.then(|| members[0].fix.clone()),
        parts,
        findings: members.len(),
        files: files.len(),
    }
}

/// `text` with each whole occurrence of `path` written as `EACH_FILE` (not inside a
/// longer path: `bin/app` in `bin/app2` stays).
pub(super) fn each_file(text: &str, path: &str) -> String {
    if path.is_empty() {
        return text.to_string();
    }
    let in_path = |c: char| c.is_alphanumeric() || matches!(c, '_' | '/' | '-' | '+');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(path) {
        let before = rest[..at].chars().next_back();
        let after_text = &rest[at + path.len()..];
        let mut after = after_text.chars();
        let next = after.next();
        // A dot ends a sentence unless a name goes on after it.
        let continues = match next {
            Some('.') => after.next().is_some_and(in_path),
            Some(c) => in_path(c),
            None => false,
        };
        let whole = !before.is_some_and(|c| in_path(c) || c == '.') && !continues;
        out.push_str(&rest[..at]);
        out.push_str(if whole { EACH_FILE } else { path });
        rest = after_text;
    }
    out.push_str(rest);
    out
}

/// The paths of a part as listed: a folder holding at least `fold_at` of them is one
/// line, in the place of its first file. When that still makes more than `lines`
/// lines, the files are counted by ever shallower folders (`numpy/core/`, then
/// `numpy/`) until the list fits.
pub(super) fn listed<'a>(paths: &[&'a str], fold_at: usize, lines: usize) -> Vec<Listed<'a>> {
    let exact = fold(paths, fold_at, &|p: &'a str| {
        p.rfind('/').map_or("", |i| &p[..=i])
    });
    if exact.len() <= lines {
        return exact;
    }
    let deepest = paths
        .iter()
        .map(|p| p.matches('/').count())
        .max()
        .unwrap_or(0);
    for depth in (1..deepest).rev() {
        let coarse = fold(paths, 2, &|p: &'a str| {
            p.match_indices('/')
                .nth(depth - 1)
                .map_or_else(|| p.rfind('/').map_or("", |i| &p[..=i]), |(i, _)| &p[..=i])
        });
        if coarse.len() <= lines {
            return coarse;
        }
    }
    exact
}

fn fold<'a>(
    paths: &[&'a str],
    fold_at: usize,
    folder: &dyn Fn(&'a str) -> &'a str,
) -> Vec<Listed<'a>> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for p in paths {
        *count.entry(folder(p)).or_default() += 1;
    }
    let mut shown: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for p in paths {
        let dir = folder(p);
        let n = count[dir];
        if n >= fold_at && !dir.is_empty() {
            if !shown.contains(&dir) {
                shown.push(dir);
                out.push(Listed::Folder(dir, n));
            }
        } else {
            out.push(Listed::File(p));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(path: &str, message: &str, why: &str) -> Finding {
        let mut f = Rule::LibcMismatch
            .finding(path, message)
            .arg("libc", "musl")
            .build();
        f.why = why.to_string();
        f.target = Some("alpine-3.20".into());
        f
    }

    #[test]
    fn own_paths_become_each_file_only_where_whole() {
        assert_eq!(
            each_file("not found (required by bin/app).", "bin/app"),
            "not found (required by <file>)."
        );
        assert_eq!(
            each_file("bin/app2 and bin/app", "bin/app"),
            "bin/app2 and <file>"
        );
        assert_eq!(each_file("x/bin/app.so", "bin/app"), "x/bin/app.so");
    }

    #[test]
    fn one_message_many_files_is_one_part_with_why_once() {
        let findings = vec![
            finding("a/x.so", "needs glibc", "fails (required by a/x.so)"),
            finding("a/y.so", "needs glibc", "fails (required by a/y.so)"),
            finding("b.so", "needs more", "fails (required by b.so)"),
        ];
        let groups = group(&findings, true);
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!(g.why.as_deref(), Some("fails (required by <file>)"));
        assert_eq!(g.parts.len(), 2);
        assert_eq!(g.parts[0].paths, ["a/x.so", "a/y.so"]);
        assert_eq!(g.parts[1].message, "needs more");
        assert_eq!((g.findings, g.files), (3, 3));
    }

    #[test]
    fn folders_fold_where_many_files_share_one() {
        let paths = ["a/1", "a/2", "b/1", "a/3"];
        assert_eq!(
            listed(&paths, 3, 10),
            [Listed::Folder("a/", 3), Listed::File("b/1")]
        );
        assert_eq!(listed(&paths, usize::MAX, usize::MAX).len(), 4);
        let deep = ["p/a/1", "p/b/1", "p/c/1", "q/1"];
        assert_eq!(
            listed(&deep, 4, 2),
            [Listed::Folder("p/", 3), Listed::File("q/1")]
        );
    }
}
