//! The MDE builder: parents are found through the creation times each record carries
//! (`InitiatingProcessCreationTime`, `*ParentCreationTime*`); parents missing from the data are
//! synthesised from the `InitiatingProcess*` columns and grandparents from the `*Parent*` ones.
//! `DeviceProcessEvents` column names are read through their MDE-internal equivalents.

use super::columns::{find, key_time, texts, times};
use super::{Node, ProcSchema};
use arrow::array::RecordBatch;
use mstic_core::{Error, Result};
use std::collections::HashSet;

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

struct Columns<'b> {
    batch: &'b RecordBatch,
}

impl Columns<'_> {
    fn array(&self, name: &str) -> Option<&arrow::array::ArrayRef> {
        find(self.batch, name).or_else(|| {
            DEVICE_PROCESS_EVENTS_NAMES
                .iter()
                .filter(|(internal, _)| *internal == name)
                .find_map(|(_, alias)| find(self.batch, alias))
        })
    }
    fn texts(&self, name: &str) -> Result<Vec<Option<String>>> {
        match self.array(name) {
            Some(array) => texts(array),
            None => Ok(vec![None; self.batch.num_rows()]),
        }
    }
    fn required_texts(&self, name: &str) -> Result<Vec<Option<String>>> {
        match self.array(name) {
            Some(array) => texts(array),
            None => Err(Error::invalid("MDE process events", format!("the column '{name}' is missing"))),
        }
    }
    fn times(&self, name: &str) -> Result<Vec<Option<i64>>> {
        match self.array(name) {
            Some(array) => times(array),
            None => Ok(vec![None; self.batch.num_rows()]),
        }
    }
}

fn key(name: Option<&str>, pid: Option<&str>, time: Option<i64>) -> Option<String> {
    Some(format!("{}|{}|{}", name?.to_lowercase(), pid.unwrap_or("nan").to_lowercase(), key_time(time?)))
}

/// The file name after the last `\` of a path.
fn stem(path: &str) -> &str {
    path.rsplit('\\').next().unwrap_or(path)
}

pub(super) fn nodes(batch: &RecordBatch, schema: &ProcSchema) -> Result<(RecordBatch, Vec<Node>)> {
    if batch.num_rows() == 0 {
        return Err(Error::invalid("process events", "no MDE process events"));
    }
    let c = Columns { batch };
    let name = c.required_texts("CreatedProcessName")?;
    let pid = c.required_texts("CreatedProcessId")?;
    let time = c.times("CreatedProcessCreationTime")?;
    let init_name = c.required_texts("InitiatingProcessName")?;
    let init_pid = c.required_texts("InitiatingProcessId")?;
    let init_time = c.times("InitiatingProcessCreationTime")?;
    let init_parent_name = c.texts("InitiatingProcessParentProcessName")?;
    let init_parent_pid = c.texts("InitiatingProcessParentProcessId")?;
    let init_parent_time = c.times("InitiatingProcessParentCreationTime")?;
    let parent_name = c.texts("CreatedProcessParentName")?;
    let parent_pid = c.texts("CreatedProcessParentId")?;
    let parent_time = c.times("CreatedProcessParentCreationTimeUtc")?;
    let host = c.texts(schema.host_name.as_deref().unwrap_or("ComputerDnsName"))?;
    let cmd = c.texts("CreatedProcessCommandLine")?;
    let init_cmd = c.texts("Process_CommandLine")?;
    let logon = c.texts("LogonId")?;
    let init_logon = c.texts("InitiatingProcessLogonId")?;

    let rows = batch.num_rows();
    let mut nodes: Vec<Node> = (0..rows)
        .map(|i| Node {
            source_row: Some(i),
            name: name[i].clone(),
            pid: pid[i].clone(),
            ppid: init_pid[i].clone(),
            parent_name: init_name[i].clone(),
            time: time[i],
            parent_time: init_time[i],
            logon: logon[i].clone(),
            host: host[i].clone(),
            cmd_line: cmd[i].clone(),
            proc_key: key(name[i].as_deref(), pid[i].as_deref(), time[i]),
            parent_key: key(init_name[i].as_deref(), init_pid[i].as_deref(), init_time[i]),
        })
        .collect();
    let known: HashSet<String> = nodes.iter().filter_map(|n| n.proc_key.clone()).collect();

    // Parents missing from the data, from the children's InitiatingProcess* columns (time order).
    let mut missing: Vec<usize> = (0..rows).filter(|&i| nodes[i].parent_key.as_ref().is_some_and(|k| !known.contains(k))).collect();
    missing.sort_by_key(|&i| (init_time[i].is_none(), init_time[i]));
    let mut seen = HashSet::new();
    let mut synthetic = Vec::new();
    for i in missing {
        let signature = (
            nodes[i].parent_key.clone(),
            init_parent_name[i].clone(),
            init_parent_pid[i].clone(),
            init_parent_time[i],
            init_cmd[i].clone(),
            init_logon[i].clone(),
        );
        if !seen.insert(signature) {
            continue;
        }
        let grandparent_name = init_parent_name[i].as_deref().map(stem);
        synthetic.push(Node {
            source_row: None,
            name: init_name[i].clone(),
            pid: init_pid[i].clone(),
            ppid: init_parent_pid[i].clone(),
            parent_name: init_parent_name[i].clone(),
            time: init_time[i],
            parent_time: init_parent_time[i],
            logon: init_logon[i].clone(),
            host: None,
            cmd_line: init_cmd[i].clone(),
            proc_key: nodes[i].parent_key.clone(),
            parent_key: key(grandparent_name, init_parent_pid[i].as_deref(), init_parent_time[i]),
        });
    }

    // Grandparents: for every process whose parent is still unknown, from its *Parent* columns.
    let mut all_keys = known;
    all_keys.extend(synthetic.iter().filter_map(|n| n.proc_key.clone()));
    let mut gp_seen = HashSet::new();
    let mut grandparents = Vec::new();
    let parent_fields = |n: &Node, row: Option<usize>| -> (Option<String>, Option<String>, Option<i64>) {
        match row {
            Some(i) => (parent_name[i].clone(), parent_pid[i].clone(), parent_time[i]),
            None => (n.parent_name.clone(), n.ppid.clone(), n.parent_time),
        }
    };
    for (n, row) in nodes.iter().map(|n| (n, n.source_row)).chain(synthetic.iter().map(|n| (n, None))) {
        if n.parent_key.as_ref().is_some_and(|k| all_keys.contains(k)) {
            continue;
        }
        let (gp_path, gp_pid, gp_time) = parent_fields(n, row);
        let Some(gp_path) = gp_path else { continue };
        let gp_name = stem(&gp_path).to_string();
        let proc_key = key(Some(&gp_name), gp_pid.as_deref(), gp_time);
        if !gp_seen.insert((gp_path.clone(), gp_pid.clone(), gp_time)) {
            continue;
        }
        grandparents.push(Node { source_row: None, name: Some(gp_name), pid: gp_pid, time: gp_time, proc_key, ..Node::default() });
    }
    nodes.extend(synthetic);
    nodes.extend(grandparents);
    Ok((batch.clone(), nodes))
}
