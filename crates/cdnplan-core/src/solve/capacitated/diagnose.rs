//! Why capacities cannot hold the demand: the checks made before any search, and the
//! message when the search finds no point.

use super::{Assignment, Capacities, MonthlyCost, select};
use crate::error::{Error, Result};
use crate::solve::Problem;

/// Checks that the capacities can hold the demand under the constraints: total demand
/// against the largest total capacity of any allowed open set, and (single-source) each
/// client against the largest allowed site.
///
/// # Errors
/// [`Error::InvalidWeight`] / [`Error::Parse`] for bad demands or capacities,
/// [`Error::Infeasible`] naming the constraint that cannot hold, e.g.
/// `peak demand 3.1 Gbit/s exceeds total capacity 2 Gbit/s of the 2 largest sites that may
/// open`, or, with a monthly cost budget, `the 3 cheapest sites that may open cost $466 per
/// month, above the budget of $400`.
pub fn diagnose(problem: &Problem<'_>, capacities: &Capacities) -> Result<()> {
    let inst = problem.instance();
    if capacities.demand.len() != inst.n_clients || capacities.capacity.len() != inst.n_sites {
        return Err(Error::Parse {
            what: "capacities (demand must hold n_clients values, capacity n_sites)",
            value: format!(
                "{} demands for {} clients, {} capacities for {} sites",
                capacities.demand.len(),
                inst.n_clients,
                capacities.capacity.len(),
                inst.n_sites
            ),
        });
    }
    for (what, list, name) in [
        ("client demand", &capacities.demand, "client"),
        ("site capacity", &capacities.capacity, "site"),
    ] {
        if let Some((k, &v)) = list
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite() || **v < 0.0)
        {
            return Err(Error::InvalidWeight {
                what,
                id: format!("{name} {k}"),
                value: v,
            });
        }
    }
    let q = |x| capacities.quantity(x);
    let p = problem.p();
    if let Some(mc) = &capacities.monthly_cost {
        diagnose_budget(problem, mc)?;
    }
    let total: f64 = capacities.demand.iter().sum();
    let negated: Vec<f64> = capacities.capacity.iter().map(|c| -c).collect();
    let (best, _) = select(problem, &negated, None);
    let most = -best;
    if total > most * (1.0 + 1e-9) {
        // Which constraint binds: compare with the p largest sites of all.
        let mut all = capacities.capacity.clone();
        all.sort_by(|a, b| b.total_cmp(a));
        let free: f64 = all.iter().take(p).sum();
        let why = if free >= total * (1.0 - 1e-9) {
            format!(
                "; without the fixed-open, forbidden and relocation-budget constraints the \
                 {p} largest sites would hold {}",
                q(free)
            )
        } else {
            String::new()
        };
        return Err(Error::Infeasible(format!(
            "peak demand {} exceeds total capacity {} of the {p} largest sites that may \
             open{why}",
            q(total),
            q(most)
        )));
    }
    if capacities.assignment == Assignment::SingleSource {
        let largest = problem
            .allowed_sites()
            .into_iter()
            .map(|j| capacities.capacity[j])
            .fold(0.0, f64::max);
        if let Some((i, &d)) = capacities
            .demand
            .iter()
            .enumerate()
            .find(|(_, d)| **d > largest * (1.0 + 1e-9))
        {
            return Err(Error::Infeasible(format!(
                "client {i} needs {} but the largest site that may open holds {} \
                 (single-source assignment cannot split a client)",
                q(d),
                q(largest)
            )));
        }
    }
    Ok(())
}

/// Checks a monthly cost budget: its values, and that the cheapest open set allowed by the
/// constraints stays within it.
fn diagnose_budget(problem: &Problem<'_>, mc: &MonthlyCost) -> Result<()> {
    let m = problem.instance().n_sites;
    if mc.usd_per_site.len() != m {
        return Err(Error::Parse {
            what: "monthly costs (one per site)",
            value: format!("{} costs for {m} sites", mc.usd_per_site.len()),
        });
    }
    if let Some((j, &c)) = mc
        .usd_per_site
        .iter()
        .enumerate()
        .find(|(_, c)| !c.is_finite() || **c < 0.0)
    {
        return Err(Error::InvalidWeight {
            what: "monthly cost (USD)",
            id: format!("site {j}"),
            value: c,
        });
    }
    if !(mc.budget_usd.is_finite() && mc.budget_usd >= 0.0) {
        return Err(Error::InvalidWeight {
            what: "monthly budget (USD)",
            id: "budget".into(),
            value: mc.budget_usd,
        });
    }
    let (cheapest, set) = select(problem, &mc.usd_per_site, None);
    if !set.is_empty() && !mc.allows(&set) {
        return Err(Error::Infeasible(format!(
            "the {} cheapest sites that may open cost {} per month, above the budget of {}",
            set.len(),
            usd(cheapest),
            usd(mc.budget_usd)
        )));
    }
    Ok(())
}

/// `$466` (whole dollars) or `$55.5` (cents when they matter).
pub(super) fn usd(x: f64) -> String {
    if (x - x.round()).abs() < 0.005 {
        format!("${}", x.round())
    } else {
        format!("${x:.2}")
    }
}

/// Why the MIP found no point: the demand packs into no allowed open set (within the budget,
/// when there is one).
pub(super) fn no_fit(capacities: &Capacities, p: usize) -> String {
    let demand = capacities.quantity(capacities.demand.iter().sum());
    let how = match capacities.assignment {
        Assignment::SingleSource => "single-source assignment",
        Assignment::Split => "assignment",
    };
    match &capacities.monthly_cost {
        Some(mc) => format!(
            "no {how} fits the capacities within the monthly budget: the demand of {demand} \
             cannot be served by any {p} sites that may open and cost at most {} per month",
            usd(mc.budget_usd)
        ),
        None => format!(
            "no {how} fits the capacities: the demand of {demand} cannot be packed into any \
             {p} sites that may open"
        ),
    }
}
