//! What one worker thread has learned about the vocabulary, kept across the
//! documents it counts: each distinct raw token maps to its form (display
//! text, key, role, stem and the theme-pattern elements it matches),
//! computed once, since the vocabulary is Zipfian.
//!
//! Four parts: [`Texts`] (every stem's and form's text with its sort key),
//! `Stems` (stem ids by text and by the key that was stemmed), `Forms`
//! (forms by raw token, by display text and key, by compound parts) and
//! [`Spare`] (per-document tallies indexed by vocabulary ids, kept only so
//! that they need not grow from empty for each document; a
//! [`Counter`](super::counter::Counter) takes them while it counts).
//!
//! A vocabulary is valid for one analyzer and matcher (it resets itself for
//! another), and starts over between documents when it holds more than
//! [`Vocabulary::MAX_FORMS`] forms, so that its memory is bounded by the
//! vocabulary, not by the corpus.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::{rank, Strings, MAX_NGRAM, NONE};
use crate::analyze::{Analyzer, Hyphens, Role};
use crate::theme::Matcher;
use crate::words::WordTable;

/// A worker's vocabulary; see the module documentation.
#[derive(Default)]
pub struct Vocabulary {
    owner: Option<Owner>,
    pub(super) texts: Texts,
    stems: Stems,
    forms: Forms,
    /// Per-document tallies between documents.
    pub(super) spare: Spare,
}

/// What a [`Vocabulary`] is valid for: the analyzer's and the matcher's
/// ids, and whether themes are matched.
type Owner = ((u64, bool, bool, Hyphens), u64, bool);

/// The top bit of [`Vocabulary::info`], and its stem part for a form that
/// is not a term.
pub(super) const HAS_ELEMENTS: u32 = 1 << 31;
pub(super) const NO_STEM: u32 = !HAS_ELEMENTS;

/// The texts of stems and forms (string ids into [`Strings`]), with what
/// sorting them needs: by string id, its sort key ([`rank::prefix`]) and
/// whether every byte is above the space; so sorting by text rarely reads
/// the texts.
#[derive(Default)]
pub(super) struct Texts {
    strings: Arc<Strings>,
    prefix: Vec<u128>,
    plain: Vec<bool>,
}

impl Texts {
    pub(super) fn add(&mut self, text: &str) -> u32 {
        self.prefix.push(rank::prefix(text));
        self.plain.push(text.bytes().all(|b| b > b' '));
        self.strings.push(text)
    }

    /// The text of `id` ("" for [`NONE`]).
    pub(super) fn get(&self, id: u32) -> &str {
        self.strings.get(id)
    }

    /// The store, for a [`super::DocCounts`].
    pub(super) fn shared(&self) -> Arc<Strings> {
        self.strings.clone()
    }

    pub(super) fn prefix_of(&self, id: u32) -> u128 {
        match id {
            NONE => 0,
            id => self.prefix[id as usize],
        }
    }

    /// Whether no byte of the text of `id` is at or below the space.
    pub(super) fn is_plain(&self, id: u32) -> bool {
        self.plain[id as usize]
    }

    /// [`rank::ranks`] of the texts of string ids `ids`, whose prefixes are
    /// `prefixes`.
    pub(super) fn ranks_by(&self, ids: &[u32], prefixes: &[u128], dense: bool) -> Vec<u32> {
        rank::ranks(ids.len(), prefixes, |i| self.get(ids[i as usize]), dense)
    }

    /// Whether the text of `a` sorts before the text of `b`.
    pub(super) fn less(&self, a: u32, b: u32) -> bool {
        let (pa, pb) = (self.prefix_of(a), self.prefix_of(b));
        pa < pb || (pa == pb && !rank::prefix_is_whole(pa) && self.get(a) < self.get(b))
    }
}

/// Stems: ids by text, each stem's text, and the stem of each key stemmed.
#[derive(Default)]
struct Stems {
    by_text: FxHashMap<Box<str>, u32>,
    /// String id by stem id.
    text: Vec<u32>,
    /// Stem id by the key that was stemmed.
    by_key: FxHashMap<Box<str>, u32>,
}

impl Stems {
    /// The stem id of `key`, stemmed by `analyzer` on first sight.
    fn of_key(&mut self, key: &str, analyzer: &Analyzer, texts: &mut Texts) -> u32 {
        if let Some(&id) = self.by_key.get(key) {
            return id;
        }
        let stem = analyzer.stem(key);
        let id = match self.by_text.get(stem.as_str()) {
            Some(&id) => id,
            None => {
                let id = self.text.len() as u32;
                self.text.push(texts.add(&stem));
                self.by_text.insert(stem.into(), id);
                id
            }
        };
        self.by_key.insert(key.into(), id);
        id
    }
}

/// Forms by the raw token text, by (display text, key) and by the forms
/// of a compound's parts, with the theme-pattern elements of each.
#[derive(Default)]
struct Forms {
    by_surface: WordTable,
    /// Forms by (display text, key when it differs).
    by_text: FxHashMap<(Box<str>, Option<Box<str>>), u32>,
    /// Compound forms by the forms of their parts.
    by_parts: FxHashMap<Box<[u32]>, u32>,
    list: Vec<Form>,
    /// Matcher element ids; each form owns a range.
    elements: Vec<u32>,
}

/// A form: a token's display text (or a compound's, parts joined by `-`)
/// with its key (see [`crate::analyze`]).
pub(super) struct Form {
    /// String id of the display text.
    pub(super) text: u32,
    /// The key, when it differs from the display text.
    key: Option<Box<str>>,
    role: Role,
    /// Global stem id when the form is a term.
    pub(super) stem: u32,
    /// Range of `Forms::elements`.
    elements: (u32, u32),
}

impl Vocabulary {
    /// Distinct forms kept before the vocabulary starts over.
    pub const MAX_FORMS: usize = 1_000_000;

    /// Makes the vocabulary valid for `analyzer` and `matcher`; without
    /// `themes`, forms match no theme-pattern element (none is looked for).
    pub(super) fn prepare(&mut self, analyzer: &Analyzer, matcher: &Matcher, themes: bool) {
        let owner = Some((analyzer.cache_key(), matcher.id(), themes));
        if self.owner != owner || self.forms.list.len() > Self::MAX_FORMS {
            *self = Vocabulary {
                owner,
                ..Vocabulary::default()
            };
        }
    }

    /// The form of a token's raw text, whose [`crate::words::hash`] is
    /// `hash`, and the form's [`Vocabulary::info`] (kept beside it in the
    /// table, so that the token loop need not read the form).
    ///
    /// Inlined into the token loop, the rare new word left out of line (as
    /// when counting was one function): with this and the `#[inline]` of
    /// `rank::ranks` and `ngrams::Runs::end_run`, the default run on the UN
    /// corpus takes 156 M instructions fewer (1.7 %, callgrind), what the
    /// split into methods had cost. Both paths are covered by
    /// `warm_vocabulary_counts_like_a_fresh_one`.
    #[inline]
    pub(super) fn word(
        &mut self,
        surface: &str,
        hash: u64,
        analyzer: &Analyzer,
        matcher: &Matcher,
    ) -> (u32, u32) {
        match self.forms.by_surface.get(surface.as_bytes(), hash) {
            Some(found) => found,
            None => self.new_word(surface, hash, analyzer, matcher),
        }
    }

    /// [`Vocabulary::word`] of a raw text not seen before.
    #[inline(never)]
    fn new_word(
        &mut self,
        surface: &str,
        hash: u64,
        analyzer: &Analyzer,
        matcher: &Matcher,
    ) -> (u32, u32) {
        let a = analyzer.analyze(surface);
        let id = self.intern_form(&a.display, a.role, a.key(), false, analyzer, matcher);
        let info = self.info(id);
        self.forms
            .by_surface
            .insert(surface.as_bytes(), hash, id, info);
        (id, info)
    }

    /// The form of a hyphenated compound made of `parts` (form ids).
    pub(super) fn compound(
        &mut self,
        parts: &[u32],
        analyzer: &Analyzer,
        matcher: &Matcher,
    ) -> u32 {
        if let Some(&id) = self.forms.by_parts.get(parts) {
            return id;
        }
        let texts: Vec<&str> = parts
            .iter()
            .map(|&p| self.texts.get(self.form(p).text))
            .collect();
        let surface = texts.join("-");
        let key: String = parts.iter().map(|&p| self.key_of(p)).collect();
        let role = if !analyzer.keep_numbers && Analyzer::is_number(&key) {
            Role::Number
        } else {
            Role::Term
        };
        let id = self.intern_form(&surface, role, &key, true, analyzer, matcher);
        self.forms.by_parts.insert(parts.into(), id);
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
        if let Some(&id) = self.forms.by_text.get(&lookup) {
            return id;
        }
        let stem = match role {
            Role::Term => self.stems.of_key(key, analyzer, &mut self.texts),
            _ => NONE,
        };
        let start = self.forms.elements.len() as u32;
        if self.owner.is_some_and(|(_, _, themes)| themes) {
            let stem_text = match compound || stem == NONE {
                true => "",
                false => self.texts.get(self.stems.text[stem as usize]),
            };
            matcher.word_elements(key, stem_text, &mut self.forms.elements);
        }
        let id = self.forms.list.len() as u32;
        let text = self.texts.add(text);
        self.forms.list.push(Form {
            text,
            key: lookup.1.clone(),
            role,
            stem,
            elements: (start, self.forms.elements.len() as u32),
        });
        self.forms.by_text.insert(lookup, id);
        id
    }

    /// A form's global stem id ([`NO_STEM`] when it is not a term; stem
    /// ids stay below 2^31) with its top bit set when the form matches any
    /// theme-pattern element.
    pub(super) fn info(&self, form: u32) -> u32 {
        let f = self.form(form);
        let stem = match f.role {
            Role::Term => f.stem,
            _ => NO_STEM,
        };
        stem | (u32::from(f.elements.0 != f.elements.1) << 31)
    }

    pub(super) fn form(&self, form: u32) -> &Form {
        &self.forms.list[form as usize]
    }

    /// The key of a form.
    fn key_of(&self, form: u32) -> &str {
        let f = self.form(form);
        f.key.as_deref().unwrap_or_else(|| self.texts.get(f.text))
    }

    /// The theme-pattern elements a form matches.
    pub(super) fn elements_of(&self, form: u32) -> &[u32] {
        let (start, end) = self.form(form).elements;
        &self.forms.elements[start as usize..end as usize]
    }

    /// The string id of a global stem's text.
    pub(super) fn stem_text(&self, stem: u32) -> u32 {
        self.stems.text[stem as usize]
    }
}

/// Per-document tallies indexed by vocabulary ids, all at rest (every
/// local id [`NONE`], every count 0, the maps empty) between documents. A
/// counter takes them and gives them back at rest; if counting never
/// finishes they are simply lost, and the next document grows new ones.
#[derive(Default)]
pub(super) struct Spare {
    /// Each global stem's local id.
    pub(super) stem_locals: Vec<u32>,
    /// Each form's count as a term unit, and its local id.
    pub(super) form_counts: Vec<(u32, u32)>,
    /// Counts of n-grams as exact sequences (see `ngrams::Runs`): of two
    /// forms, and of more.
    pub(super) pairs: FxHashMap<u64, u32>,
    pub(super) ngrams: FxHashMap<[u32; MAX_NGRAM], u32>,
}

/// `v[i]`, growing `v` with `fill` up to it first: tallies indexed by
/// vocabulary ids grow with the vocabulary.
pub(super) fn slot<T: Copy>(v: &mut Vec<T>, i: usize, fill: T) -> &mut T {
    if i >= v.len() {
        v.resize(i + 1, fill);
    }
    &mut v[i]
}
