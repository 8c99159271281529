//! Azure Data Explorer (Kusto): `POST {cluster}/v2/rest/query` with `{"db","csl","properties"}`.
//! Clusters come from `KustoClusters.<Name>.Args` (`Cluster`, `TenantId`, `ClientId`,
//! `ClientSecret`; `ClusterDefaults` fills gaps; `ClusterGroups`) as in MSTICPy. A query goes to
//! the cluster of its call's `cluster` setting, else the driver's (the connected cluster, which
//! must be one the query's file allows), else the one its file names (`cluster`, `clusters`,
//! `cluster_groups`), else the only configured cluster; see [`KustoDriver::query_target`].

use super::kusto_routing::QueryRouting;
use super::common::{call_setting, fail_on_partial, merged_options, not_connected, query_timeout, run};
use super::convert::kusto_to_frame;
use super::http::{Authorization, Method, ServiceClient, ServiceRequest};
use super::sentinel::strip_service;
use super::settings::{CloudEndpoints, Options, build_auth, current_config};
use crate::{Capabilities, Driver, DriverSettings, QueryOptions, QuerySource};
use mstic_core::config::MsticConfig;
use mstic_core::{Error, Frame, Result};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// MSTICPy's default Kusto time-out (240 s).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(240);

/// One configured cluster.
#[derive(Debug, Clone)]
pub struct KustoCluster {
    /// Entry name under `KustoClusters`.
    pub name: String,
    /// Cluster URI (`https://help.kusto.windows.net`).
    pub url: String,
    /// `ClusterGroups`: queries whose file names one of these groups may run here.
    pub groups: Vec<String>,
    args: Options,
}

impl KustoCluster {
    /// The names a query file may use for this cluster: URL, host name (`help`), entry name.
    fn ids(&self) -> [String; 3] {
        let host = self.url.split("://").nth(1).unwrap_or(&self.url).split(['.', '/', ':']).next().unwrap_or_default().to_string();
        [self.url.clone(), host, self.name.clone()]
    }

    /// Whether a query with `routing` may run on this cluster.
    fn allows(&self, routing: &QueryRouting) -> bool {
        let ids = self.ids();
        routing.accepts(&ids.iter().map(String::as_str).collect::<Vec<_>>(), &self.groups)
    }
}

/// The Azure Data Explorer driver: KQL sent to the cluster and database each query is routed to.
///
/// # Example
/// ```
/// use mstic_core::config::MsticConfig;
/// use mstic_data::{DriverSettings, remote::KustoDriver};
/// let yaml = "KustoClusters:\n  Help:\n    Args:\n      Cluster: https://help.kusto.windows.net/\n";
/// let config = MsticConfig::from_yaml_str(yaml, "msticpyconfig.yaml")?;
/// let driver = KustoDriver::with_config("Kusto", &DriverSettings::default(), config);
/// assert_eq!(driver.clusters()[0].name, "Help");
/// assert_eq!(driver.find_cluster(None)?.url, "https://help.kusto.windows.net");
/// assert!(driver.find_cluster(Some("NoSuchCluster")).is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct KustoDriver {
    environment: String,
    config: MsticConfig,
    options: Options,
    clusters: Vec<KustoCluster>,
    connected: bool,
    clients: Mutex<HashMap<String, ServiceClient>>,
}

impl KustoDriver {
    /// A driver configured from `settings` and the session's `msticpyconfig.yaml`.
    pub fn new(environment: &str, settings: &DriverSettings) -> Self {
        Self::with_config(environment, settings, current_config())
    }

    /// A driver configured from `settings` and `config`.
    pub fn with_config(environment: &str, settings: &DriverSettings, config: MsticConfig) -> Self {
        let defaults = config.kusto_clusters_defaults();
        let clusters = config
            .kusto_clusters()
            .into_iter()
            .filter_map(|entry| {
                let (values, secrets, _) = entry.resolved_options();
                let mut args = Options::default();
                args.add(&values);
                for key in secrets {
                    args.mark_secret(&key);
                }
                args.add_all(defaults.clone());
                let url = args.get(&["Cluster"])?.trim_end_matches('/').to_string();
                let groups = match config.get(&format!("KustoClusters.{}.ClusterGroups", entry.name)) {
                    Some(serde_yaml_ng::Value::Sequence(items)) => items.iter().filter_map(|g| g.as_str().map(str::to_string)).collect(),
                    _ => Vec::new(),
                };
                Some(KustoCluster { name: entry.name, url, groups, args })
            })
            .collect();
        let options = merged_options(settings, Options::default());
        KustoDriver { environment: environment.to_string(), config, options, clusters, connected: false, clients: Mutex::new(HashMap::new()) }
    }

    /// The configured clusters.
    pub fn clusters(&self) -> &[KustoCluster] {
        &self.clusters
    }

    /// The cluster for a name, URL or host (`help` for `https://help.kusto.windows.net`); an
    /// unconfigured `https://…` URL is used as given.
    pub fn find_cluster(&self, wanted: Option<&str>) -> Result<KustoCluster> {
        let names = || self.clusters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>();
        let Some(wanted) = wanted else {
            return match self.clusters.as_slice() {
                [only] => Ok(only.clone()),
                _ => Err(Error::Config(format!(
                    "choose a Kusto cluster with the 'cluster' setting (configured: {})",
                    if self.clusters.is_empty() { "none — add KustoClusters to msticpyconfig.yaml".to_string() } else { names().join(", ") }
                ))),
            };
        };
        let wanted_trimmed = wanted.trim_end_matches('/');
        self.configured(wanted)
            .or_else(|| {
                wanted.contains("://").then(|| KustoCluster { name: wanted.to_string(), url: wanted_trimmed.to_string(), groups: Vec::new(), args: Options::default() })
            })
            .ok_or_else(|| Error::unknown("Kusto cluster", wanted, names()))
    }

    /// The cluster and database a query goes to.
    ///
    /// Cluster: the call's `cluster` setting; else the driver's `cluster` setting, which must be
    /// a cluster the query's file allows (MSTICPy refuses such a query on the connected cluster);
    /// else the first configured cluster the file names (`cluster`, then `clusters`), the first
    /// configured cluster in one of its `cluster_groups`, or the first cluster URL it gives; else
    /// the only configured cluster.
    /// Database: the call's `database`; the file's `database`; its dotted data family
    /// (`Family.Database`); the driver's `database`; the cluster's `Database`/`DefaultDatabase`.
    pub fn query_target(&self, options: &QueryOptions) -> Result<(KustoCluster, String)> {
        let routing = options.source.as_ref().map(QueryRouting::of).unwrap_or_default();
        let cluster = if let Some(wanted) = call_setting(options, &["cluster"]) {
            self.find_cluster(Some(wanted))?
        } else if let Some(connected) = self.options.get(&["cluster"]) {
            let cluster = self.find_cluster(Some(connected))?;
            if !cluster.allows(&routing) {
                return Err(Error::Config(format!(
                    "query '{}' is for {}, not for the connected Kusto cluster {} ({}); connect to one of those, or pass the 'cluster' setting with the call",
                    routing.query,
                    routing.describe(),
                    cluster.name,
                    cluster.url
                )));
            }
            cluster
        } else if routing.names_clusters() {
            self.cluster_for(&routing)?
        } else {
            self.find_cluster(None)?
        };
        let database = call_setting(options, &["database", "db"])
            .or(routing.database.as_deref())
            .or(routing.family_database.as_deref())
            .or(self.options.get(&["database", "db"]))
            .or(cluster.args.get(&["Database", "DefaultDatabase"]))
            .ok_or_else(|| {
                let of_query = if routing.query.is_empty() { String::new() } else { format!(" for query '{}'", routing.query) };
                Error::Config(format!("choose a database of Kusto cluster '{}'{of_query} with the 'database' setting", cluster.name))
            })?
            .to_string();
        Ok((cluster, database))
    }

    /// The cluster a query file names: the first configured cluster it names, else the first
    /// configured cluster in one of its groups, else the first cluster URL it gives.
    fn cluster_for(&self, routing: &QueryRouting) -> Result<KustoCluster> {
        routing
            .clusters
            .iter()
            .find_map(|c| self.configured(c))
            .or_else(|| self.clusters.iter().find(|c| routing.accepts(&[], &c.groups)).cloned())
            .or_else(|| routing.clusters.iter().find(|c| c.contains("://")).and_then(|url| self.find_cluster(Some(url)).ok()))
            .ok_or_else(|| {
                let configured: Vec<String> = self.clusters.iter().map(|c| format!("{} (groups: {})", c.name, c.groups.join(", "))).collect();
                Error::Config(format!(
                    "query '{}' is for {}, but no configured Kusto cluster matches (KustoClusters: {}); add one to msticpyconfig.yaml or pass the 'cluster' setting",
                    routing.query,
                    routing.describe(),
                    if configured.is_empty() { "none".to_string() } else { configured.join("; ") }
                ))
            })
    }

    /// The databases of a cluster (`.show databases`; MSTICPy's `get_database_names`); `None`:
    /// the driver's cluster.
    pub fn database_names(&self, cluster: Option<&str>) -> Result<Vec<String>> {
        let target = self.find_cluster(cluster.or(self.options.get(&["cluster"])))?;
        let frame = self.management(&target, "NetDefaultDB", ".show databases")?;
        Ok(frame.column_strings("DatabaseName")?.into_iter().flatten().collect())
    }

    /// The tables of a database with their `(column, type)` lists, types without their `System.`
    /// prefix (`.show database … schema`; MSTICPy's `get_database_schema`). `None`: the driver's
    /// cluster, and its `database` setting or the cluster's `Database`.
    pub fn database_schema(&self, cluster: Option<&str>, database: Option<&str>) -> Result<BTreeMap<String, Vec<(String, String)>>> {
        let target = self.find_cluster(cluster.or(self.options.get(&["cluster"])))?;
        let database = database
            .or(self.options.get(&["database", "db"]))
            .or(target.args.get(&["Database", "DefaultDatabase"]))
            .ok_or_else(|| Error::Config(format!("choose a database of Kusto cluster '{}' for its schema with the 'database' setting", target.name)))?
            .to_string();
        if database.contains(['\n', ';', '|', '\'', ']']) {
            return Err(Error::Config(format!("'{database}' is not a Kusto database name")));
        }
        let frame = self.management(&target, &database, &format!(".show database ['{database}'] schema"))?;
        let tables = frame.column_strings("TableName")?;
        let columns = frame.column_strings("ColumnName")?;
        let types = frame.column_strings("ColumnType")?;
        let mut schema: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for ((table, column), kind) in tables.into_iter().zip(columns).zip(types) {
            // The schema lists each table once without a column, then once per column.
            if let (Some(table), Some(column)) = (table.filter(|t| !t.is_empty()), column.filter(|c| !c.is_empty())) {
                let kind = kind.unwrap_or_default();
                schema.entry(table).or_default().push((column, kind.strip_prefix("System.").unwrap_or(&kind).to_string()));
            }
        }
        Ok(schema)
    }

    /// Runs a management command (`POST {cluster}/v1/rest/mgmt`) on `database`.
    fn management(&self, cluster: &KustoCluster, database: &str, command: &str) -> Result<Frame> {
        if !self.connected {
            return Err(not_connected(&self.environment));
        }
        let body = serde_json::json!({"db": database, "csl": command});
        self.send_kql(cluster, "/v1/rest/mgmt", database, body, DEFAULT_TIMEOUT, true)
    }

    /// Posts a KQL request body to `{cluster}{path}` and converts the reply; errors and partial
    /// results name the cluster and database.
    fn send_kql(&self, cluster: &KustoCluster, path: &str, database: &str, body: serde_json::Value, timeout: Duration, strict: bool) -> Result<Frame> {
        let context = format!("cluster {} database {database}", cluster.url);
        let request = ServiceRequest {
            method: Method::Post,
            url: format!("{}{path}", cluster.url),
            body: Some(("application/json; charset=utf-8", body.to_string().into_bytes())),
            headers: vec![("x-ms-app".into(), "rust-mstic".into())],
            timeout: Some(timeout),
            context: context.clone(),
        };
        let bytes = run(self.client(cluster)?.send(&request))?;
        kusto_to_frame(&bytes)
            .map_err(|e| Error::Remote { service: "Kusto".into(), message: format!("{context}: {}", strip_service(&e)) })?
            .into_frame(strict, "Kusto", &context)
    }

    /// The configured cluster with this entry name, URL or host name.
    fn configured(&self, wanted: &str) -> Option<KustoCluster> {
        let wanted = wanted.trim_end_matches('/');
        self.clusters.iter().find(|c| c.ids().iter().any(|id| id.eq_ignore_ascii_case(wanted))).cloned()
    }

    fn client(&self, cluster: &KustoCluster) -> Result<ServiceClient> {
        if let Some(client) = self.clients.lock().ok().and_then(|c| c.get(&cluster.url).cloned()) {
            return Ok(client);
        }
        let mut options = self.options.clone();
        options.add_all(cluster.args.clone());
        let endpoints = CloudEndpoints::resolve(&self.config, &options);
        let scope = options.get(&["scope"]).map(str::to_string).unwrap_or_else(|| format!("{}/.default", cluster.url));
        let auth = Arc::new(build_auth(&self.config, &options, &endpoints, None)?);
        let timeout = options.seconds(&["timeout"])?.unwrap_or(DEFAULT_TIMEOUT);
        let client = ServiceClient::new("Kusto", Authorization::Azure { auth, scope }, options.retry_policy()?, timeout)?;
        if let Ok(mut clients) = self.clients.lock() {
            clients.insert(cluster.url.clone(), client.clone());
        }
        Ok(client)
    }
}

impl Driver for KustoDriver {
    fn environment(&self) -> &str {
        &self.environment
    }

    fn connect(&mut self) -> Result<()> {
        let wanted = self.options.get(&["cluster"]).map(str::to_string);
        if wanted.is_some() || self.clusters.len() == 1 {
            let cluster = self.find_cluster(wanted.as_deref())?;
            let client = self.client(&cluster)?;
            run(client.check_credentials())?;
            client.announce_connection(&format!("Kusto cluster {}", cluster.url));
        }
        self.connected = true;
        Ok(())
    }

    fn is_connected(&self) -> bool {
        self.connected
    }

    fn query(&self, query: &str, options: &QueryOptions) -> Result<Frame> {
        if !self.connected {
            return Err(not_connected(&self.environment));
        }
        let (cluster, database) = self.query_target(options)?;
        let timeout = query_timeout(options, &self.options, DEFAULT_TIMEOUT)?.min(Duration::from_secs(3600));
        let body = serde_json::json!({
            "db": database,
            "csl": query,
            "properties": {"Options": {"servertimeout": format!("{}s", timeout.as_secs().max(1))}},
        });
        self.send_kql(&cluster, "/v2/rest/query", &database, body, timeout, fail_on_partial(options, &self.options))
    }

    /// The connected cluster's database schema (see [`KustoDriver::database_schema`]).
    fn schema(&self) -> Result<BTreeMap<String, Vec<(String, String)>>> {
        self.database_schema(None, None)
    }

    /// With a connected cluster (the `cluster` setting): the queries whose file allows it.
    fn accepts(&self, source: &QuerySource) -> bool {
        let connected = self.options.get(&["cluster"]).and_then(|c| self.find_cluster(Some(c)).ok());
        connected.is_none_or(|cluster| cluster.allows(&QueryRouting::of(source)))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { remote: true, parallel_queries: true, local_sql: false }
    }
}

/// `KustoClusters.ClusterDefaults.Args` as options.
trait ClusterDefaults {
    fn kusto_clusters_defaults(&self) -> Options;
}

impl ClusterDefaults for MsticConfig {
    fn kusto_clusters_defaults(&self) -> Options {
        let mut options = Options::default();
        if let Some(serde_yaml_ng::Value::Mapping(args)) = self.get("KustoClusters.ClusterDefaults.Args") {
            for (key, _) in args {
                if let Some(key) = key.as_str()
                    && let Some(value) = self.setting(&format!("KustoClusters.ClusterDefaults.Args.{key}")).and_then(|s| s.resolve().ok())
                {
                    options.add_one(key, value);
                }
            }
        }
        options
    }
}

impl std::fmt::Debug for KustoDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let clusters: Vec<(&str, &str)> = self.clusters.iter().map(|c| (c.name.as_str(), c.url.as_str())).collect();
        f.debug_struct("KustoDriver").field("clusters", &clusters).field("options", &self.options).finish()
    }
}
