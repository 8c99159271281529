//! [`Chart`]: a finished chart — its Vega-Lite spec, its SVG and a text summary — and how it shows
//! itself in a notebook.

use mstic_core::{Error, MimeBundle, Result};
use serde_json::Value;
use std::fmt;
use std::path::Path;

/// The Vega-Lite MIME type JupyterLab and VS Code render natively.
pub const VEGA_LITE_MIME: &str = "application/vnd.vegalite.v5+json";

/// A finished chart, ready to show in a notebook. Its display bundle has
/// `application/vnd.vegalite.v5+json` (interactive), `image/svg+xml` (static, used by nbconvert's
/// HTML) and `text/plain` — no HTML.
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_vis::FramePlot;
/// let events = Frame::from_string_rows(&["TimeGenerated", "Account"], &[
///     vec![Some("2024-05-01 10:00:00"), Some("ann")],
///     vec![Some("2024-05-01 11:30:00"), Some("bob")],
/// ])?;
/// let chart = events.timeline().title("Logons").build()?;
/// let bundle = chart.mime_bundle();
/// assert!(bundle.data.contains_key("application/vnd.vegalite.v5+json"));
/// assert!(bundle.data.contains_key("image/svg+xml"));
/// assert_eq!(chart.title(), "Logons");
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Chart {
    kind: &'static str,
    title: String,
    vega_lite: Value,
    svg: String,
    summary: String,
    marks: usize,
    notes: Vec<String>,
}

/// The pieces of a chart drawn outside this crate (e.g. an incident's entity graph), named so
/// they cannot be swapped. Turned into a [`Chart`] with [`Chart::from_parts`].
#[derive(Clone, Debug, Default)]
pub struct ChartParts {
    /// What kind of chart it is (`entity graph`), as [`Chart::kind`] reports it.
    pub kind: &'static str,
    /// The title drawn on the chart.
    pub title: String,
    /// The Vega-Lite v5 specification, data inline.
    pub vega_lite: Value,
    /// The static SVG document.
    pub svg: String,
    /// The text summary (the `text/plain` part).
    pub summary: String,
    /// How many marks are drawn.
    pub marks: usize,
    /// Notes shown under the summary (what was left out, aggregated…).
    pub notes: Vec<String>,
}

impl Chart {
    /// A chart from pieces drawn elsewhere; it shows and saves itself like every other chart.
    ///
    /// # Example
    /// ```
    /// use mstic_vis::{Chart, ChartParts};
    /// let parts = ChartParts { kind: "graph", title: "G".into(), svg: "<svg/>".into(), summary: "G: 2 nodes".into(), ..Default::default() };
    /// let chart = Chart::from_parts(parts);
    /// assert_eq!((chart.kind(), chart.to_string().as_str()), ("graph", "G: 2 nodes"));
    /// ```
    pub fn from_parts(parts: ChartParts) -> Chart {
        let ChartParts { kind, title, vega_lite, svg, summary, marks, notes } = parts;
        Chart::new(kind, title, vega_lite, svg, summary, marks, notes)
    }

    pub(crate) fn new(kind: &'static str, title: String, vega_lite: Value, svg: String, summary: String, marks: usize, notes: Vec<String>) -> Self {
        Chart { kind, title, vega_lite, svg, summary, marks, notes }
    }

    /// The chart kind: `timeline`, `timeline_values`, `timeline_duration`, `matrix`,
    /// `process_tree` or `anomalies`.
    pub fn kind(&self) -> &str {
        self.kind
    }

    /// The title shown on the chart.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The Vega-Lite v5 specification (data inline).
    pub fn vega_lite(&self) -> &Value {
        &self.vega_lite
    }

    /// The static SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// One-paragraph text description (the `text/plain` part).
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// Number of data marks drawn (points, bars, boxes) after any aggregation.
    pub fn mark_count(&self) -> usize {
        self.marks
    }

    /// Notes shown on the chart, e.g. that the data were aggregated.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The display bundle: Vega-Lite, SVG and text.
    pub fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::new()
            .with_json(VEGA_LITE_MIME, self.vega_lite.clone())
            .with_text("image/svg+xml", self.svg.clone())
            .with_text("text/plain", self.to_string())
    }

    /// Shows the chart now, as its own output (several per cell are fine).
    pub fn display(&self) {
        self.mime_bundle().display();
    }

    /// Shows the chart as the cell's result (called by evcxr for a cell's final value).
    pub fn evcxr_display(&self) {
        self.mime_bundle().emit_as_result();
    }

    /// Writes the SVG to `path`.
    pub fn save_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, &self.svg).map_err(|e| Error::file(path, e))
    }

    /// Writes the Vega-Lite spec (JSON) to `path`.
    pub fn save_vega_lite(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let text = serde_json::to_string_pretty(&self.vega_lite).map_err(|e| Error::file(path, e))?;
        std::fs::write(path, text).map_err(|e| Error::file(path, e))
    }
}

impl fmt::Display for Chart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary)?;
        for note in &self.notes {
            write!(f, "\nNote: {note}")?;
        }
        Ok(())
    }
}
