//! Interrupting long analysis loops: DBSCAN event clustering, isolation-forest fitting, session
//! scoring and STL anomalies over many series stop with `Error::Interrupted` soon after
//! `interrupt::request()`, and work after `interrupt::clear()`.
//!
//! The interrupt flag is process-wide: these tests take one lock so they run one at a time, and
//! they live in their own test binary so no other test sees the flag.

use arrow::array::{ArrayRef, Float64Array, TimestampNanosecondArray};
use mstic_analysis::timeseries::stl_anomalies;
use mstic_analysis::{ClusterOptions, IsolationForest, OutlierOptions, StlOptions, dbcluster_events, score_sessions};
use mstic_core::Frame;
use std::sync::Arc;
use std::time::{Duration, Instant};
use mstic_demo::interrupt_probe::{lock_interrupt_flag, interrupted_after};

/// How soon an interrupted call must return (a slow CI machine included); every interrupted
/// call below would run for a minute or more.
const PROMPT: Duration = Duration::from_secs(15);

fn assert_interrupted<T>(result: mstic_core::Result<T>, stopped_in: Duration, what: &str) {
    let error = result.err().expect("the work was interrupted");
    assert_eq!(error.to_string(), format!("interrupted: {what} was stopped"));
    assert!(stopped_in < PROMPT, "{what} stopped {stopped_in:?} after the interrupt");
}

/// Events on a line 1 apart (feature `a` is 0, `b` is the position): the neighbour search
/// compares every pair, O(n²).
fn events_on_a_line(rows: usize) -> Frame {
    let start: i64 = 1_714_550_400_000_000_000;
    let column = |values: Vec<f64>| Arc::new(Float64Array::from(values)) as ArrayRef;
    Frame::from_columns(vec![
        ("a".into(), column(vec![0.0; rows])),
        ("b".into(), column((0..rows).map(|i| i as f64).collect())),
        ("TimeGenerated".into(), Arc::new(TimestampNanosecondArray::from_iter_values((0..rows).map(|i| start + i as i64 * 1_000_000_000)).with_timezone("UTC")) as ArrayRef),
    ])
    .unwrap()
}

#[test]
fn dbscan_clustering_stops() {
    let _serial = lock_interrupt_flag();
    let options = ClusterOptions::default().cluster_columns(&["a", "b"]).time_column("TimeGenerated").max_cluster_distance(1.5).normalize(false);
    // 300,000 points: 4.5·10¹⁰ pair comparisons.
    let many = events_on_a_line(300_000);
    let (result, stopped_in) = interrupted_after(Duration::from_millis(200), || dbcluster_events(&many, &options));
    assert_interrupted(result, stopped_in, "the DBSCAN clustering");

    let result = dbcluster_events(&events_on_a_line(500), &options).expect("clustering works after clear()");
    assert_eq!(result.cluster_count(), 1, "points 1 apart chain into one cluster");
    assert!(result.labels.iter().all(|&label| label == 0));
}

#[test]
fn isolation_forest_fitting_stops() {
    let _serial = lock_interrupt_flag();
    let rows: Vec<Vec<f64>> = (0..20_000).map(|i| vec![(i % 97) as f64, (i % 89) as f64, (i % 13) as f64]).collect();
    let endless = OutlierOptions::default().n_estimators(5_000_000).max_samples(256);
    let (result, stopped_in) = interrupted_after(Duration::from_millis(200), || IsolationForest::fit(&rows, &endless));
    assert_interrupted(result, stopped_in, "fitting the isolation forest");

    let forest = IsolationForest::fit(&rows, &OutlierOptions::default().n_estimators(50)).expect("fitting works after clear()");
    assert_eq!(forest.predict(&rows[..10]).unwrap().len(), 10);
}

#[test]
fn session_scoring_stops() {
    let _serial = lock_interrupt_flag();
    let commands = ["Set-User", "Get-Mailbox", "Set-Mailbox", "New-InboxRule", "Get-User", "Remove-MailboxPermission"];
    let session = |i: usize| -> Vec<String> { (0..200).map(|j| commands[(i * 7 + j * (1 + i % 5)) % commands.len()].to_string()).collect() };
    let sessions: Vec<Vec<String>> = (0..5_000).map(session).collect();
    let started = Instant::now();
    let scored = score_sessions(&sessions, 3).expect("a full run");
    let full_run = started.elapsed();
    assert_eq!(scored.len(), sessions.len());
    assert!(scored.iter().all(|r| !r.window.is_empty() && r.likelihood > 0.0 && r.likelihood < 1.0));

    // Interrupted a tenth of the way in.
    let (result, stopped_in) = interrupted_after(full_run / 10, || score_sessions(&sessions, 3));
    let error = result.expect_err("the scoring was interrupted");
    assert_eq!(error.to_string(), "interrupted: scoring the sessions was stopped");
    assert!(stopped_in < full_run, "stopped {stopped_in:?} after the interrupt; a full run takes {full_run:?}");

    assert_eq!(score_sessions(&sessions, 3).expect("scoring works after clear()"), scored);
}

#[test]
fn stl_over_many_series_stops_at_the_next_series() {
    let _serial = lock_interrupt_flag();
    let series: Vec<Vec<f64>> = (0..2_000).map(|s| (0..24 * 30).map(|h| ((h % 24) * 10 + s % 7 + (h / 24) % 3) as f64).collect()).collect();
    let options = StlOptions::default();
    let run_all = || -> mstic_core::Result<usize> {
        let mut flagged = 0;
        for _ in 0..1_000 {
            for values in &series {
                flagged += stl_anomalies(values, &options)?.anomalies.iter().filter(|&&a| a != 0).count();
            }
        }
        Ok(flagged)
    };
    let (result, stopped_in) = interrupted_after(Duration::from_millis(200), run_all);
    assert_interrupted(result, stopped_in, "the STL decomposition");

    let one = stl_anomalies(&series[0], &options).expect("STL works after clear()");
    assert_eq!(one.baseline.len(), 24 * 30);
}
