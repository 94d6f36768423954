//! Cache size against the bags a node holds: each node (an active operator's endpoint host)
//! must store every bag of every distributing bucket it operates, once, so the distinct
//! bags' bytes are what its cache must hold to serve them without going back to storage.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::topology::{OperatorStatus, Topology, node_id};

/// The bags one node holds against its cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheFill {
    /// Node id (endpoint host, or `worker-<id>`).
    pub node: String,
    /// Distinct bags it holds.
    pub bags: usize,
    /// Bytes of the bags whose size is known.
    pub bytes: u64,
    /// Bags of unknown size (their bytes are not in `bytes`).
    pub unknown_size: usize,
    /// Its cache size in GB (10⁹ bytes), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_gb: Option<f64>,
}

impl CacheFill {
    /// `bytes` over the cache, when the cache is known and not zero.
    pub fn fill(&self) -> Option<f64> {
        self.cache_gb
            .filter(|c| *c > 0.0)
            .map(|c| self.bytes as f64 / (c * 1e9))
    }

    /// Whether the known bytes alone exceed the cache.
    pub fn overfull(&self) -> bool {
        self.fill().is_some_and(|f| f > 1.0)
    }
}

/// The cache fill of every node that actively operates a distributing bucket of `topology`,
/// sorted by node id; `cache_gb` gives cache sizes by node id.
///
/// ```
/// use std::collections::BTreeMap;
/// use cdnplan_core::reassign::cache_fill;
/// use cdnplan_core::topology::Topology;
/// let fill = cache_fill(&Topology::default(), &BTreeMap::new());
/// assert!(fill.is_empty());
/// ```
pub fn cache_fill(topology: &Topology, cache_gb: &BTreeMap<String, f64>) -> Vec<CacheFill> {
    let mut nodes_of_bucket: BTreeMap<_, Vec<String>> = BTreeMap::new();
    for b in topology.buckets.iter().filter(|b| b.distributing) {
        for o in b
            .operators
            .iter()
            .filter(|o| o.status == OperatorStatus::Active)
        {
            if let Some(n) = node_id(o) {
                nodes_of_bucket.entry(b.id).or_default().push(n);
            }
        }
    }
    let mut held: BTreeMap<String, BTreeSet<usize>> = nodes_of_bucket
        .values()
        .flatten()
        .map(|n| (n.clone(), BTreeSet::new()))
        .collect();
    for (k, bag) in topology.bags.iter().enumerate() {
        for b in &bag.buckets {
            for n in nodes_of_bucket.get(b).into_iter().flatten() {
                if let Some(set) = held.get_mut(n) {
                    set.insert(k);
                }
            }
        }
    }
    held.into_iter()
        .map(|(node, bags)| {
            let sizes = bags.iter().map(|&k| topology.bags[k].size_bytes);
            CacheFill {
                bags: bags.len(),
                bytes: sizes.clone().flatten().sum(),
                unknown_size: sizes.filter(Option::is_none).count(),
                cache_gb: cache_gb.get(&node).copied(),
                node,
            }
        })
        .collect()
}

/// One markdown table row per node: node, bags, GB held, cache GB, fill.
pub(crate) fn markdown_rows(today: &[CacheFill], after: &[CacheFill]) -> String {
    let after: BTreeMap<&str, &CacheFill> = after.iter().map(|c| (c.node.as_str(), c)).collect();
    let today_by: BTreeMap<&str, &CacheFill> = today.iter().map(|c| (c.node.as_str(), c)).collect();
    let nodes: BTreeSet<&str> = today_by.keys().chain(after.keys()).copied().collect();
    let held = |c: Option<&&CacheFill>| match c {
        None => "–".to_string(),
        Some(c) => {
            let mut s = format!("{} bags, {:.1} GB", c.bags, c.bytes as f64 / 1e9);
            if c.unknown_size > 0 {
                s.push_str(&format!(" (+{} of unknown size)", c.unknown_size));
            }
            s
        }
    };
    let fill = |c: Option<&&CacheFill>| {
        c.and_then(|c| c.fill())
            .map(|f| {
                let mark = if f > 1.0 { " **over**" } else { "" };
                format!("{:.0} %{mark}", 100.0 * f)
            })
            .unwrap_or_else(|| "–".into())
    };
    let mut out = String::new();
    for n in nodes {
        let (t, a) = (today_by.get(n), after.get(n));
        let cache = t
            .or(a)
            .and_then(|c| c.cache_gb)
            .map(|g| format!("{g}"))
            .unwrap_or_else(|| "unknown".into());
        out.push_str(&format!(
            "| {n} | {cache} | {} | {} | {} | {} |\n",
            held(t),
            fill(t),
            held(a),
            fill(a)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reassign::tests::random_topology;

    #[test]
    fn a_node_holds_each_bag_of_its_buckets_once_and_is_over_a_small_cache() {
        let mut t = random_topology(3);
        for (k, bag) in t.bags.iter_mut().enumerate() {
            // One bag of unknown size, the others 2 GB.
            bag.size_bytes = (k > 0).then_some(2_000_000_000);
        }
        let nodes: Vec<String> = cache_fill(&t, &BTreeMap::new())
            .into_iter()
            .map(|c| c.node)
            .collect();
        assert!(!nodes.is_empty());
        let caches: BTreeMap<String, f64> = nodes.iter().map(|n| (n.clone(), 3.0)).collect();
        for f in cache_fill(&t, &caches) {
            // Count the node's bags independently: bags with a bucket the node operates.
            let held: Vec<usize> = (0..t.bags.len())
                .filter(|&k| {
                    t.bags[k].buckets.iter().any(|b| {
                        t.buckets.iter().any(|x| {
                            x.id == *b
                                && x.distributing
                                && x.operators
                                    .iter()
                                    .any(|o| node_id(o).as_deref() == Some(&f.node))
                        })
                    })
                })
                .collect();
            assert_eq!(f.bags, held.len(), "{}", f.node);
            let unknown = usize::from(held.contains(&0));
            assert_eq!(f.unknown_size, unknown);
            assert_eq!(f.bytes, 2_000_000_000 * (held.len() - unknown) as u64);
            assert_eq!(f.overfull(), f.bytes > 3_000_000_000, "{}", f.node);
        }
    }
}
