//! Geographic points, continents and country codes.
//!
//! Coordinates are WGS 84 degrees. [`GeoPoint`] stores them as `lat`, `lon` (the order people
//! write them in); conversions to [`geo::Point`] follow geo's `Point::new(lon, lat)`.
//! Distances are great-circle distances on the IUGG mean sphere (R = 6 371.0088 km), computed by
//! geo's [`Haversine`] metric space.

use std::fmt;
use std::str::FromStr;

use geo::{Distance, Haversine, Point};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A point on the Earth, in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees, −90..=90.
    pub lat: f64,
    /// Longitude in degrees, −180..=180.
    pub lon: f64,
}

impl GeoPoint {
    /// A checked point.
    ///
    /// # Errors
    /// [`Error::InvalidCoordinate`] when either value is not finite or out of range.
    ///
    /// ```
    /// use cdnplan_core::GeoPoint;
    /// let paris = GeoPoint::new(48.8534, 2.3488)?;
    /// assert!(GeoPoint::new(91.0, 0.0).is_err());
    /// # Ok::<(), cdnplan_core::Error>(())
    /// ```
    pub fn new(lat: f64, lon: f64) -> Result<Self> {
        let p = GeoPoint { lat, lon };
        p.validate()?;
        Ok(p)
    }

    /// Checks that the point is finite and in range.
    ///
    /// # Errors
    /// [`Error::InvalidCoordinate`] naming the offending values.
    pub fn validate(&self) -> Result<()> {
        if self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
        {
            Ok(())
        } else {
            Err(Error::InvalidCoordinate {
                lat: self.lat,
                lon: self.lon,
            })
        }
    }

    /// Great-circle distance to `other` in kilometres (haversine, R = 6 371.0088 km).
    ///
    /// ```
    /// use cdnplan_core::GeoPoint;
    /// let london = GeoPoint { lat: 51.5074, lon: -0.1278 };
    /// let paris = GeoPoint { lat: 48.8566, lon: 2.3522 };
    /// assert!((london.distance_km(&paris) - 343.6).abs() < 1.0);
    /// ```
    pub fn distance_km(&self, other: &GeoPoint) -> f64 {
        Haversine.distance(Point::from(*self), Point::from(*other)) / 1000.0
    }
}

impl From<GeoPoint> for Point<f64> {
    fn from(p: GeoPoint) -> Self {
        Point::new(p.lon, p.lat)
    }
}

impl fmt::Display for GeoPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.4}, {:.4}", self.lat, self.lon)
    }
}

/// A continent, with the two-letter codes used by GeoNames and by Joystream family metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Continent {
    /// Africa.
    AF,
    /// Antarctica.
    AN,
    /// Asia.
    AS,
    /// Europe.
    EU,
    /// North America (with Central America and the Caribbean).
    NA,
    /// Oceania.
    OC,
    /// South America.
    SA,
}

impl Continent {
    /// All continents, in code order.
    pub const ALL: [Continent; 7] = [
        Continent::AF,
        Continent::AN,
        Continent::AS,
        Continent::EU,
        Continent::NA,
        Continent::OC,
        Continent::SA,
    ];

    /// The two-letter code, e.g. `"EU"`.
    pub fn code(self) -> &'static str {
        match self {
            Continent::AF => "AF",
            Continent::AN => "AN",
            Continent::AS => "AS",
            Continent::EU => "EU",
            Continent::NA => "NA",
            Continent::OC => "OC",
            Continent::SA => "SA",
        }
    }

    /// The English name, e.g. `"Europe"`.
    pub fn name(self) -> &'static str {
        match self {
            Continent::AF => "Africa",
            Continent::AN => "Antarctica",
            Continent::AS => "Asia",
            Continent::EU => "Europe",
            Continent::NA => "North America",
            Continent::OC => "Oceania",
            Continent::SA => "South America",
        }
    }
}

impl fmt::Display for Continent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Continent {
    type Err = Error;

    /// Parses a code (`"EU"`) or a name in any case and with `-`, `_` or spaces
    /// (`"europe"`, `"north-america"`).
    fn from_str(s: &str) -> Result<Self> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_uppercase();
        let c = match norm.as_str() {
            "AF" | "AFRICA" => Continent::AF,
            "AN" | "ANTARCTICA" => Continent::AN,
            "AS" | "ASIA" => Continent::AS,
            "EU" | "EUROPE" => Continent::EU,
            "NA" | "NORTHAMERICA" => Continent::NA,
            "OC" | "OCEANIA" | "AUSTRALIA" => Continent::OC,
            "SA" | "SOUTHAMERICA" => Continent::SA,
            _ => {
                return Err(Error::Parse {
                    what: "continent",
                    value: s.to_string(),
                });
            }
        };
        Ok(c)
    }
}

/// An ISO 3166-1 alpha-2 country code, stored upper-case (`"DE"`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses two ASCII letters, any case.
    ///
    /// # Errors
    /// [`Error::Parse`] when `s` is not two ASCII letters.
    ///
    /// ```
    /// use cdnplan_core::CountryCode;
    /// assert_eq!(CountryCode::new("ua")?.as_str(), "UA");
    /// assert!(CountryCode::new("UKR").is_err());
    /// # Ok::<(), cdnplan_core::Error>(())
    /// ```
    pub fn new(s: &str) -> Result<Self> {
        let b = s.trim().as_bytes();
        if b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic) {
            Ok(CountryCode([
                b[0].to_ascii_uppercase(),
                b[1].to_ascii_uppercase(),
            ]))
        } else {
            Err(Error::Parse {
                what: "country code",
                value: s.to_string(),
            })
        }
    }

    /// The code as a `&str`.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CountryCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        CountryCode::new(s)
    }
}

impl Serialize for CountryCode {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CountryCode::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    mod distance {
        use super::*;

        #[test]
        fn london_paris_matches_geo() {
            let london = GeoPoint::new(51.5074, -0.1278).unwrap();
            let paris = GeoPoint::new(48.8566, 2.3522).unwrap();
            let d = london.distance_km(&paris);
            assert!((d - 343.5).abs() < 1.5, "{d}");
        }

        #[test]
        fn zero_to_self() {
            let p = GeoPoint::new(1.35, 103.82).unwrap();
            assert_eq!(p.distance_km(&p), 0.0);
        }
    }

    mod parsing {
        use super::*;

        #[test]
        fn rejects_out_of_range_and_nan() {
            assert!(GeoPoint::new(-90.5, 0.0).is_err());
            assert!(GeoPoint::new(0.0, 180.1).is_err());
            assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
        }

        #[test]
        fn continent_names_and_codes() {
            assert_eq!("north-america".parse::<Continent>().unwrap(), Continent::NA);
            assert_eq!("EU".parse::<Continent>().unwrap(), Continent::EU);
            assert!("Atlantis".parse::<Continent>().is_err());
        }

        #[test]
        fn country_code_serde_round_trip() {
            let c = CountryCode::new("br").unwrap();
            let j = serde_json::to_string(&c).unwrap();
            assert_eq!(j, "\"BR\"");
            assert_eq!(serde_json::from_str::<CountryCode>(&j).unwrap(), c);
            assert!(serde_json::from_str::<CountryCode>("\"B1\"").is_err());
        }
    }
}
