//! TSPLIB point sets as p-median instances, the large benchmarks of the p-median literature.
//!
//! The conventions are those of García, Labbé & Marín (2011) and Durán-Mateluna, Alès &
//! Elloumi (2023): every point is a client of weight 1 and a candidate site, and
//! `d(i, j) = ⌊√((xᵢ − xⱼ)² + (yᵢ − yⱼ)²)⌋` on the raw coordinates (Euclidean distance rounded
//! down, not TSPLIB's nearest-integer rule).

use crate::error::{Error, Result};

use super::Instance;

/// The coordinates of a TSPLIB `EUC_2D` file (`NODE_COORD_SECTION`), in node order.
///
/// # Errors
/// [`Error::Parse`] naming the line for a missing or malformed section, an edge weight type
/// other than `EUC_2D` (or `ATT`/`CEIL_2D`, whose coordinates read the same), a node count
/// that disagrees with `DIMENSION`, or a non-finite coordinate.
pub fn parse_tsplib(text: &str) -> Result<Vec<(f64, f64)>> {
    let bad = |line: usize, what: &str| Error::Parse {
        what: "TSPLIB file",
        value: format!("line {line}: {what}"),
    };
    let mut dimension: Option<usize> = None;
    let mut points = Vec::new();
    let mut in_coords = false;
    for (k, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let n = k + 1;
        if line.is_empty() {
            continue;
        }
        if line == "EOF" {
            break;
        }
        if !in_coords {
            if line.starts_with("NODE_COORD_SECTION") {
                in_coords = true;
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(bad(n, &format!("expected `KEY : value`, found {line:?}")));
            };
            match key.trim() {
                "DIMENSION" => {
                    let d = value.trim().parse().map_err(|_| {
                        bad(n, &format!("DIMENSION {:?} is not a count", value.trim()))
                    })?;
                    dimension = Some(d);
                }
                "EDGE_WEIGHT_TYPE" => {
                    let t = value.trim();
                    if !matches!(t, "EUC_2D" | "CEIL_2D" | "ATT") {
                        return Err(bad(
                            n,
                            &format!("EDGE_WEIGHT_TYPE {t}: only 2-D coordinates are read"),
                        ));
                    }
                }
                _ => {}
            }
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(_id), Some(x), Some(y), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(bad(n, &format!("expected `id x y`, found {line:?}")));
        };
        let coord = |s: &str| -> Result<f64> {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(n, &format!("coordinate {s:?} is not a finite number")))
        };
        points.push((coord(x)?, coord(y)?));
    }
    if !in_coords {
        return Err(bad(0, "no NODE_COORD_SECTION"));
    }
    if let Some(d) = dimension
        && d != points.len()
    {
        return Err(bad(
            0,
            &format!("DIMENSION {d} but {} coordinates", points.len()),
        ));
    }
    Ok(points)
}

/// The p-median instance of `points` under the literature's conventions (see the
/// [module docs](self)): every point a client of weight 1 and a site, floored Euclidean costs.
///
/// # Errors
/// [`Error::TooLarge`] above [`MAX_PAIRS`](super::MAX_PAIRS) pairs.
pub fn tsplib_instance(points: &[(f64, f64)]) -> Result<Instance> {
    use rayon::prelude::*;
    let n = points.len();
    super::instance::check_size(n, n)?;
    let mut cost = vec![0.0; n * n];
    cost.par_chunks_mut(n.max(1))
        .zip(points)
        .for_each(|(row, a)| {
            for (c, b) in row.iter_mut().zip(points) {
                *c = (a.0 - b.0).hypot(a.1 - b.1).floor();
            }
        });
    Instance::new(n, n, cost, vec![1.0; n])
}

/// One row of a table of published p-median values (`optima.tsv`).
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedValue {
    /// Instance name (the `.tsp` file's stem).
    pub instance: String,
    /// Number of points.
    pub n: usize,
    /// Number of medians.
    pub p: usize,
    /// The published objective value.
    pub value: f64,
    /// Whether the value is a proven optimum (else the best known value).
    pub proven: bool,
    /// The publication's solve time in seconds, when it gives one.
    pub seconds: Option<f64>,
}

/// Parses a tab-separated table with the header `instance n p value proven benders_s`
/// (`proven` is `yes`/`no`; a time of `-` means none).
///
/// # Errors
/// [`Error::Parse`] naming the line and column of a malformed row or a missing header.
pub fn parse_published_values(text: &str) -> Result<Vec<PublishedValue>> {
    let bad = |line: usize, what: String| Error::Parse {
        what: "table of published values",
        value: format!("line {line}: {what}"),
    };
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h.split('\t').map(str::trim).collect(),
        None => return Err(bad(1, "empty file".into())),
    };
    let want = ["instance", "n", "p", "value", "proven", "benders_s"];
    if header != want {
        return Err(bad(
            1,
            format!("header {header:?}, expected {}", want.join("\\t")),
        ));
    }
    let mut out = Vec::new();
    for (k, line) in lines {
        let n = k + 1;
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').map(str::trim).collect();
        if f.len() != want.len() {
            return Err(bad(
                n,
                format!("{} columns, expected {}", f.len(), want.len()),
            ));
        }
        let num = |i: usize| -> Result<f64> {
            f[i].parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| bad(n, format!("{} = {:?} is not a number", want[i], f[i])))
        };
        let count = |i: usize| -> Result<usize> {
            f[i].parse()
                .map_err(|_| bad(n, format!("{} = {:?} is not a count", want[i], f[i])))
        };
        out.push(PublishedValue {
            instance: f[0].to_string(),
            n: count(1)?,
            p: count(2)?,
            value: num(3)?,
            proven: match f[4] {
                "yes" => true,
                "no" => false,
                other => return Err(bad(n, format!("proven = {other:?}, expected yes or no"))),
            },
            seconds: if f[5] == "-" { None } else { Some(num(5)?) },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "NAME : tiny\nTYPE : TSP\nDIMENSION : 3\nEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 3 4\n3 1.5e+00 0.9\nEOF\n";

    #[test]
    fn reads_coordinates_and_floors_distances() {
        let pts = parse_tsplib(SMALL).unwrap();
        assert_eq!(pts, vec![(0.0, 0.0), (3.0, 4.0), (1.5, 0.9)]);
        let inst = tsplib_instance(&pts).unwrap();
        assert_eq!(inst.cost(0, 1), 5.0);
        // √(1.5² + 0.9²) = 1.749…, floored.
        assert_eq!(inst.cost(0, 2), 1.0);
        assert_eq!(inst.cost(2, 2), 0.0);
    }

    #[test]
    fn refuses_what_it_cannot_read_with_the_line() {
        let e = parse_tsplib(&SMALL.replace("EUC_2D", "GEO")).unwrap_err();
        assert!(
            e.to_string().contains("line 4: EDGE_WEIGHT_TYPE GEO"),
            "{e}"
        );
        let e = parse_tsplib(&SMALL.replace("2 3 4", "2 3 x")).unwrap_err();
        assert!(e.to_string().contains("line 7"), "{e}");
        let e = parse_tsplib(&SMALL.replace("DIMENSION : 3", "DIMENSION : 4")).unwrap_err();
        assert!(e.to_string().contains("DIMENSION 4 but 3"), "{e}");
    }

    #[test]
    fn reads_published_values() {
        let t = "instance\tn\tp\tvalue\tproven\tbenders_s\nfl1400\t1400\t10\t100601\tyes\t0.4\nfl1400\t1400\t500\t3764\tno\t-\n";
        let v = parse_published_values(t).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].value, 100601.0);
        assert!(v[0].proven && !v[1].proven);
        assert_eq!(v[1].seconds, None);
        let e = parse_published_values(&t.replace("yes", "maybe")).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
