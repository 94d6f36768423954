//! The test harness: a temporary directory per test, a `cdnplan` command running in it, and
//! small fixtures cut from the shipped data.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository's shipped `data/` directory.
pub fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    dir.canonicalize()
        .unwrap_or_else(|e| panic!("the shipped data directory {}: {e}", dir.display()))
}

/// A file of the shipped data.
pub fn data(rel: &str) -> PathBuf {
    data_dir().join(rel)
}

/// The shipped request-log snapshot (gzip NDJSON, Argus layout).
pub const SNAPSHOT: &str = "snapshots/argus-2023-06.ndjson.gz";

/// The first `n` lines of the shipped snapshot, each without its newline.
pub fn snapshot_lines(n: usize) -> Vec<String> {
    let file = std::fs::File::open(data(SNAPSHOT)).expect("open the snapshot");
    BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .take(n)
        .map(|l| l.expect("read the snapshot"))
        .collect()
}

/// `lines` joined with newlines and gzip-compressed.
pub fn gzip_lines(lines: &[String]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for l in lines {
        enc.write_all(l.as_bytes()).unwrap();
        enc.write_all(b"\n").unwrap();
    }
    enc.finish().unwrap()
}

/// The shipped default scenario with its relative paths made absolute, so that a copy in a
/// temporary directory reads the shipped inputs; `edit` then changes the text.
pub fn default_scenario(edit: impl FnOnce(String) -> String) -> String {
    let text = std::fs::read_to_string(data("scenarios/default.toml")).unwrap();
    let abs = format!("\"{}/", data_dir().display());
    edit(text.replace("\"../", &abs))
}

/// A temporary directory that lives as long as the test.
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    /// A fresh directory named after the test.
    pub fn new(name: &str) -> Dir {
        let tmp = tempfile::Builder::new()
            .prefix(&format!("cdnplan-cli-{name}-"))
            .tempdir()
            .expect("create a temporary directory");
        Dir { tmp }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// A path inside the directory.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path().join(rel)
    }

    /// Writes `contents` to `rel` (creating parent directories) and returns its path.
    pub fn create(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// Reads `rel` as text.
    pub fn read(&self, rel: &str) -> String {
        let p = self.join(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    /// Every file under `rel` with its bytes, sorted by path (relative to `rel`).
    pub fn snapshot(&self, rel: &str) -> Vec<(String, Vec<u8>)> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    walk(root, &p, out);
                } else {
                    let name = p.strip_prefix(root).unwrap().display().to_string();
                    out.push((name, std::fs::read(&p).unwrap()));
                }
            }
        }
        let root = self.join(rel);
        let mut out = Vec::new();
        walk(&root, &root, &mut out);
        out.sort();
        out
    }

    /// A `cdnplan` command running in this directory with `--data-dir` and `--quiet`.
    pub fn command(&self) -> TestCommand {
        TestCommand {
            dir: self.path().to_path_buf(),
            data_dir: data_dir(),
            args: Vec::new(),
            envs: Vec::new(),
            quiet: true,
        }
    }
}

/// A `cdnplan` invocation being built.
#[derive(Clone)]
pub struct TestCommand {
    dir: PathBuf,
    data_dir: PathBuf,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    quiet: bool,
}

impl TestCommand {
    /// Adds an argument.
    pub fn arg(&mut self, a: impl AsRef<OsStr>) -> &mut Self {
        self.args.push(a.as_ref().to_os_string());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for a in args {
            self.arg(a);
        }
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, k: &str, v: &str) -> &mut Self {
        self.envs.push((k.into(), v.into()));
        self
    }

    /// Uses this `--data-dir` instead of the shipped one.
    pub fn data_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.data_dir = dir.into();
        self
    }

    /// Runs without `--quiet`.
    pub fn loud(&mut self) -> &mut Self {
        self.quiet = false;
        self
    }

    /// The process to run.
    pub fn std(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cdnplan"));
        cmd.current_dir(&self.dir)
            .env_remove("CDNPLAN_DATA_DIR")
            .env_remove("RAYON_NUM_THREADS")
            .env_remove("RUST_BACKTRACE")
            .arg("--data-dir")
            .arg(&self.data_dir);
        if self.quiet {
            cmd.arg("--quiet");
        }
        cmd.args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        cmd
    }

    /// Runs to completion, checking only that nothing panicked.
    pub fn run(&self) -> Run {
        let out = self.std().output().expect("run cdnplan");
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
            what: format!("cdnplan {:?}", self.args),
        };
        assert!(
            !run.stderr.contains("panicked") && run.code != Some(101),
            "{} panicked\n{run}",
            run.what
        );
        run
    }

    /// Runs, expecting exit code 0.
    pub fn ok(&self) -> Run {
        let run = self.run();
        assert_eq!(run.code, Some(0), "{} should succeed\n{run}", run.what);
        run
    }

    /// Runs, expecting exit code 2, nothing on stdout and one `cdnplan: error: …` line on
    /// stderr; returns the run for checking the message.
    pub fn fails(&self) -> Run {
        let run = self.run();
        assert_eq!(run.code, Some(2), "{} should fail with 2\n{run}", run.what);
        assert!(run.stdout.is_empty(), "no results on failure\n{run}");
        let error_lines: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("cdnplan: error: "))
            .collect();
        assert_eq!(error_lines.len(), 1, "one error line\n{run}");
        run
    }
}

/// A finished run.
pub struct Run {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
    what: String,
}

impl Run {
    /// stdout as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document: {e}\n{self}"))
    }

    /// The `cdnplan: error: …` line of stderr.
    pub fn error(&self) -> &str {
        self.stderr
            .lines()
            .find(|l| l.starts_with("cdnplan: error: "))
            .unwrap_or_else(|| panic!("no error line\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rule = "~".repeat(79);
        write!(
            f,
            "{}\nexit code: {:?}\nstdout:\n{rule}\n{}\n{rule}\nstderr:\n{rule}\n{}\n{rule}",
            self.what, self.code, self.stdout, self.stderr
        )
    }
}

/// The parsed JSON file at `path`.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The shipped January 2023 topology (as JSON) with two bags and neither the per-bag limit
/// nor the policies (no indexer holds them; the shipped file writes 0 and {} for "not
/// known", left out here altogether).
pub fn topology_with_bags() -> serde_json::Value {
    let data = data("joystream/mainnet-2023-01.json");
    let mut t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data).unwrap()).unwrap();
    t["bags"] = serde_json::json!([
        {"id": "dynamic:channel:1", "buckets": ["0:0", "1:0"]},
        {"id": "dynamic:channel:2", "buckets": ["0:0", "2:0", "12:0"]}
    ]);
    t["bagsKnown"] = serde_json::json!(true);
    let o = t.as_object_mut().unwrap();
    o.remove("bucketsPerBagLimit");
    o.remove("policies");
    t
}

/// Active nodes in a plan.json node list (`nodes_before`, `nodes_after`).
pub fn active_nodes(plan: &serde_json::Value, key: &str) -> usize {
    plan[key]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["active"] == true)
        .count()
}

/// A week of operators-ping documents (one run a day from `source`) for every active operator
/// of the shipped 2023 topologies: every node up, the first one dead on one day in seven.
pub fn probe_history(source: &str) -> String {
    let mut out = String::new();
    for file in [
        "joystream/mainnet-2023-01.json",
        "joystream/mainnet-2023-12.json",
    ] {
        let t: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(data(file)).unwrap()).unwrap();
        let mut first = true;
        for b in t["buckets"].as_array().unwrap() {
            for op in b["operators"].as_array().unwrap() {
                let Some(endpoint) = op["metadata"]["endpoint"].as_str() else {
                    continue;
                };
                if op["status"] != "ACTIVE" {
                    continue;
                }
                for day in 1..=7 {
                    let status = if first && day == 7 { "dead" } else { "ok" };
                    let doc = serde_json::json!({
                        "time": format!("2026-12-0{day}T00:00:00.000Z"),
                        "source": source,
                        "operatorId": format!("{}-{}", b["id"].as_str().unwrap(), op["worker"]),
                        "bucketId": b["id"],
                        "workerId": op["worker"],
                        "nodeEndpoint": endpoint,
                        "distributingStatus": "distributing",
                        "operatorType": "distribution",
                        "pingStatus": status,
                    });
                    out.push_str(&doc.to_string());
                    out.push('\n');
                }
                first = false;
            }
        }
    }
    out
}
