//! [`AnomaliesPlot`]: a time series with its baseline and anomalies marked (MSTICPy
//! `display_timeseries_anomalies`), for frames shaped like `ts_anomalies_stl` output.

use crate::chart::Chart;
use crate::data::{self, format_time, thousands};
use crate::options::{PlotOptions, RefTimes, common_setters, time_setters};
use crate::svg::{self, Axis, Page};
use crate::{axis, vega};
use mstic_core::{Error, Frame, Result};
use plotters::prelude::*;
use serde_json::{Value, json};

/// Columns of an STL decomposition that are never the observed value.
const DERIVED: [&str; 8] = ["baseline", "score", "anomalies", "residual", "trend", "seasonal", "weights", "index"];

/// Builder of a time-series anomalies plot — observed values, baseline and anomalies: start with
/// `frame.anomalies_plot()`.
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_vis::FramePlot;
/// let series = Frame::from_string_rows(&["TimeGenerated", "Total", "baseline", "anomalies"], &[
///     vec![Some("2024-05-01 10:00:00"), Some("10"), Some("11"), Some("0")],
///     vec![Some("2024-05-01 11:00:00"), Some("95"), Some("12"), Some("1")],
///     vec![Some("2024-05-01 12:00:00"), Some("12"), Some("12"), Some("0")],
/// ])?;
/// let chart = series.anomalies_plot().build()?;
/// assert_eq!(chart.mark_count(), 1); // the one anomaly
/// assert!(chart.summary().contains("1 anomalies"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AnomaliesPlot {
    frame: Frame,
    time_column: String,
    value_column: Option<String>,
    baseline_column: String,
    anomalies_column: String,
    colors: [String; 3],
    ref_times: RefTimes,
    options: PlotOptions,
}

impl AnomaliesPlot {
    /// Observed values (`Total`, else the first other numeric column), `baseline` and `anomalies`
    /// of `frame` over `TimeGenerated`.
    pub fn new(frame: &Frame) -> Self {
        AnomaliesPlot {
            time_column: data::first_present(frame, "TimeGenerated", &["Timestamp", "TimeCreated", "StartTime"]),
            frame: frame.clone(),
            value_column: None,
            baseline_column: "baseline".into(),
            anomalies_column: "anomalies".into(),
            colors: ["navy".into(), "green".into(), "firebrick".into()],
            ref_times: RefTimes::default(),
            options: PlotOptions::default(),
        }
    }

    /// The observed value column (MSTICPy `y` / `value_column`).
    pub fn value_column(mut self, column: &str) -> Self {
        self.value_column = Some(column.to_string());
        self
    }

    /// The expected-value column (default `baseline`).
    pub fn baseline_column(mut self, column: &str) -> Self {
        self.baseline_column = column.to_string();
        self
    }

    /// The anomaly flag column: non-zero marks an anomaly (default `anomalies`).
    pub fn anomalies_column(mut self, column: &str) -> Self {
        self.anomalies_column = column.to_string();
        self
    }

    /// Colours of the observed line, the baseline and the anomaly markers.
    pub fn colors(mut self, observed: &str, baseline: &str, anomalies: &str) -> Self {
        self.colors = [observed.to_string(), baseline.to_string(), anomalies.to_string()];
        self
    }

    common_setters!();
    time_setters!();

    fn observed_column(&self) -> Result<String> {
        if let Some(c) = &self.value_column {
            return Ok(c.clone());
        }
        if self.frame.has_column("Total") {
            return Ok("Total".into());
        }
        let numeric = |(name, kind): &(String, String)| {
            name != &self.time_column && !DERIVED.contains(&name.as_str()) && (kind.starts_with("Int") || kind.starts_with("UInt") || kind.starts_with("Float"))
        };
        self.frame.dtypes().iter().find(|c| numeric(c)).map(|c| c.0.clone()).ok_or_else(|| {
            Error::invalid("value_column", format!("no numeric value column found among {}; name one with .value_column(…)", self.frame.columns().join(", ")))
        })
    }

    /// Draws the chart.
    pub fn build(self) -> Result<Chart> {
        self.ref_times.check()?;
        let value_column = self.observed_column()?;
        let times = data::times(&self.frame, &self.time_column, "time_column")?;
        let values = data::numbers(&self.frame, &value_column, "value_column")?;
        let baseline = data::numbers(&self.frame, &self.baseline_column, "baseline_column")?;
        let flags = data::numbers(&self.frame, &self.anomalies_column, "anomalies_column")?;
        // (time, value, baseline, anomaly flag)
        let mut points: Vec<(f64, f64, Option<f64>, f64)> = (0..times.len())
            .filter_map(|r| Some((times[r]?, values[r]?, baseline[r], flags[r].unwrap_or(0.0))))
            .collect();
        if points.is_empty() {
            return Err(Error::invalid("value_column", format!("no rows with a time in '{}' and a value in '{value_column}'", self.time_column)));
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let anomalies: Vec<(f64, f64, f64)> = points.iter().filter(|p| p.3 != 0.0).map(|p| (p.0, p.1, p.3)).collect();
        let mut notes = Vec::new();
        let total = points.len();
        if total > self.options.max_points {
            points = mean_per_bin(&points, self.options.max_points, &mut notes);
        }

        let title = self.options.title_or("Time Series Anomalies");
        let height = self.options.height.unwrap_or(340);
        let x_label = self.options.x_label_or("Time (UTC)");
        let y_label = self.options.y_label_or(&value_column);
        let names = [value_column.clone(), self.baseline_column.clone(), self.anomalies_column.clone()];
        let hex: Vec<String> = self.colors.iter().map(|c| { let (r, g, b) = crate::options::rgb(c); format!("#{r:02x}{g:02x}{b:02x}") }).collect();

        let mut rows: Vec<Value> = points
            .iter()
            .map(|p| json!({vega::TIME: p.0, vega::WHEN: format_time(p.0), "__value": p.1, "__baseline": p.2, "__anomaly": 0}))
            .collect();
        rows.extend(anomalies.iter().map(|a| json!({vega::TIME: a.0, vega::WHEN: format_time(a.0), "__value": a.1, "__anomaly": a.2})));
        let tip = json!([{"field": vega::WHEN, "type": "nominal", "title": "Time (UTC)"}, {"field": "__value", "type": "quantitative", "title": value_column, "format": ","},
                         {"field": "__baseline", "type": "quantitative", "title": self.baseline_column, "format": ","}]);
        let color = |i: usize| json!({"datum": names[i], "type": "nominal", "scale": {"domain": names, "range": hex},
                                       "legend": vega::legend(self.options.legend != crate::Legend::None, self.options.legend.vega_orient(), "")});
        let layers = vec![
            json!({"params": vega::zoom(&["x"]), "transform": [{"filter": "datum.__anomaly == 0"}], "mark": {"type": "line", "strokeWidth": 1.5},
                   "encoding": {"x": vega::time_x(&x_label), "y": {"field": "__value", "type": "quantitative", "title": y_label}, "color": color(0), "tooltip": tip}}),
            json!({"transform": [{"filter": "datum.__anomaly == 0 && isValid(datum.__baseline)"}], "mark": {"type": "circle", "size": 14, "opacity": 0.7},
                   "encoding": {"x": {"field": vega::TIME, "type": "temporal"}, "y": {"field": "__baseline", "type": "quantitative"}, "color": color(1), "tooltip": tip}}),
            json!({"transform": [{"filter": "datum.__anomaly != 0"}], "mark": {"type": "point", "shape": "diamond", "filled": true, "size": 160},
                   "encoding": {"x": {"field": vega::TIME, "type": "temporal"}, "y": {"field": "__value", "type": "quantitative"}, "color": color(2),
                                "tooltip": [{"field": vega::WHEN, "type": "nominal", "title": "Anomaly (UTC)"}, {"field": "__value", "type": "quantitative", "title": value_column, "format": ","},
                                            {"field": "__anomaly", "type": "quantitative", "title": self.anomalies_column}]}}),
        ];
        let spec = vega::layered(&title, &notes, self.options.width, height, rows, layers, &self.ref_times.markers);

        let (t_min, t_max) = (points[0].0, points[points.len() - 1].0);
        let v_max = points.iter().map(|p| p.1.max(p.2.unwrap_or(0.0))).fold(f64::MIN, f64::max);
        let v_min = points.iter().map(|p| p.1.min(p.2.unwrap_or(p.1))).fold(f64::MAX, f64::min);
        let x_axis = Axis::Time { min: t_min, max: t_max };
        let y_axis = Axis::Numeric { min: v_min, max: v_max };
        let page = Page {
            width: self.options.width,
            height: height + 80 + notes.len() as u32 * 16,
            title: &title,
            legend: if self.options.legend == crate::Legend::Auto { crate::Legend::Right } else { self.options.legend },
            legend_entries: names.iter().cloned().zip(hex.iter().cloned()).collect(),
            notes: &notes,
        };
        let svg = svg::page(&page, |area| {
            svg::cartesian(area, &x_axis, &y_axis, &x_label, &y_label, |plot| {
                let observed = svg::color(&hex[0]);
                plot.draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), observed.stroke_width(2))).map_err(|e| e.to_string())?;
                let base = svg::color(&hex[1]).mix(0.7).filled();
                plot.draw_series(points.iter().filter_map(|p| p.2.map(|b| Circle::new((p.0, b), 2, base)))).map_err(|e| e.to_string())?;
                let marks = svg::color(&hex[2]).filled();
                plot.draw_series(anomalies.iter().map(|a| Circle::new((a.0, a.1), 7, marks))).map_err(|e| e.to_string())?;
                svg::markers(plot, &y_axis, &self.ref_times.markers)
            })
        })?;
        let listed: Vec<String> = anomalies.iter().take(10).map(|a| format!("{} ({})", format_time(a.0), axis::number_label(a.1))).collect();
        let summary = format!(
            "Time series of '{value_column}': {} points, {} to {} UTC, {} anomalies{}{}",
            thousands(total),
            format_time(t_min),
            format_time(t_max),
            anomalies.len(),
            if listed.is_empty() { String::new() } else { format!(": {}", listed.join(", ")) },
            if anomalies.len() > 10 { ", …" } else { "" }
        );
        Ok(Chart::new("anomalies", title, spec, svg, summary, anomalies.len(), notes))
    }
}

/// Mean value and baseline per time bin (anomalies are always drawn individually), with a note.
fn mean_per_bin(points: &[(f64, f64, Option<f64>, f64)], max_points: usize, notes: &mut Vec<String>) -> Vec<(f64, f64, Option<f64>, f64)> {
    let (min, max) = (points[0].0, points[points.len() - 1].0);
    let width = axis::time_step((max - min).max(1.0), max_points);
    let mut out: Vec<(f64, f64, Option<f64>, f64, usize, usize)> = Vec::new();
    let mut current = i64::MIN;
    for p in points {
        let bin = ((p.0 - min) / width).floor() as i64;
        if bin != current || out.is_empty() {
            out.push((p.0, 0.0, None, 0.0, 0, 0));
            current = bin;
        }
        let slot = out.last_mut().expect("a bin was pushed");
        slot.1 += p.1;
        slot.4 += 1;
        if let Some(b) = p.2 {
            slot.2 = Some(slot.2.unwrap_or(0.0) + b);
            slot.5 += 1;
        }
    }
    notes.push(format!("{} points averaged into {} bins of {}; anomalies are all shown", thousands(points.len()), thousands(out.len()), axis::describe_step(width)));
    out.into_iter().map(|(t, v, b, _, n, nb)| (t, v / n as f64, b.map(|b| b / nb.max(1) as f64), 0.0)).collect()
}
