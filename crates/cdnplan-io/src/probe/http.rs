//! The probe's requests: GET with a first-byte timeout, an overall deadline, a body cap and
//! retries; time to first byte is the time to the answer's headers, as operators-ping's
//! `fetch` measures it. Messages never carry user information.

use std::time::{Duration, Instant};

use cdnplan_core::topology::{BucketId, WorkerId};
use serde_json::Value;

use super::doc::{AssetResult, BucketsResult, NodeStatus, RequestResult};
use super::{ProbeOptions, join};
use crate::error::{Error, Result};
use crate::redact::{Redactor, strip_userinfo};

/// The HTTP client of a run: connect timeout, no client-wide timeout (each request sets its
/// own), at most five redirects.
pub(super) fn client(opts: &ProbeOptions) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("cdnplan-probe/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(opts.connect_timeout)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|e| Error::Config(format!("cannot build the probe's HTTP client: {e}")))
}

/// A complete answer.
struct Answer {
    code: u16,
    body: Vec<u8>,
    ttfb_ms: f64,
    total_ms: f64,
    cache: Option<String>,
}

/// A failed attempt.
struct Failure {
    reason: String,
    code: Option<u16>,
    ttfb_ms: Option<f64>,
    retry: bool,
}

/// How much of a body to read and what to make of more.
#[derive(Clone, Copy)]
enum Cap {
    /// More than this many bytes is a failure.
    Fail(u64),
    /// Stop reading after this many bytes (a range of a test object).
    Stop(u64),
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// A reqwest error's message without its URL, each cause once.
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_redirect() {
        "too many redirects"
    } else {
        "request failed"
    };
    let mut msg = kind.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    let mut seen = Vec::new();
    while let Some(s) = src {
        let text = s.to_string();
        if !seen.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
            seen.push(text);
        }
        src = s.source();
    }
    msg
}

/// One GET attempt.
async fn attempt(
    client: &reqwest::Client,
    url: &str,
    range: Option<u64>,
    cap: Cap,
    opts: &ProbeOptions,
) -> std::result::Result<Answer, Failure> {
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + opts.request_timeout;
    let mut req = client.get(url).header("Cache-Control", "no-cache");
    if let Some(n) = range {
        req = req.header("Range", format!("bytes=0-{}", n.saturating_sub(1)));
    }
    let first = opts.first_byte_timeout.min(opts.request_timeout);
    let mut resp = match tokio::time::timeout(first, req.send()).await {
        Err(_) => {
            return Err(Failure {
                reason: format!("no answer within {} s", first.as_secs_f64()),
                code: None,
                ttfb_ms: None,
                retry: true,
            });
        }
        Ok(Err(e)) => {
            return Err(Failure {
                retry: e.is_connect() || e.is_timeout() || e.is_request(),
                reason: describe(e.without_url()),
                code: None,
                ttfb_ms: None,
            });
        }
        Ok(Ok(r)) => r,
    };
    let ttfb_ms = ms(start.elapsed());
    let code = resp.status().as_u16();
    let cache = resp
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let limit = match cap {
        Cap::Fail(n) | Cap::Stop(n) => n,
    };
    let mut body = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Err(_) => {
                if matches!(cap, Cap::Stop(_)) && (200..300).contains(&code) {
                    // As operators-ping: a download cut by the deadline counts with what came.
                    break;
                }
                return Err(Failure {
                    reason: format!(
                        "the answer did not finish within {} s",
                        opts.request_timeout.as_secs_f64()
                    ),
                    code: Some(code),
                    ttfb_ms: Some(ttfb_ms),
                    retry: true,
                });
            }
            Ok(Err(e)) => {
                return Err(Failure {
                    reason: describe(e.without_url()),
                    code: Some(code),
                    ttfb_ms: Some(ttfb_ms),
                    retry: true,
                });
            }
            Ok(Ok(None)) => break,
            Ok(Ok(Some(bytes))) => {
                let room =
                    usize::try_from(limit.saturating_sub(body.len() as u64)).unwrap_or(usize::MAX);
                if bytes.len() > room {
                    match cap {
                        Cap::Stop(_) => {
                            body.extend_from_slice(&bytes[..room]);
                            break;
                        }
                        Cap::Fail(n) => {
                            return Err(Failure {
                                reason: format!("the answer is larger than {n} bytes"),
                                code: Some(code),
                                ttfb_ms: Some(ttfb_ms),
                                retry: false,
                            });
                        }
                    }
                }
                body.extend_from_slice(&bytes);
            }
        }
    }
    let total_ms = ms(start.elapsed());
    if !(200..300).contains(&code) {
        return Err(Failure {
            reason: format!("HTTP {code}"),
            code: Some(code),
            ttfb_ms: Some(ttfb_ms),
            retry: code >= 500,
        });
    }
    Ok(Answer {
        code,
        body,
        ttfb_ms,
        total_ms,
        cache,
    })
}

/// GET with retries; the request's record and, on success, the answer.
async fn get(
    client: &reqwest::Client,
    endpoint: &str,
    path: &str,
    range: Option<u64>,
    cap: Cap,
    opts: &ProbeOptions,
) -> (RequestResult, Option<Answer>) {
    let url = join(endpoint, path);
    let mut redactor = Redactor::new();
    redactor.url(endpoint);
    let mut rec = RequestResult {
        url: strip_userinfo(&url),
        ..RequestResult::default()
    };
    loop {
        rec.attempts += 1;
        match attempt(client, &url, range, cap, opts).await {
            Ok(a) => {
                rec.status_code = Some(a.code);
                rec.ttfb = Some(a.ttfb_ms);
                rec.total_request_time = Some(a.total_ms);
                rec.error = None;
                return (rec, Some(a));
            }
            Err(f) => {
                rec.status_code = f.code;
                rec.ttfb = f.ttfb_ms;
                rec.total_request_time = None;
                rec.error = Some(strip_userinfo(&redactor.redact(&f.reason)));
                if !f.retry || rec.attempts > opts.retries {
                    return (rec, None);
                }
                tokio::time::sleep(opts.retry_delay).await;
            }
        }
    }
}

/// `GET /api/v1/status`: the record and the status, when the answer is a JSON object of the
/// `StatusResponse` shape.
pub(super) async fn status(
    client: &reqwest::Client,
    endpoint: &str,
    opts: &ProbeOptions,
) -> (RequestResult, Option<NodeStatus>) {
    let (mut rec, answer) = get(
        client,
        endpoint,
        "api/v1/status",
        None,
        Cap::Fail(opts.max_body_bytes),
        opts,
    )
    .await;
    let Some(a) = answer else {
        return (rec, None);
    };
    let parsed = serde_json::from_slice::<Value>(&a.body)
        .map_err(|e| format!("the status answer is not JSON ({e})"))
        .and_then(|v| {
            if v.is_object() {
                serde_json::from_value::<NodeStatus>(v)
                    .map_err(|e| format!("the status answer is not a StatusResponse ({e})"))
            } else {
                Err("the status answer is not a JSON object".to_string())
            }
        });
    match parsed {
        Ok(mut s) => {
            if let Some(q) = s.query_node_status.as_mut() {
                q.url = q.url.as_deref().map(strip_userinfo);
            }
            (rec, Some(s))
        }
        Err(e) => {
            rec.error = Some(e);
            (rec, None)
        }
    }
}

/// `GET /api/v1/buckets`: what the node serves, and whether that includes `bucket`.
pub(super) async fn buckets(
    client: &reqwest::Client,
    endpoint: &str,
    bucket: BucketId,
    worker: WorkerId,
    opts: &ProbeOptions,
) -> BucketsResult {
    let (request, answer) = get(
        client,
        endpoint,
        "api/v1/buckets",
        None,
        Cap::Fail(opts.max_body_bytes),
        opts,
    )
    .await;
    let mut out = BucketsResult {
        request,
        ..BucketsResult::default()
    };
    let Some(a) = answer else { return out };
    let v: Value = match serde_json::from_slice(&a.body) {
        Ok(v) => v,
        Err(e) => {
            out.request.error = Some(format!("the buckets answer is not JSON ({e})"));
            return out;
        }
    };
    if let Some(ids) = v.get("bucketIds").and_then(Value::as_array) {
        let ids: Vec<String> = ids
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect();
        let me = bucket.to_string();
        // Integer ids (an older API revision) cannot be matched with `family:index`.
        out.serves_bucket = ids
            .iter()
            .all(|i| i.contains(':'))
            .then(|| ids.contains(&me));
        out.bucket_ids = Some(ids);
    } else if let Some(w) = v.get("allByWorkerId").and_then(Value::as_u64) {
        out.all_by_worker_id = Some(w);
        out.serves_bucket = Some(w == worker.0);
    } else {
        out.request.error =
            Some("the buckets answer has neither `bucketIds` nor `allByWorkerId`".to_string());
    }
    out
}

/// `GET /api/v1/assets/{id}` for the first [`ProbeOptions::asset_bytes`] bytes.
pub(super) async fn asset(
    client: &reqwest::Client,
    endpoint: &str,
    id: &str,
    opts: &ProbeOptions,
) -> AssetResult {
    let path = format!("api/v1/assets/{id}");
    let (rec, answer) = get(
        client,
        endpoint,
        &path,
        Some(opts.asset_bytes),
        Cap::Stop(opts.asset_bytes),
        opts,
    )
    .await;
    match answer {
        Some(a) => {
            let download_ms = ((a.total_ms - a.ttfb_ms).max(0.0) * 1e3).round() / 1e3;
            let size = a.body.len() as u64;
            AssetResult {
                status: "success".into(),
                url: rec.url,
                ttfb: Some(a.ttfb_ms),
                total_request_time: Some(a.total_ms),
                download_time: Some(download_ms),
                download_size: Some(size),
                download_speed_bps: Some(
                    (size as f64 * 8.0 / (download_ms.max(1.0) / 1e3)).round(),
                ),
                cache_status: Some(a.cache.unwrap_or_else(|| "unknown".into())),
                error: None,
                status_code: None,
                attempts: rec.attempts,
            }
        }
        None => AssetResult {
            status: "error".into(),
            url: rec.url,
            ttfb: rec.ttfb,
            error: rec.error,
            status_code: rec.status_code,
            attempts: rec.attempts,
            ..AssetResult::default()
        },
    }
}
