//! SCALE decoding of the values read, with `parity-scale-codec` on mirror types of the
//! runtime's (docs/upstream-rules.md §2.2), and the runtime's defaults for absent keys.

use std::collections::BTreeMap;

use cdnplan_core::topology::{DynamicBagPolicy, FamilyId};
use parity_scale_codec::{Decode, DecodeAll};

/// `MaxDistributionBucketsPerBag`: the largest per-bag limit the runtime accepts, and the
/// bound of a policy's family map (Joystream/joystream runtime/src/lib.rs:1138-1139 @ 3862e7e).
pub const MAX_BUCKETS_PER_BAG: u32 = 51;

/// `DefaultMemberDynamicBagNumberOfStorageBuckets` and
/// `DefaultChannelDynamicBagNumberOfStorageBuckets` of the production runtime: 5 each
/// (runtime/src/lib.rs:1173-1178). An absent policy key means this many storage buckets and
/// no distribution family (`get_dynamic_bag_creation_policy`, storage lib.rs:3805-3828).
pub const DEFAULT_STORAGE_BUCKETS: u32 = 5;

/// `DynamicBagCreationPolicy { number_of_storage_buckets: u32, families:
/// BoundedBTreeMap<DistributionBucketFamilyId (u64), u32, 51> }` (storage lib.rs:494-504,
/// 566-574). A bounded map encodes as the plain map: a `Compact<u32>` length, then the pairs.
#[derive(Decode)]
struct PolicyMirror {
    number_of_storage_buckets: u32,
    families: BTreeMap<u64, u32>,
}

/// Decodes a `DistributionBucketsPerBagLimit` value (`u32`); `None` (absent) is the
/// storage's default, 0 (ValueQuery with default `0x00000000`, §2.1).
///
/// # Errors
/// A sentence saying what is wrong with the bytes.
pub fn per_bag_limit(value: Option<&[u8]>) -> Result<u32, String> {
    let Some(mut bytes) = value else {
        return Ok(0);
    };
    let limit = u32::decode_all(&mut bytes).map_err(|e| {
        format!(
            "{} bytes are not a u32 ({e}): expected 4 bytes",
            bytes.len()
        )
    })?;
    if limit > MAX_BUCKETS_PER_BAG {
        return Err(format!(
            "{limit} is above MaxDistributionBucketsPerBag ({MAX_BUCKETS_PER_BAG}), which the runtime never stores"
        ));
    }
    Ok(limit)
}

/// Decodes a `DynamicBagCreationPolicy`; `None` (absent) is the runtime's default: 5 storage
/// buckets, no distribution family (a channel is then created on no distribution bucket).
///
/// # Errors
/// A sentence saying what is wrong with the bytes.
pub fn creation_policy(value: Option<&[u8]>) -> Result<DynamicBagPolicy, String> {
    let Some(bytes) = value else {
        return Ok(DynamicBagPolicy {
            number_of_storage_buckets: DEFAULT_STORAGE_BUCKETS,
            families: BTreeMap::new(),
        });
    };
    let m = PolicyMirror::decode_all(&mut &bytes[..]).map_err(|e| {
        format!(
            "{} bytes are not a DynamicBagCreationPolicy ({e})",
            bytes.len()
        )
    })?;
    if m.families.len() > MAX_BUCKETS_PER_BAG as usize {
        return Err(format!(
            "{} families, more than the {MAX_BUCKETS_PER_BAG} a policy can hold",
            m.families.len()
        ));
    }
    Ok(DynamicBagPolicy {
        number_of_storage_buckets: m.number_of_storage_buckets,
        families: m
            .families
            .into_iter()
            .map(|(f, n)| (FamilyId(f), n))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::keys::unhex;

    /// docs/upstream-rules.md §2.2's example, written out by hand there: `{nsb: 5, families:
    /// {1: 1, 2: 1}}`.
    #[test]
    fn the_docs_policy_example_decodes() {
        let bytes = unhex(
            "0x05000000080100000000000000010000000200000000000000\
             01000000",
        )
        .unwrap();
        let p = creation_policy(Some(&bytes)).unwrap();
        assert_eq!(p.number_of_storage_buckets, 5);
        assert_eq!(
            p.families,
            BTreeMap::from([(FamilyId(1), 1), (FamilyId(2), 1)])
        );
    }

    #[test]
    fn absent_keys_take_the_runtimes_defaults() {
        assert_eq!(per_bag_limit(None), Ok(0));
        let p = creation_policy(None).unwrap();
        assert_eq!((p.number_of_storage_buckets, p.families.len()), (5, 0));
    }

    #[test]
    fn malformed_values_are_refused() {
        assert_eq!(per_bag_limit(Some(&[3, 0, 0, 0])), Ok(3));
        assert!(per_bag_limit(Some(&[3, 0, 0])).is_err());
        assert!(
            per_bag_limit(Some(&[3, 0, 0, 0, 0])).is_err(),
            "trailing byte"
        );
        let e = per_bag_limit(Some(&[52, 0, 0, 0])).unwrap_err();
        assert!(e.contains("MaxDistributionBucketsPerBag"), "{e}");
        // A length of 2 pairs with only one pair of bytes.
        let short = unhex("0x0500000008010000000000000001000000").unwrap();
        assert!(creation_policy(Some(&short)).is_err());
        // Text where a policy belongs.
        assert!(creation_policy(Some(b"<html>")).is_err());
    }
}
