//! IoC extraction over Frame columns: one output row per (row, column, observable) with MSTICPy's
//! columns `IoCType`, `Observable`, `SourceIndex`, `Input`. Rows are scanned on all cores, the
//! output keeps row order; an interrupt of the cell stops the scan with `Error::Interrupted`.

use super::{ExtractOptions, IocExtractor};
use arrow::array::{Array, ArrayRef, StringArray, StringBuilder, UInt64Builder};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use mstic_core::{Error, Frame, Result};
use std::sync::Arc;

impl IocExtractor {
    /// Extracts IoCs from the text of `columns` in every row of `frame` (MSTICPy's `extract_df`).
    /// By default every type except `linux_path` is used, and `windows_path` only with
    /// `options.include_paths`.
    pub fn extract_frame(&self, frame: &Frame, columns: &[&str], options: &ExtractOptions) -> Result<Frame> {
        let missing: Vec<&str> = columns.iter().copied().filter(|c| !frame.has_column(c)).collect();
        if let Some(first) = missing.first() {
            // Names the closest existing columns.
            frame.column_index(first)?;
        }
        if columns.is_empty() {
            return Err(Error::invalid("columns", "give at least one column to extract IoCs from"));
        }
        let enabled = self.enabled_types(options, true)?;
        let mut types = StringBuilder::new();
        let mut observables = StringBuilder::new();
        let mut sources = UInt64Builder::new();
        let mut inputs = StringBuilder::new();
        let index = |c: &str| frame.schema().index_of(c).expect("checked above");
        let column_indexes: Vec<usize> = columns.iter().map(|c| index(c)).collect();
        for column in column_indexes {
            // The frame's text is read where it is (batch by batch), not copied into one array.
            let arrays: Vec<ArrayRef> = frame.batches().iter().map(|b| cast(b.column(column), &DataType::Utf8)).collect::<std::result::Result<_, _>>()?;
            let texts: Vec<Option<&str>> = arrays
                .iter()
                .flat_map(|a| {
                    let a = a.as_any().downcast_ref::<StringArray>().expect("cast to Utf8 gives a StringArray");
                    (0..a.len()).map(move |row| a.is_valid(row).then(|| a.value(row)))
                })
                .collect();
            let per_row = crate::parallel::map_rows(texts.len(), "the IoC extraction", |row| {
                let Some(text) = texts[row] else { return Vec::new() };
                let mut pairs = self.scan_pairs(text, &enabled, options);
                pairs.sort_unstable();
                pairs
            })?;
            for (row, pairs) in per_row.into_iter().enumerate() {
                for (type_index, observable) in pairs {
                    types.append_value(&self.patterns[type_index].name);
                    observables.append_value(&observable);
                    sources.append_value(row as u64);
                    inputs.append_value(texts[row].unwrap_or_default());
                }
            }
        }
        Frame::from_columns(vec![
            ("IoCType".to_string(), Arc::new(types.finish()) as ArrayRef),
            ("Observable".to_string(), Arc::new(observables.finish()) as ArrayRef),
            ("SourceIndex".to_string(), Arc::new(sources.finish()) as ArrayRef),
            ("Input".to_string(), Arc::new(inputs.finish()) as ArrayRef),
        ])
    }
}

/// The distinct observables of one type in an extraction result frame.
pub fn observables_of(result: &Frame, ioc_type: &str) -> Result<Vec<String>> {
    let types = result.column("IoCType")?;
    let values = result.column("Observable")?;
    let types = types.as_any().downcast_ref::<StringArray>().ok_or_else(|| Error::invalid("IoCType", "not text"))?;
    let values = values.as_any().downcast_ref::<StringArray>().ok_or_else(|| Error::invalid("Observable", "not text"))?;
    let mut out: Vec<String> = (0..types.len())
        .filter(|&i| types.value(i) == ioc_type)
        .map(|i| values.value(i).to_string())
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}
