//! Multistart greedy + swap + VNS, deterministic at any thread count.
//!
//! Start 0 is the pure greedy; start `s > 0` is a randomised greedy seeded with
//! `seed.wrapping_add(s)`. Every start descends with [`FastSwap`]; then [`Vns`] runs from
//! the two best distinct local optima. Starts run in parallel on
//! rayon's pool and the answer is the minimum by `(objective.total_cmp, open set
//! lexicographically)`, so the thread count never changes it (unless the wall-clock safety
//! stop cuts a start short, or leaves out the starts that would begin after it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rand::SeedableRng;
use rand_pcg::Pcg64;
use rayon::prelude::*;

use super::swap::SwapState;
use super::{FastSwap, Greedy, Problem, Vns};
use crate::progress::Progress;

/// Size of the restricted candidate list for randomised starts.
const RCL: usize = 3;

/// VNS runs from this many of the best distinct local optima.
const VNS_RUNS: usize = 2;

/// Mixed into a start's seed for its VNS run.
const VNS_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// The result of one multistart run.
#[derive(Debug, Clone, PartialEq)]
pub struct Incumbent {
    /// Open sites, sorted.
    pub open: Vec<usize>,
    /// Their objective ([`Instance::objective`](super::Instance::objective)).
    pub objective: f64,
    /// Whether no start was cut short by the deadline.
    pub complete: bool,
}

/// Multistart greedy + swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Multistart {
    /// Number of starts (at least 1).
    pub starts: usize,
    /// Seed of start 0; start `s` uses `seed.wrapping_add(s)`.
    pub seed: u64,
    /// Local search of each start.
    pub swap: FastSwap,
    /// VNS after the descent (`rounds = 0`: none).
    pub vns: Vns,
}

impl Multistart {
    /// Runs every start and returns the best (see the module docs for the order).
    pub fn run(
        &self,
        problem: &Problem<'_>,
        deadline: Option<Instant>,
        progress: &dyn Progress,
    ) -> Incumbent {
        let starts = self.starts.max(1);
        progress.begin("greedy+swap+vns", Some(starts as u64 + VNS_RUNS as u64));
        let cut = AtomicBool::new(false);
        let expired = || deadline.is_some_and(|d| Instant::now() >= d);
        // Phase 1: every start builds and descends. Start 0 always runs (an answer is
        // needed); a later start that would begin after the deadline is left out, since on a
        // large instance its construction alone takes seconds.
        let mut descended: Vec<(f64, Vec<usize>, usize)> = (0..starts)
            .into_par_iter()
            .filter_map(|s| {
                if s > 0 && expired() {
                    cut.store(true, Ordering::Relaxed);
                    progress.advance(1);
                    return None;
                }
                let mut rng = Pcg64::seed_from_u64(self.seed.wrapping_add(s as u64));
                let greedy = if s == 0 {
                    Greedy::PURE
                } else {
                    Greedy { rcl: RCL }
                };
                // Start 0 always completes (a hurried greedy clusters its sites: far worse
                // answers); a later start cut short by the deadline is dropped.
                let by = if s == 0 { None } else { deadline };
                let (open, whole) = greedy.construct_by(problem, &mut rng, by);
                if !whole {
                    cut.store(true, Ordering::Relaxed);
                    progress.advance(1);
                    return None;
                }
                let mut state = SwapState::new(problem, &open);
                let stats = state.descend(problem, self.swap.max_swaps, deadline);
                if !stats.local_optimum && expired() {
                    cut.store(true, Ordering::Relaxed);
                }
                let open = state.open_sorted();
                progress.advance(1);
                Some((problem.instance().objective(&open), open, s))
            })
            .collect();
        // Phase 2: VNS from the best distinct local optima (each with its start's seed).
        descended.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        descended.dedup_by(|a, b| a.1 == b.1);
        let leaders = VNS_RUNS.min(descended.len());
        let improved: Vec<(f64, Vec<usize>)> = descended[..leaders]
            .par_iter()
            .map(|(objective, open, s)| {
                if self.vns.rounds == 0 || expired() {
                    progress.advance(1);
                    return (*objective, open.clone());
                }
                let seed = self.seed.wrapping_add(*s as u64) ^ VNS_SEED;
                let mut rng = Pcg64::seed_from_u64(seed);
                let mut state = SwapState::new(problem, open);
                if self.vns.run(problem, &mut state, &mut rng, deadline).cut {
                    cut.store(true, Ordering::Relaxed);
                }
                let open = state.open_sorted();
                progress.advance(1);
                (problem.instance().objective(&open), open)
            })
            .collect();
        progress.end();
        let (objective, open) = improved
            .into_iter()
            .chain(descended.into_iter().map(|(o, open, _)| (o, open)))
            .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
            .unwrap_or_default();
        Incumbent {
            open,
            objective,
            complete: !cut.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::solve::testkit::{problem, scattered};

    #[test]
    fn same_answer_on_one_and_two_threads() {
        let inst = scattered(60, 7);
        let pb = problem(&inst, 6);
        let ms = Multistart {
            starts: 6,
            seed: 11,
            swap: FastSwap { max_swaps: 1000 },
            vns: Vns::default(),
        };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| ms.run(&pb, None, &NoProgress))
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert!(one.complete);
        assert!(pb.is_feasible(&one.open));
    }

    #[test]
    fn more_starts_never_hurt() {
        let inst = scattered(50, 3);
        let pb = problem(&inst, 8);
        let swap = FastSwap { max_swaps: 1000 };
        let one = Multistart {
            starts: 1,
            seed: 0,
            swap,
            vns: Vns {
                rounds: 0,
                ..Vns::default()
            },
        }
        .run(&pb, None, &NoProgress);
        let many = Multistart {
            starts: 8,
            seed: 0,
            swap,
            vns: Vns {
                rounds: 0,
                ..Vns::default()
            },
        }
        .run(&pb, None, &NoProgress);
        assert!(many.objective <= one.objective);
    }
}
