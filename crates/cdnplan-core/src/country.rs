//! Countries: continent, representative point, population and internet users.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::geo::{Continent, CountryCode, GeoPoint};

/// One country of the shipped country table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub code: CountryCode,
    /// ISO 3166-1 alpha-3 code.
    pub iso3: String,
    /// English name.
    pub name: String,
    /// Continent.
    pub continent: Continent,
    /// Representative point (the capital where known): where a country demand cell sits.
    pub location: GeoPoint,
    /// Population.
    pub population: u64,
    /// Internet users (population × share using the internet).
    pub internet_users: u64,
}

/// Countries by code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Countries {
    by_code: BTreeMap<CountryCode, Country>,
}

impl Countries {
    /// Builds the table.
    ///
    /// # Errors
    /// [`Error::DuplicateId`] for a repeated code; [`Error::InvalidCoordinate`] for a bad point.
    pub fn new(countries: impl IntoIterator<Item = Country>) -> Result<Self> {
        let mut by_code = BTreeMap::new();
        for c in countries {
            c.location.validate()?;
            let code = c.code;
            if by_code.insert(code, c).is_some() {
                return Err(Error::DuplicateId {
                    kind: "country",
                    id: code.to_string(),
                });
            }
        }
        Ok(Countries { by_code })
    }

    /// The country with `code`.
    pub fn get(&self, code: CountryCode) -> Option<&Country> {
        self.by_code.get(&code)
    }

    /// The country with `code`, or an error naming it.
    ///
    /// # Errors
    /// [`Error::UnknownId`] when the code is not in the table.
    pub fn require(&self, code: CountryCode) -> Result<&Country> {
        self.get(code).ok_or_else(|| Error::UnknownId {
            kind: "country",
            id: code.to_string(),
            hint: " (not an ISO 3166-1 alpha-2 code in the country table)".into(),
        })
    }

    /// All countries, by code.
    pub fn iter(&self) -> impl Iterator<Item = &Country> {
        self.by_code.values()
    }

    /// Number of countries.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// True when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}
