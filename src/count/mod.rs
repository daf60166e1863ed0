//! Count: runs one document through sections → tokens → forms → terms →
//! theme matches, and counts terms, n-grams and themes per section and per
//! document. Pure: text in, [`DocCounts`] out; nothing is written here.
//!
//! Forms are interned per document (keyed by the raw token text, so a
//! repeated word costs one hash lookup), and stems come from a cache that
//! lives as long as the worker thread, since the vocabulary is Zipfian.
//!
//! A section is counted a window of tokens at a time (see `count`), so
//! that memory is bounded by the vocabulary, not by the section's length;
//! the counts are those of the whole section.
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

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::analyze::{Analyzer, Hyphens, Role};
use crate::section::{self, Section};
use crate::theme::{Match, Matcher};
use crate::token::{self, Token};
use crate::words::{self, WordTable};

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
    /// The [`prefix`] of each of `stems` and `surface`, as bytes (may be
    /// empty): a text shorter than 15 bytes is read from here instead of
    /// from `strings`, where each text is a cache miss away. The last
    /// byte's top bit says that the text is a CSV cell as it is (see
    /// [`doc_key`]).
    pub stem_keys: Vec<[u8; 16]>,
    pub surface_keys: Vec<[u8; 16]>,
    /// (stem id, count, sections containing it), by count descending, then stem.
    pub terms: Vec<(u32, u32, u32)>,
    /// By n, count descending, text, then stem ids.
    pub ngrams: Vec<NgramCount>,
    /// The distinct display texts of the document's term forms (string ids)
    /// in text order, which the n-grams' sequences index, and their
    /// [`prefix`]es as in `stem_keys`.
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

    /// [`DocCounts::stem_bytes`] when they are a CSV cell as they are (no
    /// quotes, no formula guard) and known to be without reading them.
    pub fn stem_cell(&self, stem: u32) -> Option<&[u8]> {
        key_cell(self.stem_keys.get(stem as usize))
    }

    /// [`DocCounts::surface_bytes`] as [`DocCounts::stem_cell`].
    pub fn surface_cell(&self, stem: u32) -> Option<&[u8]> {
        key_cell(self.surface_keys.get(stem as usize))
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
        if let Some((forms, _)) = self.ngram_surfaces(g).first() {
            push_sequence_text(forms, |i| self.ngram_form(i), out);
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

    /// [`DocCounts::ngram_form_bytes`] as [`DocCounts::stem_cell`].
    pub fn ngram_form_cell(&self, i: u32) -> Option<&[u8]> {
        key_cell(self.ngram_form_keys.get(i as usize))
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

/// What one worker thread has learned about the vocabulary, kept across the
/// documents it analyzes: each distinct raw token maps to its form (role,
/// stem and the theme-pattern elements it matches), computed once. Valid for
/// one analyzer and matcher (it resets itself for another), and cleared
/// between documents when it exceeds [`StemCache::MAX_FORMS`], so its memory
/// is bounded by the vocabulary, not by the corpus.
#[derive(Default)]
pub struct StemCache {
    owner: Option<Owner>,
    by_surface: WordTable,
    /// Forms by (display text, key when it differs).
    by_form: FxHashMap<(Box<str>, Option<Box<str>>), u32>,
    /// Compound forms by the forms of their parts.
    by_parts: FxHashMap<Box<[u32]>, u32>,
    forms: Vec<Form>,
    /// Every stem's and form's text.
    strings: Arc<Strings>,
    /// By string id: its sort key (see [`prefix`]), and whether every
    /// byte is above the space; so sorting by text rarely reads the texts.
    prefix: Vec<u128>,
    plain: Vec<bool>,
    /// By string id: whether the text is a CSV cell as it is (no quotes,
    /// no formula guard), for [`DocCounts::stem_cell`].
    as_cell: Vec<bool>,
    stem_ids: FxHashMap<Box<str>, u32>,
    /// String id by global stem id.
    stems: Vec<u32>,
    /// Matcher element ids; each form owns a range.
    elements: Vec<u32>,
    /// Per document: each global stem's local id (or NONE).
    local: Vec<u32>,
    /// Per document: each form's count as a term unit, and its local id
    /// (its place in the document's [`DocCounts::surfaces`]) once counted.
    form_counts: Vec<(u32, u32)>,
    /// Per document: counts of exact sequences of term forms (local form
    /// ids), grouped into n-grams afterwards (empty between documents).
    ngram_counts: FxHashMap<[u32; MAX_NGRAM], u32>,
    /// Per document: bigram counts by the two local form ids as one
    /// integer (the default n-grams, hashed and compared as one word).
    bigram_counts: FxHashMap<u64, u32>,
    /// Global stem id by the text that was stemmed.
    stems_cache: FxHashMap<Box<str>, u32>,
    /// Set while a document is counted: if counting never finished, the
    /// per-document state is stale and the cache starts over.
    busy: bool,
}

/// What a [`StemCache`] is valid for: the analyzer's and the matcher's
/// ids, and whether themes are matched.
type Owner = ((u64, bool, bool, Hyphens), u64, bool);

const NONE: u32 = u32::MAX;

/// A form: a token's display text (or a compound's, parts joined by `-`)
/// with its key (see [`crate::analyze`]).
struct Form {
    /// String id of the display text.
    text: u32,
    /// The key, when it differs from the display text.
    key: Option<Box<str>>,
    role: Role,
    /// Global stem id when the form is a term.
    stem: u32,
    /// Range of `StemCache::elements`.
    elements: (u32, u32),
}

impl StemCache {
    /// Distinct forms kept before the cache starts over.
    pub const MAX_FORMS: usize = 1_000_000;

    /// Makes the cache valid for `analyzer` and `matcher`; without
    /// `themes`, forms match no theme-pattern element (none is looked for).
    fn prepare(&mut self, analyzer: &Analyzer, matcher: &Matcher, themes: bool) {
        let owner = Some((analyzer.cache_key(), matcher.id(), themes));
        if self.owner != owner || self.forms.len() > Self::MAX_FORMS || self.busy {
            *self = StemCache {
                owner,
                ..StemCache::default()
            };
        }
        self.busy = true;
    }

    fn add_string(&mut self, text: &str) -> u32 {
        self.prefix.push(prefix(text));
        self.plain.push(text.bytes().all(|b| b > b' '));
        self.as_cell.push(
            !crate::write::needs_quotes(text.as_bytes())
                && !crate::write::is_formula_start(text.as_bytes().first()),
        );
        self.strings.push(text)
    }

    fn stem_id(&mut self, stem: &str) -> u32 {
        if let Some(&id) = self.stem_ids.get(stem) {
            return id;
        }
        let id = self.stems.len() as u32;
        let text = self.add_string(stem);
        self.stems.push(text);
        self.stem_ids.insert(stem.into(), id);
        self.local.push(NONE);
        id
    }

    fn stem(&mut self, analyzer: &Analyzer, key: &str) -> u32 {
        if let Some(&id) = self.stems_cache.get(key) {
            return id;
        }
        let id = self.stem_id(&analyzer.stem(key));
        self.stems_cache.insert(key.into(), id);
        id
    }

    /// Interns a form; `text` is its display text and `key` what is stemmed
    /// and matched (the token's key, or a compound's parts' keys joined
    /// without hyphens).
    fn intern_form(
        &mut self,
        text: &str,
        role: Role,
        key: &str,
        compound: bool,
        analyzer: &Analyzer,
        matcher: &Matcher,
    ) -> u32 {
        let own_key = (key != text).then(|| Box::<str>::from(key));
        let lookup = (Box::<str>::from(text), own_key);
        if let Some(&id) = self.by_form.get(&lookup) {
            return id;
        }
        let stem = if role == Role::Term {
            self.stem(analyzer, key)
        } else {
            NONE
        };
        let start = self.elements.len() as u32;
        let stem_text = if compound || stem == NONE {
            ""
        } else {
            self.strings.get(self.stems[stem as usize])
        };
        if self.owner.is_some_and(|(_, _, themes)| themes) {
            matcher.word_elements(key, stem_text, &mut self.elements);
        }
        let id = self.forms.len() as u32;
        let text = self.add_string(text);
        self.forms.push(Form {
            text,
            key: lookup.1.clone(),
            role,
            stem,
            elements: (start, self.elements.len() as u32),
        });
        self.by_form.insert(lookup, id);
        self.form_counts.push((0, NONE));
        id
    }

    /// The form of a token's raw text, whose [`words::hash`] is `hash`,
    /// and the form's [`StemCache::info`] (kept beside it in the table, so
    /// that the token loop need not read the form).
    fn word(
        &mut self,
        surface: &str,
        hash: u64,
        analyzer: &Analyzer,
        matcher: &Matcher,
    ) -> (u32, u32) {
        if let Some(found) = self.by_surface.get(surface.as_bytes(), hash) {
            return found;
        }
        let a = analyzer.analyze(surface);
        let id = self.intern_form(&a.display, a.role, a.key(), false, analyzer, matcher);
        let info = self.info(id);
        self.by_surface.insert(surface.as_bytes(), hash, id, info);
        (id, info)
    }

    /// A form's global stem id ([`NO_STEM`] when it is not a term; stem
    /// ids stay below 2^31) with its top bit set when the form matches any
    /// theme-pattern element.
    fn info(&self, form: u32) -> u32 {
        let f = &self.forms[form as usize];
        let stem = if f.role == Role::Term {
            f.stem
        } else {
            NO_STEM
        };
        stem | (u32::from(f.elements.0 != f.elements.1) << 31)
    }

    /// The form of a hyphenated compound made of `parts` (form ids).
    fn compound(&mut self, parts: &[u32], analyzer: &Analyzer, matcher: &Matcher) -> u32 {
        if let Some(&id) = self.by_parts.get(parts) {
            return id;
        }
        let texts: Vec<&str> = parts
            .iter()
            .map(|&p| self.strings.get(self.forms[p as usize].text))
            .collect();
        let surface = texts.join("-");
        let key: String = parts.iter().map(|&p| self.key_of(p)).collect();
        let role = if !analyzer.keep_numbers && Analyzer::is_number(&key) {
            Role::Number
        } else {
            Role::Term
        };
        let id = self.intern_form(&surface, role, &key, true, analyzer, matcher);
        self.by_parts.insert(parts.into(), id);
        id
    }

    /// The key of a form.
    fn key_of(&self, form: u32) -> &str {
        let f = &self.forms[form as usize];
        f.key.as_deref().unwrap_or_else(|| self.strings.get(f.text))
    }

    fn elements_of(&self, form: u32) -> &[u32] {
        let (start, end) = self.forms[form as usize].elements;
        &self.elements[start as usize..end as usize]
    }
}

/// A counting unit: a token, or a hyphenated compound spanning tokens.
#[derive(Clone, Copy)]
struct Unit {
    first: usize,
    last: usize,
    form: u32,
    /// The document's local stem id, `NONE` when the unit is not a term.
    local: u32,
}

/// The top bit of [`StemCache::info`], and its stem part for a form that
/// is not a term.
const HAS_ELEMENTS: u32 = 1 << 31;
const NO_STEM: u32 = !HAS_ELEMENTS;

/// Stem ids local to one document, in order of first occurrence.
struct Locals {
    /// Global stem id by local id.
    global: Vec<u32>,
}

impl Locals {
    /// The local id of the stem of a form with [`StemCache::info`] `info`
    /// (given on first sight), or `NONE` when the form is not a term.
    fn of(&mut self, cache: &mut StemCache, info: u32) -> u32 {
        let stem = info & !HAS_ELEMENTS;
        if stem == NO_STEM {
            return NONE;
        }
        let local = &mut cache.local[stem as usize];
        if *local == NONE {
            *local = self.global.len() as u32;
            self.global.push(stem);
        }
        *local
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
    cache: &mut StemCache,
) -> DocCounts {
    let counting = Counting::all(max_ngram);
    count_with(text, mode, analyzer, matcher, &counting, cache)
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
    cache: &mut StemCache,
) -> DocCounts {
    let counting = Counting {
        kwic: Some(window),
        ..Counting::all(max_ngram)
    };
    count_with(text, mode, analyzer, matcher, &counting, cache)
}

/// Analyzes one document's text, counting what `counting` asks for.
pub fn count_with(
    text: &str,
    mode: &section::Mode,
    analyzer: &Analyzer,
    matcher: &Matcher,
    counting: &Counting,
    cache: &mut StemCache,
) -> DocCounts {
    let piece_bytes = token::PIECE_BYTES;
    count(text, mode, analyzer, matcher, counting, cache, piece_bytes)
}

/// Counts a document a window of tokens at a time, so that memory depends
/// on the vocabulary, not on the length of a section. Each section's tokens
/// come in pieces ([`token::Pieces`]); a buffer holds the tokens not yet
/// counted. Each round appends a piece, builds the units and theme matches
/// of the buffer up to `end` (the start of the hyphen chain that ends it,
/// which may go on in the next piece), and counts what is decided: tokens
/// before `done`, which is `lookahead` tokens before `end` (the whole
/// section in its last round). The rest is matched again in the next round.
///
/// Theme matching (longest first, then leftmost, then codebook order,
/// within a theme) is exact a window at a time: a candidate's fate depends
/// on candidates to its left, which are decided (accepted ones are carried
/// into the next round and take their tokens first, see
/// [`Matcher::find_elements_after`]), and to its right only on strictly
/// longer overlapping ones, whose last tokens lie at most [`lookahead`]
/// tokens past its first. N-gram runs carry their last `max_ngram - 1`
/// terms; a compound is never cut (a chain is capped at
/// [`MAX_COMPOUND_PARTS`]).
fn count(
    text: &str,
    mode: &section::Mode,
    analyzer: &Analyzer,
    matcher: &Matcher,
    counting: &Counting,
    cache: &mut StemCache,
    piece_bytes: usize,
) -> DocCounts {
    let match_themes = counting.themes || counting.kwic.is_some();
    cache.prepare(analyzer, matcher, match_themes);
    let mut doc = DocCounts::default();
    let mut locals = Locals { global: Vec::new() };
    let mut tokens: Vec<Token> = Vec::new();
    let mut token_forms: Vec<u32> = Vec::new();
    // Per token: the local stem id, or NONE.
    let mut token_locals: Vec<u32> = Vec::new();
    let mut units: Vec<Unit> = Vec::new();
    let mut part_terms: Vec<Unit> = Vec::new();
    let mut matches: Vec<Match> = Vec::new();
    // Accepted matches of earlier rounds that reach into the buffer.
    let mut carried: Vec<Match> = Vec::new();
    let mut kwic = Kwic::new(counting.kwic);
    let mut chains: Vec<(usize, usize, u32)> = Vec::new();
    let mut covered: Vec<bool> = Vec::new();
    let mut run: Vec<u32> = Vec::new();
    // Per local stem: (count, sections) in the document, count in the section.
    let mut doc_terms: Vec<(u32, u32)> = Vec::new();
    let mut section_counts: Vec<u32> = Vec::new();
    let mut section_stems: Vec<u32> = Vec::new();
    let mut counted_forms: Vec<u32> = Vec::new();
    // Fixed-size keys (unused places u32::MAX): no allocation per n-gram.
    // Kept by the worker between documents, so that it does not grow again
    // from empty for every document.
    let mut ngram_counts = std::mem::take(&mut cache.ngram_counts);
    let mut bigram_counts = std::mem::take(&mut cache.bigram_counts);
    let max_ngram = counting.max_ngram.min(MAX_NGRAM);
    // Matched texts interned per document: one string per distinct text.
    let mut match_rows: FxHashMap<(u32, u32, u32, u32, bool), u32> = FxHashMap::default();
    let mut matched_ids: FxHashMap<Arc<str>, u32> = FxHashMap::default();
    let mut matched_texts: Vec<Arc<str>> = Vec::new();
    let mut scratch = String::new();
    let lookahead = lookahead(matcher, analyzer.hyphens);

    let mut sections = section::split(text, mode).into_iter();
    // The section being counted, and the rest of its text.
    let mut open: Option<(Section, token::Pieces)> = None;
    // Per section: terms at the start of `run` whose n-grams were counted;
    // parts of the hyphen chain that ends the buffer; tokens before `from`
    // in the buffer are counted (and kept as KWIC context only); whether a
    // theme pattern can match here at all.
    let (mut run_counted, mut chain_parts, mut from, mut any_elements) = (0usize, 0, 0, false);
    let mut themes: Vec<u32> = Vec::new();
    let (mut n_tokens, mut n_terms, mut n_covered) = (0u64, 0u64, 0u64);
    // A round: the next piece of the open section (or of the next section).
    loop {
        let (section, pieces) = match &mut open {
            Some(open) => open,
            None => {
                let Some(section) = sections.next() else {
                    break;
                };
                if section.kind == "title" && doc.title.is_empty() {
                    doc.title = section::plain(&text[section.range.clone()]);
                }
                tokens.clear();
                token_forms.clear();
                token_locals.clear();
                carried.clear();
                run.clear();
                (run_counted, chain_parts, from, any_elements) = (0, 0, 0, false);
                themes = vec![0u32; matcher.len()];
                (n_tokens, n_terms, n_covered) = (0, 0, 0);
                let pieces = token::Pieces::new(text, section.range.clone(), piece_bytes);
                open.insert((section, pieces))
            }
        };
        let new = tokens.len();
        let last_round = pieces.next_into(&mut tokens);
        cap_compounds(&mut tokens, new, &mut chain_parts);
        n_tokens += (tokens.len() - new) as u64;
        for t in &tokens[new..] {
            let surface = &text[t.range()];
            let hash = words::hash(surface.as_bytes());
            let (form, info) = cache.word(surface, hash, analyzer, matcher);
            token_forms.push(form);
            token_locals.push(locals.of(cache, info));
            any_elements |= info & HAS_ELEMENTS != 0;
        }
        // The chain that ends the buffer may go on in the next piece.
        let end = match last_round {
            true => tokens.len(),
            false => tokens
                .iter()
                .rposition(|t| !t.hyphen_joined)
                .map_or(from, |e| e.max(from)),
        };

        // Units: tokens, with hyphen chains joined unless --hyphens split.
        units.clear();
        part_terms.clear();
        chains.clear();
        let mut i = from;
        while i < end {
            let mut j = i;
            while j + 1 < end && tokens[j + 1].hyphen_joined {
                j += 1;
            }
            if j > i && analyzer.hyphens != Hyphens::Split {
                let form = cache.compound(&token_forms[i..=j], analyzer, matcher);
                let info = cache.info(form);
                any_elements |= info & HAS_ELEMENTS != 0;
                chains.push((i, j, form));
                units.push(Unit {
                    first: i,
                    last: j,
                    form,
                    local: locals.of(cache, info),
                });
                if analyzer.hyphens == Hyphens::Both {
                    part_terms.extend((i..=j).map(|k| Unit {
                        first: k,
                        last: k,
                        form: token_forms[k],
                        local: token_locals[k],
                    }));
                }
            } else {
                units.extend((i..=j).map(|k| Unit {
                    first: k,
                    last: k,
                    form: token_forms[k],
                    local: token_locals[k],
                }));
            }
            i = j + 1;
        }

        // Theme matches over the tokens' forms (stopwords included);
        // the tokens before `from` take part in none.
        matches.clear();
        if any_elements {
            let per_word: Vec<&[u32]> = token_forms[..end]
                .iter()
                .enumerate()
                .map(|(k, &f)| {
                    if k < from {
                        &[][..]
                    } else {
                        cache.elements_of(f)
                    }
                })
                .collect();
            let chain_elements: Vec<(usize, usize, &[u32])> = chains
                .iter()
                .map(|&(i, j, f)| (i, j, cache.elements_of(f)))
                .collect();
            matcher.find_elements_after(&per_word, &chain_elements, &carried, &mut matches);
        }
        // Counted in this round: what starts before `done`.
        let done = match last_round {
            true => end,
            false => unit_start(&tokens, end.saturating_sub(lookahead), from),
        };
        matches.truncate(matches.partition_point(|m| m.first < done));
        covered.clear();
        if !matches.is_empty() || !carried.is_empty() {
            covered.resize(tokens.len(), false);
        }
        for m in carried.iter().filter(|m| !m.excluded) {
            covered[m.first..=m.last].iter_mut().for_each(|c| *c = true);
        }
        for m in &matches {
            if !m.excluded {
                themes[m.theme as usize] += 1;
                covered[m.first..=m.last].iter_mut().for_each(|c| *c = true);
            }
            if !counting.match_rows {
                continue;
            }
            let start = tokens[m.first].start;
            let end = tokens[m.last].end;
            scratch.clear();
            push_matched_text(&text[start..end], &mut scratch);
            let matched = match matched_ids.get(scratch.as_str()) {
                Some(&id) => id,
                None => {
                    let id = matched_texts.len() as u32;
                    let shared: Arc<str> = scratch.as_str().into();
                    matched_texts.push(shared.clone());
                    matched_ids.insert(shared, id);
                    id
                }
            };
            *match_rows
                .entry((section.id, m.theme, m.pattern, matched, m.excluded))
                .or_insert(0) += 1;
        }
        kwic.add(&tokens, &matches, section.id, last_round, &mut doc.kwic);

        // Terms.
        section_counts.resize(locals.global.len(), 0);
        doc_terms.resize(locals.global.len(), (0, 0));
        let decided = |u: &&Unit| u.first < done;
        for unit in units
            .iter()
            .take_while(decided)
            .chain(part_terms.iter().take_while(decided))
        {
            if unit.local == NONE {
                continue;
            }
            n_terms += 1;
            if !covered.is_empty() {
                n_covered += u64::from(covered[unit.first..=unit.last].iter().any(|&c| c));
            }
            let local = unit.local as usize;
            if section_counts[local] == 0 {
                section_stems.push(local as u32);
            }
            section_counts[local] += 1;
            let fc = &mut cache.form_counts[unit.form as usize];
            if fc.0 == 0 {
                fc.1 = counted_forms.len() as u32;
                counted_forms.push(unit.form);
            }
            fc.0 += 1;
        }

        // N-grams over runs of consecutive term units; a run that the
        // round ends goes on in the next (its n-grams counted, its last
        // `max_ngram - 1` terms kept).
        if max_ngram >= 2 {
            for unit in units.iter().take_while(decided).map(Some).chain([None]) {
                match unit {
                    // The local form id, set by the terms' loop above.
                    Some(u) if u.local != NONE => run.push(cache.form_counts[u.form as usize].1),
                    _ => {
                        // Keyed by local form ids: each exact sequence
                        // counts; a run's n-grams counted in an earlier
                        // round are skipped.
                        let seen = |n: usize| run_counted.saturating_sub(n - 1);
                        for pair in run.windows(2).skip(seen(2)) {
                            let key = (u64::from(pair[0]) << 32) | u64::from(pair[1]);
                            *bigram_counts.entry(key).or_insert(0) += 1;
                        }
                        for n in 3..=max_ngram {
                            for window in run.windows(n).skip(seen(n)) {
                                let mut key = [u32::MAX; MAX_NGRAM];
                                key[..n].copy_from_slice(window);
                                *ngram_counts.entry(key).or_insert(0) += 1;
                            }
                        }
                        run_counted = match unit.is_none() && !last_round {
                            true => run.len().min(max_ngram - 1),
                            false => 0,
                        };
                        run.drain(..run.len() - run_counted);
                    }
                }
            }
        }
        if let Some((section, _)) = open.take_if(|_| last_round) {
            let mut terms: Vec<(u32, u32)> = Vec::with_capacity(section_stems.len());
            for &stem in &section_stems {
                let count = std::mem::take(&mut section_counts[stem as usize]);
                let entry = &mut doc_terms[stem as usize];
                entry.0 += count;
                entry.1 += 1;
                terms.push((stem, count));
            }
            section_stems.clear();
            // Sorted below, once every stem of the document is known.
            doc.n_tokens += n_tokens;
            doc.n_terms += n_terms;
            doc.sections.push(SectionCounts {
                section,
                n_tokens,
                n_terms,
                n_types: terms.len() as u64,
                n_covered,
                terms,
                themes: std::mem::take(&mut themes),
            });
            continue;
        }

        // What is counted leaves the buffer (but KWIC context).
        carried.extend(matches.iter().filter(|m| m.last >= done));
        carried.retain(|m| m.last >= done);
        let gone = done.saturating_sub(counting.kwic.unwrap_or(0));
        tokens.drain(..gone);
        token_forms.drain(..gone);
        token_locals.drain(..gone);
        for m in &mut carried {
            m.first = m.first.max(done) - gone;
            m.last -= gone;
        }
        kwic.shift(gone);
        from = done - gone;
    }
    doc.kwic.sort_unstable();

    doc.strings = cache.strings.clone();
    doc.stems = locals
        .global
        .iter()
        .map(|&g| cache.stems[g as usize])
        .collect();
    // Rows sort by stem text; ranking the document's stems once lets every
    // sort below compare integers instead of strings.
    let stem_keys: Vec<u128> = doc.stems.iter().map(|&id| cache.prefix_of(id)).collect();
    let rank = cache.ranks_by(&doc.stems, &stem_keys, false);
    doc.stem_keys = cache.doc_keys(&doc.stems, &stem_keys);
    let mut by_rank = vec![0u32; rank.len()];
    for (stem, &r) in rank.iter().enumerate() {
        by_rank[r as usize] = stem as u32;
    }
    let mut keys: Vec<u64> = Vec::new();
    for s in &mut doc.sections {
        keys.clear();
        keys.extend(
            s.terms
                .iter()
                .map(|&(stem, count)| by_count_then(count, rank[stem as usize])),
        );
        keys.sort_unstable();
        s.terms.clear();
        s.terms.extend(keys.iter().map(|&k| from_key(k, &by_rank)));
    }

    // Each stem's most frequent surface form (ties: the smallest string).
    doc.surfaces = counted_forms
        .iter()
        .map(|&form| {
            let count = std::mem::take(&mut cache.form_counts[form as usize].0);
            let f = &cache.forms[form as usize];
            (cache.local[f.stem as usize], f.text, count)
        })
        .collect();
    doc.surface = vec![NONE; locals.global.len()];
    let mut best = vec![0u32; locals.global.len()];
    for &(stem, text, count) in &doc.surfaces {
        let (stem, current) = (stem as usize, doc.surface[stem as usize]);
        if current == NONE
            || count > best[stem]
            || (count == best[stem] && cache.text_less(text, current))
        {
            doc.surface[stem] = text;
            best[stem] = count;
        }
    }
    for &g in &locals.global {
        cache.local[g as usize] = NONE;
    }
    cache.busy = false;

    keys.clear();
    keys.extend(
        doc_terms
            .iter()
            .enumerate()
            .filter(|(_, &(c, _))| c > 0)
            .map(|(s, &(c, _))| by_count_then(c, rank[s])),
    );
    keys.sort_unstable();
    doc.terms = keys
        .iter()
        .map(|&k| {
            let (stem, count) = from_key(k, &by_rank);
            (stem, count, doc_terms[stem as usize].1)
        })
        .collect();

    let bigrams = bigram_counts.drain().map(|(key, count)| {
        let mut ids = [u32::MAX; MAX_NGRAM];
        ids[..2].copy_from_slice(&[(key >> 32) as u32, key as u32]);
        (ids, count)
    });
    let sequences: Vec<([u32; MAX_NGRAM], u32)> = bigrams.chain(ngram_counts.drain()).collect();
    if ngram_counts.capacity() <= 1 << 16 {
        cache.ngram_counts = ngram_counts;
    }
    if bigram_counts.capacity() <= 1 << 16 {
        cache.bigram_counts = bigram_counts;
    }
    if !sequences.is_empty() {
        cache.finish_ngrams(&sequences, counting.all_sequences, &mut doc);
    }
    let surface_keys: Vec<u128> = doc.surface.iter().map(|&id| cache.prefix_of(id)).collect();
    doc.surface_keys = cache.doc_keys(&doc.surface, &surface_keys);

    let mut rows: Vec<MatchRow> = match_rows
        .into_iter()
        .map(
            |((section_id, theme, pattern, matched, excluded), count)| MatchRow {
                section_id,
                theme,
                pattern,
                matched: matched_texts[matched as usize].clone(),
                excluded,
                count,
            },
        )
        .collect();
    rows.sort_unstable();
    doc.matches = rows;
    doc
}

/// How many tokens past a candidate's first token can decide whether the
/// candidate is accepted. It depends on overlapping candidates that come
/// before it (longer ones; of its own length, those to its left), and
/// those that reach further right are strictly longer, each reaching at
/// most its length - 1 past the one before: so the sum of (span - 1) over
/// the spans a candidate can have (its pattern's words; a compound's parts
/// unless `--hyphens split`, at most [`MAX_COMPOUND_PARTS`]).
fn lookahead(matcher: &Matcher, hyphens: Hyphens) -> usize {
    let mut spans: Vec<usize> = matcher.pattern_lengths().collect();
    if hyphens != Hyphens::Split {
        spans.extend(2..=MAX_COMPOUND_PARTS);
    }
    spans.sort_unstable();
    spans.dedup();
    // The chain of strictly longer candidates, plus one exclusion match
    // (of any length) at its end that can still decide the last of them.
    let longest = spans.last().copied().unwrap_or(0);
    spans.iter().map(|s| s.saturating_sub(1)).sum::<usize>() + longest
}

/// The first token of the unit that holds token `k` (the last token at or
/// before it that is not hyphen-joined), but not before `from`.
fn unit_start(tokens: &[Token], k: usize, from: usize) -> usize {
    let mut k = k.max(from);
    while k > from && tokens[k].hyphen_joined {
        k -= 1;
    }
    k
}

/// Caps hyphen chains at [`MAX_COMPOUND_PARTS`] parts, from token `new` on:
/// no token of a longer chain stays joined. `parts` counts the parts of the
/// chain that ends the buffer, whose tokens are all still there (the last
/// chain of the buffer is counted in a later round).
fn cap_compounds(tokens: &mut [Token], new: usize, parts: &mut usize) {
    for k in new..tokens.len() {
        *parts = if tokens[k].hyphen_joined {
            *parts + 1
        } else {
            1
        };
        if *parts == MAX_COMPOUND_PARTS + 1 {
            let chain = &mut tokens[k + 1 - MAX_COMPOUND_PARTS - 1..=k];
            chain.iter_mut().for_each(|t| t.hyphen_joined = false);
        } else if *parts > MAX_COMPOUND_PARTS + 1 {
            tokens[k].hyphen_joined = false;
        }
    }
}

/// The KWIC places of one section's matches, each waiting until the
/// buffer holds the last token of its right context.
struct Kwic {
    window: Option<usize>,
    /// A place and the buffer index of its right context's last token.
    waiting: Vec<(KwicSpan, usize)>,
}

impl Kwic {
    fn new(window: Option<usize>) -> Kwic {
        Kwic {
            window,
            waiting: Vec::new(),
        }
    }

    /// Adds the places of `matches` (indices into the buffer `tokens`,
    /// which holds `window` tokens before them, or the section's start),
    /// and moves to `out` those whose context the buffer holds (all, in a
    /// section's last round).
    fn add(
        &mut self,
        tokens: &[Token],
        matches: &[Match],
        section_id: u32,
        last_round: bool,
        out: &mut Vec<KwicSpan>,
    ) {
        let Some(window) = self.window else {
            return;
        };
        // Only counted matches: an exclusion match is evidence in
        // theme_matches.csv, not a row in context.
        for m in matches.iter().filter(|m| !m.excluded) {
            let (start, end) = (tokens[m.first].start, tokens[m.last].end);
            let left = match window {
                0 => start,
                _ => tokens[m.first.saturating_sub(window)].start,
            };
            let span = KwicSpan {
                start,
                theme: m.theme,
                end,
                section_id,
                left,
                right: end,
            };
            self.waiting.push((span, m.last.saturating_add(window)));
        }
        let n = tokens.len();
        self.waiting.retain(|&(mut span, k)| {
            if k < n || last_round {
                if window > 0 {
                    span.right = tokens[k.min(n - 1)].end;
                }
                out.push(span);
                return false;
            }
            true
        });
    }

    /// The buffer lost its first `gone` tokens.
    fn shift(&mut self, gone: usize) {
        for w in &mut self.waiting {
            w.1 -= gone;
        }
    }
}

/// A sort key: count descending, then `rank` ascending.
fn by_count_then(count: u32, rank: u32) -> u64 {
    (u64::from(u32::MAX - count) << 32) | u64::from(rank)
}

/// The (stem, count) of a [`by_count_then`] key, given the stem of each rank.
fn from_key(key: u64, by_rank: &[u32]) -> (u32, u32) {
    let count = u32::MAX - (key >> 32) as u32;
    (by_rank[(key as u32) as usize], count)
}

/// A text's sort key: its first 15 bytes (zero-padded) and then its length
/// up to 15, as a big-endian integer. Different keys order the texts as the
/// texts order; equal keys mean equal texts when the length byte is below
/// 15 (else the texts must be compared).
fn prefix(text: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = text.len().min(15);
    bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
    bytes[15] = n as u8;
    u128::from_be_bytes(bytes)
}

/// A document's copy of a text's [`prefix`], as big-endian bytes, with the
/// top bit of the length byte set when the text is a CSV cell as it is.
fn doc_key(prefix: u128, as_cell: bool) -> [u8; 16] {
    let mut key = prefix.to_be_bytes();
    key[15] |= u8::from(as_cell) << 7;
    key
}

/// The whole text a [`doc_key`] holds, if it holds it.
fn key_text(key: Option<&[u8; 16]>) -> Option<&[u8]> {
    let key = key?;
    let len = (key[15] & 0x0f) as usize;
    (len < 15).then(|| &key[..len])
}

/// [`key_text`] when the text is a CSV cell as it is.
fn key_cell(key: Option<&[u8; 16]>) -> Option<&[u8]> {
    key.filter(|k| k[15] & 0x80 != 0)
        .and_then(|k| key_text(Some(k)))
}

/// Whether two texts with the same [`prefix`] `p` are equal without
/// reading them.
fn prefix_is_whole(p: u128) -> bool {
    (p as u8) < 15
}

/// Each text's rank in byte order: texts equal in content get distinct
/// ranks (by index), or with `dense` the same rank. `prefixes[i]` is
/// [`prefix`]`(texts(i))`; the texts are read only when prefixes are equal
/// and do not hold the whole texts.
fn ranks<'a>(n: usize, prefixes: &[u128], texts: impl Fn(u32) -> &'a str, dense: bool) -> Vec<u32> {
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
    // default run on the UN corpus (callgrind; docs/PERFORMANCE.md).
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

impl StemCache {
    /// [`ranks`] of the texts of string ids `ids`, whose prefixes are
    /// `prefixes`.
    fn ranks_by(&self, ids: &[u32], prefixes: &[u128], dense: bool) -> Vec<u32> {
        ranks(
            ids.len(),
            prefixes,
            |i| self.strings.get(ids[i as usize]),
            dense,
        )
    }

    /// The [`doc_key`]s of string ids `ids`, whose prefixes are
    /// `prefixes` ("" is a CSV cell as it is).
    fn doc_keys(&self, ids: &[u32], prefixes: &[u128]) -> Vec<[u8; 16]> {
        ids.iter()
            .zip(prefixes)
            .map(|(&id, &p)| doc_key(p, id == NONE || self.as_cell[id as usize]))
            .collect()
    }

    fn prefix_of(&self, id: u32) -> u128 {
        match id {
            NONE => 0,
            id => self.prefix[id as usize],
        }
    }

    /// Whether the text of `a` sorts before the text of `b`.
    fn text_less(&self, a: u32, b: u32) -> bool {
        let (pa, pb) = (self.prefix_of(a), self.prefix_of(b));
        pa < pb || (pa == pb && !prefix_is_whole(pa) && self.strings.get(a) < self.strings.get(b))
    }

    /// Sets the document's n-grams from the counts of their exact form
    /// sequences (local form ids, the places of `doc.surfaces`, then
    /// `u32::MAX`): each n-gram's stems, its count, and its most frequent
    /// sequence of display forms (with `all_sequences`, every sequence)
    /// with their counts. Forms with equal display texts are one display
    /// form.
    fn finish_ngrams(
        &self,
        sequences: &[([u32; MAX_NGRAM], u32)],
        all_sequences: bool,
        doc: &mut DocCounts,
    ) {
        let ids: Vec<u32> = doc.surfaces.iter().map(|&(_, text, _)| text).collect();
        let prefixes: Vec<u128> = ids.iter().map(|&id| self.prefix_of(id)).collect();
        // Dense ranks: the display forms' indices in text order.
        let rank = self.ranks_by(&ids, &prefixes, true);
        let n_forms = rank.iter().max().map_or(0, |&r| r as usize + 1);
        let mut forms = vec![NONE; n_forms];
        let mut form_prefixes = vec![0u128; n_forms];
        for (k, &r) in rank.iter().enumerate() {
            forms[r as usize] = ids[k];
            form_prefixes[r as usize] = prefixes[k];
        }
        // A sequence whose stems each have one form in the document is
        // the only sequence of its n-gram: it needs no grouping.
        let mut forms_of_stem = vec![0u8; doc.stems.len()];
        for &(stem, ..) in &doc.surfaces {
            let n = &mut forms_of_stem[stem as usize];
            *n = n.saturating_add(1);
        }
        let mut ngrams = Vec::with_capacity(sequences.len());
        let mut surfaces: Vec<Sequence> = Vec::with_capacity(sequences.len());
        // (stems, display forms, count) of the other n-grams.
        let mut shared: Vec<([u32; MAX_NGRAM], [u32; MAX_NGRAM], u32)> = Vec::new();
        for &(seq, count) in sequences {
            let mut stems = [u32::MAX; MAX_NGRAM];
            let mut texts = [u32::MAX; MAX_NGRAM];
            let mut alone = true;
            let mut n = 0;
            for (k, &f) in seq.iter().take_while(|&&f| f != u32::MAX).enumerate() {
                let stem = doc.surfaces[f as usize].0;
                alone &= forms_of_stem[stem as usize] == 1;
                stems[k] = stem;
                texts[k] = rank[f as usize];
                n = k + 1;
            }
            if alone {
                let at = surfaces.len() as u32;
                surfaces.push((texts, count));
                ngrams.push(NgramCount {
                    n: n as u32,
                    ids: stems,
                    count,
                    surfaces: (at, at + 1),
                });
            } else {
                shared.push((stems, texts, count));
            }
        }
        let plain = forms.iter().all(|&id| self.plain[id as usize]);
        let text = |i: u32| self.strings.get(forms[i as usize]);
        group_sequences(
            &mut shared,
            all_sequences,
            plain,
            text,
            &mut ngrams,
            &mut surfaces,
        );
        let (ngrams, surfaces) = sort_ngrams(&ngrams, &surfaces, plain, text);
        doc.ngram_form_keys = self.doc_keys(&forms, &form_prefixes);
        doc.ngram_forms = forms;
        doc.ngram_surfaces = surfaces;
        doc.ngrams = ngrams;
    }
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

/// `a`, `b` and `rest` (below 2^64) as one integer, in that order of
/// significance.
fn pair(a: u32, b: u32, rest: u64) -> u128 {
    (u128::from(a) << 96) | (u128::from(b) << 64) | u128::from(rest)
}

/// Appends the texts of a sequence of display forms (`text` gives each
/// form's), space separated.
fn push_sequence_text<'a>(
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
fn sort_ngrams<'a>(
    ngrams: &[NgramCount],
    surfaces: &[Sequence],
    plain: bool,
    text: impl Fn(u32) -> &'a str + Copy,
) -> (Vec<NgramCount>, Vec<Sequence>) {
    let best = |g: &NgramCount| surfaces[g.surfaces.0 as usize].0;
    let at = |k: usize| k as u32;
    let order: Vec<u32> = if plain && ngrams.iter().all(|g| g.n == 2) {
        // Bigrams (the default): count and text in one integer, stem ids
        // in another.
        let mut keys: Vec<(u128, u64, u32)> = ngrams
            .iter()
            .enumerate()
            .map(|(k, g)| {
                let b = best(g);
                let count_text = pair(u32::MAX - g.count, b[0], u64::from(b[1]));
                let stems = (u64::from(g.ids[0]) << 32) | u64::from(g.ids[1]);
                (count_text, stems, at(k))
            })
            .collect();
        keys.sort_unstable();
        keys.iter().map(|k| k.2).collect()
    } else if plain {
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

/// Appends the matched source text, lowercased, with runs of white space
/// as one space.
fn push_matched_text(source: &str, out: &mut String) {
    if source.is_ascii() && !source.bytes().any(|b| (b as char).is_whitespace()) {
        out.extend(source.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        return;
    }
    let collapsed = source.split_whitespace().collect::<Vec<_>>().join(" ");
    out.push_str(&collapsed.to_lowercase());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default analyzer with `hyphens`, and `codebook`'s matcher.
    fn analyzer_and_matcher(hyphens: Hyphens, codebook: &Codebook) -> (Analyzer, Matcher) {
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
    fn xorshift(seed: u64) -> impl FnMut(u64) -> u64 {
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
            let mut cache = StemCache::default();
            let ids: Vec<u32> = forms.iter().map(|f| cache.add_string(f)).collect();
            let prefixes: Vec<u128> = ids.iter().map(|&id| cache.prefix_of(id)).collect();
            let rank = cache.ranks_by(&ids, &prefixes, true);
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

    /// An n-gram's text is its most frequent exact sequence, ties going to
    /// the smallest text, whether every sequence is kept or only that one
    /// (hand count: "united nations" twice, "united nation" once; then
    /// once each, and "united nation" < "united nations").
    #[test]
    fn ngram_text_is_the_most_frequent_sequence_then_the_smallest() {
        let analyzer = Analyzer::new(&AnalyzerOptions::default()).unwrap();
        let matcher = Matcher::new(&Codebook::default_codebook(), &analyzer).unwrap();
        let mut cache = StemCache::default();
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
                let c = count_with(text, &mode, &analyzer, &matcher, &counting, &mut cache);
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
    /// 5, one worker cache carried across the settings.
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
        let mut cache = StemCache::default();
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
                count_with(&text, &mode, &analyzer, &matcher, &counting, &mut cache)
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
        let mut cache = StemCache::default();
        let surface_of = |text: &str, cache: &mut StemCache| {
            let c = count_document(text, &mode, &analyzer, &matcher, 2, cache);
            let stem = (0..c.stems.len() as u32)
                .find(|&s| c.stem(s) == "cooper")
                .expect("stem cooper");
            c.surface(stem).to_string()
        };
        assert_eq!(
            surface_of("Cooperation, cooperating.", &mut cache),
            "cooperating"
        );
        assert_eq!(
            surface_of("Cooperation, cooperating, cooperation.", &mut cache),
            "cooperation"
        );
    }

    /// The bytes read from the sort keys are the texts themselves, for
    /// stems and surface forms of 13 to 17 bytes (the key holds a text of up
    /// to 14 bytes whole; longer ones come from the store) and for a stem
    /// without a surface form of its own (only counted inside compounds);
    /// a text is given as a ready CSV cell exactly when it is short and
    /// `push_text_cell` would write it unchanged.
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
        let mut cache = StemCache::default();
        let c = count_document(
            text,
            &section::Mode::Auto,
            &analyzer,
            &matcher,
            2,
            &mut cache,
        );
        let lengths: Vec<usize> = (0..c.stems.len() as u32).map(|s| c.stem(s).len()).collect();
        assert!(lengths.iter().any(|&n| n < 15) && lengths.iter().any(|&n| n >= 15));
        assert!((0..c.stems.len() as u32).any(|s| c.surface(s).is_empty()));
        // A cell as it is: written by `put` exactly as `push_text_cell`
        // writes it; "1,000" needs quotes.
        let as_cell = |text: &str, cell: Option<&[u8]>| {
            let mut rendered = Vec::new();
            crate::write::push_text_cell(text, &mut rendered);
            if text.len() < 15 && rendered == text.as_bytes() {
                assert_eq!(cell, Some(text.as_bytes()), "{text}");
            } else {
                assert_eq!(cell, None, "{text}");
            }
        };
        assert!((0..c.stems.len() as u32).any(|s| c.stem(s) == "1,000"));
        for s in 0..c.stems.len() as u32 {
            assert_eq!(c.stem_bytes(s), c.stem(s).as_bytes());
            assert_eq!(c.surface_bytes(s), c.surface(s).as_bytes());
            as_cell(c.stem(s), c.stem_cell(s));
            as_cell(c.surface(s), c.surface_cell(s));
        }
    }

    /// A worker's cache carried across documents (and across analyzers with
    /// other settings) gives exactly what a fresh cache gives.
    #[test]
    fn warm_cache_counts_like_a_fresh_one() {
        let texts = [
            "Security and co-operation in Europe.\n\nThe U.S. and Russia's 3.14 talks; human rights, co-operation.",
            "Co-operation, cooperation and pre\u{2011}eminent security: weapons of mass destruction.",
            "Security and co-operation in Europe.\n\nThe U.S. and Russia's 3.14 talks; human rights, co-operation.",
        ];
        let mut shared = StemCache::default();
        for hyphens in [Hyphens::Join, Hyphens::Both, Hyphens::Split] {
            let (analyzer, matcher) = analyzer_and_matcher(hyphens, &Codebook::default_codebook());
            for text in texts {
                let mode = section::Mode::Auto;
                let warm = count_document(text, &mode, &analyzer, &matcher, 3, &mut shared);
                let mut fresh_cache = StemCache::default();
                let fresh = count_document(text, &mode, &analyzer, &matcher, 3, &mut fresh_cache);
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
            let mut cache = StemCache::default();
            let text = chain(parts);
            let c = count_document(
                &text,
                &section::Mode::Auto,
                &analyzer,
                &matcher,
                2,
                &mut cache,
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
            let mut cache = StemCache::default();
            let want = count(
                &text,
                &mode,
                &analyzer,
                &matcher,
                &counting,
                &mut cache,
                usize::MAX,
            );
            assert!(!want.matches.is_empty());
            let mut cache = StemCache::default();
            let got = count(
                &text,
                &mode,
                &analyzer,
                &matcher,
                &counting,
                &mut cache,
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
