//! Service as expected when nodes are down for their observed share of the time.
//!
//! Each cell is served by its nearest active node, as in [`serving`](crate::serving); when
//! that node is down its viewers fall to the next nearest, and so on (Orion's candidate
//! order, haversine distance; a node-level model: every node is taken to hold the viewers'
//! bags). With node *k* (in distance order) available a share `a_k` of the time, and nodes
//! failing independently, a cell's expected RTT is
//!
//! ```text
//! E[rtt] = Σ_k a_k · Π_{j<k} (1 − a_j) · rtt_k  /  (1 − Π_k (1 − a_k))
//! ```
//!
//! the mean over the times some node is up; `Π_k (1 − a_k)` is the share of the time it has
//! no node at all. A node absent from the history is taken as always available.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Sample;
use crate::demand::{Demand, Weighting};
use crate::error::Result;
use crate::latency::Latency;
use crate::node::Node;
use crate::serving::{assign, weighted_mean};
use crate::topology::endpoint_host;

/// The expected service with observed availability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectedService {
    /// Demand-weighted mean RTT with every node up, ms.
    pub all_up_mean_rtt_ms: f64,
    /// Demand-weighted expected RTT over the times a cell has a node, ms.
    pub expected_mean_rtt_ms: f64,
    /// `expected − all up`, ms.
    pub delta_ms: f64,
    /// Expected share of the weight with no node up, in `0..=1`.
    pub unserved_share: f64,
    /// The active nodes, by id.
    pub nodes: Vec<NodeRisk>,
}

/// One active node's availability and what it carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRisk {
    /// The node id (endpoint host).
    pub node: String,
    /// Its observed availability, `None` when the history has no sample of it (taken as 1).
    pub availability: Option<f64>,
    /// Share of the weight it serves with every node up.
    pub weight_share: f64,
    /// Below the threshold.
    pub flagged: bool,
}

/// Availability per node id (the endpoint host, as [`Topology::nodes`] names nodes): the
/// share of a node's samples, over all its operators and vantage points, that were
/// available.
///
/// [`Topology::nodes`]: crate::topology::Topology::nodes
pub fn by_node(samples: &[Sample]) -> BTreeMap<String, f64> {
    let mut counts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for s in samples {
        let c = counts.entry(endpoint_host(&s.endpoint)).or_default();
        c.0 += u64::from(s.available());
        c.1 += 1;
    }
    counts
        .into_iter()
        .map(|(k, (up, n))| (k, up as f64 / n as f64))
        .collect()
}

/// The expected service of `nodes` for `demand` when node `id` is available
/// `availability[id]` of the time; nodes below `threshold` are flagged.
///
/// ```
/// use std::collections::BTreeMap;
/// use cdnplan_core::availability::expected::expected_service;
/// use cdnplan_core::*;
/// let cell = DemandCell { id: "DE/Berlin".into(), location: GeoPoint::new(52.52, 13.40)?,
///     country: None, continent: None, requests: 100, bytes: 0, unique_clients: 0 };
/// let demand = Demand::new(CellKind::City, vec![cell])?;
/// let node = |id: &str, lat, lon| Node { id: id.into(), operator: None, city: None,
///     country: None, continent: None, location: GeoPoint::new(lat, lon).unwrap(),
///     capacity: None, active: true, buckets: vec![] };
/// let nodes = [node("ber", 52.52, 13.40), node("par", 48.86, 2.35)];
/// let lat = Latency::default();
/// let a = BTreeMap::from([("ber".to_string(), 0.8)]);
/// let e = expected_service(&demand, &nodes, &lat, Weighting::Requests, &a, 0.9)?;
/// let rtt = |n: &Node| lat.rtt_ms("DE/Berlin", &demand.cells[0].location, &n.id, &n.location);
/// let want = 0.8 * rtt(&nodes[0]) + 0.2 * rtt(&nodes[1]);
/// assert!((e.expected_mean_rtt_ms - want).abs() < 1e-9);
/// assert!(e.nodes[0].flagged && !e.nodes[1].flagged);
/// # Ok::<(), cdnplan_core::Error>(())
/// ```
///
/// # Errors
/// As [`assign`].
pub fn expected_service(
    demand: &Demand,
    nodes: &[Node],
    latency: &Latency,
    weighting: Weighting,
    availability: &BTreeMap<String, f64>,
    threshold: f64,
) -> Result<ExpectedService> {
    let up = assign(demand, nodes, latency, weighting)?;
    let all_up = weighted_mean(&up);
    let mut active: Vec<&Node> = nodes.iter().filter(|n| n.active).collect();
    active.sort_by(|a, b| a.id.cmp(&b.id));
    let share = |n: &Node| {
        availability
            .get(&n.id)
            .copied()
            .unwrap_or(1.0)
            .clamp(0.0, 1.0)
    };
    let (mut sum, mut served, mut total, mut unserved) = (0.0, 0.0, 0.0, 0.0);
    let mut order: Vec<(f64, &Node)> = Vec::with_capacity(active.len());
    for cell in &demand.cells {
        let w = cell.weight(weighting);
        if w <= 0.0 {
            continue;
        }
        order.clear();
        order.extend(
            active
                .iter()
                .map(|n| (cell.location.distance_km(&n.location), *n)),
        );
        // Stable: equal distances keep id order, as `assign` does.
        order.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut e, mut down) = (0.0, 1.0);
        for &(_, n) in &order {
            let a = share(n);
            e += down * a * latency.rtt_ms(&cell.id, &cell.location, &n.id, &n.location);
            down *= 1.0 - a;
        }
        sum += w * e;
        served += w * (1.0 - down);
        unserved += w * down;
        total += w;
    }
    let expected = if served > 0.0 { sum / served } else { f64::NAN };
    let total_up: f64 = up.iter().map(|c| c.weight).sum();
    let nodes = active
        .iter()
        .map(|n| {
            let carried: f64 = up.iter().filter(|c| c.node == n.id).map(|c| c.weight).sum();
            let a = availability.get(&n.id).copied();
            NodeRisk {
                node: n.id.clone(),
                availability: a,
                weight_share: if total_up > 0.0 {
                    carried / total_up
                } else {
                    0.0
                },
                flagged: a.is_some_and(|a| a < threshold),
            }
        })
        .collect();
    Ok(ExpectedService {
        all_up_mean_rtt_ms: all_up,
        expected_mean_rtt_ms: expected,
        delta_ms: expected - all_up,
        unserved_share: if total > 0.0 { unserved / total } else { 0.0 },
        nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demand::CellKind;
    use crate::serving::tests::{cell, node};
    use approx::assert_relative_eq;

    #[test]
    fn one_node_down_a_fifth_of_the_time_matches_a_direct_computation() {
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
        let lat = Latency::default();
        let a = BTreeMap::from([("nbg".to_string(), 0.8), ("par".to_string(), 1.0)]);
        let e = expected_service(&demand, &nodes, &lat, Weighting::Requests, &a, 0.95).unwrap();
        let rtt = |c: usize, n: usize| {
            let c = &demand.cells[c];
            lat.rtt_ms(&c.id, &c.location, &nodes[n].id, &nodes[n].location)
        };
        // Berlin: nbg 80 %, else par. Paris: par always. Tokyo: sgp always.
        let want =
            (300.0 * (0.8 * rtt(0, 0) + 0.2 * rtt(0, 1)) + 100.0 * rtt(1, 1) + 100.0 * rtt(2, 2))
                / 500.0;
        assert_relative_eq!(e.expected_mean_rtt_ms, want, epsilon = 1e-9);
        let all_up = (300.0 * rtt(0, 0) + 100.0 * rtt(1, 1) + 100.0 * rtt(2, 2)) / 500.0;
        assert_relative_eq!(e.all_up_mean_rtt_ms, all_up, epsilon = 1e-9);
        assert!(e.delta_ms > 0.0);
        assert_eq!(e.unserved_share, 0.0);
        let flagged: Vec<_> = e
            .nodes
            .iter()
            .filter(|n| n.flagged)
            .map(|n| &n.node)
            .collect();
        assert_eq!(flagged, ["nbg"]);
        assert_eq!(e.nodes[2].availability, None);
        assert_relative_eq!(e.nodes[0].weight_share, 0.6, epsilon = 1e-12);
    }

    #[test]
    fn a_lone_node_down_leaves_its_share_unserved() {
        let demand =
            Demand::new(CellKind::City, vec![cell("DE/Berlin", 52.52, 13.40, 10)]).unwrap();
        let nodes = vec![node("nbg", 49.45, 11.08)];
        let a = BTreeMap::from([("nbg".to_string(), 0.75)]);
        let e = expected_service(
            &demand,
            &nodes,
            &Latency::default(),
            Weighting::Requests,
            &a,
            0.5,
        )
        .unwrap();
        assert_relative_eq!(e.unserved_share, 0.25, epsilon = 1e-12);
        assert_relative_eq!(e.expected_mean_rtt_ms, e.all_up_mean_rtt_ms, epsilon = 1e-9);
    }

    #[test]
    fn by_node_pools_operators_of_one_host() {
        use super::super::PingStatus;
        let s = |ep: &str, status| Sample {
            operator: "x".into(),
            source: "s".into(),
            time_ms: 0,
            status,
            distributing: Some(true),
            serves_bucket: None,
            ttfb_ms: None,
            endpoint: ep.into(),
            bucket: "0:0".into(),
        };
        let m = by_node(&[
            s("https://a.example/distributor/", PingStatus::Ok),
            s("https://a.example:443/distributor/", PingStatus::Dead),
            s("https://b.example/", PingStatus::Ok),
        ]);
        assert_eq!(m["a.example"], 0.5);
        assert_eq!(m["b.example"], 1.0);
    }
}
