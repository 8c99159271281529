//! Conformance of the STL anomalies with MSTICPy's `tests/analysis/test_timeseries.py` on its
//! `time_series.csv` (840 hourly points).

mod common;
use common::int_column;
use mstic_analysis::timeseries::*;
use mstic_core::Frame;
use mstic_core::paths::fixture;

fn series() -> Frame {
    Frame::read_csv(fixture("msticpy/testdata/time_series.csv").unwrap()).expect("time_series.csv")
}

/// MSTICPy's default STL anomalies on the fixture series.
fn stl_of_series() -> Frame {
    ts_anomalies_stl(&series(), "TimeGenerated", "TotalBytesSent", &StlOptions::default()).unwrap()
}

fn count(frame: &Frame, column: &str, predicate: impl Fn(f64) -> bool) -> usize {
    let array = frame.column(column).unwrap();
    let values = arrow::compute::cast(&array, &arrow::datatypes::DataType::Float64).unwrap();
    let values = values
        .as_any()
        .downcast_ref::<arrow::array::Float64Array>()
        .unwrap();
    values.iter().flatten().filter(|v| predicate(*v)).count()
}

#[test]
fn stl_finds_three_anomalies() {
    let result = stl_of_series();
    assert_eq!(result.len(), 840);
    for column in [
        "residual",
        "trend",
        "seasonal",
        "weights",
        "baseline",
        "score",
        "anomalies",
    ] {
        assert!(result.has_column(column), "{column}");
    }
    assert_eq!(count(&result, "anomalies", |v| v != 0.0), 3);
}

/// Reference rows from statsmodels 0.14 `STL(series, seasonal=7, period=24).fit()` followed by
/// MSTICPy's integer cast and scipy `zscore`: (row, residual, trend, seasonal, baseline, score, anomaly).
const STATSMODELS_ROWS: [(usize, i64, i64, i64, i64, f64, i64); 7] = [
    (
        0,
        -11615960,
        791813560,
        93515986,
        885329547,
        -0.1406357516023769,
        0,
    ),
    (100, 37279620, 878172871, 52651189, 930824061, 0.449521, 0),
    (
        299,
        261330284,
        552491681,
        102945427,
        655437109,
        3.1537513838222546,
        1,
    ),
    (
        399, 295773799, 1131650647, 127862255, 1259512902, 3.569475, 1,
    ),
    (
        500, -214115753, 880429985, -190477028, 689952957, -2.584753, 0,
    ),
    (
        599, 353181952, 1294866863, 120862671, 1415729535, 4.262376, 1,
    ),
    (
        839,
        187044904,
        913418445,
        369293216,
        1282711661,
        2.257146995222827,
        0,
    ),
];

#[test]
fn stl_components_match_statsmodels() {
    let result = stl_of_series();
    let (residual, trend, seasonal, baseline) = (
        int_column(&result, "residual"),
        int_column(&result, "trend"),
        int_column(&result, "seasonal"),
        int_column(&result, "baseline"),
    );
    let score = result.column("score").unwrap();
    let score = score
        .as_any()
        .downcast_ref::<arrow::array::Float64Array>()
        .unwrap();
    for (row, r, t, s, b, z, a) in STATSMODELS_ROWS {
        // Integer truncation of components ~1e9 may differ by 1 where float rounding differs.
        for (name, values, expected) in [
            ("residual", &residual, r),
            ("trend", &trend, t),
            ("seasonal", &seasonal, s),
            ("baseline", &baseline, b),
        ] {
            assert!(
                (values[row] - expected).abs() <= 2,
                "row {row} {name} {} vs {expected}",
                values[row]
            );
        }
        assert!(
            (score.value(row) - z).abs() < 1e-5,
            "row {row} score {} vs {z}",
            score.value(row)
        );
        assert_eq!(int_column(&result, "anomalies")[row], a, "row {row}");
    }
    assert!(int_column(&result, "weights").iter().all(|w| *w == 1));
}

#[test]
fn three_anomaly_periods() {
    let periods = anomaly_periods(&series(), "TimeGenerated", "1h", true).unwrap();
    assert_eq!(periods.len(), 3);
    let result = stl_of_series();
    assert_eq!(
        anomaly_periods(&result, "TimeGenerated", "1h", true)
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn kql_filter_matches_msticpy() {
    let expected = "| where TimeGenerated between (datetime(2019-05-13 16:00:00+00:00) .. datetime(2019-05-13 18:00:00+00:00)) or";
    let kql = kql_periods(&series(), "TimeGenerated", "1h").unwrap();
    assert!(kql.starts_with(expected), "{kql}");
    assert_eq!(kql.split(' ').filter(|w| *w == "between").count(), 3);
    let periods = anomaly_periods(&series(), "TimeGenerated", "1h", true).unwrap();
    assert_eq!(create_time_period_kqlfilter(&periods), kql);
}

#[test]
fn new_thresholds_match_msticpy() {
    let data = series();
    assert_eq!(count(&data, "anomalies", |v| v == 1.0), 3);
    let relabelled = set_new_anomaly_threshold(&data, 2.0, None).unwrap();
    assert_eq!(count(&relabelled, "anomalies", |v| v != 0.0), 7);
    assert_eq!(count(&relabelled, "anomalies", |v| v == 1.0), 3);
    assert_eq!(count(&relabelled, "anomalies", |v| v == -1.0), 4);
    let relabelled = set_new_anomaly_threshold(&data, 2.0, Some(1.0)).unwrap();
    assert_eq!(count(&relabelled, "anomalies", |v| v != 0.0), 12);
    assert_eq!(relabelled.num_columns(), 5);
}
