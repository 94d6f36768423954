//! Findings about a topology that are legal on chain but wrong in practice: operators without
//! coordinates, coordinates far from the stated city or country (published metadata contains
//! sign errors), endpoints shared between workers, buckets no active operator serves.
//!
//! [`Topology::validate`] rejects what cannot be (dangling ids, out-of-range coordinates);
//! [`check`] reports what should not be, for a lead to fix.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::{BucketId, WorkerId};
use super::model::{OperatorStatus, Topology};
use crate::country::Countries;
use crate::geo::{CountryCode, GeoPoint};
use crate::site::Site;

/// How far (km) an operator may stand from the centre of its stated city.
pub const CITY_RADIUS_KM: f64 = 250.0;

/// How far (km) an operator may stand from its country's representative point (the capital);
/// larger countries get [`LARGE_COUNTRY_RADIUS_KM`].
pub const COUNTRY_RADIUS_KM: f64 = 1_500.0;

/// The radius (km) for the countries in [`LARGE_COUNTRIES`].
pub const LARGE_COUNTRY_RADIUS_KM: f64 = 5_000.0;

/// Countries spanning more than [`COUNTRY_RADIUS_KM`] from their capital.
pub const LARGE_COUNTRIES: &str =
    "AR AU BR CA CD CL CN DZ GL ID IN IR KZ LY MN MX NO PE RU SA SD US";

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// An ACTIVE operator has no coordinates: clients rank it last (distance ∞).
    NoCoordinates,
    /// An ACTIVE operator has no endpoint: Orion never returns it.
    NoEndpoint,
    /// The coordinates are far from the stated city or country.
    FarFromStatedPlace {
        /// What the coordinates were compared with, e.g. `"Nuremberg, DE"` or `"country DE"`.
        place: String,
        /// Distance from it, km.
        distance_km: f64,
        /// Coordinates with a flipped sign that fall near the place, when one does: the
        /// likely intended value.
        likely_meant: Option<GeoPoint>,
    },
    /// The stated country code is not in the country table.
    UnknownCountry {
        /// The code.
        country: CountryCode,
    },
    /// Several (bucket, worker) pairs publish one endpoint under different workers.
    DuplicateEndpoint {
        /// The endpoint.
        endpoint: String,
        /// The workers publishing it.
        workers: Vec<WorkerId>,
    },
    /// A bucket has no ACTIVE operator: the bags it holds are not served through it.
    NoActiveOperator {
        /// Bags assigned to it.
        bags: usize,
    },
}

/// One finding, about one bucket (and operator, when it concerns one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The bucket.
    pub bucket: BucketId,
    /// The operator, when the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<WorkerId>,
    /// What is wrong.
    #[serde(flatten)]
    pub kind: FindingKind,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bucket {}", self.bucket)?;
        if let Some(w) = self.worker {
            write!(f, ", worker {w}")?;
        }
        f.write_str(": ")?;
        match &self.kind {
            FindingKind::NoCoordinates => {
                f.write_str("active operator without coordinates (clients rank it last)")
            }
            FindingKind::NoEndpoint => {
                f.write_str("active operator without endpoint (Orion never returns it)")
            }
            FindingKind::FarFromStatedPlace {
                place,
                distance_km,
                likely_meant,
            } => {
                write!(f, "coordinates {distance_km:.0} km from {place}")?;
                match likely_meant {
                    Some(p) => write!(f, " (sign error? {p} would fit)"),
                    None => Ok(()),
                }
            }
            FindingKind::UnknownCountry { country } => {
                write!(f, "country code {country} is not in the country table")
            }
            FindingKind::DuplicateEndpoint { endpoint, workers } => {
                let w: Vec<String> = workers.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "endpoint {endpoint} is published by workers {}",
                    w.join(", ")
                )
            }
            FindingKind::NoActiveOperator { bags } => {
                write!(f, "no active operator ({bags} bags assigned)")
            }
        }
    }
}

/// Checks a topology against the country table and the known cities (`sites`: a city is
/// matched by name and country, case-insensitively). Findings come sorted by bucket, then
/// worker, then kind.
///
/// ```
/// use cdnplan_core::topology::{check, Topology};
/// use cdnplan_core::Countries;
///
/// let t: Topology = serde_json::from_str(r#"{"families":[{"id":0}],
///   "buckets":[{"id":"0:0","acceptingNewBags":true,"distributing":true}]}"#).unwrap();
/// let findings = check::check(&t, &Countries::default(), &[]);
/// assert_eq!(findings[0].to_string(), "bucket 0:0: no active operator (0 bags assigned)");
/// ```
pub fn check(topology: &Topology, countries: &Countries, sites: &[Site]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut bag_count: BTreeMap<BucketId, usize> = BTreeMap::new();
    for bag in &topology.bags {
        for b in &bag.buckets {
            *bag_count.entry(*b).or_default() += 1;
        }
    }
    let mut endpoints: BTreeMap<String, Vec<(BucketId, WorkerId)>> = BTreeMap::new();
    for b in &topology.buckets {
        let active: Vec<_> = b
            .operators
            .iter()
            .filter(|o| o.status == OperatorStatus::Active)
            .collect();
        if active.is_empty() {
            out.push(Finding {
                bucket: b.id,
                worker: None,
                kind: FindingKind::NoActiveOperator {
                    bags: bag_count.get(&b.id).copied().unwrap_or(0),
                },
            });
        }
        for op in active {
            let meta = op.metadata.clone().unwrap_or_default();
            let finding = |kind| Finding {
                bucket: b.id,
                worker: Some(op.worker),
                kind,
            };
            match &meta.endpoint {
                Some(e) => endpoints
                    .entry(normalise_endpoint(e))
                    .or_default()
                    .push((b.id, op.worker)),
                None => out.push(finding(FindingKind::NoEndpoint)),
            }
            let loc = meta.location.unwrap_or_default();
            let Some(point) = loc.coordinates else {
                out.push(finding(FindingKind::NoCoordinates));
                continue;
            };
            if let Some(cc) = loc.country_code
                && countries.get(cc).is_none()
                && !countries.is_empty()
            {
                out.push(finding(FindingKind::UnknownCountry { country: cc }));
            }
            if let Some(kind) = far_from_stated(
                point,
                loc.city.as_deref(),
                loc.country_code,
                countries,
                sites,
            ) {
                out.push(finding(kind));
            }
        }
    }
    for (endpoint, users) in endpoints {
        let mut workers: Vec<WorkerId> = users.iter().map(|u| u.1).collect();
        workers.sort();
        workers.dedup();
        if workers.len() > 1 {
            out.push(Finding {
                bucket: users[0].0,
                worker: None,
                kind: FindingKind::DuplicateEndpoint { endpoint, workers },
            });
        }
    }
    out.sort_by_key(|f| (f.bucket, f.worker));
    out
}

/// Compares `point` with the stated city (when `sites` knows it) or else the country.
fn far_from_stated(
    point: GeoPoint,
    city: Option<&str>,
    country: Option<CountryCode>,
    countries: &Countries,
    sites: &[Site],
) -> Option<FindingKind> {
    let city_ref = city.and_then(|c| {
        sites.iter().find(|s| {
            s.city.eq_ignore_ascii_case(c.trim()) && country.is_none_or(|cc| s.country == cc)
        })
    });
    let (place, centre, radius) = match (city_ref, country.and_then(|cc| countries.get(cc))) {
        (Some(s), _) => (
            format!("{}, {}", s.city, s.country),
            s.location,
            CITY_RADIUS_KM,
        ),
        (None, Some(c)) => {
            let large = LARGE_COUNTRIES.split(' ').any(|l| l == c.code.as_str());
            let r = if large {
                LARGE_COUNTRY_RADIUS_KM
            } else {
                COUNTRY_RADIUS_KM
            };
            (format!("country {}", c.code), c.location, r)
        }
        (None, None) => return None,
    };
    let d = point.distance_km(&centre);
    if d <= radius {
        return None;
    }
    let likely_meant = [
        GeoPoint {
            lat: -point.lat,
            lon: point.lon,
        },
        GeoPoint {
            lat: point.lat,
            lon: -point.lon,
        },
        GeoPoint {
            lat: -point.lat,
            lon: -point.lon,
        },
        GeoPoint {
            lat: point.lon,
            lon: point.lat,
        },
    ]
    .into_iter()
    .filter(|p| p.validate().is_ok() && p.distance_km(&centre) <= radius)
    .min_by(|a, b| a.distance_km(&centre).total_cmp(&b.distance_km(&centre)));
    Some(FindingKind::FarFromStatedPlace {
        place,
        distance_km: d,
        likely_meant,
    })
}

/// Lower-cases an endpoint and drops a trailing slash, so `https://A.x/` and `https://a.x` match.
fn normalise_endpoint(e: &str) -> String {
    e.trim().trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::country::Country;
    use crate::geo::Continent;
    use crate::topology::{Bucket, Family, FamilyId, NodeLocation, Operator, OperatorMetadata};

    fn countries() -> Countries {
        let c = |code: &str, lat, lon| Country {
            code: CountryCode::new(code).unwrap(),
            iso3: String::new(),
            name: code.into(),
            continent: Continent::EU,
            location: GeoPoint { lat, lon },
            population: 1,
            internet_users: 1,
        };
        Countries::new([c("DE", 52.52, 13.40), c("FR", 48.85, 2.35)]).unwrap()
    }

    fn op(worker: u64, endpoint: Option<&str>, cc: &str, at: Option<(f64, f64)>) -> Operator {
        Operator {
            worker: WorkerId(worker),
            status: OperatorStatus::Active,
            metadata: Some(OperatorMetadata {
                endpoint: endpoint.map(Into::into),
                location: Some(NodeLocation {
                    country_code: Some(CountryCode::new(cc).unwrap()),
                    city: None,
                    coordinates: at.map(|(lat, lon)| GeoPoint { lat, lon }),
                }),
                extra: None,
            }),
        }
    }

    fn topo(ops: Vec<Vec<Operator>>) -> Topology {
        Topology {
            families: vec![Family {
                id: FamilyId(0),
                metadata: None,
                next_bucket_index: ops.len() as u64,
            }],
            buckets: ops
                .into_iter()
                .enumerate()
                .map(|(i, operators)| Bucket {
                    assigned_bags: None,
                    id: BucketId::new(0, i as u64),
                    accepting_new_bags: true,
                    distributing: true,
                    operators,
                })
                .collect(),
            ..Topology::default()
        }
    }

    #[test]
    fn sign_error_in_longitude_is_flagged_with_the_likely_value() {
        let t = topo(vec![vec![op(
            1,
            Some("https://a/"),
            "DE",
            Some((49.45, -11.08)),
        )]]);
        let f = check(&t, &countries(), &[]);
        assert_eq!(f.len(), 1, "{f:?}");
        let FindingKind::FarFromStatedPlace { likely_meant, .. } = &f[0].kind else {
            panic!("{f:?}")
        };
        assert_eq!(
            *likely_meant,
            Some(GeoPoint {
                lat: 49.45,
                lon: 11.08
            })
        );
        assert!(f[0].to_string().contains("sign error"), "{}", f[0]);
    }

    #[test]
    fn missing_coordinates_endpoints_and_operators_are_flagged() {
        let t = topo(vec![
            vec![op(1, None, "FR", None)],
            vec![],
            vec![op(2, Some("https://x.org/"), "FR", Some((48.8, 2.3)))],
            vec![op(3, Some("https://X.org"), "FR", Some((48.8, 2.3)))],
        ]);
        let kinds: Vec<String> = check(&t, &countries(), &[])
            .iter()
            .map(|f| format!("{}", f))
            .collect();
        assert_eq!(
            kinds,
            [
                "bucket 0:0, worker 1: active operator without endpoint (Orion never returns it)",
                "bucket 0:0, worker 1: active operator without coordinates (clients rank it last)",
                "bucket 0:1: no active operator (0 bags assigned)",
                "bucket 0:2: endpoint https://x.org is published by workers 2, 3",
            ]
        );
    }

    #[test]
    fn coordinates_near_the_country_pass() {
        let t = topo(vec![vec![op(
            1,
            Some("https://a/"),
            "DE",
            Some((49.45, 11.08)),
        )]]);
        assert!(check(&t, &countries(), &[]).is_empty());
    }
}
