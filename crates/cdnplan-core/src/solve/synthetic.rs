//! Synthetic world-scale instances for benchmarks: demand clustered like internet users,
//! candidate sites clustered like hosting regions, costs = round-trip time.
//!
//! Each client is a point drawn around a population centre chosen in proportion to its
//! weight (e.g. a country's internet users), scattered with a normal spread of a few
//! degrees, and weighted by a heavy-tailed (log-normal) number of requests. Each site is a
//! point drawn around a hosting hub chosen uniformly (e.g. the cloud regions of
//! `data/sites.csv`) with a smaller spread. The cost is a [`LinearRtt`](crate::LinearRtt) of the great-circle
//! distance. The same spec, centres and seed always give the same instance.
//!
//! ```
//! use cdnplan_core::GeoPoint;
//! use cdnplan_core::latency::LinearRtt;
//! use cdnplan_core::solve::synthetic::{World, WorldSpec};
//!
//! let centres = [(GeoPoint::new(48.9, 2.4)?, 3.0), (GeoPoint::new(40.7, -74.0)?, 1.0)];
//! let hubs = [GeoPoint::new(50.1, 8.7)?, GeoPoint::new(39.0, -77.5)?];
//! let spec = WorldSpec { clients: 200, sites: 20, seed: 7 };
//! let world = World::generate(&spec, &centres, &hubs, &LinearRtt::DEFAULT)?;
//! assert_eq!((world.instance.n_clients, world.instance.n_sites), (200, 20));
//! # Ok::<(), cdnplan_core::Error>(())
//! ```

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use rayon::prelude::*;

use super::Instance;
use crate::error::{Error, Result};
use crate::geo::GeoPoint;
use crate::latency::LinearRtt;

/// Size and seed of a synthetic world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorldSpec {
    /// Number of demand points (clients).
    pub clients: usize,
    /// Number of candidate sites.
    pub sites: usize,
    /// Seed of every random draw.
    pub seed: u64,
}

/// A generated world: the instance and where its clients and sites are.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// The p-median instance (costs in ms, weights in requests).
    pub instance: Instance,
    /// Client locations.
    pub clients: Vec<GeoPoint>,
    /// Site locations.
    pub sites: Vec<GeoPoint>,
}

/// Spread of clients around their centre, in degrees (one standard deviation).
const CLIENT_SPREAD_DEG: f64 = 4.0;
/// Spread of sites around their hub, in degrees.
const SITE_SPREAD_DEG: f64 = 1.0;
/// σ of the log-normal request weight (median 100 requests).
const WEIGHT_SIGMA: f64 = 1.2;

impl World {
    /// Generates the world of `spec` around `centres` (point, weight > 0) and `hubs`.
    ///
    /// # Errors
    /// [`Error::Parse`] when there are no centres, no hubs, or no positive centre weight;
    /// [`Error::TooLarge`] above [`MAX_PAIRS`](super::MAX_PAIRS) client × site pairs.
    pub fn generate(
        spec: &WorldSpec,
        centres: &[(GeoPoint, f64)],
        hubs: &[GeoPoint],
        latency: &LinearRtt,
    ) -> Result<World> {
        let total: f64 = centres.iter().map(|c| c.1.max(0.0)).sum();
        if centres.is_empty() || hubs.is_empty() || !(total > 0.0 && total.is_finite()) {
            return Err(Error::Parse {
                what: "synthetic world (needs population centres with positive weights and hosting hubs)",
                value: format!(
                    "{} centres (total weight {total}), {} hubs",
                    centres.len(),
                    hubs.len()
                ),
            });
        }
        super::instance::check_size(spec.clients, spec.sites)?;
        let mut rng = Pcg64::seed_from_u64(spec.seed);
        let mut cumulative = Vec::with_capacity(centres.len());
        let mut acc = 0.0;
        for c in centres {
            acc += c.1.max(0.0);
            cumulative.push(acc);
        }
        let mut clients = Vec::with_capacity(spec.clients);
        let mut weight = Vec::with_capacity(spec.clients);
        for _ in 0..spec.clients {
            let x = rng.random_range(0.0..total);
            let k = cumulative
                .partition_point(|&c| c <= x)
                .min(centres.len() - 1);
            clients.push(scatter(&centres[k].0, CLIENT_SPREAD_DEG, &mut rng));
            let w = (100.0 * (WEIGHT_SIGMA * normal(&mut rng)).exp())
                .round()
                .max(1.0);
            weight.push(w);
        }
        let sites: Vec<GeoPoint> = (0..spec.sites)
            .map(|_| {
                let hub = &hubs[rng.random_range(0..hubs.len())];
                scatter(hub, SITE_SPREAD_DEG, &mut rng)
            })
            .collect();
        let m = sites.len();
        let mut cost = vec![0.0; spec.clients * m];
        if m > 0 {
            cost.par_chunks_mut(m).zip(&clients).for_each(|(row, c)| {
                for (v, s) in row.iter_mut().zip(&sites) {
                    *v = latency.rtt_between_ms(c, s);
                }
            });
        }
        Ok(World {
            instance: Instance::new(spec.clients, m, cost, weight)?,
            clients,
            sites,
        })
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut Pcg64) -> f64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    let v: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// `centre` moved by a normal offset of `spread` degrees, kept on the globe.
fn scatter(centre: &GeoPoint, spread: f64, rng: &mut Pcg64) -> GeoPoint {
    let lat = (centre.lat + spread * normal(rng)).clamp(-89.0, 89.0);
    let mut lon = centre.lon + spread * normal(rng);
    if lon > 180.0 {
        lon -= 360.0;
    } else if lon < -180.0 {
        lon += 360.0;
    }
    GeoPoint { lat, lon }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn centres() -> Vec<(GeoPoint, f64)> {
        vec![
            (
                GeoPoint {
                    lat: 35.7,
                    lon: 139.7,
                },
                5.0,
            ),
            (
                GeoPoint {
                    lat: 52.5,
                    lon: 13.4,
                },
                3.0,
            ),
            (
                GeoPoint {
                    lat: -23.5,
                    lon: -46.6,
                },
                1.0,
            ),
        ]
    }

    #[test]
    fn same_seed_same_world_and_costs_are_rtts() {
        let hubs = [GeoPoint {
            lat: 50.1,
            lon: 8.7,
        }];
        let spec = WorldSpec {
            clients: 50,
            sites: 7,
            seed: 3,
        };
        let a = World::generate(&spec, &centres(), &hubs, &LinearRtt::DEFAULT).unwrap();
        assert_eq!(
            a,
            World::generate(&spec, &centres(), &hubs, &LinearRtt::DEFAULT).unwrap()
        );
        let rtt = LinearRtt::DEFAULT.rtt_between_ms(&a.clients[4], &a.sites[2]);
        assert_eq!(a.instance.cost(4, 2), rtt);
        assert!(a.instance.weight.iter().all(|&w| w >= 1.0));
    }

    #[test]
    fn no_centres_is_an_error() {
        let spec = WorldSpec {
            clients: 5,
            sites: 2,
            seed: 0,
        };
        let hubs = [GeoPoint { lat: 0.0, lon: 0.0 }];
        assert!(World::generate(&spec, &[], &hubs, &LinearRtt::DEFAULT).is_err());
        assert!(World::generate(&spec, &centres(), &[], &LinearRtt::DEFAULT).is_err());
    }
}
