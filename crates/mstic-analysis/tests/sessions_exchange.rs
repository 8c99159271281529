//! Sessionizing and scoring MSTICPy's `demo_exchange_data.csv` (Exchange admin commands).

use mstic_analysis::sessionize::{score_sessions_frame, sessionize_data};
use mstic_core::Frame;
use mstic_core::paths::fixture;

#[test]
fn exchange_sessions_are_scored() {
    let events = Frame::read_csv(fixture("msticpy/notebook-data/demo_exchange_data.csv")).unwrap();
    let sessions = sessionize_data(
        &events,
        &["UserId", "ClientIP"],
        "TimeGenerated",
        20,
        2,
        "Operation",
    )
    .unwrap();
    assert_eq!(events.len(), 1334);
    let counts = sessions.column("number_events").unwrap();
    let counts = counts
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>()
        .unwrap();
    assert_eq!(counts.iter().flatten().sum::<i64>() as usize, events.len());
    assert_eq!(sessions.len(), EXPECTED_SESSIONS);
    let durations = sessions.column("duration").unwrap();
    let durations = durations
        .as_any()
        .downcast_ref::<arrow::array::DurationNanosecondArray>()
        .unwrap();
    assert!(
        durations
            .iter()
            .flatten()
            .all(|d| (0..=20 * 60_000_000_000).contains(&d))
    );
    let scored = score_sessions_frame(&sessions, "Operation_list", 3).unwrap();
    let likelihood = scored.column("rarest_window3_likelihood").unwrap();
    let likelihood = likelihood
        .as_any()
        .downcast_ref::<arrow::array::Float64Array>()
        .unwrap();
    assert!(likelihood.iter().flatten().all(|l| l > 0.0 && l <= 1.0));
    assert!(scored.has_column("rarest_window3"));
}

/// Session count from MSTICPy's `create_session_col` rules run with pandas on the same file.
const EXPECTED_SESSIONS: usize = 400;
