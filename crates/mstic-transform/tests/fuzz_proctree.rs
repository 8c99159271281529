//! Fuzzing the process-tree builder on random event tables: few distinct pids and parent pids
//! (so cycles, self-parents and pid reuse are common), duplicate rows, missing values and random
//! or unreadable times. The build returns, no event row appears twice in the tree, and a row
//! left out is the same process (name, pid and time) as one kept.

#[path = "../../../tests/fuzz_config.rs"]
mod fuzz_config;

use fuzz_config::{fuzz_config, ok_or_message};
use mstic_core::Frame;
use mstic_transform::{ProcSchema, ProcessTree, build_process_tree};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The event columns: a unique row number, then the schema's columns.
const COLUMNS: [&str; 6] = ["EventRow", "Image", "Pid", "Ppid", "When", "ParentImage"];

/// One event's values (row number excluded).
type Event = [Option<String>; 5];

/// Ids from a small set, so children, parents, cycles and self-parents meet often.
fn id() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.9, prop_oneof![(0u8..6).prop_map(|n| n.to_string()), Just("0x1f".to_string()), Just(String::new()), ".{0,3}"])
}

fn name() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.9, prop_oneof![prop::sample::select(vec!["cmd.exe", "powershell.exe", "C:\\Windows\\explorer.exe", "/bin/sh", ""]).prop_map(str::to_string), ".{0,6}"])
}

/// Times: a few close instants (ties are common), epoch numbers, extremes and garbage.
fn time() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.9,
        prop_oneof![
            4 => (0u8..5).prop_map(|s| format!("2024-01-01 10:00:0{s}")),
            1 => (0u8..5).prop_map(|s| format!("2024-01-01T10:00:0{s}.5Z")),
            1 => any::<i64>().prop_map(|n| n.to_string()),
            1 => prop::sample::select(vec!["1677-09-21 00:12:43", "2262-04-11 23:47:16", "9999-12-31T23:59:59Z", "0000-00-00", "not a time", "Tue Sep 11 17:14:47 2018 UTC"]).prop_map(str::to_string),
            1 => ".{0,10}",
        ],
    )
}

fn event() -> impl Strategy<Value = Event> {
    (name(), id(), id(), time(), name()).prop_map(|(image, pid, ppid, when, parent)| [image, pid, ppid, when, parent])
}

/// Events, some repeated exactly (the builder keeps one of each distinct row).
fn events() -> impl Strategy<Value = Vec<(usize, Event)>> {
    (prop::collection::vec(event(), 1..40), prop::collection::vec(any::<prop::sample::Index>(), 0..6)).prop_map(|(events, repeats)| {
        let mut rows: Vec<(usize, Event)> = events.into_iter().enumerate().collect();
        for repeat in repeats {
            let row = rows[repeat.index(rows.len())].clone();
            rows.push(row);
        }
        rows
    })
}

fn frame_of(rows: &[(usize, Event)]) -> Frame {
    let numbers: Vec<String> = rows.iter().map(|(n, _)| n.to_string()).collect();
    let table: Vec<Vec<Option<&str>>> = rows
        .iter()
        .zip(&numbers)
        .map(|((_, event), number)| std::iter::once(Some(number.as_str())).chain(event.iter().map(Option::as_deref)).collect())
        .collect();
    Frame::from_string_rows(&COLUMNS, &table).expect("a string frame builds")
}

/// Each event row in `tree`, with its process key (`None` for a synthetic parent).
fn kept_rows(tree: &ProcessTree) -> Vec<(usize, Option<String>)> {
    let numbers = tree.frame().column_strings("EventRow").expect("the event columns are kept");
    let keys = tree.frame().column_strings("proc_key").expect("the tree has process keys");
    numbers.into_iter().zip(keys).filter_map(|(n, key)| Some((n?.parse().expect("a row number"), key))).collect()
}

/// Builds the tree of `rows` and checks that no event row appears twice and that each one left
/// out is the same process (same key) as one kept: a process is one tree node.
fn check_tree(rows: &[(usize, Event)], schema: &ProcSchema) -> Result<(), TestCaseError> {
    let Some(tree) = ok_or_message(build_process_tree(&frame_of(rows), Some(schema)))? else { return Ok(()) };
    let kept = kept_rows(&tree);
    let mut seen: BTreeMap<usize, Option<String>> = BTreeMap::new();
    for (number, key) in &kept {
        prop_assert!(seen.insert(*number, key.clone()).is_none(), "event row {} appears twice", number);
    }
    for row in rows.iter().filter(|(n, _)| !seen.contains_key(n)) {
        let alone = build_process_tree(&frame_of(std::slice::from_ref(row)), Some(schema)).expect("a kept event builds alone");
        let key = kept_rows(&alone).into_iter().find(|(n, _)| *n == row.0).map(|(_, key)| key);
        prop_assert!(key.as_ref().is_some_and(|key| seen.values().any(|k| k == key)), "event row {} ({:?}) is missing from the tree", row.0, key);
    }
    let summary = tree.summary();
    prop_assert_eq!(summary.processes, tree.len());
    prop_assert!(!tree.to_text(None, 200).is_empty());
    for key in tree.root_keys().iter().take(3) {
        prop_assert!(tree.descendants(key, None).is_ok() && tree.tree_depth(key).is_ok());
    }
    Ok(())
}

proptest! {
    #![proptest_config(fuzz_config(200))]

    #[test]
    fn four_column_trees_hold_each_process_once(rows in events()) {
        check_tree(&rows, &ProcSchema::new("Image", "Pid", "Ppid", "When"))?;
    }

    #[test]
    fn trees_matched_on_parent_names_hold_each_process_once(rows in events()) {
        check_tree(&rows, &ProcSchema::new("Image", "Pid", "Ppid", "When").with_parent_name("ParentImage"))?;
    }
}
