//! Where the cluster is and how to log in: [`EsConnection`], from code, a scenario's
//! `[elasticsearch]` section or the environment (`ELASTICSEARCH_URL`,
//! `ELASTICSEARCH_API_KEY`, `ELASTICSEARCH_USERNAME`, `ELASTICSEARCH_PASSWORD`).
//!
//! Secrets are held in [`Secret`], whose `Debug` and `Display` print `***`, and user
//! information in a URL (`https://user:pass@host`) is moved into basic auth, so neither
//! reaches a log line, an error or a report.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::EsError;
use crate::redact::{Redactor, percent_decode};

/// A credential that never prints.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `s`.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret text, for the transport only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

/// How to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EsAuth {
    /// No credentials.
    #[default]
    None,
    /// HTTP basic auth.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// An API key: the base64 `id:key` Elasticsearch shows as `encoded`, or `id:key` itself.
    ApiKey(Secret),
    /// A bearer token.
    Bearer(Secret),
}

/// Connection settings. Build with [`EsConnection::url`] / [`EsConnection::cloud`], then the
/// setters; [`EsConnection::with_env`] fills what is unset from the environment.
///
/// ```
/// use cdnplan_io::es::{EsAuth, EsConnection};
/// let c = EsConnection::url("https://elastic:changeme@logs.example:9200")?;
/// assert_eq!(c.urls, ["https://logs.example:9200/"]);
/// assert!(matches!(c.auth, EsAuth::Basic { .. }));
/// assert!(!format!("{c:?}").contains("changeme"));
/// # Ok::<(), cdnplan_io::es::EsError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EsConnection {
    /// Node URLs (without user information); requests go round-robin.
    pub urls: Vec<String>,
    /// An Elastic Cloud id, instead of URLs.
    pub cloud_id: Option<String>,
    /// Credentials.
    pub auth: EsAuth,
    /// A PEM file with the CA certificate(s) to trust.
    pub ca_cert: Option<PathBuf>,
    /// Skip certificate validation (test clusters only).
    pub insecure: bool,
    /// Per-request timeout, seconds (default 30).
    pub timeout_secs: f64,
    /// Retries of a failed request (429, 5xx, timeouts, dropped connections) before giving up
    /// (default 6).
    pub retries: u32,
    /// First retry delay, milliseconds; doubles per retry up to 10 s, with jitter (default 200).
    pub backoff_ms: u64,
    /// The largest answer read, bytes (default [`DEFAULT_MAX_BODY_BYTES`], 256 MiB): a
    /// larger one fails with [`EsError::TooLarge`] instead of filling memory.
    pub max_body_bytes: u64,
}

/// The default cap on one answer's size: 256 MiB, some 50 times a 10,000-document page.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 256 << 20;

impl Default for EsConnection {
    fn default() -> Self {
        EsConnection {
            urls: Vec::new(),
            cloud_id: None,
            auth: EsAuth::None,
            ca_cert: None,
            insecure: false,
            timeout_secs: 30.0,
            retries: 6,
            backoff_ms: 200,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// Splits user information off `url`: the URL without it, and `(user, password)` if any.
fn split_userinfo(url: &str) -> Result<(String, Option<(String, Secret)>), EsError> {
    let mut u = reqwest::Url::parse(url.trim()).map_err(|e| {
        EsError::Config(format!(
            "not a URL ({e}); write it as http://host:9200 or https://host:9200"
        ))
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(EsError::Config(format!(
            "URL scheme {:?} is neither http nor https",
            u.scheme()
        )));
    }
    let creds = (!u.username().is_empty()).then(|| {
        (
            percent_decode(u.username()),
            Secret(percent_decode(u.password().unwrap_or(""))),
        )
    });
    let _ = u.set_username("");
    let _ = u.set_password(None);
    Ok((u.to_string(), creds))
}

impl EsConnection {
    /// One or more comma-separated node URLs; user information in them becomes basic auth.
    ///
    /// # Errors
    /// [`EsError::Config`] for a malformed URL or a scheme other than http(s).
    pub fn url(urls: &str) -> Result<Self, EsError> {
        let mut c = EsConnection::default();
        for u in urls.split(',').map(str::trim).filter(|u| !u.is_empty()) {
            let (u, creds) = split_userinfo(u)?;
            if let Some((username, password)) = creds {
                c.auth = EsAuth::Basic { username, password };
            }
            c.urls.push(u);
        }
        if c.urls.is_empty() {
            return Err(EsError::Config("no URL given".into()));
        }
        Ok(c)
    }

    /// An Elastic Cloud deployment by its cloud id.
    pub fn cloud(cloud_id: &str) -> Self {
        EsConnection {
            cloud_id: Some(cloud_id.trim().to_string()),
            ..Default::default()
        }
    }

    /// Sets the credentials.
    pub fn auth(mut self, auth: EsAuth) -> Self {
        self.auth = auth;
        self
    }

    /// Trusts the CA certificate(s) in the PEM file `path`.
    pub fn ca_cert(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_cert = Some(path.into());
        self
    }

    /// Skips certificate validation.
    pub fn insecure(mut self, yes: bool) -> Self {
        self.insecure = yes;
        self
    }

    /// Sets the per-request timeout in seconds.
    pub fn timeout_secs(mut self, secs: f64) -> Self {
        self.timeout_secs = secs;
        self
    }

    /// Sets the number of retries per request.
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }

    /// Sets the first retry delay in milliseconds.
    pub fn backoff_ms(mut self, ms: u64) -> Self {
        self.backoff_ms = ms;
        self
    }

    /// Sets the largest answer read, in bytes.
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Reads `ELASTICSEARCH_URL` (comma-separated URLs, or a cloud id when it has no `://`),
    /// `ELASTICSEARCH_API_KEY`, `ELASTICSEARCH_USERNAME` and `ELASTICSEARCH_PASSWORD`.
    ///
    /// # Errors
    /// [`EsError::Config`] when `ELASTICSEARCH_URL` is unset or malformed.
    pub fn from_env() -> Result<Self, EsError> {
        EsConnection {
            ..Default::default()
        }
        .with_env_from(|k| std::env::var(k).ok())
        .and_then(|c| {
            if c.urls.is_empty() && c.cloud_id.is_none() {
                Err(EsError::Config(
                    "no cluster given: pass --es URL or set ELASTICSEARCH_URL".into(),
                ))
            } else {
                Ok(c)
            }
        })
    }

    /// Fills what is unset (URLs, credentials) from the environment variables above.
    ///
    /// # Errors
    /// [`EsError::Config`] when `ELASTICSEARCH_URL` is malformed.
    pub fn with_env(self) -> Result<Self, EsError> {
        self.with_env_from(|k| std::env::var(k).ok())
    }

    /// [`EsConnection::with_env`] with the variables looked up by `var`.
    ///
    /// # Errors
    /// [`EsError::Config`] when `ELASTICSEARCH_URL` is malformed.
    pub fn with_env_from(mut self, var: impl Fn(&str) -> Option<String>) -> Result<Self, EsError> {
        let get = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        if self.urls.is_empty()
            && self.cloud_id.is_none()
            && let Some(u) = get("ELASTICSEARCH_URL")
        {
            if u.contains("://") {
                let from = EsConnection::url(&u)?;
                self.urls = from.urls;
                if self.auth == EsAuth::None {
                    self.auth = from.auth;
                }
            } else {
                self.cloud_id = Some(u.trim().to_string());
            }
        }
        if self.auth == EsAuth::None {
            if let Some(k) = get("ELASTICSEARCH_API_KEY") {
                self.auth = EsAuth::ApiKey(Secret(k.trim().to_string()));
            } else if let Some(u) = get("ELASTICSEARCH_USERNAME") {
                self.auth = EsAuth::Basic {
                    username: u,
                    password: Secret(get("ELASTICSEARCH_PASSWORD").unwrap_or_default()),
                };
            }
        }
        Ok(self)
    }

    /// The cluster as shown in messages: scheme, host and port of each URL, or the cloud
    /// deployment's name.
    pub fn display(&self) -> String {
        if let Some(id) = &self.cloud_id {
            let name = id.split(':').next().unwrap_or("cloud");
            return format!("elastic cloud {name:?}");
        }
        self.urls
            .iter()
            .map(|u| display_url(u))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The redaction of any text that leaves the library: the credentials in every form
    /// they travel in (as written, percent-encoded, inside an `Authorization` header).
    pub fn redactor(&self) -> Redactor {
        let mut r = Redactor::new();
        match &self.auth {
            EsAuth::None => {}
            EsAuth::Basic { username, password } => {
                r.basic(username, &password.0);
            }
            EsAuth::ApiKey(k) => {
                r.api_key(&k.0);
            }
            EsAuth::Bearer(t) => {
                r.secret(&t.0);
            }
        }
        r
    }
}

/// Scheme, host and port of `url`.
pub(crate) fn display_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or("?"),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "<bad URL>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_becomes_basic_auth_and_never_prints() {
        let c =
            EsConnection::url("https://el%40stic:s3cr%2Ft@h.example:9243, http://b:9200").unwrap();
        assert_eq!(c.urls, ["https://h.example:9243/", "http://b:9200/"]);
        let EsAuth::Basic { username, password } = &c.auth else {
            panic!("{:?}", c.auth)
        };
        assert_eq!(
            (username.as_str(), password.expose()),
            ("el@stic", "s3cr/t")
        );
        assert!(!format!("{c:?}").contains("s3cr"));
        assert_eq!(c.display(), "https://h.example:9243,http://b:9200");
    }

    #[test]
    fn environment_fills_what_is_unset() {
        let env = |k: &str| match k {
            "ELASTICSEARCH_URL" => Some("http://es:9200".to_string()),
            "ELASTICSEARCH_API_KEY" => Some("aWQ6a2V5".to_string()),
            _ => None,
        };
        let c = EsConnection::default().with_env_from(env).unwrap();
        assert_eq!(c.urls, ["http://es:9200/"]);
        assert_eq!(c.auth, EsAuth::ApiKey(Secret::new("aWQ6a2V5")));
        let flags = EsConnection::url("http://other:9200").unwrap();
        let c = flags.with_env_from(env).unwrap();
        assert_eq!(
            c.urls,
            ["http://other:9200/"],
            "flags win over the environment"
        );
        let env2 = |k: &str| match k {
            "ELASTICSEARCH_URL" => Some("deploy:ZXUtd2VzdC0x".to_string()),
            "ELASTICSEARCH_USERNAME" => Some("u".to_string()),
            "ELASTICSEARCH_PASSWORD" => Some("pw".to_string()),
            _ => None,
        };
        let c = EsConnection::default().with_env_from(env2).unwrap();
        assert_eq!(c.cloud_id.as_deref(), Some("deploy:ZXUtd2VzdC0x"));
        assert!(matches!(c.auth, EsAuth::Basic { .. }));
    }

    #[test]
    fn bad_urls_are_config_errors() {
        assert!(matches!(
            EsConnection::url("ftp://x"),
            Err(EsError::Config(_))
        ));
        assert!(matches!(EsConnection::url(" , "), Err(EsError::Config(_))));
    }
}
