//! The Lagrangian lower bound: relax the assignment constraints `Σ_j x_ij = 1` with
//! multipliers `λ_i` and maximise the dual by subgradient ascent (Cornuéjols, Fisher &
//! Nemhauser 1977; Beasley 1985 solved the OR-Library set this way).
//!
//! ```text
//! L(λ) = Σ_i λ_i + min { Σ_j ρ_j y_j : y feasible for p, fixed, forbidden, budget }
//! ρ_j  = Σ_i min(0, w_i c_ij − λ_i)
//! ```
//!
//! The inner problem picks the `p` cheapest `ρ_j` that the constraints allow, so `L(λ)` costs
//! one pass over, per client, the sites it ranks below `λ_i / w_i` (a prefix of
//! [`Problem::sites_by_cost`]) — far less than the whole matrix once the multipliers settle.
//! Its optimum equals the LP relaxation of the strong formulation (the inner problem has the
//! integrality property), which is integral on most practical instances: the ascent then
//! closes in on the optimum itself.
//!
//! Every inner solution is a feasible open set, so the ascent doubles as a primal heuristic
//! ([`LagrangianBound::best_open`]). At the best multipliers, **reduced-cost fixing** closes
//! every site whose forced opening would lift the bound above the incumbent, opens every site
//! whose closing would, and drops every client–site pair that cannot be part of a better
//! solution ([`Fixing`]): what remains for an exact method is a much smaller problem.
//!
//! When every weighted cost is an integer ([`Problem::is_integral`]) every objective is one,
//! so a bound `b` proves `⌈b⌉`; the bound reported is rounded up accordingly.
//!
//! The work per iteration runs in parallel over fixed blocks of clients whose partial sums
//! are added in block order, so the result does not depend on the thread count.

use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use super::Problem;

/// Clients per parallel block (fixed, so sums do not depend on the thread count).
const BLOCK: usize = 256;

/// Below this many blocks an iteration runs on the calling thread: handing a few hundred
/// microseconds of work to the thread pool costs more in wake-ups than it saves. The choice
/// depends on the instance only, never on the thread count.
const PARALLEL_MIN_BLOCKS: usize = 8;

/// Relative slack taken off a computed bound before it is used, covering the rounding of
/// `n_clients` floating-point additions.
pub const ROUNDING_SLACK: f64 = 1e-11;

/// Subgradient-ascent settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lagrangian {
    /// At most this many iterations.
    pub max_iterations: usize,
    /// Halve the step factor after this many iterations without a better bound.
    pub patience: usize,
    /// Stop when the step factor falls below this.
    pub min_step: f64,
    /// Evaluate the inner solution as a primal open set every this many iterations.
    pub primal_every: usize,
    /// The first step factor (Polyak's step `t = factor · (upper − L) / ‖g‖²`).
    pub initial_step: f64,
}

impl Default for Lagrangian {
    fn default() -> Self {
        Lagrangian {
            max_iterations: 5_000,
            patience: 40,
            min_step: 1e-4,
            primal_every: 5,
            initial_step: 2.0,
        }
    }
}

/// Sites and client–site pairs that reduced costs rule out of every solution better than
/// the incumbent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fixing {
    /// Sites that are closed in every better solution, ascending.
    pub closed: Vec<usize>,
    /// Sites that are open in every better solution, ascending.
    pub open: Vec<usize>,
    /// Per client, the sites that may still serve it in a better solution (allowed, not
    /// fixed closed), by increasing cost. Empty for a client that no better solution can
    /// serve — then no better solution exists.
    pub pairs: Vec<Vec<u32>>,
}

impl Fixing {
    /// Client–site pairs left.
    pub fn n_pairs(&self) -> usize {
        self.pairs.iter().map(Vec::len).sum()
    }
}

/// What the ascent reached.
#[derive(Debug, Clone, PartialEq)]
pub struct LagrangianBound {
    /// A valid lower bound on the optimum (rounded up when the instance is integral).
    pub value: f64,
    /// The best multipliers.
    pub lambda: Vec<f64>,
    /// Iterations run.
    pub iterations: usize,
    /// The best inner solution seen as an open set, with its objective.
    pub best_open: Option<(Vec<usize>, f64)>,
    /// Whether the deadline stopped the ascent.
    pub cut: bool,
    /// The inner solution at the best multipliers (sites ascending).
    pub inner_open: Vec<usize>,
    /// `ρ_j` at the best multipliers.
    pub rho: Vec<f64>,
    /// A moving average of the inner solutions `y_j` over the ascent: an estimate of the LP
    /// relaxation's `y` (fractional where the relaxation hesitates).
    pub y_average: Vec<f64>,
}

impl Lagrangian {
    /// Maximises `L(λ)` from multipliers set by `start` (an open set: `λ_i` = the weighted
    /// cost to the nearest site of `start`), stepping towards `upper` (an objective value
    /// reached by some feasible open set), until the bound proves `upper` within
    /// `gap_tolerance`, the step vanishes, the iteration limit, or `deadline`.
    pub fn ascend(
        &self,
        problem: &Problem<'_>,
        start: &[usize],
        upper: f64,
        gap_tolerance: f64,
        deadline: Option<Instant>,
    ) -> LagrangianBound {
        let lambda = start_multipliers(problem, start);
        let target = proof_target(problem, upper, gap_tolerance);
        self.ascend_in(
            problem,
            &Masks::of(problem),
            lambda,
            upper,
            target,
            deadline,
        )
    }

    /// The ascent under `masks`, from `lambda`, until the bound reaches `target`.
    pub(crate) fn ascend_in(
        &self,
        problem: &Problem<'_>,
        masks: &Masks,
        mut lambda: Vec<f64>,
        upper: f64,
        target: f64,
        deadline: Option<Instant>,
    ) -> LagrangianBound {
        let inst = problem.instance();
        let n = inst.n_clients;
        let mut best = LagrangianBound {
            value: f64::NEG_INFINITY,
            lambda: lambda.clone(),
            iterations: 0,
            best_open: None,
            cut: false,
            inner_open: Vec::new(),
            rho: Vec::new(),
            y_average: vec![0.0; inst.n_sites],
        };
        let mut step = self.initial_step;
        let mut idle = 0;
        let mut g = vec![0.0; n];
        let mut ws = Workspace::new(problem, masks);
        let mut last_primal = Vec::new();
        if ws.infeasible(problem) {
            best.value = f64::INFINITY;
            return best;
        }
        for it in 0..self.max_iterations {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                best.cut = true;
                break;
            }
            best.iterations = it + 1;
            let value = ws.evaluate(problem, &lambda);
            let norm = ws.subgradient(problem, &mut g);
            // Exponential moving average over the last ~20 iterations.
            let alpha = 1.0 / (it + 1).min(20) as f64;
            for (y, &sel) in best.y_average.iter_mut().zip(&ws.selected) {
                *y += alpha * (f64::from(u8::from(sel)) - *y);
            }
            if it % self.primal_every.max(1) == 0 {
                let open = ws.selected_sorted();
                // The inner solution often stays put for many iterations: price it once.
                if open != last_primal {
                    let objective = inst.objective(&open);
                    if best.best_open.as_ref().is_none_or(|(_, b)| objective < *b) {
                        best.best_open = Some((open.clone(), objective));
                    }
                    last_primal = open;
                }
            }
            if value > best.value {
                let gained = value - best.value;
                best.value = value;
                best.lambda.copy_from_slice(&lambda);
                best.inner_open = ws.selected_sorted();
                best.rho.clone_from(&ws.rho);
                if gained > 1e-9 * value.abs().max(1.0) {
                    idle = 0;
                }
            } else {
                idle += 1;
            }
            if self.patience > 0 && idle >= self.patience {
                step /= 2.0;
                idle = 0;
            }
            let reached = bound_value(problem, best.value);
            if reached >= target || norm == 0.0 || step < self.min_step {
                break;
            }
            let t = step * (upper - value).max(1e-9 * upper.abs().max(1.0)) / norm;
            for (l, &gi) in lambda.iter_mut().zip(&g) {
                *l = (*l + t * gi).max(0.0);
            }
        }
        best.value = bound_value(problem, best.value).min(upper);
        best
    }

    /// Reduced-cost fixing at the multipliers `lambda` against the objective `upper` reached
    /// by some feasible open set (see the [module docs](self)).
    pub fn fix(&self, problem: &Problem<'_>, lambda: &[f64], upper: f64) -> Fixing {
        self.fix_in(problem, &Masks::of(problem), lambda, upper).0
    }

    /// Reduced-cost fixing under `masks`; also returns the weighted costs of the pairs kept
    /// (in the layout of [`Fixing::pairs`]).
    pub(crate) fn fix_in(
        &self,
        problem: &Problem<'_>,
        masks: &Masks,
        lambda: &[f64],
        upper: f64,
    ) -> (Fixing, Vec<Vec<f64>>) {
        let inst = problem.instance();
        let m = inst.n_sites;
        let mut ws = Workspace::new(problem, masks);
        let value = ws.evaluate(problem, lambda);
        // A better solution must cost below `limit`.
        let limit = improvement_limit(problem, upper);
        // Inner problem with one site forced open or closed.
        let order = ws.sorted_sites();
        let base = ws.inner;
        let mut closed = Vec::new();
        let mut open = Vec::new();
        let mut open_penalty = vec![0.0; m];
        #[allow(clippy::needless_range_loop)] // `j` indexes four site tables
        for j in 0..m {
            if !masks.allowed[j] {
                continue;
            }
            if ws.selected[j] {
                if !masks.fixed[j] {
                    let without = select(problem, masks, &ws.rho, &order, Force::Closed(j)).1;
                    if value - base + without > limit {
                        open.push(j);
                    }
                }
            } else {
                let with = select(problem, masks, &ws.rho, &order, Force::Open(j)).1;
                open_penalty[j] = with - base;
                if value + open_penalty[j] > limit {
                    closed.push(j);
                }
            }
        }
        let mut is_closed: Vec<bool> = masks.allowed.iter().map(|a| !a).collect();
        for &j in &closed {
            is_closed[j] = true;
        }
        let mut pairs = Vec::with_capacity(inst.n_clients);
        let mut costs = Vec::with_capacity(inst.n_clients);
        for (i, &l) in lambda.iter().enumerate().take(inst.n_clients) {
            let w = inst.weight[i];
            let (mut kept, mut kept_costs) = (Vec::new(), Vec::new());
            let keep = |j: u32, c: f64| {
                let ju = j as usize;
                !is_closed[ju] && (w == 0.0 || value + open_penalty[ju] + (c - l).max(0.0) <= limit)
            };
            for (&j, &c) in masks.sites(problem, i).iter().zip(masks.costs(problem, i)) {
                if keep(j, c) {
                    kept.push(j);
                    kept_costs.push(c);
                }
            }
            // Sites after a shortened list: kept ones join it in (cost, index) order.
            let mut rest: Vec<(f64, u32)> = Vec::new();
            masks.beyond(problem, i, f64::INFINITY, |j, c| {
                if keep(j, c) {
                    rest.push((c, j));
                }
            });
            rest.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (c, j) in rest {
                kept.push(j);
                kept_costs.push(c);
            }
            pairs.push(kept);
            costs.push(kept_costs);
        }
        let fixing = Fixing {
            closed,
            open,
            pairs,
        };
        (fixing, costs)
    }
}

/// Which sites may open and which must, for one node of a search.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Masks {
    pub(crate) allowed: Vec<bool>,
    pub(crate) fixed: Vec<bool>,
    /// Per client, the sites that may serve it (by increasing cost), when reduced-cost
    /// fixing has narrowed them; otherwise every allowed site.
    pub(crate) pairs: Option<Arc<Vec<Vec<u32>>>>,
    /// The weighted costs of `pairs`, in the same layout.
    pub(crate) pair_costs: Option<Arc<Vec<Vec<f64>>>>,
}

impl Masks {
    /// The problem's own masks.
    pub(crate) fn of(problem: &Problem<'_>) -> Self {
        let m = problem.instance().n_sites;
        Masks {
            allowed: (0..m).map(|j| problem.is_allowed(j)).collect(),
            fixed: (0..m).map(|j| problem.is_fixed(j)).collect(),
            pairs: None,
            pair_costs: None,
        }
    }

    /// The sites that may serve client `i`, by increasing cost.
    #[inline]
    pub(crate) fn sites<'s>(&'s self, problem: &'s Problem<'_>, i: usize) -> &'s [u32] {
        match &self.pairs {
            Some(pairs) => &pairs[i],
            None => problem.sites_by_cost(i),
        }
    }

    /// The weighted costs from client `i` to [`sites`](Self::sites), in that (ascending)
    /// order.
    #[inline]
    pub(crate) fn costs<'s>(&'s self, problem: &'s Problem<'_>, i: usize) -> &'s [f64] {
        match &self.pair_costs {
            Some(costs) => &costs[i],
            None => problem.sorted_weighted_costs(i),
        }
    }

    /// Calls `f(j, w_i c_ij)` for every site `j` of client `i` after its
    /// [`sites`](Self::sites) list with `w_i c_ij < l` (none when the list is complete).
    #[inline]
    pub(crate) fn beyond(
        &self,
        problem: &Problem<'_>,
        i: usize,
        l: f64,
        mut f: impl FnMut(u32, f64),
    ) {
        if self.pairs.is_some() || problem.order_is_complete() {
            return;
        }
        let w = problem.instance().weight[i];
        for (j, c) in problem.sites_beyond(i) {
            let wc = w * c;
            if wc < l {
                f(j, wc);
            }
        }
    }

    /// Client–site pairs left by reduced-cost fixing (0 before any).
    pub(crate) fn n_pairs(&self) -> usize {
        self.pairs
            .as_ref()
            .map_or(0, |pairs| pairs.iter().map(Vec::len).sum())
    }

    /// Number of sites that must open.
    pub(crate) fn n_fixed(&self) -> usize {
        self.fixed.iter().filter(|&&f| f).count()
    }

    /// These masks with `fixing` applied; `costs` are the weighted costs of its pairs.
    pub(crate) fn with(&self, (fixing, costs): (Fixing, Vec<Vec<f64>>)) -> Masks {
        let mut next = self.clone();
        next.pair_costs = Some(Arc::new(costs));
        next.pairs = Some(Arc::new(fixing.pairs));
        for &j in &fixing.closed {
            next.allowed[j] = false;
        }
        for &j in &fixing.open {
            next.fixed[j] = true;
        }
        next
    }
}

/// How many of `costs` (ascending) are below `l`: a galloping search, since the prefix is
/// usually a handful of sites out of hundreds.
#[inline]
fn below(costs: &[f64], l: f64) -> usize {
    let negative = |c: f64| c < l;
    let mut hi = 1;
    while hi <= costs.len() && negative(costs[hi - 1]) {
        hi *= 2;
    }
    // Every entry before `lo` is negative; the answer lies in `lo..=min(hi - 1, len)`.
    let lo = hi / 2;
    let end = (hi - 1).min(costs.len());
    lo + costs[lo..end].partition_point(|&c| negative(c))
}

/// [`below`], searching from `hint` (a guess of the answer) outwards.
#[inline]
fn below_near(costs: &[f64], l: f64, hint: usize) -> usize {
    let h = hint.min(costs.len());
    if h > 0 && costs[h - 1] >= l {
        // The answer is below the hint.
        return below(&costs[..h - 1], l);
    }
    // Every entry before `h` is below `l`.
    h + below(&costs[h..], l)
}

/// `λ_i` = the weighted cost from client `i` to the nearest site of `start` (0 when empty).
pub(crate) fn start_multipliers(problem: &Problem<'_>, start: &[usize]) -> Vec<f64> {
    let inst = problem.instance();
    (0..inst.n_clients)
        .map(|i| {
            let row = &inst.cost[i * inst.n_sites..(i + 1) * inst.n_sites];
            let d1 = start.iter().map(|&j| row[j]).fold(f64::INFINITY, f64::min);
            if d1.is_finite() {
                inst.weight[i] * d1
            } else {
                0.0
            }
        })
        .collect()
}

/// The bound a computed dual value proves: less the rounding slack, rounded up when every
/// objective is an integer.
pub(crate) fn bound_value(problem: &Problem<'_>, value: f64) -> f64 {
    let safe = value - ROUNDING_SLACK * value.abs();
    if problem.is_integral() {
        (safe - 1e-6).ceil()
    } else {
        safe
    }
}

/// The bound that proves `upper` within `gap_tolerance`.
pub(crate) fn proof_target(problem: &Problem<'_>, upper: f64, gap_tolerance: f64) -> f64 {
    let tol = gap_tolerance.max(super::PROOF_GAP);
    if problem.is_integral() {
        upper
    } else {
        upper * (1.0 - tol)
    }
}

/// A solution is better than `upper` only if it costs at most this (integral instances: one
/// less; otherwise `upper` itself, less the rounding slack).
pub(crate) fn improvement_limit(problem: &Problem<'_>, upper: f64) -> f64 {
    if problem.is_integral() {
        upper - 1.0 + 1e-6
    } else {
        upper * (1.0 + ROUNDING_SLACK)
    }
}

/// A site forced into or out of the inner solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Force {
    None,
    Open(usize),
    Closed(usize),
}

/// The inner problem: the cheapest `p` sites by `rho` that meet fixed, forbidden and the
/// budget, with `force` applied; `order` is the allowed sites by `(rho, index)`.
///
/// Take the fixed (and forced) sites, then the cheapest existing sites until `|E| − C` are
/// open, then the cheapest of the rest. (Any set of `p` sites with at least `k` from `E` that
/// is cheapest contains the `k` cheapest of `E` among its choices: an exchange argument.)
/// Returns the selection mask and its `Σ rho`.
fn select(
    problem: &Problem<'_>,
    masks: &Masks,
    rho: &[f64],
    order: &[usize],
    force: Force,
) -> (Vec<bool>, f64) {
    let p = problem.p();
    let must_stay = problem.n_existing().saturating_sub(problem.max_closed());
    let mut chosen = vec![false; rho.len()];
    let (mut count, mut existing_open, mut sum) = (0, 0, 0.0);
    // Pass 0: fixed and forced sites; pass 1: existing sites up to `|E| − C`; pass 2: the rest.
    for pass in 0..3 {
        for &j in order {
            let done = match pass {
                0 => false,
                1 => existing_open >= must_stay || count >= p,
                _ => count >= p,
            };
            if done {
                break;
            }
            let wanted = match pass {
                0 => masks.fixed[j] || force == Force::Open(j),
                1 => problem.is_existing(j),
                _ => true,
            };
            if wanted && !chosen[j] && (pass == 0 || force != Force::Closed(j)) {
                chosen[j] = true;
                count += 1;
                existing_open += usize::from(problem.is_existing(j));
                sum += rho[j];
            }
        }
    }
    if count != p || existing_open < must_stay {
        // The forced choice leaves no feasible set.
        return (chosen, f64::INFINITY);
    }
    (chosen, sum)
}

/// Buffers of one evaluation of `L(λ)`.
struct Workspace {
    rho: Vec<f64>,
    selected: Vec<bool>,
    /// `Σ_{j selected} ρ_j`.
    inner: f64,
    /// Per client, how many sites of its list had a negative term `w_i c_ij − λ_i`.
    prefix: Vec<u32>,
    /// The multipliers of the last evaluation.
    lambda: Vec<f64>,
    /// The sites allowed by the masks.
    allowed: Vec<usize>,
    masks: Masks,
}

impl Workspace {
    fn new(problem: &Problem<'_>, masks: &Masks) -> Self {
        let m = problem.instance().n_sites;
        Workspace {
            rho: vec![0.0; m],
            selected: vec![false; m],
            inner: 0.0,
            prefix: Vec::new(),
            lambda: Vec::new(),
            allowed: (0..m).filter(|&j| masks.allowed[j]).collect(),
            masks: masks.clone(),
        }
    }

    /// Whether no open set meets the masks and the problem's constraints.
    fn infeasible(&self, problem: &Problem<'_>) -> bool {
        select(problem, &self.masks, &self.rho, &self.allowed, Force::None)
            .1
            .is_infinite()
    }

    /// The allowed sites by `(ρ, index)`.
    fn sorted_sites(&self) -> Vec<usize> {
        let mut order = self.allowed.clone();
        order.sort_unstable_by(|&a, &b| self.rho[a].total_cmp(&self.rho[b]).then(a.cmp(&b)));
        order
    }

    fn selected_sorted(&self) -> Vec<usize> {
        (0..self.selected.len())
            .filter(|&j| self.selected[j])
            .collect()
    }

    /// `L(λ)`, leaving `ρ` and the inner solution in the workspace.
    fn evaluate(&mut self, problem: &Problem<'_>, lambda: &[f64]) -> f64 {
        let inst = problem.instance();
        let (n, m) = (inst.n_clients, inst.n_sites);
        // Adds client `i`'s terms to `rho`; returns `λ_i` (0 for a client without weight)
        // and how many of its sites have a negative term (a prefix of its list).
        // `hint` is the prefix of the previous iteration: the multipliers move a little per
        // step, so the new prefix is usually the same or next to it.
        let add = |i: usize, l: f64, hint: u32, rho: &mut [f64]| -> (f64, u32) {
            let w = inst.weight[i];
            if w == 0.0 {
                return (0.0, 0);
            }
            let costs = self.masks.costs(problem, i);
            // `w c − l < 0` exactly when `w c < l` (a rounded difference keeps its sign).
            let k = below_near(costs, l, hint as usize);
            for (&j, &c) in self.masks.sites(problem, i)[..k].iter().zip(&costs[..k]) {
                rho[j as usize] += c - l;
            }
            let mut extra = 0;
            if k == costs.len() {
                self.masks.beyond(problem, i, l, |j, c| {
                    rho[j as usize] += c - l;
                    extra += 1;
                });
            }
            (l, (k + extra) as u32)
        };
        let mut rho = std::mem::take(&mut self.rho);
        let mut prefix = std::mem::take(&mut self.prefix);
        rho.iter_mut().for_each(|r| *r = 0.0);
        prefix.resize(n, 0);
        let mut lambdas = 0.0;
        if n.div_ceil(BLOCK) < PARALLEL_MIN_BLOCKS {
            for (i, (&l, k)) in lambda.iter().zip(prefix.iter_mut()).enumerate() {
                let (li, ki) = add(i, l, *k, &mut rho);
                lambdas += li;
                *k = ki;
            }
        } else {
            let partial: Vec<(Vec<f64>, f64)> = prefix
                .par_chunks_mut(BLOCK)
                .enumerate()
                .map(|(b, chunk)| {
                    let mut rho = vec![0.0; m];
                    let mut lambdas = 0.0;
                    for (k, ki) in chunk.iter_mut().enumerate() {
                        let i = b * BLOCK + k;
                        let (li, kk) = add(i, lambda[i], *ki, &mut rho);
                        lambdas += li;
                        *ki = kk;
                    }
                    (rho, lambdas)
                })
                .collect();
            for (part, l) in &partial {
                lambdas += l;
                for (a, b) in rho.iter_mut().zip(part) {
                    *a += b;
                }
            }
        }
        self.rho = rho;
        self.prefix = prefix;
        self.lambda.clear();
        self.lambda.extend_from_slice(&lambda[..n]);
        let order = self.sorted_sites();
        let (selected, inner) = select(problem, &self.masks, &self.rho, &order, Force::None);
        self.selected = selected;
        self.inner = inner;
        lambdas + inner
    }

    /// The subgradient `g_i = 1 − #{selected j : w_i c_ij < λ_i}` into `g` (at the `λ` of
    /// the last [`evaluate`](Self::evaluate)); returns `‖g‖²`.
    fn subgradient(&self, problem: &Problem<'_>, g: &mut [f64]) -> f64 {
        let inst = problem.instance();
        let selected = &self.selected;
        // `g_i` for client `i`: 1 − the selected sites among its negative terms.
        let gradient = |i: usize| -> f64 {
            if inst.weight[i] == 0.0 {
                return 0.0;
            }
            let k = self.prefix[i] as usize;
            let sites = self.masks.sites(problem, i);
            let mut served = sites[..k.min(sites.len())]
                .iter()
                .filter(|&&j| selected[j as usize])
                .count();
            if k > sites.len() {
                self.masks.beyond(problem, i, self.lambda[i], |j, _| {
                    served += usize::from(selected[j as usize]);
                });
            }
            1.0 - served as f64
        };
        let block = |(b, chunk): (usize, &mut [f64])| -> f64 {
            let mut norm = 0.0;
            for (k, gi) in chunk.iter_mut().enumerate() {
                *gi = gradient(b * BLOCK + k);
                norm += *gi * *gi;
            }
            norm
        };
        if g.len().div_ceil(BLOCK) < PARALLEL_MIN_BLOCKS {
            g.chunks_mut(BLOCK).enumerate().map(block).sum()
        } else {
            let norms: Vec<f64> = g.par_chunks_mut(BLOCK).enumerate().map(block).collect();
            norms.iter().sum()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::testkit::{cycle, problem, scattered, two_clusters};
    use crate::solve::{Budget, Constraints, brute_force};

    #[test]
    fn below_counts_the_leading_entries_under_the_limit() {
        let costs: Vec<f64> = (0..37).map(f64::from).collect();
        for len in 0..costs.len() {
            for l in [-1.0, 0.0, 0.5, 1.0, 3.0, 7.5, 16.0, 36.0, 100.0] {
                let slice = &costs[..len];
                let want = slice.iter().filter(|&&c| c < l).count();
                assert_eq!(below(slice, l), want, "len {len} l {l}");
            }
        }
    }

    #[test]
    fn below_near_agrees_with_below_for_every_hint() {
        let costs: Vec<f64> = (0..23).map(|c| f64::from(c / 2)).collect();
        for l in [-1.0, 0.0, 0.5, 1.0, 3.0, 7.5, 11.0, 50.0] {
            for hint in 0..30 {
                assert_eq!(
                    below_near(&costs, l, hint),
                    below(&costs, l),
                    "l {l} hint {hint}"
                );
            }
        }
    }

    #[test]
    fn proves_the_two_cluster_optimum() {
        let inst = two_clusters();
        let pb = problem(&inst, 2);
        let lb = Lagrangian::default().ascend(&pb, &[0, 2], 4.0, 0.0, None);
        assert_eq!(lb.value, 4.0, "{lb:?}");
    }

    #[test]
    fn stays_below_the_optimum_where_the_relaxation_is_fractional() {
        // The LP relaxation of p = 2 on a 5-cycle is fractional (optimum 3 = 1 + 1 + 1).
        let inst = cycle(5);
        let pb = problem(&inst, 2);
        let exact = brute_force(
            &inst,
            &Constraints {
                p: 2,
                ..Default::default()
            },
        )
        .unwrap();
        let lb = Lagrangian::default().ascend(&pb, &exact.open, exact.objective, 0.0, None);
        assert!(lb.value <= exact.objective, "{lb:?}");
    }

    #[test]
    fn bound_is_valid_and_fixing_keeps_the_optimum_under_constraints() {
        for seed in 0..12 {
            let inst = scattered(12, seed);
            let c = Constraints {
                p: 3,
                fixed_open: vec![5],
                forbidden: vec![0],
                budget: Some(Budget {
                    existing: vec![1, 2, 5],
                    max_closed: 1,
                }),
            };
            let pb = Problem::new(&inst, &c).unwrap();
            let exact = brute_force(&inst, &c).unwrap();
            // Start from a poor but feasible set so that there is something to prove.
            let lag = Lagrangian::default();
            let lb = lag.ascend(&pb, &[1, 2, 5], exact.objective * 1.2, 0.0, None);
            assert!(lb.value <= exact.objective + 1e-9, "seed {seed}: {lb:?}");
            // Fixing against a worse incumbent never rules out the optimum.
            let fixing = lag.fix(&pb, &lb.lambda, exact.objective * 1.2);
            for j in &exact.open {
                assert!(!fixing.closed.contains(j), "seed {seed}");
            }
            for j in &fixing.open {
                assert!(exact.open.contains(j), "seed {seed}");
            }
            for i in 0..inst.n_clients {
                let best = exact
                    .open
                    .iter()
                    .copied()
                    .min_by(|&a, &b| inst.cost(i, a).total_cmp(&inst.cost(i, b)).then(a.cmp(&b)))
                    .unwrap();
                assert!(
                    fixing.pairs[i].contains(&(best as u32)),
                    "seed {seed} client {i}"
                );
            }
            let (open, value) = lb.best_open.unwrap();
            assert!(pb.is_feasible(&open));
            assert_eq!(value, inst.objective(&open));
        }
    }
}
