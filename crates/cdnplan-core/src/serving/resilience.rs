//! Service metrics a lead asks after the mean: coverage within a threshold, the worst-served
//! cells, and what each node's failure would cost.
//!
//! Every metric follows the serving rule of the [module docs](super): a cell is served by
//! its nearest active node. A failed node is one more inactive node; its cells fall back to
//! their next nearest active node (Orion's next candidate).

use serde::{Deserialize, Serialize};

use super::{CellService, Evaluation, assign, weighted_mean, weighted_share_within};
use crate::demand::{Demand, Weighting};
use crate::error::Result;
use crate::latency::Latency;
use crate::node::Node;

/// A cell among the worst served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorstCell {
    /// The demand cell's id.
    pub cell: String,
    /// The node serving it.
    pub node: String,
    /// The RTT it sees (ms).
    pub rtt_ms: f64,
    /// Its share of the total weight, in `0..=1`.
    pub weight_share: f64,
}

/// What one node's failure costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureRow {
    /// The node that fails.
    pub node: String,
    /// Share of the weight it serves while up, in `0..=1`.
    pub weight_share: f64,
    /// Demand-weighted mean RTT (ms) with the node down; `None` when no node would be left.
    pub mean_rtt_ms: Option<f64>,
    /// Increase of the mean RTT (ms) over the layout with every node up.
    pub delta_ms: Option<f64>,
    /// Share of the weight within the threshold with the node down.
    pub within_share: Option<f64>,
    /// The worst RTT (ms) a cell of positive weight sees with the node down.
    pub worst_rtt_ms: Option<f64>,
}

/// The `n` cells of positive weight with the highest RTT in `eval`, worst first (ties: the
/// heavier cell, then the cell id).
///
/// ```
/// # use cdnplan_core::serving::{evaluate, worst_served};
/// # use cdnplan_core::*;
/// # let cell = |id: &str, lat, lon, requests| DemandCell { id: id.into(),
/// #     location: GeoPoint { lat, lon }, country: None, continent: None, requests, bytes: 0,
/// #     unique_clients: 0 };
/// # let demand = Demand::new(CellKind::City, vec![cell("DE/Berlin", 52.52, 13.40, 300),
/// #     cell("JP/Tokyo", 35.68, 139.69, 100)])?;
/// # let nodes = [Node { id: "nbg".into(), operator: None, city: None, country: None,
/// #     continent: None, location: GeoPoint { lat: 49.45, lon: 11.08 }, capacity: None,
/// #     active: true, buckets: vec![] }];
/// let eval = evaluate(&demand, &nodes, &Latency::default(), Weighting::Requests)?;
/// let worst = worst_served(&eval, 1);
/// assert_eq!(worst[0].cell, "JP/Tokyo");
/// assert_eq!(worst[0].weight_share, 0.25);
/// # Ok::<(), cdnplan_core::Error>(())
/// ```
pub fn worst_served(eval: &Evaluation, n: usize) -> Vec<WorstCell> {
    let total = eval.total_weight;
    let mut cells: Vec<&CellService> = eval.cells.iter().filter(|c| c.weight > 0.0).collect();
    cells.sort_by(|a, b| {
        b.rtt_ms
            .total_cmp(&a.rtt_ms)
            .then(b.weight.total_cmp(&a.weight))
            .then_with(|| a.cell.cmp(&b.cell))
    });
    cells
        .into_iter()
        .take(n)
        .map(|c| WorstCell {
            cell: c.cell.clone(),
            node: c.node.clone(),
            rtt_ms: c.rtt_ms,
            weight_share: if total > 0.0 { c.weight / total } else { 0.0 },
        })
        .collect()
}

/// The share of the weight served within `threshold_ms`.
pub fn coverage_within(eval: &Evaluation, threshold_ms: f64) -> f64 {
    weighted_share_within(
        eval.cells.iter().map(|c| (c.rtt_ms, c.weight)),
        threshold_ms,
    )
}

/// One row per active node, by id: the mean RTT, coverage within `threshold_ms` and worst
/// RTT if that node alone fails.
///
/// # Errors
/// As [`assign`](super::assign).
pub fn single_failures(
    demand: &Demand,
    nodes: &[Node],
    latency: &Latency,
    weighting: Weighting,
    threshold_ms: f64,
) -> Result<Vec<FailureRow>> {
    let up = assign(demand, nodes, latency, weighting)?;
    let base = weighted_mean(&up);
    let total: f64 = up.iter().map(|c| c.weight).sum();
    let mut active: Vec<&Node> = nodes.iter().filter(|n| n.active).collect();
    active.sort_by(|a, b| a.id.cmp(&b.id));
    let mut rows = Vec::with_capacity(active.len());
    for failed in active.iter().map(|n| n.id.as_str()) {
        let served: f64 = up
            .iter()
            .filter(|c| c.node == failed)
            .map(|c| c.weight)
            .sum();
        let weight_share = if total > 0.0 { served / total } else { 0.0 };
        let degraded: Vec<Node> = nodes
            .iter()
            .map(|n| {
                let mut n = n.clone();
                if n.id == failed {
                    n.active = false;
                }
                n
            })
            .collect();
        let row = if degraded.iter().any(|n| n.active) {
            let cells = assign(demand, &degraded, latency, weighting)?;
            let mean = weighted_mean(&cells);
            FailureRow {
                node: failed.to_string(),
                weight_share,
                mean_rtt_ms: Some(mean),
                delta_ms: Some(mean - base),
                within_share: Some(weighted_share_within(
                    cells.iter().map(|c| (c.rtt_ms, c.weight)),
                    threshold_ms,
                )),
                worst_rtt_ms: cells
                    .iter()
                    .filter(|c| c.weight > 0.0)
                    .map(|c| c.rtt_ms)
                    .reduce(f64::max),
            }
        } else {
            FailureRow {
                node: failed.to_string(),
                weight_share,
                mean_rtt_ms: None,
                delta_ms: None,
                within_share: None,
                worst_rtt_ms: None,
            }
        };
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demand::{CellKind, DemandCell};
    use crate::geo::GeoPoint;
    use crate::serving::evaluate;
    use crate::serving::tests::node;

    fn cell(id: &str, lat: f64, lon: f64, requests: u64) -> DemandCell {
        DemandCell {
            id: id.into(),
            location: GeoPoint { lat, lon },
            country: None,
            continent: None,
            requests,
            bytes: 0,
            unique_clients: 0,
        }
    }

    fn world() -> (Demand, Vec<Node>) {
        let demand = Demand::new(
            CellKind::City,
            vec![
                cell("DE/Berlin", 52.52, 13.40, 300),
                cell("FR/Paris", 48.86, 2.35, 100),
                cell("JP/Tokyo", 35.68, 139.69, 100),
            ],
        )
        .unwrap();
        let nodes = vec![
            node("nbg", 49.45, 11.08),
            node("par", 48.86, 2.35),
            node("sgp", 1.35, 103.82),
        ];
        (demand, nodes)
    }

    #[test]
    fn a_failed_nodes_cells_fall_back_to_the_next_nearest() {
        let (demand, nodes) = world();
        let l = Latency::default();
        let rows = single_failures(&demand, &nodes, &l, Weighting::Requests, 100.0).unwrap();
        let ids: Vec<&str> = rows.iter().map(|r| r.node.as_str()).collect();
        assert_eq!(ids, ["nbg", "par", "sgp"]);
        // Singapore down: Tokyo falls back to Nuremberg, far beyond 100 ms.
        let sgp = &rows[2];
        assert_eq!(sgp.weight_share, 0.2);
        assert!(sgp.delta_ms.unwrap() > 10.0);
        assert_eq!(sgp.within_share, Some(0.8));
        // Each row matches evaluating the layout without that node.
        let mut without = nodes.clone();
        without[2].active = false;
        let e = evaluate(&demand, &without, &l, Weighting::Requests).unwrap();
        assert_eq!(sgp.mean_rtt_ms, Some(e.mean_rtt_ms));
    }

    #[test]
    fn the_last_node_failing_leaves_nothing() {
        let (demand, nodes) = world();
        let rows = single_failures(
            &demand,
            &nodes[..1],
            &Latency::default(),
            Weighting::Requests,
            1.0,
        )
        .unwrap();
        assert_eq!(rows[0].mean_rtt_ms, None);
        assert_eq!(rows[0].weight_share, 1.0);
    }

    #[test]
    fn worst_served_are_sorted_worst_first() {
        let (demand, nodes) = world();
        let e = evaluate(
            &demand,
            &nodes[..2],
            &Latency::default(),
            Weighting::Requests,
        )
        .unwrap();
        let w = worst_served(&e, 2);
        assert_eq!(w[0].cell, "JP/Tokyo");
        assert!(w[0].rtt_ms >= w[1].rtt_ms);
        assert_eq!(coverage_within(&e, 1e9), 1.0);
    }
}
