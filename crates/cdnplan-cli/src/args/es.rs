//! Elasticsearch / OpenSearch source arguments (`demand --es`, `snapshot`).

use std::path::PathBuf;

use clap::Args;

use super::LogArgs;

/// An Elasticsearch / OpenSearch source. Unset connection settings come from
/// ELASTICSEARCH_URL, ELASTICSEARCH_API_KEY, ELASTICSEARCH_USERNAME, ELASTICSEARCH_PASSWORD.
#[derive(Debug, Args, Clone, Default)]
pub struct EsArgs {
    /// Cluster URL(s), comma-separated (https://user:pass@host:9200 works; prefer the env).
    #[arg(long, value_name = "URL", help_heading = "Elasticsearch")]
    pub es: Option<String>,

    /// Elastic Cloud id instead of a URL.
    #[arg(long, value_name = "ID", help_heading = "Elasticsearch")]
    pub es_cloud_id: Option<String>,

    /// Index, data stream or pattern (distributor-node, logs-argus-*).
    #[arg(long, value_name = "PATTERN", help_heading = "Elasticsearch")]
    pub index: Option<String>,

    /// Extra filter in query-string syntax.
    #[arg(long, value_name = "QUERY", help_heading = "Elasticsearch")]
    pub query: Option<String>,

    /// auto (push down when the mapping has geo or country fields), push-down, or raw.
    #[arg(long, value_name = "MODE", help_heading = "Elasticsearch")]
    pub es_mode: Option<String>,

    /// Buckets or documents per page [default: 1000].
    #[arg(long, value_name = "N", help_heading = "Elasticsearch")]
    pub page_size: Option<usize>,

    /// Parallel slices for raw reading [default: 2].
    #[arg(long, value_name = "N", help_heading = "Elasticsearch")]
    pub slices: Option<u32>,

    /// Page raw documents with a scroll even where a point in time is available.
    #[arg(long, help_heading = "Elasticsearch")]
    pub scroll: bool,

    /// User name for basic auth.
    #[arg(long, value_name = "USER", help_heading = "Elasticsearch")]
    pub es_user: Option<String>,

    /// Password for basic auth (prefer ELASTICSEARCH_PASSWORD).
    #[arg(long, value_name = "PASSWORD", help_heading = "Elasticsearch")]
    pub es_password: Option<String>,

    /// API key, encoded or id:key (prefer ELASTICSEARCH_API_KEY).
    #[arg(long, value_name = "KEY", help_heading = "Elasticsearch")]
    pub es_api_key: Option<String>,

    /// Bearer token.
    #[arg(long, value_name = "TOKEN", help_heading = "Elasticsearch")]
    pub es_bearer: Option<String>,

    /// PEM file of the CA certificate(s) to trust.
    #[arg(long, value_name = "FILE", help_heading = "Elasticsearch")]
    pub es_ca: Option<PathBuf>,

    /// Skip TLS certificate validation (test clusters only).
    #[arg(long, help_heading = "Elasticsearch")]
    pub insecure: bool,

    /// Per-request timeout in seconds [default: 30].
    #[arg(long, value_name = "SECS", help_heading = "Elasticsearch")]
    pub timeout: Option<f64>,

    /// Retries per request on 429, 5xx, timeouts and dropped connections [default: 6].
    #[arg(long, value_name = "N", help_heading = "Elasticsearch")]
    pub retries: Option<u32>,
}

/// `cdnplan snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Where the documents come from.
    #[command(flatten)]
    pub es: EsArgs,

    /// Field mapping and filters (the documents that would count).
    #[command(flatten)]
    pub log: LogArgs,

    /// Output file (gzip NDJSON, one `_source` per line).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,

    /// Keep every field of `_source`, not only the mapped ones.
    #[arg(long)]
    pub all_fields: bool,
}
