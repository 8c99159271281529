//! The one typed converter: a schema of `(name, type)` columns plus rows (arrays or objects)
//! become Arrow columns of a [`Frame`]. Kusto type names (`datetime`, `long`…) and the .NET
//! names Defender and Graph use (`DateTime`, `Int64`…) are both understood.

use super::values::{parse_bool, parse_datetime_nanos, parse_real, parse_timespan_nanos};
use arrow::array::{
    ArrayRef, BooleanBuilder, DurationNanosecondBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampNanosecondBuilder,
};
use mstic_core::{Frame, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The Arrow-relevant kind of a service column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `bool` / `Boolean` / `SByte` → Arrow Boolean.
    Bool,
    /// `int` / `Int32` → Int32.
    Int,
    /// `long` / `Int64` → Int64.
    Long,
    /// `real` / `Double` → Float64.
    Real,
    /// `datetime` / `DateTime` → Timestamp(ns, UTC).
    DateTime,
    /// `timespan` / `TimeSpan` → Duration(ns).
    TimeSpan,
    /// `dynamic` / `Object`: JSON text (objects and arrays are serialised; strings kept as sent).
    Dynamic,
    /// `string`, `guid`, `decimal` and anything else → Utf8.
    Text,
}

impl ColumnKind {
    /// The kind of a type name (case-insensitive Kusto or .NET spelling); unknown names are text.
    pub fn from_type_name(name: &str) -> ColumnKind {
        let lower = name.trim().to_ascii_lowercase();
        let lower = lower.strip_prefix("system.").unwrap_or(&lower);
        match lower {
            "bool" | "boolean" | "sbyte" => ColumnKind::Bool,
            "int" | "int32" | "integer" => ColumnKind::Int,
            "long" | "int64" => ColumnKind::Long,
            "real" | "double" | "float" | "single" => ColumnKind::Real,
            "datetime" | "date" | "datetimeoffset" => ColumnKind::DateTime,
            "timespan" | "time" => ColumnKind::TimeSpan,
            "dynamic" | "object" | "array" | "system.object" => ColumnKind::Dynamic,
            _ => ColumnKind::Text,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ColumnKind::Bool => "bool",
            ColumnKind::Int => "int",
            ColumnKind::Long => "long",
            ColumnKind::Real => "real",
            ColumnKind::DateTime => "datetime",
            ColumnKind::TimeSpan => "timespan",
            ColumnKind::Dynamic => "dynamic",
            ColumnKind::Text => "string",
        }
    }
}

/// One column of a service's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Column name as the service sent it.
    pub name: String,
    /// Its kind.
    pub kind: ColumnKind,
}

impl ColumnSpec {
    /// A column from its name and service type name.
    pub fn new(name: impl Into<String>, type_name: &str) -> Self {
        ColumnSpec { name: name.into(), kind: ColumnKind::from_type_name(type_name) }
    }
}

/// One JSON value on its way into a column (strings borrowed from the response when possible).
#[derive(Debug, Clone)]
pub enum Cell<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A string.
    Str(&'a str),
    /// An object or array, as JSON text.
    Json(String),
}

impl<'a> Cell<'a> {
    /// The cell of a parsed JSON value.
    pub fn from_value(value: &'a Value) -> Cell<'a> {
        match value {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => n
                .as_i64()
                .map(Cell::Int)
                .or_else(|| n.as_u64().map(Cell::UInt))
                .unwrap_or_else(|| Cell::Float(n.as_f64().unwrap_or(f64::NAN))),
            Value::String(s) => Cell::Str(s),
            other => Cell::Json(other.to_string()),
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Cell::Bool(b) => Some(*b),
            Cell::Int(i) => Some(*i != 0),
            Cell::Str(s) => parse_bool(s),
            _ => None,
        }
    }

    fn as_int(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(*f as i64),
            Cell::Str(s) => s.trim().parse().ok(),
            Cell::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    fn as_real(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::UInt(u) => Some(*u as f64),
            Cell::Float(f) => Some(*f),
            Cell::Str(s) => parse_real(s),
            _ => None,
        }
    }

    fn to_text(&self) -> String {
        match self {
            Cell::Null => "null".to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::UInt(u) => u.to_string(),
            Cell::Float(f) => serde_json::Number::from_f64(*f).map(|n| n.to_string()).unwrap_or_else(|| f.to_string()),
            Cell::Str(s) => s.to_string(),
            Cell::Json(text) => text.clone(),
        }
    }
}

enum Builder {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Time(TimestampNanosecondBuilder),
    Span(DurationNanosecondBuilder),
    Text(StringBuilder),
}

impl Builder {
    fn append_null(&mut self) {
        match self {
            Builder::Bool(b) => b.append_null(),
            Builder::Int(b) => b.append_null(),
            Builder::Long(b) => b.append_null(),
            Builder::Real(b) => b.append_null(),
            Builder::Time(b) => b.append_null(),
            Builder::Span(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
        }
    }
}

/// Values that could not be read as their column's type: how many, and the first one.
#[derive(Default)]
struct BadValues {
    count: usize,
    first: Option<(usize, String)>,
}

/// Builds a [`Frame`] row by row from a typed schema.
pub struct TableBuilder {
    specs: Vec<ColumnSpec>,
    builders: Vec<Builder>,
    bad: Vec<BadValues>,
    by_lower_name: HashMap<String, usize>,
    rows: usize,
    short_rows: usize,
}

impl TableBuilder {
    /// A builder for `specs`, with room for `capacity` rows.
    pub fn new(specs: Vec<ColumnSpec>, capacity: usize) -> Self {
        let builders = specs
            .iter()
            .map(|spec| match spec.kind {
                ColumnKind::Bool => Builder::Bool(BooleanBuilder::with_capacity(capacity)),
                ColumnKind::Int => Builder::Int(Int32Builder::with_capacity(capacity)),
                ColumnKind::Long => Builder::Long(Int64Builder::with_capacity(capacity)),
                ColumnKind::Real => Builder::Real(Float64Builder::with_capacity(capacity)),
                ColumnKind::DateTime => Builder::Time(TimestampNanosecondBuilder::with_capacity(capacity).with_timezone("UTC")),
                ColumnKind::TimeSpan => Builder::Span(DurationNanosecondBuilder::with_capacity(capacity)),
                ColumnKind::Dynamic | ColumnKind::Text => Builder::Text(StringBuilder::with_capacity(capacity, capacity * 16)),
            })
            .collect();
        let by_lower_name = specs.iter().enumerate().map(|(i, s)| (s.name.to_lowercase(), i)).collect();
        let bad = specs.iter().map(|_| BadValues::default()).collect();
        TableBuilder { specs, builders, bad, by_lower_name, rows: 0, short_rows: 0 }
    }

    /// Number of rows added so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Number of columns.
    pub fn num_columns(&self) -> usize {
        self.specs.len()
    }

    /// Adds a row given as an array of values in schema order (missing trailing values are null).
    pub fn push_array(&mut self, row: &[Value]) {
        for (column, value) in row.iter().take(self.specs.len()).enumerate() {
            self.push_cell(column, Cell::from_value(value));
        }
        self.end_row(row.len());
    }

    /// Adds a row given as an object; keys match column names case-insensitively, unknown keys
    /// are ignored and absent columns are null.
    pub fn push_object(&mut self, row: &Map<String, Value>) {
        let mut values: Vec<&Value> = vec![&Value::Null; self.specs.len()];
        for (key, value) in row {
            let index = self.specs.iter().position(|s| s.name == *key).or_else(|| self.by_lower_name.get(&key.to_lowercase()).copied());
            if let Some(index) = index {
                values[index] = value;
            }
        }
        for (column, value) in values.into_iter().enumerate() {
            self.push_cell(column, Cell::from_value(value));
        }
        self.rows += 1;
    }

    /// Ends a row whose first `given` values were pushed with [`TableBuilder::push_cell`]: the
    /// missing columns become null (and are reported).
    pub fn end_row(&mut self, given: usize) {
        if given != self.specs.len() {
            self.short_rows += 1;
        }
        for column in given..self.specs.len() {
            self.push_cell(column, Cell::Null);
        }
        self.rows += 1;
    }

    /// Adds one value to `column` of the current row.
    pub fn push_cell(&mut self, column: usize, cell: Cell<'_>) {
        let ok = match (&mut self.builders[column], &cell) {
            (builder, Cell::Null) => {
                builder.append_null();
                true
            }
            (Builder::Bool(b), c) => append(b, c.as_bool()),
            (Builder::Int(b), c) => append(b, c.as_int().and_then(|i| i32::try_from(i).ok())),
            (Builder::Long(b), c) => append(b, c.as_int()),
            (Builder::Real(b), c) => append(b, c.as_real()),
            (Builder::Time(b), Cell::Str(s)) => append(b, parse_datetime_nanos(s)),
            (Builder::Span(b), Cell::Str(s)) => append(b, parse_timespan_nanos(s)),
            (Builder::Span(b), Cell::Int(ticks)) => append(b, Some(ticks.saturating_mul(100))),
            (Builder::Text(b), Cell::Str(s)) => {
                b.append_value(s);
                true
            }
            (Builder::Text(b), other) => {
                b.append_value(other.to_text());
                true
            }
            (builder @ (Builder::Time(_) | Builder::Span(_)), _) => {
                builder.append_null();
                false
            }
        };
        if !ok {
            let bad = &mut self.bad[column];
            bad.count += 1;
            if bad.first.is_none() {
                let mut shown = cell.to_text();
                // The first 60 characters (not bytes: a value may be any text).
                if let Some((cut, _)) = shown.char_indices().nth(60) {
                    shown.truncate(cut);
                }
                bad.first = Some((self.rows + 1, shown));
            }
        }
    }

    /// The finished frame; values that did not fit their column type are null and reported as a
    /// warning naming the column, type, row and value.
    pub fn finish(mut self) -> Result<Frame> {
        let mut columns: Vec<(String, ArrayRef)> = Vec::with_capacity(self.specs.len());
        for (spec, builder) in self.specs.iter().zip(self.builders.iter_mut()) {
            let array: ArrayRef = match builder {
                Builder::Bool(b) => Arc::new(b.finish()),
                Builder::Int(b) => Arc::new(b.finish()),
                Builder::Long(b) => Arc::new(b.finish()),
                Builder::Real(b) => Arc::new(b.finish()),
                Builder::Time(b) => Arc::new(b.finish()),
                Builder::Span(b) => Arc::new(b.finish()),
                Builder::Text(b) => Arc::new(b.finish()),
            };
            columns.push((unique_name(&columns, &spec.name), array));
        }
        let mut frame = if columns.is_empty() {
            Frame::empty(Arc::new(arrow::datatypes::Schema::empty()))
        } else {
            Frame::from_columns(columns)?
        };
        for (spec, bad) in self.specs.iter().zip(&self.bad) {
            if let Some((row, value)) = &bad.first {
                frame = frame.with_warning(format!(
                    "column '{}': {} value(s) could not be read as {} and are empty (first in row {row}: {value})",
                    spec.name,
                    bad.count,
                    spec.kind.name()
                ));
            }
        }
        if self.short_rows > 0 {
            frame = frame.with_warning(format!(
                "{} row(s) did not have {} values; missing values are empty",
                self.short_rows,
                self.specs.len()
            ));
        }
        Ok(frame)
    }
}

fn append<T>(builder: &mut impl OptionAppend<T>, value: Option<T>) -> bool {
    let ok = value.is_some();
    builder.append_option_value(value);
    ok
}

/// `append_option` over the Arrow primitive and boolean builders.
trait OptionAppend<T> {
    fn append_option_value(&mut self, value: Option<T>);
}

impl OptionAppend<bool> for BooleanBuilder {
    fn append_option_value(&mut self, value: Option<bool>) {
        self.append_option(value);
    }
}

macro_rules! option_append {
    ($builder:ty, $native:ty) => {
        impl OptionAppend<$native> for $builder {
            fn append_option_value(&mut self, value: Option<$native>) {
                self.append_option(value);
            }
        }
    };
}
option_append!(Int32Builder, i32);
option_append!(Int64Builder, i64);
option_append!(Float64Builder, f64);
option_append!(TimestampNanosecondBuilder, i64);
option_append!(DurationNanosecondBuilder, i64);

/// Column names must be unique in a frame: a repeated name gets `_1`, `_2`… appended.
fn unique_name(columns: &[(String, ArrayRef)], name: &str) -> String {
    let taken = |candidate: &str| columns.iter().any(|(n, _)| n == candidate);
    if !taken(name) {
        return name.to_string();
    }
    (1..).map(|i| format!("{name}_{i}")).find(|c| !taken(c)).unwrap_or_else(|| name.to_string())
}
