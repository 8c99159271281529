//! Signing in a user (device code or browser) once per session: the OAuth 2.0 token endpoint
//! calls both flows share, and the session's refresh tokens, which get tokens for further scopes
//! (Log Analytics, Kusto, Graph, Defender, ARM, Key Vault) without asking the user again.

use super::claims::{TokenIdentity, identity};
use crate::config::Secret;
use crate::limits::{ByteCap, CappedReadError, ReadLimits, read_response};
use crate::{Error, Result};
use azure_core::http::Url;
use azure_core::time::{Duration, OffsetDateTime};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The Azure CLI's public client app: device-code and browser sign-ins use it unless
/// `public_client_id` names another.
pub(crate) const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// Scopes added to a user sign-in: a refresh token (`offline_access`) and the account's name.
const SIGN_IN_SCOPES: &str = "offline_access openid profile";

/// How a user signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserFlow {
    /// The device authorization grant (RFC 8628): a code entered on another device.
    DeviceCode,
    /// The authorization code grant with PKCE in a browser on this machine.
    Browser,
}

impl UserFlow {
    /// The flow's name in messages.
    pub fn label(self) -> &'static str {
        match self {
            UserFlow::DeviceCode => "device code",
            UserFlow::Browser => "browser sign-in",
        }
    }
}

/// A user sign-in for one authority, tenant and client app.
#[derive(Debug, Clone)]
pub(crate) struct UserCredential {
    pub flow: UserFlow,
    pub http: reqwest::Client,
    /// The authority host as configured (plain `http` only for loopback).
    pub authority: Url,
    /// The tenant (`organizations` when none is configured).
    pub tenant: String,
    pub client_id: String,
    /// Longest wait for the user.
    pub sign_in_timeout: std::time::Duration,
}

/// Tokens from a token endpoint.
#[derive(Debug, Clone)]
pub(crate) struct TokenGrant {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// From `expires_in` (or the token's own `exp`); a grant without either counts as expired.
    pub expires_on: OffsetDateTime,
    /// Who signed in (from the ID token, else the access token).
    pub identity: TokenIdentity,
}

/// An OAuth error answer (`{"error": "authorization_pending", "error_description": …}`), or a
/// failure to reach the endpoint (`code` empty).
#[derive(Debug, Clone)]
pub(crate) struct OAuthError {
    pub code: String,
    pub description: String,
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code.is_empty(), self.description.is_empty()) {
            (true, _) => f.write_str(&self.description),
            (false, true) => f.write_str(&self.code),
            (false, false) => write!(f, "{}: {}", self.code, self.description),
        }
    }
}

impl UserCredential {
    /// `{authority}/{tenant}/oauth2/v2.0/{endpoint}`.
    pub fn endpoint(&self, endpoint: &str) -> Result<Url> {
        let base = self.authority.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}/{}/oauth2/v2.0/{endpoint}", self.tenant))
            .map_err(|e| Error::invalid("tenant_id", format!("'{}' does not form a valid sign-in URL: {e}", self.tenant)))
    }

    /// The scopes to ask for: `scope` plus a refresh token and the account's name.
    pub fn scopes(scope: &str) -> String {
        format!("{scope} {SIGN_IN_SCOPES}")
    }

    fn key(&self) -> String {
        format!("{}|{}|{}", self.authority, self.tenant, self.client_id)
    }

    /// A token for `scope`: from the session's sign-in when there is one (refreshed), else by
    /// signing the user in (`sign_in`). One sign-in runs at a time in the process.
    pub async fn token(&self, scope: &str) -> Result<TokenGrant> {
        let lock = crate::session::get_or_init("mstic-core.azure.user-prompt", || tokio::sync::Mutex::new(()));
        let _one_at_a_time = lock.lock().await;
        if let Some(saved) = saved(&self.key()) {
            match self.refresh(&saved, scope).await {
                Ok(grant) => return Ok(self.keep(grant, Some(saved))),
                // The refresh token expired or was revoked: sign in again.
                Err(e) if e.code == "invalid_grant" || e.code == "interaction_required" => forget(&self.key()),
                Err(e) => return Err(remote(format!("renewing the {} sign-in failed: {e}", self.flow.label()))),
            }
        }
        let grant = match self.flow {
            UserFlow::DeviceCode => super::device_code::sign_in(self, scope).await?,
            UserFlow::Browser => super::interactive::sign_in(self, scope).await?,
        };
        Ok(self.keep(grant, None))
    }

    /// Saves the (possibly rotated) refresh token of `grant` for the session.
    fn keep(&self, mut grant: TokenGrant, previous: Option<SavedSignIn>) -> TokenGrant {
        if grant.identity.account.is_none() {
            grant.identity = previous.as_ref().map(|p| p.identity.clone()).unwrap_or_default();
        }
        let refresh_token = grant.refresh_token.clone().or(previous.map(|p| p.refresh_token));
        if let Some(refresh_token) = refresh_token {
            save(&self.key(), SavedSignIn { refresh_token, identity: grant.identity.clone() });
        }
        grant
    }

    async fn refresh(&self, saved: &SavedSignIn, scope: &str) -> std::result::Result<TokenGrant, OAuthError> {
        let url = self.endpoint("token").map_err(|e| OAuthError { code: String::new(), description: e.to_string() })?;
        let scopes = Self::scopes(scope);
        let form = [
            ("client_id", self.client_id.as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", saved.refresh_token.expose()),
            ("scope", scopes.as_str()),
        ];
        let (status, json) = post_form(&self.http, &url, &form).await?;
        parse_grant(status, &json)
    }
}

/// Posts a form to an OAuth endpoint; the status and JSON body of the answer (at most the
/// response cap of [`ReadLimits::from_env`]).
pub(crate) async fn post_form(http: &reqwest::Client, url: &Url, form: &[(&str, &str)]) -> std::result::Result<(u16, Value), OAuthError> {
    post_form_capped(http, url, form, ReadLimits::from_env().response()).await
}

/// [`post_form`] with an answer of at most `cap` bytes.
async fn post_form_capped(http: &reqwest::Client, url: &Url, form: &[(&str, &str)], cap: ByteCap) -> std::result::Result<(u16, Value), OAuthError> {
    let body = crate::web::form_body(form);
    let response = http
        .post(url.as_str())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| OAuthError { code: String::new(), description: format!("cannot reach {}: {}", without_query(url), reqwest_error_text(&e)) })?;
    let status = response.status().as_u16();
    let shown = without_query(url);
    let bytes = read_response(response, cap, &shown).await.map_err(|e| {
        let description = match e {
            CappedReadError::TooLarge(e) => e.to_string(),
            CappedReadError::Failed(e) => format!("reading the answer of {shown} failed: {e}"),
        };
        OAuthError { code: String::new(), description }
    })?;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, json))
}

/// Tokens from a token endpoint's answer, or its OAuth error.
pub(crate) fn parse_grant(status: u16, json: &Value) -> std::result::Result<TokenGrant, OAuthError> {
    let text = |key: &str| json.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string);
    if !(200..300).contains(&status) || json.get("error").is_some() {
        return Err(oauth_error(status, json));
    }
    let access_token = text("access_token").ok_or_else(|| OAuthError { code: String::new(), description: "the token answer has no access_token".into() })?;
    let from_access = identity(&access_token).unwrap_or_default();
    let from_id = text("id_token").and_then(|t| identity(&t)).unwrap_or_default();
    let identity = TokenIdentity { account: from_id.account.or(from_access.account), tenant: from_id.tenant.or(from_access.tenant) };
    let seconds = |key: &str| json.get(key).and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
    let expires_on = seconds("expires_in")
        .map(|s| OffsetDateTime::now_utc() + Duration::seconds(s))
        .or_else(|| jwt_expiry(&access_token))
        .unwrap_or_else(OffsetDateTime::now_utc);
    Ok(TokenGrant { access_token: Secret::new(access_token), refresh_token: text("refresh_token").map(Secret::new), expires_on, identity })
}

/// The error of a non-token answer (`error`, `error_description`; else the status).
pub(crate) fn oauth_error(status: u16, json: &Value) -> OAuthError {
    let text = |key: &str| json.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    let code = text("error");
    let description = text("error_description");
    // Entra ID descriptions carry trace and correlation lines; the first line says what happened.
    let description = description.lines().next().unwrap_or_default().trim().to_string();
    if code.is_empty() && description.is_empty() {
        return OAuthError { code: format!("HTTP {status}"), description: String::new() };
    }
    OAuthError { code, description }
}

/// The `exp` claim of a JWT access token.
pub(crate) fn jwt_expiry(token: &str) -> Option<OffsetDateTime> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    OffsetDateTime::from_unix_timestamp(claims.get("exp")?.as_i64()?).ok()
}

/// A remote error of the Azure sign-in.
pub(crate) fn remote(message: String) -> Error {
    Error::Remote { service: "Azure sign-in".into(), message }
}

/// A URL without its query string (for messages).
pub(crate) fn without_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

/// A reqwest error with its causes (connection refused, certificate problems…).
pub(crate) fn reqwest_error_text(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    text
}


/// A user sign-in kept for the session.
#[derive(Debug, Clone)]
struct SavedSignIn {
    refresh_token: Secret,
    identity: TokenIdentity,
}

type SignIns = Mutex<HashMap<String, SavedSignIn>>;

fn sign_ins() -> Arc<SignIns> {
    crate::session::get_or_init("mstic-core.azure.user-sign-ins", SignIns::default)
}

fn saved(key: &str) -> Option<SavedSignIn> {
    sign_ins().lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
}

fn save(key: &str, sign_in: SavedSignIn) {
    sign_ins().lock().unwrap_or_else(|e| e.into_inner()).insert(key.to_string(), sign_in);
}

fn forget(key: &str) {
    sign_ins().lock().unwrap_or_else(|e| e.into_inner()).remove(key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_and_errors() {
        let grant = parse_grant(200, &serde_json::json!({"access_token": "a", "refresh_token": "r", "expires_in": 3600})).unwrap();
        assert_eq!((grant.access_token.expose(), grant.refresh_token.unwrap().expose()), ("a", "r"));
        assert!(grant.expires_on > OffsetDateTime::now_utc() + Duration::minutes(59));
        let pending = parse_grant(400, &serde_json::json!({"error": "authorization_pending", "error_description": "AADSTS70016: pending.\r\nTrace ID: 1"})).unwrap_err();
        assert_eq!((pending.code.as_str(), pending.description.as_str()), ("authorization_pending", "AADSTS70016: pending."));
        assert_eq!(parse_grant(502, &Value::Null).unwrap_err().to_string(), "HTTP 502");
        assert!(parse_grant(200, &serde_json::json!({"token_type": "Bearer"})).is_err());
    }

    #[test]
    fn token_answer_over_the_response_cap_names_endpoint_and_cap() {
        let server = mstic_demo::LocalServer::start(|_| mstic_demo::HttpResponse::json(200, format!("{{\"access_token\": \"{}\"}}", "a".repeat(4096)))).unwrap();
        let url = Url::parse(&format!("{}/tenant/oauth2/v2.0/token?secret=1", server.url())).unwrap();
        let cap = ByteCap { kind: crate::limits::CapKind::Response, bytes: 1024 };
        let error = crate::runtime::block_on(post_form_capped(&reqwest::Client::new(), &url, &[("a", "b")], cap)).unwrap_err();
        assert_eq!(
            error.description,
            format!("{}/tenant/oauth2/v2.0/token is larger than the response cap of 1024 bytes (1 KiB); set MSTIC_MAX_RESPONSE_BYTES to raise it", server.url())
        );
        let (status, json) = crate::runtime::block_on(post_form_capped(&reqwest::Client::new(), &url, &[("a", "b")], ReadLimits::default().response())).unwrap();
        assert_eq!((status, json["access_token"].as_str().map(str::len)), (200, Some(4096)));
    }

    #[test]
    fn form_encoding() {
        assert_eq!(crate::web::percent_encode("a b/c+d"), "a%20b%2Fc%2Bd");
    }
}
