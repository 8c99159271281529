//! Options shared by every chart (title, size, axis labels, legend, point limit), reference times,
//! and the colour palette.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use mstic_core::{Error, Result};

/// Past this many marks a chart aggregates or cuts its data and says so on the chart.
pub const DEFAULT_MAX_POINTS: usize = 5_000;

/// Where a chart's legend goes (MSTICPy's `legend` parameter).
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_vis::{FramePlot, Legend};
/// let events = Frame::from_string_rows(&["TimeGenerated", "Account"], &[
///     vec![Some("2024-05-01 10:00:00"), Some("ann")],
///     vec![Some("2024-05-01 11:30:00"), Some("bob")],
/// ])?;
/// let chart = events.timeline().group_by("Account").legend(Legend::Left).build()?;
/// assert!(chart.vega_lite().to_string().contains(r#""orient":"left""#));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Legend {
    /// Shown on the right when there are several series (the default).
    #[default]
    Auto,
    /// Left of the plot.
    Left,
    /// Right of the plot.
    Right,
    /// Inside the plot area (top right).
    Inline,
    /// No legend.
    None,
}

impl Legend {
    /// Whether a legend is drawn for `series` series.
    pub(crate) fn shown(self, series: usize) -> bool {
        match self {
            Legend::None => false,
            Legend::Auto => series > 1,
            _ => true,
        }
    }

    /// The Vega-Lite `legend.orient` value.
    pub(crate) fn vega_orient(self) -> &'static str {
        match self {
            Legend::Left => "left",
            Legend::Inline => "top-right",
            _ => "right",
        }
    }
}

/// Title, size, axis labels, legend and point limit of a chart.
#[derive(Clone, Debug)]
pub struct PlotOptions {
    /// Chart title (each chart has a default).
    pub title: Option<String>,
    /// Width in pixels (default 900).
    pub width: u32,
    /// Height in pixels (`None`: chosen from the data).
    pub height: Option<u32>,
    /// x-axis label (`None`: the chart's default).
    pub x_label: Option<String>,
    /// y-axis label (`None`: the chart's default).
    pub y_label: Option<String>,
    /// Legend placement.
    pub legend: Legend,
    /// Marks drawn before aggregating or cutting.
    pub max_points: usize,
    /// Timelines: an overview strip below the chart on which dragging selects the time range the
    /// chart shows (MSTICPy `range_tool`, on by default; interactive views only).
    pub range_tool: bool,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions { title: None, width: 900, height: None, x_label: None, y_label: None, legend: Legend::Auto, max_points: DEFAULT_MAX_POINTS, range_tool: true }
    }
}

impl PlotOptions {
    pub(crate) fn title_or(&self, default: &str) -> String {
        self.title.clone().unwrap_or_else(|| default.to_string())
    }
    pub(crate) fn x_label_or(&self, default: &str) -> String {
        self.x_label.clone().unwrap_or_else(|| default.to_string())
    }
    pub(crate) fn y_label_or(&self, default: &str) -> String {
        self.y_label.clone().unwrap_or_else(|| default.to_string())
    }
}

/// Setters for the [`PlotOptions`] of a builder with an `options` field.
macro_rules! common_setters {
    () => {
        /// Sets the chart title.
        pub fn title(mut self, title: &str) -> Self {
            self.options.title = Some(title.to_string());
            self
        }
        /// Sets the width in pixels.
        pub fn width(mut self, width: u32) -> Self {
            self.options.width = width.max(100);
            self
        }
        /// Sets the height in pixels.
        pub fn height(mut self, height: u32) -> Self {
            self.options.height = Some(height.max(80));
            self
        }
        /// Sets the x-axis label.
        pub fn x_label(mut self, label: &str) -> Self {
            self.options.x_label = Some(label.to_string());
            self
        }
        /// Sets the y-axis label.
        pub fn y_label(mut self, label: &str) -> Self {
            self.options.y_label = Some(label.to_string());
            self
        }
        /// Sets where the legend goes.
        pub fn legend(mut self, legend: $crate::Legend) -> Self {
            self.options.legend = legend;
            self
        }
        /// Sets how many marks are drawn before the data are aggregated or cut.
        pub fn max_points(mut self, max_points: usize) -> Self {
            self.options.max_points = max_points.max(10);
            self
        }
        /// Builds the chart and shows it now, as its own output.
        pub fn display(self) -> mstic_core::Result<()> {
            self.build().map(|chart| chart.display())
        }
    };
}
pub(crate) use common_setters;

/// The `time_column` and `ref_time` setters of a builder with `time_column` and `ref_times`
/// fields.
macro_rules! time_setters {
    () => {
        /// The column holding each row's time.
        pub fn time_column(mut self, column: &str) -> Self {
            self.time_column = column.to_string();
            self
        }
        /// A vertical marker at `time` labelled `label` (MSTICPy `ref_time` + `ref_label`); may be
        /// given several times.
        pub fn ref_time(mut self, time: impl $crate::IntoTimestamp, label: &str) -> Self {
            self.ref_times.add(time, label);
            self
        }
    };
}
pub(crate) use time_setters;

/// The `group_by` and `source_columns` setters of a builder with `group_by: Option<String>` and
/// `source_columns` fields.
macro_rules! series_setters {
    () => {
        /// One series per distinct value of `column`.
        pub fn group_by(mut self, column: &str) -> Self {
            self.group_by = Some(column.to_string());
            self
        }
        /// Columns shown in each point's tooltip.
        pub fn source_columns(mut self, columns: &[&str]) -> Self {
            self.source_columns = columns.iter().map(|c| c.to_string()).collect();
            self
        }
        /// With `false`, no range tool: the chart alone, zoomed and panned with the mouse
        /// (MSTICPy `range_tool=False`).
        pub fn range_tool(mut self, shown: bool) -> Self {
            self.options.range_tool = shown;
            self
        }
    };
}
pub(crate) use series_setters;

/// A point in time for reference markers: text (`"2019-02-12 14:00:00"`, RFC 3339, a date) or a
/// `chrono` date-time.
pub trait IntoTimestamp {
    /// Milliseconds since 1970-01-01 UTC.
    fn to_millis(&self) -> Result<f64>;
}

impl IntoTimestamp for &str {
    fn to_millis(&self) -> Result<f64> {
        parse_time(self).ok_or_else(|| {
            Error::invalid("reference time", format!("'{self}' is not a date-time (use e.g. 2019-02-12 14:00:00 or RFC 3339)"))
        })
    }
}

impl IntoTimestamp for String {
    fn to_millis(&self) -> Result<f64> {
        self.as_str().to_millis()
    }
}

impl IntoTimestamp for &String {
    fn to_millis(&self) -> Result<f64> {
        self.as_str().to_millis()
    }
}

impl IntoTimestamp for DateTime<Utc> {
    fn to_millis(&self) -> Result<f64> {
        Ok(self.timestamp_millis() as f64)
    }
}

impl IntoTimestamp for NaiveDateTime {
    fn to_millis(&self) -> Result<f64> {
        Ok(self.and_utc().timestamp_millis() as f64)
    }
}

/// Milliseconds since the epoch for a date-time text (UTC unless it names an offset).
pub(crate) fn parse_time(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis() as f64);
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.timestamp_millis() as f64);
        }
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis() as f64);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_millis() as f64)
}

/// A reference marker: a vertical line at `time` with `label`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RefMarker {
    pub time: f64,
    pub label: String,
}

/// The reference markers given to a builder, and the times it could not read.
#[derive(Clone, Debug, Default)]
pub(crate) struct RefTimes {
    pub markers: Vec<RefMarker>,
    problems: Vec<String>,
}

impl RefTimes {
    /// Adds a marker at `time`, or remembers why `time` is not a time.
    pub(crate) fn add(&mut self, time: impl IntoTimestamp, label: &str) {
        match time.to_millis() {
            Ok(t) => self.markers.push(RefMarker { time: t, label: label.to_string() }),
            Err(e) => self.problems.push(e.to_string()),
        }
    }

    /// The first unreadable time, as an error of the `ref_time` parameter.
    pub(crate) fn check(&self) -> Result<()> {
        match self.problems.first() {
            Some(problem) => Err(Error::invalid("ref_time", problem.clone())),
            None => Ok(()),
        }
    }
}

/// Series colours (Vega's category10, so both renderings match).
pub(crate) const PALETTE: [&str; 10] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/// The colour of series `index`.
pub(crate) fn series_color(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// A `#rrggbb` colour as RGB (navy when the text is not one).
pub(crate) fn rgb(hex: &str) -> (u8, u8, u8) {
    let h = hex.trim_start_matches('#');
    let part = |i: usize| h.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok());
    match (h.len(), part(0), part(2), part(4)) {
        (6, Some(r), Some(g), Some(b)) => (r, g, b),
        _ => named_color(hex).unwrap_or((0, 0, 128)),
    }
}

fn named_color(name: &str) -> Option<(u8, u8, u8)> {
    Some(match name.to_ascii_lowercase().as_str() {
        "navy" => (0, 0, 128),
        "red" => (255, 0, 0),
        "green" => (0, 128, 0),
        "firebrick" => (178, 34, 34),
        "blue" => (0, 0, 255),
        "black" => (0, 0, 0),
        "orange" => (255, 165, 0),
        "purple" => (128, 0, 128),
        "gray" | "grey" => (128, 128, 128),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_common_forms() {
        assert_eq!(parse_time("1970-01-01 00:00:01"), Some(1000.0));
        assert_eq!(parse_time("1970-01-01T00:00:01.5Z"), Some(1500.0));
        assert_eq!(parse_time("1970-01-02"), Some(86_400_000.0));
        assert_eq!(parse_time("1970-01-01 01:00:00+01:00"), Some(0.0));
        assert!(parse_time("yesterday").is_none());
        assert!("not a time".to_millis().unwrap_err().to_string().contains("not a time"));
    }

    #[test]
    fn colours_parse() {
        assert_eq!(rgb("#ff7f0e"), (255, 127, 14));
        assert_eq!(rgb("firebrick"), (178, 34, 34));
        assert_eq!(rgb("nonsense"), (0, 0, 128));
    }
}
