//! Demand over time: requests and bytes per UTC clock hour, and the busiest hour.
//!
//! [`HourlyProfile`] counts the whole demand (all cells together) per clock hour. The
//! [`DemandAggregator`](crate::DemandAggregator) fills it as the log readers and the
//! Elasticsearch source feed it requests with their times, and the finished
//! [`Demand::hourly`](crate::Demand::hourly) carries it. Capacity planning takes the peak-hour
//! egress from its busiest hour ([`PeakModel::measured`](crate::capacity::PeakModel::measured)).
//!
//! # Hours and the covered span
//!
//! An hour is the UTC clock hour `[h, h + 3600 s)`, keyed by its start `h` in Unix seconds (a
//! multiple of 3600). The *covered span* runs from the first to the last hour holding a
//! request, both inclusive; hours inside it without requests count as zero.
//!
//! The span is counted in whole hours even when its first or last hour is partial (a window
//! starting at 23:30 leaves the 23:00 hour half empty). A partial hour is too light, never too
//! heavy, so it is not picked as the busiest by accident; it lowers the mean per hour by at
//! most two hours in the span, 0.5 % over the 384 hours of a 16-day window but a third over a
//! 6-hour one. Where the exact window length is known, [`PeakModel::measured`] divides by it
//! instead.
//!
//! [`PeakModel::measured`]: crate::capacity::PeakModel::measured

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Seconds in an hour.
pub const HOUR_S: i64 = 3600;

/// The start (Unix seconds) of the UTC clock hour holding `unix_s`.
///
/// ```
/// use cdnplan_core::hourly::hour_start;
/// assert_eq!(hour_start(1_686_775_199), 1_686_772_800); // 20:59:59 → 20:00
/// assert_eq!(hour_start(-1), -3600);
/// ```
#[inline]
pub fn hour_start(unix_s: i64) -> i64 {
    unix_s.div_euclid(HOUR_S) * HOUR_S
}

/// Requests and bytes counted in one hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HourCounts {
    /// Requests.
    pub requests: u64,
    /// Response bytes.
    pub bytes: u64,
}

/// Requests and bytes of a whole demand per UTC clock hour (see the [module docs](self) for
/// hours and the covered span).
///
/// Serialised as a map from hour start (Unix seconds, as a string key in JSON) to
/// `{"requests": …, "bytes": …}`; hours without requests are left out.
///
/// ```
/// use cdnplan_core::hourly::HourlyProfile;
/// let h0 = 1_686_700_800; // 2023-06-14 00:00 UTC
/// let mut p = HourlyProfile::default();
/// p.add(h0 + 10, 1, 100);
/// p.add(h0 + 2 * 3600 + 5, 2, 400); // 02:00; 01:00 stays empty
/// assert_eq!(p.span_hours(), 3);
/// assert_eq!(p.mean_bytes_per_hour(), Some(500.0 / 3.0));
/// let peak = p.busiest().unwrap();
/// assert_eq!((peak.start_s, peak.bytes), (h0 + 7200, 400));
/// assert_eq!(p.peak_to_mean(), Some(400.0 / (500.0 / 3.0)));
/// assert_eq!(peak.start_utc(), "2023-06-14 02:00 UTC");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HourlyProfile {
    /// Counts by hour start (Unix seconds, a multiple of 3600); no entry for an hour without
    /// requests.
    pub hours: BTreeMap<i64, HourCounts>,
}

impl HourlyProfile {
    /// Counts `requests` and `bytes` in the hour holding `unix_s`. Adding nothing (0 and 0)
    /// leaves the profile unchanged.
    pub fn add(&mut self, unix_s: i64, requests: u64, bytes: u64) {
        if requests == 0 && bytes == 0 {
            return;
        }
        let e = self.hours.entry(hour_start(unix_s)).or_default();
        e.requests = e.requests.saturating_add(requests);
        e.bytes = e.bytes.saturating_add(bytes);
    }

    /// Folds `other` into `self`, hour by hour.
    pub fn merge(&mut self, other: &HourlyProfile) {
        for (&h, c) in &other.hours {
            self.add(h, c.requests, c.bytes);
        }
    }

    /// True when no hour holds a request.
    pub fn is_empty(&self) -> bool {
        self.hours.is_empty()
    }

    /// Hours in the covered span, first to last inclusive (0 for an empty profile).
    pub fn span_hours(&self) -> u64 {
        match (self.hours.first_key_value(), self.hours.last_key_value()) {
            (Some((&a, _)), Some((&b, _))) => (b.saturating_sub(a) / HOUR_S) as u64 + 1,
            _ => 0,
        }
    }

    /// Requests over all hours.
    pub fn total_requests(&self) -> u64 {
        self.hours.values().map(|c| c.requests).sum()
    }

    /// Bytes over all hours.
    pub fn total_bytes(&self) -> u64 {
        self.hours.values().map(|c| c.bytes).sum()
    }

    /// The hour with the most bytes; the earliest of equal hours. `None` for an empty profile.
    pub fn busiest(&self) -> Option<PeakHour> {
        let mut best: Option<(i64, HourCounts)> = None;
        for (&h, &c) in &self.hours {
            if best.is_none_or(|(_, b)| c.bytes > b.bytes) {
                best = Some((h, c));
            }
        }
        let (start_s, c) = best?;
        Some(PeakHour {
            start_s,
            requests: c.requests,
            bytes: c.bytes,
            span_hours: self.span_hours(),
            total_bytes: self.total_bytes(),
        })
    }

    /// Mean bytes per hour over the covered span, empty hours counting as zero; `None` for an
    /// empty profile.
    pub fn mean_bytes_per_hour(&self) -> Option<f64> {
        self.busiest().map(|p| p.mean_bytes_per_hour())
    }

    /// Bytes of the busiest hour over the mean per hour; `None` with fewer than 2 hours in
    /// the covered span or no bytes at all.
    pub fn peak_to_mean(&self) -> Option<f64> {
        self.busiest()?.peak_to_mean()
    }
}

/// The busiest hour of a [`HourlyProfile`], with what it is compared to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeakHour {
    /// Start of the hour, Unix seconds (UTC).
    pub start_s: i64,
    /// Requests in the hour.
    pub requests: u64,
    /// Bytes in the hour.
    pub bytes: u64,
    /// Hours in the profile's covered span.
    pub span_hours: u64,
    /// Bytes over the covered span.
    pub total_bytes: u64,
}

impl PeakHour {
    /// Mean egress rate during the hour, Gbit/s: `bytes · 8 / 3600 / 10⁹`.
    pub fn gbps(&self) -> f64 {
        self.bytes as f64 * 8.0 / HOUR_S as f64 / 1e9
    }

    /// Mean bytes per hour over the covered span (0 for an empty span).
    pub fn mean_bytes_per_hour(&self) -> f64 {
        if self.span_hours == 0 {
            0.0
        } else {
            self.total_bytes as f64 / self.span_hours as f64
        }
    }

    /// The hour's bytes over the mean per hour; `None` with fewer than 2 hours in the span or
    /// no bytes at all.
    pub fn peak_to_mean(&self) -> Option<f64> {
        (self.span_hours >= 2 && self.total_bytes > 0)
            .then(|| self.bytes as f64 / self.mean_bytes_per_hour())
    }

    /// The hour's start as `2023-06-14 20:00 UTC`.
    pub fn start_utc(&self) -> String {
        format_hour_utc(self.start_s)
    }
}

impl fmt::Display for PeakHour {
    /// `2023-06-14 20:00 UTC: 450.00 GB (1.00 Gbit/s), 2.31× the mean hour of 384` (decimal
    /// units); the factor is left out when [`PeakHour::peak_to_mean`] is `None`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.start_utc(),
            si(self.bytes as f64, &["B", "kB", "MB", "GB", "TB", "PB"]),
            format_rate(self.gbps())
        )?;
        if let Some(k) = self.peak_to_mean() {
            write!(f, ", {k:.2}× the mean hour of {}", self.span_hours)?;
        }
        Ok(())
    }
}

/// A rate given in Gbit/s, in the largest decimal unit it reaches: `8.00 Gbit/s`,
/// `13.33 Mbit/s`.
pub(crate) fn format_rate(gbps: f64) -> String {
    si(
        gbps * 1e9,
        &["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"],
    )
}

/// `v` in the largest of `units` (steps of 1000) it reaches, with two decimals.
fn si(v: f64, units: &[&str]) -> String {
    let mut v = v;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{v:.2} {}", units[i])
}

/// `unix_s` as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar).
///
/// ```
/// assert_eq!(cdnplan_core::hourly::format_hour_utc(1_686_772_800), "2023-06-14 20:00 UTC");
/// ```
pub fn format_hour_utc(unix_s: i64) -> String {
    let days = unix_s.div_euclid(86_400);
    let secs = unix_s.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// Year, month and day of `days` since 1970-01-01: Hinnant's `civil_from_days`
/// (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", 2013).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    const H0: i64 = 1_686_700_800; // 2023-06-14 00:00 UTC

    fn profile(rows: &[(i64, u64, u64)]) -> HourlyProfile {
        let mut p = HourlyProfile::default();
        for &(h, r, b) in rows {
            p.add(H0 + h * HOUR_S, r, b);
        }
        p
    }

    mod busiest {
        use super::*;

        #[test]
        fn is_the_hour_with_most_bytes_not_most_requests() {
            let p = profile(&[(0, 50, 100), (1, 1, 900), (2, 10, 300)]);
            let b = p.busiest().unwrap();
            assert_eq!((b.start_s, b.requests, b.bytes), (H0 + 3600, 1, 900));
            assert_eq!((b.span_hours, b.total_bytes), (3, 1300));
        }

        #[test]
        fn ties_go_to_the_earliest_hour() {
            let p = profile(&[(5, 1, 700), (2, 3, 700), (9, 1, 700), (0, 1, 10)]);
            assert_eq!(p.busiest().unwrap().start_s, H0 + 2 * HOUR_S);
        }

        #[test]
        fn of_an_empty_profile_is_none() {
            let p = HourlyProfile::default();
            assert_eq!(p.busiest(), None);
            assert_eq!(p.mean_bytes_per_hour(), None);
            assert_eq!(p.peak_to_mean(), None);
            assert_eq!(p.span_hours(), 0);
        }
    }

    mod mean {
        use super::*;

        #[test]
        fn empty_hours_inside_the_span_count_as_zero() {
            // 00:00 and 09:00 only: ten hours, eight of them empty.
            let p = profile(&[(0, 1, 600), (9, 1, 400)]);
            assert_eq!(p.span_hours(), 10);
            assert_relative_eq!(p.mean_bytes_per_hour().unwrap(), 100.0);
            assert_relative_eq!(p.peak_to_mean().unwrap(), 6.0);
        }

        #[test]
        fn a_flat_profile_has_factor_one() {
            let p = profile(&[(0, 1, 5), (1, 1, 5), (2, 1, 5), (3, 1, 5)]);
            assert_relative_eq!(p.peak_to_mean().unwrap(), 1.0);
        }

        #[test]
        fn one_hour_or_no_bytes_has_no_factor() {
            assert_eq!(profile(&[(3, 7, 1000)]).peak_to_mean(), None);
            assert_eq!(profile(&[(0, 1, 0), (4, 2, 0)]).peak_to_mean(), None);
        }
    }

    mod add {
        use super::*;

        #[test]
        fn times_fall_into_their_clock_hour() {
            let mut p = HourlyProfile::default();
            p.add(H0 + 3599, 1, 1);
            p.add(H0, 1, 1);
            p.add(H0 + 3600, 1, 1);
            p.add(H0 - 1, 1, 1);
            let keys: Vec<i64> = p.hours.keys().copied().collect();
            assert_eq!(keys, [H0 - 3600, H0, H0 + 3600]);
            assert_eq!(p.hours[&H0].requests, 2);
        }

        #[test]
        fn nothing_adds_no_hour() {
            let mut p = HourlyProfile::default();
            p.add(H0, 0, 0);
            assert!(p.is_empty());
        }
    }

    mod merge {
        use super::*;

        #[test]
        fn sums_hour_by_hour_in_any_order() {
            let a = profile(&[(0, 1, 10), (2, 2, 20)]);
            let b = profile(&[(2, 3, 30), (7, 4, 40)]);
            let mut ab = a.clone();
            ab.merge(&b);
            let mut ba = b.clone();
            ba.merge(&a);
            assert_eq!(ab, ba);
            assert_eq!(ab, profile(&[(0, 1, 10), (2, 5, 50), (7, 4, 40)]));
            assert_eq!((ab.total_requests(), ab.total_bytes()), (10, 100));
        }
    }

    mod format {
        use super::*;

        #[test]
        fn hours_print_as_utc_dates() {
            assert_eq!(format_hour_utc(0), "1970-01-01 00:00 UTC");
            assert_eq!(format_hour_utc(-3600), "1969-12-31 23:00 UTC");
            assert_eq!(format_hour_utc(951_782_400), "2000-02-29 00:00 UTC");
            assert_eq!(format_hour_utc(H0 + 20 * HOUR_S), "2023-06-14 20:00 UTC");
        }

        #[test]
        fn a_peak_hour_names_date_size_rate_and_factor() {
            let p = profile(&[(0, 1, 150_000_000_000), (20, 9, 450_000_000_000)]);
            assert_eq!(
                p.busiest().unwrap().to_string(),
                "2023-06-14 20:00 UTC: 450.00 GB (1.00 Gbit/s), 15.75× the mean hour of 21"
            );
        }

        #[test]
        fn sizes_and_rates_take_the_largest_unit_they_reach() {
            assert_eq!(format_rate(8.0), "8.00 Gbit/s");
            assert_eq!(format_rate(0.013_33), "13.33 Mbit/s");
            assert_eq!(format_rate(0.0), "0.00 bit/s");
            let b = |n: u64| si(n as f64, &["B", "kB", "MB"]);
            assert_eq!(
                (b(999), b(6_000), b(4_811_626_882)),
                ("999.00 B".into(), "6.00 kB".into(), "4811.63 MB".into())
            );
        }

        #[test]
        fn json_round_trips() {
            let p = profile(&[(0, 1, 10), (3, 2, 20)]);
            let s = serde_json::to_string(&p).unwrap();
            assert_eq!(
                s,
                r#"{"1686700800":{"requests":1,"bytes":10},"1686711600":{"requests":2,"bytes":20}}"#
            );
            assert_eq!(serde_json::from_str::<HourlyProfile>(&s).unwrap(), p);
        }
    }
}
