//! Benchmark: convert a 100,000-row Log Analytics query response (JSON, in the service's shape:
//! 7-digit date-times, timespans, `dynamic` as JSON text) into a Frame, and print rows/s.
//!
//! `cargo run --release -p mstic-data --example remote_bench [response.json] [runs]` — the
//! response is generated (deterministically) into the given path when the file does not exist,
//! so `bench/remote_convert.py` can time pandas on the very same bytes.

use mstic_data::remote::convert::log_analytics_to_frame;
use std::fmt::Write as _;
use std::time::Instant;

const ROWS: usize = 100_000;

fn generate() -> String {
    let mut body = String::with_capacity(ROWS * 330);
    body.push_str(r#"{"tables":[{"name":"PrimaryResult","columns":["#);
    body.push_str(concat!(
        r#"{"name":"TimeGenerated","type":"datetime"},{"name":"Computer","type":"string"},{"name":"EventID","type":"int"},"#,
        r#"{"name":"Account","type":"string"},{"name":"LogonType","type":"int"},{"name":"IpAddress","type":"string"},"#,
        r#"{"name":"Bytes","type":"long"},{"name":"Score","type":"real"},{"name":"Elevated","type":"bool"},"#,
        r#"{"name":"SessionLength","type":"timespan"},{"name":"TargetLogonId","type":"guid"},{"name":"AdditionalFields","type":"dynamic"}"#
    ));
    body.push_str(r#"],"rows":["#);
    for i in 0..ROWS {
        if i > 0 {
            body.push(',');
        }
        let seconds = i * 7;
        let _ = write!(
            body,
            r#"["2024-05-{:02}T{:02}:{:02}:{:02}.{:07}Z","host{}.contoso.com",{},"CONTOSO\\user{}",{},"10.{}.{}.{}",{},{}.{},{},"{:02}:{:02}:{:02}.{:07}","{:08x}-0000-4000-8000-{:012x}","{{\"LogonProcess\":\"User32\",\"Index\":{}}}"]"#,
            1 + (seconds / 86_400) % 28,
            (seconds / 3600) % 24,
            (seconds / 60) % 60,
            seconds % 60,
            (i * 7919) % 10_000_000,
            i % 250,
            [4624, 4625, 4634, 4672][i % 4],
            i % 1000,
            [2, 3, 5, 10][i % 4],
            i % 256,
            (i / 256) % 256,
            i % 200,
            i * 37,
            i % 100,
            i % 10,
            if i % 3 == 0 { "true" } else { "false" },
            (i / 60) % 24,
            i % 60,
            (i * 13) % 60,
            (i * 31) % 10_000_000,
            i,
            i,
            i
        );
    }
    body.push_str("]}]}");
    body
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().map(std::path::PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("la_100k_response.json"));
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    if !path.exists() {
        std::fs::write(&path, generate())?;
    }
    let body = std::fs::read(&path)?;
    println!("response {} ({:.1} MB)", path.display(), body.len() as f64 / 1e6);
    let mut best = f64::MAX;
    for run in 1..=runs {
        let started = Instant::now();
        let converted = log_analytics_to_frame(&body)?;
        let seconds = started.elapsed().as_secs_f64();
        best = best.min(seconds);
        let frame = converted.frame;
        assert!(frame.warnings().is_empty(), "{:?}", frame.warnings());
        println!("run {run}: rows {}, columns {}, {seconds:.4} seconds, {:.0} rows/s", frame.len(), frame.num_columns(), frame.len() as f64 / seconds);
    }
    println!("best: {:.0} rows/s ({best:.4} seconds for {ROWS} rows)", ROWS as f64 / best);
    Ok(())
}
