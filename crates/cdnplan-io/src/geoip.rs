//! Client address → location, from MaxMind-format (`.mmdb`) databases.
//!
//! [`GeoIp`] reads two record schemas, detected per record:
//!
//! * **GeoIP2 / GeoLite2** (MaxMind, also DB-IP lite): nested maps, `country.iso_code`
//!   (falling back to `registered_country.iso_code`), `location.latitude` /
//!   `location.longitude` as doubles, `city.names.en`, `continent.code`.
//! * **flat ip-location-db** (the npm packages `@ip-location-db/*-mmdb`): `country_code`,
//!   `latitude` / `longitude` as 32-bit floats, `city` as plain text. Country-only databases
//!   (`geo-whois-asn-country`) carry just `country_code`.
//!
//! Coordinates of either width are accepted; 32-bit values are widened through their shortest
//! decimal form, so `37.751f32` reads as `37.751`, not `37.75099945068359`.
//! A record without coordinates gives a [`Located`] with `location: None`; the log ingestion
//! then places the client at its country's representative point.
//!
//! Lookups are cheap (millions per second), decoding a record less so; [`GeoIpCache`] decodes
//! each distinct record once, keyed by its offset in the database.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use cdnplan_core::{Continent, CountryCode, GeoPoint};
use ipnet::IpNet;
use maxminddb::{MaxMindDbError, Reader, WithinOptions};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::error::{Error, Result};

/// Where a client address is, as far as the database knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// Country (ISO 3166-1 alpha-2), when the record names one.
    pub country: Option<CountryCode>,
    /// Coordinates, when the record has valid ones.
    pub location: Option<GeoPoint>,
    /// City name in English, when the record names one (empty names count as none).
    pub city: Option<String>,
    /// Continent, when the record names one.
    pub continent: Option<Continent>,
}

/// An open GeoIP database, held in memory.
pub struct GeoIp {
    reader: Reader<Vec<u8>>,
    path: PathBuf,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp")
            .field("path", &self.path)
            .field("database_type", &self.database_type())
            .finish()
    }
}

impl GeoIp {
    /// Opens the database at `path`, reading it into memory.
    ///
    /// # Errors
    /// [`Error::Io`] naming `path` when the file cannot be read; [`Error::Format`] naming it
    /// when it is not a valid MaxMind DB.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| Error::io(path, "cannot read GeoIP database", e))?;
        GeoIp::from_bytes(bytes, path)
    }

    /// Opens a database already in memory; `name` is used in messages.
    ///
    /// # Errors
    /// [`Error::Format`] naming `name` when the bytes are not a valid MaxMind DB.
    pub fn from_bytes(bytes: Vec<u8>, name: impl Into<PathBuf>) -> Result<Self> {
        let path = name.into();
        let reader = Reader::from_source(bytes).map_err(|e| Error::Format {
            path: path.clone(),
            reason: format!("not a valid MaxMind DB (.mmdb) file: {e}"),
        })?;
        Ok(GeoIp { reader, path })
    }

    /// The file the database came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The database type from its metadata (`"GeoLite2-City"`, `"city ipv4"`, …).
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// True when the database has city-level records (its type names a city database, as
    /// `GeoLite2-City`, `DBIP-City-Lite` or `city ipv4` do); country databases place every
    /// client at its country.
    pub fn has_cities(&self) -> bool {
        self.database_type().to_ascii_lowercase().contains("city")
    }

    /// True when the database holds IPv6 networks (IPv4 ones are then reachable too).
    pub fn is_ipv6(&self) -> bool {
        self.reader.metadata().ip_version == 6
    }

    /// Looks `ip` up and decodes its record; `None` when the database has no record for it
    /// (an IPv6 address in an IPv4-only database has none).
    ///
    /// # Errors
    /// [`Error::Format`] naming the database when the record cannot be decoded.
    pub fn lookup(&self, ip: IpAddr) -> Result<Option<Located>> {
        match self.raw_lookup(ip)? {
            Some(r) => self.decode(&r),
            None => Ok(None),
        }
    }

    /// The lookup result of `ip` when the database has a record for it.
    fn raw_lookup(&self, ip: IpAddr) -> Result<Option<maxminddb::LookupResult<'_, Vec<u8>>>> {
        // An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4 client.
        let ip = ip.to_canonical();
        if ip.is_ipv6() && !self.is_ipv6() {
            return Ok(None);
        }
        let r = self.reader.lookup(ip).map_err(|e| self.corrupt(e))?;
        Ok(r.has_data().then_some(r))
    }

    fn decode(&self, r: &maxminddb::LookupResult<'_, Vec<u8>>) -> Result<Option<Located>> {
        let rec: Option<RawRecord<'_>> = r.decode().map_err(|e| self.corrupt(e))?;
        Ok(rec.map(RawRecord::into_located))
    }

    fn corrupt(&self, e: MaxMindDbError) -> Error {
        Error::Format {
            path: self.path.clone(),
            reason: format!("GeoIP database: {e}"),
        }
    }

    /// Every network with a country, grouped by country, in database order. Used to draw
    /// addresses that the database places in a chosen country.
    ///
    /// # Errors
    /// [`Error::Format`] naming the database when a record cannot be decoded.
    pub fn networks_by_country(&self) -> Result<BTreeMap<CountryCode, Vec<IpNet>>> {
        let mut out: BTreeMap<CountryCode, Vec<IpNet>> = BTreeMap::new();
        let mut by_offset: FxHashMap<usize, Option<CountryCode>> = FxHashMap::default();
        let iter = self
            .reader
            .networks(WithinOptions::default())
            .map_err(|e| self.corrupt(e))?;
        for item in iter {
            let r = item.map_err(|e| self.corrupt(e))?;
            let Some(offset) = r.offset() else { continue };
            let country = match by_offset.get(&offset) {
                Some(c) => *c,
                None => {
                    let rec: Option<RawRecord<'_>> = r.decode().map_err(|e| self.corrupt(e))?;
                    let c = rec.and_then(|x| x.into_located().country);
                    by_offset.insert(offset, c);
                    c
                }
            };
            let Some(country) = country else { continue };
            let net = r.network().map_err(|e| self.corrupt(e))?;
            let Ok(net) = IpNet::new(net.ip(), net.prefix()) else {
                continue;
            };
            out.entry(country).or_default().push(net);
        }
        Ok(out)
    }
}

/// A per-worker decoding cache over a [`GeoIp`]: each distinct record is decoded once.
#[derive(Debug)]
pub struct GeoIpCache<'g> {
    geoip: &'g GeoIp,
    by_offset: FxHashMap<usize, Option<Located>>,
}

impl<'g> GeoIpCache<'g> {
    /// An empty cache over `geoip`.
    pub fn new(geoip: &'g GeoIp) -> Self {
        GeoIpCache {
            geoip,
            by_offset: FxHashMap::default(),
        }
    }

    /// The database.
    pub fn geoip(&self) -> &'g GeoIp {
        self.geoip
    }

    /// Like [`GeoIp::lookup`], decoding each distinct record once.
    ///
    /// # Errors
    /// [`Error::Format`] naming the database when a record cannot be decoded.
    pub fn lookup(&mut self, ip: IpAddr) -> Result<Option<&Located>> {
        let Some(r) = self.geoip.raw_lookup(ip)? else {
            return Ok(None);
        };
        let Some(offset) = r.offset() else {
            return Ok(None);
        };
        if !self.by_offset.contains_key(&offset) {
            let located = self.geoip.decode(&r)?;
            self.by_offset.insert(offset, located);
        }
        Ok(self.by_offset.get(&offset).and_then(Option::as_ref))
    }

    /// Number of distinct records decoded so far.
    pub fn len(&self) -> usize {
        self.by_offset.len()
    }

    /// True when nothing was decoded yet.
    pub fn is_empty(&self) -> bool {
        self.by_offset.is_empty()
    }
}

/// The union of both schemas; unknown fields are skipped without decoding.
#[derive(Deserialize, Default)]
struct RawRecord<'a> {
    #[serde(borrow, default)]
    country: Option<Flex<'a>>,
    #[serde(borrow, default)]
    registered_country: Option<Flex<'a>>,
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    #[serde(default)]
    location: Option<LocationMap>,
    #[serde(default)]
    latitude: Option<Num>,
    #[serde(default)]
    longitude: Option<Num>,
    #[serde(borrow, default)]
    city: Option<Flex<'a>>,
    #[serde(borrow, default)]
    continent: Option<Flex<'a>>,
    #[serde(borrow, default)]
    continent_code: Option<&'a str>,
}

impl RawRecord<'_> {
    fn into_located(self) -> Located {
        let country = [
            self.country.as_ref().and_then(Flex::code),
            self.country_code,
            self.registered_country.as_ref().and_then(Flex::code),
        ]
        .into_iter()
        .flatten()
        .find_map(|c| CountryCode::new(c).ok());
        let (lat, lon) = match (&self.location, self.latitude, self.longitude) {
            (Some(l), _, _) => (l.latitude, l.longitude),
            (None, lat, lon) => (lat, lon),
        };
        let location = match (lat, lon) {
            (Some(Num(lat)), Some(Num(lon))) => GeoPoint::new(lat, lon).ok(),
            _ => None,
        };
        let city = self
            .city
            .as_ref()
            .and_then(Flex::name)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string);
        let continent = self
            .continent
            .as_ref()
            .and_then(Flex::code)
            .or(self.continent_code)
            .and_then(|c| c.parse().ok());
        Located {
            country,
            location,
            city,
            continent,
        }
    }
}

#[derive(Deserialize, Default)]
struct LocationMap {
    #[serde(default)]
    latitude: Option<Num>,
    #[serde(default)]
    longitude: Option<Num>,
}

/// A number of any width (float32, double, integer), as f64.
#[derive(Clone, Copy)]
struct Num(f64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_f32<E: de::Error>(self, v: f32) -> std::result::Result<Num, E> {
                // Shortest decimal that round-trips the f32, read as f64.
                Ok(Num(v.to_string().parse().unwrap_or(f64::from(v))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Num, E> {
                Ok(Num(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Num, E> {
                Ok(Num(v as f64))
            }
        }
        d.deserialize_any(V)
    }
}

/// A field that is either text (flat schema) or a GeoIP2 map with `iso_code`, `code` or
/// `names.en`.
enum Flex<'a> {
    Text(&'a str),
    Map {
        code: Option<&'a str>,
        name: Option<&'a str>,
    },
}

impl<'a> Flex<'a> {
    fn code(&self) -> Option<&'a str> {
        match self {
            Flex::Text(s) => Some(s),
            Flex::Map { code, .. } => *code,
        }
    }
    fn name(&self) -> Option<&'a str> {
        match self {
            Flex::Text(s) => Some(s),
            Flex::Map { name, .. } => *name,
        }
    }
}

#[derive(Deserialize)]
struct FlexMap<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
    #[serde(borrow, default)]
    code: Option<&'a str>,
    #[serde(borrow, default)]
    names: Option<Names<'a>>,
}

#[derive(Deserialize)]
struct Names<'a> {
    #[serde(borrow, default)]
    en: Option<&'a str>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Flex<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flex<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("text or a map")
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<Self::Value, E> {
                Ok(Flex::Text(v))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let m = FlexMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Flex::Map {
                    code: m.iso_code.or(m.code),
                    name: m.names.and_then(|n| n.en),
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct G2Names {
        en: String,
    }
    #[derive(Serialize)]
    struct G2Country {
        iso_code: String,
    }
    #[derive(Serialize)]
    struct G2Location {
        latitude: f64,
        longitude: f64,
    }
    #[derive(Serialize)]
    struct G2City {
        names: G2Names,
    }
    #[derive(Serialize)]
    struct G2Continent {
        code: String,
    }
    #[derive(Serialize)]
    struct G2Record {
        city: G2City,
        continent: G2Continent,
        country: G2Country,
        location: G2Location,
    }
    #[derive(Serialize)]
    struct FlatRecord {
        city: String,
        country_code: String,
        latitude: f32,
        longitude: f32,
    }
    #[derive(Serialize)]
    struct CountryOnly {
        country_code: String,
    }

    /// A GeoIP2-schema database: 81.2.69.0/24 → GB/London, 2a02:6b8::/32 → RU/Moscow.
    pub(crate) fn geoip2_db() -> Vec<u8> {
        let mut w = mmdb_writer::Writer::new("Test-GeoIP2-City");
        let rec = |cc: &str, cont: &str, city: &str, lat: f64, lon: f64| G2Record {
            city: G2City {
                names: G2Names { en: city.into() },
            },
            continent: G2Continent { code: cont.into() },
            country: G2Country {
                iso_code: cc.into(),
            },
            location: G2Location {
                latitude: lat,
                longitude: lon,
            },
        };
        w.insert(
            "81.2.69.0/24".parse::<IpNet>().unwrap(),
            &rec("GB", "EU", "London", 51.5142, -0.0931),
        )
        .unwrap();
        w.insert(
            "2a02:6b8::/32".parse::<IpNet>().unwrap(),
            &rec("RU", "EU", "Moscow", 55.7522, 37.6156),
        )
        .unwrap();
        w.to_bytes().unwrap()
    }

    #[test]
    fn reads_the_geoip2_schema() {
        let g = GeoIp::from_bytes(geoip2_db(), "g2.mmdb").unwrap();
        let l = g.lookup("81.2.69.160".parse().unwrap()).unwrap().unwrap();
        assert_eq!(l.country, CountryCode::new("GB").ok());
        assert_eq!(l.city.as_deref(), Some("London"));
        assert_eq!(l.continent, Some(Continent::EU));
        assert_eq!(
            l.location,
            Some(GeoPoint {
                lat: 51.5142,
                lon: -0.0931
            })
        );
        let m = g.lookup("2a02:6b8::1".parse().unwrap()).unwrap().unwrap();
        assert_eq!(m.country, CountryCode::new("RU").ok());
        assert!(g.lookup("8.8.8.8".parse().unwrap()).unwrap().is_none());
    }

    #[test]
    fn reads_the_flat_schema_with_f32_coordinates() {
        let mut w = mmdb_writer::Writer::builder("city ipv4")
            .ip_version(mmdb_writer::IpVersion::V4)
            .build();
        w.insert(
            "8.8.8.0/24".parse::<IpNet>().unwrap(),
            &FlatRecord {
                city: String::new(),
                country_code: "US".into(),
                latitude: 37.751,
                longitude: -97.822,
            },
        )
        .unwrap();
        let g = GeoIp::from_bytes(w.to_bytes().unwrap(), "flat.mmdb").unwrap();
        let l = g.lookup("8.8.8.8".parse().unwrap()).unwrap().unwrap();
        assert_eq!(l.country, CountryCode::new("US").ok());
        assert_eq!(
            l.location,
            Some(GeoPoint {
                lat: 37.751,
                lon: -97.822
            })
        );
        assert_eq!(l.city, None, "empty city name counts as none");
        // IPv6 in an IPv4-only database: no record, no error.
        assert!(g.lookup("2001:4860::1".parse().unwrap()).unwrap().is_none());
    }

    #[test]
    fn country_only_records_have_no_coordinates() {
        let mut w = mmdb_writer::Writer::new("country ipvAll");
        w.insert(
            "1.1.1.0/24".parse::<IpNet>().unwrap(),
            &CountryOnly {
                country_code: "AU".into(),
            },
        )
        .unwrap();
        let g = GeoIp::from_bytes(w.to_bytes().unwrap(), "c.mmdb").unwrap();
        let mut cache = GeoIpCache::new(&g);
        let l = cache.lookup("1.1.1.1".parse().unwrap()).unwrap().unwrap();
        assert_eq!(l.country, CountryCode::new("AU").ok());
        assert_eq!(l.location, None);
        cache.lookup("1.1.1.2".parse().unwrap()).unwrap();
        assert_eq!(cache.len(), 1, "one record decoded once");
        let nets = g.networks_by_country().unwrap();
        let au: Vec<String> = nets[&CountryCode::new("AU").unwrap()]
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(au, ["1.1.1.0/24"]);
    }

    #[test]
    fn missing_file_is_an_io_error_naming_the_path() {
        let e = GeoIp::open("/nonexistent/geo.mmdb").unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
        assert!(e.to_string().contains("/nonexistent/geo.mmdb"), "{e}");
    }

    #[test]
    fn corrupt_file_is_a_format_error_naming_the_path() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("bad.mmdb");
        std::fs::write(&p, b"this is not a database").unwrap();
        let e = GeoIp::open(&p).unwrap_err();
        assert!(matches!(e, Error::Format { .. }), "{e:?}");
        assert!(e.to_string().contains("bad.mmdb"), "{e}");
        let _ = BTreeMap::<u8, u8>::new();
    }
}
