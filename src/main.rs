//! The `themata` binary: parse flags, run, map the result to an exit code.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use mimalloc::MiMalloc;

/// mimalloc (v2, without transparent huge pages): the pipeline allocates
/// and frees many small buffers per document on several threads, where it
/// is 8-10 % faster than the system allocator for about 15 % more peak
/// memory (docs/PERFORMANCE.md). Wrapped by [`Guarded`].
#[global_allocator]
static GLOBAL: Guarded = Guarded;

/// mimalloc, with a failed allocation turned into one line and exit 2
/// instead of Rust's abort (SIGABRT, exit 134) that would leave the
/// staging folder behind. After the first failure every thread allocates
/// from the system allocator (whose small `brk`/`mmap` steps still fit
/// where mimalloc's large segments do not) and frees nothing, since the
/// process is about to exit; [`RESERVE`] is released first, so that the
/// message and the removal of the staging folder have room.
struct Guarded;

/// Address space set aside at start (from the system allocator, which
/// returns it to the kernel when freed).
static RESERVE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
const RESERVE_LAYOUT: Layout = match Layout::from_size_align(16 << 20, 4096) {
    Ok(l) => l,
    Err(_) => panic!("reserve layout"),
};

/// An allocation failed: from now on, [`System`] and no frees.
static FAILED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// This thread is reporting the failure.
    static REPORTING: Cell<bool> = const { Cell::new(false) };
}

#[cold]
fn out_of_memory(size: usize) -> ! {
    if REPORTING.get() {
        // Failed again while cleaning up: exit without it.
        std::process::exit(2);
    }
    if FAILED.swap(true, Ordering::SeqCst) {
        // Another thread is reporting; it ends the process.
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
    REPORTING.set(true);
    let reserve = RESERVE.swap(std::ptr::null_mut(), Ordering::SeqCst);
    if !reserve.is_null() {
        // SAFETY: `reserve` came from `System` with RESERVE_LAYOUT and the
        // swap hands it to this call only.
        unsafe { System.dealloc(reserve, RESERVE_LAYOUT) };
    }
    themata::write::interrupt::out_of_memory(size)
}

/// A pointer, or the out-of-memory exit.
fn checked(p: *mut u8, size: usize) -> *mut u8 {
    if p.is_null() {
        out_of_memory(size);
    }
    p
}

// SAFETY: calls are forwarded to mimalloc with the caller's arguments, or
// after a failure served by `System` (frees then leak, which is sound); a
// null result never returns (the process exits).
unsafe impl GlobalAlloc for Guarded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = match FAILED.load(Ordering::Relaxed) {
            false => unsafe { MiMalloc.alloc(layout) },
            true => unsafe { System.alloc(layout) },
        };
        checked(p, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = match FAILED.load(Ordering::Relaxed) {
            false => unsafe { MiMalloc.alloc_zeroed(layout) },
            true => unsafe { System.alloc_zeroed(layout) },
        };
        checked(p, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !FAILED.load(Ordering::Relaxed) {
            unsafe { MiMalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !FAILED.load(Ordering::Relaxed) {
            let p = unsafe { MiMalloc.realloc(ptr, layout, new_size) };
            if !p.is_null() {
                return p;
            }
            out_of_memory(new_size);
        }
        // SAFETY (as `GlobalAlloc::realloc` requires): `new_size` with the
        // old alignment is a valid layout; the old block stays allocated.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let p = checked(unsafe { System.alloc(new) }, new_size);
        unsafe { std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size)) };
        p
    }
}

fn main() -> ExitCode {
    // SAFETY: RESERVE_LAYOUT has a non-zero size.
    let reserve = unsafe { System.alloc(RESERVE_LAYOUT) };
    RESERVE.store(reserve, Ordering::SeqCst);
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
