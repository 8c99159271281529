//! Event clustering (MSTICPy `analysis/eventcluster.py`): summarise many similar events into one
//! exemplar row per cluster plus every outlier, using DBSCAN over numeric features derived from
//! text ([`features`], [`add_process_features`]).

mod dbscan;
pub mod features;
mod process;

pub use dbscan::{DbscanLabels, dbscan, normalize_rows};
pub use process::add_process_features;

use crate::columns;
use arrow::array::{ArrayRef, BooleanArray, Int64Array, TimestampNanosecondArray};
use mstic_core::{Error, Frame, Result, interrupt};
use std::sync::Arc;

/// Settings of [`dbcluster_events`], defaulting to MSTICPy's: every column clustered
/// (`cluster_columns` empty), `normalize` true, `time_column` `TimeCreatedUtc`,
/// `max_cluster_distance` 0.01, `min_cluster_samples` 2.
///
/// # Example
///
/// ```
/// # use mstic_analysis::ClusterOptions;
/// let options = ClusterOptions::default()
///     .cluster_columns(&["pathScore", "commandlineTokensFull"])
///     .time_column("TimeGenerated")
///     .max_cluster_distance(0.0001);
/// assert_eq!(options.cluster_columns, ["pathScore", "commandlineTokensFull"]);
/// assert_eq!(options.time_column, "TimeGenerated");
/// assert_eq!(options.min_cluster_samples, 2);
/// assert!(options.normalize);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOptions {
    /// Numeric (or boolean) feature columns; empty means every column.
    pub cluster_columns: Vec<String>,
    /// Scale every feature row to unit length first (scikit-learn `Normalizer`; default true).
    pub normalize: bool,
    /// Column giving each event's time, for the first and last event times of a cluster
    /// (default `TimeCreatedUtc`).
    pub time_column: String,
    /// DBSCAN `eps`: the largest distance between neighbours (default 0.01).
    pub max_cluster_distance: f64,
    /// DBSCAN `min_samples`: neighbours (the point included) that make a core point (default 2).
    pub min_cluster_samples: usize,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            cluster_columns: Vec::new(),
            normalize: true,
            time_column: "TimeCreatedUtc".into(),
            max_cluster_distance: 0.01,
            min_cluster_samples: 2,
        }
    }
}

impl ClusterOptions {
    /// MSTICPy's defaults clustering on `cluster_columns`.
    #[deprecated(note = "use ClusterOptions::default().cluster_columns(&[..])")]
    pub fn new(cluster_columns: &[&str]) -> Self {
        Self::default().cluster_columns(cluster_columns)
    }
    /// Sets the feature columns to cluster on (empty: every column).
    pub fn cluster_columns(mut self, cluster_columns: &[&str]) -> Self {
        self.cluster_columns = cluster_columns.iter().map(|c| c.to_string()).collect();
        self
    }
    /// Sets the event time column.
    pub fn time_column(mut self, time_column: &str) -> Self {
        self.time_column = time_column.to_string();
        self
    }
    /// Sets DBSCAN's `eps`.
    pub fn max_cluster_distance(mut self, max_cluster_distance: f64) -> Self {
        self.max_cluster_distance = max_cluster_distance;
        self
    }
    /// Sets DBSCAN's `min_samples`.
    pub fn min_cluster_samples(mut self, min_cluster_samples: usize) -> Self {
        self.min_cluster_samples = min_cluster_samples;
        self
    }
    /// Turns row normalisation on or off.
    pub fn normalize(mut self, normalize: bool) -> Self {
        self.normalize = normalize;
        self
    }
}

/// What [`dbcluster_events`] returns (MSTICPy's `(DataFrame, DBSCAN, ndarray)` tuple).
///
/// # Example
///
/// ```
/// # use mstic_analysis::{ClusterOptions, dbcluster_events};
/// # use mstic_core::Frame;
/// // Three near-identical events and one different event.
/// let events = Frame::from_string_rows(
///     &["TimeGenerated", "Length", "Tokens"],
///     &[
///         vec![Some("2024-01-01T10:00:00Z"), Some("10"), Some("2")],
///         vec![Some("2024-01-01T10:05:00Z"), Some("10"), Some("2")],
///         vec![Some("2024-01-01T10:09:00Z"), Some("11"), Some("2")],
///         vec![Some("2024-01-01T11:00:00Z"), Some("90"), Some("30")],
///     ],
/// )?;
/// let options = ClusterOptions::default()
///     .cluster_columns(&["Length", "Tokens"])
///     .time_column("TimeGenerated")
///     .normalize(false)
///     .max_cluster_distance(2.0);
/// let result = dbcluster_events(&events, &options)?;
/// assert_eq!(result.labels, [0, 0, 0, -1]);
/// assert_eq!(result.cluster_count(), 1);
/// assert_eq!(result.clusters.len(), 2, "the outlier, then one row for the cluster");
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClusterResult {
    /// Every noise row (`ClusterId` −1, `Clustered` false, `ClusterSize` 1) then one exemplar
    /// row per cluster, with `Clustered, ClusterId, ClusterSize, TimeGenerated, FirstEventTime,
    /// LastEventTime` added.
    pub clusters: Frame,
    /// Cluster label of every input row (−1 = noise).
    pub labels: Vec<i64>,
    /// Input rows that are DBSCAN core points.
    pub core_sample_indices: Vec<usize>,
    /// The feature matrix as clustered (normalised when asked).
    pub features: Vec<Vec<f64>>,
}

impl ClusterResult {
    /// Number of real clusters (noise excluded).
    pub fn cluster_count(&self) -> usize {
        self.labels
            .iter()
            .copied()
            .max()
            .map_or(0, |m| (m + 1).max(0) as usize)
    }
}

/// MSTICPy `dbcluster_events`: DBSCAN over the feature columns, summarised as one row per
/// cluster plus all outliers. An interrupt of the cell stops it with `Error::Interrupted`.
///
/// Clustering on `cluster_columns` (all columns when empty); the rows of a cluster become one
/// exemplar row (the cluster's first row) with its size and first and last event times.
///
/// # Example
///
/// ```
/// # use mstic_analysis::{ClusterOptions, dbcluster_events};
/// # use mstic_core::Frame;
/// // Three near-identical events and one different event.
/// let events = Frame::from_string_rows(
///     &["TimeGenerated", "Length", "Tokens"],
///     &[
///         vec![Some("2024-01-01T10:00:00Z"), Some("10"), Some("2")],
///         vec![Some("2024-01-01T10:05:00Z"), Some("10"), Some("2")],
///         vec![Some("2024-01-01T10:09:00Z"), Some("11"), Some("2")],
///         vec![Some("2024-01-01T11:00:00Z"), Some("90"), Some("30")],
///     ],
/// )?;
/// let options = ClusterOptions::default()
///     .cluster_columns(&["Length", "Tokens"])
///     .time_column("TimeGenerated")
///     .normalize(false)
///     .max_cluster_distance(2.0);
/// let result = dbcluster_events(&events, &options)?;
/// let sizes: Vec<i64> = result.clusters.to_vec("ClusterSize")?;
/// assert_eq!(sizes, [1, 3]);
/// let lengths: Vec<i64> = result.clusters.to_vec("Length")?;
/// assert_eq!(lengths, [90, 10]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn dbcluster_events(data: &Frame, options: &ClusterOptions) -> Result<ClusterResult> {
    if data.is_empty() {
        return Err(Error::invalid("data", "no rows to cluster"));
    }
    if options.max_cluster_distance.is_nan()
        || options.max_cluster_distance <= 0.0
        || options.min_cluster_samples == 0
    {
        return Err(Error::invalid(
            "cluster options",
            "max_cluster_distance must be positive and min_cluster_samples at least 1",
        ));
    }
    let names: Vec<String> = if options.cluster_columns.is_empty() {
        data.columns()
    } else {
        options.cluster_columns.clone()
    };
    let mut matrix = vec![Vec::with_capacity(names.len()); data.len()];
    for name in &names {
        for (row, value) in columns::floats(data, name)?.into_iter().enumerate() {
            let value = value.filter(|v| v.is_finite()).ok_or_else(|| {
                Error::invalid(
                    format!("cluster column '{name}'"),
                    format!("row {row} has no numeric value"),
                )
            })?;
            matrix[row].push(value);
        }
    }
    if options.normalize {
        normalize_rows(&mut matrix);
    }
    let times = columns::times(data, &options.time_column)?;
    let DbscanLabels {
        labels,
        core_sample_indices,
    } = dbscan(
        &matrix,
        options.max_cluster_distance,
        options.min_cluster_samples,
    )?;
    let clusters = summarise(data, &labels, &times)?;
    Ok(ClusterResult {
        clusters,
        labels,
        core_sample_indices,
        features: matrix,
    })
}

/// The output rows: all noise rows, then the first member of each cluster in label order.
fn summarise(data: &Frame, labels: &[i64], times: &[Option<i64>]) -> Result<Frame> {
    let mut label_set: Vec<i64> = labels.to_vec();
    label_set.sort_unstable();
    label_set.dedup();
    let (mut rows, mut clustered, mut ids, mut sizes, mut firsts, mut lasts) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for label in label_set {
        interrupt::check("summarising the clusters")?;
        let members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == label).collect();
        let member_times = members.iter().filter_map(|&i| times[i]);
        let (first, last) = (member_times.clone().min(), member_times.max());
        let chosen: &[usize] = if label == -1 { &members } else { &members[..1] };
        for &row in chosen {
            rows.push(row);
            clustered.push(label != -1);
            ids.push(label);
            sizes.push(if label == -1 { 1 } else { members.len() as i64 });
            firsts.push(first);
            lasts.push(last);
        }
    }
    let picked = columns::take_rows(data, &rows)?;
    let stamp = |values: &[Option<i64>]| -> ArrayRef {
        Arc::new(TimestampNanosecondArray::from(values.to_vec()).with_timezone("UTC"))
    };
    let added: Vec<(&str, ArrayRef)> = vec![
        ("Clustered", Arc::new(BooleanArray::from(clustered))),
        ("ClusterId", Arc::new(Int64Array::from(ids))),
        ("ClusterSize", Arc::new(Int64Array::from(sizes))),
        ("TimeGenerated", stamp(&firsts)),
        ("FirstEventTime", stamp(&firsts)),
        ("LastEventTime", stamp(&lasts)),
    ];
    process::with_columns(&picked, added)
}
