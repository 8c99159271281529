//! Sessions from raw events (MSTICPy `sessionize_data`); score them with
//! [`crate::sessions::SessionScorer`].

use crate::columns;
use arrow::array::{ArrayRef, DurationNanosecondArray, Int64Array, StringArray};
use mstic_core::{Frame, Result, interrupt};
use std::sync::Arc;

const MINUTE_NS: i64 = 60_000_000_000;

/// MSTICPy `sessionize_data`: one row per session. Events are ordered by the user columns then
/// time; a session ends when a user column changes, when two events are more than
/// `max_event_separation_mins` apart, or when it would run past `max_session_time_mins`.
/// Columns: the user columns, `<time>_min`, `<time>_max`, `<event>_list` (a list of the events),
/// `duration` and `number_events`.
pub fn sessionize_data(
    data: &Frame,
    user_identifier_cols: &[&str],
    time_col: &str,
    max_session_time_mins: i64,
    max_event_separation_mins: i64,
    event_col: &str,
) -> Result<Frame> {
    sessionize_events(
        data,
        user_identifier_cols,
        time_col,
        max_session_time_mins,
        max_event_separation_mins,
        &[event_col],
    )
}

/// [`sessionize_data`] keeping several event columns, each as its own `<event>_list` column in
/// the same order — e.g. `Operation` and `Parameters` for scoring sessions of commands with
/// parameters ([`crate::sessions::SessionScorer`]).
pub fn sessionize_events(
    data: &Frame,
    user_identifier_cols: &[&str],
    time_col: &str,
    max_session_time_mins: i64,
    max_event_separation_mins: i64,
    event_cols: &[&str],
) -> Result<Frame> {
    let times = columns::required_times(data, time_col)?;
    let mut event_values: Vec<Vec<Option<String>>> = Vec::new();
    for column in event_cols {
        event_values.push(data.column_strings(&columns::resolve(data, column)?)?);
    }
    let mut users: Vec<Vec<Option<String>>> = Vec::new();
    for column in user_identifier_cols {
        users.push(data.column_strings(&columns::resolve(data, column)?)?);
    }
    // Nulls sort and compare as one value, as MSTICPy's "dummy_str" stand-in does.
    let key = |row: usize| -> Vec<&str> {
        users
            .iter()
            .map(|u| u[row].as_deref().unwrap_or("dummy_str"))
            .collect()
    };
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by(|&a, &b| key(a).cmp(&key(b)).then(times[a].cmp(&times[b])));
    let (max_gap, max_length) = (
        max_event_separation_mins * MINUTE_NS,
        max_session_time_mins * MINUTE_NS,
    );
    let mut sessions: Vec<Vec<usize>> = Vec::new();
    let mut elapsed = 0_i64;
    for (position, &row) in order.iter().enumerate() {
        if position % 4096 == 0 {
            interrupt::check("sessionizing the events")?;
        }
        let new_session = match position.checked_sub(1).map(|p| order[p]) {
            None => true,
            Some(previous) => {
                let gap = times[row] - times[previous];
                let changed = key(row) != key(previous);
                if changed || gap > max_gap || elapsed + gap > max_length {
                    true
                } else {
                    elapsed += gap;
                    false
                }
            }
        };
        if new_session {
            elapsed = 0;
            sessions.push(Vec::new());
        }
        sessions
            .last_mut()
            .expect("a session was just opened")
            .push(row);
    }
    let mut out: Vec<(String, ArrayRef)> = Vec::new();
    for (index, column) in user_identifier_cols.iter().enumerate() {
        let values: StringArray = sessions
            .iter()
            .map(|s| users[index][s[0]].clone())
            .collect();
        out.push((column.to_string(), Arc::new(values)));
    }
    let firsts: Vec<i64> = sessions.iter().map(|s| times[s[0]]).collect();
    let lasts: Vec<i64> = sessions
        .iter()
        .map(|s| times[*s.last().expect("sessions are never empty")])
        .collect();
    out.push((
        format!("{time_col}_min"),
        columns::timestamp_array(firsts.clone()),
    ));
    out.push((
        format!("{time_col}_max"),
        columns::timestamp_array(lasts.clone()),
    ));
    for (column, events) in event_cols.iter().zip(&event_values) {
        let lists: Vec<Vec<String>> = sessions
            .iter()
            .map(|s| {
                s.iter()
                    .map(|&r| events[r].clone().unwrap_or_default())
                    .collect()
            })
            .collect();
        out.push((format!("{column}_list"), columns::list_column(&lists)));
    }
    let durations: Vec<i64> = firsts.iter().zip(&lasts).map(|(f, l)| l - f).collect();
    out.push((
        "duration".into(),
        Arc::new(DurationNanosecondArray::from(durations)),
    ));
    out.push((
        "number_events".into(),
        Arc::new(Int64Array::from(
            sessions.iter().map(|s| s.len() as i64).collect::<Vec<_>>(),
        )),
    ));
    Frame::from_columns(out)
}
