//! [`Frame`]: the table every Rust MSTIC call takes and returns — Arrow record batches behind a
//! cheap, cloneable handle, with SQL (DataFusion), file I/O, and HTML/text display.

mod io;
mod render;
mod sql;
mod timestamps;
mod typed;

pub use sql::SqlSession;
pub use typed::{FrameValue, Row};

use crate::{Error, Result};
use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::compute::concat_batches;
use arrow::datatypes::{Schema, SchemaRef};
use std::sync::Arc;

/// An in-memory table of Arrow record batches — the data every call takes and returns. Cloning is
/// cheap (shared data).
///
/// Timestamp columns are Arrow timestamps in UTC. Warnings (e.g. a remote service's partial
/// result) travel with the data and are shown with it.
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// let logons = Frame::from_string_rows(&["Account", "Host"], &[
///     vec![Some("ann"), Some("ws1")],
///     vec![Some("bob"), None],
/// ])?;
/// assert_eq!((logons.len(), logons.columns()), (2, vec!["Account".to_string(), "Host".to_string()]));
/// assert_eq!(logons.column_strings("Host")?, vec![Some("ws1".to_string()), None]);
/// assert!(logons.column("Hots").is_err()); // unknown names suggest the closest ones
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Frame {
    inner: Arc<Inner>,
}

struct Inner {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    warnings: Vec<String>,
}

impl Frame {
    /// A frame from record batches that share `schema`.
    pub fn from_batches(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        let batches = batches.into_iter().filter(|b| b.num_rows() > 0).collect();
        Frame { inner: Arc::new(Inner { schema, batches, warnings: Vec::new() }) }
    }

    /// A frame holding one record batch.
    pub fn from_batch(batch: RecordBatch) -> Self {
        Self::from_batches(batch.schema(), vec![batch])
    }

    /// A frame with `schema` and no rows.
    pub fn empty(schema: SchemaRef) -> Self {
        Self::from_batches(schema, Vec::new())
    }

    /// A frame of string columns, from column names and rows of optional values (handy for
    /// small hand-made tables and tests).
    pub fn from_string_rows(columns: &[&str], rows: &[Vec<Option<&str>>]) -> Result<Self> {
        let mut arrays: Vec<(String, ArrayRef)> = Vec::new();
        for (i, name) in columns.iter().enumerate() {
            let values: Vec<Option<&str>> = rows.iter().map(|r| r.get(i).copied().flatten()).collect();
            arrays.push((name.to_string(), Arc::new(StringArray::from(values)) as ArrayRef));
        }
        Self::from_columns(arrays)
    }

    /// A frame from named columns of equal length.
    pub fn from_columns(columns: Vec<(String, ArrayRef)>) -> Result<Self> {
        let batch = RecordBatch::try_from_iter(columns)?;
        Ok(Self::from_batch(batch))
    }

    /// The Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        self.inner.schema.clone()
    }

    /// The record batches (empty batches are dropped).
    pub fn batches(&self) -> &[RecordBatch] {
        &self.inner.batches
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.inner.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Whether the frame has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of columns.
    pub fn num_columns(&self) -> usize {
        self.inner.schema.fields().len()
    }

    /// Column names, in order.
    pub fn columns(&self) -> Vec<String> {
        self.inner.schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    /// `(name, Arrow type)` of each column, in order.
    pub fn dtypes(&self) -> Vec<(String, String)> {
        self.inner.schema.fields().iter().map(|f| (f.name().clone(), f.data_type().to_string())).collect()
    }

    /// Whether a column of that exact name exists.
    pub fn has_column(&self, name: &str) -> bool {
        self.inner.schema.index_of(name).is_ok()
    }

    /// The whole of one column as a single Arrow array; an unknown name lists the closest ones.
    pub fn column(&self, name: &str) -> Result<ArrayRef> {
        let index = self.column_index(name)?;
        let parts: Vec<&dyn Array> = self.inner.batches.iter().map(|b| b.column(index).as_ref()).collect();
        if parts.is_empty() {
            return Ok(arrow::array::new_empty_array(self.inner.schema.field(index).data_type()));
        }
        Ok(arrow::compute::concat(&parts)?)
    }

    /// One column rendered as strings (nulls as `None`) — for text processing such as IoC extraction.
    pub fn column_strings(&self, name: &str) -> Result<Vec<Option<String>>> {
        let array = self.column(name)?;
        let strings = arrow::compute::cast(&array, &arrow::datatypes::DataType::Utf8)?;
        let strings = strings.as_any().downcast_ref::<StringArray>().expect("cast to Utf8 gives a StringArray");
        Ok(strings.iter().map(|v| v.map(str::to_string)).collect())
    }

    /// The position of a column; an unknown name lists the closest ones.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.inner.schema.index_of(name).map_err(|_| {
            let names = self.columns();
            Error::unknown("column", name, names.iter().map(String::as_str))
        })
    }

    /// All rows in one record batch.
    pub fn to_batch(&self) -> Result<RecordBatch> {
        Ok(concat_batches(&self.inner.schema, &self.inner.batches)?)
    }

    /// Rows `offset .. offset + len` (clamped to the frame).
    pub fn slice(&self, offset: usize, len: usize) -> Frame {
        let mut out = Vec::new();
        let mut skip = offset;
        let mut take = len;
        for batch in &self.inner.batches {
            if take == 0 {
                break;
            }
            let rows = batch.num_rows();
            if skip >= rows {
                skip -= rows;
                continue;
            }
            let n = take.min(rows - skip);
            out.push(batch.slice(skip, n));
            take -= n;
            skip = 0;
        }
        self.with_batches(out)
    }

    /// The first `n` rows.
    pub fn head(&self, n: usize) -> Frame {
        self.slice(0, n)
    }

    /// The last `n` rows.
    pub fn tail(&self, n: usize) -> Frame {
        let len = self.len();
        self.slice(len.saturating_sub(n), n)
    }

    /// Only the named columns, in the given order.
    pub fn select(&self, columns: &[&str]) -> Result<Frame> {
        let indices = columns.iter().map(|c| self.column_index(c)).collect::<Result<Vec<_>>>()?;
        let schema = Arc::new(self.inner.schema.project(&indices)?);
        let batches = self.inner.batches.iter().map(|b| b.project(&indices)).collect::<Result<Vec<_>, _>>()?;
        Ok(self.with_parts(schema, batches))
    }

    /// Rows of all `frames` one after the other. Schemas must have the same column names; columns
    /// whose types differ are converted to a common type (or to text).
    pub fn concat(frames: &[Frame]) -> Result<Frame> {
        let Some(first) = frames.first() else {
            return Ok(Frame::empty(Arc::new(Schema::empty())));
        };
        let schema = sql::unified_schema(frames)?;
        let mut batches = Vec::new();
        let mut warnings = Vec::new();
        for frame in frames {
            warnings.extend(frame.warnings().iter().cloned());
            for batch in frame.batches() {
                batches.push(sql::conform_batch(batch, &schema)?);
            }
        }
        let _ = first;
        Ok(Frame::from_batches(schema, batches).with_warnings(warnings))
    }

    /// Warnings attached to this data (e.g. a partial result from a service).
    pub fn warnings(&self) -> &[String] {
        &self.inner.warnings
    }

    /// The same data with one more warning.
    pub fn with_warning(&self, warning: impl Into<String>) -> Frame {
        let mut warnings = self.inner.warnings.clone();
        warnings.push(warning.into());
        self.with_warnings(warnings)
    }

    fn with_warnings(&self, warnings: Vec<String>) -> Frame {
        Frame {
            inner: Arc::new(Inner { schema: self.schema(), batches: self.inner.batches.clone(), warnings }),
        }
    }

    fn with_batches(&self, batches: Vec<RecordBatch>) -> Frame {
        self.with_parts(self.schema(), batches)
    }

    fn with_parts(&self, schema: SchemaRef, batches: Vec<RecordBatch>) -> Frame {
        let mut frame = Frame::from_batches(schema, batches);
        Arc::get_mut(&mut frame.inner).expect("new frame").warnings = self.inner.warnings.clone();
        frame
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text(10))
    }
}

impl std::fmt::Display for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text(render::DEFAULT_MAX_ROWS))
    }
}

#[cfg(test)]
mod tests;
