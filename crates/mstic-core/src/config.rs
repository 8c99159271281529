//! `msticpyconfig.yaml`: discovery as MSTICPy does it (`$MSTICPYCONFIG`, `./msticpyconfig.yaml`,
//! `~/.msticpy/msticpyconfig.yaml`) and a typed view of the sections the drivers and providers
//! need. Secrets stay unresolved ([`Setting`]) until a provider asks for them; `{KeyVault: …}`
//! values are then read from Azure Key Vault ([`key_vault`]).

pub mod key_vault;
mod secret;
mod sections;
pub mod setting;
#[cfg(test)]
mod tests;

pub use key_vault::KeyVaultAccess;
pub use secret::{REDACTED, Secret, is_secret_name, shown_value};
pub use sections::{KeyVaultSettings, ProviderSettings, QueryDefinitions, WorkspaceSettings};
pub use setting::{Setting, SettingSource};

use crate::{Error, Result};
use serde_yaml_ng::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The config file name MSTICPy looks for.
pub const CONFIG_FILE_NAME: &str = "msticpyconfig.yaml";
/// The environment variable naming an explicit config file.
pub const CONFIG_ENV_VAR: &str = "MSTICPYCONFIG";

/// A loaded `msticpyconfig.yaml` (or an empty one when none was found): the settings of data
/// providers, threat-intel providers and workspaces.
///
/// # Example
///
/// ```
/// use mstic_core::config::MsticConfig;
/// let yaml = "TIProviders: {OTX: {Args: {AuthKey: abc}}}\nDataProviders: {LocalData: {data_paths: [/data]}}";
/// let config = MsticConfig::from_yaml_str(yaml, "inline.yaml")?;
/// assert_eq!(config.sections(), ["TIProviders", "DataProviders"]);
/// assert_eq!(config.local_data_paths(), [std::path::PathBuf::from("/data")]);
/// assert!(MsticConfig::from_yaml_str("- a list", "bad.yaml").is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct MsticConfig {
    path: Option<PathBuf>,
    root: Value,
}

impl MsticConfig {
    /// Finds and loads the config by MSTICPy's search order; an empty config when there is none.
    pub fn discover() -> Result<Self> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let env = std::env::var_os(CONFIG_ENV_VAR).map(PathBuf::from);
        match find_config_file(env.as_deref(), &cwd, dirs::home_dir().as_deref()) {
            Some(path) => Self::load(&path),
            None => Ok(Self::default()),
        }
    }

    /// Loads a config file; errors name the file (and line, for YAML errors).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
        let mut config = Self::from_yaml_str(&text, path)?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses config text; `origin` names the source in errors.
    pub fn from_yaml_str(text: &str, origin: impl AsRef<Path>) -> Result<Self> {
        let root: Value = serde_yaml_ng::from_str(text).map_err(|e| Error::Parse {
            path: origin.as_ref().to_path_buf(),
            line: e.location().map(|l| l.line()),
            message: e.to_string(),
        })?;
        match root {
            Value::Mapping(_) | Value::Null => Ok(MsticConfig { path: None, root }),
            _ => Err(Error::Parse {
                path: origin.as_ref().to_path_buf(),
                line: None,
                message: "the top level must be a mapping of sections".into(),
            }),
        }
    }

    /// The file this config was read from.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The raw YAML node at a dotted path (`"DataProviders.LocalData.data_paths"`); the
    /// `AzureSentinel`/`MSSentinel` section names are interchangeable.
    pub fn get(&self, dotted: &str) -> Option<&Value> {
        let mut parts = dotted.split('.');
        let first = parts.next()?;
        let mut node = section(&self.root, first).or_else(|| match first {
            "AzureSentinel" => section(&self.root, "MSSentinel"),
            "MSSentinel" => section(&self.root, "AzureSentinel"),
            _ => None,
        })?;
        for part in parts {
            node = section(node, part)?;
        }
        Some(node)
    }

    /// Sets the value at a dotted path (`"Azure.auth_methods"`) to `yaml` (a YAML value such as
    /// `[devicecode]`), creating the sections on the way; a notebook's way to change one setting
    /// of the session's configuration.
    pub fn set_yaml(&mut self, dotted: &str, yaml: &str) -> Result<()> {
        let value: Value = serde_yaml_ng::from_str(yaml).map_err(|e| Error::invalid(format!("value of '{dotted}'"), e.to_string()))?;
        if self.root.is_null() {
            self.root = Value::Mapping(Default::default());
        }
        let mut node = &mut self.root;
        let parts: Vec<&str> = dotted.split('.').filter(|p| !p.is_empty()).collect();
        let Some((last, sections)) = parts.split_last() else {
            return Err(Error::invalid("setting path", format!("'{dotted}' names no setting")));
        };
        for part in sections {
            let map = node.as_mapping_mut().ok_or_else(|| Error::invalid("setting path", format!("'{dotted}': '{part}' is inside a value, not a section")))?;
            let key = map.keys().find(|k| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(part))).cloned().unwrap_or_else(|| Value::String(part.to_string()));
            node = map.entry(key).or_insert_with(|| Value::Mapping(Default::default()));
        }
        let map = node.as_mapping_mut().ok_or_else(|| Error::invalid("setting path", format!("'{dotted}' is inside a value, not a section")))?;
        let key = map.keys().find(|k| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(last))).cloned().unwrap_or_else(|| Value::String(last.to_string()));
        map.insert(key, value);
        Ok(())
    }

    /// Names of the top-level sections present.
    pub fn sections(&self) -> Vec<String> {
        mapping_keys(&self.root)
    }

    /// A [`Setting`] at a dotted path (secrets unresolved).
    pub fn setting(&self, dotted: &str) -> Option<Setting> {
        let vault = self.key_vault_access();
        self.get(dotted).map(|v| sections::in_config(dotted, v, &vault))
    }

    /// How this config's `{KeyVault: …}` settings are read: the `KeyVault` section's vault, tenant
    /// and cloud, signed in with the `Azure` section's settings.
    pub fn key_vault_access(&self) -> Arc<KeyVaultAccess> {
        Arc::new(KeyVaultAccess::from_config(self))
    }

    /// `AzureSentinel.Workspaces` (or `MSSentinel.Workspaces`) by name.
    pub fn workspaces(&self) -> Vec<WorkspaceSettings> {
        let Some(node) = self.get("AzureSentinel.Workspaces") else { return Vec::new() };
        let vault = self.key_vault_access();
        mapping_keys(node)
            .into_iter()
            .filter_map(|name| section(node, &name).map(|ws| WorkspaceSettings::from_yaml(&name, ws, &vault)))
            .collect()
    }

    /// A workspace by name (`"Default"` is the default workspace), case-insensitive.
    pub fn workspace(&self, name: &str) -> Result<WorkspaceSettings> {
        let all = self.workspaces();
        let names: Vec<String> = all.iter().map(|w| w.name.clone()).collect();
        all.into_iter()
            .find(|w| w.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::unknown("workspace", name, names.iter().map(String::as_str)))
    }

    /// `DataProviders.<Name>` entries, plus one `AzureSentinel_<workspace>` per workspace.
    pub fn data_providers(&self) -> Vec<ProviderSettings> {
        let mut providers = self.provider_section("DataProviders");
        for ws in self.workspaces() {
            let mut entry = ProviderSettings::named(&format!("AzureSentinel_{}", ws.name));
            entry.args = ws.args.clone();
            providers.push(entry);
        }
        providers
    }

    /// One data provider's settings, case-insensitive (`"LocalData"`, `"Splunk"`, …).
    pub fn data_provider(&self, name: &str) -> Option<ProviderSettings> {
        self.data_providers().into_iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// `TIProviders.<Name>` entries.
    pub fn ti_providers(&self) -> Vec<ProviderSettings> {
        self.provider_section("TIProviders")
    }

    /// `OtherProviders.<Name>` entries (GeoIPLite, IPStack).
    pub fn other_providers(&self) -> Vec<ProviderSettings> {
        self.provider_section("OtherProviders")
    }

    /// `ContextProviders.<Name>` entries.
    pub fn context_providers(&self) -> Vec<ProviderSettings> {
        self.provider_section("ContextProviders")
    }

    /// `KustoClusters.<Name>` entries (without `ClusterGroups`/`ClusterDefaults`).
    pub fn kusto_clusters(&self) -> Vec<ProviderSettings> {
        self.provider_section("KustoClusters")
            .into_iter()
            .filter(|p| !matches!(p.name.as_str(), "ClusterGroups" | "ClusterDefaults"))
            .collect()
    }

    /// `QueryDefinitions` (also accepted under `msticpy.QueryDefinitions`); default `[queries]`.
    pub fn query_definitions(&self) -> QueryDefinitions {
        let node = self.get("QueryDefinitions").or_else(|| self.get("msticpy.QueryDefinitions"));
        QueryDefinitions::from_yaml(node, self.path.as_deref())
    }

    /// `DataProviders.LocalData.data_paths` (also under `Args`), `~` expanded.
    pub fn local_data_paths(&self) -> Vec<PathBuf> {
        self.data_provider("LocalData").map(|p| p.paths("data_paths")).unwrap_or_default()
    }

    /// `UserDefaults`, as raw YAML (a deprecated section, kept for information).
    pub fn user_defaults(&self) -> Option<&Value> {
        self.get("UserDefaults")
    }

    /// The `KeyVault` section.
    pub fn key_vault(&self) -> Option<KeyVaultSettings> {
        self.get("KeyVault").map(KeyVaultSettings::from_yaml)
    }

    fn provider_section(&self, name: &str) -> Vec<ProviderSettings> {
        let Some(node) = self.get(name) else { return Vec::new() };
        let vault = self.key_vault_access();
        mapping_keys(node)
            .into_iter()
            .filter_map(|key| {
                let entry = section(node, &key)?;
                Some(ProviderSettings::from_yaml(&format!("{name}.{key}"), &key, entry, &vault))
            })
            .collect()
    }
}

impl std::fmt::Debug for MsticConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsticConfig").field("path", &self.path).field("sections", &self.sections()).finish()
    }
}

/// MSTICPy's search order: `env_value` if it names a file, then `cwd/msticpyconfig.yaml`, then
/// `home/.msticpy/msticpyconfig.yaml`.
pub fn find_config_file(env_value: Option<&Path>, cwd: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let candidates = [
        env_value.map(Path::to_path_buf),
        Some(cwd.join(CONFIG_FILE_NAME)),
        home.map(|h| h.join(".msticpy").join(CONFIG_FILE_NAME)),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// Child `key` of a YAML mapping (exact key first, then case-insensitive).
pub(crate) fn section<'a>(node: &'a Value, key: &str) -> Option<&'a Value> {
    let map = node.as_mapping()?;
    map.iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .or_else(|| map.iter().find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(key))))
        .map(|(_, v)| v)
}

/// The string keys of a YAML mapping, in file order.
pub(crate) fn mapping_keys(node: &Value) -> Vec<String> {
    node.as_mapping().map(|m| m.keys().filter_map(setting::scalar_text).collect()).unwrap_or_default()
}

/// Expands a leading `~` to the home folder.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/").or_else(|| (path == "~").then_some("")), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}
