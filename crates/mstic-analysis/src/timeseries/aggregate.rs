//! Builds the evenly spaced series STL needs from raw events (KQL `summarize … by bin(t, 1h)`
//! followed by `make-series … default=0`).

use crate::columns;
use arrow::array::{ArrayRef, Float64Array, Int64Array};
use mstic_core::timespan::parse_period;
use mstic_core::{Error, Frame, Result};
use std::sync::Arc;

/// Largest series [`aggregate_series`] builds, to catch an interval far too small for the range.
const MAX_INTERVALS: i64 = 50_000_000;

/// How events in one interval become one value in [`aggregate_series`].
///
/// # Example
///
/// ```
/// # use mstic_analysis::{Aggregation, aggregate_series};
/// # use mstic_core::Frame;
/// let events = Frame::from_string_rows(
///     &["TimeGenerated", "Bytes"],
///     &[
///         vec![Some("2024-01-01T00:10:00Z"), Some("100")],
///         vec![Some("2024-01-01T00:50:00Z"), Some("50")],
///         vec![Some("2024-01-01T02:05:00Z"), Some("7")],
///     ],
/// )?;
/// let bytes = aggregate_series(&events, "TimeGenerated", "1h", &Aggregation::Sum("Bytes".into()))?;
/// assert_eq!(bytes.to_vec::<f64>("Total")?, [150.0, 0.0, 7.0]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Aggregation {
    /// Number of events in the interval.
    Count,
    /// Sum of a numeric column over the interval's events (nulls count as 0).
    Sum(String),
}

/// Aggregates `events` into one row per `interval` (a pandas-style period such as `"1h"`), from
/// the first event's interval to the last one's, intervals without events as 0. Intervals are
/// aligned on the Unix epoch (like KQL `bin`). Columns: `time_column` and `Total` (integers for
/// [`Aggregation::Count`], floats for [`Aggregation::Sum`]) — the shape [`super::ts_anomalies_stl`]
/// and the anomalies chart expect.
///
/// # Example
///
/// ```
/// # use mstic_analysis::{Aggregation, aggregate_series};
/// # use mstic_core::Frame;
/// let events = Frame::from_string_rows(
///     &["TimeGenerated", "Bytes"],
///     &[
///         vec![Some("2024-01-01T00:10:00Z"), Some("100")],
///         vec![Some("2024-01-01T00:50:00Z"), Some("50")],
///         vec![Some("2024-01-01T02:05:00Z"), Some("7")],
///     ],
/// )?;
/// let hourly = aggregate_series(&events, "TimeGenerated", "1h", &Aggregation::Count)?;
/// assert_eq!(hourly.to_vec::<i64>("Total")?, [2, 0, 1]);
/// assert_eq!(hourly.len(), 3);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn aggregate_series(
    events: &Frame,
    time_column: &str,
    interval: &str,
    aggregation: &Aggregation,
) -> Result<Frame> {
    let step = parse_period(interval)?
        .num_nanoseconds()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            Error::invalid(
                "interval",
                format!("'{interval}' must be a positive duration"),
            )
        })?;
    let times = columns::times(events, time_column)?;
    let values: Option<Vec<Option<f64>>> = match aggregation {
        Aggregation::Count => None,
        Aggregation::Sum(column) => Some(columns::floats(events, column)?),
    };
    let bins: Vec<Option<i64>> = times
        .iter()
        .map(|t| t.map(|t| t.div_euclid(step)))
        .collect();
    let (Some(first), Some(last)) = (
        bins.iter().flatten().min().copied(),
        bins.iter().flatten().max().copied(),
    ) else {
        return Err(Error::invalid(
            "events",
            format!("no rows with a time in column '{time_column}'"),
        ));
    };
    let count = last - first + 1;
    if count > MAX_INTERVALS {
        return Err(Error::invalid(
            "interval",
            format!(
                "'{interval}' splits the events' time range into {count} intervals (limit {MAX_INTERVALS})"
            ),
        ));
    }
    let mut totals = vec![0.0_f64; count as usize];
    for (row, bin) in bins.iter().enumerate() {
        if let Some(bin) = bin {
            let slot = (bin - first) as usize;
            totals[slot] += match &values {
                None => 1.0,
                Some(values) => values[row].unwrap_or(0.0),
            };
        }
    }
    let stamps: Vec<i64> = (first..=last).map(|b| b * step).collect();
    let total: ArrayRef = match aggregation {
        Aggregation::Count => Arc::new(Int64Array::from(
            totals.iter().map(|&v| v as i64).collect::<Vec<_>>(),
        )),
        Aggregation::Sum(_) => Arc::new(Float64Array::from(totals)),
    };
    Frame::from_columns(vec![
        (time_column.to_string(), columns::timestamp_array(stamps)),
        ("Total".to_string(), total),
    ])
}
