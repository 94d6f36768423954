//! Apache/nginx combined and common log format:
//! `host ident user [10/Oct/2000:13:55:36 -0700] "GET /path HTTP/1.1" 200 2326 "referer" "agent"`.
//! The client is the first field (`host`); for the common format the line ends after the size.

use std::borrow::Cow;

use super::mapping::Slot;
use super::record::{Cap, Captures};

/// Captures the request fields of one combined/common log line.
///
/// # Errors
/// A message naming the part of the line that does not fit the format.
pub(crate) fn extract<'a>(line: &'a str, caps: &mut Captures<'a>) -> Result<(), String> {
    let s = |v: &'a str| Cap::Str(Cow::Borrowed(v));
    let (host, rest) = line
        .split_once(' ')
        .ok_or("expected `host ident user [time] \"request\" status bytes`")?;
    caps.set(Slot::ClientIp, 0, s(host));
    let open = rest.find('[').ok_or("no `[time]`")?;
    let close = open
        + rest[open..]
            .find(']')
            .ok_or("no closing `]` after the time")?;
    caps.set(Slot::Timestamp, 0, s(&rest[open + 1..close]));
    let rest = rest[close + 1..].trim_start();
    let rest = rest
        .strip_prefix('"')
        .ok_or("no quoted request after the time")?;
    let end = find_quote_end(rest).ok_or("unterminated quoted request")?;
    let request = &rest[..end];
    // "METHOD target PROTOCOL"; a malformed request ("-") has no target.
    let mut parts = request.split(' ');
    let target = match (parts.next(), parts.next()) {
        (Some(_method), Some(target)) => target,
        _ => request,
    };
    caps.set(Slot::Url, 0, s(target));
    let mut tail = rest[end + 1..].split_ascii_whitespace();
    let status = tail.next().ok_or("no status after the request")?;
    caps.set(Slot::Status, 0, s(status));
    if let Some(bytes) = tail.next() {
        caps.set(Slot::Bytes, 0, s(bytes));
    }
    Ok(())
}

/// Index of the closing quote, skipping `\"` escapes as nginx writes them.
fn find_quote_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(c: &Captures<'_>, s: Slot) -> Option<String> {
        c.get(s).map(Cap::show)
    }

    #[test]
    fn reads_combined_and_common_lines() {
        let line = r#"81.2.69.160 - frank [10/Oct/2000:13:55:36 -0700] "GET /api/v1/assets/1?x=\"y\" HTTP/1.1" 206 2326 "http://r/" "Mozilla/5.0 (X11)""#;
        let mut c = Captures::default();
        extract(line, &mut c).unwrap();
        assert_eq!(get(&c, Slot::ClientIp).as_deref(), Some("81.2.69.160"));
        assert_eq!(
            get(&c, Slot::Timestamp).as_deref(),
            Some("10/Oct/2000:13:55:36 -0700")
        );
        assert_eq!(
            get(&c, Slot::Url).as_deref(),
            Some("/api/v1/assets/1?x=\\\"y\\\"")
        );
        assert_eq!(get(&c, Slot::Status).as_deref(), Some("206"));
        assert_eq!(get(&c, Slot::Bytes).as_deref(), Some("2326"));
        let common =
            r#"::1 - - [10/Oct/2000:13:55:36 +0000] "HEAD /api/v1/assets/2 HTTP/1.0" 200 -"#;
        let mut c = Captures::default();
        extract(common, &mut c).unwrap();
        assert_eq!(get(&c, Slot::Bytes).as_deref(), Some("-"));
    }

    #[test]
    fn malformed_lines_are_errors() {
        for bad in [
            "",
            "garbage",
            "1.2.3.4 - - [time",
            "1.2.3.4 - - [t] GET",
            "1.2.3.4 - - [t] \"GET /",
        ] {
            let mut c = Captures::default();
            assert!(extract(bad, &mut c).is_err(), "{bad}");
        }
    }
}
