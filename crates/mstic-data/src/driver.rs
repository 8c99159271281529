//! The `Driver` seam: one implementation per data source (local files, OSQuery, Velociraptor,
//! OTRF datasets, and the remote services). A driver receives fully rendered query text and
//! returns a [`Frame`]; templates, parameters and time ranges are the `QueryProvider`'s job.

use mstic_core::{Frame, Result};
use std::collections::BTreeMap;
use std::time::Duration;

/// Per-query options passed from the provider to the driver (secret-like settings are hidden in
/// Debug output).
///
/// # Example
/// ```
/// use mstic_data::QueryOptions;
/// let mut options = QueryOptions { timeout: Some(std::time::Duration::from_secs(30)), ..Default::default() };
/// options.settings.insert("workspace".into(), "Default".into());
/// options.settings.insert("client_secret".into(), "hunter2".into());
/// let shown = format!("{options:?}");
/// assert!(shown.contains("Default") && !shown.contains("hunter2"));
/// ```
#[derive(Clone, Default)]
pub struct QueryOptions {
    /// Give up after this long (drivers without a notion of time-out ignore it).
    pub timeout: Option<Duration>,
    /// Fail instead of returning a frame with a warning when the source reports a partial result.
    pub fail_on_partial: bool,
    /// Driver-specific settings (e.g. `workspace`, `database`), as given by the caller.
    pub settings: BTreeMap<String, String>,
    /// The template the query was rendered from (`None` for raw query text).
    pub source: Option<QuerySource>,
}

impl std::fmt::Debug for QueryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let settings: BTreeMap<&str, &str> = self.settings.iter().map(|(k, v)| (k.as_str(), mstic_core::config::shown_value(k, v))).collect();
        f.debug_struct("QueryOptions")
            .field("timeout", &self.timeout)
            .field("fail_on_partial", &self.fail_on_partial)
            .field("settings", &settings)
            .field("source", &self.source)
            .finish()
    }
}

/// The query template a call came from, for drivers that route by its metadata (Kusto picks its
/// cluster and database from the `cluster`, `clusters`, `cluster_groups` and `database` keys).
#[derive(Debug, Clone, Default)]
pub struct QuerySource {
    /// The query's name (`Family.query` when it has a family).
    pub name: String,
    /// The template's metadata (file, defaults and query merged).
    pub metadata: serde_yaml_ng::Value,
}

/// What a driver can do, so the provider can adapt (e.g. split long time ranges).
///
/// # Example
/// ```
/// use mstic_data::{Capabilities, Driver};
/// use mstic_data::drivers::LocalDataDriver;
/// let driver = LocalDataDriver::from_paths([std::env::temp_dir().join("mstic-doc-capabilities")]);
/// assert_eq!(driver.capabilities(), Capabilities { remote: false, parallel_queries: false, local_sql: true });
/// assert!(!Capabilities::default().remote);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Queries are pushed to a remote service.
    pub remote: bool,
    /// The driver can run several queries at once.
    pub parallel_queries: bool,
    /// Query text is SQL run locally on DataFusion.
    pub local_sql: bool,
}

/// A query that a driver itself provides (MSTICPy's `driver_queries`), rather than a template file.
///
/// # Example
/// ```
/// use mstic_data::{Driver, DriverQuery, DriverSettings};
/// use mstic_data::drivers::VelociraptorDriver;
/// let dir = std::env::temp_dir().join("mstic-doc-driver-query");
/// std::fs::create_dir_all(&dir).map_err(|e| mstic_core::Error::file(&dir, e))?;
/// std::fs::write(dir.join("Windows.System.Pslist.json"), "{\"Pid\": 4}\n").map_err(|e| mstic_core::Error::file(&dir, e))?;
/// let queries = VelociraptorDriver::new(&DriverSettings::with_data_paths([&dir])).driver_queries();
/// let expected = DriverQuery { family: "velociraptor".into(), name: "Windows_System_Pslist".into(),
///     query: "Windows_System_Pslist".into(), description: "Velociraptor Windows_System_Pslist table.".into() };
/// assert_eq!(queries, vec![expected]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DriverQuery {
    /// Query family, e.g. `osquery` or `mordor`.
    pub family: String,
    /// Query name within the family.
    pub name: String,
    /// The text passed back to [`Driver::query`] when the query runs.
    pub query: String,
    /// One-line description shown by `list_queries` and query help.
    pub description: String,
}

/// A data source. Implementations are plain synchronous calls; remote drivers drive their async
/// HTTP clients through `mstic_core::runtime::block_on`.
///
/// # Example
/// ```
/// use mstic_core::{Frame, Result};
/// use mstic_data::{Driver, QueryOptions};
/// struct Echo;
/// impl Driver for Echo {
///     fn environment(&self) -> &str { "Echo" }
///     fn connect(&mut self) -> Result<()> { Ok(()) }
///     fn is_connected(&self) -> bool { true }
///     fn query(&self, query: &str, _: &QueryOptions) -> Result<Frame> { Frame::from_string_rows(&["text"], &[vec![Some(query)]]) }
/// }
/// let frame = Echo.query("hello", &QueryOptions::default())?;
/// assert_eq!(frame.column_strings("text")?, vec![Some("hello".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub trait Driver: Send + Sync {
    /// The data environment name, as in MSTICPy (`LocalData`, `OSQueryLogs`, `Mordor`, `MSSentinel`…).
    fn environment(&self) -> &str;

    /// Connects (authenticates, opens files…). Calling it again reconnects.
    fn connect(&mut self) -> Result<()>;

    /// Whether [`Driver::connect`] has succeeded.
    fn is_connected(&self) -> bool;

    /// Runs rendered query text and returns its result.
    fn query(&self, query: &str, options: &QueryOptions) -> Result<Frame>;

    /// Tables and their `(column, type)` lists, where the source can tell.
    fn schema(&self) -> Result<BTreeMap<String, Vec<(String, String)>>> {
        Ok(BTreeMap::new())
    }

    /// What this driver can do.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// Queries provided by the driver itself.
    fn driver_queries(&self) -> Vec<DriverQuery> {
        Vec::new()
    }

    /// Whether a template query can run here as the driver is connected (Kusto: on the connected
    /// cluster). Once connected, the provider's query lists leave refused queries out.
    fn accepts(&self, source: &QuerySource) -> bool {
        let _ = source;
        true
    }
}
