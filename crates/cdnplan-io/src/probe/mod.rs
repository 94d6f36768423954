//! The operator probe: ask every active distributor node of a topology whether it answers,
//! serves its bucket and delivers a test object, and how fast; write one document per
//! operator in the shape of the working group's `operators-ping` index.
//!
//! Per operator, with a bounded number of operators at a time:
//!
//! 1. `GET {endpoint}/api/v1/status` (the node's `StatusResponse`);
//! 2. `GET {endpoint}/api/v1/buckets` (`BucketsResponse`: `{"bucketIds": ["f:i", …]}` or
//!    `{"allByWorkerId": N}`);
//! 3. with [`ProbeOptions::asset`], `GET {endpoint}/api/v1/assets/{id}` with
//!    `Range: bytes=0-{asset_bytes − 1}`.
//!
//! The paths and answer shapes are the distributor node's public API,
//! `Joystream/joystream:distributor-node/src/api-spec/public.yml` at `01d5babcd6f0`
//! (`bucketIds` as `"family:index"` strings; an older revision, `eec0e7bc08cf`, had integers,
//! which are read too); the optional `queryNodeStatus`, `version` and `workerId` of newer
//! nodes are those `operators-ping` reads (`joyutils/dwg-tools:apps/operators-ping/src/types.ts`
//! at `27142c77`). Each request has a first-byte timeout, an overall deadline, a body cap,
//! and is retried on a failed connection, a timeout or a 5xx answer. The verdicts are
//! [`cdnplan_core::availability::classify`]'s. URLs in documents and messages never carry
//! user information.
//!
//! ```no_run
//! use cdnplan_io::probe::{self, ProbeOptions};
//! let topology = cdnplan_io::data::load_topology("data/joystream/mainnet-2023-01.json".as_ref())?;
//! let targets = probe::targets(&topology);
//! let opts = ProbeOptions::new("eu-1").concurrency(8).asset("1000");
//! let docs = probe::run(&targets, &opts, chrono::Utc::now())?;
//! probe::append_run("pings.ndjson".as_ref(), &docs)?;
//! # Ok::<(), cdnplan_io::Error>(())
//! ```

use std::sync::Arc;
use std::time::Duration;

use cdnplan_core::availability::{Observation, classify};
use cdnplan_core::topology::{BucketId, OperatorStatus, Topology, WorkerId};
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

mod append;
mod doc;
mod history;
mod http;
#[cfg(feature = "es")]
mod index;

pub use append::append_run;
pub use doc::{AssetResult, BucketsResult, NodeStatus, PingDoc, QueryNodeStatus, RequestResult};
pub use history::{History, read_history};
#[cfg(feature = "es")]
#[cfg_attr(docsrs, doc(cfg(feature = "es")))]
pub use index::index_run;

/// Settings of a probe run.
///
/// ```
/// use std::time::Duration;
/// use cdnplan_io::probe::ProbeOptions;
/// let o = ProbeOptions::new("eu-1").first_byte_timeout(Duration::from_secs(2)).retries(0);
/// assert_eq!(o.concurrency, 16);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProbeOptions {
    /// The vantage point's name, written as each document's `source`.
    pub source: String,
    /// Longest wait for a connection (default 5 s).
    pub connect_timeout: Duration,
    /// Longest wait from sending a request to the answer's headers (default 5 s, as
    /// operators-ping's `INITIAL_RESPONSE_TIMEOUT`).
    pub first_byte_timeout: Duration,
    /// Longest time one request may take in all (default 20 s, operators-ping's
    /// `TOTAL_REQUEST_TIMEOUT`).
    pub request_timeout: Duration,
    /// Further attempts after a failed connection, a timeout or a 5xx answer (default 1).
    pub retries: u32,
    /// Pause before a retry (default 500 ms).
    pub retry_delay: Duration,
    /// Operators probed at once (default 16).
    pub concurrency: usize,
    /// Largest status or buckets answer, bytes (default 1 MiB); a larger one is a failure.
    pub max_body_bytes: u64,
    /// The test object's id, downloaded from every node (default: none).
    pub asset: Option<String>,
    /// How much of the test object to download, bytes (default 1 MiB); the download stops
    /// there even when the node ignores the `Range` header.
    pub asset_bytes: u64,
}

impl ProbeOptions {
    /// The defaults, probing from vantage point `source`.
    pub fn new(source: impl Into<String>) -> Self {
        ProbeOptions {
            source: source.into(),
            connect_timeout: Duration::from_secs(5),
            first_byte_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            retries: 1,
            retry_delay: Duration::from_millis(500),
            concurrency: 16,
            max_body_bytes: 1 << 20,
            asset: None,
            asset_bytes: 1 << 20,
        }
    }

    /// Sets [`ProbeOptions::connect_timeout`].
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Sets [`ProbeOptions::first_byte_timeout`].
    pub fn first_byte_timeout(mut self, d: Duration) -> Self {
        self.first_byte_timeout = d;
        self
    }

    /// Sets [`ProbeOptions::request_timeout`].
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// Sets [`ProbeOptions::retries`].
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }

    /// Sets [`ProbeOptions::retry_delay`].
    pub fn retry_delay(mut self, d: Duration) -> Self {
        self.retry_delay = d;
        self
    }

    /// Sets [`ProbeOptions::concurrency`] (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Sets [`ProbeOptions::max_body_bytes`].
    pub fn max_body_bytes(mut self, n: u64) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// Sets [`ProbeOptions::asset`].
    pub fn asset(mut self, id: impl Into<String>) -> Self {
        self.asset = Some(id.into());
        self
    }

    /// Sets [`ProbeOptions::asset_bytes`] (at least 1).
    pub fn asset_bytes(mut self, n: u64) -> Self {
        self.asset_bytes = n.max(1);
        self
    }
}

/// One operator to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The indexer's operator id, `{bucket}-{worker}`.
    pub operator_id: String,
    /// The bucket it operates.
    pub bucket: BucketId,
    /// Its worker.
    pub worker: WorkerId,
    /// Its node endpoint (as in its metadata, user information and all).
    pub endpoint: String,
    /// The bucket's `distributing` flag.
    pub distributing: bool,
    /// The bucket's `acceptingNewBags` flag.
    pub accepting_new_bags: bool,
}

/// Every active operator of `topology` with an endpoint, in bucket then worker order.
///
/// ```
/// let t = cdnplan_io::data::load_topology("../../data/joystream/mainnet-2023-01.json".as_ref())?;
/// let targets = cdnplan_io::probe::targets(&t);
/// assert!(targets.iter().all(|t| t.endpoint.starts_with("https://")));
/// assert_eq!(targets[0].operator_id, format!("{}-{}", targets[0].bucket, targets[0].worker));
/// # Ok::<(), cdnplan_io::Error>(())
/// ```
pub fn targets(topology: &Topology) -> Vec<Target> {
    let mut out: Vec<Target> = topology
        .buckets
        .iter()
        .flat_map(|b| {
            b.operators
                .iter()
                .filter(|o| o.status == OperatorStatus::Active)
                .filter_map(move |o| {
                    let endpoint = o.metadata.as_ref()?.endpoint.as_deref()?.trim();
                    (!endpoint.is_empty()).then(|| Target {
                        operator_id: format!("{}-{}", b.id, o.worker),
                        bucket: b.id,
                        worker: o.worker,
                        endpoint: endpoint.to_string(),
                        distributing: b.distributing,
                        accepting_new_bags: b.accepting_new_bags,
                    })
                })
        })
        .collect();
    out.sort_by_key(|t| (t.bucket, t.worker));
    out
}

/// `endpoint` joined with `path` (`api/v1/status`): one slash between them, whatever the
/// endpoint ends with.
pub fn join(endpoint: &str, path: &str) -> String {
    format!(
        "{}/{}",
        endpoint.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Probes every target and classifies the run; `time` is written as every document's `time`
/// (the caller's clock, so a history can be generated or replayed). Documents come in the
/// targets' order. Builds its own current-thread runtime; from async code call
/// [`probe_all`].
///
/// # Errors
/// [`Error::Config`] when the HTTP client cannot be built. A node that fails is a verdict
/// (`dead`, …), never an error.
pub fn run(targets: &[Target], opts: &ProbeOptions, time: DateTime<Utc>) -> Result<Vec<PingDoc>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Config(format!("cannot start the probe's runtime: {e}")))?;
    rt.block_on(probe_all(targets, opts, time))
}

/// [`run`] inside a Tokio runtime.
///
/// # Errors
/// As [`run`].
pub async fn probe_all(
    targets: &[Target],
    opts: &ProbeOptions,
    time: DateTime<Utc>,
) -> Result<Vec<PingDoc>> {
    let client = http::client(opts)?;
    let opts = Arc::new(opts.clone());
    let gate = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, t) in targets.iter().enumerate() {
        let (client, opts, gate, t) = (client.clone(), opts.clone(), gate.clone(), t.clone());
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (i, probe_one(&client, &t, &opts).await)
        });
    }
    let mut raw: Vec<Option<Raw>> = vec![None; targets.len()];
    while let Some(joined) = set.join_next().await {
        let (i, r) = joined.map_err(|e| Error::Config(format!("a probe task failed: {e}")))?;
        raw[i] = Some(r);
    }
    let raw: Vec<Raw> = raw.into_iter().flatten().collect();
    let observations: Vec<Observation> = raw
        .iter()
        .zip(targets)
        .map(|(r, t)| r.observation(t))
        .collect();
    let verdicts = classify(&observations);
    Ok(raw
        .into_iter()
        .zip(targets)
        .zip(verdicts)
        .map(|((r, t), v)| doc::assemble(t, r, v, &opts, time))
        .collect())
}

/// What the requests to one node returned.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub(crate) status: RequestResult,
    pub(crate) node_status: Option<NodeStatus>,
    pub(crate) buckets: Option<BucketsResult>,
    pub(crate) asset: Option<AssetResult>,
}

impl Raw {
    fn observation(&self, t: &Target) -> Observation {
        Observation {
            status_ok: self.node_status.is_some(),
            asset_ok: self.asset.as_ref().map(|a| a.status == "success"),
            bucket_missing: self
                .buckets
                .as_ref()
                .is_some_and(|b| b.serves_bucket == Some(false)),
            distributing: t.distributing,
            query_node: self
                .node_status
                .as_ref()
                .and_then(|s| s.query_node_status.as_ref())
                .and_then(|q| Some((q.chain_head?, q.blocks_processed?))),
        }
    }
}

async fn probe_one(client: &reqwest::Client, t: &Target, opts: &ProbeOptions) -> Raw {
    let (status, node_status) = http::status(client, &t.endpoint, opts).await;
    if node_status.is_none() {
        return Raw {
            status,
            node_status,
            buckets: None,
            asset: None,
        };
    }
    let buckets = Some(http::buckets(client, &t.endpoint, t.bucket, t.worker, opts).await);
    let asset = match &opts.asset {
        Some(id) => Some(http::asset(client, &t.endpoint, id, opts).await),
        None => None,
    };
    Raw {
        status,
        node_status,
        buckets,
        asset,
    }
}

#[cfg(test)]
mod tests;
