//! Analysis for Rust MSTIC, rebuilt from MSTICPy's `msticpy.analysis`:
//!
//! * [`timeseries`]: STL decomposition anomalies ([`ts_anomalies_stl`]), the evenly spaced series
//!   builder ([`aggregate_series`]), anomaly periods, their KQL filter and re-thresholding.
//! * [`outliers`]: isolation-forest outliers ([`identify_outliers`], [`find_outliers`]).
//! * [`polling`]: beaconing / polling detection by periodogram ([`detect_polling`]).
//! * [`sessions`], [`sessionize`]: events into sessions ([`sessionize_data`]) and anomalous command
//!   sessions with MSTICPy's Markov model — commands, commands with parameter sets or with
//!   parameter values ([`SessionScorer`], [`score_sessions_frame`]).
//! * [`cluster`]: event clustering features (MSTICPy's `eventcluster` feature functions and
//!   `add_process_features`) and DBSCAN clustering of events ([`dbcluster_events`]).

pub mod cluster;
mod columns;
pub mod outliers;
pub mod polling;
pub mod sessionize;
pub mod sessions;
pub mod timeseries;

pub use cluster::{ClusterOptions, ClusterResult, add_process_features, dbcluster_events};
pub use outliers::{IsolationForest, OutlierOptions, find_outliers, identify_outliers};
pub use polling::{PollingResult, detect_polling};
pub use sessionize::{sessionize_data, sessionize_events};
pub use sessions::{
    Cmd, MarkovModel, RarestWindow, SessionKind, SessionScorer, score_cmd_sessions, score_sessions,
    score_sessions_frame,
};
pub use timeseries::{
    Aggregation, StlOptions, aggregate_series, anomaly_periods, create_time_period_kqlfilter,
    kql_periods, set_new_anomaly_threshold, ts_anomalies_stl,
};
