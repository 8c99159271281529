//! Microsoft Graph OData queries (`MSGraph`, `SecurityGraph`): the query text is a path such as
//! `security/alerts_v2?$filter=…`, fetched with `GET {graph}/v1.0/{path}`; `@odata.nextLink`
//! pages are followed (up to `max_pages`, default 50). Credentials come from
//! `DataProviders.MicrosoftGraph.Args` (or `SecurityGraphApp`).

use super::common::{merged_options, not_connected, query_timeout, run};
use super::convert::odata_to_frame;
use super::http::{Authorization, Method, ServiceClient, ServiceRequest};
use super::settings::{CloudEndpoints, Options, build_auth, current_config, provider_args};
use crate::{Capabilities, Driver, DriverSettings, QueryOptions};
use mstic_core::config::MsticConfig;
use mstic_core::{Error, Frame, Result};
use std::sync::Arc;
use std::time::Duration;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The Microsoft Graph driver: OData paths (`security/alerts_v2?$top=10`) fetched page by page.
///
/// # Example
/// ```
/// use mstic_core::config::MsticConfig;
/// use mstic_data::{Driver, DriverSettings, QueryOptions, remote::GraphDriver};
/// let driver = GraphDriver::with_config("MSGraph", &DriverSettings::default(), MsticConfig::default());
/// assert_eq!(driver.environment(), "MSGraph");
/// assert!(driver.capabilities().remote && !driver.is_connected());
/// let error = driver.query("security/alerts_v2", &QueryOptions::default()).err().map(|e| e.to_string());
/// assert!(error.is_some_and(|message| message.contains("not connected")));
/// ```
pub struct GraphDriver {
    environment: String,
    config: MsticConfig,
    options: Options,
    connection: Option<(ServiceClient, String)>,
}

impl GraphDriver {
    /// A driver configured from `settings` and the session's `msticpyconfig.yaml`.
    pub fn new(environment: &str, settings: &DriverSettings) -> Self {
        Self::with_config(environment, settings, current_config())
    }

    /// The same, reading `config`.
    pub fn with_config(environment: &str, settings: &DriverSettings, config: MsticConfig) -> Self {
        let options = merged_options(settings, provider_args(&config, &["MicrosoftGraph", "SecurityGraphApp"]));
        GraphDriver { environment: environment.to_string(), config, options, connection: None }
    }
}

impl Driver for GraphDriver {
    fn environment(&self) -> &str {
        &self.environment
    }

    fn connect(&mut self) -> Result<()> {
        let endpoints = CloudEndpoints::resolve(&self.config, &self.options);
        let base = self.options.get(&["endpoint"]).map(|e| e.trim_end_matches('/').to_string()).unwrap_or(endpoints.graph.clone());
        let version = self.options.get(&["api_version"]).unwrap_or("v1.0").to_string();
        let scope = self.options.get(&["scope"]).map(str::to_string).unwrap_or_else(|| format!("{}/.default", endpoints.graph));
        let auth = Arc::new(build_auth(&self.config, &self.options, &endpoints, None)?);
        let timeout = self.options.seconds(&["timeout"])?.unwrap_or(DEFAULT_TIMEOUT);
        let client = ServiceClient::new("Microsoft Graph", Authorization::Azure { auth, scope }, self.options.retry_policy()?, timeout)?;
        run(client.check_credentials())?;
        client.announce_connection("Microsoft Graph");
        self.connection = Some((client, format!("{base}/{version}")));
        Ok(())
    }

    fn is_connected(&self) -> bool {
        self.connection.is_some()
    }

    fn query(&self, query: &str, options: &QueryOptions) -> Result<Frame> {
        let (client, base) = self.connection.as_ref().ok_or_else(|| not_connected(&self.environment))?;
        let path = query.trim().trim_start_matches('/');
        let max_pages: usize = self.options.get(&["max_pages"]).and_then(|p| p.parse().ok()).unwrap_or(50);
        let timeout = query_timeout(options, &self.options, DEFAULT_TIMEOUT)?;
        let mut url = if path.starts_with("http://") || path.starts_with("https://") { path.to_string() } else { format!("{base}/{}", path.replace(' ', "%20")) };
        let mut frames = Vec::new();
        let mut truncated = false;
        for page in 0.. {
            if page == max_pages {
                truncated = true;
                break;
            }
            let request = ServiceRequest { method: Method::Get, url: url.clone(), body: None, headers: Vec::new(), timeout: Some(timeout), context: format!("GET {path}") };
            let bytes = run(client.send(&request))?;
            let (frame, next) = odata_to_frame(&bytes).map_err(|e| Error::Remote { service: "Microsoft Graph".into(), message: format!("GET {path}: {e}") })?;
            frames.push(frame);
            match next {
                Some(next) => url = next,
                None => break,
            }
        }
        let frames: Vec<Frame> = frames.into_iter().filter(|f| f.num_columns() > 0).collect();
        let frame = if frames.len() == 1 { frames.into_iter().next().unwrap_or_else(empty) } else if frames.is_empty() { empty() } else { Frame::concat(&frames)? };
        Ok(if truncated { frame.with_warning(format!("stopped after {max_pages} pages; raise the max_pages setting for more")) } else { frame })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { remote: true, parallel_queries: true, local_sql: false }
    }
}

fn empty() -> Frame {
    Frame::empty(Arc::new(arrow::datatypes::Schema::empty()))
}

impl std::fmt::Debug for GraphDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphDriver").field("environment", &self.environment).field("options", &self.options).finish()
    }
}
