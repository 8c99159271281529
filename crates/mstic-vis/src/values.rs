//! [`TimelineValues`]: a numeric column over time as vertical bars, a line or circles (MSTICPy
//! `display_timeline_values`).

use crate::chart::Chart;
use crate::data::{self, format_time, thousands};
use crate::options::{PlotOptions, RefTimes, common_setters, series_setters, time_setters, series_color};
use crate::svg::{self, Axis, Page};
use crate::{axis, vega};
use mstic_core::{Error, Frame, Result};
use plotters::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// How a value timeline draws its values (MSTICPy `kind`).
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_vis::{FramePlot, ValueKind};
/// let flows = Frame::from_string_rows(&["TimeGenerated", "Bytes"], &[
///     vec![Some("2024-05-01 10:00:00"), Some("120")],
///     vec![Some("2024-05-01 10:05:00"), Some("4800")],
/// ])?;
/// let chart = flows.timeline_values("Bytes").kinds(&[ValueKind::Line, ValueKind::Circle]).build()?;
/// let spec = chart.vega_lite().to_string();
/// assert!(spec.contains(r#""line""#) && spec.contains(r#""circle""#));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A vertical bar from zero to the value.
    Vbar,
    /// A line through the values of each series.
    Line,
    /// A circle at each value.
    Circle,
}

impl ValueKind {
    fn name(self) -> &'static str {
        match self {
            ValueKind::Vbar => "vbar",
            ValueKind::Line => "line",
            ValueKind::Circle => "circle",
        }
    }
}

/// Builder of a value timeline — a numeric column over time: start with
/// `frame.timeline_values("Column")`.
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_vis::FramePlot;
/// let flows = Frame::from_string_rows(&["TimeGenerated", "Bytes"], &[
///     vec![Some("2024-05-01 10:00:00"), Some("120")],
///     vec![Some("2024-05-01 10:05:00"), Some("4800")],
/// ])?;
/// let chart = flows.timeline_values("Bytes").build()?;
/// assert_eq!(chart.title(), "Timeline of Bytes");
/// assert_eq!(chart.mark_count(), 2);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TimelineValues {
    frame: Frame,
    value_column: String,
    time_column: String,
    group_by: Option<String>,
    source_columns: Vec<String>,
    kinds: Vec<ValueKind>,
    ref_times: RefTimes,
    options: PlotOptions,
}

impl TimelineValues {
    /// `value_column` of `frame` over `TimeGenerated`, as vertical bars.
    pub fn new(frame: &Frame, value_column: &str) -> Self {
        TimelineValues {
            time_column: data::event_time_column(frame),
            frame: frame.clone(),
            value_column: value_column.to_string(),
            group_by: None,
            source_columns: Vec::new(),
            kinds: vec![ValueKind::Vbar],
            ref_times: RefTimes::default(),
            options: PlotOptions::default(),
        }
    }

    /// How values are drawn.
    pub fn kind(mut self, kind: ValueKind) -> Self {
        self.kinds = vec![kind];
        self
    }

    /// Several drawings at once (e.g. line and circles).
    pub fn kinds(mut self, kinds: &[ValueKind]) -> Self {
        if !kinds.is_empty() {
            self.kinds = kinds.to_vec();
        }
        self
    }

    common_setters!();
    time_setters!();
    series_setters!();

    /// Draws the chart.
    pub fn build(self) -> Result<Chart> {
        self.ref_times.check()?;
        let times = data::times(&self.frame, &self.time_column, "time_column")?;
        let values = data::numbers(&self.frame, &self.value_column, "value_column")?;
        let groups = self.group_by.as_deref().map(|g| data::texts(&self.frame, g, "group_by")).transpose()?;
        let sources = data::text_columns(&self.frame, &self.source_columns, "source_columns")?;
        let mut names: Vec<String> = groups.clone().unwrap_or_else(|| vec![self.value_column.clone()]);
        names.sort();
        names.dedup();
        // (time, value, series, row)
        let mut points: Vec<(f64, f64, usize, usize)> = Vec::new();
        for (row, (t, v)) in times.iter().zip(&values).enumerate() {
            if let (Some(t), Some(v)) = (t, v) {
                let series = groups.as_ref().map(|g| names.binary_search(&g[row]).unwrap_or(0)).unwrap_or(0);
                points.push((*t, *v, series, row));
            }
        }
        if points.is_empty() {
            return Err(Error::invalid(
                "value_column",
                format!("no rows with both a time in '{}' and a number in '{}'", self.time_column, self.value_column),
            ));
        }
        let mut notes = Vec::new();
        if points.len() < times.len() {
            notes.push(format!("{} rows without a time or value are not shown", thousands(times.len() - points.len())));
        }
        let total = points.len();
        if total > self.options.max_points {
            points = peak_per_bin(&points, names.len(), self.options.max_points, &mut notes);
        }
        points.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.total_cmp(&b.0)));

        let colors: Vec<String> = (0..names.len()).map(|i| series_color(i).to_string()).collect();
        let title = self.options.title_or(&format!("Timeline of {}", self.value_column));
        let height = self.options.height.unwrap_or(320);
        let x_label = self.options.x_label_or("Time (UTC)");
        let y_label = self.options.y_label_or(&self.value_column);
        let (t_min, t_max) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
        let (v_min, v_max) = points.iter().fold((0f64, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));

        let rows: Vec<Value> = points
            .iter()
            .map(|&(t, v, s, row)| {
                let mut m = Map::new();
                m.insert(vega::TIME.into(), json!(t));
                m.insert(vega::WHEN.into(), json!(format_time(t)));
                m.insert("__value".into(), json!(v));
                m.insert("__series".into(), json!(names[s]));
                for (c, name) in self.source_columns.iter().enumerate() {
                    m.insert(name.clone(), json!(sources[c][row]));
                }
                Value::Object(m)
            })
            .collect();
        let mut tooltip = vega::tooltip(true, &self.source_columns);
        if let Some(t) = tooltip.as_array_mut() {
            t.insert(0, json!({"field": "__value", "type": "quantitative", "title": self.value_column}));
        }
        let legend_shown = self.options.legend.shown(names.len());
        let encoding = json!({
            "x": vega::time_x(&x_label),
            "y": {"field": "__value", "type": "quantitative", "title": y_label},
            "color": {"field": "__series", "type": "nominal", "scale": {"domain": names, "range": colors},
                      "legend": vega::legend(legend_shown, self.options.legend.vega_orient(), self.group_by.as_deref().unwrap_or(""))},
            "tooltip": tooltip,
        });
        let mut layers = Vec::new();
        for (i, kind) in self.kinds.iter().enumerate() {
            let mut enc = encoding.clone();
            let mark = match kind {
                ValueKind::Vbar => {
                    enc["y2"] = json!({"datum": 0});
                    json!({"type": "rule", "strokeWidth": 3})
                }
                ValueKind::Line => json!({"type": "line", "strokeWidth": 1.5}),
                ValueKind::Circle => json!({"type": "circle", "size": 40, "opacity": 0.8}),
            };
            let mut layer = json!({"mark": mark, "encoding": enc});
            if i == 0 {
                layer["params"] = vega::zoom(&["x"]);
            }
            layers.push(layer);
        }
        let mut spec = vega::layered(&title, &notes, self.options.width, height, rows, layers, &self.ref_times.markers);
        if self.options.range_tool {
            spec = vega::with_range_tool(spec);
        }

        let x_axis = svg::time_axis(t_min, t_max, &self.ref_times.markers);
        let y_axis = Axis::Numeric { min: v_min, max: v_max };
        let page = Page {
            width: self.options.width,
            height: height + 80 + notes.len() as u32 * 16,
            title: &title,
            legend: self.options.legend,
            legend_entries: names.iter().cloned().zip(colors.iter().cloned()).collect(),
            notes: &notes,
        };
        let svg = svg::page(&page, |area| {
            svg::cartesian(area, &x_axis, &y_axis, &x_label, &y_label, |plot| {
                for kind in &self.kinds {
                    match kind {
                        ValueKind::Vbar => plot
                            .draw_series(points.iter().map(|p| PathElement::new(vec![(p.0, 0.0), (p.0, p.1)], svg::color(&colors[p.2]).stroke_width(3))))
                            .map(|_| ()),
                        ValueKind::Circle => plot
                            .draw_series(points.iter().map(|p| Circle::new((p.0, p.1), 4, svg::color(&colors[p.2]).mix(0.8).filled())))
                            .map(|_| ()),
                        ValueKind::Line => (0..names.len()).try_for_each(|s| {
                            let line = points.iter().filter(|p| p.2 == s).map(|p| (p.0, p.1));
                            plot.draw_series(LineSeries::new(line, svg::color(&colors[s]).stroke_width(2))).map(|_| ())
                        }),
                    }
                    .map_err(|e| e.to_string())?;
                }
                svg::markers(plot, &y_axis, &self.ref_times.markers)
            })
        })?;
        let kinds: Vec<&str> = self.kinds.iter().map(|k| k.name()).collect();
        let summary = format!(
            "Timeline of '{}' ({}): {} values in {} series, {} to {} UTC, range {} to {}",
            self.value_column,
            kinds.join("+"),
            thousands(total),
            names.len(),
            format_time(t_min),
            format_time(t_max),
            axis::number_label(points.iter().map(|p| p.1).fold(f64::MAX, f64::min)),
            axis::number_label(v_max)
        );
        Ok(Chart::new("timeline_values", title, spec, svg, summary, points.len(), notes))
    }
}

/// The largest value of each series in each time bin (so peaks stay visible), with a note.
fn peak_per_bin(points: &[(f64, f64, usize, usize)], series: usize, max_points: usize, notes: &mut Vec<String>) -> Vec<(f64, f64, usize, usize)> {
    let (min, max) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let width = axis::time_step((max - min).max(1.0), (max_points / series.max(1)).max(20));
    let mut bins: BTreeMap<(usize, i64), (f64, f64, usize, usize)> = BTreeMap::new();
    for &p in points {
        let slot = bins.entry((p.2, ((p.0 - min) / width).floor() as i64)).or_insert(p);
        if p.1 > slot.1 {
            *slot = p;
        }
    }
    let out: Vec<_> = bins.into_values().collect();
    notes.push(format!(
        "{} values reduced to {}: the largest value of each series per {}",
        thousands(points.len()),
        thousands(out.len()),
        axis::describe_step(width)
    ));
    out
}
