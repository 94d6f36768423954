//! The capacitated relocation ([`RelocationOptions::capacity`](super::RelocationOptions)):
//! the same facilities, constraints, steps and curve as the plain one, solved by the
//! capacitated p-median
//! ([`solve_capacitated`](crate::solve::capacitated::solve_capacitated)).
//!
//! Clients are the demand cells with their peak egress ([`PeakModel::cell_gbps`]) as demand
//! and their usual weight; facilities (current positions, then allowed candidate sites) carry
//! the egress of [`CapacityModel`]. With a budget, every facility's monthly cost must be known
//! and only open sets within it are feasible. The objective is the mean RTT under the
//! capacitated assignment: [`Relocation::mean_rtt_after_ms`](super::Relocation::mean_rtt_after_ms) and the curve's best values are
//! that, while the steps' [`Move::mean_rtt_after_ms`](super::Move::mean_rtt_after_ms) still send every cell
//! to its nearest node (the order in which the moves help). A budget `k` of the curve whose
//! nodes cannot carry the demand has no point.
//!
//! [`PeakModel::cell_gbps`]: crate::capacity::PeakModel::cell_gbps

use super::model::Facility;
use crate::capacity::{CapacityModel, SiteLoad};
use crate::demand::Demand;
use crate::error::{Error, Result};
use crate::solve::capacitated::{CapacitatedSolution, Capacities};
use crate::solve::objective::Objective;

/// Capacities work with the mean RTT only.
pub(super) fn check(model: &CapacityModel, objective: &Objective) -> Result<()> {
    if *objective != Objective::MeanRtt {
        return Err(Error::Unsupported(format!(
            "capacities with the objective {}: the capacitated relocation minimises the mean \
             RTT only; drop the capacities or optimise the mean RTT",
            objective.describe()
        )));
    }
    model.validate()
}

/// The capacitated instance's demands, capacities and (with a budget) costs, when `model`
/// asks for capacities.
pub(super) fn capacities_for(
    model: Option<&CapacityModel>,
    demand: &Demand,
    facilities: &[Facility<'_>],
) -> Result<Option<Capacities>> {
    model
        .map(|model| capacities(model, demand, facilities))
        .transpose()
}

/// The capacitated instance's demands, capacities and (with a budget) costs.
fn capacities(
    model: &CapacityModel,
    demand: &Demand,
    facilities: &[Facility<'_>],
) -> Result<Capacities> {
    let gbps = model.peak.cell_gbps(demand)?;
    let capacity: Vec<f64> = facilities.iter().map(|f| egress(model, f)).collect();
    let caps = Capacities::new(gbps, capacity, model.assignment).unit("Gbit/s");
    let Some(budget) = model.budget_usd else {
        return Ok(caps);
    };
    let costs: Vec<Option<f64>> = facilities.iter().map(|f| monthly(model, f)).collect();
    let unknown: Vec<&str> = facilities
        .iter()
        .zip(&costs)
        .filter(|(_, c)| c.is_none())
        .map(|(f, _)| f.id)
        .collect();
    if !unknown.is_empty() {
        let more = unknown.len().saturating_sub(5);
        let shown = unknown[..unknown.len().min(5)].join(", ");
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        return Err(Error::Unsupported(format!(
            "a monthly budget of ${budget} needs the monthly cost of every place, and {} have \
             none ({shown}{more}): give them a cost or set a default monthly cost",
            unknown.len()
        )));
    }
    Ok(caps.monthly_cost(costs.into_iter().flatten().collect(), budget))
}

fn egress(model: &CapacityModel, f: &Facility<'_>) -> f64 {
    match (f.node, f.site) {
        (Some(n), _) => model.node_egress_gbps(n),
        (None, Some(s)) => model.site_egress_gbps(s),
        (None, None) => model.default_egress_gbps,
    }
}

fn monthly(model: &CapacityModel, f: &Facility<'_>) -> Option<f64> {
    match (f.node, f.site) {
        (Some(n), _) => model.node_monthly_usd(n),
        (None, Some(s)) => model.site_monthly_usd(s),
        (None, None) => model.default_monthly_usd,
    }
}

/// The loads of the solution whose open set is `open` (among those solved), sorted by place
/// id.
pub(super) fn loads_after(
    model: Option<&CapacityModel>,
    facilities: &[Facility<'_>],
    solved: &[CapacitatedSolution],
    open: &[usize],
) -> Vec<SiteLoad> {
    let (Some(model), Some(s)) = (model, solved.iter().find(|s| s.solution.open == open)) else {
        return Vec::new();
    };
    let mut loads: Vec<SiteLoad> = s
        .load
        .iter()
        .map(|&(j, load)| SiteLoad {
            site: facilities[j].id.to_string(),
            load_gbps: load,
            capacity_gbps: egress(model, &facilities[j]),
            monthly_usd: monthly(model, &facilities[j]),
        })
        .collect();
    loads.sort_by(|a, b| a.site.cmp(&b.site));
    loads
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::PeakModel;
    use crate::demand::{CellKind, DemandCell, Weighting};
    use crate::geo::{Continent, CountryCode, GeoPoint};
    use crate::latency::Latency;
    use crate::node::Node;
    use crate::progress::NoProgress;
    use crate::relocation::{
        Relocation, RelocationConstraints, RelocationOptions, RelocationProblem, node_curve,
        optimise,
    };
    use crate::site::Site;
    use crate::solve::SolveOptions;

    fn with_capacity(model: &CapacityModel) -> RelocationOptions {
        RelocationOptions::new(SolveOptions::new()).capacity(Some(model.clone()))
    }

    fn cell(id: &str, lon: f64, gb: u64) -> DemandCell {
        DemandCell {
            id: id.into(),
            location: GeoPoint { lat: 50.0, lon },
            country: None,
            continent: None,
            requests: 100,
            // `gb` GB over a window of 8 000 s at peak-to-mean 1: gb / 1000 Gbit/s.
            bytes: gb * 1_000_000_000,
            unique_clients: 1,
        }
    }

    fn node(id: &str, lon: f64) -> Node {
        Node {
            id: id.into(),
            operator: None,
            city: None,
            country: Some(CountryCode::new("DE").unwrap()),
            continent: Some(Continent::EU),
            location: GeoPoint { lat: 50.0, lon },
            capacity: None,
            active: true,
            buckets: vec![],
        }
    }

    fn site(id: &str, lon: f64, usd: Option<f64>) -> Site {
        Site {
            id: id.into(),
            provider: "p".into(),
            region_code: id.into(),
            city: "Somewhere".into(),
            country: CountryCode::new("DE").unwrap(),
            continent: Continent::EU,
            location: GeoPoint { lat: 50.0, lon },
            monthly_cost_usd: usd,
        }
    }

    struct World {
        demand: Demand,
        nodes: Vec<Node>,
        sites: Vec<Site>,
        latency: Latency,
        rc: RelocationConstraints,
    }

    /// Two heavy cells far east, one node in the west and one in the east; candidate sites
    /// near the eastern cells.
    fn world() -> World {
        World {
            demand: Demand::new(
                CellKind::Country,
                vec![
                    cell("W", 0.0, 500),
                    cell("E1", 20.0, 1500),
                    cell("E2", 21.0, 1500),
                ],
            )
            .unwrap(),
            nodes: vec![node("east", 20.5), node("west", 0.0)],
            sites: vec![
                site("cheap", 19.0, Some(50.0)),
                site("dear", 21.0, Some(216.0)),
            ],
            latency: Latency::default(),
            rc: RelocationConstraints {
                max_moves: 1,
                ..Default::default()
            },
        }
    }

    fn problem(w: &World) -> RelocationProblem<'_> {
        RelocationProblem {
            demand: &w.demand,
            nodes: &w.nodes,
            sites: &w.sites,
            latency: &w.latency,
            weighting: Weighting::Requests,
            constraints: &w.rc,
        }
    }

    fn run(w: &World, model: &CapacityModel) -> Result<Relocation> {
        optimise(&problem(w), &with_capacity(model), &NoProgress)
    }

    fn model() -> CapacityModel {
        // 8 000 s window, no peak factor: cells need 0.5, 1.5 and 1.5 Gbit/s.
        CapacityModel::new(PeakModel::new(8_000.0).peak_to_mean(1.0)).default_egress_gbps(2.0)
    }

    #[test]
    fn loads_after_stay_within_capacity_and_cover_the_demand() {
        let w = world();
        let r = run(&w, &model()).unwrap();
        let total: f64 = r.loads_after.iter().map(|l| l.load_gbps).sum();
        assert!((total - 3.5).abs() < 1e-9, "{:?}", r.loads_after);
        for l in &r.loads_after {
            assert!(l.load_gbps <= l.capacity_gbps + 1e-9, "{l:?}");
        }
        // The east is overloaded on its own (3 Gbit/s on 2): a second eastern place opens.
        assert_eq!(r.moves.len(), 1);
        assert_eq!(r.loads_after.len(), 2);
        // Uncapacitated, the same budget keeps both nodes (the west cell needs its node).
        let plain = optimise(&problem(&w), &RelocationOptions::default(), &NoProgress).unwrap();
        assert!(plain.loads_after.is_empty());
    }

    #[test]
    fn too_little_capacity_is_diagnosed() {
        let e = run(&world(), &model().default_egress_gbps(1.0)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "infeasible: peak demand 3.5 Gbit/s exceeds total capacity 2 Gbit/s of the 2 \
             largest sites that may open"
        );
    }

    #[test]
    fn a_budget_needs_every_cost_and_keeps_the_plan_within_it() {
        let w = world();
        let e = run(&w, &model().budget_usd(Some(300.0))).unwrap_err();
        assert!(
            e.to_string()
                .contains("needs the monthly cost of every place, and 2 have none (east, west)"),
            "{e}"
        );
        let priced = model()
            .monthly_usd("east", 98.0)
            .monthly_usd("west", 50.0)
            .budget_usd(Some(150.0));
        let r = run(&w, &priced).unwrap();
        let spend: f64 = r.loads_after.iter().filter_map(|l| l.monthly_usd).sum();
        assert!(spend <= 150.0, "{:?}", r.loads_after);
        let e = run(&w, &priced.budget_usd(Some(90.0))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "infeasible: the 2 cheapest sites that may open cost $100 per month, above the \
             budget of $90"
        );
    }

    #[test]
    fn other_objectives_with_capacities_are_unsupported() {
        let w = world();
        let problem = problem(&w);
        let options = with_capacity(&model()).objective(Objective::WorstCase);
        let e = optimise(&problem, &options, &NoProgress).unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)), "{e}");
        assert!(
            e.to_string().contains("capacities with the objective"),
            "{e}"
        );
    }

    #[test]
    fn the_capacitated_node_curve_starts_at_the_fewest_nodes_that_carry_the_peak() {
        let w = world();
        let problem = problem(&w);
        // 3.5 Gbit/s of peak demand on 2 Gbit/s places: one node cannot carry it.
        let free = node_curve(&problem, &RelocationOptions::default(), 3, &NoProgress).unwrap();
        let capped = node_curve(&problem, &with_capacity(&model()), 3, &NoProgress).unwrap();
        assert_eq!(
            capped.iter().map(|p| p.nodes).collect::<Vec<_>>(),
            vec![2, 3]
        );
        for p in &capped {
            let f = free.iter().find(|f| f.nodes == p.nodes).unwrap();
            assert!(p.best >= f.best - 1e-9, "{p:?} against {f:?}");
            assert_eq!(p.mean_rtt_ms, p.best);
        }
        // With 2 nodes the eastern cells (3 Gbit/s) cannot share one place, so capacity costs
        // RTT; the third node lifts the constraint.
        assert!(capped[0].best > free[1].best + 1e-6, "{capped:?} {free:?}");
        // Other objectives are refused as in the plan.
        let e = node_curve(
            &problem,
            &with_capacity(&model()).objective(Objective::WorstCase),
            3,
            &NoProgress,
        );
        assert!(matches!(e, Err(Error::Unsupported(_))));
    }
}
