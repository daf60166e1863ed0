//! Progress and messages on stderr for a run.
//!
//! A progress bar (`indicatif`) is drawn only when stderr is a terminal, the
//! run is not `--quiet`, and there is more than one document: in a pipe, a
//! log file or a test, stderr gets plain lines only. Messages printed while
//! the bar is drawn go above it, so lines are never garbled. With
//! `--verbose`, [`Progress::stage`] prints how long each stage took.

use std::cell::{Cell, RefCell};
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The terminal side of one run.
pub struct Progress {
    bar: RefCell<Option<ProgressBar>>,
    quiet: bool,
    verbose: bool,
    stage_started: Cell<Instant>,
}

impl Progress {
    pub fn new(quiet: bool, verbose: bool) -> Progress {
        Progress {
            bar: RefCell::new(None),
            quiet,
            verbose,
            stage_started: Cell::new(Instant::now()),
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
        *self.bar.borrow_mut() = Some(bar);
    }

    /// A handle for the worker threads: each calls `inc(1)` when it has
    /// counted a document, so the bar moves as documents finish, not as
    /// chunks are written.
    pub fn handle(&self) -> Option<ProgressBar> {
        self.bar.borrow().clone()
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }

    /// A line on stderr (unless --quiet), above the bar if one is drawn.
    pub fn say(&self, line: &str) {
        if self.quiet {
            return;
        }
        match &*self.bar.borrow() {
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
            let seconds = self.stage_started.get().elapsed().as_secs_f64();
            self.say(&format!("time: {name:<16} {seconds:>8.3} s"));
        }
        self.stage_started.set(Instant::now());
    }
}
