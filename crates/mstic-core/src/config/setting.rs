//! One configuration setting that may be a secret: a plain value, `{EnvironmentVar: NAME}` or
//! `{KeyVault: ...}`, resolved only when used, and never shown in Debug or Display output.

use super::key_vault::KeyVaultAccess;
use crate::{Error, Result};
use serde_yaml_ng::Value;
use std::sync::Arc;

pub use super::secret::is_secret_name;

/// Where a setting's value comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum SettingSource {
    /// A value written in the file.
    Plain(String),
    /// `{EnvironmentVar: NAME}`: read from the environment when used.
    EnvironmentVar(String),
    /// `{KeyVault: ref}`: `ref` empty/`default` (secret named after the setting path),
    /// `vault/secret`, or a bare secret name in the configured vault.
    KeyVault(Option<String>),
}

/// A setting with its dotted path in `msticpyconfig.yaml` (e.g. `TIProviders.OTX.Args.AuthKey`),
/// resolved only when used and never shown when it is a secret.
///
/// # Example
///
/// ```
/// use mstic_core::config::MsticConfig;
/// let yaml = "TIProviders: {OTX: {Args: {AuthKey: s3cret, ApiID: {EnvironmentVar: OTX_ID}}}}";
/// let config = MsticConfig::from_yaml_str(yaml, "inline.yaml")?;
/// let key = config.setting("TIProviders.OTX.Args.AuthKey").expect("set");
/// assert_eq!((key.name(), key.to_string(), key.resolve()?), ("AuthKey", "********".to_string(), "s3cret".to_string()));
/// let id = config.setting("TIProviders.OTX.Args.ApiID").expect("set");
/// assert_eq!(id.to_string(), "$env:OTX_ID"); // read from the environment only by resolve()
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Setting {
    /// Dotted path of the setting, used in error messages and Key Vault secret names.
    pub path: String,
    /// Where the value comes from.
    pub source: SettingSource,
    /// Name of the default Key Vault (`KeyVault.VaultName`), if configured.
    pub default_vault: Option<String>,
    /// How `{KeyVault: …}` values are read (the sign-in of the config it came from).
    key_vault: Option<Arc<KeyVaultAccess>>,
}

impl Setting {
    /// Reads a setting from a YAML node: scalars are plain values; `{EnvironmentVar: NAME}` and
    /// `{KeyVault: …}` are references. Other shapes are kept as their YAML text.
    pub fn from_yaml(path: &str, value: &Value, default_vault: Option<&str>) -> Setting {
        let source = match value {
            Value::Mapping(map) => {
                let lookup = |key: &str| map.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v);
                if let Some(name) = lookup("EnvironmentVar") {
                    SettingSource::EnvironmentVar(scalar_text(name).unwrap_or_default())
                } else if let Some(reference) = lookup("KeyVault") {
                    SettingSource::KeyVault(scalar_text(reference).filter(|r| !r.trim().is_empty()))
                } else {
                    SettingSource::Plain(serde_yaml_ng::to_string(value).unwrap_or_default().trim().to_string())
                }
            }
            other => SettingSource::Plain(scalar_text(other).unwrap_or_default()),
        };
        Setting { path: path.to_string(), source, default_vault: default_vault.map(str::to_string), key_vault: None }
    }

    /// The same setting, reading `{KeyVault: …}` values with `access`.
    pub(crate) fn with_key_vault(mut self, access: &Arc<KeyVaultAccess>) -> Setting {
        self.key_vault = Some(access.clone());
        self
    }

    /// The last part of the path (the setting's own name, e.g. `AuthKey`).
    pub fn name(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }

    /// Whether the setting's name marks it as a secret (key, secret, password, token…), or its
    /// value comes from an environment variable or Key Vault.
    pub fn is_secret(&self) -> bool {
        !matches!(self.source, SettingSource::Plain(_)) || is_secret_name(self.name())
    }

    /// The value: plain text, the environment variable's value, or the Key Vault secret (read
    /// with the session's Azure sign-in and kept for the session). Errors name the setting (and
    /// the vault and secret), never a value.
    pub fn resolve(&self) -> Result<String> {
        match &self.source {
            SettingSource::Plain(value) => Ok(value.clone()),
            SettingSource::EnvironmentVar(name) => std::env::var(name).map_err(|_| {
                Error::Config(format!("setting '{}' reads environment variable '{name}', which is not set", self.path))
            }),
            SettingSource::KeyVault(_) => {
                let (vault, secret) = self.key_vault_secret();
                let access = self.key_vault.clone().unwrap_or_default();
                access.secret(vault.as_deref(), &secret, &self.path).map(|value| value.expose().to_string())
            }
        }
    }

    /// The Key Vault `(vault, secret name)` this setting refers to, by MSTICPy's rules.
    pub fn key_vault_secret(&self) -> (Option<String>, String) {
        let default_name = || self.path.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
        match &self.source {
            // A vault given as a URL holds '/' too: the secret name is the last part.
            SettingSource::KeyVault(Some(reference)) if reference != "default" => match reference.rsplit_once('/') {
                Some((vault, secret)) => (Some(vault.to_string()), secret.to_string()),
                None => (self.default_vault.clone(), reference.clone()),
            },
            _ => (self.default_vault.clone(), default_name()),
        }
    }

    fn shown(&self) -> String {
        match &self.source {
            SettingSource::Plain(_) if self.is_secret() => "********".to_string(),
            SettingSource::Plain(value) => value.clone(),
            SettingSource::EnvironmentVar(name) => format!("$env:{name}"),
            SettingSource::KeyVault(_) => {
                let (vault, secret) = self.key_vault_secret();
                format!("KeyVault:{}/{secret}", vault.unwrap_or_default())
            }
        }
    }
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.shown())
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.shown())
    }
}

/// The text of a YAML scalar (`True` → `true`, numbers as written); `None` for null and collections.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Tagged(tagged) => scalar_text(&tagged.value),
        _ => None,
    }
}
