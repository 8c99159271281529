//! Typed views of the `msticpyconfig.yaml` sections: workspaces, provider entries
//! (`Args`/`Primary`/`Provider`), query definition folders and Key Vault settings.

use super::key_vault::KeyVaultAccess;
use super::setting::{Setting, scalar_text};
use super::{expand_home, mapping_keys, section};
use crate::Result;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One `AzureSentinel.Workspaces.<Name>` entry: how to reach a Sentinel workspace.
///
/// # Example
///
/// ```
/// use mstic_core::config::MsticConfig;
/// let yaml = "MSSentinel: {Workspaces: {Default: {WorkspaceId: ws-1, TenantId: tenant-1}}}";
/// let workspace = MsticConfig::from_yaml_str(yaml, "inline.yaml")?.workspace("default")?;
/// assert_eq!(workspace.name, "Default");
/// assert_eq!((workspace.workspace_id.as_deref(), workspace.tenant_id.as_deref()), (Some("ws-1"), Some("tenant-1")));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceSettings {
    /// The entry name (`Default` for the default workspace).
    pub name: String,
    /// `WorkspaceId`.
    pub workspace_id: Option<String>,
    /// `TenantId`.
    pub tenant_id: Option<String>,
    /// `SubscriptionId`.
    pub subscription_id: Option<String>,
    /// `ResourceGroup`.
    pub resource_group: Option<String>,
    /// `WorkspaceName`.
    pub workspace_name: Option<String>,
    /// `Args` (credentials passed to connect), unresolved.
    pub args: BTreeMap<String, Setting>,
}

impl WorkspaceSettings {
    pub(crate) fn from_yaml(name: &str, node: &Value, vault: &Arc<KeyVaultAccess>) -> Self {
        let text = |key: &str| section(node, key).and_then(scalar_text);
        WorkspaceSettings {
            name: name.to_string(),
            workspace_id: text("WorkspaceId"),
            tenant_id: text("TenantId"),
            subscription_id: text("SubscriptionId"),
            resource_group: text("ResourceGroup"),
            workspace_name: text("WorkspaceName"),
            args: settings_map(&format!("AzureSentinel.Workspaces.{name}.Args"), section(node, "Args"), vault),
        }
    }
}

/// One provider entry (`TIProviders.OTX`, `DataProviders.Splunk`, `KustoClusters.X`…): its
/// implementation, whether it is primary, and its settings.
///
/// # Example
///
/// ```
/// use mstic_core::config::MsticConfig;
/// let yaml = "TIProviders: {MyOTX: {Provider: OTX, Primary: true, Args: {AuthKey: abc123}}}";
/// let providers = MsticConfig::from_yaml_str(yaml, "inline.yaml")?.ti_providers();
/// let otx = &providers[0];
/// assert_eq!((otx.name.as_str(), otx.provider.as_deref(), otx.primary), ("MyOTX", Some("OTX"), true));
/// assert_eq!(otx.arg("authkey")?.as_deref(), Some("abc123"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProviderSettings {
    /// The entry name in the file (the provider's label in results).
    pub name: String,
    /// `Provider:` (the implementation key, e.g. `OTX`, `GeoLiteLookup`), if given.
    pub provider: Option<String>,
    /// `Primary:` (default false).
    pub primary: bool,
    /// `Args:` settings, unresolved.
    pub args: BTreeMap<String, Setting>,
    /// Other scalar settings of the entry (e.g. `data_paths` joined, `save_folder`).
    pub settings: BTreeMap<String, Setting>,
    /// List-valued settings (e.g. LocalData `data_paths`), from the entry or its `Args`.
    pub lists: BTreeMap<String, Vec<String>>,
}

impl ProviderSettings {
    pub(crate) fn named(name: &str) -> Self {
        ProviderSettings { name: name.to_string(), ..Default::default() }
    }

    pub(crate) fn from_yaml(path: &str, name: &str, node: &Value, vault: &Arc<KeyVaultAccess>) -> Self {
        let mut entry = ProviderSettings::named(name);
        entry.provider = section(node, "Provider").and_then(scalar_text);
        entry.primary = section(node, "Primary").and_then(scalar_text).is_some_and(|p| p.eq_ignore_ascii_case("true"));
        entry.args = settings_map(&format!("{path}.Args"), section(node, "Args"), vault);
        for key in mapping_keys(node) {
            if matches!(key.as_str(), "Args" | "Provider" | "Primary") {
                continue;
            }
            if let Some(value) = section(node, &key) {
                match value {
                    Value::Sequence(items) => {
                        entry.lists.insert(key.clone(), items.iter().filter_map(scalar_text).collect());
                    }
                    other => {
                        entry.settings.insert(key.clone(), in_config(&format!("{path}.{key}"), other, vault));
                    }
                }
            }
        }
        if let Some(args) = section(node, "Args") {
            for key in mapping_keys(args) {
                if let Some(Value::Sequence(items)) = section(args, &key) {
                    entry.lists.entry(key).or_insert_with(|| items.iter().filter_map(scalar_text).collect());
                }
            }
        }
        entry
    }

    /// An `Args` value resolved (plain, environment variable or Key Vault; errors name it).
    /// `Ok(None)` when the argument is absent.
    pub fn arg(&self, name: &str) -> Result<Option<String>> {
        self.args
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, setting)| setting.resolve())
            .transpose()
    }

    /// A list setting as paths (`~` expanded); a scalar setting of that name counts as one path.
    pub fn paths(&self, name: &str) -> Vec<PathBuf> {
        if let Some((_, items)) = self.lists.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            return items.iter().map(|p| expand_home(p)).collect();
        }
        self.settings
            .iter()
            .chain(self.args.iter())
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, s)| s.resolve().ok())
            .map(|p| vec![expand_home(&p)])
            .unwrap_or_default()
    }

    /// Every scalar setting and argument resolved to text, with the names of the secret ones —
    /// the shape a driver is given. Unresolvable secrets are left out and reported as errors.
    pub fn resolved_options(&self) -> (BTreeMap<String, String>, Vec<String>, Vec<crate::Error>) {
        let mut options = BTreeMap::new();
        let mut secrets = Vec::new();
        let mut errors = Vec::new();
        for (key, setting) in self.settings.iter().chain(self.args.iter()) {
            match setting.resolve() {
                Ok(value) => {
                    if setting.is_secret() {
                        secrets.push(key.clone());
                    }
                    options.insert(key.clone(), value);
                }
                Err(e) => errors.push(e),
            }
        }
        (options, secrets, errors)
    }
}

/// `QueryDefinitions`: the built-in folder names (`Default`) and custom folders (`Custom`).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryDefinitions {
    /// Built-in query folders (MSTICPy default `[queries]`).
    pub default: Vec<String>,
    /// Custom folders, `~` expanded and relative paths resolved against the working directory.
    pub custom: Vec<PathBuf>,
}

impl QueryDefinitions {
    pub(crate) fn from_yaml(node: Option<&Value>, _config_path: Option<&Path>) -> Self {
        let list = |key: &str| -> Vec<String> {
            match node.and_then(|n| section(n, key)) {
                Some(Value::Sequence(items)) => items.iter().filter_map(scalar_text).collect(),
                Some(other) => scalar_text(other).into_iter().collect(),
                None => Vec::new(),
            }
        };
        let mut default = list("Default");
        if default.is_empty() {
            default.push("queries".to_string());
        }
        let custom = match node {
            Some(Value::Sequence(items)) => items.iter().filter_map(scalar_text).collect(),
            _ => list("Custom"),
        };
        QueryDefinitions { default, custom: custom.iter().map(|p| expand_home(p)).collect() }
    }
}

/// The `KeyVault` section.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyVaultSettings {
    /// `VaultName`.
    pub vault_name: Option<String>,
    /// `TenantId`.
    pub tenant_id: Option<String>,
    /// `SubscriptionId`.
    pub subscription_id: Option<String>,
    /// `ResourceGroup`.
    pub resource_group: Option<String>,
    /// `AzureRegion`.
    pub azure_region: Option<String>,
    /// `Authority` (global, usgov, cn).
    pub authority: Option<String>,
    /// `UseKeyring` (MSTICPy default true).
    pub use_keyring: bool,
}

impl KeyVaultSettings {
    pub(crate) fn from_yaml(node: &Value) -> Self {
        let text = |key: &str| section(node, key).and_then(scalar_text);
        KeyVaultSettings {
            vault_name: text("VaultName"),
            tenant_id: text("TenantId"),
            subscription_id: text("SubscriptionId"),
            resource_group: text("ResourceGroup"),
            azure_region: text("AzureRegion"),
            authority: text("Authority"),
            use_keyring: text("UseKeyring").map(|v| v.eq_ignore_ascii_case("true")).unwrap_or(true),
        }
    }
}

fn settings_map(path: &str, node: Option<&Value>, vault: &Arc<KeyVaultAccess>) -> BTreeMap<String, Setting> {
    let Some(node) = node else { return BTreeMap::new() };
    mapping_keys(node)
        .into_iter()
        .filter_map(|key| {
            let value = section(node, &key)?;
            (!value.is_sequence()).then(|| (key.clone(), in_config(&format!("{path}.{key}"), value, vault)))
        })
        .collect()
}

/// A setting of a config whose `{KeyVault: …}` values are read with `vault`.
pub(crate) fn in_config(path: &str, value: &Value, vault: &Arc<KeyVaultAccess>) -> Setting {
    Setting::from_yaml(path, value, vault.settings.vault_name.as_deref()).with_key_vault(vault)
}
