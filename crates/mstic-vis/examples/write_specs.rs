//! Writes the Vega-Lite spec and SVG of every chart kind on the fixtures into a folder, with a
//! `manifest.json` of the marks each should render — read by `tests/python/test_charts.py`, which
//! renders the specs with vl-convert.
//!
//! `cargo run -p mstic-vis --example write_specs -- OUTPUT_DIR`

use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_transform::read_zipped_json_lines;
use mstic_vis::{Chart, FramePlot, ValueKind};
use serde_json::json;

fn csv(name: &str) -> Frame {
    Frame::read_csv(fixture(&format!("msticpy/testdata/{name}")).expect("fixture folder (set MSTIC_FIXTURES)")).expect(name)
}

fn main() -> mstic_core::Result<()> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "build/vis-specs".into()));
    std::fs::create_dir_all(&out).map_err(|e| mstic_core::Error::file(&out, e))?;
    let flows = csv("az_net_flows.csv");
    let procs = csv("processes_on_host.csv");
    let series = csv("time_series.csv");
    let otrf = read_zipped_json_lines(fixture("otrf/cmd_discover_iexplorer_version_registry.zip")?, None)?;

    // (name, chart, Vega mark type whose items are counted, expected items)
    let charts: Vec<(&str, Chart, &str, usize)> = vec![
        ("timeline", flows.timeline().time_column("FlowStartTime").group_by("L7Protocol").source_columns(&["SrcIP", "DestIP"]).ref_time("2019-02-13 12:00", "Alert").build()?, "symbol", 460),
        ("timeline_otrf", otrf.timeline().time_column("TimeCreated").group_by("Channel").source_columns(&["EventID"]).build()?, "symbol", otrf.len()),
        ("timeline_aggregated", procs.timeline().group_by("Account").max_points(100).build()?, "symbol", 0),
        ("timeline_values_vbar", flows.timeline_values("TotalAllowedFlows").time_column("FlowStartTime").kind(ValueKind::Vbar).build()?, "rule", 460),
        ("timeline_values_circle", flows.timeline_values("TotalAllowedFlows").time_column("FlowStartTime").kind(ValueKind::Circle).build()?, "symbol", 460),
        ("timeline_values_line", flows.timeline_values("TotalAllowedFlows").time_column("FlowStartTime").group_by("FlowDirection").kind(ValueKind::Line).build()?, "line", 2),
        ("timeline_duration", flows.timeline_duration("L7Protocol").time_column("FlowStartTime").end_time_column("FlowEndTime").build()?, "rect", 7),
        ("matrix", flows.matrix("AllExtIPs", "L7Protocol").log_size(true).build()?, "symbol", 89),
        ("process_tree", procs.process_tree().build()?, "rect", 369),
        ("anomalies", series.anomalies_plot().value_column("TotalBytesSent").build()?, "symbol", 840 + 6),
    ];
    let mut manifest = serde_json::Map::new();
    for (name, chart, mark, expected) in &charts {
        chart.save_vega_lite(out.join(format!("{name}.vl.json")))?;
        chart.save_svg(out.join(format!("{name}.svg")))?;
        // An aggregated timeline draws one symbol per point it kept.
        let expected = if *expected == 0 { chart.mark_count() } else { *expected };
        manifest.insert(name.to_string(), json!({"kind": chart.kind(), "mark": mark, "expected": expected, "title": chart.title()}));
        println!("{name}: {}", chart.summary());
    }
    let path = out.join("manifest.json");
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap_or_default()).map_err(|e| mstic_core::Error::file(&path, e))?;
    println!("wrote {} charts to {}", charts.len(), out.display());
    Ok(())
}
