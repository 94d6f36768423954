//! `cdnplan completions` and `cdnplan man`: the command described to a shell and to `man`,
//! generated from the same clap definitions as `--help`.

use std::io::Write as _;

use anyhow::{Context as _, Result, bail};

use crate::args::{CompletionsArgs, ManArgs, command};

/// Prints the completion script for `a.shell`.
pub fn completions(a: &CompletionsArgs) -> Result<()> {
    let mut cmd = command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "cdnplan", &mut out);
    std::io::stdout()
        .write_all(&out)
        .context("cannot write the completion script")
}

/// Prints the man page of cdnplan or of `a.command`.
pub fn man(a: &ManArgs) -> Result<()> {
    let cmd = command();
    let man = match &a.command {
        None => clap_mangen::Man::new(cmd),
        Some(name) => {
            let Some(sub) = cmd.find_subcommand(name).cloned() else {
                let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                bail!("no command {name:?} (commands: {})", names.join(", "));
            };
            clap_mangen::Man::new(sub).title(format!("cdnplan-{name}"))
        }
    };
    let mut out = Vec::new();
    man.render(&mut out).context("cannot render the man page")?;
    std::io::stdout()
        .write_all(&out)
        .context("cannot write the man page")
}
