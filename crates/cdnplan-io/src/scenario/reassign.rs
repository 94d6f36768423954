//! The `[reassign]` section: the family ↔ bucket reassignment after the plan's node moves.

use std::collections::BTreeMap;

use cdnplan_core::reassign::ReassignOptions;
use cdnplan_core::{Node, Weighting};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The `[reassign]` section: the family ↔ bucket reassignment after the plan's node moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReassignInput {
    /// Whether `plan` adds the reassignment (only when `[network] topology` is given).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Per-bag calls per group of the checklist (each call is its own transaction).
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// When the topology lists no bags, assume this many channel bags on every operated
    /// bucket (a what-if: reports say so).
    #[serde(default)]
    pub assume_bags: Option<u64>,
    /// Keep buckets without an operator (default: drain and delete them).
    #[serde(default)]
    pub keep_idle_buckets: bool,
    /// Cache disk per node id, GB, for balancing bags (overrides the nodes' capacity).
    #[serde(default)]
    pub cache_gb: BTreeMap<String, f64>,
}

fn yes() -> bool {
    true
}

fn default_batch_size() -> usize {
    100
}

impl Default for ReassignInput {
    fn default() -> Self {
        ReassignInput {
            enabled: true,
            batch_size: default_batch_size(),
            assume_bags: None,
            keep_idle_buckets: false,
            cache_gb: BTreeMap::new(),
        }
    }
}

impl ReassignInput {
    /// The planner options: these settings, `weighting`, and cache sizes from the nodes'
    /// capacity where they declare one, overridden by `cache_gb`.
    pub fn options(&self, nodes: &[Node], weighting: Weighting) -> ReassignOptions {
        let mut cache: BTreeMap<String, f64> = nodes
            .iter()
            .filter_map(|n| Some((n.id.clone(), n.capacity?.cache_gb?)))
            .collect();
        cache.extend(self.cache_gb.iter().map(|(k, v)| (k.clone(), *v)));
        ReassignOptions::default()
            .batch_size(self.batch_size)
            .delete_idle_buckets(!self.keep_idle_buckets)
            .weighting(weighting)
            .cache_gb(cache)
    }

    /// Checks values the types cannot.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key.
    pub fn check(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(Error::Config(
                "[reassign] batch_size = 0: must be at least 1".into(),
            ));
        }
        if let Some(n) = self.assume_bags
            && n > cdnplan_core::reassign::MAX_ASSUMED_BAGS
        {
            return Err(Error::Config(format!(
                "[reassign] assume_bags = {n}: at most {} bags can be assumed (each is \
                 replayed call by call; import the real bags from an indexer instead)",
                cdnplan_core::reassign::MAX_ASSUMED_BAGS
            )));
        }
        for (id, gb) in &self.cache_gb {
            if !(gb.is_finite() && *gb > 0.0) {
                return Err(Error::Config(format!(
                    "[reassign] cache_gb.{id:?} = {gb}: must be a positive number of GB"
                )));
            }
        }
        Ok(())
    }
}
