//! Split assignment for a fixed open set: the transportation problem
//!
//! ```text
//! minimise   Σ_i Σ_{j ∈ S} w_i · c_ij · x_ij
//! subject to Σ_{j ∈ S} x_ij = 1            for every client i
//!            Σ_i d_i · x_ij ≤ Q_j          for every open site j
//!            x_ij ≥ 0
//! ```
//!
//! solved exactly as a min-cost flow of `d_i` units out of each client at `w_i · c_ij / d_i`
//! per unit, by successive shortest paths with Dijkstra on reduced costs (Edmonds & Karp
//! 1972). Clients without demand take their cheapest open site.

use super::super::Instance;

/// The optimal split assignment of one open set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Split {
    /// Objective `Σ w_i c_ij x_ij`.
    pub cost: f64,
    /// Per client, `(site, fraction)` with fractions summing to 1, by site.
    pub shares: Vec<Vec<(usize, f64)>>,
}

/// Solves the transportation problem for `open`; `None` when the demand exceeds the open
/// capacity.
pub(crate) fn split(
    inst: &Instance,
    demand: &[f64],
    capacity: &[f64],
    open: &[usize],
) -> Option<Split> {
    let n = inst.n_clients;
    let s = open.len();
    if s == 0 {
        return if n == 0 {
            Some(Split {
                cost: 0.0,
                shares: Vec::new(),
            })
        } else {
            None
        };
    }
    let total: f64 = demand.iter().sum();
    let eps = 1e-12 * total.max(1.0);
    let mut residual: Vec<f64> = open.iter().map(|&j| capacity[j]).collect();
    if total > residual.iter().sum::<f64>() * (1.0 + 1e-12) + eps {
        return None;
    }
    // Clients that carry demand (the flow network), and per-unit costs.
    let active: Vec<usize> = (0..n).filter(|&i| demand[i] > eps).collect();
    let a = active.len();
    let unit: Vec<f64> = active
        .iter()
        .flat_map(|&i| {
            open.iter()
                .map(move |&j| inst.weight[i] * inst.cost(i, j) / demand[i])
        })
        .collect();
    let mut supply: Vec<f64> = active.iter().map(|&i| demand[i]).collect();
    let mut flow = vec![0.0; a * s];
    // Potentials of client nodes (0..a) and site nodes (a..a+s).
    let mut pi = vec![0.0; a + s];
    let mut dist = vec![0.0; a + s];
    let mut done = vec![false; a + s];
    // Predecessor of a site: the client it was reached from; of a client: the site.
    let mut pred = vec![usize::MAX; a + s];
    let mut left: usize = supply.iter().filter(|&&x| x > eps).count();
    while left > 0 {
        // Dijkstra from every client with supply left (distance 0), dense.
        for v in 0..a + s {
            dist[v] = f64::INFINITY;
            done[v] = false;
            pred[v] = usize::MAX;
        }
        for c in 0..a {
            if supply[c] > eps {
                dist[c] = 0.0;
            }
        }
        loop {
            let mut u = usize::MAX;
            let mut best = f64::INFINITY;
            for v in 0..a + s {
                if !done[v] && dist[v] < best {
                    best = dist[v];
                    u = v;
                }
            }
            if u == usize::MAX {
                break;
            }
            done[u] = true;
            if u < a {
                // Client → every open site.
                for k in 0..s {
                    let v = a + k;
                    if done[v] {
                        continue;
                    }
                    let rc = (unit[u * s + k] + pi[u] - pi[v]).max(0.0);
                    if dist[u] + rc < dist[v] {
                        dist[v] = dist[u] + rc;
                        pred[v] = u;
                    }
                }
            } else {
                // Site → clients with flow on it (residual reverse arcs).
                let k = u - a;
                for c in 0..a {
                    if done[c] || flow[c * s + k] <= eps {
                        continue;
                    }
                    let rc = (-unit[c * s + k] + pi[u] - pi[c]).max(0.0);
                    if dist[u] + rc < dist[c] {
                        dist[c] = dist[u] + rc;
                        pred[c] = u;
                    }
                }
            }
        }
        // The nearest site with capacity left ends the path.
        let target = (0..s)
            .filter(|&k| residual[k] > eps && dist[a + k].is_finite())
            .min_by(|&x, &y| dist[a + x].total_cmp(&dist[a + y]).then(x.cmp(&y)))?;
        let reach = dist[a + target];
        for v in 0..a + s {
            pi[v] += dist[v].min(reach);
        }
        // Bottleneck along the path.
        let mut amount = residual[target];
        let mut v = a + target;
        loop {
            let c = pred[v];
            let k = pred[c];
            if k == usize::MAX {
                amount = amount.min(supply[c]);
                break;
            }
            amount = amount.min(flow[c * s + (k - a)]);
            v = k;
        }
        // Augment.
        residual[target] -= amount;
        let mut v = a + target;
        loop {
            let c = pred[v];
            flow[c * s + (v - a)] += amount;
            if pred[c] == usize::MAX {
                supply[c] -= amount;
                if supply[c] <= eps {
                    supply[c] = 0.0;
                    left -= 1;
                }
                break;
            }
            let k = pred[c];
            flow[c * s + (k - a)] -= amount;
            v = k;
        }
    }
    let mut shares = vec![Vec::new(); n];
    let mut cost = 0.0;
    for (c, &i) in active.iter().enumerate() {
        for (k, &j) in open.iter().enumerate() {
            let f = flow[c * s + k];
            if f > eps {
                shares[i].push((j, f / demand[i]));
            }
        }
    }
    for (i, sh) in shares.iter_mut().enumerate() {
        if sh.is_empty() {
            let j = cheapest(inst, i, open);
            sh.push((j, 1.0));
        } else {
            // Renormalise the rounding of the flow.
            let sum: f64 = sh.iter().map(|&(_, x)| x).sum();
            for share in sh.iter_mut() {
                share.1 /= sum;
            }
        }
        cost += sh
            .iter()
            .map(|&(j, x)| inst.weight[i] * inst.cost(i, j) * x)
            .sum::<f64>();
    }
    Some(Split { cost, shares })
}

/// The cheapest site of `open` for client `i` (ties by position).
pub(crate) fn cheapest(inst: &Instance, i: usize, open: &[usize]) -> usize {
    let mut best = open[0];
    for &j in &open[1..] {
        if inst.cost(i, j) < inst.cost(i, best) {
            best = j;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::testkit::line;

    #[test]
    fn uncapacitated_split_is_nearest_assignment() {
        let inst = line(6);
        let d = vec![1.0; 6];
        let s = split(&inst, &d, &[10.0; 6], &[1, 4]).unwrap();
        assert_eq!(s.cost, inst.objective(&[1, 4]));
    }

    #[test]
    fn a_full_site_sends_the_remainder_to_the_next() {
        // Clients at 0..5, sites 0 (room for 2.5) and 5: half of client 2 moves to site 5
        // at an extra 0.5.
        let inst = line(6);
        let d = vec![1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let mut cap = vec![0.0; 6];
        cap[0] = 2.5;
        cap[5] = 10.0;
        let s = split(&inst, &d, &cap, &[0, 5]).unwrap();
        // 0 → 0 (0), 1 → 0 (1), half of 2 → 0 (1), half of 2 → 5 (1.5), 3 → 5 (2),
        // 4 → 5 (1), 5 → 5 (0).
        assert!((s.cost - 6.5).abs() < 1e-9, "{}", s.cost);
        assert_eq!(s.shares[2].len(), 2);
    }

    #[test]
    fn too_little_capacity_is_none() {
        let inst = line(3);
        assert!(split(&inst, &[1.0; 3], &[1.0; 3], &[0, 1]).is_none());
    }
}
