//! A table file written in vectored writes of about [`BATCH_BYTES`].
//!
//! A large run writes about nine bytes of tables per input byte. Rows that
//! workers rendered arrive as whole buffers: big ones are held as they are
//! (not copied) and small ones are copied together, in arrival order, and
//! what is queued goes out in one `writev`. Held buffers are handed back
//! for reuse once written.

use std::fs::File;
use std::io::{self, IoSlice, Write};

/// Bytes queued before they are written. Larger writes (256 KiB, 1 MiB,
/// or 64 KiB aligned to the file's blocks) made the kernel's copy into the
/// page cache slower on the 200 MB benchmark (docs/PERFORMANCE.md).
const BATCH_BYTES: usize = 1 << 16;
/// Buffers held at most (each is one document's rows of one table).
const HELD_BUFFERS: usize = 16;
/// Chunks shorter than this are copied rather than held.
const COPY_BELOW: usize = 4 * 1024;

pub struct Batched<W = File> {
    out: W,
    /// Small chunks, copied back to back.
    copied: Vec<u8>,
    /// The queue in order: a held buffer, or a run of `copied`.
    parts: Vec<Part>,
    queued: usize,
    held: usize,
    /// Held buffers already written, for the caller to reuse.
    spent: Vec<Vec<u8>>,
}

enum Part {
    Held(Vec<u8>),
    Copied { start: usize, end: usize },
}

impl<W: Write> Batched<W> {
    pub fn new(out: W) -> Self {
        Batched {
            out,
            copied: Vec::new(),
            parts: Vec::new(),
            queued: 0,
            held: 0,
            spent: Vec::new(),
        }
    }

    /// Queues a copy of `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let start = self.copied.len();
        self.copied.extend_from_slice(bytes);
        let end = self.copied.len();
        // A run of copied chunks ends where `copied` ends.
        match self.parts.last_mut() {
            Some(Part::Copied { end: last, .. }) => *last = end,
            _ => self.parts.push(Part::Copied { start, end }),
        }
        self.queued += bytes.len();
        self.write_if_full()
    }

    /// Queues `bytes`, held without a copy when it is large; the buffer
    /// comes back from [`Batched::take_spent`] once written.
    pub fn write_owned(&mut self, mut bytes: Vec<u8>) -> io::Result<()> {
        if bytes.len() < COPY_BELOW {
            self.write(&bytes)?;
            bytes.clear();
            self.spent.push(bytes);
            return Ok(());
        }
        self.queued += bytes.len();
        self.held += 1;
        self.parts.push(Part::Held(bytes));
        self.write_if_full()
    }

    fn write_if_full(&mut self) -> io::Result<()> {
        if self.queued >= BATCH_BYTES || self.held >= HELD_BUFFERS {
            self.write_queued()?;
        }
        Ok(())
    }

    fn write_queued(&mut self) -> io::Result<()> {
        if !self.parts.is_empty() {
            let copied = &self.copied;
            let mut slices: Vec<IoSlice> = self
                .parts
                .iter()
                .map(|p| match p {
                    Part::Held(b) => IoSlice::new(b),
                    Part::Copied { start, end } => IoSlice::new(&copied[*start..*end]),
                })
                .collect();
            let mut rest = &mut slices[..];
            while !rest.is_empty() {
                match self.out.write_vectored(rest) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => IoSlice::advance_slices(&mut rest, n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        for part in self.parts.drain(..) {
            if let Part::Held(mut b) = part {
                b.clear();
                self.spent.push(b);
            }
        }
        self.copied.clear();
        self.queued = 0;
        self.held = 0;
        Ok(())
    }

    /// Writes everything queued.
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_queued()?;
        self.out.flush()
    }

    /// Buffers given to [`Batched::write_owned`] that are written (or were
    /// copied), emptied.
    pub fn take_spent(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.spent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes at most `step` bytes per call (as a kernel may)
    /// and counts the calls.
    struct Trickle {
        bytes: Vec<u8>,
        step: usize,
        calls: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            let n = buf.len().min(self.step);
            self.bytes.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn trickle(step: usize) -> Batched<Trickle> {
        Batched::new(Trickle {
            bytes: Vec::new(),
            step,
            calls: 0,
        })
    }

    /// Chunks of every size class, copied and held, arrive in order even
    /// when the writer takes a few bytes per call; held buffers come back
    /// emptied, one per buffer given.
    #[test]
    fn keeps_order_and_returns_buffers() {
        for step in [usize::MAX, 7, 4096] {
            let mut b = trickle(step);
            let mut expected = Vec::new();
            let mut given = 0;
            for i in 0..300usize {
                let len = [0, 3, COPY_BELOW - 1, COPY_BELOW, 5 * COPY_BELOW][i % 5] + i % 7;
                let chunk: Vec<u8> = (0..len).map(|k| (i * 31 + k) as u8).collect();
                expected.extend_from_slice(&chunk);
                if i % 3 == 0 {
                    b.write(&chunk).unwrap();
                } else {
                    b.write_owned(chunk).unwrap();
                    given += 1;
                }
            }
            b.flush().unwrap();
            assert_eq!(b.out.bytes, expected, "step {step}");
            let spent = b.take_spent();
            assert_eq!(spent.len(), given);
            assert!(spent.iter().all(Vec::is_empty));
        }
    }

    /// Small writes are gathered into one call per BATCH_BYTES: 1,000 rows
    /// of 100 bytes (100,000 bytes) make one call at 65,600 bytes and one
    /// for the rest at the flush.
    #[test]
    fn small_writes_are_gathered() {
        let mut b = trickle(usize::MAX);
        for _ in 0..1000 {
            b.write(&[b'x'; 100]).unwrap();
        }
        assert_eq!(b.out.calls, 1);
        assert_eq!(b.out.bytes.len(), 65_600);
        b.flush().unwrap();
        assert_eq!(b.out.calls, 2);
        assert_eq!(b.out.bytes.len(), 100_000);
    }
}
