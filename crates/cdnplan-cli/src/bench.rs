//! `cdnplan bench`: the optimiser on benchmarks with known answers ([`cdnplan_io::bench`]).

use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use cdnplan_core::solve::SolveOptions;
use cdnplan_io::bench::{self, BenchReport, SyntheticSpec};
use cdnplan_io::data;

use crate::args::{BenchArgs, BenchCommand, BenchSolverArgs};
use crate::inputs::Context;
use crate::messages::{info, print};
use crate::progress::Bars;

/// Runs the subcommand; exit code 1 when a benchmark answer is wrong.
pub fn run(ctx: &Context, a: BenchArgs, bars: &Bars) -> Result<ExitCode> {
    let log = |line: &str| info!("{line}");
    let report = match a.which {
        BenchCommand::Orlib(o) => {
            bench::orlib(&o.dir, &o.instances.0, &options(&o.solver)?, bars, &log)?
        }
        BenchCommand::Pmedcap(c) => bench::pmedcap(
            &c.dir,
            &c.instances.0,
            c.distances,
            &options(&c.solver)?,
            bars,
            &log,
        )?,
        BenchCommand::Tsplib(t) => bench::tsplib(
            &t.dir,
            t.instances.as_deref(),
            t.p.as_ref().map(|l| l.0.as_slice()),
            &options(&t.solver)?,
            bars,
            &log,
        )
        .context("bench tsplib (--instances, --p)")?,
        BenchCommand::Synthetic(s) => {
            let countries = data::load_countries(&ctx.data_file(data::bundled::COUNTRIES))?;
            let sites = data::load_sites(&ctx.data_file(data::bundled::SITES))?;
            let spec = SyntheticSpec {
                clients: s.clients,
                sites: s.sites,
                p: s.p,
                world_seed: s.world_seed,
            };
            let (doc, text) =
                bench::synthetic(&spec, &countries, &sites, &options(&s.solver)?, bars)?;
            if ctx.json {
                print(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
            } else {
                print(&text)?;
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    finish(ctx, &report)
}

fn options(a: &BenchSolverArgs) -> Result<SolveOptions> {
    let time_limit = match cdnplan_core::solve::time_limit_from_secs(a.time_limit) {
        Ok(t) => t,
        Err(e) => bail!("--time-limit {e}"),
    };
    if !(0.0..1.0).contains(&a.gap) {
        bail!("--gap {}: expected a relative gap in [0, 1)", a.gap);
    }
    Ok(SolveOptions::new()
        .method(a.method)
        .backend(a.backend)
        .time_limit(time_limit)
        .gap_tolerance(a.gap)
        .seed(a.seed))
}

/// Prints a benchmark's table and summary (or, with `--json`, its document); exit code 1
/// when any answer was wrong.
fn finish(ctx: &Context, r: &BenchReport) -> Result<ExitCode> {
    if ctx.json {
        print(&format!("{}\n", serde_json::to_string_pretty(&r.doc)?))?;
    } else {
        print(&format!("{}\n{}\n", r.table.render(), r.summary))?;
    }
    Ok(if r.wrong > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
