//! Plan additions beyond the mean RTT: the objective a plan was optimised for, service within
//! a threshold (coverage, worst-served cells, single failures) and the node curve.

use serde::{Deserialize, Serialize};

use super::round::{ms, share};
use crate::demand::{Demand, Weighting};
use crate::error::Result;
use crate::latency::Latency;
use crate::node::Node;
use crate::relocation::NodeCurvePoint;
use crate::serving::{
    Evaluation, FailureRow, WorstCell, coverage_within, single_failures, worst_served,
};
use crate::solve::objective::Objective;
use crate::solve::{Solution, Status};

/// How many worst-served cells a [`ServiceReport`] lists.
pub const WORST_CELLS: usize = 10;

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

/// Service within a threshold, before and after: coverage, worst-served cells and what each
/// node's failure would cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceReport {
    /// The RTT threshold T (ms).
    pub threshold_ms: f64,
    /// Share of the weight within T today.
    pub within_before: f64,
    /// Share of the weight within T after the plan.
    pub within_after: f64,
    /// The worst-served cells today (at most [`WORST_CELLS`]).
    pub worst_before: Vec<WorstCell>,
    /// The worst-served cells after the plan.
    pub worst_after: Vec<WorstCell>,
    /// One row per active node today: the cost of its failure.
    pub failures_before: Vec<FailureRow>,
    /// One row per active node after the plan.
    pub failures_after: Vec<FailureRow>,
}

impl ServiceReport {
    /// Computes the report from both layouts and their evaluations; floats rounded for
    /// output.
    ///
    /// # Errors
    /// As [`single_failures`].
    #[allow(clippy::too_many_arguments)]
    pub fn compute(
        threshold_ms: f64,
        demand: &Demand,
        latency: &Latency,
        weighting: Weighting,
        nodes_before: &[Node],
        before: &Evaluation,
        nodes_after: &[Node],
        after: &Evaluation,
    ) -> Result<Self> {
        let failures = |nodes: &[Node]| -> Result<Vec<FailureRow>> {
            Ok(
                single_failures(demand, nodes, latency, weighting, threshold_ms)?
                    .into_iter()
                    .map(round_failure)
                    .collect(),
            )
        };
        let worst = |e: &Evaluation| -> Vec<WorstCell> {
            worst_served(e, WORST_CELLS)
                .into_iter()
                .map(|mut w| {
                    w.rtt_ms = ms(w.rtt_ms);
                    w.weight_share = share(w.weight_share);
                    w
                })
                .collect()
        };
        Ok(ServiceReport {
            threshold_ms,
            within_before: share(coverage_within(before, threshold_ms)),
            within_after: share(coverage_within(after, threshold_ms)),
            worst_before: worst(before),
            worst_after: worst(after),
            failures_before: failures(nodes_before)?,
            failures_after: failures(nodes_after)?,
        })
    }
}

fn round_failure(mut f: FailureRow) -> FailureRow {
    f.weight_share = share(f.weight_share);
    f.mean_rtt_ms = f.mean_rtt_ms.map(ms);
    f.delta_ms = f.delta_ms.map(ms);
    f.within_share = f.within_share.map(share);
    f.worst_rtt_ms = f.worst_rtt_ms.map(ms);
    f
}

/// `nodes,best,bound,status,marginal,mean_rtt_ms,sites` — one row per node count of the
/// node curve (`node-curve.csv`).
pub fn node_curve_csv(curve: &[NodeCurvePoint]) -> String {
    let mut out = String::from("nodes,best,bound,status,marginal,mean_rtt_ms,sites\n");
    for p in curve {
        let status = serde_json::to_value(p.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            p.nodes,
            p.best,
            p.bound,
            status,
            p.marginal.map(|m| m.to_string()).unwrap_or_default(),
            p.mean_rtt_ms,
            p.sites.join(" ")
        ));
    }
    out
}
