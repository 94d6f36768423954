//! The serving model and its metrics.
//!
//! # Who serves a cell
//!
//! Each demand cell is served by its **nearest active node**, nearest by haversine distance from
//! the cell's representative point to the node's coordinates. This is Orion's rule: it sorts a
//! bag's candidate nodes by `haversineDistance(x-client-loc, nodeLocation)` and Atlas tries them
//! in that order (Joystream/orion `AssetsResolver/utils.ts`). Inactive nodes never serve. When two
//! active nodes are exactly as far, the one with the smaller id serves, so the answer never
//! depends on the order of the node list.
//!
//! # The RTT a cell sees
//!
//! The RTT of a served cell is [`Latency::rtt_ms`]`(cell.id, cell.location, node.id,
//! node.location)`: the measured value for that (cell, node) pair when the latency model has one,
//! otherwise the [`LinearRtt`](crate::LinearRtt) model on the distance.
//!
//! Measured overrides change the **reported RTT, never the choice of node**. Clients do not
//! measure before they pick; Orion sorts by distance. A measured matrix may therefore show that
//! a cell's nearest node is slow (the December 2023 benchmark found exactly that), and the
//! evaluation reports that RTT instead of routing around it. The relocation optimiser reports
//! the same values and says when its proof does not cover this rule
//! ([`ServingRuleCover`](crate::relocation::ServingRuleCover)).
//!
//! # Metrics
//!
//! [`evaluate`] returns an [`Evaluation`]: the demand-weighted mean RTT, weighted percentiles,
//! the share of demand within fixed RTT thresholds, the load of every node, a per-continent table
//! and every cell's assignment. [`assign`] gives the assignments alone and [`mean_rtt_ms`] the
//! mean alone, for callers that evaluate many layouts.
//!
//! # Weighted percentiles
//!
//! The weighted `q`-percentile of RTT is the **smallest RTT `r` served to some cell such that the
//! cells with RTT ≤ `r` carry at least a share `q` of the total weight**:
//!
//! ```text
//! P_q = min { r_i : Σ_{j : r_j ≤ r_i} w_j ≥ q · Σ_j w_j }
//! ```
//!
//! Cells with zero weight are ignored. The value is always an RTT that some cell actually sees
//! (no interpolation), so the p90 reads "90 % of requests see this RTT or less". The comparison
//! allows a relative slack of 10⁻¹² on the total so that rounding in `q · Σ w` cannot skip a cell.
//!
//! # Example
//!
//! ```
//! use cdnplan_core::serving::evaluate;
//! use cdnplan_core::{CellKind, Demand, DemandCell, GeoPoint, Latency, Node, Weighting};
//!
//! let cell = |id: &str, lat, lon, requests| DemandCell {
//!     id: id.into(),
//!     location: GeoPoint { lat, lon },
//!     country: None,
//!     continent: None,
//!     requests,
//!     bytes: 0,
//!     unique_clients: 0,
//! };
//! let node = |id: &str, lat, lon| Node {
//!     id: id.into(),
//!     operator: None,
//!     city: None,
//!     country: None,
//!     continent: None,
//!     location: GeoPoint { lat, lon },
//!     capacity: None,
//!     active: true,
//!     buckets: vec![],
//! };
//! let demand = Demand::new(
//!     CellKind::City,
//!     vec![cell("DE/Berlin", 52.52, 13.40, 300), cell("JP/Tokyo", 35.68, 139.69, 100)],
//! )?;
//! let nodes = [node("nbg", 49.45, 11.08), node("sgp", 1.35, 103.82)];
//! let eval = evaluate(&demand, &nodes, &Latency::default(), Weighting::Requests)?;
//! assert_eq!(eval.cell("JP/Tokyo").map(|c| c.node.as_str()), Some("sgp"));
//! assert!(eval.mean_rtt_ms() > 10.0);
//! assert_eq!(eval.coverage(250.0), 1.0);
//! # Ok::<(), cdnplan_core::Error>(())
//! ```

pub mod bags;
mod egress;
mod evaluation;
mod percentile;
mod resilience;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::demand::{Demand, Weighting};
use crate::error::{Error, Result};
use crate::latency::Latency;
use crate::node::Node;
use crate::round::{Round, ms};

pub use bags::{BagDemand, BagServing, evaluate_bags};
pub use egress::{check_egress_capacity, mean_egress_gbps};
pub use evaluation::{
    COVERAGE_THRESHOLDS_MS, ContinentRow, Coverage, Evaluation, NodeLoad, evaluate,
};
pub use percentile::{weighted_percentile, weighted_share_within};
pub use resilience::{FailureRow, WorstCell, coverage_within, single_failures, worst_served};

/// How one demand cell is served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellService {
    /// The demand cell's id.
    pub cell: String,
    /// The id of the node that serves it (its nearest active node).
    pub node: String,
    /// The cell's weight under the evaluation's [`Weighting`].
    pub weight: f64,
    /// Haversine distance from the cell to the node, in km.
    pub distance_km: f64,
    /// RTT the cell sees, in ms (a measured override when there is one).
    pub rtt_ms: f64,
}

/// Assigns every demand cell to its nearest active node, in the order of `demand.cells`.
///
/// See the [module docs](self) for the rule and for how measured RTTs are used.
///
/// # Errors
/// * [`Error::EmptyDemand`] when there are no cells or all weigh zero;
/// * [`Error::DuplicateId`] for a repeated node or cell id;
/// * [`Error::InvalidCoordinate`] for a node or cell out of range;
/// * [`Error::Infeasible`] (`"no active node …"`) when no node is active;
/// * [`Error::InvalidWeight`] when the latency model yields a negative or non-finite RTT.
pub fn assign(
    demand: &Demand,
    nodes: &[Node],
    latency: &Latency,
    weighting: Weighting,
) -> Result<Vec<CellService>> {
    demand.ensure_not_empty(weighting)?;
    let mut cell_ids = BTreeSet::new();
    for c in &demand.cells {
        if !cell_ids.insert(c.id.as_str()) {
            return Err(Error::DuplicateId {
                kind: "demand cell",
                id: c.id.clone(),
            });
        }
        c.location.validate()?;
    }
    let active = active_nodes(nodes)?;
    demand
        .cells
        .iter()
        .map(|cell| {
            // Ties keep the first, and `active` is sorted by id: the smaller id wins.
            let mut best = active[0];
            let mut best_km = cell.location.distance_km(&best.location);
            for &n in &active[1..] {
                let km = cell.location.distance_km(&n.location);
                if km.total_cmp(&best_km).is_lt() {
                    best = n;
                    best_km = km;
                }
            }
            let rtt_ms = latency.rtt_ms(&cell.id, &cell.location, &best.id, &best.location);
            if !rtt_ms.is_finite() || rtt_ms < 0.0 {
                return Err(Error::InvalidWeight {
                    what: "RTT (ms)",
                    id: format!("{} → {}", cell.id, best.id),
                    value: rtt_ms,
                });
            }
            Ok(CellService {
                cell: cell.id.clone(),
                node: best.id.clone(),
                weight: cell.weight(weighting),
                distance_km: best_km,
                rtt_ms,
            })
        })
        .collect()
}

/// The demand-weighted mean RTT in ms, `Σ w·rtt / Σ w`, without building the tables of
/// [`evaluate`]. Same rule and same errors as [`assign`].
///
/// # Errors
/// As [`assign`].
pub fn mean_rtt_ms(
    demand: &Demand,
    nodes: &[Node],
    latency: &Latency,
    weighting: Weighting,
) -> Result<f64> {
    let cells = assign(demand, nodes, latency, weighting)?;
    Ok(weighted_mean(&cells))
}

/// `Σ w·rtt / Σ w` over `cells`; 0 when the total weight is 0.
pub(crate) fn weighted_mean(cells: &[CellService]) -> f64 {
    let (sum, total) = cells.iter().fold((0.0, 0.0), |(s, t), c| {
        (s + c.weight * c.rtt_ms, t + c.weight)
    });
    if total > 0.0 { sum / total } else { 0.0 }
}

/// The active nodes sorted by id, after checking every node.
fn active_nodes(nodes: &[Node]) -> Result<Vec<&Node>> {
    let mut ids = BTreeSet::new();
    for n in nodes {
        if !ids.insert(n.id.as_str()) {
            return Err(Error::DuplicateId {
                kind: "node",
                id: n.id.clone(),
            });
        }
        n.location.validate()?;
    }
    let mut active: Vec<&Node> = nodes.iter().filter(|n| n.active).collect();
    if active.is_empty() {
        return Err(Error::Infeasible(if nodes.is_empty() {
            "no active node: the node list is empty".into()
        } else {
            format!(
                "no active node: all {} nodes are marked inactive",
                nodes.len()
            )
        }));
    }
    active.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(active)
}

impl Round for CellService {
    fn rounded(mut self) -> Self {
        self.distance_km = ms(self.distance_km);
        self.rtt_ms = ms(self.rtt_ms);
        self
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::demand::{CellKind, DemandCell};
    use crate::geo::{Continent, GeoPoint};

    pub(crate) fn cell(id: &str, lat: f64, lon: f64, requests: u64) -> DemandCell {
        DemandCell {
            id: id.into(),
            location: GeoPoint { lat, lon },
            country: None,
            continent: None,
            requests,
            bytes: requests * 1000,
            unique_clients: requests / 10,
        }
    }

    pub(crate) fn in_continent(mut c: DemandCell, continent: Continent) -> DemandCell {
        c.continent = Some(continent);
        c
    }

    pub(crate) fn node(id: &str, lat: f64, lon: f64) -> Node {
        Node {
            id: id.into(),
            operator: None,
            city: None,
            country: None,
            continent: None,
            location: GeoPoint { lat, lon },
            capacity: None,
            active: true,
            buckets: vec![],
        }
    }

    pub(crate) fn demand(cells: Vec<DemandCell>) -> Demand {
        Demand::new(CellKind::City, cells).unwrap()
    }

    fn served_by(cells: &[CellService], id: &str) -> String {
        cells.iter().find(|c| c.cell == id).unwrap().node.clone()
    }

    mod choice {
        use super::*;

        #[test]
        fn nearest_active_holder_wins() {
            let d = demand(vec![
                cell("paris", 48.86, 2.35, 10),
                cell("tokyo", 35.68, 139.69, 5),
            ]);
            let nodes = [node("nbg", 49.45, 11.08), node("sgp", 1.35, 103.82)];
            let a = assign(&d, &nodes, &Latency::default(), Weighting::Requests).unwrap();
            assert_eq!(served_by(&a, "paris"), "nbg");
            assert_eq!(served_by(&a, "tokyo"), "sgp");
            let want = GeoPoint::new(48.86, 2.35)
                .unwrap()
                .distance_km(&GeoPoint::new(49.45, 11.08).unwrap());
            assert_eq!(a[0].distance_km, want);
        }

        #[test]
        fn inactive_node_never_serves() {
            let d = demand(vec![cell("paris", 48.86, 2.35, 10)]);
            let mut near = node("paris-node", 48.86, 2.35);
            near.active = false;
            let nodes = [near, node("sgp", 1.35, 103.82)];
            let a = assign(&d, &nodes, &Latency::default(), Weighting::Requests).unwrap();
            assert_eq!(served_by(&a, "paris"), "sgp");
        }

        #[test]
        fn tie_goes_to_smaller_id_whatever_the_order() {
            let d = demand(vec![cell("c", 0.0, 0.0, 1)]);
            for nodes in [
                [node("b", 0.0, 10.0), node("a", 0.0, -10.0)],
                [node("a", 0.0, -10.0), node("b", 0.0, 10.0)],
            ] {
                let a = assign(&d, &nodes, &Latency::default(), Weighting::Requests).unwrap();
                assert_eq!(served_by(&a, "c"), "a");
            }
        }

        #[test]
        fn override_changes_rtt_but_not_choice() {
            let d = demand(vec![cell("paris", 48.86, 2.35, 10)]);
            let nodes = [node("nbg", 49.45, 11.08), node("sgp", 1.35, 103.82)];
            let plain = assign(&d, &nodes, &Latency::default(), Weighting::Requests).unwrap();
            // Measured: the near node is slow, the far one fast. Clients still pick the near one.
            let measured = Latency::default()
                .with_override("paris", "nbg", 400.0)
                .unwrap()
                .with_override("paris", "sgp", 5.0)
                .unwrap();
            let a = assign(&d, &nodes, &measured, Weighting::Requests).unwrap();
            assert_eq!(served_by(&a, "paris"), "nbg");
            assert_eq!(a[0].rtt_ms, 400.0);
            assert_ne!(plain[0].rtt_ms, 400.0);
            assert_eq!(a[0].distance_km, plain[0].distance_km);
        }

        #[test]
        fn mean_is_weighted_by_the_chosen_quantity() {
            let d = demand(vec![cell("a", 0.0, 0.0, 3), cell("b", 0.0, 0.0, 1)]);
            let nodes = [node("n", 0.0, 0.0)];
            let l = Latency::default()
                .with_override("a", "n", 10.0)
                .unwrap()
                .with_override("b", "n", 50.0)
                .unwrap();
            let m = mean_rtt_ms(&d, &nodes, &l, Weighting::Requests).unwrap();
            approx::assert_relative_eq!(m, (3.0 * 10.0 + 50.0) / 4.0, epsilon = 1e-12);
        }
    }

    mod errors {
        use super::*;

        #[test]
        fn no_active_node_is_infeasible() {
            let d = demand(vec![cell("a", 0.0, 0.0, 1)]);
            let mut n = node("n", 0.0, 0.0);
            n.active = false;
            for nodes in [vec![n], vec![]] {
                let e = assign(&d, &nodes, &Latency::default(), Weighting::Requests).unwrap_err();
                assert!(
                    matches!(&e, Error::Infeasible(m) if m.starts_with("no active node")),
                    "{e}"
                );
            }
        }

        #[test]
        fn duplicate_node_ids_are_rejected() {
            let d = demand(vec![cell("a", 0.0, 0.0, 1)]);
            let nodes = [node("n", 0.0, 0.0), node("n", 1.0, 1.0)];
            let e = assign(&d, &nodes, &Latency::default(), Weighting::Requests).unwrap_err();
            assert!(matches!(e, Error::DuplicateId { kind: "node", .. }), "{e}");
        }

        #[test]
        fn duplicate_cell_ids_are_rejected() {
            let d = Demand {
                kind: CellKind::City,
                cells: vec![cell("a", 0.0, 0.0, 1), cell("a", 1.0, 0.0, 1)],
                hourly: None,
            };
            let e = assign(
                &d,
                &[node("n", 0.0, 0.0)],
                &Latency::default(),
                Weighting::Requests,
            )
            .unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::DuplicateId {
                        kind: "demand cell",
                        ..
                    }
                ),
                "{e}"
            );
        }

        #[test]
        fn empty_or_weightless_demand_is_rejected() {
            let nodes = [node("n", 0.0, 0.0)];
            let l = Latency::default();
            let empty = Demand::default();
            assert!(matches!(
                assign(&empty, &nodes, &l, Weighting::Requests),
                Err(Error::EmptyDemand(_))
            ));
            let weightless = demand(vec![cell("a", 0.0, 0.0, 0)]);
            assert!(matches!(
                assign(&weightless, &nodes, &l, Weighting::Bytes),
                Err(Error::EmptyDemand(_))
            ));
        }

        #[test]
        fn bad_coordinates_and_rtts_are_rejected() {
            let d = demand(vec![cell("a", 0.0, 0.0, 1)]);
            let l = Latency::default();
            let far = node("n", 95.0, 0.0);
            assert!(matches!(
                assign(&d, &[far], &l, Weighting::Requests),
                Err(Error::InvalidCoordinate { .. })
            ));
            let mut nan = Latency::default();
            nan.overrides.insert(("a".into(), "n".into()), f64::NAN);
            let e = assign(&d, &[node("n", 0.0, 0.0)], &nan, Weighting::Requests).unwrap_err();
            assert!(matches!(e, Error::InvalidWeight { .. }), "{e}");
            let mut neg = Latency::default();
            neg.overrides.insert(("a".into(), "n".into()), -3.0);
            assert!(assign(&d, &[node("n", 0.0, 0.0)], &neg, Weighting::Requests).is_err());
        }
    }
}
