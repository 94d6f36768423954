//! Can the nodes carry the demand at all? A feasibility check on egress capacity.
//!
//! The demand's bytes over the log window give a mean egress rate; when every active node
//! declares an egress capacity ([`NodeCapacity::egress_gbps`](crate::NodeCapacity)), their sum must
//! cover it. Peaks are higher than the mean, so passing this check is necessary, not
//! sufficient.

use crate::demand::Demand;
use crate::error::{Error, Result};
use crate::node::Node;

/// Mean egress rate of `demand` over `window_s` seconds, in Gbit/s.
pub fn mean_egress_gbps(demand: &Demand, window_s: f64) -> f64 {
    if window_s <= 0.0 {
        return 0.0;
    }
    let bytes: u64 = demand.cells.iter().map(|c| c.bytes).sum();
    bytes as f64 * 8.0 / window_s / 1e9
}

/// Checks that the active nodes' declared egress capacity covers the demand's mean rate.
/// Nodes without a declared capacity count as unlimited, so the check only bites when every
/// active node declares one.
///
/// # Errors
/// [`Error::Infeasible`] naming both rates, e.g. "mean demand 3.10 Gbit/s over the log window
/// exceeds the total egress capacity 2.00 Gbit/s of the 2 active nodes"; [`Error::InvalidWeight`]
/// for a NaN or negative capacity.
pub fn check_egress_capacity(demand: &Demand, window_s: f64, nodes: &[Node]) -> Result<()> {
    let mut total = 0.0;
    let mut active = 0usize;
    for n in nodes.iter().filter(|n| n.active) {
        active += 1;
        match n.capacity.and_then(|c| c.egress_gbps) {
            Some(g) if g.is_finite() && g >= 0.0 => total += g,
            Some(g) => {
                return Err(Error::InvalidWeight {
                    what: "egress capacity (Gbit/s)",
                    id: n.id.clone(),
                    value: g,
                });
            }
            None => return Ok(()),
        }
    }
    let need = mean_egress_gbps(demand, window_s);
    if active > 0 && need > total {
        return Err(Error::Infeasible(format!(
            "mean demand {} Gbit/s over the log window exceeds the total egress capacity \
             {} Gbit/s of the {active} active nodes",
            gbps(need),
            gbps(total)
        )));
    }
    Ok(())
}

/// Enough digits to tell small rates apart: `12.5`, `3.10`, `0.0020`.
fn gbps(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 0.1 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GeoPoint;
    use crate::demand::{CellKind, DemandCell};
    use crate::node::NodeCapacity;

    fn demand(bytes: u64) -> Demand {
        Demand::new(
            CellKind::Country,
            vec![DemandCell {
                id: "DE".into(),
                location: GeoPoint {
                    lat: 50.0,
                    lon: 10.0,
                },
                country: None,
                continent: None,
                requests: 1,
                bytes,
                unique_clients: 1,
            }],
        )
        .unwrap()
    }

    fn node(id: &str, gbps: Option<f64>) -> Node {
        Node {
            id: id.into(),
            operator: None,
            city: None,
            country: None,
            continent: None,
            location: GeoPoint {
                lat: 50.0,
                lon: 10.0,
            },
            capacity: gbps.map(|g| NodeCapacity {
                egress_gbps: Some(g),
                cache_gb: None,
            }),
            active: true,
            buckets: vec![],
        }
    }

    #[test]
    fn diagnosis_names_both_rates() {
        // 3.1 Gbit/s for an hour.
        let d = demand((3.1e9 / 8.0 * 3600.0) as u64);
        let e = check_egress_capacity(&d, 3600.0, &[node("a", Some(1.0)), node("b", Some(1.0))])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("3.10 Gbit/s") && e.contains("2.00 Gbit/s"),
            "{e}"
        );
    }

    #[test]
    fn enough_or_undeclared_capacity_passes() {
        let d = demand((1e9 / 8.0 * 3600.0) as u64);
        check_egress_capacity(&d, 3600.0, &[node("a", Some(1.0)), node("b", Some(0.5))]).unwrap();
        check_egress_capacity(&d, 3600.0, &[node("a", Some(0.1)), node("b", None)]).unwrap();
        assert!(check_egress_capacity(&d, 3600.0, &[node("a", Some(f64::NAN))]).is_err());
    }
}
