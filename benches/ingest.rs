//! Request-log ingestion throughput and GeoIP lookup cost.
//!
//! Data: a seeded synthetic Argus log (about 32 MB, `cdnplan_io::synth`) against a GeoIP2-schema
//! database of 8 countries × 256 /20 networks written with `mmdb-writer`.
//!
//! Run: `cargo bench --bench ingest`.

use std::hint::black_box;
use std::net::IpAddr;
use std::path::PathBuf;

use cdnplan::io::geoip::{GeoIp, GeoIpCache};
use cdnplan::io::logs::{IngestOptions, Preset, ingest};
use cdnplan::io::synth::{SynthSpec, write_ndjson, write_ndjson_gz};
use cdnplan::{Continent, Countries, Country, CountryCode, GeoPoint, NoProgress};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mmdb_writer::ipnet::{IpNet, Ipv4Net};
use mmdb_writer::{Value, Writer};

/// (country, continent, first octet, lat, lon, internet users)
const COUNTRIES: &[(&str, Continent, u8, f64, f64, u64)] = &[
    ("RU", Continent::EU, 5, 55.7558, 37.6173, 130_000_000),
    ("UA", Continent::EU, 31, 50.4501, 30.5234, 30_000_000),
    ("TR", Continent::AS, 78, 39.9334, 32.8597, 70_000_000),
    ("US", Continent::NA, 23, 38.9072, -77.0369, 300_000_000),
    ("DE", Continent::EU, 46, 52.52, 13.405, 75_000_000),
    ("ID", Continent::AS, 36, -6.2088, 106.8456, 200_000_000),
    ("GB", Continent::EU, 81, 51.5074, -0.1278, 65_000_000),
    ("BR", Continent::SA, 177, -15.7939, -47.8828, 170_000_000),
];

fn database() -> GeoIp {
    let mut w = Writer::new("Bench-GeoIP2-City");
    for &(cc, cont, octet, lat, lon, _) in COUNTRIES {
        for i in 0..256u32 {
            // 256 /20 networks per country, each its own city record.
            let base = (u32::from(octet) << 24) | (i << 12);
            let net = Ipv4Net::new(base.into(), 20).unwrap();
            let rec: Value = [
                (
                    "country".to_string(),
                    Value::map([("iso_code", Value::from(cc))]),
                ),
                (
                    "continent".to_string(),
                    Value::map([("code", Value::from(cont.code()))]),
                ),
                (
                    "city".to_string(),
                    Value::map([(
                        "names",
                        Value::map([("en", Value::from(format!("{cc}-{}", i % 16)))]),
                    )]),
                ),
                (
                    "location".to_string(),
                    Value::map([
                        ("latitude", Value::from(lat + f64::from(i % 16) * 0.1)),
                        ("longitude", Value::from(lon + f64::from(i / 16) * 0.1)),
                    ]),
                ),
            ]
            .into_iter()
            .collect();
            w.insert_value(IpNet::V4(net), rec).unwrap();
        }
    }
    GeoIp::from_bytes(w.to_bytes().unwrap(), "bench.mmdb").unwrap()
}

fn countries() -> Countries {
    Countries::new(
        COUNTRIES
            .iter()
            .map(|&(cc, cont, _, lat, lon, users)| Country {
                code: CountryCode::new(cc).unwrap(),
                iso3: String::new(),
                name: cc.into(),
                continent: cont,
                location: GeoPoint { lat, lon },
                population: users,
                internet_users: users,
            }),
    )
    .unwrap()
}

fn spec() -> SynthSpec {
    SynthSpec {
        seed: 42,
        bytes_target: Some(32 << 20),
        visitors: 7_000,
        nodes: (1..=8).map(|i| format!("dist-{i}.example")).collect(),
        ..SynthSpec::default()
    }
}

fn bench_ingest(c: &mut Criterion) {
    let geoip = database();
    let countries = countries();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("argus.ndjson");
    let file = std::io::BufWriter::new(std::fs::File::create(&plain).unwrap());
    let summary = write_ndjson(&spec(), &geoip, &countries, file).unwrap();
    let gz = dir.path().join("argus.ndjson.gz");
    write_ndjson_gz(&gz, &spec(), &geoip, &countries).unwrap();

    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(summary.bytes));
    let opts = IngestOptions::new(Preset::Argus);
    for (name, path) in [
        ("argus ndjson 32 MB plain", &plain),
        ("argus ndjson 32 MB gzip", &gz),
    ] {
        let paths: Vec<PathBuf> = vec![path.clone()];
        g.bench_function(name, |b| {
            b.iter(|| ingest(&paths, &geoip, &countries, &opts, &NoProgress).unwrap())
        });
    }
    let one = opts.clone().threads(1);
    let paths = vec![plain.clone()];
    g.bench_function("argus ndjson 32 MB plain, 1 thread", |b| {
        b.iter(|| ingest(&paths, &geoip, &countries, &one, &NoProgress).unwrap())
    });
    g.finish();
}

fn bench_geoip(c: &mut Criterion) {
    let geoip = database();
    // 10 000 addresses in 1 000 distinct /20s: most decode the same record many times.
    let ips: Vec<IpAddr> = (0..10_000u32)
        .map(|i| {
            let (_, _, octet, ..) = COUNTRIES[(i % 8) as usize];
            IpAddr::from(
                ((u32::from(octet) << 24) | ((i % 125) << 12) | (i * 7919 % 4096)).to_be_bytes(),
            )
        })
        .collect();
    let mut g = c.benchmark_group("geoip");
    g.throughput(Throughput::Elements(ips.len() as u64));
    g.bench_function("lookup + decode, 10k addresses", |b| {
        b.iter(|| {
            for ip in &ips {
                black_box(geoip.lookup(*ip).unwrap());
            }
        })
    });
    g.bench_function("lookup via record cache, 10k addresses", |b| {
        let mut cache = GeoIpCache::new(&geoip);
        b.iter(|| {
            for ip in &ips {
                black_box(cache.lookup(*ip).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench_ingest, bench_geoip);
criterion_main!(benches);
