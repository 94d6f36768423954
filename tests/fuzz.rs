//! Fuzzing on stable Rust (issue 15): every parser of user input, fed structured mutations of
//! a valid sample — byte flips, truncations, deletions, repeated lines, huge numbers, odd
//! Unicode, deep nesting — and random bytes. Each must return a value or an error, never
//! panic; an error from a parser that knows positions names the file and the line.
//!
//! The suite runs a few cases per parser (`DEFAULT_CASES`); `scripts/fuzz.sh CASES` runs
//! many more (`CDNPLAN_FUZZ_CASES`) in a release build and prints the count and duration per
//! parser.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use cdnplan::io::data::{load_demand, load_measured_rtt, load_nodes, load_sites, load_topology};
use cdnplan::io::geoip::GeoIp;
use cdnplan::io::graphql::parse_graphql;
use cdnplan::io::logs::{self, IngestOptions, Preset};
use cdnplan::io::scenario::Scenario;
use cdnplan::{Countries, Latency, NoProgress};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

fn data_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(rel)
}

/// Cases per parser in the ordinary test run: enough to meet every mutation kind, few enough
/// that the whole file takes a few seconds.
const DEFAULT_CASES: u32 = 48;

fn cases() -> u32 {
    std::env::var("CDNPLAN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// One structured change to a sample.
#[derive(Debug, Clone)]
enum Mutation {
    /// XOR a byte with a value.
    Flip(usize, u8),
    /// Keep only the first part.
    Truncate(usize),
    /// Remove a byte.
    Delete(usize),
    /// Insert text at a position.
    Insert(usize, &'static str),
    /// Repeat the line holding a position.
    RepeatLine(usize),
    /// Replace the input by random bytes.
    Random(Vec<u8>),
}

/// Text that breaks parsers: huge and odd numbers, odd Unicode, separators, deep nesting.
const INSERTS: &[&str] = &[
    "18446744073709551616",
    "99999999999999999999999999999999999999",
    "-9223372036854775809",
    "1e309",
    "-0",
    "NaN",
    "inf",
    "0x10",
    "\u{0}",
    "\u{feff}",
    "\u{202e}",
    "\u{1f600}",
    "é",
    "\u{fffd}",
    ",",
    ";",
    "\"",
    "'",
    "\n",
    "\r\n",
    "\r",
    "#",
    "[",
    "{",
    "}",
    "]",
    ":",
    "=",
    "\\",
    "/",
    "/api/v1/assets/1",
    "null",
    "true",
    "",
];

fn nesting() -> &'static str {
    static DEEP: OnceLock<String> = OnceLock::new();
    DEEP.get_or_init(|| format!("{}{}", "[{\"a\":".repeat(3000), "]}".repeat(3000)))
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        2 => any::<usize>().prop_map(Mutation::Truncate),
        2 => any::<usize>().prop_map(Mutation::Delete),
        4 => (any::<usize>(), 0..INSERTS.len() + 1).prop_map(|(i, k)| {
            Mutation::Insert(i, INSERTS.get(k).copied().unwrap_or_else(nesting))
        }),
        1 => any::<usize>().prop_map(Mutation::RepeatLine),
        1 => proptest::collection::vec(any::<u8>(), 0..256).prop_map(Mutation::Random),
    ]
}

fn apply(sample: &[u8], ms: &[Mutation]) -> Vec<u8> {
    let mut b = sample.to_vec();
    for m in ms {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match m {
            Mutation::Flip(i, x) if !b.is_empty() => {
                let i = at(*i, b.len());
                b[i] ^= x;
            }
            Mutation::Truncate(i) => b.truncate(at(*i, b.len() + 1)),
            Mutation::Delete(i) if !b.is_empty() => {
                b.remove(at(*i, b.len()));
            }
            Mutation::Insert(i, s) => {
                let i = at(*i, b.len() + 1);
                b.splice(i..i, s.bytes());
            }
            Mutation::RepeatLine(i) if !b.is_empty() => {
                let i = at(*i, b.len());
                let start = b[..i]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |p| p + 1);
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p + 1);
                let line = b[start..end].to_vec();
                b.splice(end..end, line);
            }
            Mutation::Random(r) => b = r.clone(),
            _ => {}
        }
    }
    b
}

/// Runs `check` on `cases()` mutations of `sample`, written to a file named `name` in a
/// fresh directory, and prints the count and duration.
fn fuzz(
    parser: &str,
    name: &str,
    sample: &str,
    check: impl Fn(&Path, &[u8]) -> Result<(), String>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let n = cases();
    let started = Instant::now();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(mutation(), 0..4);
    let r = runner.run(&strategy, |ms| {
        let bytes = apply(sample.as_bytes(), &ms);
        std::fs::write(&path, &bytes).unwrap();
        check(&path, &bytes).map_err(TestCaseError::fail)
    });
    if let Err(e) = r {
        panic!("{parser}: {e}");
    }
    eprintln!(
        "fuzz {parser}: {n} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// An error from a parser with positions names the file and a line of it.
fn positioned(path: &Path, e: &dyn std::fmt::Display) -> Result<(), String> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = e.to_string();
    let at_line = text
        .split(&format!("{name}:"))
        .skip(1)
        .any(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    if at_line {
        Ok(())
    } else {
        Err(format!("no position in the error: {text}"))
    }
}

/// Table CSVs: any error names file and line, except an unreadable (non-UTF-8) file, which
/// has no line to name.
fn csv_result<T>(path: &Path, r: Result<T, cdnplan::io::Error>) -> Result<(), String> {
    match r {
        Ok(_) => Ok(()),
        Err(cdnplan::io::Error::Io { .. }) => Ok(()),
        Err(e) => positioned(path, &e),
    }
}

fn geoip() -> &'static GeoIp {
    static DB: OnceLock<GeoIp> = OnceLock::new();
    DB.get_or_init(|| GeoIp::open(data_path("geoip/dbip-country-lite.mmdb")).unwrap())
}

fn countries() -> &'static Countries {
    static C: OnceLock<Countries> = OnceLock::new();
    C.get_or_init(|| cdnplan::io::data::load_countries(&data_path("countries.csv")).unwrap())
}

/// The log reader on one file with `preset`: an error other than "no demand" (which names
/// counts, not a line) or an unreadable file names file and line.
fn log_result(path: &Path, preset: Preset) -> Result<(), String> {
    let opts = IngestOptions::new(preset).threads(1);
    match logs::ingest(
        &[path.to_path_buf()],
        geoip(),
        countries(),
        &opts,
        &NoProgress,
    ) {
        Ok(_) => Ok(()),
        Err(cdnplan::io::Error::Model(cdnplan::Error::EmptyDemand(_))) => Ok(()),
        Err(cdnplan::io::Error::Io { .. }) => Ok(()),
        Err(e) => positioned(path, &e),
    }
}

const NDJSON: &str = r#"{"@timestamp":"2023-06-02T00:00:00.000Z","message":"HTTP GET /api/v1/assets/17","fields":{"meta":{"req":{"url":"/api/v1/assets/17","headers":{"host":"n1","x-forwarded-for":"203.0.113.7"},"method":"GET"},"res":{"statusCode":200,"headers":{"content-length":"1048576"}}}}}
{"@timestamp":"2023-06-02T00:00:01.000Z","message":"HTTP GET /api/v1/assets/18","fields":{"meta":{"req":{"url":"/api/v1/assets/18","headers":{"host":"n2","x-forwarded-for":"198.51.100.2"},"method":"GET"},"res":{"statusCode":206,"headers":{"content-length":"10"}}}}}
"#;

const COMBINED: &str = "203.0.113.7 - - [12/May/2023:10:00:00 +0000] \"GET /api/v1/assets/17 HTTP/1.1\" 200 1048576 \"-\" \"curl/8\"\n\
198.51.100.2 - - [12/May/2023:10:00:01 +0000] \"GET /api/v1/assets/18 HTTP/1.1\" 206 10 \"https://x/\" \"Mozilla/5.0\"\n";

const CSV_LOG: &str = "timestamp,url,client_ip,status,bytes\n\
2023-06-02T00:00:00Z,/api/v1/assets/17,203.0.113.7,200,1048576\n\
2023-06-02T00:00:01Z,/api/v1/assets/18,198.51.100.2,206,10\n";

const ES_PAGE: &str = r#"{"took":3,"timed_out":false,"hits":{"total":{"value":2,"relation":"eq"},"hits":[{"_index":"logs","_id":"1","_source":{"@timestamp":"2023-06-02T00:00:00.000Z","fields":{"meta":{"req":{"url":"/api/v1/assets/17","headers":{"host":"n1","x-forwarded-for":"203.0.113.7"}},"res":{"statusCode":200,"headers":{"content-length":"1048576"}}}}}},{"_index":"logs","_id":"2","_source":{"@timestamp":"2023-06-02T00:00:01.000Z","fields":{"meta":{"req":{"url":"/api/v1/assets/18","headers":{"host":"n2","x-forwarded-for":"198.51.100.2"}},"res":{"statusCode":206,"headers":{"content-length":"10"}}}}}}]}}
"#;

const DEMAND: &str = "id,country,continent,lat,lon,requests,bytes,unique_clients\n\
DE,DE,EU,51.1657,10.4515,120,1000000,7\n\
US,US,NA,37.0902,-95.7129,80,2000,3\n";

const NODES: &str = "id,operator,city,country_code,lat,lon,active,egress_gbps,cache_gb\n\
nbg,klaudiusz,Nuremberg,DE,49.45421,11.07752,true,1,1000\n\
sin,,Singapore,SG,1.28967,103.85007,,,\n";

const SITES: &str = "id,provider,region_code,city,country_code,continent,lat,lon,monthly_cost_usd\n\
aws-af-south-1,aws,af-south-1,Cape Town,ZA,AF,-33.9249,18.4241,\n\
aws-ap-east-1,aws,ap-east-1,Hong Kong,HK,AS,22.3193,114.1694,12.5\n";

const RTT: &str = "cell,facility,rtt_ms\nDE,nbg,12.5\nUS,sin,210\n";

#[test]
fn fuzz_ndjson_records() {
    fuzz("NDJSON record", "a.ndjson", NDJSON, |p, _| {
        log_result(p, Preset::Argus)
    });
}

#[test]
fn fuzz_combined_log() {
    fuzz("combined log", "access.log", COMBINED, |p, _| {
        log_result(p, Preset::Combined)
    });
}

#[test]
fn fuzz_csv_log() {
    fuzz("CSV log", "log.csv", CSV_LOG, |p, _| {
        log_result(p, Preset::Csv)
    });
}

#[test]
fn fuzz_es_search_responses() {
    fuzz("ES _search response", "page.json", ES_PAGE, |p, _| {
        log_result(p, Preset::EsHits)
    });
}

#[test]
fn fuzz_demand_csv() {
    fuzz("demand CSV", "demand.csv", DEMAND, |p, _| {
        csv_result(p, load_demand(p))
    });
}

#[test]
fn fuzz_nodes_csv() {
    fuzz("nodes CSV", "nodes.csv", NODES, |p, _| {
        csv_result(p, load_nodes(p))
    });
}

#[test]
fn fuzz_sites_csv() {
    fuzz("sites CSV", "sites.csv", SITES, |p, _| {
        csv_result(p, load_sites(p))
    });
}

#[test]
fn fuzz_measured_rtt_csv() {
    fuzz("measured-RTT CSV", "rtt.csv", RTT, |p, _| {
        csv_result(p, load_measured_rtt(p, Latency::default()))
    });
}

#[test]
fn fuzz_topology_json() {
    let sample = std::fs::read_to_string(data_path("joystream/mainnet-2023-01.json")).unwrap();
    // A shorter sample keeps each case quick; it stays a valid topology.
    fuzz("topology JSON", "topology.json", &sample, |p, _| {
        match load_topology(p) {
            Ok(_) | Err(cdnplan::io::Error::Io { .. }) => Ok(()),
            // An invalid topology (a model error) names the file; JSON errors its line.
            Err(e @ cdnplan::io::Error::Core { .. }) => {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if e.to_string().contains(&name) {
                    Ok(())
                } else {
                    Err(format!("no file in the error: {e}"))
                }
            }
            Err(e) => positioned(p, &e),
        }
    });
}

#[test]
fn fuzz_graphql_response() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/cdnplan-io/tests/fixtures/hydra-topology.json");
    let sample = std::fs::read_to_string(fixture).unwrap();
    fuzz("GraphQL response", "answer.json", &sample, |p, bytes| {
        let text = String::from_utf8_lossy(bytes);
        // No panic is the property here: a GraphQL answer's errors name the path.
        match parse_graphql(&text, p) {
            Ok(_) => Ok(()),
            Err(e) => {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if e.to_string().contains(&name) {
                    Ok(())
                } else {
                    Err(format!("no file in the error: {e}"))
                }
            }
        }
    });
}

#[test]
fn fuzz_scenario_toml() {
    let sample = std::fs::read_to_string(data_path("scenarios/default.toml")).unwrap();
    fuzz("scenario TOML", "scenario.toml", &sample, |_, bytes| {
        let text = String::from_utf8_lossy(bytes);
        // No panic; a TOML syntax error names its line (the setting errors name the setting).
        match Scenario::parse(&text) {
            Ok(s) => {
                let _ = s.check();
                Ok(())
            }
            Err(_) => Ok(()),
        }
    });
}
