//! The progress line of a long scan: "⠁ reading 23,180 files (4,512/s)".

use crate::scan::Progress;

/// A progress line on standard error for scans that take more than a moment: hidden
/// at first, shown after half a second, never when standard error is not a terminal
/// (indicatif's stderr target checks that).
pub(super) fn progress_bar() -> (indicatif::ProgressBar, Progress) {
    use indicatif::{ProgressBar, ProgressDrawTarget};
    use std::sync::atomic::{AtomicBool, Ordering};
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(style());
    let started = std::time::Instant::now();
    let shown = AtomicBool::new(false);
    let handle = bar.clone();
    let tick = move || {
        handle.inc(1);
        if !shown.load(Ordering::Relaxed)
            && started.elapsed() > std::time::Duration::from_millis(500)
        {
            shown.store(true, Ordering::Relaxed);
            handle.set_draw_target(ProgressDrawTarget::stderr());
        }
    };
    (bar, Progress(std::sync::Arc::new(tick)))
}

/// The line: files read so far and the rate, both whole numbers with thousands
/// separators (indicatif's `{per_sec}` would print `23,180.5772/s`).
fn style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template("{spinner} reading {human_pos} files ({rate})")
        .expect("a valid template")
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let rate = indicatif::HumanCount(state.per_sec().round() as u64);
                let _ = write!(w, "{rate}/s");
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::{ProgressBar, ProgressDrawTarget, TermLike};
    use std::sync::{Arc, Mutex};

    /// A terminal that keeps what is written to it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<String>>);

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            let mut screen = self.0.lock().unwrap();
            if s.contains("reading") {
                *screen = s.to_string();
            }
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_rate_is_a_whole_number() {
        let screen = Screen::default();
        let bar = ProgressBar::with_draw_target(
            None,
            ProgressDrawTarget::term_like(Box::new(screen.clone())),
        );
        bar.set_style(style());
        for _ in 0..12_345 {
            bar.inc(1);
        }
        std::thread::sleep(std::time::Duration::from_millis(60));
        bar.tick();
        let line = screen.0.lock().unwrap().clone();
        assert!(line.contains("reading 12,345 files ("), "{line}");
        let rate = line.split('(').nth(1).unwrap();
        assert!(rate.ends_with("/s)"), "{line}");
        assert!(
            rate.trim_end_matches("/s)")
                .chars()
                .all(|c| c.is_ascii_digit() || c == ','),
            "{line}"
        );
    }
}
