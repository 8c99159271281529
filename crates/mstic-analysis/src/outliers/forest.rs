//! Isolation forest as scikit-learn's `IsolationForest` builds it (Liu, Ting & Zhou 2008):
//! trees grown on random subsamples by random splits of random features up to depth
//! `ceil(log2(max_samples))`; a point's anomaly score is `2^(-E[h(x)] / c(max_samples))`.

/// SplitMix64: a small, seeded pseudo-random generator, so a seed gives the same forest.
#[derive(Debug, Clone)]
pub(crate) struct SeededRng(u64);

impl SeededRng {
    pub(crate) fn new(seed: u64) -> SeededRng {
        SeededRng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n - 1)
    }

    /// `k` distinct indices of `0..n`, in draw order (partial Fisher–Yates).
    fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = i + self.below(n - i);
            pool.swap(i, j);
        }
        pool.truncate(k.min(n));
        pool
    }
}

/// Average path length of an unsuccessful search in a binary search tree of `n` points, the
/// normaliser `c(n)` (scikit-learn `_average_path_length`).
pub(crate) fn average_path_length(n: usize) -> f64 {
    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + EULER_GAMMA) - 2.0 * (n - 1.0) / n
        }
    }
}

#[derive(Debug, Clone)]
enum Node {
    Leaf {
        size: usize,
    },
    Split {
        feature: usize,
        threshold: f64,
        left: Box<Node>,
        right: Box<Node>,
    },
}

/// One isolation tree over a subset of the features.
#[derive(Debug, Clone)]
pub(crate) struct IsolationTree {
    root: Node,
}

impl IsolationTree {
    /// Grows a tree on `rows` (indices into `data`) splitting only on `features`.
    pub(crate) fn grow(
        data: &[Vec<f64>],
        rows: Vec<usize>,
        features: &[usize],
        max_depth: usize,
        rng: &mut SeededRng,
    ) -> IsolationTree {
        IsolationTree {
            root: grow_node(data, rows, features, 0, max_depth, rng),
        }
    }

    /// Path length of `point`: the leaf's depth plus `c(leaf size)`.
    pub(crate) fn path_length(&self, point: &[f64]) -> f64 {
        let mut node = &self.root;
        let mut depth = 0.0;
        loop {
            match node {
                Node::Leaf { size } => return depth + average_path_length(*size),
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    node = if point[*feature] <= *threshold {
                        left
                    } else {
                        right
                    };
                    depth += 1.0;
                }
            }
        }
    }
}

fn grow_node(
    data: &[Vec<f64>],
    rows: Vec<usize>,
    features: &[usize],
    depth: usize,
    max_depth: usize,
    rng: &mut SeededRng,
) -> Node {
    if depth >= max_depth || rows.len() <= 1 {
        return Node::Leaf { size: rows.len() };
    }
    // Like scikit-learn's random splitter: draw features until one varies in this node.
    let ranges: Vec<(usize, f64, f64)> = features
        .iter()
        .filter_map(|&f| {
            let (lo, hi) = rows
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |acc, &r| {
                    (acc.0.min(data[r][f]), acc.1.max(data[r][f]))
                });
            (hi > lo).then_some((f, lo, hi))
        })
        .collect();
    if ranges.is_empty() {
        return Node::Leaf { size: rows.len() };
    }
    let (feature, lo, hi) = ranges[rng.below(ranges.len())];
    let mut threshold = lo + rng.unit() * (hi - lo);
    if threshold >= hi {
        threshold = lo;
    }
    let (left, right): (Vec<usize>, Vec<usize>) = rows
        .into_iter()
        .partition(|&r| data[r][feature] <= threshold);
    Node::Split {
        feature,
        threshold,
        left: Box::new(grow_node(data, left, features, depth + 1, max_depth, rng)),
        right: Box::new(grow_node(data, right, features, depth + 1, max_depth, rng)),
    }
}

/// Draws the rows and features of one tree and grows it.
pub(crate) fn grow_tree(
    data: &[Vec<f64>],
    max_samples: usize,
    max_features: usize,
    rng: &mut SeededRng,
) -> IsolationTree {
    let columns = data.first().map_or(0, Vec::len);
    let rows = rng.sample(data.len(), max_samples);
    let features = rng.sample(columns, max_features.clamp(1, columns.max(1)));
    let max_depth = (max_samples.max(2) as f64).log2().ceil() as usize;
    IsolationTree::grow(data, rows, &features, max_depth, rng)
}

/// numpy's default (linear) percentile of `values` at `q` in `[0, 100]`.
pub(crate) fn percentile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q / 100.0 * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normaliser_matches_scikit_learn() {
        assert_eq!(average_path_length(1), 0.0);
        assert_eq!(average_path_length(2), 1.0);
        // sklearn.ensemble._iforest._average_path_length([256])
        assert!((average_path_length(256) - 10.244_770_920_119_917).abs() < 1e-12);
    }

    #[test]
    fn percentile_interpolates_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], 5) == 1.15
        assert!((percentile(&[4.0, 1.0, 3.0, 2.0], 5.0) - 1.15).abs() < 1e-12);
    }

    #[test]
    fn rng_is_seeded() {
        let draw = |seed| {
            let mut rng = SeededRng::new(seed);
            (0..5).map(|_| rng.below(1000)).collect::<Vec<_>>()
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
        let mut rng = SeededRng::new(7);
        let mut picked = rng.sample(10, 10);
        picked.sort();
        assert_eq!(picked, (0..10).collect::<Vec<_>>());
    }
}
