//! What a relocation does, step by step: the [`Move`]s in execution order, the [`Place`]s they
//! go from and to, and the [`CurvePoint`]s of the mean RTT against the number of moves.

use serde::{Deserialize, Serialize};

use crate::geo::{CountryCode, GeoPoint};
use crate::round::{Round, ms};

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
    /// Best mean RTT (ms) found with a budget of k moves, solved on its own; when the time
    /// limit left no time to solve budget k, the mean RTT after this plan's first k moves.
    pub best_mean_rtt_ms: f64,
    /// Lower bound (ms) on the mean RTT with a budget of k moves (for a budget not solved on
    /// its own, the full budget's bound).
    pub lower_bound_mean_rtt_ms: f64,
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
