//! The `[elasticsearch]` section: demand from an Elasticsearch / OpenSearch cluster.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The `[elasticsearch]` section: demand from an Elasticsearch / OpenSearch cluster.
///
/// Credentials are never stored in the scenario: `api_key_env`, `bearer_env` and
/// `password_env` name environment variables that hold them, and a URL carrying user
/// information (`https://user:pass@host`) is refused. Whatever the section leaves unset
/// (URL, credentials) comes from `ELASTICSEARCH_URL`, `ELASTICSEARCH_API_KEY`,
/// `ELASTICSEARCH_USERNAME` and `ELASTICSEARCH_PASSWORD`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchInput {
    /// Node URL(s), comma-separated (`https://logs.example:9200`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Node URLs, as a list (added to `url`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// An Elastic Cloud id instead of URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_id: Option<String>,
    /// Index, data stream, alias or pattern (`distributor-node`, `logs-argus-*`).
    pub index: String,
    /// `auto` (push down when the mapping has a geo point or country field), `push-down` or
    /// `raw`.
    #[serde(default = "default_es_mode")]
    pub mode: String,
    /// Buckets or documents per page (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<usize>,
    /// Parallel slices in raw mode (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slices: Option<u32>,
    /// Page raw documents with a scroll even where a point in time is available.
    #[serde(default)]
    pub scroll: bool,
    /// An extra filter in query-string syntax (`fields.label:PublicApi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Per-request timeout, seconds (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<f64>,
    /// Retries per request on 429, 5xx, timeouts and dropped connections (default 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// User name for basic auth; the password is read from `password_env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Name of the environment variable holding the basic-auth password (default
    /// `ELASTICSEARCH_PASSWORD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// Name of the environment variable holding an API key (e.g. `ELASTICSEARCH_API_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Name of the environment variable holding a bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_env: Option<String>,
    /// A PEM file with the CA certificate(s) to trust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// Skip certificate validation (test clusters only).
    #[serde(default)]
    pub insecure: bool,
}

/// True when `v` reads as an environment variable's name rather than a credential: letters,
/// digits and `_`, not starting with a digit, and either with a `_` or in upper case
/// (`ELASTICSEARCH_API_KEY`, `es_key`, `TOKEN`, but not `aWQ6a2V5` or `deadbeef42`).
pub(super) fn looks_like_env_name(v: &str) -> bool {
    let chars_ok = !v.is_empty()
        && v.len() <= 100
        && !v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    chars_ok && (v.contains('_') || !v.chars().any(|c| c.is_ascii_lowercase()))
}

/// Values in scenario text that may be credentials written by mistake, to redact from
/// messages that quote the text: string values of keys naming a password, key, token or
/// secret, and `*_env` values that are no variable's name.
pub(super) fn inline_secrets(text: &str) -> crate::redact::Redactor {
    let mut r = crate::redact::Redactor::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"').to_ascii_lowercase();
        let value = value.trim().trim_matches(['"', '\'']);
        let secret_key = [
            "password", "passwd", "secret", "token", "api_key", "apikey", "bearer",
        ]
        .iter()
        .any(|k| key.contains(k));
        if secret_key && !(key.ends_with("_env") && looks_like_env_name(value)) {
            r.secret(value);
            r.api_key(value);
        }
        if let Some(u) = value.split_whitespace().find(|u| u.contains("://")) {
            r.url(u);
        }
    }
    r
}

fn default_es_mode() -> String {
    "auto".into()
}

impl ElasticsearchInput {
    /// A section reading `index` at the cluster `url`, with the defaults.
    pub fn new(url: impl Into<String>, index: impl Into<String>) -> Self {
        ElasticsearchInput {
            url: Some(url.into()),
            urls: Vec::new(),
            cloud_id: None,
            index: index.into(),
            mode: default_es_mode(),
            page_size: None,
            slices: None,
            scroll: false,
            query: None,
            timeout_s: None,
            retries: None,
            username: None,
            password_env: None,
            api_key_env: None,
            bearer_env: None,
            ca_cert: None,
            insecure: false,
        }
    }

    /// Every URL the section names.
    fn all_urls(&self) -> Vec<&str> {
        self.url
            .iter()
            .flat_map(|u| u.split(','))
            .chain(self.urls.iter().map(String::as_str))
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect()
    }

    /// Checks values the types cannot; no secret may sit in the file.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(format!("[elasticsearch] {m}")));
        if self.index.trim().is_empty() {
            return bad("index = \"\": name an index, data stream or pattern".into());
        }
        if !matches!(
            self.mode
                .trim()
                .to_ascii_lowercase()
                .replace('_', "-")
                .as_str(),
            "auto" | "push-down" | "pushdown" | "aggregate" | "raw" | "documents"
        ) {
            return bad(format!(
                "mode = {:?}: use \"auto\", \"push-down\" or \"raw\"",
                self.mode
            ));
        }
        if self.page_size == Some(0) || self.slices == Some(0) {
            return bad("page_size and slices must be at least 1".into());
        }
        if let Some(t) = self.timeout_s
            && !(t.is_finite() && t > 0.0)
        {
            return bad(format!(
                "timeout_s = {t}: must be a positive number of seconds"
            ));
        }
        for u in self.all_urls() {
            // `scheme://user[:pass]@host`: user information before the host.
            let rest = u.split_once("://").map_or(u, |(_, r)| r);
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            if authority.contains('@') {
                return bad(
                    "url carries user information: never write credentials in a scenario; \
                     give `username` and `password_env` (the name of an environment variable), \
                     or `api_key_env`"
                        .into(),
                );
            }
        }
        if !self.all_urls().is_empty() && self.cloud_id.is_some() {
            return bad("`url(s)` and `cloud_id` are alternatives; give one".into());
        }
        let auths = [
            self.username.is_some(),
            self.api_key_env.is_some(),
            self.bearer_env.is_some(),
        ];
        if auths.iter().filter(|&&a| a).count() > 1 {
            return bad(
                "`username`, `api_key_env` and `bearer_env` are alternatives; give one".into(),
            );
        }
        for (key, value) in [
            ("api_key_env", &self.api_key_env),
            ("bearer_env", &self.bearer_env),
            ("password_env", &self.password_env),
        ] {
            // The value itself is never echoed: it may be the credential, written by mistake.
            if let Some(v) = value
                && !looks_like_env_name(v)
            {
                return bad(format!(
                    "{key} does not name an environment variable (letters, digits and `_`, \
                     such as ELASTICSEARCH_API_KEY): is it the credential itself? Never write \
                     credentials in a scenario; put it in a variable and name that"
                ));
            }
        }
        if self.password_env.is_some() && self.username.is_none() {
            return bad("`password_env` needs `username`".into());
        }
        Ok(())
    }
}

#[cfg(feature = "es")]
impl ElasticsearchInput {
    /// The connection: the section's settings, credentials read from the environment
    /// variables it names, then the `ELASTICSEARCH_*` variables for what is still unset.
    ///
    /// # Errors
    /// [`Error::Config`] when a named variable is unset, [`Error::Es`] for a malformed URL.
    pub fn connection(&self) -> Result<crate::es::EsConnection> {
        self.connection_from(|k| std::env::var(k).ok())
    }

    /// [`ElasticsearchInput::connection`] with the variables looked up by `var`.
    ///
    /// # Errors
    /// As [`ElasticsearchInput::connection`].
    pub fn connection_from(
        &self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<crate::es::EsConnection> {
        use crate::es::{EsAuth, EsConnection, Secret};
        self.check()?;
        let get = |key: &str, name: &str| {
            var(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                Error::Config(format!(
                    "[elasticsearch] {key} = {name:?}: the environment variable {name} is not set"
                ))
            })
        };
        let urls = self.all_urls();
        let mut c = if !urls.is_empty() {
            EsConnection::url(&urls.join(","))?
        } else if let Some(id) = &self.cloud_id {
            EsConnection::cloud(id)
        } else {
            EsConnection::default()
        };
        if let Some(name) = &self.api_key_env {
            c = c.auth(EsAuth::ApiKey(Secret::new(
                get("api_key_env", name)?.trim(),
            )));
        } else if let Some(name) = &self.bearer_env {
            c = c.auth(EsAuth::Bearer(Secret::new(get("bearer_env", name)?.trim())));
        } else if let Some(u) = &self.username {
            let name = self
                .password_env
                .as_deref()
                .unwrap_or("ELASTICSEARCH_PASSWORD");
            c = c.auth(EsAuth::Basic {
                username: u.clone(),
                password: Secret::new(get("password_env", name)?),
            });
        }
        if let Some(ca) = &self.ca_cert {
            c = c.ca_cert(ca.clone());
        }
        c = c.insecure(self.insecure);
        if let Some(t) = self.timeout_s {
            c = c.timeout_secs(t);
        }
        if let Some(r) = self.retries {
            c = c.retries(r);
        }
        let c = c.with_env_from(var)?;
        if c.urls.is_empty() && c.cloud_id.is_none() {
            return Err(Error::Config(
                "[elasticsearch]: no cluster given: set `url`, `urls` or `cloud_id`, or ELASTICSEARCH_URL"
                    .into(),
            ));
        }
        Ok(c)
    }

    /// The query: index, mode, paging and query string.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown mode.
    pub fn query(&self) -> Result<crate::es::EsQuery> {
        let mut q = crate::es::EsQuery::new(self.index.trim())
            .mode(self.mode.parse()?)
            .scroll(self.scroll);
        if let Some(n) = self.page_size {
            q = q.page_size(n);
        }
        if let Some(n) = self.slices {
            q = q.slices(n);
        }
        if let Some(qs) = &self.query {
            q = q.query_string(qs.clone());
        }
        Ok(q)
    }
}
