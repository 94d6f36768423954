//! Weighted percentiles and threshold shares.

/// Relative slack on `q · Σ w` (see the [module docs](super#weighted-percentiles)).
const SLACK: f64 = 1e-12;

/// The weighted `q`-percentile of `(value, weight)` samples: the smallest value `v` such that the
/// samples with value ≤ `v` carry at least a share `q` of the total weight.
///
/// `q` is clamped to `0..=1`. Samples with zero, negative or non-finite weight and samples with a
/// non-finite value are ignored. `None` when no sample is left.
///
/// ```
/// use cdnplan_core::serving::weighted_percentile;
/// // 60 % of the weight sees 10 ms, 30 % sees 40 ms, 10 % sees 200 ms.
/// let s = [(40.0, 3.0), (10.0, 6.0), (200.0, 1.0)];
/// assert_eq!(weighted_percentile(s, 0.5), Some(10.0));
/// assert_eq!(weighted_percentile(s, 0.6), Some(10.0));
/// assert_eq!(weighted_percentile(s, 0.61), Some(40.0));
/// assert_eq!(weighted_percentile(s, 0.9), Some(40.0));
/// assert_eq!(weighted_percentile(s, 0.95), Some(200.0));
/// ```
pub fn weighted_percentile(samples: impl IntoIterator<Item = (f64, f64)>, q: f64) -> Option<f64> {
    let mut s: Vec<(f64, f64)> = samples
        .into_iter()
        .filter(|&(v, w)| v.is_finite() && w.is_finite() && w > 0.0)
        .collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = s.iter().map(|&(_, w)| w).sum();
    let target = q.clamp(0.0, 1.0) * total - SLACK * total;
    let mut cum = 0.0;
    for &(v, w) in &s {
        cum += w;
        if cum >= target {
            return Some(v);
        }
    }
    // Only reachable through rounding in the running sum: the largest value holds share 1.
    s.last().map(|&(v, _)| v)
}

/// The share of the total weight whose value is ≤ `threshold`, in `0..=1`; 0 when the total
/// weight is 0. Samples are filtered as in [`weighted_percentile`].
///
/// ```
/// use cdnplan_core::serving::weighted_share_within;
/// let s = [(40.0, 3.0), (10.0, 6.0), (200.0, 1.0)];
/// assert_eq!(weighted_share_within(s, 50.0), 0.9);
/// assert_eq!(weighted_share_within(s, 10.0), 0.6);
/// ```
pub fn weighted_share_within(samples: impl IntoIterator<Item = (f64, f64)>, threshold: f64) -> f64 {
    let (within, total) = samples
        .into_iter()
        .filter(|&(v, w)| v.is_finite() && w.is_finite() && w > 0.0)
        .fold((0.0, 0.0), |(a, t), (v, w)| {
            (if v <= threshold { a + w } else { a }, t + w)
        });
    if total > 0.0 { within / total } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    mod percentile {
        use super::*;

        #[test]
        fn hand_computed_example() {
            // weights 1..=4 at 10, 20, 30, 40 ms: cumulative shares 0.1, 0.3, 0.6, 1.0.
            let s = [(30.0, 3.0), (10.0, 1.0), (40.0, 4.0), (20.0, 2.0)];
            assert_eq!(weighted_percentile(s, 0.0), Some(10.0));
            assert_eq!(weighted_percentile(s, 0.1), Some(10.0));
            assert_eq!(weighted_percentile(s, 0.11), Some(20.0));
            assert_eq!(weighted_percentile(s, 0.3), Some(20.0));
            assert_eq!(weighted_percentile(s, 0.5), Some(30.0));
            assert_eq!(weighted_percentile(s, 0.6), Some(30.0));
            assert_eq!(weighted_percentile(s, 0.9), Some(40.0));
            assert_eq!(weighted_percentile(s, 1.0), Some(40.0));
        }

        #[test]
        fn boundary_share_is_inclusive_despite_rounding() {
            // 0.9 · 10 is not exactly 9 in binary; nine of ten unit weights still make the p90.
            let s: Vec<(f64, f64)> = (1..=10).map(|i| (f64::from(i), 1.0)).collect();
            assert_eq!(weighted_percentile(s.iter().copied(), 0.9), Some(9.0));
            assert_eq!(weighted_percentile(s.iter().copied(), 0.7), Some(7.0));
        }

        #[test]
        fn zero_weights_are_ignored() {
            let s = [(1.0, 0.0), (50.0, 2.0), (60.0, 2.0)];
            assert_eq!(weighted_percentile(s, 0.0), Some(50.0));
            assert_eq!(weighted_percentile(s, 0.5), Some(50.0));
            assert_eq!(weighted_percentile([(1.0, 0.0)], 0.5), None);
        }

        #[test]
        fn q_is_clamped() {
            let s = [(5.0, 1.0), (7.0, 1.0)];
            assert_eq!(weighted_percentile(s, -1.0), Some(5.0));
            assert_eq!(weighted_percentile(s, 2.0), Some(7.0));
        }
    }

    mod share {
        use super::*;

        #[test]
        fn threshold_is_inclusive() {
            let s = [(50.0, 1.0), (50.000001, 1.0), (10.0, 2.0)];
            assert_eq!(weighted_share_within(s, 50.0), 0.75);
            assert_eq!(weighted_share_within(s, 5.0), 0.0);
            assert_eq!(weighted_share_within(s, 1e9), 1.0);
        }

        #[test]
        fn no_weight_gives_zero() {
            assert_eq!(weighted_share_within([(1.0, 0.0)], 10.0), 0.0);
        }
    }
}
