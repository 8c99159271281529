//! Joining pivot results back onto their input (MSTICPy's `join_result`: pandas `merge` with
//! suffixes `_src`/`_res`), in DataFusion SQL. Input order is kept; keys are compared as text,
//! case-folded on request.

use crate::input::PivotJoin;
use arrow::array::{ArrayRef, RecordBatch, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use mstic_core::{Error, Frame, Result, SqlSession};
use std::sync::Arc;

const LEFT_ORDER: &str = "__mstic_left_row";
const RIGHT_ORDER: &str = "__mstic_right_row";
/// The result column holding the input row a result came from.
pub const SOURCE_ROW: &str = "src_row_index";

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn with_row_numbers(frame: &Frame, name: &str) -> Result<Frame> {
    let batch = frame.to_batch()?;
    let mut fields: Vec<Field> = batch.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    fields.push(Field::new(name, DataType::UInt64, false));
    columns.push(Arc::new(UInt64Array::from_iter_values(0..batch.num_rows() as u64)));
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    Ok(Frame::from_batch(batch).with_warnings_of(frame))
}

trait KeepWarnings {
    fn with_warnings_of(self, other: &Frame) -> Frame;
}

impl KeepWarnings for Frame {
    fn with_warnings_of(self, other: &Frame) -> Frame {
        other.warnings().iter().fold(self, |f, w| f.with_warning(w.clone()))
    }
}

/// `input` joined with `result` on `input.left_on = result.right_on` (compared as text;
/// case-insensitively with `ignore_case`). Columns in both get `_src`/`_res` suffixes, except a
/// key column of the same name on both sides, which appears once.
pub fn join_frames(input: &Frame, result: &Frame, left_on: &str, right_on: &str, how: PivotJoin, ignore_case: bool) -> Result<Frame> {
    input.column_index(left_on)?;
    result.column_index(right_on).map_err(|e| match e {
        Error::Unknown { name, suggestions, .. } => Error::Unknown { kind: "result column to join on", name, suggestions },
        other => other,
    })?;
    let left_cols = input.columns();
    let right_cols = result.columns();
    let shared_key = left_on == right_on;
    let key = |side: &str, col: &str| {
        let text = format!("CAST({side}.{} AS VARCHAR)", quote(col));
        if ignore_case { format!("lower({text})") } else { text }
    };
    let mut select = Vec::new();
    for col in &left_cols {
        let q = quote(col);
        if shared_key && col == left_on {
            select.push(match how {
                PivotJoin::Right => format!("r.{q} AS {q}"),
                PivotJoin::Outer => format!("COALESCE({}, {}) AS {q}", key("l", col), key("r", col)),
                _ => format!("l.{q} AS {q}"),
            });
        } else if right_cols.contains(col) {
            select.push(format!("l.{q} AS {}", quote(&format!("{col}_src"))));
        } else {
            select.push(format!("l.{q} AS {q}"));
        }
    }
    for col in &right_cols {
        let q = quote(col);
        if (shared_key && col == right_on) || col == SOURCE_ROW {
            continue;
        }
        if left_cols.contains(col) {
            select.push(format!("r.{q} AS {}", quote(&format!("{col}_res"))));
        } else {
            select.push(format!("r.{q} AS {q}"));
        }
    }
    let mut session = SqlSession::new();
    session.register("l", &with_row_numbers(input, LEFT_ORDER)?)?;
    session.register("r", &with_row_numbers(result, RIGHT_ORDER)?)?;
    let sql = format!(
        "SELECT {} FROM l {} r ON {} = {} ORDER BY l.{LEFT_ORDER} NULLS LAST, r.{RIGHT_ORDER} NULLS LAST",
        select.join(", "),
        how.sql(),
        key("l", left_on),
        key("r", right_on),
    );
    let joined = session.sql(&sql)?;
    Ok(joined.with_warnings_of(input).with_warnings_of(result))
}

/// `input` joined with `result` by input row number (`result.src_row_index`).
pub fn join_by_row(input: &Frame, result: &Frame, how: PivotJoin) -> Result<Frame> {
    let numbered = with_row_numbers(input, SOURCE_ROW)?;
    join_frames(&numbered, result, SOURCE_ROW, SOURCE_ROW, how, false).and_then(|f| drop_column(&f, SOURCE_ROW))
}

/// `frame` without `column` (unchanged when absent).
pub fn drop_column(frame: &Frame, column: &str) -> Result<Frame> {
    if !frame.has_column(column) {
        return Ok(frame.clone());
    }
    let keep: Vec<String> = frame.columns().into_iter().filter(|c| c != column).collect();
    let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
    frame.select(&keep)
}
