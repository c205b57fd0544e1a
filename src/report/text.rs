//! Untrusted text in the human-readable reports (table, tree, Markdown).
//!
//! File names, paths and every string read from inside a file (sonames, search
//! paths, symbol and version names, the interpreter, Go build information, compiler
//! names) go through `escape` before they reach a terminal: control characters and
//! bidi marks are shown as `\x1b`, `\u{202e}` (see `crate::text`, the one escaping
//! function). Markdown also gets `markdown` and `code`, which keep a name from
//! becoming HTML, a link, emphasis or a new table cell. JSON, SARIF and GitHub
//! workflow commands escape with their own formats' rules.

use std::borrow::Cow;

pub use crate::text::{count, escape};

/// A summary's counts, each noun agreeing with its number: "1 error, 0 warnings, 2 notes".
pub fn severity_counts(errors: usize, warnings: usize, notes: usize) -> String {
    format!(
        "{}, {}, {}",
        count(errors, "error", "errors"),
        count(warnings, "warning", "warnings"),
        count(notes, "note", "notes")
    )
}

/// `escape`, owned.
pub fn esc(text: &str) -> String {
    escape(text).into_owned()
}

/// Items escaped one by one and joined: the separator (a newline between listed
/// causes) is the report's own.
pub fn join_escaped<S: AsRef<str>>(items: &[S], separator: &str) -> String {
    items
        .iter()
        .map(|item| escape(item.as_ref()))
        .collect::<Vec<_>>()
        .join(separator)
}

/// Text for a Markdown paragraph or table cell: escaped as above, `&` and `<` written
/// as entities (no HTML, no character reference), and the punctuation that makes
/// Markdown syntax (emphasis, links, code, headings, table cells) escaped with a
/// backslash, which GitHub Flavored Markdown allows before any ASCII punctuation.
pub fn markdown(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::with_capacity(escaped.len() + 8);
    for c in escaped.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` as an inline code span in a Markdown table: fenced with one backtick more
/// than its longest run of backticks (so it cannot close the span), `|` escaped (GFM
/// splits table rows before it reads code spans), control characters escaped. HTML
/// is not interpreted inside a code span.
pub fn code(text: &str) -> String {
    let escaped: Cow<str> = escape(text);
    let escaped = escaped.replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in escaped.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A span that starts or ends with a backtick needs a space inside the fence.
    let pad = if escaped.starts_with('`') || escaped.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{escaped}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_makes_no_markup() {
        assert_eq!(markdown("libc.so.6"), "libc.so.6");
        assert_eq!(
            markdown("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(markdown("[x](http://e)"), "\\[x\\](http://e)");
        assert_eq!(markdown("*_`#~!"), "\\*\\_\\`\\#\\~\\!");
        assert_eq!(markdown("&#x202e;"), "&amp;\\#x202e;");
        assert_eq!(markdown("a\nb\x1b"), "a\\\\x0ab\\\\x1b");
    }

    #[test]
    fn code_spans_cannot_be_closed_from_inside() {
        assert_eq!(code("lib/app"), "`lib/app`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("``x"), "``` ``x ```");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x\ny"), "`x\\x0ay`");
    }

    #[test]
    fn joined_items_are_escaped_one_by_one() {
        assert_eq!(join_escaped(&["a\nb", "c"], "\n"), "a\\x0ab\nc");
    }
}
