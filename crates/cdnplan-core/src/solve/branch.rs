//! Branch-and-bound on the Lagrangian bound: the proof that closes the gap the root bound
//! leaves (Beasley 1985 solved the OR-Library set this way).
//!
//! The root runs a long [`Lagrangian`] ascent from the incumbent, then
//! [reduced-cost fixing](Lagrangian::fix) removes the sites that cannot be part of a better
//! solution. Each node then fixes one more site open or closed, re-runs a short ascent warm
//! started from its parent's multipliers, and is pruned as soon as its bound shows that it
//! holds no solution better than the incumbent. Depth first, the "open" child first. Every
//! inner solution the ascents meet is a feasible open set: the better ones are polished by
//! the swap local search and become the new incumbent. Once the incumbent has closed a tenth
//! of the root's gap, the tree starts over from the root with the fixing redone against it:
//! on rl1304 p = 200 the better incumbent closes 1,074 sites instead of 833 and leaves 1,538
//! client–site pairs instead of 3,380.
//!
//! Once the fixing leaves a small enough [reduced problem](crate::solve::reduced) (every better
//! solution lies in it), the tree is not searched: the reduced problem goes to a MIP
//! backend, whose exact LP closes the few units the subgradient leaves under the LP bound.
//! The tree remains the path when the reduced problem is too large or the backend fails.
//! When the fixing against the first incumbent leaves no sparse reduced problem, a VNS
//! ([`Polish`]) first improves that incumbent and the fixing is redone against it.
//!
//! The two children of a node are evaluated at once (in parallel when a second thread is
//! free), both against the incumbent known when their parent branched; their results are
//! then taken in a fixed order (closed child, open child). Every choice is a total order on
//! sites and the ascents' parallel sums are block-ordered, so the answer does not depend on
//! the thread count.

use std::time::Instant;

use rand::SeedableRng;
use rand_pcg::Pcg64;

use super::lagrange::{Lagrangian, Masks, improvement_limit, proof_target, start_multipliers};
use super::reduced::{ReducedMip, Verdict};
use super::swap::polish;
use super::{Problem, Vns};
use crate::progress::Progress;

/// Branch-and-bound settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BranchAndBound {
    /// The ascent at the root.
    pub root: Lagrangian,
    /// The (shorter, warm-started) ascent at every other node.
    pub node: Lagrangian,
    /// Stop after this many nodes (the answer is then time-limited, with a valid bound).
    pub max_nodes: usize,
    /// Solve the [reduced problem](super::reduced) the root's fixing leaves as a MIP, once
    /// it is small enough, instead of searching the tree (`None`: always the tree).
    pub reduced: Option<ReducedMip>,
    /// Improve the incumbent by VNS after the root when the root's fixing against it leaves
    /// no sparse reduced problem (`None`: never). See [`Polish`].
    pub polish: Option<Polish>,
}

/// The VNS [`BranchAndBound`] runs on its incumbent once the root shows it is needed.
///
/// A better incumbent fixes more at the root, so a search tree (or a dense reduced problem)
/// is worth a VNS first; a sparse reduced problem is not: its MIP proves or improves a
/// plain local optimum at once. The caller can therefore start the proof from a quick
/// incumbent (greedy + swap) and leave the VNS to this step, which runs only when the
/// root's fixing against that incumbent leaves no sparse reduced problem. On vm1748
/// p = 500 the greedy + swap incumbent (178,091) leaves a dense problem; the VNS brings it
/// to 177,121 and 12,934 pairs (7.4 a client), which the MIP then proves. On the TSPLIB
/// rows where VNS is not needed this saves the seconds it took before every proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polish {
    /// The search; it may use half the time left before the deadline.
    pub vns: Vns,
    /// Seed of its generator.
    pub seed: u64,
}

impl Default for BranchAndBound {
    fn default() -> Self {
        BranchAndBound {
            // A longer patience than a lone ascent's: at the root the bound is worth its
            // time (fl1400 p = 50 is proven at the root, instead of by thousands of nodes).
            root: Lagrangian {
                max_iterations: 8_000,
                patience: 50,
                ..Lagrangian::default()
            },
            node: Lagrangian {
                max_iterations: 150,
                patience: 15,
                min_step: 1e-3,
                primal_every: 10,
                initial_step: 2.0,
            },
            max_nodes: 1_000_000,
            reduced: Some(ReducedMip::default()),
            polish: None,
        }
    }
}

/// The result of a branch-and-bound run.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    /// The best open set (sorted).
    pub open: Vec<usize>,
    /// Its objective.
    pub objective: f64,
    /// A valid lower bound on the optimum (equal to `objective` when the tree was closed on
    /// an integral instance).
    pub bound: f64,
    /// The root bound.
    pub root_bound: f64,
    /// Nodes explored (the root included).
    pub nodes: usize,
    /// Sites fixed closed / open at the root by reduced costs (against the first incumbent).
    pub root_fixed: (usize, usize),
    /// Times the tree started over from the root because a better incumbent sharpened the
    /// root's reduced-cost fixing, or to hand the reduced problem over (see
    /// [`ReducedMip::after_nodes`]).
    pub restarts: usize,
    /// Whether the whole tree was explored (otherwise the deadline or the node limit struck).
    pub complete: bool,
    /// The client–site pairs of the [reduced problem](super::reduced) handed to the MIP
    /// backend, when it was.
    pub reduced_pairs: Option<usize>,
}

/// One open subproblem.
struct Node {
    masks: Masks,
    lambda: Vec<f64>,
    /// The parent's bound (valid for the node).
    bound: f64,
}

/// An evaluated subproblem that still holds a better solution: it branches on `pick`.
struct Branching {
    masks: Masks,
    lambda: Vec<f64>,
    bound: f64,
    /// The site to branch on; `None` when the masks leave a single open set.
    pick: Option<usize>,
}

/// What evaluating a node found.
struct Evaluation {
    /// An open set the ascent met (feasible), for the incumbent.
    offer: Option<Vec<usize>>,
    outcome: Outcome,
}

enum Outcome {
    /// Holds nothing better than the incumbent; the bound of the subtree.
    Pruned(f64),
    /// Holds no solution at all that beats the incumbent (a client lost every site).
    Exhausted,
    /// Every open site is decided: this open set is the subtree's only solution.
    Leaf(Vec<usize>),
    /// Branch further.
    Branch(Branching),
    /// The deadline struck before the node was evaluated: it stays open, unbranched.
    Unexplored(Branching),
}

impl BranchAndBound {
    /// Proves `open` (feasible, objective `objective`) optimal within `gap_tolerance`, or
    /// finds a better solution and proves that, by `deadline`.
    pub fn solve(
        &self,
        problem: &Problem<'_>,
        open: &[usize],
        objective: f64,
        gap_tolerance: f64,
        deadline: Option<Instant>,
        progress: &dyn Progress,
    ) -> Proof {
        let mut search = Search {
            problem,
            best_open: open.to_vec(),
            best: objective,
            gap_tolerance,
        };
        let masks = Masks::of(problem);
        progress.begin("lagrangian bound", None);
        let root = self.root.ascend_in(
            problem,
            &masks,
            start_multipliers(problem, open),
            objective,
            search.target(),
            deadline,
        );
        progress.end();
        if let Some((candidate, _)) = &root.best_open {
            search.offer(candidate, deadline);
        }
        let mut proof = Proof {
            open: Vec::new(),
            objective: 0.0,
            bound: root.value,
            root_bound: root.value,
            nodes: 1,
            root_fixed: (0, 0),
            restarts: 0,
            complete: true,
            reduced_pairs: None,
        };
        if root.value >= search.target() || root.cut {
            proof.complete = !root.cut;
            return search.finish(proof, root.value);
        }
        let mut stack = Vec::new();
        // The least bound of the pruned subtrees.
        let mut pruned: f64;
        // Whether no node was left unexplored by the deadline.
        let mut explored: bool;
        progress.begin("branch and bound", None);
        // The tree starts over from the root whenever the incumbent has improved enough to
        // sharpen the root's reduced-cost fixing: the fixing against the better value closes
        // more sites and drops more pairs than the subtrees explored so far could gain.
        let mut polished = false;
        'tree: loop {
            let fixed_against = search.best;
            let narrowed = self.root.fix_in(problem, &masks, &root.lambda, search.best);
            let fixing = &narrowed.0;
            if proof.restarts == 0 && !polished {
                proof.root_fixed = (fixing.closed.len(), fixing.open.len());
            }
            if fixing.pairs.iter().any(Vec::is_empty) && problem.instance().n_clients > 0 {
                let best = search.best;
                progress.end();
                return search.finish(proof, best);
            }
            let narrowed_masks = masks.with(narrowed);
            let pairs = narrowed_masks.n_pairs();
            if !polished
                && let Some(polish) = self.polish
                && !self
                    .reduced
                    .is_some_and(|r| r.solves_at_once(problem, pairs))
            {
                polished = true;
                progress.end();
                progress.begin("vns", None);
                search.improve(polish, deadline);
                progress.end();
                progress.begin("branch and bound", None);
                if search.best < fixed_against {
                    continue 'tree;
                }
            }
            if proof.reduced_pairs.is_none()
                && let Some(reduced) = self.reduced
                && (reduced.solves_at_once(problem, pairs)
                    || (proof.nodes >= reduced.after_nodes && reduced.is_later(problem, pairs)))
            {
                proof.reduced_pairs = Some(pairs);
                progress.end();
                progress.begin("reduced problem", None);
                let verdict = reduced.solve(
                    problem,
                    &narrowed_masks,
                    fixed_against,
                    search.gap_tolerance,
                    deadline,
                );
                progress.end();
                match verdict {
                    Verdict::Solved(open) => {
                        if let Some(open) = open {
                            search.offer(&open, deadline);
                        }
                        let bound = search.best * (1.0 - reduced.gap(search.gap_tolerance));
                        return search.finish(proof, bound);
                    }
                    Verdict::Cut { open, bound } => {
                        if let Some(open) = open {
                            search.offer(&open, deadline);
                        }
                        proof.complete = false;
                        return search.finish(proof, root.value.max(bound));
                    }
                    Verdict::Failed => progress.begin("branch and bound", None),
                }
            }
            let root_node = Node {
                masks: narrowed_masks,
                lambda: root.lambda.clone(),
                bound: root.value,
            };
            stack.clear();
            pruned = f64::INFINITY;
            let evaluation = self.evaluate(problem, root_node, &search, deadline);
            proof.nodes += 1;
            explored = self.take(evaluation, &mut search, &mut stack, &mut pruned, deadline);
            // Restart once the incumbent has closed a tenth of the root gap it was fixed against.
            let restart_below = fixed_against - 0.1 * (fixed_against - root.value);
            // Hand the reduced problem over once the tree has had its nodes (the fixing is
            // redone first: against a better incumbent it only shrinks).
            let hand_over = self
                .reduced
                .filter(|r| proof.reduced_pairs.is_none() && r.is_later(problem, pairs));
            while explored && let Some(node) = stack.pop() {
                if (search.best <= restart_below
                    && search.best < improvement_limit(problem, fixed_against))
                    || hand_over.is_some_and(|r| proof.nodes >= r.after_nodes)
                {
                    proof.restarts += 1;
                    continue 'tree;
                }
                if node.bound >= search.target() {
                    pruned = pruned.min(node.bound);
                    continue;
                }
                if proof.nodes >= self.max_nodes || deadline.is_some_and(|d| Instant::now() >= d) {
                    stack.push(node);
                    proof.complete = false;
                    break;
                }
                let evaluations = self.expand(problem, node, &search, deadline);
                proof.nodes += evaluations.len();
                progress.advance(evaluations.len() as u64);
                for evaluation in evaluations {
                    explored &=
                        self.take(evaluation, &mut search, &mut stack, &mut pruned, deadline);
                }
            }
            break;
        }
        proof.complete &= explored;
        progress.end();
        let open_min = stack.iter().map(|n| n.bound).fold(f64::INFINITY, f64::min);
        search.finish(proof, pruned.min(open_min))
    }
}

impl BranchAndBound {
    /// Branches `node` on its pick (or re-evaluates it whole when it has none) and evaluates
    /// the children: at once, in parallel when a second thread is free.
    fn expand(
        &self,
        problem: &Problem<'_>,
        node: Branching,
        search: &Search<'_, '_>,
        deadline: Option<Instant>,
    ) -> Vec<Evaluation> {
        let bound = node.bound;
        let child = |masks: Masks, lambda: Vec<f64>| Node {
            masks,
            lambda,
            bound,
        };
        match node.pick {
            Some(j) => {
                let mut closed = node.masks.clone();
                closed.allowed[j] = false;
                let mut opened = node.masks;
                opened.fixed[j] = true;
                let (a, b) = (
                    child(closed, node.lambda.clone()),
                    child(opened, node.lambda),
                );
                let (ea, eb) = rayon::join(
                    || self.evaluate(problem, a, search, deadline),
                    || self.evaluate(problem, b, search, deadline),
                );
                vec![ea, eb]
            }
            None => vec![self.evaluate(problem, child(node.masks, node.lambda), search, deadline)],
        }
    }

    /// Evaluates `node` against the incumbent of `search` (read only, so that sibling
    /// evaluations may run at once).
    fn evaluate(
        &self,
        problem: &Problem<'_>,
        node: Node,
        search: &Search<'_, '_>,
        deadline: Option<Instant>,
    ) -> Evaluation {
        if node.masks.n_fixed() >= problem.p() {
            // Every open site is decided: the leaf's value is its objective.
            let leaf: Vec<usize> = (0..node.masks.fixed.len())
                .filter(|&j| node.masks.fixed[j])
                .collect();
            let outcome = if problem.is_feasible(&leaf) {
                Outcome::Leaf(leaf)
            } else {
                Outcome::Pruned(f64::INFINITY)
            };
            return Evaluation {
                offer: None,
                outcome,
            };
        }
        let lb = self.node.ascend_in(
            problem,
            &node.masks,
            node.lambda,
            search.best,
            search.target(),
            deadline,
        );
        let offer = lb.best_open.as_ref().map(|(open, _)| open.clone());
        let bound = lb.value.max(node.bound);
        if bound >= search.target() {
            return Evaluation {
                offer,
                outcome: Outcome::Pruned(bound),
            };
        }
        if lb.cut {
            // The deadline struck during (or before) the ascent: the node stays open with the
            // best bound known for it, undivided. The search stops at the next pop, and the
            // node's bound enters the final bound.
            return Evaluation {
                offer,
                outcome: Outcome::Unexplored(Branching {
                    masks: node.masks,
                    lambda: lb.lambda,
                    bound,
                    pick: None,
                }),
            };
        }
        let narrowed = self
            .node
            .fix_in(problem, &node.masks, &lb.lambda, search.best);
        if narrowed.0.pairs.iter().any(Vec::is_empty) {
            return Evaluation {
                offer,
                outcome: Outcome::Exhausted,
            };
        }
        let masks = node.masks.with(narrowed);
        // Branch on the undecided site of the inner solution that the ascent was least
        // sure of (its averaged y_j nearest ½; ties: lowest index); when every selected
        // site is decided, on the undecided site with the most negative ρ.
        let undecided = |j: &usize| masks.allowed[*j] && !masks.fixed[*j];
        let doubt = |j: usize| (lb.y_average[j] - 0.5).abs();
        let pick = lb
            .inner_open
            .iter()
            .copied()
            .filter(undecided)
            .min_by(|&a, &b| doubt(a).total_cmp(&doubt(b)).then(a.cmp(&b)))
            .or_else(|| {
                (0..masks.allowed.len())
                    .filter(undecided)
                    .min_by(|&a, &b| lb.rho[a].total_cmp(&lb.rho[b]).then(a.cmp(&b)))
            });
        Evaluation {
            offer,
            outcome: Outcome::Branch(Branching {
                masks,
                lambda: lb.lambda,
                bound,
                pick,
            }),
        }
    }

    /// Takes an evaluation into the search: its offer, then its subtree. Returns `false` when
    /// the node was left unexplored by the deadline (the search must stop).
    fn take(
        &self,
        evaluation: Evaluation,
        search: &mut Search<'_, '_>,
        stack: &mut Vec<Branching>,
        pruned: &mut f64,
        deadline: Option<Instant>,
    ) -> bool {
        if let Some(open) = &evaluation.offer {
            search.offer(open, deadline);
        }
        match evaluation.outcome {
            Outcome::Pruned(bound) => *pruned = pruned.min(bound),
            Outcome::Exhausted => *pruned = pruned.min(search.best),
            Outcome::Leaf(open) => {
                search.offer(&open, deadline);
                *pruned = pruned.min(search.problem.instance().objective(&open));
            }
            Outcome::Branch(branching) => stack.push(branching),
            Outcome::Unexplored(node) => {
                stack.push(node);
                return false;
            }
        }
        true
    }
}

/// The incumbent of a search.
struct Search<'p, 'a> {
    problem: &'p Problem<'a>,
    best_open: Vec<usize>,
    best: f64,
    gap_tolerance: f64,
}

impl Search<'_, '_> {
    /// The bound at which a node holds nothing worth finding.
    fn target(&self) -> f64 {
        proof_target(self.problem, self.best, self.gap_tolerance)
    }

    /// Takes `open` (feasible) when, polished by the swap local search, it beats the
    /// incumbent.
    fn offer(&mut self, open: &[usize], deadline: Option<Instant>) {
        let inst = self.problem.instance();
        if inst.objective(open) >= improvement_limit(self.problem, self.best) {
            return;
        }
        self.keep(polish(self.problem, open, usize::MAX, deadline));
    }

    /// Takes the feasible `open` when it beats the incumbent (ties: the smaller set).
    fn keep(&mut self, open: Vec<usize>) {
        let value = self.problem.instance().objective(&open);
        if value
            .total_cmp(&self.best)
            .then_with(|| open.cmp(&self.best_open))
            .is_lt()
        {
            self.best = value;
            self.best_open = open;
        }
    }

    /// Runs `polish` on the incumbent, with half the time left before `deadline`.
    fn improve(&mut self, polish: Polish, deadline: Option<Instant>) {
        let now = Instant::now();
        let by = deadline.map(|d| now + d.saturating_duration_since(now) / 2);
        let mut open = self.best_open.clone();
        let mut rng = Pcg64::seed_from_u64(polish.seed);
        polish.vns.improve(self.problem, &mut open, &mut rng, by);
        self.keep(open);
    }

    /// The proof with the incumbent and `bound` (raised to the trivial bound when a deadline
    /// left it lower, capped by the incumbent's objective).
    fn finish(self, mut proof: Proof, bound: f64) -> Proof {
        let trivial = self.problem.trivial_bound();
        proof.bound = bound.max(trivial).min(self.best);
        proof.root_bound = proof.root_bound.max(trivial);
        proof.open = self.best_open;
        proof.objective = self.best;
        proof
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::solve::testkit::{cycle, problem, scattered};
    use crate::solve::{Budget, Constraints, brute_force};

    /// The tree alone, the tree handing the reduced problem to microlp, and the tree after
    /// a VNS on its incumbent.
    fn every_way() -> [BranchAndBound; 3] {
        [
            BranchAndBound {
                reduced: None,
                polish: Some(Polish {
                    vns: Vns::default(),
                    seed: 5,
                }),
                ..BranchAndBound::default()
            },
            BranchAndBound {
                reduced: None,
                ..BranchAndBound::default()
            },
            BranchAndBound {
                reduced: Some(ReducedMip {
                    backend: crate::solve::MipBackend::Microlp,
                    max_pairs: usize::MAX,
                    eager_per_client: usize::MAX,
                    after_nodes: 0,
                    later_per_client: usize::MAX,
                }),
                ..BranchAndBound::default()
            },
        ]
    }

    #[test]
    fn closes_the_gap_of_a_fractional_relaxation() {
        let inst = cycle(7);
        let c = Constraints {
            p: 2,
            ..Default::default()
        };
        let pb = Problem::new(&inst, &c).unwrap();
        let exact = brute_force(&inst, &c).unwrap();
        for bb in every_way() {
            let proof = bb.solve(
                &pb,
                &[0, 1],
                inst.objective(&[0, 1]),
                0.0,
                None,
                &NoProgress,
            );
            assert!(proof.complete);
            assert_eq!(proof.objective, exact.objective);
            assert_eq!(proof.bound, exact.objective);
        }
    }

    #[test]
    fn a_deadline_inside_the_tree_leaves_a_valid_bound_and_no_panic() {
        // A weak root (three ascent steps) leaves a tree to search; long node ascents make
        // the deadline land inside node evaluations, before their first iteration included.
        let inst = scattered(40, 3);
        let pb = problem(&inst, 6);
        let bb = BranchAndBound {
            root: Lagrangian {
                max_iterations: 3,
                ..Lagrangian::default()
            },
            node: Lagrangian {
                max_iterations: 400,
                patience: 1000,
                min_step: 0.0,
                primal_every: 10,
                initial_step: 1.0,
            },
            max_nodes: usize::MAX,
            reduced: None,
            polish: None,
        };
        let start: Vec<usize> = (0..6).collect();
        let upper = inst.objective(&start);
        let full = bb.solve(&pb, &start, upper, 0.0, None, &NoProgress);
        assert!(full.complete);
        let exact = full.objective;
        let mut cut = 0;
        for micros in (0..3000).step_by(25) {
            let deadline = Instant::now() + std::time::Duration::from_micros(micros);
            let proof = bb.solve(&pb, &start, upper, 0.0, Some(deadline), &NoProgress);
            assert!(pb.is_feasible(&proof.open), "{micros} µs: {proof:?}");
            assert_eq!(proof.objective, inst.objective(&proof.open));
            assert!(proof.bound.is_finite(), "{micros} µs: {proof:?}");
            assert!(
                proof.bound <= exact + 1e-9,
                "{micros} µs: bound above the optimum"
            );
            if proof.complete {
                assert!((proof.objective - exact).abs() < 1e-9, "{micros} µs");
            } else {
                cut += 1;
            }
        }
        assert!(cut > 0, "no deadline landed before the proof closed");
    }

    #[test]
    fn a_better_incumbent_restarts_the_tree_and_the_optimum_is_still_proven() {
        // A weak root (three ascent steps) and a poor start leave the improvements to the
        // tree; every restart must keep the answer exact and the bound valid.
        let bb = BranchAndBound {
            root: Lagrangian {
                max_iterations: 3,
                ..Lagrangian::default()
            },
            reduced: None,
            ..BranchAndBound::default()
        };
        let mut restarted = 0;
        for seed in 0..12 {
            let inst = scattered(16, seed);
            let c = Constraints {
                p: 4,
                ..Default::default()
            };
            let pb = Problem::new(&inst, &c).unwrap();
            let exact = brute_force(&inst, &c).unwrap();
            let start = [0, 1, 2, 3];
            let proof = bb.solve(&pb, &start, inst.objective(&start), 0.0, None, &NoProgress);
            assert!(proof.complete, "seed {seed}");
            assert!(
                (proof.objective - exact.objective).abs() < 1e-9,
                "seed {seed}: {proof:?}"
            );
            assert!(
                proof.bound <= exact.objective + 1e-9
                    && proof.bound >= exact.objective * (1.0 - crate::solve::PROOF_GAP) - 1e-9,
                "seed {seed}: {proof:?}"
            );
            restarted += usize::from(proof.restarts > 0);
        }
        assert!(restarted > 0, "no seed restarted the tree");
    }

    #[test]
    fn finds_and_proves_the_optimum_under_constraints() {
        for seed in 0..10 {
            let inst = scattered(11, seed);
            let c = Constraints {
                p: 3,
                fixed_open: vec![4],
                forbidden: vec![0],
                budget: Some(Budget {
                    existing: vec![1, 2, 4],
                    max_closed: 1,
                }),
            };
            let pb = Problem::new(&inst, &c).unwrap();
            let exact = brute_force(&inst, &c).unwrap();
            let start = [1, 2, 4];
            for bb in every_way() {
                let proof = bb.solve(&pb, &start, inst.objective(&start), 0.0, None, &NoProgress);
                assert!(proof.complete, "seed {seed}");
                assert!(pb.is_feasible(&proof.open));
                assert!(
                    (proof.objective - exact.objective).abs() < 1e-9,
                    "seed {seed}"
                );
                assert!(proof.bound <= proof.objective + 1e-9);
            }
        }
    }
}
