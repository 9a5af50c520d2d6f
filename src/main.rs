//! The `cyberlex` binary: parse, run, map the outcome to an exit code
//! (0 results, 1 no results, 2 error; a closed stdout pipe is not an error).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use cyberlex::cli::{self, Cli, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Through the progress bar on screen, so a warning never cuts through it.
        .with_writer(cyberlex::logging::StderrThroughBar)
        // Colour codes only on a terminal (never in a log file), and never with NO_COLOR.
        .with_ansi(
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .with_target(false)
        .init();
    match cli::run(cli) {
        Ok(Outcome::Found) => ExitCode::SUCCESS,
        Ok(Outcome::NothingFound) => ExitCode::from(1),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
