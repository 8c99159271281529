//! Data environments as MSTICPy names them (with its aliases), the built-in query folders each
//! one reads, which `data_environments` entries of a query file it accepts, and how it formats
//! datetime and list values. The built-in queries are the shipped library compiled into the crate
//! ([`crate::template::builtin`]) unless `MSTIC_QUERIES` names a folder to use instead.

use crate::template::{FormatStyle, QueryLanguage};
use mstic_core::{Error, Result};
use std::path::PathBuf;

/// One data environment: its MSTICPy name and aliases, the query folders and `data_environments`
/// it reads, and how values are written into its queries.
///
/// # Example
/// ```
/// use mstic_data::provider::DataEnvironment;
/// let env = DataEnvironment::find("loganalytics")?;
/// assert_eq!(env.name, "MSSentinel");
/// assert!(env.accepts_file(&["AzureSentinel".to_string()]));
/// assert!(DataEnvironment::find("NoSuchPlace").is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataEnvironment {
    /// The effective name (e.g. `MSSentinel` for `LogAnalytics`).
    pub name: &'static str,
    /// Other names accepted for it.
    pub aliases: &'static [&'static str],
    /// Sub-folders of the built-in query folder read for it.
    pub query_folders: &'static [&'static str],
    /// `data_environments` values of query files that belong to it.
    pub accepts: &'static [&'static str],
    /// How parameter values are written into its queries.
    pub style: FormatStyle,
    /// The language of its query text (how values are escaped in it).
    pub language: QueryLanguage,
}

macro_rules! environment {
    ($name:literal, [$($alias:literal),*], [$($folder:literal),*], [$($accept:literal),*], $style:ident, $language:ident) => {
        DataEnvironment {
            name: $name,
            aliases: &[$($alias),*],
            query_folders: &[$($folder),*],
            accepts: &[$($accept),*],
            style: FormatStyle::$style,
            language: QueryLanguage::$language,
        }
    };
}

/// Every known environment.
pub const ENVIRONMENTS: &[DataEnvironment] = &[
    environment!("MSSentinel", ["AzureSentinel", "LogAnalytics", "MSSentinel_New", "MSSentinel_Legacy", "MSSentinel_KQLM"],
        ["mssentinel", "m365d"], ["MSSentinel", "LogAnalytics", "AzureSentinel"], Sentinel, Kql),
    environment!("MSSentinelSearch", [], ["mssentinel"], ["MSSentinel", "LogAnalytics", "AzureSentinel"], Sentinel, Kql),
    environment!("Kusto", ["AzureDataExplorer", "Kusto_New", "Kusto_Legacy", "Kusto_KQLM"], ["kusto"], ["Kusto", "AzureDataExplorer"], Default, Kql),
    environment!("MDE", ["MDATP", "M365D"], ["mde", "m365d"], ["MDE", "MDATP", "M365D"], Default, Kql),
    environment!("M365DGraph", [], ["m365dgraph", "mde", "m365d"], ["M365DGraph"], Default, Kql),
    environment!("MSGraph", ["SecurityGraph"], ["msgraph"], ["MSGraph", "SecurityGraph"], Default, OData),
    environment!("LocalData", [], ["localdata"], ["LocalData"], Default, Sql),
    environment!("OSQueryLogs", ["OSQuery"], [], ["OSQueryLogs", "OSQuery"], Default, Sql),
    environment!("VelociraptorLogs", ["Velociraptor"], [], ["VelociraptorLogs", "Velociraptor"], Default, Sql),
    environment!("Mordor", ["OTRF"], [], ["Mordor", "OTRF"], Default, Sql),
    environment!("Splunk", [], ["splunk"], ["Splunk"], Splunk, Spl),
    environment!("Sumologic", [], ["sumologic"], ["Sumologic"], Sumologic, Spl),
    environment!("ResourceGraph", ["AzureResourceGraph"], ["resourcegraph"], ["ResourceGraph"], Default, Kql),
    environment!("Cybereason", [], ["cybereason"], ["Cybereason"], JsonPlaceholders, Json),
    environment!("Elastic", [], ["elastic"], ["Elastic"], Splunk, Spl),
    environment!("Prismacloud", [], ["prismacloud"], ["Prismacloud"], Default, Opaque),
    environment!("OpenObserve", [], ["openobserve"], ["OpenObserve"], PythonStr, Sql),
];

impl DataEnvironment {
    /// The environment called `name` (or one of its aliases), case-insensitive; unknown names
    /// give an error listing the closest known ones.
    pub fn find(name: &str) -> Result<&'static DataEnvironment> {
        ENVIRONMENTS
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name) || e.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)))
            .ok_or_else(|| Error::unknown("data environment", name, all_names()))
    }

    /// Whether a query file listing `environments` belongs to this environment.
    pub fn accepts_file(&self, environments: &[String]) -> bool {
        environments.iter().any(|e| self.accepts.iter().any(|a| a.eq_ignore_ascii_case(e)))
    }
}

/// Every environment name and alias.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    ENVIRONMENTS.iter().flat_map(|e| std::iter::once(e.name).chain(e.aliases.iter().copied()))
}

/// The folder that replaces the shipped query library, from `MSTIC_QUERIES` (a folder with one
/// sub-folder per environment, like `queries/`); `None` when the compiled-in library is used.
pub fn builtin_queries_override() -> Option<PathBuf> {
    std::env::var_os("MSTIC_QUERIES").filter(|dir| !dir.is_empty()).map(PathBuf::from)
}
