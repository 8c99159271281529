//! The STL output plots with the visualisation crate's anomalies chart at its defaults.

use mstic_analysis::timeseries::*;
use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_vis::FramePlot;

#[test]
fn stl_output_draws_with_default_anomalies_plot() {
    let series = Frame::read_csv(fixture("msticpy/testdata/time_series.csv").unwrap()).unwrap();
    let result = ts_anomalies_stl(
        &series,
        "TimeGenerated",
        "TotalBytesSent",
        &StlOptions::default(),
    )
    .unwrap();
    let chart = result.anomalies_plot().build().unwrap();
    assert_eq!(chart.kind(), "anomalies");
    let spec = chart.vega_lite().to_string();
    assert!(
        spec.contains("TotalBytesSent"),
        "the observed series is the value column"
    );
    assert!(chart.svg().starts_with("<svg") || chart.svg().contains("<svg"));
}
