//! N-grams: counted as exact sequences of term forms along runs of
//! consecutive terms ([`Runs`]), then grouped by stems ([`finish_ngrams`]):
//! each n-gram keeps the sequence it occurred as most often (or every one),
//! and the n-grams are sorted by n, count descending, text, then stem ids.

use rustc_hash::FxHashMap;

use super::rank;
use super::vocabulary::{Spare, Texts};
use super::{DocCounts, NgramCount, Sequence, MAX_NGRAM, NONE};

/// The runs of consecutive term units of a section, read a round at a
/// time, and the counts of the exact sequences of term forms (local form
/// ids, the places of [`DocCounts::surfaces`]) in them. Fixed-size keys
/// (unused places `u32::MAX`): no allocation per n-gram.
pub(super) struct Runs {
    /// The longest n-gram counted (below 2: none).
    pub(super) max_ngram: usize,
    /// The run being read.
    run: Vec<u32>,
    /// Terms at the start of `run` whose n-grams were counted.
    counted: usize,
    /// Counts by sequence of two forms (both ids in one integer: 12-byte
    /// entries instead of 24, an 8-byte hash). Measured against counting
    /// pairs in `counts` (`benches/pair.sh`, 5 rounds): one 224 MB section
    /// (the UN speeches joined into one line, repeated) 22 % less CPU
    /// (user 0.77-0.78), where the map outgrows the caches; 200 MB of
    /// ordinary documents 2 % (within the noise). Tests:
    /// `windows_count_like_the_whole_section` (pairs counted a piece at a
    /// time) and `ngram_sequences_grouped_by_hand_count`.
    pairs: FxHashMap<u64, u32>,
    /// Counts by longer sequence.
    counts: FxHashMap<[u32; MAX_NGRAM], u32>,
}

impl Runs {
    /// Counting n-grams of up to `max_ngram` terms, in the map kept by
    /// the vocabulary between documents.
    pub(super) fn new(max_ngram: usize, spare: &mut Spare) -> Runs {
        Runs {
            max_ngram: max_ngram.min(MAX_NGRAM),
            run: Vec::new(),
            counted: 0,
            pairs: std::mem::take(&mut spare.pairs),
            counts: std::mem::take(&mut spare.ngrams),
        }
    }

    /// A new section: no run goes on.
    pub(super) fn start_section(&mut self) {
        self.run.clear();
        self.counted = 0;
    }

    /// The next term of the run.
    pub(super) fn push(&mut self, form: u32) {
        self.run.push(form);
    }

    /// Counts the n-grams of the run that a non-term (or the end of the
    /// round) ends; with `goes_on` (the round ends the run, which goes on
    /// in the next round) its last `max_ngram - 1` terms are kept, and
    /// their n-grams not counted again.
    #[inline]
    pub(super) fn end_run(&mut self, goes_on: bool) {
        let seen = |n: usize| self.counted.saturating_sub(n - 1);
        for pair in self.run.windows(2).skip(seen(2)) {
            let key = (u64::from(pair[0]) << 32) | u64::from(pair[1]);
            *self.pairs.entry(key).or_insert(0) += 1;
        }
        for n in 3..=self.max_ngram {
            for window in self.run.windows(n).skip(seen(n)) {
                let mut key = [u32::MAX; MAX_NGRAM];
                key[..n].copy_from_slice(window);
                *self.counts.entry(key).or_insert(0) += 1;
            }
        }
        self.counted = match goes_on {
            true => self.run.len().min(self.max_ngram - 1),
            false => 0,
        };
        self.run.drain(..self.run.len() - self.counted);
    }

    /// Every sequence counted with its count (in no order); the map goes
    /// back to the vocabulary, unless it grew large.
    pub(super) fn finish(mut self, spare: &mut Spare) -> Vec<Sequence> {
        let pairs = self.pairs.drain().map(|(key, count)| {
            let mut ids = [u32::MAX; MAX_NGRAM];
            ids[..2].copy_from_slice(&[(key >> 32) as u32, key as u32]);
            (ids, count)
        });
        let sequences = pairs.chain(self.counts.drain()).collect();
        if self.pairs.capacity() <= 1 << 16 {
            spare.pairs = self.pairs;
        }
        if self.counts.capacity() <= 1 << 16 {
            spare.ngrams = self.counts;
        }
        sequences
    }
}

/// Sets the document's n-grams from the counts of their exact form
/// sequences (local form ids, the places of `doc.surfaces`, then
/// `u32::MAX`): each n-gram's stems, its count, and its most frequent
/// sequence of display forms (with `all_sequences`, every sequence) with
/// their counts. Forms with equal display texts are one display form.
pub(super) fn finish_ngrams(
    texts: &Texts,
    sequences: &[Sequence],
    all_sequences: bool,
    doc: &mut DocCounts,
) {
    let (forms, form_prefixes, rank) = display_forms(texts, doc);
    // (stems, display forms, count) of every sequence. (A shortcut for
    // n-grams whose stems have one form each, skipping the grouping, saved
    // 2.6 % of the instructions but 1.3 % of user CPU on 200 MB side by
    // side, 7 rounds: under the 5 % bar, so it went.)
    let mut shared: Vec<([u32; MAX_NGRAM], [u32; MAX_NGRAM], u32)> = (sequences.iter())
        .map(|&(seq, count)| {
            let mut stems = [u32::MAX; MAX_NGRAM];
            let mut display = [u32::MAX; MAX_NGRAM];
            for (k, &f) in seq.iter().take_while(|&&f| f != u32::MAX).enumerate() {
                stems[k] = doc.surfaces[f as usize].0;
                display[k] = rank[f as usize];
            }
            (stems, display, count)
        })
        .collect();
    let mut ngrams = Vec::with_capacity(sequences.len());
    let mut surfaces: Vec<Sequence> = Vec::with_capacity(sequences.len());
    let plain = forms.iter().all(|&id| texts.is_plain(id));
    let text = |i: u32| texts.get(forms[i as usize]);
    group_sequences(
        &mut shared,
        all_sequences,
        plain,
        text,
        &mut ngrams,
        &mut surfaces,
    );
    let (ngrams, surfaces) = sort_ngrams(&ngrams, &surfaces, plain, text);
    doc.ngram_form_keys = rank::doc_keys(&form_prefixes);
    doc.ngram_forms = forms;
    doc.ngram_surfaces = surfaces;
    doc.ngrams = ngrams;
}

/// The document's distinct display texts of term forms (string ids) in
/// text order with their sort keys, and the index among them of each of
/// `doc.surfaces`' forms (dense ranks).
fn display_forms(texts: &Texts, doc: &DocCounts) -> (Vec<u32>, Vec<u128>, Vec<u32>) {
    let ids: Vec<u32> = doc.surfaces.iter().map(|&(_, text, _)| text).collect();
    let prefixes: Vec<u128> = ids.iter().map(|&id| texts.prefix_of(id)).collect();
    let rank = texts.ranks_by(&ids, &prefixes, true);
    let n_forms = rank.iter().max().map_or(0, |&r| r as usize + 1);
    let mut forms = vec![NONE; n_forms];
    let mut form_prefixes = vec![0u128; n_forms];
    for (k, &r) in rank.iter().enumerate() {
        forms[r as usize] = ids[k];
        form_prefixes[r as usize] = prefixes[k];
    }
    (forms, form_prefixes, rank)
}

/// Adds the n-grams of `grams` (stems, display forms, count; sequences
/// of one n-gram in any order, equal ones not yet merged) to `ngrams`, and
/// their sequences to `surfaces`: the most frequent first (ties: by text),
/// and the others only with `all`. `plain` and `text` as for
/// [`sequence_cmp`].
fn group_sequences<'a>(
    grams: &mut [([u32; MAX_NGRAM], [u32; MAX_NGRAM], u32)],
    all: bool,
    plain: bool,
    text: impl Fn(u32) -> &'a str + Copy,
    ngrams: &mut Vec<NgramCount>,
    surfaces: &mut Vec<Sequence>,
) {
    grams.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut k = 0;
    while k < grams.len() {
        let stems = grams[k].0;
        let start = surfaces.len() as u32;
        let mut total = 0;
        // Equal sequences are adjacent: merged as they are added.
        while k < grams.len() && grams[k].0 == stems {
            let (_, texts, count) = grams[k];
            total += count;
            let in_group = surfaces.len() > start as usize;
            match surfaces.last_mut() {
                Some(last) if in_group && last.0 == texts => last.1 += count,
                _ => surfaces.push((texts, count)),
            }
            k += 1;
        }
        let group = &mut surfaces[start as usize..];
        group.sort_unstable_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| sequence_cmp(&a.0, &b.0, plain, text))
        });
        if !all {
            surfaces.truncate(start as usize + 1);
        }
        ngrams.push(NgramCount {
            n: stems.iter().take_while(|&&s| s != u32::MAX).count() as u32,
            ids: stems,
            count: total,
            surfaces: (start, surfaces.len() as u32),
        });
    }
}

/// Appends the texts of a sequence of display forms (`text` gives each
/// form's), space separated.
pub(super) fn push_sequence_text<'a>(
    forms: &[u32; MAX_NGRAM],
    text: impl Fn(u32) -> &'a str,
    out: &mut String,
) {
    for (k, &f) in forms.iter().take_while(|&&f| f != u32::MAX).enumerate() {
        if k > 0 {
            out.push(' ');
        }
        out.push_str(text(f));
    }
}

/// Orders two sequences of display forms of one length by their texts
/// joined with spaces. When no form holds a byte at or below the space
/// (`plain`), comparing the joined texts is comparing the forms one by one,
/// so the forms' indices (in text order) stand in for the texts.
fn sequence_cmp<'a>(
    a: &[u32; MAX_NGRAM],
    b: &[u32; MAX_NGRAM],
    plain: bool,
    text: impl Fn(u32) -> &'a str + Copy,
) -> std::cmp::Ordering {
    if plain {
        a.cmp(b)
    } else {
        let (mut x, mut y) = (String::new(), String::new());
        push_sequence_text(a, text, &mut x);
        push_sequence_text(b, text, &mut y);
        x.cmp(&y)
    }
}

/// The n-grams sorted by n, count descending, text (the first of their
/// `surfaces`), then stem ids, with their sequences in that order; `plain`
/// and `text` as for [`sequence_cmp`]. Keys are sorted with the n-grams'
/// places, then the n-grams are copied in order.
pub(super) fn sort_ngrams<'a>(
    ngrams: &[NgramCount],
    surfaces: &[Sequence],
    plain: bool,
    text: impl Fn(u32) -> &'a str + Copy,
) -> (Vec<NgramCount>, Vec<Sequence>) {
    let best = |g: &NgramCount| surfaces[g.surfaces.0 as usize].0;
    let at = |k: usize| k as u32;
    let order: Vec<u32> = if plain {
        let mut keys: Vec<_> = ngrams
            .iter()
            .enumerate()
            .map(|(k, g)| (g.n, u32::MAX - g.count, best(g), g.ids, at(k)))
            .collect();
        keys.sort_unstable();
        keys.iter().map(|k| k.4).collect()
    } else {
        let mut keys: Vec<_> = ngrams
            .iter()
            .enumerate()
            .map(|(k, g)| {
                let mut joined = String::new();
                push_sequence_text(&best(g), text, &mut joined);
                (g.n, u32::MAX - g.count, joined, g.ids, at(k))
            })
            .collect();
        keys.sort_unstable();
        keys.iter().map(|k| k.4).collect()
    };
    let mut sorted = Vec::with_capacity(ngrams.len());
    let mut sequences = Vec::with_capacity(surfaces.len());
    for k in order {
        let g = &ngrams[k as usize];
        let start = sequences.len() as u32;
        sequences.extend_from_slice(&surfaces[g.surfaces.0 as usize..g.surfaces.1 as usize]);
        sorted.push(NgramCount {
            surfaces: (start, sequences.len() as u32),
            ..g.clone()
        });
    }
    (sorted, sequences)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::tests::xorshift;

    /// An n-gram whose stems each have one form in the document has its
    /// one sequence and count, beside one whose stems have several (hand
    /// count, one paragraph each: "human rights" 3 times, one form each;
    /// "united nations" twice and "united nation" once, stem "nation" with
    /// two forms).
    #[test]
    fn ngram_sequences_grouped_by_hand_count() {
        use crate::analyze::{Analyzer, AnalyzerOptions};
        use crate::theme::{Codebook, Matcher};
        let analyzer = Analyzer::new(&AnalyzerOptions::default()).unwrap();
        let matcher = Matcher::new(&Codebook::default_codebook(), &analyzer).unwrap();
        let text = "Human rights.\n\nHuman rights.\n\nHuman rights.\n\n\
                    United nations.\n\nUnited nation.\n\nUnited nations.";
        let mut vocab = super::super::Vocabulary::default();
        let mode = crate::section::Mode::Auto;
        let c = crate::count::count_document(text, &mode, &analyzer, &matcher, 2, &mut vocab);
        let got: Vec<_> = c
            .ngrams
            .iter()
            .map(|g| (c.ngram_text(g), g.count, c.ngram_sequences(g).collect()))
            .collect();
        let seq = |t: &str, n: u32| (t.to_string(), n);
        assert_eq!(
            got,
            vec![
                ("human rights".to_string(), 3, vec![seq("human rights", 3)]),
                (
                    "united nations".to_string(),
                    3,
                    vec![seq("united nations", 2), seq("united nation", 1)]
                ),
            ]
        );
    }

    /// The n-gram order by the display forms' indices equals the order by
    /// the joined texts (the definition: n, count descending, text of the
    /// best sequence, stem ids), on random forms that are prefixes of one
    /// another ("a", "ab", "a-b", ...), also behind a common prefix of 8 or
    /// 15 bytes (where the forms' sort keys hold them partly or wholly,
    /// for the ranks); and the fallback for forms with a space gives it too.
    #[test]
    fn ngram_order_by_ranks_equals_order_by_text() {
        let mut next = xorshift(0x2545F4914F6CDD1Du64);
        for round in 0..300 {
            let mut forms: Vec<String> = (0..2 + next(12))
                .map(|_| {
                    let len = 1 + next(3) as usize;
                    let text: String = (0..len)
                        .map(|_| ['a', 'b', '-'][next(3) as usize])
                        .collect();
                    let text = if round % 10 == 0 && next(4) == 0 {
                        format!("{text} x")
                    } else {
                        text
                    };
                    match round % 3 {
                        1 => format!("abababab{text}"),
                        2 => format!("abababababababa{text}"),
                        _ => text,
                    }
                })
                .collect();
            // As `finish_ngrams` ranks them: distinct, in text order.
            let mut texts = Texts::default();
            let ids: Vec<u32> = forms.iter().map(|f| texts.add(f)).collect();
            let prefixes: Vec<u128> = ids.iter().map(|&id| texts.prefix_of(id)).collect();
            let rank = texts.ranks_by(&ids, &prefixes, true);
            let mut ranked: Vec<(u32, String)> = rank.iter().copied().zip(forms).collect();
            ranked.sort();
            ranked.dedup();
            forms = ranked.into_iter().map(|(_, f)| f).collect();
            assert!(forms.windows(2).all(|w| w[0] < w[1]));
            let plain = forms.iter().all(|f| f.bytes().all(|b| b > b' '));
            let mut surfaces: Vec<Sequence> = Vec::new();
            let mut ngrams: Vec<NgramCount> = (0..40)
                .map(|_| {
                    let n = 2 + next(2) as usize;
                    let (mut ids, mut seq) = ([u32::MAX; MAX_NGRAM], [u32::MAX; MAX_NGRAM]);
                    for k in 0..n {
                        ids[k] = next(8) as u32;
                        seq[k] = next(forms.len() as u64) as u32;
                    }
                    surfaces.push((seq, 1));
                    NgramCount {
                        n: n as u32,
                        ids,
                        count: 1 + next(3) as u32,
                        surfaces: (surfaces.len() as u32 - 1, surfaces.len() as u32),
                    }
                })
                .collect();
            ngrams.sort_by_key(|g| g.ids);
            ngrams.dedup_by_key(|g| g.ids);
            let text = |i: u32| forms[i as usize].as_str();
            let joined = |g: &NgramCount| {
                let mut out = String::new();
                push_sequence_text(&surfaces[g.surfaces.0 as usize].0, text, &mut out);
                out
            };
            let mut want = ngrams.clone();
            want.sort_by(|a, b| {
                a.n.cmp(&b.n)
                    .then(b.count.cmp(&a.count))
                    .then_with(|| joined(a).cmp(&joined(b)))
                    .then_with(|| a.ids.cmp(&b.ids))
            });
            let (sorted, sequences) = sort_ngrams(&ngrams, &surfaces, plain, text);
            fn key(g: &NgramCount, surfaces: &[Sequence]) -> (u32, [u32; 5], u32, Vec<Sequence>) {
                let range = g.surfaces.0 as usize..g.surfaces.1 as usize;
                (g.n, g.ids, g.count, surfaces[range].to_vec())
            }
            let got: Vec<_> = sorted.iter().map(|g| key(g, &sequences)).collect();
            let want: Vec<_> = want.iter().map(|g| key(g, &surfaces)).collect();
            assert_eq!(got, want, "{forms:?}");
        }
    }
}
