//! Every command example the user is shown, run as written: the `Examples:` blocks of
//! `cdnplan --help` and of every command's `--help` (the commands are read from the help's
//! own `Commands:` lists, hidden ones from the completion script, so a new command's examples
//! run without a change here), and every `cdnplan …` line of README.md's `sh` blocks.
//!
//! Each block runs in a fresh temporary directory laid out like a clone of the repository: a
//! copy of the shipped `data/`, `benches/` and `.cache/` (the city database) linked, the files
//! the examples name (`access.log.gz`, `my.toml`, `imported.json`, `pings.ndjson`, …) made from the shipped
//! data, `cdnplan` on `PATH` and `HOME` inside the directory. Its lines run in order through
//! `sh`, so a line may use what an earlier one wrote. Network examples run against loopback
//! servers: osmem-server for Elasticsearch (seeded with the shipped snapshot's documents), and
//! recorded, schema-true GraphQL (Hydra, storage-squid) and Joystream JSON-RPC answers. What
//! cannot run here is listed in [`SKIPPED`] with its reason; an example that no entry names
//! and that fails, or an entry that names no example, fails the test. A benchmark shown both
//! in the help and in the README runs once.
//!
//! A new example that names an input file the repository does not ship gets that file made in
//! [`prepare`] (or shows the command that writes it first, in the same block).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use serde_json::{Value, json};

use crate::util::{Dir, data, data_dir, gzip_lines, snapshot_lines};

/// Examples that are not run, by a piece of their text, with the reason printed.
const SKIPPED: &[(&str, &str)] = &[
    (
        "cdnplan bench tsplib",
        "the TSPLIB instances and optima.tsv are not shipped (README: `bench tsplib DIR`)",
    ),
    (
        "--backend highs",
        "the HiGHS backend needs the `highs` build feature (cmake, a C++ compiler, libclang)",
    ),
    ("--bytes 1G", "writes 1 GiB of logs"),
];

/// Examples run with arguments added (before any comment), with the reason printed.
const SHORTENED: &[(&str, &str, &str)] = &[(
    "cdnplan bench pmedcap benches/orlib",
    "--instances 1-2",
    "the twenty instances take up to 60 s each",
)];

/// Examples that document a failure, by a piece of their text, with the exit code they show.
const EXPECTED_CODES: &[(&str, i32)] = &[];

/// The README, relative to this package.
const README: &str = "../../README.md";

/// The Hydra and storage-squid responses the import tests use.
const HYDRA: &str = include_str!("../../cdnplan-io/tests/fixtures/hydra-topology.json");
const SQUID: &str = include_str!("../../cdnplan-io/tests/fixtures/squid-topology.json");

/// One step of a block: an environment variable set for the lines after it (`export`), or a
/// command line.
#[derive(Debug, Clone)]
enum Step {
    Export(String, String),
    Run(String),
}

/// The examples shown in one place, in order.
#[derive(Debug)]
struct Block {
    /// Where they are shown, e.g. `cdnplan plan --help` or `README.md:87`.
    source: String,
    steps: Vec<Step>,
}

/// Lines joined across trailing backslashes.
fn joined<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    for l in lines {
        let part = match &pending {
            Some(p) => format!("{p} {}", l.trim()),
            None => l.trim().to_string(),
        };
        match part.strip_suffix('\\') {
            Some(head) => pending = Some(head.trim_end().to_string()),
            None => {
                pending = None;
                out.push(part);
            }
        }
    }
    out.extend(pending);
    out
}

/// The indented lines under `title:` in a help text, up to the first blank or unindented one.
fn section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| l.trim_end() != title)
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect()
}

/// The shell command `line` without its trailing `# comment` (outside quotes).
fn strip_comment(line: &str) -> &str {
    let (mut single, mut double, mut prev) = (false, false, ' ');
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return line[..i].trim_end(),
            _ => {}
        }
        prev = c;
    }
    line.trim_end()
}

/// The first word of a command line after any `NAME=value` assignments.
fn program(line: &str) -> &str {
    line.split_whitespace()
        .find(|w| !w.contains('=') || w.starts_with('-'))
        .unwrap_or("")
}

/// `cdnplan ARGS --help`.
fn help(args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cdnplan"))
        .args(args)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .expect("run cdnplan --help");
    assert!(out.status.success(), "cdnplan {args:?} --help failed");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The top-level commands clap knows, hidden ones included, as the fish completion script
/// lists them.
fn all_top_level_commands() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_cdnplan"))
        .args(["completions", "fish"])
        .output()
        .expect("run cdnplan completions fish");
    let script = String::from_utf8(out.stdout).unwrap();
    script
        .lines()
        .filter(|l| l.contains("__fish_cdnplan_needs_command\" -f -a \""))
        .filter_map(|l| l.split("-a \"").nth(1)?.split('"').next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect()
}

/// The commands a help text's `Commands:` section lists, without `help`.
fn commands(help_text: &str) -> Vec<String> {
    section(help_text, "Commands:")
        .iter()
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect()
}

/// The `Examples:` blocks of `cdnplan --help` and of every command's help, depth first.
/// Every top-level command must show examples.
fn help_blocks() -> Vec<Block> {
    fn walk(path: Vec<String>, extra: &[String], out: &mut Vec<Block>, bare: &mut Vec<String>) {
        let text = help(&path);
        let source = format!(
            "cdnplan {}--help",
            path.iter().map(|p| format!("{p} ")).collect::<String>()
        );
        let steps: Vec<Step> = joined(section(&text, "Examples:"))
            .into_iter()
            .map(Step::Run)
            .collect();
        if !steps.is_empty() {
            out.push(Block { source, steps });
        } else if path.len() <= 1 {
            bare.push(source);
        }
        let mut subs = commands(&text);
        for e in extra {
            if !subs.contains(e) {
                subs.push(e.clone());
            }
        }
        for s in subs {
            let mut p = path.clone();
            p.push(s);
            walk(p, &[], out, bare);
        }
    }
    let shown = commands(&help(&[]));
    let all = all_top_level_commands();
    for s in &shown {
        assert!(
            all.contains(s),
            "the completion script lists the commands {all:?}, without {s}: read them another way"
        );
    }
    let hidden: Vec<String> = all.into_iter().filter(|c| !shown.contains(c)).collect();
    let (mut out, mut bare) = (Vec::new(), Vec::new());
    walk(Vec::new(), &hidden, &mut out, &mut bare);
    assert!(bare.is_empty(), "no `Examples:` in {bare:?}");
    out
}

/// The `sh` blocks of README.md: their `export` lines and their `cdnplan` command lines
/// (other commands, such as `cargo` or `scripts/…`, are returned apart).
fn readme_blocks() -> (Vec<Block>, Vec<String>) {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(README))
        .expect("read README.md");
    let (mut blocks, mut others) = (Vec::new(), Vec::new());
    let mut lines = text.lines().enumerate();
    while let Some((n, l)) = lines.next() {
        if l.trim_end() != "```sh" {
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let mut steps = Vec::new();
        for line in joined(body) {
            let cmd = strip_comment(&line);
            if cmd.is_empty() {
                continue;
            }
            if let Some(assign) = cmd.strip_prefix("export ") {
                let (k, v) = assign.split_once('=').expect("export NAME=value");
                steps.push(Step::Export(k.to_string(), v.to_string()));
            } else if program(cmd) == "cdnplan" {
                steps.push(Step::Run(line.clone()));
            } else {
                others.push(format!("README.md:{}: {line}", n + 1));
            }
        }
        if steps.iter().any(|s| matches!(s, Step::Run(_))) {
            blocks.push(Block {
                source: format!("README.md:{}", n + 1),
                steps,
            });
        }
    }
    (blocks, others)
}

/// Copies the directory `from` to `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// The repository root.
fn repo() -> PathBuf {
    data_dir().parent().unwrap().to_path_buf()
}

/// An Argus document as an Apache/nginx combined log line.
fn combined_line(argus: &str) -> String {
    let d: Value = serde_json::from_str(argus).unwrap();
    let m = &d["fields"]["meta"];
    let ip = m["req"]["headers"]["x-forwarded-for"].as_str().unwrap();
    let ip = ip.split(',').next().unwrap().trim();
    let t = chrono::DateTime::parse_from_rfc3339(d["@timestamp"].as_str().unwrap()).unwrap();
    format!(
        "{ip} - - [{}] \"GET {} HTTP/1.1\" {} {} \"-\" \"{}\"",
        t.format("%d/%b/%Y:%H:%M:%S %z"),
        m["req"]["url"].as_str().unwrap(),
        m["res"]["statusCode"],
        m["res"]["headers"]["content-length"]
            .as_str()
            .unwrap_or("-"),
        m["req"]["headers"]["user-agent"].as_str().unwrap_or("-"),
    )
}

/// Lays out `dir` like a clone of the repository and writes the files `text` (a block's
/// lines) names.
fn prepare(dir: &Dir, text: &str) {
    copy_dir(&data_dir(), &dir.join("data"));
    let link = |name: &str| {
        let target = repo().join(name);
        if target.exists() {
            std::os::unix::fs::symlink(&target, dir.join(name)).unwrap();
        }
    };
    link("benches");
    link(".cache");
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_cdnplan"), dir.join("bin/cdnplan")).unwrap();
    std::fs::create_dir_all(dir.join("home")).unwrap();

    let lines = snapshot_lines(2000);
    if text.contains("access.log") {
        let log: Vec<String> = lines.iter().map(|l| combined_line(l)).collect();
        dir.create("access.log", log.join("\n") + "\n");
        dir.create("access.log.gz", gzip_lines(&log));
    }
    if text.contains("logs/") {
        let (a, b) = lines.split_at(lines.len() / 2);
        dir.create("logs/june-a.ndjson.gz", gzip_lines(a));
        dir.create("logs/june-b.ndjson.gz", gzip_lines(b));
    }
    if text.contains("my.toml") {
        let scenario = std::fs::read_to_string(data("scenarios/default.toml")).unwrap();
        dir.create("my.toml", scenario.replace("\"../", "\"data/"));
    }
    if text.contains("imported.json") {
        std::fs::copy(
            data("joystream/mainnet-2023-01.json"),
            dir.join("imported.json"),
        )
        .unwrap();
    }
    if text.contains("qn-response.json") {
        dir.create("qn-response.json", HYDRA);
    }
    if text.contains("my-nodes.csv") {
        dir.create(
            "my-nodes.csv",
            "id,operator,city,country_code,lat,lon,active\n\
             fra,ops,Frankfurt,DE,50.1109,8.6821,true\n\
             sgp,ops,Singapore,SG,1.28967,103.85007,true\n\
             iad,ops,Ashburn,US,39.0438,-77.4874,true\n",
        );
    }
    if text.contains("pings.ndjson") || text.contains("wg-export.ndjson") {
        dir.create("pings.ndjson", crate::util::probe_history("examples"));
        dir.create("wg-export.ndjson", crate::util::probe_history("wg"));
    }
    if text.contains("demand.csv") {
        dir.command()
            .args([
                "demand",
                "data/snapshots/argus-2023-06.ndjson.gz",
                "-o",
                "demand.csv",
            ])
            .ok();
    }
}

/// The osmem-server URL, its indices seeded once: `distributor-node` with Argus 2023
/// documents of the shipped snapshot (June 2023) and `logs-argus-examples` with the same
/// requests in the ECS layout, located as a geoip ingest processor would, dated within the
/// last week (for `--since 30d`).
fn es_url() -> &'static str {
    static SEEDED: OnceLock<String> = OnceLock::new();
    SEEDED.get_or_init(|| {
        use cdnplan_io::es::{EsClient, EsConnection};
        let url = crate::osmem::url();
        let c = EsClient::connect(&EsConnection::url(url).unwrap().timeout_secs(30.0)).unwrap();
        let argus = snapshot_lines(400);
        crate::ecs::seed(&c, "distributor-node", None, &argus);
        let countries: std::collections::HashMap<String, (f64, f64)> =
            std::fs::read_to_string(data("countries.csv"))
                .unwrap()
                .lines()
                .skip(1)
                .filter_map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    Some((f[0].to_string(), (f[4].parse().ok()?, f[5].parse().ok()?)))
                })
                .collect();
        let geoip = cdnplan_io::geoip::GeoIp::open(data("geoip/dbip-country-lite.mmdb")).unwrap();
        let now = chrono::Utc::now() - chrono::Duration::days(3);
        let ecs: Vec<String> = argus
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let doc = crate::ecs::ecs_doc(l, |ip| {
                    let cc = geoip
                        .lookup(ip.parse().ok()?)
                        .unwrap()?
                        .country?
                        .to_string();
                    let (lat, lon) = countries.get(&cc)?;
                    Some(json!({"country_iso_code": cc, "location": {"lat": lat, "lon": lon}}))
                });
                let mut doc: Value = serde_json::from_str(&doc).unwrap();
                let t = now + chrono::Duration::seconds(i as i64 * 60);
                doc["@timestamp"] = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
                doc.to_string()
            })
            .collect();
        crate::ecs::seed(
            &c,
            "logs-argus-examples",
            Some(&crate::ecs::ecs_mapping()),
            &ecs,
        );
        url.to_string()
    })
}

/// A loopback Hydra query node serving the import fixture: the families, then every bag on
/// one `storageBagsConnection` page.
fn hydra_answer(body: &str) -> String {
    let mut doc: Value = serde_json::from_str(HYDRA).unwrap();
    if body.contains("distributionBucketFamilies") {
        return doc.to_string();
    }
    let mut bags: std::collections::BTreeMap<String, (Value, Vec<Value>)> = Default::default();
    for f in doc["data"]["distributionBucketFamilies"]
        .as_array_mut()
        .unwrap()
    {
        for b in f["buckets"].as_array_mut().unwrap() {
            let bucket = b["id"].clone();
            for bag in b["bags"].as_array().cloned().unwrap_or_default() {
                let e = bags
                    .entry(bag["id"].as_str().unwrap().to_string())
                    .or_insert_with(|| (bag["objectsSize"].clone(), Vec::new()));
                e.1.push(json!({ "id": bucket }));
            }
        }
    }
    let edges: Vec<Value> = bags
        .into_iter()
        .enumerate()
        .map(|(i, (id, (size, buckets)))| {
            json!({"cursor": format!("c{i}"), "node": {
                "id": id, "objectsSize": size, "distributionBuckets": buckets}})
        })
        .collect();
    let end = format!("c{}", edges.len().saturating_sub(1));
    json!({"data": {"storageBagsConnection": {
        "edges": edges, "pageInfo": {"hasNextPage": false, "endCursor": end}}}})
    .to_string()
}

/// A loopback storage-squid serving the import fixture: the families, then every bag link on
/// the first page (offset 0).
fn squid_answer(body: &str) -> String {
    let doc: Value = serde_json::from_str(SQUID).unwrap();
    if body.contains("distributionBucketFamilies") {
        return json!({"data": {"distributionBucketFamilies":
            doc["data"]["distributionBucketFamilies"]}})
        .to_string();
    }
    let first_page = body.contains("offset: 0") || !body.contains("offset");
    let links = if first_page {
        doc["data"]["distributionBucketBags"].clone()
    } else {
        json!([])
    };
    json!({"data": {"distributionBucketBags": links}}).to_string()
}

/// `line` with its example hosts replaced by the loopback servers'.
fn substitute(line: &str) -> String {
    static RPC: OnceLock<String> = OnceLock::new();
    static HYDRA_URL: OnceLock<String> = OnceLock::new();
    static SQUID_URL: OnceLock<String> = OnceLock::new();
    let mut out = line.replace(
        "ELASTICSEARCH_API_KEY=…",
        "ELASTICSEARCH_API_KEY=example-key",
    );
    for es in ["https://logs.example:9200", "http://localhost:9200"] {
        if out.contains(es) {
            out = out.replace(es, es_url());
        }
    }
    if out.contains("http://localhost:8081/graphql") {
        let url = if out.contains("--indexer squid") {
            SQUID_URL.get_or_init(|| crate::rpc::node(squid_answer))
        } else {
            HYDRA_URL.get_or_init(|| crate::rpc::node(hydra_answer))
        };
        out = out.replace("http://localhost:8081", &format!("http://{url}"));
    }
    if out.contains("http://localhost:9933") {
        let addr = RPC.get_or_init(|| crate::rpc::node(crate::rpc::recorded));
        out = out.replace("http://localhost:9933", &format!("http://{addr}"));
    }
    out
}

/// Runs `line` through `sh` in `dir` (prepared by [`prepare`]) with `env`, `cdnplan` on
/// `PATH` and `HOME` inside `dir`.
fn shell(dir: &Dir, line: &str, env: &[(String, String)]) -> std::process::Output {
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("HOME", dir.join("home"))
        .env("CDNPLAN_DATA_DIR", dir.join("data"))
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env_remove("RAYON_NUM_THREADS")
        .env_remove("RUST_BACKTRACE")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("run sh")
}

/// What became of one example.
enum Outcome {
    Ran,
    Skipped(&'static str),
    Failed(String),
}

/// Runs one example line in `dir` with `env`.
fn run_line(dir: &Dir, line: &str, env: &[(String, String)]) -> Outcome {
    if let Some((_, why)) = SKIPPED.iter().find(|(k, _)| line.contains(k)) {
        return Outcome::Skipped(why);
    }
    let mut cmd_line = substitute(line);
    if let Some((_, add, _)) = SHORTENED.iter().find(|(k, _, _)| line.contains(k)) {
        cmd_line = format!("{} {add}", strip_comment(&cmd_line));
    }
    let unserved = ["http://", "https://"].iter().any(|s| {
        cmd_line
            .split_whitespace()
            .chain(env.iter().map(|(_, v)| v.as_str()))
            .any(|w| w.contains(s) && !w.contains("127.0.0.1"))
    });
    if unserved {
        return Outcome::Failed(format!(
            "{cmd_line}\nnames a host no loopback server stands for: add it to `substitute` or to SKIPPED"
        ));
    }
    let out = shell(dir, &cmd_line, env);
    let want = EXPECTED_CODES
        .iter()
        .find(|(k, _)| line.contains(k))
        .map_or(0, |(_, c)| *c);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `--json` promises one JSON document on stdout.
    let json_ok = !(want == 0 && cmd_line.contains(" --json") && !cmd_line.contains('>'))
        || serde_json::from_slice::<Value>(&out.stdout).is_ok();
    if !json_ok {
        Outcome::Failed(format!(
            "{cmd_line}\nexit code 0, but stdout is not one JSON document:\n{}",
            String::from_utf8_lossy(&out.stdout)
        ))
    } else if out.status.code() == Some(want) && !stderr.contains("panicked") {
        Outcome::Ran
    } else {
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Outcome::Failed(format!(
            "{cmd_line}\nexit code {:?}, expected {want}; stderr ends:\n{}",
            out.status.code(),
            tail.join("\n")
        ))
    }
}

#[test]
fn every_example_in_the_help_and_the_readme_runs() {
    let (readme, others) = readme_blocks();
    let blocks: Vec<Block> = help_blocks().into_iter().chain(readme).collect();
    let (mut ran, mut skipped, mut failed) = (0, Vec::new(), Vec::new());
    let mut used = BTreeSet::new();
    let mut benches_ran = std::collections::HashMap::new();
    for block in &blocks {
        let dir = Dir::new("examples");
        let text: String = block
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Run(l) => Some(l.as_str()),
                Step::Export(..) => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        prepare(&dir, &text);
        let mut env = Vec::new();
        for step in &block.steps {
            let line = match step {
                Step::Export(k, v) => {
                    env.push((k.clone(), substitute(v).replace('…', "example-key")));
                    continue;
                }
                Step::Run(line) => line,
            };
            for (k, _) in SKIPPED {
                if line.contains(k) {
                    used.insert(*k);
                }
            }
            for (k, _, _) in SHORTENED {
                if line.contains(k) {
                    used.insert(*k);
                }
            }
            for (k, _) in EXPECTED_CODES {
                if line.contains(k) {
                    used.insert(*k);
                }
            }
            // A benchmark reads only the shipped instances and writes only to stdout: the
            // same command shown twice (help and README) runs once.
            let key = strip_comment(line)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if key.starts_with("cdnplan bench ")
                && let Some(first) = benches_ran.get(&key)
            {
                ran += 1;
                eprintln!("ran  (as at [{first}])  [{}] {line}", block.source);
                continue;
            }
            let started = Instant::now();
            match run_line(&dir, line, &env) {
                Outcome::Ran => {
                    ran += 1;
                    if key.starts_with("cdnplan bench ") {
                        benches_ran.insert(key, block.source.clone());
                    }
                    let note = SHORTENED
                        .iter()
                        .find(|(k, _, _)| line.contains(k))
                        .map(|(_, add, why)| format!(" (with {add}: {why})"))
                        .unwrap_or_default();
                    eprintln!(
                        "ran  {:.1} s  [{}] {line}{note}",
                        started.elapsed().as_secs_f64(),
                        block.source
                    );
                }
                Outcome::Skipped(why) => {
                    eprintln!("skip [{}] {line}: {why}", block.source);
                    skipped.push(line.clone());
                }
                Outcome::Failed(msg) => {
                    eprintln!("FAIL [{}] {line}", block.source);
                    failed.push(format!("[{}] {msg}", block.source));
                }
            }
        }
    }
    for o in &others {
        eprintln!("not a cdnplan command, not run: {o}");
    }
    eprintln!(
        "{} blocks: {ran} examples ran, {} skipped, {} failed",
        blocks.len(),
        skipped.len(),
        failed.len()
    );
    let stale: Vec<&str> = SKIPPED
        .iter()
        .map(|(k, _)| *k)
        .chain(SHORTENED.iter().map(|(k, _, _)| *k))
        .chain(EXPECTED_CODES.iter().map(|(k, _)| *k))
        .filter(|k| !used.contains(k))
        .collect();
    assert!(
        stale.is_empty(),
        "entries that name no example any more: {stale:?}"
    );
    assert!(
        failed.is_empty(),
        "{} of {} examples failed:\n\n{}",
        failed.len(),
        ran + skipped.len() + failed.len(),
        failed.join("\n\n")
    );
    assert!(
        ran >= 40,
        "only {ran} examples found: is the parsing broken?"
    );
}

/// `text` with every duration in seconds (`0.1 s`) replaced by `T s`.
fn mask_seconds(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let next = words.get(i + 1).copied().unwrap_or("");
            let unit = next == "s" || next.starts_with("s;") || next.starts_with("s,");
            if unit && w.parse::<f64>().is_ok() {
                "T"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// README's `text` blocks that open with `$ cdnplan …` show what that command prints on
/// stdout, and a `text` block after one, introduced by a line ending in "stderr:", what it
/// prints on stderr (durations aside): each command is run in a fresh directory and its
/// output compared whole.
#[test]
fn the_readme_transcripts_are_what_the_commands_print() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(README))
        .expect("read README.md");
    let mut lines = text.lines().enumerate();
    let (mut stdout_checked, mut stderr_checked) = (0, 0);
    let mut last_stderr: Option<String> = None;
    let mut before = "";
    while let Some((n, l)) = lines.next() {
        if l.trim_end() != "```text" {
            if !l.trim().is_empty() {
                before = l;
            }
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let Some(cmd) = body.first().and_then(|l| l.strip_prefix("$ ")) else {
            if let Some(stderr) = last_stderr.take().filter(|_| before.ends_with("stderr:")) {
                let want = body.join("\n") + "\n";
                eqnice!(mask_seconds(&want), mask_seconds(&stderr));
                stderr_checked += 1;
            }
            before = "```";
            continue;
        };
        assert_eq!(program(cmd), "cdnplan", "README.md:{}: {cmd}", n + 2);
        let dir = Dir::new("transcript");
        prepare(&dir, cmd);
        let out = shell(&dir, cmd, &[]);
        assert!(out.status.success(), "README.md:{}: {cmd} failed", n + 2);
        let want = body[1..].join("\n") + "\n";
        eqnice!(want, String::from_utf8_lossy(&out.stdout));
        stdout_checked += 1;
        last_stderr = Some(String::from_utf8_lossy(&out.stderr).into_owned());
        before = "```";
    }
    assert!(
        stdout_checked >= 1,
        "no `$ cdnplan` transcript in README.md"
    );
    assert!(stderr_checked >= 1, "no stderr transcript in README.md");
}

#[test]
fn examples_are_read_as_a_shell_reads_them() {
    assert_eq!(
        joined([
            "  cdnplan plan --max-moves 2 \\",
            "      --out out/k2",
            "  cdnplan evaluate"
        ]),
        [
            "cdnplan plan --max-moves 2 --out out/k2",
            "cdnplan evaluate"
        ]
    );
    assert_eq!(strip_comment("cdnplan plan  # the default"), "cdnplan plan");
    assert_eq!(
        strip_comment("cdnplan demand --index 'a#b' \"c #d\""),
        "cdnplan demand --index 'a#b' \"c #d\""
    );
    assert_eq!(program("ELASTICSEARCH_API_KEY=x cdnplan demand"), "cdnplan");
    assert_eq!(program("cdnplan plan --move a=b"), "cdnplan");
    assert_eq!(program("scripts/city-db.sh"), "scripts/city-db.sh");
    assert_eq!(
        mask_seconds("solved in 0.1 s; wrote 3 files in 12 s, 2 s"),
        "solved in T s; wrote 3 files in T s, T s"
    );
}
