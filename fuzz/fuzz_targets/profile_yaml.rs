#![no_main]
//! A target profile and a policy file parsed from arbitrary (lossy UTF-8) text.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = harness::profile_yaml(data);
});
