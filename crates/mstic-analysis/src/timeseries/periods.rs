//! Anomaly periods, their KQL time filter, and re-thresholding of scored series (MSTICPy
//! `extract_anomaly_periods`, `create_time_period_kqlfilter`, `set_new_anomaly_threshold`).

use crate::columns;
use arrow::array::{ArrayRef, Int64Array};
use chrono::{DateTime, Utc};
use mstic_core::timespan::{TimeSpan, parse_period};
use mstic_core::{Error, Frame, Result};
use std::sync::Arc;

/// Time ranges around anomalies, in time order.
pub type AnomalyPeriods = Vec<TimeSpan>;

fn to_datetime(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

/// MSTICPy `extract_anomaly_periods` / `find_anomaly_periods`: anomalies (`anomalies == 1`, or
/// also `-1` when `pos_only` is false) are bucketed by `period` (a pandas-style string such as
/// `"1h"`), each bucket is padded by one period either side, and buckets no more than two periods
/// after the previous anomaly extend the current range instead of opening a new one.
///
/// # Example
///
/// ```
/// # use mstic_analysis::anomaly_periods;
/// # use mstic_core::Frame;
/// // Hourly rows, the one at 02:00 flagged as a spike.
/// let scored = Frame::from_string_rows(
///     &["TimeGenerated", "anomalies"],
///     &[
///         vec![Some("2024-01-01T00:00:00Z"), Some("0")],
///         vec![Some("2024-01-01T01:00:00Z"), Some("0")],
///         vec![Some("2024-01-01T02:00:00Z"), Some("1")],
///         vec![Some("2024-01-01T03:00:00Z"), Some("0")],
///         vec![Some("2024-01-01T04:00:00Z"), Some("-1")],
///     ],
/// )?;
/// let spikes = anomaly_periods(&scored, "TimeGenerated", "1h", true)?;
/// assert_eq!(spikes.len(), 1);
/// assert_eq!(spikes[0].start().to_rfc3339(), "2024-01-01T01:00:00+00:00");
/// assert_eq!(spikes[0].end().to_rfc3339(), "2024-01-01T03:00:00+00:00");
/// let spikes_and_dips = anomaly_periods(&scored, "TimeGenerated", "1h", false)?;
/// assert_eq!(spikes_and_dips[0].end().to_rfc3339(), "2024-01-01T05:00:00+00:00");
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn anomaly_periods(
    data: &Frame,
    time_column: &str,
    period: &str,
    pos_only: bool,
) -> Result<AnomalyPeriods> {
    let step = parse_period(period)?;
    let step_ns = step.num_nanoseconds().filter(|n| *n > 0).ok_or_else(|| {
        Error::invalid("period", format!("'{period}' must be a positive duration"))
    })?;
    let flags = columns::floats(data, "anomalies")?;
    let times = columns::times(data, time_column)?;
    let mut anomalous: Vec<i64> = times
        .iter()
        .zip(&flags)
        .filter_map(|(t, f)| match (t, f) {
            (Some(t), Some(f)) if *f == 1.0 || (!pos_only && *f == -1.0) => Some(*t),
            _ => None,
        })
        .collect();
    anomalous.sort_unstable();
    let Some(&first) = anomalous.first() else {
        return Ok(Vec::new());
    };
    // pandas resamples from midnight of the first day ("start_day" origin).
    const DAY_NS: i64 = 86_400_000_000_000;
    let origin = first.div_euclid(DAY_NS) * DAY_NS;
    let mut buckets: Vec<i64> = anomalous
        .iter()
        .map(|t| origin + (t - origin).div_euclid(step_ns) * step_ns)
        .collect();
    buckets.dedup();
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    let mut previous: Option<i64> = None;
    for bucket in buckets {
        match (previous, ranges.last_mut()) {
            (Some(prev), Some(last)) if bucket - prev <= 2 * step_ns => last.1 = bucket + step_ns,
            _ => ranges.push((bucket - step_ns, bucket + step_ns)),
        }
        previous = Some(bucket);
    }
    ranges
        .into_iter()
        .map(|(start, end)| TimeSpan::new(to_datetime(start), to_datetime(end)))
        .collect()
}

/// A time as pandas prints a UTC `Timestamp`: `2019-05-13 16:00:00+00:00` (fraction if any).
fn pandas_time(time: DateTime<Utc>) -> String {
    if time.timestamp_subsec_nanos() == 0 {
        time.format("%Y-%m-%d %H:%M:%S+00:00").to_string()
    } else {
        time.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()
    }
}

/// MSTICPy `create_time_period_kqlfilter`: `| where TimeGenerated between (datetime(a) ..
/// datetime(b)) or …` for `periods`; empty text when there are none.
///
/// # Example
///
/// ```
/// # use mstic_analysis::{anomaly_periods, create_time_period_kqlfilter};
/// # use mstic_core::Frame;
/// // Hourly rows, the one at 02:00 flagged as a spike.
/// let scored = Frame::from_string_rows(
///     &["TimeGenerated", "anomalies"],
///     &[
///         vec![Some("2024-01-01T00:00:00Z"), Some("0")],
///         vec![Some("2024-01-01T01:00:00Z"), Some("0")],
///         vec![Some("2024-01-01T02:00:00Z"), Some("1")],
///         vec![Some("2024-01-01T03:00:00Z"), Some("0")],
///         vec![Some("2024-01-01T04:00:00Z"), Some("-1")],
///     ],
/// )?;
/// let periods = anomaly_periods(&scored, "TimeGenerated", "1h", true)?;
/// assert_eq!(
///     create_time_period_kqlfilter(&periods),
///     "| where TimeGenerated between (datetime(2024-01-01 01:00:00+00:00) .. datetime(2024-01-01 03:00:00+00:00))"
/// );
/// assert_eq!(create_time_period_kqlfilter(&[]), "");
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn create_time_period_kqlfilter(periods: &[TimeSpan]) -> String {
    kql_filter("TimeGenerated", periods)
}

fn kql_filter(time_column: &str, periods: &[TimeSpan]) -> String {
    if periods.is_empty() {
        return String::new();
    }
    let clauses: Vec<String> = periods
        .iter()
        .map(|p| {
            format!(
                "{time_column} between (datetime({}) .. datetime({}))",
                pandas_time(p.start()),
                pandas_time(p.end())
            )
        })
        .collect();
    format!("| where {}", clauses.join(" or "))
}

/// The KQL filter for the positive anomaly periods of a scored series (MSTICPy's
/// `mp_timeseries.kql_periods`), with `time_column` as the filtered column.
///
/// # Example
///
/// ```
/// # use mstic_analysis::kql_periods;
/// # use mstic_core::Frame;
/// // Hourly rows, the one at 02:00 flagged as a spike.
/// let scored = Frame::from_string_rows(
///     &["TimeGenerated", "anomalies"],
///     &[
///         vec![Some("2024-01-01T00:00:00Z"), Some("0")],
///         vec![Some("2024-01-01T01:00:00Z"), Some("0")],
///         vec![Some("2024-01-01T02:00:00Z"), Some("1")],
///         vec![Some("2024-01-01T03:00:00Z"), Some("0")],
///         vec![Some("2024-01-01T04:00:00Z"), Some("-1")],
///     ],
/// )?;
/// assert_eq!(
///     kql_periods(&scored, "TimeGenerated", "1h")?,
///     "| where TimeGenerated between (datetime(2024-01-01 01:00:00+00:00) .. datetime(2024-01-01 03:00:00+00:00))"
/// );
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn kql_periods(data: &Frame, time_column: &str, period: &str) -> Result<String> {
    let periods = anomaly_periods(data, time_column, period, true)?;
    Ok(kql_filter(time_column, &periods))
}

/// MSTICPy `set_new_anomaly_threshold`: relabels `anomalies` from the `score` column — `1` where
/// score ≥ `threshold`, `-1` where score ≤ −`threshold_low` (default and `0` mean `threshold`),
/// else `0`. The new `anomalies` column is placed last, as in MSTICPy.
///
/// # Example
///
/// ```
/// # use mstic_analysis::set_new_anomaly_threshold;
/// # use mstic_core::Frame;
/// let scored = Frame::from_string_rows(
///     &["score", "anomalies"],
///     &[vec![Some("0.5"), Some("0")], vec![Some("2.5"), Some("0")], vec![Some("-1.5"), Some("0")]],
/// )?;
/// let relabelled = set_new_anomaly_threshold(&scored, 2.0, None)?;
/// assert_eq!(relabelled.to_vec::<i64>("anomalies")?, [0, 1, 0]);
/// let with_low = set_new_anomaly_threshold(&scored, 2.0, Some(1.0))?;
/// assert_eq!(with_low.to_vec::<i64>("anomalies")?, [0, 1, -1]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn set_new_anomaly_threshold(
    data: &Frame,
    threshold: f64,
    threshold_low: Option<f64>,
) -> Result<Frame> {
    let low = threshold_low.filter(|l| *l != 0.0).unwrap_or(threshold);
    let scores = columns::floats(data, "score")?;
    let labels: Vec<i64> = scores
        .iter()
        .map(|s| match s {
            Some(s) if *s <= -low => -1,
            Some(s) if *s >= threshold => 1,
            _ => 0,
        })
        .collect();
    let mut out: Vec<(String, ArrayRef)> = Vec::new();
    for name in data.columns() {
        if name != "anomalies" {
            out.push((name.clone(), data.column(&name)?));
        }
    }
    out.push(("anomalies".to_string(), Arc::new(Int64Array::from(labels))));
    Frame::from_columns(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pandas_time_format_matches() {
        let t = DateTime::parse_from_rfc3339("2019-05-13T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(pandas_time(t), "2019-05-13 16:00:00+00:00");
        let f = DateTime::parse_from_rfc3339("2019-05-13T16:00:00.25Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(pandas_time(f), "2019-05-13 16:00:00.250000+00:00");
    }

    #[test]
    fn empty_periods_give_empty_filter() {
        assert_eq!(create_time_period_kqlfilter(&[]), "");
    }
}
