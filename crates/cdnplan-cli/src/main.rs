//! `cdnplan`: plan where CDN nodes should stand.
//!
//! A thin layer over the `cdnplan-core` and `cdnplan-io` libraries: parse arguments, call the
//! library, print or write. Results go to stdout, progress and warnings to stderr. Exit codes:
//! 0 success, 2 error (the whole cause chain is printed), 130/143 interrupted by SIGINT/SIGTERM
//! (outputs left as they were before the run; see [`signals`]).

mod args;
mod bench;
mod compare;
mod demand;
mod describe;
mod es;
mod evaluate;
mod hooks;
mod inputs;
mod messages;
mod plan;
mod probe;
mod progress;
mod reassign;
mod signals;
mod synth;
mod text;

use std::process::ExitCode;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = args::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        // A write refused because a signal abandoned the outputs: the signal handler is
        // exiting with the signal's status (130 or 143); let it, rather than race it with 2.
        Err(_) if cdnplan_io::output::abandoned() => {
            std::thread::sleep(std::time::Duration::from_secs(5));
            ExitCode::from(130)
        }
        Err(e) => {
            messages::stderr(&format!("cdnplan: error: {e:#}\n"));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    messages::set_level(cli.quiet, cli.verbose);
    signals::install();
    let bars = progress::Bars::new(cli.quiet || cli.json);
    let ctx = inputs::Context::new(cli.data_dir.clone(), cli.json);
    match cli.command {
        Command::Demand(a) => demand::run(&ctx, a, &bars),
        Command::Snapshot(a) => es::snapshot(&ctx, a, &bars),
        Command::Evaluate(a) => evaluate::run(&ctx, a, &bars),
        Command::Plan(a) => plan::run(&ctx, *a, &bars),
        Command::Compare(a) => compare::run(&ctx, a, &bars),
        Command::Topology(a) => reassign::run_topology(&ctx, a),
        Command::Reassign(a) => reassign::run(&ctx, a, &bars),
        Command::Probe(a) => probe::run(&ctx, a),
        Command::Synth(a) => synth::run(&ctx, a, &bars),
        Command::Bench(a) => return bench::run(&ctx, a, &bars),
        Command::Completions(a) => describe::completions(&a),
        Command::Man(a) => describe::man(&a),
    }?;
    Ok(ExitCode::SUCCESS)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
