#![no_main]
//! Arbitrary bytes as an OCI index.json, an OCI manifest blob or a docker
//! manifest.json (the first byte chooses, see harness.rs), opened and scanned.

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
    // Ok or Err from preflight are both fine; only writing the scratch files must work.
    let _ = scratch()
        .image_manifest(data)
        .expect("writing the scratch image");
});
