//! Which requests count: asset paths, a time window and status codes; and the time parsing
//! they need.
//!
//! Times are epoch milliseconds (UTC). Text times may be RFC 3339
//! (`2023-05-12T10:00:00.123Z`, `2023-05-12 10:00:00+02:00`), a bare date (`2023-05-12`,
//! midnight UTC), a CLF date (`12/May/2023:10:00:00 +0000`), or epoch milliseconds
//! (`1683885600000`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What to count. The default counts 2xx asset requests at any time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogFilter {
    /// Count only asset requests (`/api/v1/assets/<id>` or `/distributor/api/v1/assets/<id>`,
    /// query strings and a scheme-and-host prefix allowed). Default `true`.
    pub assets_only: bool,
    /// Count requests at or after this time (epoch milliseconds, UTC).
    pub since_ms: Option<i64>,
    /// Count requests strictly before this time (epoch milliseconds, UTC).
    pub until_ms: Option<i64>,
    /// Status codes that count. Default: 200–299 (so 206 partial content counts).
    pub status: StatusFilter,
}

impl Default for LogFilter {
    fn default() -> Self {
        LogFilter {
            assets_only: true,
            since_ms: None,
            until_ms: None,
            status: StatusFilter::default(),
        }
    }
}

impl LogFilter {
    /// Counts every path, not only asset requests.
    pub fn all_paths(mut self) -> Self {
        self.assets_only = false;
        self
    }

    /// Counts requests at or after `time` (see the module docs for accepted forms).
    ///
    /// # Errors
    /// [`Error::Config`] when `time` is not a recognised time.
    pub fn since(mut self, time: &str) -> Result<Self> {
        self.since_ms = Some(parse_time(time)?);
        Ok(self)
    }

    /// Counts requests strictly before `time`.
    ///
    /// # Errors
    /// [`Error::Config`] when `time` is not a recognised time.
    pub fn until(mut self, time: &str) -> Result<Self> {
        self.until_ms = Some(parse_time(time)?);
        Ok(self)
    }

    /// Replaces the status filter.
    pub fn status(mut self, status: StatusFilter) -> Self {
        self.status = status;
        self
    }

    /// True when `ms` lies in the window.
    #[inline]
    pub fn in_window(&self, ms: i64) -> bool {
        self.since_ms.is_none_or(|s| ms >= s) && self.until_ms.is_none_or(|u| ms < u)
    }

    /// A one-line description, e.g. `asset paths only, status 200-299, since 2023-05-12T00:00:00Z`.
    pub fn describe(&self) -> String {
        let mut parts = vec![
            if self.assets_only {
                "asset paths only".to_string()
            } else {
                "all paths".to_string()
            },
            format!("status {}", self.status),
        ];
        if let Some(s) = self.since_ms {
            parts.push(format!("since {}", format_ms(s)));
        }
        if let Some(u) = self.until_ms {
            parts.push(format!("until {}", format_ms(u)));
        }
        parts.join(", ")
    }
}

/// A set of HTTP status codes, as inclusive ranges. Parses `2xx`, `200-299`, `304`, `all`
/// and comma-separated lists of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusFilter {
    ranges: Vec<(u16, u16)>,
}

impl Default for StatusFilter {
    fn default() -> Self {
        StatusFilter::success()
    }
}

impl StatusFilter {
    /// 200–299.
    pub fn success() -> Self {
        StatusFilter {
            ranges: vec![(200, 299)],
        }
    }

    /// Every status.
    pub fn all() -> Self {
        StatusFilter {
            ranges: vec![(0, u16::MAX)],
        }
    }

    /// The inclusive ranges of status codes that count.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    /// True when every status counts.
    pub fn is_all(&self) -> bool {
        self.ranges.iter().any(|&(a, b)| a == 0 && b == u16::MAX)
    }

    /// True when `status` counts.
    #[inline]
    pub fn contains(&self, status: u16) -> bool {
        self.ranges.iter().any(|&(a, b)| a <= status && status <= b)
    }
}

impl FromStr for StatusFilter {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::Config(format!(
                "status filter {s:?}: expected `all` or a list like `2xx,304,400-404`"
            ))
        };
        let mut ranges = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let lower = part.to_ascii_lowercase();
            if matches!(lower.as_str(), "all" | "any" | "*") {
                return Ok(StatusFilter::all());
            }
            let range = if let Some(d) = lower.strip_suffix("xx") {
                let d: u16 = d.parse().map_err(|_| bad())?;
                if !(1..=9).contains(&d) {
                    return Err(bad());
                }
                (d * 100, d * 100 + 99)
            } else if let Some((a, b)) = lower.split_once('-') {
                let a: u16 = a.trim().parse().map_err(|_| bad())?;
                let b: u16 = b.trim().parse().map_err(|_| bad())?;
                if a > b {
                    return Err(bad());
                }
                (a, b)
            } else {
                let c: u16 = lower.parse().map_err(|_| bad())?;
                (c, c)
            };
            ranges.push(range);
        }
        if ranges.is_empty() {
            return Err(bad());
        }
        Ok(StatusFilter { ranges })
    }
}

impl fmt::Display for StatusFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(a, b)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match (a, b) {
                (0, u16::MAX) => f.write_str("all")?,
                (a, b) if a == b => write!(f, "{a}")?,
                (a, b) => write!(f, "{a}-{b}")?,
            }
        }
        Ok(())
    }
}

/// True when `url` requests an asset: `/api/v1/assets/<id>` or
/// `/distributor/api/v1/assets/<id>`, optionally after `scheme://host` and before `?…`/`#…`.
///
/// ```
/// use cdnplan_io::logs::is_asset_request;
/// assert!(is_asset_request("/api/v1/assets/1234"));
/// assert!(is_asset_request("https://cdn.example/distributor/api/v1/assets/7?x=1"));
/// assert!(!is_asset_request("/api/v1/status"));
/// ```
pub fn is_asset_request(url: &str) -> bool {
    let mut path = url;
    if let Some(i) = path.find("://") {
        let after = &path[i + 3..];
        path = after.find('/').map_or("", |j| &after[j..]);
    }
    if let Some(i) = path.find(['?', '#']) {
        path = &path[..i];
    }
    let path = path.strip_prefix("/distributor").unwrap_or(path);
    match path.strip_prefix("/api/v1/assets/") {
        Some(id) => !id.is_empty() && !id.contains('/'),
        None => false,
    }
}

/// Parses a time (see the module docs) into epoch milliseconds.
///
/// # Errors
/// [`Error::Config`] naming the text when it is not a recognised time.
///
/// ```
/// use cdnplan_io::logs::parse_time;
/// assert_eq!(parse_time("1970-01-01T00:00:01Z")?, 1000);
/// assert_eq!(parse_time("01/Jan/1970:01:00:00 +0100")?, 0);
/// assert_eq!(parse_time("1683885600000")?, 1_683_885_600_000);
/// # Ok::<(), cdnplan_io::Error>(())
/// ```
pub fn parse_time(text: &str) -> Result<i64> {
    parse_time_ms(text).ok_or_else(|| {
        Error::Config(format!(
            "time {text:?}: expected RFC 3339 (2023-05-12T00:00:00Z), a date (2023-05-12), a CLF date (12/May/2023:00:00:00 +0000) or epoch milliseconds"
        ))
    })
}

/// Formats epoch milliseconds as RFC 3339 UTC (`2023-05-12T00:00:00Z`, milliseconds shown
/// when not zero).
pub fn format_ms(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) if ms % 1000 == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => ms.to_string(),
    }
}

/// The hot-path time parser: `None` when `text` is no recognised time.
pub(crate) fn parse_time_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() >= 10 && b[4] == b'-' {
        return parse_iso(b);
    }
    if b.len() >= 20 && b[2] == b'/' {
        return parse_clf(b);
    }
    if !b.is_empty() && b.len() <= 16 && b.iter().all(u8::is_ascii_digit) {
        return t.parse().ok();
    }
    None
}

#[inline]
fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    let mut v = 0i64;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let dim = [
        31,
        28 + i64::from(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d > dim[(m - 1) as usize] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn hms_ms(h: i64, mi: i64, s: i64) -> Option<i64> {
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(((h * 60 + mi) * 60 + s) * 1000)
}

/// `YYYY-MM-DD[(T| )HH:MM:SS[.fff…][Z|±HH:MM|±HHMM]]`.
fn parse_iso(b: &[u8]) -> Option<i64> {
    if b[7] != b'-' {
        return None;
    }
    let days = days_from_civil(digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?)?;
    if b.len() == 10 {
        return Some(days * 86_400_000);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let mut ms =
        days * 86_400_000 + hms_ms(digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?)?;
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut frac = 0i64;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start < 3 {
                frac = frac * 10 + i64::from(c - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..3 {
            frac *= 10;
        }
        ms += frac;
    }
    match b.get(i) {
        None => Some(ms),
        Some(b'Z' | b'z') if i + 1 == b.len() => Some(ms),
        Some(&sign @ (b'+' | b'-')) => {
            let off = parse_offset(&b[i + 1..])?;
            Some(if sign == b'+' { ms - off } else { ms + off })
        }
        _ => None,
    }
}

/// `HH:MM` or `HHMM` → milliseconds.
fn parse_offset(b: &[u8]) -> Option<i64> {
    let (h, m) = match b.len() {
        5 if b[2] == b':' => (digits(b, 0, 2)?, digits(b, 3, 2)?),
        4 => (digits(b, 0, 2)?, digits(b, 2, 2)?),
        2 => (digits(b, 0, 2)?, 0),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some((h * 60 + m) * 60_000)
}

/// `DD/Mon/YYYY:HH:MM:SS[ ±HHMM]`.
fn parse_clf(b: &[u8]) -> Option<i64> {
    if b[6] != b'/' || b[11] != b':' || b[14] != b':' || b[17] != b':' {
        return None;
    }
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let mon = [
        b[3].to_ascii_lowercase(),
        b[4].to_ascii_lowercase(),
        b[5].to_ascii_lowercase(),
    ];
    let m = MONTHS.iter().position(|x| **x == mon)? as i64 + 1;
    let days = days_from_civil(digits(b, 7, 4)?, m, digits(b, 0, 2)?)?;
    let ms = days * 86_400_000 + hms_ms(digits(b, 12, 2)?, digits(b, 15, 2)?, digits(b, 18, 2)?)?;
    let rest = &b[20..];
    if rest.is_empty() {
        return Some(ms);
    }
    if rest.len() != 6 || rest[0] != b' ' {
        return None;
    }
    let off = parse_offset(&rest[2..])?;
    match rest[1] {
        b'+' => Some(ms - off),
        b'-' => Some(ms + off),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    mod time {
        use super::*;

        #[test]
        fn rfc3339_forms_agree_with_chrono() {
            for s in [
                "2023-05-12T00:00:01.123Z",
                "2023-05-12T23:59:59Z",
                "2024-02-29T12:00:00.5+02:00",
                "1999-12-31T23:00:00-05:30",
                "2023-05-12T00:00:01.123456789Z",
            ] {
                assert_eq!(parse_time_ms(s), Some(chrono_ms(s)), "{s}");
            }
            assert_eq!(
                parse_time_ms("2023-05-12 00:00:00Z"),
                Some(chrono_ms("2023-05-12T00:00:00Z"))
            );
        }

        #[test]
        fn clf_dates_and_epoch_millis() {
            assert_eq!(
                parse_time_ms("10/Oct/2000:13:55:36 -0700"),
                Some(chrono_ms("2000-10-10T13:55:36-07:00"))
            );
            assert_eq!(parse_time_ms("1683885600000"), Some(1_683_885_600_000));
            assert_eq!(
                parse_time_ms("2023-05-12"),
                Some(chrono_ms("2023-05-12T00:00:00Z"))
            );
        }

        #[test]
        fn rejects_nonsense() {
            for s in [
                "",
                "yesterday",
                "2023-13-01T00:00:00Z",
                "2023-02-30",
                "2023-05-12T25:00:00Z",
                "32/May/2023:00:00:00 +0000",
                "2023-05-12T00:00:00Zjunk",
            ] {
                assert_eq!(parse_time_ms(s), None, "{s}");
            }
            assert!(matches!(parse_time("soon"), Err(Error::Config(_))));
        }

        #[test]
        fn formats_back() {
            assert_eq!(
                format_ms(chrono_ms("2023-05-12T00:00:00Z")),
                "2023-05-12T00:00:00Z"
            );
            assert_eq!(format_ms(1), "1970-01-01T00:00:00.001Z");
        }
    }

    mod status {
        use super::*;

        #[test]
        fn default_counts_2xx_including_206() {
            let f = StatusFilter::default();
            assert!(f.contains(200) && f.contains(206));
            assert!(!f.contains(304) && !f.contains(404));
        }

        #[test]
        fn parses_lists_and_ranges() {
            let f: StatusFilter = "2xx, 304, 400-404".parse().unwrap();
            assert!(f.contains(250) && f.contains(304) && f.contains(403));
            assert!(!f.contains(405) && !f.contains(301));
            assert_eq!(f.to_string(), "200-299,304,400-404");
            assert!("all".parse::<StatusFilter>().unwrap().contains(599));
            for bad in ["", "abc", "0xx", "404-400"] {
                assert!(bad.parse::<StatusFilter>().is_err(), "{bad}");
            }
        }
    }

    mod paths {
        use super::*;

        #[test]
        fn asset_paths() {
            assert!(is_asset_request("/api/v1/assets/1"));
            assert!(is_asset_request("/distributor/api/v1/assets/42?download=1"));
            assert!(is_asset_request("http://h:3334/api/v1/assets/42#x"));
            assert!(!is_asset_request("/api/v1/assets/"));
            assert!(!is_asset_request("/api/v1/assets/1/extra"));
            assert!(!is_asset_request("/api/v1/buckets"));
            assert!(!is_asset_request("/other/api/v1/assets/1"));
        }
    }

    #[test]
    fn window_is_half_open_and_described() {
        let f = LogFilter::default()
            .since("2023-05-12")
            .unwrap()
            .until("2023-05-13")
            .unwrap();
        let s = f.since_ms.unwrap();
        assert!(f.in_window(s) && !f.in_window(s - 1) && !f.in_window(s + 86_400_000));
        assert_eq!(
            f.describe(),
            "asset paths only, status 200-299, since 2023-05-12T00:00:00Z, until 2023-05-13T00:00:00Z"
        );
    }
}
