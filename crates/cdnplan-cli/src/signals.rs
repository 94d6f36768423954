//! SIGINT and SIGTERM: remove the temporaries of an unfinished write, then exit.
//!
//! A thread waits for either signal, calls
//! [`cdnplan_io::output::abandon_temporaries`] (which waits while outputs are being moved into
//! place, so they end complete), closes the points in time and scrolls still open on a
//! cluster ([`cdnplan_io::es::release_open_contexts`]) and exits with 128 + the signal's
//! number: 130 for SIGINT, 143 for SIGTERM. An interrupted run leaves the previous outputs as they were and no
//! `.cdnplan-*` temporary.

/// Installs the handler; without it (it cannot be installed) a signal kills the process the
/// default way, which may leave temporaries behind, and a warning says so.
#[cfg(unix)]
pub fn install() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let handled = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).and_then(|mut signals| {
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    let removed = cdnplan_io::output::abandon_temporaries();
                    // Points in time and scrolls would live on the cluster until their
                    // keep-alive ends: close them now, each within a few seconds.
                    let released =
                        cdnplan_io::es::release_open_contexts(std::time::Duration::from_secs(3));
                    let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
                    let what = match removed {
                        0 => String::new(),
                        n => format!("; removed {n} unfinished output(s), the previous ones stay"),
                    };
                    let what = match released {
                        0 => what,
                        n => format!("{what}; released {n} search context(s) on the cluster"),
                    };
                    crate::messages::stderr(&format!("cdnplan: interrupted by {name}{what}\n"));
                    std::process::exit(128 + sig);
                }
            })
            .map(|_| ())
    });
    if let Err(e) = handled {
        crate::messages::warning!(
            "cannot handle SIGINT/SIGTERM ({e}): an interrupt may leave temporary files"
        );
    }
}

/// Nothing to install off Unix.
#[cfg(not(unix))]
pub fn install() {}
