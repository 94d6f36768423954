//! Issue 16's parity suite at test size: a seeded layout of awkward indices (see
//! `support::layouts`) read in push-down, raw PIT and raw scroll equals the log reader on the
//! same documents, cell by cell, for country and geotile cells; requests by node agree across
//! the cluster modes. `scripts/es-parity.sh` runs the same at 200 000 documents.

use cdnplan::io::es::{EsClient, EsConnection};
use cdnplan::io::geoip::GeoIp;

use super::support::layouts::{self, countries, geoip_db};
use super::support::osmem;

#[test]
fn generated_layouts_read_alike_in_every_mode() {
    let c =
        EsClient::connect(&EsConnection::url(osmem::url()).unwrap().timeout_secs(60.0)).unwrap();
    let geoip = GeoIp::from_bytes(geoip_db(), "parity.mmdb").unwrap();
    let countries = countries();
    let dir = tempfile::tempdir().unwrap();
    let layout = layouts::generate(16, 1_200, 5, &format!("par{}", std::process::id()));
    layout.load(&c, 1_000);
    let rows = layouts::parity(
        &c,
        &layout,
        &geoip,
        &countries,
        dir.path(),
        1_000,
        &mut |_| {},
    );
    layout.drop(&c);
    for r in &rows {
        eprintln!(
            "{} {}: {:.2} s, {:?}, {} read raw; {}",
            r.cells, r.mode, r.secs, r.totals, r.raw_docs, r.note
        );
    }
    let mut failed = Vec::new();
    for r in &rows {
        if !r.mismatches.is_empty() {
            failed.push(format!("{} {}: {:?}", r.cells, r.mode, r.mismatches));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    for r in rows.iter().filter(|r| r.mode != "file") {
        assert!(r.totals.1 > 600, "{} {}: {:?}", r.cells, r.mode, r.totals);
        let first = rows.iter().find(|x| x.mode == "push-down").unwrap();
        assert_eq!(r.by_node, first.by_node, "{} {}", r.cells, r.mode);
    }
    // Every index kind left some documents to the raw read, and some were aggregated.
    let pd = rows.iter().find(|r| r.mode == "push-down").unwrap();
    assert!(pd.raw_docs > 0 && pd.raw_docs < 1_000, "{}", pd.raw_docs);
}
