//! Rust MSTIC charts, reached from a [`Frame`](mstic_core::Frame) like MSTICPy's `df.mp_plot`:
//!
//! * [`Timeline`]: events over time, one row per `group_by` series, tooltips from source columns,
//!   reference-time markers and overlay data, and MSTICPy's range tool (an overview strip below
//!   on which dragging picks the time range shown; `.range_tool(false)` turns it off);
//! * [`TimelineValues`]: a numeric column over time (vertical bars, line or circles), with the
//!   same range tool;
//! * [`TimelineDuration`]: one bar per group from its first to its last event;
//! * [`MatrixPlot`]: circles at each (x, y) pair sized by count or value;
//! * [`ProcessTreePlot`]: process trees laid out by level, from a built tree or raw events;
//! * [`AnomaliesPlot`]: observed values, baseline and anomalies of a time series.
//!
//! Every builder ends in [`Chart`], whose display bundle holds an interactive Vega-Lite spec
//! (range tool or zoom/pan on time axes, tooltips), a static SVG drawn with plotters and a text summary — never
//! HTML. Past [`DEFAULT_MAX_POINTS`] marks, data are aggregated or cut and the chart says so.
//!
//! ```no_run
//! use mstic_vis::{FramePlot, Legend};
//! let flows = mstic_core::Frame::read_csv(mstic_core::paths::fixture("msticpy/testdata/az_net_flows.csv").unwrap()).unwrap();
//! let chart = flows.timeline().time_column("FlowStartTime").group_by("L7Protocol")
//!     .source_columns(&["SrcIP", "DestIP"]).legend(Legend::Right).build().unwrap();
//! chart.display();
//! ```

mod anomalies;
mod axis;
mod chart;
mod data;
mod duration;
mod matrix;
mod options;
mod proctree;
mod svg;
mod timeline;
mod values;
mod vega;

pub use anomalies::AnomaliesPlot;
pub use chart::{Chart, ChartParts, VEGA_LITE_MIME};
pub use duration::TimelineDuration;
pub use matrix::{MatrixPlot, MatrixSort};
#[allow(deprecated)]
pub use matrix::Sort;
pub use options::{DEFAULT_MAX_POINTS, IntoTimestamp, Legend, PlotOptions};
pub use proctree::{PidFormat, ProcessTreePlot, TreePlot};
pub use timeline::Timeline;
pub use values::{TimelineValues, ValueKind};

use mstic_core::Frame;

/// Charts on a [`Frame`]: `frame.timeline()`, `frame.matrix("x", "y")`… Each returns a builder
/// whose `build()` gives a [`Chart`] and whose `display()` shows it at once.
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
/// assert_eq!(events.timeline().build()?.kind(), "timeline");
/// assert_eq!(events.timeline_duration("Account").build()?.kind(), "timeline_duration");
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub trait FramePlot {
    /// Events over time (MSTICPy `display_timeline`).
    fn timeline(&self) -> Timeline;
    /// A numeric column over time (MSTICPy `display_timeline_values`).
    fn timeline_values(&self, value_column: &str) -> TimelineValues;
    /// First-to-last event bars per group (MSTICPy `display_timeline_duration`).
    fn timeline_duration(&self, group_by: &str) -> TimelineDuration;
    /// Counts (or values) at each `(x, y)` pair (MSTICPy `plot_matrix`).
    fn matrix(&self, x_column: &str, y_column: &str) -> MatrixPlot;
    /// The process tree of these events or of a built tree's frame (MSTICPy `plot_process_tree`).
    fn process_tree(&self) -> ProcessTreePlot;
    /// Observed values, baseline and anomalies (MSTICPy `display_timeseries_anomalies`).
    fn anomalies_plot(&self) -> AnomaliesPlot;
}

impl FramePlot for Frame {
    fn timeline(&self) -> Timeline {
        Timeline::new(self)
    }
    fn timeline_values(&self, value_column: &str) -> TimelineValues {
        TimelineValues::new(self, value_column)
    }
    fn timeline_duration(&self, group_by: &str) -> TimelineDuration {
        TimelineDuration::new(self, group_by)
    }
    fn matrix(&self, x_column: &str, y_column: &str) -> MatrixPlot {
        MatrixPlot::new(self, x_column, y_column)
    }
    fn process_tree(&self) -> ProcessTreePlot {
        ProcessTreePlot::new(self)
    }
    fn anomalies_plot(&self) -> AnomaliesPlot {
        AnomaliesPlot::new(self)
    }
}
