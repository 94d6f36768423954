//! Demand: where requests come from, aggregated into cells.
//!
//! A [`DemandCell`] is a region (a country, a web-mercator tile or a city) with the requests,
//! bytes and distinct clients seen from it. [`DemandAggregator`] builds cells from a stream of
//! located requests; it is what the log readers and the Elasticsearch source feed, so both give
//! the same cells for the same documents.
//!
//! Requests recorded with their time ([`DemandAggregator::record_at`],
//! [`DemandAggregator::record_hour`]) also build the demand's [`HourlyProfile`]: requests and
//! bytes of all cells per UTC clock hour, from which capacity planning takes the busiest hour.
//! A demand built without times (a demand CSV) has none.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::geo::{Continent, CountryCode, GeoPoint};
use crate::hourly::{HOUR_S, HourCounts, HourlyProfile, PeakHour};

/// One region of demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandCell {
    /// Stable id: the country code (`"RU"`), the tile key (`"6/38/20"`) or `"CC/City"`.
    pub id: String,
    /// Representative point of the cell.
    pub location: GeoPoint,
    /// Country of the cell, when known (always for country cells).
    pub country: Option<CountryCode>,
    /// Continent of the cell, when known.
    pub continent: Option<Continent>,
    /// Requests counted.
    pub requests: u64,
    /// Response bytes counted.
    pub bytes: u64,
    /// Distinct client addresses seen.
    pub unique_clients: u64,
}

impl DemandCell {
    /// The cell's weight under `weighting`.
    pub fn weight(&self, weighting: Weighting) -> f64 {
        match weighting {
            Weighting::Requests => self.requests as f64,
            Weighting::Bytes => self.bytes as f64,
            Weighting::Clients => self.unique_clients as f64,
        }
    }
}

/// What the cells are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum CellKind {
    /// One cell per country; located at the country's representative point (default).
    #[default]
    Country,
    /// One cell per web-mercator tile at `zoom` (the `geotile_grid` of Elasticsearch); located
    /// at the tile centre.
    Geotile {
        /// Zoom level 0..=29; tile edge ≈ 40 075 km / 2^zoom at the equator.
        zoom: u8,
    },
    /// One cell per (country, city) as the GeoIP database names it; located at the mean of the
    /// client coordinates.
    City,
}

impl fmt::Display for CellKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellKind::Country => f.write_str("country"),
            CellKind::Geotile { zoom } => write!(f, "geotile:{zoom}"),
            CellKind::City => f.write_str("city"),
        }
    }
}

impl FromStr for CellKind {
    type Err = Error;
    /// `country`, `city`, `geotile:Z` or `geotile` (zoom 6).
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "country" => Ok(CellKind::Country),
            "city" => Ok(CellKind::City),
            "geotile" => Ok(CellKind::Geotile { zoom: 6 }),
            _ => {
                if let Some(z) = s.strip_prefix("geotile:")
                    && let Ok(zoom) = z.parse::<u8>()
                    && zoom <= 29
                {
                    return Ok(CellKind::Geotile { zoom });
                }
                Err(Error::Parse {
                    what: "cell kind (country, city or geotile:Z with Z in 0..=29)",
                    value: s,
                })
            }
        }
    }
}

/// Which quantity weighs a cell in the objective and the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// Requests (default).
    #[default]
    Requests,
    /// Response bytes.
    Bytes,
    /// Distinct clients.
    Clients,
}

impl FromStr for Weighting {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "requests" => Ok(Weighting::Requests),
            "bytes" => Ok(Weighting::Bytes),
            "clients" | "unique_clients" => Ok(Weighting::Clients),
            _ => Err(Error::Parse {
                what: "weighting (requests, bytes or clients)",
                value: s.to_string(),
            }),
        }
    }
}

/// The largest count a demand cell may carry in `requests`, `bytes` or `unique_clients`:
/// 2⁵³, the largest integer every count and weight stays exact at as an `f64`. Larger values
/// are refused ([`Demand::new`]); sums of counts saturate instead of wrapping.
pub const MAX_COUNT: u64 = 1 << 53;

/// A set of demand cells of one kind, sorted by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Demand {
    /// What the cells are keyed by.
    pub kind: CellKind,
    /// The cells, sorted by id, ids unique.
    pub cells: Vec<DemandCell>,
    /// Requests and bytes of all cells per UTC clock hour, when the source had request times
    /// (logs, Elasticsearch); `None` for a demand read from a CSV, which has no time column.
    /// Absent in JSON written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly: Option<HourlyProfile>,
}

impl Demand {
    /// Checks and sorts cells.
    ///
    /// # Errors
    /// [`Error::DuplicateId`] for a repeated cell id, [`Error::InvalidCoordinate`] for a cell
    /// out of range, [`Error::InvalidWeight`] for a count above [`MAX_COUNT`] or totals that
    /// overflow.
    pub fn new(kind: CellKind, mut cells: Vec<DemandCell>) -> Result<Self> {
        cells.sort_by(|a, b| a.id.cmp(&b.id));
        for w in cells.windows(2) {
            if w[0].id == w[1].id {
                return Err(Error::DuplicateId {
                    kind: "demand cell",
                    id: w[0].id.clone(),
                });
            }
        }
        let mut totals = [0u64; 3];
        for c in &cells {
            c.location.validate()?;
            let fields = [
                ("requests", c.requests),
                ("bytes", c.bytes),
                ("unique_clients", c.unique_clients),
            ];
            for (total, (what, value)) in totals.iter_mut().zip(fields) {
                if value > MAX_COUNT {
                    return Err(Error::InvalidWeight {
                        what,
                        id: c.id.clone(),
                        value: value as f64,
                    });
                }
                *total = total
                    .checked_add(value)
                    .ok_or_else(|| Error::InvalidWeight {
                        what,
                        id: format!("the total up to cell {}", c.id),
                        value: *total as f64 + value as f64,
                    })?;
            }
        }
        Ok(Demand {
            kind,
            cells,
            hourly: None,
        })
    }

    /// Sets the hourly profile (an empty one counts as none).
    pub fn with_hourly(mut self, hourly: HourlyProfile) -> Self {
        self.hourly = (!hourly.is_empty()).then_some(hourly);
        self
    }

    /// The hour with the most bytes (the earliest of equal hours); `None` without an hourly
    /// profile.
    pub fn busiest_hour(&self) -> Option<PeakHour> {
        self.hourly.as_ref()?.busiest()
    }

    /// Mean bytes per hour over the profile's covered span (first to last hour inclusive,
    /// empty hours counting as zero; see [`hourly`](crate::hourly)); `None` without an hourly
    /// profile.
    pub fn mean_bytes_per_hour(&self) -> Option<f64> {
        self.hourly.as_ref()?.mean_bytes_per_hour()
    }

    /// Bytes of the busiest hour over the mean per hour; `None` without an hourly profile,
    /// with fewer than 2 hours in its span, or without bytes.
    pub fn peak_to_mean(&self) -> Option<f64> {
        self.hourly.as_ref()?.peak_to_mean()
    }

    /// Total weight under `weighting`.
    pub fn total(&self, weighting: Weighting) -> f64 {
        self.cells.iter().map(|c| c.weight(weighting)).sum()
    }

    /// Total requests.
    pub fn total_requests(&self) -> u64 {
        self.cells.iter().map(|c| c.requests).sum()
    }

    /// Checks that there is something to plan for.
    ///
    /// # Errors
    /// [`Error::EmptyDemand`] when there are no cells or the total weight is zero.
    pub fn ensure_not_empty(&self, weighting: Weighting) -> Result<()> {
        if self.cells.is_empty() {
            return Err(Error::EmptyDemand(
                "no demand cells (check the time window, status and path filters)".into(),
            ));
        }
        if self.total(weighting) <= 0.0 {
            return Err(Error::EmptyDemand(format!(
                "all {} cells have zero {weighting:?} weight",
                self.cells.len()
            )));
        }
        Ok(())
    }
}

/// Where one request comes from, already resolved to a cell.
#[derive(Debug, Clone, PartialEq)]
pub struct CellKey {
    /// Cell id (see [`DemandCell::id`]).
    pub id: String,
    /// Representative point; for [`CellKind::City`] the aggregator averages these.
    pub location: GeoPoint,
    /// Country, when known.
    pub country: Option<CountryCode>,
    /// Continent, when known.
    pub continent: Option<Continent>,
}

/// Index of a cell interned in a [`DemandAggregator`].
pub type CellIndex = u32;

/// Coordinate sums are kept in fixed point (nano-degrees, i128) so that merging partial
/// aggregates is exact and the result does not depend on the order of records or workers.
const NANO: f64 = 1e9;

#[inline]
fn nano(deg: f64) -> i128 {
    (deg * NANO).round() as i128
}

#[derive(Debug, Clone, Default)]
struct Acc {
    requests: u64,
    bytes: u64,
    lat_sum: i128,
    lon_sum: i128,
    clients: FxHashSet<IpAddr>,
    counted_clients: u64,
}

/// Streams located requests into cells; merge partial aggregators from parallel workers
/// with [`DemandAggregator::merge`]. Distinct clients are counted exactly.
///
/// Requests recorded with a time also count in the hourly profile of the whole demand. The
/// hour being filled is kept apart and folded into the profile when the hour changes, so
/// time-ordered input costs one comparison per request.
#[derive(Debug, Clone)]
pub struct DemandAggregator {
    kind: CellKind,
    index: FxHashMap<String, CellIndex>,
    keys: Vec<CellKey>,
    accs: Vec<Acc>,
    hourly: HourlyProfile,
    /// The hour being filled (`hour_start / 3600`), and its counts.
    open_hour: i64,
    open: HourCounts,
}

impl DemandAggregator {
    /// An empty aggregator for cells of `kind`.
    pub fn new(kind: CellKind) -> Self {
        DemandAggregator {
            kind,
            index: FxHashMap::default(),
            keys: Vec::new(),
            accs: Vec::new(),
            hourly: HourlyProfile::default(),
            open_hour: 0,
            open: HourCounts::default(),
        }
    }

    /// The cell kind.
    pub fn kind(&self) -> CellKind {
        self.kind
    }

    /// Returns the index of the cell with `key.id`, creating it on first sight. Callers that see
    /// the same client often cache this index per address.
    pub fn intern(&mut self, key: CellKey) -> CellIndex {
        if let Some(&i) = self.index.get(&key.id) {
            return i;
        }
        let i = self.keys.len() as CellIndex;
        self.index.insert(key.id.clone(), i);
        self.keys.push(key);
        self.accs.push(Acc::default());
        i
    }

    /// Counts one request of `bytes` from `client` (located at `at`) in cell `cell`.
    #[inline]
    pub fn record(&mut self, cell: CellIndex, bytes: u64, client: IpAddr, at: GeoPoint) {
        let a = &mut self.accs[cell as usize];
        a.requests = a.requests.saturating_add(1);
        a.bytes = a.bytes.saturating_add(bytes);
        a.lat_sum += nano(at.lat);
        a.lon_sum += nano(at.lon);
        a.clients.insert(client);
    }

    /// Like [`DemandAggregator::record`], and counts the request in the hourly profile under
    /// the UTC clock hour holding `unix_s` (seconds since 1970-01-01T00:00Z).
    #[inline]
    pub fn record_at(
        &mut self,
        cell: CellIndex,
        bytes: u64,
        client: IpAddr,
        at: GeoPoint,
        unix_s: i64,
    ) {
        self.record(cell, bytes, client, at);
        let hour = unix_s.div_euclid(HOUR_S);
        if hour != self.open_hour {
            self.close_hour();
            self.open_hour = hour;
        }
        self.open.requests = self.open.requests.saturating_add(1);
        self.open.bytes = self.open.bytes.saturating_add(bytes);
    }

    /// Adds pre-aggregated counts to the hourly profile only (e.g. an Elasticsearch
    /// `date_histogram` bucket), under the UTC clock hour holding `unix_s`. The cells are
    /// recorded apart ([`DemandAggregator::record_aggregate`]); feed each request to both.
    pub fn record_hour(&mut self, unix_s: i64, requests: u64, bytes: u64) {
        self.hourly.add(unix_s, requests, bytes);
    }

    /// Folds the hour being filled into the profile.
    fn close_hour(&mut self) {
        let open = std::mem::take(&mut self.open);
        self.hourly
            .add(self.open_hour * HOUR_S, open.requests, open.bytes);
    }

    /// Adds pre-aggregated counts (e.g. from an Elasticsearch composite bucket). Distinct
    /// clients from separate aggregates are summed, so feed one aggregate per cell.
    pub fn record_aggregate(
        &mut self,
        key: CellKey,
        requests: u64,
        bytes: u64,
        unique_clients: u64,
    ) {
        let i = self.intern(key);
        let loc = self.keys[i as usize].location;
        let a = &mut self.accs[i as usize];
        a.requests = a.requests.saturating_add(requests);
        a.bytes = a.bytes.saturating_add(bytes);
        a.lat_sum += nano(loc.lat) * i128::from(requests);
        a.lon_sum += nano(loc.lon) * i128::from(requests);
        a.counted_clients = a.counted_clients.saturating_add(unique_clients);
    }

    /// Adds `requests` requests of `bytes` bytes in all from one `client` to the cell with
    /// `key` (e.g. an Elasticsearch composite bucket keyed by cell and client address). Unlike
    /// [`DemandAggregator::record_aggregate`] the client joins the cell's set of addresses, so
    /// distinct clients stay exact across calls, [`DemandAggregator::record`] and merges.
    pub fn record_client(&mut self, key: CellKey, client: IpAddr, requests: u64, bytes: u64) {
        let i = self.intern(key);
        let loc = self.keys[i as usize].location;
        let a = &mut self.accs[i as usize];
        a.requests = a.requests.saturating_add(requests);
        a.bytes = a.bytes.saturating_add(bytes);
        a.lat_sum += nano(loc.lat) * i128::from(requests);
        a.lon_sum += nano(loc.lon) * i128::from(requests);
        a.clients.insert(client);
    }

    /// Folds `other` into `self`, hourly profiles included.
    pub fn merge(&mut self, mut other: DemandAggregator) {
        other.close_hour();
        self.hourly.merge(&other.hourly);
        for (key, acc) in other.keys.into_iter().zip(other.accs) {
            let i = self.intern(key) as usize;
            let a = &mut self.accs[i];
            a.requests = a.requests.saturating_add(acc.requests);
            a.bytes = a.bytes.saturating_add(acc.bytes);
            a.lat_sum += acc.lat_sum;
            a.lon_sum += acc.lon_sum;
            a.counted_clients = a.counted_clients.saturating_add(acc.counted_clients);
            if a.clients.is_empty() {
                a.clients = acc.clients;
            } else {
                a.clients.extend(acc.clients);
            }
        }
    }

    /// Number of cells seen so far.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no cell was seen.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The finished cells, sorted by id, with the hourly profile when any request was
    /// recorded with a time.
    pub fn finish(mut self) -> Demand {
        self.close_hour();
        let kind = self.kind;
        let hourly = (!self.hourly.is_empty()).then_some(self.hourly);
        let mut cells: Vec<DemandCell> = self
            .keys
            .into_iter()
            .zip(self.accs)
            .filter(|(_, a)| a.requests > 0)
            .map(|(k, a)| {
                let location = if kind == CellKind::City && a.requests > 0 {
                    GeoPoint {
                        lat: a.lat_sum as f64 / NANO / a.requests as f64,
                        lon: a.lon_sum as f64 / NANO / a.requests as f64,
                    }
                } else {
                    k.location
                };
                DemandCell {
                    id: k.id,
                    location,
                    country: k.country,
                    continent: k.continent,
                    requests: a.requests,
                    bytes: a.bytes,
                    unique_clients: a.clients.len() as u64 + a.counted_clients,
                }
            })
            .collect();
        cells.sort_by(|a, b| a.id.cmp(&b.id));
        Demand {
            kind,
            cells,
            hourly,
        }
    }
}

/// Web-mercator tile of a point at `zoom`, as `(x, y)`; the same tiling as Elasticsearch's
/// `geotile_grid` (latitudes clamp to ±85.0511°).
pub fn geotile(p: &GeoPoint, zoom: u8) -> (u32, u32) {
    let n = f64::from(1u32 << zoom.min(29));
    let lat = p
        .lat
        .clamp(-85.051_128_779_806_59, 85.051_128_779_806_59)
        .to_radians();
    let x = ((p.lon + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    let max = n - 1.0;
    (x.clamp(0.0, max) as u32, y.clamp(0.0, max) as u32)
}

/// Key `"z/x/y"` of the tile holding `p`.
pub fn geotile_key(p: &GeoPoint, zoom: u8) -> String {
    let (x, y) = geotile(p, zoom);
    format!("{zoom}/{x}/{y}")
}

/// Centre of tile `z/x/y`.
pub fn geotile_centre(zoom: u8, x: u32, y: u32) -> GeoPoint {
    let n = f64::from(1u32 << zoom.min(29));
    let lon = (f64::from(x) + 0.5) / n * 360.0 - 180.0;
    let merc_y = std::f64::consts::PI * (1.0 - 2.0 * (f64::from(y) + 0.5) / n);
    let lat = merc_y.sinh().atan().to_degrees();
    GeoPoint { lat, lon }
}

/// Parses a `"z/x/y"` key into its centre.
///
/// # Errors
/// [`Error::Parse`] when the key is malformed or out of range.
pub fn parse_geotile_key(key: &str) -> Result<(u8, u32, u32)> {
    let bad = || Error::Parse {
        what: "geotile key z/x/y",
        value: key.to_string(),
    };
    let mut it = key.split('/');
    let z: u8 = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let x: u32 = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let y: u32 = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    if it.next().is_some() || z > 29 || u64::from(x) >= 1u64 << z || u64::from(y) >= 1u64 << z {
        return Err(bad());
    }
    Ok((z, x, y))
}

/// Requests, bytes and clients summed per continent (cells without a continent under `None`).
pub fn totals_by_continent(demand: &Demand) -> BTreeMap<Option<Continent>, (u64, u64, u64)> {
    let mut m = BTreeMap::new();
    for c in &demand.cells {
        let e = m.entry(c.continent).or_insert((0, 0, 0));
        e.0 += c.requests;
        e.1 += c.bytes;
        e.2 += c.unique_clients;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key(id: &str, lat: f64, lon: f64) -> CellKey {
        CellKey {
            id: id.into(),
            location: GeoPoint { lat, lon },
            country: CountryCode::new(&id[..2]).ok(),
            continent: Some(Continent::EU),
        }
    }

    #[test]
    fn client_aggregates_keep_distinct_clients_exact() {
        let ip1 = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4));
        let ip2 = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 5));
        let mut a = DemandAggregator::new(CellKind::Country);
        a.record_client(key("DE", 51.0, 10.0), ip1, 3, 30);
        a.record_client(key("DE", 51.0, 10.0), ip2, 1, 5);
        let mut b = DemandAggregator::new(CellKind::Country);
        let de = b.intern(key("DE", 51.0, 10.0));
        b.record(
            de,
            7,
            ip1,
            GeoPoint {
                lat: 51.0,
                lon: 10.0,
            },
        );
        a.merge(b);
        let d = a.finish();
        let c = &d.cells[0];
        assert_eq!((c.requests, c.bytes, c.unique_clients), (5, 42, 2));
    }

    #[test]
    fn aggregates_and_counts_distinct_clients() {
        let mut a = DemandAggregator::new(CellKind::Country);
        let de = a.intern(key("DE", 51.0, 10.0));
        let fr = a.intern(key("FR", 46.0, 2.0));
        assert_eq!(a.intern(key("DE", 0.0, 0.0)), de);
        let ip1 = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4));
        let ip2 = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 5));
        a.record(
            de,
            100,
            ip1,
            GeoPoint {
                lat: 51.0,
                lon: 10.0,
            },
        );
        a.record(
            de,
            50,
            ip1,
            GeoPoint {
                lat: 51.0,
                lon: 10.0,
            },
        );
        a.record(
            fr,
            7,
            ip2,
            GeoPoint {
                lat: 46.0,
                lon: 2.0,
            },
        );
        let d = a.finish();
        assert_eq!(d.cells.len(), 2);
        assert_eq!(d.cells[0].id, "DE");
        assert_eq!(
            (
                d.cells[0].requests,
                d.cells[0].bytes,
                d.cells[0].unique_clients
            ),
            (2, 150, 1)
        );
        assert_eq!(d.total_requests(), 3);
    }

    #[test]
    fn merge_equals_single_pass() {
        let ips: Vec<IpAddr> = (0..50u8)
            .map(|i| IpAddr::V4(Ipv4Addr::new(10, 0, 0, i % 7)))
            .collect();
        let mut whole = DemandAggregator::new(CellKind::Country);
        let mut left = DemandAggregator::new(CellKind::Country);
        let mut right = DemandAggregator::new(CellKind::Country);
        for (n, ip) in ips.iter().enumerate() {
            let id = if n % 3 == 0 { "DE" } else { "FR" };
            let p = GeoPoint { lat: 1.0, lon: 1.0 };
            // Times jump back and forth across hours, as batches from parallel workers do.
            let t = 1_686_700_800 + (n as i64 * 7_919) % 20_000;
            let i = whole.intern(key(id, 1.0, 1.0));
            whole.record_at(i, n as u64, *ip, p, t);
            let part = if n % 2 == 0 { &mut left } else { &mut right };
            let j = part.intern(key(id, 1.0, 1.0));
            part.record_at(j, n as u64, *ip, p, t);
        }
        left.merge(right);
        let (merged, whole) = (left.finish(), whole.finish());
        assert_eq!(merged, whole);
        let hourly = whole.hourly.unwrap();
        assert_eq!(hourly.span_hours(), 6);
        assert_eq!(hourly.total_requests(), 50);
        assert_eq!(hourly.total_bytes(), (0..50).sum::<u64>());
    }

    mod hourly {
        use super::*;

        const H0: i64 = 1_686_700_800; // 2023-06-14 00:00 UTC

        #[test]
        fn record_at_counts_every_request_in_its_hour() {
            let mut a = DemandAggregator::new(CellKind::Country);
            let de = a.intern(key("DE", 51.0, 10.0));
            let p = GeoPoint { lat: 1.0, lon: 1.0 };
            let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
            for (t, b) in [(10, 5), (3_599, 5), (3_600, 40), (-1, 2), (30, 0)] {
                a.record_at(de, b, ip, p, H0 + t);
            }
            a.record_hour(H0 + 7_200, 3, 1_000);
            let d = a.finish();
            let h = &d.hourly.as_ref().unwrap().hours;
            let rows: Vec<(i64, u64, u64)> = h
                .iter()
                .map(|(&k, c)| (k - H0, c.requests, c.bytes))
                .collect();
            assert_eq!(
                rows,
                [
                    (-3_600, 1, 2),
                    (0, 3, 10),
                    (3_600, 1, 40),
                    (7_200, 3, 1_000)
                ]
            );
            assert_eq!(d.busiest_hour().unwrap().start_s, H0 + 7_200);
            assert_eq!(d.mean_bytes_per_hour(), Some(1_052.0 / 4.0));
            assert_eq!(d.peak_to_mean(), Some(1_000.0 / 263.0));
        }

        #[test]
        fn requests_without_times_leave_no_profile() {
            let mut a = DemandAggregator::new(CellKind::Country);
            let de = a.intern(key("DE", 51.0, 10.0));
            a.record(
                de,
                9,
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                GeoPoint { lat: 1.0, lon: 1.0 },
            );
            let d = a.finish();
            assert_eq!(d.hourly, None);
            assert_eq!((d.busiest_hour(), d.peak_to_mean()), (None, None));
        }

        #[test]
        fn json_without_a_profile_still_parses_and_one_round_trips() {
            let old = r#"{"kind":{"kind":"country"},"cells":[]}"#;
            let d: Demand = serde_json::from_str(old).unwrap();
            assert_eq!(d, Demand::default());
            assert_eq!(serde_json::to_string(&d).unwrap(), old);
            let mut p = HourlyProfile::default();
            p.add(H0, 2, 30);
            let d = d.with_hourly(p);
            let s = serde_json::to_string(&d).unwrap();
            assert!(s.contains(r#""hourly":{"1686700800":{"requests":2,"bytes":30}}"#));
            assert_eq!(serde_json::from_str::<Demand>(&s).unwrap(), d);
        }
    }

    #[test]
    fn city_means_do_not_depend_on_record_order() {
        let pts: Vec<GeoPoint> = (0..200)
            .map(|i| GeoPoint {
                lat: 50.0 + f64::from(i) * 0.013_7,
                lon: 30.0 - f64::from(i) * 0.009_1,
            })
            .collect();
        let run = |order: &mut dyn Iterator<Item = &GeoPoint>| {
            let mut a = DemandAggregator::new(CellKind::City);
            let c = a.intern(key("UA/Kyiv", 50.0, 30.0));
            for p in order {
                a.record(c, 1, IpAddr::V4(Ipv4Addr::LOCALHOST), *p);
            }
            a.finish().cells[0].location
        };
        assert_eq!(run(&mut pts.iter()), run(&mut pts.iter().rev()));
    }

    #[test]
    fn geotile_matches_elasticsearch_keys() {
        // Keys computed by Elasticsearch's geotile_grid for these points.
        let berlin = GeoPoint {
            lat: 52.52,
            lon: 13.405,
        };
        assert_eq!(geotile_key(&berlin, 0), "0/0/0");
        assert_eq!(geotile_key(&berlin, 6), "6/34/20");
        let sp = GeoPoint {
            lat: -23.55,
            lon: -46.63,
        };
        assert_eq!(geotile_key(&sp, 4), "4/5/9");
        let (z, x, y) = parse_geotile_key("6/34/20").unwrap();
        let c = geotile_centre(z, x, y);
        assert_eq!(geotile_key(&c, 6), "6/34/20");
        assert!(parse_geotile_key("2/4/0").is_err());
    }

    #[test]
    fn cell_kind_parses() {
        assert_eq!(
            "geotile:7".parse::<CellKind>().unwrap(),
            CellKind::Geotile { zoom: 7 }
        );
        assert!("geotile:30".parse::<CellKind>().is_err());
        assert!("state".parse::<CellKind>().is_err());
    }

    #[test]
    fn empty_demand_is_an_error() {
        let d = Demand::new(CellKind::Country, vec![]).unwrap();
        assert!(matches!(
            d.ensure_not_empty(Weighting::Requests),
            Err(Error::EmptyDemand(_))
        ));
    }
}
