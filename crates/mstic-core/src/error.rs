//! The one error type of Rust MSTIC's library crates.

use std::path::PathBuf;

/// Result alias used throughout Rust MSTIC: the error type defaults to [`Error`].
///
/// # Example
///
/// ```
/// use mstic_core::{Error, Result};
/// fn port(text: &str) -> Result<u16> {
///     text.parse().map_err(|_| Error::invalid("port", format!("'{text}' is not a port number")))
/// }
/// assert_eq!(port("443")?, 443);
/// assert_eq!(port("https").unwrap_err().to_string(), "invalid port: 'https' is not a port number");
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a Rust MSTIC call, with enough context (file, line, query,
/// parameter) for a notebook user to fix it.
///
/// # Example
///
/// ```
/// use mstic_core::Error;
/// let e = Error::unknown("column", "Acount", ["Account", "Computer"]);
/// assert_eq!(e.to_string(), "unknown column 'Acount'; did you mean: Account?");
/// assert!(Error::interrupted("the query").is_interrupted());
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    /// A file was read but its contents are malformed; `line` is 1-based when known.
    #[error("{path}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Parse { path: PathBuf, line: Option<usize>, message: String },
    /// A SQL statement or a table operation failed.
    #[error("query failed: {0}")]
    Query(String),
    /// A name (query, parameter, column, provider…) is unknown; `suggestions` are the closest valid ones.
    #[error("unknown {kind} '{name}'{}", suggestion_text(.suggestions))]
    Unknown { kind: &'static str, name: String, suggestions: Vec<String> },
    /// A value given by the caller is not valid for its parameter.
    #[error("invalid {what}: {message}")]
    Invalid { what: String, message: String },
    /// Configuration is missing or wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// A remote service failed.
    #[error("{service}: {message}")]
    Remote { service: String, message: String },
    /// The user interrupted the cell (see [`crate::interrupt`]); names the work that was stopped.
    #[error("interrupted: {0} was stopped")]
    Interrupted(String),
    /// Any other failure, already phrased for the user.
    #[error("{0}")]
    Other(String),
}

fn suggestion_text(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}?", suggestions.join(", "))
    }
}

impl Error {
    /// An [`Error::Unknown`] whose suggestions are the valid names closest to `name`.
    pub fn unknown<'a>(kind: &'static str, name: &str, valid: impl IntoIterator<Item = &'a str>) -> Self {
        Error::Unknown { kind, name: name.to_string(), suggestions: closest_names(name, valid, 5) }
    }

    /// An [`Error::Invalid`] for `what` with `message`.
    pub fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid { what: what.into(), message: message.into() }
    }

    /// An [`Error::Interrupted`] naming the work that was stopped (e.g. `the SQL query`).
    pub fn interrupted(what: impl Into<String>) -> Self {
        Error::Interrupted(what.into())
    }

    /// Whether this error means the user interrupted the cell.
    pub fn is_interrupted(&self) -> bool {
        matches!(self, Error::Interrupted(_))
    }

    /// An [`Error::File`] for `path`.
    pub fn file(path: impl Into<PathBuf>, message: impl ToString) -> Self {
        Error::File { path: path.into(), message: message.to_string() }
    }
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Error::Query(e.to_string())
    }
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        Error::Query(e.to_string())
    }
}

/// The up-to-`limit` names of `valid` closest to `name` (case-insensitive edit distance; names that
/// contain the other rank first), for "did you mean" messages.
pub fn closest_names<'a>(name: &str, valid: impl IntoIterator<Item = &'a str>, limit: usize) -> Vec<String> {
    let wanted = name.to_lowercase();
    let mut scored: Vec<(f64, &str)> = valid
        .into_iter()
        .map(|candidate| {
            let lower = candidate.to_lowercase();
            let mut score = strsim::normalized_damerau_levenshtein(&wanted, &lower);
            if !wanted.is_empty() && (lower.contains(&wanted) || wanted.contains(&lower)) {
                score += 0.5;
            }
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(limit).map(|(_, n)| n.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_lists_closest_names() {
        let e = Error::unknown("query", "list_host_logon", ["list_host_logons", "list_all_signins", "get_process_tree"]);
        assert_eq!(e.to_string(), "unknown query 'list_host_logon'; did you mean: list_host_logons?");
    }

    #[test]
    fn parse_error_names_file_and_line() {
        let e = Error::Parse { path: "a.csv".into(), line: Some(3), message: "bad".into() };
        assert_eq!(e.to_string(), "a.csv, line 3: bad");
    }
}
