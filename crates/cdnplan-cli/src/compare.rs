//! `cdnplan compare`: scenarios and their variants solved and shown side by side.

use anyhow::{Context as _, Result, bail};
use cdnplan_io::scenario::{self, PlanOptions, Variant};

use crate::args::{CompareArgs, CompareFormat, InputArgs};
use crate::inputs::Context;
use crate::messages::{self, info};
use crate::progress::Bars;

/// Runs the subcommand.
pub fn run(ctx: &Context, a: CompareArgs, bars: &Bars) -> Result<()> {
    let paths: Vec<Option<std::path::PathBuf>> = if a.scenarios.is_empty() {
        vec![None]
    } else {
        a.scenarios.iter().cloned().map(Some).collect()
    };
    let mut variants = Vec::new();
    for p in &paths {
        let input = InputArgs {
            scenario: p.clone(),
            ..InputArgs::default()
        };
        let mut s = ctx.scenario(&input)?;
        if let Some(t) = a.time_limit {
            if let Err(e) = cdnplan_core::solve::time_limit_from_secs(t) {
                bail!("--time-limit {e}");
            }
            s.solver.time_limit_s = t;
        }
        if a.no_reassign {
            s.reassign.enabled = false;
        }
        variants.push(Variant {
            label: s.name.trim().to_string(),
            scenario: s,
        });
    }
    // Two files with one name: tell them apart by file name.
    let labels: Vec<String> = variants.iter().map(|v| v.label.clone()).collect();
    for (v, p) in variants.iter_mut().zip(&paths) {
        if labels.iter().filter(|l| **l == v.label).count() > 1
            && let Some(p) = p
        {
            v.label = format!("{} ({})", v.label, p.display());
        }
    }
    for vary in &a.vary {
        let Some((setting, values)) = vary.split_once('=') else {
            bail!("--vary {vary}: expected SETTING=V1,V2,… (e.g. max_moves=1,3,5)");
        };
        let mut next = Vec::new();
        for v in &variants {
            next.extend(
                scenario::vary(v, setting.trim(), values)
                    .with_context(|| format!("--vary {vary}"))?,
            );
        }
        variants = next;
    }
    if variants.len() < 2 {
        bail!(
            "nothing to compare: name two scenario files, or add variants with --vary \
             SETTING=V1,V2 (e.g. --vary max_moves=1,3,5)"
        );
    }
    if let Some(out) = &a.out {
        cdnplan_io::output::check_dir(out).context("cannot write the comparison")?;
    }
    let n = variants.len();
    let compared = scenario::compare(&variants, &PlanOptions::default(), bars, &mut |i, label| {
        info!("variant {}/{n}: {label}", i + 1);
    })?;
    if let Some(out) = &a.out {
        let written =
            scenario::write_comparison(out, &compared).context("cannot write the comparison")?;
        info!(
            "wrote {} to {}",
            crate::text::file_names(&written),
            out.display()
        );
    }
    let c = &compared.comparison;
    let format = if ctx.json {
        CompareFormat::Json
    } else {
        a.format
    };
    let text = match format {
        CompareFormat::Text => c.text(),
        CompareFormat::Markdown => c.markdown(),
        CompareFormat::Csv => c.csv(),
        CompareFormat::Json => c.to_json_pretty(),
    };
    messages::print(&text)?;
    Ok(())
}
