//! The shipped data in `data/`: every file loads, holds what `data/README.md` says, and the
//! folder stays within its size budget.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use cdnplan::io::data::{self, bundled};
use cdnplan::topology::BucketId;
use cdnplan::{CountryCode, GeoPoint};

fn at(lat: f64, lon: f64) -> GeoPoint {
    GeoPoint { lat, lon }
}

fn cc(s: &str) -> CountryCode {
    CountryCode::new(s).unwrap()
}

mod sites {
    use super::*;

    #[test]
    fn load_with_at_least_150_rows_and_the_joystream_providers() {
        let sites = bundled::sites().unwrap();
        assert!(sites.len() >= 150, "{} sites", sites.len());
        for id in [
            "hetzner-nbg1",
            "hetzner-fsn1",
            "hetzner-hel1",
            "ovh-sgp1",
            "latitudesh-sao",
            "worldstream-nld",
            "contabo-eu-nuremberg",
            "aws-ap-south-1",
        ] {
            assert!(sites.iter().any(|s| s.id == id), "{id} missing");
        }
    }

    #[test]
    fn agree_with_the_country_table() {
        let countries = bundled::countries().unwrap();
        for s in bundled::sites().unwrap() {
            let c = countries.require(s.country).unwrap();
            assert_eq!(s.continent, c.continent, "{}", s.id);
            // A site lies within 4,000 km of its country's capital (continental countries
            // are large: Wyoming to Washington is 2,500 km, Perth to Canberra 3,100 km).
            let d = s.location.distance_km(&c.location);
            assert!(d < 4_000.0, "{} is {d:.0} km from {}", s.id, c.name);
        }
    }

    #[test]
    fn costs_are_only_documented_figures() {
        let costs: BTreeMap<String, f64> = bundled::sites()
            .unwrap()
            .into_iter()
            .filter_map(|s| s.monthly_cost_usd.map(|c| (s.id, c)))
            .collect();
        assert_eq!(costs.len(), 8, "{costs:?}");
        assert_eq!(costs["hetzner-nbg1"], 50.0);
        assert_eq!(costs["latitudesh-sao"], 216.0);
    }
}

mod countries {
    use super::*;

    #[test]
    fn load_with_at_least_240_rows() {
        let countries = bundled::countries().unwrap();
        assert!(countries.len() >= 240, "{} countries", countries.len());
    }

    #[test]
    fn internet_users_sum_to_a_plausible_world_total() {
        let total: u64 = bundled::countries()
            .unwrap()
            .iter()
            .map(|c| c.internet_users)
            .sum();
        assert!(
            (4_500_000_000..=6_000_000_000).contains(&total),
            "Σ internet users = {total}"
        );
    }

    #[test]
    fn representative_points_are_capitals() {
        let countries = bundled::countries().unwrap();
        for (code, lat, lon) in [
            ("DE", 52.52, 13.40),
            ("BR", -15.78, -47.93),
            ("IN", 28.61, 77.21),
            ("ID", -6.21, 106.85),
            ("US", 38.90, -77.04),
        ] {
            let c = countries.require(cc(code)).unwrap();
            assert!(c.location.distance_km(&at(lat, lon)) < 30.0, "{code}");
        }
    }
}

mod topologies {
    use super::*;

    /// Nodes by bucket: the bucket's node coordinates must sit within 50 km of the city.
    fn assert_nodes_near(t: &cdnplan::topology::Topology, expected: &[(&str, &str, f64, f64)]) {
        let nodes = t.nodes();
        assert_eq!(nodes.len(), expected.len(), "{}", t.name);
        for (bucket, city, lat, lon) in expected {
            let b: BucketId = bucket.parse().unwrap();
            let node = nodes
                .iter()
                .find(|n| n.buckets.contains(&b))
                .unwrap_or_else(|| panic!("no node in {bucket}"));
            let d = node.location.distance_km(&at(*lat, *lon));
            assert!(d < 50.0, "{bucket} ({city}) is {d:.0} km away");
            assert_eq!(node.city.as_deref(), Some(*city));
        }
    }

    #[test]
    fn january_2023_has_13_families_and_6_operator_nodes_where_expected() {
        let t = bundled::topology_2023_01().unwrap();
        assert_eq!(t.families.len(), 13);
        assert_eq!(t.buckets.len(), 13);
        assert!(t.buckets.iter().all(|b| b.id.index == 0));
        let operated = t.buckets.iter().filter(|b| !b.operators.is_empty()).count();
        assert_eq!(operated, 6);
        assert_nodes_near(
            &t,
            &[
                ("0:0", "Nuremberg", 49.45, 11.08),
                ("1:0", "Paris", 48.86, 2.35),
                ("2:0", "Kyiv", 50.45, 30.52),
                ("5:0", "Mumbai", 19.08, 72.88),
                ("6:0", "Singapore", 1.35, 103.82),
                ("12:0", "Toronto", 43.70, -79.42),
            ],
        );
        let eu_north = t.family(cdnplan::topology::FamilyId(0)).unwrap();
        let meta = eu_north.metadata.as_ref().unwrap();
        assert_eq!(meta.region.as_deref(), Some("eu-north-1"));
        assert_eq!(
            t.worker_handles[&cdnplan::topology::WorkerId(3)],
            "klaudiusz"
        );
        // Worker 6 published no endpoint, so Orion would not serve from it.
        assert_eq!(t.nodes().iter().filter(|n| n.active).count(), 5);
    }

    #[test]
    fn december_2023_has_the_8_benchmarked_nodes() {
        let t = bundled::topology_2023_12().unwrap();
        assert_eq!(t.families.len(), 13);
        assert_nodes_near(
            &t,
            &[
                ("0:0", "Nuremberg", 49.45, 11.08),
                ("0:2", "Naaldwijk", 51.99, 4.21),
                ("1:0", "Tokyo", 35.68, 139.69),
                ("2:0", "Kyiv", 50.45, 30.52),
                ("2:1", "Saint Petersburg", 59.94, 30.31),
                ("3:0", "Mumbai", 19.08, 72.88),
                ("5:0", "Singapore", 1.35, 103.82),
                ("12:0", "New York", 40.71, -74.01),
            ],
        );
        assert!(t.nodes().iter().all(|n| n.active));
        let hosts: Vec<String> = t.nodes().into_iter().map(|n| n.id).collect();
        assert!(hosts.contains(&"tokyo.0x2bc.com".to_string()), "{hosts:?}");
    }

    #[test]
    fn node_countries_are_in_the_country_table() {
        let countries = bundled::countries().unwrap();
        for t in [
            bundled::topology_2023_01().unwrap(),
            bundled::topology_2023_12().unwrap(),
        ] {
            for n in t.nodes() {
                let c = countries.require(n.country.unwrap()).unwrap();
                assert!(n.location.distance_km(&c.location) < 3_000.0, "{}", n.id);
            }
        }
    }

    #[test]
    fn load_nodes_reads_a_topology_file() {
        let nodes = data::load_nodes(&bundled::path(bundled::TOPOLOGY_2023_12)).unwrap();
        assert_eq!(nodes.len(), 8);
    }
}

mod geoip {
    use super::*;

    fn country(reader: &maxminddb::Reader<Vec<u8>>, ip: &str) -> Option<String> {
        let ip: IpAddr = ip.parse().unwrap();
        let rec: Option<BTreeMap<String, String>> = reader.lookup(ip).unwrap().decode().unwrap();
        rec.map(|r| r["country_code"].clone())
    }

    #[test]
    fn known_addresses_resolve_to_their_countries() {
        let reader = maxminddb::Reader::open_readfile(bundled::geoip_country_db()).unwrap();
        assert_eq!(reader.metadata().ip_version, 4);
        assert_eq!(reader.metadata().database_type, "DBIP-Country-Lite");
        assert!(reader.metadata().description["en"].contains("DB-IP"));
        // Checked against the package's dbip-country-ipv4.csv.
        for (ip, want) in [
            ("8.8.8.8", "US"),
            ("1.1.1.1", "AU"),
            ("81.2.69.160", "GB"),
            ("193.0.6.139", "NL"),
            ("200.160.2.3", "BR"),
        ] {
            assert_eq!(country(&reader, ip).as_deref(), Some(want), "{ip}");
        }
        // Private and loopback ranges are not in the database.
        assert_eq!(country(&reader, "10.0.0.1"), None);
        assert_eq!(country(&reader, "127.0.0.1"), None);
    }

    #[test]
    fn the_database_holds_ipv4_only() {
        let reader = maxminddb::Reader::open_readfile(bundled::geoip_country_db()).unwrap();
        assert!(
            reader
                .lookup("2001:4860:4860::8888".parse().unwrap())
                .is_err()
        );
    }
}

mod budget {
    use super::*;

    fn files(dir: &Path, out: &mut Vec<(PathBuf, u64)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                files(&p, out);
            } else {
                out.push((p, e.metadata().unwrap().len()));
            }
        }
    }

    fn all_files() -> (PathBuf, Vec<(PathBuf, u64)>) {
        let dir = data::bundled_data_dir();
        let mut out = Vec::new();
        files(&dir, &mut out);
        out.sort();
        (dir, out)
    }

    /// The rule (data/README.md): all of data/ stays under 10 MB, and everything except the
    /// synthesised request snapshots in data/snapshots/ stays under 9 MB.
    #[test]
    fn data_stays_within_its_size_budget() {
        const MB: u64 = 1_000_000;
        let (dir, files) = all_files();
        let total: u64 = files.iter().map(|(_, n)| n).sum();
        let snapshots = dir.join("snapshots");
        let fixed: u64 = files
            .iter()
            .filter(|(p, _)| !p.starts_with(&snapshots))
            .map(|(_, n)| n)
            .sum();
        let listing = || {
            files
                .iter()
                .map(|(p, n)| format!("{n:>10} {}", p.strip_prefix(&dir).unwrap().display()))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(total < 10 * MB, "data/ is {total} bytes:\n{}", listing());
        assert!(
            fixed < 9 * MB,
            "data/ without snapshots is {fixed} bytes:\n{}",
            listing()
        );
    }

    #[test]
    fn every_file_is_documented_in_the_readme() {
        let (dir, files) = all_files();
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        for (p, _) in &files {
            let rel = p
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "README.md" || rel == "NOTICE" {
                continue;
            }
            assert!(
                readme.contains(&format!("`{rel}`")) || readme.contains(&format!("`data/{rel}`")),
                "data/README.md does not list `{rel}`"
            );
        }
    }
}
