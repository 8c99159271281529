//! Azure sign-in of the remote drivers. The credential chain (`azure_identity` credentials in
//! `auth_methods` order, device-code and browser sign-ins) and the session's token cache live in
//! [`mstic_core::azure`], shared with Key Vault settings and other providers; a driver builds its
//! chain from its options with [`super::settings::build_auth`].

pub use mstic_core::azure::{AuthMethod, AuthSettings, AzureAuth, SignedIn};
pub use mstic_core::config::Secret;
