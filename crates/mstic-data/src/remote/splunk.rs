//! Splunk: `POST {scheme}://{host}:{port}/services/search/v2/jobs/export` (form fields `search`,
//! `output_mode=json`, optional `earliest_time`/`latest_time`), read as JSON lines whose values
//! are all strings; column types are inferred. The `mode` setting picks another way: `job`
//! (MSTICPy's default: a search job polled with progress, results paged, see `splunk_job`) or
//! `oneshot` (also MSTICPy's `oneshot=true`). Settings as MSTICPy's `DataProviders.Splunk.Args`:
//! `host`, `port` (8089), `http_scheme` (https), `verify` (TLS certificate check, default true;
//! turning it off shows a warning once per server), and `bearer_token` or `username`+`password`.

use super::common::{call_setting, fail_on_partial, merged_options, not_connected, query_timeout, run};
use super::convert::splunk_lines_to_frame;
use super::splunk_job::{JobSettings, post, run_job, run_oneshot};
use super::auth::Secret;
use super::http::{Authorization, ServiceClient};
use super::sentinel::strip_service;
use super::settings::{Options, current_config, provider_args};
use mstic_core::config::MsticConfig;
use crate::{Capabilities, Driver, DriverSettings, QueryOptions};
use mstic_core::{Error, Frame, Result};
use std::time::Duration;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The Splunk driver: SPL searches run on the Splunk management API.
///
/// # Example
/// ```
/// use mstic_core::config::MsticConfig;
/// use mstic_data::{DriverSettings, remote::SplunkDriver, remote::splunk::search_text};
/// let settings = DriverSettings::default().set("host", "splunk.example.com");
/// let driver = SplunkDriver::with_config("Splunk", &settings, MsticConfig::default());
/// assert_eq!(driver.base_url()?, "https://splunk.example.com:8089");
/// assert!(SplunkDriver::with_config("Splunk", &DriverSettings::default(), MsticConfig::default()).base_url().is_err());
/// assert_eq!(search_text("index=main"), "search index=main");
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct SplunkDriver {
    environment: String,
    options: Options,
    connection: Option<(ServiceClient, String)>,
}

impl SplunkDriver {
    /// A driver configured from `settings` (and `DataProviders.Splunk` of the session config).
    pub fn new(environment: &str, settings: &DriverSettings) -> Self {
        Self::with_config(environment, settings, current_config())
    }

    /// A driver configured from `settings` and `DataProviders.Splunk` of `config`.
    pub fn with_config(environment: &str, settings: &DriverSettings, config: MsticConfig) -> Self {
        let options = merged_options(settings, provider_args(&config, &["Splunk"]));
        SplunkDriver { environment: environment.to_string(), options, connection: None }
    }

    /// Job settings from the call and driver settings: `page_size`, `count`, `timeout` (MSTICPy's
    /// job defaults: 100 results per page, no count limit, 60 s) and `poll_interval_ms`.
    fn job_settings(&self, options: &QueryOptions) -> Result<JobSettings> {
        let defaults = JobSettings::default();
        let number = |names: &[&str]| -> Result<Option<u64>> {
            match call_setting(options, names).or(self.options.get(names)) {
                None => Ok(None),
                Some(text) => text.trim().parse().map(Some).map_err(|_| Error::Config(format!("Splunk setting '{}' must be a whole number, not '{text}'", names[0]))),
            }
        };
        Ok(JobSettings {
            page_size: number(&["page_size"])?.map_or(defaults.page_size, |n| n.max(1) as usize),
            count: number(&["count"])?.unwrap_or(defaults.count),
            timeout: query_timeout(options, &self.options, defaults.timeout)?,
            poll_interval: number(&["poll_interval_ms"])?.map_or(defaults.poll_interval, Duration::from_millis),
        })
    }

    /// The management API address, e.g. `https://splunk.example.com:8089`.
    pub fn base_url(&self) -> Result<String> {
        if let Some(url) = self.options.get(&["base_url", "endpoint"]) {
            return Ok(url.trim_end_matches('/').to_string());
        }
        let host = self.options.get(&["host"]).ok_or_else(|| {
            Error::Config("Splunk needs a host: set DataProviders.Splunk.Args.host in msticpyconfig.yaml (or the host setting)".into())
        })?;
        let scheme = self.options.get(&["http_scheme"]).unwrap_or("https");
        let port = self.options.get(&["port"]).unwrap_or("8089");
        Ok(format!("{scheme}://{host}:{port}"))
    }
}

/// Shows, once per session and server, that `verify: false` turned off the check of the server's
/// TLS certificate.
fn warn_unverified_tls(base: &str) {
    let warned = mstic_core::session::get_or_init("mstic-data.splunk-unverified-tls", || std::sync::Mutex::new(std::collections::HashSet::<String>::new()));
    if !warned.lock().unwrap_or_else(|e| e.into_inner()).insert(base.to_string()) {
        return;
    }
    let text = format!(
        "Warning: TLS certificate verification is off for Splunk at {base} (verify: false); anyone on the network path can \
         read the credentials and results. Trust the server's certificate instead where possible."
    );
    let html = format!("<div style=\"background:#fff4ce;border-left:4px solid #c19c00;padding:4px 8px\">{}</div>", mstic_core::display::escape_html(&text));
    mstic_core::MimeBundle::new().with_text("text/plain", text).with_text("text/html", html).display();
}

/// Splunk search text must start with a command: `search …` is added unless it starts with
/// `search` or `|`.
pub fn search_text(query: &str) -> String {
    let trimmed = query.trim();
    if trimmed.starts_with('|') || trimmed.split_whitespace().next().is_some_and(|w| w.eq_ignore_ascii_case("search")) {
        trimmed.to_string()
    } else {
        format!("search {trimmed}")
    }
}

impl Driver for SplunkDriver {
    fn environment(&self) -> &str {
        &self.environment
    }

    fn connect(&mut self) -> Result<()> {
        let base = self.base_url()?;
        let authorization = match (self.options.get(&["bearer_token"]), self.options.get(&["username", "user"]), self.options.get(&["password"])) {
            (Some(token), _, _) => Authorization::Bearer(Secret::new(token)),
            (None, Some(user), Some(password)) => Authorization::Basic { user: user.to_string(), password: Secret::new(password) },
            _ => {
                return Err(Error::Config(
                    "Splunk needs credentials: set bearer_token, or username and password, in DataProviders.Splunk.Args".into(),
                ));
            }
        };
        let timeout = self.options.seconds(&["timeout"])?.unwrap_or(DEFAULT_TIMEOUT);
        let mut client = ServiceClient::new("Splunk", authorization, self.options.retry_policy()?, timeout)?;
        if self.options.get(&["verify"]).is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "false" | "0" | "no")) {
            warn_unverified_tls(&base);
            client = client.accept_invalid_certificates()?;
        }
        self.connection = Some((client, base));
        Ok(())
    }

    fn is_connected(&self) -> bool {
        self.connection.is_some()
    }

    fn query(&self, query: &str, options: &QueryOptions) -> Result<Frame> {
        let (client, base) = self.connection.as_ref().ok_or_else(|| not_connected(&self.environment))?;
        let search = search_text(query);
        let mut fields: Vec<(&str, &str)> = vec![("search", search.as_str()), ("output_mode", "json")];
        for name in ["earliest_time", "latest_time"] {
            if let Some(value) = call_setting(options, &[name]).or(self.options.get(&[name])) {
                fields.push((name, value));
            }
        }
        let setting = |names: &[&str]| call_setting(options, names).or(self.options.get(names));
        let is_true = |v: &str| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes");
        let mode = match setting(&["mode", "search_mode"]) {
            Some(mode) => mode.trim().to_ascii_lowercase(),
            None if setting(&["oneshot"]).is_some_and(is_true) => "oneshot".to_string(),
            None => "export".to_string(),
        };
        let (context, bytes) = match mode.as_str() {
            "export" => {
                let mut request = post(&format!("{base}/services/search/v2/jobs/export"), &fields, "search export");
                request.timeout = Some(query_timeout(options, &self.options, DEFAULT_TIMEOUT)?);
                ("search export", run(client.send(&request))?)
            }
            "job" | "normal" => ("search job", run_job(client, base, &fields, &self.job_settings(options)?)?),
            "oneshot" => ("oneshot search", run_oneshot(client, base, &fields, &self.job_settings(options)?)?),
            other => return Err(Error::Config(format!("unknown Splunk search mode '{other}': use export, job or oneshot"))),
        };
        splunk_lines_to_frame(&bytes)
            .map_err(|e| Error::Remote { service: "Splunk".into(), message: format!("{context}: {}", strip_service(&e)) })?
            .into_frame(fail_on_partial(options, &self.options), "Splunk", context)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { remote: true, parallel_queries: true, local_sql: false }
    }
}

impl std::fmt::Debug for SplunkDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SplunkDriver").field("environment", &self.environment).field("options", &self.options).finish()
    }
}
