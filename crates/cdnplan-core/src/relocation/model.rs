//! The model every relocation question shares: which nodes take part, which candidate sites
//! are left after the exclusions, the facilities in the engine's order and what each cell
//! pays at each. [`optimise`](super::optimise) and [`node_curve`](super::node_curve) both
//! start here, so they accept and refuse the same inputs with the same errors.

use std::collections::BTreeSet;

use super::{Place, RelocationProblem};
use crate::error::{Error, Result};
use crate::geo::{CountryCode, GeoPoint};
use crate::node::Node;
use crate::site::Site;
use crate::solve::Instance;

/// A facility: a current node's position or a candidate site.
pub(super) struct Facility<'a> {
    pub(super) id: &'a str,
    pub(super) location: GeoPoint,
    pub(super) place: Place,
    pub(super) site: Option<&'a Site>,
    pub(super) node: Option<&'a Node>,
}

/// The checked problem: active nodes, allowed candidates and the facilities built from them.
pub(super) struct Model<'a> {
    /// Active nodes, by id: the first facilities.
    pub(super) active: Vec<&'a Node>,
    /// Ids of inactive nodes, sorted.
    pub(super) ignored_inactive: Vec<String>,
    /// Candidate sites left after the exclusions, by id: the facilities after the nodes.
    pub(super) candidates: Vec<&'a Site>,
    /// Active nodes then candidates.
    pub(super) facilities: Vec<Facility<'a>>,
    /// Facilities of pinned nodes (fixed open).
    pub(super) pinned: Vec<usize>,
    /// Facilities of candidate sites that must open (`required_sites`).
    pub(super) required: Vec<usize>,
    /// Facilities of nodes named in `moved` or standing in forbidden countries (must close).
    pub(super) must_move: Vec<usize>,
    /// The cells' weights.
    pub(super) weight: Vec<f64>,
    /// Their sum.
    pub(super) total: f64,
}

impl<'a> Model<'a> {
    /// Checks the problem and builds the facilities.
    ///
    /// # Errors
    /// [`Error::EmptyDemand`], [`Error::InvalidWeight`], [`Error::DuplicateId`],
    /// [`Error::UnknownId`] (a pinned, moved or required id, or a forbidden site, that does
    /// not exist) and [`Error::Contradiction`] (a pinned node that is inactive or in a
    /// forbidden country; a moved node that is pinned or inactive; a required site that is
    /// excluded).
    pub(super) fn new(problem: &RelocationProblem<'a>) -> Result<Self> {
        let rc = problem.constraints;
        let cells = &problem.demand.cells;
        problem.demand.ensure_not_empty(problem.weighting)?;
        let weight: Vec<f64> = cells.iter().map(|c| c.weight(problem.weighting)).collect();
        if let Some((c, &w)) = cells
            .iter()
            .zip(&weight)
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(Error::InvalidWeight {
                what: "demand weight",
                id: c.id.clone(),
                value: w,
            });
        }
        let total: f64 = weight.iter().sum();
        unique("node", problem.nodes.iter().map(|n| n.id.as_str()))?;
        unique("site", problem.sites.iter().map(|s| s.id.as_str()))?;

        let mut active: Vec<&Node> = problem.nodes.iter().filter(|n| n.active).collect();
        active.sort_by(|a, b| a.id.cmp(&b.id));
        let mut ignored_inactive: Vec<String> = problem
            .nodes
            .iter()
            .filter(|n| !n.active)
            .map(|n| n.id.clone())
            .collect();
        ignored_inactive.sort();

        let forbidden_country =
            |c: Option<CountryCode>| c.is_some_and(|c| rc.forbidden_countries.contains(&c));
        let node_named = |id: &String| {
            problem
                .nodes
                .iter()
                .find(|n| &n.id == id)
                .ok_or_else(|| Error::UnknownId {
                    kind: "node",
                    id: id.clone(),
                    hint: known(problem.nodes.iter().map(|n| n.id.as_str())),
                })
        };
        let site_named = |id: &String| {
            if problem.sites.iter().any(|s| &s.id == id) {
                Ok(())
            } else {
                Err(Error::UnknownId {
                    kind: "site",
                    id: id.clone(),
                    hint: known(problem.sites.iter().map(|s| s.id.as_str())),
                })
            }
        };
        for id in &rc.pinned {
            let node = node_named(id)?;
            if !node.active {
                return Err(Error::Contradiction(format!(
                    "node {id} is pinned but inactive (no endpoint or not distributing): it \
                     takes no part in the plan, so pinning it has no effect; unpin it"
                )));
            }
            if forbidden_country(node.country) {
                return Err(Error::Contradiction(format!(
                    "node {id} is pinned but stands in forbidden country {}",
                    node.country.map(|c| c.to_string()).unwrap_or_default()
                )));
            }
        }
        for id in &rc.forbidden_sites {
            site_named(id)?;
        }
        let mut candidates: Vec<&Site> = problem
            .sites
            .iter()
            .filter(|s| {
                !rc.forbidden_sites.contains(&s.id)
                    && !forbidden_country(Some(s.country))
                    && !rc
                        .forbidden_providers
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(&s.provider))
            })
            .collect();
        candidates.sort_by(|a, b| a.id.cmp(&b.id));
        for id in &rc.moved {
            let node = node_named(id)?;
            if !node.active {
                return Err(Error::Contradiction(format!(
                    "node {id} is to move but inactive (no endpoint or not distributing): it \
                     takes no part in the plan"
                )));
            }
            if rc.pinned.contains(id) {
                return Err(Error::Contradiction(format!(
                    "node {id} is both pinned and to move"
                )));
            }
        }
        for id in &rc.required_sites {
            site_named(id)?;
            if !candidates.iter().any(|s| &s.id == id) {
                return Err(Error::Contradiction(format!(
                    "site {id} is required but excluded by the forbidden sites, countries or \
                     providers"
                )));
            }
        }
        let pinned = (0..active.len())
            .filter(|&j| rc.pinned.contains(&active[j].id))
            .collect();
        let required = (0..candidates.len())
            .filter(|&c| rc.required_sites.contains(&candidates[c].id))
            .map(|c| active.len() + c)
            .collect();
        let must_move = (0..active.len())
            .filter(|&j| forbidden_country(active[j].country) || rc.moved.contains(&active[j].id))
            .collect();
        let facilities = facilities(&active, &candidates);
        Ok(Model {
            active,
            ignored_inactive,
            candidates,
            facilities,
            pinned,
            required,
            must_move,
            weight,
            total,
        })
    }

    /// The facilities that must open: pinned nodes and required sites, ascending.
    pub(super) fn fixed_open(&self) -> Vec<usize> {
        let mut fixed = self.pinned.clone();
        fixed.extend_from_slice(&self.required);
        fixed
    }

    /// The number of active nodes (the first facilities).
    pub(super) fn n_active(&self) -> usize {
        self.active.len()
    }

    /// The engine's instance: every cell's RTT to every facility.
    ///
    /// # Errors
    /// [`Instance::new`]'s (an instance too large for memory).
    pub(super) fn instance(&self, problem: &RelocationProblem<'_>) -> Result<Instance> {
        let cost: Vec<f64> = problem
            .demand
            .cells
            .iter()
            .flat_map(|c| {
                self.facilities.iter().map(|f| {
                    problem
                        .latency
                        .rtt_ms(&c.id, &c.location, f.id, &f.location)
                })
            })
            .collect();
        Instance::new(
            problem.demand.cells.len(),
            self.facilities.len(),
            cost,
            self.weight.clone(),
        )
    }
}

fn unique<'a>(kind: &'static str, ids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(Error::DuplicateId {
                kind,
                id: id.to_string(),
            });
        }
    }
    Ok(())
}

/// " (known: a, b, c)" listing up to 20 ids.
fn known<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    let mut ids: Vec<&str> = ids.collect();
    ids.sort_unstable();
    if ids.is_empty() {
        return " (none are known)".into();
    }
    let more = ids.len().saturating_sub(20);
    let shown = ids[..ids.len().min(20)].join(", ");
    if more > 0 {
        format!(" (known: {shown} and {more} more)")
    } else {
        format!(" (known: {shown})")
    }
}

/// The facilities in the engine's order: the active nodes' positions, then the candidate
/// sites.
pub(super) fn facilities<'a>(active: &[&'a Node], candidates: &[&'a Site]) -> Vec<Facility<'a>> {
    active
        .iter()
        .map(|n| Facility {
            id: &n.id,
            location: n.location,
            place: node_place(n),
            site: None,
            node: Some(*n),
        })
        .chain(candidates.iter().map(|s| Facility {
            id: &s.id,
            location: s.location,
            place: site_place(s),
            site: Some(*s),
            node: None,
        }))
        .collect()
}

fn node_place(n: &Node) -> Place {
    Place {
        id: n.id.clone(),
        label: n.label(),
        location: n.location,
        country: n.country,
    }
}

pub(super) fn site_place(s: &Site) -> Place {
    Place {
        id: s.id.clone(),
        label: s.label(),
        location: s.location,
        country: Some(s.country),
    }
}
