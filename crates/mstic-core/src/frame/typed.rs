//! Typed access to a [`Frame`]'s values: whole columns as `Vec<Option<T>>`, single cells, and row
//! iteration, converting the column's Arrow type to the Rust type asked for.

use super::Frame;
use crate::{Error, Result};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{
    DataType, Float64Type, Int32Type, Int64Type, TimeUnit, TimestampNanosecondType, UInt64Type,
};
use chrono::{DateTime, Utc};

/// A Rust type a frame's values can be read as: `i64`, `i32`, `u64`, `f64`, `bool`, `String` or
/// `DateTime<Utc>`. Values are converted from the column's type as Arrow casts them (numbers to
/// text, text to numbers, timestamps to RFC 3339 text); a value that does not convert is an error
/// naming the column, never a silent null.
pub trait FrameValue: Sized {
    /// The Rust type's name, for error messages.
    const NAME: &'static str;

    /// The Arrow type a column is cast to before it is read.
    fn arrow_type() -> DataType;

    /// The values of `array`, which has [`FrameValue::arrow_type`].
    fn read(array: &ArrayRef) -> Vec<Option<Self>>;
}

macro_rules! primitive_value {
    ($rust:ty, $arrow_type:ty, $data_type:expr) => {
        impl FrameValue for $rust {
            const NAME: &'static str = stringify!($rust);

            fn arrow_type() -> DataType {
                $data_type
            }

            fn read(array: &ArrayRef) -> Vec<Option<Self>> {
                array.as_primitive::<$arrow_type>().iter().collect()
            }
        }
    };
}

primitive_value!(i64, Int64Type, DataType::Int64);
primitive_value!(i32, Int32Type, DataType::Int32);
primitive_value!(u64, UInt64Type, DataType::UInt64);
primitive_value!(f64, Float64Type, DataType::Float64);

impl FrameValue for bool {
    const NAME: &'static str = "bool";

    fn arrow_type() -> DataType {
        DataType::Boolean
    }

    fn read(array: &ArrayRef) -> Vec<Option<Self>> {
        array.as_boolean().iter().collect()
    }
}

impl FrameValue for String {
    const NAME: &'static str = "String";

    fn arrow_type() -> DataType {
        DataType::Utf8
    }

    fn read(array: &ArrayRef) -> Vec<Option<Self>> {
        array.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()
    }
}

impl FrameValue for DateTime<Utc> {
    const NAME: &'static str = "DateTime<Utc>";

    fn arrow_type() -> DataType {
        DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
    }

    fn read(array: &ArrayRef) -> Vec<Option<Self>> {
        array.as_primitive::<TimestampNanosecondType>().iter().map(|v| v.map(DateTime::from_timestamp_nanos)).collect()
    }
}

/// `array` (the column `name`) converted to `T`; values that do not convert are an error.
fn convert<T: FrameValue>(array: &ArrayRef, name: &str) -> Result<Vec<Option<T>>> {
    let options = CastOptions { safe: false, ..Default::default() };
    let cast = cast_with_options(array, &T::arrow_type(), &options).map_err(|e| {
        Error::invalid(
            format!("column '{name}'"),
            format!("its {} values cannot be read as {}: {e}", array.data_type(), T::NAME),
        )
    })?;
    Ok(T::read(&cast))
}

impl Frame {
    /// One column's values as `T` (nulls as `None`), in row order.
    ///
    /// ```
    /// # use mstic_core::Frame;
    /// let events = Frame::from_string_rows(&["EventID"], &[vec![Some("4624")], vec![None]]).unwrap();
    /// assert_eq!(events.values::<i64>("EventID").unwrap(), vec![Some(4624), None]);
    /// ```
    pub fn values<T: FrameValue>(&self, column: &str) -> Result<Vec<Option<T>>> {
        convert(&self.column(column)?, column)
    }

    /// One column's values as `T`, for a column without nulls; the first null is an error naming
    /// its row.
    ///
    /// ```
    /// # use mstic_core::Frame;
    /// let hosts = Frame::from_string_rows(&["Computer"], &[vec![Some("ws1")], vec![Some("dc1")]]).unwrap();
    /// let names: Vec<String> = hosts.to_vec("Computer").unwrap();
    /// assert_eq!(names, ["ws1", "dc1"]);
    /// ```
    pub fn to_vec<T: FrameValue>(&self, column: &str) -> Result<Vec<T>> {
        self.values::<T>(column)?
            .into_iter()
            .enumerate()
            .map(|(row, value)| {
                value.ok_or_else(|| {
                    Error::invalid(
                        format!("column '{column}'"),
                        format!("row {row} is null; use values::<{}>() to read nulls as None", T::NAME),
                    )
                })
            })
            .collect()
    }

    /// The value in row `row` (0-based) of `column` as `T` (`None` for a null).
    ///
    /// ```
    /// # use mstic_core::Frame;
    /// let logons = Frame::from_string_rows(&["Account"], &[vec![Some("ann")], vec![Some("bob")]]).unwrap();
    /// assert_eq!(logons.value::<String>(1, "Account").unwrap().as_deref(), Some("bob"));
    /// assert!(logons.value::<String>(2, "Account").is_err());
    /// ```
    pub fn value<T: FrameValue>(&self, row: usize, column: &str) -> Result<Option<T>> {
        let index = self.column_index(column)?;
        let (batch, offset) = self.locate(row)?;
        Ok(convert::<T>(&batch.column(index).slice(offset, 1), column)?.pop().flatten())
    }

    /// The rows in order, each giving typed access to its values.
    ///
    /// ```
    /// # use mstic_core::Frame;
    /// let logons = Frame::from_string_rows(&["Account", "LogonType"], &[vec![Some("ann"), Some("10")]]).unwrap();
    /// for row in logons.rows() {
    ///     let account: Option<String> = row.get("Account").unwrap();
    ///     let logon_type: Option<i64> = row.get("LogonType").unwrap();
    ///     assert_eq!((account.as_deref(), logon_type), (Some("ann"), Some(10)));
    /// }
    /// ```
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        let mut first = 0;
        self.batches().iter().flat_map(move |batch| {
            let start = first;
            first += batch.num_rows();
            (0..batch.num_rows()).map(move |offset| Row { frame: self, batch, offset, index: start + offset })
        })
    }

    /// The batch holding row `row`, and the row's offset in it.
    fn locate(&self, row: usize) -> Result<(&RecordBatch, usize)> {
        let mut offset = row;
        for batch in self.batches() {
            if offset < batch.num_rows() {
                return Ok((batch, offset));
            }
            offset -= batch.num_rows();
        }
        Err(Error::invalid("row", format!("row {row} is past the end of a frame of {} rows", self.len())))
    }
}

/// One row of a [`Frame`], from [`Frame::rows`].
#[derive(Clone, Copy)]
pub struct Row<'a> {
    frame: &'a Frame,
    batch: &'a RecordBatch,
    offset: usize,
    index: usize,
}

impl Row<'_> {
    /// The row's position in the frame (0-based).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The value of `column` in this row as `T` (`None` for a null).
    pub fn get<T: FrameValue>(&self, column: &str) -> Result<Option<T>> {
        let index = self.frame.column_index(column)?;
        Ok(convert::<T>(&self.batch.column(index).slice(self.offset, 1), column)?.pop().flatten())
    }
}

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.frame.slice(self.index, 1).to_text(1))
    }
}
