//! `report.html`: the plan as one self-contained page a lead can open, print or forward.
//!
//! The page is the Markdown report ([`report_markdown`]) rendered to HTML — the same tables,
//! computed once — with the figures a person looks at first placed after the summary: the
//! world map of [`map_svg`] (demand, nodes before and after, the moves numbered in order; every
//! mark names its figures on hover), the mean RTT against the number of moves and, when the
//! plan has one, the node curve. It loads nothing: no script, no font, no tile; a Content
//! Security Policy in the page forbids any fetch. Charts tell series apart by marker shape and
//! line style as well as colour and state their values as text (`<desc>` and the tables).
//! Text from the inputs (a scenario name, a node id) is escaped, raw HTML in it included.

use std::fmt::Write as _;

use pulldown_cmark::{Event, Options, Parser};

use super::Plan;
use super::map::{WorldOutline, esc, evaluation_map_svg, map_svg};
use super::report::{place, report_markdown};
use super::text::{cell, count, ms, opt_ms, pct};
use crate::demand::Demand;
use crate::geo::Continent;
use crate::node::Node;
use crate::serving::Evaluation;

/// How many demand cells the evaluation page's "top demand cells" table lists.
const TOP_CELLS: usize = 15;

/// The page's style: print-friendly, no web font, numbers aligned by the tables' own
/// alignment attributes.
const STYLE: &str = "\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;\
margin:0;background:#fff}\
main{max-width:1080px;margin:0 auto;padding:1.5rem}\
h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.25rem;margin-top:2rem;\
border-bottom:1px solid #ccc;padding-bottom:.2rem}\
table{border-collapse:collapse;margin:.5rem 0 1rem;font-variant-numeric:tabular-nums}\
th,td{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}\
thead th{background:#f0f0f0}tbody tr:nth-child(even){background:#fafafa}\
code{font-size:.92em;background:#f3f3f3;padding:0 .2em;border-radius:3px}\
figure{margin:1rem 0}figure svg{width:100%;height:auto;border:1px solid #ddd}\
figcaption{font-size:.9rem;color:#444;margin-top:.3rem}\
.chart .axis{stroke:#555}.chart .grid{stroke:#e3e3e3}.chart text{font-size:12px;fill:#222}\
.chart .s0{stroke:#d9480f;fill:#d9480f}.chart .s1{stroke:#1d4f80;fill:#1d4f80}\
.chart .s2{stroke:#555;fill:#555}.chart polyline{fill:none;stroke-width:2}\
@media print{main{max-width:none}figure{break-inside:avoid}}";

/// The `report.html` of `plan` computed on `demand` (the demand the plan was evaluated on),
/// with the outlines of `world` ([`WorldOutline::bundled`]). A complete HTML document, final
/// newline included; the same plan and demand give the same bytes.
pub fn report_html(plan: &Plan, demand: &Demand, world: &WorldOutline) -> String {
    let markdown = report_markdown(plan, demand);
    // The summary (title, description, headline) comes first, then the figures, then the
    // tables from the first section on.
    let (intro, rest) = match markdown.find("\n## ") {
        Some(i) => markdown.split_at(i + 1),
        None => (markdown.as_str(), ""),
    };
    let title = format!("Relocation plan: {}", plan.scenario.name.trim());
    let mut out = page_head(&title);
    out.push_str(&markdown_html(intro));
    out.push_str("<section class=\"figures\" aria-label=\"Figures\">\n");
    out.push_str("<h2 id=\"map\">Map</h2>\n<figure class=\"map\">\n");
    out.push_str(&map_svg(plan, demand, world));
    out.push_str(
        "<figcaption>Demand cells as circles by share of demand (hover for a cell's figures); \
         rings: active nodes before, dots: after; each move numbered in execution order \
         (arrow: relocation, +: addition, ×: removal).</figcaption>\n</figure>\n",
    );
    if let Some(chart) = moves_chart(plan) {
        out.push_str(&chart);
    }
    if let Some(chart) = node_curve_chart(plan) {
        out.push_str(&chart);
    }
    out.push_str("</section>\n");
    out.push_str(&markdown_html(rest));
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The page of `evaluate --report`: today's service of `nodes` on `demand` (`evaluation` is
/// their [`evaluate`](crate::serving::evaluate)), titled by the scenario's `name` — the map
/// of the demand and the active nodes, then the service, per-continent, node-load and top
/// demand cell tables. Self-contained as [`report_html`]; same inputs, same bytes.
pub fn evaluation_html(
    name: &str,
    demand: &Demand,
    nodes: &[Node],
    evaluation: &Evaluation,
    world: &WorldOutline,
) -> String {
    let e = evaluation;
    let title = format!("Current service: {}", name.trim());
    let mut out = page_head(&title);
    let active = nodes.iter().filter(|n| n.active).count();
    let mut md = format!(
        "# {}\n\n**{active} active nodes serve {} demand cells ({} requests): mean RTT {}, p90 \
         {}; {} of the demand within 100 ms.**\n",
        cell(&title),
        demand.cells.len(),
        count(demand.total_requests()),
        ms(e.mean_rtt_ms),
        ms(e.p90_rtt_ms),
        pct(e.coverage(100.0))
    );
    out.push_str(&markdown_html(&md));
    out.push_str("<h2 id=\"map\">Map</h2>\n<figure class=\"map\">\n");
    out.push_str(&evaluation_map_svg(name, demand, nodes, e, world));
    out.push_str(
        "<figcaption>Demand cells as circles by share of demand; dots: active nodes (hover \
         for the figures of a cell or a node).</figcaption>\n</figure>\n",
    );
    md = String::from("## Service\n\n| Metric | Value |\n|---|---:|\n");
    for (k, v) in [
        ("Mean RTT", e.mean_rtt_ms),
        ("p50 RTT", e.p50_rtt_ms),
        ("p90 RTT", e.p90_rtt_ms),
        ("p95 RTT", e.p95_rtt_ms),
    ] {
        let _ = writeln!(md, "| {k} | {} |", ms(v));
    }
    for c in &e.coverage {
        let _ = writeln!(md, "| Within {} ms | {} |", c.threshold_ms, pct(c.share));
    }
    md.push_str(
        "\n## By continent\n\n| Continent | Share | Requests | Mean RTT | p90 RTT | Main node |\n\
         |---|---:|---:|---:|---:|---|\n",
    );
    for r in &e.continents {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            r.continent.map_or("Unknown", Continent::name),
            pct(r.weight_share),
            count(r.requests),
            opt_ms(r.mean_rtt_ms),
            opt_ms(r.p90_rtt_ms),
            r.main_node
                .as_deref()
                .map_or_else(|| "–".to_string(), |n| format!("`{}`", cell(n)))
        );
    }
    md.push_str(
        "\n## Node load\n\n| Node | Place | Share | Cells | Mean RTT |\n|---|---|---:|---:|---:|\n",
    );
    for n in nodes {
        let load = e.node(&n.id);
        let mut at = cell(&place(n));
        if !n.active {
            at.push_str(" (inactive)");
        }
        let _ = writeln!(
            md,
            "| `{}` | {at} | {} | {} | {} |",
            cell(&n.id),
            load.map_or_else(|| "–".to_string(), |l| pct(l.weight_share)),
            load.map_or(0, |l| l.cells),
            opt_ms(load.and_then(|l| l.mean_rtt_ms))
        );
    }
    let mut top: Vec<&crate::serving::CellService> = e.cells.iter().collect();
    top.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.cell.cmp(&b.cell)));
    let _ = writeln!(
        md,
        "\n## Top demand cells\n\nThe {} heaviest of {} cells.\n\n| Cell | Share | Node | \
         Distance | RTT |\n|---|---:|---|---:|---:|",
        TOP_CELLS.min(top.len()),
        top.len()
    );
    for c in top.into_iter().take(TOP_CELLS) {
        let share = if e.total_weight > 0.0 {
            c.weight / e.total_weight
        } else {
            0.0
        };
        let _ = writeln!(
            md,
            "| {} | {} | `{}` | {:.0} km | {} |",
            cell(&c.cell),
            pct(share),
            cell(&c.node),
            c.distance_km,
            ms(c.rtt_ms)
        );
    }
    out.push_str(&markdown_html(&md));
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The document up to the opening `<main>`: charset, viewport, a policy that forbids every
/// fetch, the title and the style.
pub(crate) fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\n<title>{}</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n<main>\n",
        esc(title)
    )
}

/// GitHub-flavoured Markdown to HTML, with any raw HTML in it shown as text: the report
/// quotes input text (scenario names, node ids) that must never become markup.
pub(crate) fn markdown_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let events = Parser::new_ext(markdown, options).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        e => e,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

/// One line of a chart: its name (in the legend), its points and whether it is dashed.
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
    dashed: bool,
}

/// Mean RTT against the number of moves: this plan's first k steps, the best with a budget
/// of k moves and the lower bound. `None` without a curve.
fn moves_chart(plan: &Plan) -> Option<String> {
    if plan.curve.is_empty() {
        return None;
    }
    let series = vec![
        Series {
            name: "this plan, first k steps".into(),
            points: plan
                .curve
                .iter()
                .filter(|p| p.moves <= plan.moves.len())
                .map(|p| (p.moves as f64, p.plan_prefix_mean_rtt_ms))
                .collect(),
            dashed: false,
        },
        Series {
            name: "best with k moves".into(),
            points: plan
                .curve
                .iter()
                .map(|p| (p.moves as f64, p.best_mean_rtt_ms))
                .collect(),
            dashed: false,
        },
        Series {
            name: "lower bound".into(),
            points: plan
                .curve
                .iter()
                .map(|p| (p.moves as f64, p.lower_bound_mean_rtt_ms))
                .collect(),
            dashed: true,
        },
    ];
    let (first, last) = (plan.curve.first()?, plan.curve.last()?);
    let desc = format!(
        "Best mean RTT {} with {} moves, {} with {}; no layout with {} moves beats {}. The \
         values are in the table \"Gain against number of moves\".",
        ms(first.best_mean_rtt_ms),
        first.moves,
        ms(last.best_mean_rtt_ms),
        last.moves,
        last.moves,
        ms(last.lower_bound_mean_rtt_ms)
    );
    Some(chart(
        "moves-chart",
        "Mean RTT against number of moves",
        "moves",
        "mean RTT (ms)",
        &series,
        &desc,
    ))
}

/// The best value with n nodes and its proven bound, in the objective's reading units.
/// `None` when the plan has no node curve.
fn node_curve_chart(plan: &Plan) -> Option<String> {
    let (first, last) = (plan.node_curve.first()?, plan.node_curve.last()?);
    let measure = plan
        .objective
        .as_ref()
        .map_or_else(|| "mean RTT (ms)".to_string(), |o| o.measure.clone());
    let series = vec![
        Series {
            name: "best found".into(),
            points: plan
                .node_curve
                .iter()
                .map(|p| (p.nodes as f64, p.best))
                .collect(),
            dashed: false,
        },
        Series {
            name: "proven bound".into(),
            points: plan
                .node_curve
                .iter()
                .map(|p| (p.nodes as f64, p.bound))
                .collect(),
            dashed: true,
        },
    ];
    let nodes = |n: usize| format!("{n} node{}", if n == 1 { "" } else { "s" });
    let desc = format!(
        "{measure}: {} with {}, {} with {}. The values are in node-curve.csv and the table \
         \"What is one more node worth?\".",
        tick(first.best, 0.001),
        nodes(first.nodes),
        tick(last.best, 0.001),
        nodes(last.nodes)
    );
    Some(chart(
        "node-curve-chart",
        "What each node buys: the node curve",
        "nodes",
        &measure,
        &series,
        &desc,
    ))
}

/// A "nice" step (1, 2 or 5 × 10^k) for about `n` intervals over `span`.
fn nice_step(span: f64, n: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / n;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// A line chart as an accessible `<figure>`: axes with ticks, one polyline per series with
/// a marker shape of its own (circle, square, diamond), a legend, each point's value on
/// hover, and `desc` as the text alternative.
fn chart(
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    desc: &str,
) -> String {
    const W: f64 = 720.0;
    const H: f64 = 320.0;
    const L: f64 = 64.0;
    const R: f64 = 16.0;
    const T: f64 = 56.0;
    const B: f64 = 48.0;
    let points = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in points.filter(|(x, y)| x.is_finite() && y.is_finite()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if x1 - x0 < 1.0 {
        x1 = x0 + 1.0;
    }
    let y_step = nice_step(y1 - y0, 5.0);
    let (y0, y1) = (
        (y0 / y_step).floor() * y_step,
        ((y1 / y_step).ceil() * y_step).max((y0 / y_step).floor() * y_step + y_step),
    );
    let px = |x: f64| L + (x - x0) / (x1 - x0) * (W - L - R);
    let py = |y: f64| H - B - (y - y0) / (y1 - y0) * (H - T - B);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<figure class=\"chart\" id=\"{id}\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\n\
         <title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>",
        esc(title),
        esc(desc)
    );
    let _ = writeln!(
        out,
        "<text x=\"{L}\" y=\"20\" font-weight=\"bold\">{}</text>",
        esc(title)
    );
    // Grid and y ticks.
    let mut y = y0;
    while y <= y1 + y_step * 1e-6 {
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{L}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - R,
            L - 6.0,
            py(y) + 4.0,
            tick(y, y_step),
            yy = py(y)
        );
        y += y_step;
    }
    // x ticks: whole numbers (moves, nodes), about ten of them.
    let x_step = nice_step(x1 - x0, 10.0).max(1.0);
    let mut x = (x0 / x_step).ceil() * x_step;
    while x <= x1 + 1e-9 {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{x}</text>",
            px(x),
            H - B + 16.0
        );
        x += x_step;
    }
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{L}\" x2=\"{L}\" y1=\"{T}\" y2=\"{:.1}\"/>\
         <line class=\"axis\" x1=\"{L}\" x2=\"{:.1}\" y1=\"{b:.1}\" y2=\"{b:.1}\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        H - B,
        W - R,
        (L + W - R) / 2.0,
        H - 8.0,
        esc(x_label),
        (T + H - B) / 2.0,
        esc(y_label),
        b = H - B
    );
    for (k, s) in series.iter().enumerate() {
        let class = format!("s{}", k % 3);
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let line: Vec<String> = pts
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let dash = if s.dashed {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<g class=\"series {class}\"><title>{}</title><polyline points=\"{}\"{dash}/>",
            esc(&s.name),
            line.join(" ")
        );
        for &(x, y) in &pts {
            let label = format!("{}: {x} {x_label}, {}", s.name, tick(y, y_step / 100.0));
            let _ = writeln!(
                out,
                "{}<title>{}</title>{}",
                marker_open(k, px(x), py(y)),
                esc(&label),
                marker_close(k)
            );
        }
        // Legend entry: the marker and the name, under the title.
        let (lx, ly) = (L + 10.0 + 200.0 * k as f64, 38.0);
        let _ = writeln!(
            out,
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\"{dash}/>{}{}\
             <text x=\"{:.1}\" y=\"{:.1}\" stroke=\"none\">{}</text></g>",
            lx - 8.0,
            lx + 8.0,
            marker_open(k, lx, ly),
            marker_close(k),
            lx + 14.0,
            ly + 4.0,
            esc(&s.name)
        );
    }
    out.push_str("</svg>\n");
    let _ = writeln!(out, "<figcaption>{}</figcaption>\n</figure>", esc(desc));
    out
}

/// Opens the marker of series `k` at `(x, y)`: a circle, a square or a diamond.
fn marker_open(k: usize, x: f64, y: f64) -> String {
    match k % 3 {
        0 => format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\">"),
        1 => format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"7\" height=\"7\">",
            x - 3.5,
            y - 3.5
        ),
        _ => format!(
            "<path d=\"M{x:.1},{:.1}L{:.1},{y:.1}L{x:.1},{:.1}L{:.1},{y:.1}Z\">",
            y - 5.0,
            x + 5.0,
            y + 5.0,
            x - 5.0
        ),
    }
}

/// Closes what [`marker_open`] opened.
fn marker_close(k: usize) -> &'static str {
    match k % 3 {
        0 => "</circle>",
        1 => "</rect>",
        _ => "</path>",
    }
}

/// A tick or value label with as many decimals as `step` needs.
fn tick(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::super::fixture::plan as sample_plan;
    use super::*;

    #[test]
    fn the_page_holds_the_map_the_charts_and_every_table() {
        let (plan, demand) = sample_plan();
        let html = report_html(&plan, &demand, &WorldOutline::bundled());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.ends_with("</html>\n"));
        for needle in [
            "Content-Security-Policy",
            "<h2 id=\"map\">Map</h2>",
            "class=\"node-after\"",
            "id=\"moves-chart\"",
            "<table>",
            "Before and after",
            "Node load",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
        // Nothing is fetched: no script, no external reference.
        assert!(!html.contains("<script"));
        assert!(!html.contains("http://") || !html.contains("src=\"http"));
        assert_eq!(html, report_html(&plan, &demand, &WorldOutline::bundled()));
    }

    #[test]
    fn markup_in_input_text_stays_text() {
        let (mut plan, demand) = sample_plan();
        plan.scenario.name = "<img src=x onerror=alert(1)> <script>alert(2)</script>".into();
        let html = report_html(&plan, &demand, &WorldOutline::bundled());
        assert!(
            !html.contains("<img"),
            "raw HTML from the name became markup"
        );
        assert!(
            !html.contains("<script"),
            "raw HTML from the name became markup"
        );
        assert!(html.contains("&lt;img"));
    }

    #[test]
    fn the_evaluation_page_shows_todays_nodes() {
        let (plan, demand) = sample_plan();
        let html = evaluation_html(
            "today",
            &demand,
            &plan.nodes_before,
            &plan.before,
            &WorldOutline::bundled(),
        );
        let active = plan.nodes_before.iter().filter(|n| n.active).count();
        assert_eq!(html.matches("class=\"node\"").count(), active);
        assert!(!html.contains("class=\"move\""));
        for needle in [
            "Current service: today",
            "By continent",
            "Node load",
            "Top demand cells",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
    }

    #[test]
    fn nice_steps_and_ticks() {
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(0.7, 5.0), 0.2);
        assert_eq!(nice_step(0.0, 5.0), 1.0);
        assert_eq!(tick(45.0, 5.0), "45");
        assert_eq!(tick(0.25, 0.05), "0.25");
    }
}
