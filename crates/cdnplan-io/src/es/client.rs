//! The client: one connection pool, a private tokio runtime behind a blocking API, retries
//! with backoff and jitter, and counters of what went over the wire.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::config::EsConnection;
use super::error::EsError;
pub(crate) use super::transport::Method;
use super::transport::Transport;
use crate::redact::Redactor;

/// Which search engine answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Elasticsearch (7, 8, 9).
    Elasticsearch,
    /// OpenSearch (1, 2, 3), including OpenSearch-compatible servers.
    OpenSearch,
}

/// What `GET /` told about the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// The engine.
    pub engine: Engine,
    /// The version number as reported (`"8.15.0"`, `"2.17.1"`).
    pub version: String,
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl ClusterInfo {
    /// True when the engine has a point-in-time API that search_after can page through:
    /// Elasticsearch ≥ 7.12 (`_shard_doc` sort) or OpenSearch ≥ 2.4.
    pub fn has_pit(&self) -> bool {
        match self.engine {
            Engine::Elasticsearch => (self.major, self.minor) >= (7, 12),
            Engine::OpenSearch => (self.major, self.minor) >= (2, 4),
        }
    }

    /// Parses a `GET /` answer.
    fn parse(v: &Value) -> Option<ClusterInfo> {
        let ver = v.get("version")?;
        let number = ver.get("number")?.as_str()?.to_string();
        let dist = ver.get("distribution").and_then(Value::as_str);
        let engine = if dist == Some("opensearch") {
            Engine::OpenSearch
        } else {
            Engine::Elasticsearch
        };
        let mut it = number.split(['.', '-']).map(|p| p.parse::<u32>().ok());
        let major = it.next()??;
        let minor = it.next().flatten().unwrap_or(0);
        Some(ClusterInfo {
            engine,
            version: number,
            major,
            minor,
        })
    }
}

impl std::fmt::Display for ClusterInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.engine {
            Engine::Elasticsearch => "Elasticsearch",
            Engine::OpenSearch => "OpenSearch",
        };
        write!(f, "{name} {}", self.version)
    }
}

/// Counters of one client's traffic.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) requests: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) bytes_received: AtomicU64,
}

/// The shared part of a client, cloned into concurrent slice tasks.
#[derive(Debug)]
pub(crate) struct Inner {
    transport: Transport,
    pub(crate) display: String,
    pub(crate) redactor: Redactor,
    retries: u32,
    backoff_ms: u64,
    timeout: Duration,
    max_body_bytes: u64,
    pub(crate) stats: Stats,
}

/// A connected Elasticsearch / OpenSearch client with a blocking API.
///
/// It owns a single-threaded tokio runtime; every call blocks the calling thread until the
/// cluster has answered (after retries). Do not call it from inside another tokio runtime.
#[derive(Debug)]
pub struct EsClient {
    rt: tokio::runtime::Runtime,
    inner: Arc<Inner>,
    cluster: ClusterInfo,
}

impl EsClient {
    /// Connects and asks `GET /` which engine and version answers.
    ///
    /// # Errors
    /// [`EsError::Config`] for unusable settings, [`EsError::Unreachable`],
    /// [`EsError::Unauthorized`], or [`EsError::Protocol`] when `GET /` is not a cluster's
    /// answer.
    pub fn connect(conn: &EsConnection) -> Result<EsClient, EsError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| EsError::Config(format!("cannot start the I/O runtime: {e}")))?;
        let transport = Transport::build(conn)?;
        let inner = Arc::new(Inner {
            transport,
            display: conn.display(),
            redactor: conn.redactor(),
            retries: conn.retries,
            backoff_ms: conn.backoff_ms.max(1),
            timeout: Duration::from_secs_f64(conn.timeout_secs.clamp(0.05, 3600.0)),
            max_body_bytes: conn.max_body_bytes.max(1),
            stats: Stats::default(),
        });
        let root = rt.block_on(inner.call_json(Method::Get, "/", &[], None, true))?;
        let cluster = ClusterInfo::parse(&root).ok_or_else(|| EsError::Protocol {
            url: inner.display.clone(),
            request: "GET /".into(),
            reason: "no version.number: not an Elasticsearch or OpenSearch cluster".into(),
        })?;
        Ok(EsClient { rt, inner, cluster })
    }

    /// The engine and version found at connection.
    pub fn cluster(&self) -> &ClusterInfo {
        &self.cluster
    }

    /// The cluster as shown in messages (no credentials).
    pub fn display(&self) -> &str {
        &self.inner.display
    }

    /// `(requests, retries, bytes received)` so far.
    pub fn traffic(&self) -> (u64, u64, u64) {
        let s = &self.inner.stats;
        (
            s.requests.load(Ordering::Relaxed),
            s.retries.load(Ordering::Relaxed),
            s.bytes_received.load(Ordering::Relaxed),
        )
    }

    /// Sends one request and returns the JSON answer (retrying as configured). For tools and
    /// tests: seeding an index, asking for a mapping.
    ///
    /// # Errors
    /// As [`EsClient::connect`], plus [`EsError::Server`] for an error answer.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, EsError> {
        let m = match method.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            other => return Err(EsError::Config(format!("unknown HTTP method {other}"))),
        };
        self.block_on(self.inner.call_json(m, path, &[], body, true))
    }

    /// Posts `ndjson` to `path` (a `_bulk` body) and returns the answer.
    ///
    /// # Errors
    /// As [`EsClient::request`].
    pub fn post_ndjson(&self, path: &str, ndjson: Vec<u8>) -> Result<Value, EsError> {
        self.block_on(async {
            let b = self
                .inner
                .call_raw(Method::Post, path, &[], Some(ndjson), true)
                .await?;
            self.inner.json(&b, "POST", path)
        })
    }

    /// Retries per request.
    pub(crate) fn retries(&self) -> u32 {
        self.inner.retries
    }

    pub(crate) fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }
}

/// What one attempt came to.
enum Attempt {
    Done(Vec<u8>),
    /// Worth another try: 429, 5xx, timeout, dropped connection.
    Retry(String),
    /// A dropped connection or timeout on a request that must not be repeated.
    Ambiguous,
    Fail(EsError),
}

impl Inner {
    /// Sends a request with a JSON body and parses the JSON answer.
    pub(crate) async fn call_json(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<Value, EsError> {
        let body = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        let bytes = self.call_raw(method, path, query, body, idempotent).await?;
        self.json(&bytes, method.name(), path)
    }

    pub(crate) fn json(&self, bytes: &[u8], method: &str, path: &str) -> Result<Value, EsError> {
        serde_json::from_slice(bytes)
            .map_err(|e| self.unreadable(bytes, method, path, &format!("not JSON: {e}")))
    }

    /// [`EsError::Protocol`] for an answer that cannot be read: why, and a short redacted
    /// excerpt of it.
    pub(crate) fn unreadable(
        &self,
        bytes: &[u8],
        method: &str,
        path: &str,
        why: &dyn std::fmt::Display,
    ) -> EsError {
        EsError::Protocol {
            url: self.display.clone(),
            request: format!("{method} {path}"),
            reason: format!(
                "unreadable answer ({why}); it begins {:?}",
                self.redactor.excerpt(bytes, 200)
            ),
        }
    }

    /// Sends a request and returns the answer's body, retrying 429, 5xx, timeouts and dropped
    /// connections with exponential backoff and jitter. A request that is not `idempotent`
    /// (a scroll step) is retried only when the cluster refused it (429, 503); a timeout or a
    /// dropped connection comes back as [`EsError::ScrollLost`] for the caller to restart.
    pub(crate) async fn call_raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
        idempotent: bool,
    ) -> Result<Vec<u8>, EsError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let reason = match self
                .attempt(method, path, query, body.clone(), idempotent)
                .await
            {
                Attempt::Done(b) => return Ok(b),
                Attempt::Fail(e) => return Err(e),
                Attempt::Ambiguous => return Err(EsError::ScrollLost { attempts: 1 }),
                Attempt::Retry(r) => r,
            };
            if attempt > self.retries {
                return Err(EsError::Unreachable {
                    url: self.display.clone(),
                    attempts: attempt,
                    reason: format!("{} {path}: {reason}", method.name()),
                });
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(backoff(self.backoff_ms, attempt)).await;
        }
    }

    async fn attempt(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
        idempotent: bool,
    ) -> Attempt {
        let sent = self
            .transport
            .send(method, path, query, body, self.timeout)
            .await;
        let transport_failure = |e: &reqwest::Error| {
            let why = self.redactor.redact(&error_chain(e));
            let why = if e.is_timeout() {
                format!("timed out after {:?} ({why})", self.timeout)
            } else {
                why
            };
            if idempotent {
                Attempt::Retry(why)
            } else {
                Attempt::Ambiguous
            }
        };
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => return transport_failure(&e),
        };
        let status = resp.status().as_u16();
        let too_large = || {
            Attempt::Fail(EsError::TooLarge {
                url: self.display.clone(),
                request: format!("{} {path}", method.name()),
                limit: self.max_body_bytes,
            })
        };
        // A declared length over the cap fails before a byte is read; any other body (chunked,
        // undeclared, or gzip, counted decompressed) is read chunk by chunk and fails as soon
        // as the running total passes the cap, so memory stays within it.
        let declared = resp.content_length();
        if declared.is_some_and(|n| n > self.max_body_bytes) {
            return too_large();
        }
        let mut bytes: Vec<u8> = Vec::with_capacity(declared.unwrap_or(0) as usize);
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if (bytes.len() + c.len()) as u64 > self.max_body_bytes {
                        return too_large();
                    }
                    bytes.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => return transport_failure(&e),
            }
        }
        self.stats
            .bytes_received
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if (200..300).contains(&status) {
            return Attempt::Done(bytes);
        }
        let (ty, reason) = error_reason(&bytes);
        let reason = self.redactor.redact(&reason);
        if status == 429 || status == 503 || (idempotent && matches!(status, 500 | 502 | 504)) {
            return Attempt::Retry(format!("{status} {reason}"));
        }
        let url = self.display.clone();
        Attempt::Fail(match status {
            401 | 403 => EsError::Unauthorized {
                url,
                status,
                what: if status == 401 {
                    "unauthorized"
                } else {
                    "forbidden"
                },
                reason,
            },
            404 if ty == "index_not_found_exception" => EsError::IndexNotFound {
                index: index_of(&bytes).unwrap_or_else(|| path.to_string()),
                url,
            },
            _ => EsError::Server {
                url,
                request: format!("{} {path}", method.name()),
                status,
                reason: if ty.is_empty() {
                    reason
                } else {
                    format!("{ty}: {reason}")
                },
            },
        })
    }
}

/// The delay before retry `attempt` (1-based): `base · 2^(attempt−1)`, at most 10 s, times a
/// jitter factor in [0.5, 1).
pub(crate) fn backoff(base_ms: u64, attempt: u32) -> Duration {
    let exp = base_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(10_000) as f64;
    Duration::from_secs_f64(capped * (0.5 + 0.5 * jitter()) / 1000.0)
}

/// A number in [0, 1) that differs from call to call (splitmix64 over a counter and the clock).
fn jitter() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut z = t ^ COUNTER
        .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The error and its causes, joined by `: `.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

/// `(error.type, error.reason)` of an error answer.
fn error_reason(body: &[u8]) -> (String, String) {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        let t = String::from_utf8_lossy(body);
        return (String::new(), t.chars().take(300).collect());
    };
    let e = v.get("error").unwrap_or(&Value::Null);
    if let Some(s) = e.as_str() {
        return (String::new(), s.to_string());
    }
    let ty = e
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut reason = e
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    // The root cause usually says more (a field, a parse error).
    if let Some(rc) = e
        .get("root_cause")
        .and_then(|r| r.get(0))
        .and_then(|r| r.get("reason"))
        .and_then(Value::as_str)
        && rc != reason
    {
        reason = if reason.is_empty() {
            rc.to_string()
        } else {
            format!("{reason} ({rc})")
        };
    }
    if let Some(cb) = e
        .get("caused_by")
        .and_then(|c| c.get("reason"))
        .and_then(Value::as_str)
        && !reason.contains(cb)
    {
        reason = format!("{reason}: {cb}");
    }
    if reason.is_empty() {
        reason = String::from_utf8_lossy(body).chars().take(300).collect();
    }
    (ty, reason)
}

fn index_of(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    Some(v.get("error")?.get("index")?.as_str()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_and_version_from_root_answers() {
        let os: Value =
            serde_json::json!({"version":{"distribution":"opensearch","number":"2.11.1"}});
        let c = ClusterInfo::parse(&os).unwrap();
        assert_eq!((c.engine, c.major, c.minor), (Engine::OpenSearch, 2, 11));
        assert!(c.has_pit());
        let es: Value = serde_json::json!({"version":{"number":"7.10.2","build_flavor":"default"}});
        let c = ClusterInfo::parse(&es).unwrap();
        assert_eq!((c.engine, c.major, c.minor), (Engine::Elasticsearch, 7, 10));
        assert!(!c.has_pit());
        let es9: Value = serde_json::json!({"version":{"number":"9.0.0-SNAPSHOT"}});
        assert!(ClusterInfo::parse(&es9).unwrap().has_pit());
        assert_eq!(ClusterInfo::parse(&serde_json::json!({"ok":1})), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        for attempt in 1..=20 {
            let d = backoff(200, attempt).as_secs_f64() * 1000.0;
            let full = (200.0 * 2f64.powi(attempt as i32 - 1)).min(10_000.0);
            assert!(d >= full * 0.5 - 1e-6 && d < full + 1e-6, "{attempt}: {d}");
        }
    }

    use crate::es::{EsAuth, Secret};
    use crate::redact::base64;
    use crate::testserver::{reply, serve};
    use std::io::Write;

    /// Row 8 of issue 15: a 401 whose body echoes the `Authorization` header shows no
    /// credential, in none of the forms it travels in.
    #[test]
    fn a_401_echoing_the_credentials_is_redacted() {
        let url = serve(|req, s| {
            let auth = req.header("authorization").unwrap_or_default();
            let reason = format!("unable to authenticate with [{auth}]");
            let body =
                serde_json::json!({"error": {"type": "security_exception", "reason": reason}});
            reply(s, 401, &body.to_string());
        });
        let basic = EsAuth::Basic {
            username: "elastic".into(),
            password: Secret::new("hunter2pw"),
        };
        let pair = "keyid:k3ysecret";
        for (auth, leaks) in [
            (
                basic,
                vec!["hunter2pw".to_string(), base64(b"elastic:hunter2pw")],
            ),
            (
                EsAuth::ApiKey(Secret::new(pair)),
                vec!["k3ysecret".into(), base64(pair.as_bytes())],
            ),
            (
                EsAuth::ApiKey(Secret::new(base64(pair.as_bytes()))),
                vec!["k3ysecret".into(), base64(pair.as_bytes())],
            ),
            (
                EsAuth::Bearer(Secret::new("t0kenvalue")),
                vec!["t0kenvalue".into()],
            ),
        ] {
            let conn = EsConnection::url(&url).unwrap().auth(auth).retries(0);
            let e = EsClient::connect(&conn).unwrap_err().to_string();
            assert!(e.contains("401 unauthorized") && e.contains("***"), "{e}");
            for leak in leaks {
                assert!(!e.contains(&leak), "{leak} in {e}");
            }
        }
    }

    /// Row 11: an answer over `max_body_bytes` fails naming the limit: a declared length
    /// before a byte of the body is read, an undeclared one once read.
    #[test]
    fn oversized_answers_fail_naming_the_limit() {
        let declared = serve(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4294967296\r\n\r\n");
            let spaces = vec![b' '; 1 << 16];
            while s.write_all(&spaces).is_ok() {}
        });
        let chunked = serve(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            let chunk = format!("10000\r\n{}\r\n", " ".repeat(1 << 16));
            for _ in 0..32 {
                if s.write_all(chunk.as_bytes()).is_err() {
                    return;
                }
            }
            let _ = s.write_all(b"0\r\n\r\n");
        });
        for url in [declared, chunked] {
            let conn = EsConnection::url(&url)
                .unwrap()
                .max_body_bytes(1 << 20)
                .retries(0);
            let e = EsClient::connect(&conn).unwrap_err();
            assert!(
                matches!(
                    e,
                    EsError::TooLarge {
                        limit: 1_048_576,
                        ..
                    }
                ),
                "{e}"
            );
            let e = e.to_string();
            assert!(e.contains("GET /") && e.contains("`max_body_bytes`"), "{e}");
        }
    }

    /// Row 11: an endless chunked answer fails with [`EsError::TooLarge`] as soon as the
    /// bytes read pass the cap: promptly, and having taken in little more than the cap (the
    /// server counts what it could hand over before the client hung up).
    #[test]
    fn an_endless_chunked_answer_stops_at_the_cap() {
        let sent = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&sent);
        let url = serve(move |_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            let chunk = format!("10000\r\n{}\r\n", "x".repeat(1 << 16));
            while s.write_all(chunk.as_bytes()).is_ok() {
                counter.fetch_add(1 << 16, Ordering::Relaxed);
            }
        });
        let conn = EsConnection::url(&url)
            .unwrap()
            .max_body_bytes(4 << 20)
            .timeout_secs(60.0)
            .retries(0);
        let started = std::time::Instant::now();
        let e = EsClient::connect(&conn).unwrap_err();
        assert!(
            matches!(e, EsError::TooLarge { limit, .. } if limit == 4 << 20),
            "{e}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        // Wait for the server to notice the closed connection, then bound what it sent: the
        // cap plus what the socket buffers hold, far below an unbounded read.
        std::thread::sleep(Duration::from_millis(300));
        let n = sent.load(Ordering::Relaxed);
        assert!(n < 64 << 20, "the server handed over {n} bytes");
    }

    /// A gzip answer is capped by its decompressed size: 8 MiB that pack into a few KiB
    /// fail against a 1 MiB cap.
    #[test]
    fn a_gzip_bomb_is_capped_by_its_decompressed_size() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b' '; 8 << 20]).unwrap();
        let packed = gz.finish().unwrap();
        assert!(packed.len() < 64 << 10);
        let url = serve(move |req, s| {
            assert!(
                req.header("accept-encoding")
                    .unwrap_or_default()
                    .contains("gzip")
            );
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
                packed.len()
            );
            let _ = s.write_all(&packed);
        });
        let conn = EsConnection::url(&url)
            .unwrap()
            .max_body_bytes(1 << 20)
            .retries(0);
        let e = EsClient::connect(&conn).unwrap_err();
        assert!(matches!(e, EsError::TooLarge { .. }), "{e}");
    }

    /// Several URLs are asked in turn; every request carries the JSON headers and the
    /// credentials.
    #[test]
    fn several_nodes_are_asked_round_robin_with_json_headers() {
        use std::sync::Mutex;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let node = |name: &'static str| {
            let seen = Arc::clone(&seen);
            serve(move |req, s| {
                for h in ["content-type", "accept"] {
                    assert_eq!(req.header(h).as_deref(), Some("application/json"), "{h}");
                }
                let auth = req.header("authorization").unwrap_or_default();
                seen.lock().unwrap().push((name, req.path.clone(), auth));
                reply(s, 200, r#"{"version":{"number":"8.15.0"}}"#);
            })
        };
        let (a, b) = (node("a"), node("b"));
        let conn = EsConnection::url(&format!("{a}/pre,{b}"))
            .unwrap()
            .auth(EsAuth::Bearer(Secret::new("tok")))
            .retries(0);
        let client = EsClient::connect(&conn).unwrap();
        assert_eq!(client.cluster().major, 8);
        client.request("GET", "/_cat/indices", None).unwrap();
        client.request("GET", "/x/_search", None).unwrap();
        let seen = seen.lock().unwrap().clone();
        let names: Vec<&str> = seen.iter().map(|(n, _, _)| *n).collect();
        assert_eq!(names, ["a", "b", "a"]);
        assert_eq!(seen[0].1, "/pre/");
        assert_eq!(seen[1].1, "/_cat/indices");
        assert_eq!(seen[2].1, "/pre/x/_search");
        assert!(seen.iter().all(|(_, _, auth)| auth == "Bearer tok"));
    }

    #[test]
    fn error_reasons_prefer_the_root_cause() {
        let b = br#"{"error":{"type":"search_phase_execution_exception","reason":"all shards failed","root_cause":[{"reason":"field [x] of type [text] is not aggregatable"}]},"status":400}"#;
        let (ty, r) = error_reason(b);
        assert_eq!(ty, "search_phase_execution_exception");
        assert!(r.contains("not aggregatable"), "{r}");
        assert_eq!(error_reason(b"oops").1, "oops");
    }
}
