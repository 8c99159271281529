//! STL decomposition and z-score anomaly flags, on vectors and on frames.

use crate::columns;
use arrow::array::{ArrayRef, Float64Array, Int64Array};
use mstic_core::{Error, Frame, Result, interrupt};
use std::sync::Arc;

/// Settings of [`ts_anomalies_stl`], defaulting to MSTICPy's (`seasonal=7`, `period=24`,
/// `score_threshold=3.0`: hourly data with a daily cycle).
///
/// # Example
///
/// ```
/// # use mstic_analysis::StlOptions;
/// // Hourly data with a weekly cycle, flagging smaller deviations.
/// let options = StlOptions::default().period(168).score_threshold(2.5);
/// assert_eq!((options.seasonal, options.period, options.score_threshold), (7, 168, 2.5));
/// assert_eq!(StlOptions::default().trend_length(), 47);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StlOptions {
    /// Length of the seasonal smoother: odd, at least 3 (MSTICPy default 7).
    pub seasonal: usize,
    /// Observations per cycle (default 24: hourly data, daily cycle).
    pub period: usize,
    /// Residual z-score above which a point is an anomaly (default 3.0).
    pub score_threshold: f64,
}

impl Default for StlOptions {
    fn default() -> Self {
        StlOptions {
            seasonal: 7,
            period: 24,
            score_threshold: 3.0,
        }
    }
}

impl StlOptions {
    /// MSTICPy's defaults; the same as [`StlOptions::default`].
    #[deprecated(note = "use StlOptions::default().period(..)")]
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the seasonal smoother length (odd, ≥ 3).
    pub fn seasonal(mut self, seasonal: usize) -> Self {
        self.seasonal = seasonal;
        self
    }
    /// Sets the number of observations per cycle.
    pub fn period(mut self, period: usize) -> Self {
        self.period = period;
        self
    }
    /// Sets the anomaly z-score threshold.
    pub fn score_threshold(mut self, score_threshold: f64) -> Self {
        self.score_threshold = score_threshold;
        self
    }

    /// statsmodels' trend smoother length: the next odd integer ≥ 1.5·period / (1 − 1.5/seasonal).
    pub fn trend_length(&self) -> usize {
        let raw = (1.5 * self.period as f64 / (1.0 - 1.5 / self.seasonal as f64)).ceil() as usize;
        raw + usize::from(raw.is_multiple_of(2))
    }

    /// statsmodels' low-pass smoother length: the next odd integer > period.
    pub fn low_pass_length(&self) -> usize {
        let raw = self.period + 1;
        raw + usize::from(raw.is_multiple_of(2))
    }

    fn validate(&self, points: usize) -> Result<()> {
        if self.seasonal < 3 || self.seasonal.is_multiple_of(2) {
            return Err(Error::invalid(
                "seasonal",
                format!("must be an odd integer ≥ 3, got {}", self.seasonal),
            ));
        }
        if self.period < 2 {
            return Err(Error::invalid(
                "period",
                format!("must be at least 2, got {}", self.period),
            ));
        }
        if !self.score_threshold.is_finite() {
            return Err(Error::invalid("score_threshold", "must be a finite number"));
        }
        if points < 2 * self.period {
            return Err(Error::invalid(
                "time series",
                format!(
                    "{points} points is shorter than two periods (2 × period {} = {} points); \
                     use a longer time range or a smaller period",
                    self.period,
                    2 * self.period
                ),
            ));
        }
        Ok(())
    }
}

/// The columns MSTICPy adds to a series: components cast to integers as MSTICPy does
/// (`fillna(0).astype(int64)`), the residual z-score and the ±1/0 anomaly flags.
#[derive(Debug, Clone, PartialEq)]
pub struct StlAnomalyColumns {
    /// Observed minus seasonal minus trend.
    pub residual: Vec<i64>,
    /// Trend component.
    pub trend: Vec<i64>,
    /// Seasonal component.
    pub seasonal: Vec<i64>,
    /// Robustness weights (all 1 without robust fitting).
    pub weights: Vec<i64>,
    /// Seasonal plus trend: the expected value.
    pub baseline: Vec<i64>,
    /// Population z-score of the integer residual.
    pub score: Vec<f64>,
    /// 1 for a spike (score above threshold, seasonal > 0), −1 for a dip (seasonal < 0), else 0.
    pub anomalies: Vec<i64>,
}

/// pandas `astype(int64)` after `fillna(0)`: truncation toward zero, NaN as 0.
fn to_int(value: f64) -> i64 {
    if value.is_nan() {
        0
    } else {
        value.trunc() as i64
    }
}

/// Decomposes `values` (evenly spaced, in time order) and flags anomalies. Once the user
/// interrupts the cell, no further series starts (`Error::Interrupted`), so a loop over many
/// series stops at the next one.
pub fn stl_anomalies(values: &[f64], options: &StlOptions) -> Result<StlAnomalyColumns> {
    interrupt::check("the STL decomposition")?;
    options.validate(values.len())?;
    if let Some(row) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "time series",
            format!("value at row {row} is missing or not finite"),
        ));
    }
    let fit = stlrs::params()
        .seasonal_length(options.seasonal)
        .trend_length(options.trend_length())
        .low_pass_length(options.low_pass_length())
        .seasonal_degree(1)
        .trend_degree(1)
        .low_pass_degree(1)
        .seasonal_jump(1)
        .trend_jump(1)
        .low_pass_jump(1)
        .inner_loops(5)
        .outer_loops(0)
        .robust(false)
        .fit(values, options.period)
        .map_err(|e| Error::invalid("STL decomposition", e.to_string()))?;
    let (seasonal_f, trend_f, remainder_f) = (fit.seasonal(), fit.trend(), fit.remainder());
    let residual: Vec<i64> = remainder_f.iter().map(|&v| to_int(v)).collect();
    let trend: Vec<i64> = trend_f.iter().map(|&v| to_int(v)).collect();
    let seasonal: Vec<i64> = seasonal_f.iter().map(|&v| to_int(v)).collect();
    // Without robust fitting statsmodels reports weights of 1 everywhere.
    let weights = vec![1_i64; values.len()];
    let baseline: Vec<i64> = seasonal_f
        .iter()
        .zip(trend_f)
        .map(|(s, t)| to_int(s + t))
        .collect();
    let score = zscore(&residual);
    let anomalies = flag_anomalies(&score, &seasonal, options.score_threshold);
    Ok(StlAnomalyColumns {
        residual,
        trend,
        seasonal,
        weights,
        baseline,
        score,
        anomalies,
    })
}

/// scipy `zscore` (population standard deviation); a constant series scores 0 everywhere.
fn zscore(values: &[i64]) -> Vec<f64> {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let variance = values
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let std = variance.sqrt();
    values
        .iter()
        .map(|&v| {
            if std > 0.0 {
                (v as f64 - mean) / std
            } else {
                0.0
            }
        })
        .collect()
}

fn flag_anomalies(score: &[f64], seasonal: &[i64], threshold: f64) -> Vec<i64> {
    score
        .iter()
        .zip(seasonal)
        .map(|(&s, &season)| match (s > threshold, season) {
            (true, season) if season > 0 => 1,
            (true, season) if season < 0 => -1,
            _ => 0,
        })
        .collect()
}

/// MSTICPy `ts_anomalies_stl`: the series in `data_column` (ordered by `time_column`) with the
/// added columns `residual, trend, seasonal, weights, baseline, score, anomalies`. The value
/// column is cast to integers as MSTICPy does; rows come back sorted by time.
///
/// # Example
///
/// ```
/// # use mstic_analysis::{StlOptions, ts_anomalies_stl};
/// # use mstic_core::Frame;
/// // Three days of hourly counts with a daily cycle and one spike.
/// let rows: Vec<(String, String)> = (0..72)
///     .map(|hour: i64| {
///         let daily = [10, 12, 15, 20, 30, 45, 60, 70, 75, 70, 60, 45][(hour % 24 / 2) as usize];
///         let value = if hour == 40 { daily + 400 } else { daily };
///         (format!("2024-01-{:02}T{:02}:00:00Z", 1 + hour / 24, hour % 24), value.to_string())
///     })
///     .collect();
/// let rows: Vec<Vec<Option<&str>>> =
///     rows.iter().map(|(time, value)| vec![Some(time.as_str()), Some(value.as_str())]).collect();
/// let series = Frame::from_string_rows(&["TimeGenerated", "Count"], &rows)?;
/// let result = ts_anomalies_stl(&series, "TimeGenerated", "Count", &StlOptions::default())?;
/// let anomalies: Vec<i64> = result.to_vec("anomalies")?;
/// let flagged: Vec<usize> = (0..anomalies.len()).filter(|&row| anomalies[row] != 0).collect();
/// assert_eq!(flagged, [40]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn ts_anomalies_stl(
    data: &Frame,
    time_column: &str,
    data_column: &str,
    options: &StlOptions,
) -> Result<Frame> {
    let times = columns::required_times(data, time_column)?;
    let raw = columns::floats(data, data_column)?;
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by_key(|&i| times[i]);
    let mut values = Vec::with_capacity(order.len());
    for &row in &order {
        let value = raw[row].ok_or_else(|| {
            Error::invalid(
                format!("data column '{data_column}'"),
                format!("row {row} has no numeric value"),
            )
        })?;
        values.push(value);
    }
    let parts = stl_anomalies(&values, options)?;
    let sorted_times: Vec<i64> = order.iter().map(|&i| times[i]).collect();
    let ints = |v: Vec<i64>| -> ArrayRef { Arc::new(Int64Array::from(v)) };
    Frame::from_columns(vec![
        (
            time_column.to_string(),
            columns::timestamp_array(sorted_times),
        ),
        (
            data_column.to_string(),
            ints(values.iter().map(|&v| to_int(v)).collect()),
        ),
        ("residual".into(), ints(parts.residual)),
        ("trend".into(), ints(parts.trend)),
        ("seasonal".into(), ints(parts.seasonal)),
        ("weights".into(), ints(parts.weights)),
        ("baseline".into(), ints(parts.baseline)),
        ("score".into(), Arc::new(Float64Array::from(parts.score))),
        ("anomalies".into(), ints(parts.anomalies)),
    ])
}
