//! Reading and writing frames: CSV, JSON lines, Parquet, and JSON values from services. Reads
//! stop with `Error::Interrupted` when the user interrupts the cell.

use super::{Frame, timestamps};
use crate::interruptible::InterruptibleReader;
use crate::{Error, Result, interrupt};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::Path;
use std::sync::Arc;

const BATCH_SIZE: usize = 8192;

impl Frame {
    /// Reads a CSV file with a header row; column types are inferred from the whole file and
    /// date-time text becomes UTC timestamps. Errors name the file and line.
    pub fn read_csv(path: impl AsRef<Path>) -> Result<Frame> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::file(path, e))?;
        Self::read_csv_from(file, path)
    }

    /// Reads a tab-separated file with a header row (commas inside fields stay in the field),
    /// with the same type inference as [`Frame::read_csv`].
    pub fn read_tsv(path: impl AsRef<Path>) -> Result<Frame> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::file(path, e))?;
        read_delimited(file, path, b'\t')
    }

    /// Reads CSV from any seekable reader; `source` names it in errors.
    pub fn read_csv_from<R: Read + Seek>(reader: R, source: &Path) -> Result<Frame> {
        read_delimited(reader, source, b',')
    }

    /// Reads a JSON-lines file (one object per line). Errors name the file and line.
    pub fn read_json(path: impl AsRef<Path>) -> Result<Frame> {
        let path = path.as_ref();
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|file| InterruptibleReader::new(file).read_to_end(&mut bytes))
            .map_err(|e| stopped_or(path, Error::file(path, e)))?;
        Self::read_json_lines_bytes(&bytes, path)
    }

    /// Reads JSON lines held in memory (e.g. a member of a zip archive); `source` names it in errors.
    /// Large inputs are split at a line boundary and inferred and decoded on two threads.
    pub fn read_json_lines_bytes(bytes: &[u8], source: &Path) -> Result<Frame> {
        let on_error = |e: arrow::error::ArrowError| json_error(bytes, source, e.to_string());
        let chunks = split_lines(bytes, if bytes.len() >= PARALLEL_JSON_BYTES { 2 } else { 1 });
        let schema: SchemaRef = Arc::new(infer_json_schema(&chunks).map_err(on_error)?);
        let decoded: Vec<Result<Vec<RecordBatch>, arrow::error::ArrowError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .iter()
                .map(|chunk| {
                    let schema = schema.clone();
                    scope.spawn(move || {
                        arrow::json::ReaderBuilder::new(schema)
                            .with_batch_size(BATCH_SIZE)
                            .with_coerce_primitive(true)
                            .build(InterruptibleReader::new(Cursor::new(*chunk)))?
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("JSON decoding thread panicked")).collect()
        });
        let mut batches = Vec::new();
        for part in decoded {
            batches.extend(part.map_err(on_error)?);
        }
        Ok(timestamps::normalize(Frame::from_batches(schema, batches)))
    }

    /// A frame from JSON objects (one per row), e.g. a service's result rows. Stops between rows
    /// with `Error::Interrupted` when the user interrupts the cell.
    pub fn from_json_rows(rows: &[Value]) -> Result<Frame> {
        const STOPPED: &str = "converting JSON rows";
        let interrupted = || arrow::error::ArrowError::ExternalError("interrupted".into());
        let values = rows.iter().map(|v| if interrupt::is_requested() { Err(interrupted()) } else { Ok(v.clone()) });
        let schema = arrow::json::reader::infer_json_schema_from_iterator(values)
            .map_err(|e| crate::interruptible::after_failure(STOPPED, e.into()))?;
        let schema: SchemaRef = Arc::new(schema);
        let mut decoder = arrow::json::ReaderBuilder::new(schema.clone())
            .with_coerce_primitive(true)
            .build_decoder()?;
        let mut batches: Vec<RecordBatch> = Vec::new();
        for chunk in rows.chunks(BATCH_SIZE) {
            interrupt::check(STOPPED)?;
            decoder.serialize(chunk)?;
            batches.extend(decoder.flush()?);
        }
        Ok(timestamps::normalize(Frame::from_batches(schema, batches)))
    }

    /// Reads a Parquet file.
    pub fn read_parquet(path: impl AsRef<Path>) -> Result<Frame> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::file(path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parse_error(path, e.to_string()))?;
        let schema = builder.schema().clone();
        let reader = builder.with_batch_size(BATCH_SIZE).build().map_err(|e| parse_error(path, e.to_string()))?;
        let mut batches = Vec::new();
        for batch in reader {
            interrupt::check(&reading(path))?;
            batches.push(batch.map_err(|e| parse_error(path, e.to_string()))?);
        }
        Ok(timestamps::normalize(Frame::from_batches(schema, batches)))
    }

    /// Reads a file by its extension: `.csv`/`.txt` (comma-separated), `.tsv`/`.tab` (tab-separated),
    /// `.json`/`.jsonl`/`.ndjson` (JSON lines), `.parquet`.
    pub fn read_file(path: impl AsRef<Path>) -> Result<Frame> {
        let path = path.as_ref();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Self::read_csv(path),
            "tsv" | "tab" => Self::read_tsv(path),
            "json" | "jsonl" | "ndjson" => Self::read_json(path),
            "parquet" | "pq" => Self::read_parquet(path),
            other => Err(Error::file(path, format!("unsupported file type '.{other}' (use .csv, .tsv, .json, .jsonl or .parquet)"))),
        }
    }

    /// Writes the frame as CSV with a header row.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let file = File::create(path).map_err(|e| Error::file(path, e))?;
        let mut writer = arrow::csv::WriterBuilder::new().with_header(true).build(file);
        for batch in self.batches() {
            writer.write(batch).map_err(|e| Error::file(path, e))?;
        }
        Ok(())
    }

    /// Writes the frame as JSON lines.
    pub fn write_json(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let file = File::create(path).map_err(|e| Error::file(path, e))?;
        let mut writer = arrow::json::LineDelimitedWriter::new(file);
        for batch in self.batches() {
            writer.write(batch).map_err(|e| Error::file(path, e))?;
        }
        writer.finish().map_err(|e| Error::file(path, e))
    }

    /// Writes the frame as Parquet.
    pub fn write_parquet(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let file = File::create(path).map_err(|e| Error::file(path, e))?;
        let mut writer = ArrowWriter::try_new(file, self.schema(), None).map_err(|e| Error::file(path, e))?;
        for batch in self.batches() {
            writer.write(batch).map_err(|e| Error::file(path, e))?;
        }
        writer.close().map_err(|e| Error::file(path, e))?;
        Ok(())
    }
}

/// Reads delimited text with a header row from a seekable reader: the types are inferred from the
/// whole input, then it is read again; `source` names it in errors.
fn read_delimited<R: Read + Seek>(reader: R, source: &Path, delimiter: u8) -> Result<Frame> {
    let mut reader = InterruptibleReader::new(reader);
    let format = arrow::csv::reader::Format::default().with_header(true).with_delimiter(delimiter);
    let (schema, _) = format
        .infer_schema(&mut reader, None)
        .map_err(|e| parse_error(source, e.to_string()))?;
    reader.rewind().map_err(|e| Error::file(source, e))?;
    // Date-times are read as text and converted afterwards, which tolerates padding and zones
    // that the CSV reader's own timestamp parser rejects.
    let schema: SchemaRef = Arc::new(text_for_datetimes(schema));
    let csv = arrow::csv::ReaderBuilder::new(schema.clone())
        .with_format(format)
        .with_batch_size(BATCH_SIZE)
        .build(reader)
        .map_err(|e| parse_error(source, e.to_string()))?;
    let batches = csv.collect::<Result<Vec<_>, _>>().map_err(|e| parse_error(source, e.to_string()))?;
    Ok(timestamps::normalize(Frame::from_batches(schema, batches)))
}

fn text_for_datetimes(schema: arrow::datatypes::Schema) -> arrow::datatypes::Schema {
    use arrow::datatypes::{DataType, Field};
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => f.as_ref().clone().with_data_type(DataType::Utf8),
            _ => f.as_ref().clone(),
        })
        .collect();
    arrow::datatypes::Schema::new(fields)
}

/// Inputs at least this large are read on two threads.
const PARALLEL_JSON_BYTES: usize = 4 << 20;

/// `bytes` cut into up to `parts` pieces, each ending at a line boundary.
fn split_lines(bytes: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut chunks = Vec::with_capacity(parts);
    let mut rest = bytes;
    for remaining in (2..=parts).rev() {
        let target = rest.len() / remaining;
        match rest[target..].iter().position(|&b| b == b'\n') {
            Some(offset) => {
                let (head, tail) = rest.split_at(target + offset + 1);
                chunks.push(head);
                rest = tail;
            }
            None => break,
        }
    }
    chunks.push(rest);
    chunks
}

/// The schema of all `chunks`: inferred per chunk in parallel and merged; when the chunks
/// disagree on a type that a merge cannot settle, inferred again over the whole input so
/// the reader's own coercion rules decide.
fn infer_json_schema(chunks: &[&[u8]]) -> Result<arrow::datatypes::Schema, arrow::error::ArrowError> {
    use arrow::datatypes::Schema;
    let infer = |chunk: &[u8]| {
        arrow::json::reader::infer_json_schema(InterruptibleReader::new(Cursor::new(chunk)), None).map(|(s, _)| s)
    };
    if chunks.len() == 1 {
        return infer(chunks[0]);
    }
    let schemas: Vec<Result<Schema, _>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks.iter().map(|chunk| scope.spawn(move || infer(chunk))).collect();
        handles.into_iter().map(|h| h.join().expect("schema inference thread panicked")).collect()
    });
    let schemas = schemas.into_iter().collect::<Result<Vec<_>, _>>()?;
    match Schema::try_merge(schemas) {
        Ok(merged) => Ok(merged),
        Err(_) => {
            let whole: Vec<u8> = chunks.concat();
            infer(&whole)
        }
    }
}

/// What an interrupted read of `source` reports as stopped.
fn reading(source: &Path) -> String {
    format!("reading {}", source.display())
}

/// `Error::Interrupted` for reading `source` when the user interrupted the cell, else `error`.
fn stopped_or(source: &Path, error: Error) -> Error {
    crate::interruptible::after_failure(&reading(source), error)
}

/// A parse error for `source`, with the line number taken from the reader's message when it has
/// one (or the interruption that made the reader fail).
fn parse_error(source: &Path, message: String) -> Error {
    if interrupt::is_requested() {
        return Error::interrupted(reading(source));
    }
    let line = regex::Regex::new(r"line (\d+)")
        .ok()
        .and_then(|re| re.captures(&message).and_then(|c| c[1].parse::<usize>().ok()));
    Error::Parse { path: source.to_path_buf(), line, message }
}

/// A JSON-lines error for `source`: finds the first line that is not valid JSON to name it.
fn json_error(bytes: &[u8], source: &Path, message: String) -> Error {
    if interrupt::is_requested() {
        return Error::interrupted(reading(source));
    }
    for (index, line) in BufReader::new(bytes).lines().enumerate() {
        let Ok(line) = line else {
            return Error::Parse { path: source.to_path_buf(), line: Some(index + 1), message: "not valid UTF-8".into() };
        };
        if line.trim().is_empty() {
            continue;
        }
        if let Err(e) = serde_json::from_str::<Value>(&line) {
            return Error::Parse { path: source.to_path_buf(), line: Some(index + 1), message: format!("invalid JSON: {e}") };
        }
    }
    Error::Parse { path: source.to_path_buf(), line: None, message }
}
