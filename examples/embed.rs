//! Embedding cdnplan piece by piece: load demand from request logs, evaluate today's nodes,
//! plan moves with a budget and a pinned node. (`examples/plan.rs` plans a whole scenario in
//! one call.)
//!
//! ```sh
//! cargo run --release --example embed
//! ```
//!
//! Uses the bundled data: the synthesised June 2023 snapshot, the Joystream mainnet topology
//! of January 2023, the candidate sites and the country table.

use std::error::Error;
use std::time::Duration;

use cdnplan::io::data::{self, bundled};
use cdnplan::io::geoip::GeoIp;
use cdnplan::io::logs::{IngestOptions, Preset, ingest};
use cdnplan::plan::{self, PlanRequest};
use cdnplan::relocation::{RelocationConstraints, RelocationOptions, RelocationProblem};
use cdnplan::serving;
use cdnplan::solve::{Method, SolveOptions};
use cdnplan::{CellKind, Latency, LinearRtt, NoProgress, Weighting};

fn main() -> Result<(), Box<dyn Error>> {
    // 1. Demand: stream the request log, locate clients, aggregate by country.
    let countries = bundled::countries()?;
    let geoip = GeoIp::open(bundled::geoip_country_db())?;
    let logs = vec![bundled::path("snapshots/argus-2023-06.ndjson.gz")];
    let options = IngestOptions::new(Preset::Argus).cells(CellKind::Country);
    let ingested = ingest(&logs, &geoip, &countries, &options, &NoProgress)?;
    let demand = ingested.demand;
    println!(
        "{} requests in {} countries ({} unlocated)",
        demand.total_requests(),
        demand.cells.len(),
        ingested.report.unlocated_requests
    );

    // 2. Today's service: each country served by its nearest active node.
    let nodes = data::bundled::topology_2023_01()?.nodes();
    let latency = Latency::new(LinearRtt::DEFAULT);
    let today = serving::evaluate(&demand, &nodes, &latency, Weighting::Requests)?;
    println!(
        "today: mean RTT {:.1} ms, p90 {:.1} ms, {:.0} % within 100 ms",
        today.mean_rtt_ms,
        today.p90_rtt_ms,
        today.coverage(100.0) * 100.0
    );

    // 3. Plan: at most two moves, keep the Nuremberg node where it is.
    let sites = bundled::sites()?;
    let constraints = RelocationConstraints {
        max_moves: 2,
        pinned: vec!["joystream.koalva.io".into()],
        ..RelocationConstraints::default()
    };
    let solve = SolveOptions::new()
        .method(Method::Auto)
        .time_limit(Duration::from_secs(30))
        .seed(7);
    let problem = RelocationProblem {
        demand: &demand,
        nodes: &nodes,
        sites: &sites,
        latency: &latency,
        weighting: Weighting::Requests,
        constraints: &constraints,
    };
    let request = PlanRequest::new(problem, RelocationOptions::new(solve))
        .name("example")
        .description("two moves, Nuremberg pinned")
        .sources(vec!["argus-2023-06.ndjson.gz".into()]);
    let plan = plan::build(&request, &NoProgress)?;
    println!("{}", plan::summary(&plan));
    for m in &plan.moves {
        println!(
            "  {}. {} → {}: {:.1} ms after this step",
            m.step,
            m.from.as_ref().map_or("(new)", |p| p.label.as_str()),
            m.to.as_ref().map_or("(removed)", |p| p.label.as_str()),
            m.mean_rtt_after_ms
        );
    }
    println!(
        "solver: {} — {}",
        plan.solver.method,
        plan::solver_status(&plan)
    );
    Ok(())
}
