//! Makes every date-time column a UTC Arrow timestamp: naive timestamps get the UTC zone, and
//! text columns whose every value is an ISO-8601 date-time are converted.

use super::Frame;
use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use regex::Regex;
use std::sync::{Arc, OnceLock};

/// The Arrow type of every timestamp column in a frame: nanoseconds, UTC.
pub fn utc_timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

fn looks_like_datetime(text: &str) -> bool {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN
        .get_or_init(|| Regex::new(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$").unwrap())
        .is_match(text.trim())
}

/// `frame` with its date-time columns converted (a frame that needs nothing is returned as is).
/// Works batch by batch (no copy of the whole table); a column is converted only when every
/// batch's values convert, so the schema stays the same across batches.
pub(super) fn normalize(frame: Frame) -> Frame {
    let schema = frame.schema();
    let batches = frame.batches();
    let mut fields: Vec<Field> = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<Vec<ArrayRef>> = vec![Vec::with_capacity(schema.fields().len()); batches.len()];
    let mut changed = false;
    for (index, field) in schema.fields().iter().enumerate() {
        let converted: Option<Vec<(ArrayRef, bool)>> = batches.iter().map(|b| convert(b.column(index))).collect();
        match converted {
            Some(parts) if parts.iter().any(|(_, had_values)| *had_values) => {
                changed = true;
                fields.push(Field::new(field.name(), utc_timestamp_type(), true));
                for (batch_columns, (part, _)) in columns.iter_mut().zip(parts) {
                    batch_columns.push(part);
                }
            }
            _ => {
                fields.push(field.as_ref().clone());
                for (batch_columns, batch) in columns.iter_mut().zip(batches) {
                    batch_columns.push(batch.column(index).clone());
                }
            }
        }
    }
    if !changed {
        return frame;
    }
    let schema = Arc::new(Schema::new(fields));
    let rebuilt: Result<Vec<RecordBatch>, _> =
        columns.into_iter().map(|c| RecordBatch::try_new(schema.clone(), c)).collect();
    match rebuilt {
        Ok(batches) => {
            let mut out = Frame::from_batches(schema, batches);
            for w in frame.warnings() {
                out = out.with_warning(w.clone());
            }
            out
        }
        Err(_) => frame,
    }
}

/// One batch's column as UTC timestamps, and whether it held any value; `None` when it is not
/// date-time data (or already UTC).
fn convert(column: &ArrayRef) -> Option<(ArrayRef, bool)> {
    match column.data_type() {
        DataType::Timestamp(_, Some(tz)) if tz.as_ref() == "UTC" => None,
        DataType::Timestamp(_, _) | DataType::Date64 => {
            cast_with_options(column, &utc_timestamp_type(), &CastOptions::default()).ok().map(|c| (c, true))
        }
        DataType::Utf8 => {
            let strings = column.as_any().downcast_ref::<StringArray>()?;
            let Some(first) = strings.iter().flatten().find(|s| !s.trim().is_empty()) else {
                return Some((arrow::array::new_null_array(&utc_timestamp_type(), column.len()), false));
            };
            if !looks_like_datetime(first) {
                return None;
            }
            // Trimmed, with blanks as nulls: exported logs often pad date-times with spaces.
            let empty_as_null: StringArray =
                strings.iter().map(|s| s.map(str::trim).filter(|v| !v.is_empty())).collect();
            let nulls_before = empty_as_null.null_count();
            let options = CastOptions { safe: true, ..Default::default() };
            let converted = cast_with_options(&empty_as_null, &utc_timestamp_type(), &options).ok()?;
            (converted.null_count() == nulls_before).then_some((converted, true))
        }
        _ => None,
    }
}
