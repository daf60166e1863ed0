//! Progress and messages on stderr for a run.
//!
//! A progress bar (`indicatif`) is drawn only when stderr is a terminal, the
//! run is not `--quiet`, and there is more than one document: in a pipe, a
//! log file or a test, stderr gets plain lines only. Messages printed while
//! the bar is drawn go above it, so lines are never garbled. With
//! `--verbose`, [`Progress::stage`] prints how long each stage took.

use std::io::IsTerminal;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The terminal side of one run.
pub struct Progress {
    bar: Mutex<Option<ProgressBar>>,
    quiet: bool,
    verbose: bool,
    stage_started: Mutex<Instant>,
}

/// Locks a mutex; a poisoned one (a panicked holder) still gives its value.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Progress {
    pub fn new(quiet: bool, verbose: bool) -> Progress {
        Progress {
            bar: Mutex::new(None),
            quiet,
            verbose,
            stage_started: Mutex::new(Instant::now()),
        }
    }

    /// Starts the bar for `n` documents (if stderr is a terminal).
    pub fn start(&self, n: usize) {
        if self.quiet || n < 2 || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(n as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{pos}/{len} documents [{wide_bar}] {percent:>3}% {elapsed} ~{eta} left",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        *lock(&self.bar) = Some(bar);
    }

    /// A handle for the worker threads: each calls `inc(1)` when it has
    /// counted a document, so the bar moves as documents finish, not as
    /// their rows are written.
    pub fn handle(&self) -> Option<ProgressBar> {
        lock(&self.bar).clone()
    }

    /// Removes the bar.
    pub fn finish(&self) {
        let bar = lock(&self.bar).take();
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
    }

    /// A line on stderr (unless --quiet), above the bar if one is drawn.
    pub fn say(&self, line: &str) {
        if self.quiet {
            return;
        }
        let bar = lock(&self.bar).clone();
        match bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// A line only with --verbose.
    pub fn detail(&self, line: &str) {
        if self.verbose {
            self.say(line);
        }
    }

    /// With --verbose, the time since the previous stage ended.
    pub fn stage(&self, name: &str) {
        if self.verbose {
            let seconds = lock(&self.stage_started).elapsed().as_secs_f64();
            self.say(&format!("time: {name:<16} {seconds:>8.3} s"));
        }
        *lock(&self.stage_started) = Instant::now();
    }
}
