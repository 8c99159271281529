//! [`TimelineDuration`]: one bar per group from its first to its last event (MSTICPy
//! `display_timeline_duration`).

use crate::chart::Chart;
use crate::data::{self, format_time, thousands};
use crate::options::{PlotOptions, RefTimes, common_setters, time_setters, series_color};
use crate::svg::{self, Axis, Page};
use crate::vega;
use mstic_core::{Error, Frame, Result};
use plotters::prelude::*;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Builder of a duration timeline — one bar per group from its first to its last event: start
/// with `frame.timeline_duration("Group column")`.
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_vis::FramePlot;
/// let events = Frame::from_string_rows(&["TimeGenerated", "Account"], &[
///     vec![Some("2024-05-01 10:00:00"), Some("ann")],
///     vec![Some("2024-05-01 12:00:00"), Some("ann")],
///     vec![Some("2024-05-01 11:00:00"), Some("bob")],
/// ])?;
/// let chart = events.timeline_duration("Account").build()?;
/// assert_eq!(chart.title(), "Activity duration by Account");
/// assert_eq!(chart.mark_count(), 2); // one bar per account
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TimelineDuration {
    frame: Frame,
    group_by: Vec<String>,
    time_column: String,
    end_time_column: Option<String>,
    ref_times: RefTimes,
    options: PlotOptions,
}

/// One group's bar.
struct Span {
    name: String,
    start: f64,
    end: f64,
    events: usize,
}

impl TimelineDuration {
    /// Bars per distinct value of `group_by` over `TimeGenerated`.
    pub fn new(frame: &Frame, group_by: &str) -> Self {
        TimelineDuration {
            time_column: data::event_time_column(frame),
            frame: frame.clone(),
            group_by: vec![group_by.to_string()],
            end_time_column: None,
            ref_times: RefTimes::default(),
            options: PlotOptions::default(),
        }
    }

    /// Groups by the combination of several columns (joined with ` / `).
    pub fn group_by_columns(mut self, columns: &[&str]) -> Self {
        if !columns.is_empty() {
            self.group_by = columns.iter().map(|c| c.to_string()).collect();
        }
        self
    }

    /// A column holding each event's end time (bars then end at the latest end).
    pub fn end_time_column(mut self, column: &str) -> Self {
        self.end_time_column = Some(column.to_string());
        self
    }

    common_setters!();
    time_setters!();

    /// Draws the chart.
    pub fn build(self) -> Result<Chart> {
        self.ref_times.check()?;
        let starts = data::times(&self.frame, &self.time_column, "time_column")?;
        let ends = self.end_time_column.as_deref().map(|c| data::times(&self.frame, c, "end_time_column")).transpose()?;
        let keys = data::text_columns(&self.frame, &self.group_by, "group_by")?;
        let mut spans: Vec<Span> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (row, start) in starts.iter().enumerate() {
            let Some(start) = *start else { continue };
            let end = ends.as_ref().and_then(|e| e[row]).unwrap_or(start).max(start);
            let name = keys.iter().map(|k| k[row].as_str()).collect::<Vec<_>>().join(" / ");
            let at = *by_name.entry(name.clone()).or_insert_with(|| {
                spans.push(Span { name, start, end, events: 0 });
                spans.len() - 1
            });
            let span = &mut spans[at];
            span.start = span.start.min(start);
            span.end = span.end.max(end);
            span.events += 1;
        }
        if spans.is_empty() {
            return Err(Error::invalid("time_column", format!("no events with a time in column '{}'", self.time_column)));
        }
        spans.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.name.cmp(&b.name)));
        let mut notes = Vec::new();
        let groups = spans.len();
        if groups > self.options.max_points {
            spans.sort_by_key(|s| std::cmp::Reverse(s.events));
            spans.truncate(self.options.max_points);
            spans.sort_by(|a, b| a.start.total_cmp(&b.start));
            notes.push(format!("{} groups: the {} with most events are shown", thousands(groups), thousands(spans.len())));
        }
        let names: Vec<String> = spans.iter().map(|s| s.name.clone()).collect();
        let label = self.group_by.join(" / ");
        let title = self.options.title_or(&format!("Activity duration by {label}"));
        let height = self.options.height.unwrap_or((spans.len() as u32 * 26 + 60).clamp(120, 2400));
        let x_label = self.options.x_label_or("Time (UTC)");
        let y_label = self.options.y_label_or(&label);
        let (min, max) = spans.iter().fold((f64::MAX, f64::MIN), |(lo, hi), s| (lo.min(s.start), hi.max(s.end)));
        let min_width = ((max - min) * 0.003).max(1000.0);

        let rows: Vec<Value> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| {
                json!({vega::TIME: s.start, "__end": s.end.max(s.start + min_width), "__group": s.name, "__events": s.events,
                       vega::WHEN: format_time(s.start), "__until": format_time(s.end), "__color": series_color(i)})
            })
            .collect();
        let layers = vec![json!({
            "params": vega::zoom(&["x"]),
            "mark": {"type": "bar", "height": {"band": 0.6}, "cornerRadius": 2},
            "encoding": {
                "x": vega::time_x(&x_label),
                "x2": {"field": "__end"},
                "y": {"field": "__group", "type": "nominal", "title": y_label, "sort": names, "axis": {"labelLimit": 240}},
                "color": {"field": "__color", "type": "nominal", "scale": null, "legend": null},
                "tooltip": [{"field": "__group", "type": "nominal", "title": label}, {"field": vega::WHEN, "type": "nominal", "title": "First (UTC)"},
                            {"field": "__until", "type": "nominal", "title": "Last (UTC)"}, {"field": "__events", "type": "quantitative", "title": "Events"}]
            }
        })];
        let spec = vega::layered(&title, &notes, self.options.width, height, rows, layers, &self.ref_times.markers);

        let x_axis = svg::time_axis(min, max, &self.ref_times.markers);
        let y_axis = Axis::Categories { names: names.clone(), top_down: true };
        let page = Page { width: self.options.width, height: height + 80 + notes.len() as u32 * 16, title: &title, legend: crate::Legend::None, legend_entries: Vec::new(), notes: &notes };
        let svg = svg::page(&page, |area| {
            svg::cartesian(area, &x_axis, &y_axis, &x_label, &y_label, |plot| {
                let bars = spans.iter().enumerate().map(|(i, s)| {
                    let y = y_axis.position(i);
                    Rectangle::new([(s.start, y - 0.3), (s.end.max(s.start + min_width), y + 0.3)], svg::color(series_color(i)).filled())
                });
                plot.draw_series(bars).map_err(|e| e.to_string())?;
                svg::markers(plot, &y_axis, &self.ref_times.markers)
            })
        })?;
        let longest = spans.iter().max_by(|a, b| (a.end - a.start).total_cmp(&(b.end - b.start))).map(|s| s.name.clone()).unwrap_or_default();
        let summary = format!(
            "Duration timeline by {label}: {} groups, {} to {} UTC; longest: {longest}",
            thousands(groups),
            format_time(min),
            format_time(max)
        );
        Ok(Chart::new("timeline_duration", title, spec, svg, summary, spans.len(), notes))
    }
}
