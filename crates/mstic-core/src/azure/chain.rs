//! [`AzureAuth`]: the credentials of `auth_methods`, tried in order until one gets a token, with
//! the session's token cache in front of them.

use super::cache::{self, CachedToken};
use super::certificate::CertificateAssertion;
use super::claims::identity;
use super::cli::BlockingExecutor;
use super::endpoints::{Cloud, check_secure_url, is_loopback_url};
use super::methods::{AuthMethod, DEFAULT_AUTH_METHODS};
use super::sdk_error_text;
use super::settings::AuthSettings;
use super::transport::AuthTransport;
use super::user_sign_in::{AZURE_CLI_CLIENT_ID, UserCredential, UserFlow, jwt_expiry};
use crate::config::Secret;
use crate::{Error, Result};
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::http::Url;
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertionCredential, ClientAssertionCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Default time-out of a token request.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default longest wait for a user to sign in.
const DEFAULT_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(600);

/// Which credential signed in, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The credential, e.g. `device code`, `client secret`, `Azure CLI`.
    pub method: String,
    /// The account (`user@contoso.com`, `app <client id>`), when the token says.
    pub account: Option<String>,
    /// The tenant the token is for, when known.
    pub tenant: Option<String>,
}

impl std::fmt::Display for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.method)?;
        if let Some(account) = &self.account {
            write!(f, " as {account}")?;
        }
        Ok(())
    }
}

/// Where one credential of the chain gets its tokens.
#[derive(Clone)]
enum Source {
    ClientSecret { tenant: String, client_id: String, secret: Secret },
    Certificate { tenant: String, client_id: String, path: PathBuf },
    Workload { tenant: String, client_id: String, token_file: PathBuf },
    AzureCli { tenant: Option<String> },
    ManagedIdentity { client_id: Option<String> },
    User(UserFlow),
    Static(Secret),
    /// A method of `auth_methods` that cannot work here, and why.
    Unavailable(String),
}

/// One credential of the chain.
#[derive(Clone)]
struct Link {
    /// Shown in descriptions and errors (with tenant and client IDs, never secrets).
    label: String,
    /// Shown after signing in (`client secret`, `device code`…).
    method: String,
    source: Source,
}

/// A credential ready to ask for tokens.
enum Built {
    Sdk(Arc<dyn TokenCredential>),
    User(UserCredential),
    Static(Secret),
}

/// A credential chain: the credentials of `auth_methods` in order, the session's token cache in
/// front of them. Tokens are renewed five minutes before the expiry they carry; after a service
/// rejected a token ([`AzureAuth::invalidate`]) the next request gets a new one.
pub struct AzureAuth {
    /// Identifies the chain's tokens in the session cache (authority, tenant, identities).
    key: String,
    authority: Url,
    sdk_authority: Url,
    tenant_id: Option<String>,
    public_client_id: String,
    sign_in_timeout: Duration,
    links: Vec<Link>,
    transport: AuthTransport,
    built: Mutex<Vec<Option<Arc<Built>>>>,
    fetching: tokio::sync::Mutex<()>,
    last: Mutex<Option<SignedIn>>,
}

impl AzureAuth {
    /// The chain of `settings`: an unknown method or an authority host that is not `https`
    /// (except loopback) is an error; methods that cannot work here (no client secret
    /// configured, `vscode`…) stay in the chain to explain themselves when no credential works.
    pub fn new(settings: &AuthSettings) -> Result<AzureAuth> {
        let names: Vec<String> = settings.methods.clone().unwrap_or_else(|| DEFAULT_AUTH_METHODS.iter().map(|m| m.to_string()).collect());
        let methods = AuthMethod::parse_list(&names)?;
        let cloud = Cloud::parse(settings.cloud.as_deref())?;
        let authority_text = settings.authority_host.clone().or_else(|| env("AZURE_AUTHORITY_HOST")).unwrap_or_else(|| cloud.authority_host().to_string());
        let authority = check_secure_url(&authority_text, "authority host")?;
        let ca_bundle = settings.ca_bundle.clone().or_else(|| env("REQUESTS_CA_BUNDLE").map(PathBuf::from));
        let mut transport = AuthTransport::new(ca_bundle.as_deref(), settings.timeout.unwrap_or(DEFAULT_TIMEOUT))?;
        let sdk_authority = transport.sdk_address(&authority);
        if let Some(endpoint) = &settings.managed_identity_endpoint {
            transport.route_metadata_service(managed_identity_url(endpoint)?);
        }
        let tenant_id = settings.tenant_id.clone().or_else(|| env("AZURE_TENANT_ID"));
        let mut links: Vec<Link> = Vec::new();
        if let Some(token) = &settings.access_token {
            links.push(Link { label: "access token from settings".into(), method: "access token from settings".into(), source: Source::Static(token.clone()) });
        } else {
            for method in methods {
                let link = link_for(method, settings, tenant_id.as_deref());
                if !links.iter().any(|l| l.label == link.label) {
                    links.push(link);
                }
            }
        }
        let identities: Vec<&str> = links.iter().map(|l| l.label.as_str()).collect();
        let key = format!("{}|{}|{}", authority.as_str().trim_end_matches('/'), tenant_id.as_deref().unwrap_or_default(), identities.join(","));
        Ok(AzureAuth {
            key,
            authority,
            sdk_authority,
            tenant_id,
            public_client_id: settings.public_client_id.clone().unwrap_or_else(|| AZURE_CLI_CLIENT_ID.to_string()),
            sign_in_timeout: settings.sign_in_timeout.unwrap_or(DEFAULT_SIGN_IN_TIMEOUT),
            built: Mutex::new(vec![None; links.len()]),
            links,
            transport,
            fetching: tokio::sync::Mutex::new(()),
            last: Mutex::new(None),
        })
    }

    /// The tenant the tokens are requested from, when known.
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }

    /// The authority host, e.g. `https://login.microsoftonline.com`.
    pub fn authority_host(&self) -> &str {
        self.authority.as_str().trim_end_matches('/')
    }

    /// The credentials tried, in order (no secrets), e.g. `Azure CLI → device code`.
    pub fn describe(&self) -> String {
        let usable: Vec<&str> = self.links.iter().filter(|l| !matches!(l.source, Source::Unavailable(_))).map(|l| l.label.as_str()).collect();
        if usable.is_empty() { "no usable credential".to_string() } else { usable.join(" → ") }
    }

    /// Which credential got the last token, and as whom.
    pub fn signed_in(&self) -> Option<SignedIn> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A token for `scope` (e.g. `https://api.loganalytics.io/.default`).
    pub async fn token(&self, scope: &str) -> Result<Secret> {
        Ok(self.access_token(scope).await?.token)
    }

    /// Forgets the token for `scope` after a service rejected it; the next request gets a new one
    /// (a user sign-in is renewed with its refresh token, without asking again).
    pub fn invalidate(&self, scope: &str) {
        cache::remove(&self.key, scope);
        self.built.lock().unwrap_or_else(|e| e.into_inner()).iter_mut().for_each(|b| *b = None);
    }

    /// The token for `scope` with its expiry: the session's while fresh, else from the first
    /// credential that succeeds.
    pub(crate) async fn access_token(&self, scope: &str) -> Result<CachedToken> {
        if let Some(token) = cache::get(&self.key, scope) {
            self.remember(&token.signed_in);
            return Ok(token);
        }
        let _one_request = self.fetching.lock().await;
        if let Some(token) = cache::get(&self.key, scope) {
            self.remember(&token.signed_in);
            return Ok(token);
        }
        let mut failures = Vec::new();
        for (index, link) in self.links.iter().enumerate() {
            if let Source::Unavailable(reason) = &link.source {
                failures.push(format!("{}: {reason}", link.label));
                continue;
            }
            match self.fetch(index, link, scope).await {
                Ok(token) => {
                    if !matches!(link.source, Source::Static(_)) {
                        cache::put(&self.key, scope, token.clone());
                    }
                    self.remember(&token.signed_in);
                    return Ok(token);
                }
                Err(e) if e.is_interrupted() => return Err(e),
                Err(e) => failures.push(format!("{}: {}", link.label, strip_service(&e))),
            }
        }
        Err(Error::Remote {
            service: "Azure sign-in".into(),
            message: format!(
                "no credential could get a token for scope '{scope}'{}: {}. Sign in with ClientId/ClientSecret/TenantId in \
                 msticpyconfig.yaml, AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID, `az login`, a managed identity, or \
                 auth_methods devicecode",
                self.tenant_id.as_deref().map(|t| format!(" in tenant {t}")).unwrap_or_default(),
                if failures.is_empty() { "auth_methods is empty".to_string() } else { failures.join("; ") }
            ),
        })
    }

    fn remember(&self, signed_in: &SignedIn) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(signed_in.clone());
    }

    async fn fetch(&self, index: usize, link: &Link, scope: &str) -> Result<CachedToken> {
        let built = self.built(index, link)?;
        let signed_in = |account: Option<String>, tenant: Option<String>| SignedIn {
            method: link.method.clone(),
            account: account.or_else(|| app_of(&link.source)),
            tenant: tenant.or_else(|| self.tenant_id.clone()),
        };
        match &*built {
            Built::Sdk(credential) => {
                let token = credential.get_token(&[scope], None).await.map_err(|e| remote(sdk_error_text(&e)))?;
                let who = identity(token.token.secret()).unwrap_or_default();
                Ok(CachedToken { token: Secret::new(token.token.secret()), expires_on: Some(token.expires_on), signed_in: signed_in(who.account, who.tenant) })
            }
            Built::User(user) => {
                let grant = user.token(scope).await?;
                Ok(CachedToken { token: grant.access_token, expires_on: Some(grant.expires_on), signed_in: signed_in(grant.identity.account, grant.identity.tenant) })
            }
            Built::Static(token) => {
                let who = identity(token.expose()).unwrap_or_default();
                Ok(CachedToken { token: token.clone(), expires_on: jwt_expiry(token.expose()), signed_in: signed_in(who.account, who.tenant) })
            }
        }
    }

    /// The credential of link `index`, built on first use (and again after `invalidate`).
    fn built(&self, index: usize, link: &Link) -> Result<Arc<Built>> {
        if let Some(built) = self.built.lock().unwrap_or_else(|e| e.into_inner()).get(index).cloned().flatten() {
            return Ok(built);
        }
        let built = Arc::new(self.build(&link.source)?);
        if let Some(slot) = self.built.lock().unwrap_or_else(|e| e.into_inner()).get_mut(index) {
            *slot = Some(built.clone());
        }
        Ok(built)
    }

    fn build(&self, source: &Source) -> Result<Built> {
        let options = || self.transport.client_options(Some(&self.sdk_authority));
        let sdk = |result: azure_core::Result<Arc<dyn TokenCredential>>| result.map(Built::Sdk).map_err(|e| remote(sdk_error_text(&e)));
        match source {
            Source::ClientSecret { tenant, client_id, secret } => sdk(ClientSecretCredential::new(
                tenant,
                client_id.clone(),
                azure_core::credentials::Secret::new(secret.expose().to_string()),
                Some(ClientSecretCredentialOptions { client_options: options() }),
            )
            .map(|c| c as Arc<dyn TokenCredential>)),
            Source::Certificate { tenant, client_id, path } => {
                let audience = format!("{}/{tenant}/oauth2/v2.0/token", self.authority_host());
                let assertion = CertificateAssertion::load(path, client_id, &audience)?;
                let options = ClientAssertionCredentialOptions { client_options: options() };
                sdk(ClientAssertionCredential::new(tenant.clone(), client_id.clone(), assertion, Some(options)).map(|c| c as Arc<dyn TokenCredential>))
            }
            Source::Workload { tenant, client_id, token_file } => sdk(WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions { client_options: options() },
                client_id: Some(client_id.clone()),
                tenant_id: Some(tenant.clone()),
                token_file_path: Some(token_file.clone()),
            }))
            .map(|c| c as Arc<dyn TokenCredential>)),
            Source::AzureCli { tenant } => sdk(AzureCliCredential::new(Some(AzureCliCredentialOptions {
                tenant_id: tenant.clone(),
                executor: Some(Arc::new(BlockingExecutor)),
                ..Default::default()
            }))
            .map(|c| c as Arc<dyn TokenCredential>)),
            Source::ManagedIdentity { client_id } => sdk(ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                client_options: self.transport.client_options(None),
            }))
            .map(|c| c as Arc<dyn TokenCredential>)),
            Source::User(flow) => Ok(Built::User(UserCredential {
                flow: *flow,
                http: self.transport.http().clone(),
                authority: self.authority.clone(),
                tenant: self.tenant_id.clone().unwrap_or_else(|| "organizations".to_string()),
                client_id: self.public_client_id.clone(),
                sign_in_timeout: self.sign_in_timeout,
            })),
            Source::Static(token) => Ok(Built::Static(token.clone())),
            Source::Unavailable(reason) => Err(remote(reason.clone())),
        }
    }
}

impl std::fmt::Debug for AzureAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureAuth")
            .field("chain", &self.describe())
            .field("authority_host", &self.authority_host())
            .field("tenant_id", &self.tenant_id)
            .finish()
    }
}

/// The chain as a credential for Azure SDK clients (Key Vault): same credentials, same cache.
#[async_trait::async_trait]
impl TokenCredential for AzureAuth {
    async fn get_token(&self, scopes: &[&str], _options: Option<TokenRequestOptions<'_>>) -> azure_core::Result<AccessToken> {
        let scope = scopes.first().ok_or_else(|| azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, "no scope given"))?;
        let token = self.access_token(scope).await.map_err(|e| azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.to_string()))?;
        // A token of unknown expiry (from settings) is offered for five minutes at a time; the
        // chain keeps handing out the same token.
        let expires_on = token.expires_on.unwrap_or_else(|| azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::minutes(6));
        Ok(AccessToken::new(token.token.expose().to_string(), expires_on))
    }
}

/// The credential for `method`, or why it cannot work with these settings.
fn link_for(method: AuthMethod, settings: &AuthSettings, tenant: Option<&str>) -> Link {
    let ids = |tenant: &str, client: &str| format!("tenant {tenant}, client {client}");
    let unavailable = |label: &str, reason: &str| Link { label: label.into(), method: label.into(), source: Source::Unavailable(reason.into()) };
    match method {
        AuthMethod::Environment => environment_link(),
        AuthMethod::AzureCli => Link { label: "Azure CLI".into(), method: "Azure CLI".into(), source: Source::AzureCli { tenant: tenant.map(str::to_string) } },
        AuthMethod::ManagedIdentity => {
            let client_id = settings.managed_identity_client_id.clone();
            let label = client_id.as_ref().map_or_else(|| "managed identity".to_string(), |id| format!("managed identity (client {id})"));
            Link { label, method: "managed identity".into(), source: Source::ManagedIdentity { client_id } }
        }
        AuthMethod::WorkloadIdentity => {
            let client = settings.client_id.clone().or_else(|| env("AZURE_CLIENT_ID"));
            let file = settings.federated_token_file.clone().or_else(|| env("AZURE_FEDERATED_TOKEN_FILE").map(PathBuf::from));
            match (tenant, client, file) {
                (Some(tenant), Some(client_id), Some(token_file)) => Link {
                    label: format!("workload identity ({})", ids(tenant, &client_id)),
                    method: "workload identity".into(),
                    source: Source::Workload { tenant: tenant.into(), client_id, token_file },
                },
                _ => unavailable("workload identity", "needs a tenant, a client ID and a federated token file (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE)"),
            }
        }
        AuthMethod::ClientSecret => match (tenant, &settings.client_id, &settings.client_secret) {
            (Some(tenant), Some(client_id), Some(secret)) => Link {
                label: format!("client secret ({})", ids(tenant, client_id)),
                method: "client secret".into(),
                source: Source::ClientSecret { tenant: tenant.into(), client_id: client_id.clone(), secret: secret.clone() },
            },
            _ => unavailable("client secret", "TenantId, ClientId and ClientSecret are not all configured"),
        },
        AuthMethod::ClientCertificate => match (tenant, &settings.client_id, &settings.certificate_path) {
            (Some(tenant), Some(client_id), Some(path)) => Link {
                label: format!("client certificate ({})", ids(tenant, client_id)),
                method: "client certificate".into(),
                source: Source::Certificate { tenant: tenant.into(), client_id: client_id.clone(), path: path.clone() },
            },
            _ => unavailable("client certificate", "TenantId, ClientId and certificate_path are not all configured"),
        },
        AuthMethod::DeviceCode => Link { label: "device code".into(), method: "device code".into(), source: Source::User(UserFlow::DeviceCode) },
        AuthMethod::Interactive => Link { label: "browser sign-in".into(), method: "browser sign-in".into(), source: Source::User(UserFlow::Browser) },
        AuthMethod::VsCode => unavailable("vscode", "VS Code sign-in is not available in Rust MSTIC; use cli or devicecode"),
        AuthMethod::PowerShell => unavailable("powershell", "Azure PowerShell sign-in is not available in Rust MSTIC; use cli or devicecode"),
    }
}

/// `env`: a service principal from the standard `AZURE_*` variables.
fn environment_link() -> Link {
    let (Some(tenant), Some(client_id)) = (env("AZURE_TENANT_ID"), env("AZURE_CLIENT_ID")) else {
        return Link {
            label: "environment".into(),
            method: "environment".into(),
            source: Source::Unavailable("AZURE_TENANT_ID and AZURE_CLIENT_ID are not set".into()),
        };
    };
    let ids = format!("tenant {tenant}, client {client_id}");
    if let Some(secret) = env("AZURE_CLIENT_SECRET") {
        return Link {
            label: format!("environment client secret ({ids})"),
            method: "client secret from the environment".into(),
            source: Source::ClientSecret { tenant, client_id, secret: Secret::new(secret) },
        };
    }
    if let Some(path) = env("AZURE_CLIENT_CERTIFICATE_PATH") {
        return Link {
            label: format!("environment client certificate ({ids})"),
            method: "client certificate from the environment".into(),
            source: Source::Certificate { tenant, client_id, path: PathBuf::from(path) },
        };
    }
    if let Some(file) = env("AZURE_FEDERATED_TOKEN_FILE") {
        return Link {
            label: format!("environment workload identity ({ids})"),
            method: "workload identity from the environment".into(),
            source: Source::Workload { tenant, client_id, token_file: PathBuf::from(file) },
        };
    }
    Link {
        label: "environment".into(),
        method: "environment".into(),
        source: Source::Unavailable("AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE is not set".into()),
    }
}

/// `app <client id>` for application credentials (when the token does not say).
fn app_of(source: &Source) -> Option<String> {
    match source {
        Source::ClientSecret { client_id, .. } | Source::Certificate { client_id, .. } | Source::Workload { client_id, .. } => Some(format!("app {client_id}")),
        _ => None,
    }
}

/// The `managed_identity_endpoint` setting: `https`, or plain `http` on a loopback or link-local
/// address (where the metadata service lives).
fn managed_identity_url(text: &str) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|e| Error::invalid("managed_identity_endpoint", format!("'{text}' is not a URL: {e}")))?;
    let link_local = url.host_str().and_then(|h| h.parse::<std::net::Ipv4Addr>().ok()).is_some_and(|ip| ip.is_link_local());
    if url.scheme() == "https" || (url.scheme() == "http" && (is_loopback_url(&url) || link_local)) {
        Ok(url)
    } else {
        Err(Error::invalid("managed_identity_endpoint", format!("'{text}' must use https (plain http only on a loopback or link-local address)")))
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn remote(message: String) -> Error {
    Error::Remote { service: "Azure sign-in".into(), message }
}

/// An error's message without the `Azure sign-in:` prefix (when it is listed under a credential).
fn strip_service(error: &Error) -> String {
    match error {
        Error::Remote { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_follows_auth_methods_and_explains_missing_settings() {
        let settings = AuthSettings {
            methods: Some(vec!["clientsecret".into(), "cli".into(), "vscode".into(), "devicecode".into()]),
            tenant_id: Some("t-1".into()),
            client_id: Some("c-1".into()),
            client_secret: Some(Secret::new("s3cret")),
            ..Default::default()
        };
        let auth = AzureAuth::new(&settings).unwrap();
        assert_eq!(auth.describe(), "client secret (tenant t-1, client c-1) → Azure CLI → device code");
        assert!(!format!("{auth:?}").contains("s3cret"));
        let no_secret = AzureAuth::new(&AuthSettings { client_secret: None, ..settings.clone() }).unwrap();
        assert_eq!(no_secret.describe(), "Azure CLI → device code");
        let err = AzureAuth::new(&AuthSettings { methods: Some(vec!["cli".into(), "password".into()]), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("'password'") && err.to_string().contains("devicecode"), "{err}");
    }

    #[test]
    fn authority_must_be_https_unless_loopback() {
        let plain = AuthSettings { authority_host: Some("http://login.example.com".into()), ..Default::default() };
        assert!(AzureAuth::new(&plain).unwrap_err().to_string().contains("must use https"));
        let local = AuthSettings { authority_host: Some("http://127.0.0.1:9".into()), ..Default::default() };
        assert_eq!(AzureAuth::new(&local).unwrap().authority_host(), "http://127.0.0.1:9");
        assert_eq!(AzureAuth::new(&AuthSettings { cloud: Some("usgov".into()), ..Default::default() }).unwrap().authority_host(), "https://login.microsoftonline.us");
        assert!(managed_identity_url("http://169.254.169.254/metadata/identity/oauth2/token").is_ok());
        assert!(managed_identity_url("http://10.0.0.1/token").is_err());
    }
}
