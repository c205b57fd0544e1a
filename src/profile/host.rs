//! A target profile as a library host: the scanned tree is real, everything else is
//! what the profile describes.

use super::model::{Library, PlatformFacts, Profile};
use super::repository::Package;
use crate::elf::{ElfFacts, Kind, Libc};
use crate::platform::Platform;
use crate::source::{HostObject, LibraryHost, Probe, ProbeCache, TreeHost};
use std::sync::Arc;

pub struct ProfileHost<'f> {
    label: String,
    profile: &'f Profile,
    platform: &'f PlatformFacts,
    /// What its libraries' files would be: their class, byte order and machine.
    target: Platform,
    /// The scanned tree, at its own absolute path.
    files: Option<&'f dyn TreeHost>,
    described: ProbeCache,
}

impl<'f> ProfileHost<'f> {
    pub fn new(
        profile: &'f Profile,
        platform: Platform,
        files: Option<&'f dyn TreeHost>,
    ) -> Result<Self, String> {
        let Some(p) = profile.platform(platform) else {
            let have: Vec<&str> = profile.platforms.keys().map(String::as_str).collect();
            return Err(format!(
                "target {} has no platform {platform} (it has {})",
                profile.name,
                have.join(", ")
            ));
        };
        Ok(ProfileHost {
            label: format!("{} ({platform})", profile.name),
            profile,
            platform: p,
            target: platform,
            files,
            described: ProbeCache::default(),
        })
    }

    /// A library the target's repositories have but its base image lacks: the package
    /// that provides it, and the command that installs it.
    pub fn installable(&self, soname: &str) -> Option<(Package, String)> {
        let package = self.profile.installable(self.target, soname)?;
        let command = self
            .profile
            .install_command(std::slice::from_ref(&package.name));
        Some((package, command))
    }

    /// The target is a wheel policy (manylinux, musllinux): what it lacks must be
    /// bundled, not installed.
    pub fn is_wheel_policy(&self) -> bool {
        self.profile.wheel_policy.is_some()
    }

    fn describe(&self, path: &str, soname: &str, library: Option<&Library>) -> Probe {
        let t = self.target;
        let mut facts = ElfFacts::bare(
            t.class(),
            t.endian(),
            &t.machine_name(),
            t.machine().e_machine(),
            Kind::SharedLibrary,
        );
        facts.soname = Some(soname.to_string());
        Probe::Found(Arc::new(HostObject::new(
            path.to_string(),
            Arc::new(facts),
            Some(library.map(Library::described_versions).unwrap_or_default()),
            None,
        )))
    }

    fn probe_described(&self, path: &str) -> Probe {
        let (dir, name) = match path.rfind('/') {
            Some(i) => (&path[..i.max(1)], &path[i + 1..]),
            None => ("/", path),
        };
        if path == self.platform.interpreter {
            let soname = name;
            let library = self.platform.libraries.get(soname).cloned().or_else(|| {
                // glibc's loader carries the GLIBC versions of its release.
                (self.platform.libc == Libc::Glibc).then(|| Library {
                    max: [("GLIBC".to_string(), self.platform.libc_version.clone())].into(),
                    ..Library::default()
                })
            });
            return self.describe(path, soname, library.as_ref());
        }
        // Every library the profile lists lives in its first search folder.
        if self.platform.library_dirs.first().map(String::as_str) == Some(dir) {
            if let Some(library) = self.platform.libraries.get(name).filter(|l| l.base_image) {
                return self.describe(path, name, Some(library));
            }
        }
        Probe::Absent
    }
}

impl LibraryHost for ProfileHost<'_> {
    fn probe(&self, path: &str) -> Probe {
        if let Some(files) = self.files {
            if files.covers(path) {
                return files.probe(path);
            }
        }
        self.described.get_or(path, || self.probe_described(path))
    }

    fn read_config(&self, path: &str, limit: u64) -> Option<String> {
        self.files
            .as_ref()
            .filter(|f| f.covers(path))
            .and_then(|f| f.read_config(path, limit))
    }

    fn read_data(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        self.files
            .as_ref()
            .filter(|f| f.covers(path))
            .and_then(|f| f.read_data(path, limit))
    }

    fn list_dir(&self, path: &str) -> Vec<String> {
        self.files
            .as_ref()
            .filter(|f| f.covers(path))
            .map(|f| f.list_dir(path))
            .unwrap_or_default()
    }

    fn is_dir(&self, path: &str) -> bool {
        self.platform.library_dirs.iter().any(|d| d == path)
            || self
                .files
                .as_ref()
                .is_some_and(|f| f.covers(path) && f.is_dir(path))
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::VersionName;

    fn profile() -> Profile {
        crate::profile::parse_profile(
            r#"
name: test-1
family: debian
version: "1"
description: test
platforms:
  linux/amd64:
    libc: glibc
    libc_version: "2.31"
    interpreter: /lib64/ld-linux-x86-64.so.2
    library_dirs: [/lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu]
    libraries:
      libc.so.6: {max: {GLIBC: "2.31"}}
      libssl.so.3: {package: libssl3, base_image: false}
"#,
            "test.yaml",
        )
        .unwrap()
    }

    #[test]
    fn described_libraries_live_in_the_first_folder_with_their_versions() {
        let profile = profile();
        let host = ProfileHost::new(&profile, Platform::LinuxAmd64, None).unwrap();
        let Probe::Found(libc) = host.probe("/lib/x86_64-linux-gnu/libc.so.6") else {
            panic!()
        };
        let described = libc.described.as_ref().unwrap();
        assert_eq!(
            described.provides(&VersionName::from("GLIBC_2.17")),
            Some(true)
        );
        assert_eq!(
            described.provides(&VersionName::from("GLIBC_2.34")),
            Some(false)
        );
        assert_eq!(
            described.provides(&VersionName::from("OPENSSL_3.0.0")),
            None
        );
        assert!(matches!(
            host.probe("/usr/lib/x86_64-linux-gnu/libc.so.6"),
            Probe::Absent
        ));
        // Not in the base image: absent, with the command that installs it.
        assert!(matches!(
            host.probe("/lib/x86_64-linux-gnu/libssl.so.3"),
            Probe::Absent
        ));
        let (package, command) = host.installable("libssl.so.3").unwrap();
        assert_eq!(package.name, "libssl3");
        assert_eq!(command, "apt-get install libssl3");
        assert!(host.installable("libc.so.6").is_none());
        assert!(host.installable("libfoo.so.1").is_none());
        assert!(matches!(
            host.probe("/lib64/ld-linux-x86-64.so.2"),
            Probe::Found(_)
        ));
        assert!(ProfileHost::new(&profile, Platform::LinuxArm64, None).is_err());
    }
}
