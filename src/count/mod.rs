//! Count: runs one document through sections → tokens → forms → terms →
//! theme matches, and counts terms, n-grams and themes per section and per
//! document. Pure: text in, [`DocCounts`] out; nothing is written here,
//! and no file format is known here.
//!
//! Two parts: a [`Vocabulary`] that lives as long as the worker thread
//! (forms keyed by the raw token text, so a repeated word costs one hash
//! lookup; stems; texts with sort keys), and a per-document counter
//! (`counter.rs`) with one method per phase: tokenize, units and compounds,
//! theme matching, terms, n-grams (`ngrams.rs`), then ranking (`rank.rs`),
//! surface forms and finishing. This file holds the public types.
//!
//! A section is counted a window of tokens at a time (`counter.rs`,
//! `window.rs`), so that memory is bounded by the vocabulary, not by the
//! section's length; the counts are those of the whole section.
//!
//! Definitions: `n_tokens` counts tokens; `n_terms` counts term occurrences
//! (with `--hyphens join` a compound is one term; with `both` its parts count
//! too); n-grams are runs of consecutive terms inside one section, never
//! across a stopword, a number or a section boundary.
//!
//! A form has a display text and a key (see [`crate::analyze`]); stems come
//! from keys. N-grams are counted as exact sequences of forms and grouped
//! by stems afterwards, so that each n-gram keeps the sequence it occurred
//! as most often (or, with [`Counting::all_sequences`], every one): tables
//! show text that occurs, where each stem's own most frequent form would
//! invent a phrase ("every nations" for "every nation").
//!
//! What is counted besides terms follows [`Counting`], set from the tables
//! a run writes: n-grams, theme matches and theme evidence are skipped when
//! no table, chart or KWIC needs them.

mod counter;
mod ngrams;
mod rank;
mod vocabulary;
mod window;

use std::sync::Arc;

use crate::analyze::Analyzer;
use crate::section::{self, Section};
use crate::theme::Matcher;
use crate::token;
use counter::Counter;
use ngrams::push_sequence_text;
use rank::key_text;
pub use vocabulary::Vocabulary;

/// The string id of no text, and the local id of no stem.
const NONE: u32 = u32::MAX;

/// Counts of one section.
#[derive(Debug, Clone)]
pub struct SectionCounts {
    pub section: Section,
    pub n_tokens: u64,
    pub n_terms: u64,
    pub n_types: u64,
    /// Term occurrences of which at least one token a theme matched.
    pub n_covered: u64,
    /// (stem id, count), sorted by count descending then stem.
    pub terms: Vec<(u32, u32)>,
    /// Matches per theme (index as in the matcher).
    pub themes: Vec<u32>,
}

/// One row of theme evidence: how often `pattern` matched `matched`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MatchRow {
    pub section_id: u32,
    pub theme: u32,
    pub pattern: u32,
    /// The matched source text, lowercased, white space collapsed.
    pub matched: Arc<str>,
    /// An exclusion match (`pattern` is the exclusion): counted nowhere.
    pub excluded: bool,
    pub count: u32,
}

/// An n-gram's count in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgramCount {
    pub n: u32,
    /// Stem ids of the n-gram in the first `n` places (see [`NgramCount::stems`]);
    /// its text is [`DocCounts::ngram_text`].
    pub ids: [u32; MAX_NGRAM],
    pub count: u32,
    /// Its range of [`DocCounts::ngram_surfaces`].
    pub surfaces: (u32, u32),
}

/// A sequence of display forms (indices of [`DocCounts::ngram_forms`] in
/// the first `n` places, then `u32::MAX`) and how often it occurs.
pub type Sequence = ([u32; MAX_NGRAM], u32);

/// The longest n-gram counted (`--ngrams` accepts 1..=5).
pub const MAX_NGRAM: usize = 5;

impl NgramCount {
    /// Stem ids of the n-gram.
    pub fn stems(&self) -> &[u32] {
        &self.ids[..self.n as usize]
    }
}

/// The texts of one worker's vocabulary (stems and forms), append-only and
/// shared with every [`DocCounts`] counted from it: a document holds string
/// ids and one reference to the store, not a reference count per string.
#[derive(Default)]
pub struct Strings(boxcar::Vec<Box<str>>);

impl Strings {
    fn push(&self, text: &str) -> u32 {
        self.0.push(text.into()) as u32
    }

    /// The text of `id` ("" for [`NONE`]).
    pub fn get(&self, id: u32) -> &str {
        match id {
            NONE => "",
            id => self.0.get(id as usize).map_or("", |s| s),
        }
    }
}

/// Everything counted in one document.
#[derive(Clone, Default)]
pub struct DocCounts {
    pub sections: Vec<SectionCounts>,
    /// The texts that `stems`, `surface` and `surfaces` refer to.
    pub strings: Arc<Strings>,
    /// Stem text (as a string id) by the document's stem id; see [`DocCounts::stem`].
    pub stems: Vec<u32>,
    /// The most frequent surface form of each stem in this document (string
    /// ids); see [`DocCounts::surface`].
    pub surface: Vec<u32>,
    /// Every (stem, surface form as a string id, count), for merging across
    /// documents; see [`DocCounts::surfaces`].
    pub surfaces: Vec<(u32, u32, u32)>,
    /// The sort key of each of `stems` and `surface` (its first bytes and
    /// length), as bytes (may be empty): a text shorter than 15 bytes is
    /// read from here instead of from `strings`, where each text is a cache
    /// miss away.
    pub stem_keys: Vec<[u8; 16]>,
    pub surface_keys: Vec<[u8; 16]>,
    /// (stem id, count, sections containing it), by count descending, then stem.
    pub terms: Vec<(u32, u32, u32)>,
    /// By n, count descending, text, then stem ids.
    pub ngrams: Vec<NgramCount>,
    /// The distinct display texts of the document's term forms (string ids)
    /// in text order, which the n-grams' sequences index, and their sort
    /// keys as in `stem_keys`.
    pub ngram_forms: Vec<u32>,
    pub ngram_form_keys: Vec<[u8; 16]>,
    /// The most frequent exact sequence of each n-gram (every one with
    /// [`Counting::all_sequences`]) with its count, grouped by n-gram
    /// (see [`NgramCount::surfaces`]), most frequent first, ties by text.
    pub ngram_surfaces: Vec<Sequence>,
    pub matches: Vec<MatchRow>,
    /// With [`count_with_kwic`]: every theme match's place, in `kwic.csv`
    /// order.
    pub kwic: Vec<KwicSpan>,
    pub n_tokens: u64,
    pub n_terms: u64,
    /// The text of the `title` section, white space collapsed ("" if none).
    pub title: String,
}

impl std::fmt::Debug for DocCounts {
    /// Texts instead of string ids, so two counts of one text compare equal
    /// whatever store they came from.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stems: Vec<&str> = (0..self.stems.len() as u32).map(|s| self.stem(s)).collect();
        let surface: Vec<&str> = (0..self.stems.len() as u32)
            .map(|s| self.surface(s))
            .collect();
        let mut surfaces: Vec<(u32, &str, u32)> = self.surfaces().collect();
        surfaces.sort_unstable();
        let sequences: Vec<Vec<(String, u32)>> = self
            .ngrams
            .iter()
            .map(|g| self.ngram_sequences(g).collect())
            .collect();
        f.debug_struct("DocCounts")
            .field("sections", &self.sections)
            .field("stems", &stems)
            .field("surface", &surface)
            .field("surfaces", &surfaces)
            .field("terms", &self.terms)
            .field("ngrams", &self.ngrams)
            .field("sequences", &sequences)
            .field("matches", &self.matches)
            .field("kwic", &self.kwic)
            .field("n_tokens", &self.n_tokens)
            .field("n_terms", &self.n_terms)
            .field("title", &self.title)
            .finish()
    }
}

impl DocCounts {
    /// The text of the document's stem `stem`.
    pub fn stem(&self, stem: u32) -> &str {
        self.strings.get(self.stems[stem as usize])
    }

    /// The most frequent surface form of `stem` in the document ("" if it
    /// was never counted as a term of its own).
    pub fn surface(&self, stem: u32) -> &str {
        self.strings.get(self.surface[stem as usize])
    }

    /// [`DocCounts::stem`] as bytes, read from `stem_keys` when it holds
    /// the whole text (for rendering many rows).
    pub fn stem_bytes(&self, stem: u32) -> &[u8] {
        key_text(self.stem_keys.get(stem as usize)).unwrap_or_else(|| self.stem(stem).as_bytes())
    }

    /// [`DocCounts::surface`] as bytes, as [`DocCounts::stem_bytes`].
    pub fn surface_bytes(&self, stem: u32) -> &[u8] {
        key_text(self.surface_keys.get(stem as usize))
            .unwrap_or_else(|| self.surface(stem).as_bytes())
    }

    /// Every (stem, surface form, count).
    pub fn surfaces(&self) -> impl Iterator<Item = (u32, &str, u32)> {
        self.surfaces
            .iter()
            .map(|&(stem, text, count)| (stem, self.strings.get(text), count))
    }

    pub fn n_types(&self) -> u64 {
        self.terms.len() as u64
    }

    pub fn n_covered(&self) -> u64 {
        self.sections.iter().map(|s| s.n_covered).sum()
    }

    /// Drops the per-term parts (stems, surface forms, terms, n-grams,
    /// matches), keeping the sizes and the theme counts per section.
    pub fn drop_terms(&mut self) {
        self.stems = Vec::new();
        self.surface = Vec::new();
        self.stem_keys = Vec::new();
        self.surface_keys = Vec::new();
        self.surfaces = Vec::new();
        self.terms = Vec::new();
        self.ngrams = Vec::new();
        self.ngram_forms = Vec::new();
        self.ngram_form_keys = Vec::new();
        self.ngram_surfaces = Vec::new();
        self.matches = Vec::new();
        for s in &mut self.sections {
            s.terms = Vec::new();
        }
    }

    /// An n-gram's text: its most frequent exact sequence of display forms
    /// in the document (ties: the smallest text), space separated.
    pub fn ngram_text(&self, g: &NgramCount) -> String {
        let mut text = String::new();
        self.push_ngram_text(g, &mut text);
        text
    }

    /// Appends [`DocCounts::ngram_text`] to `out`.
    pub fn push_ngram_text(&self, g: &NgramCount, out: &mut String) {
        self.push_ngram_text_with(g, |i| self.ngram_form(i), out);
    }

    /// [`DocCounts::push_ngram_text`] with the text of display form `i`
    /// given by `form` (for a renderer that keeps its own copy).
    pub fn push_ngram_text_with<'a>(
        &self,
        g: &NgramCount,
        form: impl Fn(u32) -> &'a str,
        out: &mut String,
    ) {
        if let Some((forms, _)) = self.ngram_surfaces(g).first() {
            push_sequence_text(forms, form, out);
        }
    }

    /// The exact sequences of an n-gram with their counts, most frequent
    /// first (ties: by text); only the first unless counted with
    /// [`Counting::all_sequences`].
    pub fn ngram_surfaces(&self, g: &NgramCount) -> &[Sequence] {
        &self.ngram_surfaces[g.surfaces.0 as usize..g.surfaces.1 as usize]
    }

    /// [`DocCounts::ngram_surfaces`] as texts.
    pub fn ngram_sequences<'a>(
        &'a self,
        g: &NgramCount,
    ) -> impl Iterator<Item = (String, u32)> + 'a {
        self.ngram_surfaces(g).iter().map(|(forms, count)| {
            let mut text = String::new();
            push_sequence_text(forms, |i| self.ngram_form(i), &mut text);
            (text, *count)
        })
    }

    /// The text of display form `i` of the n-grams.
    pub fn ngram_form(&self, i: u32) -> &str {
        self.strings.get(self.ngram_forms[i as usize])
    }

    /// [`DocCounts::ngram_form`] as bytes, as [`DocCounts::stem_bytes`].
    pub fn ngram_form_bytes(&self, i: u32) -> &[u8] {
        key_text(self.ngram_form_keys.get(i as usize))
            .unwrap_or_else(|| self.ngram_form(i).as_bytes())
    }

    /// Matches per theme in the whole document, and sections with a match.
    pub fn theme_totals(&self, n_themes: usize) -> Vec<(u32, u32)> {
        let mut totals = vec![(0u32, 0u32); n_themes];
        for s in &self.sections {
            for (t, &c) in s.themes.iter().enumerate() {
                totals[t].0 += c;
                totals[t].1 += u32::from(c > 0);
            }
        }
        totals
    }
}

/// The most parts a hyphenated compound has: the tokens of a longer chain
/// are counted and matched as separate words (as with `--hyphens split`),
/// so that how far theme matching must look ahead stays bounded.
pub const MAX_COMPOUND_PARTS: usize = 16;

/// A theme match's place, for KWIC: byte offsets into the document.
/// Ordered by start, theme, end (the order of `kwic.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KwicSpan {
    /// The match's first token's start.
    pub start: usize,
    pub theme: u32,
    /// The match's last token's end.
    pub end: usize,
    pub section_id: u32,
    /// The start of the context before: `window` tokens back, or fewer at
    /// the section's start.
    pub left: usize,
    /// The end of the context after, likewise.
    pub right: usize,
}

/// What to count besides terms and sizes, set from the tables a run
/// writes: work for a table nobody asked for is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counting {
    /// The longest n-gram counted (below 2: no n-grams).
    pub max_ngram: usize,
    /// Keep every exact sequence of display forms of each n-gram (what
    /// `compare --unit ngram` sums over the corpus), not only the most
    /// frequent one that `ngrams_by_document` shows.
    pub all_sequences: bool,
    /// Match themes: theme counts per section and coverage.
    pub themes: bool,
    /// Keep the theme evidence ([`DocCounts::matches`]); needs `themes`.
    pub match_rows: bool,
    /// Keep each theme match's place with this many tokens of context on
    /// each side ([`DocCounts::kwic`]); needs `themes`.
    pub kwic: Option<usize>,
}

impl Counting {
    /// Everything, with n-grams of up to `max_ngram` terms.
    pub fn all(max_ngram: usize) -> Counting {
        Counting {
            max_ngram,
            all_sequences: true,
            themes: true,
            match_rows: true,
            kwic: None,
        }
    }
}

/// Analyzes one document's text, counting everything ([`Counting::all`]).
pub fn count_document(
    text: &str,
    mode: &section::Mode,
    analyzer: &Analyzer,
    matcher: &Matcher,
    max_ngram: usize,
    vocab: &mut Vocabulary,
) -> DocCounts {
    let counting = Counting::all(max_ngram);
    count_with(text, mode, analyzer, matcher, &counting, vocab)
}

/// [`count_document`], also keeping each theme match's place and
/// `window` tokens of context on each side in [`DocCounts::kwic`].
pub fn count_with_kwic(
    text: &str,
    mode: &section::Mode,
    analyzer: &Analyzer,
    matcher: &Matcher,
    max_ngram: usize,
    window: usize,
    vocab: &mut Vocabulary,
) -> DocCounts {
    let counting = Counting {
        kwic: Some(window),
        ..Counting::all(max_ngram)
    };
    count_with(text, mode, analyzer, matcher, &counting, vocab)
}

/// Analyzes one document's text, counting what `counting` asks for.
pub fn count_with(
    text: &str,
    mode: &section::Mode,
    analyzer: &Analyzer,
    matcher: &Matcher,
    counting: &Counting,
    vocab: &mut Vocabulary,
) -> DocCounts {
    let piece_bytes = token::PIECE_BYTES;
    count(text, mode, analyzer, matcher, counting, vocab, piece_bytes)
}

/// Counts a document a section at a time (see [`counter`]), each section
/// in pieces of about `piece_bytes`.
fn count(
    text: &str,
    mode: &section::Mode,
    analyzer: &Analyzer,
    matcher: &Matcher,
    counting: &Counting,
    vocab: &mut Vocabulary,
    piece_bytes: usize,
) -> DocCounts {
    let mut counter = Counter::new(text, analyzer, matcher, counting, vocab);
    for section in section::split(text, mode) {
        counter.count_section(section, piece_bytes);
    }
    counter.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Hyphens;

    /// The default analyzer with `hyphens`, and `codebook`'s matcher.
    pub(super) fn analyzer_and_matcher(
        hyphens: Hyphens,
        codebook: &Codebook,
    ) -> (Analyzer, Matcher) {
        let options = AnalyzerOptions {
            hyphens,
            ..AnalyzerOptions::default()
        };
        let analyzer = Analyzer::new(&options).unwrap();
        let matcher = Matcher::new(codebook, &analyzer).unwrap();
        (analyzer, matcher)
    }

    /// A small deterministic generator for the random tests (xorshift64):
    /// `next(m)` is in 0..m.
    pub(super) fn xorshift(seed: u64) -> impl FnMut(u64) -> u64 {
        let mut x = seed;
        move |m| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        }
    }
    use crate::analyze::AnalyzerOptions;
    use crate::theme::{Codebook, Theme};

    /// An n-gram's text is its most frequent exact sequence, ties going to
    /// the smallest text, whether every sequence is kept or only that one
    /// (hand count: "united nations" twice, "united nation" once; then
    /// once each, and "united nation" < "united nations").
    #[test]
    fn ngram_text_is_the_most_frequent_sequence_then_the_smallest() {
        let analyzer = Analyzer::new(&AnalyzerOptions::default()).unwrap();
        let matcher = Matcher::new(&Codebook::default_codebook(), &analyzer).unwrap();
        let mut vocab = Vocabulary::default();
        for (text, want, sequences) in [
            (
                "United nations.\n\nUnited nation.\n\nUnited nations.",
                "united nations",
                2,
            ),
            ("United nations.\n\nUnited nation.", "united nation", 2),
        ] {
            for all_sequences in [true, false] {
                let counting = Counting {
                    all_sequences,
                    ..Counting::all(2)
                };
                let mode = section::Mode::Auto;
                let c = count_with(text, &mode, &analyzer, &matcher, &counting, &mut vocab);
                assert_eq!(c.ngrams.len(), 1, "{text}");
                assert_eq!(c.ngram_text(&c.ngrams[0]), want, "{text}");
                let kept = c.ngram_sequences(&c.ngrams[0]).count();
                assert_eq!(kept, if all_sequences { sequences } else { 1 });
            }
        }
    }

    /// Counting less (one sequence per n-gram, no n-grams, no theme
    /// evidence, no themes) changes only what was left out: random texts
    /// with stems of several forms, each `--hyphens` mode, n-grams of 2 to
    /// 5, one worker vocabulary carried across the settings.
    #[test]
    fn counting_less_changes_only_what_is_left_out() {
        let words = [
            "united",
            "unite",
            "uniting",
            "nation",
            "nations",
            "national",
            "peace",
            "peaceful",
            "right",
            "rights",
            "human",
            "security",
            "council",
            "the",
            "of",
            "co",
            "operation",
            "cooperation",
            "1,000",
        ];
        let gaps = [" ", " ", " ", "-", ", ", ". ", "\n\n"];
        let mut next = xorshift(0x0DDB_1A5E_5BAD_5EEDu64);
        let codebook = overlapping_codebook();
        let mut vocab = Vocabulary::default();
        let sizes = |c: &DocCounts| {
            let sections: Vec<_> = c
                .sections
                .iter()
                .map(|s| (&s.section, s.n_tokens, s.n_terms, s.n_types, &s.terms))
                .collect();
            let terms: Vec<_> = c.terms.iter().map(|&(t, n, k)| (c.stem(t), n, k)).collect();
            let mut surfaces: Vec<_> = c.surfaces().map(|(t, f, n)| (c.stem(t), f, n)).collect();
            surfaces.sort_unstable();
            format!(
                "{sections:?}\n{terms:?}\n{surfaces:?}\n{} {} {}",
                c.n_tokens, c.n_terms, c.title
            )
        };
        let themes = |c: &DocCounts| -> Vec<(Vec<u32>, u64)> {
            c.sections
                .iter()
                .map(|s| (s.themes.clone(), s.n_covered))
                .collect()
        };
        for case in 0..150 {
            let hyphens = [Hyphens::Join, Hyphens::Both, Hyphens::Split][case % 3];
            let (analyzer, matcher) = analyzer_and_matcher(hyphens, &codebook);
            let mut text = String::new();
            for _ in 0..50 + next(300) {
                text.push_str(words[next(words.len() as u64) as usize]);
                text.push_str(gaps[next(gaps.len() as u64) as usize]);
            }
            let mode = section::Mode::Auto;
            let all = Counting::all(2 + next(4) as usize);
            let mut count = |counting: Counting| {
                count_with(&text, &mode, &analyzer, &matcher, &counting, &mut vocab)
            };
            let full = count(all);
            let best = count(Counting {
                all_sequences: false,
                ..all
            });
            assert_eq!(best.ngrams.len(), full.ngrams.len(), "{text}");
            for (b, f) in best.ngrams.iter().zip(&full.ngrams) {
                assert_eq!((b.n, b.ids, b.count), (f.n, f.ids, f.count));
                let first = full.ngram_sequences(f).next();
                assert_eq!(
                    best.ngram_sequences(b).collect::<Vec<_>>(),
                    Vec::from_iter(first)
                );
            }
            let no_ngrams = count(Counting {
                max_ngram: 0,
                ..all
            });
            assert!(no_ngrams.ngrams.is_empty() && no_ngrams.ngram_forms.is_empty());
            let no_rows = count(Counting {
                match_rows: false,
                ..all
            });
            assert!(no_rows.matches.is_empty() && !full.matches.is_empty());
            assert_eq!(themes(&no_rows), themes(&full), "{text}");
            let no_themes = count(Counting {
                themes: false,
                match_rows: false,
                ..all
            });
            assert!(no_themes.matches.is_empty());
            assert!(no_themes
                .sections
                .iter()
                .all(|s| s.n_covered == 0 && s.themes.iter().all(|&n| n == 0)));
            for less in [&best, &no_ngrams, &no_rows, &no_themes] {
                assert_eq!(sizes(less), sizes(&full), "{text}");
            }
            for less in [&no_rows, &no_themes] {
                assert_eq!(format!("{:?}", less.ngrams), format!("{:?}", full.ngrams));
                assert_eq!(less.ngram_surfaces, full.ngram_surfaces);
            }
        }
    }

    /// A stem's surface form is its most frequent form, ties going to the
    /// smallest text, also when the forms share their first 8 bytes (hand
    /// count: "cooperation" and "cooperating" once each, stem "cooper";
    /// "cooperating" < "cooperation" at byte 9).
    #[test]
    fn surface_form_is_the_most_frequent_then_the_smallest() {
        let analyzer = Analyzer::new(&AnalyzerOptions::default()).unwrap();
        let matcher = Matcher::new(&Codebook::default_codebook(), &analyzer).unwrap();
        let mode = section::Mode::Auto;
        let mut vocab = Vocabulary::default();
        let surface_of = |text: &str, vocab: &mut Vocabulary| {
            let c = count_document(text, &mode, &analyzer, &matcher, 2, vocab);
            let stem = (0..c.stems.len() as u32)
                .find(|&s| c.stem(s) == "cooper")
                .expect("stem cooper");
            c.surface(stem).to_string()
        };
        assert_eq!(
            surface_of("Cooperation, cooperating.", &mut vocab),
            "cooperating"
        );
        assert_eq!(
            surface_of("Cooperation, cooperating, cooperation.", &mut vocab),
            "cooperation"
        );
    }

    /// The bytes read from the sort keys are the texts themselves, for
    /// stems and surface forms of 13 to 17 bytes (the key holds a text of up
    /// to 14 bytes whole; longer ones come from the store) and for a stem
    /// without a surface form of its own (only counted inside compounds),
    /// and likewise for the n-grams' display forms.
    #[test]
    fn text_bytes_from_keys_equal_the_texts() {
        let analyzer = Analyzer::new(&AnalyzerOptions {
            hyphens: Hyphens::Join,
            keep_numbers: true,
            ..AnalyzerOptions::default()
        })
        .unwrap();
        let matcher = Matcher::new(&Codebook::default_codebook(), &analyzer).unwrap();
        let text = "Internationals internationalism counterterrorism \
                    counterterrorisms antiterrorismxx nationalisations peace-keeping 1,000";
        let mut vocab = Vocabulary::default();
        let c = count_document(
            text,
            &section::Mode::Auto,
            &analyzer,
            &matcher,
            2,
            &mut vocab,
        );
        let lengths: Vec<usize> = (0..c.stems.len() as u32).map(|s| c.stem(s).len()).collect();
        assert!(lengths.iter().any(|&n| n < 15) && lengths.iter().any(|&n| n >= 15));
        assert!((0..c.stems.len() as u32).any(|s| c.surface(s).is_empty()));
        for s in 0..c.stems.len() as u32 {
            assert_eq!(c.stem_bytes(s), c.stem(s).as_bytes());
            assert_eq!(c.surface_bytes(s), c.surface(s).as_bytes());
        }
        let forms: Vec<&str> = (0..c.ngram_forms.len() as u32)
            .map(|i| c.ngram_form(i))
            .collect();
        assert!(forms.iter().any(|f| f.len() < 15) && forms.iter().any(|f| f.len() >= 15));
        for i in 0..c.ngram_forms.len() as u32 {
            assert_eq!(c.ngram_form_bytes(i), c.ngram_form(i).as_bytes());
        }
    }

    /// A worker's vocabulary carried across documents (and across analyzers with
    /// other settings) gives exactly what a fresh one gives.
    #[test]
    fn warm_vocabulary_counts_like_a_fresh_one() {
        let texts = [
            "Security and co-operation in Europe.\n\nThe U.S. and Russia's 3.14 talks; human rights, co-operation.",
            "Co-operation, cooperation and pre\u{2011}eminent security: weapons of mass destruction.",
            "Security and co-operation in Europe.\n\nThe U.S. and Russia's 3.14 talks; human rights, co-operation.",
        ];
        let mut shared = Vocabulary::default();
        for hyphens in [Hyphens::Join, Hyphens::Both, Hyphens::Split] {
            let (analyzer, matcher) = analyzer_and_matcher(hyphens, &Codebook::default_codebook());
            for text in texts {
                let mode = section::Mode::Auto;
                let warm = count_document(text, &mode, &analyzer, &matcher, 3, &mut shared);
                let mut fresh_vocab = Vocabulary::default();
                let fresh = count_document(text, &mode, &analyzer, &matcher, 3, &mut fresh_vocab);
                assert_eq!(
                    format!("{warm:?}"),
                    format!("{fresh:?}"),
                    "{hyphens:?}: {text}"
                );
            }
        }
    }
    /// A chain of up to [`MAX_COMPOUND_PARTS`] parts is one compound; a
    /// longer one is counted as its parts (hand count: 16 "peace" joined by
    /// hyphens are 1 term, 17 are 17 terms of stem "peac"; with `both` the 16
    /// parts count too, 1 + 16).
    #[test]
    fn compounds_are_capped_at_16_parts() {
        let chain = |n: usize| vec!["peace"; n].join("-");
        for (hyphens, parts, terms) in [
            (Hyphens::Join, 16, 1),
            (Hyphens::Join, 17, 17),
            (Hyphens::Both, 16, 17),
            (Hyphens::Both, 17, 17),
        ] {
            let (analyzer, matcher) = analyzer_and_matcher(hyphens, &Codebook::default_codebook());
            let mut vocab = Vocabulary::default();
            let text = chain(parts);
            let c = count_document(
                &text,
                &section::Mode::Auto,
                &analyzer,
                &matcher,
                2,
                &mut vocab,
            );
            assert_eq!(c.n_tokens, parts as u64, "{hyphens:?} {parts}");
            assert_eq!(c.n_terms, terms, "{hyphens:?} {parts}");
        }
    }

    /// Everything counted, with stem texts for the document's stem ids
    /// (which number stems in order of first sight, and a document counted
    /// a window at a time sees a compound's stem after the tokens of its
    /// piece, not after all of its section's).
    fn by_text(c: &DocCounts) -> String {
        let stems = |ids: &[u32]| ids.iter().map(|&s| c.stem(s)).collect::<Vec<_>>();
        let sections: Vec<_> = c
            .sections
            .iter()
            .map(|s| {
                let terms: Vec<_> = s.terms.iter().map(|&(t, n)| (c.stem(t), n)).collect();
                let sizes = (s.n_tokens, s.n_terms, s.n_types, s.n_covered);
                (&s.section, sizes, terms, &s.themes)
            })
            .collect();
        let terms: Vec<_> = c.terms.iter().map(|&(t, n, k)| (c.stem(t), n, k)).collect();
        let ngrams: Vec<_> = c
            .ngrams
            .iter()
            .map(|g| (stems(g.stems()), g.count))
            .collect();
        let mut surfaces: Vec<_> = c.surfaces().map(|(t, f, n)| (c.stem(t), f, n)).collect();
        surfaces.sort_unstable();
        let surface: Vec<_> = c.terms.iter().map(|&(t, ..)| c.surface(t)).collect();
        format!(
            "{sections:?}\n{terms:?}\n{ngrams:?}\n{surfaces:?}\n{surface:?}\n{:?}\n{:?}\n{} {} {}",
            c.matches, c.kwic, c.n_tokens, c.n_terms, c.title
        )
    }

    /// A codebook with overlapping phrases of 1 to 4 words in themes that
    /// share them (a parent counts its child's patterns), a compound, a
    /// glob and a stem pattern.
    fn overlapping_codebook() -> Codebook {
        let defs = |patterns: &[&str]| -> Vec<crate::theme::codebook::PatternDef> {
            patterns
                .iter()
                .map(|p| crate::theme::codebook::PatternDef {
                    text: (*p).into(),
                    line: 0,
                    column: 0,
                })
                .collect()
        };
        // Exclusions of several lengths, on a parent (`a`, which also
        // applies to `a.b`) and on a child, overlapping the patterns.
        let exclusions = |key: &str| -> &[&str] {
            match key {
                "a" => &["peace and security"],
                "a.b" => &["keeping peace"],
                "c" => &["rights council"],
                "d" => &["security council meeting"],
                _ => &[],
            }
        };
        let theme = |key: &str, patterns: &[&str]| Theme {
            key: key.into(),
            label: String::new(),
            definition: String::new(),
            patterns: defs(patterns),
            exclude: defs(exclusions(key)),
            line: 0,
            column: 0,
        };
        Codebook {
            path: String::new(),
            themes: vec![
                theme(
                    "a",
                    &["peace", "peace keeping", "keeping peace and security"],
                ),
                theme("a.b", &["keeping", "peace and", "and security council"]),
                theme(
                    "c",
                    &[
                        "security council",
                        "council",
                        "human rights council",
                        "human rights",
                    ],
                ),
                theme(
                    "d",
                    &[
                        "peacekeeping",
                        "co-operation",
                        "secur*",
                        "stem:right",
                        "peace peace peace",
                    ],
                ),
            ],
        }
    }

    /// Counting a section a window at a time gives exactly what counting
    /// it whole gives (every count, match and KWIC place): random texts full
    /// of overlapping phrase matches and hyphen chains (some longer than
    /// [`MAX_COMPOUND_PARTS`]), cut into pieces of 1 to 40 bytes (a few
    /// tokens each), with each `--hyphens` mode, n-grams of 1 to 5 and KWIC
    /// windows of 0 to 3 tokens. With `split` the look-ahead is only 6 tokens
    /// (patterns of 1 to 4 words), so windows are decided close to their end.
    #[test]
    fn windows_count_like_the_whole_section() {
        let words = [
            "peace",
            "keeping",
            "and",
            "security",
            "council",
            "human",
            "rights",
            "Council",
            "of",
            "the",
            "co",
            "operation",
            "securities",
            "1,000",
            "right",
        ];
        let phrases = [
            "keeping peace and security council",
            "peace keeping peace and",
            "human rights council",
            "and security",
            "peace peace peace peace",
        ];
        let gaps = [" ", " ", " ", " ", " ", "-", "-", ", ", "\n", ". "];
        let mut next = xorshift(0x9E3779B97F4A7C15u64);
        let codebook = overlapping_codebook();
        for case in 0..300 {
            let hyphens = [Hyphens::Join, Hyphens::Both, Hyphens::Split][case % 3];
            let (analyzer, matcher) = analyzer_and_matcher(hyphens, &codebook);
            let mut text = String::new();
            for _ in 0..100 + next(400) {
                if next(3) == 0 {
                    // Phrases that overlap: "keeping peace and security
                    // council" holds patterns of 1 to 4 words.
                    let phrase = phrases[next(phrases.len() as u64) as usize];
                    text.push_str(phrase);
                } else if next(60) == 0 {
                    // A chain around the cap: 14 to 19 parts.
                    let parts = vec!["peace"; 14 + next(6) as usize];
                    text.push_str(&parts.join("-"));
                } else {
                    text.push_str(words[next(words.len() as u64) as usize]);
                }
                // A new section now and then (paragraphs are cut at blank lines).
                match next(150) {
                    0 => text.push_str("\n\n"),
                    _ => text.push_str(gaps[next(gaps.len() as u64) as usize]),
                }
            }
            let max_ngram = 1 + next(5) as usize;
            let kwic = Some(next(4) as usize);
            let mode = section::Mode::Auto;
            let counting = Counting {
                kwic,
                ..Counting::all(max_ngram)
            };
            let piece_bytes = 1 + next(40) as usize;
            let mut vocab = Vocabulary::default();
            let want = count(
                &text,
                &mode,
                &analyzer,
                &matcher,
                &counting,
                &mut vocab,
                usize::MAX,
            );
            assert!(!want.matches.is_empty());
            let mut vocab = Vocabulary::default();
            let got = count(
                &text,
                &mode,
                &analyzer,
                &matcher,
                &counting,
                &mut vocab,
                piece_bytes,
            );
            let (got, want) = (by_text(&got), by_text(&want));
            if let Some(at) =
                (0..got.len().min(want.len())).find(|&i| got.as_bytes()[i] != want.as_bytes()[i])
            {
                let from = at.saturating_sub(300);
                panic!(
                    "case {case} {hyphens:?} pieces of {piece_bytes} bytes, n-grams {max_ngram}, {kwic:?}: {text:?}\n got: {}\nwant: {}",
                    &got[from..(at + 100).min(got.len())],
                    &want[from..(at + 100).min(want.len())]
                );
            }
            assert_eq!(got, want);
        }
    }
}
