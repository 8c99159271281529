//! [`Timeline`]: events over time, one row per series (MSTICPy `display_timeline`).

use crate::chart::Chart;
use crate::data::{self, format_time, thousands};
use crate::options::{PlotOptions, RefMarker, RefTimes, common_setters, series_setters, time_setters, series_color};
use crate::svg::{self, Axis, Page};
use crate::{axis, vega};
use mstic_core::{Error, Frame, Result};
use plotters::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

/// Builder of an event timeline: events over time, one row per series. Start with
/// `frame.timeline()` ([`crate::FramePlot`]) or [`Timeline::new`]; finish with
/// [`Timeline::build`] or [`Timeline::display`].
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
/// let chart = events.timeline().group_by("Account").source_columns(&["Account"]).build()?;
/// assert_eq!(chart.mark_count(), 2);
/// assert!(chart.vega_lite().to_string().contains("Account"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Timeline {
    frame: Frame,
    time_column: String,
    group_by: Option<String>,
    source_columns: Vec<String>,
    ref_times: RefTimes,
    ref_events: Vec<(Frame, String, String)>,
    overlays: Vec<(Frame, String, Option<String>)>,
    color: Option<String>,
    options: PlotOptions,
}

/// One drawn point: a single event, or the events of one series in one time bin.
pub(crate) struct Point {
    pub time: f64,
    pub series: usize,
    pub count: usize,
    pub row: usize,
    pub source: usize,
}

impl Timeline {
    /// A timeline of `frame`'s events on `TimeGenerated` (change with [`Timeline::time_column`]).
    pub fn new(frame: &Frame) -> Self {
        Timeline {
            time_column: data::event_time_column(frame),
            frame: frame.clone(),
            group_by: None,
            source_columns: Vec::new(),
            ref_times: RefTimes::default(),
            ref_events: Vec::new(),
            overlays: Vec::new(),
            color: None,
            options: PlotOptions::default(),
        }
    }

    /// A marker for every row of `events` at `time_column`, labelled by `label_column`
    /// (MSTICPy `ref_events` + `ref_time_col` + `ref_col`).
    pub fn ref_events(mut self, events: &Frame, time_column: &str, label_column: &str) -> Self {
        self.ref_events.push((events.clone(), time_column.to_string(), label_column.to_string()));
        self
    }

    /// Other events drawn as their own series `label` (MSTICPy `overlay_data`); their time column
    /// is the timeline's unless set with [`Timeline::overlay_time_column`].
    pub fn overlay(mut self, events: &Frame, label: &str) -> Self {
        self.overlays.push((events.clone(), label.to_string(), None));
        self
    }

    /// The time column of the last overlay added.
    pub fn overlay_time_column(mut self, column: &str) -> Self {
        if let Some(last) = self.overlays.last_mut() {
            last.2 = Some(column.to_string());
        }
        self
    }

    /// The colour of a single-series timeline (`#rrggbb` or a name; default series colours).
    pub fn color(mut self, color: &str) -> Self {
        self.color = Some(color.to_string());
        self
    }

    common_setters!();
    time_setters!();
    series_setters!();

    /// Draws the chart.
    pub fn build(self) -> Result<Chart> {
        self.ref_times.check()?;
        let mut markers = self.ref_times.markers.clone();
        for (events, time_column, label_column) in &self.ref_events {
            let times = data::times(events, time_column, "ref_events time column")?;
            let labels = data::texts(events, label_column, "ref_events label column")?;
            markers.extend(times.into_iter().zip(labels).filter_map(|(t, label)| t.map(|time| RefMarker { time, label })));
        }

        // Events of every source: (time, series name, row, source).
        let mut events: Vec<(f64, String, usize, usize)> = Vec::new();
        let mut sources: Vec<(Vec<Vec<String>>, Vec<String>)> = Vec::new();
        let mut missing = 0;
        let main_label = self.group_by.clone().unwrap_or_else(|| "Events".to_string());
        let mut collect = |frame: &Frame, time_column: &str, label: Option<&str>, group: Option<&str>, index: usize| -> Result<()> {
            let times = data::times(frame, time_column, "time_column")?;
            let groups = group.map(|g| data::texts(frame, g, "group_by")).transpose()?;
            let columns: Vec<String> = self.source_columns.iter().filter(|c| frame.has_column(c)).cloned().collect();
            for c in self.source_columns.iter().filter(|c| !frame.has_column(c)) {
                if index == 0 {
                    frame.column_index(c).map_err(|e| Error::invalid("source_columns", e.to_string()))?;
                }
            }
            sources.push((data::text_columns(frame, &columns, "source_columns")?, columns));
            for (row, time) in times.into_iter().enumerate() {
                let Some(time) = time else {
                    missing += 1;
                    continue;
                };
                let name = match (&groups, label) {
                    (Some(g), _) if g[row].is_empty() => "(empty)".to_string(),
                    (Some(g), _) => g[row].clone(),
                    (None, Some(l)) => l.to_string(),
                    (None, None) => main_label.clone(),
                };
                events.push((time, name, row, index));
            }
            Ok(())
        };
        collect(&self.frame, &self.time_column, None, self.group_by.as_deref(), 0)?;
        for (i, (frame, label, time_column)) in self.overlays.iter().enumerate() {
            collect(frame, time_column.as_deref().unwrap_or(&self.time_column), Some(label), None, i + 1)?;
        }
        if events.is_empty() {
            return Err(Error::invalid("timeline data", format!("no events with a time in column '{}'", self.time_column)));
        }

        // Series in name order (overlays last), then points (binned when there are too many).
        let mut names: Vec<String> = events.iter().filter(|e| e.3 == 0).map(|e| e.1.clone()).collect();
        names.sort();
        names.dedup();
        for (_, label, _) in &self.overlays {
            if !names.contains(label) {
                names.push(label.clone());
            }
        }
        let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let tagged: Vec<(f64, usize, usize, usize)> = events.iter().map(|(t, n, r, s)| (*t, index[n.as_str()], *r, *s)).collect();
        let mut notes = Vec::new();
        if missing > 0 {
            notes.push(format!("{} events without a time are not shown", thousands(missing)));
        }
        let points = bin_points(&tagged, names.len(), self.options.max_points, &mut notes);
        let aggregated = points.len() < tagged.len();

        let counts: BTreeMap<usize, usize> = tagged.iter().fold(BTreeMap::new(), |mut m, e| {
            *m.entry(e.1).or_default() += 1;
            m
        });
        let colors: Vec<String> = (0..names.len())
            .map(|i| if names.len() == 1 { self.color.clone().unwrap_or_else(|| series_color(0).to_string()) } else { series_color(i).to_string() })
            .collect();
        let (min, max) = tagged.iter().fold((f64::MAX, f64::MIN), |(lo, hi), e| (lo.min(e.0), hi.max(e.0)));
        let title = self.options.title_or("Event Timeline");
        let height = self.options.height.unwrap_or((names.len() as u32 * 36 + 90).clamp(160, 900));
        let x_label = self.options.x_label_or("Time (UTC)");
        let y_label = self.options.y_label_or(self.group_by.as_deref().unwrap_or(""));

        // Vega-Lite.
        let mut rows = Vec::with_capacity(points.len());
        for p in &points {
            let mut row = Map::new();
            row.insert(vega::TIME.into(), json!(p.time));
            row.insert(vega::WHEN.into(), json!(format_time(p.time)));
            row.insert("__series".into(), json!(names[p.series]));
            row.insert("__count".into(), json!(p.count));
            let (values, columns) = &sources[p.source];
            for (c, name) in columns.iter().enumerate() {
                row.insert(name.clone(), json!(values[c][p.row]));
            }
            rows.push(Value::Object(row));
        }
        let legend_shown = self.options.legend.shown(names.len());
        let mut tooltip = vega::tooltip(true, &self.source_columns);
        if let Some(entries) = tooltip.as_array_mut() {
            if aggregated {
                entries.insert(0, json!({"field": "__count", "type": "quantitative", "title": "Events in bin"}));
            }
            entries.insert(0, json!({"field": "__series", "type": "nominal", "title": main_label}));
        }
        let mut encoding = json!({
            "x": vega::time_x(&x_label),
            "y": {"field": "__series", "type": "nominal", "title": y_label, "sort": names, "axis": {"labelLimit": 220}},
            "color": {"field": "__series", "type": "nominal", "sort": names, "scale": {"domain": names, "range": colors},
                      "legend": vega::legend(legend_shown, self.options.legend.vega_orient(), &main_label)},
            "tooltip": tooltip,
        });
        if aggregated {
            encoding["size"] = json!({"field": "__count", "type": "quantitative", "title": "Events", "scale": {"range": [20, 400]}});
        }
        let layers = vec![json!({"params": vega::zoom(&["x"]), "mark": {"type": "circle", "size": 70, "opacity": 0.75}, "encoding": encoding})];
        let mut spec = vega::layered(&title, &notes, self.options.width, height, rows, layers, &markers);
        if self.options.range_tool {
            spec = vega::with_range_tool(spec);
        }

        // SVG.
        let x_axis = svg::time_axis(min, max, &markers);
        let y_axis = Axis::Categories { names: names.clone(), top_down: true };
        let page = Page {
            width: self.options.width,
            height: height + 60 + notes.len() as u32 * 16,
            title: &title,
            legend: self.options.legend,
            legend_entries: names.iter().cloned().zip(colors.iter().cloned()).collect(),
            notes: &notes,
        };
        let svg = svg::page(&page, |area| {
            svg::cartesian(area, &x_axis, &y_axis, &x_label, &y_label, |plot| {
                let circles = points.iter().map(|p| {
                    let radius = if aggregated { (3.0 + (p.count as f64).log2() * 1.5).min(14.0) as i32 } else { 5 };
                    Circle::new((p.time, y_axis.position(p.series)), radius, svg::color(&colors[p.series]).mix(0.75).filled())
                });
                plot.draw_series(circles).map_err(|e| e.to_string())?;
                svg::markers(plot, &y_axis, &markers)
            })
        })?;

        let per_series: Vec<String> = counts.iter().take(8).map(|(s, n)| format!("{}: {}", names[*s], thousands(*n))).collect();
        let more = if counts.len() > 8 { format!(", … {} more", counts.len() - 8) } else { String::new() };
        let summary = format!(
            "Timeline '{title}': {} events in {} series ({}{more}), {} to {} UTC, {} points drawn",
            thousands(tagged.len()),
            names.len(),
            per_series.join(", "),
            format_time(min),
            format_time(max),
            thousands(points.len())
        );
        Ok(Chart::new("timeline", title, spec, svg, summary, points.len(), notes))
    }
}

/// One point per event, or — past `max_points` — one per series and time bin, with a note.
/// Events are `(time, series, row, source)`.
pub(crate) fn bin_points(events: &[(f64, usize, usize, usize)], series: usize, max_points: usize, notes: &mut Vec<String>) -> Vec<Point> {
    if events.len() <= max_points {
        return events.iter().map(|&(time, series, row, source)| Point { time, series, count: 1, row, source }).collect();
    }
    let (min, max) = events.iter().fold((f64::MAX, f64::MIN), |(lo, hi), e| (lo.min(e.0), hi.max(e.0)));
    let bins_per_series = (max_points / series.max(1)).max(20);
    let width = axis::time_step((max - min).max(1.0), bins_per_series);
    let mut bins: BTreeMap<(usize, i64), Point> = BTreeMap::new();
    for &(time, s, row, source) in events {
        let key = (s, ((time - min) / width).floor() as i64);
        let entry = bins.entry(key).or_insert(Point { time, series: s, count: 0, row, source });
        entry.count += 1;
        if time < entry.time {
            entry.time = time;
            entry.row = row;
            entry.source = source;
        }
    }
    let points: Vec<Point> = bins.into_values().collect();
    notes.push(format!(
        "{} events aggregated into {} points: one per series per {} (point size = events; tooltip shows the first event)",
        thousands(events.len()),
        thousands(points.len()),
        axis::describe_step(width)
    ));
    points
}
