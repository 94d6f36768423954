//! The [`Plan`]: everything a relocation run decided and measured, as one versioned document.

use serde::{Deserialize, Serialize};

use crate::demand::{CellKind, Demand, Weighting};
use crate::error::{Error, Result};
use crate::latency::LinearRtt;
use crate::node::Node;
use crate::relocation::RelocationConstraints;
use crate::relocation::{CurvePoint, Move, ServingRuleCover};
use crate::round::{Round, ms, share};
use crate::serving::Evaluation;
use crate::solve::{Method, MipBackend, Solution, Status};

/// The `schema` tag of every plan document.
pub const PLAN_SCHEMA: &str = "cdnplan/plan";

/// The version of the plan document format; bumped on any incompatible change
/// (see `docs/plan-schema.md`).
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// The scenario a plan was computed for: its inputs, without paths or times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSummary {
    /// Scenario name.
    pub name: String,
    /// Free-text description (may be empty).
    #[serde(default)]
    pub description: String,
    /// The quantity that weighs demand cells.
    pub weighting: Weighting,
    /// What the demand cells are keyed by.
    pub cells: CellKind,
    /// The distance-to-RTT model.
    pub latency: LinearRtt,
    /// Number of measured (cell, node or site) RTTs that override the model.
    pub measured_overrides: usize,
    /// The relocation constraints.
    pub constraints: RelocationConstraints,
    /// The solve method asked for.
    pub method: Method,
    /// The MIP backend asked for.
    pub backend: MipBackend,
    /// Time limit of the solve, in seconds.
    pub time_limit_s: f64,
    /// Seed of every random choice.
    pub seed: u64,
}

/// Totals of the demand a plan was computed for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandSummary {
    /// Number of demand cells.
    pub cells: usize,
    /// Requests, summed over cells.
    pub requests: u64,
    /// Response bytes, summed over cells.
    pub bytes: u64,
    /// Distinct clients summed over cells (a client seen in two cells counts twice).
    pub unique_clients: u64,
    /// Where the demand came from: file names or index patterns as the user gave them (never
    /// absolute paths, so plans compare across machines).
    pub sources: Vec<String>,
}

impl DemandSummary {
    /// Totals of `demand`, read from `sources`.
    pub fn new(demand: &Demand, sources: Vec<String>) -> Self {
        DemandSummary {
            cells: demand.cells.len(),
            requests: demand.total_requests(),
            bytes: demand.cells.iter().map(|c| c.bytes).sum(),
            unique_clients: demand.cells.iter().map(|c| c.unique_clients).sum(),
            sources,
        }
    }
}

/// What the plan's mean RTT is to the solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeanRttRole {
    /// The mean RTT is the objective: the status and bound speak of it.
    #[default]
    Objective,
    /// Another objective was optimised (see [`Plan::objective`], which carries its proof);
    /// the mean RTT only breaks ties between plans equal on it, is not optimised, and nothing
    /// is proven about it beyond the bound.
    TieBreak,
}

impl MeanRttRole {
    /// Whether the mean RTT is the objective.
    pub fn is_objective(&self) -> bool {
        *self == MeanRttRole::Objective
    }
}

/// What the solver proved about the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolverSummary {
    /// What produced the plan (e.g. `"greedy+swap"`, `"mip/microlp"`).
    pub method: String,
    /// How far the plan is proven.
    pub status: Status,
    /// Demand-weighted mean RTT (ms) of the plan: the objective.
    pub objective_mean_rtt_ms: f64,
    /// A valid lower bound (ms) on the best mean RTT reachable under the constraints.
    pub lower_bound_mean_rtt_ms: f64,
    /// Relative gap `(objective − bound) / objective`, in `0..=1` (0 when the objective is 0).
    pub gap: f64,
    /// Whether the mean RTT was the objective or a tie-break (written only for a tie-break).
    #[serde(default, skip_serializing_if = "MeanRttRole::is_objective")]
    pub mean_rtt_role: MeanRttRole,
    /// Whether the proof covers the serving rule (nearest node by distance, paying its RTT):
    /// not when measured RTTs make a farther place faster for some cell.
    #[serde(default)]
    pub serving_rule: ServingRuleCover,
}

impl SolverSummary {
    /// A summary; the gap is computed from the objective and the bound.
    pub fn new(
        method: impl Into<String>,
        status: Status,
        objective_mean_rtt_ms: f64,
        lower_bound_mean_rtt_ms: f64,
    ) -> Self {
        let gap = if objective_mean_rtt_ms > 0.0 {
            ((objective_mean_rtt_ms - lower_bound_mean_rtt_ms) / objective_mean_rtt_ms).max(0.0)
        } else {
            0.0
        };
        SolverSummary {
            method: method.into(),
            status,
            objective_mean_rtt_ms,
            lower_bound_mean_rtt_ms,
            gap,
            mean_rtt_role: MeanRttRole::Objective,
            serving_rule: ServingRuleCover::Covered,
        }
    }

    /// The same summary for a plan optimised for another objective, whose mean RTT only
    /// breaks ties: the status becomes [`Status::Heuristic`] (nothing is proven about it).
    pub fn tie_break(mut self) -> Self {
        self.status = Status::Heuristic;
        self.mean_rtt_role = MeanRttRole::TieBreak;
        self
    }

    /// Sets [`SolverSummary::serving_rule`].
    pub fn with_serving_rule(mut self, cover: ServingRuleCover) -> Self {
        self.serving_rule = cover;
        self
    }

    /// The summary of `solution`, whose objective and bound are given here as mean RTTs (ms):
    /// a [`Solution`] holds weighted sums.
    pub fn from_solution(
        solution: &Solution,
        objective_mean_rtt_ms: f64,
        lower_bound_mean_rtt_ms: f64,
    ) -> Self {
        SolverSummary::new(
            solution.method.clone(),
            solution.status,
            objective_mean_rtt_ms,
            lower_bound_mean_rtt_ms,
        )
    }
}

/// A relocation plan: the scenario, the demand, the nodes before and after, both evaluations,
/// the ordered moves, the curve of gain against number of moves, and what the solver proved.
///
/// A plan holds no time stamps, durations or absolute paths: the same inputs give the same
/// plan, byte for byte. [`Plan::new`] and the `with_*` setters round floats for output (ms and
/// km to 3 decimals, shares and gaps to 6); node coordinates are kept as given. Every field is
/// documented in `docs/plan-schema.md`.
///
/// ```
/// use cdnplan_core::plan::{Plan, SolverSummary};
/// # use cdnplan_core::plan::{DemandSummary, ScenarioSummary};
/// # use cdnplan_core::serving::evaluate;
/// # use cdnplan_core::solve::Status;
/// # use cdnplan_core::*;
/// # let demand = Demand::new(CellKind::Country, vec![DemandCell {
/// #     id: "DE".into(), location: GeoPoint { lat: 52.5, lon: 13.4 }, country: None,
/// #     continent: None, requests: 10, bytes: 0, unique_clients: 1 }])?;
/// # let nodes = vec![Node { id: "nbg".into(), operator: None, city: None, country: None,
/// #     continent: None, location: GeoPoint { lat: 49.45, lon: 11.08 }, capacity: None,
/// #     active: true, buckets: vec![] }];
/// # let scenario = ScenarioSummary { name: "doc".into(), description: String::new(),
/// #     weighting: Weighting::Requests, cells: CellKind::Country, latency: LinearRtt::DEFAULT,
/// #     measured_overrides: 0, constraints: Default::default(), method: Default::default(),
/// #     backend: Default::default(), time_limit_s: 60.0, seed: 0 };
/// let before = evaluate(&demand, &nodes, &Latency::default(), Weighting::Requests)?;
/// let solver = SolverSummary::new("none", Status::Optimal, before.mean_rtt_ms, before.mean_rtt_ms);
/// let plan = Plan::new(
///     scenario,
///     DemandSummary::new(&demand, vec!["access.log".into()]),
///     nodes.clone(),
///     before.clone(),
///     nodes,
///     before,
///     solver,
/// );
/// let json = plan.to_json_pretty();
/// assert_eq!(Plan::from_json(&json)?, plan);
/// # Ok::<(), cdnplan_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Always [`PLAN_SCHEMA`] (`"cdnplan/plan"`).
    pub schema: String,
    /// Always [`PLAN_SCHEMA_VERSION`] for plans written by this version.
    pub version: u32,
    /// The scenario's inputs.
    pub scenario: ScenarioSummary,
    /// Totals of the demand.
    pub demand: DemandSummary,
    /// The nodes as they stand today.
    pub nodes_before: Vec<Node>,
    /// The nodes once every move is done.
    pub nodes_after: Vec<Node>,
    /// Evaluation of `nodes_before`.
    pub before: Evaluation,
    /// Evaluation of `nodes_after`.
    pub after: Evaluation,
    /// The moves, in execution order.
    pub moves: Vec<Move>,
    /// Mean RTT against the number of moves.
    pub curve: Vec<CurvePoint>,
    /// What the solver proved.
    pub solver: SolverSummary,
    /// Ids of inactive nodes that the optimiser left out.
    pub ignored_inactive: Vec<String>,
    /// The family ↔ bucket reassignment after the moves, when the network is a topology and
    /// it was asked for (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reassignment: Option<super::ReassignmentSummary>,
    /// The objective the plan was optimised for, when it is not the mean RTT (absent
    /// otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<super::ObjectiveSummary>,
    /// Service within a threshold before and after: coverage, worst-served cells, single
    /// failures (present when a threshold was given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<super::ServiceReport>,
    /// The best objective value for 1..N nodes, when asked for (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_curve: Vec<crate::relocation::NodeCurvePoint>,
    /// Load versus capacity per node before and after, and the monthly cost against the
    /// budget (present when the plan was computed with capacities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<super::CapacityReport>,
}

impl Plan {
    /// A plan without moves, curve or ignored nodes (add them with [`Plan::with_moves`],
    /// [`Plan::with_curve`] and [`Plan::with_ignored_inactive`]); floats are rounded for output.
    pub fn new(
        scenario: ScenarioSummary,
        demand: DemandSummary,
        nodes_before: Vec<Node>,
        before: Evaluation,
        nodes_after: Vec<Node>,
        after: Evaluation,
        solver: SolverSummary,
    ) -> Self {
        Plan {
            schema: PLAN_SCHEMA.to_string(),
            version: PLAN_SCHEMA_VERSION,
            scenario,
            demand,
            nodes_before,
            nodes_after,
            before,
            after,
            moves: Vec::new(),
            curve: Vec::new(),
            solver,
            ignored_inactive: Vec::new(),
            reassignment: None,
            objective: None,
            service: None,
            node_curve: Vec::new(),
            capacity: None,
        }
        .rounded()
    }

    /// Sets the moves (in execution order), rounding their numbers.
    pub fn with_moves(mut self, moves: Vec<Move>) -> Self {
        self.moves = moves.rounded();
        self
    }

    /// Sets the curve (sorted by number of moves), rounding its numbers.
    pub fn with_curve(mut self, mut curve: Vec<CurvePoint>) -> Self {
        curve.sort_by_key(|p| p.moves);
        self.curve = curve.rounded();
        self
    }

    /// Sets the inactive nodes the optimiser left out (sorted).
    pub fn with_ignored_inactive(mut self, mut ids: Vec<String>) -> Self {
        ids.sort();
        self.ignored_inactive = ids;
        self
    }

    /// Sets the family ↔ bucket reassignment summary.
    pub fn with_reassignment(mut self, r: super::ReassignmentSummary) -> Self {
        self.reassignment = Some(r);
        self
    }

    /// Sets the objective summary (its values are already rounded).
    pub fn with_objective(mut self, o: super::ObjectiveSummary) -> Self {
        self.objective = Some(o);
        self
    }

    /// Sets the service report (its values are already rounded).
    pub fn with_service(mut self, s: super::ServiceReport) -> Self {
        self.service = Some(s);
        self
    }

    /// Sets the node curve (its values are already rounded).
    pub fn with_node_curve(mut self, curve: Vec<crate::relocation::NodeCurvePoint>) -> Self {
        self.node_curve = curve;
        self
    }

    /// Sets the load-versus-capacity report (its values are already rounded).
    pub fn with_capacity(mut self, c: super::CapacityReport) -> Self {
        self.capacity = Some(c);
        self
    }

    /// The plan with every float rounded as [`Plan::new`] does; for plans built field by field.
    pub fn rounded(self) -> Self {
        Round::rounded(self)
    }

    /// Mean RTT gain (ms) of the whole plan: before minus after (negative when it gets worse).
    pub fn gain_ms(&self) -> f64 {
        self.before.mean_rtt_ms - self.after.mean_rtt_ms
    }

    /// The versioned `plan.json` document: pretty-printed JSON with a final newline.
    pub fn to_json_pretty(&self) -> String {
        // A plan has string map keys only and no fallible `Serialize` impl, so this cannot fail
        // whatever the data (a non-finite float, never produced by the evaluation, becomes null).
        let mut s = serde_json::to_string_pretty(self).expect("a plan always serialises");
        s.push('\n');
        s
    }

    /// Reads a plan document, checking its schema tag and version.
    ///
    /// # Errors
    /// [`Error::Parse`] when `json` is not a plan, or a plan of another version.
    pub fn from_json(json: &str) -> Result<Plan> {
        #[derive(Deserialize)]
        struct Header {
            schema: String,
            version: u32,
        }
        let header: Header = serde_json::from_str(json).map_err(|e| Error::Parse {
            what: "plan document (JSON with \"schema\" and \"version\")",
            value: e.to_string(),
        })?;
        if header.schema != PLAN_SCHEMA || header.version != PLAN_SCHEMA_VERSION {
            return Err(Error::Parse {
                what: "plan schema (expected \"cdnplan/plan\" version 1)",
                value: format!("{} version {}", header.schema, header.version),
            });
        }
        serde_json::from_str(json).map_err(|e| Error::Parse {
            what: "plan document",
            value: e.to_string(),
        })
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
    use super::super::fixture;
    use super::*;
    use crate::round;

    #[test]
    fn json_round_trip_is_exact() {
        let (plan, _) = fixture::plan();
        let json = plan.to_json_pretty();
        assert_eq!(Plan::from_json(&json).unwrap(), plan);
        assert!(json.ends_with("}\n"));
        assert!(json.starts_with("{\n  \"schema\": \"cdnplan/plan\",\n  \"version\": 1,"));
    }

    #[test]
    fn same_plan_same_bytes() {
        let (a, _) = fixture::plan();
        let (b, _) = fixture::plan();
        assert_eq!(a.to_json_pretty(), b.to_json_pretty());
    }

    #[test]
    fn floats_are_rounded_for_output() {
        let (plan, _) = fixture::plan();
        for x in [
            plan.before.mean_rtt_ms,
            plan.after.p90_rtt_ms,
            plan.moves[0].gain_ms,
            plan.curve[2].best_mean_rtt_ms,
        ] {
            assert_eq!(round::ms(x), x);
        }
        for c in &plan.after.cells {
            assert_eq!(round::ms(c.distance_km), c.distance_km);
        }
        assert_eq!(fixture::ids(&plan.nodes_after), ["nbg", "kyiv", "tokyo"]);
    }

    #[test]
    fn other_versions_and_other_documents_are_rejected() {
        let (plan, _) = fixture::plan();
        let json = plan
            .to_json_pretty()
            .replacen("\"version\": 1", "\"version\": 2", 1);
        let e = Plan::from_json(&json).unwrap_err();
        assert!(e.to_string().contains("version 2"), "{e}");
        assert!(Plan::from_json("{\"type\":\"FeatureCollection\"}").is_err());
        assert!(Plan::from_json("not json").is_err());
    }

    #[test]
    fn solver_gap_comes_from_objective_and_bound() {
        let s = SolverSummary::new("mip", Status::TimeLimit, 50.0, 48.85);
        assert!((s.gap - 0.023).abs() < 1e-12);
        assert_eq!(SolverSummary::new("x", Status::Optimal, 0.0, 0.0).gap, 0.0);
        assert_eq!(
            SolverSummary::new("x", Status::Optimal, 10.0, 11.0).gap,
            0.0
        );
        let sol = Solution {
            open: vec![0],
            objective: 500.0,
            lower_bound: 450.0,
            status: Status::Heuristic,
            method: "greedy+swap".into(),
        };
        let s = SolverSummary::from_solution(&sol, 50.0, 45.0);
        assert_eq!(
            (s.method.as_str(), s.status),
            ("greedy+swap", Status::Heuristic)
        );
        assert!((s.gap - sol.gap()).abs() < 1e-12);
    }

    #[test]
    fn demand_summary_sums_cells() {
        let (plan, demand) = fixture::plan();
        assert_eq!(
            plan.demand,
            DemandSummary::new(&demand, vec!["access.log".into()])
        );
        assert_eq!((plan.demand.cells, plan.demand.requests), (4, 810));
        assert_eq!(plan.demand.bytes, 810_000);
    }
}
