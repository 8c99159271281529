//! Helpers shared by the integration tests: reading result rows.

#![allow(dead_code)]

use mstic_core::Frame;
use std::collections::HashMap;

/// Row `index` of `frame` as column → text.
pub fn row(frame: &Frame, index: usize) -> HashMap<String, Option<String>> {
    frame
        .columns()
        .into_iter()
        .map(|name| {
            let values = frame.column_strings(&name).unwrap();
            (name, values.get(index).cloned().flatten())
        })
        .collect()
}

/// The text of one cell.
pub fn cell(frame: &Frame, index: usize, column: &str) -> String {
    row(frame, index).get(column).cloned().flatten().unwrap_or_default()
}

/// Every cell of a frame joined, for "this never appears anywhere" checks.
pub fn all_text(frame: &Frame) -> String {
    let mut out = String::new();
    for name in frame.columns() {
        for value in frame.column_strings(&name).unwrap().into_iter().flatten() {
            out.push_str(&value);
            out.push('\n');
        }
    }
    out
}
