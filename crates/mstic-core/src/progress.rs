//! A progress bar for long work (TI lookups, remote search jobs), shown in the notebook and updated
//! in place (at most every 200 ms): an ipywidgets progress bar with a count label when the front end
//! has a widget manager (JupyterLab, VS Code), otherwise an HTML `<progress>` replaced through a
//! [`DisplayHandle`] (nbconvert, papermill). Work that ends early — the user interrupted the cell,
//! or an error stopped it — leaves the bar saying so rather than frozen at a partial count.

use crate::display::{escape_html, in_kernel};
use crate::widget::{self, WidgetModel};
use crate::{DisplayHandle, MimeBundle, interrupt};
use serde_json::{Map, Value, json};
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
    widget: Option<ProgressWidget>,
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
        let shown = show && in_kernel() && total > 0;
        let widget = (shown && widget::widget_manager_present()).then(|| ProgressWidget::show(label, total));
        let handle = (shown && widget.is_none()).then(|| bundle(label, 0, total, None).display_with_handle());
        Progress {
            label: label.to_string(),
            total,
            done: AtomicUsize::new(0),
            handle,
            widget,
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
        if (self.handle.is_none() && self.widget.is_none()) || self.ended.load(Ordering::Relaxed) {
            return;
        }
        let mut last = self.last_update.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= Duration::from_millis(200) {
            *last = Instant::now();
            if let Some(widget) = &self.widget {
                widget.update(done, self.total, None);
            }
            if let Some(handle) = &self.handle {
                handle.update(&bundle(&self.label, done, self.total, None));
            }
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
        if let Some(widget) = &self.widget {
            let text = self.ending_text(ending);
            widget.update(self.done(), self.total, Some((ending, count_text(&text, &self.label))));
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

/// The widget form of a progress display: a progress bar described by the label, and a text label
/// with the count, side by side.
struct ProgressWidget {
    bar: WidgetModel,
    count: WidgetModel,
}

impl ProgressWidget {
    fn show(label: &str, total: usize) -> ProgressWidget {
        let (bar, count, row) = progress_models(label, total);
        let start = bundle(label, 0, total, None);
        let (text, html) =
            (start.plain_text().unwrap_or_default(), start.data["text/html"].as_str().unwrap_or_default());
        row.view_bundle_for(true, text, html).display();
        ProgressWidget { bar, count }
    }

    /// Shows `done` of `total`; at the end, the bar's colour and the final text.
    fn update(&self, done: usize, total: usize, ending: Option<(Ending, String)>) {
        let mut bar = Map::new();
        bar.insert("value".into(), json!(done));
        match ending {
            Some((ending, text)) => {
                bar.insert("bar_style".into(), json!(bar_style(ending)));
                self.bar.set_many(bar);
                self.count.set("value", json!(text));
            }
            None => {
                self.bar.set_many(bar);
                self.count.set("value", json!(format!("{done}/{total}")));
            }
        }
    }
}

/// Opens the progress bar, the count label and the row holding both.
fn progress_models(label: &str, total: usize) -> (WidgetModel, WidgetModel, WidgetModel) {
    let mut style = Map::new();
    style.insert("bar_color".into(), Value::Null);
    style.insert("description_width".into(), json!("initial"));
    let bar_style_model = widget::open_style("ProgressStyleModel", style);
    let own =
        json!({"bar_style": "", "description": label, "max": total, "min": 0, "orientation": "horizontal", "value": 0});
    let bar = WidgetModel::open(widget::control_state(
        "IntProgressModel",
        "ProgressView",
        &widget::open_layout(&[]),
        Some(&bar_style_model),
        own.as_object().cloned().unwrap_or_default(),
    ));
    let label_style = json!({"background": null, "description_width": "", "font_family": null, "font_size": null, "font_style": null,
        "font_variant": null, "font_weight": null, "text_color": null, "text_decoration": null});
    let count_own = json!({"placeholder": "\u{200b}", "value": format!("0/{total}")});
    let count = WidgetModel::open(widget::control_state(
        "LabelModel",
        "LabelView",
        &widget::open_layout(&[]),
        Some(&widget::open_style("LabelStyleModel", label_style.as_object().cloned().unwrap_or_default())),
        count_own.as_object().cloned().unwrap_or_default(),
    ));
    let row_own = json!({"box_style": "", "children": [bar.reference(), count.reference()]});
    let row = WidgetModel::open(widget::control_state(
        "HBoxModel",
        "HBoxView",
        &widget::open_layout(&[]),
        None,
        row_own.as_object().cloned().unwrap_or_default(),
    ));
    (bar, count, row)
}

/// The bar colour a progress display ends with.
fn bar_style(ending: Ending) -> &'static str {
    match ending {
        Ending::Finished => "success",
        Ending::Interrupted => "warning",
        Ending::Stopped => "danger",
    }
}

/// The ending text without the label the bar already shows (`3/10 in 1.5 s`).
fn count_text(text: &str, label: &str) -> String {
    text.strip_prefix(label).and_then(|rest| rest.strip_prefix(": ")).unwrap_or(text).to_string()
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
    fn widget_form_shows_the_count_and_ends_coloured() {
        let _serial = crate::comm::tests::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let (bar, count, row) = progress_models("TI <lookups>", 10);
        assert_eq!(bar.get("_model_name"), Some(json!("IntProgressModel")));
        assert_eq!(bar.get("_view_name"), Some(json!("ProgressView")));
        assert_eq!(bar.get("description"), Some(json!("TI <lookups>")));
        assert_eq!(bar.get("max"), Some(json!(10)));
        assert_eq!(row.get("children"), Some(json!([bar.reference(), count.reference()])));
        let widget = ProgressWidget { bar, count };
        widget.update(4, 10, None);
        assert_eq!(widget.bar.get("value"), Some(json!(4)));
        assert_eq!(widget.count.get("value"), Some(json!("4/10")));
        widget.update(10, 10, Some((Ending::Finished, count_text("TI <lookups>: 10/10 in 1.0 s", "TI <lookups>"))));
        assert_eq!(widget.bar.get("bar_style"), Some(json!("success")));
        assert_eq!(widget.count.get("value"), Some(json!("10/10 in 1.0 s")));
        assert_eq!(bar_style(Ending::Stopped), "danger");
        assert_eq!(bar_style(Ending::Interrupted), "warning");
        let static_view = row.view_bundle_for(false, "TI <lookups>: 0/10", &escape_html("TI <lookups>: 0/10"));
        assert_eq!(static_view.data["text/html"], "TI &lt;lookups&gt;: 0/10");
        assert!(!static_view.data.contains_key(widget::VIEW_MIME));
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
