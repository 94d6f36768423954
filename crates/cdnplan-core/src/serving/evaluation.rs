//! [`evaluate`]: every metric of one layout of nodes against one demand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::percentile::{weighted_percentile, weighted_share_within};
use super::{CellService, assign, weighted_mean};
use crate::demand::{Demand, Weighting};
use crate::error::Result;
use crate::geo::Continent;
use crate::latency::Latency;
use crate::node::Node;
use crate::round::{Round, ms, share};

/// The RTT thresholds (ms) whose coverage every [`Evaluation`] reports. 250 ms is the DWG's
/// "average node latency in its region" target (Term 12, 2023).
pub const COVERAGE_THRESHOLDS_MS: [f64; 4] = [50.0, 100.0, 150.0, 250.0];

/// The share of demand served within an RTT threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// The threshold in ms (inclusive).
    pub threshold_ms: f64,
    /// Share of the total weight with RTT ≤ `threshold_ms`, in `0..=1`.
    pub share: f64,
}

/// What one node serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeLoad {
    /// Node id.
    pub node: String,
    /// Whether the node is active; an inactive node serves nothing.
    pub active: bool,
    /// Requests of the cells it serves.
    pub requests: u64,
    /// Response bytes of the cells it serves.
    pub bytes: u64,
    /// Distinct clients summed over the cells it serves (a client seen in two cells counts twice).
    pub unique_clients: u64,
    /// Share of the total weight it serves, in `0..=1`.
    pub weight_share: f64,
    /// Number of cells it serves.
    pub cells: usize,
    /// Weighted mean RTT (ms) of the cells it serves; `None` when it serves no weight.
    pub mean_rtt_ms: Option<f64>,
}

/// Demand and service of one continent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContinentRow {
    /// The continent; `None` gathers the cells whose continent is unknown.
    pub continent: Option<Continent>,
    /// Number of cells.
    pub cells: usize,
    /// Share of the total weight, in `0..=1`; the rows sum to 1.
    pub weight_share: f64,
    /// Requests.
    pub requests: u64,
    /// Weighted mean RTT (ms); `None` when the continent carries no weight.
    pub mean_rtt_ms: Option<f64>,
    /// Weighted p90 RTT (ms); `None` when the continent carries no weight.
    pub p90_rtt_ms: Option<f64>,
    /// The node serving the most of the continent's weight (ties: smaller id).
    pub main_node: Option<String>,
}

/// Every metric of one layout of nodes against one demand; see [`evaluate`].
///
/// Deterministic: nodes sorted by id, continents by code (unknown last), cells in demand order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The quantity that weighs cells.
    pub weighting: Weighting,
    /// Total weight of the demand under `weighting`.
    pub total_weight: f64,
    /// Demand-weighted mean RTT in ms, `Σ w·rtt / Σ w`.
    pub mean_rtt_ms: f64,
    /// Weighted median RTT in ms (see [weighted percentiles](super#weighted-percentiles)).
    pub p50_rtt_ms: f64,
    /// Weighted 90th-percentile RTT in ms.
    pub p90_rtt_ms: f64,
    /// Weighted 95th-percentile RTT in ms.
    pub p95_rtt_ms: f64,
    /// Share of the weight within each of [`COVERAGE_THRESHOLDS_MS`], in that order.
    pub coverage: Vec<Coverage>,
    /// Load of every node given, active or not, sorted by id.
    pub nodes: Vec<NodeLoad>,
    /// One row per continent present in the demand, by code, unknown continent last.
    pub continents: Vec<ContinentRow>,
    /// How each cell is served, in the order of `demand.cells`.
    pub cells: Vec<CellService>,
}

impl Evaluation {
    /// The demand-weighted mean RTT in ms (the `mean_rtt_ms` field, as a method for use in
    /// iterator chains such as `evals.iter().map(Evaluation::mean_rtt_ms)`).
    pub fn mean_rtt_ms(&self) -> f64 {
        self.mean_rtt_ms
    }

    /// Share of the weight with RTT ≤ `threshold_ms`, for any threshold, in `0..=1`.
    pub fn coverage(&self, threshold_ms: f64) -> f64 {
        weighted_share_within(self.samples(), threshold_ms)
    }

    /// The weighted `q`-percentile of RTT in ms (`q` in `0..=1`), as defined in the
    /// [module docs](super#weighted-percentiles); 0 when no cell carries weight.
    pub fn percentile_rtt_ms(&self, q: f64) -> f64 {
        weighted_percentile(self.samples(), q).unwrap_or(0.0)
    }

    /// The load of node `id`.
    pub fn node(&self, id: &str) -> Option<&NodeLoad> {
        self.nodes.iter().find(|n| n.node == id)
    }

    /// How cell `id` is served.
    pub fn cell(&self, id: &str) -> Option<&CellService> {
        self.cells.iter().find(|c| c.cell == id)
    }

    /// The row of `continent` (`None`: unknown continent).
    pub fn continent(&self, continent: Option<Continent>) -> Option<&ContinentRow> {
        self.continents.iter().find(|r| r.continent == continent)
    }

    fn samples(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.cells.iter().map(|c| (c.rtt_ms, c.weight))
    }
}

/// Evaluates `nodes` against `demand`: each cell is served by its nearest active node (haversine,
/// ties to the smaller id), and sees the RTT `latency` gives for that pair (measured overrides
/// apply to the RTT, not to the choice). See the [module docs](super).
///
/// # Errors
/// * [`Error::EmptyDemand`](crate::Error::EmptyDemand) when there are no cells or all weigh zero;
/// * [`Error::DuplicateId`](crate::Error::DuplicateId) for a repeated node or cell id;
/// * [`Error::InvalidCoordinate`](crate::Error::InvalidCoordinate) for a point out of range;
/// * [`Error::Infeasible`](crate::Error::Infeasible) (`"no active node …"`) when no node is active;
/// * [`Error::InvalidWeight`](crate::Error::InvalidWeight) when an RTT is negative or not finite.
pub fn evaluate(
    demand: &Demand,
    nodes: &[Node],
    latency: &Latency,
    weighting: Weighting,
) -> Result<Evaluation> {
    let cells = assign(demand, nodes, latency, weighting)?;
    Ok(summarise(demand, nodes, weighting, cells))
}

#[derive(Default)]
struct Group<'a> {
    requests: u64,
    bytes: u64,
    unique_clients: u64,
    weight: f64,
    weighted_rtt: f64,
    cells: usize,
    samples: Vec<(f64, f64)>,
    by_node: BTreeMap<&'a str, f64>,
}

impl<'a> Group<'a> {
    fn add(&mut self, cell: &crate::demand::DemandCell, s: &'a CellService) {
        self.requests = self.requests.saturating_add(cell.requests);
        self.bytes = self.bytes.saturating_add(cell.bytes);
        self.unique_clients = self.unique_clients.saturating_add(cell.unique_clients);
        self.weight += s.weight;
        self.weighted_rtt += s.weight * s.rtt_ms;
        self.cells += 1;
        self.samples.push((s.rtt_ms, s.weight));
        *self.by_node.entry(s.node.as_str()).or_insert(0.0) += s.weight;
    }

    fn mean(&self) -> Option<f64> {
        (self.weight > 0.0).then(|| self.weighted_rtt / self.weight)
    }

    fn share(&self, total: f64) -> f64 {
        if total > 0.0 {
            self.weight / total
        } else {
            0.0
        }
    }

    /// The node with the most weight; ties go to the smaller id (the map is sorted by id).
    fn main_node(&self) -> Option<String> {
        let mut best: Option<(&str, f64)> = None;
        for (&id, &w) in &self.by_node {
            if best.is_none_or(|(_, bw)| w > bw) {
                best = Some((id, w));
            }
        }
        best.map(|(id, _)| id.to_string())
    }
}

fn summarise(
    demand: &Demand,
    nodes: &[Node],
    weighting: Weighting,
    cells: Vec<CellService>,
) -> Evaluation {
    let total: f64 = cells.iter().map(|c| c.weight).sum();
    let samples = || cells.iter().map(|c| (c.rtt_ms, c.weight));
    let pct = |q| weighted_percentile(samples(), q).unwrap_or(0.0);

    let mut by_node: BTreeMap<&str, (bool, Group<'_>)> = nodes
        .iter()
        .map(|n| (n.id.as_str(), (n.active, Group::default())))
        .collect();
    // Key (unknown?, continent): known continents by code, then the unknown one.
    let mut by_continent: BTreeMap<(bool, Option<Continent>), Group<'_>> = BTreeMap::new();
    for (cell, s) in demand.cells.iter().zip(&cells) {
        if let Some((_, g)) = by_node.get_mut(s.node.as_str()) {
            g.add(cell, s);
        }
        by_continent
            .entry((cell.continent.is_none(), cell.continent))
            .or_default()
            .add(cell, s);
    }

    Evaluation {
        weighting,
        total_weight: total,
        mean_rtt_ms: weighted_mean(&cells),
        p50_rtt_ms: pct(0.5),
        p90_rtt_ms: pct(0.9),
        p95_rtt_ms: pct(0.95),
        coverage: COVERAGE_THRESHOLDS_MS
            .iter()
            .map(|&t| Coverage {
                threshold_ms: t,
                share: weighted_share_within(samples(), t),
            })
            .collect(),
        nodes: by_node
            .iter()
            .map(|(&id, (active, g))| NodeLoad {
                node: id.to_string(),
                active: *active,
                requests: g.requests,
                bytes: g.bytes,
                unique_clients: g.unique_clients,
                weight_share: g.share(total),
                cells: g.cells,
                mean_rtt_ms: g.mean(),
            })
            .collect(),
        continents: by_continent
            .iter()
            .map(|(&(_, continent), g)| ContinentRow {
                continent,
                cells: g.cells,
                weight_share: g.share(total),
                requests: g.requests,
                mean_rtt_ms: g.mean(),
                p90_rtt_ms: weighted_percentile(g.samples.iter().copied(), 0.9),
                main_node: g.main_node(),
            })
            .collect(),
        cells,
    }
}

impl Round for Coverage {
    fn rounded(mut self) -> Self {
        self.share = share(self.share);
        self
    }
}

impl Round for NodeLoad {
    fn rounded(mut self) -> Self {
        self.weight_share = share(self.weight_share);
        self.mean_rtt_ms = self.mean_rtt_ms.map(ms);
        self
    }
}

impl Round for ContinentRow {
    fn rounded(mut self) -> Self {
        self.weight_share = share(self.weight_share);
        self.mean_rtt_ms = self.mean_rtt_ms.map(ms);
        self.p90_rtt_ms = self.p90_rtt_ms.map(ms);
        self
    }
}

impl Round for Evaluation {
    fn rounded(mut self) -> Self {
        // Weights are sums of integer counts: exact, left alone.
        self.mean_rtt_ms = ms(self.mean_rtt_ms);
        self.p50_rtt_ms = ms(self.p50_rtt_ms);
        self.p90_rtt_ms = ms(self.p90_rtt_ms);
        self.p95_rtt_ms = ms(self.p95_rtt_ms);
        self.coverage = self.coverage.rounded();
        self.nodes = self.nodes.rounded();
        self.continents = self.continents.rounded();
        self.cells = self.cells.rounded();
        self
    }
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;

    use super::*;
    use crate::serving::tests::{cell, demand, in_continent, node};

    /// Four cells at one point, measured RTTs 20/60/120/300 ms, requests 4/3/2/1.
    fn fixed() -> (Demand, Vec<Node>, Latency) {
        let d = demand(vec![
            in_continent(cell("a", 50.0, 10.0, 4), Continent::EU),
            in_continent(cell("b", 50.0, 10.0, 3), Continent::EU),
            in_continent(cell("c", 50.0, 10.0, 2), Continent::AS),
            cell("d", 50.0, 10.0, 1),
        ]);
        let mut idle = node("idle", -40.0, -60.0);
        idle.active = false;
        let nodes = vec![node("n", 50.0, 10.0), idle];
        let mut l = Latency::default();
        for (c, rtt) in [("a", 20.0), ("b", 60.0), ("c", 120.0), ("d", 300.0)] {
            l = l.with_override(c, "n", rtt).unwrap();
        }
        (d, nodes, l)
    }

    #[test]
    fn headline_metrics_match_hand_computation() {
        let (d, nodes, l) = fixed();
        let e = evaluate(&d, &nodes, &l, Weighting::Requests).unwrap();
        assert_eq!(e.total_weight, 10.0);
        // (4·20 + 3·60 + 2·120 + 1·300) / 10 = 80
        assert_relative_eq!(e.mean_rtt_ms, 80.0, epsilon = 1e-12);
        assert_eq!(e.mean_rtt_ms(), e.mean_rtt_ms);
        // cumulative shares: 0.4 @20, 0.7 @60, 0.9 @120, 1.0 @300
        assert_eq!(
            (e.p50_rtt_ms, e.p90_rtt_ms, e.p95_rtt_ms),
            (60.0, 120.0, 300.0)
        );
        assert_eq!(e.percentile_rtt_ms(0.4), 20.0);
    }

    #[test]
    fn coverage_shares() {
        let (d, nodes, l) = fixed();
        let e = evaluate(&d, &nodes, &l, Weighting::Requests).unwrap();
        let got: Vec<(f64, f64)> = e
            .coverage
            .iter()
            .map(|c| (c.threshold_ms, c.share))
            .collect();
        assert_eq!(
            got,
            vec![(50.0, 0.4), (100.0, 0.7), (150.0, 0.9), (250.0, 0.9)]
        );
        assert_eq!(e.coverage(300.0), 1.0);
        assert_eq!(e.coverage(19.9), 0.0);
    }

    #[test]
    fn weighting_changes_the_weights() {
        let (mut d, nodes, l) = fixed();
        // Give "d" (300 ms) all the clients.
        for c in &mut d.cells {
            c.unique_clients = u64::from(c.id == "d");
        }
        let e = evaluate(&d, &nodes, &l, Weighting::Clients).unwrap();
        assert_eq!(e.mean_rtt_ms, 300.0);
        assert_eq!(e.weighting, Weighting::Clients);
    }

    #[test]
    fn every_node_is_listed_and_inactive_ones_serve_nothing() {
        let (d, nodes, l) = fixed();
        let e = evaluate(&d, &nodes, &l, Weighting::Requests).unwrap();
        let ids: Vec<&str> = e.nodes.iter().map(|n| n.node.as_str()).collect();
        assert_eq!(ids, ["idle", "n"]);
        let idle = e.node("idle").unwrap();
        assert!(!idle.active);
        assert_eq!((idle.requests, idle.cells, idle.weight_share), (0, 0, 0.0));
        assert_eq!(idle.mean_rtt_ms, None);
        let n = e.node("n").unwrap();
        assert_eq!(
            (n.requests, n.bytes, n.cells, n.weight_share),
            (10, 10_000, 4, 1.0)
        );
        assert_relative_eq!(n.mean_rtt_ms.unwrap(), 80.0, epsilon = 1e-12);
    }

    #[test]
    fn continent_table_sums_to_one_and_puts_unknown_last() {
        let (d, nodes, l) = fixed();
        let e = evaluate(&d, &nodes, &l, Weighting::Requests).unwrap();
        let keys: Vec<Option<Continent>> = e.continents.iter().map(|r| r.continent).collect();
        assert_eq!(keys, [Some(Continent::AS), Some(Continent::EU), None]);
        let sum: f64 = e.continents.iter().map(|r| r.weight_share).sum();
        assert_relative_eq!(sum, 1.0, epsilon = 1e-12);
        let eu = e.continent(Some(Continent::EU)).unwrap();
        assert_eq!((eu.cells, eu.requests), (2, 7));
        assert_relative_eq!(eu.weight_share, 0.7, epsilon = 1e-12);
        // (4·20 + 3·60) / 7
        assert_relative_eq!(eu.mean_rtt_ms.unwrap(), 260.0 / 7.0, epsilon = 1e-12);
        assert_eq!(eu.p90_rtt_ms, Some(60.0));
        assert_eq!(eu.main_node.as_deref(), Some("n"));
    }

    #[test]
    fn main_node_serves_the_most_weight() {
        let d = demand(vec![
            in_continent(cell("lisbon", 38.72, -9.14, 5), Continent::EU),
            in_continent(cell("helsinki", 60.17, 24.94, 2), Continent::EU),
            in_continent(cell("oslo", 59.91, 10.75, 2), Continent::EU),
        ]);
        let nodes = [
            node("madrid", 40.42, -3.70),
            node("stockholm", 59.33, 18.07),
        ];
        let e = evaluate(&d, &nodes, &Latency::default(), Weighting::Requests).unwrap();
        let eu = e.continent(Some(Continent::EU)).unwrap();
        assert_eq!(eu.main_node.as_deref(), Some("madrid"));
        assert_relative_eq!(e.node("stockholm").unwrap().weight_share, 4.0 / 9.0);
    }

    #[test]
    fn serde_round_trip_is_exact() {
        let (d, nodes, l) = fixed();
        let e = evaluate(&d, &nodes, &l, Weighting::Requests).unwrap();
        let j = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<Evaluation>(&j).unwrap(), e);
    }
}
