//! `cdnplan`: plan where CDN nodes should stand.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::SUCCESS
}
