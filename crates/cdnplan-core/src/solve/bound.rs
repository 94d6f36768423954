//! Lower bounds on the p-median optimum.
//!
//! * [`TrivialBound`]: every client served by its cheapest allowed site,
//!   `Σ_i w_i · min_{allowed j} c_ij` — valid for any `p`, free to compute.
//! * [`LpRelaxation`]: the strong formulation with `y_j ∈ [0, 1]` (see [`mip`](crate::solve::mip)),
//!   solved by the chosen good_lp backend. Much tighter; often integral, which proves the
//!   integer optimum outright.
//!
//! The engine's own bound, the Lagrangian relaxation of the assignment constraints with
//! subgradient ascent, does not go through [`Bound`]: it lives in
//! [`lagrange`](crate::solve::lagrange) because branch-and-bound needs its multipliers and
//! reduced costs, not only its value.

use std::time::Duration;

use super::mip::{self, MipStatus, Outcome};
use super::{MipBackend, Problem};
use crate::error::Result;

/// A lower bound and, when the relaxation happened to be integral, the open set it proves
/// optimal.
#[derive(Debug, Clone, PartialEq)]
pub struct LowerBound {
    /// A valid lower bound on the optimum (instance units).
    pub value: f64,
    /// An optimal open set, when the relaxation's solution is integral.
    pub optimal_open: Option<Vec<usize>>,
}

/// A way to bound the p-median optimum from below.
pub trait Bound {
    /// A lower bound within `time_limit`, or `None` when none was reached in time.
    ///
    /// # Errors
    /// [`Error::Solver`](crate::Error::Solver) when a backend fails for a reason other than
    /// time.
    fn lower_bound(
        &self,
        problem: &Problem<'_>,
        time_limit: Duration,
    ) -> Result<Option<LowerBound>>;
}

/// `Σ_i w_i · min_{allowed j} c_ij`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrivialBound;

impl Bound for TrivialBound {
    fn lower_bound(
        &self,
        problem: &Problem<'_>,
        _time_limit: Duration,
    ) -> Result<Option<LowerBound>> {
        Ok(Some(LowerBound {
            value: problem.trivial_bound(),
            optimal_open: None,
        }))
    }
}

/// The LP relaxation of the strong formulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LpRelaxation {
    /// The backend that solves the LP.
    pub backend: MipBackend,
}

/// Relative slack taken off an LP value before it is used as a bound, covering the
/// simplex's floating-point tolerances.
pub const LP_BOUND_SLACK: f64 = 1e-10;

/// Relative tolerance for accepting an integral LP solution's objective as the LP value.
const INTEGRAL_SLACK: f64 = 1e-7;

impl Bound for LpRelaxation {
    fn lower_bound(
        &self,
        problem: &Problem<'_>,
        time_limit: Duration,
    ) -> Result<Option<LowerBound>> {
        if time_limit.is_zero() {
            return Ok(None);
        }
        match mip::run(problem, self.backend, false, time_limit, None, 0.0)? {
            // Only a finished LP is a bound: a time-limited simplex value is not.
            Outcome::Solved {
                status: MipStatus::Optimal,
                y,
                objective,
                ..
            } => {
                let mut value = objective - LP_BOUND_SLACK * objective.abs();
                value = value.max(problem.trivial_bound());
                let optimal_open = mip::integral_open(&y).filter(|open| {
                    problem.is_feasible(open)
                        && problem.instance().objective(open)
                            <= objective + INTEGRAL_SLACK * objective.abs().max(1.0)
                });
                // An integral optimal LP solution is an optimal integer solution: its own
                // objective is then the bound.
                if let Some(open) = &optimal_open {
                    value = value.max(problem.instance().objective(open));
                }
                Ok(Some(LowerBound {
                    value,
                    optimal_open,
                }))
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::testkit::{problem, two_clusters};

    #[test]
    fn lp_bound_sits_between_trivial_bound_and_optimum() {
        let inst = two_clusters();
        let pb = problem(&inst, 2);
        let trivial = TrivialBound
            .lower_bound(&pb, Duration::ZERO)
            .unwrap()
            .unwrap();
        assert_eq!(trivial.value, 0.0);
        let lp = LpRelaxation {
            backend: MipBackend::Microlp,
        }
        .lower_bound(&pb, Duration::from_secs(10))
        .unwrap()
        .unwrap();
        assert!(lp.value <= 4.0 && lp.value > 3.99, "{}", lp.value);
        assert_eq!(lp.optimal_open, Some(vec![1, 4]));
    }
}
