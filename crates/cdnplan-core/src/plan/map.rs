//! The plan as a map: `map.svg`, one self-contained SVG for a forum post or a slide.
//!
//! Country outlines are Natural Earth's 1:110m layer (public domain), shipped as TopoJSON in
//! `data/world/countries-110m.json` (from world-atlas 2.0.2) and compiled in, so the map needs
//! no file and no network. The projection is Equal Earth (Šavrič, Patterson & Jenny 2018), an
//! equal-area projection, so demand circles compare by area.
//!
//! What it shows: each demand cell as a circle whose area is its share of the demand; the
//! active nodes before (rings) and after (dots); each move numbered in execution order — an
//! arrow from the old place to the new for a relocation, a `+` at the site for an addition, a
//! `×` for a removal. Every mark carries a `<title>` (its figures on hover) and a class
//! (`cell`, `node-before`, `node-after`, `move`); shapes differ as well as colours, so the map
//! reads without colour, and the `<desc>` states the counts as text. [`evaluation_map_svg`]
//! draws one layout (today's nodes as dots, class `node`) for `evaluate --report`.

use std::fmt::Write as _;

use serde::Deserialize;

use super::Plan;
use super::text::{by_cell, pct};
use crate::demand::Demand;
use crate::error::{Error, Result};
use crate::geo::GeoPoint;
use crate::node::Node;
use crate::relocation::{Move, MoveKind};
use crate::serving::Evaluation;

/// Natural Earth 1:110m countries as TopoJSON (world-atlas 2.0.2).
const COUNTRIES_110M: &str = include_str!("../../../../data/world/countries-110m.json");

/// Width of the map in SVG units; the height follows the projection's aspect.
const WIDTH: f64 = 1000.0;

/// Country outlines as rings of `(lon, lat)` in degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldOutline {
    /// One entry per country: its rings (outer rings and holes alike).
    pub countries: Vec<Vec<Vec<(f64, f64)>>>,
}

#[derive(Deserialize)]
struct Topology {
    transform: Transform,
    arcs: Vec<Vec<[f64; 2]>>,
    objects: Objects,
}

#[derive(Deserialize)]
struct Transform {
    scale: [f64; 2],
    translate: [f64; 2],
}

#[derive(Deserialize)]
struct Objects {
    countries: Collection,
}

#[derive(Deserialize)]
struct Collection {
    geometries: Vec<Geometry>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum Geometry {
    Polygon {
        arcs: Vec<Vec<i64>>,
    },
    MultiPolygon {
        arcs: Vec<Vec<Vec<i64>>>,
    },
    #[serde(other)]
    Other,
}

impl WorldOutline {
    /// The bundled Natural Earth 1:110m countries.
    pub fn bundled() -> WorldOutline {
        // The bundled file is checked by a test; it cannot fail to parse here.
        WorldOutline::from_topojson(COUNTRIES_110M).unwrap_or(WorldOutline {
            countries: Vec::new(),
        })
    }

    /// Decodes a quantized TopoJSON topology whose `countries` object holds polygons.
    ///
    /// # Errors
    /// [`Error::Parse`] for a document that is not such a topology or names an arc it lacks.
    pub fn from_topojson(text: &str) -> Result<WorldOutline> {
        let bad = |value: String| Error::Parse {
            what: "TopoJSON world outline",
            value,
        };
        let t: Topology = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        // Delta-decode each arc into absolute (lon, lat).
        let arcs: Vec<Vec<(f64, f64)>> = t
            .arcs
            .iter()
            .map(|arc| {
                let (mut x, mut y) = (0.0, 0.0);
                arc.iter()
                    .map(|[dx, dy]| {
                        x += dx;
                        y += dy;
                        (
                            x * t.transform.scale[0] + t.transform.translate[0],
                            y * t.transform.scale[1] + t.transform.translate[1],
                        )
                    })
                    .collect()
            })
            .collect();
        let ring = |indices: &[i64]| -> Result<Vec<(f64, f64)>> {
            let mut points: Vec<(f64, f64)> = Vec::new();
            for &i in indices {
                let (k, reversed) = if i < 0 {
                    ((!i) as usize, true)
                } else {
                    (i as usize, false)
                };
                let arc = arcs
                    .get(k)
                    .ok_or_else(|| bad(format!("arc {k} does not exist")))?;
                let mut part = arc.clone();
                if reversed {
                    part.reverse();
                }
                // Consecutive arcs share their joining point.
                let skip = usize::from(!points.is_empty());
                points.extend(part.into_iter().skip(skip));
            }
            Ok(points)
        };
        let mut countries = Vec::new();
        for g in &t.objects.countries.geometries {
            let polygons: Vec<&Vec<Vec<i64>>> = match g {
                Geometry::Polygon { arcs } => vec![arcs],
                Geometry::MultiPolygon { arcs } => arcs.iter().collect(),
                Geometry::Other => continue,
            };
            let mut rings = Vec::new();
            for p in polygons {
                for r in p {
                    rings.push(ring(r)?);
                }
            }
            countries.push(rings);
        }
        Ok(WorldOutline { countries })
    }
}

/// Equal Earth: `(lon, lat)` in degrees to `(x, y)` on the unit sphere, y up.
fn equal_earth(lon: f64, lat: f64) -> (f64, f64) {
    const A1: f64 = 1.340264;
    const A2: f64 = -0.081106;
    const A3: f64 = 0.000893;
    const A4: f64 = 0.003796;
    let m = 3f64.sqrt() / 2.0;
    let (lambda, phi) = (lon.to_radians(), lat.to_radians());
    let theta = (m * phi.sin()).asin();
    let t2 = theta * theta;
    let t6 = t2 * t2 * t2;
    let x = 2.0 * 3f64.sqrt() * lambda * theta.cos()
        / (3.0 * (9.0 * A4 * t6 * t2 + 7.0 * A3 * t6 + 3.0 * A2 * t2 + A1));
    let y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2));
    (x, y)
}

/// Projects onto the SVG canvas.
struct Canvas {
    scale: f64,
    height: f64,
}

impl Canvas {
    fn new() -> Canvas {
        let (x_max, _) = equal_earth(180.0, 0.0);
        let (_, y_max) = equal_earth(0.0, 90.0);
        let scale = WIDTH / (2.0 * x_max);
        Canvas {
            scale,
            height: 2.0 * y_max * scale,
        }
    }

    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = equal_earth(lon, lat);
        (
            WIDTH / 2.0 + x * self.scale,
            self.height / 2.0 - y * self.scale,
        )
    }

    fn at(&self, p: &GeoPoint) -> (f64, f64) {
        self.xy(p.lon, p.lat)
    }
}

/// Escapes text for XML content and attributes.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The plan's map (a complete SVG document, final newline included). `demand` is the demand
/// the plan was made for; `world` the outlines to draw ([`WorldOutline::bundled`]).
pub fn map_svg(plan: &Plan, demand: &Demand, world: &WorldOutline) -> String {
    map_svg_with_ids(plan, demand, world, "")
}

/// [`map_svg`] with its ids prefixed by `id`, so that several maps share one page.
pub(crate) fn map_svg_with_ids(
    plan: &Plan,
    demand: &Demand,
    world: &WorldOutline,
    id: &str,
) -> String {
    render(
        &MapView {
            id,
            title: format!(
                "{}: mean RTT {:.1} ms before, {:.1} ms after",
                plan.scenario.name.trim(),
                plan.before.mean_rtt_ms,
                plan.after.mean_rtt_ms
            ),
            demand,
            before: Some((&plan.nodes_before, &plan.before)),
            after: (&plan.nodes_after, &plan.after),
            moves: &plan.moves,
        },
        world,
    )
}

/// Today's service on a map: the demand cells and the active nodes (dots, class `node`),
/// each with its figures on hover. `evaluation` is `nodes` evaluated on `demand`.
pub fn evaluation_map_svg(
    name: &str,
    demand: &Demand,
    nodes: &[Node],
    evaluation: &Evaluation,
    world: &WorldOutline,
) -> String {
    render(
        &MapView {
            id: "",
            title: format!("{}: mean RTT {:.1} ms", name.trim(), evaluation.mean_rtt_ms),
            demand,
            before: None,
            after: (nodes, evaluation),
            moves: &[],
        },
        world,
    )
}

/// What a map draws: the demand, one or two layouts of nodes, the moves between them.
struct MapView<'a> {
    /// Prefix of the document's ids (`title`, `desc`, `arrow`), for several maps in one page.
    id: &'a str,
    title: String,
    demand: &'a Demand,
    /// The layout before the moves; `None` for a map of one layout.
    before: Option<(&'a [Node], &'a Evaluation)>,
    /// The layout after the moves (or the only one).
    after: (&'a [Node], &'a Evaluation),
    moves: &'a [Move],
}

fn render(view: &MapView<'_>, world: &WorldOutline) -> String {
    let c = Canvas::new();
    let mut out = String::new();
    let demand = view.demand;
    let weighting = view.after.1.weighting;
    let active = |nodes: &[Node]| nodes.iter().filter(|n| n.active).count();
    let na = active(view.after.0);
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {h:.1}\" \
         width=\"{WIDTH}\" height=\"{h:.0}\" role=\"img\" aria-labelledby=\"{id}title {id}desc\" \
         font-family=\"sans-serif\">",
        h = c.height,
        id = view.id
    );
    let _ = writeln!(
        out,
        "<title id=\"{}title\">{}</title>",
        view.id,
        esc(&view.title)
    );
    let nodes_text = match view.before {
        Some((before, _)) => format!(
            "{} active nodes before (rings), {na} after (dots); {} moves numbered in execution \
             order",
            active(before),
            view.moves.len()
        ),
        None => format!("{na} active nodes (dots)"),
    };
    let _ = writeln!(
        out,
        "<desc id=\"{}desc\">{} demand cells drawn as circles by share of demand; \
         {nodes_text}.</desc>",
        view.id,
        demand.cells.len(),
    );
    out.push_str(
        "<style>.land{fill:#e6e6e6;stroke:#fff;stroke-width:0.5}\
         .cell{fill:#3b82c4;fill-opacity:0.35;stroke:#1d4f80;stroke-width:0.5}\
         .node-before{fill:none;stroke:#444;stroke-width:2}\
         .node-after,.node{fill:#d9480f;stroke:#fff;stroke-width:1}\
         .move line{stroke:#d9480f;stroke-width:2}\
         .move text{font-size:12px;font-weight:bold;fill:#222}</style>\n",
    );
    let _ = writeln!(
        out,
        "<defs><marker id=\"{}arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0L10,5L0,10z\" fill=\"#d9480f\"/></marker></defs>",
        view.id
    );
    out.push_str("<rect width=\"100%\" height=\"100%\" fill=\"#f8fbff\"/>\n<g class=\"land\">\n");
    for rings in &world.countries {
        let mut d = String::new();
        for ring in rings {
            let mut last_lon = f64::NAN;
            for (k, &(lon, lat)) in ring.iter().enumerate() {
                let (x, y) = c.xy(lon, lat);
                // A ring crossing the antimeridian (Fiji, Chukotka) jumps across the map:
                // start a new subpath there instead of drawing the jump.
                let jump = (lon - last_lon).abs() > 180.0;
                let op = if k == 0 || jump { "M" } else { "L" };
                let _ = write!(d, "{op}{x:.1},{y:.1}");
                last_lon = lon;
            }
            d.push('Z');
        }
        let _ = writeln!(out, "<path d=\"{d}\"/>");
    }
    out.push_str("</g>\n<g class=\"demand\">\n");
    let total: f64 = demand.cells.iter().map(|cell| cell.weight(weighting)).sum();
    let before = view.before.map(|(_, e)| by_cell(e));
    let after = by_cell(view.after.1);
    // The largest circle (all demand in one cell) has a radius of 60 units.
    for cell in &demand.cells {
        let share = if total > 0.0 {
            cell.weight(weighting) / total
        } else {
            0.0
        };
        let (x, y) = c.at(&cell.location);
        let rtt = |m: &std::collections::BTreeMap<&str, &crate::serving::CellService>| {
            m.get(cell.id.as_str())
                .map_or_else(|| "–".to_string(), |s| format!("{:.1} ms", s.rtt_ms))
        };
        let service = match &before {
            Some(b) => format!("RTT {} before, {} after", rtt(b), rtt(&after)),
            None => format!("RTT {}", rtt(&after)),
        };
        let _ = writeln!(
            out,
            "<circle class=\"cell\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{:.2}\"><title>{}: {} of \
             demand, {service}</title></circle>",
            (60.0 * share.sqrt()).max(0.8),
            esc(&cell.id),
            pct(share),
        );
    }
    out.push_str("</g>\n");
    let layers: Vec<(&str, &[Node], &Evaluation, f64, &str)> = match view.before {
        Some((nodes, eval)) => vec![
            ("node-before", nodes, eval, 7.0, " (before)"),
            ("node-after", view.after.0, view.after.1, 4.5, " (after)"),
        ],
        None => vec![("node", view.after.0, view.after.1, 5.0, "")],
    };
    for (class, nodes, eval, radius, when) in layers {
        let _ = writeln!(out, "<g class=\"{class}s\">");
        for n in nodes.iter().filter(|n| n.active) {
            let (x, y) = c.at(&n.location);
            let place = n
                .city
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default();
            let load = eval
                .nodes
                .iter()
                .find(|l| l.node == n.id)
                .map_or_else(String::new, |l| {
                    format!(
                        ": serves {} of demand in {} cells, mean RTT {}",
                        pct(l.weight_share),
                        l.cells,
                        l.mean_rtt_ms
                            .map_or_else(|| "–".to_string(), |m| format!("{m:.1} ms"))
                    )
                });
            let _ = writeln!(
                out,
                "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius}\">\
                 <title>{}{}{when}{}</title></circle>",
                esc(&n.id),
                esc(&place),
                load
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("<g class=\"moves\">\n");
    for m in view.moves {
        let label = |p: &Option<crate::relocation::Place>| {
            p.as_ref().map_or("?", |p| p.label.as_str()).to_string()
        };
        let node = m.node.as_deref().unwrap_or("a node");
        let what = match m.kind {
            MoveKind::Relocate => {
                format!("move {node} from {} to {}", label(&m.from), label(&m.to))
            }
            MoveKind::Add => format!("add a node at {}", label(&m.to)),
            MoveKind::Remove => format!("remove {node} at {}", label(&m.from)),
        };
        let title = format!(
            "{}. {what} — mean RTT {:.1} ms after this step",
            m.step, m.mean_rtt_after_ms
        );
        let _ = write!(out, "<g class=\"move\"><title>{}</title>", esc(&title));
        match (m.kind, &m.from, &m.to) {
            (MoveKind::Relocate, Some(f), Some(t)) => {
                let ((x1, y1), (x2, y2)) = (c.at(&f.location), c.at(&t.location));
                let _ = write!(
                    out,
                    "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" \
                     marker-end=\"url(#{}arrow)\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                    view.id,
                    (x1 + x2) / 2.0 + 4.0,
                    (y1 + y2) / 2.0 - 4.0,
                    m.step
                );
            }
            (_, from, to) => {
                let (sign, place) = match (m.kind, from, to) {
                    (MoveKind::Remove, Some(p), _) => ("×", p),
                    (_, _, Some(p)) | (_, Some(p), None) => ("+", p),
                    _ => {
                        out.push_str("</g>\n");
                        continue;
                    }
                };
                let (x, y) = c.at(&place.location);
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\">{sign}{}</text>",
                    x + 6.0,
                    y - 6.0,
                    m.step
                );
            }
        }
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n");
    let legend = match view.before {
        Some((before, _)) => format!(
            "rings: nodes before ({}) · dots: after ({na}) · arrows and numbers: moves in order",
            active(before)
        ),
        None => format!("dots: active nodes ({na})"),
    };
    let _ = writeln!(
        out,
        "<text x=\"10\" y=\"{:.1}\" font-size=\"12\">{legend} · circles: demand by share · \
         Natural Earth outlines, Equal Earth projection</text>",
        c.height - 10.0
    );
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_outlines_decode() {
        let w = WorldOutline::from_topojson(COUNTRIES_110M).unwrap();
        assert_eq!(w.countries.len(), 177);
        for rings in &w.countries {
            for r in rings {
                assert!(r.len() >= 4, "a ring of {} points", r.len());
                assert!(
                    r.iter()
                        .all(|&(lon, lat)| lon.abs() <= 180.0 && lat.abs() <= 90.0)
                );
            }
        }
        assert!(WorldOutline::from_topojson("{}").is_err());
    }

    #[test]
    fn equal_earth_matches_its_published_extent() {
        // x at the antimeridian on the equator and y at the pole, from the paper's formulas.
        let (x, _) = equal_earth(180.0, 0.0);
        let (_, y) = equal_earth(0.0, 90.0);
        assert!((x - 2.7066).abs() < 1e-3, "{x}");
        assert!((y - 1.3173).abs() < 1e-3, "{y}");
        assert_eq!(equal_earth(0.0, 0.0), (0.0, 0.0));
    }
}
