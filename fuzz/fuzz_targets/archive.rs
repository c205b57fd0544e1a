#![no_main]
//! Arbitrary bytes as an archive or package (tar, compressed or not, zip, wheel, npm
//! package, .deb, .rpm), detected by content, opened and scanned.

#[path = "../harness.rs"]
mod harness;

use std::sync::OnceLock;

fn scratch() -> &'static harness::Scratch {
    static SCRATCH: OnceLock<harness::Scratch> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let images = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/images");
        harness::Scratch::new(std::path::Path::new(images)).expect("scratch folder")
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Ok or Err from preflight are both fine; only writing the scratch file must work.
    let _ = scratch().archive(data).expect("writing the scratch archive");
});
