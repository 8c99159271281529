//! Lookup results as a [`Frame`] with MSTICPy's result columns.

use super::TiResult;
use arrow::array::{ArrayRef, BooleanArray, Int64Array, StringArray};
use mstic_core::{Frame, Result};
use serde_json::Value;
use std::sync::Arc;

/// MSTICPy's TI result columns, in order.
pub const RESULT_COLUMNS: [&str; 11] =
    ["Ioc", "IocType", "SafeIoc", "QuerySubtype", "Provider", "Result", "Severity", "Details", "RawResult", "Reference", "Status"];

/// A Frame of result rows; `Details` and `RawResult` hold JSON text (plain text for messages).
pub fn results_frame(rows: &[TiResult]) -> Result<Frame> {
    let text = |f: &dyn Fn(&TiResult) -> Option<String>| -> ArrayRef { Arc::new(rows.iter().map(f).collect::<StringArray>()) };
    Frame::from_columns(vec![
        ("Ioc".into(), text(&|r| Some(r.ioc.clone()))),
        ("IocType".into(), text(&|r| Some(r.ioc_type.clone()))),
        ("SafeIoc".into(), text(&|r| Some(r.safe_ioc.clone()))),
        ("QuerySubtype".into(), text(&|r| r.query_subtype.clone())),
        ("Provider".into(), text(&|r| Some(r.provider.clone()))),
        ("Result".into(), Arc::new(rows.iter().map(|r| Some(r.result)).collect::<BooleanArray>())),
        ("Severity".into(), text(&|r| Some(r.severity.as_str().to_string()))),
        ("Details".into(), text(&|r| json_text(&r.details))),
        ("RawResult".into(), text(&|r| json_text(&r.raw_result))),
        ("Reference".into(), text(&|r| Some(r.reference.clone()))),
        ("Status".into(), Arc::new(rows.iter().map(|r| Some(r.status)).collect::<Int64Array>())),
    ])
}

fn json_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
