//! One record's captured fields, and their interpretation as a request.
//!
//! The format readers (NDJSON, CSV, combined) capture raw values per [`Slot`], borrowing from
//! the line where they can; [`Captures::request`] checks and converts them, applying the
//! filters as soon as the fields they need are known so that filtered records cost little.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr};

use cdnplan_core::{CountryCode, GeoPoint};

use super::filter::{LogFilter, is_asset_request, parse_time_ms};
use super::mapping::{SLOTS, Slot};

/// A raw captured value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cap<'a> {
    Str(Cow<'a, str>),
    U64(u64),
    I64(i64),
    F64(f64),
    /// A two-number array (`[lon, lat]` for a geo point).
    Pair(f64, f64),
    /// An object with `lat` and/or `lon`.
    LatLon(Option<f64>, Option<f64>),
    Null,
    /// Some other JSON shape ("boolean", "array", "object").
    Other(&'static str),
}

impl Cap<'_> {
    /// The value as text for messages.
    pub(crate) fn show(&self) -> String {
        match self {
            Cap::Str(s) => s.to_string(),
            Cap::U64(v) => v.to_string(),
            Cap::I64(v) => v.to_string(),
            Cap::F64(v) => v.to_string(),
            Cap::Pair(a, b) => format!("[{a}, {b}]"),
            Cap::LatLon(a, b) => format!("{{lat: {a:?}, lon: {b:?}}}"),
            Cap::Null => "null".into(),
            Cap::Other(k) => format!("<{k}>"),
        }
    }
}

/// The captured values of one record, by slot, with the rank of the path that set them
/// (lower wins: earlier alternative, then longer literal key).
#[derive(Debug, Default)]
pub(crate) struct Captures<'a> {
    vals: [Option<(u16, Cap<'a>)>; SLOTS],
}

impl<'a> Captures<'a> {
    /// Sets `slot` unless a better-ranked value is already there.
    #[inline]
    pub(crate) fn set(&mut self, slot: Slot, rank: u16, cap: Cap<'a>) {
        let v = &mut self.vals[slot as usize];
        if v.as_ref().is_none_or(|(r, _)| rank < *r) {
            *v = Some((rank, cap));
        }
    }

    /// The value of `slot`; `null` counts as absent.
    #[inline]
    pub(crate) fn get(&self, slot: Slot) -> Option<&Cap<'a>> {
        match &self.vals[slot as usize] {
            Some((_, Cap::Null)) | None => None,
            Some((_, c)) => Some(c),
        }
    }

    /// Checks, converts and filters the record.
    pub(crate) fn request(&self, filter: &LogFilter) -> Result<Outcome<'_>, Bad> {
        let url = self.get(Slot::Url);
        let ip = self.get(Slot::ClientIp);
        let status = self.get(Slot::Status);
        if url.is_none() && ip.is_none() && status.is_none() {
            return Ok(Outcome::Filtered(Filtered::NotRequest));
        }
        let url = text(Slot::Url, url)?;
        if filter.assets_only && !is_asset_request(url) {
            return Ok(Outcome::Filtered(Filtered::NotAsset));
        }
        let status = parse_status(status)?;
        if !filter.status.contains(status) {
            return Ok(Outcome::Filtered(Filtered::Status(status)));
        }
        let time_ms = parse_timestamp(self.get(Slot::Timestamp))?;
        if !filter.in_window(time_ms) {
            return Ok(Outcome::Filtered(
                if filter.since_ms.is_some_and(|s| time_ms < s) {
                    Filtered::BeforeSince
                } else {
                    Filtered::AfterUntil
                },
            ));
        }
        let ip_text = text(Slot::ClientIp, ip)?;
        let ip = parse_client_ip(ip_text).ok_or_else(|| {
            Bad::new(
                Slot::ClientIp,
                "not an IP address",
                Some(ip_text.to_string()),
            )
        })?;
        let bytes = parse_bytes(self.get(Slot::Bytes))?;
        let geo = match self.get(Slot::GeoLocation) {
            None => None,
            Some(c) => Some(parse_geo(c)?),
        };
        let country = match self.get(Slot::Country) {
            None => None,
            Some(c) => {
                let t = text(Slot::Country, Some(c))?.trim();
                if t.is_empty() {
                    None
                } else {
                    Some(CountryCode::new(t).map_err(|_| {
                        Bad::new(
                            Slot::Country,
                            "not a two-letter country code",
                            Some(t.to_string()),
                        )
                    })?)
                }
            }
        };
        let node = match self.get(Slot::Node) {
            Some(Cap::Str(s)) if !s.is_empty() => Some(&**s),
            _ => None,
        };
        Ok(Outcome::Request(Request {
            time_ms,
            ip,
            bytes,
            geo,
            country,
            node,
        }))
    }
}

/// A counted request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request<'a> {
    pub(crate) time_ms: i64,
    pub(crate) ip: IpAddr,
    /// `None` when the record has no byte count.
    pub(crate) bytes: Option<u64>,
    pub(crate) geo: Option<GeoPoint>,
    pub(crate) country: Option<CountryCode>,
    pub(crate) node: Option<&'a str>,
}

/// What a record turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome<'a> {
    Request(Request<'a>),
    Filtered(Filtered),
}

/// Why a record was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Filtered {
    /// None of url, client address and status: some other log message.
    NotRequest,
    NotAsset,
    Status(u16),
    BeforeSince,
    AfterUntil,
}

impl Filtered {
    /// The key in [`IngestReport::filtered_out`](super::IngestReport::filtered_out).
    pub(crate) fn key(self) -> String {
        match self {
            Filtered::NotRequest => "not a request record".into(),
            Filtered::NotAsset => "not an asset path".into(),
            Filtered::Status(s) => format!("status {s}"),
            Filtered::BeforeSince => "before the time window".into(),
            Filtered::AfterUntil => "after the time window".into(),
        }
    }
}

/// A bad field: which, why, and the offending text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bad {
    pub(crate) slot: Slot,
    pub(crate) reason: &'static str,
    pub(crate) got: Option<String>,
}

impl Bad {
    pub(crate) fn new(slot: Slot, reason: &'static str, got: Option<String>) -> Self {
        Bad { slot, reason, got }
    }
}

fn missing(slot: Slot) -> Bad {
    Bad::new(slot, "missing", None)
}

fn text<'c>(slot: Slot, c: Option<&'c Cap<'_>>) -> Result<&'c str, Bad> {
    match c {
        Some(Cap::Str(s)) => Ok(s),
        Some(other) => Err(Bad::new(slot, "expected text", Some(other.show()))),
        None => Err(missing(slot)),
    }
}

fn parse_status(c: Option<&Cap<'_>>) -> Result<u16, Bad> {
    let bad = |c: &Cap<'_>| Bad::new(Slot::Status, "not an HTTP status code", Some(c.show()));
    let v = match c {
        None => return Err(missing(Slot::Status)),
        Some(Cap::U64(v)) => *v,
        Some(c @ Cap::Str(s)) => s.trim().parse().map_err(|_| bad(c))?,
        Some(c) => return Err(bad(c)),
    };
    if (100..=999).contains(&v) {
        Ok(v as u16)
    } else {
        Err(bad(c.unwrap_or(&Cap::Null)))
    }
}

fn parse_timestamp(c: Option<&Cap<'_>>) -> Result<i64, Bad> {
    let bad = |c: &Cap<'_>, why| Bad::new(Slot::Timestamp, why, Some(c.show()));
    match c {
        None => Err(missing(Slot::Timestamp)),
        Some(c @ Cap::Str(s)) => parse_time_ms(s)
            .ok_or_else(|| bad(c, "not a time (RFC 3339, CLF or epoch milliseconds)")),
        Some(Cap::U64(v)) => {
            i64::try_from(*v).map_err(|_| bad(&Cap::U64(*v), "epoch milliseconds out of range"))
        }
        Some(Cap::I64(v)) => Ok(*v),
        Some(Cap::F64(v)) if v.is_finite() && v.abs() < 9e15 => Ok(*v as i64),
        Some(c) => Err(bad(c, "not a time (RFC 3339, CLF or epoch milliseconds)")),
    }
}

/// A response size: a whole number of bytes up to [`MAX_COUNT`](cdnplan_core::demand::MAX_COUNT)
/// (a larger one is no real response and would overflow the sums).
fn parse_bytes(c: Option<&Cap<'_>>) -> Result<Option<u64>, Bad> {
    let bytes = parse_byte_count(c)?;
    match (bytes, c) {
        (Some(b), Some(c)) if b > cdnplan_core::demand::MAX_COUNT => Err(Bad::new(
            Slot::Bytes,
            "a byte count above 2^53 (9 PB in one response)",
            Some(c.show()),
        )),
        _ => Ok(bytes),
    }
}

fn parse_byte_count(c: Option<&Cap<'_>>) -> Result<Option<u64>, Bad> {
    let bad = |c: &Cap<'_>| Bad::new(Slot::Bytes, "not a byte count", Some(c.show()));
    match c {
        None => Ok(None),
        Some(Cap::U64(v)) => Ok(Some(*v)),
        Some(c @ Cap::Str(s)) => {
            let s = s.trim();
            if s == "-" || s.is_empty() {
                Ok(None)
            } else {
                s.parse().map(Some).map_err(|_| bad(c))
            }
        }
        Some(c @ Cap::F64(v)) if v.is_finite() && *v >= 0.0 && v.fract() == 0.0 => {
            let _ = c;
            Ok(Some(*v as u64))
        }
        Some(c) => Err(bad(c)),
    }
}

fn parse_geo(c: &Cap<'_>) -> Result<GeoPoint, Bad> {
    let bad = |why| Bad::new(Slot::GeoLocation, why, Some(c.show()));
    let (lat, lon) = match c {
        Cap::Pair(lon, lat) => (*lat, *lon),
        Cap::LatLon(Some(lat), Some(lon)) => (*lat, *lon),
        Cap::Str(s) => {
            let s = s.trim();
            if let Some(inner) = s
                .strip_prefix("POINT")
                .map(str::trim)
                .and_then(|r| r.strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
            {
                let mut it = inner.split_whitespace();
                let lon = it.next().and_then(|v| v.parse().ok());
                let lat = it.next().and_then(|v| v.parse().ok());
                match (lat, lon, it.next()) {
                    (Some(lat), Some(lon), None) => (lat, lon),
                    _ => return Err(bad("not a geo point")),
                }
            } else {
                let (a, b) = s
                    .split_once(',')
                    .ok_or_else(|| bad("not a geo point (\"lat,lon\")"))?;
                match (a.trim().parse(), b.trim().parse()) {
                    (Ok(lat), Ok(lon)) => (lat, lon),
                    _ => return Err(bad("not a geo point (\"lat,lon\")")),
                }
            }
        }
        _ => return Err(bad("not a geo point")),
    };
    GeoPoint::new(lat, lon).map_err(|_| bad("coordinates out of range"))
}

/// The client address in `text`: the first entry of a comma-separated list, trimmed, with
/// an optional port (`1.2.3.4:80`, `[::1]:443`); IPv4-mapped IPv6 becomes IPv4.
pub(crate) fn parse_client_ip(text: &str) -> Option<IpAddr> {
    let first = text.split(',').next()?.trim();
    let ip = if let Some(rest) = first.strip_prefix('[') {
        let (inner, _) = rest.split_once(']')?;
        IpAddr::V6(inner.parse::<Ipv6Addr>().ok()?)
    } else if let Ok(ip) = first.parse::<IpAddr>() {
        ip
    } else {
        let (host, port) = first.rsplit_once(':')?;
        if host.contains(':') || port.parse::<u16>().is_err() {
            return None;
        }
        IpAddr::V4(host.parse().ok()?)
    };
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(pairs: &[(Slot, Cap<'static>)]) -> Captures<'static> {
        let mut c = Captures::default();
        for (s, v) in pairs {
            c.set(*s, 0, v.clone());
        }
        c
    }

    fn s(v: &'static str) -> Cap<'static> {
        Cap::Str(Cow::Borrowed(v))
    }

    fn base() -> Vec<(Slot, Cap<'static>)> {
        vec![
            (Slot::Timestamp, s("2023-05-12T00:00:00Z")),
            (Slot::Url, s("/api/v1/assets/1")),
            (Slot::ClientIp, s("81.2.69.160, 10.0.0.1")),
            (Slot::Status, Cap::U64(206)),
            (Slot::Bytes, s("1024")),
        ]
    }

    #[test]
    fn client_ip_forms() {
        let p = |t| parse_client_ip(t).map(|i| i.to_string());
        assert_eq!(p("1.2.3.4"), Some("1.2.3.4".into()));
        assert_eq!(p(" 1.2.3.4 , 5.6.7.8"), Some("1.2.3.4".into()));
        assert_eq!(p("1.2.3.4:5678"), Some("1.2.3.4".into()));
        assert_eq!(p("2001:db8::1"), Some("2001:db8::1".into()));
        assert_eq!(p("[2001:db8::1]:443, 1.1.1.1"), Some("2001:db8::1".into()));
        assert_eq!(p("::ffff:1.2.3.4"), Some("1.2.3.4".into()));
        assert_eq!(p("unknown"), None);
        assert_eq!(p("1.2.3.4:notaport"), None);
        assert_eq!(p(""), None);
    }

    #[test]
    fn a_good_record_becomes_a_request() {
        let c = caps(&base());
        let Outcome::Request(r) = c.request(&LogFilter::default()).unwrap() else {
            panic!("filtered")
        };
        assert_eq!(r.ip.to_string(), "81.2.69.160");
        assert_eq!(r.bytes, Some(1024));
        assert_eq!(r.time_ms, 1_683_849_600_000);
    }

    #[test]
    fn filters_apply_in_order() {
        let f = LogFilter::default();
        let mut v = base();
        v[1].1 = s("/api/v1/status");
        assert_eq!(
            caps(&v).request(&f).unwrap(),
            Outcome::Filtered(Filtered::NotAsset)
        );
        let mut v = base();
        v[3].1 = s("404");
        assert_eq!(
            caps(&v).request(&f).unwrap(),
            Outcome::Filtered(Filtered::Status(404))
        );
        let f2 = f.clone().since("2023-06-01").unwrap();
        assert_eq!(
            caps(&base()).request(&f2).unwrap(),
            Outcome::Filtered(Filtered::BeforeSince)
        );
        assert_eq!(
            caps(&[]).request(&f).unwrap(),
            Outcome::Filtered(Filtered::NotRequest)
        );
    }

    #[test]
    fn bad_fields_name_the_slot_and_value() {
        let f = LogFilter::default();
        let mut v = base();
        v[2].1 = s("not-an-ip");
        let b = caps(&v).request(&f).unwrap_err();
        assert_eq!(
            (b.slot, b.got.as_deref()),
            (Slot::ClientIp, Some("not-an-ip"))
        );
        let mut v = base();
        v.remove(3);
        assert_eq!(caps(&v).request(&f).unwrap_err().slot, Slot::Status);
        let mut v = base();
        v.push((Slot::GeoLocation, Cap::Pair(200.0, 10.0)));
        let b = caps(&v).request(&f).unwrap_err();
        assert_eq!(
            (b.slot, b.reason),
            (Slot::GeoLocation, "coordinates out of range")
        );
        let mut v = base();
        v.push((Slot::Country, s("Russia")));
        assert_eq!(caps(&v).request(&f).unwrap_err().slot, Slot::Country);
        let mut v = base();
        v[4].1 = s("lots");
        assert_eq!(caps(&v).request(&f).unwrap_err().slot, Slot::Bytes);
    }

    #[test]
    fn geo_point_forms() {
        for c in [
            s("51.5,-0.1"),
            Cap::Pair(-0.1, 51.5),
            Cap::LatLon(Some(51.5), Some(-0.1)),
            s("POINT (-0.1 51.5)"),
        ] {
            assert_eq!(
                parse_geo(&c).unwrap(),
                GeoPoint {
                    lat: 51.5,
                    lon: -0.1
                },
                "{c:?}"
            );
        }
        assert!(parse_geo(&s("north")).is_err());
    }

    #[test]
    fn lower_rank_wins() {
        let mut c = Captures::default();
        c.set(Slot::Url, 5, s("/b"));
        c.set(Slot::Url, 2, s("/a"));
        c.set(Slot::Url, 3, s("/c"));
        assert_eq!(c.get(Slot::Url), Some(&s("/a")));
    }
}
