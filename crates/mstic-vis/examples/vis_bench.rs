//! Time to produce chart bundles, and their size: a timeline of 100,000 events (aggregated, the
//! default, and every point drawn) and the process tree of `mde_proc_cs1.csv` (1,642 processes).
//! Prints one JSON line per measurement (read by `bench/vis_bench.py`).
//!
//! `cargo run --release -p mstic-vis --example vis_bench -- [repeats]`

use mstic_core::paths::fixture;
use mstic_core::{Frame, MimeBundle};
use mstic_transform::{ProcSchema, build_process_tree};
use mstic_vis::{Chart, FramePlot, TreePlot};
use std::time::Instant;

/// Median seconds of `repeats` runs of `make`, and the last chart.
fn measure(repeats: usize, mut make: impl FnMut() -> Chart) -> (f64, Chart) {
    let mut times = Vec::with_capacity(repeats);
    let mut chart = None;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        let made = make();
        // The bundle is what a notebook receives: build it inside the timing.
        let bundle = made.mime_bundle();
        std::hint::black_box(serde_json::to_string(&bundle.data).map(|s| s.len()).unwrap_or(0));
        times.push(start.elapsed().as_secs_f64());
        chart = Some(made);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], chart.expect("at least one run"))
}

fn sizes(bundle: &MimeBundle) -> (usize, usize, usize) {
    let vega = bundle.data.get("application/vnd.vegalite.v5+json").map(|v| v.to_string().len()).unwrap_or(0);
    let svg = bundle.data.get("image/svg+xml").and_then(|v| v.as_str()).map(str::len).unwrap_or(0);
    let total = serde_json::to_string(&bundle.data).map(|s| s.len()).unwrap_or(0);
    (vega, svg, total)
}

fn report(name: &str, rows: usize, seconds: f64, chart: &Chart) {
    let (vega, svg, total) = sizes(&chart.mime_bundle());
    println!(
        "{}",
        serde_json::json!({"name": name, "rows": rows, "seconds": seconds, "marks": chart.mark_count(),
                           "vega_bytes": vega, "svg_bytes": svg, "bundle_bytes": total, "notes": chart.notes()})
    );
}

fn main() -> mstic_core::Result<()> {
    let repeats: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let flows = Frame::read_csv(fixture("msticpy/testdata/az_net_flows.csv")?)?;
    let copies = 100_000usize.div_ceil(flows.len());
    let events = Frame::concat(&vec![flows.clone(); copies])?.head(100_000);
    let timeline = || events.timeline().time_column("FlowStartTime").group_by("L7Protocol").source_columns(&["SrcIP", "DestIP", "AllExtIPs"]);

    let (seconds, chart) = measure(repeats, || timeline().build().expect("timeline"));
    report("timeline_100k_aggregated", events.len(), seconds, &chart);
    let (seconds, chart) = measure(repeats.min(3), || timeline().max_points(200_000).build().expect("timeline"));
    report("timeline_100k_every_point", events.len(), seconds, &chart);

    let mde = Frame::read_csv(fixture("msticpy/testdata/mde_proc_cs1.csv")?)?;
    let tree = build_process_tree(&mde, Some(&ProcSchema::mde_internal()))?;
    let (seconds, chart) = measure(repeats, || tree.plot().build().expect("tree plot"));
    report("process_tree_mde_plot", tree.len(), seconds, &chart);
    let (seconds, chart) = measure(repeats, || mde.process_tree().schema(&ProcSchema::mde_internal()).build().expect("tree"));
    report("process_tree_mde_build_and_plot", tree.len(), seconds, &chart);
    Ok(())
}
