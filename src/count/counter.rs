//! The counter of one document: one method per phase of a round, and the
//! finishing steps that turn its tallies into a [`DocCounts`].
//!
//! A section is counted a window of tokens at a time, so that memory
//! depends on the vocabulary, not on the length of a section. Each
//! section's tokens come in pieces ([`token::Pieces`]); a buffer holds the
//! tokens not yet counted. Each round appends a piece
//! ([`Counter::tokenize`]), builds the units ([`Counter::build_units`]) and
//! theme matches ([`Counter::match_themes`]) of the buffer up to `end` (the
//! start of the hyphen chain that ends it, which may go on in the next
//! piece), and counts what is decided ([`Counter::count_terms`],
//! [`Counter::count_ngrams`]): tokens before `done`, which is `lookahead`
//! tokens before `end` (the whole section in its last round). The rest is
//! matched again in the next round ([`Counter::shift`]).
//!
//! Theme matching (longest first, then leftmost, then codebook order,
//! within a theme) is exact a window at a time: a candidate's fate depends
//! on candidates to its left, which are decided (accepted ones are carried
//! into the next round and take their tokens first, see
//! [`Matcher::find_elements_after`]), and to its right only on strictly
//! longer overlapping ones, whose last tokens lie at most
//! [`window::lookahead`] tokens past its first. N-gram runs carry their
//! last `max_ngram - 1` terms; a compound is never cut (a chain is capped
//! at [`super::MAX_COMPOUND_PARTS`]).

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::ngrams::{self, Runs};
use super::rank;
use super::vocabulary::{slot, Vocabulary, HAS_ELEMENTS, NO_STEM};
use super::window::{self, KwicPlaces};
use super::{Counting, DocCounts, MatchRow, SectionCounts, NONE};
use crate::analyze::{Analyzer, Hyphens};
use crate::section::{self, Section};
use crate::theme::{Match, Matcher};
use crate::token::{self, Token};
use crate::words;

/// A counting unit: a token, or a hyphenated compound spanning tokens.
#[derive(Clone, Copy)]
struct Occurrence {
    first: usize,
    last: usize,
    form: u32,
    /// The document's local stem id, `NONE` when the unit is not a term.
    local: u32,
}

/// Stem ids local to one document, in order of first occurrence.
struct Locals {
    /// Global stem id by local id.
    global: Vec<u32>,
    /// Local id by global stem id (`NONE` when not seen), at rest between
    /// documents.
    of_global: Vec<u32>,
}

impl Locals {
    /// The local id of the stem of a form with [`Vocabulary::info`] `info`
    /// (given on first sight), or `NONE` when the form is not a term.
    fn of(&mut self, info: u32) -> u32 {
        let stem = info & !HAS_ELEMENTS;
        if stem == NO_STEM {
            return NONE;
        }
        let local = slot(&mut self.of_global, stem as usize, NONE);
        if *local == NONE {
            *local = self.global.len() as u32;
            self.global.push(stem);
        }
        *local
    }

    /// Puts `of_global` back at rest.
    fn reset(&mut self) {
        for &g in &self.global {
            self.of_global[g as usize] = NONE;
        }
    }
}

/// The tokens of the open section not yet counted (and KWIC context before
/// them), with their forms.
#[derive(Default)]
struct Buffer {
    tokens: Vec<Token>,
    forms: Vec<u32>,
    /// Per token: the local stem id, or `NONE`.
    locals: Vec<u32>,
    /// Tokens before `from` are counted (kept as KWIC context only).
    from: usize,
    /// Parts of the hyphen chain that ends the buffer.
    chain_parts: usize,
    /// Whether a theme pattern can match in the section at all.
    any_elements: bool,
}

impl Buffer {
    /// The token `k` as a unit of its own.
    fn occurrence(&self, k: usize) -> Occurrence {
        Occurrence {
            first: k,
            last: k,
            form: self.forms[k],
            local: self.locals[k],
        }
    }

    /// Where this round's units end: the start of the hyphen chain that
    /// ends the buffer, which may go on in the next piece (the whole buffer
    /// in the section's last round).
    fn end(&self, last_round: bool) -> usize {
        match last_round {
            true => self.tokens.len(),
            false => self
                .tokens
                .iter()
                .rposition(|t| !t.hyphen_joined)
                .map_or(self.from, |e| e.max(self.from)),
        }
    }
}

/// The units of a round.
#[derive(Default)]
struct Units {
    /// Tokens, with hyphen chains joined unless `--hyphens split`.
    all: Vec<Occurrence>,
    /// With `--hyphens both`: the parts of the compounds, terms too.
    parts: Vec<Occurrence>,
    /// Compounds: first and last token, form.
    chains: Vec<(usize, usize, u32)>,
}

/// Theme matching of the open section, and the document's evidence.
struct Themes {
    /// See [`window::lookahead`].
    lookahead: usize,
    matches: Vec<Match>,
    /// Accepted matches of earlier rounds that reach into the buffer.
    carried: Vec<Match>,
    /// Per token of the buffer: whether a counted match holds it (empty
    /// when no match does).
    covered: Vec<bool>,
    kwic: KwicPlaces,
    /// Whether to keep the evidence ([`Counting::match_rows`]).
    keep_rows: bool,
    evidence: Evidence,
}

/// Theme evidence: how often each pattern matched each text, per section,
/// the matched texts interned per document (one string per distinct text).
#[derive(Default)]
struct Evidence {
    /// Counts by (section, theme, pattern, matched text id, excluded).
    counts: FxHashMap<(u32, u32, u32, u32, bool), u32>,
    ids: FxHashMap<Arc<str>, u32>,
    texts: Vec<Arc<str>>,
    scratch: String,
}

impl Evidence {
    /// Counts the match `m` of the section `section_id`, whose source text
    /// is `source`.
    fn add(&mut self, source: &str, m: &Match, section_id: u32) {
        self.scratch.clear();
        push_matched_text(source, &mut self.scratch);
        let matched = match self.ids.get(self.scratch.as_str()) {
            Some(&id) => id,
            None => {
                let id = self.texts.len() as u32;
                let shared: Arc<str> = self.scratch.as_str().into();
                self.texts.push(shared.clone());
                self.ids.insert(shared, id);
                id
            }
        };
        *self
            .counts
            .entry((section_id, m.theme, m.pattern, matched, m.excluded))
            .or_insert(0) += 1;
    }

    /// The rows, sorted.
    fn rows(self) -> Vec<MatchRow> {
        let mut rows: Vec<MatchRow> = self
            .counts
            .into_iter()
            .map(
                |((section_id, theme, pattern, matched, excluded), count)| MatchRow {
                    section_id,
                    theme,
                    pattern,
                    matched: self.texts[matched as usize].clone(),
                    excluded,
                    count,
                },
            )
            .collect();
        rows.sort_unstable();
        rows
    }
}

/// Term counts of the document and of the open section.
struct Terms {
    /// Per local stem: count and sections containing it in the document.
    doc: Vec<(u32, u32)>,
    /// Per local stem: count in the open section.
    section: Vec<u32>,
    /// The local stems counted in the open section.
    section_stems: Vec<u32>,
    /// Per form: its count as a term unit, and its local form id (its place
    /// in [`DocCounts::surfaces`]) once counted; at rest between documents.
    form_counts: Vec<(u32, u32)>,
    /// The forms counted, by local form id.
    counted_forms: Vec<u32>,
}

impl Terms {
    /// Counts a term unit.
    fn add(&mut self, unit: &Occurrence) {
        let local = unit.local as usize;
        if self.section[local] == 0 {
            self.section_stems.push(unit.local);
        }
        self.section[local] += 1;
        let fc = slot(&mut self.form_counts, unit.form as usize, (0, NONE));
        if fc.0 == 0 {
            fc.1 = self.counted_forms.len() as u32;
            self.counted_forms.push(unit.form);
        }
        fc.0 += 1;
    }

    /// The open section's (stem, count) in order of first count (sorted
    /// once every stem of the document is known), added to the document's.
    fn close_section(&mut self) -> Vec<(u32, u32)> {
        let mut terms: Vec<(u32, u32)> = Vec::with_capacity(self.section_stems.len());
        for &stem in &self.section_stems {
            let count = std::mem::take(&mut self.section[stem as usize]);
            let entry = &mut self.doc[stem as usize];
            entry.0 += count;
            entry.1 += 1;
            terms.push((stem, count));
        }
        self.section_stems.clear();
        terms
    }

    /// The document's (stem, count, sections), by count descending, then
    /// by the stems' `rank`; `keys` is scratch space.
    fn doc_terms(
        &self,
        rank: &[u32],
        by_rank: &[u32],
        keys: &mut Vec<u64>,
    ) -> Vec<(u32, u32, u32)> {
        keys.clear();
        keys.extend(
            self.doc
                .iter()
                .enumerate()
                .filter(|(_, &(c, _))| c > 0)
                .map(|(s, &(c, _))| rank::by_count_then(c, rank[s])),
        );
        keys.sort_unstable();
        keys.iter()
            .map(|&k| {
                let (stem, count) = rank::from_key(k, by_rank);
                (stem, count, self.doc[stem as usize].1)
            })
            .collect()
    }

    /// Sets the document's surface forms: every (stem, form text, count),
    /// and each stem's most frequent form (ties: the smallest text). Puts
    /// the form counts back at rest.
    fn surface_forms(&mut self, vocab: &Vocabulary, locals: &Locals, doc: &mut DocCounts) {
        doc.surfaces = self
            .counted_forms
            .iter()
            .map(|&form| {
                let count = std::mem::take(&mut self.form_counts[form as usize].0);
                let f = vocab.form(form);
                (locals.of_global[f.stem as usize], f.text, count)
            })
            .collect();
        doc.surface = vec![NONE; locals.global.len()];
        let mut best = vec![0u32; locals.global.len()];
        for &(stem, text, count) in &doc.surfaces {
            let (stem, current) = (stem as usize, doc.surface[stem as usize]);
            if current == NONE
                || count > best[stem]
                || (count == best[stem] && vocab.texts.less(text, current))
            {
                doc.surface[stem] = text;
                best[stem] = count;
            }
        }
    }
}

/// Sizes and theme counts of the open section.
#[derive(Default)]
struct Open {
    n_tokens: u64,
    n_terms: u64,
    n_covered: u64,
    /// Matches per theme.
    themes: Vec<u32>,
}

/// Counts one document; see the module documentation.
pub(super) struct Counter<'a> {
    text: &'a str,
    analyzer: &'a Analyzer,
    matcher: &'a Matcher,
    counting: &'a Counting,
    vocab: &'a mut Vocabulary,
    doc: DocCounts,
    locals: Locals,
    buffer: Buffer,
    units: Units,
    themes: Themes,
    terms: Terms,
    runs: Runs,
    open: Open,
}

impl<'a> Counter<'a> {
    /// A counter of `text` with the worker's `vocab`, counting what
    /// `counting` asks for.
    pub(super) fn new(
        text: &'a str,
        analyzer: &'a Analyzer,
        matcher: &'a Matcher,
        counting: &'a Counting,
        vocab: &'a mut Vocabulary,
    ) -> Counter<'a> {
        let match_themes = counting.themes || counting.kwic.is_some();
        vocab.prepare(analyzer, matcher, match_themes);
        let spare = &mut vocab.spare;
        let locals = Locals {
            global: Vec::new(),
            of_global: std::mem::take(&mut spare.stem_locals),
        };
        let terms = Terms {
            doc: Vec::new(),
            section: Vec::new(),
            section_stems: Vec::new(),
            form_counts: std::mem::take(&mut spare.form_counts),
            counted_forms: Vec::new(),
        };
        let runs = Runs::new(counting.max_ngram, spare);
        let themes = Themes {
            lookahead: window::lookahead(matcher, analyzer.hyphens),
            matches: Vec::new(),
            carried: Vec::new(),
            covered: Vec::new(),
            kwic: KwicPlaces::new(counting.kwic),
            keep_rows: counting.match_rows,
            evidence: Evidence::default(),
        };
        Counter {
            text,
            analyzer,
            matcher,
            counting,
            vocab,
            doc: DocCounts::default(),
            locals,
            buffer: Buffer::default(),
            units: Units::default(),
            themes,
            terms,
            runs,
            open: Open::default(),
        }
    }

    /// Counts a section, a piece of at most about `piece_bytes` at a time.
    pub(super) fn count_section(&mut self, section: Section, piece_bytes: usize) {
        self.start_section(&section);
        let mut pieces = token::Pieces::new(self.text, section.range.clone(), piece_bytes);
        loop {
            let last_round = self.tokenize(&mut pieces);
            let end = self.buffer.end(last_round);
            self.build_units(end);
            // Counted in this round: what starts before `done`.
            let done = match last_round {
                true => end,
                false => {
                    let k = end.saturating_sub(self.themes.lookahead);
                    window::unit_start(&self.buffer.tokens, k, self.buffer.from)
                }
            };
            self.match_themes(end, done, section.id, last_round);
            self.count_terms(done);
            self.count_ngrams(done, last_round);
            if last_round {
                break;
            }
            self.shift(done);
        }
        self.finish_section(section);
    }

    fn start_section(&mut self, section: &Section) {
        if section.kind == "title" && self.doc.title.is_empty() {
            self.doc.title = section::plain(&self.text[section.range.clone()]);
        }
        let b = &mut self.buffer;
        b.tokens.clear();
        b.forms.clear();
        b.locals.clear();
        (b.from, b.chain_parts, b.any_elements) = (0, 0, false);
        self.themes.carried.clear();
        self.runs.start_section();
        self.open = Open {
            themes: vec![0u32; self.matcher.len()],
            ..Open::default()
        };
    }

    /// Appends the next piece's tokens to the buffer with their forms and
    /// local stem ids; true in the section's last round.
    fn tokenize(&mut self, pieces: &mut token::Pieces) -> bool {
        let b = &mut self.buffer;
        let new = b.tokens.len();
        let last_round = pieces.next_into(&mut b.tokens);
        window::cap_compounds(&mut b.tokens, new, &mut b.chain_parts);
        self.open.n_tokens += (b.tokens.len() - new) as u64;
        for t in &b.tokens[new..] {
            let surface = &self.text[t.range()];
            let hash = words::hash(surface.as_bytes());
            let (form, info) = self.vocab.word(surface, hash, self.analyzer, self.matcher);
            b.forms.push(form);
            b.locals.push(self.locals.of(info));
            b.any_elements |= info & HAS_ELEMENTS != 0;
        }
        last_round
    }

    /// The units of the buffer from `from` to `end`: tokens, with hyphen
    /// chains joined unless `--hyphens split`.
    fn build_units(&mut self, end: usize) {
        self.units.all.clear();
        self.units.parts.clear();
        self.units.chains.clear();
        let mut i = self.buffer.from;
        while i < end {
            let mut j = i;
            while j + 1 < end && self.buffer.tokens[j + 1].hyphen_joined {
                j += 1;
            }
            if j > i && self.analyzer.hyphens != Hyphens::Split {
                self.add_compound(i, j);
            } else {
                let b = &self.buffer;
                self.units.all.extend((i..=j).map(|k| b.occurrence(k)));
            }
            i = j + 1;
        }
    }

    /// The compound of tokens `i..=j`, and with `--hyphens both` its parts.
    fn add_compound(&mut self, i: usize, j: usize) {
        let b = &mut self.buffer;
        let form = self
            .vocab
            .compound(&b.forms[i..=j], self.analyzer, self.matcher);
        let info = self.vocab.info(form);
        b.any_elements |= info & HAS_ELEMENTS != 0;
        self.units.chains.push((i, j, form));
        self.units.all.push(Occurrence {
            first: i,
            last: j,
            form,
            local: self.locals.of(info),
        });
        if self.analyzer.hyphens == Hyphens::Both {
            let b = &self.buffer;
            self.units.parts.extend((i..=j).map(|k| b.occurrence(k)));
        }
    }

    /// Theme matches over the tokens' forms (stopwords included) up to
    /// `end`, those starting before `done` kept and counted; the tokens
    /// before `from` take part in none.
    fn match_themes(&mut self, end: usize, done: usize, section_id: u32, last_round: bool) {
        self.find_matches(end);
        let matches = &mut self.themes.matches;
        matches.truncate(matches.partition_point(|m| m.first < done));
        self.count_matches(section_id);
        let t = &mut self.themes;
        let tokens = &self.buffer.tokens;
        t.kwic.add(
            tokens,
            &t.matches,
            section_id,
            last_round,
            &mut self.doc.kwic,
        );
    }

    fn find_matches(&mut self, end: usize) {
        let (b, vocab) = (&self.buffer, &*self.vocab);
        let t = &mut self.themes;
        t.matches.clear();
        if !b.any_elements {
            return;
        }
        let per_word: Vec<&[u32]> = b.forms[..end]
            .iter()
            .enumerate()
            .map(|(k, &f)| match k < b.from {
                true => &[][..],
                false => vocab.elements_of(f),
            })
            .collect();
        let chain_elements: Vec<(usize, usize, &[u32])> = self
            .units
            .chains
            .iter()
            .map(|&(i, j, f)| (i, j, vocab.elements_of(f)))
            .collect();
        self.matcher
            .find_elements_after(&per_word, &chain_elements, &t.carried, &mut t.matches);
    }

    /// Counts the round's matches per theme, marks the tokens they (and the
    /// carried ones) cover, and keeps their evidence.
    fn count_matches(&mut self, section_id: u32) {
        let t = &mut self.themes;
        let tokens = &self.buffer.tokens;
        t.covered.clear();
        if !t.matches.is_empty() || !t.carried.is_empty() {
            t.covered.resize(tokens.len(), false);
        }
        let mut cover = |m: &Match| t.covered[m.first..=m.last].fill(true);
        t.carried
            .iter()
            .filter(|m| !m.excluded)
            .for_each(&mut cover);
        for m in &t.matches {
            if !m.excluded {
                self.open.themes[m.theme as usize] += 1;
                cover(m);
            }
        }
        if t.keep_rows {
            for m in &t.matches {
                let source = &self.text[tokens[m.first].start..tokens[m.last].end];
                t.evidence.add(source, m, section_id);
            }
        }
    }

    /// Counts the terms among the units (and compound parts) that start
    /// before `done`.
    fn count_terms(&mut self, done: usize) {
        let n = self.locals.global.len();
        self.terms.section.resize(n, 0);
        self.terms.doc.resize(n, (0, 0));
        let covered = &self.themes.covered;
        let decided = |u: &&Occurrence| u.first < done;
        let all = self.units.all.iter().take_while(decided);
        for unit in all.chain(self.units.parts.iter().take_while(decided)) {
            if unit.local == NONE {
                continue;
            }
            self.open.n_terms += 1;
            if !covered.is_empty() {
                let hit = covered[unit.first..=unit.last].iter().any(|&c| c);
                self.open.n_covered += u64::from(hit);
            }
            self.terms.add(unit);
        }
    }

    /// N-grams over runs of consecutive term units that start before
    /// `done`; a run that the round ends goes on in the next.
    fn count_ngrams(&mut self, done: usize, last_round: bool) {
        if self.runs.max_ngram < 2 {
            return;
        }
        for u in self.units.all.iter().take_while(|u| u.first < done) {
            match u.local {
                NONE => self.runs.end_run(false),
                // The local form id, set by `count_terms`.
                _ => self.runs.push(self.terms.form_counts[u.form as usize].1),
            }
        }
        self.runs.end_run(!last_round);
    }

    /// What is counted leaves the buffer (but KWIC context).
    fn shift(&mut self, done: usize) {
        let t = &mut self.themes;
        t.carried
            .extend(t.matches.iter().filter(|m| m.last >= done));
        t.carried.retain(|m| m.last >= done);
        let gone = done.saturating_sub(self.counting.kwic.unwrap_or(0));
        let b = &mut self.buffer;
        b.tokens.drain(..gone);
        b.forms.drain(..gone);
        b.locals.drain(..gone);
        for m in &mut t.carried {
            m.first = m.first.max(done) - gone;
            m.last -= gone;
        }
        t.kwic.shift(gone);
        b.from = done - gone;
    }

    fn finish_section(&mut self, section: Section) {
        let terms = self.terms.close_section();
        let open = std::mem::take(&mut self.open);
        self.doc.n_tokens += open.n_tokens;
        self.doc.n_terms += open.n_terms;
        self.doc.sections.push(SectionCounts {
            section,
            n_tokens: open.n_tokens,
            n_terms: open.n_terms,
            n_types: terms.len() as u64,
            n_covered: open.n_covered,
            terms,
            themes: open.themes,
        });
    }

    /// The document's counts: stems ranked by text, terms sorted, surface
    /// forms chosen, n-grams grouped; the tallies go back to the
    /// vocabulary at rest.
    pub(super) fn finish(self) -> DocCounts {
        let Counter {
            vocab,
            mut doc,
            mut locals,
            mut terms,
            runs,
            themes,
            counting,
            ..
        } = self;
        doc.kwic.sort_unstable();
        doc.strings = vocab.texts.shared();
        doc.stems = locals.global.iter().map(|&g| vocab.stem_text(g)).collect();
        // Rows sort by stem text; ranking the document's stems once lets
        // every sort below compare integers instead of strings.
        let stem_keys: Vec<u128> = doc
            .stems
            .iter()
            .map(|&id| vocab.texts.prefix_of(id))
            .collect();
        let rank = vocab.texts.ranks_by(&doc.stems, &stem_keys, false);
        doc.stem_keys = rank::doc_keys(&stem_keys);
        let by_rank = rank::invert(&rank);
        let mut keys: Vec<u64> = Vec::new();
        for s in &mut doc.sections {
            rank::sort_by_count(&mut s.terms, &rank, &by_rank, &mut keys);
        }
        terms.surface_forms(vocab, &locals, &mut doc);
        locals.reset();
        doc.terms = terms.doc_terms(&rank, &by_rank, &mut keys);
        let sequences = runs.finish(&mut vocab.spare);
        if !sequences.is_empty() {
            ngrams::finish_ngrams(&vocab.texts, &sequences, counting.all_sequences, &mut doc);
        }
        let surface_keys: Vec<u128> = doc
            .surface
            .iter()
            .map(|&id| vocab.texts.prefix_of(id))
            .collect();
        doc.surface_keys = rank::doc_keys(&surface_keys);
        doc.matches = themes.evidence.rows();
        vocab.spare.stem_locals = locals.of_global;
        vocab.spare.form_counts = terms.form_counts;
        doc
    }
}

/// Appends the matched source text, lowercased, with runs of white space
/// as one space.
fn push_matched_text(source: &str, out: &mut String) {
    let collapsed = source.split_whitespace().collect::<Vec<_>>().join(" ");
    out.push_str(&collapsed.to_lowercase());
}
