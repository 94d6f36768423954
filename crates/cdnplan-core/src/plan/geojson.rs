//! The GeoJSON renderer: one FeatureCollection (RFC 7946) with the nodes before and after, the
//! moves and the demand cells, for QGIS or Kibana.
//!
//! Positions are `[lon, lat]` (RFC 7946 §3.1.1) rounded to 6 decimals (≈ 0.1 m). Every feature
//! has a `role` property to filter or style by: `node_before`, `node_after`, `move` or `demand`.
//! Features come in that order (nodes in plan order, moves by step, cells in demand order), one
//! per line, so two files diff line by line. Properties are documented in `docs/plan-schema.md`.

use serde_json::{Map, Value, json};

use super::Plan;
use super::text::by_cell;
use crate::demand::Demand;
use crate::geo::GeoPoint;
use crate::node::Node;
use crate::round;
use crate::serving::Evaluation;

/// The plan as a GeoJSON FeatureCollection (a complete document, final newline included).
pub fn plan_geojson(plan: &Plan, demand: &Demand) -> String {
    let mut features: Vec<Value> = Vec::new();
    for (role, nodes, eval) in [
        ("node_before", &plan.nodes_before, &plan.before),
        ("node_after", &plan.nodes_after, &plan.after),
    ] {
        features.extend(nodes.iter().map(|n| node_feature(role, n, eval)));
    }
    for m in &plan.moves {
        let geometry = match (&m.from, &m.to) {
            (Some(f), Some(t)) => json!({
                "type": "LineString",
                "coordinates": [position(&f.location), position(&t.location)],
            }),
            (Some(p), None) | (None, Some(p)) => point(&p.location),
            (None, None) => Value::Null,
        };
        let mut props = Map::new();
        props.insert("role".into(), "move".into());
        props.insert("step".into(), m.step.into());
        props.insert("kind".into(), super::text::serde_name(&m.kind).into());
        props.insert("node".into(), m.node.clone().into());
        for (end, place) in [("from", &m.from), ("to", &m.to)] {
            props.insert(
                format!("{end}_id"),
                place.as_ref().map(|p| p.id.clone()).into(),
            );
            props.insert(
                format!("{end}_label"),
                place.as_ref().map(|p| p.label.clone()).into(),
            );
        }
        props.insert(
            "mean_rtt_after_ms".into(),
            round::ms(m.mean_rtt_after_ms).into(),
        );
        props.insert("gain_ms".into(), round::ms(m.gain_ms).into());
        props.insert("reason".into(), m.reason.clone().into());
        features.push(feature(geometry, props));
    }
    let (before, after) = (by_cell(&plan.before), by_cell(&plan.after));
    for c in &demand.cells {
        let b = before.get(c.id.as_str());
        let a = after.get(c.id.as_str());
        let share = b
            .filter(|_| plan.before.total_weight > 0.0)
            .map(|s| round::share(s.weight / plan.before.total_weight));
        let mut props = Map::new();
        props.insert("role".into(), "demand".into());
        props.insert("id".into(), c.id.clone().into());
        props.insert("country".into(), c.country.map(|x| x.to_string()).into());
        props.insert(
            "continent".into(),
            c.continent.map(|x| x.to_string()).into(),
        );
        props.insert("requests".into(), c.requests.into());
        props.insert("bytes".into(), c.bytes.into());
        props.insert("unique_clients".into(), c.unique_clients.into());
        props.insert("share".into(), share.into());
        props.insert("node_before".into(), b.map(|s| s.node.clone()).into());
        props.insert(
            "rtt_before_ms".into(),
            b.map(|s| round::ms(s.rtt_ms)).into(),
        );
        props.insert("node_after".into(), a.map(|s| s.node.clone()).into());
        props.insert("rtt_after_ms".into(), a.map(|s| round::ms(s.rtt_ms)).into());
        features.push(feature(point(&c.location), props));
    }

    let mut out = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(&f.to_string());
    }
    out.push_str("\n]}\n");
    out
}

fn node_feature(role: &str, n: &Node, eval: &Evaluation) -> Value {
    let load = eval.node(&n.id);
    let mut props = Map::new();
    props.insert("role".into(), role.into());
    props.insert("id".into(), n.id.clone().into());
    props.insert("label".into(), n.label().into());
    props.insert("active".into(), n.active.into());
    props.insert("operator".into(), n.operator.clone().into());
    props.insert("country".into(), n.country.map(|x| x.to_string()).into());
    props.insert(
        "load_share".into(),
        load.map(|l| round::share(l.weight_share)).into(),
    );
    props.insert("requests".into(), load.map(|l| l.requests).into());
    props.insert(
        "mean_rtt_ms".into(),
        load.and_then(|l| l.mean_rtt_ms).map(round::ms).into(),
    );
    feature(point(&n.location), props)
}

fn feature(geometry: Value, properties: Map<String, Value>) -> Value {
    json!({ "type": "Feature", "geometry": geometry, "properties": properties })
}

fn point(p: &GeoPoint) -> Value {
    json!({ "type": "Point", "coordinates": position(p) })
}

/// `[lon, lat]`, 6 decimals.
fn position(p: &GeoPoint) -> Value {
    json!([round::round_to(p.lon, 6), round::round_to(p.lat, 6)])
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    fn parsed() -> Value {
        let (plan, demand) = fixture::plan();
        serde_json::from_str(&plan_geojson(&plan, &demand)).unwrap()
    }

    fn with_role<'a>(fc: &'a Value, role: &str) -> Vec<&'a Value> {
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["properties"]["role"] == role)
            .collect()
    }

    #[test]
    fn is_a_feature_collection_with_every_role() {
        let fc = parsed();
        assert_eq!(fc["type"], "FeatureCollection");
        assert_eq!(fc["features"].as_array().unwrap().len(), 3 + 3 + 1 + 4);
        assert_eq!(with_role(&fc, "node_before").len(), 3);
        assert_eq!(with_role(&fc, "node_after").len(), 3);
        assert_eq!(with_role(&fc, "move").len(), 1);
        assert_eq!(with_role(&fc, "demand").len(), 4);
    }

    #[test]
    fn positions_are_lon_lat() {
        let fc = parsed();
        let nbg = with_role(&fc, "node_before")[0];
        assert_eq!(nbg["geometry"]["coordinates"], json!([11.08, 49.45]));
        assert_eq!(nbg["properties"]["id"], "nbg");
        let mv = with_role(&fc, "move")[0];
        assert_eq!(mv["geometry"]["type"], "LineString");
        assert_eq!(
            mv["geometry"]["coordinates"],
            json!([[30.52, 50.45], [103.82, 1.35]])
        );
        let id = with_role(&fc, "demand")
            .into_iter()
            .find(|f| f["properties"]["id"] == "ID")
            .unwrap();
        assert_eq!(id["geometry"]["coordinates"], json!([106.85, -6.21]));
        assert_eq!(id["properties"]["node_after"], "kyiv");
        assert_eq!(id["properties"]["node_before"], "kyiv");
    }

    #[test]
    fn moves_carry_both_ends() {
        let fc = parsed();
        let mv = with_role(&fc, "move")[0];
        assert_eq!(mv["properties"]["from_label"], "Kyiv (kyiv)");
        assert_eq!(mv["properties"]["to_id"], "ovh-sgp");
        assert_eq!(mv["properties"]["step"], 1);
    }

    #[test]
    fn inactive_nodes_are_flagged_and_carry_no_load() {
        let fc = parsed();
        let tokyo = with_role(&fc, "node_after")
            .into_iter()
            .find(|f| f["properties"]["id"] == "tokyo")
            .unwrap();
        assert_eq!(tokyo["properties"]["active"], false);
        assert_eq!(tokyo["properties"]["load_share"], 0.0);
        assert_eq!(tokyo["properties"]["mean_rtt_ms"], Value::Null);
    }

    #[test]
    fn one_feature_per_line() {
        let (plan, demand) = fixture::plan();
        let s = plan_geojson(&plan, &demand);
        assert_eq!(s.lines().count(), 11 + 2);
        assert_eq!(s, plan_geojson(&plan, &demand));
    }
}
