//! Text that comes from what preflight reads (file names, strings inside ELF files,
//! tags and header fields of images), made safe to show to a person.
//!
//! A terminal acts on control characters: ESC starts sequences that move the cursor,
//! clear the screen, set the window title (OSC) or write to the clipboard; a newline
//! or carriage return in a file name forges a line of the report; the Unicode bidi
//! controls reorder what is shown ("Trojan Source", CVE-2021-42574). `escape` writes
//! every one of them as a visible escape, so what is printed is what is there.
//! It is the one escaping function of the human-readable reports (`report::text`)
//! and of error messages that quote what an input holds (`excerpt`).
//!
//! Also the one way a message counts things: `count(1, "file", "files")` is "1 file".

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as it is: C0 controls (newline and tab
/// included), DEL, C1 controls (U+0080-U+009F, which some terminals take as ESC
/// sequences), and the invisible marks that change the order or direction of text.
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        // Arabic letter mark, left-to-right and right-to-left marks.
        | '\u{61c}' | '\u{200e}' | '\u{200f}'
        // Embeddings, overrides and their end (LRE, RLE, PDF, LRO, RLO).
        | '\u{202a}'..='\u{202e}'
        // Isolates (LRI, RLI, FSI, PDI).
        | '\u{2066}'..='\u{2069}'
        // Line and paragraph separators: line breaks to some terminals and editors.
        | '\u{2028}' | '\u{2029}'
    )
}

/// `text` with every character `needs_escape` names written as `\xNN` (below U+0100)
/// or `\u{NNNN}`; borrowed when there is none. The escapes are printable ASCII, so
/// escaping twice changes nothing more.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// `n` and the noun that agrees with it: "1 error", "0 errors", "2 errors".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// At most `max_chars` characters of untrusted `text`, escaped, with "…" when cut:
/// for error messages that must say what an input holds without printing all of it.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max_chars).collect();
    let mut shown = escape(&head).into_owned();
    if chars.next().is_some() {
        shown.push('…');
    }
    shown
}

/// `excerpt` of bytes that may not be text (invalid UTF-8 shown with replacement
/// characters).
pub fn excerpt_bytes(bytes: &[u8], max_chars: usize) -> String {
    let head = &bytes[..bytes.len().min(max_chars.saturating_mul(4))];
    let mut shown = excerpt(&String::from_utf8_lossy(head), max_chars);
    if head.len() < bytes.len() && !shown.ends_with('…') {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_marks_are_escaped_and_the_rest_kept() {
        assert!(matches!(escape("libc.so.6"), Cow::Borrowed(_)));
        assert_eq!(escape("café ünïcode ✓"), "café ünïcode ✓");
        assert_eq!(
            escape("\x1b]0;title\x07\x1b[2J"),
            "\\x1b]0;title\\x07\\x1b[2J"
        );
        assert_eq!(escape("a\nb\rc\td"), "a\\x0ab\\x0dc\\x09d");
        assert_eq!(escape("\u{7f}\u{85}\u{9b}"), "\\x7f\\x85\\x9b");
        assert_eq!(
            escape("admin\u{202e}txt.exe\u{2066}"),
            "admin\\u{202e}txt.exe\\u{2066}"
        );
        assert_eq!(escape("\u{2028}\u{61c}"), "\\u{2028}\\u{061c}");
        // Escaping is idempotent: the escapes are printable.
        let once = escape("\x1b[31mred\u{202e}").into_owned();
        assert_eq!(escape(&once), once);
        // Every C0 and C1 control is caught.
        for c in (0u32..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(c).unwrap();
            assert!(!escape(&c.to_string()).chars().any(char::is_control));
        }
    }

    #[test]
    fn excerpts_are_short_and_escaped() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("0123456789abc", 10), "0123456789…");
        assert_eq!(excerpt("\x1b[2Jx", 2), "\\x1b[…");
        assert_eq!(excerpt_bytes(b"ok\xff", 10), "ok\u{fffd}");
        assert_eq!(excerpt_bytes(&[b'a'; 100], 5), "aaaaa…");
    }
}
