//! The target profile format (`policies/targets/*.yaml`, documented in
//! policies/README.md): what a host provides.

use crate::elf::{Libc, VersionName};
use crate::platform::Platform;
use crate::rules::Levels;
use crate::source::DescribedVersions;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The preflight versions the file is written for (">=0.1"), checked when it is
    /// read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The distribution family, for the runs-on matrix ("ubuntu", "rhel", ...).
    pub family: String,
    /// Compared numerically within the family ("20.04" < "22.04").
    pub version: String,
    pub description: String,
    /// Docker platform ("linux/amd64", "linux/arm64"), as written → what the host
    /// has there (`Profile::platform` looks one up).
    pub platforms: BTreeMap<String, PlatformFacts>,
    /// Rule id → severity on this target ("error", "warning", "note", "off"), as
    /// written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, String>,
    /// `rules`, parsed once (by `parse_profile`, which rejects unknown ids and levels).
    #[serde(skip)]
    pub levels: Levels,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformFacts {
    pub libc: Libc,
    pub libc_version: String,
    /// The program interpreter binaries built for this host carry (PT_INTERP).
    pub interpreter: String,
    /// The loader's default search folders, in order.
    pub library_dirs: Vec<String>,
    /// x86-64 micro-architecture level the host's CPUs are assumed to have (1-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isa_level: Option<u8>,
    /// SONAME → what that library provides.
    #[serde(default)]
    pub libraries: BTreeMap<String, Library>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Library {
    /// Family → highest version provided: a need FAMILY_x.y is met when x.y ≤ it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub max: BTreeMap<String, String>,
    /// Exact version names provided.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// The package that provides it, for fix hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// False when it can be installed from the release's repositories but is not in
    /// its base container image.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub base_image: bool,
}

impl Default for Library {
    /// Present in the base image, versions unknown.
    fn default() -> Self {
        Library {
            max: BTreeMap::new(),
            versions: Vec::new(),
            package: None,
            base_image: true,
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

/// `"2.31"` → [2, 31]. Version strings of profiles compare numerically part by part;
/// not semver (glibc has two parts, zlib four), so semver's parser does not fit.
pub fn dotted_numbers(text: &str) -> Option<Vec<u64>> {
    if text.is_empty() {
        return None;
    }
    text.split('.').map(|p| p.parse().ok()).collect()
}

impl Library {
    pub fn described_versions(&self) -> DescribedVersions {
        DescribedVersions {
            exact: self
                .versions
                .iter()
                .map(|v| VersionName::new(v.as_str()))
                .collect(),
            max: self
                .max
                .iter()
                .filter_map(|(family, v)| Some((family.clone(), dotted_numbers(v)?)))
                .collect(),
        }
    }
}

impl Profile {
    /// What the host has on `platform`; None when the profile does not describe it.
    pub fn platform(&self, platform: Platform) -> Option<&PlatformFacts> {
        self.platforms.get(platform.as_str())
    }
}

impl PlatformFacts {
    pub fn libc_numbers(&self) -> Vec<u64> {
        dotted_numbers(&self.libc_version).unwrap_or_default()
    }
}
