//! Current nodes: the "where my nodes are" CSV format and JSON node lists.

use std::path::Path;

use cdnplan_core::{Countries, Node, NodeCapacity};

use super::table::{self, UniqueIds, opt, req};
use super::{load_topology, parse_json, read_text};
use crate::error::{Error, Result};

/// Reads the nodes of the current setup: the CSV format of the [module docs](super), or a
/// `.json` file holding an array of [`Node`]s or a
/// [`Topology`](cdnplan_core::topology::Topology) (then its
/// [`Topology::nodes`](cdnplan_core::topology::Topology::nodes)).
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Field`] for an unknown or missing
/// column, bad coordinates, country code, flag or capacity, or an id used twice (naming
/// both lines; for JSON arrays, both positions); [`Error::Core`] for an invalid topology;
/// [`Error::Field`] naming the file when it holds no node.
pub fn load_nodes(path: &Path) -> Result<Vec<Node>> {
    read_nodes(path, None)
}

/// Like [`load_nodes`], and every country code in a CSV file or JSON array must be in
/// `countries`.
///
/// # Errors
/// As [`load_nodes`]; also [`Error::Field`] naming the line (CSV) or position (JSON) of a
/// country code `countries` does not list.
pub fn load_nodes_checked(path: &Path, countries: &Countries) -> Result<Vec<Node>> {
    read_nodes(path, Some(countries))
}

fn read_nodes(path: &Path, countries: Option<&Countries>) -> Result<Vec<Node>> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let nodes = if is_json {
        load_nodes_json(path, countries)?
    } else {
        load_nodes_csv(path, countries)?
    };
    if nodes.is_empty() {
        // Named at line 1, where the first node would start (after a header, or none).
        return Err(Error::field(
            path,
            1,
            "id",
            "no node in the file (a header only, or nothing): the current setup needs at \
             least one node",
            None,
        ));
    }
    Ok(nodes)
}

fn load_nodes_csv(path: &Path, countries: Option<&Countries>) -> Result<Vec<Node>> {
    const COLUMNS: &[table::Column] = &[
        req("id"),
        opt("operator"),
        opt("city"),
        opt("country_code"),
        req("lat"),
        req("lon"),
        opt("active"),
        opt("egress_gbps"),
        opt("cache_gb"),
    ];
    let mut ids = UniqueIds::new("node", "id");
    table::read(path, COLUMNS, |r| {
        let id = r.str("id")?;
        ids.insert(r, id)?;
        let egress_gbps = r.opt_non_negative("egress_gbps")?;
        let cache_gb = r.opt_non_negative("cache_gb")?;
        Ok(Node {
            id: id.to_string(),
            operator: r.opt_str("operator").map(str::to_string),
            city: r.opt_str("city").map(str::to_string),
            country: match r.opt_country("country_code")? {
                Some(cc) => Some(r.known_country("country_code", cc, countries)?),
                None => None,
            },
            continent: None,
            location: r.point()?,
            capacity: (egress_gbps.is_some() || cache_gb.is_some()).then_some(NodeCapacity {
                egress_gbps,
                cache_gb,
            }),
            active: r.opt_bool("active")?.unwrap_or(true),
            buckets: Vec::new(),
        })
    })
}

fn load_nodes_json(path: &Path, countries: Option<&Countries>) -> Result<Vec<Node>> {
    let text = read_text(path)?;
    if !text.trim_start().starts_with('[') {
        return Ok(load_topology(path)?.nodes());
    }
    let nodes: Vec<Node> = parse_json(path, &text)?;
    let mut first = std::collections::BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        let at = |field: &str, reason: String, got: &str| {
            Error::field(path, 0, format!("[{i}].{field}"), reason, Some(got))
        };
        n.location
            .validate()
            .map_err(|e| at("location", e.to_string(), &n.location.to_string()))?;
        if let (Some(cc), Some(t)) = (n.country, countries)
            && t.get(cc).is_none()
        {
            return Err(at(
                "country",
                "unknown country (not in the country table)".into(),
                cc.as_str(),
            ));
        }
        if let Some(j) = first.insert(n.id.as_str(), i) {
            return Err(at(
                "id",
                format!("duplicate node id (first at [{j}])"),
                &n.id,
            ));
        }
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::bundled;

    use crate::data::testutil::{err_text, file};

    const HEAD: &str = "id,operator,city,country_code,lat,lon,active,egress_gbps,cache_gb\n";

    #[test]
    fn csv_defaults_to_active_without_capacity() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            &dir,
            "n.csv",
            &format!(
                "{HEAD}nbg,klaudiusz,Nuremberg,DE,49.45421,11.07752,true,1,1000\n\
                 sin,,Singapore,SG,1.28967,103.85007,,,\n\
                 old,,,,10,10,no,,\n"
            ),
        );
        let n = load_nodes(&p).unwrap();
        assert_eq!(n.len(), 3);
        assert_eq!(
            n[0].capacity,
            Some(NodeCapacity {
                egress_gbps: Some(1.0),
                cache_gb: Some(1000.0)
            })
        );
        assert!(n[1].active && n[1].capacity.is_none() && n[1].operator.is_none());
        assert!(!n[2].active);
    }

    #[test]
    fn only_id_and_coordinates_are_required() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(&dir, "n.csv", "lat,lon,id\n1,2,a\n");
        assert_eq!(load_nodes(&p).unwrap()[0].id, "a");
        let p = file(&dir, "n.csv", "id,lat\na,1\n");
        assert!(err_text(load_nodes(&p)).contains("field `lon`: missing column"));
    }

    #[test]
    fn bad_flag_and_duplicate_ids_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(&dir, "n.csv", &format!("{HEAD}a,,,,1,2,maybe,,\n"));
        let e = err_text(load_nodes(&p));
        assert!(
            e.contains(":2: field `active`") && e.contains("maybe"),
            "{e}"
        );
        let p = file(&dir, "n.csv", &format!("{HEAD}a,,,,1,2,,,\na,,,,1,2,,,\n"));
        assert!(err_text(load_nodes(&p)).contains("duplicate node id (first on line 2)"));
    }

    #[test]
    fn json_array_of_nodes_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            &dir,
            "n.json",
            r#"[{"id":"a","location":{"lat":1,"lon":2},"active":true},
                {"id":"a","location":{"lat":3,"lon":4},"active":false}]"#,
        );
        let e = err_text(load_nodes(&p));
        assert!(e.contains("duplicate node id (first at [0])"), "{e}");
        let p = file(
            &dir,
            "n.json",
            r#"[{"id":"a","location":{"lat":100,"lon":2},"active":true}]"#,
        );
        assert!(err_text(load_nodes(&p)).contains("field `[0].location`"));
    }

    #[test]
    fn checked_loading_rejects_countries_outside_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let countries = bundled::countries().unwrap();
        let p = file(
            &dir,
            "n.csv",
            &format!("{HEAD}a,,,DE,1,2,,,\nb,,,UK,1,2,,,\n"),
        );
        assert_eq!(load_nodes(&p).unwrap().len(), 2);
        let e = err_text(load_nodes_checked(&p, &countries));
        assert!(
            e.contains("n.csv:3: field `country_code`: unknown country") && e.contains("\"UK\""),
            "{e}"
        );
        let p = file(
            &dir,
            "n.json",
            r#"[{"id":"a","country":"XX","location":{"lat":1,"lon":2},"active":true}]"#,
        );
        let e = err_text(load_nodes_checked(&p, &countries));
        assert!(e.contains("field `[0].country`: unknown country"), "{e}");
    }

    #[test]
    fn json_topology_gives_its_nodes() {
        let p = bundled::path(bundled::TOPOLOGY_2023_01);
        let nodes = load_nodes(&p).unwrap();
        assert_eq!(nodes.len(), 6);
        assert!(nodes.iter().any(|n| n.id == "joystream.koalva.io"));
    }
}
