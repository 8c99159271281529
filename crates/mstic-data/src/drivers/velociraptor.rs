//! `VelociraptorLogs`: Velociraptor artifact exports (`*.json`, JSON lines). As in MSTICPy, each
//! file's path (relative to its data path, without extension) made a valid identifier is a query
//! name in the `velociraptor` family (`Windows.System.Pslist.json` → `Windows_System_Pslist`);
//! files with the same name in several data paths are concatenated.

use super::{describe_paths, effective_paths, find_files, valid_name};
use crate::{Driver, DriverQuery, DriverSettings, QueryOptions};
use mstic_core::{Error, Frame, Result, interrupt};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

/// The `VelociraptorLogs` driver: one query per artifact export file, named after its path.
///
/// # Example
/// ```
/// use mstic_data::{Driver, DriverSettings, QueryOptions, drivers::VelociraptorDriver};
/// let dir = std::env::temp_dir().join("mstic-doc-velociraptor");
/// std::fs::create_dir_all(&dir).map_err(|e| mstic_core::Error::file(&dir, e))?;
/// let rows = "{\"Name\": \"System\", \"Pid\": 4}\n{\"Name\": \"smss.exe\", \"Pid\": 388}\n";
/// std::fs::write(dir.join("Windows.System.Pslist.json"), rows).map_err(|e| mstic_core::Error::file(&dir, e))?;
/// let mut driver = VelociraptorDriver::new(&DriverSettings::with_data_paths([&dir]));
/// driver.connect()?;
/// let pslist = driver.query("Windows_System_Pslist", &QueryOptions::default())?;
/// assert_eq!(pslist.column_strings("Name")?, vec![Some("System".to_string()), Some("smss.exe".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct VelociraptorDriver {
    paths: Vec<PathBuf>,
    /// Query name → artifact files.
    files: BTreeMap<String, Vec<PathBuf>>,
    cache: Mutex<HashMap<String, Frame>>,
    connected: bool,
}

impl VelociraptorDriver {
    /// A driver over `settings.data_paths` (searched recursively for `*.json`).
    pub fn new(settings: &DriverSettings) -> Self {
        let paths = effective_paths(settings);
        let files = artifact_files(&paths);
        VelociraptorDriver { paths, files, cache: Mutex::new(HashMap::new()), connected: false }
    }

    /// Query name → the artifact files behind it.
    pub fn artifact_files(&self) -> &BTreeMap<String, Vec<PathBuf>> {
        &self.files
    }

    fn no_files_error(&self) -> Error {
        Error::Other(format!("VelociraptorLogs: no usable data files (*.json) found under {}", describe_paths(&self.paths)))
    }
}

/// Lines read between two checks for an interrupt of the cell.
const INTERRUPT_CHECK_LINES: usize = 1024;

/// Reads one artifact export; nested objects and arrays are kept as JSON text (Arrow cannot hold
/// Velociraptor's mix of null and nested values in one struct column).
fn read_artifact(path: &std::path::Path) -> Result<Frame> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
    let mut rows = Vec::new();
    let stopped = format!("reading {}", path.display());
    for (index, line) in text.lines().enumerate() {
        if index % INTERRUPT_CHECK_LINES == 0 {
            interrupt::check(&stopped)?;
        }
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: Some(index + 1),
            message: format!("invalid JSON: {e}"),
        })?;
        let serde_json::Value::Object(map) = value else {
            return Err(Error::Parse { path: path.to_path_buf(), line: Some(index + 1), message: "expected a JSON object".into() });
        };
        let flat: serde_json::Map<String, serde_json::Value> = map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::Object(_) | serde_json::Value::Array(_) => (k, serde_json::Value::String(v.to_string())),
                other => (k, other),
            })
            .collect();
        rows.push(serde_json::Value::Object(flat));
    }
    Frame::from_json_rows(&rows)
}

fn artifact_files(paths: &[PathBuf]) -> BTreeMap<String, Vec<PathBuf>> {
    let mut files: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for root in paths {
        for file in find_files(std::slice::from_ref(root), &["json"]) {
            let relative = file.strip_prefix(root).unwrap_or(&file).with_extension("");
            let relative = if relative.as_os_str().is_empty() { file.with_extension("") } else { relative };
            let name = relative.file_name().map(|_| relative.to_string_lossy().to_string()).unwrap_or_default();
            files.entry(valid_name(&name)).or_default().push(file);
        }
    }
    files
}

impl Driver for VelociraptorDriver {
    fn environment(&self) -> &str {
        "VelociraptorLogs"
    }

    fn connect(&mut self) -> Result<()> {
        self.files = artifact_files(&self.paths);
        self.cache.lock().map_err(|_| Error::Other("Velociraptor cache poisoned".into()))?.clear();
        if self.files.is_empty() {
            return Err(self.no_files_error());
        }
        self.connected = true;
        Ok(())
    }

    fn is_connected(&self) -> bool {
        self.connected
    }

    fn query(&self, query: &str, _options: &QueryOptions) -> Result<Frame> {
        let name = query.trim();
        if self.files.is_empty() {
            return Err(self.no_files_error());
        }
        let Some(files) = self.files.get(name) else {
            return Err(Error::unknown("Velociraptor artifact", name, self.files.keys().map(String::as_str)));
        };
        if let Some(frame) = self.cache.lock().map_err(|_| Error::Other("Velociraptor cache poisoned".into()))?.get(name) {
            return Ok(frame.clone());
        }
        let frames = files.iter().map(|f| read_artifact(f)).collect::<Result<Vec<_>>>()?;
        let frame = if frames.len() == 1 { frames[0].clone() } else { Frame::concat(&frames)? };
        self.cache.lock().map_err(|_| Error::Other("Velociraptor cache poisoned".into()))?.insert(name.to_string(), frame.clone());
        Ok(frame)
    }

    /// Column types of each artifact's first file.
    fn schema(&self) -> Result<BTreeMap<String, Vec<(String, String)>>> {
        let mut schema = BTreeMap::new();
        for (name, files) in &self.files {
            let Some(first) = files.first() else { continue };
            let frame = read_artifact(first)?;
            schema.insert(name.clone(), frame.dtypes());
        }
        Ok(schema)
    }

    fn driver_queries(&self) -> Vec<DriverQuery> {
        self.files
            .keys()
            .map(|name| DriverQuery {
                family: "velociraptor".into(),
                name: name.clone(),
                query: name.clone(),
                description: format!("Velociraptor {name} table."),
            })
            .collect()
    }
}
