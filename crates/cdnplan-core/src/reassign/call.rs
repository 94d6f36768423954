//! Runtime calls (`storage.*` extrinsics of the distribution side), who makes them, and the
//! `joystream-distributor` command line for each.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::topology::{
    BagId, BucketId, DynamicBagType, FamilyId, FamilyMetadata, OperatorMetadata, WorkerId,
};

/// Who signs a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The distribution working-group lead (`ensure_leader_origin`).
    Lead,
    /// The operator: the worker named in the call (`ensure_worker_origin`).
    Operator,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Actor::Lead => "lead",
            Actor::Operator => "operator",
        })
    }
}

/// One `storage.*` extrinsic with its arguments. Calls that create something carry the id the
/// runtime is expected to hand out (family ids and bucket indices are counters, never reused),
/// so that later calls can name it; the simulator checks the expectation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// `create_distribution_bucket_family()`.
    CreateDistributionBucketFamily {
        /// The id the runtime will hand out (`NextDistributionBucketFamilyId`).
        expected: FamilyId,
    },
    /// `delete_distribution_bucket_family(family_id)`.
    DeleteDistributionBucketFamily {
        /// The family.
        family: FamilyId,
    },
    /// `set_distribution_bucket_family_metadata(family_id, metadata)` (event only).
    SetDistributionBucketFamilyMetadata {
        /// The family.
        family: FamilyId,
        /// The metadata, as the CLI's JSON input.
        metadata: FamilyMetadata,
    },
    /// `create_distribution_bucket(family_id, accepting_new_bags)`.
    CreateDistributionBucket {
        /// The family.
        family: FamilyId,
        /// `accepting_new_bags` (must be true for bags to be added).
        accepting_new_bags: bool,
        /// The index the runtime will hand out (`next_distribution_bucket_index`).
        expected_index: u64,
    },
    /// `update_distribution_bucket_status(bucket_id, accepting_new_bags)`.
    UpdateDistributionBucketStatus {
        /// The bucket.
        bucket: BucketId,
        /// New `accepting_new_bags`.
        accepting_new_bags: bool,
    },
    /// `update_distribution_bucket_mode(bucket_id, distributing)`.
    UpdateDistributionBucketMode {
        /// The bucket.
        bucket: BucketId,
        /// New `distributing`.
        distributing: bool,
    },
    /// `delete_distribution_bucket(bucket_id)`.
    DeleteDistributionBucket {
        /// The bucket.
        bucket: BucketId,
    },
    /// `update_distribution_buckets_for_bag(bag_id, family_id, add, remove)`: one bag, one
    /// family.
    UpdateDistributionBucketsForBag {
        /// The bag.
        bag: BagId,
        /// The family all indices belong to.
        family: FamilyId,
        /// Bucket indices to add.
        add: BTreeSet<u64>,
        /// Bucket indices to remove.
        remove: BTreeSet<u64>,
    },
    /// `update_distribution_buckets_per_bag_limit(new_limit)`.
    UpdateDistributionBucketsPerBagLimit {
        /// New limit, 1..=51.
        limit: u32,
    },
    /// `update_families_in_dynamic_bag_creation_policy(type, families)`: replaces the whole map.
    UpdateFamiliesInDynamicBagCreationPolicy {
        /// Member or Channel.
        bag_type: DynamicBagType,
        /// The whole new map, family → buckets per new bag.
        families: BTreeMap<FamilyId, u32>,
    },
    /// `invite_distribution_bucket_operator(bucket_id, worker_id)`.
    InviteDistributionBucketOperator {
        /// The bucket.
        bucket: BucketId,
        /// The worker.
        worker: WorkerId,
    },
    /// `cancel_distribution_bucket_operator_invite(bucket_id, worker_id)`.
    CancelDistributionBucketOperatorInvite {
        /// The bucket.
        bucket: BucketId,
        /// The worker.
        worker: WorkerId,
    },
    /// `remove_distribution_bucket_operator(bucket_id, worker_id)`.
    RemoveDistributionBucketOperator {
        /// The bucket.
        bucket: BucketId,
        /// The worker.
        worker: WorkerId,
    },
    /// `accept_distribution_bucket_invitation(worker_id, bucket_id)` (operator).
    AcceptDistributionBucketInvitation {
        /// The worker.
        worker: WorkerId,
        /// The bucket.
        bucket: BucketId,
    },
    /// `set_distribution_operator_metadata(worker_id, bucket_id, metadata)` (operator, event only).
    SetDistributionOperatorMetadata {
        /// The worker.
        worker: WorkerId,
        /// The bucket.
        bucket: BucketId,
        /// Endpoint and location, as the CLI's JSON input.
        metadata: OperatorMetadata,
    },
}

fn idx_list(set: &BTreeSet<u64>) -> String {
    set.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Call {
    /// Who signs it.
    pub fn actor(&self) -> Actor {
        match self {
            Call::AcceptDistributionBucketInvitation { .. }
            | Call::SetDistributionOperatorMetadata { .. } => Actor::Operator,
            _ => Actor::Lead,
        }
    }

    /// The extrinsic's name, e.g. `"storage.update_distribution_buckets_for_bag"`.
    pub fn extrinsic(&self) -> &'static str {
        match self {
            Call::CreateDistributionBucketFamily { .. } => {
                "storage.create_distribution_bucket_family"
            }
            Call::DeleteDistributionBucketFamily { .. } => {
                "storage.delete_distribution_bucket_family"
            }
            Call::SetDistributionBucketFamilyMetadata { .. } => {
                "storage.set_distribution_bucket_family_metadata"
            }
            Call::CreateDistributionBucket { .. } => "storage.create_distribution_bucket",
            Call::UpdateDistributionBucketStatus { .. } => {
                "storage.update_distribution_bucket_status"
            }
            Call::UpdateDistributionBucketMode { .. } => "storage.update_distribution_bucket_mode",
            Call::DeleteDistributionBucket { .. } => "storage.delete_distribution_bucket",
            Call::UpdateDistributionBucketsForBag { .. } => {
                "storage.update_distribution_buckets_for_bag"
            }
            Call::UpdateDistributionBucketsPerBagLimit { .. } => {
                "storage.update_distribution_buckets_per_bag_limit"
            }
            Call::UpdateFamiliesInDynamicBagCreationPolicy { .. } => {
                "storage.update_families_in_dynamic_bag_creation_policy"
            }
            Call::InviteDistributionBucketOperator { .. } => {
                "storage.invite_distribution_bucket_operator"
            }
            Call::CancelDistributionBucketOperatorInvite { .. } => {
                "storage.cancel_distribution_bucket_operator_invite"
            }
            Call::RemoveDistributionBucketOperator { .. } => {
                "storage.remove_distribution_bucket_operator"
            }
            Call::AcceptDistributionBucketInvitation { .. } => {
                "storage.accept_distribution_bucket_invitation"
            }
            Call::SetDistributionOperatorMetadata { .. } => {
                "storage.set_distribution_operator_metadata"
            }
        }
    }

    /// The runtime call with its arguments, e.g.
    /// `storage.update_distribution_bucket_status(0:0, false)`.
    pub fn runtime_call(&self) -> String {
        let args = match self {
            Call::CreateDistributionBucketFamily { .. } => String::new(),
            Call::DeleteDistributionBucketFamily { family } => family.to_string(),
            Call::SetDistributionBucketFamilyMetadata { family, .. } => {
                format!("{family}, <metadata>")
            }
            Call::CreateDistributionBucket {
                family,
                accepting_new_bags,
                ..
            } => format!("{family}, {accepting_new_bags}"),
            Call::UpdateDistributionBucketStatus {
                bucket,
                accepting_new_bags,
            } => format!("{bucket}, {accepting_new_bags}"),
            Call::UpdateDistributionBucketMode {
                bucket,
                distributing,
            } => format!("{bucket}, {distributing}"),
            Call::DeleteDistributionBucket { bucket } => bucket.to_string(),
            Call::UpdateDistributionBucketsForBag {
                bag,
                family,
                add,
                remove,
            } => format!(
                "{bag}, {family}, {{{}}}, {{{}}}",
                idx_list(add),
                idx_list(remove)
            ),
            Call::UpdateDistributionBucketsPerBagLimit { limit } => limit.to_string(),
            Call::UpdateFamiliesInDynamicBagCreationPolicy { bag_type, families } => {
                let m: Vec<String> = families.iter().map(|(f, n)| format!("{f}: {n}")).collect();
                format!("{bag_type:?}, {{{}}}", m.join(", "))
            }
            Call::InviteDistributionBucketOperator { bucket, worker }
            | Call::CancelDistributionBucketOperatorInvite { bucket, worker }
            | Call::RemoveDistributionBucketOperator { bucket, worker } => {
                format!("{bucket}, {worker}")
            }
            Call::AcceptDistributionBucketInvitation { worker, bucket } => {
                format!("{worker}, {bucket}")
            }
            Call::SetDistributionOperatorMetadata { worker, bucket, .. } => {
                format!("{worker}, {bucket}, <metadata>")
            }
        };
        format!("{}({args})", self.extrinsic())
    }

    /// The `joystream-distributor` command (without the `yarn joystream-distributor` prefix
    /// and the common `-c`/`-y` flags), e.g. `leader:update-bag -b static:council -f 1 -a 1`.
    /// Metadata calls read a JSON file named by [`Call::metadata_file`].
    pub fn cli_command(&self) -> String {
        match self {
            Call::CreateDistributionBucketFamily { .. } => "leader:create-bucket-family".into(),
            Call::DeleteDistributionBucketFamily { family } => {
                format!("leader:delete-bucket-family -f {family}")
            }
            Call::SetDistributionBucketFamilyMetadata { family, .. } => format!(
                "leader:set-bucket-family-metadata -f {family} -i {}",
                self.metadata_file().unwrap_or_default()
            ),
            Call::CreateDistributionBucket {
                family,
                accepting_new_bags,
                ..
            } => format!(
                "leader:create-bucket -f {family} -a {}",
                yes_no(*accepting_new_bags)
            ),
            Call::UpdateDistributionBucketStatus {
                bucket,
                accepting_new_bags,
            } => format!(
                "leader:update-bucket-status -B {bucket} -a {}",
                yes_no(*accepting_new_bags)
            ),
            Call::UpdateDistributionBucketMode {
                bucket,
                distributing,
            } => format!(
                "leader:update-bucket-mode -B {bucket} -d {}",
                if *distributing { "on" } else { "off" }
            ),
            Call::DeleteDistributionBucket { bucket } => {
                format!("leader:delete-bucket -B {bucket}")
            }
            Call::UpdateDistributionBucketsForBag {
                bag,
                family,
                add,
                remove,
            } => {
                let mut s = format!("leader:update-bag -b {bag} -f {family}");
                if !add.is_empty() {
                    s.push_str(&format!(" -a {}", idx_list(add)));
                }
                if !remove.is_empty() {
                    s.push_str(&format!(" -r {}", idx_list(remove)));
                }
                s
            }
            Call::UpdateDistributionBucketsPerBagLimit { limit } => {
                format!("leader:set-buckets-per-bag-limit -l {limit}")
            }
            Call::UpdateFamiliesInDynamicBagCreationPolicy { bag_type, families } => {
                let m: Vec<String> = families.iter().map(|(f, n)| format!("{f}:{n}")).collect();
                format!(
                    "leader:update-dynamic-bag-policy -t {bag_type:?} -p {}",
                    m.join(" ")
                )
            }
            Call::InviteDistributionBucketOperator { bucket, worker } => {
                format!("leader:invite-bucket-operator -B {bucket} -w {worker}")
            }
            Call::CancelDistributionBucketOperatorInvite { bucket, worker } => {
                format!("leader:cancel-invitation -B {bucket} -w {worker}")
            }
            Call::RemoveDistributionBucketOperator { bucket, worker } => {
                format!("leader:remove-bucket-operator -B {bucket} -w {worker}")
            }
            Call::AcceptDistributionBucketInvitation { worker, bucket } => {
                format!("operator:accept-invitation -B {bucket} -w {worker}")
            }
            Call::SetDistributionOperatorMetadata { worker, bucket, .. } => format!(
                "operator:set-metadata -B {bucket} -w {worker} -i {}",
                self.metadata_file().unwrap_or_default()
            ),
        }
    }

    /// The metadata file a metadata call reads (relative to the plan's directory), and its
    /// contents as the CLI's JSON input; `None` for other calls.
    pub fn metadata_file(&self) -> Option<String> {
        match self {
            Call::SetDistributionBucketFamilyMetadata { family, .. } => {
                Some(format!("metadata/family-{family}.json"))
            }
            Call::SetDistributionOperatorMetadata { worker, bucket, .. } => Some(format!(
                "metadata/operator-{}-{}-{worker}.json",
                bucket.family, bucket.index
            )),
            _ => None,
        }
    }

    /// The JSON document a metadata call's file holds, in the CLI's input schema
    /// (`familyMetadataSchema.ts`, `operatorMetadataSchema.ts`: camelCase, coordinates as
    /// `latitude`/`longitude`).
    pub fn metadata_json(&self) -> Option<String> {
        let v = match self {
            Call::SetDistributionBucketFamilyMetadata { metadata, .. } => {
                serde_json::to_string_pretty(metadata)
            }
            Call::SetDistributionOperatorMetadata { metadata, .. } => {
                // The CLI's operator schema spells coordinates `latitude`/`longitude`.
                let mut doc = serde_json::Map::new();
                if let Some(e) = &metadata.endpoint {
                    doc.insert("endpoint".into(), e.clone().into());
                }
                if let Some(l) = &metadata.location {
                    let mut loc = serde_json::Map::new();
                    if let Some(cc) = l.country_code {
                        loc.insert("countryCode".into(), cc.to_string().into());
                    }
                    if let Some(c) = &l.city {
                        loc.insert("city".into(), c.clone().into());
                    }
                    if let Some(p) = l.coordinates {
                        loc.insert(
                            "coordinates".into(),
                            serde_json::json!({ "latitude": p.lat, "longitude": p.lon }),
                        );
                    }
                    doc.insert("location".into(), loc.into());
                }
                if let Some(x) = &metadata.extra {
                    doc.insert("extra".into(), x.clone().into());
                }
                serde_json::to_string_pretty(&serde_json::Value::Object(doc))
            }
            _ => return None,
        };
        v.ok().map(|s| s + "\n")
    }

    /// True for `update_distribution_buckets_for_bag`, the per-bag calls that are batched.
    pub fn is_per_bag(&self) -> bool {
        matches!(self, Call::UpdateDistributionBucketsForBag { .. })
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_follow_the_distributor_cli() {
        let c = Call::UpdateDistributionBucketsForBag {
            bag: BagId::Channel(7),
            family: FamilyId(1),
            add: [1].into(),
            remove: BTreeSet::new(),
        };
        assert_eq!(
            c.cli_command(),
            "leader:update-bag -b dynamic:channel:7 -f 1 -a 1"
        );
        assert_eq!(
            c.runtime_call(),
            "storage.update_distribution_buckets_for_bag(dynamic:channel:7, 1, {1}, {})"
        );
        let create = Call::CreateDistributionBucket {
            family: FamilyId(1),
            accepting_new_bags: true,
            expected_index: 1,
        };
        assert_eq!(create.cli_command(), "leader:create-bucket -f 1 -a yes");
        let accept = Call::AcceptDistributionBucketInvitation {
            worker: WorkerId(3),
            bucket: BucketId::new(1, 1),
        };
        assert_eq!(accept.actor(), Actor::Operator);
        assert_eq!(
            accept.cli_command(),
            "operator:accept-invitation -B 1:1 -w 3"
        );
        let meta = Call::SetDistributionOperatorMetadata {
            worker: WorkerId(3),
            bucket: BucketId::new(1, 1),
            metadata: serde_json::from_str(
                r#"{"endpoint":"https://a/","location":{"countryCode":"DE","coordinates":{"lat":49.5,"lon":11.1}}}"#,
            )
            .unwrap(),
        };
        let json: serde_json::Value = serde_json::from_str(&meta.metadata_json().unwrap()).unwrap();
        assert_eq!(json["location"]["coordinates"]["latitude"], 49.5);
        assert_eq!(
            meta.metadata_file().unwrap(),
            "metadata/operator-1-1-3.json"
        );
        let p = Call::UpdateFamiliesInDynamicBagCreationPolicy {
            bag_type: DynamicBagType::Channel,
            families: [(FamilyId(1), 1), (FamilyId(2), 1)].into(),
        };
        assert_eq!(
            p.cli_command(),
            "leader:update-dynamic-bag-policy -t Channel -p 1:1 2:1"
        );
    }
}
