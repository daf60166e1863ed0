//! The `themata` binary: parse flags, run, map the result to an exit code.

use std::process::ExitCode;

use mimalloc::MiMalloc;
use oom_guard::Guarded;

/// mimalloc (v2, without transparent huge pages): the pipeline allocates
/// and frees many small buffers per document on several threads, where it
/// is 8-10 % faster than the system allocator for about 15 % more peak
/// memory (docs/PERFORMANCE.md). Wrapped by [`Guarded`], which turns a
/// failed allocation into [`out_of_memory`]: one line and exit 2 instead of
/// Rust's abort (SIGABRT, exit 134) that would leave the staging folder
/// behind.
#[global_allocator]
static GLOBAL: Guarded<MiMalloc> = Guarded::new(MiMalloc, out_of_memory);

fn out_of_memory(size: usize) -> ! {
    themata::write::interrupt::out_of_memory(size)
}

fn main() -> ExitCode {
    GLOBAL.reserve();
    let cli = themata::cli::parse();
    // A panic is a bug: one line instead of Rust's message and exit 101;
    // unwinding removes the run's staging folder, and the exit code is 2.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "themata: error: internal error, a bug in themata{place}: {}; please report it",
            themata::error::one_line(&message)
        );
    }));
    match std::panic::catch_unwind(|| themata::commands::run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            for line in e.lines() {
                eprintln!("themata: error: {line}");
            }
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(2),
    }
}
