//! Scenarios side by side: variants of scenarios ([`vary`]), each planned through
//! [`plan()`](super::plan()) with the inputs loaded once per distinct set, and ranked in a
//! [`Comparison`] ([`compare`]), written as `compare.md`, `compare.csv`, `compare.json` and
//! `compare.html` in one transaction ([`write_comparison`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cdnplan_core::Progress;
use cdnplan_core::plan::{Comparison, WorldOutline};

use super::{Inputs, PlanError, PlanOptions, Planned, Scenario, plan};
use crate::error::{Error, Result};
use crate::output::OutputDir;

/// The files [`write_comparison`] writes, in order.
pub const COMPARE_FILES: [&str; 4] = ["compare.md", "compare.csv", "compare.json", "compare.html"];

/// A scenario to compare, under the label its row carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// E.g. `default max_moves=3`.
    pub label: String,
    /// The scenario, checked.
    pub scenario: Scenario,
}

/// Why variants could not be compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompareError {
    /// A variant's scenario is invalid (e.g. a coverage objective without its threshold).
    #[error("variant \"{label}\" is not a valid scenario")]
    Invalid {
        /// The variant.
        label: String,
        /// Why.
        #[source]
        source: Box<Error>,
    },
    /// A variant's inputs could not be loaded.
    #[error("cannot load the inputs of variant \"{label}\"")]
    Inputs {
        /// The variant.
        label: String,
        /// Why.
        #[source]
        source: Box<Error>,
    },
    /// A variant could not be planned.
    #[error("cannot plan variant \"{label}\"")]
    Plan {
        /// The variant.
        label: String,
        /// Why.
        #[source]
        source: Box<PlanError>,
    },
}

/// Planned variants and their ranking.
#[derive(Debug, Clone)]
pub struct Compared {
    /// Each variant's label and plan, in the order given.
    pub planned: Vec<(String, Planned)>,
    /// The ranking.
    pub comparison: Comparison,
}

/// Splits `values` at the commas outside brackets, braces and quotes: `1,3,5` or
/// `{ RU = 0.5 },{ RU = 2.0 }`.
fn split_values(values: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quote) = (Vec::new(), String::new(), 0i32, None);
    for c in values.chars() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('[' | '{', None) => depth += 1,
            (']' | '}', None) => depth -= 1,
            (',', None) if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// The TOML value written `raw`: a number, boolean, array or inline table as TOML reads it,
/// else the text as a string (`kind=coverage` needs no quotes).
fn toml_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

/// The section path of `setting` in `table`: as written when dotted
/// (`constraints.max_moves`), else the one section holding a key of that name.
fn setting_path(table: &toml::Table, setting: &str) -> Result<Vec<String>> {
    if setting.contains('.') {
        return Ok(setting.split('.').map(str::to_string).collect());
    }
    if table.contains_key(setting) {
        return Ok(vec![setting.to_string()]);
    }
    let holders: Vec<&String> = table
        .iter()
        .filter(|(_, v)| v.as_table().is_some_and(|t| t.contains_key(setting)))
        .map(|(k, _)| k)
        .collect();
    match holders.as_slice() {
        [one] => Ok(vec![(*one).clone(), setting.to_string()]),
        [] => Err(Error::Config(format!(
            "vary: no setting `{setting}` in the scenario; name it with its section, e.g. \
             `objective.threshold_ms`"
        ))),
        many => Err(Error::Config(format!(
            "vary: `{setting}` is in several sections ({}); name it with its section, e.g. \
             `{}.{setting}`",
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            many[0]
        ))),
    }
}

/// Variants of `base` with `setting` (a scenario key, dotted with its section or bare when
/// one section holds it: `max_moves`, `objective.kind`, `demand.growth`) set to each of
/// `values` (comma-separated TOML values: `1,3,5`, `coverage,mean_rtt`,
/// `{ RU = 0.5 },{ RU = 2.0 }`), labelled `{label} {setting}={value}`.
///
/// The variants are not checked here: one setting may need another (a coverage objective
/// needs its threshold); [`compare`] checks each before planning.
///
/// # Errors
/// [`Error::Config`] naming the setting when it is unknown or ambiguous, or when a value
/// does not fit it.
pub fn vary(base: &Variant, setting: &str, values: &str) -> Result<Vec<Variant>> {
    let table = toml::Table::try_from(&base.scenario)
        .map_err(|e| Error::Config(format!("vary: cannot represent the scenario: {e}")))?;
    let path = setting_path(&table, setting)?;
    split_values(values)
        .into_iter()
        .map(|raw| {
            if raw.is_empty() {
                return Err(Error::Config(format!(
                    "vary {setting}: an empty value in `{values}`"
                )));
            }
            let mut t = table.clone();
            let mut at = &mut t;
            for key in &path[..path.len() - 1] {
                at = at
                    .entry(key.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                    .as_table_mut()
                    .ok_or_else(|| {
                        Error::Config(format!("vary {setting}: `{key}` is not a section"))
                    })?;
            }
            at.insert(path[path.len() - 1].clone(), toml_value(&raw));
            let scenario: Scenario = toml::Value::Table(t)
                .try_into()
                .map_err(|e| Error::Config(format!("vary {setting}={raw}: {e}")))?;
            Ok(Variant {
                label: format!("{} {setting}={raw}", base.label),
                scenario,
            })
        })
        .collect()
}

/// What decides a scenario's inputs: demand, network, latency, cluster and weighting.
fn inputs_key(s: &Scenario) -> String {
    serde_json::to_string(&(
        &s.demand,
        &s.network,
        &s.latency,
        &s.elasticsearch,
        &s.objective.weighting,
    ))
    .unwrap_or_default()
}

/// Plans every variant (the inputs loaded once for the variants that share them) and ranks
/// them. `on_variant` is called before each variant is planned, with its place and label.
///
/// # Errors
/// [`CompareError`] naming the variant that is invalid or whose inputs or plan failed;
/// every variant is checked before the first is planned.
pub fn compare(
    variants: &[Variant],
    options: &PlanOptions,
    progress: &dyn Progress,
    on_variant: &mut dyn FnMut(usize, &str),
) -> std::result::Result<Compared, CompareError> {
    for v in variants {
        v.scenario.check().map_err(|source| CompareError::Invalid {
            label: v.label.clone(),
            source: Box::new(source),
        })?;
    }
    let mut loaded: BTreeMap<String, Inputs> = BTreeMap::new();
    let mut planned = Vec::with_capacity(variants.len());
    for (i, v) in variants.iter().enumerate() {
        on_variant(i, &v.label);
        let key = inputs_key(&v.scenario);
        if !loaded.contains_key(&key) {
            let inputs =
                Inputs::load(&v.scenario, progress).map_err(|source| CompareError::Inputs {
                    label: v.label.clone(),
                    source: Box::new(source),
                })?;
            loaded.insert(key.clone(), inputs);
        }
        let inputs = &loaded[&key];
        let p =
            plan(&v.scenario, inputs, options, progress).map_err(|source| CompareError::Plan {
                label: v.label.clone(),
                source: Box::new(source),
            })?;
        planned.push((v.label.clone(), p));
    }
    let rows: Vec<(String, &cdnplan_core::plan::Plan)> =
        planned.iter().map(|(l, p)| (l.clone(), &p.plan)).collect();
    let comparison = Comparison::new(&rows);
    Ok(Compared {
        planned,
        comparison,
    })
}

/// Writes [`COMPARE_FILES`] as the whole content of `dir`, in one transaction (see
/// [`OutputDir`]). Returns the paths written.
///
/// # Errors
/// As [`OutputDir::begin`] and [`OutputDir::commit`]; [`Error::Io`] naming the file that
/// could not be written, the previous outputs then left as they were.
pub fn write_comparison(dir: &Path, compared: &Compared) -> Result<Vec<PathBuf>> {
    let c = &compared.comparison;
    let plans: Vec<(String, &cdnplan_core::plan::Plan, &cdnplan_core::Demand)> = compared
        .planned
        .iter()
        .map(|(l, p)| (l.clone(), &p.plan, &p.demand))
        .collect();
    let bodies = [
        c.markdown(),
        c.csv(),
        c.to_json_pretty(),
        c.html(&plans, &WorldOutline::bundled()),
    ];
    let mut out = OutputDir::begin(dir)?;
    let written = COMPARE_FILES
        .iter()
        .zip(bodies)
        .map(|(name, body)| out.write(name, body.as_bytes()))
        .collect::<Result<Vec<_>>>()?;
    out.commit()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Variant {
        let path = crate::data::bundled_data_dir().join("scenarios/default.toml");
        Variant {
            label: "default".into(),
            scenario: Scenario::load(&path).unwrap(),
        }
    }

    #[test]
    fn values_split_outside_brackets_and_quotes() {
        assert_eq!(split_values("1,3,5"), ["1", "3", "5"]);
        assert_eq!(
            split_values("{ RU = 0.5, BR = 2.0 },{ RU = 1 }"),
            ["{ RU = 0.5, BR = 2.0 }", "{ RU = 1 }"]
        );
        assert_eq!(split_values("\"a,b\",c"), ["\"a,b\"", "c"]);
    }

    #[test]
    fn vary_sets_bare_and_dotted_settings() {
        let b = base();
        let v = vary(&b, "max_moves", "1,3,5").unwrap();
        let k: Vec<usize> = v.iter().map(|v| v.scenario.constraints.max_moves).collect();
        assert_eq!(k, [1, 3, 5]);
        assert_eq!(v[0].label, "default max_moves=1");
        // Everything else is the base scenario, paths included.
        let mut same = v[1].scenario.clone();
        same.constraints.max_moves = b.scenario.constraints.max_moves;
        assert_eq!(same, b.scenario);
        let g = vary(&b, "demand.growth", "{ RU = 0.5 }").unwrap();
        assert_eq!(g[0].scenario.demand.growth.get("RU"), Some(&0.5));
        let o = vary(&b, "objective.threshold_ms", "100").unwrap();
        assert_eq!(o[0].scenario.objective.threshold_ms, Some(100.0));
    }

    #[test]
    fn vary_names_what_is_wrong() {
        let b = base();
        let e = vary(&b, "max_move", "1").unwrap_err().to_string();
        assert!(e.contains("no setting `max_move`"), "{e}");
        let e = vary(&b, "constraints.max_move", "1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_move"), "{e}");
        let e = vary(&b, "max_moves", "-1").unwrap_err().to_string();
        assert!(e.contains("vary max_moves=-1"), "{e}");
        let e = vary(&b, "max_moves", "1,,2").unwrap_err().to_string();
        assert!(e.contains("empty value"), "{e}");
    }
}
