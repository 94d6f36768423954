//! Human outputs of a reassignment: a Markdown checklist, the lead's shell script, and the
//! metadata files the metadata calls read.

use std::fmt::Write as _;

use super::Reassignment;
use super::call::Actor;
use super::migrate::{Item, Phase};
use super::target::FamilyAction;

/// The metadata files (path relative to the plan directory, JSON contents) the plan's
/// metadata calls read, in call order.
pub fn metadata_files(r: &Reassignment) -> Vec<(String, String)> {
    r.migration
        .calls()
        .filter_map(|c| Some((c.metadata_file()?, c.metadata_json()?)))
        .collect()
}

/// The plan as a Markdown checklist: summary, family and node decisions, then every call and
/// wait point by phase, with actor, command line and runtime call.
pub fn markdown(r: &Reassignment, title: &str) -> String {
    let mut s = String::new();
    let c = &r.migration.cost;
    let _ = writeln!(s, "# {title}\n");
    let _ = writeln!(
        s,
        "{}; per-bag calls listed in groups of up to {} (each `leader:update-bag` is its own transaction: nothing is batched on chain). {}. Replayed on the runtime-rules simulator: every call legal, no bag lost a region it was served in ({} bag–region pairs checked after each call), end state equals the target; a Channel bag created at any point is checked too (see Checks).\n",
        c.calls_summary(),
        r.migration.batch_size,
        c.bags_summary(),
        r.replay.covered_pairs,
    );
    s.push_str(&r.layout.unknowns.markdown());
    s.push_str(&super::checks::markdown(&r.replay.checks));
    let _ = writeln!(s, "## Families\n");
    let _ = writeln!(s, "| Family | Action | Before | After | Nodes after |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for f in &r.layout.families {
        let action = match f.action {
            FamilyAction::Keep => "keep",
            FamilyAction::Relabel => "relabel",
            FamilyAction::Create => "create",
            FamilyAction::Delete => "delete",
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            f.family,
            action,
            f.before.as_deref().unwrap_or("—"),
            f.after.as_deref().unwrap_or("—"),
            if f.nodes.is_empty() {
                "—".to_string()
            } else {
                f.nodes.join(", ")
            }
        );
    }
    let _ = writeln!(s, "\n## Nodes\n");
    let _ = writeln!(s, "| Node | Place | Region | Buckets now | Buckets after |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    let ids = |v: &[crate::topology::BucketId]| {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    for n in &r.layout.nodes {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {}{} |",
            n.node,
            n.place,
            n.region.as_deref().unwrap_or("unknown (stays)"),
            ids(&n.from),
            ids(&n.to),
            if n.moves() { " (moves)" } else { "" }
        );
    }
    let _ = writeln!(
        s,
        "\n## Steps\n\nCommands are `joystream-distributor` commands (run as `yarn joystream-distributor <cmd> -c config.yml -y` from `distributor-node/`, or `docker compose run --rm distributor <cmd>`). Metadata files are in `metadata/` beside this file. Ids of created families and buckets are the ones the runtime hands out next; check each create command's output before going on."
    );
    let mut phase: Option<Phase> = None;
    let mut batch: Option<usize> = None;
    for item in &r.migration.items {
        let p = match item {
            Item::Call { phase, .. } | Item::Wait { phase, .. } => *phase,
        };
        if phase != Some(p) {
            let _ = writeln!(s, "\n### {}\n", p.title());
            phase = Some(p);
            batch = None;
        }
        match item {
            Item::Wait { actor, what, .. } => {
                let _ = writeln!(s, "- [ ] **wait** ({actor}): {what}");
            }
            Item::Call { call, batch: b, .. } => {
                if *b != batch {
                    if let Some(n) = b {
                        let size = r
                            .migration
                            .items
                            .iter()
                            .filter(|i| matches!(i, Item::Call { batch: Some(x), .. } if x == n))
                            .count();
                        let _ = writeln!(s, "- group {n} ({size} calls, one transaction each):");
                    }
                    batch = *b;
                }
                let indent = if b.is_some() { "  " } else { "" };
                let _ = writeln!(
                    s,
                    "{indent}- [ ] **{}** `{}` — `{}`",
                    call.actor(),
                    call.cli_command(),
                    call.runtime_call()
                );
            }
        }
    }
    s
}

/// The lead's commands as a bash script. Operator steps and wait points stop the script until
/// the lead presses Enter; metadata files are read from `metadata/` beside the script.
pub fn shell_script(r: &Reassignment) -> String {
    let mut s = String::from(
        "#!/usr/bin/env bash\n\
         # The lead's calls of a cdnplan reassignment, in order. Operator calls are listed as\n\
         # comments; the script waits for them (and for each wait point) before going on.\n\
         # JOYSTREAM_DISTRIBUTOR: the CLI (default: yarn joystream-distributor);\n\
         # CONFIG_PATH: the lead's distributor config (default: ./config.yml).\n\
         set -euo pipefail\n\
         cd \"$(dirname \"$0\")\"\n\
         CLI=${JOYSTREAM_DISTRIBUTOR:-\"yarn joystream-distributor\"}\n\
         CONFIG=${CONFIG_PATH:-./config.yml}\n\
         run() { echo \"+ $*\" >&2; $CLI \"$@\" -c \"$CONFIG\" -y; }\n\
         pause() { read -r -p \"$* — press Enter to go on \" _ </dev/tty; }\n",
    );
    let mut phase: Option<Phase> = None;
    let mut operator_block = false;
    for item in &r.migration.items {
        let p = match item {
            Item::Call { phase, .. } | Item::Wait { phase, .. } => *phase,
        };
        if phase != Some(p) {
            if operator_block {
                s.push_str("pause \"operators have made the calls above\"\n");
                operator_block = false;
            }
            let _ = writeln!(s, "\n# --- {}", p.title());
            phase = Some(p);
        }
        match item {
            Item::Wait { actor, what, .. } => {
                let _ = writeln!(
                    s,
                    "pause {}",
                    shell_quote(&format!("wait ({actor}): {what}"))
                );
            }
            Item::Call { call, .. } => match call.actor() {
                Actor::Lead => {
                    let _ = writeln!(s, "run {}", call.cli_command());
                }
                Actor::Operator => {
                    operator_block = true;
                    let _ = writeln!(s, "# operator: {}", call.cli_command());
                }
            },
        }
    }
    if operator_block {
        s.push_str("pause \"operators have made the calls above\"\n");
    }
    s.push_str("echo \"reassignment complete\" >&2\n");
    s
}

fn shell_quote(t: &str) -> String {
    format!("'{}'", t.replace('\'', "'\\''"))
}
