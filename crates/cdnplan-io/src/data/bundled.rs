//! The shipped files, loaded from [`super::bundled_data_dir`].

use std::path::{Path, PathBuf};

use cdnplan_core::topology::Topology;
use cdnplan_core::{Countries, Site};

use super::bundled_data_dir;
use crate::error::{Error, Result};

/// `sites.csv`: candidate hosting sites.
pub const SITES: &str = "sites.csv";
/// `countries.csv`: the country table.
pub const COUNTRIES: &str = "countries.csv";
/// The Joystream mainnet topology of January 2023.
pub const TOPOLOGY_2023_01: &str = "joystream/mainnet-2023-01.json";
/// The Joystream mainnet topology of December 2023.
pub const TOPOLOGY_2023_12: &str = "joystream/mainnet-2023-12.json";
/// The DB-IP country lite database (IPv4, MaxMind DB format, `{"country_code": ..}`).
pub const GEOIP_COUNTRY: &str = "geoip/dbip-country-lite.mmdb";

/// The path of a shipped file, e.g. `path(SITES)`.
pub fn path(relative: &str) -> PathBuf {
    bundled_data_dir().join(relative)
}

/// Loads a shipped file, turning "not found" into a hint about `CDNPLAN_DATA_DIR`.
fn load<T>(relative: &str, loader: fn(&Path) -> Result<T>) -> Result<T> {
    let p = path(relative);
    if !p.exists() {
        return Err(Error::io(
            p,
            "shipped data file not found (set CDNPLAN_DATA_DIR to the data/ folder)",
            std::io::ErrorKind::NotFound.into(),
        ));
    }
    loader(&p)
}

/// The candidate sites of `sites.csv`.
///
/// # Errors
/// As [`super::load_sites`]; [`Error::Io`] when the data folder is not found.
pub fn sites() -> Result<Vec<Site>> {
    load(SITES, super::load_sites)
}

/// The country table of `countries.csv`.
///
/// # Errors
/// As [`super::load_countries`]; [`Error::Io`] when the data folder is not found.
pub fn countries() -> Result<Countries> {
    load(COUNTRIES, super::load_countries)
}

/// The Joystream mainnet topology of January 2023 (13 families, 6 operators).
///
/// # Errors
/// As [`super::load_topology`]; [`Error::Io`] when the data folder is not found.
pub fn topology_2023_01() -> Result<Topology> {
    load(TOPOLOGY_2023_01, super::load_topology)
}

/// The Joystream mainnet topology of December 2023 (the 8 benchmarked nodes).
///
/// # Errors
/// As [`super::load_topology`]; [`Error::Io`] when the data folder is not found.
pub fn topology_2023_12() -> Result<Topology> {
    load(TOPOLOGY_2023_12, super::load_topology)
}

/// The path of the shipped IP → country database.
pub fn geoip_country_db() -> PathBuf {
    path(GEOIP_COUNTRY)
}
