//! [`ProcessTreePlot`]: process trees laid out by level — each process a box labelled with its file
//! name and pid, joined to its parent, coloured by level or a legend column, with command line
//! and user in the tooltip (MSTICPy `plot_process_tree`).

use crate::chart::Chart;
use crate::data::{self, thousands};
use crate::options::{PlotOptions, common_setters, series_color};
use crate::svg::{self, Page};
use crate::vega;
use mstic_core::{Frame, Result};
use mstic_transform::{ProcSchema, ProcessTree, build_process_tree};
use plotters::prelude::*;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Processes drawn in the static SVG (the interactive chart scrolls through all of them).
const SVG_MAX_ROWS: usize = 150;
/// Rows visible at once in the interactive chart before panning.
const VISIBLE_ROWS: usize = 32;

/// How a process tree plot shows process ids (MSTICPy `pid_fmt`).
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_transform::ProcSchema;
/// use mstic_vis::{FramePlot, PidFormat};
/// let events = Frame::from_string_rows(&["Image", "PID", "PPID", "Time"], &[
///     vec![Some("C:\\Windows\\cmd.exe"), Some("0x10"), Some("0x4"), Some("2024-05-01 10:00:00")],
///     vec![Some("C:\\Windows\\notepad.exe"), Some("0x20"), Some("0x10"), Some("2024-05-01 10:01:00")],
/// ])?;
/// let schema = ProcSchema::new("Image", "PID", "PPID", "Time");
/// let chart = events.process_tree().schema(&schema).pid_format(PidFormat::Dec).build()?;
/// assert!(chart.vega_lite().to_string().contains("notepad.exe [32]"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PidFormat {
    /// Hexadecimal `0x1a2b` (the default, as Windows events write them).
    #[default]
    Hex,
    /// Decimal.
    Dec,
    /// As stored (e.g. GUIDs).
    Raw,
}

impl PidFormat {
    fn show(self, pid: &str) -> String {
        let pid = pid.trim();
        let value = match pid.strip_prefix("0x").or_else(|| pid.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => pid.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64),
        };
        match (self, value) {
            (PidFormat::Hex, Some(v)) => format!("{v:#x}"),
            (PidFormat::Dec, Some(v)) => v.to_string(),
            _ => pid.to_string(),
        }
    }
}

/// Plots a built [`ProcessTree`]: `tree.plot().display()`.
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_transform::{ProcSchema, build_process_tree};
/// use mstic_vis::TreePlot;
/// let events = Frame::from_string_rows(&["Image", "PID", "PPID", "Time"], &[
///     vec![Some("C:\\Windows\\cmd.exe"), Some("0x10"), Some("0x4"), Some("2024-05-01 10:00:00")],
///     vec![Some("C:\\Windows\\notepad.exe"), Some("0x20"), Some("0x10"), Some("2024-05-01 10:01:00")],
/// ])?;
/// let schema = ProcSchema::new("Image", "PID", "PPID", "Time");
/// let tree = build_process_tree(&events, Some(&schema))?;
/// let chart = tree.plot().build()?;
/// assert_eq!(chart.kind(), "process_tree");
/// assert_eq!(chart.mark_count(), tree.len());
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub trait TreePlot {
    /// A plot builder for this tree.
    fn plot(&self) -> ProcessTreePlot;
}

impl TreePlot for ProcessTree {
    fn plot(&self) -> ProcessTreePlot {
        ProcessTreePlot::from_tree(self)
    }
}

/// Builder of a process tree plot — processes laid out by level and joined to their parents:
/// `events.process_tree()` (raw events, schema inferred) or `tree.plot()` for a built [`ProcessTree`].
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_transform::ProcSchema;
/// use mstic_vis::FramePlot;
/// let events = Frame::from_string_rows(&["Image", "PID", "PPID", "Time"], &[
///     vec![Some("C:\\Windows\\cmd.exe"), Some("0x10"), Some("0x4"), Some("2024-05-01 10:00:00")],
///     vec![Some("C:\\Windows\\notepad.exe"), Some("0x20"), Some("0x10"), Some("2024-05-01 10:01:00")],
/// ])?;
/// let schema = ProcSchema::new("Image", "PID", "PPID", "Time");
/// let chart = events.process_tree().schema(&schema).build()?;
/// assert!(chart.vega_lite().to_string().contains("notepad.exe [0x20]")); // hex pids by default
/// assert!(chart.summary().starts_with("Process tree (custom schema)"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ProcessTreePlot {
    frame: Frame,
    schema: Option<ProcSchema>,
    legend_column: Option<String>,
    pid_format: PidFormat,
    options: PlotOptions,
}

/// One drawn process.
struct Proc {
    level: usize,
    parent: Option<usize>,
    label: String,
    color: String,
}

impl ProcessTreePlot {
    /// A plot of `frame`: process events (the tree is built) or the frame of a built tree.
    pub fn new(frame: &Frame) -> Self {
        ProcessTreePlot { frame: frame.clone(), schema: None, legend_column: None, pid_format: PidFormat::Hex, options: PlotOptions::default() }
    }

    /// A plot of a built tree.
    pub fn from_tree(tree: &ProcessTree) -> Self {
        Self::new(tree.frame()).schema(tree.schema())
    }

    /// The event schema (inferred from the column names when not given).
    pub fn schema(mut self, schema: &ProcSchema) -> Self {
        self.schema = Some(schema.clone());
        self
    }

    /// Colours boxes by this column's values instead of by level.
    pub fn legend_column(mut self, column: &str) -> Self {
        self.legend_column = Some(column.to_string());
        self
    }

    /// How process ids are shown.
    pub fn pid_format(mut self, format: PidFormat) -> Self {
        self.pid_format = format;
        self
    }

    common_setters!();

    /// Draws the chart (building the tree first when given raw events).
    pub fn build(self) -> Result<Chart> {
        let (frame, schema) = if self.frame.has_column("path") && self.frame.has_column("source_index") {
            let schema = match &self.schema {
                Some(s) => s.clone(),
                None => ProcSchema::infer(&self.frame.columns())?,
            };
            (self.frame.clone(), schema)
        } else {
            let tree = build_process_tree(&self.frame, self.schema.as_ref())?;
            (tree.frame().clone(), tree.schema().clone())
        };
        let paths = data::texts(&frame, "path", "path")?;
        let mut order: Vec<usize> = (0..paths.len()).collect();
        order.sort_by(|a, b| paths[*a].cmp(&paths[*b]));
        let total = order.len();
        let mut notes = Vec::new();
        if total > self.options.max_points {
            order.truncate(self.options.max_points);
            notes.push(format!("{} processes: the first {} in tree order are shown", thousands(total), thousands(order.len())));
        }
        let source_index = data::texts(&frame, "source_index", "source_index")?;
        let parent_index = data::texts(&frame, "parent_index", "parent_index")?;
        let names = data::texts(&frame, &schema.process_name, "schema process_name")?;
        let pids = data::texts(&frame, &schema.process_id, "schema process_id")?;
        let ppids = data::texts(&frame, &schema.parent_id, "schema parent_id")?;
        let times = data::texts(&frame, &schema.time_stamp, "schema time_stamp")?;
        let optional = |c: &Option<String>| c.as_ref().filter(|c| frame.has_column(c)).map(|c| data::texts(&frame, c, "schema")).transpose();
        let cmd_lines = optional(&schema.cmd_line)?;
        let users = optional(&schema.user_name)?;
        let hosts = optional(&schema.host_name)?;
        let legend = self.legend_column.as_ref().map(|c| data::texts(&frame, c, "legend_column")).transpose()?;

        let row_of: HashMap<&str, usize> = order.iter().enumerate().map(|(pos, &r)| (source_index[r].as_str(), pos)).collect();
        let mut legend_values: Vec<String> = legend.as_ref().map(|l| order.iter().map(|&r| l[r].clone()).collect()).unwrap_or_default();
        legend_values.sort();
        legend_values.dedup();
        let separator = schema.path_separator.as_str();
        let procs: Vec<Proc> = order
            .iter()
            .map(|&r| {
                let level = paths[r].matches('/').count();
                let file = names[r].rsplit(['\\', '/']).next().filter(|f| !f.is_empty()).unwrap_or(&names[r]);
                let file = if separator.is_empty() { names[r].as_str() } else { file };
                let color = match &legend {
                    Some(l) => series_color(legend_values.binary_search(&l[r]).unwrap_or(0)).to_string(),
                    None => series_color(level).to_string(),
                };
                Proc { level, parent: row_of.get(parent_index[r].as_str()).copied(), label: format!("{file} [{}]", self.pid_format.show(&pids[r])), color }
            })
            .collect();
        let levels = procs.iter().map(|p| p.level).max().unwrap_or(0) + 1;
        let roots = procs.iter().filter(|p| p.parent.is_none()).count();
        let cmd_limit = (500 / levels).max(40);

        let title = self.options.title_or("Process tree");
        let width = self.options.width.max(levels as u32 * 150 + 40);
        let rows: Vec<Value> = procs
            .iter()
            .zip(&order)
            .enumerate()
            .map(|(pos, (p, &r))| {
                let mut row = json!({"__x": p.level, "__y": pos, "__label": p.label, "__color": p.color, "__level": p.level + 1,
                    "Process": names[r], "PID": self.pid_format.show(&pids[r]), "Parent PID": self.pid_format.show(&ppids[r]), "Time": times[r]});
                if let Some(parent) = p.parent {
                    row["__px"] = json!(procs[parent].level);
                    row["__py"] = json!(parent);
                }
                if let Some(c) = &cmd_lines {
                    row["Command line"] = json!(svg::short(&c[r], cmd_limit));
                }
                if let Some(u) = &users {
                    row["User"] = json!(u[r]);
                }
                if let Some(h) = &hosts {
                    row["Host"] = json!(h[r]);
                }
                if let (Some(l), Some(c)) = (&legend, &self.legend_column) {
                    row[c.as_str()] = json!(l[r]);
                }
                row
            })
            .collect();
        let mut tips = vec!["Process", "PID", "Parent PID", "Time"];
        if cmd_lines.is_some() {
            tips.push("Command line");
        }
        if users.is_some() {
            tips.push("User");
        }
        if hosts.is_some() {
            tips.push("Host");
        }
        let mut tooltip: Vec<String> = tips.iter().map(|t| t.to_string()).collect();
        tooltip.extend(self.legend_column.clone());
        let visible = procs.len().min(VISIBLE_ROWS) as f64;
        let height = self.options.height.unwrap_or((visible as u32 * 22).max(120));
        let level_ticks: Vec<f64> = (0..levels).map(|l| l as f64 + 0.42).collect();
        let x = json!({"field": "__x", "type": "quantitative", "title": "Level", "scale": {"domain": [0, levels as f64 + 0.05], "nice": false, "zero": false},
                       "axis": {"values": level_ticks, "labelExpr": "round(datum.value + 0.58)", "grid": false}});
        let y = json!({"field": "__y", "type": "quantitative", "title": null, "scale": {"domain": [-0.2, visible], "reverse": true, "nice": false, "zero": false}, "axis": null});
        let link_filter = json!([{"filter": "isValid(datum.__px)"}, {"calculate": "datum.__px + 0.3", "as": "__lx"}, {"calculate": "datum.__py + 0.8", "as": "__ly"},
                                 {"calculate": "datum.__y + 0.4", "as": "__my"}]);
        let layers = json!([
            {"transform": link_filter, "mark": {"type": "rule", "color": "#888", "clip": true},
             "encoding": {"x": {"field": "__lx", "type": "quantitative"}, "y": {"field": "__ly", "type": "quantitative", "axis": null}, "y2": {"field": "__my"}}},
            {"transform": link_filter, "mark": {"type": "rule", "color": "#888", "clip": true},
             "encoding": {"x": {"field": "__lx", "type": "quantitative"}, "x2": {"field": "__x"}, "y": {"field": "__my", "type": "quantitative", "axis": null}}},
            {"params": vega::zoom(&["x", "y"]), "transform": [{"calculate": "datum.__x + 0.85", "as": "__x2"}, {"calculate": "datum.__y + 0.8", "as": "__y2"}],
             "mark": {"type": "rect", "clip": true, "cornerRadius": 3, "opacity": 0.85},
             "encoding": {"x": x, "x2": {"field": "__x2"}, "y": y, "y2": {"field": "__y2"},
                          "color": {"field": "__color", "type": "nominal", "scale": null, "legend": null},
                          "tooltip": vega::tooltip(false, &tooltip)}},
            {"transform": [{"calculate": "datum.__x + 0.04", "as": "__tx"}, {"calculate": "datum.__y + 0.4", "as": "__ty"}],
             "mark": {"type": "text", "align": "left", "baseline": "middle", "clip": true, "fontSize": 11, "limit": (f64::from(width.saturating_sub(160)) / (levels as f64 + 0.05) * 0.85 - 8.0).max(50.0), "color": "white"},
             "encoding": {"x": {"field": "__tx", "type": "quantitative"}, "y": {"field": "__ty", "type": "quantitative", "axis": null}, "text": {"field": "__label"},
                          "tooltip": vega::tooltip(false, &tooltip)}}
        ]);
        let mut spec_notes = notes.clone();
        if procs.len() > VISIBLE_ROWS {
            spec_notes.push(format!("{} processes: drag or scroll to pan through the tree", thousands(procs.len())));
        }
        let mut spec = vega::base(&title, &spec_notes, width, height, rows);
        spec.insert("layer".into(), layers);

        let svg_rows = procs.len().min(SVG_MAX_ROWS);
        let mut svg_notes = notes.clone();
        if procs.len() > SVG_MAX_ROWS {
            svg_notes.push(format!("Static image: the first {SVG_MAX_ROWS} of {} processes (the interactive chart shows all)", thousands(procs.len())));
        }
        let legend_entries: Vec<(String, String)> = match &legend {
            Some(_) => legend_values
                .iter()
                .enumerate()
                .map(|(i, v)| (if v.is_empty() { "(empty)".to_string() } else { v.clone() }, series_color(i).to_string()))
                .collect(),
            None => (0..levels).map(|l| (format!("Level {}", l + 1), series_color(l).to_string())).collect(),
        };
        let row_height = 22;
        let page = Page {
            width,
            height: svg_rows as u32 * row_height + 70 + svg_notes.len() as u32 * 16,
            title: &title,
            legend: if legend.is_some() { self.options.legend } else { crate::Legend::None },
            legend_entries,
            notes: &svg_notes,
        };
        let svg = svg::page(&page, |area| {
            let (w, _) = area.dim_in_pixel();
            let column = ((w as f64 - 20.0) / levels as f64).max(60.0);
            let box_width = (column * 0.85) as i32;
            let x_of = |level: usize| 10 + (level as f64 * column) as i32;
            let y_of = |row: usize| 8 + row as i32 * row_height as i32;
            let line = RGBColor(136, 136, 136).stroke_width(1);
            for (row, p) in procs.iter().enumerate().take(svg_rows) {
                if let Some(parent) = p.parent.filter(|&q| q < svg_rows) {
                    let px = x_of(procs[parent].level) + (column * 0.3) as i32;
                    let path = vec![(px, y_of(parent) + 17), (px, y_of(row) + 9), (x_of(p.level), y_of(row) + 9)];
                    area.draw(&PathElement::new(path, line)).map_err(|e| e.to_string())?;
                }
            }
            let label_style = TextStyle::from(("sans-serif", 11)).color(&WHITE).pos(plotters::style::text_anchor::Pos::new(plotters::style::text_anchor::HPos::Left, plotters::style::text_anchor::VPos::Center));
            for (row, p) in procs.iter().enumerate().take(svg_rows) {
                let (x, y) = (x_of(p.level), y_of(row));
                area.draw(&Rectangle::new([(x, y), (x + box_width, y + 18)], svg::color(&p.color).filled())).map_err(|e| e.to_string())?;
                let chars = (box_width * 2 / 11).max(4) as usize;
                area.draw_text(&svg::short(&p.label, chars), &label_style, (x + 4, y + 9)).map_err(|e| e.to_string())?;
            }
            Ok(())
        })?;
        let summary = format!(
            "Process tree ({} schema): {} processes, {} roots, {} levels{}",
            schema.name,
            thousands(total),
            roots,
            levels,
            self.legend_column.as_ref().map(|c| format!(", coloured by {c}")).unwrap_or_default()
        );
        Ok(Chart::new("process_tree", title, Value::Object(spec), svg, summary, procs.len(), spec_notes))
    }
}

#[cfg(test)]
mod tests {
    use super::PidFormat;

    #[test]
    fn pids_format() {
        assert_eq!(PidFormat::Hex.show("4176"), "0x1050");
        assert_eq!(PidFormat::Dec.show("0x1050"), "4176");
        assert_eq!(PidFormat::Hex.show("{guid}"), "{guid}");
        assert_eq!(PidFormat::Raw.show("0x10"), "0x10");
    }
}
