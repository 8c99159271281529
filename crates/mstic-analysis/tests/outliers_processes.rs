//! Isolation-forest outliers on the process features of MSTICPy's `processes_on_host.csv`, with
//! one planted outlier (a huge, many-token command line on an odd path).

use arrow::array::{ArrayRef, Float64Array, Int64Array};
use mstic_analysis::add_process_features;
use mstic_analysis::outliers::{IsolationForest, OutlierOptions, feature_rows, identify_outliers};
use mstic_core::Frame;
use mstic_core::paths::fixture;
use std::sync::Arc;

const FEATURES: [&str; 3] = ["commandlineLen", "commandlineTokensFull", "pathScore"];
const PLANTED: [f64; 3] = [50_000.0, 900.0, 9_000.0];

/// The three features of every process, plus the planted row last.
fn features_with_planted_row() -> Frame {
    let processes = Frame::read_csv(fixture("msticpy/testdata/processes_on_host.csv").unwrap()).unwrap();
    let processes = add_process_features(&processes, Some("\\"), false).unwrap();
    let rows = feature_rows(&processes, &FEATURES).unwrap();
    let columns: Vec<(String, ArrayRef)> = FEATURES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut values: Vec<f64> = rows.iter().map(|r| r[i]).collect();
            values.push(PLANTED[i]);
            (
                name.to_string(),
                Arc::new(Float64Array::from(values)) as ArrayRef,
            )
        })
        .collect();
    Frame::from_columns(columns).unwrap()
}

fn labels(frame: &Frame) -> Vec<i64> {
    let array = frame.column("outlier").unwrap();
    array
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .values()
        .to_vec()
}

fn scores(frame: &Frame) -> Vec<f64> {
    let array = frame.column("outlier_score").unwrap();
    array
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap()
        .values()
        .to_vec()
}

#[test]
fn planted_outlier_is_found() {
    let data = features_with_planted_row();
    assert_eq!(data.len(), 364);
    let result = identify_outliers(&data, &data, &FEATURES, &OutlierOptions::default()).unwrap();
    let (labels, scores) = (labels(&result), scores(&result));
    assert_eq!(labels[363], -1);
    let top = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert_eq!(top, 363, "the planted row scores highest");
    assert!(scores.iter().all(|s| *s > 0.0 && *s <= 1.0));
}

/// The share of outliers follows `contamination`. The fixture repeats many processes, and tied
/// scores at the threshold can only lower the share: MSTICPy 3.0.2's `identify_outliers`
/// (scikit-learn 1.9) on the same 364 rows flags 4 rows at 0.01, 16 at 0.05 and 73 at 0.2. On
/// distinct rows the threshold (numpy's linear percentile of the training scores) flags exactly
/// `floor(contamination * (n - 1)) + 1` rows.
#[test]
fn contamination_is_honoured() {
    let data = features_with_planted_row();
    for contamination in [0.01, 0.05, 0.2] {
        let options = OutlierOptions::default().contamination(contamination);
        let result = identify_outliers(&data, &data, &FEATURES, &options).unwrap();
        let flagged = labels(&result).iter().filter(|l| **l == -1).count();
        assert!(
            flagged >= 1 && flagged as f64 <= (contamination * 364.0).ceil(),
            "{contamination}: {flagged}"
        );
    }
    let mut rows = feature_rows(&data, &FEATURES).unwrap();
    rows.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    rows.dedup();
    assert_eq!(rows.len(), DISTINCT_ROWS);
    for contamination in [0.01, 0.05, 0.2] {
        let forest =
            IsolationForest::fit(&rows, &OutlierOptions::default().contamination(contamination))
                .unwrap();
        let flagged = forest
            .predict(&rows)
            .unwrap()
            .iter()
            .filter(|l| **l == -1)
            .count();
        let expected = (contamination * (rows.len() - 1) as f64).floor() as usize + 1;
        assert_eq!(flagged, expected, "contamination {contamination}");
    }
    assert!(identify_outliers(&data, &data, &FEATURES, &OutlierOptions::default().contamination(0.7)).is_err());
}

#[test]
fn results_are_deterministic_for_a_seed() {
    let data = features_with_planted_row();
    let rows = feature_rows(&data, &FEATURES).unwrap();
    let options = OutlierOptions::default().seed(7);
    let first = IsolationForest::fit(&rows, &options).unwrap();
    let second = IsolationForest::fit(&rows, &options).unwrap();
    assert_eq!(
        first.score_samples(&rows).unwrap(),
        second.score_samples(&rows).unwrap()
    );
    assert_eq!(first.offset(), second.offset());
    assert_eq!(first.max_samples(), 100);
    let other = IsolationForest::fit(&rows, &options.clone().seed(8)).unwrap();
    assert_ne!(
        first.score_samples(&rows).unwrap(),
        other.score_samples(&rows).unwrap()
    );
    assert_eq!(other.predict(&rows[363..]).unwrap(), vec![-1]);
}

#[test]
fn bad_features_are_named() {
    let data = features_with_planted_row();
    let error = identify_outliers(&data, &data, &["pathScor"], &OutlierOptions::default()).unwrap_err();
    assert!(error.to_string().contains("pathScore"), "{error}");
    let processes = Frame::read_csv(fixture("msticpy/testdata/processes_on_host.csv").unwrap()).unwrap();
    let error = identify_outliers(&processes, &processes, &["NewProcessName"], &OutlierOptions::default()).unwrap_err();
    assert!(error.to_string().contains("row 0"), "{error}");
}

/// Distinct feature rows: 149 in the fixture (pandas `drop_duplicates` on MSTICPy's own
/// `add_process_features`) plus the planted row.
const DISTINCT_ROWS: usize = 150;
