//! The HTTP transport under [`EsClient`](super::EsClient): one `reqwest` connection pool
//! over the configured nodes (one URL, several taken round-robin, or an Elastic Cloud id),
//! the credentials as one `Authorization` header, the TLS settings (a CA bundle, or no
//! validation at all), JSON headers every Elasticsearch (7, 8, 9) and OpenSearch accepts, and
//! gzip answers decompressed on the fly.
//!
//! The answer comes back as a [`reqwest::Response`], so the client reads its body chunk by
//! chunk and stops at its size cap (see `Inner::call_raw`), however the body is framed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};

use super::config::{EsAuth, EsConnection};
use super::error::EsError;

/// An HTTP method the client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Delete,
    Head,
}

impl Method {
    /// The method as written in a request line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }

    fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
            Method::Head => reqwest::Method::HEAD,
        }
    }
}

/// The nodes, the connection pool and the credentials.
#[derive(Debug)]
pub(crate) struct Transport {
    client: reqwest::Client,
    /// Base URLs, each ending in `/` so that a request path joins below it.
    nodes: Vec<Url>,
    /// The next node to ask (round-robin).
    next: AtomicUsize,
    /// The `Authorization` header, marked sensitive.
    auth: Option<HeaderValue>,
}

impl Transport {
    /// Builds the transport for `conn`. Messages never carry a credential.
    pub(crate) fn build(conn: &EsConnection) -> Result<Transport, EsError> {
        let redactor = conn.redactor();
        let nodes: Vec<Url> = if let Some(id) = &conn.cloud_id {
            vec![cloud_url(id)?]
        } else {
            conn.urls
                .iter()
                .map(|u| {
                    Url::parse(u)
                        .map_err(|e| EsError::Config(redactor.redact(&format!("not a URL ({e})"))))
                })
                .collect::<Result<_, _>>()?
        };
        if nodes.is_empty() {
            return Err(EsError::Config("no URL or cloud id given".into()));
        }
        let nodes = nodes.into_iter().map(with_trailing_slash).collect();

        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("cdnplan/", env!("CARGO_PKG_VERSION"))),
        );
        let timeout = Duration::from_secs_f64(conn.timeout_secs.clamp(0.05, 3600.0));
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout);
        if conn.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        } else if let Some(path) = &conn.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                EsError::Config(format!(
                    "cannot read CA certificate {}: {e}",
                    path.display()
                ))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                EsError::Config(format!(
                    "{}: not a PEM certificate: {}",
                    path.display(),
                    redactor.redact(&e.to_string())
                ))
            })?;
            if certs.is_empty() {
                return Err(EsError::Config(format!(
                    "{}: not a PEM certificate: no BEGIN CERTIFICATE block in it",
                    path.display()
                )));
            }
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let client = builder.build().map_err(|e| {
            EsError::Config(format!(
                "cannot set up the HTTP client: {}",
                redactor.redact(&e.to_string())
            ))
        })?;
        Ok(Transport {
            client,
            nodes,
            next: AtomicUsize::new(0),
            auth: auth_header(&conn.auth)?,
        })
    }

    /// Sends one request to the next node: `path` below the node's URL, `query` appended,
    /// `body` as is (JSON or NDJSON). The answer's body is left unread.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.nodes.len();
        let base = &self.nodes[i];
        let rel = path.trim_start_matches('/');
        // A path that does not join (it cannot, in practice) goes as text, for reqwest to
        // refuse with its own error.
        let url = base
            .join(rel)
            .map_or_else(|_| format!("{base}{rel}"), String::from);
        let mut req = self
            .client
            .request(method.to_reqwest(), url)
            .timeout(timeout);
        if let Some(a) = &self.auth {
            req = req.header(AUTHORIZATION, a.clone());
        }
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        req.send().await
    }
}

/// `url` with a path ending in `/`.
fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    url
}

/// The `Authorization` header for `auth`: `Basic base64(user:password)`, `ApiKey
/// base64(id:key)` for an `id:key` pair, `ApiKey ENCODED` for an encoded key, `Bearer TOKEN`.
fn auth_header(auth: &EsAuth) -> Result<Option<HeaderValue>, EsError> {
    let (what, text) = match auth {
        EsAuth::None => return Ok(None),
        EsAuth::Basic { username, password } => (
            "the user name or password",
            format!(
                "Basic {}",
                STANDARD.encode(format!("{username}:{}", password.expose()))
            ),
        ),
        EsAuth::ApiKey(k) => {
            let k = k.expose();
            let text = if k.contains(':') {
                format!("ApiKey {}", STANDARD.encode(k))
            } else {
                format!("ApiKey {k}")
            };
            ("the API key", text)
        }
        EsAuth::Bearer(t) => ("the bearer token", format!("Bearer {}", t.expose())),
    };
    let mut v = HeaderValue::from_str(&text).map_err(|_| {
        EsError::Config(format!(
            "{what} holds a character an HTTP header cannot carry (a line break or a control character)"
        ))
    })?;
    v.set_sensitive(true);
    Ok(Some(v))
}

/// The URL of an Elastic Cloud deployment from its cloud id, `NAME:BASE64`, where the base64
/// text decodes to `HOST[:PORT]$ES_UUID[$KIBANA_UUID]`: `https://ES_UUID.HOST[:PORT]`.
pub(crate) fn cloud_url(cloud_id: &str) -> Result<Url, EsError> {
    let bad = |why: &str| EsError::Config(format!("cloud id: {why}"));
    let (name, data) = cloud_id
        .split_once(':')
        .ok_or_else(|| bad("write it as <deployment name>:<base64 data>"))?;
    if name.trim().is_empty() {
        return Err(bad("the deployment name before `:` is empty"));
    }
    let decoded = STANDARD
        .decode(data.trim())
        .map_err(|e| bad(&format!("the part after `:` is not base64 ({e})")))?;
    let decoded = String::from_utf8(decoded)
        .map_err(|_| bad("the decoded part after `:` is not UTF-8 text"))?;
    let mut parts = decoded.split('$').map(str::trim);
    let host = parts
        .next()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("the decoded part after `:` has no host name first"))?;
    let uuid = parts
        .next()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| bad("the decoded part after `:` has no cluster id after the first `$`"))?;
    Url::parse(&format!("https://{uuid}.{host}"))
        .map_err(|e| bad(&format!("the decoded host {host:?} makes no URL ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::es::Secret;

    #[test]
    fn cloud_ids_decode_to_the_deployment_url() {
        let id = format!(
            "deploy:{}",
            STANDARD.encode("eu-west-1.aws.found.io$abc123$kib456")
        );
        assert_eq!(
            cloud_url(&id).unwrap().as_str(),
            "https://abc123.eu-west-1.aws.found.io/"
        );
        let with_port = format!("d:{}", STANDARD.encode("host.example:9243$es1"));
        assert_eq!(
            cloud_url(&with_port).unwrap().as_str(),
            "https://es1.host.example:9243/"
        );
        for (bad, why) in [
            ("no-colon".to_string(), "deployment name"),
            (format!(":{}", STANDARD.encode("h$u")), "name before"),
            ("d:***".to_string(), "not base64"),
            (format!("d:{}", STANDARD.encode("host-only")), "cluster id"),
            (format!("d:{}", STANDARD.encode("$u")), "no host name"),
        ] {
            let e = cloud_url(&bad).unwrap_err().to_string();
            assert!(e.contains("cloud id") && e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn credentials_become_one_sensitive_header() {
        let h = |a: EsAuth| auth_header(&a).unwrap().unwrap();
        let basic = h(EsAuth::Basic {
            username: "elastic".into(),
            password: Secret::new("pw"),
        });
        assert_eq!(basic, format!("Basic {}", STANDARD.encode("elastic:pw")));
        assert!(basic.is_sensitive());
        let pair = h(EsAuth::ApiKey(Secret::new("id:key")));
        assert_eq!(pair, format!("ApiKey {}", STANDARD.encode("id:key")));
        assert_eq!(h(EsAuth::ApiKey(Secret::new("ZW5j"))), "ApiKey ZW5j");
        assert_eq!(h(EsAuth::Bearer(Secret::new("tok"))), "Bearer tok");
        assert!(auth_header(&EsAuth::None).unwrap().is_none());
        let e = auth_header(&EsAuth::Bearer(Secret::new("t0k\nsecret")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bearer token") && !e.contains("secret"), "{e}");
    }

    #[test]
    fn node_urls_get_a_trailing_slash_so_paths_join_below_them() {
        let u = with_trailing_slash(Url::parse("http://h:9200/prefix").unwrap());
        assert_eq!(
            u.join("logs-*/_search").unwrap().as_str(),
            "http://h:9200/prefix/logs-*/_search"
        );
    }
}
