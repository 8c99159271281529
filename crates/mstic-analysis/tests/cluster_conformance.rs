//! Conformance of event clustering with MSTICPy's `tests/analysis/test_event_cluster.py` on its
//! `processes_on_host.csv`.

mod common;
use common::int_column;
use mstic_analysis::cluster::*;
use mstic_core::Frame;
use mstic_core::paths::fixture;

fn processes() -> Frame {
    let frame = Frame::read_csv(fixture("msticpy/testdata/processes_on_host.csv").unwrap())
        .expect("processes_on_host.csv");
    add_process_features(&frame, Some("\\"), false).unwrap()
}

#[test]
fn process_features_are_added() {
    let frame = processes();
    for column in [
        "processName",
        "commandlineLen",
        "commandlineLogLen",
        "isSystemSession",
        "commandlineTokensFull",
        "pathScore",
        "commandlineScore",
        "commandlineTokensHash",
        "pathHash",
    ] {
        assert!(frame.has_column(column), "{column}");
    }
    let names = frame.column_strings("processName").unwrap();
    assert!(names.iter().flatten().all(|n| !n.contains('\\')));
}

#[test]
fn clustering_matches_msticpy() {
    let options = ClusterOptions::default()
        .cluster_columns(&["pathScore", "commandlineTokensFull", "isSystemSession"])
        .time_column("TimeGenerated")
        .max_cluster_distance(0.0001)
        .min_cluster_samples(2);
    let result = dbcluster_events(&processes(), &options).unwrap();
    assert_eq!(result.clusters.len(), 62);
    let sizes = int_column(&result.clusters, "ClusterSize");
    assert_eq!(sizes.iter().max(), Some(&71));
    assert_eq!(sizes.iter().min(), Some(&1));
    for column in [
        "Clustered",
        "ClusterId",
        "ClusterSize",
        "TimeGenerated",
        "FirstEventTime",
        "LastEventTime",
    ] {
        assert!(result.clusters.has_column(column), "{column}");
    }
    // Every input row is accounted for: noise rows plus cluster sizes.
    assert_eq!(sizes.iter().sum::<i64>() as usize, result.labels.len());
}

#[test]
fn hash_clustering_matches_msticpy() {
    let options = ClusterOptions::default()
        .cluster_columns(&["pathHash", "commandlineTokensHash", "isSystemSession"])
        .time_column("TimeGenerated")
        .max_cluster_distance(0.001);
    let result = dbcluster_events(&processes(), &options).unwrap();
    let ids = int_column(&result.clusters, "ClusterId");
    let sizes = int_column(&result.clusters, "ClusterSize");
    assert_eq!(result.clusters.len(), 121);
    assert_eq!(sizes.iter().max(), Some(&70));
    assert_eq!(ids.iter().max(), Some(&31));
    assert_eq!(ids.iter().filter(|i| **i == -1).count(), 89);
}

#[test]
fn unknown_feature_column_is_named() {
    let error = dbcluster_events(
        &processes(),
        &ClusterOptions::default().cluster_columns(&["pathScor"]).time_column("TimeGenerated"),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("pathScore"), "{error}");
}
