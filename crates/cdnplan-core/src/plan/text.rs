//! Number and text formatting shared by the renderers.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::serving::{CellService, Evaluation};

/// `84.2 ms`.
pub(crate) fn ms(x: f64) -> String {
    format!("{x:.1} ms")
}

/// `84.2 ms`, or `–` when absent.
pub(crate) fn opt_ms(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), ms)
}

/// A share in `0..=1` as `39.4 %`.
pub(crate) fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// A signed difference with a real minus sign: `−33.2 ms`, `+1.0 ms`, `±0.0 ms`.
pub(crate) fn signed(x: f64, decimals: usize, unit: &str) -> String {
    let body = format!("{:.*}", decimals, x.abs());
    let zero = body.chars().all(|c| c == '0' || c == '.');
    let sign = if zero {
        "±"
    } else if x < 0.0 {
        "−"
    } else {
        "+"
    };
    format!("{sign}{body}{unit}")
}

/// `1 200 000` (groups of three digits separated by spaces, as in the project's docs).
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Decimal (SI) byte size: `3.2 GB`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// Text safe inside a Markdown table cell: no pipes, no line breaks.
pub(crate) fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// The serde name of a unit enum variant (`"time_limit"`), robust to new variants.
pub(crate) fn serde_name<T: Serialize + std::fmt::Debug>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{v:?}"),
    }
}

/// The cells of an evaluation by id.
pub(crate) fn by_cell(e: &Evaluation) -> BTreeMap<&str, &CellService> {
    e.cells.iter().map(|c| (c.cell.as_str(), c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_200_000), "1 200 000");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3_200_000_000), "3.2 GB");
        assert_eq!(signed(-33.21, 1, " ms"), "−33.2 ms");
        assert_eq!(signed(1.0, 1, " ms"), "+1.0 ms");
        assert_eq!(signed(-0.01, 1, " ms"), "±0.0 ms");
        assert_eq!(pct(0.394), "39.4 %");
    }

    #[test]
    fn markdown_cells_are_escaped() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
