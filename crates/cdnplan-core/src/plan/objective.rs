//! Plan additions beyond the mean RTT: service within a threshold (coverage, worst-served
//! cells, single failures) and the node curve's CSV.

use serde::{Deserialize, Serialize};

use crate::demand::{Demand, Weighting};
use crate::error::Result;
use crate::latency::Latency;
use crate::node::Node;
use crate::relocation::NodeCurvePoint;
use crate::round::{ms, share};
use crate::serving::{
    Evaluation, FailureRow, WorstCell, coverage_within, single_failures, worst_served,
};

/// How many worst-served cells a [`ServiceReport`] lists.
pub const WORST_CELLS: usize = 10;

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
    /// output. `latency` serves the layout before, `latency_after` the one after (a moved
    /// node is measured as its site: [`crate::relocation::latency_after`]).
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
        latency_after: &Latency,
        after: &Evaluation,
    ) -> Result<Self> {
        let failures = |nodes: &[Node], latency: &Latency| -> Result<Vec<FailureRow>> {
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
            failures_before: failures(nodes_before, latency)?,
            failures_after: failures(nodes_after, latency_after)?,
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
        let status = p.status.name();
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
