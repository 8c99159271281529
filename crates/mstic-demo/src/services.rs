//! Local stand-ins for the remote services, for the example notebook and tests: one server on
//! 127.0.0.1 answering the token endpoint, Log Analytics, Kusto, Graph (hunting and OData),
//! Defender for Endpoint and Splunk with recorded responses, plus a session configuration that
//! points the remote drivers at it — so `QueryProvider::new("MSSentinel")` and friends work
//! exactly as against the real services. The answers are ours ([`crate::responses`]); where the
//! fixture folder is present, MSTICPy's recorded Log Analytics and Kusto answers are served
//! instead.
//!
//! ```no_run
//! let demo = mstic_demo::DemoServer::start()?;
//! let mut qp = mstic_data::provider::QueryProvider::new("MSSentinel")?;
//! qp.connect()?;
//! # Ok::<(), mstic_core::Error>(())
//! ```

use crate::recorded::{RecordedRequest, RecordedServer, Reply};
use crate::responses;
use mstic_core::Result;
use mstic_core::config::MsticConfig;
use mstic_data::remote::set_session_config;

/// Workspace ID of the demo's default workspace (MSTICPy's recorded alerts carry this tenant).
pub const DEMO_WORKSPACE_ID: &str = "52b1ab41-869e-4138-9e40-2a4457f09bf0";
/// Tenant ID used by the demo.
pub const DEMO_TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// The running demo services; the remote drivers created while it lives talk to it.
pub struct DemoServer {
    server: RecordedServer,
    config: MsticConfig,
}

impl DemoServer {
    /// Starts the services and points the remote drivers of this process at them (until the
    /// `DemoServer` is dropped). Prints where they listen.
    pub fn start() -> Result<DemoServer> {
        let server = RecordedServer::start()?;
        install_routes(&server);
        let config = MsticConfig::from_yaml_str(&demo_config(&server.base_url()), "demo msticpyconfig.yaml")?;
        set_session_config(Some(config.clone()));
        println!("Demo Azure/Sentinel/Kusto/Defender/Graph/Splunk services at {}", server.base_url());
        Ok(DemoServer { server, config })
    }

    /// `http://127.0.0.1:{port}`: the base URL of every demo service.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The `msticpyconfig.yaml` the remote drivers now read.
    pub fn config(&self) -> &MsticConfig {
        &self.config
    }

    /// The underlying server (to add routes or inspect requests).
    pub fn server(&self) -> &RecordedServer {
        &self.server
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        set_session_config(None);
    }
}

impl std::fmt::Debug for DemoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DemoServer({})", self.base_url())
    }
}

/// MSTICPy's recorded answer at `relative` in the fixture folder when there is one, else ours.
fn fixture_or(relative: &str, fallback: &str) -> Vec<u8> {
    mstic_core::paths::fixture(relative).ok().and_then(|path| std::fs::read(path).ok()).unwrap_or_else(|| fallback.as_bytes().to_vec())
}

fn install_routes(server: &RecordedServer) {
    use responses::*;
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, TOKEN)]);
    let alerts = fixture_or("msticpy/testdata/azmondata/az_mon_raw_query.json", LOGONS);
    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, alerts)]);
    server.route_body("POST", "/v1/workspaces/", "4624", vec![Reply::json(200, LOGONS)]);
    server.route_body("POST", "/v1/workspaces/", "Heartbeat", vec![Reply::json(200, PARTIAL_HEARTBEAT)]);
    server.route_body("POST", "/v1/workspaces/", "4688", vec![Reply::json(200, PROCESSES)]);
    server.route_body("POST", "/v1/workspaces/", "SigninLogs", vec![Reply::json(200, SIGNINS)]);
    server.route("POST", "/v2/rest/query", vec![Reply::json(200, fixture_or("msticpy/testdata/kusto/kusto_raw_resp.json", KUSTO_V2))]);
    server.route("POST", "/v1.0/security/runHuntingQuery", vec![Reply::json(200, GRAPH_HUNTING)]);
    server.route("POST", "/api/advancedqueries/run", vec![Reply::json(200, MDE_HUNTING)]);
    server.route("GET", "/v1.0/security/alerts", vec![Reply::json(200, GRAPH_ALERTS)]);
    server.route("POST", "/services/search/v2/jobs/export", vec![Reply::json(200, SPLUNK_EXPORT)]);
    crate::arm::install_sentinel_routes(server);
    crate::resource_graph::install_resource_graph_routes(server);
}

fn demo_config(base: &str) -> String {
    let accounts = ServiceAccounts {
        tenant_id: DEMO_TENANT_ID,
        workspace_id: DEMO_WORKSPACE_ID,
        second_workspace: ("Secondary", "a927809c-8142-43e1-96b3-4ad87cfe95a3"),
        client_id: "00000000-0000-0000-0000-00000000c11e",
        client_secret: "demo-client-secret",
        kusto_cluster: ("MDEData", Some("Hunting")),
        splunk_password: "demo-password",
    };
    services_config_yaml(base, &accounts)
}

/// The Azure subscription of the `Default` workspace in [`services_config_yaml`].
pub const DEMO_SUBSCRIPTION_ID: &str = "3c1bb38c-82e3-4f8d-a115-a7110ba70d05";
/// The resource group of the `Default` workspace in [`services_config_yaml`].
pub const DEMO_RESOURCE_GROUP: &str = "soc-rg";
/// The resource name of the `Default` workspace in [`services_config_yaml`].
pub const DEMO_WORKSPACE_NAME: &str = "soc-workspace";

/// The accounts a configuration of the remote services names.
#[derive(Debug, Clone, Copy)]
pub struct ServiceAccounts<'a> {
    /// Azure tenant of every service.
    pub tenant_id: &'a str,
    /// The `Default` Sentinel workspace.
    pub workspace_id: &'a str,
    /// Name and ID of a second Sentinel workspace.
    pub second_workspace: (&'a str, &'a str),
    /// The app registration's client ID.
    pub client_id: &'a str,
    /// The app registration's secret.
    pub client_secret: &'a str,
    /// Name of the `KustoClusters` entry, and its `Database` if it names one.
    pub kusto_cluster: (&'a str, Option<&'a str>),
    /// The Splunk `admin` password.
    pub splunk_password: &'a str,
}

/// `msticpyconfig.yaml` text pointing Azure auth, Log Analytics, Graph, Defender, Kusto and Splunk
/// at `base` (`http://127.0.0.1:{port}`) with `accounts`. `DataProviders` is its last section, so
/// entries can be appended.
pub fn services_config_yaml(base: &str, accounts: &ServiceAccounts<'_>) -> String {
    let ServiceAccounts { tenant_id, workspace_id, client_id, client_secret, splunk_password, .. } = *accounts;
    let (second_name, second_id) = accounts.second_workspace;
    let (cluster_name, database) = accounts.kusto_cluster;
    let database = database.map(|d| format!("\n      Database: \"{d}\"")).unwrap_or_default();
    format!(
        r#"AzureSentinel:
  Workspaces:
    Default:
      WorkspaceId: "{workspace_id}"
      TenantId: "{tenant_id}"
      SubscriptionId: "{DEMO_SUBSCRIPTION_ID}"
      ResourceGroup: "{DEMO_RESOURCE_GROUP}"
      WorkspaceName: "{DEMO_WORKSPACE_NAME}"
      Args:
        ClientId: "{client_id}"
        ClientSecret: "{client_secret}"
    {second_name}:
      WorkspaceId: "{second_id}"
      TenantId: "{tenant_id}"
Azure:
  cloud: global
  auth_methods: ["clientsecret"]
  authority_host: "{base}"
  log_analytics_endpoint: "{base}"
  graph_endpoint: "{base}"
  mde_endpoint: "{base}"
  resource_manager_endpoint: "{base}"
KustoClusters:
  ClusterDefaults:
    Args:
      TenantId: "{tenant_id}"
      ClientId: "{client_id}"
      ClientSecret: "{client_secret}"
  {cluster_name}:
    Args:
      Cluster: "{base}"{database}
DataProviders:
  MicrosoftDefender:
    Args:
      TenantId: "{tenant_id}"
      ClientId: "{client_id}"
      ClientSecret: "{client_secret}"
  MicrosoftGraph:
    Args:
      TenantId: "{tenant_id}"
      ClientId: "{client_id}"
      ClientSecret: "{client_secret}"
  Splunk:
    Args:
      host: "127.0.0.1"
      port: "{port}"
      http_scheme: "http"
      username: "admin"
      password: "{splunk_password}"
"#,
        port = base.rsplit(':').next().unwrap_or_default()
    )
}
