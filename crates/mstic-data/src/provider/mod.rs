//! The `QueryProvider`: loads the query templates of a data environment (the shipped library
//! compiled into the crate, or the folder `MSTIC_QUERIES` names; then `QueryDefinitions.Custom`
//! from `msticpyconfig.yaml` and folders given by the caller, whose queries add to the library and
//! override built-in ones of the same `Family.name`), lists, searches and explains them, renders
//! them and runs them through a [`Driver`].
//!
//! ```no_run
//! # use mstic_data::provider::QueryProvider;
//! let mut qp = QueryProvider::new("LocalData")?;
//! qp.connect()?;
//! let logons = qp.query("WindowsSecurity.list_host_logons").param("host_name", "h1").start(-2).end(0).run()?;
//! # Ok::<(), mstic_core::Error>(())
//! ```

mod builder;
pub mod environment;
mod help;
pub mod settings;

pub use builder::QueryCall;
pub use environment::DataEnvironment;
pub use help::{ParamHelp, QueryHelp, QueryList, QuerySummary};
pub use settings::DriverSettings;

use crate::template::{QueryStore, QueryTemplate, builtin};
use crate::{Driver, QueryOptions};
use chrono::{DateTime, Utc};
use mstic_core::config::MsticConfig;
use mstic_core::timespan::TimeInput;
use mstic_core::{Error, Frame, Result};
use std::path::{Path, PathBuf};

/// Loads, renders and runs queries for one data environment.
///
/// # Example
/// ```
/// use mstic_data::provider::{DriverSettings, QueryProvider};
/// let dir = std::env::temp_dir().join("mstic-doc-query-provider");
/// let io = |e: std::io::Error| mstic_core::Error::file("mstic-doc-query-provider", e);
/// std::fs::create_dir_all(&dir).map_err(io)?;
/// std::fs::write(dir.join("host_logons.csv"), "Computer,TimeGenerated\nws1,2024-05-01T10:00:00Z\nws2,2024-05-01T11:00:00Z\n").map_err(io)?;
/// let mut qp = QueryProvider::with_settings("LocalData", DriverSettings::with_data_paths([&dir]))?;
/// qp.connect()?;
/// let logons = qp.query("WindowsSecurity.list_host_logons").param("host_name", "WS1").start("2024-05-01").end("2024-05-02").run()?;
/// assert_eq!(logons.column_strings("Computer")?, vec![Some("ws1".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct QueryProvider {
    environment: DataEnvironment,
    store: QueryStore,
    driver: Option<Box<dyn Driver>>,
    settings: DriverSettings,
    warnings: Vec<String>,
    /// Where queries were looked for, named when none are found.
    searched: Vec<String>,
    /// How many of the store's files (the first ones) came from the built-in library.
    builtin_files: usize,
    default_start: TimeInput,
    default_end: TimeInput,
    now: Option<DateTime<Utc>>,
}

impl QueryProvider {
    /// A provider for `environment` (MSTICPy names and aliases: `LocalData`, `MSSentinel` =
    /// `LogAnalytics` = `AzureSentinel`, `OSQueryLogs`, `Mordor`…), configured from the discovered
    /// `msticpyconfig.yaml`; every environment has defaults, so one line is enough (MSTICPy's
    /// `QueryProvider("Mordor")`): LocalData reads the current folder, Mordor the OTRF catalogue
    /// (downloaded into the user cache on `connect` when none is saved), remote services the
    /// workspace of the config.
    ///
    /// # Example
    /// ```
    /// use mstic_data::provider::QueryProvider;
    /// let qp = QueryProvider::new("LocalData")?;
    /// assert_eq!(qp.environment(), "LocalData");
    /// assert!(qp.store().names().iter().any(|name| name.ends_with("list_host_logons")));
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn new(environment: &str) -> Result<Self> {
        Self::with_query_paths::<PathBuf>(environment, &[])
    }

    /// [`QueryProvider::new`] with driver settings given in code rather than in
    /// `msticpyconfig.yaml` (MSTICPy's keyword arguments): data paths, and options that replace
    /// the config's ones of the same name.
    ///
    /// # Example
    /// ```
    /// use mstic_data::provider::{DriverSettings, QueryProvider};
    /// let folder = std::env::temp_dir();
    /// let qp = QueryProvider::with_settings("LocalData", DriverSettings::with_data_paths([&folder]))?;
    /// assert_eq!(qp.settings().data_paths, vec![folder]);
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn with_settings(environment: &str, settings: DriverSettings) -> Result<Self> {
        let config = MsticConfig::discover()?;
        Self::build_with(environment, &config, &[], crate::remote::settings::current_config(), Some(settings))
    }

    /// A provider for `environment` that also loads query files from `query_paths`. Remote
    /// drivers read the session's configuration if one is set, else the discovered file.
    pub fn with_query_paths<P: AsRef<Path>>(environment: &str, query_paths: &[P]) -> Result<Self> {
        let paths: Vec<PathBuf> = query_paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        Self::build(environment, &MsticConfig::discover()?, &paths, crate::remote::settings::current_config())
    }

    /// A provider configured from `config` (`DataProviders.<Environment>` settings,
    /// `QueryDefinitions`, and for remote drivers their workspaces, clusters and keys), loading
    /// extra query folders `query_paths`.
    pub fn with_config(environment: &str, config: &MsticConfig, query_paths: &[PathBuf]) -> Result<Self> {
        Self::build(environment, config, query_paths, config.clone())
    }

    fn build(environment: &str, config: &MsticConfig, query_paths: &[PathBuf], driver_config: MsticConfig) -> Result<Self> {
        Self::build_with(environment, config, query_paths, driver_config, None)
    }

    fn build_with(
        environment: &str,
        config: &MsticConfig,
        query_paths: &[PathBuf],
        driver_config: MsticConfig,
        overrides: Option<DriverSettings>,
    ) -> Result<Self> {
        let env = DataEnvironment::find(environment)?.clone();
        let mut warnings = Vec::new();
        let mut settings = settings_from_config(config, &env, &mut warnings);
        if let Some(overrides) = overrides {
            settings.merge(overrides);
        }
        let driver = match crate::drivers::create_driver_with_config(env.name, &settings, driver_config) {
            Ok(driver) => Some(driver),
            Err(Error::Unknown { .. }) => {
                warnings.push(format!("no driver for {} yet: queries can be listed and rendered, not run", env.name));
                None
            }
            Err(e) => return Err(e),
        };
        let mut provider = Self::assemble(env, driver, settings, warnings);
        let definitions = config.query_definitions();
        provider.load_builtin(&definitions.default);
        let custom: Vec<PathBuf> = definitions.custom.into_iter().chain(query_paths.iter().cloned()).collect();
        for path in custom {
            provider.add_query_path(&path)?;
        }
        provider.report_if_empty();
        Ok(provider)
    }

    /// A provider that runs queries on `driver` (any [`Driver`]); its environment's built-in
    /// queries are loaded.
    pub fn with_driver(driver: Box<dyn Driver>) -> Self {
        let env = DataEnvironment::find(driver.environment()).cloned().unwrap_or_else(|_| DataEnvironment {
            name: "Custom",
            aliases: &[],
            query_folders: &[],
            accepts: &[],
            style: Default::default(),
            // Nothing is known of a custom driver's language: values may not carry quotes.
            language: crate::template::QueryLanguage::Opaque,
        });
        let mut provider = Self::assemble(env, Some(driver), DriverSettings::default(), Vec::new());
        provider.load_builtin(&["queries".to_string()]);
        provider.report_if_empty();
        provider
    }

    fn assemble(environment: DataEnvironment, driver: Option<Box<dyn Driver>>, settings: DriverSettings, warnings: Vec<String>) -> Self {
        QueryProvider {
            environment,
            store: QueryStore::new(),
            driver,
            settings,
            warnings,
            searched: Vec::new(),
            builtin_files: 0,
            default_start: TimeInput::Days(-1.0),
            default_end: TimeInput::Days(1.0),
            now: None,
        }
    }

    /// Loads the built-in queries: for each `QueryDefinitions.Default` entry, the shipped library
    /// (`queries`, or the `MSTIC_QUERIES` folder) or a folder with one sub-folder per environment.
    fn load_builtin(&mut self, default_folders: &[String]) {
        let replacement = environment::builtin_queries_override();
        for folder in default_folders {
            match (folder.as_str(), &replacement) {
                ("queries", None) => self.load_embedded(),
                ("queries", Some(dir)) => self.load_folder_tree(dir, "MSTIC_QUERIES="),
                (other, _) => self.load_folder_tree(Path::new(other), ""),
            }
        }
        self.builtin_files = self.store.files().len();
    }

    /// The compiled-in library's files in this environment's folders.
    fn load_embedded(&mut self) {
        let folders = self.environment.query_folders;
        if folders.is_empty() {
            return;
        }
        let mut count = 0;
        for (file, parsed) in builtin::parsed() {
            if !folders.contains(&file.folder()) {
                continue;
            }
            count += 1;
            match parsed {
                Ok(queries) if self.environment.accepts_file(&queries.environments) => self.store.add_file(queries.clone()),
                Ok(_) => {}
                Err(e) => self.warnings.push(e.clone()),
            }
        }
        let shown: Vec<String> = folders.iter().map(|f| format!("queries/{f}")).collect();
        self.searched.push(format!("the built-in library ({}: {count} files)", shown.join(", ")));
    }

    /// `root/<folder>` for each of this environment's folders.
    fn load_folder_tree(&mut self, root: &Path, label: &str) {
        for sub in self.environment.query_folders {
            let dir = root.join(sub);
            if !dir.is_dir() {
                self.searched.push(format!("{label}{} (not found)", dir.display()));
                continue;
            }
            let before = self.store.files().len();
            let env = self.environment.clone();
            match self.store.load_dir(&dir, &|file| env.accepts_file(&file.environments)) {
                Ok(failures) => self.warnings.extend(failures.iter().map(ToString::to_string)),
                Err(e) => self.warnings.push(e.to_string()),
            }
            self.searched.push(format!("{label}{} ({} files)", dir.display(), self.store.files().len() - before));
        }
    }

    /// Warns (in [`QueryProvider::warnings`] and once on stderr) when no query was found where
    /// this environment's queries are looked for.
    fn report_if_empty(&mut self) {
        if !self.store.is_empty() || self.searched.is_empty() {
            return;
        }
        let message = format!(
            "no {} queries were found: looked in {}. Set MSTIC_QUERIES to a query folder, or add folders with add_query_path or QueryDefinitions: Custom in msticpyconfig.yaml",
            self.environment.name,
            self.searched.join(", ")
        );
        eprintln!("warning: {message}");
        self.warnings.push(message);
    }

    /// Loads query files from a folder (recursively) or a single file, keeping those for this
    /// environment. Files that fail validation are reported in [`QueryProvider::warnings`].
    pub fn add_query_path(&mut self, path: &Path) -> Result<usize> {
        let before = self.store.len();
        let env = self.environment.clone();
        self.searched.push(path.display().to_string());
        if path.is_file() {
            let file = crate::template::load_query_file(path)?;
            if env.accepts_file(&file.environments) || env.accepts.is_empty() {
                self.store.add_file(file);
            }
        } else {
            let failures = self.store.load_dir(path, &|file| env.accepts.is_empty() || env.accepts_file(&file.environments))?;
            self.warnings.extend(failures.iter().map(ToString::to_string));
        }
        Ok(self.store.len() - before)
    }

    /// Adds one query written in code.
    pub fn add_query(&mut self, template: QueryTemplate) {
        self.store.add_template(template);
    }

    /// Connects the driver and adds the queries it provides (OSQuery, Velociraptor, Mordor).
    pub fn connect(&mut self) -> Result<()> {
        let driver = self.driver_mut()?;
        driver.connect()?;
        let provided = driver.driver_queries();
        for query in provided {
            self.store.add_template(QueryTemplate {
                name: query.name,
                description: query.description,
                families: vec![query.family],
                environments: vec![self.environment.name.to_string()],
                query: query.query.replace('{', "{{").replace('}', "}}"),
                params: Vec::new(),
                metadata: Default::default(),
                uri: None,
                file: PathBuf::new(),
            });
        }
        Ok(())
    }

    /// Whether the driver is connected.
    pub fn connected(&self) -> bool {
        self.driver.as_ref().is_some_and(|d| d.is_connected())
    }

    /// The effective environment name (e.g. `MSSentinel` for `LogAnalytics`).
    pub fn environment(&self) -> &str {
        self.environment.name
    }

    /// The environment's description (folders, formatting).
    pub fn data_environment(&self) -> &DataEnvironment {
        &self.environment
    }

    /// The settings the driver was created with (secrets hidden in Debug output).
    pub fn settings(&self) -> &DriverSettings {
        &self.settings
    }

    /// Problems met while loading (invalid query files, unresolved secrets, no queries found).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Notes about the loaded queries: each query of an added file that replaced one of the same
    /// `Family.name` ("WindowsSecurity.list_host_logons from /home/u/q/logons.yaml overrides the
    /// built-in queries/mssentinel/windows_logons.yaml").
    pub fn notes(&self) -> Vec<String> {
        let builtin = &self.store.files()[..self.builtin_files.min(self.store.files().len())];
        self.store
            .overrides()
            .iter()
            .map(|o| {
                let file = if o.file.as_os_str().is_empty() { "code".to_string() } else { o.file.display().to_string() };
                let kind = if builtin.contains(&o.replaced) { "the built-in " } else { "" };
                format!("{} from {file} overrides {kind}{}", o.name, o.replaced.display())
            })
            .collect()
    }

    /// The loaded queries.
    pub fn store(&self) -> &QueryStore {
        &self.store
    }

    /// Starts a call of query `name` (`Family.query`, or a unique bare query name); chain
    /// `.param(…)`, `.start(…)`, `.end(…)` then `.run()`, `.render()` or `.print_query()`.
    pub fn query(&self, name: &str) -> QueryCall<'_> {
        QueryCall::new(self, name)
    }

    /// Runs raw query text on the driver (MSTICPy's `exec_query`).
    pub fn exec_query(&self, text: &str) -> Result<Frame> {
        self.exec_with_options(text, &QueryOptions::default())
    }

    pub(crate) fn exec_with_options(&self, text: &str, options: &QueryOptions) -> Result<Frame> {
        self.connected_driver()?.query(text, options)
    }

    /// Tables and their `(column, type)` lists, from the connected driver (MSTICPy's `schema`):
    /// local files' columns, a Kusto database's tables…; empty where the source cannot tell.
    pub fn schema(&self) -> Result<std::collections::BTreeMap<String, Vec<(String, String)>>> {
        self.connected_driver()?.schema()
    }

    fn connected_driver(&self) -> Result<&dyn Driver> {
        let driver = self.driver.as_deref().ok_or_else(|| self.no_driver())?;
        if !driver.is_connected() {
            return Err(Error::Config(format!("the {} provider is not connected: call connect() first", self.environment.name)));
        }
        Ok(driver)
    }

    /// Sets the default time range used when a query's `start`/`end` are not given (MSTICPy's
    /// `query_time`; initially one day before now to one day after).
    pub fn set_default_time(&mut self, start: impl Into<TimeInput>, end: impl Into<TimeInput>) {
        self.default_start = start.into();
        self.default_end = end.into();
    }

    /// Fixes "now" for relative times (for reproducible output); `None` restores the clock.
    pub fn set_now(&mut self, now: Option<DateTime<Utc>>) {
        self.now = now;
    }

    pub(crate) fn defaults(&self) -> (&TimeInput, &TimeInput, Option<DateTime<Utc>>) {
        (&self.default_start, &self.default_end, self.now)
    }

    fn driver_mut(&mut self) -> Result<&mut Box<dyn Driver>> {
        let missing = self.no_driver();
        self.driver.as_mut().ok_or(missing)
    }

    fn no_driver(&self) -> Error {
        Error::Config(format!(
            "no driver is available for the {} environment yet; use .render() or .print_query() to see the query text",
            self.environment.name
        ))
    }
}

/// Builds driver settings from `DataProviders.<Environment>` (any of its names).
fn settings_from_config(config: &MsticConfig, env: &DataEnvironment, warnings: &mut Vec<String>) -> DriverSettings {
    let entry = std::iter::once(env.name).chain(env.aliases.iter().copied()).find_map(|name| config.data_provider(name));
    let Some(entry) = entry else { return DriverSettings::default() };
    let (options, secret_names, errors) = entry.resolved_options();
    warnings.extend(errors.iter().map(ToString::to_string));
    DriverSettings { data_paths: entry.paths("data_paths"), options, secret_names }
}

impl std::fmt::Debug for QueryProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryProvider")
            .field("environment", &self.environment.name)
            .field("queries", &self.store.len())
            .field("connected", &self.connected())
            .field("settings", &self.settings)
            .finish()
    }
}
