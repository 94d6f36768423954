//! `cdnplan bench` arguments.

use std::path::PathBuf;

use cdnplan_core::solve::capacitated::PmedcapDistances;
use cdnplan_core::solve::{Method, MipBackend};
use clap::{Args, Subcommand};

use super::{NumberList, named, number_list};

/// `cdnplan bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The benchmark.
    #[command(subcommand)]
    pub which: BenchCommand,
}

/// The benchmarks of `cdnplan bench`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// OR-Library pmed instances: solve each, compare with the published optimum, exit 1 when
    /// a solution called optimal is not, or a bound exceeds the optimum.
    Orlib(OrlibArgs),
    /// A synthetic world: demand clustered like internet users, sites like hosting regions.
    Synthetic(SyntheticArgs),
    /// OR-Library pmedcap instances (capacitated, single-source): solve each, compare with
    /// the published optimum, exit 1 when a solution called optimal is not.
    Pmedcap(PmedcapArgs),
    /// TSPLIB p-median sets (rl1304 … pcb3038) against the values of Durán-Mateluna et al.
    /// (2023): solve each (instance, p), print value, bound, status and time beside the
    /// paper's time; exit 1 on a wrong "optimal" or a bound above a proven value.
    Tsplib(TsplibArgs),
}

/// Solver flags shared by the benchmarks.
#[derive(Debug, Args)]
pub struct BenchSolverArgs {
    /// auto (the engine), exact (good_lp MIP) or heuristic.
    #[arg(long, value_name = "METHOD", default_value = "auto", value_parser = named::<Method>)]
    pub method: Method,

    /// MIP backend for --method exact: microlp or highs (needs the `highs` build feature).
    #[arg(long, value_name = "BACKEND", default_value = "microlp", value_parser = named::<MipBackend>)]
    pub backend: MipBackend,

    /// Wall-clock limit per instance, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub time_limit: f64,

    /// Relative gap at which a solution counts as proven.
    #[arg(long, value_name = "GAP", default_value_t = 0.0)]
    pub gap: f64,

    /// Seed for every random choice.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}

/// `cdnplan bench tsplib`.
#[derive(Debug, Args)]
pub struct TsplibArgs {
    /// Directory with NAME.tsp files and optima.tsv (instance, n, p, value, proven, benders_s).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Instances to run, comma-separated names (default: every one in optima.tsv).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub instances: Option<Vec<String>>,

    /// Values of p to run: a list and ranges, e.g. 5-50,100 (default: every row).
    #[arg(long, value_name = "LIST", value_parser = number_list)]
    pub p: Option<NumberList>,

    /// Solver settings.
    #[command(flatten)]
    pub solver: BenchSolverArgs,
}

/// `cdnplan bench orlib`.
#[derive(Debug, Args)]
pub struct OrlibArgs {
    /// Directory with pmed1.txt … pmed40.txt and pmedopt.txt.
    #[arg(value_name = "DIR", default_value = "benches/orlib")]
    pub dir: PathBuf,

    /// Instance numbers: a list and ranges, e.g. 1-10,15,38-40.
    #[arg(long, value_name = "LIST", default_value = "1-40", value_parser = number_list)]
    pub instances: NumberList,

    /// Solver settings.
    #[command(flatten)]
    pub solver: BenchSolverArgs,
}

/// `cdnplan bench pmedcap`.
#[derive(Debug, Args)]
pub struct PmedcapArgs {
    /// Directory with pmedcap01.txt … pmedcap20.txt.
    #[arg(value_name = "DIR", default_value = "benches/orlib")]
    pub dir: PathBuf,

    /// Instance numbers: a list and ranges, e.g. 1-5,11.
    #[arg(long, value_name = "LIST", default_value = "1-20", value_parser = number_list)]
    pub instances: NumberList,

    /// Distances: truncated (the published optima's convention), euclidean or rounded.
    #[arg(long, value_name = "KIND", default_value = "truncated", value_parser = named::<PmedcapDistances>)]
    pub distances: PmedcapDistances,

    /// Solver settings.
    #[command(flatten)]
    pub solver: BenchSolverArgs,
}

/// `cdnplan bench synthetic`.
#[derive(Debug, Args)]
pub struct SyntheticArgs {
    /// Demand points.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub clients: usize,

    /// Candidate sites.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    pub sites: usize,

    /// Sites to open.
    #[arg(short, value_name = "P", default_value_t = 100)]
    pub p: usize,

    /// Seed of the generated world.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub world_seed: u64,

    /// Solver settings.
    #[command(flatten)]
    pub solver: BenchSolverArgs,
}
