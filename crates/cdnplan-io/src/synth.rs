//! Deterministic synthetic request logs in the Argus 2023 layout.
//!
//! [`write_ndjson`] writes one JSON document per request, shaped as winston-elasticsearch
//! stored Argus (Joystream distributor) request logs in 2023 and as
//! [`Preset::Argus`](crate::logs::Preset::Argus) reads them:
//!
//! ```text
//! {"@timestamp":"2023-05-12T00:00:00.000Z","message":"HTTP GET /api/v1/assets/17","severity":"http",
//!  "fields":{"label":"PublicApi","meta":{"req":{"url":"/api/v1/assets/17","headers":{"host":"…",
//!  "x-forwarded-for":"203.0.113.7","user-agent":"…"},"method":"GET","httpVersion":"1.1",
//!  "originalUrl":"/api/v1/assets/17","query":{}},"res":{"statusCode":200,"headers":{
//!  "content-length":"1048576","content-type":"video/mp4","x-cache":"hit","x-data-source":"local"}},
//!  "responseTime":12,"prematurelyClosed":false}}}
//! ```
//!
//! # The generator, step by step
//!
//! All randomness comes from `rand_pcg::Pcg64` streams seeded with
//! `Pcg64::seed_from_u64(seed)` (set-up) and `seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15)`
//! (requests); uniform numbers are formed from the raw 64-bit outputs (`u = (x >> 11) · 2⁻⁵³`,
//! integers by 128-bit multiply-high), so the output depends only on the spec, the GeoIP
//! database and the PCG stream: the same inputs give byte-identical files.
//!
//! 1. **Country weights.** Each explicit share `(country, s)` in [`SynthSpec::shares`] is that
//!    country's share of requests. The rest, `1 − Σ s`, is spread over every other country of the
//!    country table that the database has networks for, in proportion to its internet users.
//!    Countries without networks in the database get nothing (an explicit one is an error).
//! 2. **Visitors.** [`SynthSpec::visitors`] distinct client addresses are shared out among
//!    countries by weight (largest remainder; explicit countries get at least one). Each address
//!    is drawn inside a network that the database places in that country: a network is chosen
//!    with probability proportional to its size (IPv4) or uniformly (IPv6, used for a share
//!    [`SynthSpec::ipv6_share`] of visitors where the country has IPv6 networks), then an
//!    address uniformly inside it; repeats are redrawn. Within a country, visitors are ranked
//!    in the order drawn.
//! 3. **Requests.** Request `i` of `N` has time `start + ⌊(end − start)·(i + u)/N⌋` ms, so
//!    times increase through the window. Every visitor makes at least one request: a seeded
//!    permutation assigns visitor `π(j)` to request `⌊j·N/V⌋`. Every other request draws a
//!    country by weight (among countries with visitors), then a visitor of that country by a
//!    Zipf law: rank `r` with probability ∝ `r^−skew`. Hence request shares follow the country
//!    weights up to the pinned first requests (`V` of `N`) and sampling noise.
//! 4. **Request details.** Object id `lo + ⌊(hi − lo + 1)·u³⌋` (popular low ids); status from
//!    [`StatusMix`]; node uniform over [`SynthSpec::nodes`] (as the `host` header; omitted when
//!    there are none); object size log-uniform in [`SynthSpec::sizes`], fixed per object id;
//!    `content-length` is the size for 200, a part of it for 206 (with `content-range`), 50
//!    for 404 and absent for 304.
//!
//! With [`SynthSpec::bytes_target`] set, `N` is chosen so that the output is about that many
//! bytes: the mean line length is measured on 2 000 lines of a separate, equally seeded stream.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use cdnplan_core::{Countries, CountryCode};
use ipnet::IpNet;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rustc_hash::FxHashSet;

use crate::error::{Error, Result};
use crate::geoip::GeoIp;

/// What to generate. Start from [`SynthSpec::default`] and override fields.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSpec {
    /// Seed of all random draws.
    pub seed: u64,
    /// Number of requests `N` (ignored when `bytes_target` is set). Must be ≥ `visitors`.
    pub requests: u64,
    /// Generate about this many bytes instead of a fixed number of requests.
    pub bytes_target: Option<u64>,
    /// Number of distinct client addresses `V`; each makes at least one request.
    pub visitors: u32,
    /// Start of the time window, epoch milliseconds (inclusive).
    pub start_ms: i64,
    /// End of the time window, epoch milliseconds (exclusive).
    pub end_ms: i64,
    /// Explicit request shares by country, each in 0..=1, summing to at most 1.
    pub shares: Vec<(CountryCode, f64)>,
    /// Serving node hosts, spread uniformly (the `host` request header).
    pub nodes: Vec<String>,
    /// Object ids drawn from `lo..=hi`.
    pub object_ids: (u64, u64),
    /// Status code mix.
    pub status_mix: StatusMix,
    /// Object sizes in bytes, log-uniform in `min..=max`.
    pub sizes: (u64, u64),
    /// Zipf exponent of requests per visitor within a country (0 = uniform).
    pub visitor_skew: f64,
    /// Share of visitors given IPv6 addresses, where the country has IPv6 networks.
    pub ipv6_share: f64,
}

/// Relative frequencies of the response statuses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatusMix {
    /// 200 OK.
    pub ok: f64,
    /// 206 Partial Content.
    pub partial: f64,
    /// 304 Not Modified.
    pub not_modified: f64,
    /// 404 Not Found.
    pub not_found: f64,
}

impl Default for StatusMix {
    fn default() -> Self {
        StatusMix {
            ok: 0.80,
            partial: 0.12,
            not_modified: 0.05,
            not_found: 0.03,
        }
    }
}

impl Default for SynthSpec {
    /// 10 000 requests from 1 000 visitors over 2023-05-12 .. 2023-05-27 (the window of the
    /// Joystream traffic analysis of 2023-05-27), with the request shares of June 2023:
    /// RU 20.5 %, UA 12.3 %, TR 10 %.
    fn default() -> Self {
        let cc = |s| CountryCode::new(s).unwrap_or_else(|_| unreachable!());
        SynthSpec {
            seed: 1,
            requests: 10_000,
            bytes_target: None,
            visitors: 1_000,
            start_ms: 1_683_849_600_000,
            end_ms: 1_685_145_600_000,
            shares: vec![(cc("RU"), 0.205), (cc("UA"), 0.123), (cc("TR"), 0.10)],
            nodes: Vec::new(),
            object_ids: (1, 20_000),
            status_mix: StatusMix::default(),
            sizes: (100_000, 200_000_000),
            visitor_skew: 1.0,
            ipv6_share: 0.05,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SynthSummary {
    /// Requests written.
    pub requests: u64,
    /// Distinct client addresses.
    pub visitors: u64,
    /// Bytes written (before compression).
    pub bytes: u64,
    /// Requests by client country.
    pub requests_by_country: BTreeMap<CountryCode, u64>,
    /// Requests with status 2xx by client country.
    pub ok_requests_by_country: BTreeMap<CountryCode, u64>,
    /// Visitors by client country.
    pub visitors_by_country: BTreeMap<CountryCode, u64>,
}

/// Writes the log described by `spec` to `out`.
///
/// # Errors
/// [`Error::Config`] for an inconsistent spec (shares out of range, `requests < visitors`,
/// an explicit country without networks in the database, an empty window);
/// [`Error::Format`] when the database cannot be read; [`Error::Io`] when writing fails.
pub fn write_ndjson<W: Write>(
    spec: &SynthSpec,
    geoip: &GeoIp,
    countries: &Countries,
    out: W,
) -> Result<SynthSummary> {
    let plan = Plan::new(spec, geoip, countries)?;
    let n = match spec.bytes_target {
        Some(target) => {
            let mut probe = Generator::new(&plan, 2_000, spec.seed ^ 0x5851_f42d_4c95_7f2d);
            let mut buf = Vec::new();
            let mut len = 0u64;
            for i in 0..2_000 {
                buf.clear();
                probe.line(i, &mut buf);
                len += buf.len() as u64;
            }
            (target.saturating_mul(2_000) / len.max(1)).max(u64::from(spec.visitors))
        }
        None => spec.requests,
    };
    if n < u64::from(spec.visitors) {
        return Err(Error::Config(format!(
            "synthetic log: {n} requests cannot cover {} visitors (each makes at least one)",
            spec.visitors
        )));
    }
    let mut g = Generator::new(&plan, n, spec.seed ^ 0x9e37_79b9_7f4a_7c15);
    let io = |e| Error::io(PathBuf::from("synthetic log output"), "cannot write", e);
    let mut out = out;
    let mut buf = Vec::with_capacity(1 << 17);
    let mut summary = SynthSummary {
        visitors: plan.visitors.len() as u64,
        ..Default::default()
    };
    for i in 0..n {
        let (country, ok) = g.line(i, &mut buf);
        *summary.requests_by_country.entry(country).or_insert(0) += 1;
        if ok {
            *summary.ok_requests_by_country.entry(country).or_insert(0) += 1;
        }
        if buf.len() >= 1 << 16 {
            out.write_all(&buf).map_err(io)?;
            summary.bytes += buf.len() as u64;
            buf.clear();
        }
    }
    out.write_all(&buf).map_err(io)?;
    summary.bytes += buf.len() as u64;
    out.flush().map_err(io)?;
    summary.requests = n;
    for v in &plan.visitors {
        *summary
            .visitors_by_country
            .entry(plan.countries[v.country].0)
            .or_insert(0) += 1;
    }
    Ok(summary)
}

/// Writes the log to `path` as gzip (default compression level), atomically.
///
/// # Errors
/// As [`write_ndjson`], with [`Error::Io`] naming `path`.
pub fn write_ndjson_gz(
    path: &Path,
    spec: &SynthSpec,
    geoip: &GeoIp,
    countries: &Countries,
) -> Result<SynthSummary> {
    let mut outcome: Option<Result<SynthSummary>> = None;
    let written = crate::output::write_atomic_with(path, |w| {
        let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::default());
        match write_ndjson(spec, geoip, countries, &mut gz) {
            Ok(s) => {
                gz.finish()?;
                outcome = Some(Ok(s));
                Ok(())
            }
            // A write error: let the atomic writer name the path.
            Err(Error::Io { source, .. }) => Err(source),
            Err(e) => {
                outcome = Some(Err(e));
                Err(std::io::Error::other("synthetic log generation failed"))
            }
        }
    });
    match (outcome, written) {
        (Some(Err(e)), _) | (_, Err(e)) => Err(e),
        (Some(Ok(s)), Ok(())) => Ok(s),
        (None, Ok(())) => Err(Error::Config("synthetic log generation did not run".into())),
    }
}

/// A visitor: country index and address.
struct Visitor {
    country: usize,
    ip_text: String,
}

/// Everything fixed before the first request.
struct Plan<'s> {
    spec: &'s SynthSpec,
    /// Countries with visitors: code, cumulative request weight, visitor index range, Zipf CDF.
    countries: Vec<(CountryCode, f64, std::ops::Range<usize>, Vec<f64>)>,
    visitors: Vec<Visitor>,
    /// Seeded permutation of visitor indices for the pinned requests.
    pinned: Vec<u32>,
}

fn u01(rng: &mut Pcg64) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform integer in `0..n` (n ≥ 1), by multiply-high.
fn below(rng: &mut Pcg64, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// Index of the first cumulative weight above `u · total`.
fn pick(cdf: &[f64], u: f64) -> usize {
    let total = cdf.last().copied().unwrap_or(0.0);
    cdf.partition_point(|&c| c <= u * total)
        .min(cdf.len().saturating_sub(1))
}

impl<'s> Plan<'s> {
    fn new(spec: &'s SynthSpec, geoip: &GeoIp, countries: &Countries) -> Result<Self> {
        let cfg = |m: String| Err(Error::Config(format!("synthetic log: {m}")));
        if spec.end_ms <= spec.start_ms {
            return cfg("the time window is empty".into());
        }
        if spec.visitors == 0 {
            return cfg("at least one visitor is needed".into());
        }
        let (lo, hi) = spec.object_ids;
        if lo > hi || spec.sizes.0 == 0 || spec.sizes.0 > spec.sizes.1 {
            return cfg("object id and size ranges must be non-empty with sizes ≥ 1".into());
        }
        let m = spec.status_mix;
        let mix = [m.ok, m.partial, m.not_modified, m.not_found];
        if mix.iter().any(|w| !w.is_finite() || *w < 0.0) || mix.iter().sum::<f64>() <= 0.0 {
            return cfg("status mix weights must be ≥ 0 and not all 0".into());
        }
        let explicit: f64 = spec.shares.iter().map(|s| s.1).sum();
        if spec.shares.iter().any(|s| !(0.0..=1.0).contains(&s.1)) || explicit > 1.0 + 1e-9 {
            return cfg(format!(
                "shares must be in 0..=1 and sum to at most 1 (sum {explicit})"
            ));
        }
        let nets = geoip.networks_by_country()?;
        // 1. Country weights.
        let mut weights: BTreeMap<CountryCode, f64> = BTreeMap::new();
        for &(cc, s) in &spec.shares {
            if !nets.contains_key(&cc) {
                return cfg(format!(
                    "the GeoIP database {} has no networks for {cc}",
                    geoip.path().display()
                ));
            }
            *weights.entry(cc).or_insert(0.0) += s;
        }
        let rest = (1.0 - explicit).max(0.0);
        let others: Vec<(CountryCode, f64)> = countries
            .iter()
            .filter(|c| !weights.contains_key(&c.code) && nets.contains_key(&c.code))
            .map(|c| (c.code, c.internet_users as f64))
            .collect();
        let users: f64 = others.iter().map(|o| o.1).sum();
        if rest > 0.0 && users > 0.0 {
            for (cc, u) in others {
                if u > 0.0 {
                    weights.insert(cc, rest * u / users);
                }
            }
        }
        weights.retain(|_, w| *w > 0.0);
        let total: f64 = weights.values().sum();
        if total <= 0.0 {
            return cfg("no country has a positive weight and networks in the database".into());
        }
        // 2. Visitors per country, by largest remainder.
        let v = f64::from(spec.visitors);
        let mut alloc: Vec<(CountryCode, f64, u64, f64)> = weights
            .iter()
            .map(|(&cc, &w)| {
                let exact = v * w / total;
                (cc, w, exact.floor() as u64, exact - exact.floor())
            })
            .collect();
        let mut left = u64::from(spec.visitors) - alloc.iter().map(|a| a.2).sum::<u64>();
        let mut order: Vec<usize> = (0..alloc.len()).collect();
        order.sort_by(|&a, &b| alloc[b].3.total_cmp(&alloc[a].3).then(a.cmp(&b)));
        for &i in &order {
            if left == 0 {
                break;
            }
            alloc[i].2 += 1;
            left -= 1;
        }
        // Explicit countries get at least one visitor, taken from the largest.
        for &(cc, s) in &spec.shares {
            if s <= 0.0 {
                continue;
            }
            let Some(i) = alloc.iter().position(|a| a.0 == cc) else {
                continue;
            };
            if alloc[i].2 == 0 {
                let donor =
                    (0..alloc.len()).max_by(|&a, &b| alloc[a].2.cmp(&alloc[b].2).then(b.cmp(&a)));
                if let Some(d) = donor.filter(|&d| alloc[d].2 > 1) {
                    alloc[d].2 -= 1;
                    alloc[i].2 += 1;
                }
            }
        }
        let mut rng = Pcg64::seed_from_u64(spec.seed);
        let mut seen: FxHashSet<IpAddr> = FxHashSet::default();
        let mut plan_countries = Vec::new();
        let mut visitors = Vec::with_capacity(spec.visitors as usize);
        let mut cum = 0.0;
        for (cc, w, n, _) in alloc {
            if n == 0 {
                continue;
            }
            let pool = NetPool::new(&nets[&cc]);
            let first = visitors.len();
            for _ in 0..n {
                let mut tries = 0;
                let ip = loop {
                    let v6 = pool.has_v6() && u01(&mut rng) < spec.ipv6_share;
                    let ip = pool.draw(&mut rng, v6);
                    if seen.insert(ip) {
                        break ip;
                    }
                    tries += 1;
                    if tries > 10_000 {
                        return cfg(format!(
                            "the database has too few addresses in {cc} for {n} distinct visitors"
                        ));
                    }
                };
                visitors.push(Visitor {
                    country: plan_countries.len(),
                    ip_text: ip.to_string(),
                });
            }
            let mut zipf = Vec::with_capacity(n as usize);
            let mut z = 0.0;
            for r in 1..=n {
                z += (r as f64).powf(-spec.visitor_skew);
                zipf.push(z);
            }
            cum += w;
            plan_countries.push((cc, cum, first..visitors.len(), zipf));
        }
        // Fisher–Yates permutation for the pinned requests.
        let mut pinned: Vec<u32> = (0..visitors.len() as u32).collect();
        for i in (1..pinned.len()).rev() {
            let j = below(&mut rng, i as u64 + 1) as usize;
            pinned.swap(i, j);
        }
        Ok(Plan {
            spec,
            countries: plan_countries,
            visitors,
            pinned,
        })
    }
}

/// One country's networks for drawing addresses.
struct NetPool<'n> {
    v4: Vec<(u32, u8)>,
    v4_cdf: Vec<u64>,
    v6: Vec<&'n IpNet>,
}

impl<'n> NetPool<'n> {
    fn new(nets: &'n [IpNet]) -> Self {
        let mut v4 = Vec::new();
        let mut v4_cdf = Vec::new();
        let mut v6 = Vec::new();
        let mut total = 0u64;
        for n in nets {
            match n {
                IpNet::V4(n) => {
                    total += 1u64 << (32 - u32::from(n.prefix_len()));
                    v4.push((u32::from(n.network()), n.prefix_len()));
                    v4_cdf.push(total);
                }
                IpNet::V6(_) => v6.push(n),
            }
        }
        NetPool { v4, v4_cdf, v6 }
    }

    fn has_v6(&self) -> bool {
        !self.v6.is_empty() && !self.v4.is_empty()
    }

    fn draw(&self, rng: &mut Pcg64, v6: bool) -> IpAddr {
        if (v6 || self.v4.is_empty())
            && let Some(&&IpNet::V6(n)) = self.v6.get(below(rng, self.v6.len() as u64) as usize)
        {
            let host_bits = 128 - u32::from(n.prefix_len());
            let r = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
            let mask = if host_bits == 0 {
                0
            } else {
                u128::MAX >> (128 - host_bits)
            };
            return IpAddr::V6(Ipv6Addr::from(u128::from(n.network()) | (r & mask)));
        }
        let total = self.v4_cdf.last().copied().unwrap_or(1);
        let x = below(rng, total);
        let i = self
            .v4_cdf
            .partition_point(|&c| c <= x)
            .min(self.v4.len().saturating_sub(1));
        let (base, prefix) = self.v4.get(i).copied().unwrap_or((0, 32));
        let size = 1u64 << (32 - u32::from(prefix));
        IpAddr::V4(Ipv4Addr::from(base.wrapping_add(below(rng, size) as u32)))
    }
}

const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/113.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.5 Mobile/15E148 Safari/604.1",
];

/// The per-request stream.
struct Generator<'p, 's> {
    plan: &'p Plan<'s>,
    n: u64,
    rng: Pcg64,
    next_pin: usize,
    mix_cdf: [f64; 4],
    country_cdf: Vec<f64>,
}

impl<'p, 's> Generator<'p, 's> {
    fn new(plan: &'p Plan<'s>, n: u64, seed: u64) -> Self {
        let m = plan.spec.status_mix;
        let mix_cdf = [
            m.ok,
            m.ok + m.partial,
            m.ok + m.partial + m.not_modified,
            m.ok + m.partial + m.not_modified + m.not_found,
        ];
        Generator {
            plan,
            n,
            rng: Pcg64::seed_from_u64(seed),
            next_pin: 0,
            mix_cdf,
            country_cdf: plan.countries.iter().map(|c| c.1).collect(),
        }
    }

    /// The visitor pinned to request `i`, if any.
    fn pinned(&mut self, i: u64) -> Option<usize> {
        let v = self.plan.pinned.len() as u64;
        let j = self.next_pin as u64;
        if j < v && (u128::from(j) * u128::from(self.n) / u128::from(v)) as u64 == i {
            self.next_pin += 1;
            return Some(self.plan.pinned[j as usize] as usize);
        }
        None
    }

    /// Appends request `i`'s line to `buf`; returns its country and whether it is 2xx.
    fn line(&mut self, i: u64, buf: &mut Vec<u8>) -> (CountryCode, bool) {
        let spec = self.plan.spec;
        let rng = &mut self.rng;
        let span = (spec.end_ms - spec.start_ms) as f64;
        let t = spec.start_ms + ((i as f64 + u01(rng)) * span / self.n as f64).floor() as i64;
        let t = t.min(spec.end_ms - 1);
        let vi = match self.pinned(i) {
            Some(v) => v,
            None => {
                let rng = &mut self.rng;
                let c = &self.plan.countries[pick(&self.country_cdf, u01(rng))];
                c.2.start + pick(&c.3, u01(rng))
            }
        };
        let rng = &mut self.rng;
        let visitor = &self.plan.visitors[vi];
        let (lo, hi) = spec.object_ids;
        let u = u01(rng);
        let object = lo
            + (((hi - lo) as f64 + 1.0) * u * u * u)
                .floor()
                .min((hi - lo) as f64) as u64;
        let status = match pick(&self.mix_cdf, u01(rng)) {
            0 => 200u16,
            1 => 206,
            2 => 304,
            _ => 404,
        };
        let node = (!spec.nodes.is_empty())
            .then(|| &spec.nodes[below(rng, spec.nodes.len() as u64) as usize]);
        let size = object_size(object, spec.sizes);
        let response_ms = 1 + below(rng, 40) + if status == 200 { below(rng, 200) } else { 0 };
        let part = 1 + below(rng, size.min(4 << 20));
        let cached = below(rng, 10) < 8;

        buf.extend_from_slice(b"{\"@timestamp\":\"");
        push_rfc3339_ms(buf, t);
        buf.extend_from_slice(b"\",\"message\":\"HTTP GET /api/v1/assets/");
        push_u64(buf, object);
        buf.extend_from_slice(b"\",\"severity\":\"http\",\"fields\":{\"label\":\"PublicApi\",\"meta\":{\"req\":{\"url\":\"/api/v1/assets/");
        push_u64(buf, object);
        buf.extend_from_slice(b"\",\"headers\":{");
        if let Some(node) = node {
            buf.extend_from_slice(b"\"host\":\"");
            buf.extend_from_slice(node.as_bytes());
            buf.extend_from_slice(b"\",");
        }
        buf.extend_from_slice(b"\"x-forwarded-for\":\"");
        buf.extend_from_slice(visitor.ip_text.as_bytes());
        buf.extend_from_slice(b"\",\"user-agent\":\"");
        buf.extend_from_slice(AGENTS[vi % AGENTS.len()].as_bytes());
        if status == 206 {
            buf.extend_from_slice(b"\",\"range\":\"bytes=0-");
        }
        buf.extend_from_slice(
            b"\"},\"method\":\"GET\",\"httpVersion\":\"1.1\",\"originalUrl\":\"/api/v1/assets/",
        );
        push_u64(buf, object);
        buf.extend_from_slice(b"\",\"query\":{}},\"res\":{\"statusCode\":");
        push_u64(buf, u64::from(status));
        buf.extend_from_slice(b",\"headers\":{");
        match status {
            200 => {
                buf.extend_from_slice(b"\"content-length\":\"");
                push_u64(buf, size);
                buf.extend_from_slice(b"\",\"content-type\":\"video/mp4\",");
            }
            206 => {
                buf.extend_from_slice(b"\"content-length\":\"");
                push_u64(buf, part);
                buf.extend_from_slice(b"\",\"content-range\":\"bytes 0-");
                push_u64(buf, part - 1);
                buf.push(b'/');
                push_u64(buf, size);
                buf.extend_from_slice(b"\",\"content-type\":\"video/mp4\",");
            }
            404 => buf.extend_from_slice(
                b"\"content-length\":\"50\",\"content-type\":\"application/json; charset=utf-8\",",
            ),
            _ => {}
        }
        buf.extend_from_slice(if cached {
            b"\"x-cache\":\"hit\",\"x-data-source\":\"local\"}},\"responseTime\":"
        } else {
            b"\"x-cache\":\"miss\",\"x-data-source\":\"external\"}},\"responseTime\":"
        });
        push_u64(buf, response_ms);
        buf.extend_from_slice(b",\"prematurelyClosed\":false}}}\n");
        (
            self.plan.countries[visitor.country].0,
            (200..300).contains(&status),
        )
    }
}

/// Size of object `id`, log-uniform in `min..=max`, from a hash of the id (SplitMix64).
fn object_size(id: u64, (min, max): (u64, u64)) -> u64 {
    let mut z = id.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let u = (z >> 11) as f64 / (1u64 << 53) as f64;
    let (a, b) = ((min as f64).ln(), (max as f64).ln());
    ((a + u * (b - a)).exp().round() as u64).clamp(min, max)
}

fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_2(buf: &mut Vec<u8>, v: i64) {
    buf.push(b'0' + (v / 10) as u8);
    buf.push(b'0' + (v % 10) as u8);
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (years 0..=9999).
fn push_rfc3339_ms(buf: &mut Vec<u8>, ms: i64) {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = (yoe + era * 400 + i64::from(m <= 2)).clamp(0, 9999);
    push_2(buf, y / 100);
    push_2(buf, y % 100);
    buf.push(b'-');
    push_2(buf, m);
    buf.push(b'-');
    push_2(buf, d);
    buf.push(b'T');
    push_2(buf, rem / 3_600_000);
    buf.push(b':');
    push_2(buf, rem / 60_000 % 60);
    buf.push(b':');
    push_2(buf, rem / 1000 % 60);
    buf.push(b'.');
    let frac = rem % 1000;
    buf.push(b'0' + (frac / 100) as u8);
    push_2(buf, frac % 100);
    buf.push(b'Z');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_like_chrono() {
        for ms in [0i64, 1_683_849_600_123, 951_782_400_000, 4_102_444_799_999] {
            let mut b = Vec::new();
            push_rfc3339_ms(&mut b, ms);
            let want = chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string();
            assert_eq!(String::from_utf8(b).unwrap(), want);
        }
    }

    #[test]
    fn object_sizes_are_fixed_per_id_and_in_range() {
        for id in 0..1000 {
            let s = object_size(id, (1000, 5000));
            assert!((1000..=5000).contains(&s));
            assert_eq!(s, object_size(id, (1000, 5000)));
        }
    }

    #[test]
    fn numbers_format() {
        let mut b = Vec::new();
        for v in [0, 7, 10, 1234567890, u64::MAX] {
            b.clear();
            push_u64(&mut b, v);
            assert_eq!(String::from_utf8(b.clone()).unwrap(), v.to_string());
        }
    }
}
