//! Everything a scenario names, loaded and checked: demand (files or a cluster), nodes,
//! sites, countries and latency.

use std::path::Path;

use cdnplan_core::geo::CountryCode;
use cdnplan_core::{CellKind, Countries, Demand, Latency, Node, Progress, Site};

#[cfg(feature = "es")]
use super::ElasticsearchInput;
use super::{DemandInput, Scenario};
use crate::data;
use crate::error::{Error, Result};
use crate::geoip::GeoIp;
use crate::logs::{self, IngestOptions, IngestReport, LogFilter};

/// Everything a scenario names, loaded and checked.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Demand cells.
    pub demand: Demand,
    /// What ingestion saw, when the demand came from logs.
    pub ingest: Option<IngestReport>,
    /// Current nodes (with continents filled in from the country table).
    pub nodes: Vec<Node>,
    /// Candidate sites.
    pub sites: Vec<Site>,
    /// The country table.
    pub countries: Countries,
    /// Latency model with measured overrides.
    pub latency: Latency,
    /// File names the demand came from (names only, so plans do not depend on where the
    /// files sit).
    pub sources: Vec<String>,
    /// Length of the period the demand covers, in seconds, when known: the scenario's
    /// `since`..`until` window, else the span of the counted requests.
    pub window_s: Option<f64>,
    /// What the read from the cluster did, when the demand came from `[elasticsearch]`.
    #[cfg(feature = "es")]
    pub es: Option<crate::es::EsReport>,
}

impl Inputs {
    /// The candidate sites, with a site of its own for each required place written as
    /// coordinates (`"-23.55,-46.63"`: a what-if such as `plan --add-at LAT,LON`). Its id is
    /// the text as written; its country and continent are those of the nearest known place
    /// (a candidate site or a country's capital), which its city names, e.g. `"São
    /// Paulo area"`. Places written as site ids are left to the solver's own check.
    ///
    /// # Errors
    /// [`Error::Config`] naming the place when its coordinates are out of range.
    pub fn sites_for(&self, required: &[String]) -> Result<std::borrow::Cow<'_, [Site]>> {
        let mut extra: Vec<Site> = Vec::new();
        for place in required {
            let Some((lat, lon)) = place.split_once(',') else {
                continue;
            };
            let (Ok(lat), Ok(lon)) = (lat.trim().parse::<f64>(), lon.trim().parse::<f64>()) else {
                continue;
            };
            if self.sites.iter().chain(&extra).any(|x| x.id == *place) {
                continue;
            }
            let at = cdnplan_core::GeoPoint::new(lat, lon)
                .map_err(|e| Error::Config(format!("required site {place:?}: {e}")))?;
            let by_site = self.sites.iter().map(|x| {
                (
                    x.location.distance_km(&at),
                    x.city.clone(),
                    x.country,
                    x.continent,
                )
            });
            let by_capital = self.countries.iter().map(|c| {
                (
                    c.location.distance_km(&at),
                    c.name.clone(),
                    c.code,
                    c.continent,
                )
            });
            let Some((_, city, country, continent)) =
                by_site.chain(by_capital).min_by(|a, b| a.0.total_cmp(&b.0))
            else {
                return Err(Error::Config(format!(
                    "required site {place:?}: no candidate site or country to place it by"
                )));
            };
            extra.push(Site {
                id: place.clone(),
                provider: "custom".into(),
                region_code: place.clone(),
                city: format!("{city} area"),
                country,
                continent,
                location: at,
                monthly_cost_usd: None,
            });
        }
        if extra.is_empty() {
            return Ok(std::borrow::Cow::Borrowed(&self.sites));
        }
        let mut all = self.sites.clone();
        all.extend(extra);
        Ok(std::borrow::Cow::Owned(all))
    }

    /// Share of the requests counted whose viewer could not be located, when the demand came
    /// from logs that counted any.
    pub fn unlocated_share(&self) -> Option<f64> {
        self.ingest.as_ref().and_then(|r| {
            (r.requests_counted > 0)
                .then(|| 1.0 - r.requests_located() as f64 / r.requests_counted as f64)
        })
    }

    /// Loads the scenario's country table, sites, nodes, latency and demand (ingesting logs
    /// when it names logs).
    ///
    /// # Errors
    /// Whatever the loaders report, each naming its file; [`Error::Config`] for a bad preset,
    /// cell kind, time or status filter.
    pub fn load(s: &Scenario, progress: &dyn Progress) -> Result<Inputs> {
        let countries = data::load_countries(&s.network.countries)?;
        let sites = data::load_sites_checked(&s.network.sites, &countries)?;
        let mut nodes = match (&s.network.topology, &s.network.nodes) {
            (Some(t), _) => {
                let nodes = data::load_topology(t)?.nodes();
                // Operator metadata is free text on chain: check its country codes too.
                check_countries(
                    t,
                    nodes.iter().map(|n| (n.id.as_str(), n.country)),
                    &countries,
                )?;
                nodes
            }
            (None, Some(n)) => data::load_nodes_checked(n, &countries)?,
            (None, None) => {
                return Err(Error::Config(
                    "[network]: give `topology` or `nodes`".into(),
                ));
            }
        };
        fill_continents(&mut nodes, &countries);
        let mut latency = Latency::new(s.latency.model()?);
        if let Some(m) = &s.latency.measured {
            latency = data::load_measured_rtt(m, latency)?;
        }
        #[cfg(feature = "es")]
        let mut es_report = None;
        let (demand, ingest, sources) = if let Some(csv) = &s.demand.demand_csv {
            let demand = data::load_demand(csv)?;
            check_countries(
                csv,
                demand.cells.iter().map(|c| (c.id.as_str(), c.country)),
                &countries,
            )?;
            (demand, None, vec![file_name(csv)])
        } else if let Some(es) = &s.elasticsearch {
            #[cfg(feature = "es")]
            {
                let got = read_cluster(s, es, &countries, progress)?;
                es_report = Some(got.es);
                let sources = vec![format!("elasticsearch:{}", es.index.trim())];
                (got.demand, Some(got.report), sources)
            }
            #[cfg(not(feature = "es"))]
            {
                let _ = es;
                return Err(Error::Config(
                    "[elasticsearch]: this build has no Elasticsearch support (the `es` feature of cdnplan-io)".into(),
                ));
            }
        } else {
            let ingested = ingest_logs(s, &countries, progress)?;
            let sources = s.demand.logs.iter().map(|p| file_name(p)).collect();
            (ingested.demand, Some(ingested.report), sources)
        };
        let (demand, sources) = grow(s, demand, sources, &countries)?;
        demand
            .ensure_not_empty(s.objective.weighting)
            .map_err(|e| Error::Config(format!("{e}; demand came from {}", sources.join(", "))))?;
        if let Some(m) = &s.latency.measured {
            check_measured(m, &latency, &demand, &nodes, &sites)?;
        }
        let window_s = demand_window_s(&s.demand, ingest.as_ref());
        Ok(Inputs {
            demand,
            ingest,
            nodes,
            sites,
            countries,
            latency,
            sources,
            window_s,
            #[cfg(feature = "es")]
            es: es_report,
        })
    }

    /// Checks that `nodes` (today's, or a plan's result) can carry the demand's mean egress
    /// rate, when the window is known and every active node declares an egress capacity.
    ///
    /// # Errors
    /// [`Error::Model`] wrapping [`cdnplan_core::Error::Infeasible`] with a diagnosis naming
    /// both rates.
    pub fn check_capacity(&self, nodes: &[Node]) -> Result<()> {
        if let Some(w) = self.window_s {
            cdnplan_core::serving::check_egress_capacity(&self.demand, w, nodes)?;
        }
        Ok(())
    }
}

/// Applies `[demand] growth`, naming it among the sources (`growth RU×0.5`).
fn grow(
    s: &Scenario,
    demand: Demand,
    mut sources: Vec<String>,
    countries: &Countries,
) -> Result<(Demand, Vec<String>)> {
    let growth = &s.demand.growth;
    if growth.is_empty() {
        return Ok((demand, sources));
    }
    let mut by_country = std::collections::BTreeMap::new();
    for (code, &f) in growth {
        let cc = CountryCode::new(code)
            .ok()
            .filter(|cc| countries.get(*cc).is_some())
            .ok_or_else(|| {
                Error::Config(format!(
                    "[demand] growth: {code:?} is not a known ISO 3166-1 alpha-2 country code"
                ))
            })?;
        by_country.insert(cc, f);
    }
    let grown = demand
        .grown(&by_country)
        .map_err(|e| Error::Config(format!("[demand] growth: {e}")))?;
    let what: Vec<String> = by_country
        .iter()
        .map(|(cc, f)| format!("{cc}×{f}"))
        .collect();
    sources.push(format!("growth {}", what.join(" ")));
    Ok((grown, sources))
}

/// The period the demand covers: the explicit window when both ends are given, else the span
/// of the counted requests.
fn demand_window_s(d: &DemandInput, report: Option<&IngestReport>) -> Option<f64> {
    let span = |a: &str, b: &str| -> Option<f64> {
        let (a, b) = (logs::parse_time(a).ok()?, logs::parse_time(b).ok()?);
        (b > a).then(|| (b - a) as f64 / 1000.0)
    };
    if let (Some(a), Some(b)) = (&d.since, &d.until) {
        return span(a, b);
    }
    let r = report?;
    span(r.first_request.as_deref()?, r.last_request.as_deref()?)
}

/// The ingestion options a scenario's `[demand]` section describes.
///
/// # Errors
/// [`Error::Config`] for an unknown preset or cell kind, or a bad time or status filter.
pub fn ingest_options(d: &DemandInput) -> Result<IngestOptions> {
    let mut filter = LogFilter::default();
    if d.all_paths {
        filter = filter.all_paths();
    }
    if let Some(t) = &d.since {
        filter = filter.since(t)?;
    }
    if let Some(t) = &d.until {
        filter = filter.until(t)?;
    }
    if let Some(st) = &d.status {
        filter = filter.status(st.parse()?);
    }
    let cells: CellKind = d
        .cells
        .parse()
        .map_err(|e| Error::Config(format!("cells: {e}")))?;
    let mut o = IngestOptions::from_preset_name(&d.preset)?
        .cells(cells)
        .filter(filter)
        .lenient(d.lenient);
    if let Some(n) = d.threads {
        o = o.threads(n);
    }
    Ok(o)
}

fn ingest_logs(
    s: &Scenario,
    countries: &Countries,
    progress: &dyn Progress,
) -> Result<logs::Ingested> {
    let options = ingest_options(&s.demand)?;
    let db = s
        .demand
        .geoip
        .clone()
        .unwrap_or_else(data::bundled::geoip_country_db);
    let geoip = GeoIp::open(&db)?;
    logs::ingest(&s.demand.logs, &geoip, countries, &options, progress)
}

/// Reads the scenario's demand from the cluster of its `[elasticsearch]` section.
#[cfg(feature = "es")]
fn read_cluster(
    s: &Scenario,
    es: &ElasticsearchInput,
    countries: &Countries,
    progress: &dyn Progress,
) -> Result<crate::es::EsIngested> {
    let options = ingest_options(&s.demand)?;
    let conn = es.connection()?;
    let query = es.query()?;
    // Push-down on documents that carry their cell needs no GeoIP database; a missing bundled
    // database only matters when clients must be placed (and the read says so).
    let geoip = match &s.demand.geoip {
        Some(p) => Some(GeoIp::open(p)?),
        None => GeoIp::open(data::bundled::geoip_country_db()).ok(),
    };
    let client = crate::es::EsClient::connect(&conn)?;
    crate::es::demand(
        &client,
        &query,
        &options,
        geoip.as_ref(),
        countries,
        progress,
    )
}

/// Every country code of a topology's operators must be in the country table (a code such as
/// `UK` for `GB` would otherwise drop the node out of country-based rules silently).
fn check_countries<'a>(
    path: &Path,
    items: impl Iterator<Item = (&'a str, Option<cdnplan_core::CountryCode>)>,
    countries: &Countries,
) -> Result<()> {
    for (id, cc) in items {
        if let Some(cc) = cc
            && countries.get(cc).is_none()
        {
            return Err(Error::Format {
                path: path.to_path_buf(),
                reason: format!(
                    "{id}: unknown country code {cc} (not in the country table; ISO 3166-1 alpha-2, e.g. GB not UK)"
                ),
            });
        }
    }
    Ok(())
}

/// Every measured RTT must name a demand cell and a node or site: a row that names neither
/// would be ignored without a word.
fn check_measured(
    path: &Path,
    latency: &Latency,
    demand: &cdnplan_core::Demand,
    nodes: &[Node],
    sites: &[cdnplan_core::Site],
) -> Result<()> {
    let cells: std::collections::BTreeSet<&str> =
        demand.cells.iter().map(|c| c.id.as_str()).collect();
    let facilities: std::collections::BTreeSet<&str> = nodes
        .iter()
        .map(|n| n.id.as_str())
        .chain(sites.iter().map(|s| s.id.as_str()))
        .collect();
    let unknown: Vec<String> = latency
        .overrides
        .keys()
        .filter_map(|(cell, facility)| {
            let c = (!cells.contains(cell.as_str())).then(|| format!("cell {cell:?}"));
            let f =
                (!facilities.contains(facility.as_str())).then(|| format!("facility {facility:?}"));
            match (c, f) {
                (None, None) => None,
                (c, f) => Some(
                    [c, f]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" and "),
                ),
            }
        })
        .collect();
    if let Some(first) = unknown.first() {
        return Err(Error::Format {
            path: path.to_path_buf(),
            reason: format!(
                "{} measured RTT row(s) name ids that are not in the inputs, first: {first} \
                 (every row must name a demand cell id and a node or site id)",
                unknown.len()
            ),
        });
    }
    Ok(())
}

fn fill_continents(nodes: &mut [Node], countries: &Countries) {
    for n in nodes {
        if n.continent.is_none()
            && let Some(c) = n.country.and_then(|cc| countries.get(cc))
        {
            n.continent = Some(c.continent);
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
