//! `cdnplan bench`: the optimiser on OR-Library instances and on a synthetic world.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use cdnplan_core::LinearRtt;
use cdnplan_core::solve::synthetic::{World, WorldSpec};
use cdnplan_core::solve::{
    Constraints, Instance, Method, MipBackend, Problem, Solution, SolveOptions, Status, parse_pmed,
    parse_pmedopt, solve,
};
use cdnplan_io::data;
use serde_json::json;

use crate::args::{
    BenchArgs, BenchCommand, BenchSolverArgs, OrlibArgs, PmedcapArgs, SyntheticArgs, TsplibArgs,
};
use crate::inputs::Context;
use crate::messages::{info, print};
use crate::progress::Bars;
use cdnplan_core::plan::Table;

/// Runs the subcommand; exit code 1 when a benchmark answer is wrong.
pub fn run(ctx: &Context, a: BenchArgs, bars: &Bars) -> Result<ExitCode> {
    match a.which {
        BenchCommand::Orlib(o) => orlib(ctx, o, bars),
        BenchCommand::Synthetic(s) => synthetic(ctx, s, bars),
        BenchCommand::Pmedcap(c) => pmedcap(ctx, c, bars),
        BenchCommand::Tsplib(t) => tsplib(ctx, t, bars),
    }
}

fn options(a: &BenchSolverArgs) -> Result<SolveOptions> {
    let method: Method = serde_json::from_value(json!(a.method))
        .map_err(|_| anyhow::anyhow!("--method {}: expected auto, exact or heuristic", a.method))?;
    let backend: MipBackend = serde_json::from_value(json!(a.backend))
        .map_err(|_| anyhow::anyhow!("--backend {}: expected microlp or highs", a.backend))?;
    let time_limit = match cdnplan_core::solve::time_limit_from_secs(a.time_limit) {
        Ok(t) => t,
        Err(e) => bail!("--time-limit {e}"),
    };
    if !(0.0..1.0).contains(&a.gap) {
        bail!("--gap {}: expected a relative gap in [0, 1)", a.gap);
    }
    Ok(SolveOptions::new()
        .method(method)
        .backend(backend)
        .time_limit(time_limit)
        .gap_tolerance(a.gap)
        .seed(a.seed))
}

/// Parses `1-10,15,38-40`.
fn instance_list(spec: &str) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || anyhow::anyhow!("--instances {spec}: `{part}` is not a number or a range a-b");
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
        bail!("--instances {spec}: no instance named");
    }
    Ok(out)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The heuristic alone (multistart greedy + swap + VNS), as [`solve`] runs it first.
fn heuristic(
    instance: &Instance,
    constraints: &Constraints,
    o: &SolveOptions,
) -> Result<(f64, f64)> {
    let started = Instant::now();
    let problem = Problem::new(instance, constraints)?;
    let inc = o.multistart().run(
        &problem,
        started.checked_add(o.time_limit),
        &cdnplan_core::NoProgress,
    );
    Ok((inc.objective, started.elapsed().as_secs_f64()))
}

/// Prints a benchmark's table and summary (or, with `--json`, `doc`); exit code 1 when any
/// answer was wrong.
fn finish(
    ctx: &Context,
    doc: &serde_json::Value,
    table: &Table,
    summary: &str,
    wrong: usize,
) -> Result<ExitCode> {
    if ctx.json {
        print(&format!("{}\n", serde_json::to_string_pretty(doc)?))?;
    } else {
        print(&format!("{}\n{summary}\n", table.render()))?;
    }
    Ok(if wrong > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Optimal => "optimal",
        Status::GapLimit => "gap-limit",
        Status::TimeLimit => "time-limit",
        Status::Heuristic => "heuristic",
    }
}

fn orlib(ctx: &Context, a: OrlibArgs, bars: &Bars) -> Result<ExitCode> {
    let o = options(&a.solver)?;
    let opt_path = a.dir.join("pmedopt.txt");
    let optima =
        parse_pmedopt(&read(&opt_path)?).with_context(|| format!("in {}", opt_path.display()))?;
    let mut table = Table::new(&[
        "instance",
        " n",
        " p",
        " optimum",
        " heuristic",
        " h time s",
        " ours",
        " bound",
        " gap %",
        "status",
        " time s",
        "check",
    ]);
    let mut rows = Vec::new();
    let (mut wrong, mut proven, mut heuristic_hits) = (0, 0, 0);
    let (mut total, mut heuristic_total) = (0.0, 0.0);
    let list = instance_list(&a.instances)?;
    for k in &list {
        let name = format!("pmed{k}");
        let path = a.dir.join(format!("{name}.txt"));
        let pmed = parse_pmed(&read(&path)?).with_context(|| format!("in {}", path.display()))?;
        let optimum = *optima
            .get(&name)
            .with_context(|| format!("{} has no optimum for {name}", opt_path.display()))?;
        let c = pmed.constraints();
        let (h_value, h_time) = heuristic(&pmed.instance, &c, &o)?;
        let started = Instant::now();
        let s: Solution = solve(&pmed.instance, &c, &o, bars)?;
        let time = started.elapsed().as_secs_f64();
        // A wrong "optimal", a bound above the optimum, or a value below it (impossible for a
        // true objective) are all errors of the optimiser.
        let check = if s.status == Status::Optimal && s.objective != optimum {
            "WRONG OPTIMAL"
        } else if s.lower_bound > optimum + 1e-9 * optimum {
            "BOUND ABOVE OPTIMUM"
        } else if s.objective < optimum - 1e-9 * optimum {
            "BELOW OPTIMUM"
        } else if s.objective == optimum && s.status == Status::Optimal {
            "ok"
        } else {
            "not proven"
        };
        if check != "ok" && check != "not proven" {
            wrong += 1;
        }
        proven += usize::from(check == "ok");
        heuristic_hits += usize::from(h_value == optimum);
        total += time;
        heuristic_total += h_time;
        table.row(vec![
            name.clone(),
            pmed.instance.n_clients.to_string(),
            pmed.p.to_string(),
            format!("{optimum}"),
            format!("{h_value}"),
            format!("{h_time:.2}"),
            format!("{}", s.objective),
            format!("{}", s.lower_bound),
            format!("{:.3}", 100.0 * s.gap()),
            status_name(s.status).to_string(),
            format!("{time:.2}"),
            check.to_string(),
        ]);
        rows.push(json!({
            "instance": name, "n": pmed.instance.n_clients, "p": pmed.p, "optimum": optimum,
            "heuristic": h_value, "heuristic_seconds": h_time, "objective": s.objective,
            "lower_bound": s.lower_bound, "gap": s.gap(), "status": s.status, "method": s.method,
            "seconds": time, "check": check,
        }));
        info!(
            "{name}: {} ({}), {time:.2} s",
            s.objective,
            status_name(s.status)
        );
    }
    let n = list.len();
    let summary = format!(
        "{proven}/{n} proven optimal at the published optimum, total {total:.1} s \
         (slowest {:.2} s); heuristic alone at the optimum on {heuristic_hits}/{n}, total \
         {heuristic_total:.1} s; {wrong} wrong",
        rows.iter()
            .filter_map(|r| r["seconds"].as_f64())
            .fold(0.0, f64::max)
    );
    let doc = json!({
        "method": a.solver.method, "backend": a.solver.backend, "rows": rows,
        "proven": proven, "heuristic_at_optimum": heuristic_hits, "wrong": wrong,
        "total_seconds": total, "heuristic_total_seconds": heuristic_total,
    });
    finish(ctx, &doc, &table, &summary, wrong)
}

/// `bench pmedcap`: the capacitated single-source set against its published optima (which
/// hold for truncated distances; under the other conventions the published value is shown
/// for reference and not checked).
fn pmedcap(ctx: &Context, a: PmedcapArgs, bars: &Bars) -> Result<ExitCode> {
    use cdnplan_core::solve::capacity::{PmedcapDistances, solve_capacitated};
    use cdnplan_core::solve::parse_pmedcap;
    let o = options(&a.solver)?;
    let distances: PmedcapDistances = serde_json::from_value(json!(a.distances)).map_err(|_| {
        anyhow::anyhow!(
            "--distances {}: expected truncated, euclidean or rounded",
            a.distances
        )
    })?;
    let checked = distances == PmedcapDistances::Truncated;
    let mut table = Table::new(&[
        "instance",
        " n",
        " p",
        " published",
        " ours",
        " bound",
        " gap %",
        "status",
        "method",
        " time s",
        "check",
    ]);
    let mut rows = Vec::new();
    let (mut wrong, mut proven, mut total, mut slowest) = (0, 0, 0.0, 0.0_f64);
    let list = instance_list(&a.instances)?;
    for k in &list {
        let name = format!("pmedcap{k:02}");
        let path = a.dir.join(format!("{name}.txt"));
        let file =
            parse_pmedcap(&read(&path)?).with_context(|| format!("in {}", path.display()))?;
        let (inst, c, caps) = file.capacitated(distances);
        let started = Instant::now();
        let s = solve_capacitated(&inst, &c, &caps, &o, bars)?.solution;
        let time = started.elapsed().as_secs_f64();
        let published = file.optimum;
        let tol = 1e-6 * published.abs().max(1.0);
        let check = if !checked {
            if s.status == Status::Optimal {
                "proven"
            } else {
                "not proven"
            }
        } else if s.status == Status::Optimal && (s.objective - published).abs() > tol {
            "WRONG OPTIMAL"
        } else if s.lower_bound > published + tol {
            "BOUND ABOVE OPTIMUM"
        } else if s.objective < published - tol {
            "BELOW OPTIMUM"
        } else if s.status == Status::Optimal {
            "ok"
        } else {
            "not proven"
        };
        if check.chars().all(|ch| !ch.is_lowercase()) {
            wrong += 1;
        }
        proven += usize::from(s.status == Status::Optimal);
        total += time;
        slowest = slowest.max(time);
        table.row(vec![
            name.clone(),
            inst.n_clients.to_string(),
            c.p.to_string(),
            format!("{published}"),
            format!("{:.2}", s.objective),
            format!("{:.2}", s.lower_bound),
            format!("{:.3}", 100.0 * s.gap()),
            status_name(s.status).to_string(),
            s.method.clone(),
            format!("{time:.2}"),
            check.to_string(),
        ]);
        rows.push(json!({
            "instance": name, "n": inst.n_clients, "p": c.p, "published": published,
            "objective": s.objective, "lower_bound": s.lower_bound, "gap": s.gap(),
            "status": s.status, "method": s.method, "seconds": time, "check": check,
        }));
        info!(
            "{name}: {} ({}), {time:.2} s",
            s.objective,
            status_name(s.status)
        );
    }
    let n = list.len();
    let summary = format!(
        "{proven}/{n} proven optimal ({:?} distances), total {total:.1} s (slowest \
         {slowest:.2} s); {wrong} wrong",
        distances
    );
    let doc = json!({
        "method": a.solver.method, "backend": a.solver.backend, "distances": distances,
        "rows": rows, "proven": proven, "wrong": wrong, "total_seconds": total,
    });
    finish(ctx, &doc, &table, &summary, wrong)
}

fn synthetic(ctx: &Context, a: SyntheticArgs, bars: &Bars) -> Result<ExitCode> {
    let o = options(&a.solver)?;
    let countries = data::load_countries(&ctx.data_file(data::bundled::COUNTRIES))?;
    let sites = data::load_sites(&ctx.data_file(data::bundled::SITES))?;
    let centres: Vec<_> = countries
        .iter()
        .map(|c| (c.location, c.internet_users as f64))
        .collect();
    let hubs: Vec<_> = sites.iter().map(|s| s.location).collect();
    let spec = WorldSpec {
        clients: a.clients,
        sites: a.sites,
        seed: a.world_seed,
    };
    let started = Instant::now();
    let world = World::generate(&spec, &centres, &hubs, &LinearRtt::DEFAULT)?;
    let generated = started.elapsed().as_secs_f64();
    let c = Constraints {
        p: a.p,
        ..Default::default()
    };
    let started = Instant::now();
    let s = solve(&world.instance, &c, &o, bars)?;
    let time = started.elapsed().as_secs_f64();
    let total = world.instance.total_weight();
    if ctx.json {
        let doc = json!({
            "clients": a.clients, "sites": a.sites, "p": a.p, "world_seed": a.world_seed,
            "generate_seconds": generated, "solve_seconds": time, "objective": s.objective,
            "lower_bound": s.lower_bound, "gap": s.gap(), "status": s.status, "method": s.method,
            "mean_rtt_ms": s.objective / total,
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else {
        print(&format!(
            "synthetic world: {} clients × {} sites, p = {} (world seed {})\n\
             generated in {generated:.2} s; solved in {time:.2} s by {}\n\
             objective {:.1} (mean RTT {:.3} ms), lower bound {:.1}, gap {:.3} %, {}\n",
            a.clients,
            a.sites,
            a.p,
            a.world_seed,
            s.method,
            s.objective,
            s.objective / total,
            s.lower_bound,
            100.0 * s.gap(),
            status_name(s.status),
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `bench tsplib`: the literature's large p-median sets against the published values.
fn tsplib(ctx: &Context, a: TsplibArgs, bars: &Bars) -> Result<ExitCode> {
    use cdnplan_core::solve::{parse_published_values, parse_tsplib, tsplib_instance};
    let o = options(&a.solver)?;
    let table_path = a.dir.join("optima.tsv");
    let mut published = parse_published_values(&read(&table_path)?)
        .with_context(|| format!("in {}", table_path.display()))?;
    if let Some(names) = &a.instances {
        let wanted: Vec<&str> = names.split(',').map(str::trim).collect();
        if let Some(unknown) = wanted
            .iter()
            .find(|w| !published.iter().any(|r| r.instance == **w))
        {
            bail!(
                "--instances {names}: {unknown} is not in {}",
                table_path.display()
            );
        }
        published.retain(|r| wanted.contains(&r.instance.as_str()));
    }
    if let Some(spec) = &a.p {
        let ps = instance_list(spec).map_err(|e| anyhow::anyhow!("--p: {e}"))?;
        published.retain(|r| ps.contains(&(r.p as u32)));
    }
    if published.is_empty() {
        bail!("no (instance, p) row left to run");
    }
    let mut table = Table::new(&[
        "instance",
        " n",
        " p",
        " published",
        "proven",
        " ours",
        " bound",
        " gap %",
        "status",
        " time s",
        " paper s",
        "check",
    ]);
    let mut rows = Vec::new();
    let (mut wrong, mut proven, mut within_paper, mut paper_proven) = (0, 0, 0, 0);
    let mut loaded: Option<(String, cdnplan_core::solve::Instance)> = None;
    for r in &published {
        if loaded.as_ref().is_none_or(|(name, _)| name != &r.instance) {
            let path = a.dir.join(format!("{}.tsp", r.instance));
            let points =
                parse_tsplib(&read(&path)?).with_context(|| format!("in {}", path.display()))?;
            if points.len() != r.n {
                bail!(
                    "{}: {} points, but {} says n = {}",
                    path.display(),
                    points.len(),
                    table_path.display(),
                    r.n
                );
            }
            loaded = Some((r.instance.clone(), tsplib_instance(&points)?));
        }
        let inst = &loaded.as_ref().expect("loaded above").1;
        let c = Constraints {
            p: r.p,
            ..Default::default()
        };
        let started = Instant::now();
        let s: Solution = solve(inst, &c, &o, bars)?;
        let time = started.elapsed().as_secs_f64();
        let v = r.value;
        let check = if r.proven && s.status == Status::Optimal && s.objective != v {
            "WRONG OPTIMAL"
        } else if r.proven && s.lower_bound > v + 1e-9 * v {
            "BOUND ABOVE OPTIMUM"
        } else if r.proven && s.objective < v - 1e-9 * v {
            "BELOW OPTIMUM"
        } else if s.status == Status::Optimal {
            "ok"
        } else {
            "not proven"
        };
        if check != "ok" && check != "not proven" {
            wrong += 1;
        }
        let ok = check == "ok";
        proven += usize::from(ok);
        paper_proven += usize::from(r.proven && r.seconds.is_some());
        within_paper += usize::from(ok && r.seconds.is_some_and(|p| time <= p));
        table.row(vec![
            r.instance.clone(),
            r.n.to_string(),
            r.p.to_string(),
            format!("{v}"),
            if r.proven { "yes" } else { "no" }.to_string(),
            format!("{}", s.objective),
            format!("{}", s.lower_bound),
            format!("{:.3}", 100.0 * s.gap()),
            status_name(s.status).to_string(),
            format!("{time:.2}"),
            r.seconds.map_or("-".into(), |p| format!("{p}")),
            check.to_string(),
        ]);
        rows.push(json!({
            "instance": r.instance, "n": r.n, "p": r.p, "published": v,
            "published_proven": r.proven, "paper_seconds": r.seconds, "objective": s.objective,
            "lower_bound": s.lower_bound, "gap": s.gap(), "status": s.status,
            "method": s.method, "seconds": time, "check": check,
        }));
        info!(
            "{} p = {}: {} ({}), {time:.2} s",
            r.instance,
            r.p,
            s.objective,
            status_name(s.status)
        );
    }
    let n = published.len();
    let summary = format!(
        "{proven}/{n} proven optimal ({within_paper} within the paper's time; the paper \
         proves {paper_proven} of these rows); {wrong} wrong"
    );
    let doc = json!({
        "method": a.solver.method, "time_limit_s": a.solver.time_limit, "rows": rows,
        "proven": proven, "proven_within_paper_time": within_paper,
        "paper_proven": paper_proven, "wrong": wrong,
    });
    finish(ctx, &doc, &table, &summary, wrong)
}
