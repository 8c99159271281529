//! The entity graph of an incident: the incident, its alerts and their entities as nodes, with
//! edges incident → alert, alert → entity (when the alert lists the entity) and incident →
//! entity (for entities no alert lists).
//!
//! Vega-Lite has no force layout, so the layout is computed here and is deterministic: the
//! incident in the first column, its alerts in the second, the entities (grouped by kind) in the
//! columns after. The chart shows itself like every Rust MSTIC chart: a Vega-Lite spec (`rule`
//! edges, `point` nodes and `text` labels, with tooltips and a legend), a static SVG drawn with
//! plotters, and a text summary — no HTML.

use crate::model::Incident;
use arrow::array::{ArrayRef, StringArray};
use mstic_core::{Error, Frame, MimeBundle, Result};
use mstic_pivot::entity::{Entity, EntityKind};
use mstic_vis::{Chart, ChartParts};
pub use mstic_vis::VEGA_LITE_MIME;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Entity nodes per layout column before another column starts.
const ROWS_PER_COLUMN: usize = 20;
/// Pixels between node rows.
const ROW_HEIGHT: u32 = 30;
/// Width of the chart in pixels.
const WIDTH: u32 = 900;
/// Width of the SVG legend in pixels.
const LEGEND_WIDTH: u32 = 170;
/// Characters of a node label shown on the chart (tooltips show all).
const LABEL_CHARS: usize = 30;

/// The kind name of the incident node.
pub const INCIDENT_KIND: &str = "Incident";
/// The kind name of alert nodes.
pub const ALERT_KIND: &str = "Alert";

/// One node of an [`IncidentGraph`].
#[derive(Debug, Clone, PartialEq)]
pub struct GraphNode {
    /// Unique id: `incident`, `alert:<n>` or `<Kind>:<main value>`.
    pub id: String,
    /// `Incident`, `Alert`, or the entity kind's name (`Host`, `Account`…).
    pub kind: String,
    /// The text shown by the node.
    pub label: String,
    /// More about the node (severity, time, properties), shown in tooltips.
    pub detail: String,
    /// Layout column (0: incident, 1: alerts, 2…: entities).
    pub column: usize,
    /// Layout row, centred in its column (may be fractional).
    pub row: f64,
}

/// One edge of an [`IncidentGraph`], by node ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GraphEdge {
    /// The id of the node the edge starts at.
    pub source: String,
    /// The id of the node the edge ends at.
    pub target: String,
}

/// An incident's entity graph, laid out and drawn. Shows itself as a chart
/// (`application/vnd.vegalite.v5+json`, `image/svg+xml`, `text/plain`); its content is in
/// [`IncidentGraph::nodes`], [`IncidentGraph::edges`] and [`IncidentGraph::graph_frame`].
#[derive(Debug, Clone)]
pub struct IncidentGraph {
    nodes: Vec<GraphNode>,
    edges: Vec<GraphEdge>,
    chart: Chart,
}

/// The entity graph of `incident`: nodes for the incident, each alert and each distinct entity
/// (by kind and main property, ignoring case), edges incident → alert, alert → entity when the
/// alert lists it, and incident → entity for entities no alert lists.
///
/// # Example
/// ```
/// use mstic_triage::graph::incident_graph;
/// let incident = mstic_demo::incidents::example_incident(); // 2 alerts; host, account, IP
/// let graph = incident_graph(&incident)?;
/// assert_eq!((graph.nodes().len(), graph.edges().len()), (6, 6));
/// let bundle = graph.mime_bundle();
/// assert!(bundle.data.contains_key("image/svg+xml") && !bundle.data.contains_key("text/html"));
/// assert_eq!(graph.graph_frame()?.len(), 6);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn incident_graph(incident: &Incident) -> Result<IncidentGraph> {
    let (mut nodes, edges) = nodes_and_edges(incident);
    lay_out(&mut nodes);
    let title = format!("Entity graph: {}", heading(incident));
    let legend = legend(&nodes);
    let vega_lite = vega_lite(&title, &nodes, &edges, &legend);
    let svg = draw_svg(&title, &nodes, &edges, &legend)?;
    let summary = summary(&title, &nodes, &edges);
    let marks = nodes.len() + edges.len();
    let chart = Chart::from_parts(ChartParts { kind: "entity graph", title, vega_lite, svg, summary, marks, notes: Vec::new() });
    Ok(IncidentGraph { nodes, edges, chart })
}

impl IncidentGraph {
    /// The title shown on the chart.
    pub fn title(&self) -> &str {
        self.chart.title()
    }

    /// The graph as a chart (display, `save_svg`, Vega-Lite and SVG as for every chart).
    pub fn chart(&self) -> &Chart {
        &self.chart
    }

    /// The nodes: the incident first, then the alerts, then the entities by kind.
    pub fn nodes(&self) -> &[GraphNode] {
        &self.nodes
    }

    /// The edges, by node ids.
    pub fn edges(&self) -> &[GraphEdge] {
        &self.edges
    }

    /// The node with id `id`.
    pub fn node(&self, id: &str) -> Option<&GraphNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The edges as a table: `source`, `source_kind`, `source_label`, `target`, `target_kind`,
    /// `target_label`.
    pub fn graph_frame(&self) -> Result<Frame> {
        let node = |id: &str| self.node(id).ok_or_else(|| Error::Other(format!("the graph has an edge to unknown node '{id}'")));
        let mut cells: Vec<[String; 6]> = Vec::with_capacity(self.edges.len());
        for edge in &self.edges {
            let (s, t) = (node(&edge.source)?, node(&edge.target)?);
            cells.push([s.id.clone(), s.kind.clone(), s.label.clone(), t.id.clone(), t.kind.clone(), t.label.clone()]);
        }
        let names = ["source", "source_kind", "source_label", "target", "target_kind", "target_label"];
        let columns = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.to_string(), Arc::new(cells.iter().map(|c| Some(c[i].as_str())).collect::<StringArray>()) as ArrayRef))
            .collect();
        Frame::from_columns(columns)
    }

    /// The Vega-Lite v5 specification (data inline).
    pub fn vega_lite(&self) -> &Value {
        self.chart.vega_lite()
    }

    /// The static SVG document.
    pub fn svg(&self) -> &str {
        self.chart.svg()
    }

    /// The text summary (the `text/plain` part).
    pub fn summary(&self) -> &str {
        self.chart.summary()
    }

    /// The display bundle: Vega-Lite, SVG and text (no HTML, as for every chart).
    pub fn mime_bundle(&self) -> MimeBundle {
        self.chart.mime_bundle()
    }

    /// Shows the graph now, as its own output.
    pub fn display(&self) {
        self.chart.display();
    }

    /// Shows the graph as the cell's result (called by evcxr for a cell's final value).
    pub fn evcxr_display(&self) {
        self.chart.evcxr_display();
    }

    /// Writes the SVG to `path`.
    pub fn save_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        self.chart.save_svg(path)
    }
}

impl fmt::Display for IncidentGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.chart.summary())
    }
}

fn heading(incident: &Incident) -> String {
    match incident.number {
        Some(n) => format!("incident {n} ({})", incident.title),
        None => format!("incident '{}'", incident.title),
    }
}

/// The de-duplication key of an entity: its kind and main value (ignoring case), or its JSON.
fn entity_id(entity: &Entity) -> String {
    let value = entity.main_value().map(|v| v.to_lowercase()).unwrap_or_else(|| entity.to_json().to_string());
    format!("{}:{value}", entity.kind())
}

fn entity_node(entity: &Entity) -> GraphNode {
    let label = entity.main_value().unwrap_or_else(|| entity.kind().to_string());
    let detail = entity
        .properties()
        .iter()
        .filter(|(_, v)| v.is_string() || v.is_number() || v.is_boolean())
        .take(6)
        .map(|(k, v)| format!("{k}: {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
        .collect::<Vec<_>>()
        .join("; ");
    GraphNode { id: entity_id(entity), kind: entity.kind().to_string(), label, detail, column: 0, row: 0.0 }
}

/// The nodes (incident, alerts, entities by kind and label) and the edges between them.
fn nodes_and_edges(incident: &Incident) -> (Vec<GraphNode>, Vec<GraphEdge>) {
    let incident_node = GraphNode {
        id: "incident".into(),
        kind: INCIDENT_KIND.into(),
        label: heading(incident),
        detail: format!("{} severity, {}", incident.severity, incident.status),
        column: 0,
        row: 0.0,
    };
    let mut nodes = vec![incident_node];
    let mut entities: BTreeMap<(EntityKind, String, String), GraphNode> = BTreeMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut add_entity = |entity: &Entity| {
        let node = entity_node(entity);
        if seen.insert(node.id.clone()) {
            entities.insert((entity.kind(), node.label.to_lowercase(), node.id.clone()), node);
        }
    };
    let mut edges: BTreeSet<GraphEdge> = BTreeSet::new();
    let mut linked: BTreeSet<String> = BTreeSet::new();
    for (i, alert) in incident.alerts.iter().enumerate() {
        let id = format!("alert:{i}");
        let time = alert.start.or(alert.time_generated).map(|t| format!(", {}", t.format("%Y-%m-%d %H:%M:%S UTC"))).unwrap_or_default();
        nodes.push(GraphNode { id: id.clone(), kind: ALERT_KIND.into(), label: alert.name.clone(), detail: format!("{} severity{time}", alert.severity), column: 1, row: 0.0 });
        edges.insert(GraphEdge { source: "incident".into(), target: id.clone() });
        for entity in &alert.entities {
            add_entity(entity);
            let target = entity_id(entity);
            linked.insert(target.clone());
            edges.insert(GraphEdge { source: id.clone(), target });
        }
    }
    for entity in &incident.entities {
        add_entity(entity);
        let target = entity_id(entity);
        if !linked.contains(&target) {
            edges.insert(GraphEdge { source: "incident".into(), target });
        }
    }
    nodes.extend(entities.into_values());
    (nodes, edges.into_iter().collect())
}

/// Sets each node's column and row: incident, alerts, then entities wrapped every
/// [`ROWS_PER_COLUMN`]; each column is centred on the tallest.
fn lay_out(nodes: &mut [GraphNode]) {
    let mut entity_index = 0;
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for node in nodes.iter_mut() {
        node.column = match node.kind.as_str() {
            INCIDENT_KIND => 0,
            ALERT_KIND => 1,
            _ => {
                entity_index += 1;
                2 + (entity_index - 1) / ROWS_PER_COLUMN
            }
        };
        let count = counts.entry(node.column).or_default();
        node.row = *count as f64;
        *count += 1;
    }
    let tallest = counts.values().copied().max().unwrap_or(1);
    for node in nodes.iter_mut() {
        node.row += (tallest - counts[&node.column]) as f64 / 2.0;
    }
}

/// The colour of a node kind.
fn kind_colour(kind: &str) -> &'static str {
    match kind {
        INCIDENT_KIND => "#323130",
        ALERT_KIND => "#ffb900",
        _ => match EntityKind::from_json_type(kind) {
            EntityKind::Account => "#1f77b4",
            EntityKind::Alert => "#e377c2",
            EntityKind::AzureResource => "#17becf",
            EntityKind::Dns => "#9467bd",
            EntityKind::File => "#8c564b",
            EntityKind::FileHash => "#bcbd22",
            EntityKind::GeoLocation => "#7f7f7f",
            EntityKind::Host => "#2ca02c",
            EntityKind::HostLogonSession => "#98df8a",
            EntityKind::IpAddress => "#d62728",
            EntityKind::Process => "#ff7f0e",
            EntityKind::Url => "#6baed6",
            EntityKind::Unknown => "#c7c7c7",
        },
    }
}

/// The shape of a node kind (Vega-Lite shape names).
fn kind_shape(kind: &str) -> &'static str {
    match kind {
        INCIDENT_KIND => "diamond",
        ALERT_KIND => "triangle-up",
        _ => "circle",
    }
}

/// Legend entries: each kind present, in node order, with its colour and shape.
fn legend(nodes: &[GraphNode]) -> Vec<(String, &'static str, &'static str)> {
    let mut out: Vec<(String, &'static str, &'static str)> = Vec::new();
    for node in nodes {
        if !out.iter().any(|(k, _, _)| *k == node.kind) {
            out.push((node.kind.clone(), kind_colour(&node.kind), kind_shape(&node.kind)));
        }
    }
    out
}

fn columns(nodes: &[GraphNode]) -> usize {
    nodes.iter().map(|n| n.column).max().unwrap_or(0) + 1
}

fn rows(nodes: &[GraphNode]) -> f64 {
    nodes.iter().map(|n| n.row).fold(0.0, f64::max) + 1.0
}

fn height(nodes: &[GraphNode]) -> u32 {
    (rows(nodes) as u32 * ROW_HEIGHT).max(120)
}

/// Text cut to `max` characters with an ellipsis.
fn short(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn vega_lite(title: &str, nodes: &[GraphNode], edges: &[GraphEdge], legend: &[(String, &str, &str)]) -> Value {
    let position: HashMap<&str, &GraphNode> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let edge_rows: Vec<Value> = edges
        .iter()
        .filter_map(|e| {
            let (s, t) = (position.get(e.source.as_str())?, position.get(e.target.as_str())?);
            Some(json!({"x": s.column, "y": s.row, "x2": t.column, "y2": t.row, "source": s.label, "target": t.label}))
        })
        .collect();
    let node_rows: Vec<Value> = nodes
        .iter()
        .map(|n| json!({"x": n.column, "y": n.row, "id": n.id, "kind": n.kind, "label": n.label, "short": short(&n.label, LABEL_CHARS), "detail": n.detail}))
        .collect();
    let cols = columns(nodes) as f64;
    let x = json!({"field": "x", "type": "quantitative", "axis": null, "scale": {"domain": [-0.1, cols - 0.2], "nice": false, "zero": false}});
    let y = json!({"field": "y", "type": "quantitative", "axis": null, "scale": {"domain": [-0.5, rows(nodes) - 0.5], "reverse": true, "nice": false, "zero": false}});
    let kinds: Vec<&str> = legend.iter().map(|(k, _, _)| k.as_str()).collect();
    let colours: Vec<&str> = legend.iter().map(|(_, c, _)| *c).collect();
    let shapes: Vec<&str> = legend.iter().map(|(_, _, s)| *s).collect();
    let column_width = f64::from(WIDTH - LEGEND_WIDTH) / cols;
    json!({
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": title, "anchor": "start"},
        "width": WIDTH - LEGEND_WIDTH,
        "height": height(nodes),
        "config": {"view": {"stroke": null}},
        "layer": [
            {"data": {"values": edge_rows}, "mark": {"type": "rule", "color": "#a19f9d", "strokeWidth": 1},
             "encoding": {"x": x, "y": y, "x2": {"field": "x2"}, "y2": {"field": "y2"},
                          "tooltip": [{"field": "source", "type": "nominal", "title": "From"}, {"field": "target", "type": "nominal", "title": "To"}]}},
            {"data": {"values": node_rows.clone()}, "mark": {"type": "point", "filled": true, "size": 220, "opacity": 1},
             "encoding": {"x": x, "y": y,
                          "color": {"field": "kind", "type": "nominal", "title": "Kind", "scale": {"domain": kinds, "range": colours}},
                          "shape": {"field": "kind", "type": "nominal", "title": "Kind", "scale": {"domain": kinds, "range": shapes}},
                          "tooltip": [{"field": "kind", "type": "nominal", "title": "Kind"}, {"field": "label", "type": "nominal", "title": "Name"},
                                      {"field": "detail", "type": "nominal", "title": "Details"}]}},
            {"data": {"values": node_rows}, "mark": {"type": "text", "align": "left", "baseline": "middle", "dx": 10, "fontSize": 11, "limit": (column_width - 24.0).max(60.0)},
             "encoding": {"x": x, "y": y, "text": {"field": "short"}}}
        ]
    })
}

type DrawResult = std::result::Result<(), String>;

fn colour(hex: &str) -> RGBColor {
    let part = |i: usize| hex.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()).unwrap_or(0);
    RGBColor(part(1), part(3), part(5))
}

/// The outline of a node's shape around `(x, y)`, `r` pixels from the centre.
fn shape_points(shape: &str, (x, y): (i32, i32), r: i32) -> Vec<(i32, i32)> {
    match shape {
        "diamond" => vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
        "triangle-up" => vec![(x, y - r), (x + r, y + r * 3 / 4), (x - r, y + r * 3 / 4)],
        _ => Vec::new(),
    }
}

fn draw_node<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, kind: &str, at: (i32, i32), r: i32) -> DrawResult {
    let style = colour(kind_colour(kind)).filled();
    let points = shape_points(kind_shape(kind), at, r);
    let drawn = if points.is_empty() { area.draw(&Circle::new(at, r - 1, style)) } else { area.draw(&Polygon::new(points, style)) };
    drawn.map_err(|e| e.to_string())
}

fn draw_svg(title: &str, nodes: &[GraphNode], edges: &[GraphEdge], legend: &[(String, &str, &str)]) -> Result<String> {
    let height = height(nodes) + 50;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        draw_page(&root, title, nodes, edges, legend).map_err(|e| Error::Other(format!("drawing the entity graph SVG: {e}")))?;
        root.present().map_err(|e| Error::Other(format!("drawing the entity graph SVG: {e}")))?;
    }
    Ok(out)
}

fn draw_page<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    nodes: &[GraphNode],
    edges: &[GraphEdge],
    legend: &[(String, &str, &str)],
) -> DrawResult {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root.titled(title, ("sans-serif", 16)).map_err(|e| e.to_string())?;
    let (plot, legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
    let column_width = f64::from(WIDTH - LEGEND_WIDTH) / columns(nodes) as f64;
    let at = |n: &GraphNode| ((12.0 + n.column as f64 * column_width) as i32, (f64::from(ROW_HEIGHT) * (n.row + 0.5)) as i32);
    let position: HashMap<&str, (i32, i32)> = nodes.iter().map(|n| (n.id.as_str(), at(n))).collect();
    let line = RGBColor(161, 159, 157).stroke_width(1);
    for edge in edges {
        if let (Some(s), Some(t)) = (position.get(edge.source.as_str()), position.get(edge.target.as_str())) {
            plot.draw(&PathElement::new(vec![*s, *t], line)).map_err(|e| e.to_string())?;
        }
    }
    let label_style = TextStyle::from(("sans-serif", 11)).pos(Pos::new(HPos::Left, VPos::Center));
    let chars = ((column_width - 24.0) / 6.5).max(8.0) as usize;
    for node in nodes {
        let p = at(node);
        draw_node(&plot, &node.kind, p, 8)?;
        plot.draw_text(&short(&node.label, chars.min(LABEL_CHARS)), &label_style, (p.0 + 12, p.1)).map_err(|e| e.to_string())?;
    }
    for (i, (kind, _, _)) in legend.iter().enumerate() {
        let y = 16 + i as i32 * 20;
        draw_node(&legend_area, kind, (14, y), 7)?;
        legend_area.draw_text(kind, &label_style, (28, y)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn summary(title: &str, nodes: &[GraphNode], edges: &[GraphEdge]) -> String {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for node in nodes.iter().filter(|n| n.kind != INCIDENT_KIND && n.kind != ALERT_KIND) {
        *kinds.entry(node.kind.as_str()).or_default() += 1;
    }
    let alerts = nodes.iter().filter(|n| n.kind == ALERT_KIND).count();
    let entities: usize = kinds.values().sum();
    let by_kind = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
    let by_kind = if by_kind.is_empty() { String::new() } else { format!(" ({by_kind})") };
    format!("{title}: {alerts} alerts, {entities} entities{by_kind}, {} edges", edges.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_have_outlines() {
        assert_eq!(shape_points("diamond", (10, 10), 4).len(), 4);
        assert_eq!(shape_points("triangle-up", (10, 10), 4).len(), 3);
        assert!(shape_points("circle", (10, 10), 4).is_empty());
        assert_eq!(colour("#d62728"), RGBColor(0xd6, 0x27, 0x28));
    }
}
