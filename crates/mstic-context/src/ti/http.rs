//! The machinery shared by HTTP threat-intel providers (MSTICPy's `HttpTIProvider`): a provider is
//! a [`ProviderSpec`] — how to build the request for an IoC and how to read the answer — run by
//! [`HttpTiProvider`], which sends it, turns every failure into a result row with its status, and
//! keeps API keys out of references, details and errors.

use super::{BoxFuture, LookupStatus, RateLimit, Severity, TiProvider, TiQuery, TiResult};
use mstic_core::limits::{ByteCap, CappedReadError, ReadLimits, read_response};
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

/// The HTTP request for one IoC.
#[derive(Clone, PartialEq, Default)]
pub struct HttpRequestSpec {
    /// Full URL, secrets included where the API wants them (they are removed from `Reference`).
    pub url: String,
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// HTTP Basic credentials (user, password).
    pub basic_auth: Option<(String, String)>,
}

/// What a provider made of an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpretation {
    /// Whether the provider has data for the IoC.
    pub result: bool,
    /// The verdict.
    pub severity: Severity,
    /// Provider-specific summary.
    pub details: Value,
    /// Outcome code.
    pub status: LookupStatus,
}

impl Interpretation {
    /// A positive answer (`Result` true, status OK) with `severity` and `details`.
    pub fn found(severity: Severity, details: Value) -> Self {
        Interpretation { result: true, severity, details, status: LookupStatus::Ok }
    }

    /// "The provider knows nothing about this IoC" (`Result` false, status NO_DATA).
    pub fn no_data(details: Value) -> Self {
        Interpretation { result: false, severity: Severity::Unknown, details, status: LookupStatus::NoData }
    }
}

/// What a request builder is given: the configured base URL (no trailing `/`) and credentials.
pub struct RequestContext<'a> {
    /// Base URL of the API.
    pub base_url: &'a str,
    /// `Args.AuthKey` (empty when not configured).
    pub auth_key: &'a str,
    /// `Args.ApiID` (empty when not configured).
    pub api_id: &'a str,
}

/// Builds the request for a query; `None` when the IoC type or subtype is not handled.
pub type RequestBuilder = fn(&RequestContext<'_>, &TiQuery) -> Option<HttpRequestSpec>;
/// Reads an answer: HTTP status and JSON body; `None` for answers it does not understand (these
/// become rows whose `Status` is the HTTP status, or QUERY_FAILED for a 2xx).
pub type ResponseReader = fn(&TiQuery, u16, &Value) -> Option<Interpretation>;

/// The description of one HTTP provider.
#[derive(Clone, Copy)]
pub struct ProviderSpec {
    /// Implementation key as written in `TIProviders.<name>.Provider`.
    pub kind: &'static str,
    /// The public API's base URL.
    pub default_base_url: &'static str,
    /// IoC types handled.
    pub supported_types: &'static [&'static str],
    /// Default limits (the public APIs' documented rates where known).
    pub rate_limit: RateLimit,
    /// Request builder.
    pub build: RequestBuilder,
    /// Answer reader.
    pub read: ResponseReader,
}

/// An HTTP threat-intel provider: a [`ProviderSpec`] with its name, base URL and credentials.
pub struct HttpTiProvider {
    spec: ProviderSpec,
    name: String,
    primary: bool,
    base_url: String,
    auth_key: String,
    api_id: String,
    rate_limit: RateLimit,
    timeout: Duration,
    limits: ReadLimits,
}

impl std::fmt::Debug for HttpTiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTiProvider")
            .field("name", &self.name)
            .field("kind", &self.spec.kind)
            .field("base_url", &self.base_url)
            .field("auth_key", &if self.auth_key.is_empty() { "" } else { "********" })
            .finish()
    }
}

impl HttpTiProvider {
    /// A provider of `spec` labelled `name`, at the spec's public base URL, without credentials.
    pub fn new(spec: ProviderSpec, name: &str) -> Self {
        HttpTiProvider {
            spec,
            name: name.to_string(),
            primary: true,
            base_url: spec.default_base_url.trim_end_matches('/').to_string(),
            auth_key: String::new(),
            api_id: String::new(),
            rate_limit: spec.rate_limit,
            timeout: Duration::from_secs(30),
            limits: ReadLimits::from_env(),
        }
    }

    /// Sets the size caps (by default [`ReadLimits::from_env`]): a larger answer becomes a
    /// QUERY_FAILED row naming the URL and the cap.
    pub fn with_read_limits(mut self, limits: ReadLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Points the provider at another server (a proxy, or a local test server).
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.trim_end_matches('/').to_string();
        self
    }

    /// Sets `AuthKey`.
    pub fn with_auth_key(mut self, key: &str) -> Self {
        self.auth_key = key.to_string();
        self
    }

    /// Sets `ApiID` (XForce's user part).
    pub fn with_api_id(mut self, id: &str) -> Self {
        self.api_id = id.to_string();
        self
    }

    /// Sets whether the provider is used by default.
    pub fn with_primary(mut self, primary: bool) -> Self {
        self.primary = primary;
        self
    }

    /// Replaces the default request limits.
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Sets the per-request timeout (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `text` with every configured secret (plain and URL-encoded) replaced by `********`.
    pub fn redact(&self, text: &str) -> String {
        redact_secrets(text, &[&self.auth_key, &self.api_id])
    }

    async fn run(&self, query: &TiQuery) -> TiResult {
        let row = TiResult::new(query, &self.name);
        let context = RequestContext { base_url: &self.base_url, auth_key: &self.auth_key, api_id: &self.api_id };
        let Some(request) = (self.spec.build)(&context, query) else {
            return row.failed(LookupStatus::NotSupported.code(), format!("{} does not support this query", self.name));
        };
        let mut row = row;
        row.reference = self.redact(&request.url);
        let mut builder = http_client().get(&request.url).timeout(self.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some((user, password)) = &request.basic_auth {
            builder = builder.basic_auth(user, Some(password));
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) => return row.failed(LookupStatus::QueryFailed.code(), self.redact(&describe_error(&e))),
        };
        let status = response.status();
        let source = row.reference.clone();
        let body = match read_body(response, self.limits.response(), &source).await {
            Ok(body) => self.redact(&String::from_utf8_lossy(&body)),
            Err(message) => return row.failed(LookupStatus::QueryFailed.code(), self.redact(&message)),
        };
        let json: Option<Value> =
            if body.trim().is_empty() { Some(Value::Null) } else { serde_json::from_str(&body).ok() };
        let Some(json) = json else {
            row.raw_result = Value::String(body.chars().take(2000).collect());
            let code = if status.is_success() { LookupStatus::QueryFailed.code() } else { i64::from(status.as_u16()) };
            return row.failed(code, format!("HTTP {status}: response is not valid JSON"));
        };
        row.raw_result = json.clone();
        match (self.spec.read)(query, status.as_u16(), &json) {
            Some(found) => {
                row.result = found.result;
                row.severity = found.severity;
                row.details = found.details;
                row.status = found.status.code();
                row
            }
            None if status.is_success() => {
                row.failed(LookupStatus::QueryFailed.code(), format!("HTTP {status}: unexpected response shape"))
            }
            None => {
                let message = error_message(&json).unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
                row.failed(i64::from(status.as_u16()), format!("HTTP {}: {message}", status.as_u16()))
            }
        }
    }
}

impl TiProvider for HttpTiProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        self.spec.kind
    }

    fn supported_types(&self) -> Vec<String> {
        self.spec.supported_types.iter().map(|t| t.to_string()).collect()
    }

    fn is_primary(&self) -> bool {
        self.primary
    }

    fn rate_limit(&self) -> RateLimit {
        self.rate_limit
    }

    fn lookup<'a>(&'a self, query: &'a TiQuery) -> BoxFuture<'a, TiResult> {
        Box::pin(self.run(query))
    }
}

/// The process-wide HTTP client (connection pooling across providers and calls).
pub(crate) fn http_client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(128)
            .user_agent(concat!("rust-mstic/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    })
}

/// A request error without its URL (which may hold a key), with its cause.
pub(crate) fn describe_error(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = if error.is_timeout() { "request timed out".to_string() } else { "request failed".to_string() };
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The body of `response` up to `cap`, or why it could not be read: the cap reached (naming
/// `source`, a URL without secrets, and the cap) or the transport's error.
pub(crate) async fn read_body(response: reqwest::Response, cap: ByteCap, source: &str) -> Result<Vec<u8>, String> {
    read_response(response, cap, source).await.map_err(|e| match e {
        CappedReadError::TooLarge(e) => e.to_string(),
        CappedReadError::Failed(e) => describe_error(&e),
    })
}

/// `text` with each non-empty secret (plain and URL-encoded) replaced by `********`.
pub fn redact_secrets(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(*secret, "********");
        let encoded = url_encode(secret);
        if encoded != *secret {
            out = out.replace(&encoded, "********");
        }
    }
    out
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub use mstic_core::web::percent_encode as url_encode;

/// An API's own error message, from the common shapes (`{"error":{"message"}}`, `{"message"}`,
/// `{"errors":[{"detail"}]}`, `{"error":"…"}`).
fn error_message(json: &Value) -> Option<String> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    json.pointer("/error/message")
        .and_then(text)
        .or_else(|| json.get("message").and_then(text))
        .or_else(|| json.pointer("/errors/0/detail").and_then(text))
        .or_else(|| json.get("error").and_then(text))
        .or_else(|| json.get("detail").and_then(text))
}
