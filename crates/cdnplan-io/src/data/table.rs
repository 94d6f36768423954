//! A small CSV table reader that knows its columns and reports positions.
//!
//! Files are read whole: the tables this reads are small (sites, countries, nodes).
//!
//! Every error names the file, the 1-based line, the column and the offending text, as
//! rust-csv's `Position` does. Columns are matched by header name; a missing required column
//! or an unexpected column is an error on line 1 listing the expected columns.

use std::collections::BTreeMap;
use std::path::Path;

use cdnplan_core::{Continent, Countries, CountryCode, GeoPoint};

use crate::error::{Error, Result};

/// One column of a table: its header and whether it must be present.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub(crate) name: &'static str,
    pub(crate) required: bool,
}

/// A required column.
pub(crate) const fn req(name: &'static str) -> Column {
    Column {
        name,
        required: true,
    }
}

/// An optional column (may be absent from the header; empty cells read as `None`).
pub(crate) const fn opt(name: &'static str) -> Column {
    Column {
        name,
        required: false,
    }
}

/// Reads every record of the CSV file at `path`, calling `row` for each.
///
/// Lines starting with `#` are comments; cells are trimmed.
pub(crate) fn read<T>(
    path: &Path,
    columns: &[Column],
    mut row: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))?;
    let (text, lines) = strip_comments(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| csv_error(path, &lines, &e))?
        .clone();
    let header_line = file_line(&lines, 1);
    let expected = || {
        columns
            .iter()
            .map(|c| {
                if c.required {
                    c.name.to_string()
                } else {
                    format!("[{}]", c.name)
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut index = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        let Some(col) = columns.iter().find(|c| c.name == h) else {
            return Err(Error::field(
                path,
                header_line,
                h,
                format!("unknown column (expected {})", expected()),
                Some(h),
            ));
        };
        if index.insert(col.name, i).is_some() {
            return Err(Error::field(
                path,
                header_line,
                h,
                "column appears twice",
                Some(h),
            ));
        }
    }
    if let Some(missing) = columns
        .iter()
        .find(|c| c.required && !index.contains_key(c.name))
    {
        return Err(Error::field(
            path,
            header_line,
            missing.name,
            format!("missing column (expected {})", expected()),
            Some(headers.iter().collect::<Vec<_>>().join(",").as_str()),
        ));
    }
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, &lines, &e)),
        }
        let line = file_line(&lines, record.position().map_or(0, csv::Position::line));
        out.push(row(&Row {
            path,
            line,
            record: &record,
            index: &index,
        })?);
    }
    Ok(out)
}

/// Drops blank and `#` comment lines, returning the kept text and, for each kept line, its
/// 1-based line in the file. (csv's own comment and blank-line skipping reports the line where
/// skipping began, not the record's line.)
fn strip_comments(text: &str) -> (String, Vec<u64>) {
    let mut out = String::with_capacity(text.len());
    let mut lines = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        out.push_str(line);
        if !line.ends_with('\n') {
            out.push('\n');
        }
        lines.push(i as u64 + 1);
    }
    (out, lines)
}

/// The file line of csv's 1-based `line` in the stripped text.
fn file_line(lines: &[u64], line: u64) -> u64 {
    line.checked_sub(1)
        .and_then(|i| lines.get(i as usize))
        .copied()
        .unwrap_or(line)
}

fn csv_error(path: &Path, lines: &[u64], e: &csv::Error) -> Error {
    let line = file_line(lines, e.position().map_or(0, csv::Position::line));
    Error::field(path, line, "record", e.to_string(), None)
}

/// One record, with its position, for typed field access.
pub(crate) struct Row<'a> {
    path: &'a Path,
    line: u64,
    record: &'a csv::StringRecord,
    index: &'a BTreeMap<&'static str, usize>,
}

impl Row<'_> {
    /// 1-based line of the record.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// An error for `field` on this line.
    pub(crate) fn error(&self, field: &str, reason: impl Into<String>, got: &str) -> Error {
        Error::field(self.path, self.line, field, reason, Some(got))
    }

    /// The cell, or `None` when the column is absent or the cell empty.
    pub(crate) fn opt_str(&self, field: &str) -> Option<&str> {
        let i = *self.index.get(field)?;
        self.record.get(i).filter(|s| !s.is_empty())
    }

    /// A non-empty cell.
    pub(crate) fn str(&self, field: &str) -> Result<&str> {
        self.opt_str(field)
            .ok_or_else(|| self.error(field, "must not be empty", ""))
    }

    /// An optional finite, non-negative number.
    pub(crate) fn opt_non_negative(&self, field: &str) -> Result<Option<f64>> {
        let Some(s) = self.opt_str(field) else {
            return Ok(None);
        };
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            _ => Err(self.error(field, "must be a finite number ≥ 0", s)),
        }
    }

    /// An optional whole number.
    pub(crate) fn opt_u64(&self, field: &str) -> Result<Option<u64>> {
        let Some(s) = self.opt_str(field) else {
            return Ok(None);
        };
        s.parse()
            .map(Some)
            .map_err(|_| self.error(field, "must be a whole number ≥ 0", s))
    }

    /// A whole number.
    pub(crate) fn u64(&self, field: &str) -> Result<u64> {
        self.opt_u64(field)?
            .ok_or_else(|| self.error(field, "must not be empty", ""))
    }

    /// `lat` and `lon` as a checked point.
    pub(crate) fn point(&self) -> Result<GeoPoint> {
        let coord = |field: &str, limit: f64| -> Result<f64> {
            let s = self.str(field)?;
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() && (-limit..=limit).contains(&v) => Ok(v),
                _ => Err(self.error(
                    field,
                    format!("must be a number in −{limit}..={limit} (degrees)"),
                    s,
                )),
            }
        };
        Ok(GeoPoint {
            lat: coord("lat", 90.0)?,
            lon: coord("lon", 180.0)?,
        })
    }

    /// An optional ISO 3166-1 alpha-2 code.
    pub(crate) fn opt_country(&self, field: &str) -> Result<Option<CountryCode>> {
        let Some(s) = self.opt_str(field) else {
            return Ok(None);
        };
        CountryCode::new(s)
            .map(Some)
            .map_err(|_| self.error(field, "must be an ISO 3166-1 alpha-2 code (two letters)", s))
    }

    /// `cc` when `countries` is `None` or lists it; else an error for `field` on this line.
    pub(crate) fn known_country(
        &self,
        field: &str,
        cc: CountryCode,
        countries: Option<&Countries>,
    ) -> Result<CountryCode> {
        match countries {
            Some(t) if t.get(cc).is_none() => Err(self.error(
                field,
                "unknown country (not in the country table)",
                cc.as_str(),
            )),
            _ => Ok(cc),
        }
    }

    /// An ISO 3166-1 alpha-2 code.
    pub(crate) fn country(&self, field: &str) -> Result<CountryCode> {
        self.opt_country(field)?
            .ok_or_else(|| self.error(field, "must not be empty", ""))
    }

    /// A continent code (`AF AN AS EU NA OC SA`) or name.
    pub(crate) fn continent(&self, field: &str) -> Result<Continent> {
        let s = self.str(field)?;
        s.parse().map_err(|_| {
            self.error(
                field,
                "unknown continent (expected one of AF AN AS EU NA OC SA)",
                s,
            )
        })
    }

    /// An optional boolean: `true/false`, `yes/no`, `1/0`, any case.
    pub(crate) fn opt_bool(&self, field: &str) -> Result<Option<bool>> {
        let Some(s) = self.opt_str(field) else {
            return Ok(None);
        };
        match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Some(true)),
            "false" | "no" | "0" => Ok(Some(false)),
            _ => Err(self.error(field, "must be true/false, yes/no or 1/0", s)),
        }
    }
}

/// Remembers the line of each id and reports a repeat naming both lines.
pub(crate) struct UniqueIds {
    kind: &'static str,
    field: &'static str,
    seen: BTreeMap<String, u64>,
}

impl UniqueIds {
    /// Ids of `kind` (for messages) read from column `field`.
    pub(crate) fn new(kind: &'static str, field: &'static str) -> Self {
        UniqueIds {
            kind,
            field,
            seen: BTreeMap::new(),
        }
    }

    /// Records `id` from `row`, failing if an earlier line had it.
    pub(crate) fn insert(&mut self, row: &Row<'_>, id: &str) -> Result<()> {
        if let Some(first) = self.seen.get(id) {
            return Err(row.error(
                self.field,
                format!("duplicate {} id (first on line {first})", self.kind),
                id,
            ));
        }
        self.seen.insert(id.to_string(), row.line());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
        let p = dir.path().join("t.csv");
        std::fs::write(&p, text).unwrap();
        p
    }

    const COLS: &[Column] = &[req("id"), req("lat"), req("lon"), opt("note")];

    fn ids(path: &Path) -> Result<Vec<(String, u64)>> {
        read(path, COLS, |r| {
            r.point()?;
            Ok((r.str("id")?.to_string(), r.line()))
        })
    }

    #[test]
    fn lines_are_one_based_and_skip_comments() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "# header next\nid,lat,lon\n# a comment\na,1,2\n\n  \nb,3,4",
        );
        assert_eq!(
            ids(&p).unwrap(),
            [("a".to_string(), 4), ("b".to_string(), 7)]
        );
    }

    #[test]
    fn optional_columns_may_be_absent_but_unknown_ones_may_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "lon,id,lat\n2,a,1\n");
        assert_eq!(ids(&p).unwrap().len(), 1);
        let p = write(&dir, "id,lat,lon,colour\na,1,2,red\n");
        let e = ids(&p).unwrap_err().to_string();
        assert!(e.contains(":1: field `colour`: unknown column"), "{e}");
        assert!(e.contains("id,lat,lon,[note]"), "{e}");
    }

    #[test]
    fn a_ragged_record_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "id,lat,lon\na,1,2\nb,3\n");
        let e = ids(&p).unwrap_err().to_string();
        assert!(e.contains(":3: field `record`"), "{e}");
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let e = ids(Path::new("/nonexistent/x.csv")).unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
        assert!(e.to_string().contains("/nonexistent/x.csv"));
    }
}
