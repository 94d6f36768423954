//! Round-trip time from distance: a linear model with a fibre floor, plus measured overrides.
//!
//! ```text
//! RTT_ms = max(a + b · d_km, 0.01 · d_km)
//! ```
//!
//! * `d_km` is the haversine distance (R = 6 371.0088 km, see [`GeoPoint::distance_km`]);
//! * `a` (ms) is access, last mile and server time;
//! * `b` (ms/km) is two-way propagation in fibre (≈ 0.01 ms/km at 200 000 km/s) times the
//!   route stretch;
//! * `0.01 · d_km` is the speed-of-light-in-fibre floor no path can beat.
//!
//! [`LinearRtt::DEFAULT`] uses a = 10 ms, b = 0.015 ms/km (stretch 1.5). [`LinearRtt::FITTED`]
//! uses a = 10.3 ms, b = 0.0164 ms/km, the Theil–Sen fit to WonderProxy's public city-to-city
//! pings (2011, 72 directed pairs). Measured RTTs (RIPE Atlas, a ping mesh, a CDN benchmark)
//! override the model pair by pair through [`Latency::with_override`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::geo::GeoPoint;

/// The speed-of-light floor in fibre, in ms of round trip per km of great-circle distance.
pub const FIBRE_FLOOR_MS_PER_KM: f64 = 0.01;

/// `RTT_ms = max(a + b · km, 0.01 · km)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearRtt {
    /// Fixed part `a`, in ms.
    pub a_ms: f64,
    /// Distance part `b`, in ms per km.
    pub b_ms_per_km: f64,
}

impl LinearRtt {
    /// a = 10 ms, b = 0.015 ms/km: fibre at 200 000 km/s, round trip, route stretch 1.5.
    pub const DEFAULT: LinearRtt = LinearRtt {
        a_ms: 10.0,
        b_ms_per_km: 0.015,
    };

    /// a = 10.3 ms, b = 0.0164 ms/km: Theil–Sen fit to WonderProxy city-to-city pings.
    pub const FITTED: LinearRtt = LinearRtt {
        a_ms: 10.3,
        b_ms_per_km: 0.0164,
    };

    /// A checked model.
    ///
    /// # Errors
    /// [`Error::InvalidWeight`] when a constant is negative or not finite.
    pub fn new(a_ms: f64, b_ms_per_km: f64) -> Result<Self> {
        for (what, v) in [
            ("latency constant a_ms", a_ms),
            ("latency constant b_ms_per_km", b_ms_per_km),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(Error::InvalidWeight {
                    what,
                    id: "latency".into(),
                    value: v,
                });
            }
        }
        Ok(LinearRtt { a_ms, b_ms_per_km })
    }

    /// RTT in ms for a great-circle distance in km.
    ///
    /// ```
    /// use cdnplan_core::LinearRtt;
    /// assert_eq!(LinearRtt::DEFAULT.rtt_ms(0.0), 10.0);
    /// assert!((LinearRtt::DEFAULT.rtt_ms(1000.0) - 25.0).abs() < 1e-12);
    /// ```
    #[inline]
    pub fn rtt_ms(&self, distance_km: f64) -> f64 {
        (self.a_ms + self.b_ms_per_km * distance_km).max(FIBRE_FLOOR_MS_PER_KM * distance_km)
    }

    /// RTT in ms between two points.
    #[inline]
    pub fn rtt_between_ms(&self, a: &GeoPoint, b: &GeoPoint) -> f64 {
        self.rtt_ms(a.distance_km(b))
    }

    /// The largest distance (km) whose RTT stays within `threshold_ms`, e.g. 100 ms → 6 000 km
    /// under the default model. Zero when the threshold is below `a`.
    pub fn radius_km(&self, threshold_ms: f64) -> f64 {
        if threshold_ms < self.a_ms {
            return 0.0;
        }
        let linear = if self.b_ms_per_km > 0.0 {
            (threshold_ms - self.a_ms) / self.b_ms_per_km
        } else {
            f64::INFINITY
        };
        linear.min(threshold_ms / FIBRE_FLOOR_MS_PER_KM)
    }
}

impl Default for LinearRtt {
    fn default() -> Self {
        LinearRtt::DEFAULT
    }
}

/// The latency model used everywhere: [`LinearRtt`] plus measured RTTs that override it for
/// given (demand cell id, node or site id) pairs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// The distance model.
    pub model: LinearRtt,
    /// Measured RTTs in ms, keyed by (cell id, node or site id).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<(String, String), f64>,
}

impl Latency {
    /// The model alone, without overrides.
    pub fn new(model: LinearRtt) -> Self {
        Latency {
            model,
            overrides: BTreeMap::new(),
        }
    }

    /// Adds a measured RTT for (cell, facility).
    ///
    /// # Errors
    /// [`Error::InvalidWeight`] when `rtt_ms` is negative or not finite.
    pub fn with_override(mut self, cell_id: &str, facility_id: &str, rtt_ms: f64) -> Result<Self> {
        if !rtt_ms.is_finite() || rtt_ms < 0.0 {
            return Err(Error::InvalidWeight {
                what: "measured RTT",
                id: format!("{cell_id} → {facility_id}"),
                value: rtt_ms,
            });
        }
        self.overrides
            .insert((cell_id.to_string(), facility_id.to_string()), rtt_ms);
        Ok(self)
    }

    /// RTT in ms from a demand cell to a node or site: the measured value when there is one,
    /// otherwise the model on the haversine distance.
    pub fn rtt_ms(
        &self,
        cell_id: &str,
        cell: &GeoPoint,
        facility_id: &str,
        facility: &GeoPoint,
    ) -> f64 {
        if !self.overrides.is_empty()
            && let Some(v) = self
                .overrides
                .get(&(cell_id.to_string(), facility_id.to_string()))
        {
            return *v;
        }
        self.model.rtt_between_ms(cell, facility)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Measured RTTs between WonderProxy servers (min of the 2011 matrix) against the default
    /// model: the model stays within ±25 % on well-meshed routes.
    #[test]
    fn default_model_tracks_wonderproxy_pairs() {
        // (km, measured ms)
        for (km, measured) in [
            (640.0, 21.45),
            (2343.0, 44.3),
            (2486.0, 56.4),
            (11968.0, 188.0),
        ] {
            let m = LinearRtt::DEFAULT.rtt_ms(km);
            assert!(
                (m - measured).abs() / measured < 0.25,
                "{km} km: model {m} vs {measured}"
            );
        }
    }

    #[test]
    fn never_below_fibre_floor() {
        let fast = LinearRtt::new(0.0, 0.001).unwrap();
        assert_eq!(fast.rtt_ms(10_000.0), 100.0);
    }

    #[test]
    fn radius_inverts_rtt() {
        let r = LinearRtt::DEFAULT.radius_km(100.0);
        assert!((r - 6000.0).abs() < 1e-9);
        assert!((LinearRtt::DEFAULT.rtt_ms(r) - 100.0).abs() < 1e-9);
        assert_eq!(LinearRtt::DEFAULT.radius_km(5.0), 0.0);
    }

    #[test]
    fn override_wins() {
        let a = GeoPoint::new(0.0, 0.0).unwrap();
        let b = GeoPoint::new(0.0, 10.0).unwrap();
        let l = Latency::default().with_override("RU", "n1", 42.0).unwrap();
        assert_eq!(l.rtt_ms("RU", &a, "n1", &b), 42.0);
        assert!(l.rtt_ms("RU", &a, "n2", &b) > 10.0);
        assert!(Latency::default().with_override("RU", "n1", -1.0).is_err());
    }

    #[test]
    fn rejects_bad_constants() {
        assert!(LinearRtt::new(f64::NAN, 0.01).is_err());
        assert!(LinearRtt::new(10.0, -0.01).is_err());
    }
}
