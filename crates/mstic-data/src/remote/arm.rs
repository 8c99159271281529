//! Azure Resource Manager (ARM) REST calls: `GET`/`POST`/`PUT`/`DELETE` on
//! `{resource_manager_endpoint}{path}?api-version=…`, signed in as the data drivers are (the
//! `Azure` section of `msticpyconfig.yaml`, `auth_methods`, driver settings) with the
//! `{endpoint}/.default` scope. List answers (`{"value": [...], "nextLink": "..."}`) are read page
//! by page. Used by the Sentinel management API (incidents, bookmarks, watchlists) and Resource
//! Graph.
//!
//! Errors are `Error::Remote { service: "Azure Resource Manager", .. }` naming the method and the
//! path (never the query string); a `403` also names the Azure role the call needs and the scope it
//! is needed on.

use super::common::{merged_options, run};
use super::http::{Authorization, Method, ServiceClient, ServiceRequest};
use super::settings::{CloudEndpoints, build_auth, current_config, provider_args};
use crate::DriverSettings;
use mstic_core::config::MsticConfig;
use mstic_core::{Error, Result};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The service name in errors.
const SERVICE: &str = "Azure Resource Manager";
/// Default time-out of one ARM request.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Most pages a [`ArmClient::list`] follows when no limit is given (a guard against loops).
const MAX_PAGES: usize = 1000;

/// An Azure Resource Manager REST client: signs in as the data drivers do and sends JSON requests
/// to `management.azure.com` (or the configured `resource_manager_endpoint`).
///
/// Cloning is cheap (the token cache is shared); `Debug` shows the endpoint only, never a token.
///
/// # Example
/// ```
/// use mstic_core::config::MsticConfig;
/// use mstic_data::{DriverSettings, remote::ArmClient};
/// let settings = DriverSettings::default().set("resource_manager_endpoint", "https://arm.example/");
/// let arm = ArmClient::with_config(&settings, &MsticConfig::default(), Some("my-tenant".into()))?;
/// assert_eq!(arm.endpoint(), "https://arm.example");
/// assert_eq!(format!("{arm:?}"), r#"ArmClient { endpoint: "https://arm.example" }"#);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone)]
pub struct ArmClient {
    client: ServiceClient,
    endpoint: String,
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient").field("endpoint", &self.endpoint).finish()
    }
}

impl ArmClient {
    /// A client from driver `settings` and the session's `msticpyconfig.yaml` (`Azure` section,
    /// `auth_methods`, `resource_manager_endpoint`); `tenant` (e.g. a workspace's `TenantId`) wins
    /// over the `tenant_id` setting. Nothing is sent until the first request.
    pub fn new(settings: &DriverSettings, tenant: Option<String>) -> Result<ArmClient> {
        Self::with_config(settings, &current_config(), tenant)
    }

    /// Like [`ArmClient::new`], reading `config` instead of the session's configuration.
    pub fn with_config(settings: &DriverSettings, config: &MsticConfig, tenant: Option<String>) -> Result<ArmClient> {
        let options = merged_options(settings, provider_args(config, &["AzureCLI"]));
        let endpoints = CloudEndpoints::resolve(config, &options);
        let endpoint = endpoints.resource_manager.trim_end_matches('/').to_string();
        let scope = options.get(&["resource_manager_scope"]).map(str::to_string).unwrap_or_else(|| format!("{endpoint}/.default"));
        let tenant = tenant.or_else(|| options.get(&["tenant_id"]).map(str::to_string));
        let auth = Arc::new(build_auth(config, &options, &endpoints, tenant)?);
        let timeout = options.seconds(&["timeout"])?.unwrap_or(DEFAULT_TIMEOUT);
        let client = ServiceClient::new(SERVICE, Authorization::Azure { auth, scope }, options.retry_policy()?, timeout)?;
        Ok(ArmClient { client, endpoint })
    }

    /// The Resource Manager endpoint (`https://management.azure.com` or the configured one),
    /// without a trailing `/`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Signs in now (a token for the Resource Manager scope), so a wrong credential shows when a
    /// driver connects rather than at its first query.
    pub fn check_credentials(&self) -> Result<()> {
        run(self.client.check_credentials())
    }

    /// Shows in the notebook that the client is connected to `target`, and with which credential.
    pub fn announce_connection(&self, target: &str) {
        self.client.announce_connection(target);
    }

    /// `GET {endpoint}{path}?api-version=…&query…` (query values are percent-encoded); the JSON
    /// answer. `needs` is the Azure role the call needs (e.g. `"Microsoft Sentinel Reader"`),
    /// named in the error of a `403`.
    pub fn get(&self, path: &str, api_version: &str, query: &[(&str, &str)], needs: &str) -> Result<Value> {
        self.send(Method::Get, &self.url(path, api_version, query), path, None, needs)
    }

    /// The items of a list (`{"value": [...], "nextLink": "..."}`): GETs the first page, then each
    /// `nextLink` (an absolute URL on the same endpoint) until there is none or `limit` items were
    /// read.
    pub fn list(&self, path: &str, api_version: &str, query: &[(&str, &str)], limit: Option<usize>, needs: &str) -> Result<Vec<Value>> {
        let mut url = self.url(path, api_version, query);
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self.send(Method::Get, &url, path, None, needs)?;
            let values = match page.get("value") {
                Some(Value::Array(values)) => values.clone(),
                None | Some(Value::Null) => Vec::new(),
                Some(_) => return Err(remote(Method::Get, path, "the answer's 'value' is not a list".into())),
            };
            items.extend(values);
            if limit.is_some_and(|limit| items.len() >= limit) {
                break;
            }
            match page.get("nextLink").and_then(Value::as_str).filter(|link| !link.is_empty()) {
                Some(link) => url = self.checked_next_link(link, path)?,
                None => break,
            }
        }
        if let Some(limit) = limit {
            items.truncate(limit);
        }
        Ok(items)
    }

    /// `POST` a JSON `body` to `{endpoint}{path}?api-version=…`; the JSON answer (`Value::Null`
    /// for an empty body).
    pub fn post(&self, path: &str, api_version: &str, body: &Value, needs: &str) -> Result<Value> {
        self.send(Method::Post, &self.url(path, api_version, &[]), path, Some(body), needs)
    }

    /// `PUT` a JSON `body` (create or replace the resource at `path`); the JSON answer
    /// (`Value::Null` for an empty body).
    pub fn put(&self, path: &str, api_version: &str, body: &Value, needs: &str) -> Result<Value> {
        self.send(Method::Put, &self.url(path, api_version, &[]), path, Some(body), needs)
    }

    /// `DELETE` the resource at `path` (a `404` is an error naming the path).
    pub fn delete(&self, path: &str, api_version: &str, needs: &str) -> Result<()> {
        self.send(Method::Delete, &self.url(path, api_version, &[]), path, None, needs).map(|_| ())
    }

    /// `{endpoint}{path}?api-version=…&name=value…`.
    fn url(&self, path: &str, api_version: &str, query: &[(&str, &str)]) -> String {
        build_url(&self.endpoint, path, api_version, query)
    }

    /// A `nextLink` to follow: only on the client's own endpoint (the bearer token goes with it).
    fn checked_next_link(&self, link: &str, path: &str) -> Result<String> {
        let origin = |text: &str| reqwest::Url::parse(text).ok().map(|u| (u.scheme().to_string(), u.host_str().map(str::to_ascii_lowercase), u.port_or_known_default()));
        match (origin(link), origin(&self.endpoint)) {
            (Some(next), Some(own)) if next == own => Ok(link.to_string()),
            _ => Err(remote(Method::Get, path, format!("the answer's nextLink does not point at {} and is not followed", self.endpoint))),
        }
    }

    fn send(&self, method: Method, url: &str, path: &str, body: Option<&Value>, needs: &str) -> Result<Value> {
        let context = describe(method, path);
        let request = ServiceRequest {
            method,
            url: url.to_string(),
            body: body.map(|b| ("application/json", b.to_string().into_bytes())),
            headers: Vec::new(),
            timeout: None,
            context: context.clone(),
        };
        let bytes = run(self.client.send(&request)).map_err(|e| with_role_hint(e, &context, path, needs))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| remote(method, path, format!("the answer is not JSON: {e}")))
    }
}

/// `{endpoint}{path}?api-version=…&name=value…` with every query value percent-encoded (names
/// such as `$filter` keep their `$`).
fn build_url(endpoint: &str, path: &str, api_version: &str, query: &[(&str, &str)]) -> String {
    let slash = if path.starts_with('/') { "" } else { "/" };
    let mut url = format!("{endpoint}{slash}{path}?api-version={}", super::http::percent_encode(api_version));
    for (name, value) in query {
        let name: String = name.split('$').map(super::http::percent_encode).collect::<Vec<_>>().join("$");
        url.push_str(&format!("&{name}={}", super::http::percent_encode(value)));
    }
    url
}

/// `GET /subscriptions/…` (the path without any query string), for messages.
fn describe(method: Method, path: &str) -> String {
    let verb = match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    };
    format!("{verb} {}", path.split(['?', '#']).next().unwrap_or(path))
}

fn remote(method: Method, path: &str, message: String) -> Error {
    Error::Remote { service: SERVICE.into(), message: format!("{}: {message}", describe(method, path)) }
}

/// Adds "the identity needs the '<role>' role (or higher) on <scope>" to a `403` error.
fn with_role_hint(error: Error, context: &str, path: &str, needs: &str) -> Error {
    match error {
        Error::Remote { service, message } if !needs.is_empty() && message.starts_with(&format!("{context}: 403")) => Error::Remote {
            service,
            message: format!("{message}; the identity needs the '{needs}' role (or higher) on {}", role_scope(path)),
        },
        other => other,
    }
}

/// The scope a role is assigned on, from an ARM path: the first resource
/// (`/subscriptions/s/resourceGroups/g/providers/Ns/type/name`), else the resource group, else the
/// subscription; tenant-level paths give "the subscriptions queried".
fn role_scope(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if !segments.first().is_some_and(|s| s.eq_ignore_ascii_case("subscriptions")) || segments.len() < 2 {
        return "the subscriptions queried".to_string();
    }
    let mut take = 2;
    if segments.get(2).is_some_and(|s| s.eq_ignore_ascii_case("resourceGroups")) && segments.len() >= 4 {
        take = 4;
        if segments.get(4).is_some_and(|s| s.eq_ignore_ascii_case("providers")) && segments.len() >= 8 {
            take = 8;
        }
    }
    format!("/{}", segments[..take].join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKSPACE: &str = "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.OperationalInsights/workspaces/ws-1";

    #[test]
    fn urls_carry_the_api_version_and_encoded_query_values() {
        let url = build_url("https://arm.example", &format!("{WORKSPACE}/providers/Microsoft.SecurityInsights/incidents"), "2024-03-01", &[
            ("$filter", "properties/status eq 'New'"),
            ("$top", "5"),
        ]);
        assert_eq!(
            url,
            format!("https://arm.example{WORKSPACE}/providers/Microsoft.SecurityInsights/incidents?api-version=2024-03-01&$filter=properties%2Fstatus%20eq%20%27New%27&$top=5")
        );
        assert_eq!(build_url("https://arm.example", "providers/X", "1", &[]), "https://arm.example/providers/X?api-version=1");
    }

    #[test]
    fn role_scope_is_the_resource_group_or_resource() {
        assert_eq!(role_scope(&format!("{WORKSPACE}/providers/Microsoft.SecurityInsights/incidents/abc?x=1")), WORKSPACE);
        assert_eq!(role_scope("/subscriptions/sub-1/resourceGroups/rg-1/resources"), "/subscriptions/sub-1/resourceGroups/rg-1");
        assert_eq!(role_scope("/subscriptions/sub-1/resources"), "/subscriptions/sub-1");
        assert_eq!(role_scope("/providers/Microsoft.ResourceGraph/resources"), "the subscriptions queried");
    }

    #[test]
    fn a_403_names_the_role_and_scope_other_errors_are_unchanged() {
        let path = format!("{WORKSPACE}/providers/Microsoft.SecurityInsights/incidents");
        let context = describe(Method::Get, &format!("{path}?$top=1"));
        assert_eq!(context, format!("GET {path}"));
        let forbidden = Error::Remote { service: SERVICE.into(), message: format!("{context}: 403 Forbidden: the identity lacks permission") };
        let text = with_role_hint(forbidden, &context, &path, "Microsoft Sentinel Reader").to_string();
        assert!(text.contains(&format!("the identity needs the 'Microsoft Sentinel Reader' role (or higher) on {WORKSPACE}")), "{text}");
        let not_found = Error::Remote { service: SERVICE.into(), message: format!("{context}: HTTP 404: NotFound") };
        let text = with_role_hint(not_found, &context, &path, "Microsoft Sentinel Reader").to_string();
        assert!(!text.contains("role") && text.contains("HTTP 404"), "{text}");
    }

    #[test]
    fn next_links_must_stay_on_the_endpoint() {
        let arm = ArmClient::with_config(
            &DriverSettings::default().set("resource_manager_endpoint", "https://management.azure.com"),
            &MsticConfig::default(),
            None,
        )
        .expect("client");
        assert!(arm.checked_next_link("https://management.azure.com:443/subscriptions/s/x?$skipToken=1", "/x").is_ok());
        let error = arm.checked_next_link("https://evil.example/steal", "/subscriptions/s/x").expect_err("other host");
        assert!(error.to_string().contains("GET /subscriptions/s/x: the answer's nextLink does not point at https://management.azure.com"), "{error}");
    }
}
