//! Outliers with an isolation forest (MSTICPy `analysis/outliers.py::identify_outliers`, which
//! wraps scikit-learn's `IsolationForest`): 100 trees, each on `min(100, rows)` sampled rows and
//! `floor(sqrt(columns))` features; rows whose score falls beyond the `contamination` share of
//! the training scores are outliers (`-1`), the rest inliers (`1`).

mod forest;

use crate::columns;
use arrow::array::{ArrayRef, Float64Array, Int64Array};
use forest::{IsolationTree, SeededRng, average_path_length, grow_tree, percentile};
use mstic_core::{Error, Frame, Result, interrupt};
use std::sync::Arc;

/// Settings of [`IsolationForest::fit`] and [`identify_outliers`], defaulting to MSTICPy's:
/// `contamination` 0.05, `n_estimators` 100, `max_samples` `min(100, rows)`, `max_features`
/// `floor(sqrt(columns))`, `seed` 42.
///
/// # Example
///
/// ```
/// # use mstic_analysis::OutlierOptions;
/// let options = OutlierOptions::default().contamination(0.1).n_estimators(50);
/// assert_eq!(options.contamination, 0.1);
/// assert_eq!(options.n_estimators, 50);
/// assert_eq!(options.max_samples, None);
/// assert_eq!(options.seed, 42);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OutlierOptions {
    /// Expected share of outliers in the training rows, in `(0, 0.5]` (default 0.05).
    pub contamination: f64,
    /// Number of trees (default 100).
    pub n_estimators: usize,
    /// Rows sampled per tree; `None` is MSTICPy's `min(100, rows)`.
    pub max_samples: Option<usize>,
    /// Features drawn per tree; `None` is MSTICPy's `floor(sqrt(columns))` (at least 1).
    pub max_features: Option<usize>,
    /// Seed of the random draws (default 42, as MSTICPy's `RandomState(42)`).
    pub seed: u64,
}

impl Default for OutlierOptions {
    fn default() -> Self {
        OutlierOptions {
            contamination: 0.05,
            n_estimators: 100,
            max_samples: None,
            max_features: None,
            seed: 42,
        }
    }
}

impl OutlierOptions {
    /// MSTICPy's defaults; the same as [`OutlierOptions::default`].
    #[deprecated(note = "use OutlierOptions::default().contamination(..)")]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the expected share of outliers.
    pub fn contamination(mut self, contamination: f64) -> Self {
        self.contamination = contamination;
        self
    }

    /// Sets the number of trees.
    pub fn n_estimators(mut self, n_estimators: usize) -> Self {
        self.n_estimators = n_estimators;
        self
    }

    /// Sets the rows sampled per tree (capped at the number of rows).
    pub fn max_samples(mut self, max_samples: usize) -> Self {
        self.max_samples = Some(max_samples);
        self
    }

    /// Sets the features drawn per tree (capped at the number of columns).
    pub fn max_features(mut self, max_features: usize) -> Self {
        self.max_features = Some(max_features);
        self
    }

    /// Sets the random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// What an interrupted fit reports as stopped.
const FITTING: &str = "fitting the isolation forest";
/// Rows scored between two checks for an interrupt of the cell.
const INTERRUPT_CHECK_ROWS: usize = 1024;

/// A fitted isolation forest (scikit-learn's `IsolationForest` as MSTICPy uses it).
///
/// # Example
///
/// ```
/// # use mstic_analysis::{IsolationForest, OutlierOptions};
/// // Twenty ordinary rows near the origin and one far away.
/// let mut rows: Vec<Vec<f64>> = (0..20).map(|i| vec![(i % 5) as f64, (i % 4) as f64]).collect();
/// rows.push(vec![100.0, 100.0]);
/// let forest = IsolationForest::fit(&rows, &OutlierOptions::default())?;
/// let labels = forest.predict(&rows)?;
/// assert_eq!(labels[20], -1, "the far row is an outlier");
/// assert_eq!(labels.iter().filter(|&&label| label == -1).count(), 1);
/// assert_eq!(forest.max_samples(), 21);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct IsolationForest {
    trees: Vec<IsolationTree>,
    max_samples: usize,
    columns: usize,
    offset: f64,
}

impl IsolationForest {
    /// Fits the forest on `rows` (one feature vector each, all the same length) and sets the
    /// outlier threshold at the `contamination` percentile of the training scores. An interrupt
    /// of the cell stops fitting and scoring with `Error::Interrupted`.
    pub fn fit(rows: &[Vec<f64>], options: &OutlierOptions) -> Result<IsolationForest> {
        let columns = rows.first().map_or(0, Vec::len);
        if rows.is_empty() || columns == 0 {
            return Err(Error::invalid(
                "outlier features",
                "no rows or no feature columns to fit",
            ));
        }
        if let Some(row) = rows.iter().position(|r| r.len() != columns) {
            return Err(Error::invalid(
                "outlier features",
                format!(
                    "row {row} has {} values, row 0 has {columns}",
                    rows[row].len()
                ),
            ));
        }
        if !(options.contamination > 0.0 && options.contamination <= 0.5) {
            return Err(Error::invalid(
                "contamination",
                format!("{} is outside (0, 0.5]", options.contamination),
            ));
        }
        if options.n_estimators == 0 {
            return Err(Error::invalid("n_estimators", "must be at least 1"));
        }
        let max_samples = options.max_samples.unwrap_or(100).clamp(1, rows.len());
        let max_features = options
            .max_features
            .unwrap_or_else(|| (columns as f64).sqrt().floor() as usize)
            .clamp(1, columns);
        let mut rng = SeededRng::new(options.seed);
        let mut trees = Vec::with_capacity(options.n_estimators.min(4096));
        for _ in 0..options.n_estimators {
            interrupt::check(FITTING)?;
            trees.push(grow_tree(rows, max_samples, max_features, &mut rng));
        }
        let mut forest = IsolationForest {
            trees,
            max_samples,
            columns,
            offset: 0.0,
        };
        let training = forest.score_samples(rows)?;
        forest.offset = percentile(&training, 100.0 * options.contamination);
        Ok(forest)
    }

    /// Anomaly score `2^(-E[h(x)] / c(max_samples))` of each row, in `(0, 1]`: near 1 is
    /// anomalous, well under 0.5 is normal.
    pub fn anomaly_scores(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>> {
        if let Some(row) = rows.iter().position(|r| r.len() != self.columns) {
            return Err(Error::invalid(
                "outlier features",
                format!(
                    "row {row} has {} values, the forest was fit on {}",
                    rows[row].len(),
                    self.columns
                ),
            ));
        }
        let normaliser = average_path_length(self.max_samples).max(f64::MIN_POSITIVE);
        let mut scores = Vec::with_capacity(rows.len());
        for (index, row) in rows.iter().enumerate() {
            if index % INTERRUPT_CHECK_ROWS == 0 {
                interrupt::check("scoring outliers")?;
            }
            let mean_path = self.trees.iter().map(|t| t.path_length(row)).sum::<f64>()
                / self.trees.len() as f64;
            scores.push(2f64.powf(-mean_path / normaliser));
        }
        Ok(scores)
    }

    /// scikit-learn's `score_samples`: the negated anomaly score (lower is more abnormal).
    pub fn score_samples(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>> {
        Ok(self.anomaly_scores(rows)?.into_iter().map(|s| -s).collect())
    }

    /// scikit-learn's `decision_function`: `score_samples - offset`; negative means outlier.
    pub fn decision_function(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>> {
        Ok(self
            .score_samples(rows)?
            .into_iter()
            .map(|s| s - self.offset)
            .collect())
    }

    /// `-1` for outliers, `1` for inliers (scikit-learn's `predict`).
    pub fn predict(&self, rows: &[Vec<f64>]) -> Result<Vec<i64>> {
        Ok(self
            .decision_function(rows)?
            .into_iter()
            .map(|d| if d < 0.0 { -1 } else { 1 })
            .collect())
    }

    /// The fitted threshold on `score_samples` (scikit-learn's `offset_`).
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// Rows sampled per tree.
    pub fn max_samples(&self) -> usize {
        self.max_samples
    }
}

/// The numeric feature rows of `data`; a missing or non-numeric value names its column and row.
pub fn feature_rows(data: &Frame, feature_columns: &[&str]) -> Result<Vec<Vec<f64>>> {
    if feature_columns.is_empty() {
        return Err(Error::invalid(
            "feature_columns",
            "name at least one numeric column",
        ));
    }
    let mut rows = vec![Vec::with_capacity(feature_columns.len()); data.len()];
    for column in feature_columns {
        for (row, value) in columns::floats(data, column)?.into_iter().enumerate() {
            let value = value.filter(|v| v.is_finite()).ok_or_else(|| {
                Error::invalid(
                    format!("feature column '{column}'"),
                    format!("row {row} has no finite number"),
                )
            })?;
            rows[row].push(value);
        }
    }
    Ok(rows)
}

/// MSTICPy `identify_outliers(x, x_predict, contamination)` on frames: fits the forest on the
/// `feature_columns` of `training` and returns `scored` with `outlier_score` (anomaly score in
/// `(0, 1]`, higher is more anomalous) and `outlier` (`-1` outlier, `1` inlier). Pass the same
/// frame twice to find the outliers of one frame. Feature values must be numbers (numeric text
/// is read as a number); a missing one is an error naming its column and row.
///
/// # Example
///
/// ```
/// # use mstic_analysis::{OutlierOptions, identify_outliers};
/// # use mstic_core::Frame;
/// let mut rows: Vec<Vec<Option<&str>>> =
///     ["12", "14", "13", "15", "12", "14", "13", "15", "12", "14"]
///         .iter()
///         .map(|length| vec![Some("cmd.exe"), Some(*length)])
///         .collect();
/// rows.push(vec![Some("powershell.exe"), Some("900")]);
/// let processes = Frame::from_string_rows(&["Process", "CommandLength"], &rows)?;
/// let options = OutlierOptions::default().contamination(0.05);
/// let result = identify_outliers(&processes, &processes, &["CommandLength"], &options)?;
/// let labels: Vec<i64> = result.to_vec("outlier")?;
/// assert_eq!(labels[10], -1);
/// assert_eq!(labels.iter().filter(|&&label| label == -1).count(), 1);
/// assert!(result.has_column("outlier_score"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn identify_outliers(
    training: &Frame,
    scored: &Frame,
    feature_columns: &[&str],
    options: &OutlierOptions,
) -> Result<Frame> {
    let forest = IsolationForest::fit(&feature_rows(training, feature_columns)?, options)?;
    let rows = feature_rows(scored, feature_columns)?;
    let scores = forest.anomaly_scores(&rows)?;
    let labels = forest.predict(&rows)?;
    let mut out: Vec<(String, ArrayRef)> = Vec::new();
    for column in scored.columns() {
        out.push((column.clone(), scored.column(&column)?));
    }
    out.push(("outlier_score".into(), Arc::new(Float64Array::from(scores))));
    out.push(("outlier".into(), Arc::new(Int64Array::from(labels))));
    Frame::from_columns(out)
}

/// [`identify_outliers`] fitting and predicting on the same frame.
///
/// # Example
///
/// ```
/// # use mstic_analysis::{OutlierOptions, find_outliers, identify_outliers};
/// # use mstic_core::Frame;
/// let rows: Vec<Vec<Option<&str>>> = ["1", "2", "1", "2", "1", "50"].iter().map(|v| vec![Some(*v)]).collect();
/// let data = Frame::from_string_rows(&["Bytes"], &rows)?;
/// let options = OutlierOptions::default();
/// #[allow(deprecated)]
/// let old = find_outliers(&data, &["Bytes"], &options)?;
/// let new = identify_outliers(&data, &data, &["Bytes"], &options)?;
/// assert_eq!(old.to_vec::<i64>("outlier")?, new.to_vec::<i64>("outlier")?);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[deprecated(note = "use identify_outliers(&frame, &frame, feature_columns, &options)")]
pub fn find_outliers(
    data: &Frame,
    feature_columns: &[&str],
    options: &OutlierOptions,
) -> Result<Frame> {
    identify_outliers(data, data, feature_columns, options)
}
