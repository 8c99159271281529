//! Unit tests of the time-series module on synthetic series.

use super::*;
use arrow::array::{ArrayRef, Int64Array};
use mstic_core::Frame;
use std::sync::Arc;

fn hourly_frame(values: &[f64]) -> Frame {
    let hour = 3_600_000_000_000_i64;
    let start = 1_556_690_400_000_000_000_i64; // 2019-05-01T06:00:00Z
    let times: Vec<i64> = (0..values.len() as i64).map(|i| start + i * hour).collect();
    let ints: ArrayRef = Arc::new(Int64Array::from(
        values.iter().map(|&v| v as i64).collect::<Vec<_>>(),
    ));
    Frame::from_columns(vec![
        (
            "TimeGenerated".into(),
            crate::columns::timestamp_array(times),
        ),
        ("Total".into(), ints),
    ])
    .unwrap()
}

#[test]
fn statsmodels_smoother_lengths() {
    let options = StlOptions::default();
    assert_eq!(
        (options.trend_length(), options.low_pass_length()),
        (47, 25)
    );
    let weekly = StlOptions::default().period(168);
    assert_eq!(weekly.low_pass_length(), 169);
}

#[test]
fn short_series_is_a_clear_error() {
    let frame = hourly_frame(&[1.0; 30]);
    let error = ts_anomalies_stl(&frame, "TimeGenerated", "Total", &StlOptions::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("shorter than two periods"), "{error}");
    assert!(error.contains("30 points"), "{error}");
}

#[test]
fn invalid_seasonal_is_rejected() {
    let frame = hourly_frame(&[1.0; 100]);
    let error = ts_anomalies_stl(
        &frame,
        "TimeGenerated",
        "Total",
        &StlOptions::default().seasonal(8),
    )
    .unwrap_err();
    assert!(error.to_string().contains("seasonal"), "{error}");
}

#[test]
fn unknown_column_suggests_names() {
    let frame = hourly_frame(&[1.0; 100]);
    let error = ts_anomalies_stl(&frame, "TimeGenerated", "Totl", &StlOptions::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("Total"), "{error}");
}

#[test]
fn spike_in_daily_cycle_is_flagged() {
    let mut values: Vec<f64> = (0..24 * 10)
        .map(|i| 1000.0 + 300.0 * ((i % 24) as f64 / 24.0 * std::f64::consts::TAU).sin())
        .collect();
    values[120 + 6] += 5000.0; // a spike at a seasonal peak
    let result = ts_anomalies_stl(
        &hourly_frame(&values),
        "TimeGenerated",
        "Total",
        &StlOptions::default(),
    )
    .unwrap();
    let flags = crate::columns::floats(&result, "anomalies").unwrap();
    let flagged: Vec<usize> = flags
        .iter()
        .enumerate()
        .filter(|(_, f)| **f != Some(0.0))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(flagged, vec![126]);
    assert_eq!(flags[126], Some(1.0));
    assert_eq!(
        result.columns()[2..],
        [
            "residual",
            "trend",
            "seasonal",
            "weights",
            "baseline",
            "score",
            "anomalies"
        ]
    );
}

#[test]
fn aggregation_fills_missing_intervals_with_zero() {
    let hour = 3_600_000_000_000_i64;
    let base = 1_556_690_400_000_000_000_i64;
    let times = vec![base + 10, base + 20, base + 3 * hour + 5, base + hour - 1];
    let bytes: ArrayRef = Arc::new(Int64Array::from(vec![5, 7, 11, 13]));
    let events = Frame::from_columns(vec![
        (
            "TimeGenerated".into(),
            crate::columns::timestamp_array(times),
        ),
        ("Bytes".into(), bytes),
    ])
    .unwrap();
    let counts = aggregate_series(&events, "TimeGenerated", "1h", &Aggregation::Count).unwrap();
    let totals = crate::columns::floats(&counts, "Total").unwrap();
    assert_eq!(totals, vec![Some(3.0), Some(0.0), Some(0.0), Some(1.0)]);
    let sums = aggregate_series(
        &events,
        "TimeGenerated",
        "1h",
        &Aggregation::Sum("Bytes".into()),
    )
    .unwrap();
    assert_eq!(
        crate::columns::floats(&sums, "Total").unwrap(),
        vec![Some(25.0), Some(0.0), Some(0.0), Some(11.0)]
    );
    let stamps = crate::columns::times(&sums, "TimeGenerated").unwrap();
    assert_eq!(stamps[0], Some(base));
    assert_eq!(stamps[3], Some(base + 3 * hour));
}

#[test]
fn aggregation_rejects_bad_interval() {
    let frame = hourly_frame(&[1.0; 3]);
    assert!(aggregate_series(&frame, "TimeGenerated", "0h", &Aggregation::Count).is_err());
    let minutes = aggregate_series(&frame, "TimeGenerated", "1min", &Aggregation::Count).unwrap();
    assert_eq!(minutes.len(), 121);
    let error = aggregate_series(&frame, "TimeGenerated", "1ns", &Aggregation::Count)
        .unwrap_err()
        .to_string();
    assert!(error.contains("intervals"), "{error}");
}
