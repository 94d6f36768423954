//! `cdnplan synth`: deterministic synthetic request logs (benchmarks, the shipped snapshot).

use anyhow::{Context as _, Result};
use cdnplan_core::CountryCode;
use cdnplan_io::geoip::GeoIp;
use cdnplan_io::logs::parse_time;
use cdnplan_io::synth::{SynthSpec, write_ndjson};
use cdnplan_io::{data, output};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::args::SynthArgs;
use crate::inputs::Context;
use crate::messages::info;
use crate::progress::Bars;

/// Runs the subcommand.
pub fn run(ctx: &Context, a: SynthArgs, _bars: &Bars) -> Result<()> {
    let mut spec = SynthSpec {
        seed: a.seed,
        requests: a.requests,
        bytes_target: a.bytes,
        visitors: u32::try_from(a.visitors).context("--visitors is too large")?,
        start_ms: parse_time(&a.start).context("--start")?,
        end_ms: parse_time(&a.end).context("--end")?,
        nodes: a.nodes.clone(),
        ..SynthSpec::default()
    };
    if let Some(shares) = &a.shares {
        spec.shares = parse_shares(shares)?;
    }
    let countries = data::load_countries(
        &a.countries
            .clone()
            .unwrap_or_else(|| ctx.data_file(data::bundled::COUNTRIES)),
    )?;
    let geoip = GeoIp::open(
        a.geoip
            .clone()
            .unwrap_or_else(|| ctx.data_file(data::bundled::GEOIP_COUNTRY)),
    )?;
    let gz = a.output.extension().is_some_and(|e| e == "gz");
    let mut summary = None;
    output::write_atomic_with(&a.output, |w| {
        let s = if gz {
            let mut enc = GzEncoder::new(w, Compression::new(9));
            let s = write_ndjson(&spec, &geoip, &countries, &mut enc);
            enc.finish()?.flush()?;
            s
        } else {
            write_ndjson(&spec, &geoip, &countries, w)
        };
        summary = Some(s.map_err(std::io::Error::other)?);
        Ok(())
    })
    .with_context(|| format!("cannot write {}", a.output.display()))?;
    if let Some(s) = summary {
        info!(
            "wrote {} requests from {} visitors ({} bytes uncompressed) to {}",
            s.requests,
            s.visitors,
            s.bytes,
            a.output.display()
        );
    }
    Ok(())
}

/// `RU=20.5,UA=12.3` → shares as fractions.
fn parse_shares(s: &str) -> Result<Vec<(CountryCode, f64)>> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (cc, pct) = p
                .split_once('=')
                .with_context(|| format!("--shares: expected CC=PERCENT, got {p:?}"))?;
            let cc = CountryCode::new(cc).with_context(|| format!("--shares: {p:?}"))?;
            let pct: f64 = pct
                .trim()
                .parse()
                .with_context(|| format!("--shares: not a percentage in {p:?}"))?;
            anyhow::ensure!(
                (0.0..=100.0).contains(&pct),
                "--shares: {p:?} is outside 0..100 %"
            );
            Ok((cc, pct / 100.0))
        })
        .collect()
}
