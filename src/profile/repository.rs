//! A release's repository map (`policies/hosts/<profile>/repository.txt`): which
//! package provides each soname, for the libraries the base image lacks, and the
//! command that installs packages on each distribution family.
//!
//! The map is the largest file of a profile (up to 11,000 lines); it is decompressed
//! only when a scan first asks for a library its base image lacks, and looked up by
//! binary search on its sorted lines, never split into a map.

use crate::platform::Platform;
use std::fmt;
use std::sync::OnceLock;

/// The package a missing library is installed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    /// The map is not the release's own index (a family's usual naming, or another
    /// platform's index).
    pub inferred: bool,
}

/// `soname<TAB>packages (preferred first, comma-separated)[<TAB>platforms]` lines,
/// sorted by soname (policies/README.md, `repository.txt`).
pub struct Repository {
    /// The zstd stream, as embedded.
    packed: &'static [u8],
    /// Its text and the start of every data line, on first use.
    text: OnceLock<(String, Vec<usize>)>,
}

impl Repository {
    pub fn new(packed: &'static [u8]) -> Repository {
        Repository {
            packed,
            text: OnceLock::new(),
        }
    }

    /// Repository maps are built from text checked at build time; a stream that does
    /// not decompress is a bug the tests catch, and here an empty map.
    fn lines(&self) -> &(String, Vec<usize>) {
        self.text.get_or_init(|| {
            let text = zstd::stream::decode_all(self.packed)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_default();
            let mut starts = Vec::with_capacity(text.len() / 24);
            let mut at = 0;
            for line in text.split_inclusive('\n') {
                if !line.starts_with('#') && !line.trim().is_empty() {
                    starts.push(at);
                }
                at += line.len();
            }
            (text, starts)
        })
    }

    /// The packages that provide `soname` on `platform`, preferred first.
    pub fn packages(&self, platform: Platform, soname: &str) -> Option<Vec<&str>> {
        let (text, starts) = self.lines();
        let line_at = |start: usize| {
            let rest = &text[start..];
            rest[..rest.find('\n').unwrap_or(rest.len())].trim_end_matches('\r')
        };
        let key = |start: usize| line_at(start).split('\t').next().unwrap_or("");
        // The lines are sorted by soname, byte by byte (policies/regen/check.py and tests/hosts.rs check it).
        let first = starts.partition_point(|s| key(*s) < soname);
        let short = platform.as_str().trim_start_matches("linux/");
        starts[first..]
            .iter()
            .map(|s| line_at(*s))
            .take_while(|line| line.split('\t').next() == Some(soname))
            .find_map(|line| {
                let mut columns = line.split('\t').skip(1);
                let packages = columns.next()?;
                let applies = columns
                    .next()
                    .is_none_or(|platforms| platforms.split(',').any(|p| p == short));
                applies.then(|| packages.split(',').filter(|p| !p.is_empty()).collect())
            })
    }

    /// Every soname the map has for `platform`, with its preferred package (for
    /// `profiles show --libraries`).
    pub fn entries(&self, platform: Platform) -> Vec<(&str, &str)> {
        let (text, starts) = self.lines();
        let short = platform.as_str().trim_start_matches("linux/");
        let mut out: Vec<(&str, &str)> = Vec::new();
        for start in starts {
            let rest = &text[*start..];
            let line = rest[..rest.find('\n').unwrap_or(rest.len())].trim_end_matches('\r');
            let mut columns = line.split('\t');
            let (Some(soname), Some(packages)) = (columns.next(), columns.next()) else {
                continue;
            };
            let applies = columns
                .next()
                .is_none_or(|platforms| platforms.split(',').any(|p| p == short));
            if applies && out.last().map(|(s, _)| *s) != Some(soname) {
                out.push((soname, packages.split(',').next().unwrap_or(packages)));
            }
        }
        out
    }

    /// Whether the lines are sorted by soname, as the lookup needs.
    pub fn is_sorted(&self) -> bool {
        let (text, starts) = self.lines();
        let key = |s: &usize| text[*s..].split(['\t', '\n']).next().unwrap_or("");
        starts.windows(2).all(|w| key(&w[0]) <= key(&w[1]))
    }
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Repository({} bytes packed)", self.packed.len())
    }
}

impl PartialEq for Repository {
    fn eq(&self, other: &Repository) -> bool {
        std::ptr::eq(self.packed, other.packed)
    }
}

/// The command that installs `packages` on a release of `family` (a built-in family,
/// or the `ID` of `/etc/os-release` a captured profile keeps): each family's own
/// package manager, as its documentation names it.
pub fn install_command(family: &str, version: &str, packages: &[String]) -> String {
    let tool = match family {
        "debian" | "ubuntu" => "apt-get install",
        "alpine" => "apk add",
        // Amazon Linux 2 has yum only; dnf arrived with Amazon Linux 2023.
        "amazonlinux" | "amzn" if version == "2" => "yum install",
        "centos" | "rhel" | "ol" if version.split('.').next() == Some("7") => "yum install",
        "rhel" | "fedora" | "amazonlinux" | "amzn" | "rocky" | "almalinux" | "centos" | "ol" => {
            "dnf install"
        }
        "opensuse" | "opensuse-leap" | "opensuse-tumbleweed" | "sles" | "suse" => "zypper install",
        _ => "install",
    };
    format!("{tool} {}", packages.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> Repository {
        let packed = zstd::bulk::compress(text.as_bytes(), 3).unwrap();
        Repository::new(Box::leak(packed.into_boxed_slice()))
    }

    #[test]
    fn lookups_follow_the_platform_column_and_prefer_the_first_package() {
        let repository = map("# soname\tpackages\tplatforms\n\
             ld-linux-x86-64.so.2\tlibc6\tamd64\n\
             libavcodec.so.59\tlibavcodec59,libavcodec-extra59\n\
             libfoo.so.1\tlibfoo1\tamd64,arm64\n\
             libfoo.so.1\tlibfoo1-ports\tarm/v7\n\
             libz.so.1\tzlib1g\n");
        assert!(repository.is_sorted());
        let amd64 = Platform::LinuxAmd64;
        assert_eq!(
            repository.packages(amd64, "libavcodec.so.59"),
            Some(vec!["libavcodec59", "libavcodec-extra59"])
        );
        assert_eq!(
            repository.packages(Platform::LinuxArmV7, "libfoo.so.1"),
            Some(vec!["libfoo1-ports"])
        );
        assert_eq!(
            repository.packages(Platform::LinuxArm64, "libfoo.so.1"),
            Some(vec!["libfoo1"])
        );
        assert_eq!(
            repository.packages(Platform::LinuxS390x, "libfoo.so.1"),
            None
        );
        assert_eq!(
            repository.packages(amd64, "ld-linux-x86-64.so.2"),
            Some(vec!["libc6"])
        );
        assert_eq!(
            repository.packages(Platform::LinuxArm64, "ld-linux-x86-64.so.2"),
            None
        );
        assert_eq!(repository.packages(amd64, "libz.so"), None);
        assert_eq!(repository.packages(amd64, "libzz.so.1"), None);
        assert_eq!(
            repository.entries(Platform::LinuxArmV7),
            [
                ("libavcodec.so.59", "libavcodec59"),
                ("libfoo.so.1", "libfoo1-ports"),
                ("libz.so.1", "zlib1g")
            ]
        );
    }

    #[test]
    fn each_family_installs_with_its_own_tool() {
        let pkgs = ["libcurl".to_string(), "libpq".to_string()];
        for (family, version, command) in [
            ("ubuntu", "24.04", "apt-get install libcurl libpq"),
            ("rhel", "9", "dnf install libcurl libpq"),
            ("amazonlinux", "2", "yum install libcurl libpq"),
            ("amazonlinux", "2023", "dnf install libcurl libpq"),
            ("opensuse", "15.6", "zypper install libcurl libpq"),
            ("alpine", "3.23", "apk add libcurl libpq"),
            ("gentoo", "1", "install libcurl libpq"),
        ] {
            assert_eq!(install_command(family, version, &pkgs), command);
        }
    }
}
