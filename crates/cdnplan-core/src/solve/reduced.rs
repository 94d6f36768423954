//! The reduced problem: what reduced-cost fixing leaves of an instance, solved exactly as a
//! MIP.
//!
//! After the root's [`Lagrangian`](crate::solve::Lagrangian) ascent and
//! [fixing](crate::solve::Lagrangian::fix) against the incumbent, every better solution opens only
//! the sites left, keeps the sites fixed open, and serves each client through one of the
//! pairs left. The strong formulation over those pairs alone is therefore exact for the
//! question the proof asks ("is there a better solution, and which is best?"), and it is
//! small: on rl1304 p = 200 it holds 1,680 pairs of the 1.7 million.
//!
//! Its LP relaxation is exact where the subgradient is not: the ascent stops a few units
//! under the LP bound (rl1304 p = 200: 268,567 against 268,573, the optimum), and those
//! units are what branching on Lagrangian bounds struggles to close. Branch-and-bound on the
//! exact LP closes them on the reduced problem in a fraction of a second (rl1304 p = 300,
//! 500; vm1748 p = 300) to seconds (rl1304 p = 100, whose LP gap is 132).
//!
//! [`BranchAndBound`](crate::solve::BranchAndBound) hands the reduced problem to the backend at
//! once when it is sparse ([`ReducedMip::eager_per_client`]), or after the tree has had a
//! few hundred nodes ([`ReducedMip::after_nodes`]) when it is not too dense
//! ([`ReducedMip::later_per_client`]): with few medians the reduced problem is dense and the
//! tree is the quicker proof. When the backend fails, the search tree goes on as before.
//!
//! Through microlp the root LP is solved once: the search stops after it (node limit 0),
//! its bound may prove the incumbent at once, and otherwise the same search resumes. A
//! cut-off row keeps only solutions better than the incumbent.

use std::time::{Duration, Instant};

use super::lagrange::Masks;
use super::lagrange::{bound_value, proof_target};
use super::mip::{self, MipStatus, Outcome};
use super::{MipBackend, Problem};

/// When and how [`BranchAndBound`](super::BranchAndBound) solves the reduced problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReducedMip {
    /// The MIP backend.
    pub backend: MipBackend,
    /// Never solve a reduced problem of more client–site pairs than this (the tree goes
    /// on instead).
    pub max_pairs: usize,
    /// Solve it at once when it holds at most this many pairs per client on average (a
    /// sparse problem, where the LP is quick and tight) ...
    pub eager_per_client: usize,
    /// ... otherwise once the tree has explored this many nodes without closing,
    pub after_nodes: usize,
    /// ... and then only up to this many pairs per client on average (a denser problem's LP
    /// is slow in microlp, and the tree closes it sooner).
    pub later_per_client: usize,
}

impl ReducedMip {
    /// Whether a reduced problem of `pairs` pairs is solved at once (see
    /// [`eager_per_client`](Self::eager_per_client)).
    pub(crate) fn is_eager(&self, problem: &Problem<'_>, pairs: usize) -> bool {
        pairs
            <= self
                .eager_per_client
                .saturating_mul(problem.instance().n_clients)
    }

    /// Whether a reduced problem of `pairs` pairs goes to the MIP at once (sparse, and
    /// within [`max_pairs`](Self::max_pairs)).
    pub(crate) fn solves_at_once(&self, problem: &Problem<'_>, pairs: usize) -> bool {
        self.is_eager(problem, pairs) && pairs <= self.max_pairs
    }

    /// Whether a reduced problem of `pairs` pairs is handed over once the tree has had
    /// [`after_nodes`](Self::after_nodes) nodes (see
    /// [`later_per_client`](Self::later_per_client)).
    pub(crate) fn is_later(&self, problem: &Problem<'_>, pairs: usize) -> bool {
        !self.is_eager(problem, pairs)
            && pairs <= self.max_pairs
            && pairs
                <= self
                    .later_per_client
                    .saturating_mul(problem.instance().n_clients)
    }
}

impl Default for ReducedMip {
    /// microlp (in every build, so that a build with HiGHS gives the same answers), on up to
    /// 30,000 pairs: at once up to 8 pairs per client, otherwise after 300 tree nodes up to
    /// 12 pairs per client.
    ///
    /// Measured (release build, 2 cores): microlp proves rl1304 p = 200 on 3,580 pairs
    /// (2.7 a client) at once, and rl1304 p = 100 on 13,672 pairs in 3 s (HiGHS 13 s) where
    /// the tree did not close in 60 s; fl1400 p = 100 on 10,363 (after the tree's restarts)
    /// in 3 s. Denser reduced problems come with few medians, where the tree is the quicker
    /// proof: vm1748 p = 10 and 20 close in the tree in under 5 s; OR-Library pmed32
    /// (p = 10, 14.8 pairs a client) closes in the tree in under a second and took 6 s as
    /// a MIP. u1432 p = 200
    /// starts at 117,176 pairs, beyond the cap; the tree's better incumbent leaves 13,757.
    /// Beyond 30,000 pairs microlp's LP alone takes 10–25 s (fl1400 p = 200: 43,829 pairs,
    /// 11 s; d2103 p = 20: 55,823 pairs, over 18 s, where the tree proves the optimum in
    /// under 10 s), and every reduced problem proven in the TSPLIB runs held at most 24,508.
    /// Density matters as much: vm1748 p = 20 leaves 25,950 pairs (14.8 a client), whose LP
    /// took microlp 12 s and the MIP 14 s, while the MIPs handed over at up to 9.6 pairs a
    /// client (u1432 p = 200, 13,817 pairs) took 3–7 s.
    fn default() -> Self {
        ReducedMip {
            backend: MipBackend::Microlp,
            max_pairs: 30_000,
            eager_per_client: 8,
            after_nodes: 300,
            later_per_client: 12,
        }
    }
}

/// What solving the reduced problem found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Solved to optimality: its optimum `Some(open)` (which may not beat the incumbent),
    /// or `None` when the reduced problem holds nothing better than the incumbent. Either
    /// way the better of the incumbent and `open` is optimal.
    Solved(Option<Vec<usize>>),
    /// Stopped by the time limit, with the best open set found if any, and a bound valid
    /// for the whole problem (the bound of the reduced problem's search, or its LP bound,
    /// capped by the value the fixing was made against; −∞ when the root LP did not finish).
    Cut {
        /// The best open set found.
        open: Option<Vec<usize>>,
        /// A valid lower bound on the optimum.
        bound: f64,
    },
    /// The backend failed (or is not compiled in): the caller goes on without it.
    Failed,
}

/// The relative slack taken off the reduced problem's LP value before it counts as a bound:
/// far above the backends' optimality tolerances, far below one unit of an integral
/// objective at the sizes the engine meets.
const LP_SLACK: f64 = 1e-7;

impl ReducedMip {
    /// The relative gap within which a [`Verdict::Solved`] answer is optimal when the proof
    /// asked for `gap_tolerance` (0: exact).
    pub(crate) fn gap(&self, gap_tolerance: f64) -> f64 {
        mip::requested_gap(gap_tolerance)
    }

    /// Solves the reduced problem `masks` (which must hold narrowed pairs, fixed against
    /// the objective `upper`) within `gap_tolerance` by `deadline`: first its LP
    /// relaxation, which proves `upper` optimal whenever its bound reaches it, then the MIP.
    pub(crate) fn solve(
        &self,
        problem: &Problem<'_>,
        masks: &Masks,
        upper: f64,
        gap_tolerance: f64,
        deadline: Option<Instant>,
    ) -> Verdict {
        let remaining = || match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            // No deadline: a day stands for none (the backends take a number).
            None => Duration::from_secs(86_400),
        };
        let mut bound = f64::NEG_INFINITY;
        if remaining().is_zero() {
            return Verdict::Cut { open: None, bound };
        }
        #[cfg(feature = "microlp")]
        if self.backend == MipBackend::Microlp {
            return self.through_microlp(problem, masks, upper, gap_tolerance, remaining);
        }
        match mip::run_within(problem, masks, self.backend, false, remaining(), 0.0) {
            Ok(Outcome::Solved {
                status: MipStatus::Optimal,
                y,
                objective,
                ..
            }) => {
                if let Some(open) = mip::integral_open(&y).and_then(|open| feasible(problem, open))
                {
                    // An integral LP optimum is the reduced problem's optimum.
                    return Verdict::Solved(Some(open));
                }
                let lp = bound_value(problem, objective - LP_SLACK * objective.abs());
                if lp >= proof_target(problem, upper, gap_tolerance) {
                    return Verdict::Solved(None);
                }
                bound = lp.min(upper);
            }
            Ok(Outcome::Infeasible) => return Verdict::Solved(None),
            Ok(_) => return Verdict::Cut { open: None, bound },
            Err(_) => return Verdict::Failed,
        }
        let time_limit = remaining();
        if time_limit.is_zero() {
            return Verdict::Cut { open: None, bound };
        }
        match mip::run_within(
            problem,
            masks,
            self.backend,
            true,
            time_limit,
            self.gap(gap_tolerance),
        ) {
            Ok(Outcome::Solved { status, y, .. }) => {
                let open = feasible(problem, mip::rounded_open(&y));
                match status {
                    MipStatus::Optimal | MipStatus::GapLimit if open.is_some() => {
                        Verdict::Solved(open)
                    }
                    // An "optimal" answer that is not a feasible open set proves nothing.
                    MipStatus::Optimal | MipStatus::GapLimit => Verdict::Failed,
                    MipStatus::TimeLimit => Verdict::Cut { open, bound },
                }
            }
            Ok(Outcome::NoSolution) => Verdict::Cut { open: None, bound },
            Ok(Outcome::Infeasible) => Verdict::Solved(None),
            Err(_) => Verdict::Failed,
        }
    }
}

impl ReducedMip {
    /// [`solve`](Self::solve) through microlp's own API: one search, stopped after its root
    /// LP (node limit 0), whose bound may already answer, then resumed from that root. Two
    /// good_lp runs (the LP, then the MIP) would solve the root LP twice, and a time-limited
    /// search would leave only the LP bound; the resumed one leaves its tree's bound.
    #[cfg(feature = "microlp")]
    fn through_microlp(
        &self,
        problem: &Problem<'_>,
        masks: &Masks,
        upper: f64,
        gap_tolerance: f64,
        remaining: impl Fn() -> Duration,
    ) -> Verdict {
        use super::lagrange::improvement_limit;
        use microlp::{ResumeOptions, SolveOptions, TerminationReason};

        let gap = self.gap(gap_tolerance);
        let mut formulation = mip::formulate(problem, true, Some(masks));
        // Only a better solution is asked for: nodes whose LP cannot beat the incumbent are
        // cut off at once, as an incumbent of the backend's own would do.
        // (With integral costs the slack stays under half a unit, so that the row still
        // excludes the incumbent's value on large objectives.)
        let slack = LP_SLACK * upper.abs();
        let slack = if problem.is_integral() {
            slack.min(0.5)
        } else {
            slack
        };
        let limit = improvement_limit(problem, upper) + slack;
        let cutoff = formulation.objective.clone();
        formulation
            .constraints
            .push(good_lp::constraint::leq(cutoff, limit / formulation.scale));
        let seconds = remaining().as_secs_f64();
        let (model, fx) = mip::build(formulation, problem, None, good_lp::microlp, seconds);
        let mut options = SolveOptions::default();
        options.time_limit = Some(remaining());
        options.node_limit = Some(0);
        options.mip_gap = gap;
        let mut outcome = model.as_inner().solve_with(options);
        let target = proof_target(problem, upper, gap_tolerance);
        let mut resumed = false;
        loop {
            let solved = match outcome {
                Ok(solved) => solved,
                // Nothing in the reduced problem beats the incumbent (the cut-off row).
                Err(microlp::Error::Infeasible) => return Verdict::Solved(None),
                Err(_) => return Verdict::Failed,
            };
            // The search's bound (over what is still open, and its incumbent), less the LP's
            // rounding and microlp's absolute pruning tolerance (1e-9 in the model's scaled
            // units), in the instance's units.
            let bound = solved.stats().best_bound.map_or(f64::NEG_INFINITY, |b| {
                bound_value(problem, (b - (LP_SLACK * b.abs()).max(1e-9)) * fx.scale)
            });
            // The y variables come first, in the order of `fx.y`.
            let open = solved.solution().and_then(|s| {
                let y: Vec<(usize, f64)> =
                    fx.y.iter()
                        .zip(s.iter())
                        .map(|(&(j, _), (_, v))| (j, v))
                        .collect();
                feasible(problem, mip::rounded_open(&y))
            });
            match solved.termination_reason() {
                TerminationReason::ProvenOptimal | TerminationReason::MipGap => {
                    // An "optimal" answer that is not a feasible open set proves nothing.
                    return match open {
                        Some(open) => Verdict::Solved(Some(open)),
                        None => Verdict::Failed,
                    };
                }
                TerminationReason::NodeLimit if !resumed => {
                    // The root LP: its exact bound often proves the incumbent at once.
                    if bound >= target {
                        return Verdict::Solved(open);
                    }
                    resumed = true;
                    let mut options = ResumeOptions::default();
                    options.time_limit = Some(remaining());
                    options.mip_gap = Some(gap);
                    outcome = solved.resume_with(options);
                }
                // A deadline can strike right after the root LP, before its node limit.
                _ if bound >= target => return Verdict::Solved(open),
                _ => {
                    return Verdict::Cut {
                        open,
                        bound: bound.min(upper),
                    };
                }
            }
        }
    }
}

/// `open` when it is a feasible answer (`p` sites under the constraints).
fn feasible(problem: &Problem<'_>, open: Vec<usize>) -> Option<Vec<usize>> {
    (open.len() == problem.p() && problem.is_feasible(&open)).then_some(open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::solve::testkit::scattered;
    use crate::solve::{BranchAndBound, Budget, Constraints, Lagrangian, brute_force};

    /// A weak root (three ascent steps) that leaves the reduced problem real work.
    fn weak_root(reduced: ReducedMip) -> BranchAndBound {
        BranchAndBound {
            root: Lagrangian {
                max_iterations: 3,
                ..Lagrangian::default()
            },
            reduced: Some(reduced),
            ..BranchAndBound::default()
        }
    }

    fn eager(backend: MipBackend) -> ReducedMip {
        ReducedMip {
            backend,
            max_pairs: usize::MAX,
            eager_per_client: usize::MAX,
            after_nodes: 0,
            later_per_client: usize::MAX,
        }
    }

    /// Checks the optima of 32 instances against brute force; returns how many of them
    /// went to the reduced problem.
    fn proves_brute_force_optima(reduced: ReducedMip) -> usize {
        let bb = weak_root(reduced);
        let mut handed = 0;
        let mut improved = 0;
        for seed in 0..16 {
            let inst = scattered(14, seed);
            let constrained = Constraints {
                p: 4,
                fixed_open: vec![5],
                forbidden: vec![0, 7],
                budget: Some(Budget {
                    existing: vec![1, 2, 3, 5],
                    max_closed: 2,
                }),
            };
            let plain = Constraints {
                p: 3 + (seed as usize % 3),
                ..Default::default()
            };
            for c in [plain, constrained] {
                let pb = Problem::new(&inst, &c).unwrap();
                let exact = brute_force(&inst, &c).unwrap();
                let mut start = c.fixed_open.clone();
                let rest: Vec<usize> = (1..inst.n_sites)
                    .filter(|j| !c.forbidden.contains(j) && !start.contains(j))
                    .take(c.p - start.len())
                    .collect();
                start.extend(rest);
                start.sort_unstable();
                assert!(pb.is_feasible(&start), "seed {seed}: {start:?}");
                let upper = inst.objective(&start);
                let proof = bb.solve(&pb, &start, upper, 0.0, None, &NoProgress);
                handed += usize::from(proof.reduced_pairs.is_some());
                assert!(proof.complete, "seed {seed}: {proof:?}");
                assert!(pb.is_feasible(&proof.open));
                assert_eq!(proof.objective, inst.objective(&proof.open));
                assert!(
                    (proof.objective - exact.objective).abs() < 1e-9,
                    "seed {seed} {c:?}: {} against {}",
                    proof.objective,
                    exact.objective
                );
                assert!(proof.bound <= exact.objective + 1e-9, "seed {seed}");
                assert!(proof.bound >= exact.objective * (1.0 - 1e-9), "seed {seed}");
                improved += usize::from(proof.objective < upper);
            }
        }
        assert!(improved > 0, "the search never improved the start");
        handed
    }

    #[test]
    fn the_reduced_problem_through_microlp_proves_brute_force_optima() {
        assert_eq!(proves_brute_force_optima(eager(MipBackend::Microlp)), 32);
    }

    #[test]
    fn the_tree_hands_the_reduced_problem_over_after_its_nodes() {
        let after = ReducedMip {
            eager_per_client: 0,
            after_nodes: 4,
            later_per_client: usize::MAX,
            ..eager(MipBackend::Microlp)
        };
        let handed = proves_brute_force_optima(after);
        assert!(handed > 0 && handed < 32, "{handed} of 32 handed over");
    }

    #[cfg(feature = "highs")]
    #[test]
    fn the_reduced_problem_through_highs_proves_brute_force_optima() {
        assert_eq!(proves_brute_force_optima(eager(MipBackend::Highs)), 32);
    }

    #[test]
    fn a_deadline_in_the_reduced_problem_leaves_a_valid_bound() {
        let inst = scattered(60, 9);
        let c = Constraints {
            p: 8,
            ..Default::default()
        };
        let pb = Problem::new(&inst, &c).unwrap();
        let bb = weak_root(ReducedMip::default());
        let start: Vec<usize> = (0..8).collect();
        let upper = inst.objective(&start);
        let exact = bb.solve(&pb, &start, upper, 0.0, None, &NoProgress);
        assert!(exact.complete);
        for micros in [0, 50, 200, 1_000, 5_000, 20_000] {
            let deadline = Instant::now() + Duration::from_micros(micros);
            let proof = bb.solve(&pb, &start, upper, 0.0, Some(deadline), &NoProgress);
            assert!(pb.is_feasible(&proof.open), "{micros} µs");
            assert!(
                proof.bound <= exact.objective + 1e-9,
                "{micros} µs: {proof:?}"
            );
            assert!(proof.objective >= exact.objective - 1e-9, "{micros} µs");
            if proof.complete {
                assert!(
                    (proof.objective - exact.objective).abs() < 1e-9,
                    "{micros} µs"
                );
            }
        }
    }
}
