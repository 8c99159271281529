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
pub(super) fn normalize(frame: Frame) -> Frame {
    let schema = frame.schema();
    let Ok(batch) = frame.to_batch() else { return frame };
    let mut changed = false;
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        match convert(column) {
            Some(converted) => {
                changed = true;
                fields.push(Field::new(field.name(), converted.data_type().clone(), true));
                columns.push(converted);
            }
            None => {
                fields.push(field.as_ref().clone());
                columns.push(column.clone());
            }
        }
    }
    if !changed {
        return frame;
    }
    let schema = Arc::new(Schema::new(fields));
    match RecordBatch::try_new(schema.clone(), columns) {
        Ok(batch) => {
            let mut out = Frame::from_batches(schema, vec![batch]);
            for w in frame.warnings() {
                out = out.with_warning(w.clone());
            }
            out
        }
        Err(_) => frame,
    }
}

fn convert(column: &ArrayRef) -> Option<ArrayRef> {
    match column.data_type() {
        DataType::Timestamp(_, Some(tz)) if tz.as_ref() == "UTC" => None,
        DataType::Timestamp(_, _) | DataType::Date64 => cast_with_options(column, &utc_timestamp_type(), &CastOptions::default()).ok(),
        DataType::Utf8 => {
            let strings = column.as_any().downcast_ref::<StringArray>()?;
            let first = strings.iter().flatten().find(|s| !s.is_empty())?;
            if !looks_like_datetime(first) {
                return None;
            }
            // Trimmed, with blanks as nulls: exported logs often pad date-times with spaces.
            let empty_as_null: StringArray =
                strings.iter().map(|s| s.map(str::trim).filter(|v| !v.is_empty())).collect();
            let nulls_before = empty_as_null.null_count();
            let options = CastOptions { safe: true, ..Default::default() };
            let converted = cast_with_options(&empty_as_null, &utc_timestamp_type(), &options).ok()?;
            (converted.null_count() == nulls_before).then_some(converted)
        }
        _ => None,
    }
}
