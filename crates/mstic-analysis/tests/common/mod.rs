//! Helpers shared by the analysis conformance tests.

use mstic_core::Frame;

/// A numeric column cast to i64 (every value present).
pub fn int_column(frame: &Frame, name: &str) -> Vec<i64> {
    let array = frame.column(name).unwrap();
    let array = arrow::compute::cast(&array, &arrow::datatypes::DataType::Int64).unwrap();
    array
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>()
        .unwrap()
        .iter()
        .map(Option::unwrap)
        .collect()
}
