//! A topology once a relocation plan's node moves are done.
//!
//! A node moved to a new site keeps its operator, its buckets and its bags: only where it
//! stands changes, and its operator republishes the location (`set_distribution_operator_metadata`,
//! one operator call per bucket). Clients then find it at the new coordinates, so the
//! reassignment of families and buckets must be planned on the moved topology.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{NodeLocation, Operator, OperatorStatus, Topology, endpoint_host};
use crate::error::{Error, Result};
use crate::relocation::{Move, MoveKind};
use crate::site::Site;

/// What [`Topology::with_moves`] did with each move.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MovesApplied {
    /// Nodes now standing at a new site, by id, in move order.
    pub relocated: Vec<String>,
    /// Nodes whose operators left their buckets, by id, in move order.
    pub removed: Vec<String>,
    /// Sites of added nodes, which have no worker (hence no bucket) yet and are left out.
    pub added_sites: Vec<String>,
}

impl Topology {
    /// The topology once `moves` are done, in order, and what was applied.
    ///
    /// * A **relocation** gives every ACTIVE operator of the node (the operators
    ///   [`Topology::nodes`] groups under the move's node id) the site's coordinates, country
    ///   and city; the site is looked up in `sites` by the move's `to.id` (when it is not
    ///   there, the move's coordinates and country are used and the city is cleared). Buckets,
    ///   bags and endpoints are unchanged.
    /// * A **removal** takes the node's ACTIVE operators out of their buckets (the lead's
    ///   `remove_distribution_bucket_operator`); a bucket left without an active operator is
    ///   then idle, which the reassignment drains and deletes.
    /// * An **addition** changes nothing: the new node needs a hired worker before it can be
    ///   invited to a bucket. Its site is listed in [`MovesApplied::added_sites`].
    ///
    /// ```
    /// use cdnplan_core::plan::{Move, MoveKind, Place};
    /// use cdnplan_core::topology::Topology;
    /// use cdnplan_core::GeoPoint;
    ///
    /// let t: Topology = serde_json::from_str(r#"{
    ///   "families": [{"id": 0, "nextBucketIndex": 1}],
    ///   "buckets": [{"id": "0:0", "acceptingNewBags": true, "distributing": true, "operators": [
    ///     {"worker": 3, "status": "ACTIVE", "metadata": {"endpoint": "https://nbg.example/",
    ///      "location": {"countryCode": "DE", "city": "Nuremberg",
    ///                   "coordinates": {"lat": 49.45, "lon": 11.08}}}}]}]
    /// }"#).unwrap();
    /// let to = Place { id: "hetzner-hel1".into(), label: "Helsinki, FI (hetzner-hel1)".into(),
    ///     location: GeoPoint { lat: 60.17, lon: 24.94 }, country: Some("FI".parse()?) };
    /// let m = Move { step: 1, kind: MoveKind::Relocate, node: Some("nbg.example".into()),
    ///     from: None, to: Some(to), mean_rtt_after_ms: 0.0, gain_ms: 0.0, reason: String::new() };
    /// let (moved, applied) = t.with_moves(&[m], &[])?;
    /// assert_eq!(moved.nodes()[0].location, GeoPoint { lat: 60.17, lon: 24.94 });
    /// assert_eq!(moved.nodes()[0].city, None, "site unknown: the stale city is cleared");
    /// assert_eq!(applied.relocated, ["nbg.example"]);
    /// # Ok::<(), cdnplan_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownId`] when a relocated or removed node is not an active operator with
    /// coordinates in the topology, or a move names no node or no destination;
    /// [`Error::InvalidCoordinate`] for a destination's bad coordinates.
    pub fn with_moves(&self, moves: &[Move], sites: &[Site]) -> Result<(Topology, MovesApplied)> {
        let sites: BTreeMap<&str, &Site> = sites.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut t = self.clone();
        let mut applied = MovesApplied::default();
        for m in moves {
            match m.kind {
                MoveKind::Add => {
                    if let Some(to) = &m.to {
                        applied.added_sites.push(to.id.clone());
                    }
                }
                MoveKind::Relocate => {
                    let id = node_of(m)?;
                    let to = m.to.as_ref().ok_or_else(|| Error::UnknownId {
                        kind: "site",
                        id: String::new(),
                        hint: format!(" (the relocation of {id} names no destination)"),
                    })?;
                    to.location.validate()?;
                    let site = sites.get(to.id.as_str());
                    let location = NodeLocation {
                        country_code: site.map(|s| s.country).or(to.country),
                        city: site.map(|s| s.city.clone()),
                        coordinates: Some(site.map_or(to.location, |s| s.location)),
                    };
                    let mut found = false;
                    for o in t.buckets.iter_mut().flat_map(|b| b.operators.iter_mut()) {
                        if is_node(o, id)
                            && let Some(meta) = o.metadata.as_mut()
                        {
                            meta.location = Some(location.clone());
                            found = true;
                        }
                    }
                    ensure_found(found, id, "relocated")?;
                    applied.relocated.push(id.to_string());
                }
                MoveKind::Remove => {
                    let id = node_of(m)?;
                    let mut found = false;
                    for b in &mut t.buckets {
                        b.operators.retain(|o| {
                            let gone = is_node(o, id);
                            found |= gone;
                            !gone
                        });
                    }
                    ensure_found(found, id, "removed")?;
                    applied.removed.push(id.to_string());
                }
            }
        }
        Ok((t, applied))
    }
}

fn node_of(m: &Move) -> Result<&str> {
    m.node.as_deref().ok_or_else(|| Error::UnknownId {
        kind: "node",
        id: String::new(),
        hint: format!(" (move {} names no node)", m.step),
    })
}

fn ensure_found(found: bool, id: &str, what: &str) -> Result<()> {
    if found {
        Ok(())
    } else {
        Err(Error::UnknownId {
            kind: "node",
            id: id.to_string(),
            hint: format!(
                " ({what} by the plan, but no active operator with coordinates in the topology has this endpoint host)"
            ),
        })
    }
}

/// Whether `o` is one of the operators [`Topology::nodes`] groups under node `id`.
fn is_node(o: &Operator, id: &str) -> bool {
    node_id(o).as_deref() == Some(id)
}

/// The node an operator belongs to, as [`Topology::nodes`] names it (endpoint host, else
/// `worker-<id>`); `None` unless it is ACTIVE with coordinates.
pub(crate) fn node_id(o: &Operator) -> Option<String> {
    if o.status != OperatorStatus::Active {
        return None;
    }
    let meta = o.metadata.as_ref()?;
    meta.location.as_ref()?.coordinates?;
    Some(
        meta.endpoint
            .as_deref()
            .map(endpoint_host)
            .unwrap_or_else(|| format!("worker-{}", o.worker)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::{Continent, CountryCode, GeoPoint};
    use crate::relocation::Place;
    use crate::topology::BucketId;

    fn topo() -> Topology {
        serde_json::from_str(
            r#"{
          "families": [{"id": 0, "nextBucketIndex": 1}, {"id": 1, "nextBucketIndex": 1}],
          "buckets": [
            {"id": "0:0", "acceptingNewBags": true, "distributing": true, "operators": [
              {"worker": 3, "status": "ACTIVE", "metadata": {"endpoint": "https://nbg.example/d/",
               "location": {"countryCode": "DE", "city": "Nuremberg", "coordinates": {"lat": 49.45, "lon": 11.08}}}},
              {"worker": 4, "status": "ACTIVE", "metadata": {"endpoint": "https://par.example/",
               "location": {"countryCode": "FR", "city": "Paris", "coordinates": {"lat": 48.85, "lon": 2.35}}}}]},
            {"id": "1:0", "acceptingNewBags": true, "distributing": true, "operators": [
              {"worker": 3, "status": "ACTIVE", "metadata": {"endpoint": "https://NBG.example:443/",
               "location": {"countryCode": "DE", "city": "Nuremberg", "coordinates": {"lat": 49.45, "lon": 11.08}}}},
              {"worker": 5, "status": "INVITED"}]}],
          "bags": [{"id": "dynamic:channel:1", "buckets": ["0:0", "1:0"]}]
        }"#,
        )
        .unwrap()
    }

    fn hel1() -> Site {
        Site {
            id: "hetzner-hel1".into(),
            provider: "hetzner".into(),
            region_code: "hel1".into(),
            city: "Helsinki".into(),
            country: CountryCode::new("FI").unwrap(),
            continent: Continent::EU,
            location: GeoPoint {
                lat: 60.17,
                lon: 24.94,
            },
            monthly_cost_usd: None,
        }
    }

    fn step(kind: MoveKind, node: Option<&str>, to: Option<&Site>) -> Move {
        Move {
            step: 1,
            kind,
            node: node.map(str::to_string),
            from: None,
            to: to.map(|s| Place {
                id: s.id.clone(),
                label: s.label(),
                location: s.location,
                country: Some(s.country),
            }),
            mean_rtt_after_ms: 0.0,
            gain_ms: 0.0,
            reason: String::new(),
        }
    }

    #[test]
    fn a_relocated_node_stands_at_the_site_in_every_bucket() {
        let site = hel1();
        let m = step(MoveKind::Relocate, Some("nbg.example"), Some(&site));
        let (t, applied) = topo()
            .with_moves(&[m], std::slice::from_ref(&site))
            .unwrap();
        let nbg = t
            .nodes()
            .into_iter()
            .find(|n| n.id == "nbg.example")
            .unwrap();
        assert_eq!(nbg.location, site.location);
        assert_eq!(nbg.city.as_deref(), Some("Helsinki"));
        assert_eq!(nbg.country, Some(site.country));
        assert_eq!(nbg.buckets, [BucketId::new(0, 0), BucketId::new(1, 0)]);
        assert_eq!(applied.relocated, ["nbg.example"]);
        // Everything else is as it was.
        let before = topo();
        assert_eq!(t.bags, before.bags);
        assert_eq!(t.buckets[0].operators[1], before.buckets[0].operators[1]);
        assert_eq!(t.buckets[1].operators[1], before.buckets[1].operators[1]);
    }

    #[test]
    fn a_removed_node_leaves_its_buckets() {
        let m = step(MoveKind::Remove, Some("par.example"), None);
        let (t, applied) = topo().with_moves(&[m], &[]).unwrap();
        assert_eq!(
            t.nodes().iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
            ["nbg.example"]
        );
        assert_eq!(applied.removed, ["par.example"]);
    }

    #[test]
    fn an_addition_changes_nothing_and_is_listed() {
        let site = hel1();
        let m = step(MoveKind::Add, None, Some(&site));
        let (t, applied) = topo().with_moves(&[m], &[site]).unwrap();
        assert_eq!(t, topo());
        assert_eq!(applied.added_sites, ["hetzner-hel1"]);
    }

    #[test]
    fn an_unknown_node_is_an_error_naming_it() {
        let site = hel1();
        let m = step(MoveKind::Relocate, Some("nowhere.example"), Some(&site));
        let e = topo().with_moves(&[m], &[site]).unwrap_err().to_string();
        assert!(e.contains("nowhere.example"), "{e}");
        let m = step(MoveKind::Relocate, Some("nbg.example"), None);
        assert!(topo().with_moves(&[m], &[]).is_err(), "no destination");
    }

    #[test]
    fn no_moves_is_the_same_topology() {
        let (t, applied) = topo().with_moves(&[], &[]).unwrap();
        assert_eq!(t, topo());
        assert_eq!(applied, MovesApplied::default());
    }
}
