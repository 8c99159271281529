//! Common finishing of both builders: root/leaf/branch flags, duplicate keys dropped, parents
//! linked from the roots, rows in path order, and the output Frame.
//!
//! Paths are `/`-joined zero-padded source indexes of equal width, so ordering rows by path is
//! a depth-first walk from the path-less processes (roots, and processes no root reaches) that
//! visits children in source-index order: the walk replaces the sort, and writes each path
//! from its parent's.

use super::columns::KeyTimeWriter;
use super::index::{NONE, TreeIndex};
use super::keys::{Key, KeyParts};
use super::tree::ProcessTree;
use super::{Node, ProcSchema};
use arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray, StringBuilder, TimestampNanosecondArray, UInt32Array};
use arrow::compute::take;
use mstic_core::{Frame, Result, interrupt};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::Arc;

/// Columns added to the events by the builder.
const ADDED: [&str; 10] =
    ["proc_key", "parent_key", "timestamp_orig_par", "EffectiveLogonId", "IsRoot", "IsLeaf", "IsBranch", "source_index", "path", "parent_index"];

/// The kept processes (first of each key) and how they link.
struct Links {
    /// Node index of each kept process ("position").
    kept: Vec<u32>,
    is_root: Vec<bool>,
    has_child: Vec<bool>,
    /// Tree parent position (linked from a root), or [`NONE`].
    parent: Vec<u32>,
    /// Children positions of each position (compressed rows: `child_start[p]..child_start[p + 1]`).
    child_start: Vec<u32>,
    children: Vec<u32>,
}

/// Keeps the first process of each key and links each to its parent's key.
fn link(nodes: &[Node]) -> Links {
    let mut by_key: FxHashMap<Key, u32> = FxHashMap::with_capacity_and_hasher(nodes.len(), Default::default());
    let mut kept = Vec::with_capacity(nodes.len());
    let mut kept_keyless = false;
    for (i, node) in nodes.iter().enumerate() {
        let first = match node.proc_key {
            Some(key) => by_key.try_insert_first(key, kept.len() as u32),
            None => !std::mem::replace(&mut kept_keyless, true),
        };
        if first {
            kept.push(i as u32);
        }
    }
    let positions = kept.len();
    let is_root: Vec<bool> = kept.iter().map(|&i| nodes[i as usize].parent_key.is_none()).collect();
    // One lookup per process: its parent's position (a process whose parent is itself counts
    // as having a child but gets no parent link).
    let mut has_child = vec![false; positions];
    let mut key_parent = vec![NONE; positions];
    let mut next_kept = 0;
    for (i, node) in nodes.iter().enumerate() {
        let parent = node.parent_key.and_then(|k| by_key.get(&k).copied());
        if let Some(p) = parent {
            has_child[p as usize] = true;
        }
        if kept.get(next_kept) == Some(&(i as u32)) {
            key_parent[next_kept] = parent.filter(|&p| p as usize != next_kept).unwrap_or(NONE);
            next_kept += 1;
        }
    }
    drop(by_key);
    let (child_start, children) = compressed_children(&key_parent, positions);

    // Parents count only when linked from a root (breadth-first from the roots).
    let mut parent = vec![NONE; positions];
    let mut visited = is_root.clone();
    let mut queue: VecDeque<u32> = (0..positions as u32).filter(|&p| is_root[p as usize]).collect();
    while let Some(p) = queue.pop_front() {
        for &child in &children[child_start[p as usize] as usize..child_start[p as usize + 1] as usize] {
            if !visited[child as usize] {
                visited[child as usize] = true;
                parent[child as usize] = p;
                queue.push_back(child);
            }
        }
    }
    Links { kept, is_root, has_child, parent, child_start, children }
}

/// Children lists of `parent` (indexed by position, [`NONE`] for none), each in position order.
pub(super) fn compressed_children(parent: &[u32], positions: usize) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; positions + 1];
    for &p in parent.iter().filter(|&&p| p != NONE) {
        start[p as usize + 1] += 1;
    }
    for p in 0..positions {
        start[p + 1] += start[p];
    }
    let mut fill = start.clone();
    let mut children = vec![0u32; start[positions] as usize];
    for (child, &p) in parent.iter().enumerate().filter(|(_, p)| **p != NONE) {
        children[fill[p as usize] as usize] = child as u32;
        fill[p as usize] += 1;
    }
    (start, children)
}

trait InsertFirst<K, V> {
    /// Inserts `value` under `key` unless the key is there; whether it was inserted.
    fn try_insert_first(&mut self, key: K, value: V) -> bool;
}

impl InsertFirst<Key, u32> for FxHashMap<Key, u32> {
    fn try_insert_first(&mut self, key: Key, value: u32) -> bool {
        match self.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(value);
                true
            }
        }
    }
}

/// Depth-first order from the path-less processes, children in position order; with depths.
fn path_order(links: &Links) -> (Vec<u32>, Vec<u32>) {
    let positions = links.kept.len();
    let tree_children = |p: usize| {
        let linked = links.is_root[p] || links.parent[p] != NONE;
        let all = &links.children[links.child_start[p] as usize..links.child_start[p + 1] as usize];
        if linked { all } else { &all[..0] }
    };
    let mut order = Vec::with_capacity(positions);
    let mut depth = vec![0u32; positions];
    let mut stack: Vec<(u32, u32)> = Vec::new();
    for top in (0..positions).filter(|&p| links.parent[p] == NONE) {
        stack.push((top as u32, 1));
        while let Some((p, d)) = stack.pop() {
            order.push(p);
            depth[p as usize] = d;
            stack.extend(tree_children(p as usize).iter().rev().map(|&c| (c, d + 1)));
        }
    }
    (order, depth)
}

/// Appends `index` zero-padded to `width` digits.
fn write_index(out: &mut String, index: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut value = index;
    let mut used = 0;
    loop {
        digits[9 - used] = b'0' + (value % 10) as u8;
        value /= 10;
        used += 1;
        if value == 0 {
            break;
        }
    }
    for _ in used..width {
        out.push('0');
    }
    out.push_str(std::str::from_utf8(&digits[10 - used..]).expect("ASCII digits"));
}

/// The tree of `nodes` built from `batch`: the output frame (event columns in path order plus
/// the tree columns) and its index.
pub(super) fn finish(batch: &RecordBatch, nodes: &[Node], parts: &KeyParts, schema: &ProcSchema) -> Result<ProcessTree> {
    let width = nodes.len().saturating_sub(1).to_string().len().max(5);
    let links = link(nodes);
    interrupt::check(super::BUILDING)?;
    let (order, depth) = path_order(&links);
    let rows = order.len();
    interrupt::check(super::BUILDING)?;

    // A path lists every ancestor, so a pathologically deep chain (hundreds of thousands of
    // generations) would outgrow a string column: say so instead of failing inside Arrow.
    let path_bytes: usize = depth.iter().map(|&d| d as usize * (width + 1) - 1).sum();
    if path_bytes > i32::MAX as usize {
        let deepest = depth.iter().copied().max().unwrap_or(0);
        return Err(mstic_core::Error::Invalid {
            what: "process events".into(),
            message: format!(
                "the tree is too deep to list paths: the deepest chain has {deepest} generations \
                 ({path_bytes} bytes of paths); check the parent id columns of the schema"
            ),
        });
    }

    let (source_index, path, parent_index) = index_columns(&links, &order, &depth, width, path_bytes);
    interrupt::check(super::BUILDING)?;
    // Key texts on a second core, the other node columns and the event columns on this one.
    let ordered: Vec<&Node> = order.iter().map(|&pos| &nodes[links.kept[pos as usize] as usize]).collect();
    let mut core_names: Vec<&str> = vec![&schema.process_name, &schema.process_id, &schema.parent_id, &schema.time_stamp];
    core_names.extend(schema.parent_name.as_deref());
    let host_column = schema.host_name.as_deref().filter(|c| batch.schema().index_of(c).is_ok());
    core_names.extend(host_column);
    let copied: Vec<bool> = batch.schema().fields().iter().map(|f| ADDED.contains(&f.name().as_str()) || core_names.contains(&f.name().as_str())).collect();
    let indices: UInt32Array = ordered.iter().map(|n| n.source_row).collect();
    // The event columns in path order, every other one (`half` 0 or 1).
    let take_half = |half: usize| -> Result<Vec<(usize, ArrayRef)>> {
        let columns = batch.columns().iter().enumerate().filter(|(i, _)| i % 2 == half && !copied[*i]);
        Ok(columns.map(|(i, array)| take(array.as_ref(), &indices, None).map(|a| (i, a))).collect::<std::result::Result<_, _>>()?)
    };
    let ((proc_keys, parent_keys, odd), (c, even)) = crate::parallel::both(
        rows >= 1024,
        || {
            let (proc_keys, parent_keys) = key_columns(&ordered, parts);
            (proc_keys, parent_keys, take_half(1))
        },
        || (NodeColumns::from_nodes(&ordered), take_half(0)),
    );
    let mut taken: Vec<Option<ArrayRef>> = vec![None; batch.num_columns()];
    for (i, array) in odd?.into_iter().chain(even?) {
        taken[i] = Some(array);
    }
    let process_names: ArrayRef = Arc::new(c.name);
    let process_ids: ArrayRef = Arc::new(c.pid);
    let timestamps = |values: Vec<Option<i64>>| -> ArrayRef { Arc::new(TimestampNanosecondArray::from(values).with_timezone("UTC")) };
    let process_times = timestamps(c.time);
    let mut core: Vec<(String, ArrayRef)> = vec![
        (schema.process_name.clone(), process_names.clone()),
        (schema.process_id.clone(), process_ids.clone()),
        (schema.parent_id.clone(), Arc::new(c.ppid)),
        (schema.time_stamp.clone(), process_times.clone()),
    ];
    if let Some(column) = &schema.parent_name {
        core.push((column.clone(), Arc::new(c.parent_name)));
    }
    if let Some(column) = host_column {
        core.push((column.to_string(), Arc::new(c.host)));
    }
    let flags = |value: &dyn Fn(usize) -> bool| -> ArrayRef { Arc::new(order.iter().map(|&p| Some(value(p as usize))).collect::<BooleanArray>()) };
    let added: Vec<(String, ArrayRef)> = vec![
        ("proc_key".into(), proc_keys.clone()),
        ("parent_key".into(), parent_keys),
        ("timestamp_orig_par".into(), timestamps(c.parent_time)),
        ("EffectiveLogonId".into(), Arc::new(c.logon)),
        ("IsRoot".into(), flags(&|p| links.is_root[p])),
        ("IsLeaf".into(), flags(&|p| !links.has_child[p])),
        ("IsBranch".into(), flags(&|p| !links.is_root[p] && links.has_child[p])),
        ("source_index".into(), source_index),
        ("path".into(), path),
        ("parent_index".into(), parent_index),
    ];

    let mut columns: Vec<(String, ArrayRef)> = Vec::new();
    for ((field, copy), _) in batch.schema().fields().iter().zip(taken).zip(batch.columns()) {
        let name = field.name();
        if ADDED.contains(&name.as_str()) {
            continue;
        }
        match (copy, core.iter().position(|(c, _)| c == name)) {
            (Some(copy), _) => columns.push((name.clone(), copy)),
            (None, Some(at)) => columns.push(core.remove(at)),
            (None, None) => {}
        }
    }
    columns.extend(core);
    columns.extend(added);
    let frame = Frame::from_columns(columns)?;
    interrupt::check(super::BUILDING)?;

    let mut row_of = vec![0u32; rows];
    for (row, &pos) in order.iter().enumerate() {
        row_of[pos as usize] = row as u32;
    }
    let parent_rows: Vec<u32> = order.iter().map(|&p| links.parent[p as usize]).map(|q| if q == NONE { NONE } else { row_of[q as usize] }).collect();
    let index = TreeIndex::new(super::index::IndexParts {
        parent: parent_rows,
        keys: proc_keys,
        names: process_names,
        pids: process_ids,
        cmd_lines: Arc::new(c.cmd_line),
        times: process_times,
        is_root: order.iter().map(|&p| links.is_root[p as usize]).collect(),
        is_leaf: order.iter().map(|&p| !links.has_child[p as usize]).collect(),
        depth: order.iter().map(|&p| depth[p as usize]).collect(),
    });
    Ok(ProcessTree::new(frame, schema.clone(), index))
}

/// The node columns other than the keys, filled in one pass over the rows.
struct NodeColumnBuilders {
    name: StringBuilder,
    pid: StringBuilder,
    ppid: StringBuilder,
    parent_name: StringBuilder,
    host: StringBuilder,
    logon: StringBuilder,
    cmd_line: StringBuilder,
}

/// The finished node columns.
struct NodeColumns {
    name: StringArray,
    pid: StringArray,
    ppid: StringArray,
    parent_name: StringArray,
    host: StringArray,
    logon: StringArray,
    cmd_line: StringArray,
    time: Vec<Option<i64>>,
    parent_time: Vec<Option<i64>>,
}

impl NodeColumns {
    /// Reads each node once (rows are in path order, nodes in build order, so every visit is a
    /// cache miss) and fills every column from it.
    fn from_nodes(ordered: &[&Node]) -> Self {
        let rows = ordered.len();
        let text = |bytes_per_row: usize| StringBuilder::with_capacity(rows, rows * bytes_per_row);
        let mut b = NodeColumnBuilders { name: text(32), pid: text(8), ppid: text(8), parent_name: text(32), host: text(16), logon: text(8), cmd_line: text(64) };
        let (mut time, mut parent_time) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
        for node in ordered {
            b.name.append_option(node.name);
            b.pid.append_option(node.pid);
            b.ppid.append_option(node.ppid);
            b.parent_name.append_option(node.parent_name);
            b.host.append_option(node.host);
            b.logon.append_option(node.logon);
            b.cmd_line.append_option(node.cmd_line);
            time.push(node.time);
            parent_time.push(node.parent_time);
        }
        NodeColumns {
            name: b.name.finish(),
            pid: b.pid.finish(),
            ppid: b.ppid.finish(),
            parent_name: b.parent_name.finish(),
            host: b.host.finish(),
            logon: b.logon.finish(),
            cmd_line: b.cmd_line.finish(),
            time,
            parent_time,
        }
    }
}

/// The `proc_key` and `parent_key` columns.
fn key_columns(ordered: &[&Node], parts: &KeyParts) -> (ArrayRef, ArrayRef) {
    let rows = ordered.len();
    let mut builders = [StringBuilder::with_capacity(rows, rows * 48), StringBuilder::with_capacity(rows, rows * 48)];
    let mut times: [KeyTimeWriter; 2] = Default::default();
    let mut text = String::with_capacity(128);
    for node in ordered {
        for ((builder, times), key) in builders.iter_mut().zip(&mut times).zip([node.proc_key, node.parent_key]) {
            match key {
                Some(key) => {
                    text.clear();
                    parts.write(&mut text, key, times);
                    builder.append_value(&text);
                }
                None => builder.append_null(),
            }
        }
    }
    let [proc_keys, parent_keys] = builders.map(|mut b| Arc::new(b.finish()) as ArrayRef);
    (proc_keys, parent_keys)
}

/// The `source_index`, `path` and `parent_index` columns in row order.
fn index_columns(links: &Links, order: &[u32], depth: &[u32], width: usize, path_bytes: usize) -> (ArrayRef, ArrayRef, ArrayRef) {
    let rows = order.len();
    let mut source_index = StringBuilder::with_capacity(rows, rows * width);
    let mut path = StringBuilder::with_capacity(rows, path_bytes);
    let mut parent_index = StringBuilder::with_capacity(rows, rows * width);
    let mut text = String::new();
    let mut path_text = String::new();
    let mut length_at_depth: Vec<usize> = vec![0];
    for &pos in order {
        let pos = pos as usize;
        let d = depth[pos] as usize;
        text.clear();
        write_index(&mut text, links.kept[pos], width);
        source_index.append_value(&text);
        // Depth-first: the buffer holds the parent's path when a child is reached.
        path_text.truncate(length_at_depth[d - 1]);
        if d > 1 {
            path_text.push('/');
        }
        path_text.push_str(&text);
        length_at_depth.truncate(d);
        length_at_depth.push(path_text.len());
        path.append_value(&path_text);
        match links.parent[pos] {
            NONE => parent_index.append_null(),
            parent => {
                text.clear();
                write_index(&mut text, links.kept[parent as usize], width);
                parent_index.append_value(&text);
            }
        }
    }
    (Arc::new(source_index.finish()), Arc::new(path.finish()), Arc::new(parent_index.finish()))
}
