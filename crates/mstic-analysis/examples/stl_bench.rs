//! Times STL anomaly detection: MSTICPy's 840-point fixture series, then a batch of 1,000
//! synthetic weekly-seasonal hourly series of 2,000 points each.
//! Run: `cargo run --release -p mstic-analysis --example stl_bench` (add `--json` for one JSON
//! line of figures, as `bench/analysis_bench.py` reads them).

use mstic_analysis::timeseries::{StlOptions, stl_anomalies, ts_anomalies_stl};
use mstic_core::Frame;
use mstic_core::paths::fixture;
use std::time::Instant;

/// A deterministic pseudo-random series: daily and weekly cycles, trend, noise and spikes.
fn synthetic_series(seed: u64, points: usize) -> Vec<f64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) - 0.5
    };
    (0..points)
        .map(|i| {
            let t = i as f64;
            let daily = (t / 24.0 * std::f64::consts::TAU).sin() * 200.0;
            let weekly = (t / 168.0 * std::f64::consts::TAU).sin() * 100.0;
            let spike = if i % 577 == 300 { 2000.0 } else { 0.0 };
            1000.0 + 0.05 * t + daily + weekly + 60.0 * noise() + spike
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let series = Frame::read_csv(fixture("msticpy/testdata/time_series.csv")?)?;
    let options = StlOptions::default();
    let runs = 50;
    let start = Instant::now();
    let mut anomalies = 0;
    for _ in 0..runs {
        let result = ts_anomalies_stl(&series, "TimeGenerated", "TotalBytesSent", &options)?;
        anomalies = result.len();
    }
    let per_frame = start.elapsed() / runs;
    let values: Vec<f64> = {
        let array = series.column("TotalBytesSent")?;
        let array = arrow::compute::cast(&array, &arrow::datatypes::DataType::Float64)?;
        array
            .as_any()
            .downcast_ref::<arrow::array::Float64Array>()
            .unwrap()
            .values()
            .to_vec()
    };
    let start = Instant::now();
    let mut fixture_anomalies = 0;
    for _ in 0..runs {
        let result = stl_anomalies(&values, &options)?;
        fixture_anomalies = result.anomalies.iter().filter(|a| **a != 0).count();
    }
    let per_vector = start.elapsed() / runs;
    println!(
        "stl 840 points (frame in/out, {anomalies} rows): {:.3} ms",
        per_frame.as_secs_f64() * 1e3
    );
    println!(
        "stl 840 points (vector core): {:.3} ms",
        per_vector.as_secs_f64() * 1e3
    );

    let batch: Vec<Vec<f64>> = (0..1000).map(|seed| synthetic_series(seed, 2000)).collect();
    let start = Instant::now();
    let mut flagged = 0;
    for values in &batch {
        flagged += stl_anomalies(values, &options)?
            .anomalies
            .iter()
            .filter(|a| **a != 0)
            .count();
    }
    let elapsed = start.elapsed();
    if std::env::args().any(|a| a == "--json") {
        println!(
            "{{\"fixture_points\": {}, \"fixture_frame_ms\": {:.4}, \"fixture_vector_ms\": {:.4}, \"fixture_anomalies\": {fixture_anomalies}, \"series\": 1000, \"points\": 2000, \"batch_ms\": {:.2}, \"batch_anomalies\": {flagged}}}",
            values.len(),
            per_frame.as_secs_f64() * 1e3,
            per_vector.as_secs_f64() * 1e3,
            elapsed.as_secs_f64() * 1e3
        );
        return Ok(());
    }
    println!(
        "stl 1000 series x 2000 points: {:.1} ms total, {:.3} ms/series, {flagged} anomalies (one thread)",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e3 / 1000.0
    );
    Ok(())
}
