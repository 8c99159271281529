//! Pieces every remote driver shares: merging driver settings with config sections, per-query
//! options (`timeout`, `fail_on_partial`), and running async HTTP work from the synchronous
//! [`Driver`](crate::Driver) calls.

use super::settings::Options;
use crate::{DriverSettings, QueryOptions};
use mstic_core::{Error, Result};
use std::future::Future;
use std::time::Duration;

/// The driver's own settings first, then `fallback` (config `Args`).
pub fn merged_options(settings: &DriverSettings, fallback: Options) -> Options {
    let mut options = Options::default();
    options.add(&settings.options);
    for key in &settings.secret_names {
        options.mark_secret(key);
    }
    options.add_all(fallback);
    options
}

impl Options {
    /// Adds every value of `other` that is not set here.
    pub fn add_all(&mut self, other: Options) {
        for (key, value) in other.entries() {
            self.add_one(&key, value);
        }
        for key in other.secret_key_list() {
            self.mark_secret(&key);
        }
    }
}

/// The time-out of one query: the call's, else the driver's `timeout` setting, else `default`.
pub fn query_timeout(query: &QueryOptions, options: &Options, default: Duration) -> Result<Duration> {
    if let Some(timeout) = query.timeout {
        return Ok(timeout);
    }
    let mut per_call = Options::default();
    per_call.add(&query.settings);
    Ok(per_call.seconds(&["timeout"])?.or(options.seconds(&["timeout"])?).unwrap_or(default))
}

/// Whether a partial result must fail: the call's flag or a `fail_on_partial` setting.
pub fn fail_on_partial(query: &QueryOptions, options: &Options) -> bool {
    let truthy = |v: &str| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes");
    query.fail_on_partial
        || query.settings.iter().any(|(k, v)| k.eq_ignore_ascii_case("fail_on_partial") && truthy(v))
        || options.get(&["fail_on_partial"]).is_some_and(truthy)
}

/// A per-call setting (`workspace`, `database`…), matched like driver options.
pub fn call_setting<'a>(query: &'a QueryOptions, names: &[&str]) -> Option<&'a str> {
    let norm = |k: &str| k.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect::<String>();
    names.iter().find_map(|n| query.settings.iter().find(|(k, _)| norm(k) == norm(n)).map(|(_, v)| v.as_str()))
}

/// Runs async work from a synchronous driver call on the shared runtime.
pub fn run<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    mstic_core::runtime::block_on(future)
}

/// The error for a query before `connect`.
pub fn not_connected(environment: &str) -> Error {
    Error::Config(format!("the {environment} driver is not connected: call connect() first"))
}

/// A comma-separated list setting.
pub fn list(text: Option<&str>) -> Vec<String> {
    text.map(|t| t.split(',').map(|s| s.trim().trim_matches(|c| c == '[' || c == ']' || c == '"' || c == '\'').to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default()
}
