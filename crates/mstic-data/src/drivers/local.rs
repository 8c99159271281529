//! `LocalData`: query files on disk. As in MSTICPy, query text that names a file (matched
//! case-insensitively across the data paths) returns that file; beyond MSTICPy, query text that is
//! SQL runs on DataFusion with every data file registered as a table named by its file stem, so
//! template parameters really filter.

use super::{describe_paths, effective_paths, find_files, valid_name};
use crate::{Capabilities, Driver, DriverSettings, QueryOptions};
use mstic_core::{Error, Frame, Result, SqlSession};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// File types LocalData reads (pickles are found only to explain that they are not supported).
const DATA_EXTENSIONS: &[&str] = &["csv", "json", "jsonl", "ndjson", "parquet", "pq", "pkl"];

/// Words that start a SQL query rather than name a file.
const SQL_KEYWORDS: &[&str] = &["select", "with", "show", "describe", "explain", "values"];

/// The `LocalData` driver: CSV, JSON lines and Parquet files under a list of data paths, read
/// by file name or queried with SQL (each file is a table named by its lower-case stem).
///
/// # Example
/// ```
/// use mstic_data::{Driver, QueryOptions, drivers::LocalDataDriver};
/// let dir = std::env::temp_dir().join("mstic-doc-localdata");
/// std::fs::create_dir_all(&dir).map_err(|e| mstic_core::Error::file(&dir, e))?;
/// std::fs::write(dir.join("host_logons.csv"), "Account,LogonType\nalice,3\nbob,10\n").map_err(|e| mstic_core::Error::file(&dir, e))?;
/// let driver = LocalDataDriver::from_paths([&dir]);
/// assert_eq!(driver.query("host_logons.csv", &QueryOptions::default())?.len(), 2);
/// let network = driver.query("select Account from host_logons where LogonType = 3", &QueryOptions::default())?;
/// assert_eq!(network.column_strings("Account")?, vec![Some("alice".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct LocalDataDriver {
    paths: Vec<PathBuf>,
    /// Lower-case file name (with extension) → path.
    files: BTreeMap<String, PathBuf>,
    /// SQL table name (lower-case file stem) → path.
    tables: BTreeMap<String, PathBuf>,
    cache: Mutex<HashMap<PathBuf, Frame>>,
    connected: bool,
}

impl LocalDataDriver {
    /// A driver over `settings.data_paths` (the current folder when empty), scanned recursively.
    pub fn new(settings: &DriverSettings) -> Self {
        let mut driver = LocalDataDriver {
            paths: effective_paths(settings),
            files: BTreeMap::new(),
            tables: BTreeMap::new(),
            cache: Mutex::new(HashMap::new()),
            connected: false,
        };
        driver.scan();
        driver
    }

    /// A driver over these folders or files.
    pub fn from_paths<P: Into<PathBuf>>(paths: impl IntoIterator<Item = P>) -> Self {
        Self::new(&DriverSettings::with_data_paths(paths))
    }

    fn scan(&mut self) {
        self.files.clear();
        self.tables.clear();
        for path in find_files(&self.paths, DATA_EXTENSIONS) {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            self.files.insert(name.to_lowercase(), path.clone());
            if !is_pickle(&path) {
                self.tables.insert(table_name(&path), path);
            }
        }
    }

    /// The data files found: lower-case file name → path.
    pub fn files(&self) -> &BTreeMap<String, PathBuf> {
        &self.files
    }

    /// The SQL tables: table name (lower-case file stem) → file.
    pub fn tables(&self) -> &BTreeMap<String, PathBuf> {
        &self.tables
    }

    /// Loads one data file (cached per driver).
    pub fn load(&self, path: &Path) -> Result<Frame> {
        if let Some(frame) = self.cache.lock().map_err(|_| poisoned())?.get(path) {
            return Ok(frame.clone());
        }
        if is_pickle(path) {
            return Err(Error::file(
                path,
                "Python pickle files cannot be read; convert the data to Parquet or CSV \
                 (in pandas: df.to_parquet(...))",
            ));
        }
        let frame = Frame::read_file(path)?;
        self.cache.lock().map_err(|_| poisoned())?.insert(path.to_path_buf(), frame.clone());
        Ok(frame)
    }

    /// Runs SQL with the tables it mentions registered.
    fn run_sql(&self, query: &str) -> Result<Frame> {
        // Table names match case-insensitively: each table is registered under the spelling used.
        let mut session = SqlSession::new();
        for word in identifiers(query) {
            if let Some(path) = self.tables.get(&word.to_lowercase()) {
                // Registration parses the name, so a mixed-case spelling is quoted to keep its case.
                let name = if word.chars().any(|c| c.is_ascii_uppercase()) { format!("\"{word}\"") } else { word.clone() };
                session.register(&name, &self.load(path)?)?;
            }
        }
        session.sql(query)
    }

    fn unknown_file(&self, query: &str) -> Error {
        if self.files.is_empty() {
            return Error::Other(format!(
                "LocalData: no data files (.csv, .json, .jsonl, .parquet) found under {}; query was '{query}'",
                describe_paths(&self.paths)
            ));
        }
        let names: Vec<&str> = self.files.keys().map(String::as_str).chain(self.tables.keys().map(String::as_str)).collect();
        Error::unknown("LocalData file or table", query, names)
    }
}

impl Driver for LocalDataDriver {
    fn environment(&self) -> &str {
        "LocalData"
    }

    fn connect(&mut self) -> Result<()> {
        self.scan();
        self.cache.lock().map_err(|_| poisoned())?.clear();
        self.connected = true;
        Ok(())
    }

    fn is_connected(&self) -> bool {
        // As in MSTICPy, local data is always available.
        true
    }

    fn query(&self, query: &str, _options: &QueryOptions) -> Result<Frame> {
        let text = query.trim();
        if let Some(path) = self.files.get(&text.to_lowercase()) {
            return self.load(path);
        }
        if is_sql(text) {
            return self.run_sql(text);
        }
        let as_path = Path::new(text);
        if as_path.is_absolute() && as_path.is_file() {
            return self.load(as_path);
        }
        Err(self.unknown_file(text))
    }

    fn schema(&self) -> Result<BTreeMap<String, Vec<(String, String)>>> {
        let mut schema = BTreeMap::new();
        for (table, path) in &self.tables {
            schema.insert(table.clone(), self.load(path)?.dtypes());
        }
        Ok(schema)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { remote: false, parallel_queries: false, local_sql: true }
    }
}

/// The SQL table name of a data file: its stem, lower-cased, other characters as `_`.
pub fn table_name(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("data");
    valid_name(stem).to_lowercase()
}

fn is_pickle(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("pkl"))
}

/// Whether query text is SQL (starts with a SQL keyword) rather than a file name.
pub fn is_sql(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("").trim_start_matches('(').to_lowercase();
    SQL_KEYWORDS.contains(&first.as_str())
}

/// Every identifier-like word in `text` (quotes stripped), to find mentioned tables.
fn identifiers(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

fn poisoned() -> Error {
    Error::Other("LocalData cache lock poisoned by an earlier failure".into())
}
