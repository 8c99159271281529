//! Splunk search-export output: one JSON object per line (`{"result":{…}}`, `{"messages":[…]}`),
//! every value a string (multivalue fields are lists). Column types are inferred from the
//! values: integers, floats, date-times, else text.

use super::Converted;
use super::values::{parse_datetime_nanos, parse_real};
use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray, TimestampNanosecondArray};
use mstic_core::{Error, Frame, Result};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Converts Splunk export lines. `ERROR`/`FATAL` messages become the partial-failure message;
/// a line that is not JSON is an error naming its line number.
pub fn splunk_lines_to_frame(body: &[u8]) -> Result<Converted> {
    let text = String::from_utf8_lossy(body);
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut columns: Vec<Vec<Option<String>>> = Vec::new();
    let mut rows = 0usize;
    let mut messages = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| Error::Remote {
            service: "Splunk".into(),
            message: format!("line {} of the search output is not JSON: {e}", number + 1),
        })?;
        if let Some(Value::Array(items)) = value.get("messages") {
            for item in items {
                let kind = item.get("type").and_then(Value::as_str).unwrap_or_default();
                if kind.eq_ignore_ascii_case("ERROR") || kind.eq_ignore_ascii_case("FATAL") {
                    messages.push(item.get("text").and_then(Value::as_str).unwrap_or_default().to_string());
                }
            }
        }
        let results: Vec<&Value> = match (value.get("result"), value.get("results")) {
            (Some(result), _) => vec![result],
            (None, Some(Value::Array(list))) => list.iter().collect(),
            _ => Vec::new(),
        };
        for result in results {
            let Value::Object(fields) = result else { continue };
            for (name, value) in fields {
                let column = *index.entry(name.clone()).or_insert_with(|| {
                    names.push(name.clone());
                    columns.push(vec![None; rows]);
                    columns.len() - 1
                });
                let text = match value {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                };
                columns[column].push(text);
            }
            rows += 1;
            for column in columns.iter_mut() {
                column.resize(rows, None);
            }
        }
    }
    let arrays: Vec<(String, ArrayRef)> = names.into_iter().zip(columns).map(|(name, values)| (name, infer_column(&values))).collect();
    let frame = if arrays.is_empty() { Frame::empty(Arc::new(arrow::datatypes::Schema::empty())) } else { Frame::from_columns(arrays)? };
    let partial_error = (!messages.is_empty()).then(|| messages.join("; "));
    Ok(Converted { frame, partial_error })
}

/// The narrowest Arrow column holding every value: Int64, Float64, UTC timestamp, else text.
pub fn infer_column(values: &[Option<String>]) -> ArrayRef {
    let present = || values.iter().flatten().map(|s| s.trim());
    if present().next().is_none() {
        return Arc::new(StringArray::from_iter(values.iter().map(|v| v.as_deref())));
    }
    if present().all(|s| s.parse::<i64>().is_ok()) {
        return Arc::new(Int64Array::from_iter(values.iter().map(|v| v.as_deref().and_then(|s| s.trim().parse().ok()))));
    }
    if present().all(|s| s.parse::<f64>().is_ok() || parse_real(s).is_some_and(f64::is_nan)) {
        return Arc::new(Float64Array::from_iter(values.iter().map(|v| v.as_deref().and_then(parse_real))));
    }
    if present().all(|s| parse_datetime_nanos(s).is_some()) {
        let array = TimestampNanosecondArray::from_iter(values.iter().map(|v| v.as_deref().and_then(parse_datetime_nanos)));
        return Arc::new(array.with_timezone("UTC"));
    }
    Arc::new(StringArray::from_iter(values.iter().map(|v| v.as_deref())))
}
