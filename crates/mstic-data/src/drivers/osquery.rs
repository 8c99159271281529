//! `OSQueryLogs`: osquery result and snapshot logs (`*.log`, JSON lines) read as MSTICPy reads
//! them — nested objects flattened with `_`, one table per osquery query `name` (pack prefix
//! removed), `columns_`/`decorations_` prefixes stripped and epoch-second columns as timestamps.

use super::{describe_paths, effective_paths, find_files, valid_name};
use crate::{Driver, DriverQuery, DriverSettings, QueryOptions};
use mstic_core::{Error, Frame, Result, interrupt};
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Columns holding epoch seconds, before prefix stripping (as MSTICPy lists them).
const EPOCH_COLUMNS: &[&str] = &["unixTime", "columns_time", "columns_atime", "columns_ctime", "columns_mtime"];

/// Prefixes removed from flattened column names.
const STRIPPED_PREFIXES: &[&str] = &["decorations_", "columns_"];

/// Nesting depth flattened into columns (pandas `json_normalize(max_level=3)`).
const MAX_FLATTEN_LEVEL: usize = 3;

/// The `OSQueryLogs` driver. Query names are the osquery table names (`processes`,
/// `osquery_info`…), in the `osquery` family.
///
/// # Example
/// ```
/// use mstic_data::{Driver, DriverSettings, QueryOptions, drivers::OsQueryDriver};
/// let dir = std::env::temp_dir().join("mstic-doc-osquery");
/// std::fs::create_dir_all(&dir).map_err(|e| mstic_core::Error::file(&dir, e))?;
/// let line = r#"{"name": "pack_custom-pack_processes", "unixTime": 1678936138, "columns": {"pid": "4", "cmdline": "smss.exe"}}"#;
/// std::fs::write(dir.join("osqueryd.results.log"), line).map_err(|e| mstic_core::Error::file(&dir, e))?;
/// let mut driver = OsQueryDriver::new(&DriverSettings::with_data_paths([&dir]));
/// driver.connect()?;
/// let processes = driver.query("processes", &QueryOptions::default())?;
/// assert_eq!(processes.column_strings("cmdline")?, vec![Some("smss.exe".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct OsQueryDriver {
    paths: Vec<PathBuf>,
    tables: Mutex<Option<Arc<BTreeMap<String, Frame>>>>,
}

impl OsQueryDriver {
    /// A driver over `settings.data_paths` (folders are searched for `*.log`; files are read as given).
    pub fn new(settings: &DriverSettings) -> Self {
        OsQueryDriver { paths: effective_paths(settings), tables: Mutex::new(None) }
    }

    /// The log files that will be read.
    pub fn log_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self.paths.iter().filter(|p| p.is_file()).cloned().collect();
        let folders: Vec<PathBuf> = self.paths.iter().filter(|p| !p.is_file()).cloned().collect();
        files.extend(find_files(&folders, &["log"]));
        files
    }

    /// All tables (query name → rows), reading the logs on first use.
    pub fn tables(&self) -> Result<Arc<BTreeMap<String, Frame>>> {
        let mut guard = self.tables.lock().map_err(|_| Error::Other("osquery table cache poisoned".into()))?;
        if let Some(tables) = guard.as_ref() {
            return Ok(tables.clone());
        }
        let tables = Arc::new(self.read_logs()?);
        *guard = Some(tables.clone());
        Ok(tables)
    }

    fn read_logs(&self) -> Result<BTreeMap<String, Frame>> {
        let files = self.log_files();
        if files.is_empty() {
            return Err(Error::Other(format!("OSQueryLogs: no osquery log files (*.log) found under {}", describe_paths(&self.paths))));
        }
        // Rows by osquery query name, in order of first appearance.
        let mut events: Vec<(String, Vec<Value>)> = Vec::new();
        for file in &files {
            read_log_file(file, &mut events)?;
        }
        let mut by_table: BTreeMap<String, Vec<Frame>> = BTreeMap::new();
        for (name, rows) in events {
            by_table.entry(table_for_query_name(&name)).or_default().push(event_frame(&rows)?);
        }
        by_table.into_iter().map(|(table, frames)| Ok((table, Frame::concat(&frames)?))).collect()
    }
}

/// The query name MSTICPy derives from an osquery query `name`: `pack_<pack>_` removed, then made
/// a valid identifier (`pack_osquery-custom-pack_processes` → `processes`).
pub fn table_for_query_name(name: &str) -> String {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| Regex::new(r"(?i)(?:pack_[^_]+_)?(?P<table>[\w_]+)").expect("valid regex"));
    let table = pattern.captures(name).and_then(|c| c.name("table")).map(|m| m.as_str()).unwrap_or(name);
    valid_name(table.trim())
}

/// Lines read between two checks for an interrupt of the cell.
const INTERRUPT_CHECK_LINES: usize = 1024;

fn read_log_file(path: &Path, events: &mut Vec<(String, Vec<Value>)>) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::file(path, e))?;
    let mut lines_read = 0;
    let stopped = format!("reading {}", path.display());
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        if index % INTERRUPT_CHECK_LINES == 0 {
            interrupt::check(&stopped)?;
        }
        let parse = |message: String| Error::Parse { path: path.to_path_buf(), line: Some(index + 1), message };
        let line = line.map_err(|e| parse(e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(&line).map_err(|e| parse(format!("invalid JSON: {e}")))?;
        let Value::Object(object) = value else { return Err(parse("expected a JSON object".into())) };
        let name = object.get("name").and_then(Value::as_str).unwrap_or("unnamed").to_string();
        let mut row = Map::new();
        flatten("", &object, 0, &mut row);
        match events.iter_mut().find(|(n, _)| *n == name) {
            Some((_, rows)) => rows.push(Value::Object(row)),
            None => events.push((name, vec![Value::Object(row)])),
        }
        lines_read += 1;
    }
    if lines_read == 0 {
        return Err(Error::Parse { path: path.to_path_buf(), line: None, message: "no log data in the file".into() });
    }
    Ok(())
}

/// Flattens nested objects into `parent_child` keys, `MAX_FLATTEN_LEVEL` levels deep.
fn flatten(prefix: &str, object: &Map<String, Value>, level: usize, out: &mut Map<String, Value>) {
    for (key, value) in object {
        let name = if prefix.is_empty() { key.replace('.', "_") } else { format!("{prefix}_{}", key.replace('.', "_")) };
        match value {
            Value::Object(inner) if level < MAX_FLATTEN_LEVEL => flatten(&name, inner, level + 1, out),
            Value::Object(_) | Value::Array(_) => {
                out.insert(name, Value::String(value.to_string()));
            }
            other => {
                out.insert(name, other.clone());
            }
        }
    }
}

/// One osquery query's rows as a frame: all-null columns dropped, prefixes stripped, epoch
/// columns converted.
fn event_frame(rows: &[Value]) -> Result<Frame> {
    const STOPPED: &str = "building the osquery tables";
    let mut columns: Vec<String> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        if index % INTERRUPT_CHECK_LINES == 0 {
            interrupt::check(STOPPED)?;
        }
        if let Value::Object(map) = row {
            for (key, value) in map {
                if !value.is_null() && !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    let renames = renamed_columns(&columns);
    let mut converted: Vec<Value> = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        if index % INTERRUPT_CHECK_LINES == 0 {
            interrupt::check(STOPPED)?;
        }
        let mut out = Map::new();
        for (original, renamed) in columns.iter().zip(&renames) {
            let value = row.get(original).cloned().unwrap_or(Value::Null);
            let value = if EPOCH_COLUMNS.contains(&original.as_str()) { epoch_to_iso(&value) } else { value };
            out.insert(renamed.clone(), value);
        }
        converted.push(Value::Object(out));
    }
    Frame::from_json_rows(&converted)
}

/// Column names with `columns_`/`decorations_` removed; a name that clashes with an existing
/// column gets a trailing `_` (as MSTICPy does).
fn renamed_columns(columns: &[String]) -> Vec<String> {
    columns
        .iter()
        .map(|column| {
            for prefix in STRIPPED_PREFIXES {
                if let Some(rest) = column.strip_prefix(prefix) {
                    return if columns.iter().any(|c| c == rest) { format!("{rest}_") } else { rest.to_string() };
                }
            }
            column.clone()
        })
        .collect()
}

/// Epoch seconds (number or numeric text) as an ISO-8601 UTC string; other values unchanged.
fn epoch_to_iso(value: &Value) -> Value {
    let seconds = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let Some(seconds) = seconds else { return value.clone() };
    let nanos = (seconds * 1e9) as i64;
    Value::String(chrono::DateTime::from_timestamp_nanos(nanos).format("%Y-%m-%dT%H:%M:%S%.fZ").to_string())
}

impl Driver for OsQueryDriver {
    fn environment(&self) -> &str {
        "OSQueryLogs"
    }

    fn connect(&mut self) -> Result<()> {
        *self.tables.lock().map_err(|_| Error::Other("osquery table cache poisoned".into()))? = None;
        self.tables().map(|_| ())
    }

    fn is_connected(&self) -> bool {
        self.tables.lock().map(|t| t.is_some()).unwrap_or(false)
    }

    fn query(&self, query: &str, _options: &QueryOptions) -> Result<Frame> {
        let tables = self.tables()?;
        let name = query.trim();
        tables.get(name).cloned().ok_or_else(|| Error::unknown("osquery table", name, tables.keys().map(String::as_str)))
    }

    fn schema(&self) -> Result<BTreeMap<String, Vec<(String, String)>>> {
        Ok(self.tables()?.iter().map(|(name, frame)| (name.clone(), frame.dtypes())).collect())
    }

    fn driver_queries(&self) -> Vec<DriverQuery> {
        let Ok(tables) = self.tables() else { return Vec::new() };
        tables
            .keys()
            .map(|name| DriverQuery {
                family: "osquery".into(),
                name: name.clone(),
                query: name.clone(),
                description: format!("OS Query {name} table."),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_prefix_is_removed() {
        assert_eq!(table_for_query_name("pack_osquery-custom-pack_processes"), "processes");
        assert_eq!(table_for_query_name("pack_osquery-monitoring2-pack_osquerydb_size"), "osquerydb_size");
        assert_eq!(table_for_query_name("fim"), "fim");
    }

    #[test]
    fn epoch_text_becomes_iso() {
        assert_eq!(epoch_to_iso(&Value::String("1678936138".into())), Value::String("2023-03-16T03:08:58Z".into()));
    }
}
