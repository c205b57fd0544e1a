//! The built-in host data (`policies/hosts/<profile>/`, made by `policies/regen/`;
//! the format is policies/README.md's "Host data") read into the profile model: the
//! header (`profile.yaml`), each platform's base image (`base.<platform>.txt`, one
//! line per library) and the repository map (`repository.txt`, looked up lazily).

use super::model::{Library, PlatformFacts, Profile, RepositoryUse, WheelPolicy};
use super::repository::Repository;
use crate::elf::Libc;
use crate::platform::Platform;
use crate::yaml::from_yaml;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One folder of policies/hosts/, as build.rs embeds it.
pub struct HostFolder {
    pub name: &'static str,
    /// `profile.yaml`, as text.
    pub profile: &'static str,
    /// Its other files: (file name, zstd stream).
    pub files: &'static [(&'static str, &'static [u8])],
}

impl HostFolder {
    fn file(&self, name: &str) -> Option<&'static [u8]> {
        self.files.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }
}

/// `profile.yaml` of a release or wheel policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub family: String,
    pub version: String,
    pub description: String,
    pub data_date: String,
    pub confidence: String,
    pub sources: BTreeMap<String, String>,
    /// The repository map's file name.
    #[serde(default)]
    repository: Option<String>,
    /// Wheel policies: auditwheel's priority, whitelist and blacklist.
    #[serde(default)]
    priority: Option<u32>,
    #[serde(default)]
    whitelist: Vec<String>,
    #[serde(default)]
    blacklist: BTreeMap<String, Vec<String>>,
    pub platforms: BTreeMap<String, HeaderPlatform>,
    #[serde(default)]
    rules: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderPlatform {
    #[serde(default)]
    confidence: Option<String>,
    #[serde(default)]
    source: Option<String>,
    libc: Libc,
    libc_version: String,
    interpreter: String,
    library_dirs: Vec<String>,
    /// `/etc/ld.so.conf`'s folders, already part of `library_dirs`.
    #[serde(default)]
    #[allow(dead_code)]
    ld_so_conf: Vec<String>,
    #[serde(default)]
    isa_level: Option<u8>,
    #[serde(default)]
    base_image: Option<BaseImage>,
    #[serde(default)]
    repository: Option<RepositoryFacts>,
    #[serde(default)]
    libc_soname: Option<String>,
    /// Wheel policies: family → the exact versions allowed on this architecture.
    #[serde(default)]
    symbol_versions: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaseImage {
    file: String,
    libraries: usize,
    #[serde(default)]
    #[allow(dead_code)]
    packages: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepositoryFacts {
    confidence: String,
    source: String,
    #[serde(default)]
    from: Option<String>,
}

/// Reads one folder into a profile: the header, and the base image of each platform
/// in `platforms` (every one it describes when None).
pub fn read_folder(folder: &HostFolder, platforms: Option<&[Platform]>) -> Result<Profile, String> {
    let at = format!("policies/hosts/{}/profile.yaml", folder.name);
    let header: Header = from_yaml(folder.profile, &at).map_err(|e| e.to_string())?;
    let repository = header
        .repository
        .as_deref()
        .map(|file| {
            folder
                .file(file)
                .map(|packed| Arc::new(Repository::new(packed)))
                .ok_or_else(|| format!("{at}: no {file}"))
        })
        .transpose()?;
    let mut described = BTreeMap::new();
    for (key, p) in &header.platforms {
        let platform =
            Platform::parse(key).ok_or_else(|| format!("{at}: unknown platform {key}"))?;
        if platforms.is_some_and(|wanted| !wanted.contains(&platform)) {
            continue;
        }
        let libraries = match (&p.base_image, &p.symbol_versions) {
            (Some(base), _) => {
                let packed = folder
                    .file(&base.file)
                    .ok_or_else(|| format!("{at}: no {}", base.file))?;
                let text = unpack(packed).map_err(|e| format!("{}: {e}", base.file))?;
                let libraries = parse_base(&text);
                if libraries.len() != base.libraries {
                    return Err(format!(
                        "{}: {} libraries, the header says {}",
                        base.file,
                        libraries.len(),
                        base.libraries
                    ));
                }
                libraries
            }
            (None, Some(versions)) => whitelist_libraries(&header.whitelist, p, versions),
            (None, None) => BTreeMap::new(),
        };
        let repository = p.repository.as_ref().map(|r| RepositoryUse {
            confidence: r.confidence.clone(),
            source: r.source.clone(),
            from: r.from.as_deref().and_then(Platform::parse),
        });
        described.insert(
            key.clone(),
            PlatformFacts {
                confidence: p.confidence.clone(),
                source: p.source.clone(),
                libc: p.libc,
                libc_version: p.libc_version.clone(),
                interpreter: p.interpreter.clone(),
                library_dirs: p.library_dirs.clone(),
                isa_level: p.isa_level,
                libc_soname: p.libc_soname.clone(),
                libraries,
                repository,
            },
        );
    }
    let (levels, errors) = crate::rules::parse_levels(&header.rules, folder.profile, &at);
    if let Some(e) = errors.first() {
        return Err(e.to_string());
    }
    Ok(Profile {
        requires: None,
        name: header.name,
        aliases: header.aliases,
        family: header.family,
        version: header.version,
        description: header.description,
        data_date: Some(header.data_date),
        confidence: Some(header.confidence),
        sources: header.sources,
        wheel_policy: header.priority.map(|priority| WheelPolicy {
            priority,
            blacklist: header.blacklist,
        }),
        platforms: described,
        rules: header.rules,
        levels,
        repository,
    })
}

/// Only the header (for `profiles list`): nothing is decompressed.
fn read_header(folder: &HostFolder) -> Result<Header, String> {
    let at = format!("policies/hosts/{}/profile.yaml", folder.name);
    from_yaml(folder.profile, &at).map_err(|e| e.to_string())
}

/// What `profiles list` shows of a built-in profile: its header's facts.
#[derive(Clone, Debug)]
pub struct ProfileSummary {
    pub name: String,
    pub aliases: Vec<String>,
    pub family: String,
    pub version: String,
    pub description: String,
    pub data_date: String,
    pub confidence: String,
    /// The keys of its sources (`ROOT`, `CONTENTS`, `AW`, ...).
    pub sources: Vec<String>,
    pub wheel_policy: bool,
    pub platforms: Vec<PlatformSummary>,
}

#[derive(Clone, Debug)]
pub struct PlatformSummary {
    pub platform: Platform,
    pub libc: Libc,
    pub libc_version: String,
    /// Wheel policies say nothing: they are exact by definition.
    pub confidence: Option<String>,
}

pub fn summary(folder: &HostFolder) -> Result<ProfileSummary, String> {
    let header = read_header(folder)?;
    let mut platforms: Vec<PlatformSummary> = header
        .platforms
        .iter()
        .filter_map(|(key, p)| {
            Some(PlatformSummary {
                platform: Platform::parse(key)?,
                libc: p.libc,
                libc_version: p.libc_version.clone(),
                confidence: p.confidence.clone(),
            })
        })
        .collect();
    platforms.sort_by_key(|p| p.platform);
    Ok(ProfileSummary {
        name: header.name,
        aliases: header.aliases,
        family: header.family,
        version: header.version,
        description: header.description,
        data_date: header.data_date,
        confidence: header.confidence,
        sources: header.sources.keys().cloned().collect(),
        wheel_policy: header.priority.is_some(),
        platforms,
    })
}

fn unpack(packed: &[u8]) -> Result<String, String> {
    let bytes = zstd::stream::decode_all(packed).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// `base.<platform>.txt`: `soname<TAB>package<TAB>versions`, where a version is an
/// exact name (`GLIBC_2.34`) or `FAMILY<=x.y`, every version of the family up to x.y.
pub fn parse_base(text: &str) -> BTreeMap<String, Library> {
    let mut libraries = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut columns = line.split('\t');
        let Some(soname) = columns.next() else {
            continue;
        };
        let package = columns.next().filter(|p| !p.is_empty() && *p != "-");
        let mut library = Library {
            package: package.map(str::to_string),
            ..Library::default()
        };
        for token in columns.next().unwrap_or("").split_whitespace() {
            match token.split_once("<=") {
                Some((family, max)) => {
                    library.max.insert(family.to_string(), max.to_string());
                }
                None => library.versions.push(token.to_string()),
            }
        }
        libraries.insert(soname.to_string(), library);
    }
    libraries
}

/// A wheel policy's libraries on one platform: its whitelist (auditwheel's `libc.so`
/// is the platform's musl libc soname) and the loader, which auditwheel always allows,
/// each with every version the policy allows on that architecture. auditwheel judges
/// a version by its family (the name before the first `_`), whichever library needs
/// it (`policy/__init__.py`, `versioned_symbols_policy`), so each library gets every
/// family's list; a family whose list is empty allows no version of it (`max` "0").
fn whitelist_libraries(
    whitelist: &[String],
    platform: &HeaderPlatform,
    symbol_versions: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Library> {
    let mut allowed = Library::default();
    for (family, versions) in symbol_versions {
        if versions.is_empty() {
            allowed.max.insert(family.clone(), "0".into());
        }
        for v in versions {
            allowed.versions.push(format!("{family}_{v}"));
        }
    }
    let loader = platform
        .interpreter
        .rsplit('/')
        .next()
        .unwrap_or(&platform.interpreter)
        .to_string();
    whitelist
        .iter()
        .map(|soname| match (soname.as_str(), &platform.libc_soname) {
            ("libc.so", Some(musl)) => musl.clone(),
            _ => soname.clone(),
        })
        .chain(std::iter::once(loader))
        .map(|soname| (soname, allowed.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::VersionName;

    #[test]
    fn base_lines_give_exact_versions_and_ceilings() {
        let libraries = parse_base(
            "# soname\tpackage\tversions\n\
             libc.so.6\tlibc6\tGLIBC_2.2.5 GLIBC_2.34 GLIBC_ABI_DT_RELR\n\
             ld64.so.1\tglibc\tGLIBC<=2.34\n\
             libaudit.so.1\taudit-libs\n",
        );
        assert_eq!(libraries.len(), 3);
        let libc = libraries["libc.so.6"].described_versions();
        assert_eq!(libc.provides(&VersionName::from("GLIBC_2.34")), Some(true));
        assert_eq!(libc.provides(&VersionName::from("GLIBC_2.17")), Some(false));
        let loader = libraries["ld64.so.1"].described_versions();
        assert_eq!(
            loader.provides(&VersionName::from("GLIBC_2.17")),
            Some(true)
        );
        assert_eq!(
            loader.provides(&VersionName::from("GLIBC_2.35")),
            Some(false)
        );
        assert_eq!(
            libraries["libaudit.so.1"].package.as_deref(),
            Some("audit-libs")
        );
        assert!(libraries["libaudit.so.1"].versions.is_empty());
    }
}
