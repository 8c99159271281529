//! Process trees from process-creation events, with MSTICPy's builder semantics:
//!
//! * Windows/Linux/generic events: a child's parent is the latest process with the child's parent
//!   id (and parent name, when the schema has one) created at or before the child; children
//!   without one get a synthetic "inferred parent" (time 1970-01-01).
//! * MDE events: parents are matched on the explicit creation times in each record; missing
//!   parents and grandparents are synthesised from the `InitiatingProcess*` / `*Parent*` columns.
//!
//! Every process gets `proc_key`/`parent_key` (`name|pid|time`), `IsRoot`/`IsLeaf`/`IsBranch`,
//! `source_index`, `path` (ancestor indexes joined by `/`) and `parent_index`; rows are sorted
//! by path so each tree reads top-down.
//!
//! ```no_run
//! use mstic_transform::proctree::{build_process_tree, ProcSchema};
//! let events = mstic_core::Frame::read_csv(mstic_core::paths::fixture("msticpy/testdata/win_proc_test.csv").unwrap()).unwrap();
//! let tree = build_process_tree(&events, None).unwrap();
//! println!("{}", tree.summary());
//! println!("{}", tree.to_text(Some(&tree.root_keys()[0]), 0));
//! ```

mod build;
mod columns;
mod dedup;
mod index;
mod keys;
mod mde;
mod output;
mod schema;
#[cfg(test)]
mod tests;
mod tree;

pub use schema::ProcSchema;
pub use tree::{ProcessTree, TreeSummary};

use keys::{Key, KeyParts};
use mstic_core::{Frame, Result, interrupt};

/// One process of the tree before output: where it came from and its keys. Texts are borrowed
/// from the event columns (or are fixed labels).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Node<'a> {
    /// Row of the (filtered) input batch; `None` for synthetic parents.
    source_row: Option<u32>,
    name: Option<&'a str>,
    pid: Option<&'a str>,
    ppid: Option<&'a str>,
    parent_name: Option<&'a str>,
    time: Option<i64>,
    parent_time: Option<i64>,
    logon: Option<&'a str>,
    host: Option<&'a str>,
    cmd_line: Option<&'a str>,
    proc_key: Option<Key>,
    parent_key: Option<Key>,
}

/// Builds process trees from `events`. With `schema` `None` the schema is inferred from the
/// column names (an error lists what was missing when nothing fits). An interrupt of the cell
/// stops the build between its stages with `Error::Interrupted`.
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_transform::{ProcSchema, build_process_tree};
/// let events = Frame::from_string_rows(&["Image", "PID", "PPID", "Time"], &[
///     vec![Some("C:\\Windows\\cmd.exe"), Some("0x10"), Some("0x4"), Some("2024-05-01 10:00:00")],
///     vec![Some("C:\\Windows\\notepad.exe"), Some("0x20"), Some("0x10"), Some("2024-05-01 10:01:00")],
/// ])?;
/// let tree = build_process_tree(&events, Some(&ProcSchema::new("Image", "PID", "PPID", "Time")))?;
/// assert_eq!(tree.len(), 3); // cmd.exe, notepad.exe and cmd.exe's inferred parent
/// assert_eq!(tree.root_keys().len(), 1);
/// assert!(build_process_tree(&events, None).is_err()); // these column names fit no built-in schema
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn build_process_tree(events: &Frame, schema: Option<&ProcSchema>) -> Result<ProcessTree> {
    let schema = match schema {
        Some(schema) if !schema.is_mde() => schema.clone(),
        _ => ProcSchema::infer(&events.columns())?,
    };
    let stage = || interrupt::check(BUILDING);
    stage()?;
    let batch = events.to_batch()?;
    stage()?;
    if schema.is_mde() {
        let columns = mde::Columns::read(&batch, &schema)?;
        stage()?;
        let mut parts = KeyParts::default();
        let nodes = mde::nodes(&columns, &mut parts)?;
        stage()?;
        output::finish(&batch, &nodes, &parts, &schema)
    } else {
        let batch = build::clean(&batch, &schema)?;
        stage()?;
        let columns = build::Columns::read(&batch, &schema)?;
        stage()?;
        let mut parts = KeyParts::default();
        let nodes = build::nodes(&columns, &mut parts);
        stage()?;
        output::finish(&batch, &nodes, &parts, &schema)
    }
}

/// What an interrupted tree build reports as stopped.
pub(crate) const BUILDING: &str = "building the process tree";
