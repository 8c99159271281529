//! `{KeyVault: …}` settings: secrets read from Azure Key Vault with the session's Azure sign-in
//! (`Azure.auth_methods` and the other `Azure` settings; the `KeyVault` section's `TenantId` and
//! `Authority`), through `azure_security_keyvault_secrets`, and kept for the session. Errors name
//! the vault and the secret, never a value.

use super::sections::KeyVaultSettings;
use super::setting::{Setting, scalar_text};
use super::{MsticConfig, Secret, mapping_keys, section};
use crate::azure::{AuthSettings, AzureAuth, Cloud, check_secure_url, is_loopback_url};
use crate::{Error, Result};
use azure_core::credentials::TokenCredential;
use azure_core::http::{StatusCode, Url};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use serde_yaml_ng::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How the `{KeyVault: …}` settings of one configuration are read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyVaultAccess {
    /// The `KeyVault` section.
    pub settings: KeyVaultSettings,
    /// The sign-in (from the `Azure` section, with the `KeyVault` tenant and cloud).
    auth: AuthSettings,
    /// A problem in those settings, reported when a secret is needed.
    problem: Option<String>,
}

impl Eq for KeyVaultAccess {}

impl KeyVaultAccess {
    /// The Key Vault access of `config`.
    pub(crate) fn from_config(config: &MsticConfig) -> KeyVaultAccess {
        let settings = config.key_vault().unwrap_or_default();
        let azure = config.get("Azure");
        let lookup = |names: &[&str]| -> Option<String> {
            let node = azure?;
            names.iter().find_map(|name| {
                let key = mapping_keys(node).into_iter().find(|k| normalise(k) == normalise(name))?;
                match section(node, &key)? {
                    Value::Sequence(items) => Some(items.iter().filter_map(scalar_text).collect::<Vec<_>>().join(", ")),
                    // `{EnvironmentVar: NAME}` (a Key Vault reference here could not be read).
                    mapping @ Value::Mapping(_) => Setting::from_yaml(&format!("Azure.{key}"), mapping, None).resolve().ok(),
                    other => scalar_text(other),
                }
            })
        };
        let (mut auth, problem) = match AuthSettings::from_lookup(&lookup) {
            Ok(auth) => (auth, None),
            Err(e) => (AuthSettings::default(), Some(e.to_string())),
        };
        if settings.tenant_id.is_some() {
            auth.tenant_id = settings.tenant_id.clone();
        }
        if settings.authority.is_some() {
            auth.cloud = settings.authority.clone();
        }
        KeyVaultAccess { settings, auth, problem }
    }

    /// The address of vault `vault`: a URL as given (`https`, or `http` on a loopback address),
    /// else `https://{vault}.{the cloud's Key Vault domain}`.
    pub fn vault_url(&self, vault: &str) -> Result<Url> {
        if vault.contains("://") {
            return check_secure_url(vault, "Key Vault URL");
        }
        if vault.is_empty() || !vault.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::invalid("Key Vault name", format!("'{vault}' is not a vault name (letters, digits and '-')")));
        }
        let cloud = Cloud::parse(self.auth.cloud.as_deref())?;
        check_secure_url(&format!("https://{vault}.{}", cloud.key_vault_domain()), "Key Vault URL")
    }

    /// Secret `name` of `vault` (the `KeyVault.VaultName` vault when `None`), for setting
    /// `setting`: from the session's cache, else from the vault.
    pub fn secret(&self, vault: Option<&str>, name: &str, setting: &str) -> Result<Secret> {
        let vault = vault.or(self.settings.vault_name.as_deref()).ok_or_else(|| {
            Error::Config(format!(
                "setting '{setting}' is stored in Azure Key Vault (secret '{name}') but no vault is named: set KeyVault.VaultName \
                 in msticpyconfig.yaml or write {{KeyVault: vault/secret}}"
            ))
        })?;
        if let Some(problem) = &self.problem {
            return Err(Error::Config(format!("setting '{setting}' is stored in Key Vault '{vault}', but the Azure settings are wrong: {problem}")));
        }
        let url = self.vault_url(vault)?;
        let key = (url.to_string(), name.to_string());
        if let Some(value) = cached().lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(value.clone());
        }
        let value = crate::interrupt::block_on("reading a Key Vault secret", self.fetch(&url, vault, name, setting))?;
        cached().lock().unwrap_or_else(|e| e.into_inner()).insert(key, value.clone());
        Ok(value)
    }

    async fn fetch(&self, url: &Url, vault: &str, name: &str, setting: &str) -> Result<Secret> {
        let what = format!("secret '{name}' of Key Vault '{vault}' (setting '{setting}')");
        let auth = Arc::new(AzureAuth::new(&self.auth)?);
        let mut transport = crate::azure::AuthTransport::new(self.auth.ca_bundle.as_deref(), std::time::Duration::from_secs(60))?;
        let sdk_url = transport.sdk_address(url);
        let options = SecretClientOptions {
            client_options: transport.client_options(None),
            // The SDK checks that the vault's sign-in challenge names the vault's domain, which a
            // loopback test vault cannot.
            verify_challenge_resource: Some(!is_loopback_url(url)),
            ..Default::default()
        };
        let client = SecretClient::new(sdk_url.as_str(), auth.clone() as Arc<dyn TokenCredential>, Some(options))
            .map_err(|e| remote(format!("{what}: {}", crate::azure::sdk_error_text(&e))))?;
        let response = client.get_secret(name, None).await.map_err(|e| {
            let who = auth.signed_in().map(|s| format!(" (signed in with {s})")).unwrap_or_default();
            match e.http_status() {
                Some(StatusCode::NotFound) => remote(format!("Key Vault '{vault}' has no secret '{name}' (setting '{setting}')")),
                Some(StatusCode::Unauthorized | StatusCode::Forbidden) => remote(format!(
                    "access to {what} was denied{who}; the identity needs permission to get secrets of the vault"
                )),
                Some(status) => remote(format!("{what}: the vault answered HTTP {}", u16::from(status))),
                None => remote(format!("cannot read {what}: {}", crate::azure::sdk_error_text(&e))),
            }
        })?;
        let secret = response.into_model().map_err(|e| remote(format!("{what}: unreadable answer: {}", crate::azure::sdk_error_text(&e))))?;
        secret.value.map(Secret::new).ok_or_else(|| remote(format!("{what} has no value")))
    }
}

fn normalise(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, '_' | '-')).flat_map(char::to_lowercase).collect()
}

fn remote(message: String) -> Error {
    Error::Remote { service: "Key Vault".into(), message }
}

type Secrets = Mutex<HashMap<(String, String), Secret>>;

/// The session's Key Vault values, by vault URL and secret name.
fn cached() -> Arc<Secrets> {
    crate::session::get_or_init("mstic-core.key-vault.secrets", Secrets::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_addresses_by_cloud() {
        let config = MsticConfig::from_yaml_str("KeyVault:\n  VaultName: mstic-kv\n  Authority: usgov\n  TenantId: t-1\n", "kv.yaml").unwrap();
        let access = KeyVaultAccess::from_config(&config);
        assert_eq!(access.vault_url("mstic-kv").unwrap().as_str(), "https://mstic-kv.vault.usgovcloudapi.net/");
        assert_eq!(access.auth.tenant_id.as_deref(), Some("t-1"));
        assert_eq!(access.vault_url("http://127.0.0.1:8200").unwrap().as_str(), "http://127.0.0.1:8200/");
        assert!(access.vault_url("http://vault.example.com").unwrap_err().to_string().contains("must use https"));
        assert!(access.vault_url("bad name!").is_err());
        let err = KeyVaultAccess::default().secret(None, "TIProviders-OTX-Args-AuthKey", "TIProviders.OTX.Args.AuthKey").unwrap_err().to_string();
        assert!(err.contains("no vault is named") && err.contains("TIProviders.OTX.Args.AuthKey"), "{err}");
    }

    #[test]
    fn azure_section_drives_the_sign_in() {
        let yaml = "Azure:\n  auth_methods: [cli, devicecode]\n  authority_host: http://127.0.0.1:9\nKeyVault:\n  VaultName: v\n";
        let access = KeyVaultAccess::from_config(&MsticConfig::from_yaml_str(yaml, "kv.yaml").unwrap());
        assert_eq!(access.auth.methods, Some(vec!["cli".to_string(), "devicecode".to_string()]));
        assert_eq!(access.auth.authority_host.as_deref(), Some("http://127.0.0.1:9"));
    }
}
