//! Sessions from raw events (MSTICPy `sessionize_data`) and scoring of a frame of sessions with
//! the Markov model (MSTICPy `score_sessions`).

use crate::columns;
use crate::sessions::MarkovModel;
use arrow::array::{
    Array, ArrayRef, DurationNanosecondArray, Float64Array, Int64Array, ListArray, ListBuilder,
    StringArray, StringBuilder,
};
use mstic_core::{Error, Frame, Result};
use std::sync::Arc;

const MINUTE_NS: i64 = 60_000_000_000;

fn list_column(lists: &[Vec<String>]) -> ArrayRef {
    let mut builder = ListBuilder::new(StringBuilder::new());
    for list in lists {
        for item in list {
            builder.values().append_value(item);
        }
        builder.append(true);
    }
    Arc::new(builder.finish())
}

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
    let times = columns::required_times(data, time_col)?;
    let events = data.column_strings(&columns::resolve(data, event_col)?)?;
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
    let lists: Vec<Vec<String>> = sessions
        .iter()
        .map(|s| {
            s.iter()
                .map(|&r| events[r].clone().unwrap_or_default())
                .collect()
        })
        .collect();
    out.push((
        format!("{time_col}_min"),
        columns::timestamp_array(firsts.clone()),
    ));
    out.push((
        format!("{time_col}_max"),
        columns::timestamp_array(lasts.clone()),
    ));
    out.push((format!("{event_col}_list"), list_column(&lists)));
    let durations: Vec<i64> = firsts.iter().zip(&lasts).map(|(f, l)| l - f).collect();
    out.push((
        "duration".into(),
        Arc::new(DurationNanosecondArray::from(durations)),
    ));
    out.push((
        "number_events".into(),
        Arc::new(Int64Array::from(
            lists.iter().map(|l| l.len() as i64).collect::<Vec<_>>(),
        )),
    ));
    Frame::from_columns(out)
}

/// MSTICPy `score_sessions` on a frame: trains the command Markov model on `session_column`
/// (a list column such as `Operation_list` from [`sessionize_data`]) and adds
/// `rarest_window{N}_likelihood` and `rarest_window{N}` for windows of `window_length`.
pub fn score_sessions_frame(
    data: &Frame,
    session_column: &str,
    window_length: usize,
) -> Result<Frame> {
    let name = columns::resolve(data, session_column)?;
    let array = data.column(&name)?;
    let lists = array.as_any().downcast_ref::<ListArray>().ok_or_else(|| {
        Error::invalid(
            format!("session column '{session_column}'"),
            "must be a list of commands (see sessionize_data)",
        )
    })?;
    let sessions: Vec<Vec<String>> = (0..lists.len())
        .map(|row| {
            if lists.is_null(row) {
                return Vec::new();
            }
            let values = lists.value(row);
            let text = arrow::compute::cast(&values, &arrow::datatypes::DataType::Utf8).ok();
            let text = text
                .as_ref()
                .and_then(|t| t.as_any().downcast_ref::<StringArray>().cloned());
            text.map(|t| {
                t.iter()
                    .map(|v| v.unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
        })
        .collect();
    let model = MarkovModel::train(&sessions);
    let scored: Vec<_> = sessions
        .iter()
        .map(|s| model.rarest_window(s, window_length, false))
        .collect();
    let mut out: Vec<(String, ArrayRef)> = Vec::new();
    for column in data.columns() {
        out.push((column.clone(), data.column(&column)?));
    }
    let likelihoods: Float64Array = scored
        .iter()
        .map(|r| Some(r.likelihood).filter(|l| !l.is_nan()))
        .collect();
    out.push((
        format!("rarest_window{window_length}_likelihood"),
        Arc::new(likelihoods),
    ));
    let windows: Vec<Vec<String>> = scored.into_iter().map(|r| r.window).collect();
    out.push((
        format!("rarest_window{window_length}"),
        list_column(&windows),
    ));
    Frame::from_columns(out)
}
