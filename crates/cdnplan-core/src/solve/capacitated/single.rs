//! Single-source assignment for a fixed open set: a generalised assignment problem
//!
//! ```text
//! minimise   Σ_i w_i · c_{i, a(i)}
//! subject to Σ_{i : a(i) = j} d_i ≤ Q_j     for every open site j
//! ```
//!
//! solved heuristically: the regret greedy of Martello & Toth (1981) (the client that would
//! lose most by missing its best feasible site goes first), with a decreasing-demand best fit
//! as a fallback, then shift and swap descent until no move improves.

use super::super::Instance;

/// A single-source assignment of one open set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Single {
    /// Objective `Σ w_i c_{i, a(i)}`.
    pub cost: f64,
    /// Site of every client.
    pub site: Vec<usize>,
}

/// Whether `d` fits in `residual` (with a relative tolerance of the site's capacity).
#[inline]
pub(crate) fn fits(d: f64, residual: f64, capacity: f64) -> bool {
    d <= residual + 1e-9 * capacity.max(1.0)
}

/// Assigns every client of `inst` to one site of `open`; `None` when neither construction
/// finds an assignment within the capacities.
pub(crate) fn single(
    inst: &Instance,
    demand: &[f64],
    capacity: &[f64],
    open: &[usize],
) -> Option<Single> {
    assign(inst, demand, capacity, open, |wc, cap| {
        let (n, s) = (inst.n_clients, open.len());
        regret_greedy(wc, demand, cap, n, s).or_else(|| best_fit(wc, demand, cap, n, s))
    })
}

/// Assigns every client of `inst` to one site of `open`, starting from `start` (a site per
/// client, possibly closed): clients whose site is in `open` keep it while it has room, the
/// others go by [`best_fit`]; then the descent of [`single`]. `None` when a client left over
/// fits nowhere.
pub(crate) fn single_from(
    inst: &Instance,
    demand: &[f64],
    capacity: &[f64],
    open: &[usize],
    start: &[usize],
) -> Option<Single> {
    if start.len() != inst.n_clients {
        return None;
    }
    assign(inst, demand, capacity, open, |wc, cap| {
        let mut residual = cap.to_vec();
        let kept: Vec<usize> = (0..inst.n_clients)
            .map(|i| match open.binary_search(&start[i]) {
                Ok(k) if fits(demand[i], residual[k], cap[k]) => {
                    residual[k] -= demand[i];
                    k
                }
                _ => usize::MAX,
            })
            .collect();
        fill(wc, demand, cap, open.len(), kept, residual)
    })
}

/// The local costs `w_i c_ij` and capacities of `open`, a construction over them (local
/// site positions), then the shift, swap and chain descent.
fn assign(
    inst: &Instance,
    demand: &[f64],
    capacity: &[f64],
    open: &[usize],
    construct: impl FnOnce(&[f64], &[f64]) -> Option<Vec<usize>>,
) -> Option<Single> {
    let n = inst.n_clients;
    let s = open.len();
    if s == 0 {
        return (n == 0).then(|| Single {
            cost: 0.0,
            site: Vec::new(),
        });
    }
    let wc: Vec<f64> = (0..n)
        .flat_map(|i| open.iter().map(move |&j| inst.weight[i] * inst.cost(i, j)))
        .collect();
    let cap: Vec<f64> = open.iter().map(|&j| capacity[j]).collect();
    let mut at = construct(&wc, &cap)?;
    descend(&wc, demand, &cap, n, s, &mut at);
    let site: Vec<usize> = at.iter().map(|&k| open[k]).collect();
    let cost = (0..n).map(|i| wc[i * s + at[i]]).sum();
    Some(Single { cost, site })
}

/// Martello–Toth regret greedy over local site positions.
fn regret_greedy(wc: &[f64], d: &[f64], cap: &[f64], n: usize, s: usize) -> Option<Vec<usize>> {
    let mut residual = cap.to_vec();
    let mut at = vec![usize::MAX; n];
    for _ in 0..n {
        // (regret, demand, client, site)
        let mut pick: Option<(f64, f64, usize, usize)> = None;
        for i in (0..n).filter(|&i| at[i] == usize::MAX) {
            let (mut b1, mut b2, mut k1) = (f64::INFINITY, f64::INFINITY, usize::MAX);
            for k in 0..s {
                if !fits(d[i], residual[k], cap[k]) {
                    continue;
                }
                let c = wc[i * s + k];
                if c < b1 {
                    b2 = b1;
                    b1 = c;
                    k1 = k;
                } else if c < b2 {
                    b2 = c;
                }
            }
            if k1 == usize::MAX {
                return None;
            }
            let regret = b2 - b1;
            let better = pick
                .is_none_or(|(r, dd, _, _)| regret.total_cmp(&r).then(d[i].total_cmp(&dd)).is_gt());
            if better {
                pick = Some((regret, d[i], i, k1));
            }
        }
        let (_, _, i, k) = pick?;
        at[i] = k;
        residual[k] -= d[i];
    }
    Some(at)
}

/// Clients by decreasing demand, each to its cheapest site with room.
fn best_fit(wc: &[f64], d: &[f64], cap: &[f64], n: usize, s: usize) -> Option<Vec<usize>> {
    fill(wc, d, cap, s, vec![usize::MAX; n], cap.to_vec())
}

/// Completes `at` (`usize::MAX`: unassigned) with `residual` room left: the unassigned
/// clients by decreasing demand, each to its cheapest site with room; `None` when one fits
/// nowhere.
fn fill(
    wc: &[f64],
    d: &[f64],
    cap: &[f64],
    s: usize,
    mut at: Vec<usize>,
    mut residual: Vec<f64>,
) -> Option<Vec<usize>> {
    let mut order: Vec<usize> = (0..at.len()).filter(|&i| at[i] == usize::MAX).collect();
    order.sort_by(|&a, &b| d[b].total_cmp(&d[a]).then(a.cmp(&b)));
    for i in order {
        let k = (0..s)
            .filter(|&k| fits(d[i], residual[k], cap[k]))
            .min_by(|&x, &y| wc[i * s + x].total_cmp(&wc[i * s + y]).then(x.cmp(&y)))?;
        at[i] = k;
        residual[k] -= d[i];
    }
    Some(at)
}

/// Shift and swap moves until none improves.
fn descend(wc: &[f64], d: &[f64], cap: &[f64], n: usize, s: usize, at: &mut [usize]) {
    let mut residual = cap.to_vec();
    for i in 0..n {
        residual[at[i]] -= d[i];
    }
    let tiny = 1e-12;
    let mut improved = true;
    let mut rounds = 0;
    while improved && rounds < 1000 {
        improved = false;
        rounds += 1;
        // Shift: one client to another site.
        for i in 0..n {
            let k0 = at[i];
            let mut best = (-tiny, usize::MAX);
            for k in 0..s {
                if k != k0 && fits(d[i], residual[k], cap[k]) {
                    let delta = wc[i * s + k] - wc[i * s + k0];
                    if delta < best.0 {
                        best = (delta, k);
                    }
                }
            }
            if best.1 != usize::MAX {
                let k = best.1;
                residual[k0] += d[i];
                residual[k] -= d[i];
                at[i] = k;
                improved = true;
            }
        }
        // Swap: two clients on different sites exchange.
        for i in 0..n {
            for l in i + 1..n {
                let (ki, kl) = (at[i], at[l]);
                if ki == kl {
                    continue;
                }
                let delta = wc[i * s + kl] + wc[l * s + ki] - wc[i * s + ki] - wc[l * s + kl];
                if delta < -tiny
                    && fits(d[i] - d[l], residual[kl], cap[kl])
                    && fits(d[l] - d[i], residual[ki], cap[ki])
                {
                    residual[ki] += d[i] - d[l];
                    residual[kl] += d[l] - d[i];
                    at[i] = kl;
                    at[l] = ki;
                    improved = true;
                }
            }
        }
        if !improved {
            improved = chain(wc, d, cap, n, s, at, &mut residual);
        }
    }
}

/// The best ejection chain of two shifts, applied when it improves: client `i` moves to a
/// site `k1` it does not fit on, and a client `l` of `k1` makes room by moving on to `k2`
/// (which may be `i`'s old site). Returns whether a chain was applied.
fn chain(
    wc: &[f64],
    d: &[f64],
    cap: &[f64],
    n: usize,
    s: usize,
    at: &mut [usize],
    residual: &mut [f64],
) -> bool {
    let tiny = 1e-12;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); s];
    for i in 0..n {
        members[at[i]].push(i);
    }
    // (delta, i, k1, l, k2)
    let mut best: Option<(f64, usize, usize, usize, usize)> = None;
    for i in 0..n {
        let k0 = at[i];
        for k1 in (0..s).filter(|&k| k != k0) {
            let d1 = wc[i * s + k1] - wc[i * s + k0];
            if d1 >= -tiny || fits(d[i], residual[k1], cap[k1]) {
                continue;
            }
            for &l in &members[k1] {
                // Room at k1 once l leaves.
                if !fits(d[i], residual[k1] + d[l], cap[k1]) {
                    continue;
                }
                for k2 in (0..s).filter(|&k| k != k1) {
                    let room = if k2 == k0 {
                        residual[k0] + d[i]
                    } else {
                        residual[k2]
                    };
                    if !fits(d[l], room, cap[k2]) {
                        continue;
                    }
                    let delta = d1 + wc[l * s + k2] - wc[l * s + k1];
                    if delta < -tiny && best.is_none_or(|b| delta < b.0) {
                        best = Some((delta, i, k1, l, k2));
                    }
                }
            }
        }
    }
    let Some((_, i, k1, l, k2)) = best else {
        return false;
    };
    let k0 = at[i];
    residual[k0] += d[i];
    residual[k1] += d[l] - d[i];
    residual[k2] -= d[l];
    at[i] = k1;
    at[l] = k2;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::testkit::line;

    #[test]
    fn without_binding_capacity_every_client_takes_its_nearest_site() {
        let inst = line(7);
        let s = single(&inst, &[1.0; 7], &[100.0; 7], &[1, 5]).unwrap();
        assert_eq!(s.cost, inst.objective(&[1, 5]));
    }

    #[test]
    fn capacity_pushes_clients_to_a_farther_site() {
        // Clients 0..4 on a line, sites 0 (room for 2) and 4.
        let inst = line(5);
        let mut cap = vec![0.0; 5];
        cap[0] = 2.0;
        cap[4] = 10.0;
        let s = single(&inst, &[1.0; 5], &cap, &[0, 4]).unwrap();
        assert_eq!(s.site, vec![0, 0, 4, 4, 4]);
        assert_eq!(s.cost, 0.0 + 1.0 + 2.0 + 1.0 + 0.0);
    }

    #[test]
    fn a_warm_start_keeps_clients_whose_site_stays_open() {
        // Clients 0..=4 on a line; site 0 holds 2. Start: 0, 1 on site 0, the rest on the
        // closed site 3, which moves to 4.
        let inst = line(5);
        let mut cap = vec![0.0; 5];
        cap[0] = 2.0;
        cap[4] = 10.0;
        let s = single_from(&inst, &[1.0; 5], &cap, &[0, 4], &[0, 0, 3, 3, 3]).unwrap();
        assert_eq!(s.site, vec![0, 0, 4, 4, 4]);
        assert_eq!(s.cost, 0.0 + 1.0 + 2.0 + 1.0 + 0.0);
        // A left-over client that fits nowhere: no assignment.
        cap[4] = 2.0;
        assert!(single_from(&inst, &[1.0; 5], &cap, &[0, 4], &[0, 0, 3, 3, 3]).is_none());
    }

    #[test]
    fn a_client_larger_than_every_site_has_no_assignment() {
        let inst = line(3);
        assert!(single(&inst, &[1.0, 5.0, 1.0], &[4.0; 3], &[0, 2]).is_none());
    }
}
