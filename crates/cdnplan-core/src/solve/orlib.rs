//! OR-Library p-median files (J.E. Beasley, "A note on solving large p-median problems",
//! EJOR 21 (1985) 270–273; capacitated set: Osman & Christofides 1994), parsed from text.
//!
//! * `pmedN.txt` ([`parse_pmed`]): line 1 `n edges p`, then one `i j cost` line per edge,
//!   1-based and undirected. `c(i, i) = 0`, other pairs start at `∞`; edges are read in turn
//!   and the **last** occurrence of a repeated edge wins; then Floyd–Warshall gives the
//!   shortest-path costs. Every vertex is a client of weight 1 and a candidate site.
//! * `pmedcapNN.txt` ([`parse_pmedcap`]): line 1 `problem_no optimum`, line 2
//!   `n p capacity`, then `id x y demand` per point; costs are Euclidean distances.
//! * `pmedopt.txt` ([`parse_pmedopt`]): `name optimum` per line after a header.
//!
//! Errors are [`Error::Parse`] naming the 1-based line.

use std::collections::BTreeMap;

use super::{Constraints, Instance};
use crate::error::{Error, Result};

/// An uncapacitated OR-Library instance.
#[derive(Debug, Clone, PartialEq)]
pub struct PmedInstance {
    /// Shortest-path costs, every vertex a client (weight 1) and a site.
    pub instance: Instance,
    /// Number of medians.
    pub p: usize,
}

impl PmedInstance {
    /// The instance's constraints: exactly `p` open sites, nothing else.
    pub fn constraints(&self) -> Constraints {
        Constraints {
            p: self.p,
            ..Default::default()
        }
    }
}

/// A capacitated OR-Library instance (the capacity is carried, not enforced by the engine).
#[derive(Debug, Clone, PartialEq)]
pub struct PmedcapInstance {
    /// Problem number from line 1.
    pub problem: u32,
    /// Published optimum (of the capacitated problem) from line 1.
    pub optimum: f64,
    /// Euclidean costs, every point a client (weight 1) and a site.
    pub instance: Instance,
    /// Number of medians.
    pub p: usize,
    /// Capacity of every median.
    pub capacity: f64,
    /// Demand per point.
    pub demand: Vec<f64>,
}

fn bad(what: &'static str, line: usize, detail: impl std::fmt::Display) -> Error {
    Error::Parse {
        what,
        value: format!("line {line}: {detail}"),
    }
}

/// Non-blank lines with their 1-based numbers.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(k, l)| (k + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

fn fields<const N: usize>(what: &'static str, line: usize, text: &str) -> Result<[f64; N]> {
    let mut out = [0.0; N];
    let mut it = text.split_whitespace();
    for slot in &mut out {
        let tok = it
            .next()
            .ok_or_else(|| bad(what, line, format!("expected {N} numbers, got {text:?}")))?;
        *slot = tok
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad(what, line, format!("not a number: {tok:?}")))?;
    }
    if it.next().is_some() {
        return Err(bad(
            what,
            line,
            format!("expected {N} numbers, got {text:?}"),
        ));
    }
    Ok(out)
}

fn count(what: &'static str, line: usize, v: f64, name: &str, max: usize) -> Result<usize> {
    if v.fract() != 0.0 || v < 0.0 || v > max as f64 {
        return Err(bad(
            what,
            line,
            format!("{name} must be an integer in 0..={max}, got {v}"),
        ));
    }
    Ok(v as usize)
}

/// Largest `n` accepted (the dense matrix has `n²` entries).
const MAX_VERTICES: usize = 20_000;

/// Parses an uncapacitated OR-Library `pmedN.txt` file (see the [module docs](crate::solve::orlib)).
///
/// # Errors
/// [`Error::Parse`] naming the line for a malformed header or edge, a vertex out of range, a
/// missing or extra edge line, or a graph that is not connected.
///
/// ```
/// use cdnplan_core::solve::parse_pmed;
/// // A path 1 – 2 – 3; the edge 1–2 appears twice and the last cost wins.
/// let pmed = parse_pmed("3 3 1\n1 2 9\n2 3 1\n2 1 2\n")?;
/// assert_eq!(pmed.p, 1);
/// assert_eq!(pmed.instance.cost(0, 2), 3.0);
/// # Ok::<(), cdnplan_core::Error>(())
/// ```
pub fn parse_pmed(text: &str) -> Result<PmedInstance> {
    const WHAT: &str = "OR-Library pmed file";
    let mut it = lines(text);
    let (l1, header) = it
        .next()
        .ok_or_else(|| bad(WHAT, 1, "empty file (expected `n edges p`)"))?;
    let [n, e, p] = fields::<3>(WHAT, l1, header)?;
    let n = count(WHAT, l1, n, "n", MAX_VERTICES)?;
    let e = count(WHAT, l1, e, "edges", usize::MAX)?;
    let p = count(WHAT, l1, p, "p", n)?;
    // Check the line count before allocating the n × n matrix.
    let edge_lines: Vec<(usize, &str)> = it.collect();
    if let Some(&(l, _)) = edge_lines.get(e) {
        return Err(bad(
            WHAT,
            l,
            format!("more than the {e} edges the header declares"),
        ));
    }
    if edge_lines.len() < e {
        let last = edge_lines.last().map_or(l1, |&(l, _)| l);
        return Err(bad(
            WHAT,
            last,
            format!(
                "the header declares {e} edges but the file ends after {}",
                edge_lines.len()
            ),
        ));
    }
    if n > 1 && e < n - 1 {
        return Err(bad(
            WHAT,
            l1,
            format!("{e} edges cannot connect {n} vertices (the graph is not connected)"),
        ));
    }
    let mut cost = vec![f64::INFINITY; n * n];
    for v in 0..n {
        cost[v * n + v] = 0.0;
    }
    for (l, text) in edge_lines {
        let [i, j, c] = fields::<3>(WHAT, l, text)?;
        let i = count(WHAT, l, i, "vertex", n)?;
        let j = count(WHAT, l, j, "vertex", n)?;
        if i == 0 || j == 0 {
            return Err(bad(WHAT, l, "vertices are numbered from 1"));
        }
        if c < 0.0 {
            return Err(bad(WHAT, l, format!("negative cost {c}")));
        }
        // c(i, i) = 0 always; a loop edge changes nothing.
        if i != j {
            cost[(i - 1) * n + (j - 1)] = c;
            cost[(j - 1) * n + (i - 1)] = c;
        }
    }
    floyd_warshall(&mut cost, n);
    if let Some(k) = cost.iter().position(|c| !c.is_finite()) {
        return Err(bad(
            WHAT,
            l1,
            format!(
                "the graph is not connected: vertex {} cannot reach vertex {}",
                k / n + 1,
                k % n + 1
            ),
        ));
    }
    Ok(PmedInstance {
        instance: Instance::new(n, n, cost, vec![1.0; n])?,
        p,
    })
}

/// All-pairs shortest paths in place on a dense `n × n` matrix.
fn floyd_warshall(d: &mut [f64], n: usize) {
    for k in 0..n {
        let row_k: Vec<f64> = d[k * n..(k + 1) * n].to_vec();
        for i in 0..n {
            let dik = d[i * n + k];
            if !dik.is_finite() {
                continue;
            }
            let row_i = &mut d[i * n..(i + 1) * n];
            for (dij, dkj) in row_i.iter_mut().zip(&row_k) {
                let via = dik + dkj;
                if via < *dij {
                    *dij = via;
                }
            }
        }
    }
}

/// Parses a capacitated OR-Library `pmedcapNN.txt` file (see the [module docs](crate::solve::orlib)).
///
/// # Errors
/// [`Error::Parse`] naming the line for a malformed line, a wrong point count or an id out
/// of order.
///
/// ```
/// use cdnplan_core::solve::parse_pmedcap;
/// let cap = parse_pmedcap(" 1 7\n 2 1 10\n 1 0 0 3\n 2 3 4 5\n")?;
/// assert_eq!((cap.problem, cap.optimum, cap.p, cap.capacity), (1, 7.0, 1, 10.0));
/// assert_eq!(cap.instance.cost(0, 1), 5.0);
/// assert_eq!(cap.demand, vec![3.0, 5.0]);
/// # Ok::<(), cdnplan_core::Error>(())
/// ```
pub fn parse_pmedcap(text: &str) -> Result<PmedcapInstance> {
    const WHAT: &str = "OR-Library pmedcap file";
    let mut it = lines(text);
    let (l1, first) = it
        .next()
        .ok_or_else(|| bad(WHAT, 1, "empty file (expected `problem_no optimum`)"))?;
    let [problem, optimum] = fields::<2>(WHAT, l1, first)?;
    let problem = count(WHAT, l1, problem, "problem number", u32::MAX as usize)? as u32;
    let (l2, second) = it
        .next()
        .ok_or_else(|| bad(WHAT, l1 + 1, "missing `n p capacity` line"))?;
    let [n, p, capacity] = fields::<3>(WHAT, l2, second)?;
    let n = count(WHAT, l2, n, "n", MAX_VERTICES)?;
    let p = count(WHAT, l2, p, "p", n)?;
    let mut xy = Vec::with_capacity(n);
    let mut demand = Vec::with_capacity(n);
    let mut last_line = l2;
    for (l, text) in it {
        if xy.len() == n {
            return Err(bad(
                WHAT,
                l,
                format!("more than the {n} points line 2 declares"),
            ));
        }
        let [id, x, y, q] = fields::<4>(WHAT, l, text)?;
        if id != (xy.len() + 1) as f64 {
            return Err(bad(
                WHAT,
                l,
                format!("expected point id {}, got {id}", xy.len() + 1),
            ));
        }
        if q < 0.0 {
            return Err(bad(WHAT, l, format!("negative demand {q}")));
        }
        xy.push((x, y));
        demand.push(q);
        last_line = l;
    }
    if xy.len() < n {
        return Err(bad(
            WHAT,
            last_line,
            format!(
                "line 2 declares {n} points but the file ends after {}",
                xy.len()
            ),
        ));
    }
    let cost = xy
        .iter()
        .flat_map(|a| xy.iter().map(move |b| (a.0 - b.0).hypot(a.1 - b.1)))
        .collect();
    Ok(PmedcapInstance {
        problem,
        optimum,
        instance: Instance::new(n, n, cost, vec![1.0; n])?,
        p,
        capacity,
        demand,
    })
}

/// Parses the optima table `pmedopt.txt`: `name value` per line; a first line that is not of
/// that form is taken as the header.
///
/// # Errors
/// [`Error::Parse`] naming the line for a malformed row or a repeated name.
///
/// ```
/// use cdnplan_core::solve::parse_pmedopt;
/// let opt = parse_pmedopt("Data file   Optimal solution value\npmed1 5819\npmed2 4093\n")?;
/// assert_eq!(opt["pmed2"], 4093.0);
/// # Ok::<(), cdnplan_core::Error>(())
/// ```
pub fn parse_pmedopt(text: &str) -> Result<BTreeMap<String, f64>> {
    const WHAT: &str = "OR-Library optima table";
    let mut out = BTreeMap::new();
    for (k, (l, line)) in lines(text).enumerate() {
        let mut it = line.split_whitespace();
        let (name, value, rest) = (it.next(), it.next(), it.next());
        let value = value
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite());
        match (name, value, rest) {
            (Some(name), Some(value), None) => {
                if out.insert(name.to_string(), value).is_some() {
                    return Err(bad(WHAT, l, format!("{name} appears twice")));
                }
            }
            _ if k == 0 => {} // header
            _ => return Err(bad(WHAT, l, format!("expected `name value`, got {line:?}"))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn last_duplicate_edge_wins_not_the_minimum() {
        let pmed = parse_pmed("2 2 1\n1 2 3\n2 1 8\n").unwrap();
        assert_eq!(pmed.instance.cost(0, 1), 8.0);
        assert_eq!(pmed.instance.cost(1, 0), 8.0);
    }

    #[test]
    fn shortest_paths_fill_the_matrix() {
        let pmed = parse_pmed("4 3 2\n1 2 1\n2 3 2\n3 4 4\n").unwrap();
        assert_eq!(pmed.instance.cost(0, 3), 7.0);
        assert_eq!(pmed.instance.cost(3, 0), 7.0);
        assert_eq!(pmed.instance.cost(2, 2), 0.0);
        assert_eq!(pmed.instance.weight, vec![1.0; 4]);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_pmed("3 2 1\n1 2 3\n1 x 4\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = parse_pmed("3 2 1\n1 2 3\n1 4 4\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = parse_pmed("3 2 1\n1 2 3\n").unwrap_err();
        assert!(e.to_string().contains("ends after 1"), "{e}");
        let e = parse_pmed("3 1 1\n1 2 3\n").unwrap_err();
        assert!(e.to_string().contains("not connected"), "{e}");
        let e = parse_pmedcap("1 7\n2 1 10\n1 0 0 3\n3 3 4 5\n").unwrap_err();
        assert!(e.to_string().contains("line 4"), "{e}");
        let e = parse_pmedopt("head\npmed1 1\npmed1 2\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "[0-9 \\n.x-]{0,60}") {
            let _ = parse_pmed(&text);
            let _ = parse_pmedcap(&text);
            let _ = parse_pmedopt(&text);
        }
    }
}
