//! Sessions from raw events (MSTICPy `sessionize_data`): [`sessionize`] with its
//! [`SessionOptions`]; score the sessions with [`crate::sessions::SessionScorer`].

use crate::columns;
use arrow::array::{ArrayRef, DurationNanosecondArray, Int64Array, StringArray};
use mstic_core::{Frame, Result, interrupt};
use std::sync::Arc;
use std::time::Duration;

/// Seconds in a minute, for the minute counts of the deprecated functions.
const SECONDS_PER_MINUTE: u64 = 60;

/// Settings of [`sessionize`]: which columns identify the user, hold the event time and the
/// events, and when a session ends.
///
/// Defaults (MSTICPy's `sessionize_data` limits): no user columns (all events belong to one
/// user), `time_column = "TimeGenerated"`, no event columns, `max_session_time` 20 minutes,
/// `max_event_separation` 2 minutes.
///
/// # Example
///
/// ```
/// # use mstic_analysis::SessionOptions;
/// use std::time::Duration;
/// let options = SessionOptions::default()
///     .user_columns(&["UserId", "ClientIP"])
///     .event_columns(&["Operation"])
///     .max_event_separation(Duration::from_secs(5 * 60));
/// assert_eq!(options.user_columns, ["UserId", "ClientIP"]);
/// assert_eq!(options.time_column, "TimeGenerated");
/// assert_eq!(options.max_session_time, Duration::from_secs(20 * 60));
/// assert_eq!(options.max_event_separation, Duration::from_secs(300));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SessionOptions {
    /// Columns identifying whose events they are (for example `UserId`, `ClientIP`); a change of
    /// any of them starts a new session. Empty: every event belongs to the same user.
    pub user_columns: Vec<String>,
    /// Column holding each event's time (default `TimeGenerated`).
    pub time_column: String,
    /// Columns kept from every event, each as an `<event>_list` column of the session
    /// (for example `Operation`, `Parameters`). Empty: no list columns.
    pub event_columns: Vec<String>,
    /// Longest time from a session's first to its last event (default 20 minutes).
    pub max_session_time: Duration,
    /// Longest gap between two consecutive events of a session (default 2 minutes).
    pub max_event_separation: Duration,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            user_columns: Vec::new(),
            time_column: "TimeGenerated".into(),
            event_columns: Vec::new(),
            max_session_time: Duration::from_secs(20 * SECONDS_PER_MINUTE),
            max_event_separation: Duration::from_secs(2 * SECONDS_PER_MINUTE),
        }
    }
}

impl SessionOptions {
    /// Sets the columns identifying the user.
    pub fn user_columns(mut self, user_columns: &[&str]) -> Self {
        self.user_columns = user_columns.iter().map(|c| c.to_string()).collect();
        self
    }

    /// Sets the event time column.
    pub fn time_column(mut self, time_column: &str) -> Self {
        self.time_column = time_column.to_string();
        self
    }

    /// Sets the event columns kept as `<event>_list` columns.
    pub fn event_columns(mut self, event_columns: &[&str]) -> Self {
        self.event_columns = event_columns.iter().map(|c| c.to_string()).collect();
        self
    }

    /// Sets the longest time from a session's first to its last event.
    pub fn max_session_time(mut self, max_session_time: Duration) -> Self {
        self.max_session_time = max_session_time;
        self
    }

    /// Sets the longest gap between two consecutive events of a session.
    pub fn max_event_separation(mut self, max_event_separation: Duration) -> Self {
        self.max_event_separation = max_event_separation;
        self
    }
}

/// `duration` in nanoseconds, saturating at the largest `i64`.
fn saturating_nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

/// A whole number of minutes as a duration; a negative count is no time at all.
fn minutes(count: i64) -> Duration {
    let count = u64::try_from(count).unwrap_or(0);
    Duration::from_secs(count.saturating_mul(SECONDS_PER_MINUTE))
}

/// MSTICPy `sessionize_data`: events into sessions, one row per session.
///
/// Events are ordered by the user columns then time; a session ends when a user column changes,
/// when two consecutive events are more than `max_event_separation` apart, or when it would run
/// past `max_session_time` (see [`SessionOptions`]). Null user values compare as one value.
/// Columns: the user columns, `<time>_min`, `<time>_max`, `<event>_list` for each event column
/// (a list of the session's events in time order), `duration` and `number_events`.
/// An interrupt of the cell stops it with `Error::Interrupted`.
///
/// # Example
///
/// ```
/// # use mstic_analysis::{SessionOptions, sessionize};
/// # use mstic_core::Frame;
/// let events = Frame::from_string_rows(
///     &["UserId", "TimeGenerated", "Operation"],
///     &[
///         vec![Some("alice"), Some("2024-01-01T10:00:00Z"), Some("Set-User")],
///         vec![Some("alice"), Some("2024-01-01T10:01:00Z"), Some("Set-Mailbox")],
///         vec![Some("alice"), Some("2024-01-01T10:30:00Z"), Some("Set-User")], // 29 min later
///         vec![Some("bob"), Some("2024-01-01T10:00:30Z"), Some("New-InboxRule")],
///     ],
/// )?;
/// let options = SessionOptions::default()
///     .user_columns(&["UserId"])
///     .time_column("TimeGenerated")
///     .event_columns(&["Operation"]);
/// let sessions = sessionize(&events, &options)?;
/// let users: Vec<String> = sessions.to_vec("UserId")?;
/// assert_eq!(users, ["alice", "alice", "bob"]);
/// assert_eq!(sessions.values::<i64>("number_events")?, [Some(2), Some(1), Some(1)]);
/// assert!(sessions.has_column("Operation_list") && sessions.has_column("TimeGenerated_min"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn sessionize(data: &Frame, options: &SessionOptions) -> Result<Frame> {
    let time_column = options.time_column.as_str();
    let times = columns::required_times(data, time_column)?;
    let mut event_values: Vec<Vec<Option<String>>> = Vec::new();
    for column in &options.event_columns {
        event_values.push(data.column_strings(&columns::resolve(data, column)?)?);
    }
    let mut users: Vec<Vec<Option<String>>> = Vec::new();
    for column in &options.user_columns {
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
    let max_gap = saturating_nanos(options.max_event_separation);
    let max_length = saturating_nanos(options.max_session_time);
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
                if changed || gap > max_gap || elapsed.saturating_add(gap) > max_length {
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
    for (index, column) in options.user_columns.iter().enumerate() {
        let values: StringArray = sessions
            .iter()
            .map(|s| users[index][s[0]].clone())
            .collect();
        out.push((column.clone(), Arc::new(values)));
    }
    let firsts: Vec<i64> = sessions.iter().map(|s| times[s[0]]).collect();
    let lasts: Vec<i64> = sessions
        .iter()
        .map(|s| times[*s.last().expect("sessions are never empty")])
        .collect();
    out.push((
        format!("{time_column}_min"),
        columns::timestamp_array(firsts.clone()),
    ));
    out.push((
        format!("{time_column}_max"),
        columns::timestamp_array(lasts.clone()),
    ));
    for (column, events) in options.event_columns.iter().zip(&event_values) {
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

/// MSTICPy `sessionize_data` with positional arguments and one event column: [`sessionize`]
/// with the limits in whole minutes (a negative count counts as 0).
///
/// # Example
///
/// ```
/// # use mstic_analysis::{SessionOptions, sessionize, sessionize_data};
/// # use mstic_core::Frame;
/// use std::time::Duration;
/// let events = Frame::from_string_rows(
///     &["UserId", "TimeGenerated", "Operation"],
///     &[
///         vec![Some("alice"), Some("2024-01-01T10:00:00Z"), Some("Set-User")],
///         vec![Some("alice"), Some("2024-01-01T10:05:00Z"), Some("Set-Mailbox")],
///     ],
/// )?;
/// #[allow(deprecated)]
/// let old = sessionize_data(&events, &["UserId"], "TimeGenerated", 20, 2, "Operation")?;
/// let new = sessionize(
///     &events,
///     &SessionOptions::default()
///         .user_columns(&["UserId"])
///         .time_column("TimeGenerated")
///         .max_session_time(Duration::from_secs(20 * 60))
///         .max_event_separation(Duration::from_secs(2 * 60))
///         .event_columns(&["Operation"]),
/// )?;
/// assert_eq!(old.values::<i64>("number_events")?, [Some(1), Some(1)]);
/// assert_eq!(old.to_batch()?, new.to_batch()?);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[deprecated(
    note = "use sessionize(&frame, &SessionOptions::default().user_columns(..).time_column(..).event_columns(&[..]))"
)]
pub fn sessionize_data(
    data: &Frame,
    user_columns: &[&str],
    time_column: &str,
    max_session_minutes: i64,
    max_event_separation_minutes: i64,
    event_column: &str,
) -> Result<Frame> {
    #[allow(deprecated)]
    sessionize_events(data, user_columns, time_column, max_session_minutes, max_event_separation_minutes, &[event_column])
}

/// [`sessionize`] with positional arguments and several event columns, each kept as its own
/// `<event>_list` column in the same order; the limits are whole minutes (a negative count
/// counts as 0).
///
/// # Example
///
/// ```
/// # use mstic_analysis::{SessionOptions, sessionize, sessionize_events};
/// # use mstic_core::Frame;
/// let events = Frame::from_string_rows(
///     &["UserId", "TimeGenerated", "Operation", "Parameters"],
///     &[
///         vec![Some("alice"), Some("2024-01-01T10:00:00Z"), Some("Set-User"), Some("Identity")],
///         vec![Some("alice"), Some("2024-01-01T10:01:00Z"), Some("Set-Mailbox"), Some("Identity")],
///     ],
/// )?;
/// #[allow(deprecated)]
/// let old = sessionize_events(&events, &["UserId"], "TimeGenerated", 20, 2, &["Operation", "Parameters"])?;
/// let options = SessionOptions::default()
///     .user_columns(&["UserId"])
///     .event_columns(&["Operation", "Parameters"]);
/// assert_eq!(old.values::<i64>("number_events")?, [Some(2)]);
/// assert_eq!(old.to_batch()?, sessionize(&events, &options)?.to_batch()?);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[deprecated(
    note = "use sessionize(&frame, &SessionOptions::default().user_columns(..).time_column(..).event_columns(..))"
)]
pub fn sessionize_events(
    data: &Frame,
    user_columns: &[&str],
    time_column: &str,
    max_session_minutes: i64,
    max_event_separation_minutes: i64,
    event_columns: &[&str],
) -> Result<Frame> {
    let options = SessionOptions::default()
        .user_columns(user_columns)
        .time_column(time_column)
        .max_session_time(minutes(max_session_minutes))
        .max_event_separation(minutes(max_event_separation_minutes))
        .event_columns(event_columns);
    sessionize(data, &options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_counts_become_durations() {
        assert_eq!(minutes(20), Duration::from_secs(1200));
        assert_eq!(minutes(-3), Duration::ZERO);
        assert_eq!(saturating_nanos(Duration::MAX), i64::MAX);
        assert_eq!(saturating_nanos(minutes(2)), 120_000_000_000);
    }

    #[test]
    fn long_gap_and_long_session_split() {
        let rows: Vec<Vec<Option<&str>>> = [
            "2024-01-01T10:00:00Z",
            "2024-01-01T10:01:30Z",
            "2024-01-01T10:03:00Z",
            "2024-01-01T10:06:00Z", // 3 min gap: new session
            "2024-01-01T10:07:00Z",
        ]
        .iter()
        .map(|t| vec![Some("u"), Some(*t)])
        .collect();
        let events = Frame::from_string_rows(&["User", "Time"], &rows).unwrap();
        let options = SessionOptions::default()
            .user_columns(&["User"])
            .time_column("Time");
        let sessions = sessionize(&events, &options).unwrap();
        assert_eq!(
            sessions.values::<i64>("number_events").unwrap(),
            [Some(3), Some(2)]
        );
        let short = options.max_session_time(Duration::from_secs(120));
        let sessions = sessionize(&events, &short).unwrap();
        assert_eq!(
            sessions.values::<i64>("number_events").unwrap(),
            [Some(2), Some(1), Some(2)]
        );
    }
}
