//! A built process tree: the output Frame plus an index for walking it (roots, children,
//! descendants, ancestors, siblings, root tree), its summary and a text rendering.

use super::ProcSchema;
use super::index::TreeIndex;
use arrow::array::UInt32Array;
use arrow::compute::take_record_batch;
use mstic_core::{Error, Frame, Result};
use std::fmt;

/// Counts that describe a process tree: processes, roots, leaves, branches, isolated roots and the
/// largest depth (MSTICPy's `get_summary_info`).
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
/// let summary = tree.summary();
/// assert_eq!((summary.processes, summary.root_processes, summary.leaf_processes), (3, 1, 1));
/// assert_eq!(summary.largest_tree_depth, 3);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeSummary {
    /// Processes in the tree (synthetic parents included).
    pub processes: usize,
    /// Processes without a parent.
    pub root_processes: usize,
    /// Processes without children.
    pub leaf_processes: usize,
    /// Processes with a parent and children.
    pub branch_processes: usize,
    /// Roots without children.
    pub isolated_processes: usize,
    /// Levels of the deepest tree.
    pub largest_tree_depth: usize,
}

impl fmt::Display for TreeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Processes: {}, RootProcesses: {}, LeafProcesses: {}, BranchProcesses: {}, IsolatedProcesses: {}, LargestTreeDepth: {}",
            self.processes, self.root_processes, self.leaf_processes, self.branch_processes, self.isolated_processes, self.largest_tree_depth
        )
    }
}

/// Process trees built by [`super::build_process_tree`], to walk (parents, children, ancestors…)
/// or print. Processes are addressed by their `proc_key` (see [`ProcessTree::root_keys`] or the
/// frame's `proc_key` column).
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
/// let root = &tree.root_keys()[0];
/// assert_eq!(tree.descendants(root, None)?.len(), 2);
/// assert_eq!(tree.tree_depth(root)?, 3);
/// assert!(tree.to_text(None, 0).contains("notepad.exe"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct ProcessTree {
    frame: Frame,
    schema: ProcSchema,
    index: TreeIndex,
}

impl fmt::Debug for ProcessTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProcessTree(schema: {}, {})", self.schema.name, self.summary())
    }
}

impl fmt::Display for ProcessTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Process tree ({} schema) — {}", self.schema.name, self.summary())?;
        write!(f, "{}", self.to_text(None, 40))
    }
}

impl ProcessTree {
    pub(crate) fn new(frame: Frame, schema: ProcSchema, index: TreeIndex) -> Self {
        ProcessTree { frame, schema, index }
    }

    /// Every process with the tree columns, sorted by path.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// The schema the tree was built with (given or inferred).
    pub fn schema(&self) -> &ProcSchema {
        &self.schema
    }

    /// Number of processes.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the tree has no processes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts of processes, roots, leaves, branches, isolated roots and the largest depth.
    pub fn summary(&self) -> TreeSummary {
        let ix = &self.index;
        let count = |f: &dyn Fn(usize) -> bool| (0..self.len()).filter(|&r| f(r)).count();
        TreeSummary {
            processes: self.len(),
            root_processes: count(&|r| ix.is_root[r]),
            leaf_processes: count(&|r| ix.is_leaf[r]),
            branch_processes: count(&|r| !ix.is_root[r] && !ix.is_leaf[r]),
            isolated_processes: count(&|r| ix.is_root[r] && ix.is_leaf[r]),
            largest_tree_depth: ix.depth.iter().copied().max().unwrap_or(0) as usize,
        }
    }

    fn row(&self, proc_key: &str) -> Result<usize> {
        self.index.row_of(proc_key).ok_or_else(|| {
            let name = proc_key.split('|').next().unwrap_or("");
            let near: Vec<&str> = (0..self.len()).map(|r| self.index.key(r)).filter(|k| k.contains(name)).take(200).collect();
            Error::unknown("process key", proc_key, near)
        })
    }

    fn rows_frame(&self, mut rows: Vec<usize>) -> Result<Frame> {
        rows.sort_unstable();
        rows.dedup();
        let batch = self.frame.to_batch()?;
        let indices = UInt32Array::from(rows.into_iter().map(|r| r as u32).collect::<Vec<_>>());
        Ok(Frame::from_batch(take_record_batch(&batch, &indices)?))
    }

    /// The `proc_key` of every root, in tree order.
    pub fn root_keys(&self) -> Vec<String> {
        (0..self.len()).filter(|&r| self.index.is_root[r]).map(|r| self.index.key(r).to_string()).collect()
    }

    /// The root processes.
    pub fn roots(&self) -> Result<Frame> {
        self.rows_frame((0..self.len()).filter(|&r| self.index.is_root[r]).collect())
    }

    /// One process.
    pub fn process(&self, proc_key: &str) -> Result<Frame> {
        self.rows_frame(vec![self.row(proc_key)?])
    }

    /// The parent of a process (empty for a root).
    pub fn parent(&self, proc_key: &str) -> Result<Frame> {
        self.rows_frame(self.index.parent(self.row(proc_key)?).into_iter().collect())
    }

    /// The direct children of a process (with the process itself when `include_source`).
    pub fn children(&self, proc_key: &str, include_source: bool) -> Result<Frame> {
        let row = self.row(proc_key)?;
        let mut rows: Vec<usize> = self.index.children(row).collect();
        if include_source {
            rows.push(row);
        }
        self.rows_frame(rows)
    }

    fn descendant_rows(&self, row: usize, max_levels: Option<usize>) -> Vec<usize> {
        let mut out = Vec::new();
        let mut level = vec![row];
        let mut depth = 0;
        while !level.is_empty() && max_levels.is_none_or(|m| depth < m) {
            level = level.iter().flat_map(|&r| self.index.children(r)).collect();
            out.extend(&level);
            depth += 1;
        }
        out
    }

    /// Children, grandchildren… of a process, `max_levels` deep (`None`: all).
    pub fn descendants(&self, proc_key: &str, max_levels: Option<usize>) -> Result<Frame> {
        self.rows_frame(self.descendant_rows(self.row(proc_key)?, max_levels))
    }

    fn ancestor_rows(&self, row: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut current = self.index.parent(row);
        while let Some(p) = current {
            if out.contains(&p) {
                break;
            }
            out.push(p);
            current = self.index.parent(p);
        }
        out
    }

    /// Parent, grandparent… up to the root.
    pub fn ancestors(&self, proc_key: &str) -> Result<Frame> {
        self.rows_frame(self.ancestor_rows(self.row(proc_key)?))
    }

    /// Other children of the same parent (the process itself excluded).
    pub fn siblings(&self, proc_key: &str) -> Result<Frame> {
        let row = self.row(proc_key)?;
        let rows = match self.index.parent(row) {
            Some(p) => self.index.children(p).filter(|&c| c != row).collect(),
            None => Vec::new(),
        };
        self.rows_frame(rows)
    }

    /// The root of a process's tree.
    pub fn root(&self, proc_key: &str) -> Result<Frame> {
        let row = self.row(proc_key)?;
        self.rows_frame(vec![self.ancestor_rows(row).last().copied().unwrap_or(row)])
    }

    /// The whole tree that contains a process (its root and every descendant).
    pub fn root_tree(&self, proc_key: &str) -> Result<Frame> {
        let row = self.row(proc_key)?;
        let root = self.ancestor_rows(row).last().copied().unwrap_or(row);
        let mut rows = self.descendant_rows(root, None);
        rows.push(root);
        self.rows_frame(rows)
    }

    /// Levels of the tree containing a process.
    pub fn tree_depth(&self, proc_key: &str) -> Result<usize> {
        let row = self.row(proc_key)?;
        let root = self.ancestor_rows(row).last().copied().unwrap_or(row);
        Ok(self.descendant_rows(root, None).iter().chain([root].iter()).map(|&r| self.index.depth[r] as usize).max().unwrap_or(1))
    }

    /// The tree as indented text: one line per process (`name [pid] time  command line`), for
    /// the tree of `root_key` or every tree; at most `max_lines` lines (0: no limit).
    pub fn to_text(&self, root_key: Option<&str>, max_lines: usize) -> String {
        let ix = &self.index;
        let rows: Vec<usize> = match root_key.and_then(|k| ix.row_of(k)) {
            Some(row) => {
                let root = self.ancestor_rows(row).last().copied().unwrap_or(row);
                let mut rows = self.descendant_rows(root, None);
                rows.push(root);
                rows.sort_unstable();
                rows
            }
            None => (0..self.len()).collect(),
        };
        let separator = self.schema.path_separator.as_str();
        let mut out = String::new();
        for (n, &r) in rows.iter().enumerate() {
            if max_lines > 0 && n >= max_lines {
                out.push_str(&format!("… {} more processes\n", rows.len() - n));
                break;
            }
            let indent = "    ".repeat((ix.depth[r] as usize).saturating_sub(1));
            let marker = if ix.is_root[r] { "" } else { "└── " };
            let short = ix.name(r).rsplit(separator).next().unwrap_or(ix.name(r));
            let time = ix.time(r)
                .filter(|t| *t != 0)
                .map(|t| chrono::DateTime::from_timestamp_nanos(t).format(" %Y-%m-%d %H:%M:%S%.3f").to_string())
                .unwrap_or_else(|| " (inferred)".to_string());
            let cmd = ix.cmd_line(r).map(|c| format!("  {}", truncate(c, 120))).unwrap_or_default();
            out.push_str(&format!("{indent}{marker}{short} [{}]{time}{cmd}\n", ix.pid(r)));
        }
        out
    }

    /// Shows the tree's frame as a rich table in a notebook.
    pub fn evcxr_display(&self) {
        self.frame.evcxr_display();
    }
}

fn truncate(text: &str, max: usize) -> String {
    let one_line = text.replace(['\r', '\n'], " ");
    match one_line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}
