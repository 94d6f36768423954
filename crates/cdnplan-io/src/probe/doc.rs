//! The probe's document: one per operator per run, in the `operators-ping` index's shape
//! (`joyutils/dwg-tools:apps/operators-ping/src/types.ts` at `27142c77`, `BenchmarkResult`
//! from `packages/dwg-utils/src/assetBenchmark.ts`), plus a few fields of cdnplan's own
//! (`acceptingNewBags`, `statusResult`, `bucketsResult`, `degradedReason`). Times are ms.

use cdnplan_core::availability::{Degradation, PingStatus, Verdict};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{ProbeOptions, Raw, Target, join};
use crate::redact::strip_userinfo;

/// One operator's result in one run (`operators-ping`'s `DistributionOperatorPingResult`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PingDoc {
    /// When the run started, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The vantage point (`--source`).
    pub source: String,
    /// The prober and its version (`cdnplan/0.1.0`).
    pub version: String,
    /// Always `distribution`.
    pub operator_type: String,
    /// The indexer's operator id, `{bucket}-{worker}`.
    pub operator_id: String,
    /// The bucket, `family:index`.
    pub bucket_id: String,
    /// The operator's worker id.
    pub worker_id: u64,
    /// The node's endpoint, without user information.
    pub node_endpoint: String,
    /// `{nodeEndpoint}/api/v1/status`.
    pub status_endpoint: String,
    /// `distributing` or `not-distributing`: the bucket's flag in the topology.
    pub distributing_status: String,
    /// The bucket's `acceptingNewBags` flag in the topology (cdnplan's).
    pub accepting_new_bags: bool,
    /// The verdict.
    pub ping_status: PingStatus,
    /// What failed, for `dead` (and for `asset-download-failed`, the download's error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The status answer's fields, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_status: Option<NodeStatus>,
    /// The test object's download, when one was asked for and the status answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_download_result: Option<AssetResult>,
    /// The test object's id (operators-ping's `assetDownloadType` names a kind instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_id: Option<String>,
    /// `|chainHead − median|` when compared and not degraded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_head_diff: Option<u64>,
    /// `|blocksProcessed − median|` when compared and not degraded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks_processed_diff: Option<u64>,
    /// The median `chainHead` a lagging node was compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_chain_head: Option<u64>,
    /// The median `blocksProcessed` a lagging node was compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_blocks_processed: Option<u64>,
    /// Why a node is `degraded`: `query-node-lag` or `bucket-not-served` (cdnplan's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded_reason: Option<String>,
    /// The status request's timing (cdnplan's).
    pub status_result: RequestResult,
    /// The buckets request (cdnplan's), when the status answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buckets_result: Option<BucketsResult>,
}

/// How one request went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RequestResult {
    /// The URL, without user information.
    pub url: String,
    /// The last attempt's HTTP status, when it got one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// The last attempt's time to the answer's headers, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttfb: Option<f64>,
    /// The last attempt's time to the end of the answer, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_request_time: Option<f64>,
    /// Attempts made (1 + retries used).
    pub attempts: u32,
    /// What went wrong, when it did (redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The fields of the node's `StatusResponse` the probe keeps (all optional: older nodes lack
/// `version` and `queryNodeStatus`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatus {
    /// The node's configured id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The node's software version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The worker id the node runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<u64>,
    /// Objects in its cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects_in_cache: Option<u64>,
    /// Its cache limit, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_limit: Option<u64>,
    /// Its cache use, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_used: Option<u64>,
    /// Seconds since it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime: Option<u64>,
    /// Downloads from storage nodes in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downloads_in_progress: Option<u64>,
    /// Its indexer's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_node_status: Option<QueryNodeStatus>,
}

/// `queryNodeStatus` of a node's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct QueryNodeStatus {
    /// The indexer's URL (user information removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The chain head the indexer knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_head: Option<u64>,
    /// Blocks it has processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks_processed: Option<u64>,
}

/// The buckets request: what the node says it serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BucketsResult {
    /// The request's timing.
    #[serde(flatten)]
    pub request: RequestResult,
    /// The buckets the node listed (`family:index`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_ids: Option<Vec<String>>,
    /// The worker whose buckets it serves, when it answered `allByWorkerId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_by_worker_id: Option<u64>,
    /// Whether the list holds the operator's bucket (`None`: unusable answer, or
    /// `allByWorkerId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serves_bucket: Option<bool>,
}

/// The test object's download (`operators-ping`'s `BenchmarkResult`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AssetResult {
    /// `success` or `error`.
    pub status: String,
    /// The URL, without user information.
    pub url: String,
    /// Time to the answer's headers, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttfb: Option<f64>,
    /// Time to the last byte read, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_request_time: Option<f64>,
    /// `totalRequestTime − ttfb`, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_time: Option<f64>,
    /// Bytes read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_size: Option<u64>,
    /// `downloadSize · 8 / downloadTime`, bits per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_speed_bps: Option<f64>,
    /// The `X-Cache` header (`hit`, `miss`, `pending`), or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_status: Option<String>,
    /// What went wrong (redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The HTTP status of a refused download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Attempts made (cdnplan's).
    #[serde(default)]
    pub attempts: u32,
}

/// `time` as the documents write it.
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The document of target `t` from what its requests returned and its verdict.
pub(super) fn assemble(
    t: &Target,
    r: Raw,
    v: Verdict,
    opts: &ProbeOptions,
    time: DateTime<Utc>,
) -> PingDoc {
    let endpoint = strip_userinfo(&t.endpoint);
    let error = match v.status {
        PingStatus::Dead => Some(
            r.status
                .error
                .clone()
                .unwrap_or_else(|| "Failed to fetch status".to_string()),
        ),
        PingStatus::AssetDownloadFailed => r.asset.as_ref().and_then(|a| a.error.clone()),
        _ => None,
    };
    let (ref_chain_head, ref_blocks_processed, degraded_reason) = match v.degraded {
        Some(Degradation::QueryNodeLag {
            ref_chain_head,
            ref_blocks_processed,
        }) => (
            Some(ref_chain_head),
            Some(ref_blocks_processed),
            Some("query-node-lag"),
        ),
        Some(Degradation::BucketNotServed) => (None, None, Some("bucket-not-served")),
        None => (None, None, None),
    };
    PingDoc {
        time: timestamp(time),
        source: opts.source.clone(),
        version: format!("cdnplan/{}", env!("CARGO_PKG_VERSION")),
        operator_type: "distribution".into(),
        operator_id: t.operator_id.clone(),
        bucket_id: t.bucket.to_string(),
        worker_id: t.worker.0,
        status_endpoint: join(&endpoint, "api/v1/status"),
        node_endpoint: endpoint,
        distributing_status: if t.distributing {
            "distributing"
        } else {
            "not-distributing"
        }
        .into(),
        accepting_new_bags: t.accepting_new_bags,
        ping_status: v.status,
        error,
        node_status: r.node_status,
        asset_id: r.asset.as_ref().and(opts.asset.clone()),
        asset_download_result: r.asset,
        chain_head_diff: v.diffs.map(|d| d.0),
        blocks_processed_diff: v.diffs.map(|d| d.1),
        ref_chain_head,
        ref_blocks_processed,
        degraded_reason: degraded_reason.map(str::to_string),
        status_result: r.status,
        buckets_result: r.buckets,
    }
}
