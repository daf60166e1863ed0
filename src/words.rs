//! The table from a token's raw text to its form id, looked up once per
//! token: the hottest map of a run.
//!
//! A general hash map keeps each key on the heap and compares it with a
//! `memcmp` call; over a corpus's vocabulary (tens of thousands of words,
//! a few megabytes of buckets) every rare word is then two cache misses and
//! a call. Here a text of up to 16 bytes (nearly every token) is stored in
//! its slot and compared as two integers, longer texts keep their first 8
//! bytes in the slot and the rest in a side list. (A prefetch of a
//! section's slots before the look-ups stood here; it won 4 of 9
//! alternating runs on 200 MB, within the noise, and needed `unsafe`, so it
//! went.)

use std::hash::Hasher;

/// Open addressing with linear probing, at most half full.
pub struct WordTable {
    slots: Vec<Slot>,
    /// `slots.len() - 1` (a power of two minus one).
    mask: usize,
    /// Bits to shift a 64-bit hash right by to index the slots.
    shift: u32,
    len: usize,
    /// Texts longer than 16 bytes, by the index their slot holds.
    long: Vec<Box<[u8]>>,
}

#[derive(Clone, Copy)]
struct Slot {
    /// The text zero-padded, or (longer than 16 bytes) its first 8 bytes
    /// and its index in `long`.
    key: [u8; 16],
    len: u32,
    /// [`EMPTY`] for a free slot.
    id: u32,
    /// A value stored beside the id (the caller's).
    info: u32,
}

const EMPTY: u32 = u32::MAX;
const FREE: Slot = Slot {
    key: [0; 16],
    len: 0,
    id: EMPTY,
    info: 0,
};

/// The hash of a text, computed once per token. A text of up to 16 bytes
/// (nearly every token) is read as two overlapping integers and mixed by
/// multiplication; the slot index takes the top bits.
pub fn hash(text: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let n = text.len();
    let (a, b) = match n {
        0..=3 => {
            let a = text.first().map_or(0, |&x| u64::from(x));
            let b = match n {
                0 => 0,
                _ => (u64::from(text[n / 2]) << 8) | u64::from(text[n - 1]),
            };
            (a, b)
        }
        4..=7 => (
            u64::from(u32::from_le_bytes(text[..4].try_into().expect("4 bytes"))),
            u64::from(u32::from_le_bytes(
                text[n - 4..].try_into().expect("4 bytes"),
            )),
        ),
        8..=16 => (
            u64::from_le_bytes(text[..8].try_into().expect("8 bytes")),
            u64::from_le_bytes(text[n - 8..].try_into().expect("8 bytes")),
        ),
        _ => {
            let mut h = rustc_hash::FxHasher::default();
            h.write(text);
            (h.finish(), 0)
        }
    };
    let h = (a ^ K).wrapping_mul(b ^ (n as u64).rotate_left(32) ^ K.rotate_left(17));
    (h ^ (h >> 29)).wrapping_mul(K)
}

/// The slot key of a text of at most 16 bytes.
fn short_key(text: &[u8]) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..text.len()].copy_from_slice(text);
    key
}

impl Default for WordTable {
    fn default() -> Self {
        WordTable::with_slots(1 << 10)
    }
}

impl WordTable {
    fn with_slots(n: usize) -> Self {
        WordTable {
            slots: vec![FREE; n],
            mask: n - 1,
            shift: 64 - n.trailing_zeros(),
            len: 0,
            long: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn first_slot(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// The id and value stored for `text`, whose [`hash`] is `hash`.
    #[inline]
    pub fn get(&self, text: &[u8], hash: u64) -> Option<(u32, u32)> {
        let len = text.len() as u32;
        let mut i = self.first_slot(hash);
        if text.len() <= 16 {
            let key = short_key(text);
            loop {
                let slot = &self.slots[i];
                if slot.id == EMPTY {
                    return None;
                }
                if slot.len == len && slot.key == key {
                    return Some((slot.id, slot.info));
                }
                i = (i + 1) & self.mask;
            }
        }
        loop {
            let slot = &self.slots[i];
            if slot.id == EMPTY {
                return None;
            }
            if slot.len == len && slot.key[..8] == text[..8] {
                let at = u64::from_le_bytes(slot.key[8..].try_into().expect("8 bytes")) as usize;
                if *self.long[at] == *text {
                    return Some((slot.id, slot.info));
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Stores `id` and `info` for `text` (which must not be in the table
    /// yet).
    pub fn insert(&mut self, text: &[u8], hash: u64, id: u32, info: u32) {
        assert!(id != EMPTY, "word ids stop below u32::MAX");
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let key = if text.len() <= 16 {
            short_key(text)
        } else {
            let mut key = [0u8; 16];
            key[..8].copy_from_slice(&text[..8]);
            key[8..].copy_from_slice(&(self.long.len() as u64).to_le_bytes());
            self.long.push(text.into());
            key
        };
        self.place(
            Slot {
                key,
                len: text.len() as u32,
                id,
                info,
            },
            hash,
        );
        self.len += 1;
    }

    fn place(&mut self, slot: Slot, hash: u64) {
        let mut i = self.first_slot(hash);
        while self.slots[i].id != EMPTY {
            i = (i + 1) & self.mask;
        }
        self.slots[i] = slot;
    }

    /// Doubles the slots and places every entry again.
    fn grow(&mut self) {
        let mut bigger = WordTable::with_slots(self.slots.len() * 2);
        bigger.len = self.len;
        bigger.long = std::mem::take(&mut self.long);
        for slot in self.slots.iter().filter(|s| s.id != EMPTY) {
            let h = match slot.len as usize {
                n if n <= 16 => hash(&slot.key[..n]),
                _ => {
                    let at = u64::from_le_bytes(slot.key[8..].try_into().expect("8 bytes"));
                    hash(&bigger.long[at as usize])
                }
            };
            bigger.place(*slot, h);
        }
        *self = bigger;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// The id, after checking that the value stored with it is its
    /// complement (as the tests store it).
    fn get(t: &WordTable, text: &str) -> Option<u32> {
        let found = t.get(text.as_bytes(), hash(text.as_bytes()));
        if let Some((id, info)) = found {
            assert_eq!(info, !id, "{text}");
        }
        found.map(|(id, _)| id)
    }

    /// Texts of every length class: empty, short, exactly 16 bytes, long,
    /// long ones sharing their first 8 bytes, and non-ASCII; through several
    /// doublings of the table.
    #[test]
    fn finds_what_was_inserted_and_nothing_else() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "a".into(),
            "sixteen-bytes-ok".into(),
            "seventeen-bytes-x".into(),
            "internationalisation".into(),
            "internationally-minded".into(),
            "Беларусь".into(),
            "сотрудничество-и-безопасность".into(),
        ];
        texts.extend((0..5000).map(|i| format!("w{i}")));
        texts.extend((0..500).map(|i| format!("internat-{i:012}")));
        let mut t = WordTable::default();
        for (id, text) in texts.iter().enumerate() {
            assert_eq!(get(&t, text), None, "{text}");
            t.insert(
                text.as_bytes(),
                hash(text.as_bytes()),
                id as u32,
                !(id as u32),
            );
        }
        assert_eq!(t.len(), texts.len());
        for (id, text) in texts.iter().enumerate() {
            assert_eq!(get(&t, text), Some(id as u32), "{text}");
        }
        for absent in [
            "w5000",
            "internat-000000000500",
            "internationalisatio",
            "b",
            "Беларус",
        ] {
            assert_eq!(get(&t, absent), None, "{absent}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The table answers like a `HashMap` for random texts of 0 to 40
        /// bytes over a small alphabet (so that lengths and prefixes
        /// collide often).
        #[test]
        fn answers_like_a_hash_map(
            inserted in proptest::collection::vec("[ab]{0,40}", 0..300),
            probes in proptest::collection::vec("[ab]{0,40}", 0..100),
        ) {
            let mut t = WordTable::default();
            let mut reference: HashMap<String, u32> = HashMap::new();
            for text in &inserted {
                if !reference.contains_key(text) {
                    let id = reference.len() as u32;
                    reference.insert(text.clone(), id);
                    t.insert(text.as_bytes(), hash(text.as_bytes()), id, !id);
                }
            }
            for text in inserted.iter().chain(&probes) {
                prop_assert_eq!(get(&t, text), reference.get(text).copied());
            }
        }
    }
}
