//! Outlier and session-score results plot with the visualisation crate (`FramePlot`).

use mstic_analysis::{
    OutlierOptions, SessionOptions, SessionScorer, add_process_features, identify_outliers,
    sessionize,
};
use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_vis::{FramePlot, ValueKind};

#[test]
fn outlier_scores_plot_over_time_by_label() {
    let processes = Frame::read_csv(fixture("msticpy/testdata/processes_on_host.csv").unwrap()).unwrap();
    let features = add_process_features(&processes, Some("\\"), false).unwrap();
    let result = identify_outliers(
        &features,
        &features,
        &["commandlineLen", "commandlineTokensFull", "pathScore"],
        &OutlierOptions::default(),
    )
    .unwrap();
    let chart = result
        .timeline_values("outlier_score")
        .time_column("TimeGenerated")
        .group_by("outlier")
        .kind(ValueKind::Circle)
        .source_columns(&["NewProcessName", "CommandLine"])
        .title("Process outliers")
        .build()
        .unwrap();
    assert_eq!(chart.mark_count(), result.len());
    assert!(chart.vega_lite().to_string().contains("outlier_score"));
    let matrix = result.matrix("processName", "outlier").build().unwrap();
    assert!(matrix.mark_count() > 1);
}

#[test]
fn session_scores_plot_over_time() {
    let events = Frame::read_csv(fixture("msticpy/notebook-data/demo_exchange_data.csv").unwrap()).unwrap();
    let options = SessionOptions::default()
        .user_columns(&["UserId", "ClientIP"])
        .time_column("TimeGenerated")
        .event_columns(&["Operation", "Parameters"]);
    let sessions = sessionize(&events, &options).unwrap();
    let scored = SessionScorer::new("Operation_list")
        .param_sets("Parameters_list")
        .window_length(3)
        .score(&sessions)
        .unwrap();
    let chart = scored
        .timeline_values("rarest_window3_likelihood")
        .time_column("TimeGenerated_min")
        .kind(ValueKind::Circle)
        .source_columns(&["UserId", "rarest_window3"])
        .build()
        .unwrap();
    assert_eq!(chart.mark_count(), 154, "one circle per scored session");
}
