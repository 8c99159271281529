//! Row-level structure of a built tree's output frame, for walking it: parents, children,
//! process key lookup and the texts the text rendering needs (shared with the frame's columns).

use arrow::array::{Array, ArrayRef, StringArray, TimestampNanosecondArray};
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// "No row" in the parent and lookup tables.
pub(crate) const NONE: u32 = u32::MAX;

/// What the output step hands over (row numbers are output rows).
pub(crate) struct IndexParts {
    /// Parent row of each row, or [`NONE`].
    pub parent: Vec<u32>,
    /// The `proc_key` column.
    pub keys: ArrayRef,
    /// The process name column.
    pub names: ArrayRef,
    /// The process id column.
    pub pids: ArrayRef,
    /// The command lines of the processes (synthetic parents included).
    pub cmd_lines: ArrayRef,
    /// The process time column.
    pub times: ArrayRef,
    pub is_root: Vec<bool>,
    pub is_leaf: Vec<bool>,
    pub depth: Vec<u32>,
}

/// The walkable index of a tree.
pub(crate) struct TreeIndex {
    parent: Vec<u32>,
    child_start: Vec<u32>,
    children: Vec<u32>,
    keys: StringArray,
    names: StringArray,
    pids: StringArray,
    cmd_lines: StringArray,
    times: TimestampNanosecondArray,
    pub is_root: Vec<bool>,
    pub is_leaf: Vec<bool>,
    pub depth: Vec<u32>,
    /// Open-addressing table of rows by the hash of their key (a power of two long).
    key_slots: Vec<u32>,
}

fn strings(array: &ArrayRef) -> StringArray {
    array.as_any().downcast_ref::<StringArray>().expect("tree text columns are Utf8").clone()
}

fn slot_hash(key: &str) -> usize {
    FxBuildHasher.hash_one(key) as usize
}

impl TreeIndex {
    /// The index of the output rows, with its key lookup table built.
    pub(crate) fn new(parts: IndexParts) -> Self {
        let rows = parts.parent.len();
        let (child_start, children) = super::output::compressed_children(&parts.parent, rows);
        let keys = strings(&parts.keys);
        let mut key_slots = vec![NONE; (rows * 2).next_power_of_two().max(16)];
        let mask = key_slots.len() - 1;
        for row in (0..rows).filter(|&r| keys.is_valid(r)) {
            let mut slot = slot_hash(keys.value(row)) & mask;
            while key_slots[slot] != NONE {
                slot = (slot + 1) & mask;
            }
            key_slots[slot] = row as u32;
        }
        TreeIndex {
            parent: parts.parent,
            child_start,
            children,
            keys,
            names: strings(&parts.names),
            pids: strings(&parts.pids),
            cmd_lines: strings(&parts.cmd_lines),
            times: parts.times.as_any().downcast_ref::<TimestampNanosecondArray>().expect("tree times are nanoseconds").clone(),
            is_root: parts.is_root,
            is_leaf: parts.is_leaf,
            depth: parts.depth,
            key_slots,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// The row of a process key.
    pub fn row_of(&self, key: &str) -> Option<usize> {
        let mask = self.key_slots.len() - 1;
        let mut slot = slot_hash(key) & mask;
        loop {
            match self.key_slots[slot] {
                NONE => return None,
                row if self.keys.value(row as usize) == key => return Some(row as usize),
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// The parent row.
    pub fn parent(&self, row: usize) -> Option<usize> {
        Some(self.parent[row]).filter(|&p| p != NONE).map(|p| p as usize)
    }

    /// The child rows, in row order.
    pub fn children(&self, row: usize) -> impl Iterator<Item = usize> + '_ {
        self.children[self.child_start[row] as usize..self.child_start[row + 1] as usize].iter().map(|&c| c as usize)
    }

    /// The process key (empty for a process without one).
    pub fn key(&self, row: usize) -> &str {
        if self.keys.is_valid(row) { self.keys.value(row) } else { "" }
    }

    /// The process name (`?` when missing).
    pub fn name(&self, row: usize) -> &str {
        if self.names.is_valid(row) { self.names.value(row) } else { "?" }
    }

    /// The process id (empty when missing).
    pub fn pid(&self, row: usize) -> &str {
        if self.pids.is_valid(row) { self.pids.value(row) } else { "" }
    }

    /// The command line.
    pub fn cmd_line(&self, row: usize) -> Option<&str> {
        self.cmd_lines.is_valid(row).then(|| self.cmd_lines.value(row))
    }

    /// The process time in nanoseconds.
    pub fn time(&self, row: usize) -> Option<i64> {
        self.times.is_valid(row).then(|| self.times.value(row))
    }
}
