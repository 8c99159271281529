//! Azure (Entra ID) sign-in for every driver and provider of the session: Log Analytics, Kusto,
//! Defender, Graph, ARM and Key Vault secrets.
//!
//! Credentials come from `azure_identity` (environment, Azure CLI, managed identity, workload
//! identity, client secret, client certificate); this module adds what the library lacks: the
//! device-code sign-in (OAuth 2.0 device authorization grant) shown in the notebook, the browser
//! sign-in (authorization code with PKCE), MSTICPy's `auth_methods` order, and one token cache for
//! the whole session. A user sign-in (device code or browser) keeps its refresh token for the
//! session, so one sign-in serves every service the account may use.
//!
//! Endpoints must use `https`; plain `http` is accepted only for loopback addresses (local test
//! and demo servers).
//!
//! ```no_run
//! use mstic_core::azure::{AuthSettings, AzureAuth};
//! let settings = AuthSettings { methods: Some(vec!["cli".into(), "devicecode".into()]), ..Default::default() };
//! let auth = AzureAuth::new(&settings)?;
//! let token = mstic_core::runtime::block_on(auth.token("https://api.loganalytics.io/.default"))?;
//! # Ok::<(), mstic_core::Error>(())
//! ```

mod cache;
mod certificate;
mod chain;
mod claims;
mod cli;
mod device_code;
mod endpoints;
mod interactive;
mod methods;
mod settings;
mod transport;
mod user_sign_in;

pub use chain::{AzureAuth, SignedIn};
pub use endpoints::{Cloud, check_secure_url, is_loopback_url};
pub use methods::{AuthMethod, DEFAULT_AUTH_METHODS};
pub use settings::AuthSettings;
pub(crate) use transport::AuthTransport;

/// Describes an error of the Azure SDK with its causes (their messages never hold secrets: the
/// SDK's messages carry URLs, status codes and the service's error descriptions).
pub(crate) fn sdk_error_text(error: &azure_core::Error) -> String {
    let mut text = error.to_string().trim().to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    // The SDK appends a troubleshooting link on its own line; keep messages on one line.
    text.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}
