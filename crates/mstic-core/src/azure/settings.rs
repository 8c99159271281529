//! [`AuthSettings`]: everything a credential chain is built from, read from driver options or
//! `msticpyconfig.yaml` sections by setting name.

use super::methods::split_list;
use crate::config::{Secret, shown_value};
use crate::{Error, Result};
use std::path::PathBuf;
use std::time::Duration;

/// The settings of one credential chain. Unset values fall back to the standard environment
/// variables where Azure tools use them (`AZURE_TENANT_ID`, `AZURE_AUTHORITY_HOST`,
/// `REQUESTS_CA_BUNDLE`).
#[derive(Clone, Default, PartialEq)]
pub struct AuthSettings {
    /// `auth_methods`, tried in order; `None`: MSTICPy's default order.
    pub methods: Option<Vec<String>>,
    /// `cloud`: `global`, `usgov` or `cn` (the authority host and Key Vault domain).
    pub cloud: Option<String>,
    /// `authority_host`, e.g. `https://login.microsoftonline.com`.
    pub authority_host: Option<String>,
    /// `tenant_id`: the tenant to sign in to.
    pub tenant_id: Option<String>,
    /// `client_id`: the app registration of `clientsecret` and `certificate`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<Secret>,
    /// `certificate_path`: a PEM file with the app's certificate and its RSA private key.
    pub certificate_path: Option<PathBuf>,
    /// `public_client_id`: the public client app of device-code and browser sign-ins (default:
    /// the Azure CLI's).
    pub public_client_id: Option<String>,
    /// `managed_identity_client_id`: a user-assigned managed identity.
    pub managed_identity_client_id: Option<String>,
    /// `managed_identity_endpoint`: another address for the instance metadata service.
    pub managed_identity_endpoint: Option<String>,
    /// `federated_token_file` of a workload identity (else `AZURE_FEDERATED_TOKEN_FILE`).
    pub federated_token_file: Option<PathBuf>,
    /// `access_token`: a token obtained elsewhere, used as is.
    pub access_token: Option<Secret>,
    /// `ca_bundle`: extra trusted root certificates (PEM) for sign-in and Key Vault requests, e.g.
    /// of a TLS-inspecting proxy (else `REQUESTS_CA_BUNDLE`).
    pub ca_bundle: Option<PathBuf>,
    /// `auth_timeout`: time-out of each token request (default 60 s).
    pub timeout: Option<Duration>,
    /// `sign_in_timeout`: how long a device-code or browser sign-in waits for the user (default
    /// 10 minutes, or the code's own lifetime when shorter).
    pub sign_in_timeout: Option<Duration>,
}

impl AuthSettings {
    /// Reads the settings by name through `lookup`, which returns the first of the given names
    /// that is set (names as in MSTICPy's `Args` and our driver options: `ClientId`/`client_id`…).
    pub fn from_lookup(lookup: &dyn Fn(&[&str]) -> Option<String>) -> Result<AuthSettings> {
        let text = |names: &[&str]| lookup(names).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let seconds = |name: &str| -> Result<Option<Duration>> {
            match text(&[name]) {
                None => Ok(None),
                Some(value) => value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0 && s.is_finite())
                    .map(|s| Some(Duration::from_secs_f64(s)))
                    .ok_or_else(|| Error::invalid(format!("setting '{name}'"), format!("'{value}' is not a number of seconds"))),
            }
        };
        Ok(AuthSettings {
            methods: text(&["auth_methods"]).map(|list| split_list(&list)),
            cloud: text(&["cloud"]),
            authority_host: text(&["authority_host"]),
            tenant_id: text(&["tenant_id", "tenantid"]),
            client_id: text(&["client_id", "clientid"]),
            client_secret: text(&["client_secret", "clientsecret"]).map(Secret::new),
            certificate_path: text(&["certificate_path", "certificate", "client_certificate_path"]).map(|p| crate::config::expand_home(&p)),
            public_client_id: text(&["public_client_id"]),
            managed_identity_client_id: text(&["managed_identity_client_id", "msi_client_id"]),
            managed_identity_endpoint: text(&["managed_identity_endpoint"]),
            federated_token_file: text(&["federated_token_file"]).map(|p| crate::config::expand_home(&p)),
            access_token: text(&["access_token"]).map(Secret::new),
            ca_bundle: text(&["ca_bundle"]).map(|p| crate::config::expand_home(&p)),
            timeout: seconds("auth_timeout")?,
            sign_in_timeout: seconds("sign_in_timeout")?,
        })
    }
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        f.debug_struct("AuthSettings")
            .field("methods", &self.methods)
            .field("cloud", &self.cloud)
            .field("authority_host", &self.authority_host)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("certificate_path", &path(&self.certificate_path).map(|p| shown_value("certificate_path", &p).to_string()))
            .field("public_client_id", &self.public_client_id)
            .field("managed_identity_client_id", &self.managed_identity_client_id)
            .field("managed_identity_endpoint", &self.managed_identity_endpoint)
            .field("federated_token_file", &path(&self.federated_token_file))
            .field("access_token", &self.access_token)
            .field("ca_bundle", &path(&self.ca_bundle))
            .field("timeout", &self.timeout)
            .field("sign_in_timeout", &self.sign_in_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn settings_by_name_with_secrets_hidden() {
        let values: BTreeMap<&str, &str> =
            [("clientid", "app-1"), ("clientsecret", "s3cret"), ("auth_methods", "[cli, devicecode]"), ("sign_in_timeout", "30")].into();
        let settings = AuthSettings::from_lookup(&|names| names.iter().find_map(|n| values.get(n).map(|v| v.to_string()))).unwrap();
        assert_eq!(settings.client_id.as_deref(), Some("app-1"));
        assert_eq!(settings.methods, Some(vec!["cli".to_string(), "devicecode".to_string()]));
        assert_eq!(settings.sign_in_timeout, Some(Duration::from_secs(30)));
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cret") && shown.contains("********"), "{shown}");
        let err = AuthSettings::from_lookup(&|names| (names[0] == "auth_timeout").then(|| "soon".to_string())).unwrap_err();
        assert!(err.to_string().contains("auth_timeout"), "{err}");
    }
}
