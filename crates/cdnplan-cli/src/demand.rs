//! `cdnplan demand`: request logs → demand cells.

use anyhow::{Context as _, Result};
use cdnplan_core::capacity::PeakSource;
use cdnplan_core::plan::demand_csv;
use cdnplan_io::geoip::GeoIp;
use cdnplan_io::scenario::{DemandInput, ingest_options};
use cdnplan_io::{data, logs, output};

use crate::args::DemandArgs;
use crate::inputs::Context;
use crate::messages::{self, info};
use crate::progress::Bars;

/// Runs the subcommand.
pub fn run(ctx: &Context, a: DemandArgs, bars: &Bars) -> Result<()> {
    let l = &a.log;
    let input = DemandInput {
        logs: a.logs.clone(),
        demand_csv: None,
        preset: l.preset.clone().unwrap_or_else(|| "argus".into()),
        geoip: l.geoip.clone(),
        cells: l.cells.clone().unwrap_or_else(|| "country".into()),
        since: l.since.clone(),
        until: l.until.clone(),
        status: l.status.clone(),
        all_paths: l.all_paths,
        lenient: l.lenient,
        threads: l.threads,
        growth: Default::default(),
    };
    let countries_path = a
        .countries
        .clone()
        .unwrap_or_else(|| ctx.data_file(data::bundled::COUNTRIES));
    let countries = data::load_countries(&countries_path)?;
    let (ingested, options) = if crate::es::wanted(&a.es) {
        if !a.logs.is_empty() {
            anyhow::bail!("give either log files or --es/--index, not both");
        }
        let got = crate::es::demand(ctx, &a.es, l, &countries, bars)?;
        let (options, _) = crate::es::options(l, "argus")?;
        (
            logs::Ingested {
                demand: got.demand,
                report: got.report,
            },
            options,
        )
    } else {
        let options = ingest_options(&input).context("invalid log options")?;
        let db = input
            .geoip
            .clone()
            .unwrap_or_else(|| ctx.data_file(data::bundled::GEOIP_COUNTRY));
        let geoip = GeoIp::open(&db)?;
        let ingested = logs::ingest(&input.logs, &geoip, &countries, &options, bars)
            .map_err(|e| crate::inputs::name_logs(e, &input.logs))
            .context("cannot read the request logs")?;
        (ingested, options)
    };
    let demand = &ingested.demand;
    crate::inputs::report_ingestion(&ingested.report);
    demand
        .ensure_not_empty(cdnplan_core::Weighting::Requests)
        .with_context(|| format!("filters: {}", options.filter.describe()))?;
    if let Some(out) = &a.output {
        output::write_atomic(out, demand_csv(demand, None).as_bytes())?;
        info!("wrote {} cells to {}", demand.cells.len(), out.display());
    }
    let text = if ctx.json {
        let doc = serde_json::json!({
            "type": "demand",
            "version": 1,
            "cells": demand.cells,
            "kind": demand.kind,
            "hourly": demand.hourly,
            "peak": PeakSource::of(demand, None),
            "report": ingested.report,
        });
        format!("{}\n", serde_json::to_string_pretty(&doc)?)
    } else {
        format!(
            "{} cells ({}), {} requests, {} bytes\n{}\n{}",
            demand.cells.len(),
            demand.kind,
            demand.total_requests(),
            demand.cells.iter().map(|c| c.bytes).sum::<u64>(),
            PeakSource::of(demand, None),
            cdnplan_core::plan::top_cells_text(demand, a.top)
        )
    };
    messages::print(&text)?;
    Ok(())
}
