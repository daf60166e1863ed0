//! What an interrupted or failing run leaves: the truth, and no temp files.
//!
//! Every run in progress is registered here with its staging folder and
//! temporary files. Ctrl-C (SIGINT) or SIGTERM removes them and exits 130.
//! The switch of the output folder (and the rename of a workbook beside it)
//! happens under the same mutex the handler takes, so the handler waits for
//! a switch in progress and then says which run the folder holds:
//! `interrupted; out/ left as it was` before the switch,
//! `interrupted after out/ was replaced by this run` after it. A signal that
//! arrives before the switch took the mutex stops the switch from starting.
//!
//! [`out_of_memory`] does the same cleanup for the allocator of the binary
//! when an allocation fails, without waiting for the mutex (the failing
//! allocation may be made while it is held).
//!
//! Tests stop the binary at named points of the commit with
//! `THEMATA_TEST_PAUSE=POINT:MARKER` ([`pause`]).

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// One run's files that must not outlive it.
struct Run {
    id: u64,
    /// The output folder as the user named it.
    shown: String,
    staging: PathBuf,
    /// Temporary files beside their targets (a workbook outside the folder).
    temps: Vec<PathBuf>,
    /// After the switch: where the old tree is (removed, not restored).
    old: Option<PathBuf>,
    /// Folders this run created for the output folder (removed if empty
    /// when the run stops before the switch): (the folder, the topmost).
    created: Option<(PathBuf, PathBuf)>,
}

static RUNS: Mutex<Vec<Run>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn runs() -> MutexGuard<'static, Vec<Run>> {
    RUNS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Registers a run (and installs the signal handler once).
pub fn register(shown: String, staging: PathBuf, created: Option<(PathBuf, PathBuf)>) -> u64 {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // ctrlc refuses a second handler; the first covers every run.
        let _ = ctrlc::set_handler(on_signal);
    });
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    runs().push(Run {
        id,
        shown,
        staging,
        temps: Vec::new(),
        old: None,
        created,
    });
    id
}

/// Adds a temporary file to run `id`.
pub fn add_temp(id: u64, path: PathBuf) {
    if let Some(r) = runs().iter_mut().find(|r| r.id == id) {
        r.temps.push(path);
    }
}

/// Forgets run `id` (its files are gone or landed).
pub fn unregister(id: u64) {
    runs().retain(|r| r.id != id);
}

/// The switch of run `id`: holds the mutex the handler waits for.
pub struct Switch {
    guard: MutexGuard<'static, Vec<Run>>,
    id: u64,
}

/// Takes the mutex for the switch. After a signal it never returns: the
/// handler is already exiting, and the switch must not start.
pub fn begin(id: u64) -> Switch {
    pause("switch");
    let guard = runs();
    if INTERRUPTED.load(Ordering::SeqCst) {
        drop(guard);
        park();
    }
    Switch { guard, id }
}

impl Switch {
    /// The output folder is replaced; its old tree is at `old`.
    pub fn switched(&mut self, old: PathBuf) {
        if let Some(r) = self.guard.iter_mut().find(|r| r.id == self.id) {
            r.old = Some(old);
            r.created = None;
        }
    }

    /// A temporary file landed on its target.
    pub fn landed(&mut self, temp: &std::path::Path) {
        if let Some(r) = self.guard.iter_mut().find(|r| r.id == self.id) {
            r.temps.retain(|t| t != temp);
        }
    }
}

/// After a signal, leaves the rest to the handler (which is exiting), so
/// that a run interrupted during its switch ends with the handler's message.
pub fn settle() {
    if INTERRUPTED.load(Ordering::SeqCst) {
        park();
    }
}

/// Waits for the handler to end the process.
fn park() -> ! {
    loop {
        std::thread::park();
    }
}

/// SIGINT / SIGTERM: waits for a switch in progress, removes what the runs
/// staged (or the old tree, after a switch) and says which run the output
/// folder holds.
fn on_signal() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let runs = runs();
    let mut message = String::from("themata: interrupted");
    for r in runs.iter() {
        match &r.old {
            Some(old) => {
                let _ = fs::remove_dir_all(old);
                message = format!(
                    "themata: interrupted after {}/ was replaced by this run",
                    r.shown
                );
            }
            None => {
                remove_unswitched(r);
                if !message.contains("replaced") {
                    message = format!("themata: interrupted; {}/ left as it was", r.shown);
                }
            }
        }
    }
    eprintln!("{message}");
    std::process::exit(130);
}

fn remove_unswitched(r: &Run) {
    // Other threads go on while this one stops the run (a signal, or an
    // allocation that failed) and may still add a file to the staging
    // folder between the listing and the removal: try again a few times.
    for _ in 0..10 {
        if fs::remove_dir_all(&r.staging).is_ok() || !r.staging.exists() {
            break;
        }
    }
    for t in &r.temps {
        let _ = fs::remove_file(t);
    }
    if let Some((dir, top)) = &r.created {
        super::remove_empty_up_to(dir, top);
    }
}

/// For the binary's allocator when an allocation fails: prints one line,
/// removes the staging folders of runs not yet switched (if the mutex is
/// free) and exits 2. The caller has released its memory reserve first.
pub fn out_of_memory(size: usize) -> ! {
    let mut digits = itoa::Buffer::new();
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(b"themata: error: out of memory (an allocation of ");
    let _ = err.write_all(digits.format(size).as_bytes());
    let _ = err.write_all(b" bytes failed)");
    if let Ok(runs) = RUNS.try_lock() {
        for r in runs.iter() {
            let (pieces, what): (_, &[u8]) = match r.old {
                None => {
                    remove_unswitched(r);
                    ("; ", b"/ left as it was")
                }
                Some(_) => ("; ", b"/ was replaced by this run"),
            };
            let _ = err.write_all(pieces.as_bytes());
            let _ = err.write_all(r.shown.as_bytes());
            let _ = err.write_all(what);
        }
    }
    let _ = err.write_all(b"\n");
    std::process::exit(2);
}

/// Test hook: with `THEMATA_TEST_PAUSE=POINT:MARKER`, reaching `POINT`
/// creates the file `MARKER` and waits there until the file is removed or
/// a signal arrives, then goes on (so a signal during a switch is seen to
/// wait for it).
/// Points: `staging` (staging folder made, nothing written yet), `switch`
/// (all files staged, before the mutex),
/// `switched` (folder replaced, mutex held), `cleaned` (old tree removed).
pub fn pause(point: &str) {
    let Ok(spec) = std::env::var("THEMATA_TEST_PAUSE") else {
        return;
    };
    let Some((at, marker)) = spec.split_once(':') else {
        return;
    };
    if at != point {
        return;
    }
    if fs::write(marker, point).is_err() {
        return;
    }
    while !INTERRUPTED.load(Ordering::SeqCst) && fs::symlink_metadata(marker).is_ok() {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
