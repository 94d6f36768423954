//! Runtime identifiers, with the string forms the `joystream-distributor` CLI and the indexers use.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A distribution bucket family id (`u64`, never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FamilyId(pub u64);

impl fmt::Display for FamilyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A distribution working-group worker id: the operator's identity on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkerId(pub u64);

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A distribution bucket id: `(family, index)`, written `"family:index"` (e.g. `"3:1"`).
/// Orders by family, then index, as the runtime's `DistributionBucketIdRecord` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BucketId {
    /// The family the bucket belongs to (fixed for the bucket's life).
    pub family: FamilyId,
    /// Index within the family (`next_distribution_bucket_index`, never reused).
    pub index: u64,
}

impl BucketId {
    /// `BucketId { family: FamilyId(family), index }`.
    pub fn new(family: u64, index: u64) -> Self {
        BucketId {
            family: FamilyId(family),
            index,
        }
    }
}

impl fmt::Display for BucketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.family.0, self.index)
    }
}

impl FromStr for BucketId {
    type Err = Error;
    /// Parses `"f:i"` (the CLI's `-B` format, regex `^[0-9]+:[0-9]+$`).
    ///
    /// ```
    /// use cdnplan_core::topology::BucketId;
    /// assert_eq!("3:1".parse::<BucketId>()?, BucketId::new(3, 1));
    /// assert!("3-1".parse::<BucketId>().is_err());
    /// # Ok::<(), cdnplan_core::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::Parse {
            what: "bucket id (family:index)",
            value: s.to_string(),
        };
        let (f, i) = s.split_once(':').ok_or_else(bad)?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(f) || !digits(i) {
            return Err(bad());
        }
        Ok(BucketId::new(
            f.parse().map_err(|_| bad())?,
            i.parse().map_err(|_| bad())?,
        ))
    }
}

impl Serialize for BucketId {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BucketId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A bag id, in the runtime/CLI string form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BagId {
    /// `static:council`.
    Council,
    /// `static:wg:<group>`.
    WorkingGroup(String),
    /// `dynamic:member:<id>`.
    Member(u64),
    /// `dynamic:channel:<id>`.
    Channel(u64),
}

impl BagId {
    /// True for dynamic (member or channel) bags.
    pub fn is_dynamic(&self) -> bool {
        matches!(self, BagId::Member(_) | BagId::Channel(_))
    }
}

impl fmt::Display for BagId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BagId::Council => f.write_str("static:council"),
            BagId::WorkingGroup(g) => write!(f, "static:wg:{g}"),
            BagId::Member(m) => write!(f, "dynamic:member:{m}"),
            BagId::Channel(c) => write!(f, "dynamic:channel:{c}"),
        }
    }
}

impl FromStr for BagId {
    type Err = Error;
    /// Parses `static:council`, `static:wg:<group>`, `dynamic:member:<id>`, `dynamic:channel:<id>`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::Parse {
            what: "bag id",
            value: s.to_string(),
        };
        let parts: Vec<&str> = s.split(':').collect();
        match parts.as_slice() {
            ["static", "council"] => Ok(BagId::Council),
            ["static", "wg", g] if !g.is_empty() => Ok(BagId::WorkingGroup((*g).to_string())),
            ["dynamic", "member", id] => id.parse().map(BagId::Member).map_err(|_| bad()),
            ["dynamic", "channel", id] => id.parse().map(BagId::Channel).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

impl Serialize for BagId {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BagId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bag_ids_round_trip() {
        for s in [
            "static:council",
            "static:wg:storageWorkingGroup",
            "dynamic:member:7",
            "dynamic:channel:1234",
        ] {
            assert_eq!(s.parse::<BagId>().unwrap().to_string(), s);
        }
        for s in ["static", "dynamic:channel:x", "dynamic:bag:1", "static:wg:"] {
            assert!(s.parse::<BagId>().is_err(), "{s}");
        }
    }

    #[test]
    fn bucket_ids_order_by_family_then_index() {
        let mut v = [
            BucketId::new(2, 0),
            BucketId::new(0, 3),
            BucketId::new(0, 1),
        ];
        v.sort();
        assert_eq!(
            v.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["0:1", "0:3", "2:0"]
        );
        assert_eq!(
            serde_json::to_string(&BucketId::new(12, 0)).unwrap(),
            "\"12:0\""
        );
    }
}
