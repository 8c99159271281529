//! [`OutputArea`]: one place in the notebook whose content is replaced in place — a status line, a
//! table refreshed by a button, the result of a choice.

use crate::Widget;
use crate::controls::{Output, static_html_of};
use mstic_core::widget::{WidgetModel, widget_manager_present};
use mstic_core::{DisplayHandle, MimeBundle};
use std::sync::{Arc, Mutex};

/// What an [`OutputArea`] shows, and where it was displayed without a widget manager.
#[derive(Default)]
struct Shown {
    content: MimeBundle,
    handles: Vec<DisplayHandle>,
}

/// An output area updated in place: [`OutputArea::show`] replaces what it shows, [`OutputArea::clear`]
/// empties it, also from button callbacks after the cell ended. With a widget manager it is an
/// ipywidgets `Output`; without one (nbconvert, papermill) it is a display replaced through
/// `update_display_data`.
///
/// # Example
///
/// ```
/// use mstic_core::MimeBundle;
/// use mstic_widgets::OutputArea;
/// let status = OutputArea::new();
/// status.show(&MimeBundle::new().with_text("text/plain", "3 hosts found"));
/// assert_eq!(status.content().plain_text(), Some("3 hosts found"));
/// status.clear();
/// assert_eq!(status.content().plain_text(), None);
/// ```
#[derive(Clone)]
pub struct OutputArea {
    output: Output,
    widget_manager: bool,
    shown: Arc<Mutex<Shown>>,
}

impl std::fmt::Debug for OutputArea {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputArea")
            .field("model", self.output.model())
            .field("widget_manager", &self.widget_manager)
            .finish()
    }
}

impl Default for OutputArea {
    fn default() -> Self {
        Self::new()
    }
}

impl OutputArea {
    /// An empty area, a widget when the front end has a widget manager.
    pub fn new() -> OutputArea {
        OutputArea::for_front_end(widget_manager_present())
    }

    /// An empty area for a front end with or without a widget manager.
    fn for_front_end(widget_manager: bool) -> OutputArea {
        OutputArea { output: Output::new(), widget_manager, shown: Arc::default() }
    }

    /// Shows `bundle` in place of the area's content.
    pub fn show(&self, bundle: &MimeBundle) {
        let handles = {
            let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
            shown.content = bundle.clone();
            shown.handles.clone()
        };
        self.output.replace(bundle);
        for handle in handles {
            handle.update(bundle);
        }
    }

    /// Shows `text` (as plain text) in place of the area's content.
    pub fn show_text(&self, text: &str) {
        self.show(&MimeBundle::new().with_text("text/plain", text));
    }

    /// Empties the area.
    pub fn clear(&self) {
        let handles = {
            let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
            shown.content = MimeBundle::new();
            shown.handles.clone()
        };
        self.output.clear();
        for handle in handles {
            handle.update(&MimeBundle::new().with_text("text/plain", ""));
        }
    }

    /// What the area shows now.
    pub fn content(&self) -> MimeBundle {
        self.shown.lock().unwrap_or_else(|e| e.into_inner()).content.clone()
    }

    /// Shows the area now, as its own output.
    pub fn display(&self) {
        if self.widget_manager {
            self.view_bundle_for(true).display();
        } else {
            let handle = self.placeholder().display_with_handle();
            self.shown.lock().unwrap_or_else(|e| e.into_inner()).handles.push(handle);
        }
    }

    /// Shows the area as the cell's result (called by evcxr for a cell's final value). Without a
    /// widget manager the area is shown as a display that later calls replace.
    pub fn evcxr_display(&self) {
        if self.widget_manager {
            self.view_bundle_for(true).emit_as_result();
        } else {
            self.display();
        }
    }

    /// The id of the area's model.
    pub fn model_id(&self) -> String {
        self.output.model().id().to_string()
    }

    /// The content, or an empty text for an empty area (a display needs some data).
    fn placeholder(&self) -> MimeBundle {
        let content = self.content();
        if content.data.is_empty() { MimeBundle::new().with_text("text/plain", "") } else { content }
    }
}

impl Widget for OutputArea {
    fn model(&self) -> &WidgetModel {
        self.output.model()
    }
    fn text_view(&self) -> String {
        self.content().plain_text().unwrap_or_default().to_string()
    }
    fn html_view(&self) -> String {
        let content = self.content();
        let data = serde_json::to_value(&content.data).unwrap_or_default();
        format!("<div class=\"mstic-output-area\">{}</div>", static_html_of(&data))
    }
    fn shared(&self) -> Arc<dyn Widget> {
        Arc::new(self.clone())
    }
}

#[cfg(test)]
mod tests;
