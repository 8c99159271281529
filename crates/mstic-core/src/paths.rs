//! Where shared fixture data lives: the one setting (`MSTIC_FIXTURES`) that example notebooks and
//! tests use to find MSTICPy's test data, the OTRF datasets and the GeoLite2 test databases.

use crate::{Error, Result};
use std::path::PathBuf;

/// The fixture folder: `$MSTIC_FIXTURES` when set, else `../shared/fixtures` beside the repository
/// (where CI puts it). `None` when neither exists.
///
/// # Example
///
/// The answer depends on the machine, so this example is only compiled:
///
/// ```no_run
/// use mstic_core::paths::fixtures_dir;
/// let dir = fixtures_dir().expect("set MSTIC_FIXTURES");
/// assert!(dir.join("msticpy").is_dir());
/// ```
pub fn fixtures_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MSTIC_FIXTURES") {
        return Some(PathBuf::from(dir));
    }
    // Looked up at run time from the working directory first: a build reused from another clone
    // (a shared target directory) carries that clone's compile-time path.
    let from_cwd = std::env::current_dir().ok().into_iter().flat_map(|cwd| {
        cwd.ancestors().map(|dir| dir.join("shared/fixtures")).collect::<Vec<_>>()
    });
    let compiled_in = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures");
    from_cwd
        .chain(std::iter::once(compiled_in))
        .find(|candidate| candidate.join("msticpy").is_dir())
        .map(|candidate| candidate.canonicalize().unwrap_or(candidate))
}

/// A path inside the fixture folder (examples and tests), or an error saying how to provide the
/// folder when there is none. The path itself is not checked.
///
/// # Example
///
/// The answer depends on the machine, so this example is only compiled:
///
/// ```no_run
/// use mstic_core::paths::{fixture, fixtures_dir};
/// let csv = fixture("msticpy/testdata/win_proc_test.csv")?;
/// assert!(csv.starts_with(fixtures_dir().expect("a fixture folder")));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn fixture(relative: &str) -> Result<PathBuf> {
    fixtures_dir().map(|dir| dir.join(relative)).ok_or_else(|| {
        Error::Config(format!(
            "fixture data not found for '{relative}': set MSTIC_FIXTURES to the fixture folder (the one holding msticpy/, otrf/ and maxmind/), or put it at ../shared/fixtures beside the repository"
        ))
    })
}
