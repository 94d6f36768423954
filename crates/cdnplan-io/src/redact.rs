//! The one redaction of text that leaves the library: every error, report or log line that
//! carries a URL, a server's answer or a configuration excerpt goes through [`redact`] (or a
//! [`Redactor`], which holds the secrets of one connection).
//!
//! Redaction does two things:
//!
//! 1. it strips the user information of every URL in the text (`http://user:pass@host/` →
//!    `http://host/`), and
//! 2. it replaces every known secret value with `***`: passwords, API keys and tokens from a
//!    URL, a flag, the environment or a scenario, in the forms in which they travel (as
//!    written, percent-encoded, and inside a basic-auth or API-key `Authorization` header,
//!    which a server may echo in an error body).
//!
//! ```
//! use cdnplan_io::redact::Redactor;
//! let mut r = Redactor::new();
//! r.basic("elastic", "hunter2");
//! let echoed = "401: bad header Basic ZWxhc3RpYzpodW50ZXIy for http://elastic:hunter2@es:9200/";
//! assert_eq!(r.redact(echoed), "401: bad header Basic *** for http://es:9200/");
//! ```

use std::fmt;

/// Secrets shorter than this are not replaced: they would mangle ordinary words and
/// numbers, and they protect nothing.
pub const MIN_SECRET_LEN: usize = 3;

/// The secrets of one connection, and the redaction of any text against them.
///
/// `Debug` prints how many secrets it holds, never the secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// A redactor that knows no secret yet (it still strips URL user information).
    pub fn new() -> Self {
        Redactor::default()
    }

    /// Adds a secret value, as written and percent-encoded.
    pub fn secret(&mut self, s: &str) -> &mut Self {
        for v in [s.to_string(), s.trim().to_string(), percent_encode(s)] {
            if v.chars().count() >= MIN_SECRET_LEN && !self.secrets.contains(&v) {
                self.secrets.push(v);
            }
        }
        self.secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self
    }

    /// Adds basic-auth credentials: the password, and the `user:password` token a basic-auth
    /// header carries (base64).
    pub fn basic(&mut self, user: &str, password: &str) -> &mut Self {
        self.secret(password);
        if !password.is_empty() {
            self.secret(&base64(format!("{user}:{password}").as_bytes()));
        }
        self
    }

    /// Adds an API key given as `id:key` or encoded (base64 of `id:key`): the key, its encoded
    /// form and, for an encoded key, the key inside it.
    pub fn api_key(&mut self, key: &str) -> &mut Self {
        let key = key.trim();
        self.secret(key);
        if let Some((_, k)) = key.split_once(':') {
            self.secret(k);
            self.secret(&base64(key.as_bytes()));
        } else if let Some(decoded) = unbase64(key)
            && let Some((_, k)) = decoded.split_once(':')
        {
            self.secret(&decoded);
            self.secret(k);
        }
        self
    }

    /// Adds the credentials in the user information of `url`, if any.
    pub fn url(&mut self, url: &str) -> &mut Self {
        if let Some((user, password)) = userinfo(url) {
            self.secret(&percent_decode(&password));
            self.secret(&password);
            self.basic(&percent_decode(&user), &percent_decode(&password));
        }
        self
    }

    /// Adds every secret another redactor knows.
    pub fn extend(&mut self, other: &Redactor) -> &mut Self {
        for s in &other.secrets {
            self.secret(s);
        }
        self
    }

    /// True when no secret is known.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with URL user information stripped and every known secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }

    /// A short excerpt of a server's answer for a message: redacted, control characters
    /// escaped, at most `max_chars` characters (with `…` when cut).
    pub fn excerpt(&self, body: &[u8], max_chars: usize) -> String {
        let text = self.redact(&String::from_utf8_lossy(body));
        let mut out = String::new();
        for (i, c) in text.chars().enumerate() {
            if i == max_chars {
                out.push('…');
                break;
            }
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// `text` with the user information of every URL stripped and each of `secrets` (of at least
/// [`MIN_SECRET_LEN`] characters) replaced by `***`, longest first.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut t = strip_userinfo(text);
    let mut sorted: Vec<&String> = secrets
        .iter()
        .filter(|s| s.chars().count() >= MIN_SECRET_LEN)
        .collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in sorted {
        if t.contains(s.as_str()) {
            t = t.replace(s.as_str(), "***");
        }
    }
    t
}

/// `text` with the user information of every `scheme://user[:password]@host` removed.
pub fn strip_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (before, after) = rest.split_at(i + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| {
                matches!(
                    c,
                    '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`' | ',' | ')'
                ) || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) => out.push_str(&authority[at + 1..]),
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The raw (still percent-encoded) `(user, password)` of a URL's user information.
pub fn userinfo(url: &str) -> Option<(String, String)> {
    let after = url.trim().split_once("://")?.1;
    let authority = after.split(['/', '?', '#']).next()?;
    let (info, _) = authority.rsplit_once('@')?;
    let (user, password) = info.split_once(':').unwrap_or((info, ""));
    Some((user.to_string(), password.to_string()))
}

/// Decodes `%XX` escapes (invalid ones stay as written).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if b[i] == b'%'
            && let Some(v) = hex
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, as HTTP authorization headers carry it.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 into text, if it is base64 of UTF-8.
fn unbase64(s: &str) -> Option<String> {
    let s = s.trim_end_matches('=');
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
            assert_eq!(unbase64(enc).as_deref(), Some(plain));
        }
    }

    #[test]
    fn user_information_is_stripped_from_every_url() {
        assert_eq!(
            strip_userinfo("GET http://u:p@h:1/x and https://a@b.example?q, ftp://c"),
            "GET http://h:1/x and https://b.example?q, ftp://c"
        );
        assert_eq!(
            userinfo("http://us%40r:p%3As@h/"),
            Some(("us%40r".into(), "p%3As".into()))
        );
        assert_eq!(userinfo("http://h/a@b"), None);
    }

    #[test]
    fn secrets_are_replaced_in_every_form_they_travel_in() {
        let mut r = Redactor::new();
        r.url("http://me:p%40ss!@h/");
        let t = r.redact("p@ss! p%40ss%21 bWU6cEBzcyE= me");
        assert_eq!(t, "*** *** *** me");
        let mut k = Redactor::new();
        k.api_key("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw");
        let encoded = base64(b"VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw");
        assert_eq!(k.redact(&format!("ApiKey {encoded}")), "ApiKey ***");
        let mut e = Redactor::new();
        e.api_key(&encoded);
        assert_eq!(e.redact("key ui2lp2axTNmsyakw9tvNnw"), "key ***");
        assert_eq!(redact("ab cd", &["ab".into()]), "ab cd", "too short");
        assert!(!format!("{k:?}").contains("ui2lp"));
    }

    #[test]
    fn excerpts_are_short_single_line_and_redacted() {
        let mut r = Redactor::new();
        r.secret("hunter2");
        assert_eq!(r.excerpt(b"a\nhunter2 bcdef", 8), "a\\n*** bc…");
    }
}
