//! Names people read: C++ (Itanium ABI, `_Z…`) and Rust (legacy `_ZN…17h<hash>E`,
//! and v0 `_R…`) symbol names demangled for reports. Reports show the demangled
//! name; JSON keeps the mangled one, which is what the loader matches.
//!
//! The names come from the scanned files: hostile input. The demanglers are pure
//! Rust and recurse; names are bounded in length, the C++ parser's recursion is
//! capped, and the result is cut short past `MAX_OUTPUT` characters.

/// Names longer than this are shown as they are (real ones rarely pass 1,000).
const MAX_INPUT: usize = 4096;
/// A demangled name longer than this is cut, with "…".
const MAX_OUTPUT: usize = 512;
/// cpp_demangle's own default is 96 for parsing; templates nest far less in practice.
const RECURSION_LIMIT: u32 = 64;

/// The demangled form of a C++ or Rust symbol name; None for a plain C name or a name
/// that does not demangle. A `@VERSION` suffix (`name@GLIBCXX_3.4.30`) is kept.
pub fn demangle(name: &str) -> Option<String> {
    let (symbol, version) = match name.split_once('@') {
        Some((symbol, version)) => (symbol, Some(version)),
        None => (name, None),
    };
    if symbol.len() > MAX_INPUT {
        return None;
    }
    let plain = demangle_rust(symbol).or_else(|| demangle_cpp(symbol))?;
    let mut shown: String = plain.chars().take(MAX_OUTPUT).collect();
    if shown.len() < plain.len() {
        shown.push('…');
    }
    if let Some(version) = version {
        shown.push('@');
        shown.push_str(version);
    }
    Some(shown)
}

/// The name to show: demangled when it is C++ or Rust, else as it is.
pub fn readable(name: &str) -> String {
    demangle(name).unwrap_or_else(|| name.to_string())
}

/// Rust's v0 names (`_R`), and legacy ones (`_ZN…E` whose last part is the
/// `17h` + 16 hex digits hash): the hash is left out (`{:#}`), as backtraces do.
fn demangle_rust(symbol: &str) -> Option<String> {
    let legacy = symbol.starts_with("_ZN") && has_rust_hash(symbol);
    if !(symbol.starts_with("_R") || legacy) {
        return None;
    }
    rustc_demangle::try_demangle(symbol)
        .ok()
        .map(|d| format!("{d:#}"))
}

fn has_rust_hash(symbol: &str) -> bool {
    let Some(body) = symbol.strip_suffix('E') else {
        return false;
    };
    body.len() > 19
        && body.is_char_boundary(body.len() - 19)
        && body[body.len() - 19..]
            .strip_prefix("17h")
            .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn demangle_cpp(symbol: &str) -> Option<String> {
    if !symbol.starts_with("_Z") {
        return None;
    }
    let parse = cpp_demangle::ParseOptions::default().recursion_limit(RECURSION_LIMIT);
    let parsed = cpp_demangle::Symbol::new_with_options(symbol, &parse).ok()?;
    let options = cpp_demangle::DemangleOptions::default().recursion_limit(RECURSION_LIMIT);
    parsed.demangle_with_options(&options).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpp_and_rust_names_demangle_and_c_names_stay() {
        assert_eq!(
            demangle("_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_createERmm").as_deref(),
            Some("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_create(unsigned long&, unsigned long)")
        );
        assert_eq!(
            demangle("_ZSt28__throw_bad_array_new_lengthv@GLIBCXX_3.4.29").as_deref(),
            Some("std::__throw_bad_array_new_length()@GLIBCXX_3.4.29")
        );
        // Rust, legacy (the hash left out) and v0.
        assert_eq!(
            demangle("_ZN3std2io5stdio6_print17h1234567890abcdefE").as_deref(),
            Some("std::io::stdio::_print")
        );
        assert_eq!(
            demangle("_RNvCs1234_5mylib3foo").as_deref(),
            Some("mylib::foo")
        );
        assert_eq!(demangle("memcpy"), None);
        assert_eq!(readable("memcpy@GLIBC_2.14"), "memcpy@GLIBC_2.14");
        assert_eq!(demangle("_Znot-a-name"), None);
    }

    #[test]
    fn hostile_names_are_bounded() {
        // Deep nesting: the recursion cap refuses it instead of overflowing the stack.
        let deep = format!("_Z1f{}v", "PFv".repeat(2000));
        let _ = demangle(&deep);
        let long = format!("_ZN{}E", "3abc".repeat(2000));
        assert_eq!(demangle(&long), None);
        // A long but valid name is cut short.
        let wide = format!(
            "_ZN{}1fEv",
            format!("40{}", "abcdefghij".repeat(4)).repeat(15)
        );
        let shown = demangle(&wide).unwrap();
        assert!(
            shown.ends_with('…') && shown.chars().count() == MAX_OUTPUT + 1,
            "{shown}"
        );
    }
}
