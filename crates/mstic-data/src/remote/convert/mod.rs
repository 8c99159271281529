//! Response bodies of the remote services → [`Frame`]: Log Analytics `tables/columns/rows`,
//! Kusto v2 frames (and v1 `Tables`), Defender/Graph hunting `schema/results` (keys matched
//! case-insensitively), Graph OData `value` lists, and Splunk JSON lines (all strings; types
//! inferred). Partial failures reported inside a 200 response come back in
//! [`Converted::partial_error`]. Conversions of large results stop between rows with
//! `Error::Interrupted` when the user interrupts the cell.

mod inference;
mod stream;
mod table;
pub mod values;

pub use inference::splunk_lines_to_frame;
pub use table::{Cell, ColumnKind, ColumnSpec, TableBuilder};

use mstic_core::interruptible::after_failure;
use mstic_core::{Error, Frame, Result, interrupt};

/// Rows converted between two checks for an interrupt of the cell.
const INTERRUPT_CHECK_ROWS: usize = 4096;
/// What an interrupted conversion reports as stopped.
const CONVERTING: &str = "converting the query results";
use serde_json::{Map, Value};

/// A converted response: the data, and the partial-failure message the service sent with it.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The rows that were returned.
    pub frame: Frame,
    /// Log Analytics `PartialError`, Kusto `HasErrors`, Splunk error messages…
    pub partial_error: Option<String>,
}

impl Converted {
    /// The frame, carrying the partial-failure message as a warning — or an error naming
    /// `service` and `context` when `fail_on_partial` is set.
    pub fn into_frame(self, fail_on_partial: bool, service: &str, context: &str) -> Result<Frame> {
        match self.partial_error {
            None => Ok(self.frame),
            Some(message) if fail_on_partial => Err(Error::Remote {
                service: service.to_string(),
                message: format!("{context}: partial result ({message}); fail_on_partial is set, so no rows are returned"),
            }),
            Some(message) => Ok(self.frame.with_warning(format!("{service} returned a partial result: {message}"))),
        }
    }
}

fn malformed(service: &str, e: impl std::fmt::Display) -> Error {
    Error::Remote { service: service.to_string(), message: format!("the response is not valid JSON of the expected shape: {e}") }
}

/// A Log Analytics query response (`{"tables":[{"name","columns","rows"}], "error"?}`): the
/// `PrimaryResult` table (else the first). A top-level `error` (`PartialError`) is returned as
/// the partial-failure message; an error without tables is an error.
pub fn log_analytics_to_frame(body: &[u8]) -> Result<Converted> {
    const SERVICE: &str = "Log Analytics";
    let response = stream::read_log_analytics(body).map_err(|e| after_failure(CONVERTING, malformed(SERVICE, e)))?;
    let error = response.error.as_ref().map(one_api_error_text);
    let index = response.tables.iter().position(|t| t.name == "PrimaryResult").unwrap_or(0);
    let Some(table) = response.tables.into_iter().nth(index) else {
        return Err(Error::Remote {
            service: SERVICE.into(),
            message: error.unwrap_or_else(|| "the response has no result table".to_string()),
        });
    };
    Ok(Converted { frame: table.builder.finish()?, partial_error: error })
}

/// Text of a OneAPI error object `{code, message, details[], innererror{}}`, nested messages
/// included.
pub fn one_api_error_text(error: &Value) -> String {
    let field = |v: &Value, key: &str| get_ci(v, key).and_then(Value::as_str).map(str::to_string);
    let mut text = match (field(error, "code"), field(error, "message").or_else(|| field(error, "@message"))) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (None, Some(message)) => message,
        (Some(code), None) => code,
        (None, None) => error.to_string(),
    };
    let mut inner: Vec<String> = Vec::new();
    if let Some(Value::Array(details)) = get_ci(error, "details") {
        inner.extend(details.iter().map(one_api_error_text));
    }
    if let Some(nested) = get_ci(error, "innererror").filter(|v| v.is_object()) {
        inner.push(one_api_error_text(nested));
    }
    if !inner.is_empty() {
        text.push_str(&format!(" ({})", inner.join("; ")));
    }
    text
}

/// A Kusto (ADX) v2 response — an array of frames — or a v1 response (`{"Tables":[…]}`): the
/// `PrimaryResult` table (progressive `TableHeader`/`TableFragment` frames are assembled). A
/// `DataSetCompletion` with `HasErrors` or `Cancelled` gives the partial-failure message.
pub fn kusto_to_frame(body: &[u8]) -> Result<Converted> {
    const SERVICE: &str = "Kusto";
    let value: Value = serde_json::from_slice(body).map_err(|e| malformed(SERVICE, e))?;
    match value {
        Value::Array(frames) => kusto_v2_frames(&frames),
        Value::Object(map) => {
            let tables = get_ci_map(&map, "Tables").and_then(Value::as_array).ok_or_else(|| malformed(SERVICE, "no Tables"))?;
            let table = tables.first().ok_or_else(|| malformed(SERVICE, "Tables is empty"))?;
            let specs = kusto_columns(table)?;
            Ok(Converted { frame: build_from_arrays(specs, get_ci(table, "Rows"))?, partial_error: None })
        }
        _ => Err(malformed(SERVICE, "expected an array of frames")),
    }
}

fn kusto_v2_frames(frames: &[Value]) -> Result<Converted> {
    let mut primary: Option<TableBuilder> = None;
    let mut header: Option<(Vec<ColumnSpec>, Vec<Value>)> = None;
    let mut partial_error = None;
    let mut row_errors = Vec::new();
    for frame in frames {
        let kind = get_ci(frame, "FrameType").and_then(Value::as_str).unwrap_or_default();
        let is_primary = get_ci(frame, "TableKind").and_then(Value::as_str) == Some("PrimaryResult");
        match kind {
            "DataTable" if is_primary && primary.is_none() => {
                let specs = kusto_columns(frame)?;
                let rows = get_ci(frame, "Rows").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                let mut builder = TableBuilder::new(specs, rows.len());
                push_kusto_rows(&mut builder, rows, &mut row_errors)?;
                primary = Some(builder);
            }
            "TableHeader" if is_primary && primary.is_none() => header = Some((kusto_columns(frame)?, Vec::new())),
            "TableFragment" => {
                if let (Some((_, rows)), Some(Value::Array(new_rows))) = (header.as_mut(), get_ci(frame, "Rows")) {
                    if get_ci(frame, "TableFragmentType").and_then(Value::as_str) == Some("DataReplace") {
                        rows.clear();
                    }
                    rows.extend(new_rows.iter().cloned());
                }
            }
            "TableCompletion" => {
                if let Some((specs, rows)) = header.take() {
                    let mut builder = TableBuilder::new(specs, rows.len());
                    push_kusto_rows(&mut builder, &rows, &mut row_errors)?;
                    primary = Some(builder);
                }
            }
            "DataSetCompletion" => {
                let flag = |key: &str| get_ci(frame, key).and_then(Value::as_bool).unwrap_or(false);
                if flag("HasErrors") || flag("Cancelled") {
                    let mut messages: Vec<String> = match get_ci(frame, "OneApiErrors") {
                        Some(Value::Array(errors)) => errors.iter().map(|e| one_api_error_text(get_ci(e, "error").unwrap_or(e))).collect(),
                        _ => Vec::new(),
                    };
                    if flag("Cancelled") {
                        messages.insert(0, "the query was cancelled".to_string());
                    }
                    if messages.is_empty() {
                        messages.push("DataSetCompletion reports HasErrors".to_string());
                    }
                    partial_error = Some(messages.join("; "));
                }
            }
            _ => {}
        }
    }
    if let Some((specs, rows)) = header {
        let mut builder = TableBuilder::new(specs, rows.len());
        push_kusto_rows(&mut builder, &rows, &mut row_errors)?;
        primary = Some(builder);
    }
    if !row_errors.is_empty() {
        let text = row_errors.join("; ");
        partial_error = Some(partial_error.map_or(text.clone(), |p| format!("{p}; {text}")));
    }
    let builder = primary.ok_or_else(|| Error::Remote {
        service: "Kusto".into(),
        message: partial_error.clone().unwrap_or_else(|| "the response has no PrimaryResult table".into()),
    })?;
    Ok(Converted { frame: builder.finish()?, partial_error })
}

/// Kusto rows are arrays; an object in their place is an in-band error (`OneApiErrors`).
fn push_kusto_rows(builder: &mut TableBuilder, rows: &[Value], errors: &mut Vec<String>) -> Result<()> {
    for (index, row) in rows.iter().enumerate() {
        if index % INTERRUPT_CHECK_ROWS == 0 {
            interrupt::check(CONVERTING)?;
        }
        match row {
            Value::Array(values) => builder.push_array(values),
            other => errors.push(one_api_error_text(get_ci(other, "OneApiErrors").and_then(|e| e.get(0)).and_then(|e| get_ci(e, "error")).unwrap_or(other))),
        }
    }
    Ok(())
}

fn kusto_columns(table: &Value) -> Result<Vec<ColumnSpec>> {
    let columns = get_ci(table, "Columns").and_then(Value::as_array).ok_or_else(|| malformed("Kusto", "a table has no Columns"))?;
    Ok(columns
        .iter()
        .map(|c| {
            let text = |key: &str| get_ci(c, key).and_then(Value::as_str).unwrap_or_default();
            let kind = if text("ColumnType").is_empty() { text("DataType") } else { text("ColumnType") };
            ColumnSpec::new(text("ColumnName"), kind)
        })
        .collect())
}

fn build_from_arrays(specs: Vec<ColumnSpec>, rows: Option<&Value>) -> Result<Frame> {
    let rows = rows.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut builder = TableBuilder::new(specs, rows.len());
    for row in rows {
        if let Value::Array(values) = row {
            builder.push_array(values);
        }
    }
    builder.finish()
}

/// A Defender / Graph hunting response: `{"schema":[{"name","type"}],"results":[{col:val}]}`
/// (MDE spells them `Schema`/`Results`/`Name`/`Type`; all keys match case-insensitively).
pub fn hunting_to_frame(body: &[u8], service: &str) -> Result<Converted> {
    let value: Value = serde_json::from_slice(body).map_err(|e| malformed(service, e))?;
    let schema = get_ci(&value, "schema").and_then(Value::as_array).ok_or_else(|| malformed(service, "no schema list"))?;
    let specs: Vec<ColumnSpec> = schema
        .iter()
        .map(|c| {
            let text = |key: &str| get_ci(c, key).and_then(Value::as_str).unwrap_or_default();
            ColumnSpec::new(text("name"), text("type"))
        })
        .collect();
    let results = get_ci(&value, "results").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut builder = TableBuilder::new(specs, results.len());
    for (index, row) in results.iter().enumerate() {
        if index % INTERRUPT_CHECK_ROWS == 0 {
            interrupt::check(CONVERTING)?;
        }
        match row {
            Value::Object(map) => builder.push_object(map),
            Value::Array(values) => builder.push_array(values),
            _ => {}
        }
    }
    Ok(Converted { frame: builder.finish()?, partial_error: None })
}

/// A Graph OData response: the `value` list (or a single entity object) as rows; nested objects
/// and lists become JSON text; date-time text columns become timestamps.
pub fn odata_to_frame(body: &[u8]) -> Result<(Frame, Option<String>)> {
    let value: Value = serde_json::from_slice(body).map_err(|e| malformed("Microsoft Graph", e))?;
    let next = get_ci(&value, "@odata.nextLink").and_then(Value::as_str).map(str::to_string);
    let rows: Vec<Value> = match get_ci(&value, "value") {
        Some(Value::Array(items)) => items.iter().map(flatten_nested).collect(),
        _ => vec![flatten_nested(&value)],
    };
    let rows: Vec<Value> = rows.into_iter().filter(|r| r.as_object().is_some_and(|m| !m.is_empty())).collect();
    if rows.is_empty() {
        return Ok((Frame::empty(std::sync::Arc::new(arrow::datatypes::Schema::empty())), next));
    }
    Ok((Frame::from_json_rows(&rows)?, next))
}

fn flatten_nested(row: &Value) -> Value {
    let Value::Object(map) = row else { return Value::Object(Map::new()) };
    let flat = map
        .iter()
        .filter(|(k, _)| !k.starts_with("@odata."))
        .map(|(k, v)| match v {
            Value::Object(_) | Value::Array(_) => (k.clone(), Value::String(v.to_string())),
            other => (k.clone(), other.clone()),
        })
        .collect();
    Value::Object(flat)
}

/// `value[key]`, with the key matched exactly first, then case-insensitively.
pub fn get_ci<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_object().and_then(|map| get_ci_map(map, key))
}

fn get_ci_map<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}
