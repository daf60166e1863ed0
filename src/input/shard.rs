//! Shards: `analyze --shard K/N` analyzes a deterministic part of the
//! documents, so that N runs (on one machine or many) partition a corpus
//! and `merge` combines their outputs into the tables of one run.
//!
//! A document's shard depends only on its NAME (the doc_id before it is
//! made unique: the file stem, or a table row's id), never on the listing:
//! shard = (first 8 bytes of SHA-256 of NAME, big-endian) mod N, plus 1.
//! Files sharing a stem land in one shard, so a process that holds only its
//! shard's files assigns the same doc_ids as one run over all of them. In
//! Python: `int.from_bytes(hashlib.sha256(name.encode()).digest()[:8],
//! "big") % n + 1`.
//!
//! What a shard output records for `merge` (in manifest.json): `"shard":
//! {"k", "n", ...}` (see [`manifest_entry`]) and, on each input and each
//! file skipped while loading, `"order"`: the key discovery lists documents
//! by ([`crate::input::Order`]), so that merge restores the one-run order
//! without the global listing.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The largest N of `--shard K/N`.
pub const MAX_SHARDS: u64 = 1_000_000;

/// Tables every shard writes, whatever `--tables` asks for: what `merge`
/// recomputes the corpus-level tables and charts from (it drops the ones
/// the user did not ask for).
pub const SHARD_TABLES: &[&str] = &[
    "documents",
    "themes_by_document",
    "term_forms",
    "ngram_forms",
];

/// Shard `k` of `n` (1 <= k <= n).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: u64,
    pub n: u64,
}

impl Shard {
    /// Parses `K/N`.
    pub fn parse(text: &str) -> Result<Shard> {
        let usage = || {
            Error::Usage(format!(
                "--shard: expected K/N with 1 <= K <= N <= {MAX_SHARDS}, e.g. 2/7; got `{text}`"
            ))
        };
        let (k, n) = text.split_once('/').ok_or_else(usage)?;
        let number = |s: &str| s.trim().parse::<u64>().map_err(|_| usage());
        let (k, n) = (number(k)?, number(n)?);
        if k == 0 || k > n || n > MAX_SHARDS {
            return Err(usage());
        }
        Ok(Shard { k, n })
    }

    /// Whether the document named `name` belongs to this shard.
    pub fn holds(&self, name: &str) -> bool {
        of(name, self.n) == self.k
    }
}

/// The shard (1..=n) of the document named `name`.
pub fn of(name: &str, n: u64) -> u64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % n + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(Shard::parse("2/7").ok(), Some(Shard { k: 2, n: 7 }));
        assert_eq!(Shard::parse("1/1").ok(), Some(Shard { k: 1, n: 1 }));
        for bad in [
            "0/3",
            "4/3",
            "3",
            "a/b",
            "1/0",
            "-1/3",
            "1/1000001",
            "1/2/3",
            "",
        ] {
            let e = Shard::parse(bad).err().map(|e| e.to_string());
            assert!(
                e.is_some_and(|e| e.contains("--shard") && !e.contains('\n')),
                "{bad}"
            );
        }
    }

    /// The formula, against values computed with Python's hashlib:
    /// `int.from_bytes(hashlib.sha256(b"...").digest()[:8], "big") % n + 1`.
    #[test]
    fn formula_matches_python() {
        assert_eq!(of("USA_77_2022", 7), 2);
        assert_eq!(of("RUS_77_2022", 3), 3);
        assert_eq!(of("", 1_000_000), 261_653);
    }
}
