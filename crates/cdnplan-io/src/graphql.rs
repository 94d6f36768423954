//! Topology import from the indexers' GraphQL: the Hydra query node (2023) and
//! storage-squid / Orion (2024+), from saved responses or live.
//!
//! # Accepted documents
//!
//! A saved document is one GraphQL response (`{"data": {...}}`) or a JSON array of them (the
//! pages [`fetch`] saves); the `data` objects of all pages are merged, lists concatenated.
//! Recognised keys of `data`:
//!
//! * `distributionBucketFamilies` — families with `metadata` and `buckets` (with `operators`
//!   and their `metadata`). Areas come either as Hydra's `areas { area { __typename code… } }`
//!   (the `code` field aliased to `continentCode`/`countryCode`/`subdivisionCode`) or as
//!   Subsquid's flat `areas { __typename continentCode… }`. Hydra buckets may list
//!   `bags { id objectsSize }`.
//! * `distributionBucketBags` — Subsquid's bag ↔ bucket links `{ distributionBucket { id } bag { id } }`.
//! * `storageBags` — `{ id objectsSize? distributionBuckets { id }? }` (Hydra; sizes).
//!   A live Hydra import saves `storageBagsConnection { edges { node { … } } pageInfo }`
//!   pages (see [`hydra_bags_query`]); any `…Connection { edges { node } }` is read as the
//!   list of its nodes, so files saved by older versions (`storageBags` pages) and newer
//!   ones both replay.
//! * `storageDataObjects` — `{ id size storageBag { id } }`: the object → bag map, and bag
//!   sizes where `objectsSize` is missing (Subsquid has none).
//! * `distributionBucketsPerBagLimit` (number) and `dynamicBagCreationPolicies`
//!   (`{"Channel": {"numberOfStorageBuckets": 5, "families": {"1": 1}}}`) — chain state the
//!   indexers do not hold; a cdnplan extension for documents completed from a chain query.
//!
//! Coordinates are `latitude`/`longitude` as published. Operator status `ACTIVE` or `INVITED`.

mod fetch;
pub(crate) mod http;

use std::collections::BTreeMap;
use std::path::Path;

use cdnplan_core::geo::{Continent, CountryCode, GeoPoint};
use cdnplan_core::topology::{
    Bag, BagId, Bucket, BucketId, DynamicBagPolicy, DynamicBagType, Family, FamilyId,
    FamilyMetadata, GeographicalArea, NodeLocation, Operator, OperatorMetadata, OperatorStatus,
    Topology, WorkerId,
};
use serde_json::Value;

use crate::error::{Error, Result};
pub use fetch::{families_query, fetch, fetch_with, hydra_bags_query, squid_links_query};
pub use http::FetchLimits;

/// Which indexer a document or a URL speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexer {
    /// The Hydra query node (`query-node/schemas/storage.graphql`).
    Hydra,
    /// storage-squid or Orion (Subsquid).
    Squid,
}

impl std::str::FromStr for Indexer {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hydra" | "query-node" | "qn" => Ok(Indexer::Hydra),
            "squid" | "storage-squid" | "orion" | "subsquid" => Ok(Indexer::Squid),
            _ => Err(Error::Config(format!(
                "unknown indexer {s:?} (expected hydra or squid)"
            ))),
        }
    }
}

/// Reads a saved GraphQL document (see the [module docs](self)) into a validated topology.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Format`] naming the file and the JSON
/// path of a missing or malformed field; [`Error::Core`] when the result fails
/// [`Topology::validate`].
pub fn load_graphql(path: &Path) -> Result<Topology> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))?;
    parse_graphql(&text, path)
}

/// Parses a GraphQL document; `path` names it in errors.
///
/// # Errors
/// As [`load_graphql`].
pub fn parse_graphql(text: &str, path: &Path) -> Result<Topology> {
    let bad = |reason: String| Error::Format {
        path: path.to_path_buf(),
        reason,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let pages: Vec<&Value> = match &doc {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    let mut data: serde_json::Map<String, Value> = serde_json::Map::new();
    for (i, p) in pages.iter().enumerate() {
        if let Some(m) = graphql_errors(p) {
            return Err(bad(format!("page {i}: {m}")));
        }
        let Some(d) = p.get("data").and_then(Value::as_object) else {
            return Err(bad(format!("page {i}: no `data` object")));
        };
        for (k, v) in d {
            let (k, v) = match connection_nodes(k, v) {
                Some((list, nodes)) => (
                    list.to_string(),
                    nodes.map_err(|e| bad(format!("page {i}: {e}")))?,
                ),
                None => (k.clone(), v.clone()),
            };
            match (data.get_mut(&k), v) {
                (Some(Value::Array(a)), Value::Array(b)) => a.extend(b),
                (_, v) => {
                    data.insert(k, v);
                }
            }
        }
    }
    let t = build(&data).map_err(bad)?;
    t.validate().map_err(|e| Error::Core {
        path: path.to_path_buf(),
        source: e,
    })?;
    Ok(t)
}

type R<T> = std::result::Result<T, String>;

/// The first of a GraphQL answer's `errors` as a message: its `message` (or the whole error
/// when it has none) and how many more there are; `None` without errors.
pub(crate) fn graphql_errors(answer: &Value) -> Option<String> {
    let errs = answer.get("errors")?.as_array()?;
    let first = errs.first()?;
    let message = first
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| first.to_string(), str::to_string);
    let more = match errs.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more error)".to_string(),
        n => format!(" (and {n} more errors)"),
    };
    Some(format!(
        "the indexer answered with GraphQL errors: {message}{more}"
    ))
}

/// A Relay connection page (`xsConnection { edges { node } }`, what a live Hydra import
/// saves) as the list `xs` of its nodes; `None` for any other key.
fn connection_nodes<'a>(key: &'a str, v: &Value) -> Option<(&'a str, R<Value>)> {
    let list = key.strip_suffix("Connection")?;
    let edges = v.get("edges")?.as_array()?;
    let nodes = edges
        .iter()
        .enumerate()
        .map(|(j, e)| {
            e.get("node")
                .filter(|n| n.is_object())
                .cloned()
                .ok_or_else(|| format!("{key}.edges[{j}]: missing object `node`"))
        })
        .collect::<R<Vec<Value>>>();
    Some((list, nodes.map(Value::Array)))
}

fn field<'a>(v: &'a Value, at: &str, name: &str) -> R<&'a Value> {
    v.get(name)
        .filter(|x| !x.is_null())
        .ok_or_else(|| format!("{at}: missing field `{name}`"))
}

fn str_field(v: &Value, at: &str, name: &str) -> R<String> {
    match field(v, at, name)? {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("{at}.{name}: expected a string, got {other}")),
    }
}

fn u64_field(v: &Value, at: &str, name: &str) -> R<u64> {
    let s = str_field(v, at, name)?;
    s.parse()
        .map_err(|_| format!("{at}.{name}: expected a whole number, got {s:?}"))
}

fn opt_str(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_string)
}

fn list<'a>(v: &'a Value, name: &str) -> &'a [Value] {
    v.get(name)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn area(v: &Value, at: &str) -> R<Option<GeographicalArea>> {
    // Hydra wraps the union in `area`; Subsquid lists it flat.
    let a = v.get("area").unwrap_or(v);
    if let Some(c) = a.get("continentCode").and_then(Value::as_str) {
        let c: Continent = c.parse().map_err(|e| format!("{at}.continentCode: {e}"))?;
        return Ok(Some(GeographicalArea::Continent(c)));
    }
    if let Some(c) = a.get("countryCode").and_then(Value::as_str) {
        let c = CountryCode::new(c).map_err(|e| format!("{at}.countryCode: {e}"))?;
        return Ok(Some(GeographicalArea::Country(c)));
    }
    if let Some(c) = a.get("subdivisionCode").and_then(Value::as_str) {
        return Ok(Some(GeographicalArea::Subdivision(c.to_string())));
    }
    Ok(None)
}

fn operator_metadata(v: &Value, at: &str) -> R<Option<OperatorMetadata>> {
    let Some(m) = v.get("metadata").filter(|m| !m.is_null()) else {
        return Ok(None);
    };
    let location = match m.get("nodeLocation").filter(|l| !l.is_null()) {
        None => None,
        Some(l) => {
            let coordinates = match l.get("coordinates").filter(|c| !c.is_null()) {
                None => None,
                Some(c) => {
                    let num = |k: &str| c.get(k).and_then(Value::as_f64);
                    match (num("latitude"), num("longitude")) {
                        (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
                        _ => None,
                    }
                }
            };
            let country_code = match opt_str(l, "countryCode") {
                Some(c) if !c.trim().is_empty() => Some(
                    CountryCode::new(c.trim())
                        .map_err(|e| format!("{at}.metadata.nodeLocation.countryCode: {e}"))?,
                ),
                _ => None,
            };
            Some(NodeLocation {
                country_code,
                city: opt_str(l, "city").filter(|c| !c.trim().is_empty()),
                coordinates,
            })
        }
    };
    Ok(Some(OperatorMetadata {
        endpoint: opt_str(m, "nodeEndpoint").filter(|e| !e.trim().is_empty()),
        location,
        extra: opt_str(m, "extra").filter(|e| !e.is_empty()),
    }))
}

fn bag_id(s: &str, at: &str) -> R<BagId> {
    s.parse().map_err(|e| format!("{at}: {e}"))
}

fn bucket_id(s: &str, at: &str) -> R<BucketId> {
    s.parse().map_err(|e| format!("{at}: {e}"))
}

fn build(data: &serde_json::Map<String, Value>) -> R<Topology> {
    let mut t = Topology {
        name: "imported from the indexer".into(),
        ..Topology::default()
    };
    let families = data
        .get("distributionBucketFamilies")
        .and_then(Value::as_array)
        .ok_or("data: missing list `distributionBucketFamilies`")?;
    let mut bags: BTreeMap<BagId, (Option<u64>, Vec<BucketId>)> = BTreeMap::new();
    let mut saw_bags = false;
    for (fi, f) in families.iter().enumerate() {
        let at = format!("distributionBucketFamilies[{fi}]");
        let id = FamilyId(u64_field(f, &at, "id")?);
        let metadata = match f.get("metadata").filter(|m| !m.is_null()) {
            None => None,
            Some(m) => {
                let mut areas = Vec::new();
                for (ai, a) in list(m, "areas").iter().enumerate() {
                    if let Some(x) = area(a, &format!("{at}.metadata.areas[{ai}]"))? {
                        areas.push(x);
                    }
                }
                Some(FamilyMetadata {
                    region: opt_str(m, "region"),
                    description: opt_str(m, "description"),
                    areas,
                    latency_test_targets: list(m, "latencyTestTargets")
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                })
            }
        };
        let mut next = 0;
        for (bi, b) in list(f, "buckets").iter().enumerate() {
            let bat = format!("{at}.buckets[{bi}]");
            let index = u64_field(b, &bat, "bucketIndex")?;
            let bid = BucketId::new(id.0, index);
            next = next.max(index + 1);
            let mut operators = Vec::new();
            for (oi, o) in list(b, "operators").iter().enumerate() {
                let oat = format!("{bat}.operators[{oi}]");
                let status = match str_field(o, &oat, "status")?.as_str() {
                    "ACTIVE" => OperatorStatus::Active,
                    "INVITED" => OperatorStatus::Invited,
                    s => {
                        return Err(format!(
                            "{oat}.status: expected ACTIVE or INVITED, got {s:?}"
                        ));
                    }
                };
                operators.push(Operator {
                    worker: WorkerId(u64_field(o, &oat, "workerId")?),
                    status,
                    metadata: operator_metadata(o, &oat)?,
                });
            }
            let flag = |k: &str| -> R<bool> {
                field(b, &bat, k)?
                    .as_bool()
                    .ok_or_else(|| format!("{bat}.{k}: expected true or false"))
            };
            t.buckets.push(Bucket {
                id: bid,
                accepting_new_bags: flag("acceptingNewBags")?,
                distributing: flag("distributing")?,
                operators,
                assigned_bags: None,
            });
            saw_bags |= b.get("bags").is_some_and(Value::is_array);
            for (gi, g) in list(b, "bags").iter().enumerate() {
                let gat = format!("{bat}.bags[{gi}]");
                let id = bag_id(&str_field(g, &gat, "id")?, &gat)?;
                let size = g.get("objectsSize").and_then(|s| match s {
                    Value::String(s) => s.parse().ok(),
                    v => v.as_u64(),
                });
                let e = bags.entry(id).or_default();
                e.0 = e.0.or(size);
                e.1.push(bid);
            }
        }
        t.families.push(Family {
            id,
            metadata,
            next_bucket_index: next,
        });
    }
    // The response carries bag links: the bag list is known (even when empty).
    saw_bags |= ["distributionBucketBags", "storageBags"]
        .iter()
        .any(|k| data.get(*k).is_some_and(Value::is_array));
    if saw_bags {
        t.bags_known = Some(true);
    }
    for (i, l) in list_of(data, "distributionBucketBags").iter().enumerate() {
        let at = format!("distributionBucketBags[{i}]");
        let b = bucket_id(
            &str_field(field(l, &at, "distributionBucket")?, &at, "id")?,
            &at,
        )?;
        let g = bag_id(&str_field(field(l, &at, "bag")?, &at, "id")?, &at)?;
        bags.entry(g).or_default().1.push(b);
    }
    for (i, s) in list_of(data, "storageBags").iter().enumerate() {
        let at = format!("storageBags[{i}]");
        let g = bag_id(&str_field(s, &at, "id")?, &at)?;
        let size = s.get("objectsSize").and_then(|s| match s {
            Value::String(s) => s.parse().ok(),
            v => v.as_u64(),
        });
        let e = bags.entry(g).or_default();
        e.0 = e.0.or(size);
        for (j, d) in list(s, "distributionBuckets").iter().enumerate() {
            e.1.push(bucket_id(
                &str_field(d, &format!("{at}.distributionBuckets[{j}]"), "id")?,
                &at,
            )?);
        }
    }
    let mut sums: BTreeMap<BagId, u64> = BTreeMap::new();
    for (i, o) in list_of(data, "storageDataObjects").iter().enumerate() {
        let at = format!("storageDataObjects[{i}]");
        let id = str_field(o, &at, "id")?;
        let g = bag_id(&str_field(field(o, &at, "storageBag")?, &at, "id")?, &at)?;
        if let Ok(size) = u64_field(o, &at, "size") {
            *sums.entry(g.clone()).or_default() += size;
        }
        t.objects.insert(id, g);
    }
    for (id, sum) in sums {
        let e = bags.entry(id).or_default();
        e.0 = e.0.or(Some(sum));
    }
    t.bags = bags
        .into_iter()
        .map(|(id, (size_bytes, mut buckets))| {
            buckets.sort();
            buckets.dedup();
            Bag {
                id,
                size_bytes,
                buckets,
            }
        })
        .collect();
    if let Some(l) = data.get("distributionBucketsPerBagLimit") {
        t.buckets_per_bag_limit = Some(
            l.as_u64()
                .and_then(|l| u32::try_from(l).ok())
                .ok_or("distributionBucketsPerBagLimit: expected a whole number")?,
        );
    }
    if let Some(p) = data.get("dynamicBagCreationPolicies") {
        let policies: BTreeMap<DynamicBagType, DynamicBagPolicy> =
            serde_json::from_value(p.clone())
                .map_err(|e| format!("dynamicBagCreationPolicies: {e}"))?;
        t.policies = Some(policies);
    }
    t.families.sort_by_key(|f| f.id);
    t.buckets.sort_by_key(|b| b.id);
    Ok(t)
}

fn list_of<'a>(data: &'a serde_json::Map<String, Value>, key: &str) -> &'a [Value] {
    data.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::dechunk;

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert!(dechunk(b"9\r\nabc").is_none());
    }

    #[test]
    fn errors_name_the_json_path() {
        let e = parse_graphql(
            r#"{"data":{"distributionBucketFamilies":[{"id":"0","buckets":[{"bucketIndex":"x"}]}]}}"#,
            Path::new("t.json"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("t.json")
                && e.contains("distributionBucketFamilies[0].buckets[0].bucketIndex"),
            "{e}"
        );
        let e = parse_graphql(r#"{"errors":[{"message":"boom"}]}"#, Path::new("t.json"))
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("page 0: the indexer answered with GraphQL errors: boom"),
            "{e}"
        );
    }

    /// Issue 14 item 4: a file saved by an older version (`storageBags` pages) and one saved
    /// now (`storageBagsConnection` cursor pages) replay to the same topology.
    #[test]
    fn saved_bag_pages_of_old_and_new_versions_replay() {
        let bag = |i: u64| {
            serde_json::json!({"id": format!("dynamic:channel:{i}"), "objectsSize": (i * 10).to_string(),
                "distributionBuckets": [{"id": "0:0"}]})
        };
        let families = r#"{"data":{"distributionBucketFamilies":[{"id":"0","buckets":[{"bucketIndex":"0","acceptingNewBags":true,"distributing":true,"operators":[]}]}]}}"#;
        let families: Value = serde_json::from_str(families).unwrap();
        let old =
            serde_json::json!([families, {"data": {"storageBags": [bag(1), bag(2), bag(3)]}}]);
        let page = |bags: Vec<Value>, more: bool| {
            let edges: Vec<Value> = bags
                .into_iter()
                .map(|b| serde_json::json!({"node": b}))
                .collect();
            serde_json::json!({"data": {"storageBagsConnection": {"edges": edges,
                "pageInfo": {"hasNextPage": more, "endCursor": "c"}}}})
        };
        let new = serde_json::json!([
            families,
            page(vec![bag(1), bag(2)], true),
            page(vec![bag(3)], false)
        ]);
        let old = parse_graphql(&old.to_string(), Path::new("old.json")).unwrap();
        let new = parse_graphql(&new.to_string(), Path::new("new.json")).unwrap();
        assert_eq!(new.bags.len(), 3, "{:?}", new.bags);
        assert_eq!(new.bags[2].size_bytes, Some(30));
        assert_eq!(old, new);
        let broken = serde_json::json!([families, {"data": {"storageBagsConnection": {"edges": [{"cursor": "c"}]}}}]);
        let e = parse_graphql(&broken.to_string(), Path::new("b.json"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("page 1: storageBagsConnection.edges[0]: missing object `node`"),
            "{e}"
        );
    }

    const HYDRA: &str = include_str!("../tests/fixtures/hydra-topology.json");
    const SQUID: &str = include_str!("../tests/fixtures/squid-topology.json");

    mod hydra {
        use super::*;

        #[test]
        fn families_buckets_operators_and_bags_are_read() {
            let t = parse_graphql(HYDRA, Path::new("hydra.json")).unwrap();
            assert_eq!(t.families.len(), 3);
            let f1 = t.family(FamilyId(1)).unwrap().metadata.clone().unwrap();
            assert_eq!(f1.description.as_deref(), Some("Western Europe"));
            assert_eq!(
                f1.areas,
                [
                    GeographicalArea::Continent(Continent::EU),
                    GeographicalArea::Country(CountryCode::new("FR").unwrap()),
                    GeographicalArea::Subdivision("DE-BY".into())
                ]
            );
            assert_eq!(f1.latency_test_targets, ["dp.0x2bc.com"]);
            let b10 = t.bucket(BucketId::new(1, 0)).unwrap();
            assert_eq!(b10.operators.len(), 2);
            assert_eq!(b10.operators[1].status, OperatorStatus::Invited);
            assert_eq!(t.family(FamilyId(5)).unwrap().next_bucket_index, 2);
            let council = t.bags.iter().find(|b| b.id == BagId::Council).unwrap();
            assert_eq!(council.size_bytes, Some(1_048_576));
            assert_eq!(council.buckets, [BucketId::new(0, 0), BucketId::new(1, 0)]);
            let ch7 = t.bags.iter().find(|b| b.id == BagId::Channel(7)).unwrap();
            assert_eq!(ch7.buckets.len(), 3);
            assert_eq!(t.nodes().len(), 3);
        }
    }

    mod squid {
        use super::*;

        #[test]
        fn links_objects_sizes_limit_and_policy_are_read() {
            let t = parse_graphql(SQUID, Path::new("squid.json")).unwrap();
            assert_eq!(t.buckets.len(), 3);
            assert_eq!(t.family(FamilyId(0)).unwrap().next_bucket_index, 3);
            let ch1 = t.bags.iter().find(|b| b.id == BagId::Channel(1)).unwrap();
            assert_eq!(ch1.buckets, [BucketId::new(0, 0), BucketId::new(12, 0)]);
            assert_eq!(ch1.size_bytes, Some(3500), "summed from storageDataObjects");
            assert_eq!(t.objects["201"], BagId::Channel(2));
            assert_eq!(t.buckets_per_bag_limit, Some(3));
            assert_eq!(
                t.policies.as_ref().unwrap()[&DynamicBagType::Channel].families,
                [(FamilyId(0), 1), (FamilyId(12), 1)].into()
            );
            let op = &t.bucket(BucketId::new(12, 0)).unwrap().operators[0];
            let loc = op.metadata.as_ref().unwrap().location.as_ref().unwrap();
            assert!(loc.coordinates.is_none());
        }
    }

    #[test]
    fn imports_are_checked_for_what_the_published_metadata_gets_wrong() {
        use cdnplan_core::topology::{FindingKind, check::check};
        let countries = crate::data::bundled::countries().unwrap();
        let sites = crate::data::bundled::sites().unwrap();
        let hydra = parse_graphql(HYDRA, Path::new("hydra.json")).unwrap();
        let f: Vec<String> = check(&hydra, &countries, &sites)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f[0].starts_with("bucket 5:0, worker 4: coordinates")
                && f[0].contains("sign error? 19.0728, 72.8826"),
            "{f:?}"
        );
        assert_eq!(f[1], "bucket 5:1: no active operator (0 bags assigned)");
        let squid = parse_graphql(SQUID, Path::new("squid.json")).unwrap();
        let kinds: Vec<FindingKind> = check(&squid, &countries, &sites)
            .into_iter()
            .map(|f| f.kind)
            .collect();
        assert!(kinds.iter().any(|k| matches!(k, FindingKind::DuplicateEndpoint { workers, .. } if workers.len() == 2)), "{kinds:?}");
        assert!(kinds.contains(&FindingKind::NoCoordinates), "{kinds:?}");
    }
}
