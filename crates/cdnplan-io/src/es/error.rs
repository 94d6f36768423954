//! What can go wrong talking to a cluster. Messages name the cluster by scheme, host and port
//! only: credentials never appear in them.

use thiserror::Error;

/// An Elasticsearch / OpenSearch failure; each variant says what to try next.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EsError {
    /// The connection settings are unusable (bad URL, unreadable CA file, no URL at all).
    #[error("elasticsearch connection: {0}")]
    Config(String),
    /// No answer after every retry: connection refused, DNS, TLS, or timeouts.
    #[error(
        "cluster unreachable at {url} after {attempts} attempt(s): {reason} (check the URL, that the cluster is up, and --timeout)"
    )]
    Unreachable {
        /// Scheme, host and port tried.
        url: String,
        /// Requests made.
        attempts: u32,
        /// The last failure.
        reason: String,
    },
    /// 401 or 403.
    #[error(
        "{url}: {status} {what}: {reason} (check --es-user/--es-password, --es-api-key or --es-bearer, or ELASTICSEARCH_USERNAME/_PASSWORD/_API_KEY; the user needs read and view_index_metadata on the index)"
    )]
    Unauthorized {
        /// Scheme, host and port.
        url: String,
        /// 401 or 403.
        status: u16,
        /// "unauthorized" or "forbidden".
        what: &'static str,
        /// The cluster's reason.
        reason: String,
    },
    /// The index pattern matches no index or data stream.
    #[error(
        "no index or data stream matches {index:?} on {url} (list them with GET /_cat/indices)"
    )]
    IndexNotFound {
        /// The pattern asked for.
        index: String,
        /// Scheme, host and port.
        url: String,
    },
    /// A mapped field is not in the index mapping.
    #[error(
        "field `{field}` ({slot}) is not in the mapping of {index:?}; the mapping has: {available} (set the field mapping with --preset or a [demand.fields] section)"
    )]
    FieldMissing {
        /// The path(s) looked for.
        field: String,
        /// The request field it stands for (`client_ip`, `geo_location`, …).
        slot: &'static str,
        /// The index pattern.
        index: String,
        /// The fields the index mapping has (shortened).
        available: String,
    },
    /// A mapped field has a type the query cannot use.
    #[error("field `{field}` ({slot}) of {index:?} is `{got}`, expected {want}")]
    FieldType {
        /// The field.
        field: String,
        /// The request field it stands for.
        slot: &'static str,
        /// The index pattern.
        index: String,
        /// The mapped type(s).
        got: String,
        /// What would do.
        want: &'static str,
    },
    /// Any other error answer from the cluster.
    #[error("{url}: {request} failed with {status}: {reason}")]
    Server {
        /// Scheme, host and port.
        url: String,
        /// What was asked (`POST /logs-*/_search`).
        request: String,
        /// HTTP status.
        status: u16,
        /// The cluster's error type and reason.
        reason: String,
    },
    /// A scroll page was lost to a dropped connection (a scroll cannot be re-read) and the
    /// run was restarted as many times as allowed.
    #[error(
        "a scroll page was lost to a dropped connection {attempts} time(s) in a row: the cluster has no point-in-time API, so a scroll cannot resume; retry later or raise --retries"
    )]
    ScrollLost {
        /// Whole runs tried.
        attempts: u32,
    },
    /// An answer larger than the connection's `max_body_bytes` (default 256 MiB).
    #[error(
        "{url}: the answer to {request} is larger than {limit} bytes (the `max_body_bytes` limit); lower the page size, or raise the limit if the cluster is trusted"
    )]
    TooLarge {
        /// Scheme, host and port.
        url: String,
        /// What was asked.
        request: String,
        /// The limit, bytes.
        limit: u64,
    },
    /// The cluster answered something this client cannot read.
    #[error("{url}: unexpected answer to {request}: {reason}")]
    Protocol {
        /// Scheme, host and port.
        url: String,
        /// What was asked.
        request: String,
        /// What was wrong.
        reason: String,
    },
}
