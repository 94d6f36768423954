//! CSV records, one per line, with a header row naming the columns.
//!
//! Fields follow RFC 4180 quoting (`"a, b"`, `""` for a quote) but a record must not span
//! lines, which lets large files be read in parallel batches. Unquoted fields are borrowed from
//! the line; only fields with doubled quotes are copied.

use std::borrow::Cow;

use super::mapping::{FieldMapping, Slot};
use super::record::{Cap, Captures};

/// The mapped columns of one file: `(column index, slot, preference)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct CsvColumns {
    cols: Vec<(usize, Slot, u8)>,
}

impl CsvColumns {
    /// Matches the header `line` against `mapping` (column names compare case-insensitively,
    /// after trimming).
    ///
    /// # Errors
    /// The names of required fields none of whose columns is in the header, and the header.
    pub(crate) fn new(line: &str, mapping: &FieldMapping) -> Result<Self, String> {
        let header: Vec<String> = split(line)
            .map_err(|e| format!("header: {e}"))?
            .into_iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let mut cols = Vec::new();
        let mut missing = Vec::new();
        for (slot, spec) in mapping.slots() {
            let mut found = false;
            for (pref, name) in spec.paths.iter().enumerate() {
                if let Some(i) = header
                    .iter()
                    .position(|h| *h == name.trim().to_ascii_lowercase())
                {
                    cols.push((i, slot, pref.min(255) as u8));
                    found = true;
                }
            }
            let required = matches!(
                slot,
                Slot::Timestamp | Slot::Url | Slot::ClientIp | Slot::Status
            );
            if !found && required {
                missing.push(spec.display());
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "header has no column {} (columns: {})",
                missing.join(", "),
                header.join(",")
            ));
        }
        Ok(CsvColumns { cols })
    }

    /// Captures the mapped columns of `line`.
    ///
    /// # Errors
    /// A message when the quoting is broken.
    pub(crate) fn extract<'a>(&self, line: &'a str, caps: &mut Captures<'a>) -> Result<(), String> {
        for_each_field(line, |i, f| {
            for &(c, slot, pref) in &self.cols {
                if c == i {
                    caps.set(slot, u16::from(pref), Cap::Str(f.clone()));
                }
            }
        })
    }
}

/// Splits one CSV line into fields.
fn split(line: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let mut out = Vec::new();
    for_each_field(line, |_, f| out.push(f))?;
    Ok(out)
}

/// Calls `f(index, field)` for each field of one CSV line, without allocating for fields
/// that have no doubled quotes.
fn for_each_field<'a>(line: &'a str, mut f: impl FnMut(usize, Cow<'a, str>)) -> Result<(), String> {
    let mut n = 0usize;
    let mut out = |field: Cow<'a, str>| {
        f(n, field);
        n += 1;
    };
    let b = line.as_bytes();
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            // Quoted field.
            let start = i + 1;
            let mut j = start;
            let mut owned: Option<String> = None;
            loop {
                match memchr::memchr(b'"', &b[j..]) {
                    None => return Err("unterminated quoted field".to_string()),
                    Some(k) => {
                        let q = j + k;
                        if b.get(q + 1) == Some(&b'"') {
                            owned.get_or_insert_with(String::new).push_str(&line[j..=q]);
                            j = q + 2;
                        } else {
                            let field = match owned {
                                Some(mut s) => {
                                    s.push_str(&line[j..q]);
                                    Cow::Owned(s)
                                }
                                None => Cow::Borrowed(&line[start..q]),
                            };
                            out(field);
                            i = q + 1;
                            break;
                        }
                    }
                }
            }
            match b.get(i) {
                None => return Ok(()),
                Some(b',') => i += 1,
                Some(_) => return Err("text after a closing quote".to_string()),
            }
        } else {
            match memchr::memchr(b',', &b[i..]) {
                Some(k) => {
                    out(Cow::Borrowed(&line[i..i + k]));
                    i += k + 1;
                }
                None => {
                    out(Cow::Borrowed(&line[i..]));
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::mapping::Preset;

    #[test]
    fn splits_quoted_and_plain_fields() {
        let f = split("a,\"\"\"").unwrap_err();
        assert!(f.contains("unterminated"), "{f}");
        let f = split(r#"a,"b, c","say ""hi""",,"#).unwrap();
        assert_eq!(f, ["a", "b, c", "say \"hi\"", "", ""]);
        assert!(matches!(f[1], Cow::Borrowed(_)));
        assert!(split(r#""a"b,c"#).is_err());
    }

    #[test]
    fn header_maps_columns_in_any_order_and_case() {
        let cols = CsvColumns::new(
            "Status,URL,timestamp,client_ip,bytes,extra",
            &Preset::Csv.mapping(),
        )
        .unwrap();
        let mut caps = Captures::default();
        cols.extract(
            "200,/api/v1/assets/1,2023-05-12T00:00:00Z,1.2.3.4,10,x",
            &mut caps,
        )
        .unwrap();
        assert_eq!(
            caps.get(Slot::Status),
            Some(&Cap::Str(Cow::Borrowed("200")))
        );
        assert_eq!(
            caps.get(Slot::ClientIp),
            Some(&Cap::Str(Cow::Borrowed("1.2.3.4")))
        );
    }

    #[test]
    fn header_without_a_required_column_is_an_error() {
        let e = CsvColumns::new("timestamp,url,status", &Preset::Csv.mapping()).unwrap_err();
        assert!(e.contains("client_ip"), "{e}");
    }
}
