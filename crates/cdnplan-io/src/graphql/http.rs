//! The indexer's HTTP: one `POST` per query over plain HTTP/1.1, with basic auth from the
//! URL's user information, a connect timeout, a read timeout, an overall deadline per request
//! and a cap on the answer's size. Every message names the URL without its user information
//! and passes server text through the [redaction](crate::redact).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::graphql_errors;
use crate::error::{Error, Result};
use crate::redact::{Redactor, base64, percent_decode};

/// Limits of a live import: how long to wait, how much to read, how many pages.
///
/// ```
/// use std::time::Duration;
/// use cdnplan_io::graphql::FetchLimits;
/// let l = FetchLimits::default().read_timeout(Duration::from_secs(5)).max_pages(100);
/// assert_eq!(l.max_body_bytes, 64 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchLimits {
    /// Longest wait for a connection (default 10 s).
    pub connect_timeout: Duration,
    /// Longest silence while waiting for or reading an answer (default 30 s).
    pub read_timeout: Duration,
    /// Longest time one request may take in all, however steadily its answer trickles in
    /// (default 120 s).
    pub request_deadline: Duration,
    /// Largest answer to one query, bytes (default 64 MiB).
    pub max_body_bytes: u64,
    /// Largest sum of the answers of one import, bytes (default 512 MiB).
    pub max_total_bytes: u64,
    /// Most bag pages one import reads (default 10,000: ten million links at 1,000 a page).
    pub max_pages: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_deadline: Duration::from_secs(120),
            max_body_bytes: 64 << 20,
            max_total_bytes: 512 << 20,
            max_pages: 10_000,
        }
    }
}

impl FetchLimits {
    /// Sets [`FetchLimits::connect_timeout`].
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Sets [`FetchLimits::read_timeout`].
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = d;
        self
    }

    /// Sets [`FetchLimits::request_deadline`].
    pub fn request_deadline(mut self, d: Duration) -> Self {
        self.request_deadline = d;
        self
    }

    /// Sets [`FetchLimits::max_body_bytes`].
    pub fn max_body_bytes(mut self, n: u64) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// Sets [`FetchLimits::max_total_bytes`].
    pub fn max_total_bytes(mut self, n: u64) -> Self {
        self.max_total_bytes = n;
        self
    }

    /// Sets [`FetchLimits::max_pages`].
    pub fn max_pages(mut self, n: usize) -> Self {
        self.max_pages = n;
        self
    }
}

/// Room for the status line and headers on top of the body cap.
const HEAD_ROOM: u64 = 64 << 10;

/// A parsed `http://` URL: where to connect, what to ask, how to log in, how to name it.
#[derive(Debug)]
pub(crate) struct Endpoint {
    /// The URL as shown in messages: no user information.
    pub(crate) display: String,
    hostport: String,
    path: String,
    /// The `Authorization` header's value, from the URL's user information.
    auth: Option<String>,
    pub(crate) redactor: Redactor,
}

impl Endpoint {
    /// Parses `url`; user information becomes basic auth and leaves the displayed URL.
    ///
    /// # Errors
    /// [`Error::Config`] for anything but an `http://` URL with a host.
    pub(crate) fn parse(url: &str) -> Result<Endpoint> {
        let url = url.trim();
        let mut redactor = Redactor::new();
        redactor.url(url);
        let display = redactor.redact(url);
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            Error::Config(format!(
                "{display}: only http:// URLs are queried live; for an https:// indexer save the responses (e.g. with curl) and import the file"
            ))
        })?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        let (auth, hostport) = match authority.rsplit_once('@') {
            Some((info, hp)) => {
                let (u, p) = info.split_once(':').unwrap_or((info, ""));
                let token = format!("{}:{}", percent_decode(u), percent_decode(p));
                (Some(format!("Basic {}", base64(token.as_bytes()))), hp)
            }
            None => (None, authority),
        };
        if hostport.is_empty() || hostport.starts_with(':') {
            return Err(Error::Config(format!("{display}: the URL names no host")));
        }
        Ok(Endpoint {
            display,
            hostport: hostport.to_string(),
            path,
            auth,
            redactor,
        })
    }

    /// An [`Error::Remote`] about this endpoint, its reason redacted.
    pub(crate) fn remote(&self, reason: impl AsRef<str>) -> Error {
        Error::Remote {
            url: self.display.clone(),
            reason: self.redactor.redact(reason.as_ref()),
        }
    }

    fn timeout(&self, what: &'static str, limit: Duration, setting: &'static str) -> Error {
        Error::Timeout {
            what,
            url: self.display.clone(),
            secs: limit.as_secs_f64(),
            setting,
        }
    }

    fn connect(&self, limits: &FetchLimits, deadline: Instant) -> Result<TcpStream> {
        let with_port = if self.hostport.ends_with(']') || !self.hostport.contains(':') {
            format!("{}:80", self.hostport)
        } else {
            self.hostport.clone()
        };
        let addrs: Vec<SocketAddr> = with_port
            .to_socket_addrs()
            .map_err(|e| self.remote(format!("cannot resolve {}: {e}", self.hostport)))?
            .collect();
        let mut last = None;
        for a in &addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            let wait = limits
                .connect_timeout
                .min(left)
                .max(Duration::from_millis(1));
            match TcpStream::connect_timeout(a, wait) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) if is_timeout(&e) => self.timeout(
                "no connection to",
                limits.connect_timeout,
                "connect_timeout",
            ),
            Some(e) => Error::Remote {
                url: self.display.clone(),
                reason: format!("cannot connect: {}", self.redactor.redact(&e.to_string())),
            },
            None => self.remote(format!("{} resolves to no address", self.hostport)),
        })
    }

    /// POSTs `{"query": …}` and parses the JSON answer; also returns the bytes received.
    ///
    /// # Errors
    /// [`Error::Timeout`] naming the setting that ran out, [`Error::Remote`] for a refused
    /// connection, an HTTP error status, an answer over [`FetchLimits::max_body_bytes`], a
    /// malformed answer or GraphQL `errors`.
    pub(super) fn post_json(&self, query: &str, limits: &FetchLimits) -> Result<(Value, u64)> {
        let body = serde_json::json!({ "query": query }).to_string();
        self.post(&body, limits, graphql_errors)
    }

    /// POSTs the JSON `body` and parses the JSON answer; also returns the bytes received.
    /// `errors` finds the protocol's error message in an answer (GraphQL `errors`, JSON-RPC
    /// `error`): shown for an error status, and an error of its own in a 2xx answer.
    ///
    /// # Errors
    /// As [`Endpoint::post_json`], with `errors`' message in place of GraphQL's.
    pub(crate) fn post(
        &self,
        body: &str,
        limits: &FetchLimits,
        errors: fn(&Value) -> Option<String>,
    ) -> Result<(Value, u64)> {
        let deadline = Instant::now() + limits.request_deadline;
        let mut stream = self.connect(limits, deadline)?;
        let auth = self
            .auth
            .as_ref()
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.path,
            self.hostport,
            body.len()
        );
        let _ = stream.set_write_timeout(Some(limits.read_timeout.max(Duration::from_millis(1))));
        if let Err(e) = stream.write_all(req.as_bytes()) {
            return Err(if is_timeout(&e) {
                self.timeout(
                    "the query could not be sent to",
                    limits.read_timeout,
                    "read_timeout",
                )
            } else {
                self.remote(format!("cannot send the query: {e}"))
            });
        }
        let raw = self.read_answer(&mut stream, limits, deadline)?;
        let received = raw.len() as u64;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| self.remote("malformed HTTP answer (no end of headers)"))?;
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut body = raw[split + 4..].to_vec();
        drop(raw);
        let status = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| {
                self.remote(format!(
                    "malformed status line {:?}",
                    self.redactor
                        .excerpt(head.lines().next().unwrap_or("").as_bytes(), 80)
                ))
            })?;
        if head.lines().any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("transfer-encoding:") && l.contains("chunked")
        }) {
            body = dechunk(&body).ok_or_else(|| self.remote("malformed chunked body"))?;
        }
        if !(200..300).contains(&status) {
            // A GraphQL server may refuse a query with an error status and `errors` (Apollo
            // answers 400 to a query its schema does not validate): show the message.
            let why = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| errors(&v))
                .map_or_else(|| self.redactor.excerpt(&body, 200), |m| self.short(&m));
            return Err(self.remote(format!("HTTP {status}: {why}")));
        }
        let v: Value = serde_json::from_slice(&body).map_err(|e| {
            self.remote(format!(
                "the answer is not JSON ({e}); it begins {:?}",
                self.redactor.excerpt(&body, 200)
            ))
        })?;
        if let Some(m) = errors(&v) {
            return Err(self.remote(self.short(&m)));
        }
        Ok((v, received))
    }

    /// A server's text cut short for a message, redacted.
    fn short(&self, text: &str) -> String {
        self.redactor.excerpt(text.as_bytes(), 300)
    }

    /// Reads the whole answer, within the read timeout between bytes, the request deadline
    /// and the size cap.
    fn read_answer(
        &self,
        stream: &mut TcpStream,
        limits: &FetchLimits,
        deadline: Instant,
    ) -> Result<Vec<u8>> {
        let too_large = || {
            self.remote(format!(
                "the answer is larger than {} bytes (the `max_body_bytes` limit)",
                limits.max_body_bytes
            ))
        };
        let cap = limits.max_body_bytes.saturating_add(HEAD_ROOM);
        let mut raw = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        let mut head_checked = false;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.timeout(
                    "no complete answer from",
                    limits.request_deadline,
                    "request_deadline",
                ));
            }
            let wait = limits.read_timeout.min(left).max(Duration::from_millis(1));
            let _ = stream.set_read_timeout(Some(wait));
            let want = usize::try_from(cap.saturating_add(1).saturating_sub(raw.len() as u64))
                .unwrap_or(usize::MAX)
                .min(buf.len());
            match stream.read(&mut buf[..want]) {
                Ok(0) => return Ok(raw),
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if is_timeout(&e) && wait < limits.read_timeout => {
                    return Err(self.timeout(
                        "no complete answer from",
                        limits.request_deadline,
                        "request_deadline",
                    ));
                }
                Err(e) if is_timeout(&e) => {
                    let what = if raw.is_empty() {
                        "no answer from"
                    } else {
                        "the answer stalled: no further byte from"
                    };
                    return Err(self.timeout(what, limits.read_timeout, "read_timeout"));
                }
                Err(e) => {
                    return Err(self.remote(format!("cannot read the answer: {e}")));
                }
            }
            if raw.len() as u64 > cap {
                return Err(too_large());
            }
            if !head_checked && let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                head_checked = true;
                let head = String::from_utf8_lossy(&raw[..i]).to_ascii_lowercase();
                let declared = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<u64>().ok());
                if declared.is_some_and(|n| n > limits.max_body_bytes) {
                    return Err(too_large());
                }
            }
        }
    }
}

/// A read or connect that ran out of time: `WouldBlock` on Unix (`EAGAIN`, "Resource
/// temporarily unavailable"), `TimedOut` elsewhere.
fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Joins a chunked body; `None` when it is malformed.
pub(super) fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size.checked_add(2)?..)?;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{Indexer, fetch, fetch_with};
    use super::*;
    use crate::testserver::{reply, serve};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The families answer of a one-family, one-bucket topology.
    const FAMILIES: &str = r#"{"data":{"distributionBucketFamilies":[{"id":"0","buckets":[{"bucketIndex":"0","acceptingNewBags":true,"distributing":true,"operators":[]}]}]}}"#;

    /// A bag page with `n` links starting at bag `from`.
    fn bag_page(from: usize, n: usize) -> String {
        let links: Vec<Value> = (from..from + n)
            .map(|i| serde_json::json!({"distributionBucket": {"id": "0:0"}, "bag": {"id": format!("dynamic:channel:{i}")}}))
            .collect();
        serde_json::json!({"data": {"distributionBucketBags": links}}).to_string()
    }

    /// Row 7 and 8 of issue 15: user information becomes basic auth, and neither it nor the
    /// server's echo of the header reaches a message.
    #[test]
    fn url_credentials_become_basic_auth_and_never_print() {
        let base = serve(|req, s| {
            let auth = req.header("authorization").unwrap_or_default();
            let body = format!("{{\"error\":\"bad credentials: Authorization: {auth}\"}}");
            reply(s, 401, &body);
        });
        let url = base.replace("http://", "http://planner:s3cr%40tpw@") + "/graphql";
        let e = fetch(&url, Indexer::Squid, 10).unwrap_err().to_string();
        let token = base64(b"planner:s3cr@tpw");
        assert!(e.contains("HTTP 401") && e.contains("Basic ***"), "{e}");
        for leak in ["s3cr", &token, "planner:", "@127"] {
            assert!(!e.contains(leak), "{leak} in {e}");
        }
        assert!(e.starts_with(&format!("{base}/graphql")), "{e}");
        // Nothing listens: the connection error names the host, not the credentials.
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = dead.local_addr().unwrap();
        drop(dead);
        let e = fetch(&format!("http://u:s3cretpw@{addr}/q"), Indexer::Hydra, 10)
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains("s3cretpw") && e.contains(&addr.to_string()),
            "{e}"
        );
    }

    /// Issue 14 item 4: GraphQL `errors` in a 200 answer fail with the URL (no credentials)
    /// and the first message, not the error object's JSON.
    #[test]
    fn graphql_errors_name_the_url_and_the_first_message() {
        let base = serve(|_, s| {
            reply(
                s,
                200,
                r#"{"data":null,"errors":[{"message":"Cannot query field \"x\"","locations":[{"line":1}]},{"message":"second"}]}"#,
            );
        });
        let url = base.replace("http://", "http://me:s3cretpw@") + "/graphql";
        let e = fetch(&url, Indexer::Hydra, 10).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                r#"{base}/graphql: the indexer answered with GraphQL errors: Cannot query field "x" (and 1 more error)"#
            )
        );
    }

    /// Row 11: a body over the cap fails naming the limit, whether its length is declared or
    /// it streams without end.
    #[test]
    fn oversized_answers_fail_naming_the_limit() {
        let declared = serve(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4294967296\r\n\r\n");
            let zeros = vec![b' '; 1 << 16];
            while s.write_all(&zeros).is_ok() {}
        });
        let endless = serve(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n[");
            let zeros = vec![b' '; 1 << 16];
            while s.write_all(&zeros).is_ok() {}
        });
        let limits = FetchLimits::default().max_body_bytes(1 << 20);
        for base in [declared, endless] {
            let e = fetch_with(&format!("{base}/graphql"), Indexer::Hydra, 10, &limits)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&base) && e.contains("1048576 bytes") && e.contains("max_body_bytes"),
                "{e}"
            );
        }
    }

    /// Row 12: an answer trickling a byte at a time meets the request deadline.
    #[test]
    fn a_trickling_answer_meets_the_deadline() {
        let base = serve(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\n");
            while s.write_all(b" ").is_ok() {
                std::thread::sleep(ms(20));
            }
        });
        let limits = FetchLimits::default()
            .read_timeout(Duration::from_secs(5))
            .request_deadline(ms(500));
        let t = Instant::now();
        let e = fetch_with(&format!("{base}/graphql"), Indexer::Hydra, 10, &limits)
            .unwrap_err()
            .to_string();
        assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
        assert!(
            e.starts_with(&format!(
                "no complete answer from {base}/graphql within 0.5 s"
            )) && e.contains("`request_deadline`"),
            "{e}"
        );
    }

    /// Row 12: a server that ignores `offset` is caught at the second page, and one that pages
    /// without end at the page limit.
    #[test]
    fn endless_paging_is_stopped() {
        let same = serve(|req, s| {
            let body = if req.body.contains("distributionBucketFamilies") {
                FAMILIES.to_string()
            } else {
                bag_page(0, 2)
            };
            reply(s, 200, &body);
        });
        let e = fetch(&format!("{same}/graphql"), Indexer::Squid, 2)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("at offset 2 repeats the previous page") && e.contains("ignores `offset`"),
            "{e}"
        );
        let endless = serve(|req, s| {
            let body = if req.body.contains("distributionBucketFamilies") {
                FAMILIES.to_string()
            } else {
                let offset: usize = req
                    .body
                    .split("offset: ")
                    .nth(1)
                    .and_then(|r| r.split(',').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                bag_page(offset, 2)
            };
            reply(s, 200, &body);
        });
        let limits = FetchLimits::default().max_pages(3);
        let e = fetch_with(&format!("{endless}/graphql"), Indexer::Squid, 2, &limits)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("more than 3 pages") && e.contains("max_pages"),
            "{e}"
        );
    }

    /// Row 18: a server that never answers gives a timeout naming the URL and the setting,
    /// not "Resource temporarily unavailable".
    #[test]
    fn a_silent_server_times_out_naming_the_setting() {
        let base = serve(|_, _| std::thread::sleep(Duration::from_secs(5)));
        let limits = FetchLimits::default().read_timeout(ms(300));
        let e = fetch_with(&format!("{base}/graphql"), Indexer::Hydra, 10, &limits)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "no answer from {base}/graphql within 0.3 s (raise the `read_timeout` setting if the server is slow)"
            )
        );
    }

    #[test]
    fn urls_split_into_host_path_and_credentials() {
        let ep = Endpoint::parse(" http://a:b%3Ac@[::1]?x ").unwrap();
        assert_eq!(
            (ep.hostport.as_str(), ep.path.as_str(), ep.display.as_str()),
            ("[::1]", "/?x", "http://[::1]?x")
        );
        assert_eq!(ep.auth, Some(format!("Basic {}", base64(b"a:b:c"))));
        let e = Endpoint::parse("http://u:pw123@/x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no host") && !e.contains("pw123"), "{e}");
        let e = Endpoint::parse("https://u:pw123@h/x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("save the responses") && !e.contains("pw123"),
            "{e}"
        );
    }
}
