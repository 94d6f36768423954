//! The redundancy model reduced to what decides it.
//!
//! Only whether a site is within T of a client matters, so the model is a multi-cover
//! problem on 0/1 columns, and three reductions shrink it without changing any optimum:
//!
//! - **Fixed sites** are open in every layout: each client's need falls by the fixed sites
//!   within its reach, and a client they already cover `k` times drops out.
//! - **Rows**: clients with the same need and the same free sites within reach merge into one
//!   row carrying their summed weight; a client that cannot reach its need even with every
//!   free site it sees (or more than the sites left to open) is uncovered in every layout and
//!   becomes a constant.
//! - **Columns**: free sites covering the same rows and of the same kind (existing today, or
//!   not, under a relocation budget) merge into one group; a layout is then how many of each
//!   group open. For this objective twins are two servers, not one, so a group keeps its
//!   multiplicity.

use rustc_hash::FxHashMap;

use crate::solve::Problem;

/// A merged row: clients with the same need and the same free sites within reach.
#[derive(Debug, Clone)]
pub(super) struct Row {
    /// The summed demand weight.
    pub weight: f64,
    /// How many more open sites within reach the row needs (1 ≤ need ≤ k).
    pub need: u32,
}

/// Free sites of one kind that cover the same rows.
#[derive(Debug, Clone)]
pub(super) struct Group {
    /// The sites, ascending.
    pub members: Vec<usize>,
    /// Whether they are existing sites under the relocation budget.
    pub existing: bool,
    /// The rows they cover, ascending.
    pub rows: Vec<u32>,
}

/// The reduced model: `constant + Σ_r weight_r · [Σ_{g ∋ r} x_g < need_r]`, minimised over
/// integers `0 ≤ x_g ≤ |members_g|` with `Σ_g x_g = open_left` and
/// `Σ_{g existing} x_g ≥ existing_left`.
#[derive(Debug, Clone)]
pub(super) struct Reduced {
    pub rows: Vec<Row>,
    pub groups: Vec<Group>,
    /// The weight uncovered in every layout.
    pub constant: f64,
    /// The fixed-open sites, ascending.
    pub fixed: Vec<usize>,
    /// Sites to open beyond the fixed ones.
    pub open_left: usize,
    /// Existing sites that must stay open beyond the fixed existing ones.
    pub existing_left: usize,
}

impl Reduced {
    /// Builds the reduced model of `problem` for "k open sites within reach", where
    /// `within[i]` lists the allowed sites within reach of client `i`.
    pub fn new(problem: &Problem<'_>, within: &[Vec<usize>], k: usize) -> Reduced {
        let inst = problem.instance();
        let fixed = problem.fixed_sites();
        let free: Vec<usize> = problem
            .allowed_sites()
            .into_iter()
            .filter(|&j| !problem.is_fixed(j))
            .collect();
        let open_left = problem.p().saturating_sub(fixed.len());
        let fixed_existing = fixed.iter().filter(|&&j| problem.is_existing(j)).count();
        let must_stay = problem.n_existing().saturating_sub(problem.max_closed());
        let existing_left = must_stay.saturating_sub(fixed_existing);

        let mut rows: Vec<Row> = Vec::new();
        let mut row_sites: Vec<Vec<usize>> = Vec::new();
        let mut row_of: FxHashMap<(u32, Vec<usize>), usize> = FxHashMap::default();
        let mut constant = 0.0;
        for (&w, reach_all) in inst.weight.iter().zip(within) {
            if w == 0.0 {
                continue;
            }
            let covered_by_fixed = reach_all.iter().filter(|&&j| problem.is_fixed(j)).count();
            if covered_by_fixed >= k {
                continue;
            }
            let need = k - covered_by_fixed;
            let reach: Vec<usize> = reach_all
                .iter()
                .copied()
                .filter(|&j| !problem.is_fixed(j))
                .collect();
            if reach.len() < need || open_left < need {
                constant += w;
                continue;
            }
            let key = (need as u32, reach);
            match row_of.get(&key) {
                Some(&r) => rows[r].weight += w,
                None => {
                    row_of.insert(key.clone(), rows.len());
                    rows.push(Row {
                        weight: w,
                        need: key.0,
                    });
                    row_sites.push(key.1);
                }
            }
        }

        // Each free site's column: the rows it covers.
        let mut column: Vec<Vec<u32>> = vec![Vec::new(); inst.n_sites];
        for (r, sites) in row_sites.iter().enumerate() {
            for &j in sites {
                column[j].push(r as u32);
            }
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of: FxHashMap<(bool, Vec<u32>), usize> = FxHashMap::default();
        for &j in &free {
            let existing = problem.is_existing(j);
            let key = (existing, std::mem::take(&mut column[j]));
            match group_of.get(&key) {
                Some(&g) => groups[g].members.push(j),
                None => {
                    group_of.insert(key.clone(), groups.len());
                    groups.push(Group {
                        members: vec![j],
                        existing,
                        rows: key.1,
                    });
                }
            }
        }
        Reduced {
            rows,
            groups,
            constant,
            fixed,
            open_left,
            existing_left,
        }
    }

    /// The open set of a layout: the fixed sites and, from each group, its first `x_g`
    /// members.
    pub fn open_set(&self, counts: &[usize]) -> Vec<usize> {
        let mut open = self.fixed.clone();
        for (g, &x) in self.groups.iter().zip(counts) {
            open.extend_from_slice(&g.members[..x]);
        }
        open.sort_unstable();
        open
    }
}
