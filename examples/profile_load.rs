//! How long loading a built-in profile takes, as a scan loads it: its header parsed
//! and one platform's base image decompressed and split (`find_profile_for`), every
//! platform (`find_profile`), and the first lookup in its repository map (which
//! decompresses it). Run by bench/profiles.sh; prints medians of many runs.
//!
//!   cargo run --release --example profile_load

use preflight::platform::Platform;
use preflight::profile::{find_profile, find_profile_for, folders};
use std::time::{Duration, Instant};

const RUNS: usize = 50;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time<T>(mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let mut worst = (Duration::ZERO, String::new());
    println!("profile            one platform   every platform   + first repository lookup");
    for folder in folders() {
        let name = folder.name;
        let all = find_profile(name).unwrap().profile;
        let platform = all.described_platforms()[0];
        let one = time(|| find_profile_for(name, platform).unwrap());
        let every = time(|| find_profile(name).unwrap());
        let lookup = time(|| {
            let loaded = find_profile_for(name, platform).unwrap();
            loaded.profile.installable(platform, "libcurl.so.4")
        });
        println!(
            "{name:<18} {:>10.3} ms {:>13.3} ms {:>17.3} ms",
            ms(one),
            ms(every),
            ms(lookup)
        );
        for t in [one, every, lookup] {
            if t > worst.0 {
                worst = (t, name.to_string());
            }
        }
    }
    let runs_on = time(|| preflight::profile::builtin_profiles_for(Platform::LinuxAmd64));
    println!(
        "every profile for linux/amd64 (--runs-on): {:.3} ms",
        ms(runs_on)
    );
    println!(
        "slowest single profile: {} {:.3} ms (median of {RUNS})",
        worst.1,
        ms(worst.0)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
