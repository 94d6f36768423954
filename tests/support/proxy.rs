//! A loopback HTTP proxy that injects faults into the requests whose path contains a
//! marker: a 503, a delay past the client's timeout, a connection cut halfway through the
//! response body, an answer held back, or a fixed status. Every connection is closed after one exchange.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One fault, used up by one matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer 503 without asking the server.
    Unavailable,
    /// Hold the request this long, then close without an answer.
    Delay(Duration),
    /// Forward, then send only half of the answer and close.
    Cut,
    /// Forward at once, then hold the answer this long before sending it (used by the CLI
    /// tests only).
    #[allow(dead_code)]
    Hold(Duration),
    /// Answer with this status and a JSON error, for every request (never used up).
    Always(u16),
}

#[derive(Default)]
struct State {
    faults: VecDeque<Fault>,
    requests: Vec<String>,
}

/// The running proxy.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://host:port`); faults apply to requests whose
    /// request line contains `marker`.
    pub fn start(upstream: &str, marker: &'static str, faults: &[Fault]) -> Proxy {
        let up = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            faults: faults.iter().copied().collect(),
            requests: Vec::new(),
        }));
        let st = Arc::clone(&state);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let st = Arc::clone(&st);
                let up = up.clone();
                std::thread::spawn(move || {
                    let _ = handle(conn, &up, marker, &st);
                });
            }
        });
        Proxy { url, state }
    }

    /// Request lines seen (`POST /_search HTTP/1.1`), in order.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Faults not used yet.
    pub fn faults_left(&self) -> usize {
        self.state
            .lock()
            .unwrap()
            .faults
            .iter()
            .filter(|f| !matches!(f, Fault::Always(_)))
            .count()
    }
}

/// Reads one request (head and Content-Length body): its request line and the bytes to
/// forward.
fn read_request(c: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = c.read(&mut tmp)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = c.read(&mut tmp)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let line = head.lines().next().unwrap_or("").to_string();
    // Forward with `connection: close` so the server ends its answer with EOF.
    let mut fwd = String::new();
    for l in head.lines().filter(|l| !l.is_empty()) {
        if !l.to_ascii_lowercase().starts_with("connection:") {
            fwd.push_str(l);
            fwd.push_str("\r\n");
        }
    }
    fwd.push_str("connection: close\r\n\r\n");
    let mut req = fwd.into_bytes();
    req.extend_from_slice(&buf[head_end..]);
    Ok(Some((line, req)))
}

fn handle(mut c: TcpStream, up: &str, marker: &str, st: &Mutex<State>) -> std::io::Result<()> {
    c.set_read_timeout(Some(Duration::from_secs(30)))?;
    let Some((line, req)) = read_request(&mut c)? else {
        return Ok(());
    };
    let fault = {
        let mut s = st.lock().unwrap();
        s.requests.push(line.clone());
        if line.contains(marker) {
            match s.faults.front().copied() {
                Some(Fault::Always(code)) => Some(Fault::Always(code)),
                Some(_) => s.faults.pop_front(),
                None => None,
            }
        } else {
            None
        }
    };
    let reply = |c: &mut TcpStream, code: u16, body: &str| {
        let msg = format!(
            "HTTP/1.1 {code} Fault\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        c.write_all(msg.as_bytes())
    };
    match fault {
        Some(Fault::Unavailable) => reply(
            &mut c,
            503,
            r#"{"error":{"type":"unavailable","reason":"injected 503"},"status":503}"#,
        )?,
        Some(Fault::Always(code)) => reply(
            &mut c,
            code,
            &format!(
                r#"{{"error":{{"type":"security_exception","reason":"injected {code}"}},"status":{code}}}"#
            ),
        )?,
        Some(Fault::Delay(d)) => std::thread::sleep(d),
        Some(Fault::Cut | Fault::Hold(_)) | None => {
            let mut u = TcpStream::connect(up)?;
            u.write_all(&req)?;
            let mut resp = Vec::new();
            u.read_to_end(&mut resp)?;
            if let Some(Fault::Hold(d)) = fault {
                std::thread::sleep(d);
            }
            if fault == Some(Fault::Cut) {
                let head_end = resp
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map_or(resp.len(), |i| i + 4);
                let half = head_end + (resp.len() - head_end) / 2;
                c.write_all(&resp[..half])?;
            } else {
                c.write_all(&resp)?;
            }
        }
    }
    let _ = c.flush();
    let _ = c.shutdown(Shutdown::Both);
    Ok(())
}
