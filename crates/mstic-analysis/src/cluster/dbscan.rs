//! DBSCAN with scikit-learn's semantics: a point is a core point when at least `min_samples`
//! points (itself included) lie within Euclidean distance ≤ `eps`; clusters are numbered in the
//! order their first core point appears; border points join the first cluster that reaches them.

use mstic_core::{Result, interrupt};

/// What an interrupted clustering reports as stopped.
const CLUSTERING: &str = "the DBSCAN clustering";
/// Points handled between two checks for an interrupt of the cell.
const INTERRUPT_CHECK_POINTS: usize = 256;

/// Cluster label of every point (`-1` = noise) and the indices of the core points.
#[derive(Debug, Clone, PartialEq)]
pub struct DbscanLabels {
    /// One label per point: `0..k` for clusters, `-1` for noise.
    pub labels: Vec<i64>,
    /// Indices of the core points, ascending.
    pub core_sample_indices: Vec<usize>,
}

/// Runs DBSCAN over `points` (rows of equal length). Neighbour search sorts the rows on their
/// first coordinate and only compares rows within `eps` of it, so well-spread data is far below
/// the O(n²) worst case. An interrupt of the cell stops it with `Error::Interrupted`.
pub fn dbscan(points: &[Vec<f64>], eps: f64, min_samples: usize) -> Result<DbscanLabels> {
    let n = points.len();
    let neighbours = neighbourhoods(points, eps)?;
    let is_core: Vec<bool> = neighbours
        .iter()
        .map(|nb| nb.len() >= min_samples)
        .collect();
    let mut labels = vec![-1_i64; n];
    let mut next_label = 0_i64;
    let mut stack = Vec::new();
    for start in 0..n {
        if start % INTERRUPT_CHECK_POINTS == 0 {
            interrupt::check(CLUSTERING)?;
        }
        if labels[start] != -1 || !is_core[start] {
            continue;
        }
        labels[start] = next_label;
        stack.push(start);
        while let Some(point) = stack.pop() {
            if !is_core[point] {
                continue;
            }
            for &other in &neighbours[point] {
                if labels[other] == -1 {
                    labels[other] = next_label;
                    stack.push(other);
                }
            }
        }
        next_label += 1;
    }
    let core_sample_indices = (0..n).filter(|&i| is_core[i]).collect();
    Ok(DbscanLabels {
        labels,
        core_sample_indices,
    })
}

/// For each point, the points (itself included) within distance ≤ `eps`.
fn neighbourhoods(points: &[Vec<f64>], eps: f64) -> Result<Vec<Vec<usize>>> {
    let n = points.len();
    let first = |i: usize| points[i].first().copied().unwrap_or(0.0);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| first(a).total_cmp(&first(b)));
    let eps_squared = eps * eps;
    let mut result = vec![Vec::new(); n];
    for (position, &i) in order.iter().enumerate() {
        if position % INTERRUPT_CHECK_POINTS == 0 {
            interrupt::check(CLUSTERING)?;
        }
        for &j in &order[position..] {
            if first(j) - first(i) > eps {
                break;
            }
            let distance: f64 = points[i]
                .iter()
                .zip(&points[j])
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            if distance <= eps_squared {
                result[i].push(j);
                if i != j {
                    result[j].push(i);
                }
            }
        }
    }
    for list in &mut result {
        list.sort_unstable();
    }
    Ok(result)
}

/// scikit-learn's `Normalizer` (L2): each row scaled to unit length; all-zero rows stay zero.
pub fn normalize_rows(points: &mut [Vec<f64>]) {
    for row in points {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_clusters_and_noise() {
        let points = vec![
            vec![0.0, 0.0],
            vec![0.0, 0.1],
            vec![5.0, 5.0],
            vec![0.1, 0.0],
            vec![5.0, 5.1],
            vec![9.0, 0.0],
        ];
        let result = dbscan(&points, 0.15, 2).unwrap();
        assert_eq!(result.labels, vec![0, 0, 1, 0, 1, -1]);
        assert_eq!(result.core_sample_indices, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn min_samples_counts_the_point_itself() {
        let points = vec![vec![0.0], vec![1.0], vec![2.0]];
        assert_eq!(dbscan(&points, 1.0, 3).unwrap().labels, vec![0, 0, 0]);
        assert_eq!(dbscan(&points, 1.0, 4).unwrap().labels, vec![-1, -1, -1]);
        assert_eq!(dbscan(&points, 0.5, 1).unwrap().labels, vec![0, 1, 2]);
    }

    #[test]
    fn border_point_joins_first_cluster() {
        // 1.02 is within eps of a core point of each cluster but is not core itself.
        let points: Vec<Vec<f64>> = [0.0, 0.05, 0.1, 0.15, 1.02, 1.9, 1.95, 2.0, 2.05]
            .iter()
            .map(|&x| vec![x])
            .collect();
        let result = dbscan(&points, 0.9, 4).unwrap();
        assert_eq!(result.labels, vec![0, 0, 0, 0, 0, 1, 1, 1, 1]);
        assert!(!result.core_sample_indices.contains(&4));
    }

    #[test]
    fn normalizer_keeps_zero_rows() {
        let mut rows = vec![vec![3.0, 4.0], vec![0.0, 0.0]];
        normalize_rows(&mut rows);
        assert_eq!(rows, vec![vec![0.6, 0.8], vec![0.0, 0.0]]);
    }
}
