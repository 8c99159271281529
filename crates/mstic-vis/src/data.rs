//! Reading chart inputs out of a Frame: times (ms since the epoch), numbers and display text, with
//! errors that name the column and the parameter.

use crate::options::parse_time;
use arrow::array::{Array, Float64Array, Int64Array};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, TimeUnit};
use mstic_core::{Error, Frame, Result};

/// A column's date-times as milliseconds since 1970 (UTC); `parameter` names the option in errors.
pub(crate) fn times(frame: &Frame, column: &str, parameter: &str) -> Result<Vec<Option<f64>>> {
    let array = frame.column(column).map_err(|e| wrap(e, parameter))?;
    match array.data_type() {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
            let tz = match array.data_type() {
                DataType::Timestamp(_, tz) => tz.clone(),
                _ => None,
            };
            let millis = cast_with_options(&array, &DataType::Timestamp(TimeUnit::Millisecond, tz), &CastOptions::default())?;
            let ints = cast_with_options(&millis, &DataType::Int64, &CastOptions::default())?;
            let ints = ints.as_any().downcast_ref::<Int64Array>().ok_or_else(|| Error::Other("timestamp cast".into()))?;
            Ok(ints.iter().map(|v| v.map(|v| v as f64)).collect())
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let strings = frame.column_strings(column)?;
            let parsed: Vec<Option<f64>> = strings.iter().map(|s| s.as_deref().and_then(parse_time)).collect();
            let given = strings.iter().filter(|s| s.as_deref().is_some_and(|s| !s.trim().is_empty())).count();
            let read = parsed.iter().filter(|v| v.is_some()).count();
            if given > 0 && read == 0 {
                let first = strings.iter().flatten().next().cloned().unwrap_or_default();
                return Err(Error::invalid(parameter, format!("column '{column}' holds no date-times (first value '{first}')")));
            }
            Ok(parsed)
        }
        other => Err(Error::invalid(parameter, format!("column '{column}' is {other}, not a date-time"))),
    }
}

/// A column as numbers (text that is not a number becomes missing).
pub(crate) fn numbers(frame: &Frame, column: &str, parameter: &str) -> Result<Vec<Option<f64>>> {
    let array = frame.column(column).map_err(|e| wrap(e, parameter))?;
    let source = match array.data_type() {
        DataType::Boolean => cast_with_options(&array, &DataType::Int8, &CastOptions::default())?,
        DataType::Timestamp(..) => return times(frame, column, parameter),
        _ => array,
    };
    let options = CastOptions { safe: true, ..Default::default() };
    let floats = cast_with_options(&source, &DataType::Float64, &options)
        .map_err(|_| Error::invalid(parameter, format!("column '{column}' is {}, not numeric", source.data_type())))?;
    let floats = floats.as_any().downcast_ref::<Float64Array>().ok_or_else(|| Error::Other("float cast".into()))?;
    Ok(floats.iter().map(|v| v.filter(|f| f.is_finite())).collect())
}

/// A column as display text (missing values as empty text; date-times as `YYYY-MM-DD hh:mm:ss`).
pub(crate) fn texts(frame: &Frame, column: &str, parameter: &str) -> Result<Vec<String>> {
    let array = frame.column(column).map_err(|e| wrap(e, parameter))?;
    if matches!(array.data_type(), DataType::Timestamp(..)) {
        return Ok(times(frame, column, parameter)?.into_iter().map(|t| t.map(format_time).unwrap_or_default()).collect());
    }
    Ok(frame.column_strings(column)?.into_iter().map(Option::unwrap_or_default).collect())
}

/// Several columns as text, one `Vec` per column.
pub(crate) fn text_columns(frame: &Frame, columns: &[String], parameter: &str) -> Result<Vec<Vec<String>>> {
    columns.iter().map(|c| texts(frame, c, parameter)).collect()
}

/// A time as `YYYY-MM-DD hh:mm:ss[.fff]` (UTC).
pub(crate) fn format_time(millis: f64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_millis(millis as i64) else {
        return String::new();
    };
    if t.timestamp_subsec_millis() == 0 { t.format("%Y-%m-%d %H:%M:%S").to_string() } else { t.format("%Y-%m-%d %H:%M:%S%.3f").to_string() }
}

/// An unknown-column error with the parameter that named it.
fn wrap(error: Error, parameter: &str) -> Error {
    match error {
        Error::Unknown { name, suggestions, .. } => {
            let hint = if suggestions.is_empty() { String::new() } else { format!("; did you mean: {}?", suggestions.join(", ")) };
            Error::invalid(parameter, format!("unknown column '{name}'{hint}"))
        }
        other => other,
    }
}

/// The time column of an event frame: `TimeGenerated`, else the first of the usual others.
pub(crate) fn event_time_column(frame: &Frame) -> String {
    first_present(frame, "TimeGenerated", &["TimeCreated", "Timestamp", "@timestamp", "StartTime"])
}

/// Picks `default` when the frame has it, else the first of `fallbacks` that it has.
pub(crate) fn first_present(frame: &Frame, default: &str, fallbacks: &[&str]) -> String {
    if frame.has_column(default) {
        return default.to_string();
    }
    fallbacks.iter().find(|c| frame.has_column(c)).map(|c| c.to_string()).unwrap_or_else(|| default.to_string())
}

/// `n` with thousands separators (`100,000`).
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, StringArray};
    use std::sync::Arc;

    #[test]
    fn text_times_and_numbers_are_read() {
        let frame = Frame::from_columns(vec![
            ("t".into(), Arc::new(StringArray::from(vec![Some("1970-01-01 00:00:02"), None])) as ArrayRef),
            ("n".into(), Arc::new(StringArray::from(vec![Some("2.5"), Some("x")])) as ArrayRef),
        ])
        .unwrap();
        assert_eq!(times(&frame, "t", "time_column").unwrap(), vec![Some(2000.0), None]);
        assert_eq!(numbers(&frame, "n", "value_column").unwrap(), vec![Some(2.5), None]);
        let err = times(&frame, "n", "time_column").unwrap_err().to_string();
        assert!(err.contains("time_column") && err.contains("'n'"), "{err}");
        let err = times(&frame, "tt", "time_column").unwrap_err().to_string();
        assert!(err.contains("unknown column 'tt'") && err.contains("did you mean: t"), "{err}");
    }

    #[test]
    fn formats() {
        assert_eq!(format_time(1500.0), "1970-01-01 00:00:01.500");
        assert_eq!(thousands(100000), "100,000");
        assert_eq!(thousands(999), "999");
    }
}
