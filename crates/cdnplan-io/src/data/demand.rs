//! Demand CSVs (as written by `cdnplan demand -o` and in a plan's `demand.csv`) and measured
//! RTT tables.

use std::path::Path;

use cdnplan_core::{CellKind, Demand, DemandCell, Latency};

use super::table::{self, UniqueIds, opt, req};
use crate::error::{Error, Result};

/// Reads demand cells: `id,country,continent,lat,lon,requests,bytes,unique_clients`; the
/// columns a plan's `demand.csv` adds after them (`share`, `node_before`, …) are accepted and
/// ignored. The cell kind is inferred from the ids (`z/x/y` tiles, `CC/City` cities, else
/// countries).
///
/// A demand CSV has no time column, so the loaded demand has no hourly profile
/// ([`Demand::hourly`] is `None`): capacity checks then assume the default peak-to-mean
/// factor ([`PeakModel::measured`](cdnplan_core::capacity::PeakModel::measured) says so). The
/// `--json` output of `cdnplan demand` keeps the profile.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Field`] for a missing column, a bad
/// count, code or coordinate, or a repeated id (naming both lines).
pub fn load_demand(path: &Path) -> Result<Demand> {
    const COLUMNS: &[table::Column] = &[
        req("id"),
        opt("country"),
        opt("continent"),
        req("lat"),
        req("lon"),
        req("requests"),
        opt("bytes"),
        opt("unique_clients"),
        // Columns of a plan's demand.csv and of `demand_csv` with an evaluation; ignored.
        opt("share"),
        opt("node"),
        opt("distance_km"),
        opt("rtt_ms"),
        opt("node_before"),
        opt("distance_before_km"),
        opt("rtt_before_ms"),
        opt("node_after"),
        opt("distance_after_km"),
        opt("rtt_after_ms"),
        opt("rtt_change_ms"),
    ];
    let mut ids = UniqueIds::new("demand cell", "id");
    let cells = table::read(path, COLUMNS, |r| {
        let id = r.str("id")?;
        ids.insert(r, id)?;
        let continent = match r.opt_str("continent") {
            Some(_) => Some(r.continent("continent")?),
            None => None,
        };
        Ok(DemandCell {
            id: id.to_string(),
            location: r.point()?,
            country: r.opt_country("country")?,
            continent,
            requests: count(r, "requests")?.unwrap_or(0),
            bytes: count(r, "bytes")?.unwrap_or(0),
            unique_clients: count(r, "unique_clients")?.unwrap_or(0),
        })
    })?;
    let kind = infer_kind(&cells);
    Demand::new(kind, cells).map_err(|source| Error::Core {
        path: path.to_path_buf(),
        source,
    })
}

/// A count column: a whole number up to [`MAX_COUNT`](cdnplan_core::demand::MAX_COUNT);
/// `requests` must be present.
fn count(r: &table::Row<'_>, field: &str) -> Result<Option<u64>> {
    let v = if field == "requests" {
        Some(r.u64(field)?)
    } else {
        r.opt_u64(field)?
    };
    match v {
        Some(v) if v > cdnplan_core::demand::MAX_COUNT => Err(r.error(
            field,
            "must be at most 9007199254740992 (2^53, where counts stop being exact)",
            &v.to_string(),
        )),
        v => Ok(v),
    }
}

fn infer_kind(cells: &[DemandCell]) -> CellKind {
    let Some(first) = cells.first() else {
        return CellKind::Country;
    };
    let slashes = first.id.matches('/').count();
    if slashes == 2
        && let Ok((zoom, _, _)) = cdnplan_core::demand::parse_geotile_key(&first.id)
    {
        return CellKind::Geotile { zoom };
    }
    if slashes >= 1 {
        CellKind::City
    } else {
        CellKind::Country
    }
}

/// Adds measured RTTs to `latency`: CSV `cell,facility,rtt_ms` (cell id as in the demand,
/// node or site id), each row overriding the model for that pair.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Field`] for a missing column, a
/// negative or non-numeric RTT, or a pair given twice (naming both lines).
pub fn load_measured_rtt(path: &Path, latency: Latency) -> Result<Latency> {
    const COLUMNS: &[table::Column] = &[req("cell"), req("facility"), req("rtt_ms")];
    let mut pairs = UniqueIds::new("measured pair", "cell,facility");
    let rows = table::read(path, COLUMNS, |r| {
        let cell = r.str("cell")?.to_string();
        let facility = r.str("facility")?.to_string();
        pairs.insert(r, &format!("{cell} → {facility}"))?;
        let rtt = r
            .opt_non_negative("rtt_ms")?
            .ok_or_else(|| r.error("rtt_ms", "a measured RTT in ms is required", ""))?;
        Ok((cell, facility, rtt))
    })?;
    let mut latency = latency;
    for (cell, facility, rtt) in rows {
        latency = latency
            .with_override(&cell, &facility, rtt)
            .map_err(|source| Error::Core {
                path: path.to_path_buf(),
                source,
            })?;
    }
    Ok(latency)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::data::testutil::file as write;

    #[test]
    fn reads_a_plans_demand_csv() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            &d,
            "demand.csv",
            "id,country,continent,lat,lon,requests,bytes,unique_clients,share,node_before\n\
             UA,UA,EU,50.45,30.52,10,100,3,0.5,a\nRU,RU,EU,55.75,37.61,10,50,2,0.5,a\n",
        );
        let demand = load_demand(&p).unwrap();
        assert_eq!(demand.kind, CellKind::Country);
        assert_eq!(demand.cells.len(), 2);
        assert_eq!(demand.cells[0].id, "RU", "sorted by id");
        assert_eq!(demand.total_requests(), 20);
    }

    #[test]
    fn bad_cells_are_named() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "d.csv", "id,lat,lon,requests\nX,10,20,5\nY,95,20,5\n");
        let e = load_demand(&p).unwrap_err().to_string();
        assert!(e.contains("d.csv:3"), "{e}");
        let p = write(&d, "n.csv", "id,lat,lon,requests\nX,10,20,-5\n");
        let e = load_demand(&p).unwrap_err().to_string();
        assert!(e.contains("requests"), "{e}");
        let p = write(&d, "dup.csv", "id,lat,lon,requests\nX,10,20,5\nX,10,20,5\n");
        assert!(load_demand(&p).unwrap_err().to_string().contains("X"));
    }

    #[test]
    fn geotile_ids_give_geotile_cells() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "t.csv", "id,lat,lon,requests\n6/34/20,52.5,13.4,5\n");
        assert_eq!(load_demand(&p).unwrap().kind, CellKind::Geotile { zoom: 6 });
    }

    #[test]
    fn measured_rtts_override_pairs() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "rtt.csv", "cell,facility,rtt_ms\nBR,hetzner-fsn1,190\n");
        let l = load_measured_rtt(&p, Latency::default()).unwrap();
        assert_eq!(l.overrides.len(), 1);
        let p = write(&d, "bad.csv", "cell,facility,rtt_ms\nBR,x,-3\n");
        assert!(
            load_measured_rtt(&p, Latency::default())
                .unwrap_err()
                .to_string()
                .contains("rtt_ms")
        );
        let p = write(&d, "dup.csv", "cell,facility,rtt_ms\nBR,x,3\nBR,x,4\n");
        assert!(load_measured_rtt(&p, Latency::default()).is_err());
    }
}
