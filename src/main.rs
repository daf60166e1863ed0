//! The `themata` binary: parse flags, run, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = themata::cli::Cli::parse();
    match themata::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "themata: error: {}",
                themata::error::one_line(&e.to_string())
            );
            ExitCode::from(2)
        }
    }
}
