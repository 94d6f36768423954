//! Placement objectives: what "best" means for an open set.
//!
//! The engine of [`solve`](crate::solve::solve()) minimises the demand-weighted cost (p-median). A
//! CDN lead asks other questions too; each [`Objective`] answers one of them under the same
//! [`Constraints`] (number of open sites, fixed-open, forbidden, relocation budget), so every
//! objective honours pins, exclusions, additions, removals and the move budget alike.
//!
//! Every objective is stated as a value to **minimise** (see [`Objective::value`]); `d_i(S)`
//! is client `i`'s cost (RTT) to its nearest open site and `d_i^k(S)` to its `k`-th nearest:
//!
//! | Objective | Value minimised | How it is solved |
//! |---|---|---|
//! | [`MeanRtt`](Objective::MeanRtt) | `Σ_i w_i · d_i` | the engine as is |
//! | [`Coverage`](Objective::Coverage) (MCLP) | uncovered demand `Σ_i w_i · [d_i > T]` | the engine on 0/1 costs |
//! | [`WorstCase`](Objective::WorstCase) (p-center) | `max_{i : w_i > 0} d_i` | bisection over the costs, each step a proven coverage question |
//! | [`Redundancy`](Objective::Redundancy) | demand whose `k`-th nearest is beyond `T`: `Σ_i w_i · [d_i^k > T]` | swap local search, then an exact search on a reduced multi-cover model |
//! | [`Blended`](Objective::Blended) | `Σ_i w_i · (d_i + P · [d_i > T])` | the engine on penalised costs |
//!
//! **Coverage** is the maximal covering location problem (Church & ReVelle 1974): maximising
//! covered demand is minimising uncovered demand, which is the p-median on the costs
//! `c'_ij = [c_ij > T]` (weights unchanged), so the engine's bound proves it. **Blended** is the
//! p-median on `c_ij + P · [c_ij > T]`. Both transforms are non-decreasing in `c_ij`, so a
//! client's cheapest open site under the transformed cost is also its nearest one.
//!
//! **Worst case** (the vertex p-center, Hakimi 1965) is the smallest radius `r` among the
//! distinct costs at which every client with positive weight can be covered. Bisection over
//! the sorted costs asks at each radius whether the coverage optimum with unit weights is 0:
//! a witness proves "yes", a positive lower bound proves "no" (Minieka 1970, Daskin 2000).
//! A step the time limit cuts short proves nothing, and the bound stays at the largest radius
//! proven too small.
//!
//! **Redundancy** asks that each cell keep a `k`-th nearest node (a backup for `k = 2`) within
//! `T`. It is not a p-median; a lexicographic swap search (uncovered demand first, then the
//! demand-weighted RTT to the `k`-th nearest node) from several starts finds the plans. The
//! proof works on the model reduced to what decides it — only "within `T`" matters, so
//! clients with the same sites in reach merge into weighted rows and sites covering the same
//! rows into counted groups (twins stay two servers) — and searches it exactly, depth first,
//! pruned by a linear-relaxation bound and by dominance between groups. A search cut short
//! by the time limit leaves its root bound; on instances of at most
//! [`REDUNDANCY_MIP_MAX_CELLS`](crate::solve::objective::REDUNDANCY_MIP_MAX_CELLS) client × site
//! pairs whose search ran out of branches, the MIP
//! `min Σ w_i u_i  s.t.  Σ_{j : c_ij ≤ T} y_j + k·u_i ≥ k` (plus the engine's constraints on
//! `y`) is tried for the proof.
//!
//! Coverage, worst case and redundancy have many optimal sets; each answer is then polished by
//! swaps that never worsen the objective and lower the demand-weighted RTT (to the nearest
//! node, or for redundancy to the `k`-th nearest), so the plan a lead sees is also a good one
//! on average. Coverage and the worst case first try the engine's heuristic on the mean RTT
//! with a prohibitive penalty `M` on every cost beyond the threshold (or the optimal radius),
//! and keep its plan only when it is no worse on the objective itself.
//!
//! ```
//! use cdnplan_core::solve::objective::Objective;
//! use cdnplan_core::solve::{Constraints, Instance, SolveOptions, Status};
//! use cdnplan_core::NoProgress;
//!
//! // Clients and sites at 0, 1, 2, 10, 11 on a line.
//! let xs = [0.0, 1.0, 2.0, 10.0, 11.0_f64];
//! let cost = xs.iter().flat_map(|a| xs.iter().map(move |b| (a - b).abs())).collect();
//! let instance = Instance::new(5, 5, cost, vec![1.0; 5])?;
//! let one = Constraints { p: 1, ..Default::default() };
//! let covered = Objective::Coverage { threshold_ms: 1.0 }
//!     .solve(&instance, &one, &SolveOptions::new(), &NoProgress)?;
//! assert_eq!((covered.open, covered.objective, covered.status), (vec![1], 2.0, Status::Optimal));
//! let center = Objective::WorstCase.solve(&instance, &one, &SolveOptions::new(), &NoProgress)?;
//! assert_eq!((center.objective, center.status), (9.0, Status::Optimal));
//! # Ok::<(), cdnplan_core::Error>(())
//! ```

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Constraints, Instance, Problem, Solution, SolveOptions, Status};
use crate::error::{Error, Result};
use crate::progress::Progress;

mod center;
mod polish;
mod redundancy;

pub use redundancy::REDUNDANCY_MIP_MAX_CELLS;

/// What makes an open set good (see the [module docs](self)); every variant is minimised
/// through [`Objective::value`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Objective {
    /// Minimise the demand-weighted mean RTT (p-median).
    #[default]
    MeanRtt,
    /// Maximise the demand within `threshold_ms` of its nearest node (MCLP).
    Coverage {
        /// The RTT threshold T, in ms.
        threshold_ms: f64,
    },
    /// Minimise the RTT of the worst-served cell of positive weight (p-center).
    WorstCase,
    /// Maximise the demand whose `k`-th nearest node is within `threshold_ms`.
    Redundancy {
        /// The RTT threshold T, in ms.
        threshold_ms: f64,
        /// Which nearest node must be within T (2 = a backup node).
        k: usize,
    },
    /// Minimise the demand-weighted RTT plus `penalty_ms` per unit of demand beyond
    /// `threshold_ms`.
    Blended {
        /// The RTT threshold T, in ms.
        threshold_ms: f64,
        /// The penalty per unit of demand served beyond T, in ms.
        penalty_ms: f64,
    },
}

impl Objective {
    /// The snake-case name used in scenarios and on the command line (`"coverage"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Objective::MeanRtt => "mean_rtt",
            Objective::Coverage { .. } => "coverage",
            Objective::WorstCase => "worst_case",
            Objective::Redundancy { .. } => "redundancy",
            Objective::Blended { .. } => "blended",
        }
    }

    /// The RTT threshold, for the objectives that have one.
    pub fn threshold_ms(&self) -> Option<f64> {
        match *self {
            Objective::Coverage { threshold_ms }
            | Objective::Redundancy { threshold_ms, .. }
            | Objective::Blended { threshold_ms, .. } => Some(threshold_ms),
            Objective::MeanRtt | Objective::WorstCase => None,
        }
    }

    /// A one-line description, e.g. `"coverage within 100 ms"`.
    pub fn describe(&self) -> String {
        match *self {
            Objective::MeanRtt => "demand-weighted mean RTT".into(),
            Objective::Coverage { threshold_ms } => format!("coverage within {threshold_ms} ms"),
            Objective::WorstCase => "worst-served cell's RTT".into(),
            Objective::Redundancy { threshold_ms, k } => {
                format!(
                    "demand with its {} nearest node within {threshold_ms} ms",
                    ordinal(k)
                )
            }
            Objective::Blended {
                threshold_ms,
                penalty_ms,
            } => format!("mean RTT + {penalty_ms} ms per unit of demand beyond {threshold_ms} ms"),
        }
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidWeight`] for a negative or non-finite threshold or penalty,
    /// [`Error::Contradiction`] for `k = 0`.
    pub fn validate(&self) -> Result<()> {
        let check = |what: &'static str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(Error::InvalidWeight {
                    what,
                    id: format!("objective {}", self.name()),
                    value: v,
                })
            }
        };
        if let Some(t) = self.threshold_ms() {
            check("threshold (ms)", t)?;
        }
        match *self {
            Objective::Blended { penalty_ms, .. } => check("penalty (ms)", penalty_ms),
            Objective::Redundancy { k: 0, .. } => Err(Error::Contradiction(
                "redundancy needs k ≥ 1 (k = 2 asks for a backup node)".into(),
            )),
            _ => Ok(()),
        }
    }

    /// The value of `open` (to minimise; see the table in the [module docs](self)); `+∞`
    /// for an empty set when some client has positive weight.
    pub fn value(&self, instance: &Instance, open: &[usize]) -> f64 {
        let per_client = |f: &dyn Fn(usize) -> f64| -> f64 { (0..instance.n_clients).map(f).sum() };
        match *self {
            Objective::MeanRtt => instance.objective(open),
            Objective::Coverage { threshold_ms } => per_client(&|i| {
                let w = instance.weight[i];
                if nearest(instance, i, open) > threshold_ms {
                    w
                } else {
                    0.0
                }
            }),
            Objective::WorstCase => (0..instance.n_clients)
                .filter(|&i| instance.weight[i] > 0.0)
                .map(|i| nearest(instance, i, open))
                .fold(0.0, f64::max),
            Objective::Redundancy { threshold_ms, k } => per_client(&|i| {
                let w = instance.weight[i];
                if kth_nearest(instance, i, open, k) > threshold_ms {
                    w
                } else {
                    0.0
                }
            }),
            Objective::Blended {
                threshold_ms,
                penalty_ms,
            } => per_client(&|i| {
                let d = nearest(instance, i, open);
                let pen = if d > threshold_ms { penalty_ms } else { 0.0 };
                instance.weight[i] * (d + pen)
            }),
        }
    }

    /// The tie-breaking value the polish lowers without worsening [`Objective::value`]: the
    /// demand-weighted RTT to the nearest open site, or to the `k`-th nearest for
    /// [`Objective::Redundancy`].
    pub fn secondary(&self, instance: &Instance, open: &[usize]) -> f64 {
        match *self {
            Objective::Redundancy { k, .. } => (0..instance.n_clients)
                .map(|i| {
                    let d = kth_nearest(instance, i, open, k);
                    let w = instance.weight[i];
                    // A missing k-th node counts as the largest cost of the row.
                    if d.is_finite() {
                        w * d
                    } else {
                        w * row_max(instance, i) * 2.0
                    }
                })
                .sum(),
            _ => instance.objective(open),
        }
    }

    /// The p-median instance whose objective equals this one, for the objectives that
    /// reduce to it (mean RTT, coverage, blended).
    pub fn as_pmedian(&self, instance: &Instance) -> Option<Instance> {
        let map = |f: &dyn Fn(f64) -> f64| Instance {
            n_clients: instance.n_clients,
            n_sites: instance.n_sites,
            cost: instance.cost.iter().map(|&c| f(c)).collect(),
            weight: instance.weight.clone(),
        };
        match *self {
            Objective::MeanRtt => Some(instance.clone()),
            Objective::Coverage { threshold_ms } => {
                Some(map(&|c| if c > threshold_ms { 1.0 } else { 0.0 }))
            }
            Objective::Blended {
                threshold_ms,
                penalty_ms,
            } => Some(map(&|c| if c > threshold_ms { c + penalty_ms } else { c })),
            Objective::WorstCase | Objective::Redundancy { .. } => None,
        }
    }

    /// Finds an open set minimising [`Objective::value`] under `constraints`.
    ///
    /// The [`Solution`]'s `objective` and `lower_bound` are in the objective's units (weighted
    /// ms, uncovered weight, or ms for the worst case); its status is
    /// [`Status::Optimal`] only when proven. [`Objective::MeanRtt`] is exactly
    /// [`solve`](crate::solve::solve()).
    ///
    /// # Errors
    /// As [`solve`](crate::solve::solve()), and [`Objective::validate`]'s.
    pub fn solve(
        &self,
        instance: &Instance,
        constraints: &Constraints,
        options: &SolveOptions,
        progress: &dyn Progress,
    ) -> Result<Solution> {
        self.validate()?;
        let started = Instant::now();
        let deadline = started.checked_add(options.time_limit);
        match self {
            Objective::MeanRtt => super::solve(instance, constraints, options, progress),
            Objective::Coverage { threshold_ms } => {
                let transformed = self.as_pmedian(instance).expect("reduces to a p-median");
                let s = super::solve(&transformed, constraints, options, progress)?;
                let problem = Problem::new(instance, constraints)?;
                let s = self.refined(&problem, constraints, s, *threshold_ms, options, deadline)?;
                Ok(self.polished(&problem, s, deadline))
            }
            Objective::Blended { .. } => {
                let transformed = self.as_pmedian(instance).expect("reduces to a p-median");
                let s = super::solve(&transformed, constraints, options, progress)?;
                let problem = Problem::new(instance, constraints)?;
                Ok(self.polished(&problem, s, deadline))
            }
            Objective::WorstCase => {
                let problem = Problem::new(instance, constraints)?;
                let s = center::solve(&problem, options, deadline, progress)?;
                let radius = s.objective;
                let s = self.refined(&problem, constraints, s, radius, options, deadline)?;
                Ok(self.polished(&problem, s, deadline))
            }
            Objective::Redundancy { threshold_ms, k } => {
                let problem = Problem::new(instance, constraints)?;
                redundancy::solve(
                    self,
                    &problem,
                    constraints,
                    *threshold_ms,
                    *k,
                    options,
                    deadline,
                    progress,
                )
            }
        }
    }

    /// The mean-RTT heuristic with a prohibitive penalty beyond `threshold_ms`: its plan
    /// replaces `s` when it is no worse on the objective and better on the mean RTT.
    fn refined(
        &self,
        problem: &Problem<'_>,
        constraints: &Constraints,
        s: Solution,
        threshold_ms: f64,
        options: &SolveOptions,
        deadline: Option<Instant>,
    ) -> Result<Solution> {
        let inst = problem.instance();
        let time = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => options.time_limit,
        };
        if time.is_zero() {
            return Ok(s);
        }
        // M exceeds any difference of weighted RTT sums, per unit of the lightest weight.
        let spread: f64 = (0..inst.n_clients)
            .map(|i| inst.weight[i] * row_max(inst, i))
            .sum();
        let lightest = inst
            .weight
            .iter()
            .copied()
            .filter(|&w| w > 0.0)
            .fold(f64::INFINITY, f64::min);
        if !lightest.is_finite() {
            return Ok(s);
        }
        let m = spread / lightest + 1.0;
        let penalised = Instance {
            n_clients: inst.n_clients,
            n_sites: inst.n_sites,
            cost: inst
                .cost
                .iter()
                .map(|&c| if c > threshold_ms { c + m } else { c })
                .collect(),
            weight: inst.weight.clone(),
        };
        let heuristic = options
            .clone()
            .method(super::Method::Heuristic)
            .time_limit(time);
        let r = super::solve(&penalised, constraints, &heuristic, &crate::NoProgress)?;
        let no_worse = self.value(inst, &r.open) <= s.objective;
        if no_worse && inst.objective(&r.open) < inst.objective(&s.open) {
            let objective = self.value(inst, &r.open);
            Ok(Solution {
                open: r.open,
                objective,
                ..s
            })
        } else {
            Ok(s)
        }
    }

    /// Polishes `s` (see the module docs) and restates its objective as [`Objective::value`].
    fn polished(&self, problem: &Problem<'_>, s: Solution, deadline: Option<Instant>) -> Solution {
        let inst = problem.instance();
        let open = match self {
            Objective::Blended { .. } | Objective::MeanRtt => s.open,
            _ => polish::polish(problem, s.open, self, deadline),
        };
        let objective = self.value(inst, &open);
        let lower_bound = s.lower_bound.min(objective);
        let status = if s.status != Status::Optimal && lower_bound >= objective {
            Status::Optimal
        } else {
            s.status
        };
        Solution {
            open,
            objective,
            lower_bound,
            status,
            method: s.method,
        }
    }

    /// Enumerates every feasible open set: the optimum of [`Objective::value`], ties to the
    /// smaller set. For tests and tiny instances.
    ///
    /// # Errors
    /// As [`brute_force`](super::brute_force).
    pub fn brute_force(&self, instance: &Instance, constraints: &Constraints) -> Result<Solution> {
        self.validate()?;
        let problem = Problem::new(instance, constraints)?;
        let sites = problem.allowed_sites();
        let p = problem.p();
        let sets = super::brute::binomial(sites.len() as u64, p as u64);
        if sets > super::brute::BRUTE_FORCE_MAX_SETS {
            return Err(Error::TooLarge {
                method: "brute force",
                detail: format!("C({}, {p}) = {sets} open sets", sites.len()),
            });
        }
        let mut best: Option<(f64, Vec<usize>)> = None;
        let mut pick: Vec<usize> = (0..p).collect();
        loop {
            let open: Vec<usize> = pick.iter().map(|&t| sites[t]).collect();
            if problem.is_feasible(&open) {
                let v = self.value(instance, &open);
                if best.as_ref().is_none_or(|(b, _)| v < *b) {
                    best = Some((v, open));
                }
            }
            if !super::brute::next_combination(&mut pick, sites.len()) {
                break;
            }
        }
        let (objective, open) =
            best.ok_or_else(|| Error::Infeasible("no open set meets the constraints".to_string()))?;
        Ok(Solution {
            open,
            objective,
            lower_bound: objective,
            status: Status::Optimal,
            method: "brute-force".into(),
        })
    }
}

/// Client `i`'s cost to its nearest site of `open` (`+∞` when empty).
pub(crate) fn nearest(instance: &Instance, i: usize, open: &[usize]) -> f64 {
    open.iter()
        .map(|&j| instance.cost(i, j))
        .fold(f64::INFINITY, f64::min)
}

/// Client `i`'s cost to its `k`-th nearest site of `open` (`+∞` when `open` has fewer).
pub(crate) fn kth_nearest(instance: &Instance, i: usize, open: &[usize], k: usize) -> f64 {
    if k == 0 || open.len() < k {
        return f64::INFINITY;
    }
    let mut costs: Vec<f64> = open.iter().map(|&j| instance.cost(i, j)).collect();
    let (_, kth, _) = costs.select_nth_unstable_by(k - 1, f64::total_cmp);
    *kth
}

fn row_max(instance: &Instance, i: usize) -> f64 {
    let m = instance.n_sites;
    instance.cost[i * m..(i + 1) * m]
        .iter()
        .copied()
        .fold(0.0, f64::max)
}

/// "1st", "2nd", "3rd", "4th" …
fn ordinal(k: usize) -> String {
    let suffix = match (k % 10, k % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{k}{suffix}")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    use super::*;
    use crate::progress::NoProgress;

    /// A tiny random instance with integer costs (ties on purpose) and random constraints.
    fn tiny(seed: u64) -> (Instance, Constraints) {
        crate::solve::testkit::random_constrained(seed, 9, 8, 30, 5, 0.5)
    }

    fn objectives(seed: u64) -> [Objective; 6] {
        let t = (seed % 25) as f64;
        [
            Objective::MeanRtt,
            Objective::Coverage { threshold_ms: t },
            Objective::WorstCase,
            Objective::Redundancy {
                threshold_ms: t,
                k: 2,
            },
            Objective::Redundancy {
                threshold_ms: t,
                k: 1,
            },
            Objective::Blended {
                threshold_ms: t,
                penalty_ms: 7.0,
            },
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn every_objective_matches_brute_force_on_tiny_instances(seed in any::<u64>()) {
            let (instance, constraints) = tiny(seed);
            prop_assume!(Problem::new(&instance, &constraints).is_ok());
            let options = SolveOptions::new().seed(seed).starts(3);
            for objective in objectives(seed) {
                let brute = objective.brute_force(&instance, &constraints).unwrap();
                let got = objective.solve(&instance, &constraints, &options, &NoProgress).unwrap();
                prop_assert_eq!(got.status, Status::Optimal, "{:?}", objective);
                prop_assert_eq!(got.objective, brute.objective, "{:?}", objective);
                prop_assert_eq!(got.objective, objective.value(&instance, &got.open));
                prop_assert!(got.lower_bound <= brute.objective);
                prop_assert!(Problem::new(&instance, &constraints).unwrap().is_feasible(&got.open));
            }
        }
    }

    mod value {
        use super::*;

        fn line() -> Instance {
            let xs = [0.0, 1.0, 2.0, 10.0, 11.0_f64];
            let cost = xs
                .iter()
                .flat_map(|a| xs.iter().map(move |b| (a - b).abs()))
                .collect();
            Instance::new(5, 5, cost, vec![1.0, 1.0, 1.0, 2.0, 0.0]).unwrap()
        }

        #[test]
        fn coverage_counts_uncovered_weight() {
            let o = Objective::Coverage { threshold_ms: 1.0 };
            assert_eq!(o.value(&line(), &[1]), 2.0);
            assert_eq!(o.value(&line(), &[1, 4]), 0.0);
        }

        #[test]
        fn worst_case_ignores_clients_of_zero_weight() {
            assert_eq!(Objective::WorstCase.value(&line(), &[1, 3]), 1.0);
            assert_eq!(Objective::WorstCase.value(&line(), &[0]), 10.0);
        }

        #[test]
        fn redundancy_needs_the_kth_nearest_within_the_threshold() {
            let o = Objective::Redundancy {
                threshold_ms: 2.0,
                k: 2,
            };
            // Clients 0, 1, 2 have sites 0 and 1 within 2; client 3 has only site 3 open near.
            assert_eq!(o.value(&line(), &[0, 1, 3]), 2.0);
            assert_eq!(o.value(&line(), &[0]), 5.0);
        }

        #[test]
        fn blended_adds_the_penalty_beyond_the_threshold() {
            let o = Objective::Blended {
                threshold_ms: 5.0,
                penalty_ms: 100.0,
            };
            // Site 1: clients at 0, 1, 2 are 1, 0, 1 away; client 3 (weight 2) is 9 away.
            assert_eq!(o.value(&line(), &[1]), 1.0 + 1.0 + 2.0 * (9.0 + 100.0));
        }

        #[test]
        fn bad_parameters_are_refused() {
            let k0 = Objective::Redundancy {
                threshold_ms: 1.0,
                k: 0,
            };
            assert!(k0.validate().is_err());
            assert!(
                Objective::Coverage {
                    threshold_ms: f64::NAN
                }
                .validate()
                .is_err()
            );
        }

        #[test]
        fn descriptions_read_as_english() {
            let o = Objective::Redundancy {
                threshold_ms: 100.0,
                k: 2,
            };
            assert_eq!(
                o.describe(),
                "demand with its 2nd nearest node within 100 ms"
            );
            assert_eq!(ordinal(11), "11th");
            assert_eq!(ordinal(23), "23rd");
        }

        #[test]
        fn serialises_with_a_kind_tag() {
            let o = Objective::Coverage {
                threshold_ms: 100.0,
            };
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, r#"{"kind":"coverage","threshold_ms":100.0}"#);
            assert_eq!(serde_json::from_str::<Objective>(&json).unwrap(), o);
        }
    }

    #[test]
    fn a_zero_time_limit_is_never_called_optimal_without_proof() {
        let mut rng = Pcg64::seed_from_u64(3);
        let (n, m) = (80, 40);
        let cost = (0..n * m).map(|_| rng.random_range(0.0..300.0)).collect();
        let instance = Instance::new(n, m, cost, vec![1.0; n]).unwrap();
        let c = Constraints {
            p: 5,
            ..Default::default()
        };
        let options = SolveOptions::new().time_limit(std::time::Duration::ZERO);
        for o in [
            Objective::WorstCase,
            Objective::Redundancy {
                threshold_ms: 120.0,
                k: 2,
            },
        ] {
            let s = o.solve(&instance, &c, &options, &NoProgress).unwrap();
            assert_eq!(s.objective, o.value(&instance, &s.open));
            assert!(
                s.status != Status::Optimal || s.lower_bound >= s.objective,
                "{o:?}: {s:?}"
            );
        }
    }
}
