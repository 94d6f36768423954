//! Instances and validated problems: the cost matrix and weights, checked once, and the
//! constraints turned into per-site masks with their feasibility proven up front.

use std::sync::OnceLock;

use crate::error::{Error, Result};

use super::{Constraints, Instance};

impl Instance {
    /// A checked instance: `cost` is row-major `n_clients × n_sites`, `weight` has one entry
    /// per client.
    ///
    /// # Errors
    /// [`Error::Parse`] when the lengths do not match the dimensions,
    /// [`Error::InvalidWeight`] when a cost or weight is NaN, infinite or negative.
    ///
    /// ```
    /// use cdnplan_core::solve::Instance;
    /// // Two clients, three sites.
    /// let inst = Instance::new(2, 3, vec![1.0, 5.0, 9.0, 7.0, 2.0, 9.0], vec![1.0, 2.0])?;
    /// assert_eq!(inst.objective(&[0, 1]), 1.0 + 2.0 * 2.0);
    /// assert!(Instance::new(1, 1, vec![f64::NAN], vec![1.0]).is_err());
    /// # Ok::<(), cdnplan_core::Error>(())
    /// ```
    pub fn new(n_clients: usize, n_sites: usize, cost: Vec<f64>, weight: Vec<f64>) -> Result<Self> {
        let inst = Instance {
            n_clients,
            n_sites,
            cost,
            weight,
        };
        inst.validate()?;
        Ok(inst)
    }

    /// Checks dimensions and values (the fields are public, so [`solve`](super::solve) calls
    /// this again).
    ///
    /// # Errors
    /// As [`Instance::new`].
    pub fn validate(&self) -> Result<()> {
        let cells = self.n_clients.checked_mul(self.n_sites);
        if cells != Some(self.cost.len()) || self.weight.len() != self.n_clients {
            return Err(Error::Parse {
                what: "p-median instance (cost must hold n_clients × n_sites values, weight n_clients)",
                value: format!(
                    "{} × {} with {} costs and {} weights",
                    self.n_clients,
                    self.n_sites,
                    self.cost.len(),
                    self.weight.len()
                ),
            });
        }
        if let Some((i, &w)) = self
            .weight
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(Error::InvalidWeight {
                what: "client weight",
                id: format!("client {i}"),
                value: w,
            });
        }
        if let Some((k, &c)) = self
            .cost
            .iter()
            .enumerate()
            .find(|(_, c)| !c.is_finite() || **c < 0.0)
        {
            return Err(Error::InvalidWeight {
                what: "cost",
                id: format!("client {}, site {}", k / self.n_sites, k % self.n_sites),
                value: c,
            });
        }
        Ok(())
    }

    /// Cost of serving client `i` from site `j`.
    #[inline]
    pub fn cost(&self, i: usize, j: usize) -> f64 {
        self.cost[i * self.n_sites + j]
    }

    /// The objective of an open set: `Σ_i weight_i · min_{j ∈ open} cost_ij`, summed in client
    /// order (the canonical value every [`Solution`](super::Solution) reports).
    /// An empty open set costs `+∞` when there are clients.
    pub fn objective(&self, open: &[usize]) -> f64 {
        (0..self.n_clients)
            .map(|i| {
                let row = &self.cost[i * self.n_sites..(i + 1) * self.n_sites];
                let best = open.iter().map(|&j| row[j]).fold(f64::INFINITY, f64::min);
                self.weight[i] * best
            })
            .sum()
    }

    /// Sum of the client weights.
    pub fn total_weight(&self) -> f64 {
        self.weight.iter().sum()
    }
}

/// A validated instance with its constraints as per-site masks.
///
/// Building one proves the constraints feasible: some open set satisfies `p`, fixed-open,
/// forbidden and the budget at once. Every solver works on a `Problem`.
#[derive(Debug, Clone)]
pub struct Problem<'a> {
    instance: &'a Instance,
    p: usize,
    allowed: Vec<bool>,
    fixed: Vec<bool>,
    existing: Vec<bool>,
    n_existing: usize,
    max_closed: usize,
    /// Site-major copies of the cost columns (`n_clients` each), made on first use: a
    /// solve reads the columns of the sites it opens, a small share of all of them.
    by_site: Vec<OnceLock<Box<[f64]>>>,
    /// Per client, its `n_nearest` nearest allowed sites by increasing cost (ties by index):
    /// `n_clients` rows of `n_nearest` entries, a prefix of the full order.
    order: Vec<u32>,
    /// The weighted costs in the same layout as `order` (`w_i · c_ij` for `j = order[i][k]`),
    /// for sequential scans.
    order_cost: Vec<f64>,
    /// Length of each row of `order` (the allowed sites when that is at most
    /// [`FULL_ORDER_PAIRS`] pairs in all).
    n_nearest: usize,
    n_allowed: usize,
    /// Every weighted cost `w_i · c_ij` is an integer, so every objective value is one.
    integral: bool,
}

impl<'a> Problem<'a> {
    /// Validates `instance` and `constraints`.
    ///
    /// # Errors
    /// [`Error::InvalidWeight`] / [`Error::Parse`] for a bad instance, [`Error::UnknownId`]
    /// for a site index out of range, [`Error::Contradiction`] when a site is both fixed and
    /// forbidden, [`Error::Infeasible`] naming the constraint that cannot hold.
    pub fn new(instance: &'a Instance, constraints: &Constraints) -> Result<Self> {
        Self::with_nearest(instance, constraints, None)
    }

    /// As [`new`](Self::new), with sorted lists of `nearest` sites (clamped to the allowed
    /// ones) instead of the size-based default: tests compare shortened lists with full ones.
    pub(crate) fn with_nearest(
        instance: &'a Instance,
        constraints: &Constraints,
        nearest: Option<usize>,
    ) -> Result<Self> {
        instance.validate()?;
        check_size(instance.n_clients, instance.n_sites)?;
        let m = instance.n_sites;
        let check = |what: &'static str, list: &[usize]| -> Result<()> {
            match list.iter().find(|&&j| j >= m) {
                Some(j) => Err(Error::UnknownId {
                    kind: what,
                    id: j.to_string(),
                    hint: format!(" (sites are 0..{m})"),
                }),
                None => Ok(()),
            }
        };
        check("fixed-open site index", &constraints.fixed_open)?;
        check("forbidden site index", &constraints.forbidden)?;
        let mut allowed = vec![true; m];
        for &j in &constraints.forbidden {
            allowed[j] = false;
        }
        let mut fixed = vec![false; m];
        for &j in &constraints.fixed_open {
            if !allowed[j] {
                return Err(Error::Contradiction(format!(
                    "site {j} is both fixed open and forbidden"
                )));
            }
            fixed[j] = true;
        }
        let mut existing = vec![false; m];
        let mut max_closed = usize::MAX;
        if let Some(b) = &constraints.budget {
            check("existing site index", &b.existing)?;
            for &j in &b.existing {
                existing[j] = true;
            }
            max_closed = b.max_closed;
        }
        let n_existing = existing.iter().filter(|&&e| e).count();
        let by_site = (0..m).map(|_| OnceLock::new()).collect();
        let n_allowed = allowed.iter().filter(|&&a| a).count();
        let n_nearest = match nearest {
            Some(k) => k.clamp(1, n_allowed.max(1)).min(n_allowed),
            None => nearest_len(instance.n_clients, n_allowed, constraints.p),
        };
        let (order, order_cost) = nearest_sites(instance, &allowed, n_nearest);
        let integral = instance.weight.iter().enumerate().all(|(i, &w)| {
            let row = &instance.cost[i * m..(i + 1) * m];
            w == 0.0 || row.iter().all(|&c| is_integer(w * c))
        });
        let problem = Problem {
            instance,
            p: constraints.p,
            allowed,
            fixed,
            existing,
            n_existing,
            max_closed,
            by_site,
            order,
            order_cost,
            n_nearest,
            n_allowed,
            integral,
        };
        problem.check_feasible()?;
        Ok(problem)
    }

    /// Proves that some open set meets every constraint, or names the one that cannot hold.
    ///
    /// With `E` the existing sites, `F` the fixed ones, `C` the budget: the number `e` of open
    /// existing sites must satisfy
    /// `max(|E| − C, |F ∩ E|, p − |allowed \ E|) ≤ e ≤ min(|allowed ∩ E|, p − |F \ E|)`.
    fn check_feasible(&self) -> Result<()> {
        let p = self.p;
        let m = self.instance.n_sites;
        let n_allowed = self.allowed.iter().filter(|&&a| a).count();
        let n_fixed = self.fixed.iter().filter(|&&f| f).count();
        let count = |f: &dyn Fn(usize) -> bool| (0..m).filter(|&j| f(j)).count();
        let e_allowed = count(&|j| self.existing[j] && self.allowed[j]);
        let n_allowed_new = n_allowed - e_allowed;
        let fixed_existing = count(&|j| self.existing[j] && self.fixed[j]);
        let fixed_new = n_fixed - fixed_existing;
        let forbidden_existing = self.n_existing - e_allowed;
        if p == 0 && self.instance.n_clients > 0 {
            return Err(Error::Infeasible(
                "p = 0: at least one site must be open to serve the clients".into(),
            ));
        }
        if n_fixed > p {
            return Err(Error::Infeasible(format!(
                "p = {p} but {n_fixed} sites are fixed open"
            )));
        }
        if n_allowed < p {
            return Err(Error::Infeasible(format!(
                "p = {p} but only {n_allowed} sites are allowed ({m} sites, {} forbidden)",
                m - n_allowed
            )));
        }
        if self.n_existing > 0 || self.max_closed != usize::MAX {
            let c = self.max_closed;
            if forbidden_existing > c {
                return Err(Error::Infeasible(format!(
                    "{forbidden_existing} existing sites are forbidden and must close, \
                     but the budget allows at most {c} to close"
                )));
            }
            let must_stay = self.n_existing.saturating_sub(c);
            if must_stay + fixed_new > p {
                return Err(Error::Infeasible(format!(
                    "p = {p} but at least {must_stay} of the {} existing sites must stay open \
                     (at most {c} may close){}",
                    self.n_existing,
                    if fixed_new > 0 {
                        format!(" and {fixed_new} other sites are fixed open")
                    } else {
                        String::new()
                    }
                )));
            }
            let lo = must_stay
                .max(fixed_existing)
                .max(p.saturating_sub(n_allowed_new));
            let hi = e_allowed.min(p - fixed_new);
            if lo > hi {
                return Err(Error::Infeasible(format!(
                    "p = {p} with {n_fixed} fixed open sites, {} existing sites of which at \
                     most {c} may close, and {n_allowed_new} allowed new sites: no open set \
                     meets all of these",
                    self.n_existing
                )));
            }
        }
        Ok(())
    }

    /// The instance.
    pub fn instance(&self) -> &'a Instance {
        self.instance
    }

    /// Number of sites to open.
    pub fn p(&self) -> usize {
        self.p
    }

    /// Whether site `j` may be open.
    #[inline]
    pub fn is_allowed(&self, j: usize) -> bool {
        self.allowed[j]
    }

    /// Whether site `j` must be open.
    #[inline]
    pub fn is_fixed(&self, j: usize) -> bool {
        self.fixed[j]
    }

    /// Whether site `j` is open today (under the relocation budget).
    #[inline]
    pub fn is_existing(&self, j: usize) -> bool {
        self.existing[j]
    }

    /// Number of existing sites.
    pub fn n_existing(&self) -> usize {
        self.n_existing
    }

    /// At most this many existing sites may close (`usize::MAX` without a budget).
    pub fn max_closed(&self) -> usize {
        self.max_closed
    }

    /// The fixed-open sites, ascending.
    pub fn fixed_sites(&self) -> Vec<usize> {
        (0..self.instance.n_sites)
            .filter(|&j| self.fixed[j])
            .collect()
    }

    /// The allowed sites, ascending.
    pub fn allowed_sites(&self) -> Vec<usize> {
        (0..self.instance.n_sites)
            .filter(|&j| self.allowed[j])
            .collect()
    }

    /// Costs of every client from site `j` (a contiguous column of the matrix, copied out
    /// of the row-major matrix on first use).
    #[inline]
    pub fn site_costs(&self, j: usize) -> &[f64] {
        self.by_site[j].get_or_init(|| {
            let (n, m) = (self.instance.n_clients, self.instance.n_sites);
            (0..n).map(|i| self.instance.cost[i * m + j]).collect()
        })
    }

    /// The [`n_nearest`](Self::n_nearest) nearest allowed sites of client `i`, by increasing
    /// cost (ties by site index): a prefix of the order of every allowed site. The allowed
    /// sites after it are [`sites_beyond`](Self::sites_beyond).
    #[inline]
    pub fn sites_by_cost(&self, i: usize) -> &[u32] {
        &self.order[i * self.n_nearest..(i + 1) * self.n_nearest]
    }

    /// The weighted costs `w_i · c_ij` from client `i` to
    /// [`sites_by_cost(i)`](Self::sites_by_cost), in that (ascending) order.
    #[inline]
    pub fn sorted_weighted_costs(&self, i: usize) -> &[f64] {
        &self.order_cost[i * self.n_nearest..(i + 1) * self.n_nearest]
    }

    /// Length of every [`sites_by_cost`](Self::sites_by_cost) list: all allowed sites on
    /// instances up to [`FULL_ORDER_PAIRS`] pairs, else a few times `n_allowed / p`.
    pub fn n_nearest(&self) -> usize {
        self.n_nearest
    }

    /// Whether [`sites_by_cost`](Self::sites_by_cost) lists every allowed site.
    #[inline]
    pub fn order_is_complete(&self) -> bool {
        self.n_nearest == self.n_allowed
    }

    /// The allowed sites of client `i` after its [`sites_by_cost`](Self::sites_by_cost)
    /// prefix, as `(site, cost c_ij)` in site order (not by cost); empty when the order is
    /// complete. A scan of the client's row of the matrix.
    pub fn sites_beyond(&self, i: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        let m = self.instance.n_sites;
        let row = &self.instance.cost[i * m..(i + 1) * m];
        // The last entry of the prefix: every site after it ranks above it by (cost, index).
        let last = match (self.order_is_complete(), self.sites_by_cost(i).last()) {
            (false, Some(&j)) => Some((row[j as usize], j)),
            (false, None) => Some((f64::NEG_INFINITY, 0)),
            (true, _) => None,
        };
        let (lc, lj) = last.unwrap_or((f64::INFINITY, u32::MAX));
        let rows = if last.is_some() { row } else { &row[..0] };
        rows.iter()
            .enumerate()
            .filter(move |&(j, &c)| self.allowed[j] && (c > lc || (c == lc && j as u32 > lj)))
            .map(|(j, &c)| (j as u32, c))
    }

    /// Number of allowed sites.
    pub fn n_allowed(&self) -> usize {
        self.n_allowed
    }

    /// Whether every weighted cost `w_i · c_ij` is an integer (below 2⁵³), so that every
    /// objective value is one and a lower bound `b` proves `⌈b⌉`.
    pub fn is_integral(&self) -> bool {
        self.integral
    }

    /// How many existing sites an open set closes.
    pub fn closed_count(&self, open: &[usize]) -> usize {
        self.n_existing - open.iter().filter(|&&j| self.existing[j]).count()
    }

    /// Whether `open` (sorted, no duplicates) meets every constraint.
    pub fn is_feasible(&self, open: &[usize]) -> bool {
        let m = self.instance.n_sites;
        open.len() == self.p
            && open.windows(2).all(|w| w[0] < w[1])
            && open.iter().all(|&j| j < m && self.allowed[j])
            && (0..m).all(|j| !self.fixed[j] || open.binary_search(&j).is_ok())
            && self.closed_count(open) <= self.max_closed
    }

    /// The trivially valid lower bound `Σ_i w_i · min_{allowed j} c_ij`.
    pub fn trivial_bound(&self) -> f64 {
        (0..self.instance.n_clients)
            .map(|i| match self.sorted_weighted_costs(i).first() {
                Some(&c) => c,
                None => self.instance.weight[i] * f64::INFINITY,
            })
            .sum()
    }
}

/// Instances up to this many client × allowed-site pairs keep every allowed site in each
/// client's sorted list; larger ones keep the nearest few (see [`Problem::n_nearest`]).
pub const FULL_ORDER_PAIRS: usize = 4_000_000;

/// The length of the sorted lists: every allowed site up to [`FULL_ORDER_PAIRS`] pairs,
/// else `max(64, 4 · n_allowed / p)` (what a client's median and the Lagrangian prefix
/// usually need), at most `n_allowed`.
fn nearest_len(n_clients: usize, n_allowed: usize, p: usize) -> usize {
    if n_clients.saturating_mul(n_allowed) <= FULL_ORDER_PAIRS {
        return n_allowed;
    }
    (4 * n_allowed / p.max(1)).max(64).min(n_allowed)
}

/// Bytes a solve holds per client × site pair at most: the cost matrix (8), site-major
/// copies of the columns it reads (up to 8), the sorted site lists (4) and their weighted
/// costs (8) (on large instances the lists hold only the nearest sites).
pub const BYTES_PER_PAIR: usize = 28;

/// Refuses instances above [`MAX_PAIRS`](super::MAX_PAIRS) client × site pairs, naming the
/// memory they would take.
///
/// # Errors
/// [`Error::TooLarge`] with the pairs and the gigabytes needed.
pub fn check_size(n_clients: usize, n_sites: usize) -> Result<()> {
    let pairs = n_clients.checked_mul(n_sites);
    if pairs.is_some_and(|p| p <= super::MAX_PAIRS) {
        return Ok(());
    }
    let gb = n_clients as f64 * n_sites as f64 * BYTES_PER_PAIR as f64 / 1e9;
    Err(Error::TooLarge {
        method: "a solve",
        detail: format!(
            "{n_clients} clients × {n_sites} sites would need about {gb:.0} GB \
             ({BYTES_PER_PAIR} bytes a pair; at most {} pairs, about {:.0} GB)",
            super::MAX_PAIRS,
            super::MAX_PAIRS as f64 * BYTES_PER_PAIR as f64 / 1e9
        ),
    })
}

/// Whether `x` is an integer small enough that sums of such values stay exact.
fn is_integer(x: f64) -> bool {
    x.fract() == 0.0 && x.abs() < 2f64.powi(53)
}

/// Per client, the `k` nearest allowed sites sorted by `(cost, index)` and their weighted
/// costs, built in parallel by partial selection (each row is independent, so the result
/// does not depend on the thread count).
fn nearest_sites(instance: &Instance, allowed: &[bool], k: usize) -> (Vec<u32>, Vec<f64>) {
    use rayon::prelude::*;
    let m = instance.n_sites;
    let n = instance.n_clients;
    let mut order = vec![0u32; n * k];
    let mut order_cost = vec![0.0; n * k];
    if k == 0 {
        return (order, order_cost);
    }
    order
        .par_chunks_mut(k)
        .zip(order_cost.par_chunks_mut(k))
        .enumerate()
        .for_each_init(Vec::new, |row_sites, (i, (row, row_cost))| {
            let costs = &instance.cost[i * m..(i + 1) * m];
            let by = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
            row_sites.clear();
            row_sites.extend(
                costs
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| allowed[j])
                    .map(|(j, &c)| (c, j as u32)),
            );
            if k < row_sites.len() {
                row_sites.select_nth_unstable_by(k - 1, by);
                row_sites.truncate(k);
            }
            row_sites.sort_unstable_by(by);
            let w = instance.weight[i];
            for ((slot, cost), &(c, j)) in row.iter_mut().zip(row_cost.iter_mut()).zip(&*row_sites)
            {
                *slot = j;
                *cost = w * c;
            }
        });
    (order, order_cost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::Budget;
    use crate::solve::testkit::line;

    fn err(inst: &Instance, c: Constraints) -> Error {
        Problem::new(inst, &c).unwrap_err()
    }

    #[test]
    fn objective_sums_nearest_open_costs() {
        let inst = line(5);
        assert_eq!(inst.objective(&[0, 4]), 0.0 + 1.0 + 2.0 + 1.0 + 0.0);
        assert_eq!(inst.objective(&[]), f64::INFINITY);
    }

    #[test]
    fn rejects_bad_shapes_and_values() {
        assert!(matches!(
            Instance::new(2, 2, vec![0.0; 3], vec![1.0; 2]),
            Err(Error::Parse { .. })
        ));
        assert!(matches!(
            Instance::new(1, 1, vec![-1.0], vec![1.0]),
            Err(Error::InvalidWeight { what: "cost", .. })
        ));
        assert!(matches!(
            Instance::new(1, 1, vec![1.0], vec![f64::NAN]),
            Err(Error::InvalidWeight {
                what: "client weight",
                ..
            })
        ));
    }

    #[test]
    fn too_many_fixed_is_infeasible_and_named() {
        let inst = line(6);
        let e = err(
            &inst,
            Constraints {
                p: 3,
                fixed_open: vec![0, 1, 2, 3],
                ..Default::default()
            },
        );
        assert!(
            e.to_string().contains("p = 3 but 4 sites are fixed open"),
            "{e}"
        );
    }

    #[test]
    fn too_few_allowed_is_infeasible() {
        let inst = line(4);
        let e = err(
            &inst,
            Constraints {
                p: 3,
                forbidden: vec![0, 1],
                ..Default::default()
            },
        );
        assert!(e.to_string().contains("only 2 sites are allowed"), "{e}");
    }

    #[test]
    fn fixed_and_forbidden_is_a_contradiction() {
        let inst = line(4);
        let e = err(
            &inst,
            Constraints {
                p: 2,
                fixed_open: vec![1],
                forbidden: vec![1],
                ..Default::default()
            },
        );
        assert!(matches!(e, Error::Contradiction(_)));
    }

    #[test]
    fn budget_contradictions_are_infeasible() {
        let inst = line(6);
        // Three existing sites are forbidden but only one may close.
        let e = err(
            &inst,
            Constraints {
                p: 3,
                forbidden: vec![0, 1, 2],
                budget: Some(Budget {
                    existing: vec![0, 1, 2],
                    max_closed: 1,
                }),
                ..Default::default()
            },
        );
        assert!(
            matches!(e, Error::Infeasible(ref m) if m.contains("must close")),
            "{e}"
        );
        // p = 1 but four existing sites, at most one may close.
        let e = err(
            &inst,
            Constraints {
                p: 1,
                budget: Some(Budget {
                    existing: vec![0, 1, 2, 3],
                    max_closed: 1,
                }),
                ..Default::default()
            },
        );
        assert!(
            matches!(e, Error::Infeasible(ref m) if m.contains("must stay open")),
            "{e}"
        );
    }

    #[test]
    fn out_of_range_index_is_unknown() {
        let inst = line(3);
        let e = err(
            &inst,
            Constraints {
                p: 1,
                forbidden: vec![7],
                ..Default::default()
            },
        );
        assert!(matches!(e, Error::UnknownId { .. }));
    }

    #[test]
    fn feasibility_check_matches_constraints() {
        let inst = line(5);
        let c = Constraints {
            p: 2,
            fixed_open: vec![0],
            forbidden: vec![4],
            budget: Some(Budget {
                existing: vec![0, 1],
                max_closed: 0,
            }),
        };
        let pb = Problem::new(&inst, &c).unwrap();
        assert!(pb.is_feasible(&[0, 1]));
        assert!(!pb.is_feasible(&[0, 2])); // closes existing site 1
        assert!(!pb.is_feasible(&[1, 2])); // fixed 0 missing
        assert_eq!(pb.trivial_bound(), 0.0 + 0.0 + 0.0 + 0.0 + 1.0);
    }
}
