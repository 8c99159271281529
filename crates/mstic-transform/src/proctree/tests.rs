//! MSTICPy's process tree conformance (`tests/transform/test_process_tree_utils.py`) and the
//! behaviour around it.

use super::*;
use mstic_core::paths::fixture;

fn summary_tuple(tree: &ProcessTree) -> [usize; 6] {
    let s = tree.summary();
    [s.processes, s.root_processes, s.leaf_processes, s.branch_processes, s.isolated_processes, s.largest_tree_depth]
}

fn csv(name: &str) -> Frame {
    let path = fixture(&format!("msticpy/testdata/{name}")).unwrap();
    // winproctree-minimal.csv has a space after each CreateTime value, which the CSV reader's
    // timestamp parsing rejects; trim spaces before separators.
    let text = std::fs::read_to_string(&path).unwrap().replace(" ,", ",").replace(" \n", "\n");
    Frame::read_csv_from(std::io::Cursor::new(text), &path).unwrap()
}

#[test]
fn windows_4688_summary_matches_msticpy() {
    let tree = build_process_tree(&csv("win_proc_test.csv"), None).unwrap();
    assert_eq!(tree.schema().name, "windows_4688");
    assert_eq!(summary_tuple(&tree), [1010, 10, 815, 185, 0, 7]);
    assert_eq!(tree.root_keys().len(), 10);
}

#[test]
fn linux_auditd_summary_matches_msticpy() {
    let tree = build_process_tree(&csv("linux_proc_test.csv"), None).unwrap();
    assert_eq!(tree.schema().name, "linux_auditd");
    assert_eq!(summary_tuple(&tree), [1029, 29, 497, 503, 0, 5]);
}

#[test]
fn four_column_schema_summary_matches_msticpy() {
    let schema = ProcSchema::new("ImageFileName", "PID", "PPID", "CreateTime");
    let tree = build_process_tree(&csv("winproctree-minimal.csv"), Some(&schema)).unwrap();
    assert_eq!(summary_tuple(&tree), [126, 10, 97, 19, 0, 7]);
}

#[test]
fn mde_internal_summary_matches_msticpy() {
    let tree = build_process_tree(&csv("mde_proc_cs1.csv"), Some(&ProcSchema::mde_internal())).unwrap();
    assert_eq!(summary_tuple(&tree), [1642, 9, 1177, 456, 0, 16]);
}

#[test]
fn tree_walks() {
    let tree = build_process_tree(&csv("win_proc_test.csv"), None).unwrap();
    let roots = tree.roots().unwrap();
    assert_eq!(roots.len(), 10);
    let first = &tree.root_keys()[0];
    let root_tree = tree.root_tree(first).unwrap();
    assert!(root_tree.len() > 1);
    let children = tree.children(first, false).unwrap();
    assert!(!children.is_empty());
    let child_key = children.column_strings("proc_key").unwrap()[0].clone().unwrap();
    assert_eq!(tree.ancestors(&child_key).unwrap().column_strings("proc_key").unwrap()[0].as_deref(), Some(first.as_str()));
    assert_eq!(tree.root(&child_key).unwrap().len(), 1);
    assert_eq!(tree.siblings(&child_key).unwrap().len(), children.len() - 1);
    let descendants = tree.descendants(first, None).unwrap();
    assert_eq!(descendants.len() + 1, root_tree.len());
    assert_eq!(tree.descendants(first, Some(1)).unwrap().len(), children.len());
    assert!(tree.tree_depth(first).unwrap() >= 2);
    let text = tree.to_text(Some(first), 0);
    assert_eq!(text.lines().count(), root_tree.len());
    assert!(text.lines().nth(1).unwrap().contains("└── "));
    assert!(tree.children("no|such|key", false).is_err());
    let frame = tree.frame();
    for column in ["proc_key", "parent_key", "IsRoot", "IsLeaf", "IsBranch", "source_index", "path", "parent_index"] {
        assert!(frame.has_column(column), "{column}");
    }
    // Hex process ids are kept as text.
    assert!(frame.column_strings("NewProcessId").unwrap().iter().flatten().any(|p| p.starts_with("0x")));
}

#[test]
fn inference_error_lists_missing_columns() {
    let frame = Frame::from_string_rows(&["a", "b", "Image"], &[vec![Some("1"), Some("2"), Some("x")]]).unwrap();
    let err = build_process_tree(&frame, None).unwrap_err().to_string();
    assert!(err.contains("at least 4") && err.contains("sysmon_1 (missing") && err.contains("ProcessId"), "{err}");
}

#[test]
fn missing_required_column_in_custom_schema() {
    let schema = ProcSchema::new("ImageFileName", "PIDX", "PPID", "CreateTime");
    let err = build_process_tree(&csv("winproctree-minimal.csv"), Some(&schema)).unwrap_err().to_string();
    assert!(err.contains("PIDX") && err.contains("PID"), "{err}");
}

#[test]
fn sysmon_events_with_other_host_column() {
    let events = crate::read_zipped_json_lines(fixture("otrf/proxylogon_ssrf_rce_poc.zip").unwrap(), None).unwrap();
    assert!(events.has_column("Hostname") && !events.has_column("Computer"));
    let tree = build_process_tree(&events, None).unwrap();
    assert_eq!(tree.schema().name, "sysmon_1");
    let summary = tree.summary();
    assert!(summary.processes >= 13, "{summary}");
    assert!(summary.root_processes >= 1);
    let text = tree.to_text(None, 0);
    assert!(text.contains("cmd.exe") || text.contains("w3wp.exe"), "{text}");
}

#[test]
fn guid_ids_and_custom_mapping() {
    let rows = vec![
        vec![Some("{A}"), Some("{0}"), Some("explorer.exe"), Some("2024-01-01 10:00:00")],
        vec![Some("{B}"), Some("{A}"), Some("cmd.exe"), Some("2024-01-01 10:00:05")],
        vec![Some("{C}"), Some("{B}"), Some("whoami.exe"), Some("2024-01-01 10:00:07")],
        vec![Some("{D}"), Some("{A}"), Some("notepad.exe"), Some("2024-01-01 10:01:00")],
    ];
    let frame = Frame::from_string_rows(&["Guid", "ParentGuid", "Image", "When"], &rows).unwrap();
    let tree = build_process_tree(&frame, Some(&ProcSchema::new("Image", "Guid", "ParentGuid", "When"))).unwrap();
    assert_eq!(summary_tuple(&tree), [5, 1, 2, 2, 0, 4]);
    let text = tree.to_text(None, 0);
    assert!(text.lines().nth(3).unwrap().trim_start().starts_with("└── whoami.exe [{C}]"), "{text}");
}
