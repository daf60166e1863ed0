//! The `themata` binary: parse flags, run, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc (v2, without transparent huge pages): the pipeline allocates
/// and frees many small buffers per document on several threads, where it
/// is 8-10 % faster than the system allocator for about 15 % more peak
/// memory (docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = themata::cli::Cli::parse();
    match themata::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            for line in e.lines() {
                eprintln!("themata: error: {line}");
            }
            ExitCode::from(2)
        }
    }
}
