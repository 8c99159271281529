//! MSTICPy `add_process_features`: numeric features of process paths and command lines.

use super::features::{
    char_ord_score, crc32_hash, delim_count, delim_hash, log10_or_zero, token_count,
};
use crate::columns;
use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use mstic_core::{Frame, Result};
use std::sync::Arc;

/// `frame` with `added` columns: a name already present is replaced where it stands (as pandas
/// `assign` does), new names are appended in order.
pub(crate) fn with_columns(frame: &Frame, added: Vec<(&str, ArrayRef)>) -> Result<Frame> {
    let mut out: Vec<(String, ArrayRef)> = Vec::new();
    for name in frame.columns() {
        out.push((name.clone(), frame.column(&name)?));
    }
    for (name, array) in added {
        match out.iter_mut().find(|(existing, _)| existing == name) {
            Some(slot) => slot.1 = array,
            None => out.push((name.to_string(), array)),
        }
    }
    Frame::from_columns(out)
}

fn texts(frame: &Frame, name: &str) -> Result<Option<Vec<String>>> {
    match columns::resolve(frame, name) {
        Ok(found) => Ok(Some(
            frame
                .column_strings(&found)?
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
        )),
        Err(_) => Ok(None),
    }
}

fn ints(values: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from(values.collect::<Vec<_>>()))
}

fn floats(values: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(Float64Array::from(values.collect::<Vec<_>>()))
}

/// Adds MSTICPy's process features to events with `NewProcessName`, `CommandLine` and
/// `SubjectLogonId` columns (each optional; missing text counts as empty):
/// `processNameLen, processNameTokens, processName, pathScore, pathLogScore, pathHash,
/// commandlineTokens, commandlineLen, commandlineLogLen, commandlineTokensFull, commandlineScore,
/// commandlineLogScore, commandlineTokensHash, isSystemSession` (`SubjectLogonId` is `0x3e7` or
/// `-1`). `path_separator` defaults to `/` when one of the first 10 process names contains
/// one, else `\`. Existing feature columns are kept unless `force`.
///
/// # Example
///
/// ```
/// # use mstic_analysis::add_process_features;
/// # use mstic_core::Frame;
/// let processes = Frame::from_string_rows(
///     &["NewProcessName", "CommandLine", "SubjectLogonId"],
///     &[
///         vec![Some(r"C:\Windows\System32\cmd.exe"), Some("cmd.exe /c dir"), Some("0x3e7")],
///         vec![Some(r"C:\Users\bob\tool.exe"), Some("tool.exe"), Some("0x1a2b")],
///     ],
/// )?;
/// let features = add_process_features(&processes, Some("\\"), false)?;
/// assert_eq!(features.to_vec::<String>("processName")?, ["cmd.exe", "tool.exe"]);
/// assert_eq!(features.to_vec::<bool>("isSystemSession")?, [true, false]);
/// assert_eq!(features.to_vec::<i64>("commandlineTokensFull")?, [4, 1]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn add_process_features(
    frame: &Frame,
    path_separator: Option<&str>,
    force: bool,
) -> Result<Frame> {
    let mut added: Vec<(&str, ArrayRef)> = Vec::new();
    let wanted = |name: &str| force || !frame.has_column(name);
    if let Some(paths) = texts(frame, "NewProcessName")? {
        let separator = path_separator.map(str::to_string).unwrap_or_else(|| {
            if paths.iter().take(10).any(|p| p.contains('/')) {
                "/".into()
            } else {
                "\\".into()
            }
        });
        let separator = if separator.is_empty() {
            "\\".to_string()
        } else {
            separator
        };
        let scores: Vec<i64> = paths.iter().map(|p| char_ord_score(p) as i64).collect();
        let features: Vec<(&str, ArrayRef)> = vec![
            (
                "processNameLen",
                ints(paths.iter().map(|p| p.chars().count() as i64)),
            ),
            (
                "processNameTokens",
                ints(
                    paths
                        .iter()
                        .map(|p| p.split(separator.as_str()).count() as i64),
                ),
            ),
            (
                "processName",
                Arc::new(StringArray::from(
                    paths
                        .iter()
                        .map(|p| p.rsplit(separator.as_str()).next().unwrap_or_default())
                        .collect::<Vec<_>>(),
                )),
            ),
            ("pathScore", ints(scores.iter().copied())),
            (
                "pathLogScore",
                floats(scores.iter().map(|&s| log10_or_zero(s as f64))),
            ),
            ("pathHash", ints(paths.iter().map(|p| crc32_hash(p) as i64))),
        ];
        added.extend(features.into_iter().filter(|(name, _)| wanted(name)));
    }
    if let Some(lines) = texts(frame, "CommandLine")? {
        let lengths: Vec<i64> = lines.iter().map(|l| l.chars().count() as i64).collect();
        let scores: Vec<i64> = lines.iter().map(|l| char_ord_score(l) as i64).collect();
        let features: Vec<(&str, ArrayRef)> = vec![
            (
                "commandlineTokens",
                ints(lines.iter().map(|l| token_count(l) as i64)),
            ),
            ("commandlineLen", ints(lengths.iter().copied())),
            (
                "commandlineLogLen",
                floats(lengths.iter().map(|&n| log10_or_zero(n as f64))),
            ),
            (
                "commandlineTokensFull",
                ints(lines.iter().map(|l| delim_count(l) as i64)),
            ),
            ("commandlineScore", ints(scores.iter().copied())),
            (
                "commandlineLogScore",
                floats(scores.iter().map(|&s| log10_or_zero(s as f64))),
            ),
            (
                "commandlineTokensHash",
                ints(lines.iter().map(|l| delim_hash(l) as i64)),
            ),
        ];
        added.extend(features.into_iter().filter(|(name, _)| wanted(name)));
    }
    if wanted("isSystemSession")
        && let Ok(found) = columns::resolve(frame, "SubjectLogonId")
    {
        let ids = frame.column_strings(&found)?;
        let system: BooleanArray = ids
            .iter()
            .map(|id| Some(matches!(id.as_deref(), Some("0x3e7") | Some("-1"))))
            .collect();
        added.push(("isSystemSession", Arc::new(system)));
    }
    with_columns(frame, added)
}
