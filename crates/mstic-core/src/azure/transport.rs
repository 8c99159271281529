//! The HTTP client behind every sign-in request, ours and the Azure SDK's: one reqwest client
//! (rustls, plus the `ca_bundle` roots), given to the SDK as its transport. It also routes the
//! addresses the SDK fixes to the ones configured:
//!
//! * the SDK only accepts `https` authority hosts and vault URLs; a loopback server configured as
//!   `http://127.0.0.1:port` is given to the SDK as `https://127.0.0.1:port` and reached over
//!   plain HTTP here;
//! * the instance metadata service (`169.254.169.254`) goes to `managed_identity_endpoint` when
//!   set; when it cannot be reached at all, managed identity is unavailable at once (the SDK
//!   would otherwise retry for a minute).
//!
//! Failing sign-in requests are retried a few times within seconds; a server certificate that
//! is not trusted is not retried at all.

use super::endpoints::is_loopback_url;
use crate::{Error, Result};
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::error::ErrorKind;
use azure_core::http::{AsyncRawResponse, ClientOptions, ExponentialRetryOptions, HttpClient, Request, RetryOptions, Transport, Url};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The address of the Azure instance metadata service.
const IMDS_HOST: &str = "169.254.169.254";

/// One address the SDK uses that is sent elsewhere.
#[derive(Debug, Clone)]
struct Route {
    /// Scheme, host and port the SDK sends to (and the path, for the metadata service).
    from: Url,
    /// Where the request goes instead.
    to: Url,
}

/// The sign-in HTTP client (cheap to clone).
#[derive(Debug, Clone)]
pub(crate) struct AuthTransport {
    http: reqwest::Client,
    metadata: reqwest::Client,
    routes: Arc<Vec<Route>>,
}

impl AuthTransport {
    /// A client with `timeout` per request, trusting the PEM roots of `ca_bundle` besides the
    /// system's.
    pub fn new(ca_bundle: Option<&Path>, timeout: Duration) -> Result<AuthTransport> {
        let roots = match ca_bundle {
            None => Vec::new(),
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| Error::file(path, format!("cannot read the ca_bundle: {e}")))?;
                let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::file(path, format!("not a PEM certificate bundle: {e}")))?;
                if roots.is_empty() {
                    return Err(Error::file(path, "the ca_bundle holds no PEM certificate"));
                }
                roots
            }
        };
        let build = |connect: Duration| {
            reqwest::Client::builder()
                .connect_timeout(connect)
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .tls_certs_merge(roots.clone())
                .build()
                .map_err(|e| Error::Config(format!("cannot create the sign-in HTTP client: {e}")))
        };
        Ok(AuthTransport { http: build(Duration::from_secs(10))?, metadata: build(Duration::from_secs(2))?, routes: Arc::new(Vec::new()) })
    }

    /// The reqwest client, for the flows this crate implements itself.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Makes a loopback `http` address usable by the SDK: returns the `https` form to give it,
    /// and routes that form back to plain HTTP. Other addresses are returned unchanged.
    pub fn sdk_address(&mut self, url: &Url) -> Url {
        if url.scheme() != "http" || !is_loopback_url(url) {
            return url.clone();
        }
        let mut sdk = url.clone();
        // Changing between two special schemes keeps the rest of the URL; the port stays explicit.
        let port = url.port_or_known_default();
        let _ = sdk.set_scheme("https");
        let _ = sdk.set_port(port);
        let mut from = sdk.clone();
        from.set_path("");
        from.set_query(None);
        let mut to = url.clone();
        to.set_path("");
        to.set_query(None);
        Arc::make_mut(&mut self.routes).push(Route { from, to });
        sdk
    }

    /// Sends the SDK's instance metadata requests to `endpoint` (a full token URL).
    pub fn route_metadata_service(&mut self, endpoint: Url) {
        let from = Url::parse(&format!("http://{IMDS_HOST}/metadata/identity/oauth2/token")).expect("a valid constant URL");
        Arc::make_mut(&mut self.routes).push(Route { from, to: endpoint });
    }

    /// SDK client options using this transport, with `authority` as the sign-in authority.
    pub fn client_options(&self, authority: Option<&Url>) -> ClientOptions {
        let cloud = authority.map(|authority| {
            let mut custom = CustomConfiguration::default();
            custom.authority_host = authority.as_str().trim_end_matches('/').to_string();
            Arc::new(CloudConfiguration::Custom(custom))
        });
        // A sign-in that keeps failing is reported within seconds (the SDK's default retries for a
        // minute); each credential of the chain gets its turn.
        let retry = RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: azure_core::time::Duration::milliseconds(500),
            max_retries: 3,
            max_total_elapsed: azure_core::time::Duration::seconds(15),
            max_delay: azure_core::time::Duration::seconds(4),
        });
        ClientOptions { transport: Some(Transport::new(Arc::new(self.clone()))), cloud, retry, ..Default::default() }
    }

    /// The address a request of the SDK really goes to.
    fn route(&self, url: &Url) -> Option<Url> {
        self.routes.iter().find_map(|route| {
            let same_origin = route.from.scheme() == url.scheme()
                && route.from.host_str() == url.host_str()
                && route.from.port_or_known_default() == url.port_or_known_default();
            if !same_origin {
                return None;
            }
            let from_path = route.from.path().trim_end_matches('/');
            if from_path.is_empty() {
                // Same origin: keep the path and query.
                let mut routed = url.clone();
                let _ = routed.set_scheme(route.to.scheme());
                let _ = routed.set_host(route.to.host_str());
                let _ = routed.set_port(route.to.port_or_known_default());
                return Some(routed);
            }
            (url.path().trim_end_matches('/') == from_path).then(|| {
                let mut routed = route.to.clone();
                routed.set_query(url.query());
                routed
            })
        })
    }
}

#[async_trait::async_trait]
impl HttpClient for AuthTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let metadata_service = request.url().host_str() == Some(IMDS_HOST);
        let client = if metadata_service { &self.metadata } else { &self.http };
        let result = match self.route(request.url()) {
            Some(url) => {
                let mut routed = request.clone();
                *routed.url_mut() = url;
                client.execute_request(&routed).await
            }
            None => client.execute_request(request).await,
        };
        match result {
            // An untrusted certificate stays untrusted: no retries.
            Err(error) if tls_trust_failure(&error) => Err(azure_core::Error::with_message(
                ErrorKind::Other,
                format!(
                    "the TLS certificate of {} is not trusted ({}); add its certificate authority with the ca_bundle setting",
                    request.url().host_str().unwrap_or_default(),
                    super::sdk_error_text(&error)
                ),
            )),
            Err(error) if metadata_service && matches!(error.kind(), ErrorKind::Connection | ErrorKind::Io) => Err(azure_core::Error::with_message(
                ErrorKind::Credential,
                format!("no managed identity here: the instance metadata service did not answer ({})", super::sdk_error_text(&error)),
            )),
            other => other,
        }
    }
}

/// Whether `error` comes from a TLS handshake that rejected the server's certificate.
fn tls_trust_failure(error: &azure_core::Error) -> bool {
    let mut pending: Vec<&(dyn std::error::Error + 'static)> = vec![error];
    while let Some(inner) = pending.pop() {
        if matches!(inner.downcast_ref::<rustls::Error>(), Some(rustls::Error::InvalidCertificate(_))) {
            return true;
        }
        // An `io::Error` hides the error it wraps from `source()`.
        if let Some(wrapped) = inner.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            pending.push(wrapped);
        }
        pending.extend(inner.source());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_is_given_to_the_sdk_as_https() {
        let mut transport = AuthTransport::new(None, Duration::from_secs(5)).unwrap();
        let local = Url::parse("http://127.0.0.1:4567").unwrap();
        let sdk = transport.sdk_address(&local);
        assert_eq!(sdk.as_str(), "https://127.0.0.1:4567/");
        let token = Url::parse("https://127.0.0.1:4567/tenant/oauth2/v2.0/token?x=1").unwrap();
        assert_eq!(transport.route(&token).unwrap().as_str(), "http://127.0.0.1:4567/tenant/oauth2/v2.0/token?x=1");
        assert!(transport.route(&Url::parse("https://127.0.0.1:9999/").unwrap()).is_none(), "other ports are untouched");
        let remote = Url::parse("http://login.example.com").unwrap();
        assert_eq!(transport.sdk_address(&remote), remote, "only loopback addresses are rewritten");
    }

    #[test]
    fn metadata_service_requests_go_to_the_configured_endpoint() {
        let mut transport = AuthTransport::new(None, Duration::from_secs(5)).unwrap();
        transport.route_metadata_service(Url::parse("http://127.0.0.1:8000/msi/token").unwrap());
        let imds = Url::parse("http://169.254.169.254/metadata/identity/oauth2/token?api-version=2019-08-01&resource=r").unwrap();
        assert_eq!(transport.route(&imds).unwrap().as_str(), "http://127.0.0.1:8000/msi/token?api-version=2019-08-01&resource=r");
    }

    #[test]
    fn unreadable_ca_bundle_names_the_file() {
        let err = AuthTransport::new(Some(Path::new("/nonexistent/ca.pem")), Duration::from_secs(1)).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/ca.pem") && err.contains("ca_bundle"), "{err}");
    }
}
