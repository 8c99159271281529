//! Notebook widgets driven from Rust cells: the standard ipywidgets controls ([`controls`]) and
//! investigation widgets modelled on MSTICPy's `nbwidgets` — [`QueryTime`] (a query time range),
//! [`SelectItem`] (pick one value), [`SelectSubset`] (pick several) and [`OutputArea`] (output
//! replaced in place).
//!
//! Widgets are ipywidgets 8 models (see [`mstic_core::widget`]): JupyterLab and VS Code render them
//! and send changes back, which a later cell reads (`query_time.start()`). Where no widget manager
//! is attached (nbconvert, papermill) a widget shows a static text and HTML view of its value.

pub mod controls;
mod output_area;
mod query_time;
mod select;
#[cfg(test)]
mod testing;

pub use output_area::OutputArea;
pub use query_time::{QueryTime, QueryTimeUnit};
pub use select::{SelectItem, SelectSubset};

use mstic_core::MimeBundle;
use mstic_core::widget::WidgetModel;
use std::sync::Arc;

/// The seam of everything shown as a widget: its root model, and the static views shown where no
/// widget manager renders it.
pub trait Widget: Send + Sync {
    /// The model a view of the widget displays.
    fn model(&self) -> &WidgetModel;

    /// The static text view of the current value.
    fn text_view(&self) -> String;

    /// The static HTML view of the current value (text escaped).
    fn html_view(&self) -> String;

    /// Another handle to the same widget, as boxes keep their children.
    fn shared(&self) -> Arc<dyn Widget>;

    /// The display bundle: the widget view when a widget manager is attached, plus the static views.
    fn view_bundle(&self) -> MimeBundle {
        self.model().view_bundle(&self.text_view(), &self.html_view())
    }

    /// The display bundle for a front end with or without a widget manager.
    fn view_bundle_for(&self, widget_manager: bool) -> MimeBundle {
        self.model().view_bundle_for(widget_manager, &self.text_view(), &self.html_view())
    }
}

/// Gives a widget type the display methods notebook cells use: `evcxr_display` (a cell ending
/// with the widget shows it), `display` (show it now) and `model_id`.
macro_rules! widget_display {
    ($type:ty) => {
        impl $type {
            /// Shows the widget as the cell's result (called by evcxr for a cell's final value).
            pub fn evcxr_display(&self) {
                $crate::Widget::view_bundle(self).emit_as_result();
            }

            /// Shows the widget now, as its own output (several per cell are fine).
            pub fn display(&self) {
                $crate::Widget::view_bundle(self).display();
            }

            /// The id of the widget's model (its comm id).
            pub fn model_id(&self) -> String {
                $crate::Widget::model(self).id().to_string()
            }
        }
    };
}
pub(crate) use widget_display;
