//! What is kept of a file in a layer: an ELF file's (or archive's) facts, read from
//! memory or from a temporary file for a large one; the text of the loader's
//! configuration files and of package metadata that declares a libc; glibc's loader
//! cache as bytes; nothing of the rest.

use super::limits::Spill;
use super::tree::FileContent;
use crate::elf::{has_elf_magic, may_be_binary, read_binary, Binary, Detail};
use std::io::{self, Read};
use std::sync::Arc;

/// Configuration files larger than this are not configuration files.
const MAX_TEXT: u64 = 4 << 20;

fn is_config(path: &str) -> bool {
    path == "/etc/ld.so.conf"
        || path.starts_with("/etc/ld.so.conf.d/")
        || (path.starts_with("/etc/ld-musl-") && path.ends_with(".path"))
        || path == "/etc/os-release"
        || path == "/usr/lib/os-release"
        || path == "/lib/apk/db/installed"
        // A JDK's default VM (resolve/process.rs, `JdkHome`).
        || path.ends_with("/lib/jvm.cfg")
}

/// Package metadata the scan reads a declared libc from (pipeline.rs `declared_libc`),
/// as it does in a folder: a wheel's `NAME.dist-info/WHEEL` (its tags) and an npm
/// package's `package.json` (its `libc` field).
fn is_package_metadata(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    match (parts.next(), parts.next()) {
        (Some("WHEEL"), Some(info)) => info.ends_with(".dist-info"),
        (Some("package.json"), _) => true,
        _ => false,
    }
}

/// The largest package metadata file read (the folder source reads as much).
const MAX_METADATA: u64 = 256 << 10;

/// Reads what the checks need of a file: an ELF file's facts (from memory, or from a
/// temporary file for a large one), a configuration file's text, nothing of the rest.
pub(crate) fn read_content(
    path: &str,
    entry: &mut impl Read,
    size: u64,
    spill: &mut Spill,
) -> io::Result<FileContent> {
    // glibc's loader cache, kept as bytes.
    if path == crate::source::LD_SO_CACHE {
        let mut bytes = Vec::new();
        entry
            .by_ref()
            .take(crate::source::MAX_LD_CACHE_BYTES + 1)
            .read_to_end(&mut bytes)?;
        return Ok(FileContent::Data(bytes.into()));
    }
    let mut magic = Vec::with_capacity(4);
    entry.by_ref().take(4).read_to_end(&mut magic)?;
    if may_be_binary(&magic) {
        let elf = has_elf_magic(&magic);
        let read = |bytes: &[u8]| match read_binary(bytes, Detail::Full) {
            Binary::Elf(facts) => FileContent::Elf(Ok(Arc::from(facts))),
            Binary::Other(other) => FileContent::Binary(Ok(Arc::from(other))),
            Binary::Unreadable(reason) if elf => FileContent::Elf(Err(reason)),
            Binary::Unreadable(reason) => FileContent::Binary(Err(reason)),
            Binary::NotBinary => FileContent::Other,
        };
        if size <= spill.limits.in_memory {
            let mut bytes = magic;
            bytes.reserve(size as usize);
            entry.read_to_end(&mut bytes)?;
            return Ok(read(&bytes));
        }
        // The caller reads what is left of the entry whatever is answered here.
        return Ok(match spill.copy(magic, entry, size) {
            Ok(map) => read(&map[..]),
            Err(reason) if elf => FileContent::Elf(Err(reason)),
            Err(reason) => FileContent::Binary(Err(reason)),
        });
    }
    if is_config(path) && size <= MAX_TEXT {
        let mut bytes = magic;
        entry.read_to_end(&mut bytes)?;
        return Ok(FileContent::Text(String::from_utf8_lossy(&bytes).into()));
    }
    if is_package_metadata(path) && size <= MAX_METADATA {
        let mut bytes = magic;
        entry.read_to_end(&mut bytes)?;
        let text = String::from_utf8_lossy(&bytes);
        // An image of a Node app holds thousands of package.json files: only those
        // that declare a libc are kept.
        if path.ends_with("/WHEEL") || text.contains("\"libc\"") {
            return Ok(FileContent::Text(text.into()));
        }
    }
    Ok(FileContent::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_metadata_is_a_wheels_wheel_file_or_a_package_json() {
        assert!(is_package_metadata(
            "/usr/lib/python3/site-packages/numpy-2.2.6.dist-info/WHEEL"
        ));
        assert!(is_package_metadata(
            "/app/node_modules/@img/sharp-linuxmusl-x64/package.json"
        ));
        assert!(!is_package_metadata("/usr/share/doc/WHEEL"));
        assert!(!is_package_metadata("/app/package.json.bak"));
    }

    #[test]
    fn archives_and_foreign_binaries_in_a_layer_are_read() {
        let fixture = |path: &str| {
            std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/artifacts")
                    .join(path),
            )
            .unwrap()
        };
        let content = |bytes: Vec<u8>| {
            let size = bytes.len() as u64;
            read_content(
                "/opt/x",
                &mut io::Cursor::new(bytes),
                size,
                &mut Spill::default(),
            )
            .unwrap()
        };
        match content(fixture("got/fPIC.a")) {
            FileContent::Binary(Ok(binary)) => match &*binary {
                crate::elf::OtherBinary::Archive(a) => assert_eq!(a.objects, 4),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        match content(fixture("foreign/hello.exe")) {
            FileContent::Binary(Ok(binary)) => match &*binary {
                crate::elf::OtherBinary::Foreign(f) => assert_eq!(f.format, "PE"),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        // Text that merely starts like a DOS program is nothing.
        assert!(matches!(
            content(b"MZ is not a program".to_vec()),
            FileContent::Other
        ));
    }
}
