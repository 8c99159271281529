//! Remote data drivers: Microsoft Sentinel / Log Analytics, Azure Data Explorer (Kusto),
//! Microsoft Defender advanced hunting (Graph `runHuntingQuery` and MDE), Microsoft Graph OData,
//! Azure Resource Graph and Splunk — with Azure sign-in (`azure_identity` credentials, device code, browser),
//! retries, time-outs, one typed Arrow converter per response shape, and MSTICPy's
//! `split_query_by`.
//!
//! In a notebook the drivers are reached through the `QueryProvider`:
//!
//! ```no_run
//! use mstic_data::provider::QueryProvider;
//! let mut qp = QueryProvider::new("MSSentinel")?;   // workspaces from msticpyconfig.yaml
//! qp.connect()?;
//! let alerts = qp.query("SecurityAlert.list_alerts").start(-1).end(0).run()?;
//! # Ok::<(), mstic_core::Error>(())
//! ```
//!
//! Settings (driver options from the provider or `DriverSettings`; names match ignoring case and
//! `_`, so MSTICPy's `ClientId` and `client_id` are the same):
//!
//! | Setting | Meaning |
//! |---|---|
//! | `workspace`, `workspace_id`, `workspaces`, `workspace_ids`, `timespan` | Sentinel workspace selection (also per query with `.option(…)`) |
//! | `cluster`, `database` | Kusto cluster (entry name, URL or host) and database |
//! | `api` (`graph`/`mde`), `timespan` | Defender hunting API and Graph `Timespan` |
//! | `subscriptions` (`subscription_id`), `management_groups`, `page_size`, `max_rows`, `max_pages` | Resource Graph scope (default: the workspaces' `SubscriptionId`s) and paging (also per query with `.option(…)`) |
//! | `host`, `port`, `http_scheme`, `base_url`, `bearer_token`, `username`, `password`, `verify`, `earliest_time`, `latest_time` | Splunk |
//! | `auth_methods` (`env`, `cli`, `msi`, `workload`, `clientsecret`, `certificate`, `devicecode`, `interactive`), `tenant_id`, `client_id`, `client_secret`, `certificate_path`, `public_client_id`, `managed_identity_client_id`, `managed_identity_endpoint`, `federated_token_file`, `access_token`, `ca_bundle`, `auth_timeout`, `sign_in_timeout` | Azure sign-in ([`mstic_core::azure`]) |
//! | `cloud`, `authority_host`, `log_analytics_endpoint`, `graph_endpoint`, `mde_endpoint`, `resource_manager_endpoint`, `endpoint`, `scope` | Endpoints (also under `Azure:` in `msticpyconfig.yaml`) |
//! | `timeout` (s), `max_retries`, `retry_backoff_ms`, `max_retry_wait` (s), `fail_on_partial` | Time-outs, retries, partial results |

pub mod arm;
pub mod auth;
pub mod common;
pub mod convert;
pub mod defender;
pub mod http;
pub mod kusto;
pub mod kusto_routing;
pub mod msgraph;
pub mod resource_graph;
pub mod sentinel;
pub mod settings;
pub mod split;
pub mod splunk;
pub mod splunk_job;

pub use arm::ArmClient;
pub use auth::{AuthMethod, AuthSettings, AzureAuth, Secret, SignedIn};
pub use defender::{DefenderDriver, HuntingApi};
pub use kusto::KustoDriver;
pub use msgraph::GraphDriver;
pub use resource_graph::ResourceGraphDriver;
pub use sentinel::SentinelDriver;
pub use settings::{CloudEndpoints, set_session_config};
pub use split::{SplitCall, SplitQuery};
pub use splunk::SplunkDriver;

use crate::{Driver, DriverSettings};
use mstic_core::config::MsticConfig;

/// Environment names (MSTICPy's, with aliases) served by the remote drivers.
pub const REMOTE_ENVIRONMENTS: &[&str] = &[
    "MSSentinel", "AzureSentinel", "LogAnalytics", "MSSentinel_New", "MSSentinel_Legacy", "MSSentinel_KQLM",
    "Kusto", "AzureDataExplorer", "Kusto_New", "Kusto_Legacy", "Kusto_KQLM",
    "M365D", "M365DGraph", "MDE", "MDATP", "Splunk", "MSGraph", "SecurityGraph",
    "ResourceGraph", "AzureResourceGraph",
];

/// The remote driver for `environment` (case-insensitive), or `None` when it is not remote.
pub fn create_remote_driver(environment: &str, settings: &DriverSettings) -> Option<Box<dyn Driver>> {
    create_remote_driver_with_config(environment, settings, settings::current_config())
}

/// Like [`create_remote_driver`], with the workspaces, clusters and keys of `config`.
pub fn create_remote_driver_with_config(environment: &str, settings: &DriverSettings, config: MsticConfig) -> Option<Box<dyn Driver>> {
    let lower = environment.to_ascii_lowercase();
    let driver: Box<dyn Driver> = match lower.as_str() {
        "mssentinel" | "azuresentinel" | "loganalytics" | "mssentinel_new" | "mssentinel_legacy" | "mssentinel_kqlm" => {
            Box::new(SentinelDriver::with_config("MSSentinel", settings, config))
        }
        "kusto" | "azuredataexplorer" | "kusto_new" | "kusto_legacy" | "kusto_kqlm" => Box::new(KustoDriver::with_config("Kusto", settings, config)),
        "m365d" | "m365dgraph" => Box::new(DefenderDriver::with_config("M365DGraph", settings, config)),
        "mde" | "mdatp" => Box::new(DefenderDriver::with_config("MDE", settings, config)),
        "splunk" => Box::new(SplunkDriver::with_config("Splunk", settings, config)),
        "msgraph" | "securitygraph" => Box::new(GraphDriver::with_config("MSGraph", settings, config)),
        "resourcegraph" | "azureresourcegraph" => Box::new(ResourceGraphDriver::with_config("ResourceGraph", settings, config)),
        _ => return None,
    };
    Some(driver)
}
