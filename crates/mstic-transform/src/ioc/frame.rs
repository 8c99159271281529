//! IoC extraction over Frame columns: one output row per (row, column, observable) with MSTICPy's
//! columns `IoCType`, `Observable`, `SourceIndex`, `Input`. Rows are scanned on all cores.

use super::{ExtractOptions, IocExtractor};
use arrow::array::{Array, ArrayRef, StringArray, StringBuilder, UInt64Builder};
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
        for column in columns {
            let texts = frame.column_strings(column)?;
            let per_row = self.scan_rows(&texts, &enabled, options);
            for (row, pairs) in per_row.into_iter().enumerate() {
                let Some(text) = texts[row].as_deref() else { continue };
                for (type_index, observable) in pairs {
                    types.append_value(&self.patterns[type_index].name);
                    observables.append_value(&observable);
                    sources.append_value(row as u64);
                    inputs.append_value(text);
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

    /// Scans each text (in parallel chunks), results sorted by type order then observable.
    fn scan_rows(&self, texts: &[Option<String>], enabled: &[bool], options: &ExtractOptions) -> Vec<Vec<(usize, String)>> {
        let scan_one = |text: &Option<String>| {
            let mut pairs = text.as_deref().map(|t| self.scan_pairs(t, enabled, options)).unwrap_or_default();
            pairs.sort();
            pairs
        };
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        if workers <= 1 || texts.len() < 256 {
            return texts.iter().map(scan_one).collect();
        }
        let chunk = texts.len().div_ceil(workers);
        std::thread::scope(|scope| {
            let handles: Vec<_> = texts
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(scan_one).collect::<Vec<_>>()))
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        })
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
