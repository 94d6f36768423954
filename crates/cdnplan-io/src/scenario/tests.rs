//! Tests of scenario files and their loading.

use std::collections::BTreeMap;

use cdnplan_core::solve::Method;
use cdnplan_core::{LinearRtt, Node, Weighting};

use super::elasticsearch::looks_like_env_name;
use super::*;

const MINIMAL: &str = r#"
[demand]
logs = ["logs/a.ndjson.gz"]
[network]
topology = "t.json"
sites = "sites.csv"
countries = "countries.csv"
"#;

#[test]
fn defaults_fill_the_rest() {
    let s = Scenario::parse(MINIMAL).unwrap();
    assert_eq!(s.demand.preset, "argus");
    assert_eq!(s.cell_kind().unwrap(), CellKind::Country);
    assert_eq!(s.latency.model().unwrap(), LinearRtt::DEFAULT);
    assert_eq!(s.objective.weighting, Weighting::Requests);
    assert_eq!(s.constraints.max_moves, 0);
    assert_eq!(s.solver.method, Method::Auto);
    assert_eq!(s.solver.time_limit_s, 60.0);
    assert_eq!(s.reassign, ReassignInput::default());
    assert!(s.reassign.enabled);
}

#[test]
fn objective_section_names_the_objective_and_its_parameters() {
    use cdnplan_core::solve::Objective as O;
    let with = |body: &str| format!("{MINIMAL}\n[objective]\n{body}\n");
    let s = Scenario::parse(&with("kind = \"coverage\"\nthreshold_ms = 100")).unwrap();
    assert_eq!(
        s.objective.to_core().unwrap(),
        O::Coverage {
            threshold_ms: 100.0
        }
    );
    let s = Scenario::parse(&with("kind = \"redundancy\"\nthreshold_ms = 150")).unwrap();
    assert_eq!(
        s.objective.to_core().unwrap(),
        O::Redundancy {
            threshold_ms: 150.0,
            k: 2
        }
    );
    let s = Scenario::parse(&with(
        "kind = \"blended\"\nthreshold_ms = 100\npenalty = 50",
    ))
    .unwrap();
    assert_eq!(
        s.objective.to_core().unwrap(),
        O::Blended {
            threshold_ms: 100.0,
            penalty_ms: 50.0
        }
    );
    let s = Scenario::parse(&with("kind = \"worst_case\"")).unwrap();
    assert_eq!(s.objective.to_core().unwrap(), O::WorstCase);
    for (bad, why) in [
        ("kind = \"coverage\"", "threshold_ms"),
        ("kind = \"blended\"\nthreshold_ms = 1", "penalty_ms"),
        ("kind = \"redundancy\"\nthreshold_ms = 1\nk = 0", "k ≥ 1"),
        ("threshold_ms = -5", "threshold_ms"),
    ] {
        let e = Scenario::parse(&with(bad)).unwrap_err().to_string();
        assert!(e.contains(why), "{bad}: {e}");
    }
}

#[test]
fn reassign_section_sets_the_planner_options() {
    let text = format!(
        "{MINIMAL}\n[reassign]\nbatch_size = 20\nassume_bags = 50\nkeep_idle_buckets = true\ncache_gb = {{ \"a.example\" = 500 }}\n"
    );
    let s = Scenario::parse(&text).unwrap();
    assert_eq!(s.reassign.assume_bags, Some(50));
    let node = |id: &str, cache_gb: Option<f64>| Node {
        id: id.into(),
        operator: None,
        city: None,
        country: None,
        continent: None,
        location: cdnplan_core::GeoPoint { lat: 0.0, lon: 0.0 },
        capacity: Some(cdnplan_core::node::NodeCapacity {
            egress_gbps: None,
            cache_gb,
        }),
        active: true,
        buckets: Vec::new(),
    };
    let o = s.reassign.options(
        &[
            node("a.example", Some(100.0)),
            node("b.example", Some(200.0)),
            node("c.example", None),
        ],
        Weighting::Bytes,
    );
    assert_eq!(o.batch_size, 20);
    assert!(!o.delete_idle_buckets);
    assert_eq!(o.weighting, Weighting::Bytes);
    assert_eq!(
        o.cache_gb,
        BTreeMap::from([("a.example".into(), 500.0), ("b.example".into(), 200.0)]),
        "the scenario overrides the nodes' capacity"
    );
    for bad in ["batch_size = 0", "cache_gb = { x = -1 }", "enable = false"] {
        let text = format!("{MINIMAL}\n[reassign]\n{bad}\n");
        assert!(Scenario::parse(&text).is_err(), "{bad}");
    }
}

#[test]
fn capacity_section_sets_egress_costs_and_budget() {
    assert_eq!(Scenario::parse(MINIMAL).unwrap().capacity, None);
    let text = format!(
        "{MINIMAL}\n[capacity]\nassignment = \"single_source\"\n\
         egress_gbps = {{ \"hetzner-hel1\" = 2.5 }}\ndefault_egress_gbps = 0.5\n\
         peak_to_mean = 3\nmonthly_usd = {{ paris = 55 }}\ndefault_monthly_usd = 100\n\
         budget_usd = 400\n"
    );
    let c = Scenario::parse(&text).unwrap().capacity.unwrap();
    assert_eq!(
        c.assignment,
        cdnplan_core::solve::capacitated::Assignment::SingleSource
    );
    let m = c.model(Some(86_400.0), Some(1.5)).unwrap();
    assert_eq!(m.egress_of("hetzner-hel1", None), 2.5);
    assert_eq!(m.egress_of("other", None), 0.5);
    assert_eq!(m.monthly_of("paris", None), Some(55.0));
    assert_eq!(m.monthly_of("other", Some(50.0)), Some(50.0));
    assert_eq!(m.monthly_of("other", None), Some(100.0));
    assert_eq!((m.budget_usd, m.peak.peak_to_mean), (Some(400.0), 3.0));
    // Defaults: split, 1 Gbit/s.
    let c = Scenario::parse(&format!("{MINIMAL}\n[capacity]\n"))
        .unwrap()
        .capacity
        .unwrap();
    assert_eq!(c.default_egress_gbps, 1.0);
    // Unknown keys, bad values and other objectives are named.
    for (extra, want) in [
        ("egress = 1", "egress"),
        ("budget_usd = -5", "[capacity] budget_usd = -5"),
        ("assignment = \"round_robin\"", "round_robin"),
    ] {
        let e = Scenario::parse(&format!("{MINIMAL}\n[capacity]\n{extra}\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{extra}: {e}");
    }
    let e = Scenario::parse(&format!(
        "{MINIMAL}\n[objective]\nkind = \"worst_case\"\n[capacity]\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("mean_rtt"), "{e}");
}

#[test]
fn unknown_key_is_named() {
    let text = format!("{MINIMAL}\n[constraints]\nmax_move = 3\n");
    let e = Scenario::parse(&text).unwrap_err().to_string();
    assert!(e.contains("max_move"), "{e}");
}

#[test]
fn contradictions_are_errors() {
    let both = MINIMAL.replace(
        "topology = \"t.json\"",
        "topology = \"t.json\"\nnodes = \"n.csv\"",
    );
    assert!(
        Scenario::parse(&both)
            .unwrap_err()
            .to_string()
            .contains("alternatives")
    );
    let bad_cells = MINIMAL.replace("[network]", "cells = \"geotile:40\"\n[network]");
    assert!(
        Scenario::parse(&bad_cells)
            .unwrap_err()
            .to_string()
            .contains("cells")
    );
    let neg = format!("{MINIMAL}\n[latency]\na_ms = -1\n");
    assert!(Scenario::parse(&neg).is_err());
    let k = format!("{MINIMAL}\n[constraints]\nmax_moves = -1\n");
    assert!(Scenario::parse(&k).is_err(), "K < 0 is rejected");
    let t = format!("{MINIMAL}\n[solver]\ntime_limit_s = 0\n");
    assert!(
        Scenario::parse(&t)
            .unwrap_err()
            .to_string()
            .contains("time_limit_s")
    );
}

const CLUSTER: &str = r#"
[demand]
preset = "ecs"
[elasticsearch]
url = "http://es.example:9200"
index = "logs-argus-*"
username = "planner"
password_env = "PLANNER_ES_PASSWORD"
[network]
topology = "t.json"
sites = "sites.csv"
countries = "countries.csv"
"#;

#[test]
fn elasticsearch_section_names_the_demand_and_no_secret() {
    let s = Scenario::parse(CLUSTER).unwrap();
    let es = s.elasticsearch.as_ref().unwrap();
    assert_eq!(
        (es.index.as_str(), es.mode.as_str()),
        ("logs-argus-*", "auto")
    );
    let both = CLUSTER.replace("preset = \"ecs\"", "logs = [\"a.log\"]");
    let e = Scenario::parse(&both).unwrap_err().to_string();
    assert!(e.contains("both name the demand"), "{e}");
    let neither = MINIMAL.replace("logs = [\"logs/a.ndjson.gz\"]", "");
    let e = Scenario::parse(&neither).unwrap_err().to_string();
    assert!(e.contains("[elasticsearch]"), "{e}");
    for (bad, why) in [
        ("http://es.example", "http://u:hunter2@es.example"),
        (
            "index = \"logs-argus-*\"",
            "index = \"logs-argus-*\"\npassword = \"x\"",
        ),
        (
            "index = \"logs-argus-*\"",
            "index = \"logs-argus-*\"\nmode = \"fast\"",
        ),
    ] {
        let text = CLUSTER.replace(bad, why);
        let e = Scenario::parse(&text).unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.contains("elasticsearch") || e.contains("password"), "{e}");
    }
}

/// Row 8 of issue 15: a credential written into the scenario by mistake (an inline
/// `password`, a key where a variable's name belongs) is refused without being echoed.
#[cfg(feature = "es")]
#[test]
fn inline_credentials_never_reach_a_message() {
    let key = "aWQ6a2V5LXNlY3JldA";
    for (edit, secret) in [
        (
            "password_env = \"hunter2pw\"\npassword = \"hunter2pw\"",
            "hunter2pw",
        ),
        (&*format!("password_env = \"{key}\""), key),
        ("password_env = \"p@ss word!\"", "p@ss word!"),
    ] {
        let text = CLUSTER.replace("password_env = \"PLANNER_ES_PASSWORD\"", edit);
        let e = match Scenario::parse(&text) {
            Err(e) => e,
            Ok(s) => s
                .elasticsearch
                .unwrap()
                .connection_from(|_| None)
                .unwrap_err(),
        };
        let e = e.to_string();
        assert!(!e.contains(secret), "{secret} in {e}");
        assert!(e.contains("password"), "{e}");
    }
    let mut k = ElasticsearchInput::new("http://a:9200", "x");
    k.api_key_env = Some(key.into());
    let e = k.connection_from(|_| None).unwrap_err().to_string();
    assert!(
        !e.contains(key) && e.contains("api_key_env does not name an environment variable"),
        "{e}"
    );
    for name in ["ELASTICSEARCH_API_KEY", "es_key", "TOKEN"] {
        assert!(looks_like_env_name(name), "{name}");
    }
    for value in ["aWQ6a2V5", "deadbeef42", "1ABC", "a-b", ""] {
        assert!(!looks_like_env_name(value), "{value}");
    }
}

#[cfg(feature = "es")]
#[test]
fn elasticsearch_credentials_come_from_the_named_variables() {
    use crate::es::EsAuth;
    let s = Scenario::parse(CLUSTER).unwrap();
    let es = s.elasticsearch.unwrap();
    let env = |k: &str| (k == "PLANNER_ES_PASSWORD").then(|| "s3cret".to_string());
    let c = es.connection_from(env).unwrap();
    assert_eq!(c.urls, ["http://es.example:9200/"]);
    let EsAuth::Basic { username, password } = &c.auth else {
        panic!("{:?}", c.auth)
    };
    assert_eq!(
        (username.as_str(), password.expose()),
        ("planner", "s3cret")
    );
    let e = es.connection_from(|_| None).unwrap_err().to_string();
    assert!(
        e.contains("PLANNER_ES_PASSWORD") && e.contains("not set"),
        "{e}"
    );
    let mut k = ElasticsearchInput::new("http://a:9200", "x");
    k.api_key_env = Some("MY_KEY".into());
    let c = k
        .connection_from(|n| (n == "MY_KEY").then(|| "aWQ6a2V5".into()))
        .unwrap();
    assert!(matches!(c.auth, EsAuth::ApiKey(_)));
    let q = k.query().unwrap();
    assert_eq!(q.index, "x");
}

#[test]
fn load_resolves_paths_against_the_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("s.toml");
    std::fs::write(&p, MINIMAL).unwrap();
    let s = Scenario::load(&p).unwrap();
    assert_eq!(s.network.sites, d.path().join("sites.csv"));
    assert_eq!(s.demand.logs[0], d.path().join("logs/a.ndjson.gz"));
    let missing = Scenario::load(&d.path().join("nope.toml"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nope.toml"), "{missing}");
}
