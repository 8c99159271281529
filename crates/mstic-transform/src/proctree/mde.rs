//! The MDE builder: parents are found through the creation times each record carries
//! (`InitiatingProcessCreationTime`, `*ParentCreationTime*`); parents missing from the data are
//! synthesised from the `InitiatingProcess*` columns and grandparents from the `*Parent*` ones.
//! `DeviceProcessEvents` column names are read through their MDE-internal equivalents.

use super::columns::{Texts, find, times};
use super::keys::{Key, KeyParts};
use super::{Node, ProcSchema};
use arrow::array::RecordBatch;
use mstic_core::{Error, Result};
use rustc_hash::FxHashSet;

/// Internal MDE column → the `DeviceProcessEvents` name used when the internal one is absent.
const DEVICE_PROCESS_EVENTS_NAMES: [(&str, &str); 14] = [
    ("CreatedProcessName", "FileName"),
    ("CreatedProcessId", "ProcessId"),
    ("CreatedProcessCreationTime", "ProcessCreationTime"),
    ("CreatedProcessCommandLine", "ProcessCommandLine"),
    ("CreatedProcessAccountName", "AccountName"),
    ("ComputerDnsName", "DeviceName"),
    ("InitiatingProcessName", "InitiatingProcessFileName"),
    ("InitiatingProcessParentProcessName", "InitiatingProcessParentFileName"),
    ("InitiatingProcessParentProcessId", "InitiatingProcessParentId"),
    ("CreatedProcessParentId", "InitiatingProcessId"),
    ("CreatedProcessParentName", "InitiatingProcessFileName"),
    ("CreatedProcessParentCreationTimeUtc", "InitiatingProcessCreationTime"),
    ("Process_CommandLine", "InitiatingProcessCommandLine"),
    ("CreatedProcessCreationTime", "Timestamp"),
];

/// The MDE columns of the events, as borrowed text and times.
pub(super) struct Columns {
    rows: usize,
    name: Texts,
    pid: Texts,
    time: Vec<Option<i64>>,
    init_name: Texts,
    init_pid: Texts,
    init_time: Vec<Option<i64>>,
    init_parent_name: Texts,
    init_parent_pid: Texts,
    init_parent_time: Vec<Option<i64>>,
    parent_name: Texts,
    parent_pid: Texts,
    parent_time: Vec<Option<i64>>,
    host: Texts,
    cmd: Texts,
    init_cmd: Texts,
    logon: Texts,
    init_logon: Texts,
}

/// A column by its internal MDE name or its `DeviceProcessEvents` name.
fn array<'b>(batch: &'b RecordBatch, name: &str) -> Option<&'b arrow::array::ArrayRef> {
    find(batch, name).or_else(|| {
        DEVICE_PROCESS_EVENTS_NAMES
            .iter()
            .filter(|(internal, _)| *internal == name)
            .find_map(|(_, alias)| find(batch, alias))
    })
}

impl Columns {
    /// Reads the columns; a missing required one is an error naming it.
    pub(super) fn read(batch: &RecordBatch, schema: &ProcSchema) -> Result<Columns> {
        if batch.num_rows() == 0 {
            return Err(Error::invalid("process events", "no MDE process events"));
        }
        let texts = |name: &str| array(batch, name).map_or_else(|| Ok(Texts::absent()), Texts::of);
        let required = |name: &str| match array(batch, name) {
            Some(array) => Texts::of(array),
            None => Err(Error::invalid("MDE process events", format!("the column '{name}' is missing"))),
        };
        let times = |name: &str| array(batch, name).map_or_else(|| Ok(vec![None; batch.num_rows()]), times);
        Ok(Columns {
            rows: batch.num_rows(),
            name: required("CreatedProcessName")?,
            pid: required("CreatedProcessId")?,
            time: times("CreatedProcessCreationTime")?,
            init_name: required("InitiatingProcessName")?,
            init_pid: required("InitiatingProcessId")?,
            init_time: times("InitiatingProcessCreationTime")?,
            init_parent_name: texts("InitiatingProcessParentProcessName")?,
            init_parent_pid: texts("InitiatingProcessParentProcessId")?,
            init_parent_time: times("InitiatingProcessParentCreationTime")?,
            parent_name: texts("CreatedProcessParentName")?,
            parent_pid: texts("CreatedProcessParentId")?,
            parent_time: times("CreatedProcessParentCreationTimeUtc")?,
            host: texts(schema.host_name.as_deref().unwrap_or("ComputerDnsName"))?,
            cmd: texts("CreatedProcessCommandLine")?,
            init_cmd: texts("Process_CommandLine")?,
            logon: texts("LogonId")?,
            init_logon: texts("InitiatingProcessLogonId")?,
        })
    }
}

/// MSTICPy's MDE key: lowered name, lowered pid (`nan` when missing) and time; none without a
/// name or a time.
fn key<'a>(parts: &mut KeyParts<'a>, name: Option<&'a str>, pid: Option<&'a str>, time: Option<i64>) -> Option<Key> {
    let (name, time) = (name?, time?);
    Some(KeyParts::key(parts.names.lower_id(name), parts.pids.lower_id(pid.unwrap_or("nan")), Some(time)))
}

/// The file name after the last `\` of a path.
fn stem(path: &str) -> &str {
    path.rsplit('\\').next().unwrap_or(path)
}

/// The processes of the events (in event order), then the synthesised parents and grandparents.
pub(super) fn nodes<'a>(c: &'a Columns, parts: &mut KeyParts<'a>) -> Result<Vec<Node<'a>>> {
    let rows = c.rows;
    let mut nodes: Vec<Node> = (0..rows)
        .map(|i| Node {
            source_row: Some(i as u32),
            name: c.name.get(i),
            pid: c.pid.get(i),
            ppid: c.init_pid.get(i),
            parent_name: c.init_name.get(i),
            time: c.time[i],
            parent_time: c.init_time[i],
            logon: c.logon.get(i),
            host: c.host.get(i),
            cmd_line: c.cmd.get(i),
            proc_key: key(parts, c.name.get(i), c.pid.get(i), c.time[i]),
            parent_key: key(parts, c.init_name.get(i), c.init_pid.get(i), c.init_time[i]),
        })
        .collect();
    let known: FxHashSet<Key> = nodes.iter().filter_map(|n| n.proc_key).collect();

    // Parents missing from the data, from the children's InitiatingProcess* columns (time order).
    let mut missing: Vec<usize> = (0..rows).filter(|&i| nodes[i].parent_key.is_some_and(|k| !known.contains(&k))).collect();
    missing.sort_by_key(|&i| (c.init_time[i].is_none(), c.init_time[i]));
    let mut seen = FxHashSet::default();
    let mut synthetic = Vec::new();
    for i in missing {
        let (init_parent_name, init_parent_pid, init_parent_time) = (c.init_parent_name.get(i), c.init_parent_pid.get(i), c.init_parent_time[i]);
        let signature = (nodes[i].parent_key, init_parent_name, init_parent_pid, init_parent_time, c.init_cmd.get(i), c.init_logon.get(i));
        if !seen.insert(signature) {
            continue;
        }
        synthetic.push(Node {
            source_row: None,
            name: c.init_name.get(i),
            pid: c.init_pid.get(i),
            ppid: init_parent_pid,
            parent_name: init_parent_name,
            time: c.init_time[i],
            parent_time: init_parent_time,
            logon: c.init_logon.get(i),
            host: None,
            cmd_line: c.init_cmd.get(i),
            proc_key: nodes[i].parent_key,
            parent_key: key(parts, init_parent_name.map(stem), init_parent_pid, init_parent_time),
        });
    }

    // Grandparents: for every process whose parent is still unknown, from its *Parent* columns.
    let mut all_keys = known;
    all_keys.extend(synthetic.iter().filter_map(|n| n.proc_key));
    let mut gp_seen = FxHashSet::default();
    let mut grandparents = Vec::new();
    for n in nodes.iter().chain(synthetic.iter()) {
        if n.parent_key.is_some_and(|k| all_keys.contains(&k)) {
            continue;
        }
        let (gp_path, gp_pid, gp_time) = match n.source_row {
            Some(i) => (c.parent_name.get(i as usize), c.parent_pid.get(i as usize), c.parent_time[i as usize]),
            None => (n.parent_name, n.ppid, n.parent_time),
        };
        let Some(gp_path) = gp_path else { continue };
        if !gp_seen.insert((gp_path, gp_pid, gp_time)) {
            continue;
        }
        let gp_name = stem(gp_path);
        let proc_key = key(parts, Some(gp_name), gp_pid, gp_time);
        grandparents.push(Node { source_row: None, name: Some(gp_name), pid: gp_pid, time: gp_time, proc_key, ..Node::default() });
    }
    nodes.extend(synthetic);
    nodes.extend(grandparents);
    Ok(nodes)
}
