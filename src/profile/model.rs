//! What a target host provides, as one model: a profile file's format (documented in
//! policies/README.md, "Profile files"), which the built-in host data
//! (`hostdata.rs`) is read into as well.

use super::repository::{Package, Repository};
use crate::elf::{Libc, VersionName};
use crate::platform::Platform;
use crate::rules::Levels;
use crate::source::DescribedVersions;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

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
    /// When the facts were read (built-in profiles: the date of their sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_date: Option<String>,
    /// `exact` (read off the release itself), `inferred` (derived: see `sources`) or
    /// `mixed` (some platforms each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    /// Source key → what was read, where and when.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, String>,
    /// A Python wheel policy (manylinux, musllinux) rather than a host: every library
    /// outside `libraries` must be bundled, and some symbols must not be imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheel_policy: Option<WheelPolicy>,
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
    /// The release's repository map (built-in profiles): soname → package, for the
    /// libraries its base image lacks. A profile file says the same with
    /// `base_image: false` libraries.
    #[serde(skip)]
    pub repository: Option<Arc<Repository>>,
}

/// What a wheel policy adds to the libraries it allows (auditwheel's policy files).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WheelPolicy {
    /// auditwheel's priority: of the policies a wheel meets, the highest names its tag.
    #[serde(default)]
    pub priority: u32,
    /// soname → symbols a wheel must not import from it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub blacklist: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformFacts {
    /// `exact` or `inferred`, for this platform's facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    /// The source keys (and how) these facts come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub libc: Libc,
    pub libc_version: String,
    /// The program interpreter binaries built for this host carry (PT_INTERP).
    pub interpreter: String,
    /// The loader's default search folders, in order.
    pub library_dirs: Vec<String>,
    /// x86-64 micro-architecture level the host's CPUs are assumed to have (1-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isa_level: Option<u8>,
    /// musl only: the name `DT_NEEDED` gives its libc (`libc.musl-x86_64.so.1` on
    /// Alpine), which the loader resolves to itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libc_soname: Option<String>,
    /// SONAME → what that library provides.
    #[serde(default)]
    pub libraries: BTreeMap<String, Library>,
    /// Which lines of the profile's repository map apply here (built-in profiles).
    #[serde(skip)]
    pub repository: Option<RepositoryUse>,
}

/// How a platform uses its release's repository map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositoryUse {
    /// `exact` (the platform's own index) or `inferred`.
    pub confidence: String,
    pub source: String,
    /// The platform whose lines stand for this one's (an index not reachable here).
    pub from: Option<Platform>,
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

    /// The platforms it describes, in `Platform::ALL`'s order.
    pub fn described_platforms(&self) -> Vec<Platform> {
        Platform::ALL
            .into_iter()
            .filter(|p| self.platforms.contains_key(p.as_str()))
            .collect()
    }

    /// A library `platform`'s base image lacks but its repositories have: the package
    /// to install (the repository map's preferred one, or a profile file's
    /// `base_image: false` entry). None for a library the host has, or one nothing
    /// is known to provide.
    pub fn installable(&self, platform: Platform, soname: &str) -> Option<Package> {
        let facts = self.platform(platform)?;
        if let Some(library) = facts.libraries.get(soname) {
            return (!library.base_image).then(|| Package {
                name: library
                    .package
                    .clone()
                    .unwrap_or_else(|| soname.to_string()),
                inferred: facts.confidence.as_deref() == Some("inferred"),
            });
        }
        let used = facts.repository.as_ref()?;
        let packages = self
            .repository
            .as_ref()?
            .packages(used.from.unwrap_or(platform), soname)?;
        Some(Package {
            name: packages.first()?.to_string(),
            inferred: used.confidence != "exact",
        })
    }

    /// The command that installs `packages` on this release (`apt-get install ...`).
    pub fn install_command(&self, packages: &[String]) -> String {
        super::repository::install_command(&self.family, &self.version, packages)
    }
}

impl PlatformFacts {
    pub fn libc_numbers(&self) -> Vec<u64> {
        dotted_numbers(&self.libc_version).unwrap_or_default()
    }
}
