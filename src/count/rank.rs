//! Ordering texts without reading them: each text of the vocabulary has a
//! sort key (its first bytes and length as one integer, [`prefix`]), so
//! that ranking a document's stems or forms compares integers and reads a
//! text only when two keys are equal and hold neither text whole. Rows
//! sorted by count and then by text become sorts of integer keys
//! ([`by_count_then`]).

/// A text's sort key: its first 15 bytes (zero-padded) and then its length
/// up to 15, as a big-endian integer. Different keys order the texts as the
/// texts order; equal keys mean equal texts when the length byte is below
/// 15 (else the texts must be compared).
pub(super) fn prefix(text: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = text.len().min(15);
    bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
    bytes[15] = n as u8;
    u128::from_be_bytes(bytes)
}

/// Whether two texts with the same [`prefix`] `p` are equal without
/// reading them.
pub(super) fn prefix_is_whole(p: u128) -> bool {
    (p as u8) < 15
}

/// A document's copies of texts' [`prefix`]es, as big-endian bytes (see
/// [`key_text`]).
pub(super) fn doc_keys(prefixes: &[u128]) -> Vec<[u8; 16]> {
    prefixes.iter().map(|p| p.to_be_bytes()).collect()
}

/// The whole text that a [`doc_keys`] key holds, if it holds it.
pub(super) fn key_text(key: Option<&[u8; 16]>) -> Option<&[u8]> {
    let key = key?;
    let len = key[15] as usize;
    (len < 15).then(|| &key[..len])
}

/// A sort key: count descending, then `rank` ascending.
pub(super) fn by_count_then(count: u32, rank: u32) -> u64 {
    (u64::from(u32::MAX - count) << 32) | u64::from(rank)
}

/// The (stem, count) of a [`by_count_then`] key, given the stem of each rank.
pub(super) fn from_key(key: u64, by_rank: &[u32]) -> (u32, u32) {
    let count = u32::MAX - (key >> 32) as u32;
    (by_rank[(key as u32) as usize], count)
}

/// `(stem, count)` pairs sorted by count descending, then by the stems'
/// `rank`; `keys` is scratch space. `by_rank` inverts `rank`.
pub(super) fn sort_by_count(
    terms: &mut Vec<(u32, u32)>,
    rank: &[u32],
    by_rank: &[u32],
    keys: &mut Vec<u64>,
) {
    keys.clear();
    keys.extend(
        terms
            .iter()
            .map(|&(stem, count)| by_count_then(count, rank[stem as usize])),
    );
    keys.sort_unstable();
    terms.clear();
    terms.extend(keys.iter().map(|&k| from_key(k, by_rank)));
}

/// The inverse of a permutation `rank`: the index of each rank.
pub(super) fn invert(rank: &[u32]) -> Vec<u32> {
    let mut by_rank = vec![0u32; rank.len()];
    for (i, &r) in rank.iter().enumerate() {
        by_rank[r as usize] = i as u32;
    }
    by_rank
}

/// Each text's rank in byte order: texts equal in content get distinct
/// ranks (by index), or with `dense` the same rank. `prefixes[i]` is
/// [`prefix`]`(texts(i))`; the texts are read only when prefixes are equal
/// and do not hold the whole texts.
#[inline]
pub(super) fn ranks<'a>(
    n: usize,
    prefixes: &[u128],
    texts: impl Fn(u32) -> &'a str,
    dense: bool,
) -> Vec<u32> {
    let cmp = |i: u32, j: u32| {
        let (p, q) = (prefixes[i as usize], prefixes[j as usize]);
        p.cmp(&q).then_with(|| match prefix_is_whole(p) {
            true => std::cmp::Ordering::Equal,
            false => texts(i).cmp(texts(j)),
        })
    };
    // By the first 8 bytes and the index, as integers (small elements
    // compared without a closure), then runs of equal first 8 bytes by
    // `cmp`, keeping the index order. Against sorting by `cmp` and the
    // index: 956 M -> 538 M instructions in this function, 4.4 % of the
    // default run on the UN corpus (callgrind), and user CPU on 200 MB
    // 9.7 % lower (rounds 5.0-14.4 %; user + sys 3.9 %), `benches/pair.sh`,
    // 7 rounds (docs/PERFORMANCE.md). `ranks_equal_ranks_of_the_texts`
    // holds it to the plain sort.
    let mut order: Vec<(u64, u32)> = (0..n as u32)
        .map(|i| ((prefixes[i as usize] >> 64) as u64, i))
        .collect();
    order.sort_unstable();
    for run in order.chunk_by_mut(|a, b| a.0 == b.0) {
        if run.len() > 1 {
            run.sort_by(|a, b| cmp(a.1, b.1));
        }
    }
    let mut rank = vec![0u32; n];
    let mut r = 0u32;
    for (k, &(_, i)) in order.iter().enumerate() {
        if k > 0 && !(dense && cmp(order[k - 1].1, i).is_eq()) {
            r += 1;
        }
        rank[i as usize] = r;
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::tests::xorshift;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// The sort key orders texts as the texts order, and equal keys that
        /// hold the whole texts mean equal texts (short texts over a small
        /// alphabet with NUL, so prefixes, ties and padding all occur).
        #[test]
        fn prefix_orders_like_the_text(a in "[ab\\x00é]{0,18}", b in "[ab\\x00é]{0,18}") {
            let (pa, pb) = (prefix(&a), prefix(&b));
            if pa != pb {
                proptest::prop_assert_eq!(pa.cmp(&pb), a.cmp(&b));
            } else if prefix_is_whole(pa) {
                proptest::prop_assert_eq!(&a, &b);
            }
        }
    }

    /// [`ranks`] equals ranking the texts themselves (byte order; equal
    /// texts by index, or one rank with `dense`), on random texts that
    /// share their first 8 bytes or their first 15 (where the sort key
    /// holds them partly), with duplicates.
    #[test]
    fn ranks_equal_ranks_of_the_texts() {
        let mut next = xorshift(0x51D5_EA5E_1234_5678u64);
        for round in 0..400 {
            let head = ["", "abababab", "abababababababa"][round % 3];
            let texts: Vec<String> = (0..next(40))
                .map(|_| {
                    let tail: String = (0..next(4))
                        .map(|_| ['a', 'b', ' '][next(3) as usize])
                        .collect();
                    format!("{head}{tail}")
                })
                .collect();
            let prefixes: Vec<u128> = texts.iter().map(|t| prefix(t)).collect();
            for dense in [false, true] {
                let got = ranks(
                    texts.len(),
                    &prefixes,
                    |i| texts[i as usize].as_str(),
                    dense,
                );
                let mut order: Vec<usize> = (0..texts.len()).collect();
                order.sort_by(|&a, &b| texts[a].cmp(&texts[b]).then(a.cmp(&b)));
                let mut want = vec![0u32; texts.len()];
                for k in 1..order.len() {
                    let same = texts[order[k]] == texts[order[k - 1]];
                    want[order[k]] = want[order[k - 1]] + u32::from(!(dense && same));
                }
                assert_eq!(got, want, "{texts:?} dense {dense}");
            }
        }
    }
}
