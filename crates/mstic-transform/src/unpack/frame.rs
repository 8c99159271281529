//! Unpack results as Frames: MSTICPy's 12 item columns, plus `src_index`, the input column and
//! `full_decoded_string` when unpacking a Frame column.

use super::{DecodedItem, UnpackOptions, unpack_with};
use arrow::array::{ArrayRef, BinaryBuilder, StringBuilder, UInt64Builder};
use mstic_core::{Frame, Result, interrupt};
use std::sync::Arc;

fn string_column(name: &str, values: impl Iterator<Item = Option<String>>) -> (String, ArrayRef) {
    let mut builder = StringBuilder::new();
    for v in values {
        builder.append_option(v);
    }
    (name.to_string(), Arc::new(builder.finish()) as ArrayRef)
}

fn item_columns(items: &[DecodedItem]) -> Vec<(String, ArrayRef)> {
    let text = |f: fn(&DecodedItem) -> Option<String>| items.iter().map(f).collect::<Vec<_>>().into_iter();
    let mut bytes = BinaryBuilder::new();
    for item in items {
        bytes.append_value(&item.input_bytes);
    }
    vec![
        string_column("reference", text(|i| Some(i.reference.clone()))),
        string_column("original_string", text(|i| Some(i.original_string.clone()))),
        string_column("file_name", text(|i| Some(i.file_name.clone()))),
        string_column("file_type", text(|i| i.file_type.clone())),
        ("input_bytes".to_string(), Arc::new(bytes.finish()) as ArrayRef),
        string_column("decoded_string", text(|i| i.decoded_string.clone())),
        string_column("encoding_type", text(|i| Some(i.encoding_type.clone()))),
        string_column(
            "file_hashes",
            text(|i| Some(serde_json::json!({"md5": i.md5, "sha1": i.sha1, "sha256": i.sha256}).to_string())),
        ),
        string_column("md5", text(|i| Some(i.md5.clone()))),
        string_column("sha1", text(|i| Some(i.sha1.clone()))),
        string_column("sha256", text(|i| Some(i.sha256.clone()))),
        string_column("printable_bytes", text(|i| Some(i.printable_bytes.clone()))),
    ]
}

pub(super) fn items_frame(items: &[DecodedItem], notes: &[String]) -> Result<Frame> {
    let mut frame = Frame::from_columns(item_columns(items))?;
    for note in notes {
        frame = frame.with_warning(note.clone());
    }
    Ok(frame)
}

/// Unpacks the base64 in `column` of every row (MSTICPy's `unpack_df`): the 12 item columns plus
/// `src_index` (input row), the input column and `full_decoded_string`. Limits apply per row;
/// their notes become frame warnings naming the row. An interrupt of the cell stops the rows'
/// loop with `Error::Interrupted`.
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_transform::{UnpackOptions, unpack_frame};
/// let events = Frame::from_string_rows(&["CommandLine"], &[
///     vec![Some("whoami")],
///     vec![Some("powershell -enc aGVsbG8gZnJvbSBhbiBlbmNvZGVkIHBheWxvYWQ=")],
/// ])?;
/// let items = unpack_frame(&events, "CommandLine", &UnpackOptions::default())?;
/// assert_eq!(items.len(), 1); // one row per decoded item
/// assert_eq!(items.column_strings("src_index")?, [Some("1".to_string())]);
/// assert_eq!(items.column_strings("decoded_string")?, [Some("hello from an encoded payload".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn unpack_frame(frame: &Frame, column: &str, options: &UnpackOptions) -> Result<Frame> {
    let texts = frame.column_strings(column)?;
    let mut items = Vec::new();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (row, text) in texts.iter().enumerate() {
        interrupt::check("unpacking base64")?;
        let Some(text) = text else { continue };
        let result = unpack_with(text, options);
        notes.extend(result.notes.iter().map(|n| format!("row {row}: {n}")));
        for item in result.items {
            rows.push((row, text.as_str(), result.decoded.clone()));
            items.push(item);
        }
    }
    let mut columns = item_columns(&items);
    let mut source = UInt64Builder::new();
    rows.iter().for_each(|(row, _, _)| source.append_value(*row as u64));
    columns.push(("src_index".to_string(), Arc::new(source.finish()) as ArrayRef));
    columns.push(string_column(column, rows.iter().map(|(_, t, _)| Some(t.to_string()))));
    columns.push(string_column("full_decoded_string", rows.iter().map(|(_, _, d)| Some(d.clone()))));
    let mut out = Frame::from_columns(columns)?;
    for note in notes {
        out = out.with_warning(note);
    }
    Ok(out)
}
