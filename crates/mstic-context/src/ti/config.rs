//! Providers from `msticpyconfig.yaml` `TIProviders` entries: the `Provider:` key picks the
//! implementation, `Args` give `AuthKey`/`ApiID`, `Primary` the default use. Extra settings
//! (in the entry or its `Args`): `BaseUrl` (another server, e.g. a local one), `MaxConcurrent`,
//! `RequestsPerSecond` and `Timeout` (seconds).

use super::http::HttpTiProvider;
use super::providers::{TorExitNodes, http_specs};
use super::{RateLimit, TiProvider};
use mstic_core::config::ProviderSettings;
use mstic_core::{Error, Result};
use std::time::Duration;

/// Everything needed to build a threat-intel provider with [`create_provider`], whatever its kind.
/// `Debug` output hides the key and id.
///
/// # Example
///
/// ```
/// use mstic_context::TiProvider;
/// use mstic_context::ti::{ProviderOptions, create_provider};
/// let options = ProviderOptions { name: "MyOTX".into(), auth_key: Some("abc123".into()), ..Default::default() };
/// assert!(!format!("{options:?}").contains("abc123"));
/// let otx = create_provider("OTX", &options)?;
/// assert_eq!((otx.name(), otx.kind()), ("MyOTX", "OTX"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct ProviderOptions {
    /// Label in results (the config key).
    pub name: String,
    /// Used by default.
    pub primary: bool,
    /// Another base URL than the public API's.
    pub base_url: Option<String>,
    /// `Args.AuthKey`.
    pub auth_key: Option<String>,
    /// `Args.ApiID`.
    pub api_id: Option<String>,
    /// Request limits instead of the provider's defaults.
    pub rate_limit: Option<RateLimit>,
    /// Per-request timeout.
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for ProviderOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "********");
        f.debug_struct("ProviderOptions")
            .field("name", &self.name)
            .field("primary", &self.primary)
            .field("base_url", &self.base_url)
            .field("auth_key", &hidden(&self.auth_key))
            .field("api_id", &hidden(&self.api_id))
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

/// The implementation keys this crate knows (`Provider:` values), with accepted aliases.
pub fn provider_kinds() -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = http_specs().iter().map(|s| s.kind).collect();
    kinds.push("Tor");
    kinds
}

/// Builds a provider of `kind` (`VirusTotal`, `OTX`, `GreyNoise`, `AbuseIPDB`, `XForce`,
/// `CrowdSec`, `IPQualityScore`, `BinaryEdge`, `Pulsedive`, `OPR`/`OpenPageRank`, `Tor`).
///
/// # Example
///
/// Building a provider needs no network (its lookups do):
///
/// ```
/// use mstic_context::TiProvider;
/// use mstic_context::ti::{ProviderOptions, create_provider};
/// let tor = create_provider("TorExitNodes", &ProviderOptions { name: "Tor".into(), ..Default::default() })?;
/// assert!(tor.supports("ipv4") && !tor.supports("url"));
/// let typo = create_provider("VirusTotl", &ProviderOptions::default()).err().expect("an unknown kind");
/// assert!(typo.to_string().contains("did you mean: VirusTotal"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn create_provider(kind: &str, options: &ProviderOptions) -> Result<Box<dyn TiProvider>> {
    let wanted = match kind.to_ascii_lowercase().as_str() {
        "openpagerank" => "opr".to_string(),
        "torexitnodes" => "tor".to_string(),
        other => other.to_string(),
    };
    if wanted == "tor" {
        return Ok(Box::new(TorExitNodes::new(&options.name, options.base_url.as_deref()).with_primary(options.primary)));
    }
    let Some(spec) = http_specs().into_iter().find(|s| s.kind.eq_ignore_ascii_case(&wanted)) else {
        return Err(Error::unknown("TI provider kind", kind, provider_kinds()));
    };
    let mut provider = HttpTiProvider::new(spec, &options.name).with_primary(options.primary);
    if let Some(url) = &options.base_url {
        provider = provider.with_base_url(url);
    }
    if let Some(key) = &options.auth_key {
        provider = provider.with_auth_key(key);
    }
    if let Some(id) = &options.api_id {
        provider = provider.with_api_id(id);
    }
    if let Some(limit) = options.rate_limit {
        provider = provider.with_rate_limit(limit);
    }
    if let Some(timeout) = options.timeout {
        provider = provider.with_timeout(timeout);
    }
    Ok(Box::new(provider))
}

/// A provider from one `TIProviders` entry; the error says why it cannot load.
pub(crate) fn provider_from_settings(entry: &ProviderSettings) -> Result<Box<dyn TiProvider>> {
    let kind = entry.provider.clone().unwrap_or_else(|| entry.name.clone());
    let extra = |name: &str| -> Result<Option<String>> {
        let wanted: String = name.to_ascii_lowercase();
        let normal = |k: &str| k.replace('_', "").to_ascii_lowercase();
        if let Some((_, setting)) = entry.settings.iter().find(|(k, _)| normal(k) == wanted) {
            return setting.resolve().map(Some);
        }
        match entry.args.iter().find(|(k, _)| normal(k) == wanted) {
            Some((_, setting)) => setting.resolve().map(Some),
            None => Ok(None),
        }
    };
    let number = |name: &str| -> Result<Option<f64>> {
        extra(name)?
            .map(|v| v.trim().parse::<f64>().map_err(|_| Error::Config(format!("TIProviders.{}.{name}: '{v}' is not a number", entry.name))))
            .transpose()
    };
    let mut rate_limit = None;
    let concurrent = number("maxconcurrent")?;
    let per_second = number("requestspersecond")?;
    if concurrent.is_some() || per_second.is_some() {
        let mut limit = create_provider(&kind, &ProviderOptions { name: entry.name.clone(), ..Default::default() })?.rate_limit();
        if let Some(n) = concurrent {
            limit.max_concurrent = n.max(1.0) as usize;
        }
        if let Some(r) = per_second {
            limit.per_second = r.max(0.0);
        }
        rate_limit = Some(limit);
    }
    let options = ProviderOptions {
        name: entry.name.clone(),
        primary: entry.primary,
        base_url: extra("baseurl")?,
        auth_key: entry.arg("AuthKey")?,
        api_id: entry.arg("ApiID")?,
        rate_limit,
        timeout: number("timeout")?.map(|s| Duration::from_secs_f64(s.max(0.1))),
    };
    create_provider(&kind, &options)
}
