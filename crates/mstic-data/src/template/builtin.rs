//! The shipped query library, compiled into the crate from `queries/**/*.yaml` at the workspace
//! root (see `build.rs`): each file with its path relative to the workspace, parsed once per
//! process on first use.

use super::{QueryFile, parse_query_file};
use std::path::Path;
use std::sync::OnceLock;

/// One query file of the shipped library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinFile {
    /// Path relative to the workspace root, e.g. `queries/mssentinel/windows_logons.yaml`.
    pub path: &'static str,
    /// The file's YAML text.
    pub text: &'static str,
}

impl BuiltinFile {
    /// The library folder the file is in (`mssentinel` for `queries/mssentinel/x.yaml`); data
    /// environments read the folders named in their `query_folders`.
    pub fn folder(&self) -> &'static str {
        let mut parts = self.path.split('/');
        parts.next();
        match (parts.next(), parts.next()) {
            (Some(folder), Some(_)) => folder,
            _ => "",
        }
    }

    /// The file parsed and validated (an error names the file, line, query and field).
    pub fn parse(&self) -> mstic_core::Result<QueryFile> {
        parse_query_file(self.text, Path::new(self.path))
    }
}

/// Every file of the shipped library, sorted by path.
pub fn files() -> &'static [BuiltinFile] {
    FILES
}

static FILES: &[BuiltinFile] = include!(concat!(env!("OUT_DIR"), "/builtin_queries.rs"));

/// The library's files parsed once: each file's queries, or the error text naming the file.
pub(crate) fn parsed() -> &'static [(BuiltinFile, Result<QueryFile, String>)] {
    static PARSED: OnceLock<Vec<(BuiltinFile, Result<QueryFile, String>)>> = OnceLock::new();
    PARSED.get_or_init(|| FILES.iter().map(|file| (*file, file.parse().map_err(|e| e.to_string()))).collect())
}
