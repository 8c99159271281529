//! Where the remote drivers get their settings: the driver's own options (from the
//! `QueryProvider` or the caller), the `msticpyconfig.yaml` sections MSTICPy uses
//! (`AzureSentinel.Workspaces`, `KustoClusters`, `DataProviders.MicrosoftDefender`…), the `Azure`
//! section (`cloud`, `auth_methods`, sign-in settings and endpoint overrides), and the standard
//! `AZURE_*` environment variables — in that order of precedence.

use super::auth::{AuthSettings, AzureAuth};
use super::http::RetryPolicy;
use mstic_core::config::MsticConfig;
use mstic_core::{Error, Result};
use std::collections::BTreeMap;
use std::sync::RwLock;
use std::time::Duration;

/// The session configuration slot, shared by every notebook cell.
fn session_config() -> std::sync::Arc<RwLock<Option<MsticConfig>>> {
    mstic_core::session::get_or_init("mstic-data.session-config", || RwLock::new(None))
}

/// Makes the remote drivers created from now on read `config` instead of the discovered
/// `msticpyconfig.yaml` (`None` restores discovery). Used by the demo services.
pub fn set_session_config(config: Option<MsticConfig>) {
    if let Ok(mut slot) = session_config().write() {
        *slot = config;
    }
}

/// The configuration the remote drivers read: the session's, else the discovered file (an
/// unreadable file counts as empty; the `QueryProvider` reports it).
pub fn current_config() -> MsticConfig {
    if let Some(config) = session_config().read().ok().and_then(|c| c.clone()) {
        return config;
    }
    MsticConfig::discover().unwrap_or_default()
}

/// Options merged from several sources; names match ignoring case and `_`
/// (`client_id` = `ClientId`). Earlier sources win.
#[derive(Clone, Default)]
pub struct Options {
    values: BTreeMap<String, String>,
    secret_keys: Vec<String>,
}

fn normalise(key: &str) -> String {
    key.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

impl Options {
    /// Adds `pairs` for keys not set yet; keys in `secrets` are kept out of Debug output.
    pub fn add<'a>(&mut self, pairs: impl IntoIterator<Item = (&'a String, &'a String)>) {
        for (key, value) in pairs {
            self.values.entry(normalise(key)).or_insert_with(|| value.clone());
        }
    }

    /// Sets `key` unless it is set.
    pub fn add_one(&mut self, key: &str, value: impl Into<String>) {
        self.values.entry(normalise(key)).or_insert_with(|| value.into());
    }

    /// Marks keys as secret (for Debug output).
    pub fn mark_secret(&mut self, key: &str) {
        self.secret_keys.push(normalise(key));
    }

    /// The first of `names` that is set (and not empty).
    pub fn get(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.values.get(&normalise(n))).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    /// Every `(normalised key, value)`.
    pub fn entries(&self) -> Vec<(String, String)> {
        self.values.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The normalised keys marked secret.
    pub fn secret_key_list(&self) -> Vec<String> {
        self.secret_keys.clone()
    }

    /// A number of seconds.
    pub fn seconds(&self, names: &[&str]) -> Result<Option<Duration>> {
        match self.get(names) {
            None => Ok(None),
            Some(text) => text.trim().parse::<f64>().ok().filter(|s| *s >= 0.0 && s.is_finite()).map(|s| Some(Duration::from_secs_f64(s))).ok_or_else(|| {
                Error::invalid(format!("setting '{}'", names[0]), format!("'{text}' is not a number of seconds"))
            }),
        }
    }

    /// The retry policy: `max_retries`, `retry_backoff_ms`, `max_retry_wait` (seconds).
    pub fn retry_policy(&self) -> Result<RetryPolicy> {
        let mut policy = RetryPolicy::default();
        if let Some(n) = self.get(&["max_retries"]) {
            policy.max_retries = n.trim().parse().map_err(|_| Error::invalid("setting 'max_retries'", format!("'{n}' is not a whole number")))?;
        }
        if let Some(ms) = self.get(&["retry_backoff_ms"]) {
            let ms: u64 = ms.trim().parse().map_err(|_| Error::invalid("setting 'retry_backoff_ms'", format!("'{ms}' is not a whole number")))?;
            policy.backoff = Duration::from_millis(ms);
        }
        if let Some(wait) = self.seconds(&["max_retry_wait"])? {
            policy.max_wait = wait;
        }
        Ok(policy)
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: BTreeMap<&str, &str> = self
            .values
            .iter()
            .map(|(k, v)| {
                let secret = self.secret_keys.contains(k) || mstic_core::config::setting::is_secret_name(k);
                (k.as_str(), if secret { "********" } else { v.as_str() })
            })
            .collect();
        f.debug_map().entries(shown).finish()
    }
}

/// Resolved `Args` of a config entry as options (secret values marked).
pub fn provider_args(config: &MsticConfig, names: &[&str]) -> Options {
    let mut options = Options::default();
    for name in names {
        if let Some(entry) = config.data_provider(name) {
            let (values, secrets, _errors) = entry.resolved_options();
            options.add(&values);
            for key in secrets {
                options.mark_secret(&key);
            }
        }
    }
    options
}

/// Service endpoints of an Azure cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEndpoints {
    /// Token authority host (`https://login.microsoftonline.com`).
    pub authority_host: String,
    /// Log Analytics query API (`https://api.loganalytics.io`).
    pub log_analytics: String,
    /// Microsoft Graph (`https://graph.microsoft.com`).
    pub graph: String,
    /// Defender for Endpoint API (`https://api.securitycenter.microsoft.com`).
    pub mde: String,
    /// Azure Resource Manager (`https://management.azure.com`): Sentinel incidents, Resource Graph.
    pub resource_manager: String,
}

impl CloudEndpoints {
    /// The endpoints of cloud `name` (`global`, `usgov`, `cn`; MSTICPy's `Azure.cloud`).
    pub fn for_cloud(name: &str) -> CloudEndpoints {
        let (authority, la, graph, mde, arm) = match name.to_ascii_lowercase().as_str() {
            "usgov" | "gov" => (
                "https://login.microsoftonline.us",
                "https://api.loganalytics.us",
                "https://graph.microsoft.us",
                "https://api-gov.securitycenter.microsoft.us",
                "https://management.usgovcloudapi.net",
            ),
            "cn" | "china" => (
                "https://login.chinacloudapi.cn",
                "https://api.loganalytics.azure.cn",
                "https://microsoftgraph.chinacloudapi.cn",
                "https://api.securitycenter.microsoft.com",
                "https://management.chinacloudapi.cn",
            ),
            _ => (
                "https://login.microsoftonline.com",
                "https://api.loganalytics.io",
                "https://graph.microsoft.com",
                "https://api.securitycenter.microsoft.com",
                "https://management.azure.com",
            ),
        };
        CloudEndpoints { authority_host: authority.into(), log_analytics: la.into(), graph: graph.into(), mde: mde.into(), resource_manager: arm.into() }
    }

    /// Endpoints from `Azure.cloud`, overridden by `Azure.authority_host`,
    /// `Azure.log_analytics_endpoint`, `Azure.graph_endpoint`, `Azure.mde_endpoint`,
    /// `Azure.resource_manager_endpoint`, by
    /// `$AZURE_AUTHORITY_HOST`, and by the same-named driver `options`.
    pub fn resolve(config: &MsticConfig, options: &Options) -> CloudEndpoints {
        let azure = |key: &str| config.setting(&format!("Azure.{key}")).and_then(|s| s.resolve().ok()).filter(|v| !v.is_empty());
        let cloud = options.get(&["cloud"]).map(str::to_string).or_else(|| azure("cloud")).unwrap_or_else(|| "global".into());
        let mut endpoints = CloudEndpoints::for_cloud(&cloud);
        let pick = |key: &str, env: Option<&str>, current: &mut String| {
            if let Some(value) = options.get(&[key]).map(str::to_string).or_else(|| env.and_then(|e| std::env::var(e).ok())).or_else(|| azure(key)) {
                *current = value.trim_end_matches('/').to_string();
            }
        };
        pick("authority_host", Some("AZURE_AUTHORITY_HOST"), &mut endpoints.authority_host);
        pick("log_analytics_endpoint", None, &mut endpoints.log_analytics);
        pick("graph_endpoint", None, &mut endpoints.graph);
        pick("mde_endpoint", None, &mut endpoints.mde);
        pick("resource_manager_endpoint", None, &mut endpoints.resource_manager);
        endpoints
    }
}

/// The credential chain of a driver: `auth_methods` and the credential settings from `options`
/// (the driver's settings and config `Args`), else the `Azure` section of `config`; the authority
/// from `endpoints`; `tenant` (a workspace's `TenantId`) wins over the `tenant_id` option. An
/// unknown method is an error naming the valid ones; an `access_token` option short-cuts the
/// chain. Without `auth_methods`, MSTICPy's order: env, msi, vscode, cli, powershell, devicecode.
pub fn build_auth(config: &MsticConfig, options: &Options, endpoints: &CloudEndpoints, tenant: Option<String>) -> Result<AzureAuth> {
    let azure = config.get("Azure");
    let from_azure_section = |names: &[&str]| -> Option<String> {
        let node = azure?.as_mapping()?;
        names.iter().find_map(|name| {
            node.iter().find(|(k, _)| k.as_str().is_some_and(|k| normalise(k) == normalise(name))).and_then(|(_, v)| match v {
                serde_yaml_ng::Value::Sequence(items) => {
                    Some(items.iter().filter_map(mstic_core::config::setting::scalar_text).collect::<Vec<_>>().join(", "))
                }
                other => mstic_core::config::setting::scalar_text(other),
            })
        })
    };
    let lookup = |names: &[&str]| options.get(names).map(str::to_string).or_else(|| from_azure_section(names));
    let mut settings = AuthSettings::from_lookup(&lookup)?;
    settings.authority_host = Some(endpoints.authority_host.clone());
    if tenant.is_some() {
        settings.tenant_id = tenant;
    }
    AzureAuth::new(&settings)
}
