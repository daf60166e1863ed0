//! The one concurrency scheme: an ordered parallel map over documents.
//!
//! Every command that works per document (`analyze`, `compare` on texts,
//! compare's tf-idf rows) runs [`in_order`]: workers on a thread pool
//! claim the next document index and compute its result, and one consumer
//! thread receives the results in input order, so output is byte-identical
//! for any `--jobs`. Workers run at most [`WINDOW`] documents per worker
//! ahead of the consumer, so memory holds that many results, not the
//! corpus. [`pool`] is the one place that starts worker threads.

use crate::error::{Error, Result};

/// How far (in documents, per worker) the workers may run ahead of the
/// consumer: when the consumer is held back (by the disk, say), at most
/// this many results per worker wait in memory.
pub const WINDOW: usize = 8;

/// A pool of `threads` worker threads (at least one).
pub fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))
}

/// Runs `work(i)` for every `i` in `0..total` on the threads of `pool`
/// and hands each result to `consume`, on a thread of its own, in order of
/// `i`. The first error of `consume` stops the workers (they finish the
/// document at hand) and is returned; so is a panic of the consumer, as an
/// error. A worker that panics stops the run and the panic goes on.
pub fn in_order<T: Send>(
    pool: &rayon::ThreadPool,
    total: usize,
    work: impl Fn(usize) -> T + Sync,
    mut consume: impl FnMut(T) -> Result<()> + Send,
) -> Result<()> {
    let workers = pool.current_num_threads();
    let order = InOrder::new(total, WINDOW * workers);
    std::thread::scope(|scope| {
        let consumer = scope.spawn(|| -> Result<()> {
            // Stops the workers when the consumer stops, on an error too.
            let _stop = StopOnDrop(&order);
            loop {
                let results = order.take();
                if results.is_empty() {
                    return Ok(());
                }
                for result in results {
                    consume(result)?;
                }
            }
        });
        {
            // Also when a worker panics: the consumer must not wait for it.
            let _stop = StopOnDrop(&order);
            pool.scope(|s| {
                for _ in 0..workers {
                    s.spawn(|_| {
                        while let Some(i) = order.claim() {
                            order.put(i, work(i));
                        }
                    });
                }
            });
        }
        consumer
            .join()
            .unwrap_or_else(|_| Err(Error::Usage("the writer thread panicked".into())))
    })
}

/// Results made in any order by several workers, handed to one consumer in
/// input order. A worker claims the next input only while it is fewer than
/// `window` inputs ahead of the consumer, so at most `window` results wait
/// in memory, and no worker waits for the others (as it would at the end of
/// a fixed chunk).
struct InOrder<T> {
    state: std::sync::Mutex<InOrderState<T>>,
    /// The consumer waits here for the next result.
    ready: std::sync::Condvar,
    /// Workers wait here for room in the window.
    room: std::sync::Condvar,
    window: usize,
}

struct InOrderState<T> {
    total: usize,
    /// The next input to claim.
    claimed: usize,
    /// Results of inputs `taken..`, by position; `None`: not done yet.
    done: std::collections::VecDeque<Option<T>>,
    taken: usize,
    stopped: bool,
    /// Who waits: waking a thread costs a system call (and, on a virtual
    /// machine, an interrupt), so nobody is woken in vain.
    consumer_waits: bool,
    workers_waiting: usize,
}

impl<T> InOrder<T> {
    /// Results the consumer is woken for at once.
    const BATCH: usize = 4;

    fn new(total: usize, window: usize) -> Self {
        InOrder {
            state: std::sync::Mutex::new(InOrderState {
                total,
                claimed: 0,
                done: std::collections::VecDeque::new(),
                taken: 0,
                stopped: false,
                consumer_waits: false,
                workers_waiting: 0,
            }),
            ready: std::sync::Condvar::new(),
            room: std::sync::Condvar::new(),
            window: window.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, InOrderState<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next input to work on, once the window has room; `None` when
    /// every input is claimed or the consumer stopped.
    fn claim(&self) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if state.stopped || state.claimed >= state.total {
                return None;
            }
            if state.claimed < state.taken + self.window {
                state.claimed += 1;
                return Some(state.claimed - 1);
            }
            // The window is full: the consumer must not sleep on results
            // that are ready.
            if state.consumer_waits && matches!(state.done.front(), Some(Some(_))) {
                self.ready.notify_one();
            }
            state.workers_waiting += 1;
            state = self.room.wait(state).unwrap_or_else(|e| e.into_inner());
            state.workers_waiting -= 1;
        }
    }

    /// The result of input `i` (claimed, not yet put).
    fn put(&self, i: usize, value: T) {
        let mut state = self.lock();
        let k = i - state.taken;
        if state.done.len() <= k {
            state.done.resize_with(k + 1, || None);
        }
        state.done[k] = Some(value);
        // The consumer is woken for a batch of results, or for the last ones.
        if state.consumer_waits
            && (state.claimed >= state.total
                || state.done.iter().take(Self::BATCH).all(Option::is_some)
                    && state.done.len() >= Self::BATCH)
        {
            self.ready.notify_one();
        }
    }

    /// The next results in input order (waiting for the next one); empty
    /// when all were taken or the run stopped.
    fn take(&self) -> Vec<T> {
        let mut state = self.lock();
        loop {
            let mut out = Vec::new();
            while let Some(Some(_)) = state.done.front() {
                if let Some(Some(value)) = state.done.pop_front() {
                    out.push(value);
                }
            }
            if !out.is_empty() {
                state.taken += out.len();
                if state.workers_waiting > 0 {
                    self.room.notify_all();
                }
                return out;
            }
            if state.stopped || state.taken >= state.total {
                return out;
            }
            state.consumer_waits = true;
            state = self.ready.wait(state).unwrap_or_else(|e| e.into_inner());
            state.consumer_waits = false;
        }
    }

    fn stop(&self) {
        self.lock().stopped = true;
        self.ready.notify_all();
        self.room.notify_all();
    }

    /// Whether [`InOrder::claim`] would hand out an input now rather than
    /// wait for the consumer (for tests: no timing needed).
    #[cfg(test)]
    fn has_room(&self) -> bool {
        let state = self.lock();
        state.claimed < state.taken + self.window
    }
}

/// Calls [`InOrder::stop`] when dropped.
struct StopOnDrop<'a, T>(&'a InOrder<T>);

impl<T> Drop for StopOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `in_order` hands every result once, in input order, for any number
    /// of workers, and stops at the consumer's first error.
    #[test]
    fn in_order_runs_every_input_once_in_order() {
        for threads in [1, 2, 3] {
            let pool = pool(threads).unwrap();
            let mut got = Vec::new();
            let push = |x| {
                got.push(x);
                Ok(())
            };
            in_order(&pool, 500, |i| i * 2, push).unwrap();
            assert_eq!(got, (0..500).map(|i| i * 2).collect::<Vec<_>>());
            let mut seen = 0;
            let stopped = in_order(
                &pool,
                500,
                |i| i,
                |x| {
                    seen += 1;
                    match x {
                        10 => Err(Error::Usage("ten".into())),
                        _ => Ok(()),
                    }
                },
            );
            assert!(matches!(stopped, Err(Error::Usage(m)) if m == "ten"));
            assert_eq!(seen, 11, "nothing after the error is consumed");
        }
    }

    /// Results put in any order by several workers come out in input
    /// order, each once.
    #[test]
    fn in_order_hands_results_in_input_order() {
        for (total, window, workers) in [(0, 4, 2), (1, 1, 3), (100, 1, 2), (1000, 7, 4)] {
            let order = InOrder::new(total, window);
            let got = std::thread::scope(|s| {
                for w in 0..workers {
                    let order = &order;
                    s.spawn(move || {
                        while let Some(i) = order.claim() {
                            if (i + w) % 3 == 0 {
                                std::thread::yield_now();
                            }
                            order.put(i, i);
                        }
                    });
                }
                let mut got = Vec::new();
                loop {
                    let batch = order.take();
                    if batch.is_empty() {
                        break;
                    }
                    got.extend(batch);
                }
                got
            });
            assert_eq!(got, (0..total).collect::<Vec<_>>());
        }
    }

    /// A worker cannot claim an input `window` or more ahead of the next one
    /// the consumer takes; it goes on once the consumer has taken it.
    #[test]
    fn in_order_holds_workers_within_the_window() {
        let order: InOrder<usize> = InOrder::new(10, 3);
        assert_eq!(
            (order.claim(), order.claim(), order.claim()),
            (Some(0), Some(1), Some(2))
        );
        assert!(!order.has_room(), "a claim past the window would not wait");
        order.put(1, 1);
        assert!(!order.has_room(), "input 0 is not taken yet");
        order.put(0, 0);
        assert_eq!(order.take(), vec![0, 1]);
        assert!(order.has_room());
        assert_eq!(order.claim(), Some(3));
        assert_eq!(order.claim(), Some(4));
        assert!(!order.has_room());
    }

    /// A consumer that stops releases the workers waiting for room, and a
    /// stop releases a consumer waiting for a result that will never come.
    #[test]
    fn in_order_stop_releases_everyone() {
        let order: InOrder<usize> = InOrder::new(10, 2);
        assert_eq!((order.claim(), order.claim()), (Some(0), Some(1)));
        std::thread::scope(|s| {
            let waiting = s.spawn(|| order.claim());
            std::thread::sleep(std::time::Duration::from_millis(20));
            order.stop();
            assert_eq!(waiting.join().ok(), Some(None));
        });
        assert!(order.take().is_empty());
        let order: InOrder<usize> = InOrder::new(3, 3);
        std::thread::scope(|s| {
            let consumer = s.spawn(|| order.take());
            std::thread::sleep(std::time::Duration::from_millis(20));
            order.stop();
            assert_eq!(consumer.join().ok(), Some(Vec::new()));
        });
    }
}
