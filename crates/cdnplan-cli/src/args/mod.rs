//! Command-line arguments (clap derive). These structs hold what the user typed; the
//! subcommand modules turn them into checked library values.

use std::path::PathBuf;

use cdnplan_core::solve::capacitated::Assignment;
use cdnplan_core::solve::{Method, MipBackend};
use cdnplan_io::scenario::ObjectiveKind;
use clap::{Args, Parser, Subcommand};

mod bench;
mod compare;
mod es;
mod probe;

pub use bench::{BenchArgs, BenchCommand, BenchSolverArgs};
pub use compare::{CompareArgs, CompareFormat};
pub use es::{EsArgs, SnapshotArgs};
pub use probe::{AvailabilityArgs, ProbeArgs, ProbeCommand, ProbeReportArgs};

/// Plan where CDN nodes should stand: demand from logs or a cluster (demand, snapshot),
/// today's service (evaluate), the moves that cut latency most (plan), scenarios side by side
/// (compare), the family ↔ bucket migration (topology, reassign), node availability (probe);
/// bench, synth, completions
/// and man.
#[derive(Debug, Parser)]
#[command(name = "cdnplan", version, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// Directory holding the shipped data (sites, countries, topologies, GeoIP, scenarios).
    /// Default: $CDNPLAN_DATA_DIR, else the data/ directory this binary was built from, else ./data.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// No progress bars and no informational messages on stderr; warnings and errors still
    /// print.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Commands that read logs (demand, evaluate, plan, reassign): print the full ingestion
    /// report (filters, unlocated clients, requests by node) instead of a one-line summary.
    /// --quiet wins over --verbose. Each command's help says what it does there.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// The task.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands that read request logs, where `--verbose` prints the whole ingestion report.
const READS_LOGS: [&str; 5] = ["demand", "evaluate", "plan", "compare", "reassign"];

/// The commands `--verbose` changes nothing in: it is accepted there (it is global) but not
/// listed in their help.
const NOT_VERBOSE: [&str; 7] = [
    "snapshot",
    "topology",
    "probe",
    "bench",
    "synth",
    "completions",
    "man",
];

/// The command line as parsed and described (`--help`, completions, man pages): the derived
/// [`Cli`] with `--verbose` explained per command. A command in neither list keeps the
/// top-level text.
pub fn command() -> clap::Command {
    let verbose = || {
        clap::Arg::new("verbose")
            .long("verbose")
            .short('v')
            .global(true)
            .action(clap::ArgAction::SetTrue)
    };
    let mut cmd = <Cli as clap::CommandFactory>::command();
    for name in READS_LOGS {
        cmd = cmd.mut_subcommand(name, |sc| {
            sc.arg(verbose().help(
                "Print the full ingestion report (filters, unlocated clients, requests by \
                 node) instead of a one-line summary. --quiet wins over --verbose",
            ))
        });
    }
    for name in NOT_VERBOSE {
        cmd = cmd.mut_subcommand(name, |sc| sc.arg(verbose().hide(true)));
    }
    cmd
}

/// Parses the process's arguments with [`command`]; a usage error exits as clap does (2).
pub fn parse() -> Cli {
    use clap::FromArgMatches as _;
    Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit())
}

const EXAMPLES: &str = "\
Examples:
  cdnplan plan  # the default scenario on the bundled data
  cdnplan plan data/scenarios/default.toml --max-moves 2 --out out/k2
  cdnplan evaluate  # Jan 2023 nodes against June 2023 traffic
  cdnplan demand access.log.gz --preset combined -o demand.csv";

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Turn request logs into demand cells (requests, bytes, clients per region).
    #[command(after_help = "\
Examples:
  cdnplan demand data/snapshots/argus-2023-06.ndjson.gz
  cdnplan demand logs/*.ndjson.gz --since 2023-06-02T00:00:00Z \\
      --cells geotile:5 -o demand.csv
  cdnplan demand access.log --preset combined --all-paths --lenient --json
  cdnplan demand --es https://logs.example:9200 --index 'logs-argus-*' \\
      --preset ecs --since 30d --cells geotile:6
  ELASTICSEARCH_API_KEY=… cdnplan demand --es https://logs.example:9200 \\
      --index distributor-node --since 2023-05-12")]
    Demand(DemandArgs),

    /// Export the documents an Elasticsearch / OpenSearch query matches to gzip NDJSON, for
    /// offline replay with `cdnplan demand FILE`.
    #[command(after_help = "\
Examples:
  cdnplan snapshot --es http://localhost:9200 --index distributor-node \\
      --since 2023-06-01 -o june.ndjson.gz
  cdnplan demand june.ndjson.gz                 # replay offline, same preset")]
    Snapshot(SnapshotArgs),

    /// Evaluate how the current nodes serve the demand: mean, percentiles, coverage, loads.
    #[command(after_help = "\
Examples:
  cdnplan evaluate  # inputs of the default scenario
  cdnplan evaluate data/scenarios/default.toml \\
      --topology data/joystream/mainnet-2023-12.json
  cdnplan evaluate --demand demand.csv --nodes my-nodes.csv --json
  cdnplan evaluate --report today.html  # the map and tables, for a browser
  cdnplan evaluate --topology data/joystream/mainnet-2023-12.json \\
      --availability pings.ndjson --availability-window 7d")]
    Evaluate(EvaluateArgs),

    /// Solve a scenario: which nodes to move where, in which order, and what each move buys.
    #[command(after_help = "\
Examples:
  cdnplan plan  # data/scenarios/default.toml
  cdnplan plan --max-moves 2 --pin joystream.koalva.io --forbid-country RU \\
      --out out/k2
  cdnplan plan --add 1 --max-moves 0  # what does one more node buy, where?
  cdnplan plan --method exact --time-limit 120 --json
  cdnplan plan --assume-bags 1000  # reassignment what-if with bags
  cdnplan plan --availability pings.ndjson  # expected RTT with observed uptime

Outputs (in the scenario's output_dir, or --out): plan.json, report.md,
moves.csv, demand.csv, plan.geojson, curve.csv, nodes.csv, map.svg,
report.html; with --curve also
node-curve.csv; with a topology (unless --no-reassign or [reassign] enabled =
false) also the family ↔ bucket reassignment after the moves: reassign.md,
reassign.json, reassign.sh, target-topology.json, metadata/*.json.")]
    Plan(Box<PlanArgs>),

    /// Solve scenarios and their variants and show them side by side, ranked by the
    /// objective: mean and p90 RTT, within-T shares, moves, cost, migration calls, status.
    #[command(after_help = "\
Examples:
  cdnplan compare --vary max_moves=1,3,5
  cdnplan compare --vary objective.kind=mean_rtt,coverage \\
      --vary objective.threshold_ms=100 --format markdown
  cdnplan compare data/scenarios/default.toml my.toml --out out/compare

Outputs (with --out): compare.md, compare.csv, compare.json and compare.html
(the table and every variant's map side by side).")]
    Compare(CompareArgs),

    /// Import, check and print a distribution topology (families, buckets, operators, bags).
    #[command(after_help = "\
Examples:
  cdnplan topology  # the default scenario's topology
  cdnplan topology --graphql-file qn-response.json --save topology.json
  cdnplan topology --graphql http://localhost:8081/graphql --indexer hydra \\
      --save-pages qn.json
  cdnplan topology --topology imported.json --rpc http://localhost:9933 \\
      --save with-chain-state.json

Findings (operators without coordinates, coordinates far from the stated city
or country, duplicate endpoints, buckets without an active operator) go to
stdout with the summary.")]
    Topology(TopologyArgs),

    /// Plan the family ↔ bucket reassignment and its migration (calls, actors, wait points).
    #[command(after_help = "\
Examples:
  cdnplan reassign  # Jan 2023 mainnet, June 2023 traffic
  cdnplan reassign --assume-bags 1000 --out out/reassign
  cdnplan reassign my.toml --topology imported.json --batch-size 50
  cdnplan reassign --topology imported.json --rpc http://localhost:9933

Outputs (in --out, default out/reassign): reassign.md (checklist),
reassign.json, reassign.sh (the lead's commands), target-topology.json,
metadata/*.json; with --rpc also source-topology.json (the topology planned on,
chain state included, for replay with --topology).")]
    Reassign(ReassignArgs),

    /// Probe every active distributor node (status, buckets, a test object) and record
    /// operators-ping documents; `probe report` turns them into availability per node.
    #[command(after_help = "\
Examples:
  cdnplan probe --topology data/joystream/mainnet-2023-12.json
  cdnplan probe --graphql http://localhost:8081/graphql --asset 1000 \\
      --source eu-1 --out pings.ndjson
  cdnplan probe --topology imported.json --json > run.ndjson
  ELASTICSEARCH_API_KEY=… cdnplan probe --topology imported.json \\
      --es https://logs.example:9200 --index operators-ping
  cdnplan probe report --from pings.ndjson --window 7d --out out/availability

Each run appends one document per operator to --out (the working group's
operators-ping shape: pingStatus ok, asset-download-failed, degraded or dead,
distributingStatus, nodeStatus, assetDownloadResult) and prints a summary;
with --json the documents go to stdout instead. --every 5m repeats the run
every five minutes (until interrupted, or --count N times).")]
    Probe(ProbeArgs),

    /// Generate synthetic Argus-layout request logs (benchmarks; the shipped snapshot).
    #[command(after_help = "\
Examples:
  cdnplan synth -o data/snapshots/argus-2023-06.ndjson.gz \\
      --shares RU=20.5,UA=12.3,TR=10
  cdnplan synth -o big.ndjson --bytes 1G --seed 1")]
    Synth(SynthArgs),

    /// Benchmark the optimiser: OR-Library pmed and pmedcap, TSPLIB p-median sets, or a
    /// synthetic world.
    #[command(after_help = "\
Examples:
  cdnplan bench orlib benches/orlib  # pmed1-40 against the published optima
  cdnplan bench orlib benches/orlib --instances 1-10 --method exact
  cdnplan bench synthetic --clients 10000 --sites 1000 -p 100 --gap 0.005
  cdnplan bench pmedcap benches/orlib              # pmedcap01-20, capacitated
  cdnplan bench tsplib tsplib/ --instances rl1304 --p 5-20")]
    Bench(BenchArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = "\
Examples:
  mkdir -p ~/.local/share/bash-completion/completions
  cdnplan completions bash > ~/.local/share/bash-completion/completions/cdnplan
  mkdir -p ~/.zfunc && cdnplan completions zsh > ~/.zfunc/_cdnplan")]
    Completions(CompletionsArgs),

    /// Print the man page of cdnplan, or of one of its commands, in roff.
    #[command(after_help = "\
Examples:
  cdnplan man > cdnplan.1 && man ./cdnplan.1
  cdnplan man plan > cdnplan-plan.1")]
    Man(ManArgs),
}

/// `cdnplan completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `cdnplan man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (default: cdnplan itself).
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// Where demand comes from and how it is aggregated.
#[derive(Debug, Args, Clone, Default)]
pub struct LogArgs {
    /// Field-mapping preset: argus, es-hits, ecs, combined, csv.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,

    /// MaxMind-format database (GeoIP2/GeoLite2 or ip-location-db) locating client addresses.
    /// Default: the bundled DB-IP Lite country database.
    #[arg(long, value_name = "FILE")]
    pub geoip: Option<PathBuf>,

    /// Cells: country, city, or geotile:Z (web-mercator tiles at zoom Z).
    #[arg(long, value_name = "KIND")]
    pub cells: Option<String>,

    /// Count requests at or after this time (RFC 3339, e.g. 2023-06-02T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Count requests before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// HTTP statuses to count, e.g. 200-299 or 200,206,304 (default 2xx).
    #[arg(long, value_name = "LIST")]
    pub status: Option<String>,

    /// Count every path, not only asset requests (/api/v1/assets/ID).
    #[arg(long)]
    pub all_paths: bool,

    /// Skip and count malformed records instead of stopping at the first.
    #[arg(long)]
    pub lenient: bool,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
}

/// `cdnplan demand`.
#[derive(Debug, Args)]
pub struct DemandArgs {
    /// Request log files (NDJSON, CSV or combined log format; gzip or plain).
    #[arg(required_unless_present_any = ["es", "es_cloud_id", "index"], value_name = "LOG")]
    pub logs: Vec<PathBuf>,

    /// Log reading options.
    #[command(flatten)]
    pub log: LogArgs,

    /// Elasticsearch / OpenSearch source, instead of files.
    #[command(flatten)]
    pub es: EsArgs,

    /// Country table (default: the bundled data/countries.csv).
    #[arg(long, value_name = "FILE")]
    pub countries: Option<PathBuf>,

    /// Write the cells to this CSV.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Cells to list on stdout (text mode).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub top: usize,
}

/// Inputs shared by `evaluate` and `plan`: a scenario and overrides of its inputs.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Scenario file (default: data/scenarios/default.toml).
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,

    /// Use these request logs instead of the scenario's demand.
    #[arg(long, value_name = "LOG", num_args = 1..)]
    pub logs: Vec<PathBuf>,

    /// Use this demand CSV (from `cdnplan demand -o`) instead of the scenario's demand.
    #[arg(long, value_name = "FILE", conflicts_with = "logs")]
    pub demand: Option<PathBuf>,

    /// Log reading options (override the scenario's).
    #[command(flatten)]
    pub log: LogArgs,

    /// Current nodes from this topology JSON.
    #[arg(long, value_name = "FILE")]
    pub topology: Option<PathBuf>,

    /// Current nodes from this CSV (id,operator,city,country_code,lat,lon,active,…).
    #[arg(long, value_name = "FILE", conflicts_with = "topology")]
    pub nodes: Option<PathBuf>,

    /// Latency model: fixed part a in ms.
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub a_ms: Option<f64>,

    /// Latency model: distance part b in ms per km.
    #[arg(long, value_name = "MS_PER_KM", allow_negative_numbers = true)]
    pub b_ms_per_km: Option<f64>,

    /// What weighs a cell: requests, bytes or clients.
    #[arg(long, value_name = "W")]
    pub weighting: Option<String>,

    /// What-if: scale one country's demand, e.g. RU=0.5 (repeatable).
    #[arg(long, value_name = "CC=FACTOR", value_parser = country_factor)]
    pub growth: Vec<(String, f64)>,
}

/// `cdnplan evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Scenario and input overrides.
    #[command(flatten)]
    pub input: InputArgs,

    /// Also write today's service as one self-contained HTML page (map, service, continents,
    /// node loads, top cells) to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<std::path::PathBuf>,

    /// Expected service with observed node availability.
    #[command(flatten)]
    pub availability: AvailabilityArgs,
}

/// `cdnplan plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Scenario and input overrides.
    #[command(flatten)]
    pub input: InputArgs,

    /// At most this many nodes move (K).
    #[arg(long, short = 'k', value_name = "K")]
    pub max_moves: Option<usize>,

    /// Add this many new nodes.
    #[arg(long, value_name = "N")]
    pub add: Option<usize>,

    /// Remove this many current nodes (the plan picks which).
    #[arg(long, value_name = "N")]
    pub remove: Option<usize>,

    /// Keep this node where it is (repeatable).
    #[arg(long = "pin", value_name = "NODE")]
    pub pinned: Vec<String>,

    /// Never use this site (repeatable).
    #[arg(long = "forbid-site", value_name = "SITE")]
    pub forbidden_sites: Vec<String>,

    /// Never place a node in this country (repeatable, ISO alpha-2).
    #[arg(long = "forbid-country", value_name = "CC")]
    pub forbidden_countries: Vec<String>,

    /// Never use this provider (repeatable).
    #[arg(long = "forbid-provider", value_name = "PROVIDER")]
    pub forbidden_providers: Vec<String>,

    /// What-if: add a node at this candidate site, or at coordinates LAT,LON (its country
    /// that of the nearest known place) (repeatable). Without --max-moves, no other node
    /// moves.
    #[arg(
        long = "add-at",
        value_name = "SITE|LAT,LON",
        allow_hyphen_values = true
    )]
    pub add_at: Vec<String>,

    /// What-if: move this node to this candidate site (repeatable). Without --max-moves,
    /// no other node moves.
    #[arg(long = "move", value_name = "NODE=SITE", value_parser = node_to_site)]
    pub moves: Vec<(String, String)>,

    /// auto, exact or heuristic.
    #[arg(long, value_name = "METHOD", value_parser = named::<Method>)]
    pub method: Option<Method>,

    /// MIP backend: microlp or highs (needs the `highs` build feature).
    #[arg(long, value_name = "BACKEND", value_parser = named::<MipBackend>)]
    pub backend: Option<MipBackend>,

    /// Wall-clock limit in seconds, counted from the start of the run: the solver gets what
    /// reading the inputs left (writing the outputs comes after it).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub time_limit: Option<f64>,

    /// Seed for every random choice.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Output directory (default: the scenario's output_dir).
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Leave out the family ↔ bucket reassignment (reassign.md, …) a topology scenario adds.
    #[arg(long)]
    pub no_reassign: bool,

    /// Reassignment what-if: when the topology lists no bags, assume this many channel bags.
    #[arg(long, value_name = "N")]
    pub assume_bags: Option<u64>,

    /// Reassignment: per-bag calls per group of the checklist; each call is its own transaction (default: the scenario's, 100).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,

    /// Reassignment: read the per-bag limit and the Channel/Member creation policies from
    /// this Joystream node's JSON-RPC (http:// only, e.g. http://localhost:9933); the topology
    /// planned on is written as source-topology.json for replay.
    #[arg(long, value_name = "URL")]
    pub rpc: Option<String>,

    /// What to optimise: mean_rtt, coverage, worst_case, redundancy or blended.
    #[arg(long, value_name = "KIND", value_parser = named::<ObjectiveKind>)]
    pub objective: Option<ObjectiveKind>,

    /// RTT threshold T in ms (coverage, redundancy, blended); also adds the service report:
    /// coverage within T, worst-served cells, single-failure table.
    #[arg(long, value_name = "MS")]
    pub threshold_ms: Option<f64>,

    /// Redundancy: the k-th nearest node must be within T (default 2).
    #[arg(long, value_name = "K")]
    pub redundancy_k: Option<usize>,

    /// Blended: ms added per unit of demand served beyond T.
    #[arg(long, value_name = "MS")]
    pub penalty_ms: Option<f64>,

    /// Also solve the best placement of 1..N nodes and the marginal value of each extra node
    /// (printed and written to node-curve.csv); `N` alone means `1..N`.
    #[arg(long, value_name = "1..N")]
    pub curve: Option<String>,

    /// Plan with capacities: egress in Gbit/s of every node and site that declares none
    /// (over the scenario's [capacity] default_egress_gbps).
    #[arg(long, value_name = "GBPS")]
    pub egress_gbps: Option<f64>,

    /// Plan with capacities, assigning demand split (shared by several nodes) or
    /// single-source (one node per cell).
    #[arg(long, value_name = "split|single-source", value_parser = named::<Assignment>)]
    pub assignment: Option<Assignment>,

    /// Plan with capacities, with this peak-hour over mean-rate factor (default: measured from
    /// the logs' busiest hour, 1.42 for the shipped snapshot; 2 when the logs have no times).
    #[arg(long, value_name = "F")]
    pub peak_to_mean: Option<f64>,

    /// Plan with capacities, keeping the nodes' monthly cost within this many USD (every
    /// node's and site's cost must be known: sites.csv or [capacity] monthly_usd).
    #[arg(long, value_name = "USD")]
    pub budget_usd: Option<f64>,

    /// Expected service before and after the plan with observed node availability.
    #[command(flatten)]
    pub availability: AvailabilityArgs,
}

/// Where a topology comes from (shared by `topology` and `reassign`).
#[derive(Debug, Args, Clone, Default)]
pub struct TopologySource {
    /// A topology JSON (the `data/joystream/*.json` format).
    #[arg(long, value_name = "FILE")]
    pub topology: Option<PathBuf>,

    /// A saved GraphQL response (or array of pages) of the Hydra query node or
    /// storage-squid/Orion.
    #[arg(long, value_name = "FILE", conflicts_with = "topology")]
    pub graphql_file: Option<PathBuf>,

    /// Query this indexer live (http:// only), page by page.
    #[arg(long, value_name = "URL", conflicts_with_all = ["topology", "graphql_file"])]
    pub graphql: Option<String>,

    /// Read the per-bag limit and the Channel/Member creation policies from this Joystream
    /// node's JSON-RPC (http:// only, e.g. http://localhost:9933) into the topology; they
    /// replace the topology's own and are saved with it.
    #[arg(long, value_name = "URL")]
    pub rpc: Option<String>,

    /// The live indexer's schema: hydra or squid.
    #[arg(long, value_name = "KIND", default_value = "hydra")]
    pub indexer: String,

    /// Bags (hydra) or bag links (squid) per page for live queries.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub page_size: usize,

    /// Longest silence from a live indexer (--graphql) or node (--rpc) before giving up, in
    /// seconds [default: 30].
    #[arg(long, value_name = "SECS")]
    pub read_timeout: Option<f64>,

    /// Save the live responses here, for replay with --graphql-file.
    #[arg(long, value_name = "FILE", requires = "graphql")]
    pub save_pages: Option<PathBuf>,
}

/// `cdnplan topology`.
#[derive(Debug, Args)]
pub struct TopologyArgs {
    /// Scenario whose topology to use when no source is given (default: the default scenario).
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,

    /// Where the topology comes from.
    #[command(flatten)]
    pub source: TopologySource,

    /// Write the imported topology here (topology JSON).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
}

/// `cdnplan reassign`.
#[derive(Debug, Args)]
pub struct ReassignArgs {
    /// Scenario (default: data/scenarios/default.toml): demand, countries, latency, topology.
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,

    /// Where the topology comes from (default: the scenario's).
    #[command(flatten)]
    pub source: TopologySource,

    /// When the topology lists no bags, assume this many channel bags, each on every
    /// operated bucket (a what-if: say so when quoting results).
    #[arg(long, value_name = "N")]
    pub assume_bags: Option<u64>,

    /// Per-bag calls per group of the checklist; each call is its own transaction (default: the scenario's, 100).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,

    /// Keep buckets that have no operator (default: delete them).
    #[arg(long)]
    pub keep_idle_buckets: bool,

    /// Output directory.
    #[arg(long, short, value_name = "DIR", default_value = "out/reassign")]
    pub out: PathBuf,
}

/// `cdnplan synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Output file (.gz compresses).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,

    /// Requests to generate.
    #[arg(long, default_value_t = 60_000)]
    pub requests: u64,

    /// Generate about this many bytes (before compression) instead of --requests, e.g. 1G.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub bytes: Option<u64>,

    /// Serving nodes to name in the logs (host header), comma-separated.
    #[arg(long, value_name = "HOST,...", value_delimiter = ',')]
    pub nodes: Vec<String>,

    /// Distinct visitors (client addresses).
    #[arg(long, default_value_t = 7_200)]
    pub visitors: u64,

    /// Seed.
    #[arg(long, default_value_t = 2023)]
    pub seed: u64,

    /// Fixed request shares, e.g. RU=20.5,UA=12.3,TR=10 (percent); the rest follows internet users.
    #[arg(long, value_name = "CC=PCT,...")]
    pub shares: Option<String>,

    /// First day (RFC 3339).
    #[arg(long, default_value = "2023-06-02T00:00:00Z")]
    pub start: String,

    /// End (RFC 3339, exclusive).
    #[arg(long, default_value = "2023-06-17T00:00:00Z")]
    pub end: String,

    /// GeoIP database the addresses must resolve in (default: bundled).
    #[arg(long, value_name = "FILE")]
    pub geoip: Option<PathBuf>,

    /// Country table (default: bundled).
    #[arg(long, value_name = "FILE")]
    pub countries: Option<PathBuf>,
}

/// A worker-thread count: a whole number ≥ 1.
/// A value of one of the library's named enums (any case, `-` for `_`); the library's error
/// lists the names.
fn named<T>(s: &str) -> Result<T, String>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| e.to_string())
}

/// Numbers given as a list and ranges, e.g. `1-10,15,38-40`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberList(pub Vec<u32>);

/// `1-10,15,38-40` as the numbers it names, in order.
fn number_list(spec: &str) -> Result<NumberList, String> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || format!("`{part}` is not a number or a range a-b");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) =
                    (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
                if a > b {
                    return Err(bad());
                }
                out.extend(a..=b);
            }
            None => out.push(part.parse().map_err(|_| bad())?),
        }
    }
    if out.is_empty() {
        return Err("no number named".into());
    }
    Ok(NumberList(out))
}

fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("expected a whole number of threads ≥ 1, got {s:?}")),
    }
}

/// `1500`, `64K`, `200M`, `1G` (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix in {s:?} (use K, M or G)")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .map(|n| n.saturating_mul(mult))
        .map_err(|_| format!("not a size: {s:?}"))
}

/// `CC=FACTOR` of `--growth`.
fn country_factor(s: &str) -> Result<(String, f64), String> {
    let bad = || format!("expected CC=FACTOR, e.g. RU=0.5, got {s:?}");
    let (cc, f) = s.split_once('=').ok_or_else(bad)?;
    let f: f64 = f.trim().parse().map_err(|_| bad())?;
    Ok((cc.trim().to_ascii_uppercase(), f))
}

/// `NODE=SITE` of `--move`.
fn node_to_site(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((node, site)) if !node.is_empty() && !site.is_empty() => {
            Ok((node.to_string(), site.to_string()))
        }
        _ => Err(format!(
            "expected NODE=SITE, e.g. paris=aws-sa-east-1, got {s:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_consistent() {
        command().debug_assert();
    }

    /// The one-line description names every command, so that `cdnplan --help` does not
    /// read as if there were fewer.
    #[test]
    fn the_description_names_every_command() {
        let cmd = command();
        let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
        let words: Vec<&str> = about
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .collect();
        for sub in cmd.get_subcommands() {
            assert!(
                words.contains(&sub.get_name()),
                "the description {about:?} does not name {}",
                sub.get_name()
            );
        }
    }

    /// `--verbose` is explained where it does something and hidden where it does nothing,
    /// and every command has been sorted into one of the two.
    #[test]
    fn verbose_is_explained_per_command() {
        let mut cmd = command();
        cmd.build();
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = sub.get_name();
            let v = sub
                .get_arguments()
                .find(|a| a.get_id() == "verbose")
                .unwrap_or_else(|| panic!("{name} has no --verbose"));
            let help = v.get_help().map(|h| h.to_string()).unwrap_or_default();
            if READS_LOGS.contains(&name) {
                assert!(
                    help.starts_with("Print the full ingestion report"),
                    "{name}: {help}"
                );
            } else {
                assert!(
                    NOT_VERBOSE.contains(&name),
                    "{name}: sort it into a --verbose list"
                );
                assert!(v.is_hide_set(), "{name} shows --verbose");
            }
        }
        for argv in [
            ["cdnplan", "bench", "orlib", "-v"],
            ["cdnplan", "plan", "--verbose", "-q"],
        ] {
            use clap::FromArgMatches as _;
            let m = command().try_get_matches_from(argv).unwrap();
            assert!(Cli::from_arg_matches(&m).unwrap().verbose, "{argv:?}");
        }
    }

    /// Examples are copied into a shell: no line of them (or of the notes under them) may wrap
    /// in an 80-column terminal.
    #[test]
    fn help_texts_fit_in_80_columns() {
        let cli = command();
        let mut texts = vec![(
            "cdnplan".to_string(),
            cli.get_after_help().map(|h| h.to_string()),
        )];
        for sub in cli.get_subcommands() {
            texts.push((
                sub.get_name().to_string(),
                sub.get_after_help().map(|h| h.to_string()),
            ));
        }
        for (name, text) in texts {
            // Indented lines are commands (prose may wrap).
            for line in text
                .unwrap_or_default()
                .lines()
                .filter(|l| l.starts_with("  "))
            {
                assert!(
                    line.chars().count() <= 80,
                    "{name}: {line:?} is wider than 80 columns"
                );
            }
        }
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("1500"), Ok(1500));
        assert!(parse_size("3T").is_err());
    }

    #[test]
    fn thread_counts_start_at_one() {
        assert_eq!(parse_threads("2"), Ok(2));
        assert!(parse_threads("0").is_err());
        assert!(parse_threads("-1").is_err());
    }

    #[test]
    fn negative_latency_constants_reach_the_checks() {
        let cli = Cli::try_parse_from(["cdnplan", "evaluate", "--a-ms", "-1"]).unwrap();
        let Command::Evaluate(a) = cli.command else {
            panic!("evaluate")
        };
        assert_eq!(a.input.a_ms, Some(-1.0));
    }
}
