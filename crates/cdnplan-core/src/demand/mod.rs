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

/// The largest growth factor [`Demand::grown`] accepts.
pub const MAX_GROWTH: f64 = 1000.0;

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

    /// The demand with each listed country's cells scaled by its factor ("what if Russia's
    /// traffic halves?": `RU → 0.5`): requests, bytes and distinct clients, rounded to whole
    /// counts. Cells of other or unknown countries are unchanged. The hourly profile has no
    /// countries: every hour is scaled by the change of the totals, so it keeps its shape and
    /// the busiest hour its share (the peak-to-mean factor a capacity plan reads).
    ///
    /// # Errors
    /// [`Error::InvalidWeight`] for a factor that is not finite, negative or above
    /// [`MAX_GROWTH`], and [`Demand::new`]'s for counts that would leave the exact range.
    pub fn grown(&self, growth: &BTreeMap<CountryCode, f64>) -> Result<Demand> {
        for (cc, &f) in growth {
            if !(f.is_finite() && (0.0..=MAX_GROWTH).contains(&f)) {
                return Err(Error::InvalidWeight {
                    what: "growth factor (0 to 1000)",
                    id: cc.to_string(),
                    value: f,
                });
            }
        }
        let scale = |n: u64, f: f64| {
            let v = (n as f64 * f).round();
            if v >= u64::MAX as f64 {
                u64::MAX
            } else {
                v as u64
            }
        };
        let cells = self
            .cells
            .iter()
            .map(|c| match c.country.and_then(|cc| growth.get(&cc)) {
                Some(&f) => DemandCell {
                    requests: scale(c.requests, f),
                    bytes: scale(c.bytes, f),
                    unique_clients: scale(c.unique_clients, f),
                    ..c.clone()
                },
                None => c.clone(),
            })
            .collect();
        let mut grown = Demand::new(self.kind, cells)?;
        let ratio = |f: fn(&DemandCell) -> u64| {
            let before: f64 = self.cells.iter().map(|c| f(c) as f64).sum();
            let after: f64 = grown.cells.iter().map(|c| f(c) as f64).sum();
            if before > 0.0 { after / before } else { 1.0 }
        };
        let (requests, bytes) = (ratio(|c| c.requests), ratio(|c| c.bytes));
        grown.hourly = self.hourly.as_ref().map(|h| {
            let mut h = h.clone();
            for counts in h.hours.values_mut() {
                counts.requests = scale(counts.requests, requests);
                counts.bytes = scale(counts.bytes, bytes);
            }
            h
        });
        Ok(grown)
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
        let a = self.add_requests(key, requests, bytes);
        a.counted_clients = a.counted_clients.saturating_add(unique_clients);
    }

    /// Adds `requests` requests of `bytes` bytes in all from one `client` to the cell with
    /// `key` (e.g. an Elasticsearch composite bucket keyed by cell and client address). Unlike
    /// [`DemandAggregator::record_aggregate`] the client joins the cell's set of addresses, so
    /// distinct clients stay exact across calls, [`DemandAggregator::record`] and merges.
    pub fn record_client(&mut self, key: CellKey, client: IpAddr, requests: u64, bytes: u64) {
        self.add_requests(key, requests, bytes)
            .clients
            .insert(client);
    }

    /// Adds `requests` requests of `bytes` bytes at the location of the cell with `key`;
    /// returns its accumulator for the clients.
    fn add_requests(&mut self, key: CellKey, requests: u64, bytes: u64) -> &mut Acc {
        let i = self.intern(key);
        let loc = self.keys[i as usize].location;
        let a = &mut self.accs[i as usize];
        a.requests = a.requests.saturating_add(requests);
        a.bytes = a.bytes.saturating_add(bytes);
        a.lat_sum += nano(loc.lat) * i128::from(requests);
        a.lon_sum += nano(loc.lon) * i128::from(requests);
        a
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
mod tests;
