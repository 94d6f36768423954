//! Rounding for output: ms and km to 3 decimals, shares and gaps to 6.
//!
//! Rounded values print short and parse back to the same `f64`, so a plan survives a JSON round
//! trip unchanged and its bytes do not depend on the last bits of a sum.

use super::model::{Plan, SolverSummary};
use super::{CurvePoint, Move};
use crate::serving::{CellService, ContinentRow, Coverage, Evaluation, NodeLoad};

/// Rounds `x` to `decimals` places; non-finite values pass through.
pub(crate) fn round_to(x: f64, decimals: i32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let f = 10f64.powi(decimals);
    let r = (x * f).round() / f;
    // Avoid "-0.0" in the output.
    if r == 0.0 { 0.0 } else { r }
}

/// ms and km: 3 decimals (µs, metres).
pub(crate) fn ms(x: f64) -> f64 {
    round_to(x, 3)
}

/// Shares and gaps: 6 decimals.
pub(crate) fn share(x: f64) -> f64 {
    round_to(x, 6)
}

/// A value whose floats can be rounded for output.
pub(crate) trait Round: Sized {
    fn rounded(self) -> Self;
}

impl<T: Round> Round for Vec<T> {
    fn rounded(self) -> Self {
        self.into_iter().map(Round::rounded).collect()
    }
}

impl Round for Move {
    fn rounded(mut self) -> Self {
        self.mean_rtt_after_ms = ms(self.mean_rtt_after_ms);
        self.gain_ms = ms(self.gain_ms);
        self
    }
}

impl Round for CurvePoint {
    fn rounded(mut self) -> Self {
        self.plan_prefix_mean_rtt_ms = ms(self.plan_prefix_mean_rtt_ms);
        self.best_mean_rtt_ms = ms(self.best_mean_rtt_ms);
        self.lower_bound_mean_rtt_ms = ms(self.lower_bound_mean_rtt_ms);
        self
    }
}

impl Round for SolverSummary {
    fn rounded(mut self) -> Self {
        self.objective_mean_rtt_ms = ms(self.objective_mean_rtt_ms);
        self.lower_bound_mean_rtt_ms = ms(self.lower_bound_mean_rtt_ms);
        self.gap = share(self.gap);
        self
    }
}

impl Round for CellService {
    fn rounded(mut self) -> Self {
        self.distance_km = ms(self.distance_km);
        self.rtt_ms = ms(self.rtt_ms);
        self
    }
}

impl Round for Coverage {
    fn rounded(mut self) -> Self {
        self.share = share(self.share);
        self
    }
}

impl Round for NodeLoad {
    fn rounded(mut self) -> Self {
        self.weight_share = share(self.weight_share);
        self.mean_rtt_ms = self.mean_rtt_ms.map(ms);
        self
    }
}

impl Round for ContinentRow {
    fn rounded(mut self) -> Self {
        self.weight_share = share(self.weight_share);
        self.mean_rtt_ms = self.mean_rtt_ms.map(ms);
        self.p90_rtt_ms = self.p90_rtt_ms.map(ms);
        self
    }
}

impl Round for Evaluation {
    fn rounded(mut self) -> Self {
        // Weights are sums of integer counts: exact, left alone.
        self.mean_rtt_ms = ms(self.mean_rtt_ms);
        self.p50_rtt_ms = ms(self.p50_rtt_ms);
        self.p90_rtt_ms = ms(self.p90_rtt_ms);
        self.p95_rtt_ms = ms(self.p95_rtt_ms);
        self.coverage = self.coverage.rounded();
        self.nodes = self.nodes.rounded();
        self.continents = self.continents.rounded();
        self.cells = self.cells.rounded();
        self
    }
}

impl Round for Plan {
    fn rounded(mut self) -> Self {
        self.scenario.time_limit_s = ms(self.scenario.time_limit_s);
        self.before = self.before.rounded();
        self.after = self.after.rounded();
        self.moves = self.moves.rounded();
        self.curve = self.curve.rounded();
        self.solver = self.solver.rounded();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_and_is_idempotent() {
        for x in [84.123_456_7, 0.000_000_4, -0.000_1, 1e6 / 3.0, 51.0] {
            let r = ms(x);
            assert_eq!(ms(r), r);
            assert!((r - x).abs() <= 0.000_5 + 1e-12, "{x} → {r}");
        }
        assert_eq!(ms(84.123_456_7), 84.123);
        assert_eq!(share(0.123_456_789), 0.123_457);
        assert!(ms(-0.000_1).is_sign_positive());
        assert!(ms(f64::NAN).is_nan());
    }

    #[test]
    fn rounded_values_survive_json() {
        for i in 0..10_000 {
            let x = ms(f64::from(i) * 0.017_31 + 3.0);
            let j = serde_json::to_string(&x).unwrap();
            assert_eq!(serde_json::from_str::<f64>(&j).unwrap(), x, "{j}");
        }
    }
}
