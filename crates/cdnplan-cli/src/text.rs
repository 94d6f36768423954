//! The ingestion summary and warnings for the terminal. (Plans, evaluations and demand are
//! rendered by the library: [`cdnplan_core::plan::terminal`].)

use std::fmt::Write as _;

use cdnplan_io::logs::IngestReport;
/// The file names of `paths`, comma-separated: "plan.json, report.md".
pub fn file_names(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `12.3 %`.
pub fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// `2.3 MB` (powers of 1000, one decimal).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn by_reason(m: &std::collections::BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The one-line ingestion summary printed by default (`--verbose` prints the whole report).
pub fn ingest_summary(r: &IngestReport) -> String {
    // A read from a cluster has no files: name what was read instead.
    let source = if r.files == 0 {
        if r.bytes_read > 0 {
            format!(
                "read from the cluster ({} of documents, {})",
                human_bytes(r.bytes_read),
                plural(r.records, "record", "records")
            )
        } else {
            format!(
                "aggregated in the cluster ({})",
                plural(r.records, "record", "records")
            )
        }
    } else {
        format!(
            "ingested {} ({}, {})",
            plural(r.files, "log file", "log files"),
            human_bytes(r.bytes_read),
            plural(r.records, "record", "records")
        )
    };
    let mut s = format!(
        "{source}: {} counted, {} located ({})",
        plural(r.requests_counted, "request", "requests"),
        r.requests_located(),
        pct(if r.requests_counted == 0 {
            0.0
        } else {
            r.requests_located() as f64 / r.requests_counted as f64
        })
    );
    if !r.filtered_out.is_empty() {
        let _ = write!(
            s,
            "; {} filtered out ({})",
            r.filtered_total(),
            by_reason(&r.filtered_out)
        );
    }
    s
}

/// What the user must hear about an ingestion even with `--quiet`: skipped records and
/// requests that could not be located (both are missing from the demand).
pub fn ingest_warnings(r: &IngestReport) -> Vec<String> {
    let mut out = Vec::new();
    if r.skipped_malformed > 0 {
        let mut w = format!(
            "skipped {} ({})",
            plural(r.skipped_malformed, "malformed record", "malformed records"),
            by_reason(&r.skipped_by_reason)
        );
        if let Some(first) = r.skipped_examples.first() {
            let _ = write!(w, "; first at {first}");
        }
        out.push(w);
    }
    if r.unlocated_requests > 0 {
        let mut w = format!(
            "{} from {} could not be located and are left out ({})",
            plural(r.unlocated_requests, "request", "requests"),
            plural(r.unlocated_clients, "client", "clients"),
            by_reason(&r.unlocated_by_reason)
        );
        if let Some(e) = r.unlocated_examples.first() {
            let _ = write!(w, "; e.g. {} first at {}", e.ip, e.first_seen);
        }
        out.push(w);
    }
    if r.requests_at_country_point > 0 {
        out.push(format!(
            "{} of {} located had no coordinates and stand at their country's point \
             (a country-level GeoIP database gives none: geotile and city cells need a city \
             database, which scripts/city-db.sh installs)",
            plural(r.requests_at_country_point, "request", "requests"),
            r.requests_located()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_in_decimal_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(2_276_366), "2.3 MB");
        assert_eq!(human_bytes(36_529_597_000), "36.5 GB");
    }

    #[test]
    fn ingest_summary_is_one_line_and_skips_are_warnings() {
        let mut r = IngestReport {
            files: 1,
            bytes_read: 2_276_366,
            records: 60_000,
            requests_counted: 4,
            skipped_malformed: 1,
            ..Default::default()
        };
        r.filtered_out.insert("status 404".into(), 3);
        r.skipped_by_reason.insert("malformed JSON".into(), 1);
        r.skipped_examples
            .push("a.log:3: field `record`: malformed JSON".into());
        assert_eq!(
            ingest_summary(&r),
            "ingested 1 log file (2.3 MB, 60000 records): 4 requests counted, 4 located \
             (100.0 %); 3 filtered out (status 404: 3)"
        );
        r.files = 0;
        assert!(
            ingest_summary(&r).starts_with(
                "read from the cluster (2.3 MB of documents, 60000 records): 4 requests counted"
            ),
            "{}",
            ingest_summary(&r)
        );
        r.bytes_read = 0;
        assert!(ingest_summary(&r).starts_with("aggregated in the cluster (60000 records)"));
        assert_eq!(
            ingest_warnings(&r),
            [
                "skipped 1 malformed record (malformed JSON: 1); first at a.log:3: field \
              `record`: malformed JSON"
            ]
        );
    }
}
