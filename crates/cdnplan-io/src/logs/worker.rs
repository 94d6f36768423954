//! A worker: turns batches of lines into a partial demand and report.
//!
//! Each worker owns its scratch space: a [`DemandAggregator`] (cells and the hourly profile),
//! a cache from client address to cell, per-country and per-tile cell indices, and a GeoIP
//! record cache.

use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender};

use cdnplan_core::demand::{CellIndex, geotile, geotile_centre};
use cdnplan_core::{CellKey, CellKind, Continent, CountryCode, DemandAggregator, GeoPoint};
use rustc_hash::FxHashMap;

use super::combined;
use super::mapping::{LogFormat, Slot};
use super::pool::{Chunk, Pos, Problem, Shared, chunk_key};
use super::reader::{OVERLONG_LINE, overlong_reason};
use super::record::{Bad, Captures, Filtered, Outcome, Request};
use crate::error::{Error, Result};
use crate::geoip::GeoIpCache;

/// Where a client ended up.
#[derive(Debug, Clone, Copy)]
pub(super) enum Placed {
    /// In a cell, at a point; `true` when the point is only the country's (no coordinates
    /// for the client, in cells that need them).
    At(CellIndex, GeoPoint, bool),
    Unlocated(Unlocated),
}

/// Why a client could not be placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Unlocated {
    NoRecord,
    /// An IPv6 client and a database that holds IPv4 networks only.
    Ipv6OnIpv4Database,
    Private,
    NoCountry,
    UnknownCountry(CountryCode),
}

impl Unlocated {
    pub(super) fn key(self) -> String {
        match self {
            Unlocated::NoRecord => "no GeoIP record".into(),
            Unlocated::Ipv6OnIpv4Database => {
                "IPv6 address, but the GeoIP database holds IPv4 networks only".into()
            }
            Unlocated::Private => "private or reserved address".into(),
            Unlocated::NoCountry => "GeoIP record without a country".into(),
            Unlocated::UnknownCountry(c) => format!("country {c} not in the country table"),
        }
    }
}

/// A worker's partial results.
pub(super) struct State {
    pub(super) agg: DemandAggregator,
    pub(super) lines: u64,
    pub(super) records: u64,
    pub(super) counted: u64,
    pub(super) without_bytes: u64,
    /// Located requests placed at their country's point in geotile or city cells.
    pub(super) at_country_point: u64,
    pub(super) filtered: FxHashMap<Filtered, u64>,
    pub(super) by_node: FxHashMap<String, u64>,
    pub(super) unlocated_by_reason: FxHashMap<Unlocated, u64>,
    pub(super) unlocated_first: FxHashMap<IpAddr, (Pos, Unlocated)>,
    pub(super) skipped: u64,
    pub(super) skipped_by_reason: FxHashMap<String, u64>,
    /// The earliest few problems (all in strict mode: at most one per batch).
    pub(super) problems: Vec<Problem>,
    pub(super) chunk_lines: Vec<(u32, u32, u64)>,
    pub(super) time: Option<(i64, i64)>,
    pub(super) fatal: Option<Error>,
}

pub(super) const EXAMPLES: usize = 5;

pub(super) struct Worker<'s, 'g> {
    shared: &'s Shared<'g>,
    geo: GeoIpCache<'g>,
    clients: FxHashMap<IpAddr, Placed>,
    country_cells: FxHashMap<CountryCode, CellIndex>,
    tile_cells: FxHashMap<(u32, u32), CellIndex>,
    pub(super) state: State,
}

impl<'s, 'g> Worker<'s, 'g> {
    pub(super) fn new(shared: &'s Shared<'g>) -> Self {
        Worker {
            shared,
            geo: GeoIpCache::new(shared.geoip),
            clients: FxHashMap::default(),
            country_cells: FxHashMap::default(),
            tile_cells: FxHashMap::default(),
            state: State {
                agg: DemandAggregator::new(shared.opts.cells),
                lines: 0,
                records: 0,
                counted: 0,
                without_bytes: 0,
                at_country_point: 0,
                filtered: FxHashMap::default(),
                by_node: FxHashMap::default(),
                unlocated_by_reason: FxHashMap::default(),
                unlocated_first: FxHashMap::default(),
                skipped: 0,
                skipped_by_reason: FxHashMap::default(),
                problems: Vec::new(),
                chunk_lines: Vec::new(),
                time: None,
                fatal: None,
            },
        }
    }

    pub(super) fn drain(&mut self, rx: &Mutex<Receiver<Chunk>>, pool: &Sender<Vec<u8>>) {
        loop {
            let chunk = match rx.lock() {
                Ok(r) => r.recv(),
                Err(_) => return,
            };
            let Ok(chunk) = chunk else { return };
            if !self.shared.stopped_before(chunk.key()) && self.state.fatal.is_none() {
                self.process(&chunk);
            }
            let _ = pool.send(chunk.data);
        }
    }

    fn process(&mut self, chunk: &Chunk) {
        let data = &chunk.data[..];
        let mut pos = Pos {
            file: chunk.file,
            seq: chunk.seq,
            line: 0,
            hit: 0,
        };
        if chunk.whole {
            let lines = memchr::memchr_iter(b'\n', data).count() as u64
                + u64::from(data.last().is_some_and(|&b| b != b'\n'));
            self.state.lines += lines;
            self.state.chunk_lines.push((chunk.file, chunk.seq, lines));
            self.record(data, pos);
            return;
        }
        let mut start = 0;
        let mut n = 0u64;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
            let mut line = &data[start..end];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            pos.line = n;
            n += 1;
            start = end + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if !self.record(line, pos) {
                break;
            }
        }
        self.state.lines += n;
        self.state.chunk_lines.push((chunk.file, chunk.seq, n));
    }

    /// Handles one record; `false` when the batch should stop (strict error or fatal).
    fn record(&mut self, line: &[u8], pos: Pos) -> bool {
        let shared = self.shared;
        if line == OVERLONG_LINE || line.len() > shared.opts.max_line_bytes {
            self.state.records += 1;
            return self.problem(Problem {
                pos,
                slot: None,
                reason: overlong_reason(shared.opts.max_line_bytes),
                got: None,
            });
        }
        let mut caps = Captures::default();
        let parsed = match shared.opts.format {
            LogFormat::Ndjson | LogFormat::EsHits => match &shared.json {
                Some(x) => x
                    .extract(line, &mut caps)
                    .map_err(|e| format!("malformed JSON: {e}{}", combined_hint(line))),
                None => Err("no JSON extractor".to_string()),
            },
            LogFormat::Csv => match (
                std::str::from_utf8(line),
                shared.files[pos.file as usize]
                    .1
                    .get()
                    .and_then(|h| h.csv.as_ref()),
            ) {
                (Ok(text), Some(cols)) => cols
                    .extract(text, &mut caps)
                    .map_err(|e| format!("malformed CSV: {e}")),
                (Err(_), _) => Err("not UTF-8 text".into()),
                (_, None) => Err("no CSV header".into()),
            },
            LogFormat::Combined => match std::str::from_utf8(line) {
                Ok(text) => combined::extract(text, &mut caps)
                    .map_err(|e| format!("malformed log line: {e}")),
                Err(_) => Err("not UTF-8 text".into()),
            },
        };
        if let Err(reason) = parsed {
            self.state.records += 1;
            return self.problem(Problem {
                pos,
                slot: None,
                reason,
                got: Some(String::from_utf8_lossy(line).into_owned()),
            });
        }
        if caps.get(Slot::Hits).is_some()
            && let Some(x) = &shared.json
        {
            let outcome = x.for_each_hit(line, |i, c| {
                let p = Pos {
                    hit: i as u32 + 1,
                    ..pos
                };
                if self.captured(c, p) { Ok(()) } else { Err(()) }
            });
            return match outcome {
                Ok(Ok(())) => true,
                Ok(Err(())) => false,
                Err(reason) => {
                    self.state.records += 1;
                    self.problem(Problem {
                        pos,
                        slot: None,
                        reason: format!("malformed _search response: {reason}"),
                        got: None,
                    })
                }
            };
        }
        self.captured(&caps, pos)
    }

    fn captured(&mut self, caps: &Captures<'_>, pos: Pos) -> bool {
        self.state.records += 1;
        match caps.request(&self.shared.opts.filter) {
            Err(Bad { slot, reason, got }) => self.problem(Problem {
                pos,
                slot: Some(slot),
                reason: reason.to_string(),
                got,
            }),
            Ok(Outcome::Filtered(f)) => {
                *self.state.filtered.entry(f).or_insert(0) += 1;
                true
            }
            Ok(Outcome::Request(r)) => self.count(&r, pos),
        }
    }

    /// Records a bad record; `false` in strict mode.
    fn problem(&mut self, p: Problem) -> bool {
        let s = &mut self.state;
        if self.shared.opts.lenient {
            s.skipped += 1;
            let key = match p.slot {
                Some(slot) => format!(
                    "field `{}`: {}",
                    self.shared
                        .opts
                        .mapping
                        .describe(slot, self.shared.opts.format),
                    p.reason
                ),
                None => p
                    .reason
                    .split(':')
                    .next()
                    .unwrap_or("malformed")
                    .to_string(),
            };
            *s.skipped_by_reason.entry(key).or_insert(0) += 1;
            if s.problems.len() < EXAMPLES || s.problems.last().is_some_and(|l| p.pos < l.pos) {
                let at = s.problems.partition_point(|q| q.pos < p.pos);
                s.problems.insert(at, p);
                s.problems.truncate(EXAMPLES);
            }
            true
        } else {
            self.shared.stop_at(chunk_key(p.pos.file, p.pos.seq));
            s.problems.push(p);
            false
        }
    }

    fn count(&mut self, r: &Request<'_>, pos: Pos) -> bool {
        let s = &mut self.state;
        s.counted += 1;
        s.time = Some(match s.time {
            None => (r.time_ms, r.time_ms),
            Some((a, b)) => (a.min(r.time_ms), b.max(r.time_ms)),
        });
        if r.bytes.is_none() {
            s.without_bytes += 1;
        }
        if let Some(node) = r.node {
            match s.by_node.get_mut(node) {
                Some(c) => *c += 1,
                None => {
                    s.by_node.insert(node.to_string(), 1);
                }
            }
        }
        let placed = if r.geo.is_some() || r.country.is_some() {
            match self.place_record(r) {
                Ok(p) => p,
                Err(e) => {
                    self.state.fatal = Some(e);
                    self.shared.stop_at(0);
                    return false;
                }
            }
        } else if let Some(p) = self.clients.get(&r.ip) {
            *p
        } else {
            let p = match self.locate(r.ip) {
                Ok(p) => p,
                Err(e) => {
                    self.state.fatal = Some(e);
                    self.shared.stop_at(0);
                    return false;
                }
            };
            self.clients.insert(r.ip, p);
            p
        };
        match placed {
            Placed::At(cell, at, at_country_point) => {
                self.state.at_country_point += u64::from(at_country_point);
                let unix_s = r.time_ms.div_euclid(1000);
                let bytes = r.bytes.unwrap_or(0);
                self.state.agg.record_at(cell, bytes, r.ip, at, unix_s);
            }
            Placed::Unlocated(why) => {
                let s = &mut self.state;
                *s.unlocated_by_reason.entry(why).or_insert(0) += 1;
                s.unlocated_first
                    .entry(r.ip)
                    .and_modify(|e| {
                        if pos < e.0 {
                            *e = (pos, why);
                        }
                    })
                    .or_insert((pos, why));
            }
        }
        true
    }

    /// Places a request whose record carries a location or country: the record's values win,
    /// the database fills in what they lack (coordinates and city only when it agrees on the
    /// country).
    fn place_record(&mut self, r: &Request<'_>) -> Result<Placed> {
        let cells = self.shared.opts.cells;
        let need_db = match cells {
            CellKind::Geotile { .. } => r.geo.is_none(),
            CellKind::City => true,
            _ => r.country.is_none(),
        };
        let db = if need_db {
            self.geo.lookup(r.ip)?.cloned()
        } else {
            None
        };
        let country = r.country.or(db.as_ref().and_then(|l| l.country));
        let agrees = db.as_ref().filter(|l| l.country == country);
        let point = r.geo.or(agrees.and_then(|l| l.location));
        let city = agrees.and_then(|l| l.city.clone());
        let continent = agrees.and_then(|l| l.continent);
        if country.is_none() && point.is_none() && db.is_none() {
            return Ok(Placed::Unlocated(self.why_no_record(r.ip)));
        }
        Ok(self.place(country, point, city.as_deref(), continent))
    }

    fn locate(&mut self, ip: IpAddr) -> Result<Placed> {
        let Some(l) = self.geo.lookup(ip)? else {
            return Ok(Placed::Unlocated(self.why_no_record(ip)));
        };
        let (country, location, continent) = (l.country, l.location, l.continent);
        let city = l.city.clone();
        Ok(self.place(country, location, city.as_deref(), continent))
    }

    /// Why the database has no record for `ip`.
    fn why_no_record(&self, ip: IpAddr) -> Unlocated {
        if is_private(ip) {
            Unlocated::Private
        } else if ip.to_canonical().is_ipv6() && !self.geo.geoip().is_ipv6() {
            Unlocated::Ipv6OnIpv4Database
        } else {
            Unlocated::NoRecord
        }
    }

    fn place(
        &mut self,
        country: Option<CountryCode>,
        point: Option<GeoPoint>,
        city: Option<&str>,
        continent: Option<Continent>,
    ) -> Placed {
        let countries = self.shared.countries;
        let known = country.map(|c| (c, countries.get(c)));
        match self.shared.opts.cells {
            CellKind::Geotile { zoom } => {
                let (p, approximate) = match (point, known) {
                    (Some(p), _) => (p, false),
                    (None, Some((_, Some(c)))) => (c.location, true),
                    (None, Some((cc, None))) => {
                        return Placed::Unlocated(Unlocated::UnknownCountry(cc));
                    }
                    (None, None) => return Placed::Unlocated(Unlocated::NoCountry),
                };
                let (x, y) = geotile(&p, zoom);
                let agg = &mut self.state.agg;
                let cell = *self.tile_cells.entry((x, y)).or_insert_with(|| {
                    agg.intern(CellKey {
                        id: format!("{zoom}/{x}/{y}"),
                        location: geotile_centre(zoom, x, y),
                        country: None,
                        continent: None,
                    })
                });
                Placed::At(cell, p, approximate)
            }
            CellKind::City => {
                let (cc, c) = match known {
                    Some((cc, Some(c))) => (cc, c),
                    Some((cc, None)) => return Placed::Unlocated(Unlocated::UnknownCountry(cc)),
                    None => return Placed::Unlocated(Unlocated::NoCountry),
                };
                let (at, approximate) = match point {
                    Some(p) => (p, false),
                    None => (c.location, true),
                };
                let id = format!("{cc}/{}", city.unwrap_or("?"));
                let cell = self.state.agg.intern(CellKey {
                    id,
                    location: at,
                    country: Some(cc),
                    continent: continent.or(Some(c.continent)),
                });
                Placed::At(cell, at, approximate)
            }
            // Country cells (and any kind added later) sit at the country's point.
            _ => {
                let (cc, c) = match known {
                    Some((cc, Some(c))) => (cc, c),
                    Some((cc, None)) => return Placed::Unlocated(Unlocated::UnknownCountry(cc)),
                    None => return Placed::Unlocated(Unlocated::NoCountry),
                };
                let agg = &mut self.state.agg;
                let cell = *self.country_cells.entry(cc).or_insert_with(|| {
                    agg.intern(CellKey {
                        id: cc.to_string(),
                        location: c.location,
                        country: Some(cc),
                        continent: Some(c.continent),
                    })
                });
                Placed::At(cell, c.location, false)
            }
        }
    }
}

/// Private, loopback, link-local, shared (CGNAT), unique-local, documentation and unspecified
/// addresses.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_documentation()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            v.is_loopback()
                || v.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

/// For a line that is not JSON but reads as a combined/common access log line: which preset
/// reads it (the library's setting; the command line adds its flag).
pub(crate) fn combined_hint(line: &[u8]) -> &'static str {
    let mut caps = Captures::default();
    match std::str::from_utf8(line) {
        Ok(text) if combined::extract(text.trim_end(), &mut caps).is_ok() => {
            " (the line reads as a combined access log: set the preset to `combined`)"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geoip::GeoIp;
    use crate::logs::IngestOptions;
    use crate::logs::csv::CsvColumns;
    use crate::logs::mapping::Preset;
    use crate::logs::ndjson::JsonExtractor;
    use crate::logs::pool::FileHead;
    use cdnplan_core::{Countries, Country};
    use proptest::prelude::*;
    use std::path::PathBuf;
    use std::sync::OnceLock;
    use std::sync::atomic::AtomicU64;

    fn countries() -> Countries {
        Countries::new([Country {
            code: CountryCode::new("GB").unwrap(),
            iso3: "GBR".into(),
            name: "United Kingdom".into(),
            continent: Continent::EU,
            location: GeoPoint {
                lat: 51.5,
                lon: -0.13,
            },
            population: 1,
            internet_users: 1,
        }])
        .unwrap()
    }

    /// Feeds `line` through a worker of every format, strict and lenient.
    fn feed(line: &[u8], geoip: &GeoIp, countries: &Countries) {
        for preset in Preset::ALL {
            for lenient in [false, true] {
                let opts = IngestOptions::new(preset)
                    .lenient(lenient)
                    .cells(CellKind::City);
                let head = OnceLock::new();
                let _ = head.set(FileHead {
                    csv: CsvColumns::new("timestamp,url,client_ip,status,bytes", &opts.mapping)
                        .ok(),
                    skip_lines: 1,
                });
                let shared = Shared {
                    opts: &opts,
                    geoip,
                    countries,
                    json: Some(JsonExtractor::new(&opts.mapping, opts.format)),
                    files: vec![(PathBuf::from("x.log"), head)],
                    min_err: AtomicU64::new(u64::MAX),
                    bytes_read: AtomicU64::new(0),
                    bytes_decoded: AtomicU64::new(0),
                };
                let mut w = Worker::new(&shared);
                w.process(&Chunk {
                    file: 0,
                    seq: 0,
                    data: line.to_vec(),
                    whole: false,
                });
                let want = line.iter().filter(|&&b| b == b'\n').count() as u64
                    + u64::from(line.last().is_some_and(|&b| b != b'\n'));
                if lenient {
                    // Every line is accounted for.
                    assert_eq!(w.state.lines, want);
                    let s = &w.state;
                    let filtered: u64 = s.filtered.values().sum();
                    assert_eq!(s.records, s.counted + filtered + s.skipped);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let geoip = GeoIp::from_bytes(crate::geoip::tests::geoip2_db(), "t.mmdb").unwrap();
            feed(&bytes, &geoip, &countries());
        }

        #[test]
        fn mutated_records_never_panic(cut in 0usize..400, byte in any::<u8>()) {
            let geoip = GeoIp::from_bytes(crate::geoip::tests::geoip2_db(), "t.mmdb").unwrap();
            let line = r#"{"@timestamp":"2023-05-12T00:00:01.000Z","_source":{"x":1},"fields":{"meta":{"req":{"url":"/api/v1/assets/1","headers":{"x-forwarded-for":"81.2.69.160"}},"res":{"statusCode":200,"headers":{"content-length":"12"}}}},"client":{"ip":"81.2.69.1","geo":{"location":[1,2]}}}"#;
            let mut b = line.as_bytes().to_vec();
            let i = cut % b.len();
            b[i] = byte;
            feed(&b, &geoip, &countries());
            feed(&b[..i], &geoip, &countries());
        }
    }
}
