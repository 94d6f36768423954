//! `cdnplan probe` and `cdnplan probe report`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::TopologySource;

/// `cdnplan probe`: probe every active operator once, or every `--every`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProbeArgs {
    /// `report`: availability from saved probe documents.
    #[command(subcommand)]
    pub command: Option<ProbeCommand>,

    /// The operators to probe: every ACTIVE operator with an endpoint in this topology.
    #[command(flatten)]
    pub source: TopologySource,

    /// Append each run's documents (one JSON object a line, the operators-ping shape) to
    /// this file; a run's lines appear whole or not at all.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Name of this vantage point, written as each document's `source`
    /// [default: $CDNPLAN_PROBE_SOURCE, else the host name, else "cdnplan"].
    #[arg(long = "source", value_name = "NAME")]
    pub vantage: Option<String>,

    /// Also download the first --asset-bytes of this data object from every node.
    #[arg(long, value_name = "ID")]
    pub asset: Option<String>,

    /// How much of the --asset object to download, bytes.
    #[arg(long, value_name = "N", default_value_t = 1 << 20)]
    pub asset_bytes: u64,

    /// Longest wait for an answer's first byte, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub timeout: f64,

    /// Longest time one request may take in all, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 20.0)]
    pub request_timeout: f64,

    /// Further attempts after a failed connection, a timeout or a 5xx answer.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub retries: u32,

    /// Operators probed at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,

    /// Repeat the run at this interval (30s, 5m, 1h).
    #[arg(long, value_name = "SPAN")]
    pub every: Option<String>,

    /// With --every: stop after this many runs [default: run until interrupted].
    #[arg(long, value_name = "N", requires = "every")]
    pub count: Option<u64>,

    /// Also index each run into this Elasticsearch / OpenSearch cluster (https://host:9200;
    /// default $ELASTICSEARCH_URL when --index is given).
    #[arg(long, value_name = "URL", help_heading = "Elasticsearch")]
    pub es: Option<String>,

    /// The index to write the documents to (the working group's is operators-ping).
    #[arg(long, value_name = "NAME", help_heading = "Elasticsearch")]
    pub index: Option<String>,

    /// Basic-auth user (password from --es-password or $ELASTICSEARCH_PASSWORD).
    #[arg(long, value_name = "USER", help_heading = "Elasticsearch")]
    pub es_user: Option<String>,

    /// Basic-auth password (prefer $ELASTICSEARCH_PASSWORD).
    #[arg(long, value_name = "PASSWORD", help_heading = "Elasticsearch")]
    pub es_password: Option<String>,

    /// API key (prefer $ELASTICSEARCH_API_KEY).
    #[arg(long, value_name = "KEY", help_heading = "Elasticsearch")]
    pub es_api_key: Option<String>,
}

/// `cdnplan probe` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProbeCommand {
    /// Availability per node from probe documents: share of samples available, TTFB p50/p90,
    /// flaps.
    #[command(after_help = "\
Examples:
  cdnplan probe report --from pings.ndjson
  cdnplan probe report --from pings.ndjson --from wg-export.ndjson \\
      --window 7d --out out/availability
  cdnplan probe report --from pings.ndjson --threshold 0.95 --json

Reads cdnplan's documents and the working group's operators-ping documents
(bare, or as search hits with _source). Outputs (in --out): availability.md,
availability.json, availability.csv.")]
    Report(ProbeReportArgs),
}

/// `cdnplan probe report`.
#[derive(Debug, Args)]
pub struct ProbeReportArgs {
    /// Probe documents, one JSON object a line (repeatable).
    #[arg(long, value_name = "FILE", required = true)]
    pub from: Vec<PathBuf>,

    /// Only the documents within this span of the latest one (7d, 24h).
    #[arg(long, value_name = "SPAN")]
    pub window: Option<String>,

    /// Flag nodes available less than this share of the time (0..1).
    #[arg(long, value_name = "SHARE", default_value_t = 0.99)]
    pub threshold: f64,

    /// Write availability.md, availability.json and availability.csv into this directory
    /// (replaced as a whole).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `--availability` on `evaluate` and `plan`.
#[derive(Debug, Args, Clone, Default)]
pub struct AvailabilityArgs {
    /// Probe documents (`cdnplan probe --out`, or the working group's operators-ping): add
    /// the expected mean RTT when each node is down for its observed share of the time (its
    /// viewers fall to the next nearest node) and flag nodes below --availability-threshold.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub availability: Vec<PathBuf>,

    /// With --availability: only documents within this span of the latest one (7d, 24h).
    #[arg(long, value_name = "SPAN", requires = "availability")]
    pub availability_window: Option<String>,

    /// With --availability: flag nodes available less than this share of the time (0..1).
    #[arg(
        long,
        value_name = "SHARE",
        default_value_t = 0.99,
        requires = "availability"
    )]
    pub availability_threshold: f64,
}
