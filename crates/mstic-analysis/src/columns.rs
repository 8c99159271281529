//! Reading frame columns as plain vectors, and looking up names tolerant of a UTF-8 byte-order
//! mark (CSV files saved by Excel or pandas often carry one before the first header).

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit};
use mstic_core::{Error, Frame, Result};

const BYTE_ORDER_MARK: char = '\u{feff}';

/// The frame's own spelling of `name`: exact, else the column equal to it once a byte-order mark
/// is dropped; unknown names fail with the closest valid names.
pub(crate) fn resolve(frame: &Frame, name: &str) -> Result<String> {
    if frame.has_column(name) {
        return Ok(name.to_string());
    }
    let columns = frame.columns();
    if let Some(found) = columns
        .iter()
        .find(|c| c.trim_start_matches(BYTE_ORDER_MARK) == name)
    {
        return Ok(found.clone());
    }
    let clean: Vec<String> = columns
        .iter()
        .map(|c| c.trim_start_matches(BYTE_ORDER_MARK).to_string())
        .collect();
    Err(Error::unknown(
        "column",
        name,
        clean.iter().map(String::as_str),
    ))
}

/// `name` as f64 values (nulls and unconvertible text as `None`).
pub(crate) fn floats(frame: &Frame, name: &str) -> Result<Vec<Option<f64>>> {
    let array = frame.column(&resolve(frame, name)?)?;
    let array = match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = cast(&array, &DataType::Utf8)?;
            let text = text
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("Utf8 cast");
            return Ok(text
                .iter()
                .map(|v| v.and_then(|s| s.trim().parse::<f64>().ok()))
                .collect());
        }
        DataType::Boolean => cast(&cast(&array, &DataType::Int64)?, &DataType::Float64)?,
        _ => cast(&array, &DataType::Float64).map_err(|e| {
            Error::invalid(format!("column '{name}'"), format!("not numeric ({e})"))
        })?,
    };
    let values = array
        .as_any()
        .downcast_ref::<Float64Array>()
        .expect("Float64 cast");
    Ok(values.iter().collect())
}

/// `name` as UTC nanoseconds since the epoch; text columns must hold ISO-8601 date-times.
pub(crate) fn times(frame: &Frame, name: &str) -> Result<Vec<Option<i64>>> {
    let array = frame.column(&resolve(frame, name)?)?;
    let target = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
    let stamps = cast(&array, &target).map_err(|e| {
        Error::invalid(
            format!("time column '{name}'"),
            format!("not date-times ({e})"),
        )
    })?;
    let nanos = cast(&stamps, &DataType::Int64)?;
    let nanos = nanos
        .as_any()
        .downcast_ref::<Int64Array>()
        .expect("Int64 cast");
    Ok(nanos.iter().collect())
}

/// Like [`times`], but every row must have a time: a null names its row.
pub(crate) fn required_times(frame: &Frame, name: &str) -> Result<Vec<i64>> {
    times(frame, name)?
        .into_iter()
        .enumerate()
        .map(|(row, t)| {
            t.ok_or_else(|| {
                Error::invalid(
                    format!("time column '{name}'"),
                    format!("row {row} has no time"),
                )
            })
        })
        .collect()
}

/// A UTC timestamp (nanoseconds) column from epoch nanoseconds.
pub(crate) fn timestamp_array(nanos: Vec<i64>) -> ArrayRef {
    std::sync::Arc::new(arrow::array::TimestampNanosecondArray::from(nanos).with_timezone("UTC"))
}

/// Rows of `frame` reordered by `order` (indices into the frame), all columns kept.
pub(crate) fn take_rows(frame: &Frame, order: &[usize]) -> Result<Frame> {
    let indices =
        arrow::array::UInt64Array::from(order.iter().map(|&i| i as u64).collect::<Vec<_>>());
    let mut columns = Vec::new();
    for name in frame.columns() {
        let array = frame.column(&name)?;
        columns.push((name, arrow::compute::take(array.as_ref(), &indices, None)?));
    }
    Frame::from_columns(columns)
}

/// A list-of-text column from one list per row.
pub(crate) fn list_column(lists: &[Vec<String>]) -> ArrayRef {
    let mut builder = arrow::array::ListBuilder::new(arrow::array::StringBuilder::new());
    for list in lists {
        for item in list {
            builder.values().append_value(item);
        }
        builder.append(true);
    }
    std::sync::Arc::new(builder.finish())
}

/// A list column (such as `Operation_list` from `sessionize`) as text lists; null rows are
/// empty and null items are `None`.
pub(crate) fn string_lists(frame: &Frame, name: &str) -> Result<Vec<Vec<Option<String>>>> {
    let array = frame.column(&resolve(frame, name)?)?;
    let lists = array
        .as_any()
        .downcast_ref::<arrow::array::ListArray>()
        .ok_or_else(|| {
            Error::invalid(
                format!("session column '{name}'"),
                format!(
                    "must be a list column (see sessionize), not {}",
                    array.data_type()
                ),
            )
        })?;
    (0..lists.len())
        .map(|row| {
            if lists.is_null(row) {
                return Ok(Vec::new());
            }
            let text = cast(&lists.value(row), &DataType::Utf8)?;
            let text = text
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("Utf8 cast");
            Ok(text.iter().map(|v| v.map(str::to_string)).collect())
        })
        .collect()
}
