//! Pieces of Vega-Lite v5 specs: the chart frame, UTC time axes with zoom/pan, tooltips, and
//! reference-time markers.

use crate::options::RefMarker;
use crate::data::format_time;
use serde_json::{Map, Value, json};

/// The field of the event time (ms) in the data rows.
pub(crate) const TIME: &str = "__time";
/// The field of the event time as text (for tooltips).
pub(crate) const WHEN: &str = "__when";

/// A field reference: dots and brackets in column names are escaped (Vega-Lite reads them as paths).
pub(crate) fn field(name: &str) -> String {
    name.replace('\\', "\\\\").replace('.', "\\.").replace('[', "\\[").replace(']', "\\]")
}

/// The top of a spec: schema, title (notes as subtitle), size and inline data rows.
pub(crate) fn base(title: &str, notes: &[String], width: u32, height: u32, rows: Vec<Value>) -> Map<String, Value> {
    let mut spec = Map::new();
    spec.insert("$schema".into(), json!("https://vega.github.io/schema/vega-lite/v5.json"));
    let mut title_value = json!({"text": title, "anchor": "start"});
    if !notes.is_empty() {
        title_value["subtitle"] = json!(notes);
        title_value["subtitleColor"] = json!("#a0522d");
    }
    spec.insert("title".into(), title_value);
    spec.insert("width".into(), json!(width.saturating_sub(160)));
    spec.insert("height".into(), json!(height));
    spec.insert("data".into(), json!({ "values": rows }));
    spec
}

/// A whole layered spec: [`base`] with `layers` followed by the reference markers' layers.
pub(crate) fn layered(title: &str, notes: &[String], width: u32, height: u32, rows: Vec<Value>, mut layers: Vec<Value>, markers: &[RefMarker]) -> Value {
    layers.extend(marker_layers(markers));
    let mut spec = base(title, notes, width, height, rows);
    spec.insert("layer".into(), Value::Array(layers));
    Value::Object(spec)
}

/// The interval selection of the range tool.
const RANGE_SELECTION: &str = "range";
/// Height of the range tool's overview strip, in pixels.
const RANGE_TOOL_HEIGHT: u32 = 44;

/// Adds MSTICPy's range tool to a [`layered`] time chart: below the chart, an overview strip with
/// a tick per point, on which dragging selects the time range the chart above shows (an empty
/// selection shows everything). The chart's wheel zoom gives way to the selection, as both would
/// drive the same time scale; marks outside the selected range are clipped.
pub(crate) fn with_range_tool(spec: Value) -> Value {
    let made_by_layered = spec["layer"].as_array().is_some_and(|l| !l.is_empty()) && spec["width"].is_number() && spec["height"].is_number();
    let Value::Object(mut top) = spec else { return spec };
    if !made_by_layered {
        return Value::Object(top);
    }
    let (width, height) = (top.remove("width").unwrap_or_default(), top.remove("height").unwrap_or_default());
    let Some(Value::Array(mut layers)) = top.remove("layer") else { return Value::Object(top) };
    let main = layers[0]["encoding"].clone();
    let mut overview = json!({
        "x": {"field": TIME, "type": "temporal", "scale": {"type": "utc"}, "title": "Drag here to choose the time range shown above",
              "axis": {"labelOverlap": true, "labelAngle": 0, "titleFontWeight": "normal", "titleColor": "#666"}},
    });
    if main["y"]["type"] == "nominal" {
        overview["y"] = json!({"field": main["y"]["field"], "type": "nominal", "sort": main["y"]["sort"], "axis": null, "title": null});
    }
    if main["color"].is_object() {
        overview["color"] = main["color"].clone();
        overview["color"]["legend"] = Value::Null;
    }
    for layer in &mut layers {
        if let Some(object) = layer.as_object_mut() {
            object.remove("params");
        }
        // Every layer names the domain; one layer alone would be merged with the others' data.
        if layer["encoding"]["x"].is_object() {
            layer["encoding"]["x"]["scale"]["domain"] = json!({"param": RANGE_SELECTION});
        }
        match &mut layer["mark"] {
            Value::Object(mark) => {
                mark.insert("clip".into(), json!(true));
            }
            mark => *mark = json!({"type": mark.clone(), "clip": true}),
        }
    }
    top.insert(
        "vconcat".into(),
        json!([
            {"width": width, "height": height, "layer": layers},
            {"width": width, "height": RANGE_TOOL_HEIGHT, "params": [{"name": RANGE_SELECTION, "select": {"type": "interval", "encodings": ["x"]}}],
             "mark": {"type": "tick", "thickness": 1, "opacity": 0.7}, "encoding": overview},
        ]),
    );
    Value::Object(top)
}

/// Zoom and pan bound to the scales of `encodings` (mouse wheel zooms, drag pans).
pub(crate) fn zoom(encodings: &[&str]) -> Value {
    json!([{"name": "zoom", "select": {"type": "interval", "encodings": encodings}, "bind": "scales"}])
}

/// A UTC time x axis.
pub(crate) fn time_x(title: &str) -> Value {
    json!({"field": TIME, "type": "temporal", "title": title, "scale": {"type": "utc"},
           "axis": {"labelOverlap": true, "labelAngle": 0, "grid": true}})
}

/// Tooltip entries: the time text, then `columns` (by their own names).
pub(crate) fn tooltip(time: bool, columns: &[String]) -> Value {
    let mut out = Vec::new();
    if time {
        out.push(json!({"field": WHEN, "type": "nominal", "title": "Time (UTC)"}));
    }
    for c in columns {
        out.push(json!({"field": field(c), "type": "nominal", "title": c}));
    }
    Value::Array(out)
}

/// Layers drawing each marker as a red vertical rule with its label.
pub(crate) fn marker_layers(markers: &[RefMarker]) -> Vec<Value> {
    if markers.is_empty() {
        return Vec::new();
    }
    let values: Vec<Value> = markers.iter().map(|m| json!({TIME: m.time, "label": m.label, WHEN: format_time(m.time)})).collect();
    vec![
        json!({"data": {"values": values.clone()}, "mark": {"type": "rule", "color": "#c80000", "strokeWidth": 2},
               "encoding": {"x": {"field": TIME, "type": "temporal"},
                            "tooltip": [{"field": "label", "type": "nominal", "title": "Marker"}, {"field": WHEN, "type": "nominal", "title": "Time (UTC)"}]}}),
        json!({"data": {"values": values}, "mark": {"type": "text", "color": "#c80000", "align": "left", "dx": 4, "dy": 2, "y": 0, "baseline": "top"},
               "encoding": {"x": {"field": TIME, "type": "temporal"}, "text": {"field": "label"}}}),
    ]
}

/// A legend setting for a colour encoding.
pub(crate) fn legend(shown: bool, orient: &str, title: &str) -> Value {
    if shown { json!({"orient": orient, "title": title}) } else { Value::Null }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_escaped() {
        assert_eq!(field("a.b[0]"), "a\\.b\\[0\\]");
        assert_eq!(field("SrcIP"), "SrcIP");
    }
}
