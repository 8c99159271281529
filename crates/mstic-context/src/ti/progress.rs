//! A progress bar for long lookups, shown in the notebook through a [`DisplayHandle`] and
//! updated in place (at most every 200 ms).

use mstic_core::display::{escape_html, in_kernel};
use mstic_core::{DisplayHandle, MimeBundle};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Progress of `total` lookups; inert when not shown.
pub(crate) struct Progress {
    total: usize,
    done: AtomicUsize,
    handle: Option<DisplayHandle>,
    last_update: Mutex<Instant>,
    started: Instant,
}

impl Progress {
    /// Starts a progress display when `show` and running in the notebook kernel.
    pub(crate) fn start(total: usize, show: bool) -> Progress {
        let handle = (show && in_kernel() && total > 0).then(|| bundle(0, total, None).display_with_handle());
        Progress { total, done: AtomicUsize::new(0), handle, last_update: Mutex::new(Instant::now()), started: Instant::now() }
    }

    /// One more lookup finished.
    pub(crate) fn advance(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let Some(handle) = &self.handle else { return };
        let mut last = self.last_update.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= Duration::from_millis(200) {
            *last = Instant::now();
            handle.update(&bundle(done, self.total, None));
        }
    }

    /// Shows the final count and elapsed time.
    pub(crate) fn finish(&self) {
        if let Some(handle) = &self.handle {
            handle.update(&bundle(self.done.load(Ordering::Relaxed), self.total, Some(self.started.elapsed())));
        }
    }
}

fn bundle(done: usize, total: usize, elapsed: Option<Duration>) -> MimeBundle {
    let suffix = elapsed.map(|e| format!(" in {:.1} s", e.as_secs_f64())).unwrap_or_default();
    let text = format!("TI lookups: {done}/{total}{suffix}");
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
        let b = bundle(3, 10, Some(Duration::from_millis(1500)));
        assert_eq!(b.plain_text(), Some("TI lookups: 3/10 in 1.5 s"));
        let html = b.data["text/html"].as_str().unwrap();
        assert!(html.contains("<progress value=\"3\" max=\"10\""));
    }

    #[test]
    fn hidden_progress_only_counts() {
        let progress = Progress::start(5, false);
        progress.advance();
        progress.finish();
        assert_eq!(progress.done.load(Ordering::Relaxed), 1);
        assert!(progress.handle.is_none());
    }
}
