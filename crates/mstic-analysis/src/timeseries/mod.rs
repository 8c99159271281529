//! Time-series anomalies by STL decomposition (MSTICPy `analysis/timeseries.py`).
//!
//! [`ts_anomalies_stl`] decomposes an evenly spaced series with the same STL settings as
//! statsmodels' `STL(series, seasonal=7, period=24)` (not robust), then scores the residual with a
//! z-score and flags spikes (`1`) and dips (`-1`) beyond the threshold. Build the series from raw
//! events with [`aggregate_series`]; inspect the result with [`anomaly_periods`],
//! [`create_time_period_kqlfilter`] and [`set_new_anomaly_threshold`].

mod aggregate;
mod periods;
mod stl;

pub use aggregate::{Aggregation, aggregate_series};
pub use periods::{
    AnomalyPeriods, anomaly_periods, create_time_period_kqlfilter, kql_periods,
    set_new_anomaly_threshold,
};
pub use stl::{StlAnomalyColumns, StlOptions, stl_anomalies, ts_anomalies_stl};

#[cfg(test)]
mod tests;
