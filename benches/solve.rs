//! p-median engine and relocation benchmarks, on OR-Library instances and seeded
//! geography-like instances. Names say what is timed.

use std::hint::black_box;
use std::time::Duration;

use cdnplan::demand::{CellKind, Demand, DemandCell, Weighting};
use cdnplan::relocation::{RelocationConstraints, RelocationOptions, RelocationProblem, optimise};
use cdnplan::solve::{
    Constraints, FastSwap, Instance, Method, MipBackend, Multistart, Problem, SolveOptions, Vns,
    parse_pmed, solve,
};
use cdnplan::{GeoPoint, Latency, LinearRtt, NoProgress, Node, Site};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

fn pmed(name: &str) -> (Instance, Constraints) {
    let path = format!("{}/benches/orlib/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("OR-Library file");
    let p = parse_pmed(&text).expect("valid OR-Library file");
    let c = p.constraints();
    (p.instance, c)
}

/// A point near one of a few population centres (the shape of real demand).
fn geo_point(rng: &mut Pcg64) -> GeoPoint {
    const CENTRES: [(f64, f64); 8] = [
        (50.0, 10.0),
        (40.0, -95.0),
        (-15.0, -50.0),
        (22.0, 78.0),
        (35.0, 135.0),
        (0.0, 20.0),
        (-25.0, 135.0),
        (40.0, 30.0),
    ];
    let (lat, lon) = CENTRES[rng.random_range(0..CENTRES.len())];
    GeoPoint {
        lat: (lat + rng.random_range(-12.0..12.0)).clamp(-89.0, 89.0),
        lon: (lon + rng.random_range(-20.0..20.0) + 540.0) % 360.0 - 180.0,
    }
}

/// `n_clients × n_sites` RTT costs between clustered points, request-like weights.
fn geo_instance(n_clients: usize, n_sites: usize, seed: u64) -> Instance {
    let mut rng = Pcg64::seed_from_u64(seed);
    let clients: Vec<GeoPoint> = (0..n_clients).map(|_| geo_point(&mut rng)).collect();
    let sites: Vec<GeoPoint> = (0..n_sites).map(|_| geo_point(&mut rng)).collect();
    let cost = clients
        .iter()
        .flat_map(|c| {
            sites
                .iter()
                .map(|s| LinearRtt::DEFAULT.rtt_between_ms(c, s))
        })
        .collect();
    let weight = (0..n_clients)
        .map(|_| f64::from(rng.random_range(1u32..10_000)))
        .collect();
    Instance::new(n_clients, n_sites, cost, weight).expect("valid instance")
}

/// The seeded geography-like case every group runs: 300 clients, 150 sites, p = 15.
fn geo_case() -> (Instance, Constraints) {
    let constraints = Constraints {
        p: 15,
        ..Default::default()
    };
    (geo_instance(300, 150, 1), constraints)
}

fn heuristic(c: &mut Criterion) {
    let options = SolveOptions::new().method(Method::Heuristic);
    let mut cases = vec![("pmed1", pmed("pmed1")), ("pmed5", pmed("pmed5"))];
    cases.push(("geo 300x150 p=15", geo_case()));
    let multistart = Multistart {
        starts: 8,
        seed: 0,
        swap: FastSwap { max_swaps: 10_000 },
        vns: Vns::default(),
    };
    for (name, (inst, cons)) in &cases {
        let problem = Problem::new(inst, cons).expect("feasible");
        c.bench_function(&format!("{name} greedy+swap+vns (8 starts)"), |b| {
            b.iter(|| multistart.run(black_box(&problem), None, &NoProgress))
        });
        c.bench_function(
            &format!("{name} solve heuristic (multistart + Lagrangian bound)"),
            |b| b.iter(|| solve(black_box(inst), cons, &options, &NoProgress).expect("solves")),
        );
    }
}

/// The default path: multistart greedy + swap, then Lagrangian branch-and-bound (with VNS and
/// the reduced MIP where they pay), to a proven optimum.
fn engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    let options = SolveOptions::new().time_limit(Duration::from_secs(120));
    let cases = vec![
        ("pmed1", pmed("pmed1")),
        ("pmed5", pmed("pmed5")),
        ("pmed16", pmed("pmed16")),
        ("pmed40", pmed("pmed40")),
        ("geo 300x150 p=15", geo_case()),
    ];
    for (name, (inst, cons)) in &cases {
        group.bench_function(format!("{name} engine"), |b| {
            b.iter(|| solve(black_box(inst), cons, &options, &NoProgress).expect("solves"))
        });
    }
    group.finish();
}

/// The strong formulation through good_lp, side by side with the engine on the same
/// instances: microlp always, HiGHS with the `highs` feature.
fn exact(c: &mut Criterion) {
    let mut group = c.benchmark_group("exact");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    let cases = vec![
        ("pmed1", pmed("pmed1")),
        ("pmed5", pmed("pmed5")),
        ("geo 300x150 p=15", geo_case()),
    ];
    let mut backends = vec![("microlp", MipBackend::Microlp)];
    if cfg!(feature = "highs") {
        backends.push(("highs", MipBackend::Highs));
    }
    for (label, backend) in backends {
        let options = SolveOptions::new()
            .method(Method::Exact)
            .backend(backend)
            .time_limit(Duration::from_secs(120));
        for (name, (inst, cons)) in &cases {
            group.bench_function(format!("{name} heuristic+lp+mip ({label})"), |b| {
                b.iter(|| solve(black_box(inst), cons, &options, &NoProgress).expect("solves"))
            });
        }
    }
    group.finish();
}

fn relocation(c: &mut Criterion) {
    let mut rng = Pcg64::seed_from_u64(7);
    let cells: Vec<DemandCell> = (0..250)
        .map(|k| DemandCell {
            id: format!("cell{k:03}"),
            location: geo_point(&mut rng),
            country: None,
            continent: None,
            requests: rng.random_range(1..100_000),
            bytes: 0,
            unique_clients: 0,
        })
        .collect();
    let demand = Demand::new(CellKind::City, cells).expect("unique cells");
    // Nodes bunched in Europe, as in a young volunteer network.
    let nodes: Vec<Node> = (0..30)
        .map(|k| Node {
            id: format!("node{k:02}"),
            operator: None,
            city: None,
            country: None,
            continent: None,
            location: GeoPoint {
                lat: 45.0 + rng.random_range(-8.0..8.0),
                lon: 10.0 + rng.random_range(-12.0..12.0),
            },
            capacity: None,
            active: true,
            buckets: Vec::new(),
        })
        .collect();
    let sites: Vec<Site> = (0..120)
        .map(|k| Site {
            id: format!("site{k:03}"),
            provider: ["aws", "hetzner", "ovh"][k % 3].into(),
            region_code: format!("r{k}"),
            city: format!("City {k}"),
            country: "US".parse().expect("country code"),
            continent: cdnplan::Continent::NA,
            location: geo_point(&mut rng),
            monthly_cost_usd: None,
        })
        .collect();
    let latency = Latency::default();
    let constraints = RelocationConstraints {
        max_moves: 5,
        ..Default::default()
    };
    let problem = RelocationProblem {
        demand: &demand,
        nodes: &nodes,
        sites: &sites,
        latency: &latency,
        weighting: Weighting::Requests,
        constraints: &constraints,
    };
    let options = RelocationOptions::new(SolveOptions::new().method(Method::Heuristic));
    let mut group = c.benchmark_group("relocation");
    group.sample_size(10);
    group.bench_function(
        "world-like 250 cells, 30 nodes, 120 sites, K=5 (heuristic, curve of 6 solves)",
        |b| b.iter(|| optimise(black_box(&problem), &options, &NoProgress).expect("optimises")),
    );
    group.finish();
}

criterion_group!(benches, heuristic, engine, exact, relocation);
criterion_main!(benches);
