//! [`MatrixPlot`]: a circle at each (x, y) pair sized by how often it occurs or by a value
//! (MSTICPy `plot_matrix`) — e.g. which source IPs talk to which ports.

use crate::chart::Chart;
use crate::data::{self, thousands};
use crate::options::{PlotOptions, common_setters};
use crate::svg::{self, Axis, Page};
use crate::{axis, vega};
use mstic_core::{Error, Frame, Result};
use plotters::prelude::*;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// How the labels of a matrix plot's axis are ordered ([`MatrixPlot::sort_x`], [`MatrixPlot::sort_y`]).
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_vis::{FramePlot, MatrixSort};
/// let rows = [("h1", "22"), ("h1", "80"), ("h2", "80")].map(|(h, p)| vec![Some(h), Some(p)]);
/// let flows = Frame::from_string_rows(&["Host", "Port"], &rows)?;
/// let by_count = flows.matrix("Host", "Port").sort_y(MatrixSort::ByCount).build()?;
/// assert_eq!(by_count.vega_lite()["layer"][0]["encoding"]["y"]["sort"], serde_json::json!(["80", "22"]));
/// let alphabetical = flows.matrix("Host", "Port").build()?;
/// assert_eq!(alphabetical.vega_lite()["layer"][0]["encoding"]["y"]["sort"], serde_json::json!(["22", "80"]));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MatrixSort {
    /// Alphabetical (the default).
    #[default]
    Asc,
    /// Reverse alphabetical.
    Desc,
    /// Largest total first.
    ByCount,
    /// As first seen in the data.
    None,
}

/// The former name of [`MatrixSort`], kept for one release.
///
/// # Example
///
/// ```
/// # #[allow(deprecated)] fn main() {
/// use mstic_vis::{MatrixSort, Sort};
/// assert_eq!(Sort::ByCount, MatrixSort::ByCount);
/// # }
/// ```
#[deprecated(note = "renamed MatrixSort")]
pub type Sort = MatrixSort;

/// Builder of a matrix plot — circles at each (x, y) pair sized by count or value: start with
/// `frame.matrix("x column", "y column")`.
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_vis::FramePlot;
/// let rows = [("10.0.0.1", "443"), ("10.0.0.1", "443"), ("10.0.0.2", "53")].map(|(s, p)| vec![Some(s), Some(p)]);
/// let flows = Frame::from_string_rows(&["SrcIP", "Port"], &rows)?;
/// let chart = flows.matrix("SrcIP", "Port").log_size(true).build()?;
/// assert_eq!(chart.kind(), "matrix");
/// assert_eq!(chart.mark_count(), 2); // two distinct (SrcIP, Port) pairs
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MatrixPlot {
    frame: Frame,
    x: String,
    y: String,
    value_column: Option<String>,
    dist_count: bool,
    log_size: bool,
    invert: bool,
    intersect: bool,
    sort_x: MatrixSort,
    sort_y: MatrixSort,
    color: String,
    options: PlotOptions,
}

impl MatrixPlot {
    /// Counts of each (`x`, `y`) pair of `frame`.
    pub fn new(frame: &Frame, x: &str, y: &str) -> Self {
        MatrixPlot {
            frame: frame.clone(),
            x: x.to_string(),
            y: y.to_string(),
            value_column: None,
            dist_count: false,
            log_size: false,
            invert: false,
            intersect: false,
            sort_x: MatrixSort::Asc,
            sort_y: MatrixSort::Asc,
            color: "#d62728".into(),
            options: PlotOptions::default(),
        }
    }

    /// Sizes by the sum of `column` (or its distinct count with [`MatrixPlot::dist_count`]).
    pub fn value_column(mut self, column: &str) -> Self {
        self.value_column = Some(column.to_string());
        self
    }

    /// Counts distinct values of the value column instead of summing it.
    pub fn dist_count(mut self, yes: bool) -> Self {
        self.dist_count = yes;
        self
    }

    /// Sizes by the logarithm of the count (keeps big pairs from hiding small ones).
    pub fn log_size(mut self, yes: bool) -> Self {
        self.log_size = yes;
        self
    }

    /// Rare pairs get the big circles (find the unusual).
    pub fn invert(mut self, yes: bool) -> Self {
        self.invert = yes;
        self
    }

    /// Only whether a pair occurs: every circle the same size.
    pub fn intersect(mut self, yes: bool) -> Self {
        self.intersect = yes;
        self
    }

    /// Orders both axes.
    pub fn sort(self, sort: MatrixSort) -> Self {
        self.sort_x(sort).sort_y(sort)
    }

    /// Orders the x axis.
    pub fn sort_x(mut self, sort: MatrixSort) -> Self {
        self.sort_x = sort;
        self
    }

    /// Orders the y axis.
    pub fn sort_y(mut self, sort: MatrixSort) -> Self {
        self.sort_y = sort;
        self
    }

    /// Circle colour (`#rrggbb` or a name; default red).
    pub fn color(mut self, color: &str) -> Self {
        self.color = color.to_string();
        self
    }

    common_setters!();

    /// Draws the chart.
    pub fn build(self) -> Result<Chart> {
        let xs = data::texts(&self.frame, &self.x, "x")?;
        let ys = data::texts(&self.frame, &self.y, "y")?;
        let values = match (&self.value_column, self.dist_count) {
            (Some(c), false) => Some(data::numbers(&self.frame, c, "value_column")?),
            _ => None,
        };
        let distinct = match (&self.value_column, self.dist_count) {
            (Some(c), true) => Some(data::texts(&self.frame, c, "value_column")?),
            _ => None,
        };
        let mut order: Vec<(String, String)> = Vec::new();
        let mut totals: HashMap<(String, String), f64> = HashMap::new();
        let mut seen: HashMap<(String, String), HashSet<String>> = HashMap::new();
        for row in 0..xs.len() {
            if xs[row].is_empty() || ys[row].is_empty() {
                continue;
            }
            let key = (xs[row].clone(), ys[row].clone());
            let add = match (&values, &distinct) {
                (Some(v), _) => v[row].unwrap_or(0.0),
                (_, Some(d)) => f64::from(seen.entry(key.clone()).or_default().insert(d[row].clone())),
                _ => 1.0,
            };
            let slot = totals.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                0.0
            });
            *slot += add;
        }
        if order.is_empty() {
            return Err(Error::invalid("x/y", format!("no rows with values in both '{}' and '{}'", self.x, self.y)));
        }
        let mut notes = Vec::new();
        let pairs = order.len();
        if pairs > self.options.max_points {
            order.sort_by(|a, b| totals[b].total_cmp(&totals[a]));
            order.truncate(self.options.max_points);
            notes.push(format!("{} pairs: the {} largest are shown", thousands(pairs), thousands(order.len())));
        }
        let x_names = ordered(&order, |k| &k.0, &totals, self.sort_x);
        let y_names = ordered(&order, |k| &k.1, &totals, self.sort_y);
        let x_at: HashMap<&str, usize> = x_names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let y_at: HashMap<&str, usize> = y_names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();

        let raw: Vec<f64> = order.iter().map(|k| totals[k]).collect();
        let scaled: Vec<f64> = raw.iter().map(|v| if self.log_size { (1.0 + v.max(0.0)).ln() } else { v.max(0.0) }).collect();
        let top = scaled.iter().copied().fold(0.0, f64::max).max(f64::EPSILON);
        let sizes: Vec<f64> = scaled
            .iter()
            .map(|s| if self.intersect { 0.5 } else if self.invert { 1.0 - s / top + 0.05 } else { s / top })
            .collect();

        let measure = match (&self.value_column, self.dist_count) {
            (Some(c), true) => format!("distinct {c}"),
            (Some(c), false) => format!("sum of {c}"),
            _ => "count".to_string(),
        };
        let title = self.options.title_or("Intersection plot");
        let width = self.options.width.max(x_names.len() as u32 * 14 + 260);
        let height = self.options.height.unwrap_or((y_names.len() as u32 * 18 + 60).clamp(200, 3000));
        let x_label = self.options.x_label_or(&self.x);
        let y_label = self.options.y_label_or(&self.y);

        let rows: Vec<Value> = order
            .iter()
            .zip(raw.iter().zip(&sizes))
            .map(|(k, (v, s))| json!({"__x": k.0, "__y": k.1, "__value": v, "__size": s}))
            .collect();
        let spec_layer = json!({
            "mark": {"type": "circle", "color": self.color, "opacity": 0.7},
            "encoding": {
                "x": {"field": "__x", "type": "nominal", "title": x_label, "sort": x_names, "axis": {"labelAngle": -60, "labelLimit": 160}},
                "y": {"field": "__y", "type": "nominal", "title": y_label, "sort": y_names, "axis": {"labelLimit": 200}},
                "size": {"field": "__size", "type": "quantitative", "legend": null, "scale": {"domain": [0, 1], "range": [4, 400]}},
                "tooltip": [{"field": "__x", "type": "nominal", "title": self.x}, {"field": "__y", "type": "nominal", "title": self.y},
                            {"field": "__value", "type": "quantitative", "title": measure}]
            }
        });
        let mut spec = vega::base(&title, &notes, width, height, rows);
        spec.insert("layer".into(), json!([spec_layer]));

        let x_axis = Axis::Categories { names: x_names.clone(), top_down: false };
        let y_axis = Axis::Categories { names: y_names.clone(), top_down: true };
        let x_label_room = x_names.iter().map(|n| svg::short(n, 28).chars().count()).max().unwrap_or(4) as u32 * 7;
        let page = Page { width, height: height + x_label_room.min(200) + 60 + notes.len() as u32 * 16, title: &title, legend: crate::Legend::None, legend_entries: Vec::new(), notes: &notes };
        let fill = svg::color(&self.color).mix(0.7).filled();
        let svg = svg::page(&page, |area| {
            svg::cartesian(area, &x_axis, &y_axis, &x_label, &y_label, |plot| {
                let cell = (width as f64 / x_names.len().max(1) as f64).min(height as f64 / y_names.len().max(1) as f64);
                let circles = order.iter().zip(&sizes).map(|(k, s)| {
                    let radius = (1.5 + s.sqrt() * (cell * 0.45).clamp(3.0, 14.0)) as i32;
                    Circle::new((x_axis.position(x_at[k.0.as_str()]), y_axis.position(y_at[k.1.as_str()])), radius, fill)
                });
                plot.draw_series(circles).map(|_| ()).map_err(|e| e.to_string())
            })
        })?;
        let (max_key, max_value) = order.iter().zip(&raw).max_by(|a, b| a.1.total_cmp(b.1)).map(|(k, v)| (k.clone(), *v)).unwrap_or_default();
        let summary = format!(
            "Matrix of {} × {} ({measure}): {} pairs over {} × {} values; largest: {} / {} = {}",
            self.x,
            self.y,
            thousands(pairs),
            x_names.len(),
            y_names.len(),
            max_key.0,
            max_key.1,
            axis::number_label(max_value)
        );
        Ok(Chart::new("matrix", title, Value::Object(spec), svg, summary, order.len(), notes))
    }
}

/// The distinct values of one side of `pairs`, in the requested order.
fn ordered(pairs: &[(String, String)], side: impl Fn(&(String, String)) -> &String, totals: &HashMap<(String, String), f64>, sort: MatrixSort) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut sums: HashMap<String, f64> = HashMap::new();
    for pair in pairs {
        let name = side(pair);
        let sum = sums.entry(name.clone()).or_insert_with(|| {
            names.push(name.clone());
            0.0
        });
        *sum += totals[pair];
    }
    match sort {
        MatrixSort::Asc => names.sort(),
        MatrixSort::Desc => names.sort_by(|a, b| b.cmp(a)),
        MatrixSort::ByCount => names.sort_by(|a, b| sums[b].total_cmp(&sums[a]).then(a.cmp(b))),
        MatrixSort::None => {}
    }
    names
}
