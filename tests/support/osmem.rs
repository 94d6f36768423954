//! Starts osmem-server (the PyPI package `osmem-server==0.1.6`, an in-memory
//! OpenSearch-compatible server) once per test binary on a free loopback port. The server
//! watches this process and exits with it. Shared by the library tests and the CLI tests
//! (`crates/cdnplan-cli/tests/cli.rs` includes this file, and `ecs.rs` beside it), so it finds the project-local
//! `.venv/` from either package.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// How to install the server, for failure messages.
pub const INSTALL: &str =
    "scripts/test-deps.sh (or: python3 -m venv .venv && .venv/bin/pip install osmem-server==0.1.6)";

fn binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("OSMEM_SERVER") {
        return Some(PathBuf::from(p));
    }
    // The workspace root: the nearest ancestor of this package holding `.venv/`.
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = here
        .ancestors()
        .find(|d| d.join(".venv").is_dir())
        .unwrap_or(&here)
        .to_path_buf();
    let lib = root.join(".venv/lib");
    if let Ok(rd) = std::fs::read_dir(&lib) {
        for e in rd.flatten() {
            let p = e.path().join("site-packages/osmem_server/bin/osmem-server");
            if p.is_file() {
                return Some(p);
            }
        }
    }
    let bin = root.join(".venv/bin/osmem-server");
    bin.is_file().then_some(bin)
}

/// The URL of the shared server; panics with the install command when it cannot start.
pub fn url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(start)
}

/// Starts a server of the caller's own (for tests that look at the whole server's state,
/// such as its open search contexts) and returns its URL; panics with the install command
/// when it cannot start. It exits with this process.
pub fn start() -> String {
    let bin = binary()
        .unwrap_or_else(|| panic!("osmem-server is not installed; install it with {INSTALL}"));
    let mut child = Command::new(&bin)
        .args(["-addr", "127.0.0.1:0", "-no-stdin-watch", "-parent-pid"])
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e}; install it with {INSTALL}",
                bin.display()
            )
        });
    let out = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .expect("osmem-server announcement");
    let v: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("osmem-server printed {line:?}: {e}"));
    // The child is left running: it exits with this process (-parent-pid).
    std::mem::forget(child);
    v["url"].as_str().expect("url in announcement").to_string()
}
