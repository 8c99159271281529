//! Duplicate event rows (every column equal), found by hashing rows column by column: only
//! rows whose hashes meet are compared, so no row encoding of the whole table is held.

use arrow::array::{Array, AsArray, DynComparator, RecordBatch, make_comparator};
use arrow::compute::SortOptions;
use arrow::row::{RowConverter, SortField};
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::cmp::Ordering;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher;

/// Mixes one value's hash into a row hash.
fn mix(row: &mut u64, value: u64) {
    *row = (row.rotate_left(26) ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
}

/// Per-row hashes over every column (text hashed directly, other types by their row encoding,
/// which is equal exactly when the values are); `None` when a column has no row encoding.
fn row_hashes(batch: &RecordBatch) -> Option<Vec<u64>> {
    const NULL: u64 = 0x5555_5555_5555_5555;
    let mut hashes = vec![0u64; batch.num_rows()];
    for column in batch.columns() {
        if let Some(text) = column.as_string_opt::<i32>() {
            for (row, hash) in hashes.iter_mut().enumerate() {
                mix(hash, if text.is_valid(row) { FxBuildHasher.hash_one(text.value(row)) } else { NULL });
            }
        } else {
            let converter = RowConverter::new(vec![SortField::new(column.data_type().clone())]).ok()?;
            let rows = converter.convert_columns(std::slice::from_ref(column)).ok()?;
            for (row, hash) in hashes.iter_mut().enumerate() {
                mix(hash, FxBuildHasher.hash_one(rows.row(row).as_ref()));
            }
        }
    }
    Some(hashes)
}

/// The rows that repeat no earlier row, in order; `None` when a column type cannot be compared
/// (the rows are then kept as they are).
pub(super) fn distinct_rows(batch: &RecordBatch) -> Option<Vec<u32>> {
    let hashes = row_hashes(batch)?;
    let mut first: FxHashMap<u64, u32> = FxHashMap::with_capacity_and_hasher(hashes.len(), Default::default());
    let mut keep = Vec::with_capacity(hashes.len());
    let mut comparators: Option<Vec<DynComparator>> = None;
    for (row, hash) in hashes.into_iter().enumerate() {
        match first.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(row as u32);
                keep.push(row as u32);
            }
            Entry::Occupied(earlier) => {
                if comparators.is_none() {
                    let made: Result<Vec<DynComparator>, _> =
                        batch.columns().iter().map(|c| make_comparator(c.as_ref(), c.as_ref(), SortOptions::default())).collect();
                    match made {
                        Ok(made) => comparators = Some(made),
                        Err(_) => return distinct_by_row_encoding(batch),
                    }
                }
                let compare = comparators.as_ref().expect("made above");
                let earlier = *earlier.get() as usize;
                if !compare.iter().all(|c| c(earlier, row) == Ordering::Equal) {
                    // Two different rows with one hash: settle it with whole-row encodings.
                    return distinct_by_row_encoding(batch);
                }
            }
        }
    }
    Some(keep)
}

/// The same as [`distinct_rows`] with every row encoded (memory for a copy of the table).
fn distinct_by_row_encoding(batch: &RecordBatch) -> Option<Vec<u32>> {
    let fields: Vec<SortField> = batch.schema().fields().iter().map(|f| SortField::new(f.data_type().clone())).collect();
    let rows = RowConverter::new(fields).ok()?.convert_columns(batch.columns()).ok()?;
    let mut seen = rustc_hash::FxHashSet::with_capacity_and_hasher(rows.num_rows(), Default::default());
    Some((0..rows.num_rows()).filter(|&i| seen.insert(rows.row(i))).map(|i| i as u32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Float64Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn duplicates_and_near_duplicates() {
        let text: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some("a"), None, None, Some("a"), Some("b")]));
        let number: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), Some(1.0), None, None, Some(-0.0), Some(1.0)]));
        let batch = RecordBatch::try_from_iter(vec![("t", text), ("n", number)]).unwrap();
        assert_eq!(distinct_rows(&batch).unwrap(), vec![0, 2, 4, 5]);
        assert_eq!(distinct_by_row_encoding(&batch).unwrap(), vec![0, 2, 4, 5]);
    }
}
