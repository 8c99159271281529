//! Helpers shared by the integration tests: reading result rows, and building MaxMind archives.

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

/// A `.tar.gz` holding `name` with `content`, as MaxMind serves it.
pub fn tar_gz(name: &str, content: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append_data(&mut header, name, content).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}
