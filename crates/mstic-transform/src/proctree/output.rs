//! Common finishing of both builders: root/leaf/branch flags, duplicate keys dropped, paths from
//! the roots breadth-first, rows sorted by path, and the output Frame.

use super::tree::{ProcessTree, TreeIndex};
use super::{Node, ProcSchema};
use arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampNanosecondArray, UInt32Array};
use arrow::compute::take;
use mstic_core::{Frame, Result};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// Columns added to the events by the builder.
const ADDED: [&str; 10] =
    ["proc_key", "parent_key", "timestamp_orig_par", "EffectiveLogonId", "IsRoot", "IsLeaf", "IsBranch", "source_index", "path", "parent_index"];

pub(super) fn finish(batch: &RecordBatch, nodes: Vec<Node>, schema: &ProcSchema) -> Result<ProcessTree> {
    let width = nodes.len().saturating_sub(1).to_string().len().max(5);
    let source_index: Vec<String> = (0..nodes.len()).map(|i| format!("{i:0width$}")).collect();
    let parent_keys: HashSet<&str> = nodes.iter().filter_map(|n| n.parent_key.as_deref()).collect();

    // Keep the first process of each key.
    let mut seen: HashSet<Option<&str>> = HashSet::with_capacity(nodes.len());
    let kept: Vec<usize> = (0..nodes.len()).filter(|&i| seen.insert(nodes[i].proc_key.as_deref())).collect();
    let by_key: HashMap<&str, usize> =
        kept.iter().enumerate().filter_map(|(pos, &i)| nodes[i].proc_key.as_deref().map(|k| (k, pos))).collect();
    let is_root: Vec<bool> = kept.iter().map(|&i| nodes[i].parent_key.is_none()).collect();
    let has_child: Vec<bool> = kept.iter().map(|&i| nodes[i].proc_key.as_deref().is_some_and(|k| parent_keys.contains(k))).collect();

    // Children of each kept process, then paths breadth-first from the roots.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); kept.len()];
    for (pos, &i) in kept.iter().enumerate() {
        if let Some(parent) = nodes[i].parent_key.as_deref().and_then(|k| by_key.get(k))
            && *parent != pos
        {
            children[*parent].push(pos);
        }
    }
    let mut path: Vec<String> = kept.iter().map(|&i| source_index[i].clone()).collect();
    let mut parent: Vec<Option<usize>> = vec![None; kept.len()];
    let mut visited: Vec<bool> = is_root.clone();
    let mut queue: VecDeque<usize> = (0..kept.len()).filter(|&p| is_root[p]).collect();
    while let Some(p) = queue.pop_front() {
        for &child in &children[p] {
            if !visited[child] && !is_root[child] {
                visited[child] = true;
                path[child] = format!("{}/{}", path[p], source_index[kept[child]]);
                parent[child] = Some(p);
                queue.push_back(child);
            }
        }
    }

    // A path lists every ancestor, so a pathologically deep chain (hundreds of thousands of
    // generations) would outgrow a string column: say so instead of failing inside Arrow.
    let path_bytes: usize = path.iter().map(String::len).sum();
    if path_bytes > i32::MAX as usize {
        let deepest = path.iter().map(|p| p.matches('/').count() + 1).max().unwrap_or(0);
        return Err(mstic_core::Error::Invalid {
            what: "process events".into(),
            message: format!(
                "the tree is too deep to list paths: the deepest chain has {deepest} generations \
                 ({path_bytes} bytes of paths); check the parent id columns of the schema"
            ),
        });
    }

    // Output order: by path, then time.
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by(|&a, &b| path[a].cmp(&path[b]).then(nodes[kept[a]].time.cmp(&nodes[kept[b]].time)));
    let mut row_of = vec![0usize; kept.len()];
    for (row, &pos) in order.iter().enumerate() {
        row_of[pos] = row;
    }
    let node_at = |row: usize| &nodes[kept[order[row]]];
    let rows = order.len();

    let flags = |v: &Vec<bool>| -> ArrayRef { Arc::new(order.iter().map(|&p| Some(v[p])).collect::<BooleanArray>()) };
    let timestamps = |f: &dyn Fn(usize) -> Option<i64>| -> ArrayRef {
        Arc::new((0..rows).map(f).collect::<TimestampNanosecondArray>().with_timezone("UTC"))
    };
    let mut core: Vec<(String, ArrayRef)> = vec![
        (schema.process_name.clone(), string_column(rows, &|r| node_at(r).name.as_deref())),
        (schema.process_id.clone(), string_column(rows, &|r| node_at(r).pid.as_deref())),
        (schema.parent_id.clone(), string_column(rows, &|r| node_at(r).ppid.as_deref())),
        (schema.time_stamp.clone(), timestamps(&|r| node_at(r).time)),
    ];
    if let Some(column) = &schema.parent_name {
        core.push((column.clone(), string_column(rows, &|r| node_at(r).parent_name.as_deref())));
    }
    if let Some(column) = schema.host_name.as_ref().filter(|c| batch.schema().index_of(c).is_ok()) {
        core.push((column.clone(), string_column(rows, &|r| node_at(r).host.as_deref())));
    }
    let added: Vec<(String, ArrayRef)> = vec![
        ("proc_key".into(), string_column(rows, &|r| node_at(r).proc_key.as_deref())),
        ("parent_key".into(), string_column(rows, &|r| node_at(r).parent_key.as_deref())),
        ("timestamp_orig_par".into(), timestamps(&|r| node_at(r).parent_time)),
        ("EffectiveLogonId".into(), string_column(rows, &|r| node_at(r).logon.as_deref())),
        ("IsRoot".into(), flags(&is_root)),
        ("IsLeaf".into(), flags(&has_child.iter().map(|c| !c).collect())),
        ("IsBranch".into(), flags(&is_root.iter().zip(&has_child).map(|(r, c)| !r && *c).collect())),
        ("source_index".into(), string_column(rows, &|r| Some(source_index[kept[order[r]]].as_str()))),
        ("path".into(), string_column(rows, &|r| Some(path[order[r]].as_str()))),
        ("parent_index".into(), string_column(rows, &|r| parent[order[r]].map(|p| source_index[kept[p]].as_str()))),
    ];

    let indices: UInt32Array = (0..rows).map(|r| node_at(r).source_row.map(|i| i as u32)).collect();
    let mut columns: Vec<(String, ArrayRef)> = Vec::new();
    for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
        let name = field.name();
        if ADDED.contains(&name.as_str()) {
            continue;
        }
        match core.iter().position(|(c, _)| c == name) {
            Some(at) => columns.push(core.remove(at)),
            None => columns.push((name.clone(), take(array.as_ref(), &indices, None)?)),
        }
    }
    columns.extend(core);
    columns.extend(added);
    let frame = Frame::from_columns(columns)?;

    let index = TreeIndex {
        parent: order.iter().map(|&p| parent[p].map(|q| row_of[q])).collect(),
        children: order.iter().map(|&p| children[p].iter().filter(|&&c| parent[c] == Some(p)).map(|&c| row_of[c]).collect()).collect(),
        key_row: order.iter().enumerate().filter_map(|(row, &p)| nodes[kept[p]].proc_key.clone().map(|k| (k, row))).collect(),
        keys: (0..rows).map(|r| node_at(r).proc_key.clone().unwrap_or_default()).collect(),
        names: (0..rows).map(|r| node_at(r).name.clone().unwrap_or_else(|| "?".into())).collect(),
        pids: (0..rows).map(|r| node_at(r).pid.clone().unwrap_or_default()).collect(),
        cmd_lines: (0..rows).map(|r| node_at(r).cmd_line.clone()).collect(),
        times: (0..rows).map(|r| node_at(r).time).collect(),
        is_root: order.iter().map(|&p| is_root[p]).collect(),
        is_leaf: order.iter().map(|&p| !has_child[p]).collect(),
        depth: order.iter().map(|&p| path[p].matches('/').count() + 1).collect(),
    };
    Ok(ProcessTree::new(frame, schema.clone(), index))
}

/// A string column of `rows` values, borrowed from the nodes rather than cloned.
fn string_column<'a>(rows: usize, value: &dyn Fn(usize) -> Option<&'a str>) -> ArrayRef {
    Arc::new((0..rows).map(value).collect::<StringArray>())
}
