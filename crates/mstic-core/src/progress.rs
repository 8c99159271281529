//! A progress bar for long work (TI lookups, remote search jobs), shown in the notebook through a
//! [`DisplayHandle`] and updated in place (at most every 200 ms). Work that ends early — the user
//! interrupted the cell, or an error stopped it — leaves the bar saying so rather than frozen at a
//! partial count.

use crate::display::{escape_html, in_kernel};
use crate::{DisplayHandle, MimeBundle, interrupt};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Progress of `total` steps of work named `label`; inert when not shown.
///
/// Dropped before [`Progress::finish`], the bar ends as "interrupted" when an interrupt was
/// requested (see [`crate::interrupt`]) and as "stopped" otherwise.
pub struct Progress {
    label: String,
    total: usize,
    done: AtomicUsize,
    handle: Option<DisplayHandle>,
    last_update: Mutex<Instant>,
    started: Instant,
    ended: AtomicBool,
}

/// How a progress display ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// All the work was done.
    Finished,
    /// The user interrupted the cell.
    Interrupted,
    /// The work stopped early for another reason (an error).
    Stopped,
}

impl Progress {
    /// Starts a progress display when `show` and running in the notebook kernel.
    pub fn start(label: &str, total: usize, show: bool) -> Progress {
        let handle = (show && in_kernel() && total > 0).then(|| bundle(label, 0, total, None).display_with_handle());
        Progress {
            label: label.to_string(),
            total,
            done: AtomicUsize::new(0),
            handle,
            last_update: Mutex::new(Instant::now()),
            started: Instant::now(),
            ended: AtomicBool::new(false),
        }
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
        if self.ended.load(Ordering::Relaxed) {
            return;
        }
        let mut last = self.last_update.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= Duration::from_millis(200) {
            *last = Instant::now();
            handle.update(&bundle(&self.label, done, self.total, None));
        }
    }

    /// Shows the final count and elapsed time.
    pub fn finish(&self) {
        self.end(Ending::Finished);
    }

    /// Shows that the user interrupted the work (at the count reached).
    pub fn interrupted(&self) {
        self.end(Ending::Interrupted);
    }

    /// Ends the display once with `ending` (later calls change nothing).
    pub fn end(&self, ending: Ending) {
        if self.ended.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(handle) = &self.handle {
            handle.update(&self.ending_bundle(ending));
        }
    }

    /// Whether the display has ended.
    pub fn has_ended(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }

    /// The text the display shows when it ends with `ending` now.
    pub fn ending_text(&self, ending: Ending) -> String {
        self.ending_bundle(ending).plain_text().unwrap_or_default().to_string()
    }

    fn ending_bundle(&self, ending: Ending) -> MimeBundle {
        bundle_ending(&self.label, self.done(), self.total, self.started.elapsed(), ending)
    }
}

impl Drop for Progress {
    /// Work that returns early (`?`, or an interrupt dropping its future) leaves an ended display.
    fn drop(&mut self) {
        let ending = if interrupt::is_requested() { Ending::Interrupted } else { Ending::Stopped };
        self.end(ending);
    }
}

fn bundle(label: &str, done: usize, total: usize, elapsed: Option<Duration>) -> MimeBundle {
    let suffix = elapsed.map(|e| format!(" in {:.1} s", e.as_secs_f64())).unwrap_or_default();
    render(label, done, total, &suffix)
}

fn bundle_ending(label: &str, done: usize, total: usize, elapsed: Duration, ending: Ending) -> MimeBundle {
    let seconds = elapsed.as_secs_f64();
    let suffix = match ending {
        Ending::Finished => format!(" in {seconds:.1} s"),
        Ending::Interrupted => format!(" \u{2014} interrupted after {seconds:.1} s"),
        Ending::Stopped => format!(" \u{2014} stopped after {seconds:.1} s"),
    };
    render(label, done, total, &suffix)
}

fn render(label: &str, done: usize, total: usize, suffix: &str) -> MimeBundle {
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
        assert!(progress.has_ended());
    }

    #[test]
    fn endings_say_how_the_work_ended() {
        let done = bundle_ending("TI lookups", 10, 10, Duration::from_millis(2500), Ending::Finished);
        assert_eq!(done.plain_text(), Some("TI lookups: 10/10 in 2.5 s"));
        let stopped = bundle_ending("TI lookups", 3, 10, Duration::from_millis(1000), Ending::Interrupted);
        assert_eq!(stopped.plain_text(), Some("TI lookups: 3/10 \u{2014} interrupted after 1.0 s"));
        let failed = bundle_ending("Splunk job 1 (% done)", 40, 100, Duration::from_millis(500), Ending::Stopped);
        assert_eq!(failed.plain_text(), Some("Splunk job 1 (% done): 40/100 \u{2014} stopped after 0.5 s"));
        assert!(stopped.data["text/html"].as_str().unwrap().contains("<progress value=\"3\" max=\"10\""));
    }

    #[test]
    fn a_display_ends_once() {
        let progress = Progress::start("TI lookups", 4, false);
        progress.advance();
        assert!(!progress.has_ended());
        progress.end(Ending::Stopped);
        progress.finish();
        assert!(progress.has_ended());
        assert_eq!(progress.done(), 1);
        assert!(progress.ending_text(Ending::Interrupted).starts_with("TI lookups: 1/4 \u{2014} interrupted after "));
    }
}
