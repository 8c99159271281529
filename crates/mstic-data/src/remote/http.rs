//! The HTTP side shared by the remote drivers: authentication headers, time-outs, `429` back-off
//! honouring `Retry-After`, a bounded number of retries on `5xx` and connection failures (a POST
//! only when it was never sent), and errors that say what to fix (`401`/`403` name the scope and
//! tenant) without showing secrets.

use super::auth::{AzureAuth, Secret};
use super::convert::one_api_error_text;
use mstic_core::limits::{CappedReadError, ReadLimits, read_response};
use mstic_core::{Error, Result, interrupt};
use std::sync::Arc;
use std::time::Duration;

/// How failed requests are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt (for `429`, `5xx` and connection failures).
    pub max_retries: u32,
    /// Wait before the first `5xx` retry; doubled for each further one.
    pub backoff: Duration,
    /// Longest wait honoured from a `Retry-After` header (longer requests fail with a message).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: 3, backoff: Duration::from_millis(500), max_wait: Duration::from_secs(60) }
    }
}

/// How requests are authenticated.
#[derive(Debug, Clone)]
pub enum Authorization {
    /// Azure AD bearer token for `scope`.
    Azure { auth: Arc<AzureAuth>, scope: String },
    /// A fixed bearer token (Splunk tokens).
    Bearer(Secret),
    /// HTTP Basic user name and password (Splunk).
    Basic { user: String, password: Secret },
    /// No authentication.
    None,
}

/// An HTTP client for one service.
#[derive(Debug, Clone)]
pub struct ServiceClient {
    service: String,
    http: reqwest::Client,
    authorization: Authorization,
    retry: RetryPolicy,
    timeout: Duration,
    limits: ReadLimits,
}

/// The HTTP method of a [`ServiceRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST` (not idempotent: sent again only when it never left).
    Post,
    /// `PUT` (create or replace a resource).
    Put,
    /// `PATCH` (not idempotent: sent again only when it never left).
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// Whether sending the request twice has the effect of sending it once.
    pub fn is_idempotent(self) -> bool {
        matches!(self, Method::Get | Method::Put | Method::Delete)
    }

    fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// One request: method, URL, body and what it is for (`context` appears in errors).
#[derive(Debug, Clone)]
pub struct ServiceRequest {
    /// The HTTP method.
    pub method: Method,
    /// Full URL.
    pub url: String,
    /// Content type and body of a POST.
    pub body: Option<(&'static str, Vec<u8>)>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Overrides the client's time-out.
    pub timeout: Option<Duration>,
    /// What is being queried (e.g. `workspace 52b1…`), for error messages.
    pub context: String,
}

impl ServiceClient {
    /// A client for `service` (its name in messages) with a default time-out.
    pub fn new(service: &str, authorization: Authorization, retry: RetryPolicy, timeout: Duration) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Config(format!("cannot create the HTTP client: {e}")))?;
        Ok(ServiceClient { service: service.to_string(), http, authorization, retry, timeout, limits: ReadLimits::from_env() })
    }

    /// The same client with other size caps (by default [`ReadLimits::from_env`]); responses
    /// larger than `limits.max_response_bytes` fail with an error naming the URL and the cap.
    pub fn with_read_limits(mut self, limits: ReadLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The same client accepting self-signed or otherwise invalid TLS certificates (Splunk's
    /// `verify: False`, for on-premises servers with their own certificates).
    pub fn accept_invalid_certificates(mut self) -> Result<Self> {
        self.http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .tls_danger_accept_invalid_certs(true)
            .build()
            .map_err(|e| Error::Config(format!("cannot create the HTTP client: {e}")))?;
        Ok(self)
    }

    /// The service name used in messages.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Gets a token now (so `connect` fails early with a clear message); no-op without Azure auth.
    pub async fn check_credentials(&self) -> Result<()> {
        if let Authorization::Azure { auth, scope } = &self.authorization {
            interrupt::race(&format!("signing in to {}", self.service), auth.token(scope)).await?;
        }
        Ok(())
    }

    /// Shows in the notebook that the client is connected to `target` (e.g. `workspace X`), and
    /// with which Azure credential it signed in.
    pub fn announce_connection(&self, target: &str) {
        let signed_in = match &self.authorization {
            Authorization::Azure { auth, .. } => auth.signed_in().map(|s| format!(", signed in with {s}")).unwrap_or_default(),
            _ => String::new(),
        };
        mstic_core::MimeBundle::new().with_text("text/plain", format!("Connected to {target}{signed_in}.")).display();
    }

    /// Sends `request`, retrying as the policy allows; the body of a successful response. An
    /// interrupt of the cell drops the request (and any retry wait) and gives `Error::Interrupted`.
    pub async fn send(&self, request: &ServiceRequest) -> Result<Vec<u8>> {
        let what = format!("the {} request ({})", self.service, request.context);
        interrupt::race(&what, self.send_uninterruptible(request)).await
    }

    /// [`send`](Self::send) that keeps going after an interrupt: for the short clean-up requests
    /// that must still reach the service once the user stopped the cell (cancelling a search job).
    pub async fn send_uninterruptible(&self, request: &ServiceRequest) -> Result<Vec<u8>> {
        let mut attempt: u32 = 0;
        let mut refreshed_token = false;
        loop {
            let timeout = request.timeout.unwrap_or(self.timeout);
            let mut builder = self.http.request(request.method.to_reqwest(), &request.url);
            builder = builder.timeout(timeout).header("Accept", "application/json");
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            if let Some((content_type, body)) = &request.body {
                builder = builder.header("Content-Type", *content_type).body(body.clone());
            }
            builder = match &self.authorization {
                Authorization::Azure { auth, scope } => {
                    builder.header("Authorization", format!("Bearer {}", auth.token(scope).await?.expose()))
                }
                Authorization::Bearer(token) => builder.header("Authorization", format!("Bearer {}", token.expose())),
                Authorization::Basic { user, password } => {
                    use base64::Engine;
                    let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.expose()));
                    builder.header("Authorization", format!("Basic {pair}"))
                }
                Authorization::None => builder,
            };
            let response = match builder.send().await {
                Ok(response) => response,
                Err(e) if e.is_timeout() => {
                    return Err(self.error(request, format!("no answer within {} s; raise the timeout option", timeout.as_secs_f64())));
                }
                // A POST may have reached the service (and created a search job) before the
                // connection failed: it is sent again only when it was never sent.
                Err(e) if attempt < self.retry.max_retries && (request.method.is_idempotent() || e.is_connect()) => {
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(self.error(request, format!("request failed after {} attempt(s): {}", attempt + 1, describe_reqwest_error(&e)))),
            };
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
            let body = match read_response(response, self.limits.response(), url_without_query(&request.url)).await {
                Ok(body) => body,
                Err(CappedReadError::TooLarge(e)) => return Err(self.error(request, e.to_string())),
                Err(CappedReadError::Failed(e)) if e.is_timeout() => {
                    return Err(self.error(request, format!("the response did not complete within {} s; raise the timeout option", timeout.as_secs_f64())));
                }
                Err(CappedReadError::Failed(e)) => {
                    return Err(self.error(request, format!("reading the response failed: {}", describe_reqwest_error(&e))));
                }
            };
            match status {
                200..=299 => return Ok(body),
                401 if !refreshed_token && matches!(self.authorization, Authorization::Azure { .. }) => {
                    if let Authorization::Azure { auth, scope } = &self.authorization {
                        auth.invalidate(scope);
                    }
                    refreshed_token = true;
                }
                401 | 403 => return Err(self.auth_error(request, status, &body)),
                429 if attempt < self.retry.max_retries => {
                    let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
                    if wait > self.retry.max_wait {
                        return Err(self.error(request, format!(
                            "429 Too Many Requests: the service asks to wait {} s, longer than the {} s allowed; try again later",
                            wait.as_secs(), self.retry.max_wait.as_secs()
                        )));
                    }
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                500..=599 if attempt < self.retry.max_retries => {
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
                429 => {
                    return Err(self.error(request, format!(
                        "429 Too Many Requests after {} attempt(s); the service's quota is exhausted, try again later ({})",
                        attempt + 1, service_message(&body)
                    )));
                }
                _ => {
                    let retried = if attempt > 0 { format!(" after {} attempt(s)", attempt + 1) } else { String::new() };
                    return Err(self.error(request, format!("HTTP {status}{retried}: {}", service_message(&body))));
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.retry.backoff.saturating_mul(2u32.saturating_pow(attempt.min(8)))
    }

    fn error(&self, request: &ServiceRequest, message: String) -> Error {
        Error::Remote { service: self.service.clone(), message: format!("{}: {message}", request.context) }
    }

    fn auth_error(&self, request: &ServiceRequest, status: u16, body: &[u8]) -> Error {
        let what = if status == 401 { "401 Unauthorized: the credentials were rejected" } else { "403 Forbidden: the identity lacks permission" };
        let hint = match &self.authorization {
            Authorization::Azure { auth, scope } => format!(
                "token for scope '{scope}' from tenant '{}' via {}; check that the TenantId is the tenant owning the resource \
                 and that the identity has been granted access to it",
                auth.tenant_id().unwrap_or("(default)"),
                auth.describe()
            ),
            Authorization::Bearer(_) => "check the bearer token (expired or revoked?)".to_string(),
            Authorization::Basic { user, .. } => format!("check the password of user '{user}' and the user's role"),
            Authorization::None => "the service needs credentials".to_string(),
        };
        self.error(request, format!("{what} ({hint}); service said: {}", service_message(body)))
    }
}

/// The error text in a service's response body (OneAPI `error`, Splunk `messages`, or the start
/// of the body).
pub fn service_message(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => {
            if let Some(error) = json.get("error") {
                return if error.is_object() { one_api_error_text(error) } else { error.to_string() };
            }
            if let Some(serde_json::Value::Array(messages)) = json.get("messages") {
                let texts: Vec<&str> = messages.iter().filter_map(|m| m.get("text").and_then(|t| t.as_str())).collect();
                if !texts.is_empty() {
                    return texts.join("; ");
                }
            }
            short_body(body)
        }
        Err(_) => short_body(body),
    }
}

/// The first 200 characters of a body, for messages.
pub fn short_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_string();
    }
    let mut shown: String = text.chars().take(200).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown
}

/// A reqwest error without its source chain's noise.
pub fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    text
}

/// `url` without its query string (which may carry search text or keys), for messages.
fn url_without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// `Retry-After`: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<f64>() {
        return (seconds >= 0.0 && seconds.is_finite()).then(|| Duration::from_secs_f64(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

pub use mstic_core::web::percent_encode;

/// A form body (`application/x-www-form-urlencoded`) from name/value pairs.
pub fn form_body(pairs: &[(&str, &str)]) -> Vec<u8> {
    mstic_core::web::form_body(pairs).into_bytes()
}
