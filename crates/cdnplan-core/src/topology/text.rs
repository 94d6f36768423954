//! A topology as text for a terminal: families, their buckets with flags, bags and
//! operators, then the findings.

use std::fmt::Write as _;

use super::{Finding, Topology};

/// What `cdnplan topology` prints: a headline (families, buckets, bags, nodes, per-bag
/// limit), the creation policies and where chain state was read, each family with its
/// buckets, and the `findings`.
pub fn text(t: &Topology, findings: &[Finding]) -> String {
    let mut s = String::new();
    let active = t.nodes().iter().filter(|n| n.active).count();
    let _ = writeln!(
        s,
        "{}: {} families, {} buckets, {} bags, {} nodes ({} active); per-bag limit {}",
        if t.name.is_empty() {
            "topology"
        } else {
            &t.name
        },
        t.families.len(),
        t.buckets.len(),
        t.bags.len(),
        t.nodes().len(),
        active,
        t.buckets_per_bag_limit
            .map_or_else(|| "unknown".to_string(), |l| l.to_string())
    );
    match &t.policies {
        None => {
            let _ = writeln!(s, "creation policies: unknown");
        }
        Some(p) => {
            for (ty, policy) in p {
                let families: Vec<String> = policy
                    .families
                    .iter()
                    .map(|(f, n)| format!("{f}:{n}"))
                    .collect();
                let _ = writeln!(
                    s,
                    "{ty:?} creation policy: {}",
                    if families.is_empty() {
                        "no family".to_string()
                    } else {
                        families.join(" ")
                    }
                );
            }
        }
    }
    if let Some(c) = &t.chain_read {
        let _ = writeln!(
            s,
            "chain state read from {} at block {}",
            c.endpoint, c.block
        );
    }
    for f in &t.families {
        let desc = f
            .metadata
            .as_ref()
            .and_then(|m| m.description.clone())
            .unwrap_or_else(|| "(no metadata)".into());
        let _ = writeln!(s, "\nfamily {} — {desc}", f.id);
        for b in t.buckets.iter().filter(|b| b.id.family == f.id) {
            let ops: Vec<String> = b
                .operators
                .iter()
                .map(|o| {
                    let place = o
                        .metadata
                        .as_ref()
                        .and_then(|m| m.location.as_ref())
                        .and_then(|l| l.city.clone())
                        .unwrap_or_default();
                    format!("worker {} {:?} {place}", o.worker, o.status)
                })
                .collect();
            let bags = t.bags.iter().filter(|g| g.buckets.contains(&b.id)).count();
            let _ = writeln!(
                s,
                "  bucket {}: accepting {}, distributing {}, {bags} bags; {}",
                b.id,
                b.accepting_new_bags,
                b.distributing,
                if ops.is_empty() {
                    "no operator".to_string()
                } else {
                    ops.join("; ")
                }
            );
        }
    }
    let _ = writeln!(s, "\n{} findings", findings.len());
    for f in findings {
        let _ = writeln!(s, "  {f}");
    }
    s
}
