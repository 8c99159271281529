//! Azure AD (Entra ID) tokens for the remote drivers: the OAuth2 client-credential flow against a
//! configurable authority host, managed identity (IMDS or App Service), and the Azure CLI, tried
//! in order as a chain (MSTICPy's `auth_methods`). Tokens are cached per scope and refreshed five
//! minutes before they expire. Secrets and tokens never appear in Debug output or errors.

use super::http::{percent_encode, short_body};
use mstic_core::{Error, Result};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A secret string (client secret, password, access token); Debug shows `********`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for an HTTP header or form body only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("********")
    }
}

/// One way of getting a token.
#[derive(Debug, Clone)]
pub enum Credential {
    /// OAuth2 client credentials: `POST {authority}/{tenant}/oauth2/v2.0/token`.
    ClientSecret { tenant_id: String, client_id: String, client_secret: Secret },
    /// Managed identity: App Service (`IDENTITY_ENDPOINT`/`IDENTITY_HEADER`) or the instance
    /// metadata service; `endpoint` overrides the address.
    ManagedIdentity { client_id: Option<String>, endpoint: Option<String> },
    /// `az account get-access-token` of a signed-in Azure CLI (`program` is normally `az`).
    AzureCli { tenant_id: Option<String>, program: String },
    /// A token obtained elsewhere (`access_token` setting), used as is.
    Static(Secret),
}

impl Credential {
    /// A short description without secrets, e.g. `client secret (tenant t, client c)`.
    pub fn describe(&self) -> String {
        match self {
            Credential::ClientSecret { tenant_id, client_id, .. } => format!("client secret (tenant {tenant_id}, client {client_id})"),
            Credential::ManagedIdentity { client_id: Some(id), .. } => format!("managed identity (client {id})"),
            Credential::ManagedIdentity { .. } => "managed identity".to_string(),
            Credential::AzureCli { .. } => "Azure CLI".to_string(),
            Credential::Static(_) => "access token from settings".to_string(),
        }
    }
}

#[derive(Clone)]
struct CachedToken {
    token: Secret,
    expires_at: SystemTime,
}

/// A credential chain with a per-scope token cache.
pub struct AzureAuth {
    chain: Vec<Credential>,
    authority_host: String,
    tenant_id: Option<String>,
    http: reqwest::Client,
    cache: Mutex<HashMap<String, CachedToken>>,
}

/// Refresh tokens this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

impl AzureAuth {
    /// A chain trying `chain` in order, with tokens from `authority_host`
    /// (e.g. `https://login.microsoftonline.com`).
    pub fn new(chain: Vec<Credential>, authority_host: &str, tenant_id: Option<String>, timeout: Duration) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| Error::Config(format!("cannot create the HTTP client: {e}")))?;
        Ok(AzureAuth {
            chain,
            authority_host: authority_host.trim_end_matches('/').to_string(),
            tenant_id,
            http,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The tenant the tokens are requested from, when known.
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }

    /// The credentials tried, in order (no secrets).
    pub fn describe(&self) -> String {
        if self.chain.is_empty() {
            return "no credentials".to_string();
        }
        self.chain.iter().map(Credential::describe).collect::<Vec<_>>().join(" → ")
    }

    /// A token for `scope` (e.g. `https://api.loganalytics.io/.default`): from the cache while it
    /// is valid for five more minutes, else from the first credential of the chain that succeeds.
    pub async fn token(&self, scope: &str) -> Result<Secret> {
        if let Some(cached) = self.cache.lock().ok().and_then(|c| c.get(scope).cloned())
            && cached.expires_at > SystemTime::now() + REFRESH_MARGIN
        {
            return Ok(cached.token);
        }
        let mut failures = Vec::new();
        for credential in &self.chain {
            match self.fetch(credential, scope).await {
                Ok((token, lifetime)) => {
                    if let Ok(mut cache) = self.cache.lock() {
                        cache.insert(scope.to_string(), CachedToken { token: token.clone(), expires_at: SystemTime::now() + lifetime });
                    }
                    return Ok(token);
                }
                Err(message) => failures.push(format!("{}: {message}", credential.describe())),
            }
        }
        Err(Error::Remote {
            service: "Azure authentication".into(),
            message: format!(
                "no credential could get a token for scope '{scope}'{}: {}. Configure ClientId/ClientSecret/TenantId \
                 in msticpyconfig.yaml (or AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID), run `az login`, \
                 or run where a managed identity is available",
                self.tenant_id.as_deref().map(|t| format!(" in tenant {t}")).unwrap_or_default(),
                if failures.is_empty() { "the credential chain is empty".to_string() } else { failures.join("; ") }
            ),
        })
    }

    /// Forgets the cached token for `scope` (after the service rejected it).
    pub fn invalidate(&self, scope: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(scope);
        }
    }

    async fn fetch(&self, credential: &Credential, scope: &str) -> std::result::Result<(Secret, Duration), String> {
        match credential {
            Credential::Static(token) => Ok((token.clone(), Duration::from_secs(3600))),
            Credential::ClientSecret { tenant_id, client_id, client_secret } => {
                let url = format!("{}/{}/oauth2/v2.0/token", self.authority_host, percent_encode(tenant_id));
                let body = format!(
                    "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
                    percent_encode(client_id),
                    percent_encode(client_secret.expose()),
                    percent_encode(scope)
                );
                let request = self.http.post(&url).header("Content-Type", "application/x-www-form-urlencoded").body(body);
                token_from_response(request.send().await, &url).await
            }
            Credential::ManagedIdentity { client_id, endpoint } => {
                let resource = scope.trim_end_matches("/.default");
                let app_service = std::env::var("IDENTITY_ENDPOINT").ok().zip(std::env::var("IDENTITY_HEADER").ok());
                let (base, api_version, header) = match (endpoint, app_service) {
                    (Some(endpoint), _) => (endpoint.clone(), "2018-02-01", None),
                    (None, Some((endpoint, header))) => (endpoint, "2019-08-01", Some(header)),
                    (None, None) => ("http://169.254.169.254/metadata/identity/oauth2/token".to_string(), "2018-02-01", None),
                };
                let mut url = format!("{base}?api-version={api_version}&resource={}", percent_encode(resource));
                if let Some(id) = client_id {
                    url.push_str(&format!("&client_id={}", percent_encode(id)));
                }
                let mut request = self.http.get(&url).header("Metadata", "true").timeout(Duration::from_secs(3));
                if let Some(header) = header {
                    request = request.header("X-IDENTITY-HEADER", header);
                }
                token_from_response(request.send().await, &base).await
            }
            Credential::AzureCli { tenant_id, program } => cli_token(program, scope, tenant_id.as_deref()).await,
        }
    }
}

impl std::fmt::Debug for AzureAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureAuth")
            .field("chain", &self.describe())
            .field("authority_host", &self.authority_host)
            .field("tenant_id", &self.tenant_id)
            .finish()
    }
}

async fn token_from_response(
    response: reqwest::Result<reqwest::Response>,
    url: &str,
) -> std::result::Result<(Secret, Duration), String> {
    let response = response.map_err(|e| format!("cannot reach {url}: {}", super::http::describe_reqwest_error(&e)))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| format!("reading the token response failed: {e}"))?;
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !status.is_success() {
        let detail = json
            .get("error_description")
            .or_else(|| json.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| short_body(&body));
        return Err(format!("{url} answered {status}: {detail}"));
    }
    let token = json.get("access_token").and_then(Value::as_str).ok_or_else(|| "the token response has no access_token".to_string())?;
    Ok((Secret::new(token), lifetime(&json)))
}

/// Token lifetime from `expires_in` (seconds), `expires_on` (epoch seconds) or one hour.
fn lifetime(json: &Value) -> Duration {
    let number = |key: &str| json.get(key).and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
    if let Some(seconds) = number("expires_in") {
        return Duration::from_secs(seconds);
    }
    if let Some(epoch) = number("expires_on") {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        return Duration::from_secs(epoch.saturating_sub(now));
    }
    Duration::from_secs(3600)
}

async fn cli_token(program: &str, scope: &str, tenant: Option<&str>) -> std::result::Result<(Secret, Duration), String> {
    let mut command = std::process::Command::new(program);
    command.args(["account", "get-access-token", "--output", "json", "--scope", scope]);
    if let Some(tenant) = tenant {
        command.args(["--tenant", tenant]);
    }
    let program = program.to_string();
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| format!("the Azure CLI task failed: {e}"))?
        .map_err(|e| format!("cannot run '{program}': {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("'{program} account get-access-token' failed: {}", stderr.lines().next().unwrap_or("no message")));
    }
    let json: Value = serde_json::from_slice(&output.stdout).map_err(|e| format!("unexpected Azure CLI output: {e}"))?;
    let token = json.get("accessToken").and_then(Value::as_str).ok_or_else(|| "the Azure CLI output has no accessToken".to_string())?;
    Ok((Secret::new(token), lifetime(&json)))
}
