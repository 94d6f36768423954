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
//! | `map.svg` | [`map_svg`] | the plan on a world map (Equal Earth) |
//! | `report.html` | [`report_html`] | one self-contained page: the report with the map and charts |
//! | `compare.*` | [`Comparison`] | scenarios side by side: text, Markdown, CSV, JSON, HTML |
//! | the terminal | [`plan_text`], [`evaluation_text`] | aligned plain text |

mod build;
mod capacity_report;
mod compare;
mod csv;
mod extras;
mod families;
#[cfg(test)]
mod fixture;
mod geojson;
mod html;
mod map;
mod model;
mod objective;
mod report;
pub mod terminal;
mod text;

pub use self::csv::{curve_csv, demand_csv, moves_csv, nodes_csv, plan_demand_csv};
pub use build::{PlanRequest, build};
pub use capacity_report::CapacityReport;
pub use compare::{Comparison, ComparisonRow};
pub use families::{BagRtt, ReassignmentSummary};
pub use geojson::plan_geojson;
pub use html::{evaluation_html, report_html};
pub use map::{WorldOutline, evaluation_map_svg, map_svg};
pub use model::{
    DemandSummary, MeanRttRole, PLAN_SCHEMA, PLAN_SCHEMA_VERSION, Plan, ScenarioSummary,
    SolverSummary,
};
pub use objective::{ServiceReport, WORST_CELLS, node_curve_csv};
pub use report::{report_markdown, serving_rule_text, solver_status, summary};
pub use terminal::{Table, evaluation_text, plan_text, top_cells_text};

// The relocation's own types, re-exported here because a plan is made of them.
pub use crate::relocation::{
    CurvePoint, Move, MoveKind, ObjectivePoint, ObjectiveSummary, Place, measure, reading,
    round_reading,
};
