//! Microsoft Sentinel / Log Analytics: `POST {endpoint}/v1/workspaces/{id}/query` with
//! `{"query", "timespan", "workspaces"}`. Workspaces come from `AzureSentinel.Workspaces` in
//! `msticpyconfig.yaml` (`Default` unless `workspace` names another); `workspaces` /
//! `workspace_ids` add more workspaces to the same query (MSTICPy's multi-workspace mode).

use super::common::{call_setting, fail_on_partial, list, merged_options, not_connected, query_timeout, run};
use super::convert::log_analytics_to_frame;
use super::http::{Authorization, Method, ServiceClient, ServiceRequest};
use super::settings::{CloudEndpoints, Options, build_auth, current_config, provider_args};
use crate::{Capabilities, Driver, DriverSettings, QueryOptions};
use mstic_core::config::MsticConfig;
use mstic_core::{Error, Frame, Result};
use std::sync::Arc;
use std::time::Duration;

/// MSTICPy's default Log Analytics query time-out.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The Microsoft Sentinel / Log Analytics driver: KQL run on the configured workspaces.
///
/// # Example
/// ```
/// use mstic_core::config::MsticConfig;
/// use mstic_data::{Driver, DriverSettings, QueryOptions, provider::QueryProvider, remote::SentinelDriver};
/// let driver = SentinelDriver::with_config("MSSentinel", &DriverSettings::default(), MsticConfig::default());
/// assert_eq!(driver.workspace_id(), None); // chosen by connect()
/// assert!(driver.query("SecurityAlert | take 1", &QueryOptions::default()).is_err());
/// let qp = QueryProvider::with_driver(Box::new(driver));
/// let kql = qp.query("SecurityAlert.list_alerts").start("2024-05-01").end("2024-05-02").render()?;
/// assert!(kql.starts_with("SecurityAlert"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct SentinelDriver {
    environment: String,
    config: MsticConfig,
    options: Options,
    fallback: Options,
    connection: Option<Connection>,
}

struct Connection {
    client: ServiceClient,
    endpoint: String,
    workspace_id: String,
    extra_workspace_ids: Vec<String>,
}

impl SentinelDriver {
    /// A driver configured from `settings` and the session's `msticpyconfig.yaml`.
    pub fn new(environment: &str, settings: &DriverSettings) -> Self {
        Self::with_config(environment, settings, current_config())
    }

    /// A driver configured from `settings` and `config`.
    pub fn with_config(environment: &str, settings: &DriverSettings, config: MsticConfig) -> Self {
        let options = merged_options(settings, Options::default());
        let fallback = provider_args(&config, &["AzureCLI"]);
        SentinelDriver { environment: environment.to_string(), config, options, fallback, connection: None }
    }

    /// The workspace queries run against (after `connect`).
    pub fn workspace_id(&self) -> Option<&str> {
        self.connection.as_ref().map(|c| c.workspace_id.as_str())
    }

    /// Workspace ID and tenant for a workspace name or ID.
    fn resolve_workspace(&self, wanted: Option<&str>) -> Result<(String, Option<String>, Options)> {
        let workspaces = self.config.workspaces();
        let by_name = |name: &str| workspaces.iter().find(|w| w.name.eq_ignore_ascii_case(name) || w.workspace_id.as_deref() == Some(name));
        let entry = match wanted {
            Some(name) => match by_name(name) {
                Some(entry) => Some(entry),
                None if looks_like_guid(name) => return Ok((name.to_string(), None, Options::default())),
                None => {
                    let names: Vec<&str> = workspaces.iter().map(|w| w.name.as_str()).collect();
                    return Err(Error::unknown("workspace (AzureSentinel.Workspaces in msticpyconfig.yaml)", name, names));
                }
            },
            None => by_name("Default").or_else(|| (workspaces.len() == 1).then(|| &workspaces[0])),
        };
        let Some(entry) = entry else {
            return Err(Error::Config(
                "no Log Analytics workspace: add AzureSentinel.Workspaces.Default (WorkspaceId, TenantId) to msticpyconfig.yaml, \
                 or pass the workspace_id setting"
                    .into(),
            ));
        };
        let id = entry.workspace_id.clone().ok_or_else(|| Error::Config(format!("workspace '{}' has no WorkspaceId in msticpyconfig.yaml", entry.name)))?;
        let mut args = Options::default();
        for (key, setting) in &entry.args {
            if let Ok(value) = setting.resolve() {
                args.add_one(key, value);
            }
        }
        Ok((id, entry.tenant_id.clone(), args))
    }

    fn workspace_ids(&self, names: &[String]) -> Result<Vec<String>> {
        names.iter().map(|n| self.resolve_workspace(Some(n)).map(|(id, _, _)| id)).collect()
    }
}

fn looks_like_guid(text: &str) -> bool {
    text.len() == 36 && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

impl Driver for SentinelDriver {
    fn environment(&self) -> &str {
        &self.environment
    }

    fn connect(&mut self) -> Result<()> {
        let explicit_id = self.options.get(&["workspace_id"]).map(str::to_string);
        let wanted = explicit_id.clone().or_else(|| self.options.get(&["workspace"]).map(str::to_string));
        let (workspace_id, tenant, workspace_args) = self.resolve_workspace(wanted.as_deref())?;
        // Precedence: the driver's settings, then the workspace entry, then DataProviders.AzureCLI.
        let mut options = self.options.clone();
        options.add_all(workspace_args);
        if let Some(tenant) = &tenant {
            options.add_one("tenant_id", tenant.clone());
        }
        options.add_all(self.fallback.clone());
        let endpoints = CloudEndpoints::resolve(&self.config, &options);
        let endpoint = options.get(&["endpoint", "log_analytics_endpoint"]).map(|e| e.trim_end_matches('/').to_string()).unwrap_or(endpoints.log_analytics.clone());
        let scope = options.get(&["scope"]).map(str::to_string).unwrap_or_else(|| format!("{endpoint}/.default"));
        let tenant = options.get(&["tenant_id"]).map(str::to_string).or(tenant);
        let auth = Arc::new(build_auth(&self.config, &options, &endpoints, tenant)?);
        let timeout = options.seconds(&["timeout"])?.unwrap_or(DEFAULT_TIMEOUT);
        let client = ServiceClient::new("Log Analytics", Authorization::Azure { auth, scope }, options.retry_policy()?, timeout)?;
        run(client.check_credentials())?;
        client.announce_connection(&match wanted.as_deref() {
            Some(name) if name != workspace_id => format!("workspace {name} ({workspace_id})"),
            _ => format!("workspace {workspace_id}"),
        });
        let mut extra = self.workspace_ids(&list(options.get(&["workspaces"])))?;
        extra.extend(list(options.get(&["workspace_ids"])));
        extra.retain(|id| *id != workspace_id);
        self.connection = Some(Connection { client, endpoint, workspace_id, extra_workspace_ids: extra });
        Ok(())
    }

    fn is_connected(&self) -> bool {
        self.connection.is_some()
    }

    fn query(&self, query: &str, options: &QueryOptions) -> Result<Frame> {
        let connection = self.connection.as_ref().ok_or_else(|| not_connected(&self.environment))?;
        let mut workspace_id = connection.workspace_id.clone();
        let mut extra = connection.extra_workspace_ids.clone();
        if let Some(name) = call_setting(options, &["workspace", "workspace_id"]) {
            workspace_id = self.resolve_workspace(Some(name))?.0;
        }
        if let Some(names) = call_setting(options, &["workspaces", "workspace_ids"]) {
            extra = self.workspace_ids(&list(Some(names)))?;
        }
        extra.retain(|id| *id != workspace_id);
        let timeout = query_timeout(options, &self.options, DEFAULT_TIMEOUT)?;
        let mut body = serde_json::json!({ "query": query });
        if let Some(span) = call_setting(options, &["timespan"]).or(self.options.get(&["timespan"])) {
            body["timespan"] = span.into();
        }
        if !extra.is_empty() {
            body["workspaces"] = extra.clone().into();
        }
        let context = if extra.is_empty() {
            format!("workspace {workspace_id}")
        } else {
            format!("workspaces {workspace_id}, {}", extra.join(", "))
        };
        let request = ServiceRequest {
            method: Method::Post,
            url: format!("{}/v1/workspaces/{workspace_id}/query", connection.endpoint),
            body: Some(("application/json", body.to_string().into_bytes())),
            headers: vec![("Prefer".into(), format!("wait={}", timeout.as_secs().clamp(1, 600)))],
            timeout: Some(timeout),
            context: context.clone(),
        };
        let bytes = run(connection.client.send(&request))?;
        log_analytics_to_frame(&bytes)
            .map_err(|e| Error::Remote { service: "Log Analytics".into(), message: format!("{context}: {}", strip_service(&e)) })?
            .into_frame(fail_on_partial(options, &self.options), "Log Analytics", &context)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { remote: true, parallel_queries: true, local_sql: false }
    }
}

/// The message of a remote error without its service prefix (to re-wrap it with context).
pub(crate) fn strip_service(error: &Error) -> String {
    match error {
        Error::Remote { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

impl std::fmt::Debug for SentinelDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentinelDriver")
            .field("environment", &self.environment)
            .field("workspace_id", &self.workspace_id())
            .field("options", &self.options)
            .finish()
    }
}
