//! Current nodes: where the CDN stands today.

use serde::{Deserialize, Serialize};

use crate::geo::{Continent, CountryCode, GeoPoint};
use crate::topology::BucketId;

/// Serving capacity of a node.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NodeCapacity {
    /// Egress bandwidth in Gbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_gbps: Option<f64>,
    /// Cache disk in GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_gb: Option<f64>,
}

/// A physical node (one endpoint), which may operate buckets in several families.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Unique id (the endpoint host, or a name such as `"paris"`).
    pub id: String,
    /// Who runs it: worker id or handle, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// City, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Country, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// Continent, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continent: Option<Continent>,
    /// Where it is.
    pub location: GeoPoint,
    /// Serving capacity, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<NodeCapacity>,
    /// Whether it serves traffic now (an inactive node serves nothing).
    pub active: bool,
    /// Buckets it operates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<BucketId>,
}

impl Node {
    /// `"Paris, FR (0x2bc)"`, falling back to coordinates.
    pub fn label(&self) -> String {
        let place = match (&self.city, &self.country) {
            (Some(c), Some(cc)) => format!("{c}, {cc}"),
            (Some(c), None) => c.clone(),
            (None, Some(cc)) => cc.to_string(),
            (None, None) => self.location.to_string(),
        };
        format!("{place} ({})", self.id)
    }
}
