//! Sessionizing and scoring MSTICPy's `demo_exchange_data.csv` (Exchange admin commands).
#![allow(clippy::excessive_precision)] // reference values are printed by MSTICPy with 17 digits

use mstic_analysis::{SessionKind, SessionOptions, SessionScorer, sessionize};
use mstic_core::Frame;
use mstic_core::paths::fixture;
use std::time::Duration;

/// MSTICPy's notebook settings: sessions per user and client IP, at most 20 minutes long, with
/// gaps of at most 2 minutes; `events` are the event columns kept.
fn exchange_options(events: &[&str]) -> SessionOptions {
    SessionOptions::default()
        .user_columns(&["UserId", "ClientIP"])
        .time_column("TimeGenerated")
        .max_session_time(Duration::from_secs(20 * 60))
        .max_event_separation(Duration::from_secs(2 * 60))
        .event_columns(events)
}

#[test]
fn exchange_sessions_are_scored() {
    let events = Frame::read_csv(fixture("msticpy/notebook-data/demo_exchange_data.csv").unwrap()).unwrap();
    let sessions = sessionize(&events, &exchange_options(&["Operation"])).unwrap();
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
    let scored = SessionScorer::new("Operation_list").window_length(3).score(&sessions).unwrap();
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

/// Summary of one `rarest_window{N}_likelihood` column from MSTICPy 3.0.2's `score_sessions` on
/// the same sessions (`sessionize_data(UserId, ClientIP; 20 min, 2 min gap)`, sessions built
/// from `Cmd(Operation, {p["Name"]…})` / `Cmd(Operation, {p["Name"]: p["Value"]…})` of the
/// parsed `Parameters` JSON), run with pandas 2 / Python 3.
struct MsticpyScores {
    window: usize,
    scored: usize,
    min: f64,
    max: f64,
    sum: f64,
    rarest_start: &'static str,
    rarest_window: &'static [&'static str],
}

const COMMANDS: [MsticpyScores; 2] = [
    MsticpyScores {
        window: 3,
        scored: 154,
        min: 2.1190391428910476e-05,
        max: 0.077296962117226461,
        sum: 6.7397060375414988,
        rarest_start: "2020-03-26T22:40:30",
        rarest_window: &["New-Mailbox", "Set-Mailbox"],
    },
    MsticpyScores {
        window: 2,
        scored: 400,
        min: 0.000177999288002848,
        max: 0.3107185869128864,
        sum: 60.989625104220352,
        rarest_start: "2020-05-21T18:18:58",
        rarest_window: &["Set-Mailbox"],
    },
];

const PARAM_SETS: [MsticpyScores; 2] = [
    MsticpyScores {
        window: 3,
        scored: 154,
        min: 2.5494013434253376e-07,
        max: 0.070748356426551265,
        sum: 5.8706360984596682,
        rarest_start: "2020-04-17T21:00:31",
        rarest_window: &["New-App", "New-App"],
    },
    MsticpyScores {
        window: 2,
        scored: 400,
        min: 3.3142217464529384e-06,
        max: 0.2632678489022825,
        sum: 49.663535434826777,
        rarest_start: "2020-04-17T21:00:31",
        rarest_window: &["New-App", "New-App"],
    },
];

const PARAM_VALUES: [MsticpyScores; 2] = [
    MsticpyScores {
        window: 3,
        scored: 154,
        min: 3.2978438045534182e-07,
        max: 0.03340756027220125,
        sum: 1.7815326641734721,
        rarest_start: "2020-05-02T11:31:53",
        rarest_window: &[
            "Set-ExchangeAssistanceConfig",
            "Set-AdminAuditLogConfig",
            "Set-TenantObjectVersion",
        ],
    },
    MsticpyScores {
        window: 2,
        scored: 400,
        min: 5.5341306455711926e-06,
        max: 0.27188356638940808,
        sum: 43.154589080587883,
        rarest_start: "2020-04-17T21:00:31",
        rarest_window: &["New-App", "New-App"],
    },
];

fn exchange_sessions() -> Frame {
    let events = Frame::read_csv(fixture("msticpy/notebook-data/demo_exchange_data.csv").unwrap()).unwrap();
    sessionize(&events, &exchange_options(&["Operation", "Parameters"])).unwrap()
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs()
}

fn check(scorer: SessionScorer, sessions: &Frame, expected: &MsticpyScores) {
    let n = expected.window;
    let scored = scorer.window_length(n).score(sessions).unwrap();
    let likelihoods = scored
        .column(&format!("rarest_window{n}_likelihood"))
        .unwrap();
    let likelihoods = likelihoods
        .as_any()
        .downcast_ref::<arrow::array::Float64Array>()
        .unwrap();
    let values: Vec<(usize, f64)> = likelihoods
        .iter()
        .enumerate()
        .filter_map(|(row, v)| v.map(|v| (row, v)))
        .collect();
    assert_eq!(values.len(), expected.scored, "window {n}");
    let (row, min) = values
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let max = values.iter().map(|v| v.1).fold(f64::MIN, f64::max);
    let sum: f64 = values.iter().map(|v| v.1).sum();
    assert!(
        close(min, expected.min),
        "window {n}: min {min} vs {}",
        expected.min
    );
    assert!(
        close(max, expected.max),
        "window {n}: max {max} vs {}",
        expected.max
    );
    assert!(
        close(sum, expected.sum),
        "window {n}: sum {sum} vs {}",
        expected.sum
    );
    let start = scored.column_strings("TimeGenerated_min").unwrap()[row]
        .clone()
        .unwrap();
    assert!(start.starts_with(expected.rarest_start), "{start}");
    let window = scored.column(&format!("rarest_window{n}")).unwrap();
    let window = window
        .as_any()
        .downcast_ref::<arrow::array::ListArray>()
        .unwrap()
        .value(row);
    let window = window
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .unwrap();
    let names: Vec<String> = window
        .iter()
        .map(|c| {
            let text = c.unwrap();
            match text.strip_prefix("Cmd(name='") {
                Some(rest) => rest.split('\'').next().unwrap().to_string(),
                None => text.to_string(),
            }
        })
        .collect();
    assert_eq!(names, expected.rarest_window, "window {n}");
}

#[test]
fn command_sessions_match_msticpy() {
    let sessions = exchange_sessions();
    for expected in &COMMANDS {
        check(SessionScorer::new("Operation_list"), &sessions, expected);
    }
}

#[test]
fn param_set_sessions_match_msticpy() {
    let sessions = exchange_sessions();
    let scorer = SessionScorer::new("Operation_list").param_sets("Parameters_list");
    assert_eq!(scorer.kind(), SessionKind::ParamSets);
    for expected in &PARAM_SETS {
        check(scorer.clone(), &sessions, expected);
    }
}

#[test]
fn param_value_sessions_match_msticpy() {
    let sessions = exchange_sessions();
    let scorer = SessionScorer::new("Operation_list").param_values("Parameters_list");
    for expected in &PARAM_VALUES {
        check(scorer.clone(), &sessions, expected);
    }
}

#[test]
fn geometric_mean_is_the_window_root() {
    let sessions = exchange_sessions();
    let plain = SessionScorer::new("Operation_list")
        .score(&sessions)
        .unwrap();
    let geo = SessionScorer::new("Operation_list")
        .use_geo_mean(true)
        .score(&sessions)
        .unwrap();
    let column = |frame: &Frame| -> Vec<Option<f64>> {
        let array = frame.column("rarest_window3_likelihood").unwrap();
        array
            .as_any()
            .downcast_ref::<arrow::array::Float64Array>()
            .unwrap()
            .iter()
            .collect()
    };
    for (p, g) in column(&plain).into_iter().zip(column(&geo)) {
        match (p, g) {
            (Some(p), Some(g)) => assert!((p.powf(1.0 / 3.0) - g).abs() < 1e-12),
            (None, None) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn bad_session_columns_are_named() {
    let sessions = exchange_sessions();
    let error = SessionScorer::new("Operations_list")
        .score(&sessions)
        .unwrap_err();
    assert!(error.to_string().contains("Operation_list"), "{error}");
    let error = SessionScorer::new("UserId").score(&sessions).unwrap_err();
    assert!(error.to_string().contains("list column"), "{error}");
    let error = SessionScorer::new("Operation_list")
        .window_length(0)
        .score(&sessions)
        .unwrap_err();
    assert!(error.to_string().contains("window_length"), "{error}");
}

/// The deprecated positional functions and `score_sessions_frame` give exactly what
/// `sessionize` and `SessionScorer` give.
#[test]
#[allow(deprecated)]
fn deprecated_functions_match_the_options_api() {
    use mstic_analysis::{score_sessions_frame, sessionize_data, sessionize_events};
    let events = Frame::read_csv(fixture("msticpy/notebook-data/demo_exchange_data.csv").unwrap()).unwrap();
    let one = sessionize_data(&events, &["UserId", "ClientIP"], "TimeGenerated", 20, 2, "Operation").unwrap();
    let expected = sessionize(&events, &exchange_options(&["Operation"])).unwrap();
    assert_eq!(one.to_batch().unwrap(), expected.to_batch().unwrap());
    assert_eq!(one.len(), EXPECTED_SESSIONS);
    let both = sessionize_events(
        &events,
        &["UserId", "ClientIP"],
        "TimeGenerated",
        20,
        2,
        &["Operation", "Parameters"],
    )
    .unwrap();
    assert_eq!(both.to_batch().unwrap(), exchange_sessions().to_batch().unwrap());
    let scored = score_sessions_frame(&one, "Operation_list", 3).unwrap();
    let expected = SessionScorer::new("Operation_list").window_length(3).score(&one).unwrap();
    assert_eq!(scored.to_batch().unwrap(), expected.to_batch().unwrap());
}
