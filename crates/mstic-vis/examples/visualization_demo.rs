//! The code of `examples/visualization.ipynb`, cell by cell, as a program: every chart kind on the
//! shared fixtures. A cell's final value (a table or a chart) is printed as its text summary here.
//!
//! `cargo run -p mstic-vis --example visualization_demo`

use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_transform::{ProcSchema, build_process_tree, read_zipped_json_lines};
use mstic_vis::{FramePlot, Legend, MatrixSort, PidFormat, TreePlot, ValueKind};

fn main() {
    // Cell 1
    let flows = Frame::read_csv(fixture("msticpy/testdata/az_net_flows.csv").expect("fixture folder (set MSTIC_FIXTURES)")).expect("network flows");
    let logons = Frame::read_csv(fixture("msticpy/testdata/host_logons.csv").expect("fixture folder (set MSTIC_FIXTURES)")).expect("logons");
    let procs = Frame::read_csv(fixture("msticpy/testdata/processes_on_host.csv").expect("fixture folder (set MSTIC_FIXTURES)")).expect("processes");
    let series = Frame::read_csv(fixture("msticpy/testdata/time_series.csv").expect("fixture folder (set MSTIC_FIXTURES)")).expect("time series");
    let value = flows.select(&["FlowStartTime", "L7Protocol", "SrcIP", "DestIP", "AllExtIPs", "TotalAllowedFlows"]).expect("columns").head(5);
    println!("{value}\n");
    // Cell 2
    let value = flows.timeline()
        .time_column("FlowStartTime")
        .group_by("L7Protocol")
        .source_columns(&["SrcIP", "DestIP", "AllExtIPs", "DestPort"])
        .ref_time("2019-02-13 12:00:00", "Alert raised")
        .title("Azure network flows by protocol")
        .build()
        .expect("timeline");
    println!("{value}\n");
    // Cell 3
    let admin_logons = logons.sql("SELECT * FROM t WHERE \"TargetUserName\" <> 'SYSTEM'").expect("filter");
    logons.timeline()
        .group_by("TargetUserName")
        .source_columns(&["LogonType", "IpAddress", "WorkstationName"])
        .overlay(&procs, "Processes started")
        .ref_events(&admin_logons, "TimeGenerated", "TargetUserName")
        .legend(Legend::Left)
        .title("Logons with process starts")
        .display()
        .expect("logon timeline");
    logons.timeline_duration("TargetUserName")
        .title("First to last logon per account")
        .display()
        .expect("logon durations");
    // Cell 4
    let value = flows.timeline_values("TotalAllowedFlows")
        .time_column("FlowStartTime")
        .group_by("FlowDirection")
        .source_columns(&["L7Protocol", "AllExtIPs"])
        .kinds(&[ValueKind::Vbar, ValueKind::Circle])
        .title("Allowed flows per record")
        .build()
        .expect("values");
    println!("{value}\n");
    // Cell 5
    let value = flows.timeline_values("TotalAllowedFlows")
        .time_column("FlowStartTime")
        .kind(ValueKind::Line)
        .build()
        .expect("line");
    println!("{value}\n");
    // Cell 6
    let value = flows.timeline_duration("AllExtIPs")
        .time_column("FlowStartTime")
        .end_time_column("FlowEndTime")
        .title("External IPs: first to last flow")
        .build()
        .expect("duration");
    println!("{value}\n");
    // Cell 7
    let value = flows.matrix("AllExtIPs", "L7Protocol")
        .sort_y(MatrixSort::ByCount)
        .log_size(true)
        .title("External IPs × protocol")
        .build()
        .expect("matrix");
    println!("{value}\n");
    // Cell 8
    let value = flows.matrix("L7Protocol", "FlowDirection")
        .value_column("AllExtIPs")
        .dist_count(true)
        .title("Distinct external IPs per protocol and direction")
        .build()
        .expect("distinct matrix");
    println!("{value}\n");
    // Cell 9
    let tree = build_process_tree(&procs, None).expect("process tree");
    println!("{}", tree.summary());
    let value = tree.plot().title("Processes on MSTICAlertsWin1").build().expect("tree plot");
    println!("{value}\n");
    // Cell 10
    let value = procs.process_tree()
        .legend_column("Account")
        .pid_format(PidFormat::Dec)
        .title("Processes by account")
        .build()
        .expect("tree by account");
    println!("{value}\n");
    // Cell 11
    let mde = Frame::read_csv(fixture("msticpy/testdata/mde_proc_cs1.csv").expect("fixture folder (set MSTIC_FIXTURES)")).expect("MDE events");
    let value = mde.process_tree()
        .schema(&ProcSchema::mde_internal())
        .title("MDE process tree (1,642 processes)")
        .build()
        .expect("MDE tree");
    println!("{value}\n");
    // Cell 12
    let otrf = read_zipped_json_lines(fixture("otrf/cmd_discover_iexplorer_version_registry.zip").expect("fixture folder (set MSTIC_FIXTURES)"), None).expect("OTRF dataset");
    otrf.timeline()
        .time_column("TimeCreated")
        .group_by("Channel")
        .source_columns(&["EventID", "Message"])
        .display()
        .expect("OTRF timeline");
    otrf.process_tree().title("OTRF process tree").display().expect("OTRF tree");
    // Cell 13
    let value = series.anomalies_plot()
        .value_column("TotalBytesSent")
        .title("Bytes sent per hour")
        .build()
        .expect("anomalies");
    println!("{value}\n");
    // Cell 14
    let many = Frame::concat(&vec![flows.clone(); 220]).expect("copies");
    let value = many.timeline()
        .time_column("FlowStartTime")
        .group_by("L7Protocol")
        .source_columns(&["AllExtIPs"])
        .title("101,200 flow records")
        .build()
        .expect("big timeline");
    println!("{value}\n");
}
