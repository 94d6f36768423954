//! Node availability: how a probe run classifies each operator, and what a history of runs
//! says about each node (share of time available, time to first byte, flaps).
//!
//! The classification follows the distribution working group's `operators-ping`
//! (`joyutils/dwg-tools:apps/operators-ping/src/index.ts` at `27142c77`):
//!
//! * `dead`: no endpoint, or `GET /api/v1/status` failed (no answer, an error status, not JSON);
//! * `asset-download-failed`: the status answered but the test object did not download;
//! * `ok`: both answered;
//! * `degraded`: an `ok` node whose query node lags: its `chainHead` or `blocksProcessed` is
//!   more than [`DEGRADED_BLOCKS`] blocks from the median of the `ok` nodes of distributing
//!   buckets.
//!
//! cdnplan adds one case the working group's tool does not check: a node whose
//! `GET /api/v1/buckets` does not list the bucket it operates is `degraded` too (its viewers
//! in that bucket's bags get `421 Misdirected`), with the reason in the document.
//!
//! A node is **available** in a run when it was `ok` or `degraded` *and* its bucket was
//! distributing *and* it served its bucket (see [`Sample::available`]): Orion hands out no
//! URL of a bucket whose `distributing` flag is off, so a disabled bucket counts as down.
//! Times are Unix milliseconds, so this module needs no clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod expected;
pub mod report;

/// How far (blocks) a node's query node may be from the median before it is `degraded`
/// (operators-ping's `THRESHOLD`).
pub const DEGRADED_BLOCKS: u64 = 10;

/// A probe's verdict on one operator, as in `operators-ping`'s `pingStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PingStatus {
    /// Status answered and the test object downloaded (or none was asked for).
    Ok,
    /// Status answered, the test object did not download.
    AssetDownloadFailed,
    /// Answering, but its query node lags the others, or it does not serve its bucket.
    Degraded,
    /// No endpoint, or no usable status answer.
    Dead,
}

impl PingStatus {
    /// The name as in the documents (`ok`, `asset-download-failed`, `degraded`, `dead`).
    pub fn as_str(self) -> &'static str {
        match self {
            PingStatus::Ok => "ok",
            PingStatus::AssetDownloadFailed => "asset-download-failed",
            PingStatus::Degraded => "degraded",
            PingStatus::Dead => "dead",
        }
    }

    /// Whether a node in this state serves viewers (`ok` or `degraded`).
    pub fn serves(self) -> bool {
        matches!(self, PingStatus::Ok | PingStatus::Degraded)
    }
}

/// What one probe of one operator observed, before the run-wide `degraded` check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Observation {
    /// `GET /api/v1/status` answered 2xx with a JSON status.
    pub status_ok: bool,
    /// The test object's download: `None` when none was asked for.
    pub asset_ok: Option<bool>,
    /// `GET /api/v1/buckets` did not list the operator's bucket (`false` when it did, or when
    /// the answer was unusable or said `allByWorkerId`).
    pub bucket_missing: bool,
    /// The bucket's `distributing` flag.
    pub distributing: bool,
    /// The status answer's `queryNodeStatus` as `(chainHead, blocksProcessed)`, when given.
    pub query_node: Option<(u64, u64)>,
}

/// The verdict on one operator of a run, with the references a `degraded` verdict used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The status.
    pub status: PingStatus,
    /// Why it is degraded, when it is.
    pub degraded: Option<Degradation>,
    /// `|chainHead − median|` and `|blocksProcessed − median|` for a node compared with the
    /// others (operators-ping's `chainHeadDiff`, `blocksProcessedDiff`).
    pub diffs: Option<(u64, u64)>,
}

/// Why a node is `degraded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Degradation {
    /// Its query node is more than [`DEGRADED_BLOCKS`] from the medians
    /// `(chain_head, blocks_processed)` of the run.
    QueryNodeLag {
        /// The median `chainHead` of the `ok` nodes of distributing buckets.
        ref_chain_head: u64,
        /// The median `blocksProcessed` of the same nodes.
        ref_blocks_processed: u64,
    },
    /// `GET /api/v1/buckets` does not list the bucket it operates.
    BucketNotServed,
}

/// The median as operators-ping takes it: the element at `len / 2` of the sorted values.
fn upper_median(values: &mut [u64]) -> Option<u64> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

/// Classifies every operator of one run (the `degraded` check compares the nodes of a run,
/// so it needs them all at once).
///
/// ```
/// use cdnplan_core::availability::{classify, Observation, PingStatus};
/// let ok = |h| Observation { status_ok: true, asset_ok: Some(true), distributing: true,
///                            query_node: Some((h, h)), ..Default::default() };
/// let run = [ok(1000), ok(1001), ok(1002), ok(900),
///            Observation { status_ok: true, asset_ok: Some(false), ..Default::default() },
///            Observation::default()];
/// let got: Vec<_> = classify(&run).iter().map(|v| v.status).collect();
/// use PingStatus::*;
/// assert_eq!(got, [Ok, Ok, Ok, Degraded, AssetDownloadFailed, Dead]);
/// ```
pub fn classify(run: &[Observation]) -> Vec<Verdict> {
    let first = |o: &Observation| {
        if !o.status_ok {
            PingStatus::Dead
        } else if o.asset_ok == Some(false) {
            PingStatus::AssetDownloadFailed
        } else {
            PingStatus::Ok
        }
    };
    let reference: Vec<(u64, u64)> = run
        .iter()
        .filter(|o| first(o) == PingStatus::Ok && o.distributing)
        .filter_map(|o| o.query_node)
        .collect();
    let mut heads: Vec<u64> = reference.iter().map(|r| r.0).collect();
    let mut blocks: Vec<u64> = reference.iter().map(|r| r.1).collect();
    let medians = upper_median(&mut heads).zip(upper_median(&mut blocks));
    run.iter()
        .map(|o| {
            let status = first(o);
            let mut v = Verdict {
                status,
                degraded: None,
                diffs: None,
            };
            if status != PingStatus::Ok {
                return v;
            }
            if let (Some((head, done)), Some((ref_head, ref_done))) = (o.query_node, medians) {
                let diffs = (head.abs_diff(ref_head), done.abs_diff(ref_done));
                if diffs.0 > DEGRADED_BLOCKS || diffs.1 > DEGRADED_BLOCKS {
                    v.status = PingStatus::Degraded;
                    v.degraded = Some(Degradation::QueryNodeLag {
                        ref_chain_head: ref_head,
                        ref_blocks_processed: ref_done,
                    });
                    return v;
                }
                v.diffs = Some(diffs);
            }
            if o.bucket_missing {
                v.status = PingStatus::Degraded;
                v.degraded = Some(Degradation::BucketNotServed);
            }
            v
        })
        .collect()
}

/// One operator in one run, as a history keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The operator (`{bucket}-{worker}`, the indexer's operator id).
    pub operator: String,
    /// The vantage point that probed it (`source`).
    pub source: String,
    /// When, Unix milliseconds.
    pub time_ms: i64,
    /// The verdict.
    pub status: PingStatus,
    /// Whether the bucket was distributing (`None`: the document did not say).
    pub distributing: Option<bool>,
    /// Whether the node listed its bucket (`None`: not checked).
    pub serves_bucket: Option<bool>,
    /// Time to first byte of the test object, else of the status request, ms.
    pub ttfb_ms: Option<f64>,
    /// The node's endpoint.
    pub endpoint: String,
    /// The bucket (`family:index`).
    pub bucket: String,
}

impl Sample {
    /// Whether viewers could use the node: it served (`ok` or `degraded`), its bucket was
    /// distributing, and it did not disown its bucket. See the [module docs](self).
    pub fn available(&self) -> bool {
        self.status.serves()
            && self.distributing != Some(false)
            && self.serves_bucket != Some(false)
    }
}

/// What a history says about one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeAvailability {
    /// The operator (`{bucket}-{worker}`).
    pub operator: String,
    /// Its endpoint in the latest sample.
    pub endpoint: String,
    /// Its bucket in the latest sample.
    pub bucket: String,
    /// Samples in the window, all vantage points.
    pub samples: u64,
    /// Samples in which it was available.
    pub available: u64,
    /// `available / samples`, in `0..=1`.
    pub availability: f64,
    /// Samples per status.
    pub statuses: BTreeMap<PingStatus, u64>,
    /// Samples in which its bucket was not distributing.
    pub not_distributing: u64,
    /// Median time to first byte over the samples that measured one, ms.
    pub ttfb_p50_ms: Option<f64>,
    /// 90th percentile of the same, ms.
    pub ttfb_p90_ms: Option<f64>,
    /// Changes between available and unavailable, counted per vantage point in time order
    /// and summed.
    pub flaps: u64,
    /// First and last sample, Unix ms.
    pub first_ms: i64,
    /// Last sample, Unix ms.
    pub last_ms: i64,
    /// The vantage points that probed it.
    pub sources: Vec<String>,
}

/// The nearest-rank `q`-percentile (`q` in `0..=1`) of `sorted` (ascending); `None` when empty.
///
/// ```
/// use cdnplan_core::availability::percentile;
/// let v = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0];
/// assert_eq!(percentile(&v, 0.5), Some(50.0));
/// assert_eq!(percentile(&v, 0.9), Some(90.0));
/// assert_eq!(percentile(&v, 1.0), Some(100.0));
/// ```
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Summarises a history per node, sorted by availability (worst first), then operator.
/// Samples may come in any order and from many vantage points.
///
/// ```
/// use cdnplan_core::availability::{summarise, PingStatus, Sample};
/// let s = |t, status| Sample { operator: "0:0-3".into(), source: "eu".into(), time_ms: t,
///     status, distributing: Some(true), serves_bucket: Some(true), ttfb_ms: Some(100.0),
///     endpoint: "https://a/".into(), bucket: "0:0".into() };
/// let h = [s(0, PingStatus::Ok), s(1, PingStatus::Dead), s(2, PingStatus::Ok), s(3, PingStatus::Ok)];
/// let n = &summarise(&h)[0];
/// assert_eq!((n.samples, n.available, n.flaps), (4, 3, 2));
/// assert_eq!(n.availability, 0.75);
/// ```
pub fn summarise(samples: &[Sample]) -> Vec<NodeAvailability> {
    let mut by_node: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        by_node.entry(&s.operator).or_default().push(s);
    }
    let mut out: Vec<NodeAvailability> = by_node
        .into_iter()
        .map(|(operator, mut rows)| {
            rows.sort_by(|a, b| {
                (a.time_ms, &a.source)
                    .cmp(&(b.time_ms, &b.source))
                    .then_with(|| a.status.cmp(&b.status))
            });
            let latest = rows[rows.len() - 1];
            let available = rows.iter().filter(|s| s.available()).count() as u64;
            let mut statuses = BTreeMap::new();
            for s in &rows {
                *statuses.entry(s.status).or_insert(0) += 1;
            }
            let mut ttfb: Vec<f64> = rows
                .iter()
                .filter_map(|s| s.ttfb_ms)
                .filter(|t| t.is_finite())
                .collect();
            ttfb.sort_by(f64::total_cmp);
            let mut last_state: BTreeMap<&str, bool> = BTreeMap::new();
            let mut flaps = 0;
            for s in &rows {
                let now = s.available();
                if let Some(before) = last_state.insert(&s.source, now)
                    && before != now
                {
                    flaps += 1;
                }
            }
            NodeAvailability {
                operator: operator.to_string(),
                endpoint: latest.endpoint.clone(),
                bucket: latest.bucket.clone(),
                samples: rows.len() as u64,
                available,
                availability: available as f64 / rows.len() as f64,
                statuses,
                not_distributing: rows
                    .iter()
                    .filter(|s| s.distributing == Some(false))
                    .count() as u64,
                ttfb_p50_ms: percentile(&ttfb, 0.5),
                ttfb_p90_ms: percentile(&ttfb, 0.9),
                flaps,
                first_ms: rows[0].time_ms,
                last_ms: latest.time_ms,
                sources: last_state.keys().map(|s| s.to_string()).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.availability
            .total_cmp(&b.availability)
            .then_with(|| a.operator.cmp(&b.operator))
    });
    out
}

#[cfg(test)]
mod tests;
