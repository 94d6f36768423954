//! Reading probe documents back: cdnplan's own and the working group's `operators-ping`
//! documents (one JSON object a line, bare or as an Elasticsearch hit with `_source`).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use cdnplan_core::availability::{PingStatus, Sample};
use chrono::DateTime;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::redact::strip_userinfo;

/// Longest line read; a longer one is skipped as malformed.
const MAX_LINE_BYTES: usize = 1 << 20;

/// Samples read from probe documents.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct History {
    /// The distribution operators' samples in the window, in file order.
    pub samples: Vec<Sample>,
    /// Documents of storage operators (the working group's index holds both), left out.
    pub other_operators: u64,
    /// Documents before the window, left out.
    pub before_window: u64,
    /// Lines that are not a usable document, left out.
    pub skipped: u64,
    /// The first of those, as `path:line: field: reason`.
    pub first_skip: Option<String>,
}

impl History {
    /// The earliest and latest sample, Unix ms.
    pub fn span_ms(&self) -> Option<(i64, i64)> {
        let min = self.samples.iter().map(|s| s.time_ms).min()?;
        let max = self.samples.iter().map(|s| s.time_ms).max()?;
        Some((min, max))
    }
}

/// Reads the documents of `paths`; with `window`, keeps only those within `window` of the
/// latest document read (so a saved history gives the same report whenever it is read).
///
/// ```
/// use cdnplan_io::probe::read_history;
/// let dir = tempfile::tempdir()?;
/// let p = dir.path().join("pings.ndjson");
/// std::fs::write(&p, concat!(
///     r#"{"time":"2026-12-01T00:00:00.000Z","source":"wg","operatorId":"0:0-3","bucketId":"0:0","#,
///     r#""pingStatus":"ok","distributingStatus":"distributing","operatorType":"distribution"}"#, "\n",
///     r#"{"time":"2026-12-01T00:00:00.000Z","operatorId":"7","pingStatus":"ok","operatorType":"storage"}"#, "\n",
///     "not json\n"))?;
/// let h = read_history(&[p], None)?;
/// assert_eq!((h.samples.len(), h.other_operators, h.skipped), (1, 1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Io`] when a file cannot be read. Malformed lines are counted, not errors.
pub fn read_history(paths: &[PathBuf], window: Option<Duration>) -> Result<History> {
    let mut h = History::default();
    for p in paths {
        read_file(p, &mut h)?;
    }
    if let (Some(w), Some((_, last))) = (window, h.span_ms()) {
        let since = last.saturating_sub(i64::try_from(w.as_millis()).unwrap_or(i64::MAX));
        let before = h.samples.len();
        h.samples.retain(|s| s.time_ms >= since);
        h.before_window = (before - h.samples.len()) as u64;
    }
    Ok(h)
}

fn read_file(path: &Path, h: &mut History) -> Result<()> {
    let f = File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
    let mut r = BufReader::new(f);
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        let got = (&mut r)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(path, "cannot read", e))?;
        if got == 0 {
            return Ok(());
        }
        n += 1;
        let mut skip = |why: String| {
            h.skipped += 1;
            if h.first_skip.is_none() {
                h.first_skip = Some(format!("{}:{n}: {why}", path.display()));
            }
        };
        if line.len() > MAX_LINE_BYTES && !line.ends_with(b"\n") {
            // Read the rest of the overlong line away.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                let m = (&mut r)
                    .take(MAX_LINE_BYTES as u64)
                    .read_until(b'\n', &mut rest)
                    .map_err(|e| Error::io(path, "cannot read", e))?;
                if m == 0 || rest.ends_with(b"\n") {
                    break;
                }
            }
            skip(format!("line longer than {MAX_LINE_BYTES} bytes"));
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match sample(&line) {
            Ok(Some(s)) => h.samples.push(s),
            Ok(None) => h.other_operators += 1,
            Err(why) => skip(why),
        }
    }
}

/// The sample of one line; `None` for another operator type.
fn sample(line: &[u8]) -> std::result::Result<Option<Sample>, String> {
    let v: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON ({e})"))?;
    let d = v.get("_source").unwrap_or(&v);
    if !d.is_object() {
        return Err("not a JSON object".into());
    }
    if let Some(kind) = d.get("operatorType").and_then(Value::as_str)
        && kind != "distribution"
    {
        return Ok(None);
    }
    let text = |field: &str| match d.get(field) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let operator = text("operatorId").ok_or("field `operatorId`: missing")?;
    let time_ms = match d.get("time") {
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map_err(|e| format!("field `time`: not RFC 3339 ({e}) (got {s:?})"))?
            .timestamp_millis(),
        Some(Value::Number(n)) => n.as_i64().ok_or("field `time`: not whole milliseconds")?,
        _ => return Err("field `time`: missing".into()),
    };
    let status: PingStatus = d
        .get("pingStatus")
        .ok_or("field `pingStatus`: missing")
        .and_then(|s| {
            serde_json::from_value(s.clone()).map_err(|_| "field `pingStatus`: unknown status")
        })?;
    let distributing = match d.get("distributingStatus").and_then(Value::as_str) {
        Some("distributing") => Some(true),
        Some("not-distributing") => Some(false),
        _ => None,
    };
    let asset = d.get("assetDownloadResult");
    let asset_ttfb = asset
        .filter(|a| a.get("status").and_then(Value::as_str) == Some("success"))
        .and_then(|a| a.get("ttfb"))
        .and_then(Value::as_f64);
    let status_ttfb = d.pointer("/statusResult/ttfb").and_then(Value::as_f64);
    Ok(Some(Sample {
        operator,
        source: text("source").unwrap_or_else(|| "unknown".into()),
        time_ms,
        status,
        distributing,
        serves_bucket: d
            .pointer("/bucketsResult/servesBucket")
            .and_then(Value::as_bool),
        ttfb_ms: asset_ttfb
            .or(status_ttfb)
            .filter(|t| t.is_finite() && *t >= 0.0),
        endpoint: text("nodeEndpoint")
            .map(|e| strip_userinfo(&e))
            .unwrap_or_default(),
        bucket: text("bucketId").unwrap_or_default(),
    }))
}
