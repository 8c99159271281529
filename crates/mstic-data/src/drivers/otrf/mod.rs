//! `Mordor` / `OTRF`: the OTRF Security Datasets. The catalogue comes from metadata YAML files and
//! MSTICPy's `mordor_cache.json` found in the data paths and the cache folder; every dataset file
//! becomes a query named as MSTICPy names it (`atomic.windows.persistence.host.proxylogon_ssrf_rce_poc`)
//! whose text is the file's download link. Running it loads the zip from a data path or the cache
//! folder, downloading it when it is in neither.
//!
//! With no metadata in the data paths or the save folder, the catalogue is downloaded as MSTICPy
//! does (see [`index`]) and saved as `mordor_cache.json` in the save folder, so
//! `QueryProvider::new("Mordor")?` followed by `connect()` needs no settings at all.
//!
//! Settings (`DriverSettings::options`, or `DataProviders.Mordor` in `msticpyconfig.yaml`):
//! `save_folder` (alias `cache_folder`; default the user cache folder `rust-mstic/otrf`),
//! `base_url` (the URL of the repository's `datasets/` folder, where dataset and metadata paths are
//! downloaded from; default the GitHub raw URL), `tree_url` (the repository's file listing; default
//! GitHub's git-trees API), `offline` (`true` never downloads; also `$MSTIC_OFFLINE=1`),
//! `use_cached` (`false` downloads datasets again even when a cached copy exists),
//! `catalogue_max_age_days` (a downloaded catalogue older than this is downloaded again when the
//! catalogue is first read, as MSTICPy refreshes its cache; default 30, `0` never by age).

pub mod catalog;
pub mod dataset;
pub mod index;

pub use catalog::{AttackMapping, DatasetEntry, DatasetFile, OtrfCatalog, TACTICS, tactic_name};
pub use dataset::{cache_file_name, load_zip};

use super::describe_paths;
use crate::{Driver, DriverQuery, DriverSettings, QueryOptions};
use catalog::DATASETS_PREFIX;
use mstic_core::{Error, Frame, Result};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The OTRF / Mordor driver: the Security Datasets catalogue as queries, each loading one
/// dataset zip (from the data paths, the cache folder, or a download).
///
/// # Example
/// ```
/// use mstic_data::{Driver, DriverSettings, QueryOptions, drivers::OtrfDriver};
/// let dir = std::env::temp_dir().join("mstic-doc-otrf");
/// std::fs::create_dir_all(&dir).map_err(|e| mstic_core::Error::file(&dir, e))?;
/// let link = "https://raw.githubusercontent.com/OTRF/Security-Datasets/master/datasets/atomic/windows/demo.zip";
/// let metadata = format!("id: SDWIN-1\ntitle: Demo\nfiles:\n- type: Host\n  link: {link}\n");
/// std::fs::write(dir.join("SDWIN-1.yaml"), metadata).map_err(|e| mstic_core::Error::file(&dir, e))?;
/// let settings = DriverSettings::with_data_paths([&dir]).set("offline", "true").set("save_folder", dir.join("cache").display().to_string());
/// let mut driver = OtrfDriver::new(&settings);
/// driver.connect()?;
/// assert_eq!(driver.search_queries("Demo")?, vec!["atomic.windows.demo (Demo)"]);
/// // Offline, a dataset in neither the data paths nor the cache is an error rather than a download.
/// assert!(driver.query("atomic.windows.demo", &QueryOptions::default()).is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct OtrfDriver {
    data_paths: Vec<PathBuf>,
    save_folder: PathBuf,
    base_url: String,
    tree_url: String,
    offline: bool,
    use_cached: bool,
    /// How old the downloaded catalogue may get before it is downloaded again; `None`: any age.
    catalogue_max_age: Option<Duration>,
    /// A setting that could not be read, reported by `connect`.
    settings_error: Option<String>,
    catalog: Mutex<Option<Arc<OtrfCatalog>>>,
    frames: Mutex<HashMap<String, Frame>>,
    connected: bool,
}

fn flag(value: Option<&str>) -> Option<bool> {
    value.map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

impl OtrfDriver {
    /// A driver reading metadata and dataset zips from `settings.data_paths` and the cache folder.
    pub fn new(settings: &DriverSettings) -> Self {
        let save_folder = settings
            .option("save_folder")
            .or_else(|| settings.option("cache_folder"))
            .map(PathBuf::from)
            .unwrap_or_else(default_save_folder);
        let mut base_url = settings.option("base_url").unwrap_or(DATASETS_PREFIX).to_string();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        let tree_url = settings.option("tree_url").unwrap_or(index::TREE_URL).to_string();
        let offline = flag(settings.option("offline")).unwrap_or(false)
            || flag(std::env::var("MSTIC_OFFLINE").ok().as_deref()).unwrap_or(false);
        let use_cached = flag(settings.option("use_cached").or_else(|| settings.option("used_cached"))).unwrap_or(true);
        let (catalogue_max_age, settings_error) = match catalogue_max_age(settings.option("catalogue_max_age_days")) {
            Ok(age) => (age, None),
            Err(message) => (Some(DEFAULT_CATALOGUE_MAX_AGE), Some(message)),
        };
        OtrfDriver {
            data_paths: settings.data_paths.clone(),
            save_folder,
            base_url,
            tree_url,
            offline,
            use_cached,
            catalogue_max_age,
            settings_error,
            catalog: Mutex::new(None),
            frames: Mutex::new(HashMap::new()),
            connected: false,
        }
    }

    /// The folder downloads are saved to (and metadata caches read from).
    pub fn save_folder(&self) -> &PathBuf {
        &self.save_folder
    }

    /// The dataset catalogue, read on first use; downloaded into the save folder first when the
    /// data paths and the save folder hold no metadata and downloads are on.
    pub fn catalog(&self) -> Result<Arc<OtrfCatalog>> {
        let mut guard = self.catalog.lock().map_err(|_| poisoned())?;
        if let Some(catalog) = guard.as_ref() {
            return Ok(catalog.clone());
        }
        let mut catalog = OtrfCatalog::load(&self.metadata_paths())?;
        if catalog.is_empty() && !self.offline {
            index::download_catalogue(&self.catalogue_source(), &self.save_folder, true)?;
            catalog = OtrfCatalog::load(&self.metadata_paths())?;
        } else if let Some(age) = self.stale_catalogue_age() {
            // A failed refresh keeps the catalogue already downloaded: it is old, not wrong.
            match index::download_catalogue(&self.catalogue_source(), &self.save_folder, true) {
                Ok(_) => catalog = OtrfCatalog::load(&self.metadata_paths())?,
                Err(e) if e.is_interrupted() => return Err(e),
                Err(e) => eprintln!(
                    "warning: OTRF: the downloaded catalogue is {} days old and could not be refreshed, so it is used as it is: {e}",
                    age.as_secs() / 86_400
                ),
            }
        }
        let catalog = Arc::new(catalog);
        *guard = Some(catalog.clone());
        Ok(catalog)
    }

    /// Downloads the catalogue again into the save folder now, so datasets published since the
    /// last download appear; the next [`OtrfDriver::catalog`] reads it. (The driver does this by
    /// itself when the downloaded catalogue is older than `catalogue_max_age_days`.)
    pub fn refresh_catalogue(&self) -> Result<PathBuf> {
        if self.offline {
            return Err(Error::Config("OTRF: the catalogue cannot be refreshed while downloads are off (offline)".into()));
        }
        let written = index::download_catalogue(&self.catalogue_source(), &self.save_folder, true)?;
        *self.catalog.lock().map_err(|_| poisoned())? = None;
        Ok(written)
    }

    /// The age of the catalogue this driver downloaded into the save folder, when older than the
    /// allowed age and downloads are on.
    fn stale_catalogue_age(&self) -> Option<Duration> {
        let max_age = self.catalogue_max_age.filter(|_| !self.offline)?;
        let modified = std::fs::metadata(self.save_folder.join(catalog::CACHE_FILE_NAME)).and_then(|m| m.modified()).ok()?;
        let age = SystemTime::now().duration_since(modified).ok()?;
        (age > max_age).then_some(age)
    }

    fn catalogue_source(&self) -> index::CatalogueSource {
        index::CatalogueSource { tree_url: self.tree_url.clone(), datasets_url: self.base_url.clone() }
    }

    fn metadata_paths(&self) -> Vec<PathBuf> {
        let mut paths = self.data_paths.clone();
        if self.save_folder.is_dir() {
            paths.push(self.save_folder.clone());
        }
        paths
    }

    /// MSTICPy's `search_queries`: `"query.path (title)"` for every file of every matching dataset
    /// (`a, b` = either term, `a + b` = both; case-sensitive).
    pub fn search_queries(&self, terms: &str) -> Result<Vec<String>> {
        let catalog = self.catalog()?;
        let mut hits = Vec::new();
        for id in catalog.search(terms) {
            let entry = catalog.get(&id)?;
            hits.extend(entry.files.iter().map(|f| format!("{} ({})", f.query_path, entry.title)));
        }
        Ok(hits)
    }

    /// Loads a dataset by query name, download link or local zip path.
    pub fn load_dataset(&self, name: &str) -> Result<Frame> {
        self.query(name, &QueryOptions::default())
    }

    /// The link behind query text: the text itself when it is a URL, else the catalogue's file.
    fn link_for(&self, text: &str) -> Result<String> {
        if text.starts_with("http://") || text.starts_with("https://") {
            return Ok(text.to_string());
        }
        let catalog = self.catalog()?;
        if let Some((_, file)) = catalog.file_for_query(text) {
            return Ok(file.link.clone());
        }
        let names: Vec<String> = catalog.entries().flat_map(|e| e.files.iter().map(|f| f.query_path.clone())).collect();
        Err(Error::unknown("OTRF dataset query", text, names.iter().map(String::as_str)))
    }

    /// The dataset path below the datasets root (`atomic/windows/…/x.zip`), when the link has one.
    fn relative_path<'a>(&self, link: &'a str) -> Option<&'a str> {
        link.strip_prefix(DATASETS_PREFIX).or_else(|| link.strip_prefix(self.base_url.as_str()))
    }

    /// A local copy of the link's zip: in the cache folder under MSTICPy's name, or in a data path
    /// under its relative path, its cache name or (for host data) its file name.
    fn local_copy(&self, link: &str) -> Option<PathBuf> {
        let cached = self.save_folder.join(cache_file_name(link));
        if self.use_cached && cached.is_file() {
            return Some(cached);
        }
        let relative = self.relative_path(link).unwrap_or(link);
        let file_name = relative.rsplit('/').next().unwrap_or(relative);
        let by_file_name = !relative.contains("/network/");
        self.data_paths.iter().filter(|p| p.is_dir()).find_map(|dir| {
            let mut candidates = vec![dir.join(relative), dir.join(cache_file_name(link))];
            if by_file_name {
                candidates.push(dir.join(file_name));
            }
            candidates.into_iter().find(|c| c.is_file())
        })
    }

    fn fetch(&self, link: &str) -> Result<PathBuf> {
        if let Some(path) = self.local_copy(link) {
            return Ok(path);
        }
        let target = self.save_folder.join(cache_file_name(link));
        let url = match self.relative_path(link) {
            Some(relative) => format!("{}{relative}", self.base_url),
            None => link.to_string(),
        };
        let where_looked = format!(
            "it is not in the data paths ({}) or the cache ({})",
            if self.data_paths.is_empty() { "none".to_string() } else { describe_paths(&self.data_paths) },
            target.display()
        );
        if self.offline {
            return Err(Error::Other(format!(
                "OTRF dataset {url}: {where_looked}, and downloads are off (offline). Download it and save it as {}",
                target.display()
            )));
        }
        dataset::download(&url, &target).map_err(|e| {
            if e.is_interrupted() {
                return e;
            }
            Error::Other(format!("OTRF dataset: {where_looked}, and the download failed ({e}). When offline, save the zip as {}", target.display()))
        })?;
        Ok(target)
    }
}

fn default_save_folder() -> PathBuf {
    dirs::cache_dir().map(|d| d.join("rust-mstic").join("otrf")).unwrap_or_else(|| PathBuf::from("."))
}

/// How old a downloaded catalogue may get by default (MSTICPy's cache lifetime).
const DEFAULT_CATALOGUE_MAX_AGE: Duration = Duration::from_secs(30 * 86_400);

/// The `catalogue_max_age_days` setting: whole days, `0` for no limit.
fn catalogue_max_age(value: Option<&str>) -> std::result::Result<Option<Duration>, String> {
    let Some(text) = value else { return Ok(Some(DEFAULT_CATALOGUE_MAX_AGE)) };
    match text.trim().parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(days) => Ok(Some(Duration::from_secs(days.saturating_mul(86_400)))),
        Err(_) => Err(format!("OTRF: setting catalogue_max_age_days = '{text}' is not a whole number of days (0 never refreshes by age)")),
    }
}

fn poisoned() -> Error {
    Error::Other("OTRF driver cache poisoned by an earlier failure".into())
}

impl Driver for OtrfDriver {
    fn environment(&self) -> &str {
        "Mordor"
    }

    /// Reads the catalogue; fails when no metadata is found, saying where it looked.
    fn connect(&mut self) -> Result<()> {
        if let Some(message) = &self.settings_error {
            return Err(Error::Config(message.clone()));
        }
        *self.catalog.lock().map_err(|_| poisoned())? = None;
        let catalog = self.catalog()?;
        if catalog.is_empty() {
            let downloads = if self.offline { ", and downloads are off (offline)" } else { "" };
            return Err(Error::Config(format!(
                "OTRF: no dataset metadata (SD*.yaml files or {}) found in {}{downloads}; add a folder holding them to data_paths",
                catalog::CACHE_FILE_NAME,
                describe_paths(&self.metadata_paths())
            )));
        }
        self.connected = true;
        Ok(())
    }

    fn is_connected(&self) -> bool {
        self.connected
    }

    fn query(&self, query: &str, _options: &QueryOptions) -> Result<Frame> {
        let text = query.trim();
        let local = std::path::Path::new(text);
        if text.to_ascii_lowercase().ends_with(".zip") && local.is_file() {
            return load_zip(local);
        }
        let link = self.link_for(text)?;
        if !link.to_ascii_lowercase().ends_with(".zip") {
            return Err(Error::invalid("OTRF dataset", format!("{link}: only zip datasets can be loaded")));
        }
        if let Some(frame) = self.frames.lock().map_err(|_| poisoned())?.get(&link) {
            return Ok(frame.clone());
        }
        let frame = load_zip(&self.fetch(&link)?)?;
        self.frames.lock().map_err(|_| poisoned())?.insert(link, frame.clone());
        Ok(frame)
    }

    fn driver_queries(&self) -> Vec<DriverQuery> {
        let Ok(catalog) = self.catalog() else { return Vec::new() };
        let mut seen = BTreeSet::new();
        let mut queries = Vec::new();
        for entry in catalog.entries() {
            for file in &entry.files {
                if !seen.insert(file.query_path.clone()) {
                    continue;
                }
                let (family, name) = file.query_path.split_once('.').unwrap_or(("otrf", file.query_path.as_str()));
                queries.push(DriverQuery {
                    family: family.to_string(),
                    name: name.to_string(),
                    query: file.link.clone(),
                    description: describe(entry),
                });
            }
        }
        queries
    }
}

/// MSTICPy's help text for a dataset query.
fn describe(entry: &DatasetEntry) -> String {
    let tactics: Vec<String> = entry
        .tactics()
        .iter()
        .map(|t| format!("{t}: {}", tactic_name(t).unwrap_or("unknown")))
        .collect();
    [
        entry.title.clone(),
        String::new(),
        "Notes".into(),
        "-----".into(),
        format!("Mordor ID: {}", entry.id),
        entry.description.clone(),
        String::new(),
        format!("Mitre Techniques: {}", entry.techniques().join(", ")),
        format!("Mitre Tactics: {}", tactics.join(", ")),
    ]
    .join("\n")
}
