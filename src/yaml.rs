//! The one place that knows the YAML library (policy files and target profiles are
//! read through it). serde_yaml is deprecated upstream; a maintained fork (serde_yml,
//! serde_norway) can replace it here alone.

use crate::text::escape;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// A YAML file that could not be read, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for YamlError {
    /// The file name escaped, and the message with whatever it quotes from the file
    /// cut short and escaped (`quoted_excerpts`): the file may be anything at all.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = escape(&self.file);
        let message = quoted_excerpts(&self.message, MAX_QUOTED);
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{file}:{l}:{c}: {message}"),
            (Some(l), None) => write!(f, "{file}:{l}: {message}"),
            _ => write!(f, "{file}: {message}"),
        }
    }
}

/// How many characters of one value from the file an error message quotes.
const MAX_QUOTED: usize = 60;

/// `message` escaped, with each part in backquotes or double quotes (where messages,
/// serde's and preflight's, quote what the file holds: `invalid type: string "..."`,
/// "unknown field `...`") cut to `max` characters.
fn quoted_excerpts(message: &str, max: usize) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut inside: Option<char> = None;
    let mut count = 0usize;
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        match inside {
            None => {
                if c == '`' || c == '"' {
                    inside = Some(c);
                    count = 0;
                }
                out.push(c);
            }
            Some(q) if c == q => {
                inside = None;
                out.push(c);
            }
            Some(q) => {
                // serde quotes strings as Rust's Debug does: `\"` is a quote inside.
                let escaped = (q == '"' && c == '\\').then(|| chars.next()).flatten();
                count += 1;
                if count <= max {
                    out.push(c);
                    out.extend(escaped);
                } else if count == max + 1 {
                    out.push('…');
                }
            }
        }
    }
    escape(&out).into_owned()
}

impl std::error::Error for YamlError {}

/// Parses `text` (from `file`) into `T`. Unknown keys are errors when `T` says
/// `deny_unknown_fields`; the message names the field and the valid ones.
pub fn from_yaml<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, YamlError> {
    measure(text, file)?;
    serde_yaml::from_str(text).map_err(|e| {
        let location = e.location();
        // serde_yaml appends " at line L column C"; the location is given separately.
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(i) if location.is_some() => message[..i].to_string(),
            _ => message,
        };
        YamlError {
            file: file.to_string(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message,
        }
    })
}

/// `check_shape` as a `YamlError`: the limits are checked before libyaml sees the text.
fn measure(text: &str, file: &str) -> Result<(), YamlError> {
    check_shape(text).map_err(|(line, message)| YamlError {
        file: file.to_string(),
        line: Some(line),
        column: None,
        message,
    })
}

pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, YamlError> {
    serde_yaml::to_string(value).map_err(|e| YamlError {
        file: String::new(),
        line: None,
        column: None,
        message: e.to_string(),
    })
}

/// The versions of preflight a policy or profile file was written for: its
/// `requires:` key (a semver requirement such as ">=0.2"), checked against this
/// preflight's own version before anything else of the file is read, so that a file
/// using keys a newer preflight added fails on an older one with this error rather
/// than an unknown key.
pub fn check_requires(text: &str, file: &str) -> Result<(), YamlError> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        requires: Option<serde_yaml::Value>,
    }
    measure(text, file)?;
    // A file that does not parse is left to the full parse to report.
    let Ok(Head {
        requires: Some(requires),
    }) = serde_yaml::from_str::<Head>(text)
    else {
        return Ok(());
    };
    let error = |message: String| YamlError {
        file: file.to_string(),
        line: line_of(text, "requires", 1),
        column: None,
        message,
    };
    let Some(requirement) = requires.as_str() else {
        return Err(error(
            "requires: give a version requirement as a string, like \">=0.1\"".into(),
        ));
    };
    let wanted = semver::VersionReq::parse(requirement).map_err(|e| {
        error(format!(
            "requires: `{requirement}` is not a version requirement like \">=0.1\" ({e})"
        ))
    })?;
    let this = semver::Version::parse(env!("CARGO_PKG_VERSION")).expect("the crate's version");
    if wanted.matches(&this) {
        Ok(())
    } else {
        Err(error(format!(
            "requires preflight {requirement}, but this is preflight {this}: upgrade preflight"
        )))
    }
}

/// The 1-based lines where `key:` appears, in order (as `line_of` finds them), in one
/// pass: for a list whose every item has the key (a policy's waivers).
pub fn lines_of(text: &str, key: &str) -> Vec<usize> {
    let plain = format!("{key}:");
    let double = format!("\"{key}\":");
    let single = format!("'{key}':");
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let t = line.trim_start().trim_start_matches("- ");
            t.starts_with(&plain) || t.starts_with(&double) || t.starts_with(&single)
        })
        .map(|(i, _)| i + 1)
        .collect()
}

/// The 1-based line where `key:` first appears at or after `from_line`, to locate
/// errors found after parsing (a value that parsed but is not valid).
pub fn line_of(text: &str, key: &str, from_line: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from_line.saturating_sub(1))
        .find(|(_, line)| {
            let t = line.trim_start().trim_start_matches("- ");
            t.starts_with(&format!("{key}:"))
                || t.starts_with(&format!("\"{key}\":"))
                || t.starts_with(&format!("'{key}':"))
        })
        .map(|(i, _)| i + 1)
}

/// How deep a policy or profile file may nest (mappings, sequences, flow
/// collections): real ones nest about five deep. serde_yaml stops at 128 levels, but
/// only after libyaml has scanned the whole file, and libyaml's scanner is quadratic
/// in the nesting (it re-checks every open "simple key" at each token): 100,000
/// levels took over a minute. The file is measured first.
pub const MAX_DEPTH: usize = 64;

/// What the file's aliases (`*name`) may add when expanded, beyond its own size: at
/// most its size again, or 1 MiB. Nine levels of ten aliases each ("billion laughs")
/// would expand a 1 KiB file to gigabytes.
pub const MIN_EXPANSION: u64 = 1 << 20;

/// An anchored node (`&name`) whose end is not reached yet.
struct OpenAnchor<'t> {
    name: &'t [u8],
    start: usize,
    /// What the aliases inside it expand to.
    extra: u64,
    end: AnchorEnd,
}

#[derive(Clone, Copy)]
enum AnchorEnd {
    /// A flow collection: ends when the flow depth comes back to this.
    Flow(usize),
    /// A node inside a flow collection (this deep): ends at the next `,` or bracket.
    FlowItem(usize),
    /// A block node: ends at the first line indented less than `min_indent`, except
    /// a `- ` line at `dash_at` (a block sequence may sit at its key's indentation).
    Block {
        min_indent: usize,
        dash_at: Option<usize>,
    },
}

/// Measures a YAML text before it is parsed: its nesting depth (from indentation,
/// `- `/`? `/`: ` indicators and flow brackets, an estimate never below the real
/// depth) and what its aliases expand to (each anchored node's extent in the text
/// plus what the aliases inside it expand to). Linear in the text; refuses at the
/// first place that goes past a limit, with its line.
fn check_shape(text: &str) -> Result<(), (usize, String)> {
    let allowed = (text.len() as u64).max(MIN_EXPANSION);
    let mut expanded: u64 = 0;
    let mut sizes: HashMap<&[u8], u64> = HashMap::new();
    let mut open: Vec<OpenAnchor<'_>> = Vec::new();
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut quote: Option<u8> = None;
    // The indentation a block scalar's lines go beyond.
    let mut block_scalar: Option<usize> = None;
    let mut expect_node = true;
    let mut offset = 0usize;
    let too_deep = |line: usize| {
        Err((
            line,
            format!(
                "nested more than {MAX_DEPTH} levels deep, more than preflight reads in a policy or profile file"
            ),
        ))
    };
    for (number, raw_line) in text.split('\n').enumerate() {
        let line_no = number + 1;
        let line_start = offset;
        offset += raw_line.len() + 1;
        let l = raw_line.strip_suffix('\r').unwrap_or(raw_line).as_bytes();
        let indent = l.iter().take_while(|&&b| b == b' ').count();
        let rest = &l[indent..];
        let blank = rest.iter().all(|b| b.is_ascii_whitespace());
        if let Some(parent) = block_scalar {
            if blank || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        if quote.is_none() && (blank || rest.starts_with(b"#")) {
            continue;
        }
        let mut i = 0;
        if quote.is_none() && flow == 0 {
            // A line of block structure: anchored block nodes it is outside of end.
            let dash = rest.starts_with(b"-") && rest.get(1).is_none_or(|b| *b == b' ');
            open.retain(|anchor| match anchor.end {
                AnchorEnd::Block {
                    min_indent,
                    dash_at,
                } if indent < min_indent && !(dash && dash_at == Some(indent)) => {
                    let size = ((line_start - anchor.start) as u64).saturating_add(anchor.extra);
                    sizes.insert(anchor.name, size);
                    false
                }
                _ => true,
            });
            while indents.last().is_some_and(|&top| top > indent) {
                indents.pop();
            }
            if indents.last() != Some(&indent) {
                indents.push(indent);
            }
            expect_node = true;
            i = indent;
        }
        let mut indicators = 0usize;
        // The column of the line's first node that is not an indicator (a key).
        let mut node_col: Option<usize> = None;
        let mut after_key = false;
        while i < l.len() {
            let b = l[i];
            if let Some(q) = quote {
                if q == b'"' && b == b'\\' {
                    i += 2;
                    continue;
                }
                if b == q {
                    if q == b'\'' && l.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                    expect_node = false;
                }
                i += 1;
                continue;
            }
            let prev_space = i == 0 || matches!(l[i - 1], b' ' | b'\t');
            let next_space = l
                .get(i + 1)
                .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\r'));
            if matches!(b, b' ' | b'\t') {
                i += 1;
                continue;
            }
            if b == b'#' && prev_space {
                break;
            }
            if flow > 0 {
                match b {
                    b'[' | b'{' => {
                        flow += 1;
                        if indents.len() + indicators + flow > MAX_DEPTH {
                            return too_deep(line_no);
                        }
                        expect_node = true;
                        i += 1;
                        continue;
                    }
                    b']' | b'}' | b',' => {
                        let item_depth = flow;
                        if b != b',' {
                            flow -= 1;
                        }
                        let end = line_start + i + 1;
                        open.retain(|anchor| {
                            let ends = match anchor.end {
                                AnchorEnd::Flow(depth) => depth >= flow && b != b',',
                                AnchorEnd::FlowItem(depth) => depth >= item_depth,
                                AnchorEnd::Block { .. } => false,
                            };
                            if ends {
                                let size =
                                    ((end - anchor.start) as u64).saturating_add(anchor.extra);
                                sizes.insert(anchor.name, size);
                            }
                            !ends
                        });
                        expect_node = b == b',';
                        i += 1;
                        continue;
                    }
                    b':' => {
                        expect_node = true;
                        i += 1;
                        continue;
                    }
                    _ => {}
                }
            }
            if !expect_node {
                // Inside a plain scalar or after a node: only `: ` starts a value.
                if b == b':' && next_space {
                    expect_node = true;
                    after_key = true;
                }
                i += 1;
                continue;
            }
            match b {
                b'"' | b'\'' => {
                    quote = Some(b);
                    node_col.get_or_insert(i);
                    i += 1;
                }
                b'[' | b'{' => {
                    flow += 1;
                    if indents.len() + indicators + flow > MAX_DEPTH {
                        return too_deep(line_no);
                    }
                    node_col.get_or_insert(i);
                    i += 1;
                }
                b'-' | b'?' | b':' if next_space => {
                    indicators += 1;
                    if indents.len() + indicators + flow > MAX_DEPTH {
                        return too_deep(line_no);
                    }
                    after_key = b == b':';
                    i += 1;
                }
                b'!' => {
                    // A tag: the node follows.
                    while i < l.len() && !matches!(l[i], b' ' | b'\t') {
                        i += 1;
                    }
                }
                b'&' | b'*' => {
                    let name_end = (i + 1..l.len())
                        .find(|&j| {
                            matches!(
                                l[j],
                                b' ' | b'\t' | b'\r' | b',' | b'[' | b']' | b'{' | b'}'
                            )
                        })
                        .unwrap_or(l.len());
                    let name = &l[i + 1..name_end];
                    if b == b'*' {
                        let size = sizes.get(name).copied().unwrap_or(0);
                        expanded = expanded.saturating_add(size);
                        for anchor in &mut open {
                            anchor.extra = anchor.extra.saturating_add(size);
                        }
                        if expanded > allowed {
                            return Err((
                                line_no,
                                "its aliases (`*name`) expand it to more than twice its size (or 1 MiB), more than preflight reads in a policy or profile file".to_string(),
                            ));
                        }
                        expect_node = false;
                        i = name_end;
                        continue;
                    }
                    // What the anchor names: the rest of the line after a tag, or
                    // the lines below.
                    let mut next = name_end;
                    while next < l.len() && matches!(l[next], b' ' | b'\t') {
                        next += 1;
                    }
                    if l.get(next) == Some(&b'!') {
                        while next < l.len() && !matches!(l[next], b' ' | b'\t') {
                            next += 1;
                        }
                        while next < l.len() && matches!(l[next], b' ' | b'\t') {
                            next += 1;
                        }
                    }
                    let end = match l.get(next) {
                        Some(b'[' | b'{') => AnchorEnd::Flow(flow),
                        _ if flow > 0 => AnchorEnd::FlowItem(flow),
                        None | Some(b'#') | Some(b'\r') => {
                            let parent = node_col.unwrap_or(indent);
                            AnchorEnd::Block {
                                min_indent: parent + 1,
                                dash_at: after_key.then_some(parent),
                            }
                        }
                        Some(_) => AnchorEnd::Block {
                            min_indent: next,
                            dash_at: None,
                        },
                    };
                    open.push(OpenAnchor {
                        name,
                        start: line_start + i,
                        extra: 0,
                        end,
                    });
                    i = name_end;
                }
                b'|' | b'>' if flow == 0 => {
                    // A block scalar: its lines are text, not structure.
                    block_scalar = Some(node_col.unwrap_or(indent));
                    break;
                }
                _ => {
                    node_col.get_or_insert(i);
                    expect_node = false;
                    i += 1;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_is_checked_against_this_version() {
        assert!(check_requires("rules: {}\n", "p.yaml").is_ok());
        assert!(check_requires("requires: \">=0.1\"\n", "p.yaml").is_ok());
        let newer =
            check_requires("# a policy\nrequires: \">=99\"\nnew_key: 1\n", "p.yaml").unwrap_err();
        assert_eq!(newer.line, Some(2));
        assert!(
            newer
                .to_string()
                .starts_with("p.yaml:2: requires preflight >=99, but this is preflight "),
            "{newer}"
        );
        let bad = check_requires("requires: \"soon\"\n", "p.yaml").unwrap_err();
        assert!(
            bad.message.contains("is not a version requirement"),
            "{bad}"
        );
        let number = check_requires("requires: 2\n", "p.yaml").unwrap_err();
        assert!(number.message.contains("as a string"), "{number}");
    }

    #[test]
    fn errors_quote_values_cut_short_and_escaped() {
        let long = "x".repeat(500);
        let message =
            format!("invalid type: string \"\\u{{1b}}]0;t{long}\", expected `a{long}` or `b`");
        let shown = quoted_excerpts(&message, 10);
        assert_eq!(
            shown,
            "invalid type: string \"\\u{1b}]0;tx…\", expected `axxxxxxxxx…` or `b`"
        );
        let error = YamlError {
            file: "dist/\x1b[2J.preflight.yaml".into(),
            line: Some(3),
            column: None,
            message: "unknown field `k\x1b[31m`".into(),
        };
        assert_eq!(
            error.to_string(),
            "dist/\\x1b[2J.preflight.yaml:3: unknown field `k\\x1b[31m`"
        );
    }

    #[test]
    fn nesting_and_aliases_are_measured_not_guessed() {
        assert!(check_shape("a:\n  b:\n    - [1, {c: d}]\n").is_ok());
        // Brackets in plain and quoted scalars and in block scalars are text.
        let text = "path: lib[[[[[x\nreason: \"[[[[[[[[\"\nnote: |\n  [[[[[[[[[[\n";
        assert!(check_shape(&text.repeat(100)).is_ok());
        let deep = format!("a: {}", "[".repeat(65));
        assert_eq!(check_shape(&deep).unwrap_err().0, 1);
        let deep = format!("a:\n{}x\n", "- ".repeat(70));
        assert_eq!(check_shape(&deep).unwrap_err().0, 2);
        // An anchored mapping used many times: within twice the file, fine; past it, not.
        let mut text = String::from("base: &b\n  k: v\n");
        text.push_str(&"use: [*b, *b]\n".repeat(10));
        assert!(check_shape(&text).is_ok());
        let big = format!(
            "big: &b [{}]\nuse: [{}]\n",
            "x, ".repeat(100_000),
            "*b, ".repeat(10)
        );
        assert!(check_shape(&big).unwrap_err().1.contains("aliases"));
    }
}
