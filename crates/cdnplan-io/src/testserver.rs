//! A loopback HTTP server for the crate's tests: every connection is read as one request and
//! handed, with its stream, to a closure that answers as it likes (at once, slowly, never,
//! or without end).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The path with its query string.
    pub(crate) path: String,
    /// The header lines as sent.
    pub(crate) head: String,
    /// The body.
    pub(crate) body: String,
}

impl Request {
    /// The value of header `name` (case-insensitive), if sent.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// Starts the server; returns `http://127.0.0.1:PORT`. Each connection runs in its own
/// thread, so a handler that never answers holds only its own client.
pub(crate) fn serve<F>(handler: F) -> String
where
    F: Fn(&Request, &mut TcpStream) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let handler = Arc::clone(&handler);
            std::thread::spawn(move || {
                if let Some(req) = read_request(&mut s) {
                    handler(&req, &mut s);
                }
            });
        }
    });
    url
}

/// Writes a complete answer with a length and `Connection: close`.
pub(crate) fn reply(s: &mut TcpStream, status: u16, body: &str) {
    let _ = write!(
        s,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn read_request(s: &mut TcpStream) -> Option<Request> {
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < end + 4 + len {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut first = head.lines().next()?.split_whitespace();
    first.next()?;
    Some(Request {
        path: first.next()?.to_string(),
        head: head.clone(),
        body: String::from_utf8_lossy(&buf[end + 4..]).to_string(),
    })
}
