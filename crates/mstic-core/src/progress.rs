//! A progress bar for long work (TI lookups, remote search jobs), shown in the notebook through a
//! [`DisplayHandle`] and updated in place (at most every 200 ms).

use crate::display::{escape_html, in_kernel};
use crate::{DisplayHandle, MimeBundle};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Progress of `total` steps of work named `label`; inert when not shown.
pub struct Progress {
    label: String,
    total: usize,
    done: AtomicUsize,
    handle: Option<DisplayHandle>,
    last_update: Mutex<Instant>,
    started: Instant,
}

impl Progress {
    /// Starts a progress display when `show` and running in the notebook kernel.
    pub fn start(label: &str, total: usize, show: bool) -> Progress {
        let handle = (show && in_kernel() && total > 0).then(|| bundle(label, 0, total, None).display_with_handle());
        Progress { label: label.to_string(), total, done: AtomicUsize::new(0), handle, last_update: Mutex::new(Instant::now()), started: Instant::now() }
    }

    /// One more step finished.
    pub fn advance(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.show(done);
    }

    /// `done` steps are finished (never goes back).
    pub fn set(&self, done: usize) {
        let done = self.done.fetch_max(done.min(self.total), Ordering::Relaxed).max(done.min(self.total));
        self.show(done);
    }

    /// Steps finished so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    fn show(&self, done: usize) {
        let Some(handle) = &self.handle else { return };
        let mut last = self.last_update.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= Duration::from_millis(200) {
            *last = Instant::now();
            handle.update(&bundle(&self.label, done, self.total, None));
        }
    }

    /// Shows the final count and elapsed time.
    pub fn finish(&self) {
        if let Some(handle) = &self.handle {
            handle.update(&bundle(&self.label, self.done(), self.total, Some(self.started.elapsed())));
        }
    }
}

fn bundle(label: &str, done: usize, total: usize, elapsed: Option<Duration>) -> MimeBundle {
    let suffix = elapsed.map(|e| format!(" in {:.1} s", e.as_secs_f64())).unwrap_or_default();
    let text = format!("{label}: {done}/{total}{suffix}");
    let html = format!(
        "<div><progress value=\"{done}\" max=\"{total}\" style=\"width:300px\"></progress> {}</div>",
        escape_html(&text)
    );
    MimeBundle::new().with_text("text/plain", text).with_text("text/html", html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_bundle_text_and_html() {
        let b = bundle("TI lookups", 3, 10, Some(Duration::from_millis(1500)));
        assert_eq!(b.plain_text(), Some("TI lookups: 3/10 in 1.5 s"));
        let html = b.data["text/html"].as_str().unwrap();
        assert!(html.contains("<progress value=\"3\" max=\"10\""));
    }

    #[test]
    fn hidden_progress_only_counts() {
        let progress = Progress::start("TI lookups", 5, false);
        progress.advance();
        progress.set(4);
        progress.set(2);
        assert_eq!(progress.done(), 4, "progress never goes back");
        progress.set(9);
        assert_eq!(progress.done(), 5, "capped at the total");
        progress.finish();
        assert!(progress.handle.is_none());
    }
}
