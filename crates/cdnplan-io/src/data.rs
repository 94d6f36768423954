//! The shipped data and the user file formats for sites, countries, nodes and topologies.
//!
//! | loader | file | format |
//! |---|---|---|
//! | [`load_sites`] | `data/sites.csv` | `id,provider,region_code,city,country_code,continent,lat,lon,monthly_cost_usd` |
//! | [`load_countries`] | `data/countries.csv` | `iso2,iso3,name,continent,lat,lon,population,population_year,internet_pct,internet_year,internet_users` |
//! | [`load_topology`] | `data/joystream/*.json` | a [`Topology`] as camelCase JSON |
//! | [`load_nodes`] | your own file | CSV `id,operator,city,country_code,lat,lon,active,egress_gbps,cache_gb`, or JSON |
//!
//! CSV files have a header line naming their columns, in any order; `#` starts a comment
//! line; cells are trimmed. Coordinates are WGS 84 degrees, `lat` in −90..=90 and `lon` in
//! −180..=180. Continents are the two-letter codes `AF AN AS EU NA OC SA` (names such as
//! `europe` are accepted too). Country codes are ISO 3166-1 alpha-2. A column the format
//! does not know, a missing required column, a bad value or a repeated id is an
//! [`Error::Field`] naming the file, the 1-based line, the column and the value.
//!
//! # The nodes format
//!
//! "Where my nodes are" is a CSV file, one node per line:
//!
//! ```text
//! id,operator,city,country_code,lat,lon,active,egress_gbps,cache_gb
//! nbg,klaudiusz,Nuremberg,DE,49.45421,11.07752,true,1,1000
//! sin,,Singapore,SG,1.28967,103.85007,,,
//! ```
//!
//! `id`, `lat` and `lon` are required; every other column may be left out or left empty.
//! `active` (`true/false`, `yes/no`, `1/0`) defaults to true; `egress_gbps` (Gbit/s) and
//! `cache_gb` (GB) give the node's [`NodeCapacity`](cdnplan_core::NodeCapacity). A `.json` file is read either as a JSON array
//! of [`Node`](cdnplan_core::Node)s or as a [`Topology`], whose [`Topology::nodes`] are taken.
//!
//! # Bundled files
//!
//! [`bundled_data_dir`] finds the shipped `data/` folder and [`bundled`] loads its files.
//!
//! ```
//! let sites = cdnplan_io::data::bundled::sites()?;
//! assert!(sites.iter().any(|s| s.id == "hetzner-fsn1"));
//! # Ok::<(), cdnplan_io::Error>(())
//! ```

pub mod bundled;
mod demand;
mod nodes;
mod table;
#[cfg(test)]
mod testutil;

pub use demand::{load_demand, load_measured_rtt};
pub use nodes::{load_nodes, load_nodes_checked};

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use cdnplan_core::topology::Topology;
use cdnplan_core::{Countries, Country, Site};

use crate::error::{Error, Result};
use table::{UniqueIds, opt, req};

/// Reads candidate hosting sites (`data/sites.csv` format).
///
/// Columns: `id,provider,region_code,city,country_code,continent,lat,lon,monthly_cost_usd`;
/// `monthly_cost_usd` (USD per node and month) may be empty or absent.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Field`] for an unknown or missing
/// column, an empty required cell, bad coordinates, an unknown continent, a bad country
/// code, a negative cost, or an id used twice (naming both lines).
pub fn load_sites(path: &Path) -> Result<Vec<Site>> {
    read_sites(path, None)
}

/// Like [`load_sites`], and every site's country must be in `countries` (so a typo such as
/// `UK` for `GB` is caught here, not silently ignored by a country constraint).
///
/// # Errors
/// As [`load_sites`]; also [`Error::Field`] naming the line of a country code `countries`
/// does not list.
pub fn load_sites_checked(path: &Path, countries: &Countries) -> Result<Vec<Site>> {
    read_sites(path, Some(countries))
}

fn read_sites(path: &Path, countries: Option<&Countries>) -> Result<Vec<Site>> {
    const COLUMNS: &[table::Column] = &[
        req("id"),
        req("provider"),
        req("region_code"),
        req("city"),
        req("country_code"),
        req("continent"),
        req("lat"),
        req("lon"),
        opt("monthly_cost_usd"),
    ];
    let mut ids = UniqueIds::new("site", "id");
    table::read(path, COLUMNS, |r| {
        let id = r.str("id")?;
        ids.insert(r, id)?;
        Ok(Site {
            id: id.to_string(),
            provider: r.str("provider")?.to_string(),
            region_code: r.str("region_code")?.to_string(),
            city: r.str("city")?.to_string(),
            country: r.known_country("country_code", r.country("country_code")?, countries)?,
            continent: r.continent("continent")?,
            location: r.point()?,
            monthly_cost_usd: r.opt_non_negative("monthly_cost_usd")?,
        })
    })
}

/// Reads the country table (`data/countries.csv` format).
///
/// Columns: `iso2,iso3,name,continent,lat,lon,population,population_year,internet_pct,
/// internet_year,internet_users`. `lat`/`lon` is the representative point (the capital);
/// the year columns may be empty (the value did not come from the World Bank, see
/// `data/README.md`); `internet_pct` is a percentage in 0..=100.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Field`] for an unknown or missing
/// column, a bad code, continent, coordinate, count or percentage, more internet users than
/// people, or a country listed twice (naming both lines).
pub fn load_countries(path: &Path) -> Result<Countries> {
    const COLUMNS: &[table::Column] = &[
        req("iso2"),
        req("iso3"),
        req("name"),
        req("continent"),
        req("lat"),
        req("lon"),
        req("population"),
        opt("population_year"),
        opt("internet_pct"),
        opt("internet_year"),
        req("internet_users"),
    ];
    let mut ids = UniqueIds::new("country", "iso2");
    let rows = table::read(path, COLUMNS, |r| {
        let code = r.country("iso2")?;
        ids.insert(r, code.as_str())?;
        let iso3 = r.str("iso3")?;
        if iso3.len() != 3 || !iso3.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(r.error(
                "iso3",
                "must be an ISO 3166-1 alpha-3 code (three capital letters)",
                iso3,
            ));
        }
        for year in ["population_year", "internet_year"] {
            r.opt_u64(year)?;
        }
        if let Some(pct) = r.opt_non_negative("internet_pct")?
            && pct > 100.0
        {
            return Err(r.error(
                "internet_pct",
                "must be a percentage in 0..=100",
                r.opt_str("internet_pct").unwrap_or_default(),
            ));
        }
        let population = r.u64("population")?;
        let internet_users = r.u64("internet_users")?;
        if internet_users > population {
            return Err(r.error(
                "internet_users",
                format!("exceeds the population ({population})"),
                r.opt_str("internet_users").unwrap_or_default(),
            ));
        }
        Ok(Country {
            code,
            iso3: iso3.to_string(),
            name: r.str("name")?.to_string(),
            continent: r.continent("continent")?,
            location: r.point()?,
            population,
            internet_users,
        })
    })?;
    Countries::new(rows).map_err(|source| Error::Core {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a topology snapshot (`data/joystream/*.json`) and validates it.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Field`] with the line of malformed
/// JSON or of a value of the wrong shape; [`Error::Format`] when the `chainRead` record's values
/// do not decode; [`Error::Core`] when
/// [`Topology::validate`] rejects it (duplicate ids, dangling references, bad coordinates).
///
/// ```
/// use cdnplan_io::data::{bundled_data_dir, load_topology};
/// let t = load_topology(&bundled_data_dir().join("joystream/mainnet-2023-01.json"))?;
/// assert_eq!(t.families.len(), 13);
/// # Ok::<(), cdnplan_io::Error>(())
/// ```
pub fn load_topology(path: &Path) -> Result<Topology> {
    let text = read_text(path)?;
    let mut topology: Topology = parse_json(path, &text)?;
    // A limit a node reported absent (0) is kept by the file's chain-read record only.
    crate::rpc::restore(&mut topology).map_err(|e| Error::Format {
        path: path.to_path_buf(),
        reason: format!("`chainRead`: {e}"),
    })?;
    topology.validate().map_err(|source| Error::Core {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(topology)
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))
}

fn parse_json<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.rfind(" at line ").map_or(msg.as_str(), |i| &msg[..i]);
        Error::field(
            path,
            e.line() as u64,
            "json",
            format!("{msg} (column {})", e.column()),
            None,
        )
    })
}

/// Environment variable naming the data folder, overriding the built-in search.
pub const DATA_DIR_ENV: &str = "CDNPLAN_DATA_DIR";

/// The shipped `data/` folder: `$CDNPLAN_DATA_DIR` when set, else the repository's `data/`
/// (found from this crate's source location at build time) when it exists, else `./data`.
pub fn bundled_data_dir() -> PathBuf {
    data_dir_from(
        std::env::var_os(DATA_DIR_ENV),
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data"),
    )
}

fn data_dir_from(env: Option<OsString>, repo_data: &Path) -> PathBuf {
    match env {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ if repo_data.is_dir() => repo_data.to_path_buf(),
        _ => PathBuf::from("data"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cdnplan_core::Continent;

    use super::testutil::{err_text, file};

    const SITES_HEAD: &str =
        "id,provider,region_code,city,country_code,continent,lat,lon,monthly_cost_usd\n";

    mod sites {
        use super::*;

        #[test]
        fn reads_rows_with_and_without_cost() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "s.csv",
                &format!(
                    "{SITES_HEAD}hetzner-fsn1,hetzner,fsn1,Falkenstein,DE,EU,50.4781,12.3723,\n\
                     x-sao,x,SAO,São Paulo,br,south-america,-23.5475,-46.63611,216\n"
                ),
            );
            let s = load_sites(&p).unwrap();
            assert_eq!(s.len(), 2);
            assert_eq!(s[0].monthly_cost_usd, None);
            assert_eq!(s[1].country.as_str(), "BR");
            assert_eq!(s[1].continent, Continent::SA);
            assert_eq!(s[1].monthly_cost_usd, Some(216.0));
        }

        #[test]
        fn bad_coordinates_name_line_field_and_value() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "s.csv",
                &format!("{SITES_HEAD}a,p,r,C,DE,EU,50,12,\nb,p,r,C,DE,EU,95.5,12,\n"),
            );
            let e = err_text(load_sites(&p));
            assert!(e.contains("s.csv:3: field `lat`"), "{e}");
            assert!(e.contains("\"95.5\""), "{e}");
            let p = file(
                &dir,
                "s.csv",
                &format!("{SITES_HEAD}a,p,r,C,DE,EU,50,east,\n"),
            );
            let e = err_text(load_sites(&p));
            assert!(
                e.contains(":2: field `lon`") && e.contains("\"east\""),
                "{e}"
            );
        }

        #[test]
        fn unknown_continent_is_rejected() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "s.csv",
                &format!("{SITES_HEAD}a,p,r,Dubai,AE,middle-east,25.2,55.3,\n"),
            );
            let e = err_text(load_sites(&p));
            assert!(
                e.contains(":2: field `continent`: unknown continent") && e.contains("middle-east"),
                "{e}"
            );
        }

        #[test]
        fn bad_country_code_is_rejected() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "s.csv",
                &format!("{SITES_HEAD}a,p,r,Berlin,DEU,EU,52.5,13.4,\n"),
            );
            let e = err_text(load_sites(&p));
            assert!(
                e.contains(":2: field `country_code`") && e.contains("\"DEU\""),
                "{e}"
            );
        }

        #[test]
        fn checked_loading_rejects_countries_outside_the_table() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "s.csv",
                &format!("{SITES_HEAD}a,p,r,C,DE,EU,50,12,\nb,p,r,London,UK,EU,51.5,0,\n"),
            );
            assert_eq!(load_sites(&p).unwrap().len(), 2);
            let countries = crate::data::bundled::countries().unwrap();
            let e = err_text(load_sites_checked(&p, &countries));
            assert!(
                e.contains("s.csv:3: field `country_code`: unknown country")
                    && e.contains("\"UK\""),
                "{e}"
            );
        }

        #[test]
        fn duplicate_ids_name_both_lines() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "s.csv",
                &format!(
                    "{SITES_HEAD}a,p,r,C,DE,EU,50,12,\nb,p,r,C,DE,EU,50,12,\na,p,r,C,DE,EU,51,12,\n"
                ),
            );
            let e = err_text(load_sites(&p));
            assert!(
                e.contains(":4: field `id`: duplicate site id (first on line 2)"),
                "{e}"
            );
        }

        #[test]
        fn missing_and_unknown_columns_are_rejected() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "s.csv",
                "id,provider,region_code,city,country_code,lat,lon\na,p,r,C,DE,50,12\n",
            );
            let e = err_text(load_sites(&p));
            assert!(e.contains(":1: field `continent`: missing column"), "{e}");
            let p = file(
                &dir,
                "s.csv",
                &SITES_HEAD.replace("monthly_cost_usd", "monthly_cost"),
            );
            let e = err_text(load_sites(&p));
            assert!(e.contains("field `monthly_cost`: unknown column"), "{e}");
        }

        #[test]
        fn negative_cost_is_rejected() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "s.csv",
                &format!("{SITES_HEAD}a,p,r,C,DE,EU,50,12,-5\n"),
            );
            let e = err_text(load_sites(&p));
            assert!(e.contains("field `monthly_cost_usd`"), "{e}");
        }
    }

    mod countries {
        use super::*;

        const HEAD: &str = "iso2,iso3,name,continent,lat,lon,population,population_year,internet_pct,internet_year,internet_users\n";

        #[test]
        fn reads_rows_with_empty_years() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "c.csv",
                &format!(
                    "{HEAD}AD,AND,Andorra,EU,42.50779,1.52109,81938,2024,94.4855,2022,77420\n\
                     TW,TWN,Taiwan,AS,25.05306,121.52639,23451837,,83.9132,,19679187\n"
                ),
            );
            let c = load_countries(&p).unwrap();
            assert_eq!(c.len(), 2);
            let tw = c
                .get(cdnplan_core::CountryCode::new("TW").unwrap())
                .unwrap();
            assert_eq!(tw.internet_users, 19_679_187);
            assert_eq!(tw.continent, Continent::AS);
        }

        #[test]
        fn more_users_than_people_is_rejected() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "c.csv",
                &format!("{HEAD}AD,AND,Andorra,EU,42.5,1.5,100,2024,94,2022,101\n"),
            );
            let e = err_text(load_countries(&p));
            assert!(
                e.contains(":2: field `internet_users`: exceeds the population"),
                "{e}"
            );
        }

        #[test]
        fn bad_percentage_and_iso3_are_rejected() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "c.csv",
                &format!("{HEAD}AD,AND,Andorra,EU,42.5,1.5,100,2024,140,2022,10\n"),
            );
            assert!(err_text(load_countries(&p)).contains("field `internet_pct`"));
            let p = file(
                &dir,
                "c.csv",
                &format!("{HEAD}AD,AN,Andorra,EU,42.5,1.5,100,2024,14,2022,10\n"),
            );
            assert!(err_text(load_countries(&p)).contains("field `iso3`"));
        }

        #[test]
        fn duplicate_codes_name_both_lines() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "c.csv",
                &format!(
                    "{HEAD}AD,AND,Andorra,EU,42.5,1.5,100,,,,10\nad,AND,Andorra,EU,42.5,1.5,100,,,,10\n"
                ),
            );
            let e = err_text(load_countries(&p));
            assert!(
                e.contains(":3: field `iso2`: duplicate country id (first on line 2)"),
                "{e}"
            );
        }
    }

    mod topology {
        use super::*;

        #[test]
        fn malformed_json_names_the_line() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "t.json",
                "{\n  \"families\": [],\n  \"buckets\": [,]\n}\n",
            );
            let e = err_text(load_topology(&p));
            assert!(e.contains("t.json:3: field `json`"), "{e}");
        }

        #[test]
        fn wrong_shapes_name_the_line() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "t.json",
                "{\"families\": [],\n \"buckets\": [{\"id\": \"3-1\", \"acceptingNewBags\": true, \"distributing\": true}]}",
            );
            let e = err_text(load_topology(&p));
            assert!(
                e.contains(":2: field `json`") && e.contains("bucket id"),
                "{e}"
            );
        }

        #[test]
        fn validation_failures_name_the_file() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "t.json",
                r#"{"families": [{"id": 0}], "buckets": [{"id": "7:0", "acceptingNewBags": true, "distributing": true}]}"#,
            );
            let e = load_topology(&p).unwrap_err();
            assert!(matches!(e, Error::Core { .. }), "{e:?}");
            let chain = format!("{e}: {}", std::error::Error::source(&e).unwrap());
            assert!(
                chain.contains("t.json") && chain.contains("unknown family id \"7\""),
                "{chain}"
            );
        }
        #[test]
        fn an_operator_out_of_range_is_named_with_bucket_worker_and_file() {
            // Issue 15, also met: an out-of-range latitude names the node and the file.
            let dir = tempfile::tempdir().unwrap();
            let p = file(
                &dir,
                "t.json",
                r#"{"families": [{"id": 0}], "buckets": [{"id": "0:3", "acceptingNewBags": true,
                    "distributing": true, "operators": [{"worker": 28, "status": "ACTIVE",
                    "metadata": {"location": {"coordinates": {"lat": 95.0, "lon": 11.0}}}}]}]}"#,
            );
            let e = load_topology(&p).unwrap_err();
            let chain = format!("{e}: {}", std::error::Error::source(&e).unwrap());
            assert!(
                chain.contains("t.json")
                    && chain.contains("bucket 0:3, operator (worker 28)")
                    && chain.contains("lat 95"),
                "{chain}"
            );
        }
    }

    mod data_dir {
        use super::*;

        #[test]
        fn env_wins_then_repo_then_cwd() {
            let dir = tempfile::tempdir().unwrap();
            assert_eq!(
                data_dir_from(Some("/x/y".into()), dir.path()),
                PathBuf::from("/x/y")
            );
            assert_eq!(data_dir_from(Some("".into()), dir.path()), dir.path());
            assert_eq!(data_dir_from(None, dir.path()), dir.path());
            assert_eq!(
                data_dir_from(None, &dir.path().join("missing")),
                PathBuf::from("data")
            );
        }

        #[test]
        fn bundled_dir_holds_the_shipped_files() {
            for f in [
                bundled::SITES,
                bundled::COUNTRIES,
                bundled::TOPOLOGY_2023_01,
                bundled::TOPOLOGY_2023_12,
                bundled::GEOIP_COUNTRY,
            ] {
                assert!(bundled::path(f).is_file(), "{f}");
            }
        }
    }
}
