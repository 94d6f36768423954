//! Topology entities and the [`Topology`] snapshot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::{BagId, BucketId, FamilyId, WorkerId};
use crate::error::{Error, Result};
use crate::geo::{Continent, CountryCode, GeoPoint};
use crate::node::Node;

/// Limits of the production runtime (`runtime/src/lib.rs` of the Joystream runtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeLimits {
    /// `MaxDistributionBucketFamilyNumber`.
    pub max_families: u32,
    /// `MinDistributionBucketsPerBag`.
    pub min_buckets_per_bag: u32,
    /// `MaxDistributionBucketsPerBag`.
    pub max_buckets_per_bag: u32,
    /// `MaxNumberOfPendingInvitationsPerDistributionBucket`.
    pub max_pending_invitations: u32,
    /// `MaxNumberOfOperatorsPerDistributionBucket`.
    pub max_operators_per_bucket: u32,
}

impl RuntimeLimits {
    /// Mainnet values: 200 families, 1..51 buckets per bag, 20 invitations, 20 operators.
    pub const MAINNET: RuntimeLimits = RuntimeLimits {
        max_families: 200,
        min_buckets_per_bag: 1,
        max_buckets_per_bag: 51,
        max_pending_invitations: 20,
        max_operators_per_bucket: 20,
    };
}

impl Default for RuntimeLimits {
    fn default() -> Self {
        RuntimeLimits::MAINNET
    }
}

/// A geographical area of a family's metadata (`GeographicalArea` in `Storage.proto`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GeographicalArea {
    /// `{"continentCode": "EU"}`.
    #[serde(rename = "continentCode")]
    Continent(Continent),
    /// `{"countryCode": "DE"}` (ISO 3166-1 alpha-2).
    #[serde(rename = "countryCode")]
    Country(CountryCode),
    /// `{"subdivisionCode": "US-NY"}` (ISO 3166-2).
    #[serde(rename = "subdivisionCode")]
    Subdivision(String),
}

/// Family metadata (`DistributionBucketFamilyMetadata`): emitted in events, read from indexers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyMetadata {
    /// Region name, e.g. `"eu-west-1"` ("should be unique", not enforced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Free text, e.g. `"Western Europe"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Areas the family is meant to serve.
    #[serde(default)]
    pub areas: Vec<GeographicalArea>,
    /// Hosts or IPs for latency tests.
    #[serde(default)]
    pub latency_test_targets: Vec<String>,
}

/// A distribution bucket family. On chain it holds only `next_distribution_bucket_index`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Family {
    /// Family id.
    pub id: FamilyId,
    /// Metadata, when any was ever set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<FamilyMetadata>,
    /// Next bucket index the runtime will hand out (indices are never reused).
    #[serde(default)]
    pub next_bucket_index: u64,
}

/// Where an operator says its node stands (`NodeLocationMetadata`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeLocation {
    /// ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<CountryCode>,
    /// City name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Self-reported coordinates (may be wrong: sign errors have been published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<GeoPoint>,
}

/// Operator metadata (`DistributionBucketOperatorMetadata`), per (bucket, operator).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorMetadata {
    /// Root endpoint, e.g. `https://example.com/distributor/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Node location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<NodeLocation>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
}

/// An operator's relation to a bucket (`DistributionBucketOperator.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperatorStatus {
    /// Invited, not yet accepted (`pending_invitations` on chain).
    Invited,
    /// Accepted: an operator of the bucket.
    Active,
}

/// A worker's role in one bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operator {
    /// The worker.
    pub worker: WorkerId,
    /// Invited or active.
    pub status: OperatorStatus,
    /// Metadata set by the operator for this bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<OperatorMetadata>,
}

/// A distribution bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    /// `(family, index)`.
    pub id: BucketId,
    /// Candidate for new bags, and may be added to bags (`accepting_new_bags`).
    pub accepting_new_bags: bool,
    /// Served by Orion/Atlas (`distributing`).
    pub distributing: bool,
    /// Operators and pending invitations.
    #[serde(default)]
    pub operators: Vec<Operator>,
    /// The runtime's `assigned_bags` counter (`DistributionBucketRecord.assigned_bags`, which
    /// `delete_distribution_bucket` requires to be 0 — Joystream/joystream
    /// runtime-modules/storage/src/lib.rs:2619-2620 @ 3862e7e). No indexer exposes it; `None`
    /// when not read from chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_bags: Option<u64>,
}

/// A bag of content and the buckets distributing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bag {
    /// Bag id.
    pub id: BagId,
    /// Total size of its objects, in bytes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// Buckets distributing it (`distributed_by`), sorted.
    #[serde(default)]
    pub buckets: Vec<BucketId>,
}

/// Dynamic bag kinds with a creation policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DynamicBagType {
    /// Member bags.
    Member,
    /// Channel bags.
    Channel,
}

/// `DynamicBagCreationPolicy`: how many buckets of each family a new dynamic bag gets.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamicBagPolicy {
    /// Storage buckets per new bag.
    #[serde(default)]
    pub number_of_storage_buckets: u32,
    /// Buckets per family (zero entries are dropped by the runtime).
    #[serde(default)]
    pub families: BTreeMap<FamilyId, u32>,
}

/// Chain state read from a Joystream node's JSON-RPC (`state_getStorage`) at one block: what
/// the indexers do not hold ([`Topology::buckets_per_bag_limit`], [`Topology::policies`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainRead {
    /// The node's URL, without user information.
    pub endpoint: String,
    /// The hash of the block read (the finalized head when read), `0x…`.
    pub block: String,
    /// The runtime's `specVersion` at that block, when the node told it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_version: Option<u32>,
    /// Each storage value read, in the order read.
    pub storage: Vec<StorageRead>,
}

/// One storage value read from a node.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StorageRead {
    /// What was read, e.g. `Storage::DynamicBagCreationPolicies[Channel]`.
    pub item: String,
    /// The storage key, `0x…`.
    pub key: String,
    /// The SCALE-encoded value, `0x…`; `None` when the key is absent (the runtime's default
    /// applies).
    pub value: Option<String>,
}

/// A snapshot of the distribution topology.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Topology {
    /// Name of the snapshot, e.g. `"Joystream mainnet, January 2023"`.
    #[serde(default)]
    pub name: String,
    /// Where the facts come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Families, by id.
    pub families: Vec<Family>,
    /// Buckets, by id.
    pub buckets: Vec<Bucket>,
    /// Bags (may be empty when the snapshot has no bag data: see [`Topology::bags_known`]).
    #[serde(default)]
    pub bags: Vec<Bag>,
    /// Whether `bags` is the complete bag list (`true`: imported from an indexer, even when
    /// empty). `None` in files that do not say: then the list counts as known exactly when it
    /// is not empty ([`Topology::bags_are_known`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bags_known: Option<bool>,
    /// `DistributionBucketsPerBagLimit`; `None` when not known (no indexer holds it). A `0` in
    /// a file reads as not known: it is the runtime's value before any lead set it, and files
    /// written before this field could be absent wrote `0` for "not known".
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "limit_or_unknown"
    )]
    pub buckets_per_bag_limit: Option<u32>,
    /// Dynamic bag creation policies (`DynamicBagCreationPolicies`); `None` when not known (no
    /// indexer holds them). When known, a type without an entry has the runtime's default
    /// (no families). An empty map `{}` in a file reads as not known, as older files wrote it
    /// for "not known".
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "policies_or_unknown"
    )]
    pub policies: Option<BTreeMap<DynamicBagType, DynamicBagPolicy>>,
    /// Where the chain state above was read from a node's JSON-RPC, with the raw values, so a
    /// replay knows its block and source. `None` when it was not read from a node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_read: Option<ChainRead>,
    /// Worker handles (member names) for reports.
    #[serde(default)]
    pub worker_handles: BTreeMap<WorkerId, String>,
    /// `NextDistributionBucketFamilyId`: the id the next created family gets (ids are never
    /// reused). `None` when unknown; planners then assume one more than the largest id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_family_id: Option<u64>,
    /// Object → bag map (data object id, as in `/api/v1/assets/<id>`, to its bag), for
    /// attributing request logs to bags. Empty when the snapshot has none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub objects: BTreeMap<String, BagId>,
}

fn limit_or_unknown<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(Option::<u32>::deserialize(d)?.filter(|l| *l > 0))
}

type Policies = BTreeMap<DynamicBagType, DynamicBagPolicy>;

fn policies_or_unknown<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Policies>, D::Error> {
    Ok(Option::<Policies>::deserialize(d)?.filter(|p| !p.is_empty()))
}

/// Why the planner may not drain, switch off or delete a bucket: what is unknown about its
/// bags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BagsUnknown {
    /// The topology has no bag data at all.
    NoBagData,
    /// The on-chain counter disagrees with the bags listed for the bucket.
    CounterDisagrees {
        /// The on-chain `assigned_bags`.
        counter: u64,
        /// Bags the topology lists on the bucket.
        listed: u64,
    },
}

impl std::fmt::Display for BagsUnknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BagsUnknown::NoBagData => {
                write!(f, "its bags are unknown (the topology has no bag data)")
            }
            BagsUnknown::CounterDisagrees { counter, listed } => write!(
                f,
                "its on-chain bag counter ({counter}) disagrees with the {listed} bags listed"
            ),
        }
    }
}

impl Topology {
    /// Whether the bag list is complete: [`Topology::bags_known`] when given, else whether any
    /// bag is listed.
    pub fn bags_are_known(&self) -> bool {
        self.bags_known.unwrap_or(!self.bags.is_empty())
    }

    /// Bags listed on `bucket`.
    pub fn listed_bags(&self, bucket: BucketId) -> u64 {
        self.bags
            .iter()
            .filter(|b| b.buckets.contains(&bucket))
            .count() as u64
    }

    /// What is unknown about the bags of `bucket`, or `None` when its list is known (the
    /// topology has bag data and the bucket's counter, when given, matches it).
    pub fn bags_unknown(&self, bucket: &Bucket) -> Option<BagsUnknown> {
        if !self.bags_are_known() {
            return Some(BagsUnknown::NoBagData);
        }
        let listed = self.listed_bags(bucket.id);
        match bucket.assigned_bags {
            Some(counter) if counter != listed => {
                Some(BagsUnknown::CounterDisagrees { counter, listed })
            }
            _ => None,
        }
    }

    /// The buckets whose bags are unknown, with why, by id.
    pub fn buckets_with_unknown_bags(&self) -> Vec<(BucketId, BagsUnknown)> {
        let mut v: Vec<_> = self
            .buckets
            .iter()
            .filter_map(|b| Some((b.id, self.bags_unknown(b)?)))
            .collect();
        v.sort_by_key(|x| x.0);
        v
    }

    /// Checks references and limits.
    ///
    /// # Errors
    /// [`Error::DuplicateId`], [`Error::UnknownId`] for a bucket in an unknown family or a bag
    /// in an unknown bucket, [`Error::InvalidNodeCoordinate`] naming the bucket and operator for bad
    /// operator coordinates.
    pub fn validate(&self) -> Result<()> {
        let mut fam = std::collections::BTreeSet::new();
        for f in &self.families {
            if !fam.insert(f.id) {
                return Err(Error::DuplicateId {
                    kind: "family",
                    id: f.id.to_string(),
                });
            }
        }
        let mut bk = std::collections::BTreeSet::new();
        for b in &self.buckets {
            if !fam.contains(&b.id.family) {
                return Err(Error::UnknownId {
                    kind: "family",
                    id: b.id.family.to_string(),
                    hint: format!(" (referenced by bucket {})", b.id),
                });
            }
            if !bk.insert(b.id) {
                return Err(Error::DuplicateId {
                    kind: "bucket",
                    id: b.id.to_string(),
                });
            }
            for op in &b.operators {
                if let Some(p) = op
                    .metadata
                    .as_ref()
                    .and_then(|m| m.location.as_ref())
                    .and_then(|l| l.coordinates)
                {
                    p.validate().map_err(|_| Error::InvalidNodeCoordinate {
                        bucket: b.id.to_string(),
                        worker: op.worker.to_string(),
                        lat: p.lat,
                        lon: p.lon,
                    })?;
                }
            }
        }
        let mut bags = std::collections::BTreeSet::new();
        for bag in &self.bags {
            if !bags.insert(&bag.id) {
                return Err(Error::DuplicateId {
                    kind: "bag",
                    id: bag.id.to_string(),
                });
            }
            for b in &bag.buckets {
                if !bk.contains(b) {
                    return Err(Error::UnknownId {
                        kind: "bucket",
                        id: b.to_string(),
                        hint: format!(" (referenced by bag {})", bag.id),
                    });
                }
            }
        }
        Ok(())
    }

    /// The id the next created family gets: [`Topology::next_family_id`] when known, else one
    /// more than the largest family id (0 for no family).
    pub fn expected_next_family_id(&self) -> u64 {
        let after_max = self.families.iter().map(|f| f.id.0 + 1).max().unwrap_or(0);
        self.next_family_id.map_or(after_max, |n| n.max(after_max))
    }

    /// The family with `id`.
    pub fn family(&self, id: FamilyId) -> Option<&Family> {
        self.families.iter().find(|f| f.id == id)
    }

    /// The bucket with `id`.
    pub fn bucket(&self, id: BucketId) -> Option<&Bucket> {
        self.buckets.iter().find(|b| b.id == id)
    }

    /// Physical nodes for the serving model: one per distinct endpoint (or per worker when an
    /// operator has no endpoint) among ACTIVE operators with coordinates. A node is active when
    /// at least one of its buckets is distributing and it has an endpoint — Orion's rule. Nodes
    /// are sorted by id; ids are the endpoint host, or `worker-<id>`.
    pub fn nodes(&self) -> Vec<Node> {
        let mut by_id: BTreeMap<String, Node> = BTreeMap::new();
        for b in &self.buckets {
            for op in b
                .operators
                .iter()
                .filter(|o| o.status == OperatorStatus::Active)
            {
                let meta = op.metadata.clone().unwrap_or_default();
                let loc = meta.location.clone().unwrap_or_default();
                let Some(point) = loc.coordinates else {
                    continue;
                };
                let id = meta
                    .endpoint
                    .as_deref()
                    .map(endpoint_host)
                    .unwrap_or_else(|| format!("worker-{}", op.worker));
                let serves = b.distributing && meta.endpoint.is_some();
                let handle = self.worker_handles.get(&op.worker).cloned();
                let node = by_id.entry(id.clone()).or_insert_with(|| Node {
                    id,
                    operator: Some(match &handle {
                        Some(h) => format!("{} (worker {})", h, op.worker),
                        None => format!("worker {}", op.worker),
                    }),
                    city: loc.city.clone(),
                    country: loc.country_code,
                    continent: None,
                    location: point,
                    capacity: None,
                    active: false,
                    buckets: Vec::new(),
                });
                node.active |= serves;
                node.buckets.push(b.id);
            }
        }
        by_id.into_values().collect()
    }
}

/// The host of an endpoint URL: `https://a.b.c:443/distributor/` → `a.b.c`.
pub(crate) fn endpoint_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = if host.starts_with('[') {
        host
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(
        worker: u64,
        endpoint: Option<&str>,
        lat: f64,
        lon: f64,
        status: OperatorStatus,
    ) -> Operator {
        Operator {
            worker: WorkerId(worker),
            status,
            metadata: Some(OperatorMetadata {
                endpoint: endpoint.map(str::to_string),
                location: Some(NodeLocation {
                    country_code: None,
                    city: None,
                    coordinates: Some(GeoPoint { lat, lon }),
                }),
                extra: None,
            }),
        }
    }

    fn topo() -> Topology {
        Topology {
            families: vec![
                Family {
                    id: FamilyId(0),
                    metadata: None,
                    next_bucket_index: 1,
                },
                Family {
                    id: FamilyId(1),
                    metadata: None,
                    next_bucket_index: 1,
                },
            ],
            buckets: vec![
                Bucket {
                    assigned_bags: None,
                    id: BucketId::new(0, 0),
                    accepting_new_bags: true,
                    distributing: true,
                    operators: vec![op(
                        3,
                        Some("https://a.example.com/distributor/"),
                        49.45,
                        11.08,
                        OperatorStatus::Active,
                    )],
                },
                Bucket {
                    assigned_bags: None,
                    id: BucketId::new(1, 0),
                    accepting_new_bags: true,
                    distributing: false,
                    operators: vec![
                        op(
                            3,
                            Some("https://A.example.com:443/distributor/"),
                            49.45,
                            11.08,
                            OperatorStatus::Active,
                        ),
                        op(
                            4,
                            Some("https://b.example.com/"),
                            1.35,
                            103.8,
                            OperatorStatus::Active,
                        ),
                        op(
                            5,
                            Some("https://c.example.com/"),
                            1.35,
                            103.8,
                            OperatorStatus::Invited,
                        ),
                    ],
                },
            ],
            ..Topology::default()
        }
    }

    #[test]
    fn nodes_group_by_endpoint_and_follow_orions_rule() {
        let nodes = topo().nodes();
        assert_eq!(
            nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
            ["a.example.com", "b.example.com"]
        );
        assert!(nodes[0].active, "distributing in 0:0");
        assert_eq!(
            nodes[0].buckets,
            vec![BucketId::new(0, 0), BucketId::new(1, 0)]
        );
        assert!(!nodes[1].active, "its only bucket is not distributing");
    }

    #[test]
    fn validate_catches_dangling_references() {
        let mut t = topo();
        t.validate().unwrap();
        t.bags.push(Bag {
            id: BagId::Council,
            size_bytes: None,
            buckets: vec![BucketId::new(7, 0)],
        });
        assert!(matches!(
            t.validate(),
            Err(Error::UnknownId { kind: "bucket", .. })
        ));
    }

    #[test]
    fn area_json_matches_the_cli_schema() {
        let a: Vec<GeographicalArea> = serde_json::from_str(
            r#"[{"continentCode":"EU"},{"countryCode":"DE"},{"subdivisionCode":"US-NY"}]"#,
        )
        .unwrap();
        assert_eq!(a[0], GeographicalArea::Continent(Continent::EU));
        assert_eq!(
            serde_json::to_string(&a[1]).unwrap(),
            r#"{"countryCode":"DE"}"#
        );
    }
}
