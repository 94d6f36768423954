//! The Markdown report: what a distribution lead reads before acting on a plan.
//!
//! GitHub-flavoured Markdown: a summary sentence, the before/after metrics, what the solver
//! proved (stated as proven, time-limited or heuristic, never better than it is), the moves as a
//! numbered checklist, then tables per continent, per number of moves, per node and for the
//! heaviest demand cells. Deterministic: the same plan and demand give the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::text::{self, by_cell, cell, count, ms, opt_ms, pct, serde_name, signed};
use super::{MeanRttRole, MoveKind, Plan};
use crate::demand::{Demand, DemandCell};
use crate::geo::Continent;
use crate::node::Node;
use crate::relocation::RelocationConstraints;
use crate::serving::ContinentRow;
use crate::solve::Status;

/// How many demand cells the "top demand cells" table lists.
const TOP_CELLS: usize = 15;

/// Below this gain per extra move (ms), the report calls further moves not worth it.
const WORTHWHILE_GAIN_MS: f64 = 1.0;

/// The `report.md` of `plan` computed on `demand` (the same demand the plan was evaluated on;
/// it supplies the cells' countries and counts).
pub fn report_markdown(plan: &Plan, demand: &Demand) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, plan, demand);
    out
}

fn write_report(out: &mut String, plan: &Plan, demand: &Demand) -> std::fmt::Result {
    let s = &plan.scenario;
    writeln!(out, "# Relocation plan: {}\n", s.name.trim())?;
    if !s.description.trim().is_empty() {
        writeln!(out, "{}\n", s.description.trim())?;
    }
    writeln!(out, "**{}**{}\n", summary(plan), curve_sentence(plan))?;
    write_inputs(out, plan)?;
    write_metrics(out, plan)?;
    write_solver(out, plan)?;
    super::extras::write_extras(out, plan)?;
    write_moves(out, plan)?;
    if let Some(r) = &plan.reassignment {
        super::families::write_families(out, r)?;
    }
    write_continents(out, plan)?;
    write_curve(out, plan)?;
    write_nodes(out, plan)?;
    write_top_cells(out, plan, demand)?;
    if !plan.ignored_inactive.is_empty() {
        writeln!(out, "## Left out\n")?;
        writeln!(
            out,
            "Inactive nodes, not moved and serving nothing: {}.\n",
            code_list(&plan.ignored_inactive)
        )?;
    }
    writeln!(
        out,
        "---\n\n*Plan document `{}` version {}. RTTs are demand-weighted by {}; each cell is \
         served by its nearest active node, as Orion orders nodes.*",
        plan.schema,
        plan.version,
        serde_name(&s.weighting)
    )
}

/// The plan in one sentence, e.g. "Moving 3 of 8 active nodes cuts the demand-weighted mean
/// RTT from 84.2 ms to 51.0 ms (−39.4 %)." Inactive nodes take no part in the plan and are
/// not counted.
pub fn summary(plan: &Plan) -> String {
    let (b, a) = (plan.before.mean_rtt_ms, plan.after.mean_rtt_ms);
    let n = plan.nodes_before.iter().filter(|n| n.active).count();
    let kinds = |k: MoveKind| plan.moves.iter().filter(|m| m.kind == k).count();
    let (relocate, add, remove) = (
        kinds(MoveKind::Relocate),
        kinds(MoveKind::Add),
        kinds(MoveKind::Remove),
    );
    if plan.moves.is_empty() {
        return format!(
            "The plan keeps all {n} active {} where they stand: the demand-weighted mean RTT stays at {}.",
            plural(n, "node", "nodes"),
            ms(b)
        );
    }
    let mut parts = Vec::new();
    if relocate > 0 {
        parts.push(format!(
            "moving {relocate} of {n} active {}",
            plural(n, "node", "nodes")
        ));
    }
    if add > 0 {
        parts.push(format!("adding {add} {}", plural(add, "node", "nodes")));
    }
    if remove > 0 {
        parts.push(format!(
            "removing {remove} {}",
            plural(remove, "node", "nodes")
        ));
    }
    let subject = capitalise(&join_and(&parts));
    let verb = if a < b - 0.05 {
        "cuts"
    } else if a > b + 0.05 {
        "raises"
    } else {
        "keeps"
    };
    let change = if b > 0.0 {
        format!(" ({})", signed((a - b) / b * 100.0, 1, " %"))
    } else {
        String::new()
    };
    format!(
        "{subject} {verb} the demand-weighted mean RTT from {} to {}{change}.",
        ms(b),
        ms(a)
    )
}

/// " 4 moves or more buy < 1 ms each." from the curve of best mean RTT against moves.
fn curve_sentence(plan: &Plan) -> String {
    let m = plan.moves.len();
    let later: Vec<_> = plan.curve.iter().filter(|p| p.moves >= m).collect();
    if later.len() < 2 || later[0].moves != m {
        return String::new();
    }
    let per_move: Vec<f64> = later
        .windows(2)
        .map(|w| {
            let k = (w[1].moves - w[0].moves).max(1) as f64;
            (w[0].best_mean_rtt_ms - w[1].best_mean_rtt_ms) / k
        })
        .collect();
    let next = later[1];
    if per_move.iter().all(|&g| g < WORTHWHILE_GAIN_MS) {
        format!(
            " {} {} or more buy < {WORTHWHILE_GAIN_MS:.0} ms each.",
            m + 1,
            plural(m + 1, "move", "moves")
        )
    } else {
        format!(
            " More moves still pay: the best layout with {} {} reaches {}.",
            next.moves,
            plural(next.moves, "move", "moves"),
            ms(next.best_mean_rtt_ms)
        )
    }
}

fn write_inputs(out: &mut String, plan: &Plan) -> std::fmt::Result {
    let (s, d) = (&plan.scenario, &plan.demand);
    let sources = if d.sources.is_empty() {
        String::new()
    } else {
        format!(" from {}", code_list(&d.sources))
    };
    writeln!(
        out,
        "Demand: {} {} cells, {} requests, {}, {} clients (summed over cells){sources}. \
         Weighted by {}. Latency: RTT = max({} + {} · km, 0.01 · km) ms{}.\n",
        count(d.cells as u64),
        s.cells,
        count(d.requests),
        text::bytes(d.bytes),
        count(d.unique_clients),
        serde_name(&s.weighting),
        s.latency.a_ms,
        s.latency.b_ms_per_km,
        match s.measured_overrides {
            0 => String::new(),
            1 => ", 1 measured RTT overrides it".to_string(),
            k => format!(", {} measured RTTs override it", count(k as u64)),
        },
    )
}

fn write_metrics(out: &mut String, plan: &Plan) -> std::fmt::Result {
    let (b, a) = (&plan.before, &plan.after);
    writeln!(out, "## Before and after\n")?;
    writeln!(
        out,
        "| Metric | Before | After | Change |\n|---|---:|---:|---:|"
    )?;
    for (name, x, y) in [
        ("Mean RTT", b.mean_rtt_ms, a.mean_rtt_ms),
        ("p50 RTT", b.p50_rtt_ms, a.p50_rtt_ms),
        ("p90 RTT", b.p90_rtt_ms, a.p90_rtt_ms),
        ("p95 RTT", b.p95_rtt_ms, a.p95_rtt_ms),
    ] {
        writeln!(
            out,
            "| {name} | {} | {} | {} |",
            ms(x),
            ms(y),
            signed(y - x, 1, " ms")
        )?;
    }
    for c in &b.coverage {
        let after = a
            .coverage
            .iter()
            .find(|x| x.threshold_ms == c.threshold_ms)
            .map_or_else(|| a.coverage(c.threshold_ms), |x| x.share);
        writeln!(
            out,
            "| Within {} ms | {} | {} | {} |",
            c.threshold_ms,
            pct(c.share),
            pct(after),
            signed((after - c.share) * 100.0, 1, " pts")
        )?;
    }
    let active = |nodes: &[Node]| nodes.iter().filter(|n| n.active).count();
    let (na, nb) = (active(&plan.nodes_after), active(&plan.nodes_before));
    writeln!(
        out,
        "| Active nodes | {nb} | {na} | {} |\n",
        signed(na as f64 - nb as f64, 0, "")
    )
}

/// What the solver proved about the objective the plan was optimised for, stated honestly:
/// "optimal (proven)", "time limit reached: gap 2.3 %", "heuristic: no proof, gap ≤ 7.0 %".
/// For another objective than the mean RTT this is the objective's status (the mean RTT is
/// then a tie-break, see [`MeanRttRole`]).
pub fn solver_status(plan: &Plan) -> String {
    if let (MeanRttRole::TieBreak, Some(o)) = (plan.solver.mean_rtt_role, &plan.objective) {
        let bound = format!(
            "best possible {} {}",
            if o.maximise { "at most" } else { "at least" },
            o.format(o.bound)
        );
        return match o.status {
            Status::Optimal => "optimal (proven)".to_string(),
            Status::GapLimit => format!("within the gap tolerance (proven): {bound}"),
            Status::TimeLimit => format!("time limit reached: {bound}"),
            Status::Heuristic => format!("heuristic: no proof, {bound}"),
        };
    }
    let gap = gap(plan.solver.gap);
    match plan.solver.status {
        Status::Optimal => "optimal (proven)".to_string(),
        Status::GapLimit => format!("within the gap tolerance (proven): gap {gap}"),
        Status::TimeLimit => format!("time limit reached: gap {gap}"),
        Status::Heuristic => format!("heuristic: no proof, gap ≤ {gap}"),
    }
}

/// Whether the solver's proof covers the serving rule, when measured RTTs could make it not
/// (`None` without measured RTTs: the model's RTT never falls with distance).
pub fn serving_rule_text(plan: &Plan) -> Option<String> {
    let cover = plan.solver.serving_rule;
    (plan.scenario.measured_overrides > 0 || !cover.is_covered()).then(|| cover.sentence())
}

/// The sentence on the mean RTT of a plan optimised for another objective: a tie-break, not
/// optimised, with the bound that holds for any plan.
pub(crate) fn tie_break_sentence(plan: &Plan) -> String {
    let v = &plan.solver;
    format!(
        "mean RTT {} breaks ties among plans equal on the objective and is not optimised \
         (no plan under these constraints is below {})",
        ms(v.objective_mean_rtt_ms),
        ms(v.lower_bound_mean_rtt_ms)
    )
}

fn write_solver(out: &mut String, plan: &Plan) -> std::fmt::Result {
    let (v, s) = (&plan.solver, &plan.scenario);
    writeln!(out, "## Solver\n")?;
    if v.mean_rtt_role == MeanRttRole::TieBreak {
        writeln!(
            out,
            "`{}` solved for the objective (its status is under Objective); the {}.\n",
            v.method,
            tie_break_sentence(plan)
        )?;
    } else {
        writeln!(
            out,
            "`{}`: **{}**. Objective {}, lower bound {}.\n",
            v.method,
            solver_status(plan),
            ms(v.objective_mean_rtt_ms),
            ms(v.lower_bound_mean_rtt_ms)
        )?;
    }
    if let Some(t) = serving_rule_text(plan) {
        writeln!(out, "{t}\n")?;
    }
    writeln!(
        out,
        "Asked for: method {}, MIP backend {}, time limit {} s, seed {}. {}\n",
        serde_name(&s.method),
        serde_name(&s.backend),
        s.time_limit_s,
        s.seed,
        constraints(&s.constraints)
    )
}

fn gap(g: f64) -> String {
    if g > 0.0 && g < 0.0005 {
        "< 0.1 %".to_string()
    } else {
        pct(g)
    }
}

fn constraints(c: &RelocationConstraints) -> String {
    let mut s = format!(
        "Constraints: at most {} {}, {} added, {} removed",
        c.max_moves,
        plural(c.max_moves, "move", "moves"),
        c.add,
        c.remove
    );
    let lists: [(&str, Vec<String>); 6] = [
        ("required sites", c.required_sites.clone()),
        ("moved", c.moved.clone()),
        ("pinned", c.pinned.clone()),
        ("forbidden sites", c.forbidden_sites.clone()),
        (
            "forbidden countries",
            c.forbidden_countries
                .iter()
                .map(|x| x.to_string())
                .collect(),
        ),
        ("forbidden providers", c.forbidden_providers.clone()),
    ];
    for (name, ids) in lists {
        if !ids.is_empty() {
            let _ = write!(s, "; {name}: {}", code_list(&ids));
        }
    }
    s.push('.');
    s
}

fn write_moves(out: &mut String, plan: &Plan) -> std::fmt::Result {
    writeln!(out, "## Moves\n")?;
    if plan.moves.is_empty() {
        return writeln!(out, "None: every node stays where it stands.\n");
    }
    writeln!(
        out,
        "In this order; each step's RTT assumes the steps before it are done.\n"
    )?;
    for m in &plan.moves {
        let node = m
            .node
            .as_deref()
            .map(|n| format!(" `{n}`"))
            .unwrap_or_default();
        let from = m.from.as_ref().map(|p| p.label.as_str()).unwrap_or("?");
        let to = m.to.as_ref().map(|p| p.label.as_str()).unwrap_or("?");
        let what = match m.kind {
            MoveKind::Relocate => format!("**Relocate**{node} from {from} to {to}"),
            MoveKind::Add => format!("**Add** a node at {to}"),
            MoveKind::Remove => format!("**Remove**{node} at {from}"),
        };
        write!(
            out,
            "{}. [ ] {what}. Mean RTT after this step: {} ({}).",
            m.step,
            ms(m.mean_rtt_after_ms),
            signed(-m.gain_ms, 1, " ms")
        )?;
        let reason = m.reason.trim();
        if !reason.is_empty() {
            write!(out, " Why: {}", reason.replace(['\n', '\r'], " "))?;
            if !reason.ends_with('.') {
                out.push('.');
            }
        }
        out.push('\n');
    }
    out.push('\n');
    Ok(())
}

fn write_continents(out: &mut String, plan: &Plan) -> std::fmt::Result {
    writeln!(out, "## By continent\n")?;
    writeln!(
        out,
        "| Continent | Share | Requests | Mean RTT before | Mean RTT after | p90 before | \
         p90 after | Main node before | Main node after |\n\
         |---|---:|---:|---:|---:|---:|---:|---|---|"
    )?;
    let after: BTreeMap<Option<Continent>, &ContinentRow> = plan
        .after
        .continents
        .iter()
        .map(|r| (r.continent, r))
        .collect();
    for b in &plan.before.continents {
        let a = after.get(&b.continent);
        let main = |r: Option<&ContinentRow>| {
            r.and_then(|r| r.main_node.as_deref())
                .map_or_else(|| "–".to_string(), |n| format!("`{n}`"))
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            b.continent.map_or("Unknown", Continent::name),
            pct(b.weight_share),
            count(b.requests),
            opt_ms(b.mean_rtt_ms),
            opt_ms(a.and_then(|r| r.mean_rtt_ms)),
            opt_ms(b.p90_rtt_ms),
            opt_ms(a.and_then(|r| r.p90_rtt_ms)),
            main(Some(b)),
            main(a.copied()),
        )?;
    }
    out.push('\n');
    Ok(())
}

fn write_curve(out: &mut String, plan: &Plan) -> std::fmt::Result {
    if plan.curve.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Gain against number of moves\n")?;
    writeln!(
        out,
        "*This plan* applies the first k steps above; *best* re-solves with a budget of k \
         moves; no layout with k moves beats the *lower bound*.\n"
    )?;
    writeln!(
        out,
        "| Moves | This plan | Best with k moves | Lower bound |\n|---:|---:|---:|---:|"
    )?;
    for p in &plan.curve {
        let prefix = if p.moves <= plan.moves.len() {
            ms(p.plan_prefix_mean_rtt_ms)
        } else {
            "–".to_string()
        };
        writeln!(
            out,
            "| {} | {prefix} | {} | {} |",
            p.moves,
            ms(p.best_mean_rtt_ms),
            ms(p.lower_bound_mean_rtt_ms)
        )?;
    }
    out.push('\n');
    Ok(())
}

fn write_nodes(out: &mut String, plan: &Plan) -> std::fmt::Result {
    writeln!(out, "## Node load\n")?;
    writeln!(
        out,
        "| Node | Before | Share | Mean RTT | After | Share | Mean RTT |\n\
         |---|---|---:|---:|---|---:|---:|"
    )?;
    let before: BTreeMap<&str, &Node> = plan
        .nodes_before
        .iter()
        .map(|n| (n.id.as_str(), n))
        .collect();
    let after: BTreeMap<&str, &Node> = plan
        .nodes_after
        .iter()
        .map(|n| (n.id.as_str(), n))
        .collect();
    let mut ids: Vec<&str> = plan.nodes_before.iter().map(|n| n.id.as_str()).collect();
    ids.extend(
        plan.nodes_after
            .iter()
            .map(|n| n.id.as_str())
            .filter(|id| !before.contains_key(id)),
    );
    for id in ids {
        let side =
            |nodes: &BTreeMap<&str, &Node>, e: &crate::serving::Evaluation| match nodes.get(id) {
                None => ["–".to_string(), "–".to_string(), "–".to_string()],
                Some(n) => {
                    let load = e.node(id);
                    let mut place = cell(&place(n));
                    if !n.active {
                        place.push_str(" (inactive)");
                    }
                    [
                        place,
                        load.map_or_else(|| "–".to_string(), |l| pct(l.weight_share)),
                        opt_ms(load.and_then(|l| l.mean_rtt_ms)),
                    ]
                }
            };
        let [pb, sb, mb] = side(&before, &plan.before);
        let [pa, sa, ma] = side(&after, &plan.after);
        writeln!(
            out,
            "| `{}` | {pb} | {sb} | {mb} | {pa} | {sa} | {ma} |",
            cell(id)
        )?;
    }
    out.push('\n');
    Ok(())
}

fn write_top_cells(out: &mut String, plan: &Plan, demand: &Demand) -> std::fmt::Result {
    let (before, after) = (by_cell(&plan.before), by_cell(&plan.after));
    let total = plan.before.total_weight;
    let mut cells: Vec<(&DemandCell, f64)> = demand
        .cells
        .iter()
        .map(|c| (c, before.get(c.id.as_str()).map_or(0.0, |s| s.weight)))
        .collect();
    cells.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.id.cmp(&y.0.id)));
    cells.truncate(TOP_CELLS);
    writeln!(out, "## Top demand cells\n")?;
    writeln!(
        out,
        "| # | Cell | Country | Requests | Share | Served before | Served after |\n\
         |---:|---|---|---:|---:|---|---|"
    )?;
    for (i, (c, w)) in cells.iter().enumerate() {
        let served = |m: &BTreeMap<&str, &crate::serving::CellService>| {
            m.get(c.id.as_str()).map_or_else(
                || "–".to_string(),
                |s| format!("`{}` {}", cell(&s.node), ms(s.rtt_ms)),
            )
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            cell(&c.id),
            c.country
                .map(|x| x.to_string())
                .unwrap_or_else(|| "–".into()),
            count(c.requests),
            if total > 0.0 {
                pct(w / total)
            } else {
                "–".into()
            },
            served(&before),
            served(&after),
        )?;
    }
    if demand.cells.len() > TOP_CELLS {
        writeln!(
            out,
            "\n{} more cells in `demand.csv`.",
            count((demand.cells.len() - TOP_CELLS) as u64)
        )?;
    }
    out.push('\n');
    Ok(())
}

/// "Paris, FR", falling back to coordinates.
pub(crate) fn place(n: &Node) -> String {
    match (&n.city, &n.country) {
        (Some(c), Some(cc)) => format!("{c}, {cc}"),
        (Some(c), None) => c.clone(),
        (None, Some(cc)) => format!("{cc} ({})", n.location),
        (None, None) => n.location.to_string(),
    }
}

fn code_list(ids: &[String]) -> String {
    ids.iter()
        .map(|s| format!("`{}`", s.replace('`', "'")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::super::{Move, Place};
    use super::*;
    use crate::geo::GeoPoint;

    fn report() -> (String, Plan) {
        let (plan, demand) = fixture::plan();
        (report_markdown(&plan, &demand), plan)
    }

    #[test]
    fn opens_with_the_summary_and_the_key_numbers() {
        let (md, plan) = report();
        let (b, a) = (plan.before.mean_rtt_ms, plan.after.mean_rtt_ms);
        assert!(md.starts_with("# Relocation plan: fixture\n\nEurope and Indonesia\n\n"));
        let want = format!(
            "**Moving 1 of 2 active nodes cuts the demand-weighted mean RTT from {:.1} ms to {:.1} ms \
             ({}).** 2 moves or more buy < 1 ms each.",
            b,
            a,
            signed((a - b) / b * 100.0, 1, " %")
        );
        assert!(md.contains(&want), "{md}");
        assert!(md.contains(&format!("| Mean RTT | {b:.1} ms | {a:.1} ms | −")));
        assert!(md.contains("| Within 250 ms |"));
        assert!(md.contains("| Active nodes | 2 | 2 | ±0 |"));
    }

    #[test]
    fn moves_are_a_numbered_checklist_with_reasons() {
        let (md, _) = report();
        assert!(md.contains(
            "1. [ ] **Relocate** `kyiv` from Kyiv (kyiv) to Singapore, SG (ovh-sgp). \
             Mean RTT after this step: "
        ));
        assert!(md.contains("Why: serves ID: 37 % of requests, \"far\" from Europe, 1,2."));
    }

    #[test]
    fn has_every_table() {
        let (md, _) = report();
        for heading in [
            "## Before and after",
            "## Solver",
            "## Moves",
            "## By continent",
            "## Gain against number of moves",
            "## Node load",
            "## Top demand cells",
            "## Left out",
        ] {
            assert!(md.contains(heading), "{heading}");
        }
        assert!(md.contains("| Asia | 37.0 % | 300 |"));
        assert!(md.contains("| Unknown | 1.2 % | 10 |"));
        assert!(md.contains("| `tokyo` | 35.6800, 139.6900 (inactive) | 0.0 % | – |"));
        assert!(md.contains("| 1 | DE | – | 400 | 49.4 % | `nbg` "));
        assert!(md.contains("Inactive nodes, not moved and serving nothing: `tokyo`."));
    }

    #[test]
    fn solver_status_is_stated_honestly() {
        let (mut plan, demand) = fixture::plan();
        let cases = [
            (Status::Optimal, 0.0, "**optimal (proven)**"),
            (
                Status::TimeLimit,
                0.023,
                "**time limit reached: gap 2.3 %**",
            ),
            (
                Status::Heuristic,
                0.07,
                "**heuristic: no proof, gap ≤ 7.0 %**",
            ),
            (
                Status::GapLimit,
                0.0001,
                "**within the gap tolerance (proven): gap < 0.1 %**",
            ),
        ];
        for (status, gap, want) in cases {
            plan.solver.status = status;
            plan.solver.gap = gap;
            let md = report_markdown(&plan, &demand);
            assert!(md.contains(want), "{status:?}: {md}");
        }
    }

    #[test]
    fn summary_names_additions_and_removals() {
        let (mut plan, _) = fixture::plan();
        let at = Place {
            id: "s".into(),
            label: "S".into(),
            location: GeoPoint { lat: 0.0, lon: 0.0 },
            country: None,
        };
        let step = |step, kind, from: Option<Place>, to: Option<Place>| Move {
            step,
            kind,
            node: None,
            from,
            to,
            mean_rtt_after_ms: 0.0,
            gain_ms: 0.0,
            reason: String::new(),
        };
        plan.moves
            .push(step(2, MoveKind::Add, None, Some(at.clone())));
        plan.moves.push(step(3, MoveKind::Remove, Some(at), None));
        let s = summary(&plan);
        assert!(
            s.starts_with("Moving 1 of 2 active nodes, adding 1 node and removing 1 node cuts"),
            "{s}"
        );
        plan.moves.clear();
        plan.after = plan.before.clone();
        assert!(summary(&plan).starts_with("The plan keeps all 2 active nodes where they stand"));
    }

    #[test]
    fn curve_sentence_says_when_more_moves_still_pay() {
        let (mut plan, _) = fixture::plan();
        plan.curve[2].best_mean_rtt_ms = plan.curve[1].best_mean_rtt_ms - 5.0;
        let s = curve_sentence(&plan);
        assert!(s.starts_with(" More moves still pay: the best layout with 2 moves reaches"));
        plan.curve.truncate(2);
        assert_eq!(curve_sentence(&plan), "");
    }

    #[test]
    fn pipes_in_labels_do_not_break_tables() {
        let (mut plan, demand) = fixture::plan();
        plan.nodes_before[0].city = Some("A|B".into());
        let md = report_markdown(&plan, &demand);
        assert!(md.contains("A\\|B, DE"));
    }

    #[test]
    fn same_plan_same_bytes() {
        assert_eq!(report().0, report().0);
    }
}
