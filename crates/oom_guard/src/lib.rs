//! A global allocator wrapper that turns a failed allocation into a call of
//! the program's own handler instead of Rust's abort (SIGABRT, exit 134),
//! so that the program can say so in one line and clean up.
//!
//! This is the only `unsafe` code of themata. It lives in a crate of its
//! own, with no dependencies, so that CI runs its tests under Miri
//! (`cargo +nightly miri test -p oom_guard`, see `.ci/run`), which cannot
//! run the C allocator (mimalloc) the binary wraps: the tests wrap the
//! system allocator instead.
//!
//! After the first failure every thread allocates from the system allocator
//! (whose small `brk`/`mmap` steps still fit where a large allocator
//! segment does not) and frees nothing, since the process is about to
//! exit; the reserve set aside by [`Guarded::reserve`] is released first,
//! so that the message and the cleanup have room.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// Address space set aside at start, released when an allocation fails.
const RESERVE_LAYOUT: Layout = match Layout::from_size_align(16 << 20, 4096) {
    Ok(l) => l,
    Err(_) => panic!("reserve layout"),
};

thread_local! {
    /// This thread is running the failure handler.
    static REPORTING: Cell<bool> = const { Cell::new(false) };
}

/// `inner` until an allocation fails; then `handler` (which must end the
/// process) and, for the allocations the handler and other threads still
/// make, [`System`] without frees.
pub struct Guarded<A> {
    inner: A,
    handler: fn(usize) -> !,
    failed: AtomicBool,
    reserve: AtomicPtr<u8>,
}

impl<A: GlobalAlloc> Guarded<A> {
    /// Wraps `inner`; `handler` gets the size of the failed allocation.
    pub const fn new(inner: A, handler: fn(usize) -> !) -> Self {
        Guarded {
            inner,
            handler,
            failed: AtomicBool::new(false),
            reserve: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// Sets 16 MiB of address space aside (from [`System`], which returns
    /// it to the kernel when freed) for the handler. Call once at start.
    pub fn reserve(&self) {
        // SAFETY: RESERVE_LAYOUT has a non-zero size.
        let block = unsafe { System.alloc(RESERVE_LAYOUT) };
        let old = self.reserve.swap(block, Ordering::SeqCst);
        self.release(old);
    }

    /// Whether an allocation has failed.
    pub fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    fn release(&self, block: *mut u8) {
        if !block.is_null() {
            // SAFETY: every non-null reserve came from `System` with
            // RESERVE_LAYOUT, and the swap that took it hands it to one call.
            unsafe { System.dealloc(block, RESERVE_LAYOUT) };
        }
    }

    #[cold]
    fn out_of_memory(&self, size: usize) -> ! {
        if REPORTING.get() {
            // Failed again inside the handler: exit without it.
            std::process::exit(2);
        }
        if self.failed.swap(true, Ordering::SeqCst) {
            // Another thread runs the handler; it ends the process.
            loop {
                std::thread::park();
            }
        }
        REPORTING.set(true);
        self.release(self.reserve.swap(std::ptr::null_mut(), Ordering::SeqCst));
        (self.handler)(size)
    }

    /// A pointer, or the handler.
    fn checked(&self, p: *mut u8, size: usize) -> *mut u8 {
        if p.is_null() {
            self.out_of_memory(size);
        }
        p
    }
}

// SAFETY: calls are forwarded to `inner` with the caller's arguments, or
// after a failure served by `System` (frees then leak, which is sound); a
// null result never returns (the handler ends the process).
unsafe impl<A: GlobalAlloc> GlobalAlloc for Guarded<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = match self.has_failed() {
            false => unsafe { self.inner.alloc(layout) },
            true => unsafe { System.alloc(layout) },
        };
        self.checked(p, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = match self.has_failed() {
            false => unsafe { self.inner.alloc_zeroed(layout) },
            true => unsafe { System.alloc_zeroed(layout) },
        };
        self.checked(p, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.has_failed() {
            unsafe { self.inner.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.has_failed() {
            let p = unsafe { self.inner.realloc(ptr, layout, new_size) };
            return self.checked(p, new_size);
        }
        // After a failure (a block `inner` gave out, or one from `System`):
        // a new block from `System`, the old one kept. SAFETY (as
        // `GlobalAlloc::realloc` requires): `new_size` with the old
        // alignment is a valid layout.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let p = self.checked(unsafe { System.alloc(new) }, new_size);
        unsafe { std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size)) };
        p
    }
}

#[cfg(test)]
mod tests {
    //! Run under Miri in CI (with `-Zmiri-ignore-leaks`: after a failure
    //! the wrapper leaks on purpose). The handler here panics so that a
    //! test can observe it; in the binary it ends the process.
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    fn panics(size: usize) -> ! {
        panic!("out of memory: {size}")
    }

    /// An allocator that fails every allocation of `limit` bytes or more.
    struct Small {
        limit: usize,
    }

    unsafe impl GlobalAlloc for Small {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if layout.size() >= self.limit {
                return std::ptr::null_mut();
            }
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    fn fill(p: *mut u8, n: usize) {
        for i in 0..n {
            unsafe { p.add(i).write(i as u8) };
        }
    }

    fn holds(p: *const u8, n: usize) -> bool {
        (0..n).all(|i| unsafe { p.add(i).read() } == i as u8)
    }

    #[test]
    fn forwards_to_the_inner_allocator_and_keeps_contents_on_realloc() {
        let g = Guarded::new(System, panics);
        let layout = Layout::from_size_align(24, 8).unwrap();
        unsafe {
            let p = g.alloc(layout);
            fill(p, 24);
            let q = g.realloc(p, layout, 100);
            assert!(holds(q, 24));
            let z = g.alloc_zeroed(layout);
            assert!((0..24).all(|i| z.add(i).read() == 0));
            g.dealloc(q, Layout::from_size_align(100, 8).unwrap());
            g.dealloc(z, layout);
        }
        assert!(!g.has_failed());
    }

    #[test]
    fn a_failure_calls_the_handler_once_then_serves_from_the_system() {
        let g = Guarded::new(Small { limit: 64 }, panics);
        g.reserve();
        let small = Layout::from_size_align(16, 8).unwrap();
        let big = Layout::from_size_align(64, 8).unwrap();
        let before = unsafe { g.alloc(small) };
        fill(before, 16);
        let caught = catch_unwind(AssertUnwindSafe(|| unsafe { g.alloc(big) }));
        let message = caught.unwrap_err();
        assert_eq!(
            message.downcast_ref::<String>().unwrap(),
            "out of memory: 64"
        );
        assert!(g.has_failed());
        assert!(
            g.reserve.load(Ordering::SeqCst).is_null(),
            "reserve released"
        );
        unsafe {
            // Now from System, even sizes the inner one refuses.
            let p = g.alloc(big);
            fill(p, 64);
            assert!(holds(p, 64));
            // A block from before the failure grows by copy and stays valid.
            let grown = g.realloc(before, small, 200);
            assert!(holds(grown, 16));
            assert!(holds(before, 16), "the old block is not freed");
            g.dealloc(grown, Layout::from_size_align(200, 8).unwrap());
        }
    }

    #[test]
    fn a_failed_realloc_calls_the_handler() {
        let g = Guarded::new(Small { limit: 64 }, panics);
        let small = Layout::from_size_align(16, 8).unwrap();
        let p = unsafe { g.alloc(small) };
        let caught = catch_unwind(AssertUnwindSafe(|| unsafe { g.realloc(p, small, 80) }));
        assert_eq!(
            caught.unwrap_err().downcast_ref::<String>().unwrap(),
            "out of memory: 80"
        );
        assert!(holds_nothing_freed(p));
    }

    /// `p` is still allocated (Miri would report a use after free).
    fn holds_nothing_freed(p: *mut u8) -> bool {
        unsafe { p.write(7) };
        unsafe { p.read() == 7 }
    }
}
