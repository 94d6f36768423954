//! Helpers of the target layout: node keys, the regions a family's metadata names, a node's
//! place, and family areas from demand.

use std::collections::BTreeMap;

use super::ReassignOptions;
use crate::demand::Demand;
use crate::geo::CountryCode;
use crate::topology::regions::{self, regions_named_in};
use crate::topology::{
    BucketId, Family, FamilyId, GeographicalArea, OperatorMetadata, Topology, WorkerId,
    endpoint_host,
};

#[derive(Debug, Clone)]
pub(super) struct Member {
    pub(super) bucket: BucketId,
    pub(super) worker: WorkerId,
    pub(super) meta: Option<OperatorMetadata>,
}

pub(super) fn node_key(worker: WorkerId, meta: Option<&OperatorMetadata>) -> String {
    meta.and_then(|m| m.endpoint.as_deref())
        .map(endpoint_host)
        .unwrap_or_else(|| format!("worker-{worker}"))
}

pub(super) fn family_regions(f: &Family) -> Vec<&'static str> {
    let Some(m) = &f.metadata else {
        return Vec::new();
    };
    let mut keys: Vec<&'static str> = Vec::new();
    for text in [m.description.as_deref(), m.region.as_deref()]
        .into_iter()
        .flatten()
    {
        for r in regions_named_in(text) {
            if !keys.contains(&r.key) {
                keys.push(r.key);
            }
        }
    }
    keys.sort_by_key(|k| regions::rank(k));
    keys
}

pub(super) fn place(members: &[Member]) -> String {
    members
        .iter()
        .find_map(|m| {
            let l = m.meta.as_ref()?.location.as_ref()?;
            Some(match (&l.city, l.country_code) {
                (Some(c), Some(cc)) => format!("{c}, {cc}"),
                (Some(c), None) => c.clone(),
                (None, Some(cc)) => cc.to_string(),
                (None, None) => return None,
            })
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Country areas per family: the countries whose demand the family's nodes serve.
pub(super) fn areas_from_demand(
    target: &Topology,
    demand: &Demand,
    options: &ReassignOptions,
) -> BTreeMap<FamilyId, Vec<GeographicalArea>> {
    let nodes: Vec<_> = target.nodes().into_iter().filter(|n| n.active).collect();
    let mut served: BTreeMap<FamilyId, BTreeMap<CountryCode, f64>> = BTreeMap::new();
    for cell in &demand.cells {
        let Some(cc) = cell.country else { continue };
        let best = nodes.iter().min_by(|a, b| {
            cell.location
                .distance_km(&a.location)
                .total_cmp(&cell.location.distance_km(&b.location))
                .then(a.id.cmp(&b.id))
        });
        let Some(node) = best else { continue };
        let Some(f) = node.buckets.iter().map(|b| b.family).min() else {
            continue;
        };
        *served.entry(f).or_default().entry(cc).or_default() += cell.weight(options.weighting);
    }
    served
        .into_iter()
        .map(|(f, by_cc)| {
            let total: f64 = by_cc.values().sum();
            let mut v: Vec<(CountryCode, f64)> = by_cc.into_iter().collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut out = Vec::new();
            let mut cum = 0.0;
            for (cc, w) in v {
                if out.len() >= options.max_area_entries || (total > 0.0 && cum >= 0.9 * total) {
                    break;
                }
                cum += w;
                out.push(GeographicalArea::Country(cc));
            }
            (f, out)
        })
        .collect()
}
