//! Candidate hosting sites: where a node could stand.

use serde::{Deserialize, Serialize};

use crate::geo::{Continent, CountryCode, GeoPoint};

/// A data-centre region where a node can be rented.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Unique id, `provider-region` (e.g. `"hetzner-fsn1"`).
    pub id: String,
    /// Provider (e.g. `"hetzner"`).
    pub provider: String,
    /// The provider's region code (e.g. `"fsn1"`).
    pub region_code: String,
    /// City.
    pub city: String,
    /// Country.
    pub country: CountryCode,
    /// Continent.
    pub continent: Continent,
    /// Where it is.
    pub location: GeoPoint,
    /// Typical monthly cost of one node there, in USD, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_cost_usd: Option<f64>,
}

impl Site {
    /// `"Falkenstein, DE (hetzner-fsn1)"`.
    pub fn label(&self) -> String {
        format!("{}, {} ({})", self.city, self.country, self.id)
    }
}
