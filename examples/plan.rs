//! Embedding cdnplan: plan a scenario exactly as `cdnplan plan` does, through the library.
//!
//! ```sh
//! cargo run --release --example plan            # writes out/example
//! cargo run --release --example plan -- DIR     # writes DIR
//! ```
//!
//! The shipped default scenario (the January 2023 nodes against June 2023 traffic, three moves)
//! is loaded, its inputs read, the plan solved with the scenario's objective and solver, the
//! family ↔ bucket reassignment added, and the whole output set written in one transaction:
//! the same files, byte for byte, as `cdnplan plan --out DIR`.

use std::error::Error;
use std::path::{Path, PathBuf};

use cdnplan::NoProgress;
use cdnplan::io::data;
use cdnplan::io::scenario::{self, Inputs, PlanOptions, Planned, Scenario};

fn main() -> Result<(), Box<dyn Error>> {
    let out: PathBuf = std::env::args_os()
        .nth(1)
        .map_or_else(|| "out/example".into(), PathBuf::from);
    let planned = plan_default(&out)?;
    println!("{}", cdnplan::plan::summary(&planned.plan));
    for m in &planned.plan.moves {
        println!("  {}. {}", m.step, m.reason);
    }
    println!("wrote {}", out.display());
    Ok(())
}

/// Plans the shipped default scenario and writes its outputs to `out`.
pub fn plan_default(out: &Path) -> Result<Planned, Box<dyn Error>> {
    let path = data::bundled_data_dir().join("scenarios/default.toml");
    let scenario = Scenario::load(&path)?;
    let inputs = Inputs::load(&scenario, &NoProgress)?;
    let planned = scenario::plan(&scenario, &inputs, &PlanOptions::default(), &NoProgress)?;
    planned.write(out)?;
    Ok(planned)
}
