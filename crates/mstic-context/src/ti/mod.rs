//! Threat-intelligence lookups (MSTICPy's `TILookup`): providers loaded from `msticpyconfig.yaml`
//! `TIProviders`, pre-lookup checks, concurrent rate-limited lookups with a bounded cache (least
//! recently used entries evicted), and results in MSTICPy's columns.

mod cache;
mod config;
mod frame;
mod gate;
pub(crate) mod http;
mod lookup;
pub mod preprocess;
pub mod providers;

pub use cache::DEFAULT_CACHE_CAPACITY;
pub use config::{ProviderOptions, create_provider, provider_kinds};
pub use frame::{RESULT_COLUMNS, results_frame};
pub use http::{
    HttpRequestSpec, HttpTiProvider, Interpretation, ProviderSpec, RequestBuilder, RequestContext, ResponseReader, redact_secrets,
    url_encode,
};
pub use lookup::{LookupOptions, ProviderScope, TiLookup};
pub use preprocess::{SanitizedObservable, clean_url, preprocess_observable};

use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed, sendable future (what [`TiProvider::lookup`] returns).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How bad a lookup result is (MSTICPy's `ResultSeverity`); ordered from `Unknown` to `High`.
///
/// # Example
///
/// ```
/// use mstic_context::Severity;
/// assert!(Severity::High > Severity::Warning && Severity::Information > Severity::Unknown);
/// assert_eq!((Severity::Warning.as_str(), Severity::Warning.value()), ("warning", 1));
/// assert_eq!(Severity::Unknown.to_string(), "unknown");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// No verdict (−1).
    Unknown,
    /// Known, not bad (0).
    Information,
    /// Suspicious (1).
    Warning,
    /// Malicious (2).
    High,
}

impl Severity {
    /// MSTICPy's name: `unknown`, `information`, `warning`, `high`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Information => "information",
            Severity::Warning => "warning",
            Severity::High => "high",
        }
    }

    /// MSTICPy's numeric value (−1 … 2).
    pub fn value(&self) -> i32 {
        match self {
            Severity::Unknown => -1,
            Severity::Information => 0,
            Severity::Warning => 1,
            Severity::High => 2,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Outcome codes of a lookup (MSTICPy's `LookupStatus`); a non-2xx HTTP answer keeps its HTTP
/// status code in the `Status` column instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupStatus {
    /// The provider answered.
    Ok = 0,
    /// The provider does not handle this IoC type.
    NotSupported = 1,
    /// The IoC failed the pre-lookup checks.
    BadFormat = 2,
    /// The request failed (network, malformed answer).
    QueryFailed = 3,
    /// The provider has no data for the IoC.
    NoData = 4,
    /// Anything else.
    Other = 10,
}

impl LookupStatus {
    /// The numeric code written to the `Status` column.
    pub fn code(self) -> i64 {
        self as i64
    }
}

/// One IoC to look up, after pre-processing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TiQuery {
    /// The IoC as given.
    pub ioc: String,
    /// Its type (`ipv4`, `ipv6`, `dns`, `url`, `md5_hash`, `sha1_hash`, `sha256_hash`, …).
    pub ioc_type: String,
    /// The checked, refanged value sent to providers.
    pub safe_ioc: String,
    /// A provider-specific query subtype (e.g. OTX `passive_dns`), if any.
    pub query_subtype: Option<String>,
}

/// One provider's answer for one IoC: a row of the result Frame.
///
/// # Example
///
/// ```
/// use mstic_context::{Severity, TiQuery, TiResult};
/// let query = TiQuery {
///     ioc: "185[.]92[.]220[.]35".into(), ioc_type: "ipv4".into(), safe_ioc: "185.92.220.35".into(), query_subtype: None,
/// };
/// let row = TiResult::new(&query, "OTX").failed(3, "request timed out");
/// assert_eq!((row.provider.as_str(), row.result, row.severity, row.status), ("OTX", false, Severity::Unknown, 3));
/// assert_eq!(row.details, "request timed out");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TiResult {
    /// The IoC as given.
    pub ioc: String,
    /// Its type.
    pub ioc_type: String,
    /// The value sent (refanged and cleaned); empty when the pre-lookup checks failed.
    pub safe_ioc: String,
    /// The query subtype, if any.
    pub query_subtype: Option<String>,
    /// The provider's label (its `TIProviders` config key).
    pub provider: String,
    /// Whether the provider returned data for the IoC.
    pub result: bool,
    /// The verdict.
    pub severity: Severity,
    /// Provider-specific summary, or the reason for a failure.
    pub details: Value,
    /// The provider's raw answer.
    pub raw_result: Value,
    /// The request URL, with any secret removed.
    pub reference: String,
    /// [`LookupStatus`] code, or the HTTP status for non-2xx answers.
    pub status: i64,
}

impl TiResult {
    /// A result row for `query` from `provider`, not yet filled in (status `Other`).
    pub fn new(query: &TiQuery, provider: &str) -> TiResult {
        TiResult {
            ioc: query.ioc.clone(),
            ioc_type: query.ioc_type.clone(),
            safe_ioc: query.safe_ioc.clone(),
            query_subtype: query.query_subtype.clone(),
            provider: provider.to_string(),
            result: false,
            severity: Severity::Unknown,
            details: Value::Null,
            raw_result: Value::Null,
            reference: String::new(),
            status: LookupStatus::Other.code(),
        }
    }

    /// The same row with a status and a details message (for failures).
    pub fn failed(mut self, status: i64, message: impl Into<String>) -> TiResult {
        self.status = status;
        self.result = false;
        self.details = Value::String(message.into());
        self
    }
}

/// How fast a provider may be called: at most `max_concurrent` requests in flight and at most
/// `per_second` request starts per second (0 = no limit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests in flight at once.
    pub max_concurrent: usize,
    /// Request starts per second; 0 means unlimited.
    pub per_second: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit { max_concurrent: 50, per_second: 0.0 }
    }
}

impl RateLimit {
    /// The minimum time between two request starts.
    pub fn interval(&self) -> Option<Duration> {
        (self.per_second > 0.0).then(|| Duration::from_secs_f64(1.0 / self.per_second))
    }
}

/// A threat-intelligence source. Implementations must never put secrets in results, errors or
/// their `Debug` output.
///
/// # Example
///
/// ```
/// use mstic_context::TiProvider;
/// use mstic_context::ti::{ProviderOptions, create_provider};
/// let vt = create_provider("VirusTotal", &ProviderOptions { name: "VT".into(), ..Default::default() })?;
/// assert_eq!((vt.name(), vt.kind()), ("VT", "VirusTotal"));
/// assert!(vt.supports("sha256_hash") && !vt.supports("email"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub trait TiProvider: Send + Sync {
    /// The label in results (the `TIProviders` config key, e.g. `OTX`).
    fn name(&self) -> &str;
    /// The implementation key (`OTX`, `VirusTotal`, `Tor`…).
    fn kind(&self) -> &str;
    /// IoC types handled (`ipv4`, `ipv6`, `dns`, `hostname`, `url`, `file_hash`, `md5_hash`…);
    /// `file_hash` covers the three hash types.
    fn supported_types(&self) -> Vec<String>;
    /// Whether the provider is used by default (`Primary:` in config).
    fn is_primary(&self) -> bool {
        true
    }
    /// The provider's request limits.
    fn rate_limit(&self) -> RateLimit {
        RateLimit::default()
    }
    /// Looks up one checked IoC. A failed request is a result with its status, never a panic.
    fn lookup<'a>(&'a self, query: &'a TiQuery) -> BoxFuture<'a, TiResult>;

    /// Whether `ioc_type` is handled (hash types match `file_hash`, `hostname` matches `dns`).
    fn supports(&self, ioc_type: &str) -> bool {
        let types = self.supported_types();
        let is_hash = matches!(ioc_type, "md5_hash" | "sha1_hash" | "sha256_hash" | "file_hash");
        types.iter().any(|t| {
            t == ioc_type
                || (is_hash && t == "file_hash")
                || (ioc_type == "hostname" && t == "dns")
                || (ioc_type == "file_hash" && t.ends_with("_hash"))
        })
    }
}
