//! The static SVG of every chart, drawn with plotters' SVG backend: a page (title, legend, notes)
//! around a plot area with time, category or number axes.

use crate::axis;
use crate::options::{Legend, RefMarker, rgb};
use mstic_core::{Error, Result};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// The drawing area of a chart's SVG.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// A plot with two numeric coordinates (times and category positions are numbers too).
pub(crate) type Plot<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Ticked, Ticked>>;
/// What drawing code returns; plotters errors become text.
pub(crate) type DrawResult = std::result::Result<(), String>;

/// A linear numeric coordinate whose ticks are chosen by us (round times, category positions).
pub(crate) struct Ticked {
    low: f64,
    high: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.high - self.low;
        if span <= 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        limit.0 + ((value - self.low) / span * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.low..self.high
    }
}

/// An axis of the plot area.
#[derive(Clone, Debug)]
pub(crate) enum Axis {
    /// Milliseconds since the epoch, labelled as date-times.
    Time { min: f64, max: f64 },
    /// Named positions; with `top_down` the first name is at the top (for y axes).
    Categories { names: Vec<String>, top_down: bool },
    /// Plain numbers.
    Numeric { min: f64, max: f64 },
}

impl Axis {
    /// The coordinate of category `index`.
    pub(crate) fn position(&self, index: usize) -> f64 {
        match self {
            Axis::Categories { names, top_down: true } => (names.len().saturating_sub(1 + index)) as f64,
            _ => index as f64,
        }
    }

    fn range_and_ticks(&self) -> (f64, f64, Vec<f64>) {
        match self {
            Axis::Time { min, max } => {
                let (lo, hi) = axis::padded(*min, *max, 0.03, 60_000.0);
                (lo, hi, axis::time_ticks(lo, hi, 8))
            }
            Axis::Numeric { min, max } => {
                let (lo, hi) = axis::padded(*min, *max, 0.05, 1.0);
                (lo, hi, axis::number_ticks(lo, hi, 8))
            }
            Axis::Categories { names, .. } => {
                let n = names.len().max(1);
                let every = n.div_ceil(40);
                (-0.6, n as f64 - 0.4, (0..n).step_by(every).map(|i| i as f64).collect())
            }
        }
    }

    fn label(&self, value: f64) -> String {
        match self {
            Axis::Time { min, max } => axis::time_label(value, max - min),
            Axis::Numeric { .. } => axis::number_label(value),
            Axis::Categories { names, top_down } => {
                let p = value.round() as usize;
                let index = if *top_down { names.len().saturating_sub(1 + p) } else { p };
                names.get(index).map(|n| short(n, 28)).unwrap_or_default()
            }
        }
    }

    fn label_width(&self) -> u32 {
        match self {
            Axis::Categories { names, .. } => names.iter().map(|n| short(n, 28).chars().count()).max().unwrap_or(4) as u32 * 7 + 16,
            _ => 60,
        }
    }
}

/// Text cut to `max` characters with an ellipsis.
pub(crate) fn short(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A plotters colour from `#rrggbb` or a name.
pub(crate) fn color(hex: &str) -> RGBColor {
    let (r, g, b) = rgb(hex);
    RGBColor(r, g, b)
}

/// Page layout: size, title, legend entries and placement, notes under the plot.
pub(crate) struct Page<'a> {
    pub width: u32,
    pub height: u32,
    pub title: &'a str,
    pub legend: Legend,
    pub legend_entries: Vec<(String, String)>,
    pub notes: &'a [String],
}

/// Draws a page and lets `body` draw the plot area; returns the SVG text.
pub(crate) fn page(page: &Page, body: impl FnOnce(&Area) -> DrawResult) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (page.width, page.height)).into_drawing_area();
        draw_page(&root, page, body).map_err(|e| Error::Other(format!("drawing the chart SVG: {e}")))?;
        root.present().map_err(|e| Error::Other(format!("drawing the chart SVG: {e}")))?;
    }
    Ok(out)
}

fn draw_page(root: &Area, page: &Page, body: impl FnOnce(&Area) -> DrawResult) -> DrawResult {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root.titled(page.title, ("sans-serif", 18)).map_err(|e| e.to_string())?;
    let (_, h) = root.dim_in_pixel();
    let notes_height = (page.notes.len() as u32 * 16).min(h / 3);
    let (main, notes) = root.split_vertically(h.saturating_sub(notes_height));
    for (i, note) in page.notes.iter().enumerate() {
        let style = TextStyle::from(("sans-serif", 12)).color(&RGBColor(120, 60, 0));
        notes.draw_text(note, &style, (10, i as i32 * 16)).map_err(|e| e.to_string())?;
    }
    let show_legend = page.legend.shown(page.legend_entries.len()) && !page.legend_entries.is_empty();
    if !show_legend {
        return body(&main);
    }
    let (w, _) = main.dim_in_pixel();
    let legend_width = page.legend_entries.iter().map(|(l, _)| short(l, 32).chars().count()).max().unwrap_or(4) as u32 * 7 + 40;
    let (plot, legend) = match page.legend {
        Legend::Left => {
            let (legend, plot) = main.split_horizontally(legend_width);
            (plot, legend)
        }
        Legend::Inline => {
            let plot = main.clone();
            let legend = main.margin(30, 0, w.saturating_sub(legend_width + 40) as i32, 0);
            body(&plot)?;
            return draw_legend(&legend, &page.legend_entries, true);
        }
        _ => main.split_horizontally(w.saturating_sub(legend_width)),
    };
    body(&plot)?;
    draw_legend(&legend, &page.legend_entries, false)
}

fn draw_legend(area: &Area, entries: &[(String, String)], boxed: bool) -> DrawResult {
    let shown = entries.len().min(30);
    if boxed {
        let (w, _) = area.dim_in_pixel();
        let bottom = 14 + shown as i32 * 18;
        area.draw(&Rectangle::new([(0, 4), (w as i32 - 1, bottom)], ShapeStyle::from(&WHITE.mix(0.85)).filled()))
            .map_err(|e| e.to_string())?;
    }
    for (i, (label, hex)) in entries.iter().take(shown).enumerate() {
        let y = 16 + i as i32 * 18;
        area.draw(&Circle::new((12, y), 5, color(hex).filled())).map_err(|e| e.to_string())?;
        let style = TextStyle::from(("sans-serif", 12)).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(&short(label, 32), &style, (22, y)).map_err(|e| e.to_string())?;
    }
    if entries.len() > shown {
        let y = 16 + shown as i32 * 18;
        area.draw_text(&format!("… {} more", entries.len() - shown), &("sans-serif", 12).into(), (22, y - 6)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Draws axes `x` and `y` with labels in `area`, then lets `body` draw marks in data coordinates.
pub(crate) fn cartesian(area: &Area, x: &Axis, y: &Axis, x_label: &str, y_label: &str, body: impl FnOnce(&mut Plot) -> DrawResult) -> DrawResult {
    let (x_lo, x_hi, x_ticks) = x.range_and_ticks();
    let (y_lo, y_hi, y_ticks) = y.range_and_ticks();
    let (x_count, y_count) = (x_ticks.len(), y_ticks.len());
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(if matches!(x, Axis::Categories { .. }) { x.label_width().min(160) + 36 } else { 44 })
        .y_label_area_size(y.label_width().min(220) + 24)
        .build_cartesian_2d(Ticked { low: x_lo, high: x_hi, ticks: x_ticks }, Ticked { low: y_lo, high: y_hi, ticks: y_ticks })
        .map_err(|e| e.to_string())?;
    let x_format = |v: &f64| x.label(*v);
    let y_format = |v: &f64| y.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(x_count)
        .y_labels(y_count)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .x_desc(x_label)
        .y_desc(y_label)
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(TRANSPARENT)
        .label_style(("sans-serif", 12));
    if matches!(x, Axis::Categories { .. }) {
        mesh.x_label_style(TextStyle::from(("sans-serif", 11).into_font().transform(FontTransform::Rotate90)).pos(Pos::new(HPos::Left, VPos::Center)));
    }
    mesh.draw().map_err(|e| e.to_string())?;
    body(&mut chart)
}

/// A vertical reference line with its label at the top of the plot.
pub(crate) fn marker(plot: &mut Plot, time: f64, label: &str, y_top: f64, y_bottom: f64) -> DrawResult {
    let red = RGBColor(200, 0, 0);
    plot.draw_series(std::iter::once(PathElement::new(vec![(time, y_bottom), (time, y_top)], red.stroke_width(2))))
        .map_err(|e| e.to_string())?;
    plot.draw_series(std::iter::once(Text::new(label.to_string(), (time, y_top), ("sans-serif", 12).into_font().color(&red))))
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Every reference marker, from the bottom to the top of `y_axis`.
pub(crate) fn markers(plot: &mut Plot, y_axis: &Axis, markers: &[RefMarker]) -> DrawResult {
    let (lo, hi) = bounds(y_axis);
    markers.iter().try_for_each(|m| marker(plot, m.time, &m.label, hi, lo))
}

/// A time axis from `min` to `max`, widened to show every marker.
pub(crate) fn time_axis(min: f64, max: f64, markers: &[RefMarker]) -> Axis {
    Axis::Time { min: markers.iter().map(|m| m.time).fold(min, f64::min), max: markers.iter().map(|m| m.time).fold(max, f64::max) }
}

/// Plot y bounds of axis `axis` (as drawn, after padding).
pub(crate) fn bounds(axis: &Axis) -> (f64, f64) {
    let (lo, hi, _) = axis.range_and_ticks();
    (lo, hi)
}
