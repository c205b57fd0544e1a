//! Symbol-version names such as `GLIBC_2.2.5`, `GLIBCXX_3.4.30` or `CXXABI_1.3.13`.
//!
//! They are ordered the way a person reads them: by family, then numerically part by
//! part, so `GLIBC_2.2.5` < `GLIBC_2.17` < `GLIBC_2.34`. A plain string sort would put
//! `GLIBC_2.17` before `GLIBC_2.2.5`. The semver crate does not fit: these are not
//! semantic versions (two or four parts are common, and `GLIBC_PRIVATE` has none).

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// A version name as written in `.gnu.version_r` / `.gnu.version_d`. Shared, not
/// copied: every symbol of a file that needs `GLIBC_2.2.5` points at one string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VersionName(Arc<str>);

impl VersionName {
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        VersionName(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Splits `GLIBC_2.34` into (`GLIBC`, [2, 34]). A name without a numeric tail
    /// (`GLIBC_PRIVATE`, `FOO`) has an empty number list.
    pub fn family_and_numbers(&self) -> (&str, Vec<u64>) {
        split_family(&self.0)
    }
}

fn split_family(name: &str) -> (&str, Vec<u64>) {
    if let Some(pos) = name.rfind('_') {
        let tail = &name[pos + 1..];
        if let Some(numbers) = parse_numbers(tail) {
            return (&name[..pos], numbers);
        }
    }
    (name, Vec::new())
}

fn parse_numbers(text: &str) -> Option<Vec<u64>> {
    if text.is_empty() {
        return None;
    }
    text.split('.')
        .map(|part| part.parse::<u64>().ok())
        .collect()
}

/// Sorts `names` as `sort` would (by `Ord`), parsing each name once rather than at
/// every comparison: libc defines some sixty versions. Names of at most four numbers
/// (nearly all) are keyed without an allocation each; a list with a longer one is
/// keyed the general way.
pub fn sort_version_names(names: &mut Vec<VersionName>) {
    if names.len() < 2 {
        return;
    }
    let Some(keys) = names
        .iter()
        .map(|name| inline_key(name.as_str()))
        .collect::<Option<Vec<_>>>()
    else {
        return sort_by_parsed_keys(names);
    };
    let mut keyed: Vec<(InlineKey, VersionName)> = keys.into_iter().zip(names.drain(..)).collect();
    keyed.sort_by(|((fa, na, ca), a), ((fb, nb, cb), b)| {
        a.as_str()[..*fa]
            .cmp(&b.as_str()[..*fb])
            .then_with(|| na[..*ca].cmp(&nb[..*cb]))
            .then_with(|| a.as_str().cmp(b.as_str()))
    });
    names.extend(keyed.into_iter().map(|(_, name)| name));
}

/// (family length, numbers, how many): `split_family`'s answer held inline.
type InlineKey = (usize, [u64; 4], usize);

/// `split_family` of `name` without allocating, or None when its tail has more than
/// four numbers. The bytes are walked by hand (`rfind` and `split` cost more than the
/// rest for names this short); a part is a number as `u64::from_str` takes one.
fn inline_key(name: &str) -> Option<InlineKey> {
    let bytes = name.as_bytes();
    let whole = Some((name.len(), [0; 4], 0));
    let Some(pos) = bytes.iter().rposition(|&b| b == b'_') else {
        return whole;
    };
    let tail = &bytes[pos + 1..];
    if tail.is_empty() {
        return whole;
    }
    let mut numbers = [0u64; 4];
    let mut count = 0;
    for part in tail.split(|&b| b == b'.') {
        let Some(n) = parse_u64(part) else {
            return whole;
        };
        *numbers.get_mut(count)? = n;
        count += 1;
    }
    Some((pos, numbers, count))
}

/// `str::parse::<u64>` on ASCII bytes: an optional '+', then at least one digit, no
/// overflow.
fn parse_u64(part: &[u8]) -> Option<u64> {
    let digits = part.strip_prefix(b"+").unwrap_or(part);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

fn sort_by_parsed_keys(names: &mut Vec<VersionName>) {
    let mut keyed: Vec<(usize, Vec<u64>, VersionName)> = std::mem::take(names)
        .into_iter()
        .map(|name| {
            let (family, numbers) = name.family_and_numbers();
            (family.len(), numbers, name)
        })
        .collect();
    keyed.sort_by(|(fa, na, a), (fb, nb, b)| {
        a.as_str()[..*fa]
            .cmp(&b.as_str()[..*fb])
            .then_with(|| na.cmp(nb))
            .then_with(|| a.as_str().cmp(b.as_str()))
    });
    names.extend(keyed.into_iter().map(|(_, _, name)| name));
}

/// Compares two version names by family, then numerically; ties broken by the raw text
/// so the order is total and consistent with `Eq`.
pub fn compare_version_names(a: &str, b: &str) -> Ordering {
    let (fa, ta) = split_tail(a);
    let (fb, tb) = split_tail(b);
    fa.cmp(fb)
        .then_with(|| numbers(ta).cmp(numbers(tb)))
        .then_with(|| a.cmp(b))
}

/// `split_family` without collecting the numbers: (family, numeric tail or "").
/// Sorting and map lookups compare names often enough for the allocation to show.
fn split_tail(name: &str) -> (&str, &str) {
    if let Some(pos) = name.rfind('_') {
        let tail = &name[pos + 1..];
        if !tail.is_empty() && numbers(tail).all(|n| n.is_some()) {
            return (&name[..pos], tail);
        }
    }
    (name, "")
}

/// The numbers of a tail `split_tail` accepted (none for "").
fn numbers(tail: &str) -> impl Iterator<Item = Option<u64>> + '_ {
    tail.split('.')
        .filter(move |_| !tail.is_empty())
        .map(|part| part.parse::<u64>().ok())
}

impl Ord for VersionName {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_version_names(&self.0, &other.0)
    }
}

impl PartialOrd for VersionName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for VersionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for VersionName {
    fn from(s: &str) -> Self {
        VersionName(s.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_order_within_a_family() {
        let mut names: Vec<VersionName> = ["GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.3"]
            .into_iter()
            .map(VersionName::from)
            .collect();
        names.sort();
        let sorted: Vec<&str> = names.iter().map(VersionName::as_str).collect();
        assert_eq!(
            sorted,
            ["GLIBC_2.2.5", "GLIBC_2.3", "GLIBC_2.17", "GLIBC_2.34"]
        );
    }

    #[test]
    fn families_group_and_private_names_sort_first_in_family() {
        assert_eq!(
            VersionName::from("GLIBC_PRIVATE").family_and_numbers(),
            ("GLIBC_PRIVATE", vec![])
        );
        assert_eq!(
            VersionName::from("GLIBCXX_3.4.30").family_and_numbers(),
            ("GLIBCXX", vec![3, 4, 30])
        );
        assert!(VersionName::from("CXXABI_1.3") < VersionName::from("GLIBC_2.2.5"));
    }

    #[test]
    fn sorting_with_parsed_keys_agrees_with_sort() {
        let mut names: Vec<VersionName> = [
            "GLIBC_2.34",
            "GLIBC_PRIVATE",
            "GLIBC_2.2.5",
            "GLIBCXX_3.4",
            "GLIBC_2.17",
            "GLIBC_x",
            "GLIBC_2.2.5",
            "A_B_1.0",
            "GLIBC",
            "GLIBC_01",
            "GLIBC_1",
            "",
            "GLIBC_1.2.3.4",
            "GLIBC_1.2.3.4.5",
            "GLIBC_1.2.3.5",
            "GLIBC_+1",
            "GLIBC_1..2",
            "GLIBC_99999999999999999999",
            "GLIBC_",
            "_1",
        ]
        .into_iter()
        .map(VersionName::from)
        .collect();
        let mut expected = names.clone();
        expected.sort();
        sort_version_names(&mut names);
        assert_eq!(names, expected);
    }

    #[test]
    fn inline_keys_sort_as_sort_does() {
        let mut names: Vec<VersionName> = [
            "GLIBC_2.34",
            "GLIBC_PRIVATE",
            "GLIBC_2.2.5",
            "GLIBC_2.2.5.1",
            "GLIBC_2.2.5.0",
            "GLIBC_2.17",
            "GLIBC_+2",
            "GLIBC_1..2",
            "GLIBC_2",
            "GLIBC_",
            "GLIBCXX_3.4.30",
            "GLIBC_99999999999999999999",
        ]
        .into_iter()
        .map(VersionName::from)
        .collect();
        assert!(names.iter().all(|n| inline_key(n.as_str()).is_some()));
        let mut expected = names.clone();
        expected.sort();
        sort_version_names(&mut names);
        assert_eq!(names, expected);
        assert_eq!(inline_key("GLIBC_1.2.3.4.5"), None);
        // Five parts of which one is no number: the whole name is the family.
        assert_eq!(inline_key("GLIBC_1.2.3.4.x"), Some((15, [0; 4], 0)));
        for part in [
            "",
            "+",
            "+1",
            "1+",
            "-1",
            "01",
            "18446744073709551615",
            "18446744073709551616",
            "١",
        ] {
            assert_eq!(
                parse_u64(part.as_bytes()),
                part.parse::<u64>().ok(),
                "{part:?}"
            );
        }
    }

    #[test]
    fn comparing_without_allocating_agrees_with_family_and_numbers() {
        let names = [
            "GLIBC_2.2.5",
            "GLIBC_2.2",
            "GLIBC_2.2.0",
            "GLIBC_2.17",
            "GLIBC_",
            "GLIBC_x",
            "GLIBC_1..2",
            "GLIBC_+1",
            "GLIBC_01",
            "GLIBC_1",
            "GLIBC",
            "A_B_1.0",
            "A_B",
            "GLIBC_99999999999999999999",
            "_1",
            "",
        ];
        for a in names {
            for b in names {
                let (fa, na) = split_family(a);
                let (fb, nb) = split_family(b);
                let expected = fa.cmp(fb).then_with(|| na.cmp(&nb)).then_with(|| a.cmp(b));
                assert_eq!(compare_version_names(a, b), expected, "{a} vs {b}");
            }
        }
    }
}
