//! Plans: the ordered moves, the before/after evaluation and the outputs a lead acts on.
//!
//! A [`Plan`] gathers what a relocation run decided and measured: the scenario, the demand, the
//! nodes before and after with their [`Evaluation`](crate::serving::Evaluation)s, the ordered
//! [`Move`]s, the [`CurvePoint`]s of gain against number of moves and what the solver proved.
//! The relocation optimiser produces the moves and the curve; the CLI assembles the plan.
//!
//! The renderers are pure and deterministic (same plan, same bytes); writing files is the
//! caller's job:
//!
//! | Output | Function | Format |
//! |---|---|---|
//! | `plan.json` | [`Plan::to_json_pretty`] | versioned JSON, see `docs/plan-schema.md` |
//! | `report.md` | [`report_markdown`] | GitHub-flavoured Markdown for a distribution lead |
//! | `moves.csv` | [`moves_csv`] | one row per move |
//! | `demand.csv` | [`demand_csv`], [`plan_demand_csv`] | one row per demand cell |
//! | `plan.geojson` | [`plan_geojson`] | RFC 7946 FeatureCollection for QGIS or Kibana |

mod build;
mod capacity;
mod csv;
mod extras;
mod families;
#[cfg(test)]
mod fixture;
mod geojson;
mod model;
mod objective;
mod report;
mod round;
mod text;

pub use self::csv::{curve_csv, demand_csv, moves_csv, nodes_csv, plan_demand_csv};
pub use build::{PlanExtras, PlanRequest, build, build_with};
pub use capacity::CapacityReport;
pub use families::{BagRtt, ReassignmentSummary};
pub use geojson::plan_geojson;
pub use model::{
    DemandSummary, PLAN_SCHEMA, PLAN_SCHEMA_VERSION, Plan, ScenarioSummary, SolverSummary,
};
pub use objective::{
    ObjectivePoint, ObjectiveSummary, ServiceReport, WORST_CELLS, measure, node_curve_csv, reading,
    round_reading,
};
pub use report::{report_markdown, solver_status, summary};

use serde::{Deserialize, Serialize};

use crate::geo::{CountryCode, GeoPoint};

/// A place in a plan: a current node's position or a candidate site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Node id (for a current position) or site id.
    pub id: String,
    /// Human label, e.g. `"Nuremberg, DE (hetzner-nbg1)"`.
    pub label: String,
    /// Coordinates.
    pub location: GeoPoint,
    /// Country, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// A current node moves from `from` to `to`.
    Relocate,
    /// A new node is added at `to`.
    Add,
    /// A current node at `from` is removed.
    Remove,
}

/// One step of the plan, in execution order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    /// 1-based position in the plan.
    pub step: usize,
    /// What it does.
    pub kind: MoveKind,
    /// The node concerned (`None` for an added node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Where it was (relocate, remove).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Place>,
    /// Where it goes (relocate, add).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Place>,
    /// Demand-weighted mean RTT (ms) once this step and all before it are done.
    pub mean_rtt_after_ms: f64,
    /// Improvement of the mean RTT (ms) due to this step alone (negative for a removal's cost).
    pub gain_ms: f64,
    /// Why: e.g. "serves TR, IR, SA: 14 % of requests, mean RTT there 92 → 31 ms".
    pub reason: String,
}

/// One point of the curve "objective after k moves".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Number of moves k.
    pub moves: usize,
    /// Mean RTT (ms) after the first k steps of this plan.
    pub plan_prefix_mean_rtt_ms: f64,
    /// Best mean RTT (ms) found with a budget of k moves, solved on its own.
    pub best_mean_rtt_ms: f64,
    /// Lower bound (ms) on the mean RTT with a budget of k moves.
    pub lower_bound_mean_rtt_ms: f64,
}
