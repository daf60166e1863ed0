//! Count: runs one document through sections → tokens → forms → terms →
//! theme matches, and counts terms, n-grams and themes per section and per
//! document. Pure: text in, [`DocCounts`] out; nothing is written here.
//!
//! Forms are interned per document (keyed by the raw token text, so a
//! repeated word costs one hash lookup), and stems come from a cache that
//! lives as long as the worker thread, since the vocabulary is Zipfian.
//!
//! Definitions: `n_tokens` counts tokens; `n_terms` counts term occurrences
//! (with `--hyphens join` a compound is one term; with `both` its parts count
//! too); n-grams are runs of consecutive terms inside one section, never
//! across a stopword, a number or a section boundary.

use rustc_hash::FxHashMap;

use crate::analyze::{Analyzer, Hyphens, Role};
use crate::section::{self, Section};
use crate::theme::{Match, Matcher, Word};
use crate::token::{self, Token};

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
    pub matched: String,
    pub count: u32,
}

/// An n-gram's count in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgramCount {
    pub n: u32,
    /// Stem ids of the n-gram.
    pub stems: Vec<u32>,
    /// The surface forms (each stem's most frequent form), space separated.
    pub text: String,
    pub count: u32,
}

/// Everything counted in one document.
#[derive(Debug, Clone, Default)]
pub struct DocCounts {
    pub sections: Vec<SectionCounts>,
    /// Stem text by id.
    pub stems: Vec<String>,
    /// The most frequent surface form of each stem in this document.
    pub surface: Vec<String>,
    /// Every (stem, surface form, count), for merging across documents.
    pub surfaces: Vec<(u32, String, u32)>,
    /// (stem id, count, sections containing it), by count descending, then stem.
    pub terms: Vec<(u32, u32, u32)>,
    pub ngrams: Vec<NgramCount>,
    pub matches: Vec<MatchRow>,
    pub n_tokens: u64,
    pub n_terms: u64,
    /// The text of the `title` section, white space collapsed ("" if none).
    pub title: String,
}

impl DocCounts {
    pub fn n_types(&self) -> u64 {
        self.terms.len() as u64
    }

    pub fn n_covered(&self) -> u64 {
        self.sections.iter().map(|s| s.n_covered).sum()
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

/// A stem cache shared by the documents one worker analyzes.
#[derive(Default)]
pub struct StemCache {
    stems: FxHashMap<String, String>,
}

impl StemCache {
    fn stem<'a>(&'a mut self, analyzer: &Analyzer, key: &str) -> &'a str {
        if !self.stems.contains_key(key) {
            if self.stems.len() > 1_000_000 {
                self.stems.clear();
            }
            self.stems.insert(key.to_string(), analyzer.stem(key));
        }
        &self.stems[key]
    }
}

/// A form interned in one document.
struct Form {
    text: String,
    role: Role,
    /// Stem id when the form is a term.
    stem: u32,
}

/// Per-document interning of forms and stems.
#[derive(Default)]
struct Lexicon {
    by_surface: FxHashMap<String, u32>,
    by_form: FxHashMap<String, u32>,
    forms: Vec<Form>,
    stem_ids: FxHashMap<String, u32>,
    stems: Vec<String>,
}

impl Lexicon {
    fn stem_id(&mut self, stem: &str) -> u32 {
        if let Some(&id) = self.stem_ids.get(stem) {
            return id;
        }
        let id = self.stems.len() as u32;
        self.stems.push(stem.to_string());
        self.stem_ids.insert(stem.to_string(), id);
        id
    }

    fn intern_form(
        &mut self,
        text: String,
        role: Role,
        stem_key: &str,
        analyzer: &Analyzer,
        cache: &mut StemCache,
    ) -> u32 {
        if let Some(&id) = self.by_form.get(&text) {
            return id;
        }
        let stem = if role == Role::Term {
            let stem = cache.stem(analyzer, stem_key).to_string();
            self.stem_id(&stem)
        } else {
            u32::MAX
        };
        let id = self.forms.len() as u32;
        self.by_form.insert(text.clone(), id);
        self.forms.push(Form { text, role, stem });
        id
    }

    /// The form of a token's raw text.
    fn word(&mut self, surface: &str, analyzer: &Analyzer, cache: &mut StemCache) -> u32 {
        if let Some(&id) = self.by_surface.get(surface) {
            return id;
        }
        let (text, role) = analyzer.classify(surface);
        let key = text.clone();
        let id = self.intern_form(text, role, &key, analyzer, cache);
        self.by_surface.insert(surface.to_string(), id);
        id
    }

    /// The form of a hyphenated compound made of `parts` (form ids).
    fn compound(&mut self, parts: &[u32], analyzer: &Analyzer, cache: &mut StemCache) -> u32 {
        let texts: Vec<&str> = parts
            .iter()
            .map(|&p| self.forms[p as usize].text.as_str())
            .collect();
        let surface = texts.join("-");
        let key: String = texts.concat();
        let role = if !analyzer.keep_numbers && Analyzer::is_number(&key) {
            Role::Number
        } else {
            Role::Term
        };
        self.intern_form(surface, role, &key, analyzer, cache)
    }
}

/// A counting unit: a token, or a hyphenated compound spanning tokens.
#[derive(Clone, Copy)]
struct Unit {
    first: usize,
    last: usize,
    form: u32,
}

/// Analyzes one document's text.
pub fn count_document(
    text: &str,
    mode: &section::Mode,
    analyzer: &Analyzer,
    matcher: &Matcher,
    max_ngram: usize,
    cache: &mut StemCache,
) -> DocCounts {
    let mut lex = Lexicon::default();
    let mut doc = DocCounts::default();
    let mut tokens: Vec<Token> = Vec::new();
    let mut token_forms: Vec<u32> = Vec::new();
    let mut units: Vec<Unit> = Vec::new();
    let mut part_terms: Vec<Unit> = Vec::new();
    let mut matches: Vec<Match> = Vec::new();
    let mut doc_terms: FxHashMap<u32, (u32, u32)> = FxHashMap::default();
    let mut surface_counts: FxHashMap<u32, u32> = FxHashMap::default();
    let mut ngram_counts: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
    let mut match_rows: FxHashMap<(u32, u32, u32, String), u32> = FxHashMap::default();

    for section in section::split(text, mode) {
        if section.kind == "title" && doc.title.is_empty() {
            doc.title = text[section.range.clone()]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
        }
        tokens.clear();
        token::tokenize(text, section.range.clone(), &mut tokens);
        token_forms.clear();
        token_forms.extend(
            tokens
                .iter()
                .map(|t| lex.word(&text[t.range()], analyzer, cache)),
        );

        // Units: tokens, with hyphen chains joined unless --hyphens split.
        units.clear();
        part_terms.clear();
        let mut i = 0;
        while i < tokens.len() {
            let mut j = i;
            while j + 1 < tokens.len() && tokens[j + 1].hyphen_joined {
                j += 1;
            }
            if j > i && analyzer.hyphens != Hyphens::Split {
                let form = lex.compound(&token_forms[i..=j], analyzer, cache);
                units.push(Unit {
                    first: i,
                    last: j,
                    form,
                });
                if analyzer.hyphens == Hyphens::Both {
                    part_terms.extend((i..=j).map(|k| Unit {
                        first: k,
                        last: k,
                        form: token_forms[k],
                    }));
                }
            } else {
                units.extend((i..=j).map(|k| Unit {
                    first: k,
                    last: k,
                    form: token_forms[k],
                }));
            }
            i = j + 1;
        }

        // Theme matches over the tokens' forms (stopwords included).
        matches.clear();
        let words: Vec<Word> = tokens
            .iter()
            .zip(&token_forms)
            .map(|(t, &f)| {
                let form = &lex.forms[f as usize];
                Word {
                    form: &form.text,
                    stem: if form.role == Role::Term {
                        &lex.stems[form.stem as usize]
                    } else {
                        ""
                    },
                    hyphen_joined: t.hyphen_joined && analyzer.hyphens != Hyphens::Split,
                }
            })
            .collect();
        matcher.find(&words, &mut matches);
        let mut covered = vec![false; tokens.len()];
        let mut themes = vec![0u32; matcher.len()];
        for m in &matches {
            themes[m.theme as usize] += 1;
            covered[m.first..=m.last].iter_mut().for_each(|c| *c = true);
            let start = tokens[m.first].start;
            let end = tokens[m.last].end;
            let matched = matched_text(&text[start..end]);
            *match_rows
                .entry((section.id, m.theme, m.pattern, matched))
                .or_insert(0) += 1;
        }

        // Terms.
        let mut section_terms: FxHashMap<u32, u32> = FxHashMap::default();
        let mut n_terms = 0u64;
        let mut n_covered = 0u64;
        for unit in units.iter().chain(&part_terms) {
            let form = &lex.forms[unit.form as usize];
            if form.role != Role::Term {
                continue;
            }
            n_terms += 1;
            n_covered += u64::from(covered[unit.first..=unit.last].iter().any(|&c| c));
            *section_terms.entry(form.stem).or_insert(0) += 1;
            *surface_counts.entry(unit.form).or_insert(0) += 1;
        }

        // N-grams over runs of consecutive term units.
        let mut run: Vec<u32> = Vec::new();
        for unit in units.iter().map(Some).chain([None]) {
            match unit.map(|u| &lex.forms[u.form as usize]) {
                Some(form) if form.role == Role::Term => run.push(form.stem),
                _ => {
                    for n in 2..=max_ngram {
                        for window in run.windows(n) {
                            *ngram_counts.entry(window.to_vec()).or_insert(0) += 1;
                        }
                    }
                    run.clear();
                }
            }
        }

        for (&stem, &count) in &section_terms {
            let entry = doc_terms.entry(stem).or_insert((0, 0));
            entry.0 += count;
            entry.1 += 1;
        }
        let mut terms: Vec<(u32, u32)> = section_terms.into_iter().collect();
        terms.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| lex.stems[a.0 as usize].cmp(&lex.stems[b.0 as usize]))
        });
        doc.n_tokens += tokens.len() as u64;
        doc.n_terms += n_terms;
        doc.sections.push(SectionCounts {
            section,
            n_tokens: tokens.len() as u64,
            n_terms,
            n_types: terms.len() as u64,
            n_covered,
            terms,
            themes,
        });
    }

    // Each stem's most frequent surface form (ties: the smallest string).
    let mut surfaces: Vec<(u32, String, u32)> = surface_counts
        .into_iter()
        .map(|(form, count)| {
            let f = &lex.forms[form as usize];
            (f.stem, f.text.clone(), count)
        })
        .collect();
    surfaces.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(b.2.cmp(&a.2))
            .then_with(|| a.1.cmp(&b.1))
    });
    doc.surface = vec![String::new(); lex.stems.len()];
    for (stem, text, _) in surfaces.iter().rev() {
        doc.surface[*stem as usize] = text.clone();
    }
    doc.surfaces = surfaces;

    let mut terms: Vec<(u32, u32, u32)> =
        doc_terms.into_iter().map(|(s, (c, n))| (s, c, n)).collect();
    terms.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| lex.stems[a.0 as usize].cmp(&lex.stems[b.0 as usize]))
    });
    doc.terms = terms;

    let mut ngrams: Vec<NgramCount> = ngram_counts
        .into_iter()
        .map(|(stems, count)| {
            let text = stems
                .iter()
                .map(|&s| doc.surface[s as usize].as_str())
                .collect::<Vec<_>>()
                .join(" ");
            NgramCount {
                n: stems.len() as u32,
                stems,
                text,
                count,
            }
        })
        .collect();
    ngrams.sort_by(|a, b| {
        a.n.cmp(&b.n)
            .then(b.count.cmp(&a.count))
            .then_with(|| a.text.cmp(&b.text))
            .then_with(|| a.stems.cmp(&b.stems))
    });
    doc.ngrams = ngrams;

    let mut rows: Vec<MatchRow> = match_rows
        .into_iter()
        .map(|((section_id, theme, pattern, matched), count)| MatchRow {
            section_id,
            theme,
            pattern,
            matched,
            count,
        })
        .collect();
    rows.sort();
    doc.matches = rows;
    doc.stems = lex.stems;
    doc
}

/// The matched source text, lowercased, with runs of white space as one space.
fn matched_text(source: &str) -> String {
    source
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
