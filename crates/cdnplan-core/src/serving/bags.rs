//! Bag-aware serving: a request for bag `b` is served by the nearest ACTIVE node, by haversine
//! distance, among the nodes operating a distributing bucket that holds `b` (Orion's
//! `resolvedUrls` order). Nodes without coordinates are kept, ranked after every located node
//! as Orion ranks them (distance ∞: Joystream/orion
//! src/server-extension/resolvers/AssetsResolver/utils.ts:39-44 @ f7ad779): a bag only they
//! hold is served, and its weight is reported apart ([`BagServing::unlocated_weight`]), since
//! no distance gives its RTT.
//!
//! Demand per bag comes from logs that name objects ([`BagDemand::from_objects`], through
//! the topology's object → bag map). Without it the evaluation is bag-agnostic: each cell's
//! weight is spread over the bags in proportion to their size (equally when sizes are
//! unknown). A topology without bag data is served by its nearest active node, as in
//! [`super::assign`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::percentile::weighted_percentile;
use crate::demand::{Demand, Weighting};
use crate::error::{Error, Result};
use crate::latency::Latency;
use crate::node::Node;
use crate::topology::{BagId, BucketId, Topology};

/// Requests per (cell, bag).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BagDemand {
    /// Cell id → bag → weight.
    pub cells: BTreeMap<String, BTreeMap<BagId, f64>>,
    /// Weight of requests whose object the map does not know.
    pub unmapped: f64,
}

impl BagDemand {
    /// Builds per-bag demand from `(cell id, object id, weight)` records and the topology's
    /// object → bag map; objects the map lacks are counted in [`BagDemand::unmapped`].
    pub fn from_objects<'a>(
        records: impl IntoIterator<Item = (&'a str, &'a str, f64)>,
        objects: &BTreeMap<String, BagId>,
    ) -> BagDemand {
        let mut d = BagDemand::default();
        for (cell, object, w) in records {
            match objects.get(object) {
                Some(bag) => {
                    *d.cells
                        .entry(cell.to_string())
                        .or_default()
                        .entry(bag.clone())
                        .or_default() += w;
                }
                None => d.unmapped += w,
            }
        }
        d
    }
}

/// Demand-weighted RTT of one topology under the bag rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BagServing {
    /// Weighted mean RTT, ms, over the served weight.
    pub mean_rtt_ms: f64,
    /// Weighted median RTT, ms.
    pub p50_rtt_ms: f64,
    /// Weighted 95th percentile RTT, ms.
    pub p95_rtt_ms: f64,
    /// Weight served.
    pub served_weight: f64,
    /// Weight of (cell, bag) pairs no active node holding the bag serves.
    pub unserved_weight: f64,
    /// Weight of (cell, bag) pairs served by a node without coordinates (no located node
    /// holds the bag): served, as Orion lists such nodes last, but with no RTT to report; not
    /// in the mean and percentiles.
    #[serde(default)]
    pub unlocated_weight: f64,
    /// Expected RTT, ms, of a viewer Orion cannot locate: it lists the bag's nodes in random
    /// order (Joystream/orion src/server-extension/resolvers/AssetsResolver/utils.ts:28-32 @
    /// f7ad779; a random comparator, so "uniformly random" is an approximation), and the
    /// client takes the first, so the cost is the mean over the bag's located nodes. Such
    /// viewers are assumed to be spread like the located ones (their demand is not in
    /// the cells). `None` when no bag has a located node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlocated_viewers_mean_rtt_ms: Option<f64>,
}

/// Nodes Orion serves that have no coordinates: ACTIVE operators with an endpoint on a
/// distributing bucket and no coordinates in their metadata, by node id (endpoint host), with
/// the buckets they serve. A node with coordinates on any of its buckets is located
/// ([`Topology::nodes`]) and not listed here.
pub fn unlocated_nodes(topology: &Topology) -> BTreeMap<String, Vec<BucketId>> {
    use crate::topology::OperatorStatus;
    let located: std::collections::BTreeSet<String> =
        topology.nodes().into_iter().map(|n| n.id).collect();
    let mut out: BTreeMap<String, Vec<BucketId>> = BTreeMap::new();
    for b in topology.buckets.iter().filter(|b| b.distributing) {
        for op in b
            .operators
            .iter()
            .filter(|o| o.status == OperatorStatus::Active)
        {
            let Some(meta) = &op.metadata else { continue };
            let Some(endpoint) = meta.endpoint.as_deref() else {
                continue;
            };
            if meta
                .location
                .as_ref()
                .is_some_and(|l| l.coordinates.is_some())
            {
                continue;
            }
            let id = crate::topology::endpoint_host(endpoint);
            if !located.contains(&id) {
                out.entry(id).or_default().push(b.id);
            }
        }
    }
    out
}

/// Evaluates `topology` against `demand` with the bag rule (see the [module docs](self)).
/// Uses per-bag demand when given (its cells must be `demand`'s cell ids; their bag weights
/// replace the cell's weight), else spreads each cell over the bags.
///
/// # Errors
/// [`Error::EmptyDemand`] when nothing carries weight; [`Error::Infeasible`] when no weight
/// can be served at all.
pub fn evaluate_bags(
    topology: &Topology,
    demand: &Demand,
    per_bag: Option<&BagDemand>,
    latency: &Latency,
    weighting: Weighting,
) -> Result<BagServing> {
    demand.ensure_not_empty(weighting)?;
    let nodes: Vec<Node> = topology.nodes().into_iter().filter(|n| n.active).collect();
    // Which nodes hold each bag: nodes operating a distributing bucket with it.
    let distributing: BTreeMap<BucketId, bool> = topology
        .buckets
        .iter()
        .map(|b| (b.id, b.distributing))
        .collect();
    let holders: BTreeMap<&BagId, Vec<usize>> = topology
        .bags
        .iter()
        .map(|bag| {
            let v = nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| {
                    n.buckets
                        .iter()
                        .any(|b| bag.buckets.contains(b) && distributing.get(b) == Some(&true))
                })
                .map(|(i, _)| i)
                .collect();
            (&bag.id, v)
        })
        .collect();
    let all: Vec<usize> = (0..nodes.len()).collect();
    // Ranked after every located node: they serve a bag only no located node holds.
    let unlocated = unlocated_nodes(topology);
    let unlocated_bags: std::collections::BTreeSet<&BagId> = topology
        .bags
        .iter()
        .filter(|g| {
            unlocated
                .values()
                .any(|bs| bs.iter().any(|b| g.buckets.contains(b)))
        })
        .map(|g| &g.id)
        .collect();
    let held_unlocated = |bag: Option<&BagId>| match bag {
        None => !unlocated.is_empty(),
        Some(bag) => unlocated_bags.contains(bag),
    };
    let mut unlocated_weight = 0.0;
    // Viewers without a location: the mean over the bag's nodes, weighted as located ones.
    let (mut random_sum, mut random_weight) = (0.0, 0.0);
    let total_size: f64 = topology
        .bags
        .iter()
        .map(|b| b.size_bytes.map_or(1.0, |s| s as f64))
        .sum();
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let mut unserved = 0.0;
    for cell in &demand.cells {
        let mut serve = |cands: &[usize], bag: Option<&BagId>, w: f64| {
            if w <= 0.0 {
                return;
            }
            if cands.is_empty() && held_unlocated(bag) {
                unlocated_weight += w;
                return;
            }
            if !cands.is_empty() {
                let mean = cands
                    .iter()
                    .map(|i| {
                        let n = &nodes[*i];
                        latency.rtt_ms(&cell.id, &cell.location, &n.id, &n.location)
                    })
                    .sum::<f64>()
                    / cands.len() as f64;
                random_sum += w * mean;
                random_weight += w;
            }
            let best = cands.iter().min_by(|a, b| {
                let (na, nb) = (&nodes[**a], &nodes[**b]);
                cell.location
                    .distance_km(&na.location)
                    .total_cmp(&cell.location.distance_km(&nb.location))
                    .then(na.id.cmp(&nb.id))
            });
            match best {
                Some(i) => {
                    let n = &nodes[*i];
                    let rtt = latency.rtt_ms(&cell.id, &cell.location, &n.id, &n.location);
                    samples.push((rtt, w));
                }
                None => unserved += w,
            }
        };
        if topology.bags.is_empty() {
            serve(&all, None, cell.weight(weighting));
            continue;
        }
        match per_bag.and_then(|p| p.cells.get(&cell.id)) {
            Some(by_bag) => {
                for (bag, w) in by_bag {
                    serve(
                        holders.get(bag).map_or(&[][..], Vec::as_slice),
                        Some(bag),
                        *w,
                    );
                }
            }
            None if per_bag.is_some() => {}
            None => {
                let w = cell.weight(weighting);
                for bag in &topology.bags {
                    let share = bag.size_bytes.map_or(1.0, |s| s as f64) / total_size;
                    serve(&holders[&bag.id], Some(&bag.id), w * share);
                }
            }
        }
    }
    let served: f64 = samples.iter().map(|s| s.1).sum();
    if served <= 0.0 {
        return Err(Error::Infeasible(
            "no demand can be served: no active node with coordinates holds a requested bag".into(),
        ));
    }
    let mean = samples.iter().map(|(r, w)| r * w).sum::<f64>() / served;
    Ok(BagServing {
        mean_rtt_ms: mean,
        p50_rtt_ms: weighted_percentile(samples.iter().copied(), 0.5).unwrap_or(0.0),
        p95_rtt_ms: weighted_percentile(samples.iter().copied(), 0.95).unwrap_or(0.0),
        served_weight: served,
        unserved_weight: unserved,
        unlocated_weight,
        unlocated_viewers_mean_rtt_ms: (random_weight > 0.0).then(|| random_sum / random_weight),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serving::tests::{cell, demand};

    fn topo() -> Topology {
        serde_json::from_str(
            r#"{"families":[{"id":0}],
            "buckets":[
              {"id":"0:0","acceptingNewBags":true,"distributing":true,"operators":[
                {"worker":1,"status":"ACTIVE","metadata":{"endpoint":"https://paris/",
                 "location":{"coordinates":{"lat":48.85,"lon":2.35}}}}]},
              {"id":"0:1","acceptingNewBags":true,"distributing":true,"operators":[
                {"worker":2,"status":"ACTIVE","metadata":{"endpoint":"https://tokyo/",
                 "location":{"coordinates":{"lat":35.68,"lon":139.69}}}}]}],
            "bags":[{"id":"dynamic:channel:1","buckets":["0:0"]},
                    {"id":"dynamic:channel:2","buckets":["0:1"]}],
            "objects":{"10":"dynamic:channel:1","20":"dynamic:channel:2"}}"#,
        )
        .unwrap()
    }

    /// Issue 14 item 5: a node without coordinates is ranked last, not dropped (Orion,
    /// AssetsResolver/utils.ts:39-44 @ f7ad779): it serves a bag no located node holds, and
    /// never one a located node holds.
    #[test]
    fn a_node_without_coordinates_serves_what_only_it_holds() {
        let mut t = topo();
        // Tokyo publishes no coordinates; it alone holds channel 2.
        t.buckets[1].operators[0]
            .metadata
            .as_mut()
            .unwrap()
            .location = None;
        assert_eq!(
            unlocated_nodes(&t),
            BTreeMap::from([("tokyo".to_string(), vec![BucketId::new(0, 1)])])
        );
        let d = demand(vec![cell("paris", 48.85, 2.35, 10)]);
        let s = evaluate_bags(&t, &d, None, &Latency::default(), Weighting::Requests).unwrap();
        assert!(s.unserved_weight.abs() < 1e-9, "{s:?}");
        assert!((s.unlocated_weight - 5.0).abs() < 1e-9, "{s:?}");
        assert!((s.served_weight - 5.0).abs() < 1e-9, "{s:?}");
        // Once Paris holds channel 2 too, Paris serves it: the unlocated node ranks last.
        t.bags[1].buckets.push(BucketId::new(0, 0));
        let s = evaluate_bags(&t, &d, None, &Latency::default(), Weighting::Requests).unwrap();
        assert_eq!(s.unlocated_weight, 0.0);
        assert!((s.served_weight - 10.0).abs() < 1e-9, "{s:?}");
    }

    /// Issue 14 item 7: a viewer without a location gets the bag's nodes in random order
    /// (Orion, AssetsResolver/utils.ts:28-32 @ f7ad779): its expected RTT is the mean over the
    /// bag's nodes, not the nearest one's.
    #[test]
    fn a_viewer_without_a_location_pays_the_mean_over_the_bags_nodes() {
        let mut t = topo();
        // Both nodes hold channel 1; only Tokyo holds channel 2.
        t.bags[0].buckets.push(BucketId::new(0, 1));
        let d = demand(vec![cell("paris", 48.85, 2.35, 10)]);
        let l = Latency::default();
        let s = evaluate_bags(&t, &d, None, &l, Weighting::Requests).unwrap();
        let paris = crate::geo::GeoPoint {
            lat: 48.85,
            lon: 2.35,
        };
        let tokyo = crate::geo::GeoPoint {
            lat: 35.68,
            lon: 139.69,
        };
        let near = l.rtt_ms("paris", &paris, "paris", &paris);
        let far = l.rtt_ms("paris", &paris, "tokyo", &tokyo);
        // Channel 1: (near + far) / 2; channel 2: far; each half the weight.
        let want = 0.5 * (near + far) / 2.0 + 0.5 * far;
        let got = s.unlocated_viewers_mean_rtt_ms.unwrap();
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        assert!(got > s.mean_rtt_ms, "located viewers get the nearest node");
    }

    #[test]
    fn nearest_active_holder_of_the_bag_serves() {
        let t = topo();
        let d = demand(vec![cell("paris", 48.85, 2.35, 10)]);
        // Every request from Paris is for bag 2, which only Tokyo holds.
        let per_bag =
            BagDemand::from_objects([("paris", "20", 10.0), ("paris", "99", 1.0)], &t.objects);
        assert_eq!(per_bag.unmapped, 1.0);
        let s = evaluate_bags(
            &t,
            &d,
            Some(&per_bag),
            &Latency::default(),
            Weighting::Requests,
        )
        .unwrap();
        assert!(s.p50_rtt_ms > 100.0, "{s:?}");
        // Bag-agnostic: half the weight is served from Paris itself.
        let s = evaluate_bags(&t, &d, None, &Latency::default(), Weighting::Requests).unwrap();
        assert_eq!(s.p50_rtt_ms, 10.0);
        assert!(s.p95_rtt_ms > 100.0);
    }

    #[test]
    fn bags_without_holders_are_unserved() {
        let mut t = topo();
        t.bags[1].buckets.clear();
        let d = demand(vec![cell("paris", 48.85, 2.35, 10)]);
        let s = evaluate_bags(&t, &d, None, &Latency::default(), Weighting::Requests).unwrap();
        assert_eq!(s.unserved_weight, 5.0);
        assert_eq!(s.served_weight, 5.0);
    }
}
