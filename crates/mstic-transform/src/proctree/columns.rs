//! Reading schema columns from Arrow: ids as text (floats without `.0`, as MSTICPy does), times
//! as UTC nanoseconds from timestamp or text columns, and the key time format.

use arrow::array::{Array, ArrayRef, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit};
use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};
use mstic_core::{Error, Result};

/// A column of `batch` by name, if present.
pub fn find<'b>(batch: &'b RecordBatch, name: &str) -> Option<&'b ArrayRef> {
    batch.schema().index_of(name).ok().map(|i| batch.column(i))
}

/// A column as optional text; integral floats lose their `.0` (so `22536.0` reads `22536`).
pub fn texts(array: &ArrayRef) -> Result<Vec<Option<String>>> {
    let float = |v: f64| if v.fract() == 0.0 && v.abs() < 1e18 { format!("{}", v as i64) } else { v.to_string() };
    Ok(match array.data_type() {
        DataType::Float64 => {
            let a = array.as_any().downcast_ref::<Float64Array>().expect("Float64");
            a.iter().map(|v| v.map(float)).collect()
        }
        DataType::Float32 => {
            let a = array.as_any().downcast_ref::<Float32Array>().expect("Float32");
            a.iter().map(|v| v.map(|v| float(v as f64))).collect()
        }
        _ => {
            let utf8 = cast(array, &DataType::Utf8)?;
            let a = utf8.as_any().downcast_ref::<StringArray>().expect("Utf8");
            a.iter().map(|v| v.map(str::to_string)).collect()
        }
    })
}

/// Text values of an optional column (all `None` when it is absent).
pub fn optional_texts(batch: &RecordBatch, name: Option<&str>) -> Result<Vec<Option<String>>> {
    match name.and_then(|n| find(batch, n)) {
        Some(array) => texts(array),
        None => Ok(vec![None; batch.num_rows()]),
    }
}

/// Text values of a required column; a missing one is an error naming the schema and the
/// closest existing columns.
pub fn required_texts(batch: &RecordBatch, name: &str, schema: &str) -> Result<Vec<Option<String>>> {
    texts(require(batch, name, schema)?)
}

pub fn require<'b>(batch: &'b RecordBatch, name: &str, schema: &str) -> Result<&'b ArrayRef> {
    find(batch, name).ok_or_else(|| {
        let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
        match Error::unknown("column", name, names.iter().map(String::as_str)) {
            Error::Unknown { kind, name, suggestions } => Error::Unknown {
                kind,
                name: format!("{name}' (required by process schema '{schema}"),
                suggestions,
            },
            other => other,
        }
    })
}

/// A time column as UTC nanoseconds: Arrow timestamps or text in the usual log formats.
pub fn times(array: &ArrayRef) -> Result<Vec<Option<i64>>> {
    match array.data_type() {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
            let ns = cast(array, &DataType::Timestamp(TimeUnit::Nanosecond, None))?;
            let ints = cast(&ns, &DataType::Int64)?;
            let ints = ints.as_any().downcast_ref::<Int64Array>().expect("Int64");
            Ok(ints.iter().collect())
        }
        _ => Ok(texts(array)?.iter().map(|v| v.as_deref().and_then(parse_time)).collect()),
    }
}

/// Parses a date-time text (ISO-8601 with or without zone, space or `T`, OSQuery's
/// `Tue Sep 11 17:14:47 2018 UTC`, epoch seconds) to UTC nanoseconds.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return t.timestamp_nanos_opt();
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return t.timestamp_nanos_opt();
        }
    }
    let naive = text.trim_end_matches('Z').trim_end_matches(" UTC");
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%a %b %e %H:%M:%S %Y", "%m/%d/%Y %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, format) {
            return t.and_utc().timestamp_nanos_opt();
        }
    }
    text.parse::<f64>().ok().filter(|s| *s > 0.0).map(|s| (s * 1e9) as i64)
}

/// MSTICPy's key time: rounded to 10 µs (half to even), formatted `%Y-%m-%d %H:%M:%S.%f`.
pub fn key_time(nanos: i64) -> String {
    let (quotient, remainder) = (nanos.div_euclid(10_000), nanos.rem_euclid(10_000));
    let rounded = if remainder > 5_000 || (remainder == 5_000 && quotient % 2 != 0) { quotient + 1 } else { quotient };
    let time = DateTime::from_timestamp_nanos(rounded * 10_000);
    // Written field by field: a strftime pattern is parsed again on every call, and keys are
    // made for every process.
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        time.year(), time.month(), time.day(), time.hour(), time.minute(), time.second(), time.nanosecond() / 1_000
    )
}
