//! How a relocation scores on the objective it minimised, in that objective's reading units
//! (a share for coverage and redundancy, ms otherwise).

use serde::{Deserialize, Serialize};

use crate::round::{ms, share};
use crate::solve::objective::Objective;
use crate::solve::{Solution, Status};

/// How a plan scores on the objective it was optimised for, in the objective's reading
/// units: a share in `0..=1` for coverage and redundancy (higher is better), ms otherwise
/// (the worst RTT, or the blended mean per unit of demand; lower is better).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveSummary {
    /// The objective and its parameters.
    pub objective: Objective,
    /// What the numbers measure, e.g. `"share of demand within 100 ms"`.
    pub measure: String,
    /// Whether higher is better (a share) rather than lower (ms).
    pub maximise: bool,
    /// The value of today's layout.
    pub before: f64,
    /// The value of the plan.
    pub after: f64,
    /// The best value any plan within the constraints can reach, as proven: an upper bound
    /// for a share, a lower bound for ms.
    pub bound: f64,
    /// How far the plan is proven on this objective.
    pub status: Status,
    /// What produced it.
    pub method: String,
    /// The best value per budget of moves (the relocation's curve).
    pub curve: Vec<ObjectivePoint>,
}

/// The objective's best value with a budget of `moves`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectivePoint {
    /// Number of moves k.
    pub moves: usize,
    /// Best value found with k moves.
    pub best: f64,
    /// Proven bound with k moves.
    pub bound: f64,
    /// Proof status with k moves.
    pub status: Status,
}

/// Reading units of a raw (minimised) objective value `raw` over a total weight `total`:
/// covered share, ms of the worst cell, or ms per unit of demand; rounded for output.
pub fn reading(objective: &Objective, raw: f64, total: f64) -> f64 {
    let per = |x: f64| if total > 0.0 { x / total } else { 0.0 };
    match objective {
        Objective::Coverage { .. } | Objective::Redundancy { .. } => share(1.0 - per(raw)),
        Objective::WorstCase => ms(raw),
        _ => ms(per(raw)),
    }
}

/// `x` in reading units rounded for output: a share to 6 decimals, ms to 3.
pub fn round_reading(objective: &Objective, x: f64) -> f64 {
    match objective {
        Objective::Coverage { .. } | Objective::Redundancy { .. } => share(x),
        _ => ms(x),
    }
}

/// What [`reading`] measures, e.g. `"share of demand within 100 ms"`.
pub fn measure(objective: &Objective) -> String {
    match *objective {
        Objective::Coverage { threshold_ms } => format!("share of demand within {threshold_ms} ms"),
        Objective::Redundancy { threshold_ms, k } => {
            format!("share of demand with {k} nodes within {threshold_ms} ms")
        }
        Objective::WorstCase => "RTT of the worst-served cell (ms)".into(),
        Objective::Blended {
            threshold_ms,
            penalty_ms,
        } => format!("mean RTT + {penalty_ms} ms beyond {threshold_ms} ms (ms)"),
        _ => "mean RTT (ms)".into(),
    }
}

impl ObjectiveSummary {
    /// The summary of `solution` (raw values, see [`Objective::value`]) against today's raw
    /// value `before`, with the per-budget solutions of the curve.
    pub fn new<'a>(
        objective: Objective,
        total: f64,
        before: f64,
        solution: &Solution,
        per_budget: impl IntoIterator<Item = (usize, &'a Solution)>,
    ) -> Self {
        let r = |x: f64| reading(&objective, x, total);
        ObjectiveSummary {
            objective,
            measure: measure(&objective),
            maximise: matches!(
                objective,
                Objective::Coverage { .. } | Objective::Redundancy { .. }
            ),
            before: r(before),
            after: r(solution.objective),
            bound: r(solution.lower_bound),
            status: solution.status,
            method: solution.method.clone(),
            curve: per_budget
                .into_iter()
                .map(|(moves, s)| ObjectivePoint {
                    moves,
                    best: r(s.objective),
                    bound: r(s.lower_bound),
                    status: s.status,
                })
                .collect(),
        }
    }

    /// `"92.1 %"` for a share, `"143.2 ms"` otherwise.
    pub fn format(&self, x: f64) -> String {
        if self.maximise {
            format!("{:.1} %", x * 100.0)
        } else {
            format!("{x:.1} ms")
        }
    }
}
