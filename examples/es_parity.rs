//! Issue 16's parity suite at size: generates a seeded layout of awkward indices (per-node
//! indices and `.ds-` backing indices behind one alias, five mappings; see
//! `tests/support/layouts.rs`), loads it into a cluster, and reads it by the log reader and in
//! push-down, raw PIT and raw scroll for country and geotile:5 cells, printing each read's
//! time and totals and every cell that differs from the log reader's.
//!
//! ```sh
//! scripts/es-parity.sh                     # 200 000 documents into a fresh osmem-server
//! cargo run --release --example es_parity -- http://127.0.0.1:9200 200000 --page 5000
//! ```
//!
//! Options after the document count: `--nodes N` (indices, default 10), `--seed S`
//! (default 16), `--page N` (composite buckets and raw documents per page, default 5000).
//! Exits with 1 when any cell differs.

#[path = "../tests/support/layouts.rs"]
mod layouts;

use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use cdnplan::io::es::{EsClient, EsConnection};
use cdnplan::io::geoip::GeoIp;

fn main() -> Result<ExitCode, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: es_parity URL [DOCS] [--nodes N] [--seed S] [--page N]";
    let url = args.next().ok_or(usage)?;
    let docs: usize = args.next().map_or(Ok(200_000), |s| s.parse())?;
    let (mut nodes, mut seed, mut page) = (10usize, 16u64, 5000usize);
    while let Some(a) = args.next() {
        let v = args.next().ok_or_else(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--nodes" => nodes = v.parse()?,
            "--seed" => seed = v.parse()?,
            "--page" => page = v.parse()?,
            _ => return Err(format!("unknown option {a}; {usage}").into()),
        }
    }
    let client = EsClient::connect(&EsConnection::url(&url)?.timeout_secs(3600.0))?;
    let geoip = GeoIp::from_bytes(layouts::geoip_db(), "parity.mmdb")?;
    let countries = layouts::countries();
    let dir = tempfile::tempdir()?;
    let t = Instant::now();
    let layout = layouts::generate(seed, docs, nodes, "parity");
    layout.load(&client, 10_000);
    println!(
        "loaded {docs} documents into {} indices behind {:?} in {:.1} s",
        layout.indices.len(),
        layout.alias,
        t.elapsed().as_secs_f64()
    );
    println!(
        "{:<10} {:<10} {:>9} {:>6} {:>9} {:>15} {:>8} {:>9} {:>10}",
        "cells",
        "mode",
        "seconds",
        "cells",
        "requests",
        "bytes",
        "clients",
        "read raw",
        "mismatches"
    );
    let mut bad = 0;
    let mut print = |r: &layouts::Row| {
        println!(
            "{:<10} {:<10} {:>9.2} {:>6} {:>9} {:>15} {:>8} {:>9} {:>10}",
            r.cells,
            r.mode,
            r.secs,
            r.totals.0,
            r.totals.1,
            r.totals.2,
            r.totals.3,
            r.raw_docs,
            r.mismatches.len()
        );
        if !r.note.is_empty() {
            println!("{:<21} {}", "", r.note);
        }
        for m in &r.mismatches {
            println!("  {m}");
            bad += 1;
        }
    };
    let rows = layouts::parity(
        &client,
        &layout,
        &geoip,
        &countries,
        dir.path(),
        page,
        &mut print,
    );
    let pd = rows.iter().find(|r| r.mode == "push-down");
    let nodes_agree = rows
        .iter()
        .filter(|r| r.mode != "file")
        .all(|r| Some(&r.by_node) == pd.map(|p| &p.by_node));
    println!("requests by node agree across the cluster modes: {nodes_agree}");
    layout.drop(&client);
    Ok(if bad == 0 && nodes_agree {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
