//! From a solution to ordered steps: each step is the remaining relocation, addition or
//! removal that leaves the best value (see [the module docs](super#from-a-solution-to-a-plan)),
//! why it helps, and the fleet once every step is done.

use std::collections::BTreeMap;

use super::MoveKind;
use super::model::Facility;
use crate::demand::{DemandCell, Weighting};
use crate::error::{Error, Result};
use crate::node::Node;
use crate::solve::Instance;
use crate::solve::objective::Objective;

/// One step of the plan: close a facility, open one, or both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Step {
    pub(super) kind: MoveKind,
    pub(super) close: Option<usize>,
    pub(super) open: Option<usize>,
}

/// Orders the plan greedily (see the module docs).
pub(super) fn order_steps(
    instance: &Instance,
    objective: &Objective,
    facilities: &[Facility<'_>],
    target: &[usize],
    n_active: usize,
    remove: usize,
) -> Vec<Step> {
    let mut closing: Vec<usize> = (0..n_active).filter(|j| !target.contains(j)).collect();
    let mut opening: Vec<usize> = target.iter().copied().filter(|&j| j >= n_active).collect();
    let mut removes = remove.min(closing.len());
    let mut relocations = closing.len() - removes;
    let mut adds = opening.len() - relocations;
    let mut open: Vec<usize> = (0..n_active).collect();
    let mut steps = Vec::new();
    let kind_rank = |k: MoveKind| match k {
        MoveKind::Relocate => 0,
        MoveKind::Add => 1,
        MoveKind::Remove => 2,
    };
    while relocations + adds + removes > 0 {
        let near = Nearest::new(instance, &open);
        // (objective after the step, mean RTT after it, kind, distance, step)
        let mut options: Vec<(f64, f64, usize, f64, Step)> = Vec::new();
        let mut push = |step: Step| {
            let mean = near.objective_after(instance, step.close, step.open);
            let value = match objective {
                Objective::MeanRtt => mean,
                other => {
                    let mut after: Vec<usize> = open
                        .iter()
                        .copied()
                        .filter(|&j| Some(j) != step.close)
                        .chain(step.open)
                        .collect();
                    after.sort_unstable();
                    other.value(instance, &after)
                }
            };
            let distance = match (step.close, step.open) {
                (Some(r), Some(f)) => facilities[r].location.distance_km(&facilities[f].location),
                _ => 0.0,
            };
            options.push((value, mean, kind_rank(step.kind), distance, step));
        };
        if relocations > 0 {
            for &r in &closing {
                for &f in &opening {
                    push(Step {
                        kind: MoveKind::Relocate,
                        close: Some(r),
                        open: Some(f),
                    });
                }
            }
        }
        if adds > 0 {
            for &f in &opening {
                push(Step {
                    kind: MoveKind::Add,
                    close: None,
                    open: Some(f),
                });
            }
        }
        if removes > 0 {
            for &r in &closing {
                push(Step {
                    kind: MoveKind::Remove,
                    close: Some(r),
                    open: None,
                });
            }
        }
        let key = |s: &Step| (s.close.unwrap_or(usize::MAX), s.open.unwrap_or(usize::MAX));
        let Some(&(_, _, _, _, step)) = options.iter().min_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.total_cmp(&b.3))
                .then(key(&a.4).cmp(&key(&b.4)))
        }) else {
            break;
        };
        if let Some(r) = step.close {
            closing.retain(|&j| j != r);
            open.retain(|&j| j != r);
        }
        if let Some(f) = step.open {
            opening.retain(|&j| j != f);
            open.push(f);
        }
        match step.kind {
            MoveKind::Relocate => relocations -= 1,
            MoveKind::Add => adds -= 1,
            MoveKind::Remove => removes -= 1,
        }
        steps.push(step);
    }
    steps
}

/// Nearest and second-nearest open facility per client, for `O(n)` what-if evaluations.
struct Nearest {
    n1: Vec<usize>,
    d1: Vec<f64>,
    d2: Vec<f64>,
}

impl Nearest {
    fn new(instance: &Instance, open: &[usize]) -> Self {
        let n = instance.n_clients;
        let mut s = Nearest {
            n1: vec![usize::MAX; n],
            d1: vec![f64::INFINITY; n],
            d2: vec![f64::INFINITY; n],
        };
        for i in 0..n {
            for &j in open {
                let c = instance.cost(i, j);
                if c < s.d1[i] {
                    s.d2[i] = s.d1[i];
                    s.d1[i] = c;
                    s.n1[i] = j;
                } else if c < s.d2[i] {
                    s.d2[i] = c;
                }
            }
        }
        s
    }

    /// `Σ_i w_i · cost` after closing `close` and opening `open`.
    fn objective_after(
        &self,
        instance: &Instance,
        close: Option<usize>,
        open: Option<usize>,
    ) -> f64 {
        (0..instance.n_clients)
            .map(|i| {
                let base = if close == Some(self.n1[i]) {
                    self.d2[i]
                } else {
                    self.d1[i]
                };
                let c = open.map_or(base, |f| base.min(instance.cost(i, f)));
                instance.weight[i] * c
            })
            .sum()
    }
}

/// Per label: (weight, weighted RTT before, weighted RTT after, weighted change).
type Group = (f64, f64, f64, f64);

/// "serves TR, IR, SA: 14 % of requests; their mean RTT 92 → 31 ms".
pub(super) fn reason(
    instance: &Instance,
    cells: &[DemandCell],
    weighting: Weighting,
    old: &[usize],
    new: &[usize],
    kind: MoveKind,
) -> String {
    let unit = match weighting {
        Weighting::Requests => "requests",
        Weighting::Bytes => "bytes",
        Weighting::Clients => "clients",
    };
    let total = instance.total_weight();
    let nearest = |open: &[usize], i: usize| {
        open.iter()
            .map(|&j| instance.cost(i, j))
            .fold(f64::INFINITY, f64::min)
    };
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let worse = kind == MoveKind::Remove;
    for (i, cell) in cells.iter().enumerate() {
        let (b, a) = (nearest(old, i), nearest(new, i));
        let w = instance.weight[i];
        let change = if worse { a - b } else { b - a };
        if change > 1e-9 && w > 0.0 {
            let label = cell
                .country
                .map_or_else(|| cell.id.clone(), |c| c.to_string());
            let g = groups.entry(label).or_default();
            g.0 += w;
            g.1 += w * b;
            g.2 += w * a;
            g.3 += w * change;
        }
    }
    if groups.is_empty() {
        return match kind {
            MoveKind::Remove => "no demand is served from here".into(),
            _ => "improves no demand cell on its own (kept for the later steps)".into(),
        };
    }
    let mut ranked: Vec<(&String, &Group)> = groups.iter().collect();
    ranked.sort_by(|a, b| b.1.3.total_cmp(&a.1.3).then(a.0.cmp(b.0)));
    let names: Vec<&str> = ranked.iter().take(3).map(|(l, _)| l.as_str()).collect();
    let more = if ranked.len() > 3 { " …" } else { "" };
    let (w, b, a) = groups
        .values()
        .fold((0.0, 0.0, 0.0), |s, g| (s.0 + g.0, s.1 + g.1, s.2 + g.2));
    let share = 100.0 * w / total;
    let share = if share < 1.0 {
        "<1".to_string()
    } else {
        format!("{share:.0}")
    };
    let verb = match kind {
        MoveKind::Remove => "its demand moves to other nodes",
        _ => "serves",
    };
    format!(
        "{verb} {}{more}: {share} % of {unit}; their mean RTT {:.0} → {:.0} ms",
        names.join(", "),
        b / w,
        a / w
    )
}

/// The fleet after every step (see [`Relocation::nodes_after`]).
pub(super) fn nodes_after(
    nodes: &[Node],
    facilities: &[Facility<'_>],
    steps: &[Step],
) -> Result<Vec<Node>> {
    let mut out: BTreeMap<String, Node> = nodes.iter().map(|n| (n.id.clone(), n.clone())).collect();
    for step in steps {
        let node = step.close.and_then(|r| facilities[r].node);
        let site = step.open.and_then(|f| facilities[f].site);
        match (step.kind, node, site) {
            (MoveKind::Relocate, Some(node), Some(site)) => {
                if let Some(n) = out.get_mut(&node.id) {
                    n.location = site.location;
                    n.city = Some(site.city.clone());
                    n.country = Some(site.country);
                    n.continent = Some(site.continent);
                }
            }
            (MoveKind::Remove, Some(node), _) => {
                out.remove(&node.id);
            }
            (MoveKind::Add, _, Some(site)) => {
                let id = format!("new-{}", site.id);
                if out.contains_key(&id) {
                    return Err(Error::DuplicateId { kind: "node", id });
                }
                out.insert(
                    id.clone(),
                    Node {
                        id,
                        operator: None,
                        city: Some(site.city.clone()),
                        country: Some(site.country),
                        continent: Some(site.continent),
                        location: site.location,
                        capacity: None,
                        active: true,
                        buckets: Vec::new(),
                    },
                );
            }
            _ => {}
        }
    }
    Ok(out.into_values().collect())
}
