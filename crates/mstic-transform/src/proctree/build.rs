//! The Windows/Linux/generic builder: filter process events, drop duplicate rows, sort by time,
//! match each child to the latest earlier parent with its parent id (and name), and add inferred
//! parents for orphans.

use super::columns::{Texts, find, require, times};
use super::keys::KeyParts;
use super::{Node, ProcSchema};
use arrow::array::{BooleanArray, RecordBatch, UInt32Array};
use arrow::compute::{filter_record_batch, take_record_batch};
use mstic_core::{Error, Result};
use rustc_hash::{FxHashMap, FxHashSet};

/// Keeps process-creation events (when the filter column exists) and drops duplicate rows.
pub(super) fn clean(batch: &RecordBatch, schema: &ProcSchema) -> Result<RecordBatch> {
    let mut batch = batch.clone();
    if let Some((column, value)) = &schema.event_filter
        && let Some(array) = find(&batch, column)
    {
        let text = Texts::of(array)?;
        let keep: BooleanArray = (0..batch.num_rows()).map(|row| Some(text.get(row) == Some(value.as_str()))).collect();
        batch = filter_record_batch(&batch, &keep)?;
    }
    if let Some(keep) = super::dedup::distinct_rows(&batch)
        && keep.len() < batch.num_rows()
    {
        batch = take_record_batch(&batch, &UInt32Array::from(keep))?;
    }
    if batch.num_rows() == 0 {
        return Err(Error::invalid("process events", format!("no process-creation events for schema '{}'", schema.name)));
    }
    Ok(batch)
}

/// The schema's columns of the cleaned events, as borrowed text and times.
pub(super) struct Columns {
    rows: usize,
    time: Vec<Option<i64>>,
    name: Texts,
    pid: Texts,
    ppid: Texts,
    /// The parent name column, when the schema names one and the events have it.
    parent_name: Option<Texts>,
    host: Texts,
    cmd_line: Texts,
    logon: Texts,
    target_logon: Texts,
    /// Whether the schema names a logon id column (the target logon id is used only then).
    has_logon_column: bool,
}

impl Columns {
    /// Reads the columns; a missing required column is an error naming the closest ones.
    pub(super) fn read(batch: &RecordBatch, schema: &ProcSchema) -> Result<Columns> {
        let required = |name: &str| Texts::of(require(batch, name, &schema.name)?);
        let time = times(require(batch, &schema.time_stamp, &schema.name)?)?;
        let parent_column = schema.parent_name.as_deref().filter(|c| find(batch, c).is_some());
        Ok(Columns {
            rows: batch.num_rows(),
            time,
            name: required(&schema.process_name)?,
            pid: required(&schema.process_id)?,
            ppid: required(&schema.parent_id)?,
            parent_name: parent_column.map(|c| Texts::optional(batch, Some(c))).transpose()?,
            host: Texts::optional(batch, schema.host_name.as_deref())?,
            cmd_line: Texts::optional(batch, schema.cmd_line.as_deref())?,
            logon: Texts::optional(batch, schema.logon_id.as_deref())?,
            target_logon: Texts::optional(batch, schema.target_logon_id.as_deref())?,
            has_logon_column: schema.logon_id.is_some(),
        })
    }

    /// The parent name of a row; an empty name reads `unknown`.
    fn parent_name(&self, row: usize) -> Option<&str> {
        self.parent_name.as_ref()?.get(row).map(|p| if p.is_empty() { "unknown" } else { p })
    }

    /// The target logon id when it is set (not `0x0`), else the logon id, else `0`.
    fn effective_logon(&self, row: usize) -> &str {
        match (self.target_logon.get(row), self.logon.get(row)) {
            (Some(target), _) if target != "0x0" && self.has_logon_column => target,
            (_, Some(logon)) => logon,
            _ => "0",
        }
    }
}

/// The processes of the events in time order, then the inferred parents.
pub(super) fn nodes<'a>(c: &'a Columns, parts: &mut KeyParts<'a>) -> Vec<Node<'a>> {
    let rows = c.rows;
    let time = &c.time;
    // Time order (stable; rows without a time last).
    let mut order: Vec<u32> = (0..rows as u32).collect();
    order.sort_unstable_by_key(|&i| (time[i as usize].is_none(), time[i as usize], i));

    let with_names = c.parent_name.is_some();
    let empty_name = parts.names.id("");
    let name_lc: Vec<Option<u32>> = (0..rows).map(|i| c.name.get(i).map(|n| parts.names.lower_id(n))).collect();
    let parent_lc: Vec<Option<u32>> = (0..rows).map(|i| c.parent_name(i).map(|n| parts.names.lower_id(n))).collect();
    let empty_pid = parts.pids.id("");
    let pid: Vec<Option<u32>> = (0..rows).map(|i| c.pid.get(i).map(|p| parts.pids.id(p))).collect();
    let ppid: Vec<Option<u32>> = (0..rows).map(|i| c.ppid.get(i).map(|p| parts.pids.id(p))).collect();

    let unknown = parts.names.id("unknown");
    let mut nodes = Vec::with_capacity(rows + rows / 16);
    let mut inferred: Vec<Node> = Vec::new();
    // Inferred parents once per (host, parent id, logon id, parent name).
    let mut inferred_seen: FxHashSet<[Option<&str>; 4]> = FxHashSet::default();
    // Parents by (pid, name) — or pid alone without a parent name column: the latest process
    // at or before the child's time. Walking in time order, every process of a time step is
    // registered before that step's children look up their parent.
    let mut latest: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    let mut registered = 0;
    for (at, &i) in order.iter().enumerate() {
        let i = i as usize;
        if at == registered {
            // Register the whole step of rows sharing this time (none for rows without a time).
            let step_time = time[i];
            while registered < order.len() && step_time.is_some() && time[order[registered] as usize] == step_time {
                let row = order[registered] as usize;
                if let Some(p) = pid[row] {
                    let n = if with_names { name_lc[row].unwrap_or(empty_name) } else { empty_name };
                    latest.insert((p, n), row as u32);
                }
                registered += 1;
            }
            registered = registered.max(at + 1);
        }
        let find_parent = || -> Option<usize> {
            let (ppid, _) = (ppid[i]?, time[i]?);
            let n = if with_names { parent_lc[i]? } else { empty_name };
            latest.get(&(ppid, n)).map(|&p| p as usize)
        };
        let mut node = Node {
            source_row: Some(i as u32),
            name: c.name.get(i),
            pid: c.pid.get(i),
            ppid: c.ppid.get(i),
            parent_name: c.parent_name(i),
            time: time[i],
            logon: Some(c.effective_logon(i)),
            host: c.host.get(i),
            cmd_line: c.cmd_line.get(i),
            proc_key: Some(KeyParts::key(name_lc[i].unwrap_or(empty_name), pid[i].unwrap_or(empty_pid), time[i])),
            ..Node::default()
        };
        let parent_lc_value = match find_parent() {
            Some(p) => {
                node.parent_time = time[p];
                if !with_names {
                    node.parent_name = c.name.get(p);
                }
                if with_names { parent_lc[i] } else { name_lc[p] }
            }
            None => {
                node.parent_time = Some(0);
                let (parent_label, parent_label_lc) = if with_names { (c.parent_name(i), parent_lc[i]) } else { (Some("unknown"), Some(unknown)) };
                if !with_names {
                    node.parent_name = parent_label;
                }
                if let Some(label_lc) = parent_label_lc
                    && inferred_seen.insert([c.host.get(i), c.ppid.get(i), c.logon.get(i), parent_label])
                {
                    inferred.push(Node {
                        source_row: None,
                        name: parent_label,
                        pid: c.ppid.get(i),
                        time: Some(0),
                        logon: c.logon.get(i).or(Some("0")),
                        host: c.host.get(i),
                        proc_key: Some(KeyParts::key(label_lc, ppid[i].unwrap_or(empty_pid), Some(0))),
                        ..Node::default()
                    });
                }
                parent_label_lc
            }
        };
        node.parent_key = parent_lc_value.map(|lc| KeyParts::key(lc, ppid[i].unwrap_or(empty_pid), node.parent_time));
        nodes.push(node);
    }
    nodes.extend(inferred);
    nodes
}
