//! Microsoft Defender advanced hunting: Graph `POST {graph}/v1.0/security/runHuntingQuery`
//! (`M365D`, `M365DGraph`; the legacy M365D API is retired) and Defender for Endpoint
//! `POST {mde}/api/advancedqueries/run` (`MDE`, `MDATP`). Credentials come from
//! `DataProviders.MicrosoftDefender.Args` (or `MDATPApp`) as in MSTICPy.

use super::common::{call_setting, fail_on_partial, merged_options, not_connected, query_timeout, run};
use super::convert::hunting_to_frame;
use super::http::{Authorization, Method, ServiceClient, ServiceRequest};
use super::sentinel::strip_service;
use super::settings::{CloudEndpoints, build_auth, current_config, provider_args, Options};
use crate::{Capabilities, Driver, DriverSettings, QueryOptions};
use mstic_core::config::MsticConfig;
use mstic_core::{Error, Frame, Result};
use std::sync::Arc;
use std::time::Duration;

/// Defender's per-request limit is 200 s; allow a little more on the wire.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(210);

/// Which hunting API a [`DefenderDriver`] calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HuntingApi {
    /// Microsoft Graph `security/runHuntingQuery`.
    Graph,
    /// Defender for Endpoint `api/advancedqueries/run`.
    Mde,
}

/// The Defender (M365D / MDE) advanced hunting driver: KQL run through Graph `runHuntingQuery`
/// or the Defender for Endpoint API.
///
/// # Example
/// ```
/// use mstic_core::config::MsticConfig;
/// use mstic_data::{Driver, DriverSettings, QueryOptions};
/// use mstic_data::remote::{DefenderDriver, HuntingApi};
/// let mde = DefenderDriver::with_config("MDE", &DriverSettings::default(), MsticConfig::default());
/// assert_eq!(mde.api(), HuntingApi::Mde);
/// let graph = DefenderDriver::with_config("MDE", &DriverSettings::default().set("api", "graph"), MsticConfig::default());
/// assert_eq!(graph.api(), HuntingApi::Graph);
/// let error = graph.query("DeviceInfo | take 1", &QueryOptions::default()).err().map(|e| e.to_string());
/// assert!(error.is_some_and(|message| message.contains("not connected")));
/// ```
pub struct DefenderDriver {
    environment: String,
    api: HuntingApi,
    config: MsticConfig,
    options: Options,
    connection: Option<(ServiceClient, String)>,
}

impl DefenderDriver {
    /// A driver for `environment` (`M365D`/`M365DGraph` → Graph; `MDE`/`MDATP` → MDE API, or
    /// Graph when the `api` setting is `graph`).
    pub fn new(environment: &str, settings: &DriverSettings) -> Self {
        Self::with_config(environment, settings, current_config())
    }

    /// The same, reading `config`.
    pub fn with_config(environment: &str, settings: &DriverSettings, config: MsticConfig) -> Self {
        let options = merged_options(settings, provider_args(&config, &["MicrosoftDefender", "MDATPApp"]));
        let graph_env = matches!(environment.to_ascii_lowercase().as_str(), "m365d" | "m365dgraph");
        let api = match options.get(&["api"]).map(str::to_ascii_lowercase).as_deref() {
            Some("graph") => HuntingApi::Graph,
            Some("mde") => HuntingApi::Mde,
            _ if graph_env => HuntingApi::Graph,
            _ => HuntingApi::Mde,
        };
        DefenderDriver { environment: environment.to_string(), api, config, options, connection: None }
    }

    /// The API this driver calls.
    pub fn api(&self) -> HuntingApi {
        self.api
    }
}

impl Driver for DefenderDriver {
    fn environment(&self) -> &str {
        &self.environment
    }

    fn connect(&mut self) -> Result<()> {
        let endpoints = CloudEndpoints::resolve(&self.config, &self.options);
        let (service, base) = match self.api {
            HuntingApi::Graph => ("Microsoft Graph hunting", endpoints.graph.clone()),
            HuntingApi::Mde => ("Defender for Endpoint", endpoints.mde.clone()),
        };
        let base = self.options.get(&["endpoint"]).map(|e| e.trim_end_matches('/').to_string()).unwrap_or(base);
        let scope = self.options.get(&["scope"]).map(str::to_string).unwrap_or_else(|| match self.api {
            HuntingApi::Graph => format!("{}/.default", endpoints.graph),
            HuntingApi::Mde => format!("{}/.default", endpoints.mde),
        });
        let auth = Arc::new(build_auth(&self.config, &self.options, &endpoints, None)?);
        let timeout = self.options.seconds(&["timeout"])?.unwrap_or(DEFAULT_TIMEOUT);
        let client = ServiceClient::new(service, Authorization::Azure { auth, scope }, self.options.retry_policy()?, timeout)?;
        run(client.check_credentials())?;
        client.announce_connection(service);
        let url = match self.api {
            HuntingApi::Graph => format!("{base}/v1.0/security/runHuntingQuery"),
            HuntingApi::Mde => format!("{base}/api/advancedqueries/run"),
        };
        self.connection = Some((client, url));
        Ok(())
    }

    fn is_connected(&self) -> bool {
        self.connection.is_some()
    }

    fn query(&self, query: &str, options: &QueryOptions) -> Result<Frame> {
        let (client, url) = self.connection.as_ref().ok_or_else(|| not_connected(&self.environment))?;
        let mut body = serde_json::json!({ "Query": query });
        if self.api == HuntingApi::Graph
            && let Some(span) = call_setting(options, &["timespan"]).or(self.options.get(&["timespan"]))
        {
            body["Timespan"] = span.into();
        }
        let timeout = query_timeout(options, &self.options, DEFAULT_TIMEOUT)?;
        let context = "advanced hunting query".to_string();
        let request = ServiceRequest {
            method: Method::Post,
            url: url.clone(),
            body: Some(("application/json", body.to_string().into_bytes())),
            headers: Vec::new(),
            timeout: Some(timeout),
            context: context.clone(),
        };
        let bytes = run(client.send(&request))?;
        hunting_to_frame(&bytes, client.service())
            .map_err(|e| Error::Remote { service: client.service().to_string(), message: format!("{context}: {}", strip_service(&e)) })?
            .into_frame(fail_on_partial(options, &self.options), client.service(), &context)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { remote: true, parallel_queries: true, local_sql: false }
    }
}

impl std::fmt::Debug for DefenderDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefenderDriver").field("environment", &self.environment).field("api", &self.api).field("options", &self.options).finish()
    }
}
