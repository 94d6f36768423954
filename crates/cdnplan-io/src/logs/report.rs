//! What an ingestion counted, filtered, skipped and could not locate.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use cdnplan_core::PeakHour;
use serde::{Deserialize, Serialize};

/// A summary of one ingestion run: every line is either counted, filtered out (by reason),
/// skipped as malformed (lenient mode) or counted as unlocated; nothing disappears silently.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IngestReport {
    /// Log files read.
    pub files: u64,
    /// Bytes read from disk (compressed size for gzip files).
    pub bytes_read: u64,
    /// Bytes of log text after decompression.
    pub bytes_decoded: u64,
    /// Lines read (blank lines included).
    pub lines: u64,
    /// Records seen (non-blank lines; each hit of a `_search` response counts once).
    pub records: u64,
    /// Requests that passed the filters (located or not).
    pub requests_counted: u64,
    /// Records not counted, by reason (`"status 404"`, `"not an asset path"`, …).
    pub filtered_out: BTreeMap<String, u64>,
    /// Counted requests whose client could not be placed in a cell.
    pub unlocated_requests: u64,
    /// Distinct client addresses among the unlocated requests.
    pub unlocated_clients: u64,
    /// Unlocated requests by reason (`"no GeoIP record"`, `"private or reserved address"`, …).
    pub unlocated_by_reason: BTreeMap<String, u64>,
    /// A few unlocated clients, in order of first appearance.
    pub unlocated_examples: Vec<UnlocatedExample>,
    /// Malformed records skipped (lenient mode only; strict mode stops at the first).
    pub skipped_malformed: u64,
    /// Skipped records by reason (`"field `status`: not an HTTP status code"`).
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// The first few skipped records, as `file:line: field `f`: reason (got "v")`.
    pub skipped_examples: Vec<String>,
    /// Counted requests without a byte count (counted as 0 bytes).
    pub requests_without_bytes: u64,
    /// Located requests that geotile or city cells place at their country's representative
    /// point, for want of coordinates (a country-level GeoIP database gives none).
    #[serde(default)]
    pub requests_at_country_point: u64,
    /// Counted requests by serving node, when the mapping names a node field.
    pub requests_by_node: BTreeMap<String, u64>,
    /// Time of the earliest counted request (RFC 3339, UTC).
    pub first_request: Option<String>,
    /// Time of the latest counted request (RFC 3339, UTC).
    pub last_request: Option<String>,
    /// The clock hour with the most bytes among the located requests, with the factor over
    /// the mean hour ([`Demand::hourly`](cdnplan_core::Demand::hourly)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busiest_hour: Option<PeakHour>,
}

/// One client that could not be located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlocatedExample {
    /// The client address.
    pub ip: IpAddr,
    /// Why it could not be located.
    pub reason: String,
    /// Where it first appeared, `file:line`.
    pub first_seen: String,
}

impl IngestReport {
    /// Requests placed in demand cells.
    pub fn requests_located(&self) -> u64 {
        self.requests_counted - self.unlocated_requests
    }

    /// Records filtered out, all reasons.
    pub fn filtered_total(&self) -> u64 {
        self.filtered_out.values().sum()
    }

    /// `, N filtered out (reason: n, …)`, or nothing when no record was filtered out: the
    /// tail of the "no demand" messages.
    pub(crate) fn filtered_phrase(&self) -> String {
        if self.filtered_out.is_empty() {
            return String::new();
        }
        let reasons: Vec<String> = self
            .filtered_out
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        format!(
            ", {} filtered out ({})",
            self.filtered_total(),
            reasons.join(", ")
        )
    }
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

impl fmt::Display for IngestReport {
    /// A human summary, one fact per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.files == 0 && self.lines == 0 {
            // Aggregated in an Elasticsearch cluster: no file, no line.
            writeln!(f, "aggregated in the cluster: {} records", self.records)?;
        } else if self.files == 0 {
            writeln!(
                f,
                "read from the cluster: {} bytes of documents, {} records",
                self.bytes_read, self.records
            )?;
        } else {
            writeln!(
                f,
                "read {} file(s), {} bytes ({} decoded), {} lines, {} records",
                self.files, self.bytes_read, self.bytes_decoded, self.lines, self.records
            )?;
        }
        writeln!(
            f,
            "counted {} requests; located {} ({:.1}%)",
            self.requests_counted,
            self.requests_located(),
            pct(self.requests_located(), self.requests_counted)
        )?;
        if let (Some(a), Some(b)) = (&self.first_request, &self.last_request) {
            writeln!(f, "time span of counted requests: {a} .. {b}")?;
        }
        if let Some(h) = &self.busiest_hour {
            writeln!(f, "busiest hour {h}")?;
        }
        if !self.filtered_out.is_empty() {
            writeln!(f, "filtered out {}:", self.filtered_total())?;
            for (k, v) in &self.filtered_out {
                writeln!(f, "  {k}: {v}")?;
            }
        }
        if self.unlocated_requests > 0 {
            writeln!(
                f,
                "unlocated: {} requests from {} clients",
                self.unlocated_requests, self.unlocated_clients
            )?;
            for (k, v) in &self.unlocated_by_reason {
                writeln!(f, "  {k}: {v}")?;
            }
            for e in &self.unlocated_examples {
                writeln!(
                    f,
                    "  e.g. {} ({}, first at {})",
                    e.ip, e.reason, e.first_seen
                )?;
            }
        }
        if self.requests_at_country_point > 0 {
            writeln!(
                f,
                "at their country's point (no coordinates): {} requests",
                self.requests_at_country_point
            )?;
        }
        if self.skipped_malformed > 0 {
            writeln!(f, "skipped {} malformed records:", self.skipped_malformed)?;
            for (k, v) in &self.skipped_by_reason {
                writeln!(f, "  {k}: {v}")?;
            }
            for e in &self.skipped_examples {
                writeln!(f, "  e.g. {e}")?;
            }
        }
        if self.requests_without_bytes > 0 {
            writeln!(
                f,
                "{} counted requests had no byte count (counted as 0 bytes)",
                self.requests_without_bytes
            )?;
        }
        if !self.requests_by_node.is_empty() {
            writeln!(f, "requests by node:")?;
            for (k, v) in &self.requests_by_node {
                writeln!(f, "  {k}: {v}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16: a read from a cluster is not "0 file(s)".
    #[test]
    fn a_cluster_read_names_the_cluster() {
        let pushed = IngestReport {
            records: 7,
            requests_counted: 7,
            ..Default::default()
        };
        let s = pushed.to_string();
        assert!(s.starts_with("aggregated in the cluster: 7 records"), "{s}");
        let raw = IngestReport {
            lines: 2,
            bytes_read: 900,
            ..pushed
        };
        let s = raw.to_string();
        assert!(s.starts_with("read from the cluster: 900 bytes"), "{s}");
        assert!(!s.contains("file(s)") && !s.contains("filtered out"), "{s}");
    }

    #[test]
    fn display_names_every_category() {
        let mut r = IngestReport {
            files: 1,
            lines: 10,
            records: 9,
            requests_counted: 5,
            unlocated_requests: 1,
            unlocated_clients: 1,
            skipped_malformed: 2,
            busiest_hour: Some(PeakHour {
                start_s: 1_686_772_800,
                requests: 3,
                bytes: 3_600_000_000_000,
                span_hours: 4,
                total_bytes: 7_200_000_000_000,
            }),
            ..Default::default()
        };
        r.filtered_out.insert("status 404".into(), 2);
        r.unlocated_by_reason.insert("no GeoIP record".into(), 1);
        r.skipped_by_reason
            .insert("field `status`: missing".into(), 2);
        let s = r.to_string();
        for want in [
            "counted 5 requests; located 4 (80.0%)",
            "status 404: 2",
            "no GeoIP record: 1",
            "skipped 2 malformed",
            "busiest hour 2023-06-14 20:00 UTC: 3.60 TB (8.00 Gbit/s), 2.00× the mean hour of 4",
        ] {
            assert!(s.contains(want), "{want} in {s}");
        }
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<IngestReport>(&json).unwrap(), r);
    }
}
