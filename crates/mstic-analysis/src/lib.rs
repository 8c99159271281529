//! Analysis for Rust MSTIC, rebuilt from MSTICPy's `msticpy.analysis`:
//!
//! * [`timeseries`]: STL decomposition anomalies ([`ts_anomalies_stl`]), the evenly spaced series
//!   builder ([`aggregate_series`]), anomaly periods, their KQL filter and re-thresholding.
//! * [`outliers`]: isolation-forest outliers ([`identify_outliers`]).
//! * [`polling`]: beaconing / polling detection by periodogram ([`detect_polling`]).
//! * [`sessions`], [`mod@sessionize`]: events into sessions ([`sessionize()`] with
//!   [`SessionOptions`]) and anomalous command sessions with MSTICPy's Markov model — commands,
//!   commands with parameter sets or with parameter values ([`SessionScorer`]).
//! * [`cluster`]: event clustering features (MSTICPy's `eventcluster` feature functions and
//!   `add_process_features`) and DBSCAN clustering of events ([`dbcluster_events`]).
//!
//! Conventions: settings are options types built from `Default` with chained setters named after
//! the option (`OutlierOptions::default().contamination(0.1)`), passed by reference as a
//! function's last argument; a parameter naming one column ends in `_column`, several columns in
//! `_columns`; durations are typed ([`std::time::Duration`]) or carry their unit in their name.

pub mod cluster;
mod columns;
pub mod outliers;
pub mod polling;
pub mod sessionize;
pub mod sessions;
pub mod timeseries;

pub use cluster::{ClusterOptions, ClusterResult, add_process_features, dbcluster_events};
#[allow(deprecated)]
pub use outliers::{IsolationForest, OutlierOptions, find_outliers, identify_outliers};
pub use polling::{PollingResult, detect_polling};
#[allow(deprecated)]
pub use sessionize::{SessionOptions, sessionize, sessionize_data, sessionize_events};
#[allow(deprecated)]
pub use sessions::{
    Cmd, MarkovModel, RarestWindow, SessionKind, SessionScorer, score_cmd_sessions, score_sessions,
    score_sessions_frame,
};
pub use timeseries::{
    Aggregation, StlOptions, aggregate_series, anomaly_periods, create_time_period_kqlfilter,
    kql_periods, set_new_anomaly_threshold, ts_anomalies_stl,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The deprecated constructors build what `Default` and the setters build.
    #[test]
    #[allow(deprecated)]
    fn deprecated_constructors_match_the_builders() {
        assert_eq!(OutlierOptions::new(), OutlierOptions::default());
        assert_eq!(StlOptions::new(), StlOptions::default());
        assert_eq!(
            ClusterOptions::new(&["pathScore", "isSystemSession"]),
            ClusterOptions::default().cluster_columns(&["pathScore", "isSystemSession"])
        );
    }
}
