//! The Windows/Linux/generic builder: filter process events, drop duplicate rows, sort by time,
//! match each child to the latest earlier parent with its parent id (and name), and add inferred
//! parents for orphans.

use super::columns::{find, key_time, optional_texts, require, required_texts, texts, times};
use super::{Node, ProcSchema};
use arrow::array::{BooleanArray, RecordBatch, UInt32Array};
use arrow::compute::{filter_record_batch, take_record_batch};
use arrow::row::{RowConverter, SortField};
use mstic_core::{Error, Result};
use std::collections::{HashMap, HashSet};

/// Keeps process-creation events (when the filter column exists) and drops duplicate rows.
fn clean(batch: &RecordBatch, schema: &ProcSchema) -> Result<RecordBatch> {
    let mut batch = batch.clone();
    if let Some((column, value)) = &schema.event_filter
        && let Some(array) = find(&batch, column)
    {
        let keep: BooleanArray = texts(array)?.iter().map(|v| Some(v.as_deref() == Some(value.as_str()))).collect();
        batch = filter_record_batch(&batch, &keep)?;
    }
    let fields: Vec<SortField> = batch.schema().fields().iter().map(|f| SortField::new(f.data_type().clone())).collect();
    if let Ok(converter) = RowConverter::new(fields)
        && let Ok(rows) = converter.convert_columns(batch.columns())
    {
        let mut seen = HashSet::with_capacity(rows.num_rows());
        let keep: Vec<u32> = (0..rows.num_rows()).filter(|&i| seen.insert(rows.row(i))).map(|i| i as u32).collect();
        if keep.len() < batch.num_rows() {
            batch = take_record_batch(&batch, &UInt32Array::from(keep))?;
        }
    }
    Ok(batch)
}

pub(super) fn nodes(input: &RecordBatch, schema: &ProcSchema) -> Result<(RecordBatch, Vec<Node>)> {
    let batch = clean(input, schema)?;
    if batch.num_rows() == 0 {
        return Err(Error::invalid("process events", format!("no process-creation events for schema '{}'", schema.name)));
    }
    let time_column = require(&batch, &schema.time_stamp, &schema.name)?;
    let time = times(time_column)?;
    let name = required_texts(&batch, &schema.process_name, &schema.name)?;
    let pid = required_texts(&batch, &schema.process_id, &schema.name)?;
    let ppid = required_texts(&batch, &schema.parent_id, &schema.name)?;
    let parent_column = schema.parent_name.as_deref().filter(|c| find(&batch, c).is_some());
    let parent_name: Vec<Option<String>> = optional_texts(&batch, parent_column)?
        .into_iter()
        .map(|p| p.map(|p| if p.is_empty() { "unknown".to_string() } else { p }))
        .collect();
    let host = optional_texts(&batch, schema.host_name.as_deref())?;
    let cmd_line = optional_texts(&batch, schema.cmd_line.as_deref())?;
    let logon = optional_texts(&batch, schema.logon_id.as_deref())?;
    let target_logon = optional_texts(&batch, schema.target_logon_id.as_deref())?;

    // Time order (stable; rows without a time last).
    let mut order: Vec<usize> = (0..batch.num_rows()).collect();
    order.sort_by_key(|&i| (time[i].is_none(), time[i]));
    let lower = |v: &Option<String>| v.as_ref().map(|s| s.to_lowercase());
    let name_lc: Vec<Option<String>> = name.iter().map(lower).collect();
    let parent_lc: Vec<Option<String>> = parent_name.iter().map(lower).collect();
    let effective_logon: Vec<Option<String>> = (0..batch.num_rows())
        .map(|i| match (&target_logon[i], &logon[i]) {
            (Some(t), _) if t != "0x0" && schema.logon_id.is_some() => Some(t.clone()),
            (_, Some(l)) => Some(l.clone()),
            _ => Some("0".to_string()),
        })
        .collect();

    // Parents by (pid, name) — or pid alone without a parent name column — in time order.
    let with_names = parent_column.is_some();
    let mut by_key: HashMap<(&str, &str), Vec<(i64, usize)>> = HashMap::new();
    for &i in &order {
        if let (Some(p), Some(t)) = (&pid[i], time[i]) {
            let n = if with_names { name_lc[i].as_deref().unwrap_or("") } else { "" };
            by_key.entry((p.as_str(), n)).or_default().push((t, i));
        }
    }
    let find_parent = |child: usize| -> Option<usize> {
        let (ppid, t) = (ppid[child].as_deref()?, time[child]?);
        let n = if with_names { parent_lc[child].as_deref()? } else { "" };
        let candidates = by_key.get(&(ppid, n))?;
        let at = candidates.partition_point(|(pt, _)| *pt <= t);
        (at > 0).then(|| candidates[at - 1].1)
    };

    let mut nodes = Vec::with_capacity(order.len() + order.len() / 8);
    let mut inferred: Vec<Node> = Vec::new();
    let mut inferred_seen: HashSet<(Option<String>, Option<String>, Option<String>, Option<String>)> = HashSet::new();
    for &i in &order {
        let proc_key = Some(format!("{}|{}|{}", name_lc[i].as_deref().unwrap_or(""), pid[i].as_deref().unwrap_or(""), time[i].map(key_time).unwrap_or_default()));
        let mut node = Node {
            source_row: Some(i),
            name: name[i].clone(),
            pid: pid[i].clone(),
            ppid: ppid[i].clone(),
            parent_name: parent_name[i].clone(),
            time: time[i],
            logon: effective_logon[i].clone(),
            host: host[i].clone(),
            cmd_line: cmd_line[i].clone(),
            proc_key,
            ..Node::default()
        };
        let parent_lc_value = match find_parent(i) {
            Some(p) => {
                node.parent_time = time[p];
                if !with_names {
                    node.parent_name = name[p].clone();
                }
                if with_names { parent_lc[i].clone() } else { name_lc[p].clone() }
            }
            None => {
                node.parent_time = Some(0);
                let parent_label = if with_names { parent_name[i].clone() } else { Some("unknown".to_string()) };
                if !with_names {
                    node.parent_name = parent_label.clone();
                }
                let parent_label_lc = lower(&parent_label);
                let dedup = (host[i].clone(), ppid[i].clone(), logon[i].clone(), parent_label.clone());
                if parent_label_lc.is_some() && inferred_seen.insert(dedup) {
                    inferred.push(Node {
                        source_row: None,
                        name: parent_label,
                        pid: ppid[i].clone(),
                        time: Some(0),
                        logon: logon[i].clone().or(Some("0".to_string())),
                        host: host[i].clone(),
                        proc_key: Some(format!("{}|{}|{}", parent_label_lc.as_deref().unwrap_or(""), ppid[i].as_deref().unwrap_or(""), key_time(0))),
                        ..Node::default()
                    });
                }
                parent_label_lc
            }
        };
        node.parent_key = parent_lc_value.map(|lc| {
            format!("{lc}|{}|{}", ppid[i].as_deref().unwrap_or(""), node.parent_time.map(key_time).unwrap_or_default())
        });
        nodes.push(node);
    }
    nodes.extend(inferred);
    Ok((batch, nodes))
}
