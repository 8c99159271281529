//! Settings handed to a driver when the `QueryProvider` creates it: built from `msticpyconfig.yaml`
//! (`DataProviders.<Environment>`) and the caller's arguments.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Plain driver settings: local data folders, and every other scalar setting as text
/// (connection settings, with secrets already resolved).
///
/// # Example
/// ```
/// use mstic_data::DriverSettings;
/// let mut settings = DriverSettings::with_data_paths(["logs"]).set("client_secret", "hunter2");
/// settings.merge(DriverSettings::default().set("Cache_Folder", "/tmp/cache"));
/// assert_eq!(settings.data_paths, vec![std::path::PathBuf::from("logs")]);
/// assert_eq!(settings.option("cache_folder"), Some("/tmp/cache"));
/// assert!(!format!("{settings:?}").contains("hunter2"));
/// ```
#[derive(Clone, Default)]
pub struct DriverSettings {
    /// Folders (or files) a local driver reads its data from (`data_paths` in MSTICPy's config).
    pub data_paths: Vec<PathBuf>,
    /// Other driver settings by name (e.g. `cache_folder`, `workspace_id`, `cluster`).
    pub options: BTreeMap<String, String>,
    /// Names of `options` whose values are secrets; they (and options with secret-like names:
    /// secret, password, token, key, certificate…) are never shown in Debug output.
    pub secret_names: Vec<String>,
}

impl DriverSettings {
    /// Settings with just these data paths.
    pub fn with_data_paths<P: Into<PathBuf>>(paths: impl IntoIterator<Item = P>) -> Self {
        DriverSettings { data_paths: paths.into_iter().map(Into::into).collect(), ..Default::default() }
    }

    /// The option `name` (case-insensitive lookup), if set.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Sets option `name` to `value`, returning the settings (builder style).
    ///
    /// # Example
    /// ```
    /// use mstic_data::DriverSettings;
    /// let settings = DriverSettings::with_data_paths(["logs"]).set("offline", "true");
    /// assert_eq!(settings.option("OFFLINE"), Some("true"));
    /// ```
    pub fn set(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.insert(name.into(), value.into());
        self
    }

    /// Takes `other`'s data paths (when it has any) and options over these (an option replaces
    /// one of the same name in any letter case); secret names are added.
    pub fn merge(&mut self, other: DriverSettings) {
        if !other.data_paths.is_empty() {
            self.data_paths = other.data_paths;
        }
        for (name, value) in other.options {
            self.options.retain(|key, _| !key.eq_ignore_ascii_case(&name));
            self.options.insert(name, value);
        }
        for name in other.secret_names {
            if !self.secret_names.iter().any(|known| known.eq_ignore_ascii_case(&name)) {
                self.secret_names.push(name);
            }
        }
    }
}

impl std::fmt::Debug for DriverSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: BTreeMap<&str, &str> = self
            .options
            .iter()
            .map(|(key, value)| {
                let secret = self.secret_names.iter().any(|s| s.eq_ignore_ascii_case(key));
                (key.as_str(), if secret { mstic_core::config::REDACTED } else { mstic_core::config::shown_value(key, value) })
            })
            .collect();
        f.debug_struct("DriverSettings").field("data_paths", &self.data_paths).field("options", &shown).finish()
    }
}
