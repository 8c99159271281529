//! Every chart kind on MSTICPy's test data and an OTRF dataset: the SVG parses as XML and holds
//! the expected marks and labels; the Vega-Lite spec has the expected data and interactions; the
//! display bundle has no HTML.

use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_transform::{ProcSchema, build_process_tree, read_zipped_json_lines};
use mstic_vis::{Chart, FramePlot, Legend, MatrixSort, PidFormat, TreePlot, ValueKind};
use serde_json::Value;

fn csv(name: &str) -> Frame {
    Frame::read_csv(fixture(&format!("msticpy/testdata/{name}")).unwrap()).expect(name)
}

/// Counts of SVG elements by tag name, and every text content.
struct SvgSummary {
    circles: usize,
    rects: usize,
    texts: Vec<String>,
}

fn parse_svg(chart: &Chart) -> SvgSummary {
    let doc = roxmltree::Document::parse(chart.svg()).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let count = |tag: &str| doc.descendants().filter(|n| n.tag_name().name() == tag).count();
    let texts = doc.descendants().filter(|n| n.tag_name().name() == "text").filter_map(|n| n.text().map(|t| t.trim().to_string())).collect();
    SvgSummary { circles: count("circle"), rects: count("rect"), texts }
}

fn has_text(svg: &SvgSummary, wanted: &str) -> bool {
    svg.texts.iter().any(|t| t.contains(wanted))
}

fn data_rows(chart: &Chart) -> &Vec<Value> {
    chart.vega_lite()["data"]["values"].as_array().expect("inline data")
}

fn assert_bundle(chart: &Chart) {
    let bundle = chart.mime_bundle();
    let types: Vec<&str> = bundle.data.keys().map(String::as_str).collect();
    assert_eq!(types, vec!["application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]);
    assert_eq!(chart.vega_lite()["$schema"], "https://vega.github.io/schema/vega-lite/v5.json");
}

#[test]
fn timeline_of_network_flows_by_protocol() {
    let flows = csv("az_net_flows.csv");
    let chart = flows
        .timeline()
        .time_column("FlowStartTime")
        .group_by("L7Protocol")
        .source_columns(&["SrcIP", "DestIP", "AllExtIPs"])
        .ref_time("2019-02-13 12:00:00", "Alert")
        .title("Network flows")
        .legend(Legend::Right)
        .build()
        .expect("timeline");
    assert_bundle(&chart);
    assert_eq!(chart.mark_count(), 460);
    let svg = parse_svg(&chart);
    // 460 events + 7 legend dots (https, http, ntp, ms-wbt-server, microsoft-ds, ssh, ftp).
    assert_eq!(svg.circles, 467);
    for label in ["Network flows", "https", "ms-wbt-server", "ftp", "Alert", "Time (UTC)", "02-13 00:00"] {
        assert!(has_text(&svg, label), "missing label {label}: {:?}", svg.texts);
    }
    let rows = data_rows(&chart);
    assert_eq!(rows.len(), 460);
    assert_eq!(rows.iter().filter(|r| r["__series"] == "https").count(), 372);
    assert!(rows.iter().any(|r| r["AllExtIPs"] == "65.55.44.109"));
    // The range tool (on by default): the chart above, an overview strip whose selection is the
    // chart's time domain below.
    let spec = chart.vega_lite();
    let layers = spec["vconcat"][0]["layer"].as_array().unwrap();
    assert_eq!(layers[0]["encoding"]["x"]["scale"]["domain"]["param"], "range", "the range tool sets the time range");
    assert_eq!(layers[0]["encoding"]["x"]["scale"]["type"], "utc");
    assert_eq!(layers[0]["mark"]["clip"], true);
    assert_eq!(layers[1]["mark"]["type"], "rule", "reference marker");
    let overview = &spec["vconcat"][1];
    assert_eq!(overview["params"][0]["name"], "range");
    assert_eq!(overview["params"][0]["select"]["encodings"], serde_json::json!(["x"]));
    assert_eq!(overview["encoding"]["y"]["field"], "__series", "one overview row per series");
    assert!(overview["encoding"]["color"]["legend"].is_null(), "the chart keeps the only legend");
    // Without it: the chart alone, zoomed and panned with the mouse.
    let plain = flows.timeline().time_column("FlowStartTime").range_tool(false).build().unwrap();
    assert!(plain.vega_lite()["vconcat"].is_null());
    assert_eq!(plain.vega_lite()["layer"][0]["params"][0]["bind"], "scales", "zoom/pan bound to the time scale");
    assert!(chart.summary().contains("460 events in 7 series (ftp: 1"), "{}", chart.summary());
}

#[test]
fn timeline_of_logons_with_overlay_and_ref_events() {
    let logons = csv("host_logons.csv");
    let procs = csv("processes_on_host.csv");
    let failures = logons.sql("SELECT * FROM t WHERE \"TargetUserName\" = 'adm1nistrator'").unwrap();
    let chart = logons
        .timeline()
        .group_by("TargetUserName")
        .source_columns(&["LogonType", "IpAddress"])
        .overlay(&procs.head(50), "Processes")
        .ref_events(&failures, "TimeGenerated", "TargetUserName")
        .legend(Legend::Left)
        .build()
        .expect("timeline");
    let svg = parse_svg(&chart);
    // 14 logons + 50 processes, and 4 legend dots (3 accounts + the overlay).
    assert_eq!(chart.mark_count(), 64);
    assert_eq!(svg.circles, 68);
    for label in ["SYSTEM", "MSTICAdmin", "adm1nistrator", "Processes", "Event Timeline"] {
        assert!(has_text(&svg, label), "missing {label}");
    }
    assert_eq!(chart.vega_lite()["vconcat"][0]["layer"][0]["encoding"]["color"]["legend"]["orient"], "left");
}

#[test]
fn big_timelines_are_aggregated_and_say_so() {
    let procs = csv("processes_on_host.csv");
    let chart = procs.timeline().group_by("Account").max_points(100).build().expect("timeline");
    assert!(chart.mark_count() < 363, "aggregated: {}", chart.mark_count());
    assert!(chart.notes()[0].starts_with("363 events aggregated into"), "{:?}", chart.notes());
    let svg = parse_svg(&chart);
    assert!(has_text(&svg, "363 events aggregated"));
    assert_eq!(chart.vega_lite()["title"]["subtitle"][0], Value::String(chart.notes()[0].clone()));
    let total: u64 = data_rows(&chart).iter().map(|r| r["__count"].as_u64().unwrap()).sum();
    assert_eq!(total, 363);
}

#[test]
fn timeline_values_in_every_kind() {
    let flows = csv("az_net_flows.csv");
    for kind in [ValueKind::Vbar, ValueKind::Line, ValueKind::Circle] {
        let chart = flows
            .timeline_values("TotalAllowedFlows")
            .time_column("FlowStartTime")
            .group_by("FlowDirection")
            .source_columns(&["L7Protocol"])
            .kind(kind)
            .build()
            .expect("values");
        assert_eq!(chart.mark_count(), 460);
        let svg = parse_svg(&chart);
        let doc = roxmltree::Document::parse(chart.svg()).unwrap();
        let lines = doc.descendants().filter(|n| n.tag_name().name() == "polyline").count();
        match kind {
            // 460 bars + the axes' own lines.
            ValueKind::Vbar => assert!(lines >= 460, "{lines}"),
            ValueKind::Circle => assert_eq!(svg.circles, 460 + 2),
            ValueKind::Line => assert!(lines >= 2),
        }
        assert!(has_text(&svg, "TotalAllowedFlows"));
        let spec = chart.vega_lite();
        assert_eq!(spec["vconcat"][0]["layer"][0]["encoding"]["x"]["scale"]["domain"]["param"], "range");
        assert!(spec["vconcat"][1]["encoding"]["y"].is_null(), "values have no series rows in the overview");
    }
}

#[test]
fn duration_per_vm_ip() {
    let flows = csv("az_net_flows.csv");
    let chart = flows
        .timeline_duration("L7Protocol")
        .time_column("FlowStartTime")
        .end_time_column("FlowEndTime")
        .ref_time("2019-02-13 00:00:00", "Midnight")
        .build()
        .expect("duration");
    assert_eq!(chart.mark_count(), 7);
    let svg = parse_svg(&chart);
    assert_eq!(svg.rects, 7 + 1, "bars plus background");
    assert!(has_text(&svg, "Midnight") && has_text(&svg, "Activity duration by L7Protocol"));
    let https = data_rows(&chart).iter().find(|r| r["__group"] == "https").unwrap().clone();
    assert_eq!(https["__events"], 372);
    assert_eq!(https["__when"], "2019-02-12 13:00:07");
}

#[test]
fn matrix_of_ips_and_protocols() {
    let flows = csv("az_net_flows.csv");
    let chart = flows.matrix("AllExtIPs", "L7Protocol").sort_y(MatrixSort::ByCount).log_size(true).build().expect("matrix");
    assert_eq!(chart.mark_count(), 89);
    let svg = parse_svg(&chart);
    assert_eq!(svg.circles, 89);
    assert!(has_text(&svg, "https") && has_text(&svg, "Intersection plot"));
    let y_sort = chart.vega_lite()["layer"][0]["encoding"]["y"]["sort"][0].clone();
    assert_eq!(y_sort, "https", "by count, https first");
    let distinct = flows.matrix("L7Protocol", "FlowDirection").value_column("AllExtIPs").dist_count(true).build().unwrap();
    let ntp = data_rows(&distinct).iter().find(|r| r["__x"] == "ntp").unwrap().clone();
    assert!(ntp["__value"].as_f64().unwrap() >= 1.0);
    let top = flows.matrix("AllExtIPs", "L7Protocol").max_points(10).build().unwrap();
    assert_eq!(top.mark_count(), 10);
    assert!(top.notes()[0].starts_with("89 pairs"));
}

#[test]
fn process_tree_of_windows_events() {
    let procs = csv("processes_on_host.csv");
    let tree = build_process_tree(&procs, None).expect("tree");
    let chart = tree.plot().title("Processes on host").build().expect("plot");
    assert_eq!(chart.mark_count(), tree.len());
    let svg = parse_svg(&chart);
    // One box per process (the static image stops at 150), plus the page background.
    assert_eq!(tree.len(), 369);
    assert_eq!(svg.rects, 150 + 1);
    assert!(svg.texts.iter().any(|t| t == "MonitoringHost.exe [0x888]"), "{:?}", &svg.texts[..10]);
    assert!(svg.texts.iter().any(|t| t.starts_with("conhost.exe [0x")));
    let rows = data_rows(&chart);
    assert!(rows.iter().any(|r| r["__label"].as_str().unwrap().starts_with("cmd.exe [0x")));
    assert!(rows.iter().any(|r| r["Command line"].as_str().is_some_and(|c| !c.is_empty())));
    assert!(rows.iter().all(|r| r["__label"].as_str().unwrap().contains(" [")));
    // Raw events give the same chart.
    let from_events = procs.process_tree().pid_format(PidFormat::Dec).legend_column("Account").build().unwrap();
    assert_eq!(from_events.mark_count(), tree.len());
    let legend = parse_svg(&from_events);
    assert!(has_text(&legend, "MSTICAlertsWin1\\MSTICAdmin"));
}

#[test]
fn process_tree_of_mde_events_is_capped_in_the_svg() {
    let events = csv("mde_proc_cs1.csv");
    let chart = events.process_tree().schema(&ProcSchema::mde_internal()).build().expect("plot");
    assert_eq!(chart.mark_count(), 1642);
    let svg = parse_svg(&chart);
    assert_eq!(svg.rects, 150 + 1);
    assert!(has_text(&svg, "Static image: the first 150 of 1,642 processes"));
    assert!(chart.summary().contains("1,642 processes, 9 roots, 16 levels"), "{}", chart.summary());
}

#[test]
fn process_tree_of_an_otrf_dataset() {
    let events = read_zipped_json_lines(fixture("otrf/cmd_discover_iexplorer_version_registry.zip").unwrap(), None).expect("dataset");
    let chart = events.process_tree().build().expect("plot");
    let svg = parse_svg(&chart);
    assert!(chart.mark_count() >= 2);
    assert!(svg.texts.iter().any(|t| t.starts_with("reg.exe")), "{:?}", svg.texts);
    let timeline = events.timeline().time_column("TimeCreated").group_by("Channel").source_columns(&["EventID"]).build().unwrap();
    assert_eq!(timeline.mark_count(), events.len());
    assert!(has_text(&parse_svg(&timeline), "Security"));
}

#[test]
fn anomalies_of_the_time_series() {
    let series = csv("time_series.csv");
    let chart = series.anomalies_plot().value_column("TotalBytesSent").build().expect("anomalies");
    // 3 anomalies above and 3 below the baseline.
    assert_eq!(chart.mark_count(), 6);
    let svg = parse_svg(&chart);
    // 840 baseline dots, 6 anomaly markers, 3 legend dots.
    assert_eq!(svg.circles, 840 + 6 + 3);
    assert!(has_text(&svg, "TotalBytesSent") && has_text(&svg, "baseline") && has_text(&svg, "anomalies"));
    assert!(chart.summary().contains("840 points"), "{}", chart.summary());
    let rows = data_rows(&chart);
    assert_eq!(rows.iter().filter(|r| r["__anomaly"] != 0).count(), 6);
    // The observed column is found without naming it.
    assert_eq!(series.anomalies_plot().build().unwrap().mark_count(), 6);
}

#[test]
fn bad_parameters_name_the_column_and_parameter() {
    let flows = csv("az_net_flows.csv");
    let err = flows.timeline().time_column("FlowStart").build().unwrap_err().to_string();
    assert!(err.contains("time_column") && err.contains("did you mean") && err.contains("FlowStartTime"), "{err}");
    let err = flows.timeline().time_column("FlowStartTime").ref_time("soon", "x").build().unwrap_err().to_string();
    assert!(err.contains("ref_time") && err.contains("'soon'"), "{err}");
    let err = flows.timeline().time_column("L7Protocol").build().unwrap_err().to_string();
    assert!(err.contains("time_column") && err.contains("L7Protocol"), "{err}");
    let err = flows.timeline_values("L7Protocol").time_column("FlowStartTime").build().unwrap_err().to_string();
    assert!(err.contains("value_column"), "{err}");
    let empty = flows.head(0);
    assert!(empty.timeline().time_column("FlowStartTime").build().is_err());
}

#[test]
fn text_is_escaped_in_the_svg() {
    let frame = Frame::from_string_rows(&["TimeGenerated", "Who"], &[vec![Some("2024-01-01 00:00:00"), Some("<script>&amp")]]).unwrap();
    let chart = frame.timeline().group_by("Who").legend(Legend::Right).build().unwrap();
    let svg = parse_svg(&chart);
    assert!(has_text(&svg, "<script>&amp"));
}
