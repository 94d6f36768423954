//! Storage keys of the Joystream storage pallet's chain state, as Substrate builds them:
//! `twox128(pallet) ++ twox128(item) [++ blake2_128(scale(k)) ++ scale(k)]` (docs/upstream-rules.md
//! §2.3). The pallet's prefix is `Storage` (`decl_storage! { trait Store for Module<T: Config>
//! as Storage }`, Joystream/joystream runtime-modules/storage/src/lib.rs:1098-1099 @ 3862e7e).

use blake2::digest::consts::U16;
use blake2::{Blake2b, Digest};
use cdnplan_core::topology::DynamicBagType;
use twox_hash::XxHash64;

/// The storage pallet's prefix.
pub const PALLET: &str = "Storage";
/// `DistributionBucketsPerBagLimit: u32` (plain value, lib.rs:1163).
pub const PER_BAG_LIMIT: &str = "DistributionBucketsPerBagLimit";
/// `DynamicBagCreationPolicies: map hasher(blake2_128_concat) DynamicBagType =>
/// DynamicBagCreationPolicy` (lib.rs:1138-1140).
pub const CREATION_POLICIES: &str = "DynamicBagCreationPolicies";

/// Substrate's `twox_128`: xxHash64 with seeds 0 and 1, each little-endian, concatenated.
///
/// ```
/// use cdnplan_io::rpc::keys::twox_128;
/// assert_eq!(twox_128(b"System")[..4], [0x26, 0xaa, 0x39, 0x4e]);
/// ```
pub fn twox_128(data: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&XxHash64::oneshot(0, data).to_le_bytes());
    out[8..].copy_from_slice(&XxHash64::oneshot(1, data).to_le_bytes());
    out
}

/// Substrate's `blake2_128`: BLAKE2b with a 16-byte digest.
pub fn blake2_128(data: &[u8]) -> [u8; 16] {
    Blake2b::<U16>::digest(data).into()
}

/// The SCALE encoding of a [`DynamicBagType`]: the enum's index, `Member` = 0, `Channel` = 1
/// (lib.rs:688-698).
pub fn bag_type_byte(t: DynamicBagType) -> u8 {
    match t {
        DynamicBagType::Member => 0,
        DynamicBagType::Channel => 1,
    }
}

/// The key of a plain storage value of the storage pallet.
pub fn plain_key(item: &str) -> Vec<u8> {
    let mut k = twox_128(PALLET.as_bytes()).to_vec();
    k.extend_from_slice(&twox_128(item.as_bytes()));
    k
}

/// The key of `DistributionBucketsPerBagLimit`.
///
/// ```
/// use cdnplan_io::rpc::keys::{hex, per_bag_limit_key};
/// assert_eq!(
///     hex(&per_bag_limit_key()),
///     "0x95875cb80ebaf9f918457db6a86ac6ad0e47ba53c668e8be284926c7ad3e8009"
/// );
/// ```
pub fn per_bag_limit_key() -> Vec<u8> {
    plain_key(PER_BAG_LIMIT)
}

/// The key of `DynamicBagCreationPolicies[t]` (hasher `Blake2_128Concat`: the hash of the
/// encoded key, then the encoded key).
pub fn creation_policy_key(t: DynamicBagType) -> Vec<u8> {
    let mut k = plain_key(CREATION_POLICIES);
    let encoded = [bag_type_byte(t)];
    k.extend_from_slice(&blake2_128(&encoded));
    k.extend_from_slice(&encoded);
    k
}

/// `0x`-prefixed lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Bytes from `0x`-prefixed hex (either case); `None` when it is not that.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let digits = text.strip_prefix("0x")?;
    if !digits.len().is_multiple_of(2) || !digits.is_ascii() {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known Substrate prefixes (the `System`, `Balances` pallets and `Account` item), as
    /// docs/upstream-rules.md §2.3 lists them for a check of the hashing.
    #[test]
    fn twox_128_matches_substrates_known_prefixes() {
        for (name, want) in [
            ("System", "0x26aa394eea5630e07c48ae0c9558cef7"),
            ("Balances", "0xc2261276cc9d1f8598ea4b6a74b15c2f"),
            ("Account", "0xb99d880ec681799c0cf30e8886371da9"),
            ("Storage", "0x95875cb80ebaf9f918457db6a86ac6ad"),
            (PER_BAG_LIMIT, "0x0e47ba53c668e8be284926c7ad3e8009"),
            (CREATION_POLICIES, "0x3323e092df90358439e7c6649f66d93f"),
        ] {
            assert_eq!(hex(&twox_128(name.as_bytes())), want, "{name}");
        }
    }

    /// blake2_128 of the two encoded bag types, and of a u64 0, as the doc gives them
    /// (computed there with Python's `hashlib.blake2b(digest_size=16)`).
    #[test]
    fn blake2_128_matches_the_doc() {
        assert_eq!(hex(&blake2_128(&[0])), "0x7025e075d5e2f6cde3cc051a31f07660");
        assert_eq!(hex(&blake2_128(&[1])), "0x4a9e6f9b8d43f6ad008f8c291929dee2");
        assert_eq!(
            hex(&blake2_128(&[0; 8])),
            "0xc804ce198ec337e3dc762bdd1a09aece"
        );
    }

    /// The three keys cdnplan reads, against docs/upstream-rules.md §2.3.
    #[test]
    fn keys_match_the_doc() {
        assert_eq!(
            hex(&per_bag_limit_key()),
            "0x95875cb80ebaf9f918457db6a86ac6ad0e47ba53c668e8be284926c7ad3e8009"
        );
        assert_eq!(
            hex(&creation_policy_key(DynamicBagType::Member)),
            "0x95875cb80ebaf9f918457db6a86ac6ad3323e092df90358439e7c6649f66d93f7025e075d5e2f6cde3cc051a31f0766000"
        );
        assert_eq!(
            hex(&creation_policy_key(DynamicBagType::Channel)),
            "0x95875cb80ebaf9f918457db6a86ac6ad3323e092df90358439e7c6649f66d93f4a9e6f9b8d43f6ad008f8c291929dee201"
        );
    }

    #[test]
    fn hex_round_trips_and_rejects_non_hex() {
        assert_eq!(unhex("0x00ff10").unwrap(), vec![0, 255, 16]);
        assert_eq!(unhex("0xABcd").unwrap(), vec![0xab, 0xcd]);
        assert_eq!(unhex("0x").unwrap(), Vec::<u8>::new());
        for bad in ["00ff", "0x0", "0xzz", "0x€€"] {
            assert!(unhex(bad).is_none(), "{bad}");
        }
        assert_eq!(hex(&[0, 255, 16]), "0x00ff10");
    }
}
