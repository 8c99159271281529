//! The local data drivers: files on disk ([`LocalDataDriver`]), osquery logs ([`OsQueryDriver`]),
//! Velociraptor artifact exports ([`VelociraptorDriver`]) and the OTRF Security Datasets
//! ([`OtrfDriver`]). [`create_driver`] picks one by MSTICPy data environment name.

pub mod local;
pub mod osquery;
pub mod otrf;
pub mod velociraptor;

pub use local::LocalDataDriver;
pub use osquery::OsQueryDriver;
pub use otrf::{DatasetEntry, OtrfCatalog, OtrfDriver};
pub use velociraptor::VelociraptorDriver;

use crate::{Driver, DriverSettings};
use mstic_core::config::MsticConfig;
use mstic_core::{Error, Result};
use std::path::{Path, PathBuf};

/// Environment names (with MSTICPy's aliases) that [`create_driver`] knows.
pub const ENVIRONMENTS: &[&str] =
    &["LocalData", "OSQueryLogs", "OSQuery", "VelociraptorLogs", "Velociraptor", "Mordor", "OTRF"];

/// Creates the driver for a data environment (`LocalData`, `OSQueryLogs`/`OSQuery`,
/// `VelociraptorLogs`/`Velociraptor`, `Mordor`/`OTRF`; case-insensitive). An unknown name lists
/// the closest known ones.
///
/// # Example
/// ```
/// use mstic_data::{Driver, DriverSettings, create_driver};
/// let driver = create_driver("osquery", &DriverSettings::default())?;
/// assert_eq!(driver.environment(), "OSQueryLogs");
/// let unknown = create_driver("LocalDat", &DriverSettings::default()).err().map(|e| e.to_string());
/// assert!(unknown.is_some_and(|message| message.contains("LocalData")));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn create_driver(environment: &str, settings: &DriverSettings) -> Result<Box<dyn Driver>> {
    create_driver_with_config(environment, settings, crate::remote::settings::current_config())
}

/// Like [`create_driver`]; remote drivers take their workspaces, clusters and keys from `config`
/// rather than the session's or the discovered `msticpyconfig.yaml`.
pub fn create_driver_with_config(environment: &str, settings: &DriverSettings, config: MsticConfig) -> Result<Box<dyn Driver>> {
    let driver: Box<dyn Driver> = match environment.to_ascii_lowercase().as_str() {
        "localdata" => Box::new(LocalDataDriver::new(settings)),
        "osquerylogs" | "osquery" => Box::new(OsQueryDriver::new(settings)),
        "velociraptorlogs" | "velociraptor" => Box::new(VelociraptorDriver::new(settings)),
        "mordor" | "otrf" => Box::new(OtrfDriver::new(settings)),
        other => match crate::remote::create_remote_driver_with_config(other, settings, config) {
            Some(remote) => remote,
            None => {
                let known = ENVIRONMENTS.iter().chain(crate::remote::REMOTE_ENVIRONMENTS).copied();
                return Err(Error::unknown("data environment", environment, known));
            }
        },
    };
    Ok(driver)
}

/// The data paths to search: the configured ones, or the current folder (MSTICPy's default).
pub(crate) fn effective_paths(settings: &DriverSettings) -> Vec<PathBuf> {
    if settings.data_paths.is_empty() { vec![PathBuf::from(".")] } else { settings.data_paths.clone() }
}

/// Every file under `paths` (recursively; a path may itself be a file) whose extension is one of
/// `extensions` (lower-case, without the dot), in a stable order. Unreadable folders are skipped.
pub(crate) fn find_files(paths: &[PathBuf], extensions: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_file() {
            if has_extension(path, extensions) {
                found.push(path.clone());
            }
        } else {
            walk(path, extensions, &mut found, 0);
        }
    }
    found
}

fn walk(dir: &Path, extensions: &[&str], found: &mut Vec<PathBuf>, depth: usize) {
    const MAX_DEPTH: usize = 16;
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
            if !hidden && depth < MAX_DEPTH {
                walk(&path, extensions, found, depth + 1);
            }
        } else if has_extension(&path, extensions) {
            found.push(path);
        }
    }
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// MSTICPy's `valid_pyname`: characters outside `[A-Za-z0-9_]` become `_`, and a leading digit
/// gets an `n_` prefix (Python builtin clashes are not relevant in Rust).
pub fn valid_name(identifier: &str) -> String {
    let cleaned: String =
        identifier.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if cleaned.starts_with(|c: char| c.is_ascii_digit()) { format!("n_{cleaned}") } else { cleaned }
}

/// Joins paths for messages: `a, b`.
pub(crate) fn describe_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_name_follows_msticpy() {
        assert_eq!(valid_name("Windows.System.Pslist"), "Windows_System_Pslist");
        assert_eq!(valid_name("1st-table"), "n_1st_table");
    }

    #[test]
    fn unknown_environment_suggests() {
        let err = create_driver("LocalDat", &DriverSettings::default()).err().expect("error");
        assert!(err.to_string().contains("LocalData"), "{err}");
    }
}
