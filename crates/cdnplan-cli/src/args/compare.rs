//! `cdnplan compare`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// `cdnplan compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files to compare (default: the shipped default scenario).
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,

    /// Variants of every scenario: a setting and its values, e.g. max_moves=1,3,5,
    /// objective.kind=mean_rtt,coverage or demand.growth={RU=0.5},{RU=2}. Bare names are
    /// looked up in the scenario's sections. Repeat for every combination.
    #[arg(long, value_name = "SETTING=V1,V2,…")]
    pub vary: Vec<String>,

    /// What stdout shows: text, markdown, csv or json (--json is the same as json).
    #[arg(long, value_enum, default_value = "text")]
    pub format: CompareFormat,

    /// Also write compare.md, compare.csv, compare.json and compare.html (the maps side by
    /// side) to this directory, as one set.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Time limit per variant in seconds (default: each scenario's [solver] time_limit_s).
    #[arg(long, value_name = "SECONDS")]
    pub time_limit: Option<f64>,

    /// Leave out the family ↔ bucket reassignment (and its call counts).
    #[arg(long)]
    pub no_reassign: bool,
}

/// The format of `compare` on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// Aligned columns.
    Text,
    /// A GitHub-flavoured Markdown table.
    Markdown,
    /// One row per variant.
    Csv,
    /// One JSON document.
    Json,
}
