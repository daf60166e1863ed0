//! Themes: a codebook (theme dictionary) and the matcher compiled from it.
//!
//! Pattern syntax (one string per pattern):
//! * words separated by spaces form a phrase that matches consecutive tokens
//!   (`human rights`, `weapon* of mass destruction`);
//! * in a word, `*` matches any run of characters and `?` one character;
//! * `stem:secur` matches tokens whose Snowball stem is `secur`.
//!
//! Patterns go through the same [`Analyzer`] as the text (case, NFC,
//! apostrophes, possessives); with `--hyphens join|both` a hyphenated word
//! (`co-operation`) is matched as its joined compound (`cooperation`), in the
//! text as in the pattern. With `join` (the default) the parts of a compound
//! do not match on their own (`econom*` does not match inside
//! `geo-economics`), as they are not terms either; with `both` they do. Matching sees every token (stopwords included), never
//! crosses a section boundary, and within one theme a token counts at most
//! once, longest match first; a token may count for several themes. A
//! parent theme (`economy` for `economy.trade`) counts the union of its own
//! and its children's patterns.
//!
//! Exclusions (`exclude = ["security council"]`, same syntax) say which
//! matches are not the theme's talk: an exclusion match covers its tokens,
//! and a pattern match of theme `t` that overlaps tokens covered by an
//! exclusion match of `t` or of an ancestor of `t` is not counted, neither
//! for `t` nor for its ancestors. So a parent's exclusion applies to its
//! children's patterns, while a child's exclusion leaves the parent's own
//! patterns alone. Exclusion matches are found like pattern matches (every
//! one, overlapping or not) and reported with `excluded` set, so that
//! `theme_matches.csv` shows what was left out; they never count.

pub mod codebook;
pub mod import;

use rustc_hash::FxHashMap;

use crate::analyze::{Analyzer, Hyphens};
use crate::error::Result;
pub use codebook::{Codebook, Theme};

/// A token as the matcher sees it.
#[derive(Debug, Clone, Copy)]
pub struct Word<'a> {
    /// The analyzer's form (lowercase, possessive removed).
    pub form: &'a str,
    /// The stem, or "" when the token is not a term.
    pub stem: &'a str,
    /// Joined to the previous word by a hyphen (and compounds are joined).
    pub hyphen_joined: bool,
}

impl<'a> Word<'a> {
    /// The words of a run of tokens, from each token's (form, stem) as
    /// [`Analyzer::form_and_stem`] gives them. With `--hyphens split` no
    /// word is joined to its neighbour.
    pub fn from_tokens(
        tokens: &[crate::token::Token],
        forms: &'a [(String, String)],
        hyphens: Hyphens,
    ) -> Vec<Word<'a>> {
        tokens
            .iter()
            .zip(forms)
            .map(|(t, (form, stem))| Word {
                form,
                stem,
                hyphen_joined: t.hyphen_joined && hyphens != Hyphens::Split,
            })
            .collect()
    }
}

/// An accepted match: `theme` matched tokens `first..=last` via `pattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub theme: u32,
    pub pattern: u32,
    pub first: usize,
    pub last: usize,
    /// An exclusion match of `theme` (`pattern` is the exclusion), which
    /// counts for nothing.
    pub excluded: bool,
}

/// One element of a pattern, matched against a single word.
#[derive(Debug, Clone)]
enum Element {
    Exact(String),
    Glob(Vec<GlobPart>),
    Stem(String),
}

#[derive(Debug, Clone, PartialEq)]
enum GlobPart {
    Literal(String),
    Any,
    One,
}

impl Element {
    fn parse(word: &str) -> Element {
        if let Some(stem) = word.strip_prefix("stem:") {
            return Element::Stem(stem.to_string());
        }
        if !word.contains(['*', '?']) {
            return Element::Exact(word.to_string());
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        for c in word.chars() {
            if c == '*' || c == '?' {
                if !literal.is_empty() {
                    parts.push(GlobPart::Literal(std::mem::take(&mut literal)));
                }
                let part = if c == '*' {
                    GlobPart::Any
                } else {
                    GlobPart::One
                };
                if !(part == GlobPart::Any && parts.last() == Some(&GlobPart::Any)) {
                    parts.push(part);
                }
            } else {
                literal.push(c);
            }
        }
        if !literal.is_empty() {
            parts.push(GlobPart::Literal(literal));
        }
        Element::Glob(parts)
    }

    fn matches(&self, form: &str, stem: &str) -> bool {
        match self {
            Element::Exact(w) => w == form,
            Element::Stem(s) => !stem.is_empty() && s == stem,
            Element::Glob(parts) => glob_match(parts, form),
        }
    }
}

/// Matches a glob against the whole text in O(len(text) x len(glob)): the
/// classic wildcard algorithm that keeps only the last `*` seen. When a part
/// after that `*` fails, the `*` takes one more character and the parts after
/// it are tried again; an earlier `*` never needs to grow, because the last
/// one can absorb whatever it would have taken. So a hostile glob such as
/// `*a*a*a*a*b` cannot backtrack exponentially.
fn glob_match(parts: &[GlobPart], text: &str) -> bool {
    let (mut p, mut s) = (0, 0);
    // (part index of the last `*`, text offset it is tried from next).
    let mut star: Option<(usize, usize)> = None;
    loop {
        let step = match parts.get(p) {
            Some(GlobPart::Literal(l)) if text[s..].starts_with(l.as_str()) => Some(l.len()),
            Some(GlobPart::One) => text[s..].chars().next().map(char::len_utf8),
            Some(GlobPart::Any) => {
                star = Some((p, s));
                p += 1;
                continue;
            }
            None if s == text.len() => return true,
            _ => None,
        };
        match (step, star) {
            (Some(n), _) => {
                p += 1;
                s += n;
            }
            (None, Some((sp, ss))) => match text[ss..].chars().next() {
                Some(c) => {
                    star = Some((sp, ss + c.len_utf8()));
                    p = sp + 1;
                    s = ss + c.len_utf8();
                }
                None => return false,
            },
            (None, None) => return false,
        }
    }
}

/// A compiled pattern.
#[derive(Debug, Clone)]
struct Pattern {
    /// Element ids, one per word.
    elements: Vec<u32>,
    /// The themes it counts for: its own and every ancestor. For an
    /// exclusion, the themes whose pattern matches it blocks: its own and
    /// every ancestor of those.
    themes: Vec<u32>,
    /// An exclusion rather than a pattern.
    exclude: bool,
}

/// The compiled codebook.
#[derive(Debug)]
pub struct Matcher {
    /// Theme keys in codebook order (parents before children).
    keys: Vec<String>,
    /// Pattern text as written in the codebook, by pattern id.
    pattern_texts: Vec<String>,
    elements: Vec<Element>,
    patterns: Vec<Pattern>,
    /// Pattern ids by their first element id (element ids are dense).
    by_first: Vec<Vec<u32>>,
    /// Exact elements by word, for a fast lookup.
    exact: FxHashMap<String, Vec<u32>>,
    /// Elements that need a test per word (globs, stems).
    tested: Vec<u32>,
    has_stem_elements: bool,
    has_exclusions: bool,
    /// With `join`, the parts of a hyphenated compound do not match alone.
    hyphens: Hyphens,
    /// See [`Matcher::id`].
    id: u64,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher {
            keys: Vec::new(),
            pattern_texts: Vec::new(),
            elements: Vec::new(),
            patterns: Vec::new(),
            by_first: Vec::new(),
            exact: FxHashMap::default(),
            tested: Vec::new(),
            has_stem_elements: false,
            has_exclusions: false,
            hyphens: Hyphens::Join,
            id: 0,
        }
    }
}

impl Matcher {
    /// Compiles a (validated) codebook with the analyzer used for the text.
    pub fn new(codebook: &Codebook, analyzer: &Analyzer) -> Result<Matcher> {
        let mut m = Matcher {
            hyphens: analyzer.hyphens,
            id: crate::analyze::next_id(),
            ..Matcher::default()
        };
        let index: FxHashMap<&str, u32> = codebook
            .themes
            .iter()
            .enumerate()
            .map(|(i, t)| (t.key.as_str(), i as u32))
            .collect();
        let mut element_ids: FxHashMap<String, u32> = FxHashMap::default();
        for (t, theme) in codebook.themes.iter().enumerate() {
            m.keys.push(theme.key.clone());
            let mut themes = vec![t as u32];
            let mut key = theme.key.as_str();
            while let Some(dot) = key.rfind('.') {
                key = &key[..dot];
                if let Some(&parent) = index.get(key) {
                    themes.push(parent);
                }
            }
            for pattern in &theme.patterns {
                m.add_pattern(&pattern.text, &themes, false, analyzer, &mut element_ids);
            }
            for pattern in &theme.exclude {
                m.add_pattern(&pattern.text, &[t as u32], true, analyzer, &mut element_ids);
            }
        }
        Ok(m)
    }

    /// Compiles one pattern (or exclusion) of a theme; `themes` are the ones
    /// it counts for (or, for an exclusion, the theme that owns it).
    fn add_pattern(
        &mut self,
        text: &str,
        themes: &[u32],
        exclude: bool,
        analyzer: &Analyzer,
        element_ids: &mut FxHashMap<String, u32>,
    ) {
        let mut elements = Vec::new();
        for w in pattern_words(text, analyzer) {
            let next = element_ids.len() as u32;
            let id = *element_ids.entry(w.clone()).or_insert(next);
            if id == next {
                let element = Element::parse(&w);
                match &element {
                    Element::Exact(word) => self.exact.entry(word.clone()).or_default().push(id),
                    Element::Stem(_) => {
                        self.has_stem_elements = true;
                        self.tested.push(id)
                    }
                    Element::Glob(_) => self.tested.push(id),
                }
                self.elements.push(element);
                self.by_first.push(Vec::new());
            }
            elements.push(id);
        }
        if elements.is_empty() {
            return;
        }
        let pid = self.patterns.len() as u32;
        self.by_first[elements[0] as usize].push(pid);
        self.pattern_texts.push(text.to_string());
        self.has_exclusions |= exclude;
        self.patterns.push(Pattern {
            elements,
            themes: themes.to_vec(),
            exclude,
        });
    }

    /// Number of themes.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    pub fn pattern_text(&self, pattern: u32) -> &str {
        &self.pattern_texts[pattern as usize]
    }

    /// Appends the element ids that match a word (its form, and its stem or
    /// "" when it is not a term) to `out`. What [`Matcher::find_elements`]
    /// expects per word; a caller may compute it once per distinct form. A
    /// hyphenated compound is looked up by its joined form with stem "".
    pub fn word_elements(&self, form: &str, stem: &str, out: &mut Vec<u32>) {
        if let Some(ids) = self.exact.get(form) {
            out.extend_from_slice(ids);
        }
        for &id in &self.tested {
            if self.elements[id as usize].matches(form, stem) {
                out.push(id);
            }
        }
    }

    /// The number of words of each pattern.
    pub fn pattern_lengths(&self) -> impl Iterator<Item = usize> + '_ {
        self.patterns.iter().map(|p| p.elements.len())
    }

    /// An id that differs between matchers compiled in one process (0 for
    /// the empty default), so caches of [`Matcher::word_elements`] can tell
    /// whose they are.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Finds the counted matches in one section's words (what kwic shows):
    /// [`Matcher::find_all`] without the exclusion matches.
    pub fn find(&self, words: &[Word], out: &mut Vec<Match>) {
        self.find_all(words, out);
        out.retain(|m| !m.excluded);
    }

    /// Finds the counted matches and the exclusion matches in one section's
    /// words.
    pub fn find_all(&self, words: &[Word], out: &mut Vec<Match>) {
        out.clear();
        if self.patterns.is_empty() || words.is_empty() {
            return;
        }
        // Element ids per word, computed once per distinct (form, stem).
        let mut cache: FxHashMap<(&str, &str), Vec<u32>> = FxHashMap::default();
        let mut scratch = Vec::new();
        let per_word: Vec<&[u32]> = {
            for w in words {
                let key = (w.form, if self.has_stem_elements { w.stem } else { "" });
                cache.entry(key).or_insert_with(|| {
                    scratch.clear();
                    self.word_elements(w.form, w.stem, &mut scratch);
                    scratch.clone()
                });
            }
            words
                .iter()
                .map(|w| {
                    cache[&(w.form, if self.has_stem_elements { w.stem } else { "" })].as_slice()
                })
                .collect()
        };
        // Hyphenated compounds: the joined chain's elements.
        let mut chains: Vec<(usize, usize, Vec<u32>)> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let mut j = i;
            while j + 1 < words.len() && words[j + 1].hyphen_joined {
                j += 1;
            }
            if j > i {
                let joined: String = words[i..=j].iter().map(|w| w.form).collect();
                scratch.clear();
                self.word_elements(&joined, "", &mut scratch);
                chains.push((i, j, scratch.clone()));
            }
            i = j + 1;
        }
        let chains: Vec<(usize, usize, &[u32])> = chains
            .iter()
            .map(|(i, j, e)| (*i, *j, e.as_slice()))
            .collect();
        self.find_elements(&per_word, &chains, out);
    }

    /// [`Matcher::find_all`] with the work per word done by the caller:
    /// `per_word[i]` holds the element ids of word `i` (from
    /// [`Matcher::word_elements`]), and `chains` each maximal hyphen-joined
    /// run of words `first..=last` (in order) with its joined form's ids.
    pub fn find_elements(
        &self,
        per_word: &[&[u32]],
        chains: &[(usize, usize, &[u32])],
        out: &mut Vec<Match>,
    ) {
        self.find_elements_after(per_word, chains, &[], out);
    }

    /// [`Matcher::find_elements`] where the matches `accepted` (words
    /// `first..=last`, clipped to the words given) were accepted before:
    /// their words are taken for their theme before the first candidate
    /// (so a section can be matched a window at a time, see `count`).
    pub fn find_elements_after(
        &self,
        per_word: &[&[u32]],
        chains: &[(usize, usize, &[u32])],
        accepted: &[Match],
        out: &mut Vec<Match>,
    ) {
        out.clear();
        if self.patterns.is_empty()
            || !(per_word.iter().any(|w| !w.is_empty()) || chains.iter().any(|c| !c.2.is_empty()))
        {
            return;
        }
        // With `join`, the parts of a compound are not words of their own.
        let mut in_compound = Vec::new();
        if self.hyphens == Hyphens::Join && !chains.is_empty() {
            in_compound.resize(per_word.len(), false);
            for &(i, j, _) in chains {
                in_compound[i..=j].iter_mut().for_each(|c| *c = true);
            }
        }
        let in_compound = |range: std::ops::RangeInclusive<usize>| {
            !in_compound.is_empty() && in_compound[range].iter().any(|&c| c)
        };
        // Candidates: (pattern, first, last).
        let mut candidates: Vec<(u32, usize, usize)> = Vec::new();
        for (i, first_elements) in per_word.iter().enumerate() {
            if first_elements.is_empty() || in_compound(i..=i) {
                continue;
            }
            for e in first_elements.iter() {
                for &p in &self.by_first[*e as usize] {
                    let elements = &self.patterns[p as usize].elements;
                    let last = i + elements.len() - 1;
                    if last < per_word.len()
                        && !in_compound(i..=last)
                        && elements[1..]
                            .iter()
                            .enumerate()
                            .all(|(k, el)| per_word[i + 1 + k].contains(el))
                    {
                        candidates.push((p, i, last));
                    }
                }
            }
        }
        // Hyphenated compounds: one-word patterns against the joined chain.
        for &(i, j, elements) in chains {
            for e in elements {
                for &p in &self.by_first[*e as usize] {
                    if self.patterns[p as usize].elements.len() == 1 {
                        candidates.push((p, i, j));
                    }
                }
            }
        }
        if candidates.is_empty() {
            return;
        }
        if self.has_exclusions {
            self.apply_exclusions(&mut candidates, per_word.len(), accepted, out);
        }
        // Longest first, then leftmost, then codebook order.
        candidates.sort_by(|a, b| {
            (b.2 - b.1)
                .cmp(&(a.2 - a.1))
                .then(a.1.cmp(&b.1))
                .then(a.0.cmp(&b.0))
        });
        let mut used: FxHashMap<u32, Vec<bool>> = FxHashMap::default();
        for m in accepted
            .iter()
            .filter(|m| !m.excluded && m.first < per_word.len())
        {
            let marks = used
                .entry(m.theme)
                .or_insert_with(|| vec![false; per_word.len()]);
            let last = m.last.min(per_word.len() - 1);
            marks[m.first..=last].iter_mut().for_each(|u| *u = true);
        }
        for &(p, first, last) in &candidates {
            for &theme in &self.patterns[p as usize].themes {
                let marks = used
                    .entry(theme)
                    .or_insert_with(|| vec![false; per_word.len()]);
                if marks[first..=last].iter().any(|&u| u) {
                    continue;
                }
                marks[first..=last].iter_mut().for_each(|u| *u = true);
                out.push(Match {
                    theme,
                    pattern: p,
                    first,
                    last,
                    excluded: false,
                });
            }
        }
        out.sort_by_key(|m| (m.first, m.theme, m.last, m.excluded, m.pattern));
    }

    /// Moves the exclusion candidates to `out` (as excluded matches of the
    /// theme that owns them) and drops every pattern candidate that overlaps
    /// an exclusion match of its theme or of one of that theme's ancestors.
    /// Exclusion matches among `accepted` (decided in an earlier window of
    /// the section and reaching into this one) cover their tokens too.
    fn apply_exclusions(
        &self,
        candidates: &mut Vec<(u32, usize, usize)>,
        n_words: usize,
        accepted: &[Match],
        out: &mut Vec<Match>,
    ) {
        // Tokens covered by each theme's exclusion matches.
        let mut covered: FxHashMap<u32, Vec<bool>> = FxHashMap::default();
        for m in accepted.iter().filter(|m| m.excluded && m.first < n_words) {
            let marks = covered.entry(m.theme).or_insert_with(|| vec![false; n_words]);
            let last = m.last.min(n_words - 1);
            marks[m.first..=last].iter_mut().for_each(|c| *c = true);
        }
        for &(p, first, last) in candidates.iter() {
            let pattern = &self.patterns[p as usize];
            if pattern.exclude {
                let theme = pattern.themes[0];
                let marks = covered.entry(theme).or_insert_with(|| vec![false; n_words]);
                marks[first..=last].iter_mut().for_each(|c| *c = true);
                out.push(Match {
                    theme,
                    pattern: p,
                    first,
                    last,
                    excluded: true,
                });
            }
        }
        if covered.is_empty() {
            return;
        }
        candidates.retain(|&(p, first, last)| {
            let pattern = &self.patterns[p as usize];
            !pattern.exclude
                && !pattern.themes.iter().any(|t| {
                    covered
                        .get(t)
                        .is_some_and(|marks| marks[first..=last].iter().any(|&c| c))
                })
        });
    }
}

/// Splits a pattern into normalised words, the way the text is analyzed:
/// case, apostrophes, possessives, and hyphens (joined unless `split`).
pub fn pattern_words(pattern: &str, analyzer: &Analyzer) -> Vec<String> {
    let mut words = Vec::new();
    for raw in pattern.split_whitespace() {
        let (prefix, body) = match raw.strip_prefix("stem:") {
            Some(rest) => ("stem:", rest),
            None => ("", raw),
        };
        let pieces: Vec<&str> = if analyzer.hyphens == Hyphens::Split {
            body.split(['-', '\u{2010}', '\u{2011}'])
                .filter(|p| !p.is_empty())
                .collect()
        } else {
            vec![body]
        };
        for piece in pieces {
            let joined: String = piece
                .chars()
                .filter(|c| !matches!(c, '-' | '\u{2010}' | '\u{2011}'))
                .collect();
            let form = if prefix.is_empty() && !joined.contains(['*', '?']) {
                analyzer.classify(&joined).0
            } else {
                analyzer.normalize(&joined)
            };
            words.push(format!("{prefix}{form}"));
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::AnalyzerOptions;
    use codebook::{PatternDef, Theme};

    fn theme(key: &str, patterns: &[&str]) -> Theme {
        excluding(key, patterns, &[])
    }

    fn excluding(key: &str, patterns: &[&str], exclude: &[&str]) -> Theme {
        let defs = |list: &[&str]| {
            list.iter()
                .map(|p| PatternDef {
                    text: p.to_string(),
                    line: 0,
                    column: 0,
                })
                .collect()
        };
        Theme {
            key: key.into(),
            label: key.into(),
            definition: String::new(),
            patterns: defs(patterns),
            exclude: defs(exclude),
            line: 0,
            column: 0,
        }
    }

    /// Runs the matcher over a text as `count` would (split on whitespace
    /// and hyphens, lowercase) and returns (theme key, matched words) of the
    /// counted matches.
    fn run(themes: Vec<Theme>, text: &str) -> Vec<(String, String)> {
        run_all(themes, text)
            .into_iter()
            .filter(|(k, _)| !k.starts_with('!'))
            .collect()
    }

    /// [`run`] with the exclusion matches too, their key marked `!key`.
    fn run_all(themes: Vec<Theme>, text: &str) -> Vec<(String, String)> {
        let analyzer = Analyzer::new(&AnalyzerOptions::default()).unwrap();
        let codebook = Codebook {
            path: "test".into(),
            themes,
        };
        let matcher = Matcher::new(&codebook, &analyzer).unwrap();
        let mut tokens = Vec::new();
        crate::token::tokenize(text, 0..text.len(), &mut tokens);
        let forms: Vec<(String, String)> = tokens
            .iter()
            .map(|t| analyzer.form_and_stem(&text[t.range()]))
            .collect();
        let words = Word::from_tokens(&tokens, &forms, analyzer.hyphens);
        let mut out = Vec::new();
        matcher.find_all(&words, &mut out);
        out.iter()
            .map(|m| {
                let key = &matcher.keys()[m.theme as usize];
                (
                    if m.excluded {
                        format!("!{key}")
                    } else {
                        key.clone()
                    },
                    text[tokens[m.first].start..tokens[m.last].end].to_string(),
                )
            })
            .collect()
    }

    /// The backtracking matcher this module used before (exponential on
    /// `*a*a*a*b`), kept as the reference for [`glob_match`].
    fn glob_match_backtracking(parts: &[GlobPart], text: &str) -> bool {
        match parts.first() {
            None => text.is_empty(),
            Some(GlobPart::Literal(l)) => text
                .strip_prefix(l.as_str())
                .is_some_and(|rest| glob_match_backtracking(&parts[1..], rest)),
            Some(GlobPart::One) => {
                let mut chars = text.chars();
                chars.next().is_some() && glob_match_backtracking(&parts[1..], chars.as_str())
            }
            Some(GlobPart::Any) => {
                if parts.len() == 1 {
                    return true;
                }
                text.char_indices()
                    .map(|(i, _)| i)
                    .chain([text.len()])
                    .any(|i| glob_match_backtracking(&parts[1..], &text[i..]))
            }
        }
    }

    fn glob_parts(pattern: &str) -> Vec<GlobPart> {
        match Element::parse(pattern) {
            Element::Glob(parts) => parts,
            _ => unreachable!("{pattern} is not a glob"),
        }
    }

    proptest::proptest! {
        /// Same answer as the backtracking reference, on globs and words over
        /// a small alphabet (so that matches and near misses are frequent),
        /// with a two-byte letter to check character steps.
        #[test]
        fn glob_equals_the_backtracking_reference(
            glob in "[abé*?]{0,8}[*?][abé*?]{0,3}",
            word in "[abé]{0,12}",
        ) {
            let parts = glob_parts(&glob);
            proptest::prop_assert_eq!(
                glob_match(&parts, &word),
                glob_match_backtracking(&parts, &word),
                "glob {} word {}", glob, word
            );
        }
    }

    #[test]
    fn hostile_glob_on_a_long_word_ends() {
        // Issue #13: the backtracking matcher took 28 s on 40 letters and
        // never ended on 50. This one tries each (part, offset) pair a
        // bounded number of times: 100,000 letters x 21 parts.
        let parts = glob_parts("*a*a*a*a*a*a*a*a*a*a*b");
        let word = "a".repeat(100_000);
        assert!(!glob_match(&parts, &word));
        assert!(glob_match(&parts, &format!("{word}b")));
    }

    #[test]
    fn globs() {
        let g = |p: &str, t: &str| match Element::parse(p) {
            Element::Glob(parts) => glob_match(&parts, t),
            _ => unreachable!(),
        };
        assert!(g("secur*", "security"));
        assert!(g("secur*", "secur"));
        assert!(!g("secur*", "insecurity"));
        assert!(g("*phobia", "xenophobia"));
        assert!(g("wom?n", "women"));
        assert!(!g("wom?n", "woman s"));
        assert!(g("*a*b*", "xxaxxbxx"));
    }

    #[test]
    fn phrase_with_stopword_and_glob() {
        let got = run(
            vec![theme("wmd", &["weapon* of mass destruction"])],
            "proliferation of weapons of mass destruction, weapons",
        );
        assert_eq!(
            got,
            [("wmd".to_string(), "weapons of mass destruction".to_string())]
        );
    }

    #[test]
    fn longest_match_first_and_token_counts_once_per_theme() {
        // "human rights" matches both patterns; the phrase wins, counted once.
        let got = run(
            vec![theme("hr", &["rights", "human rights"])],
            "human rights and rights",
        );
        assert_eq!(
            got,
            [
                ("hr".into(), "human rights".into()),
                ("hr".into(), "rights".into())
            ]
        );
    }

    #[test]
    fn a_token_may_count_for_several_themes() {
        let got = run(
            vec![theme("a", &["secur*"]), theme("b", &["security"])],
            "security",
        );
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn hyphenated_compounds_unify() {
        let t = || {
            vec![
                theme("coop", &["cooperat*"]),
                theme("hy", &["co-operation"]),
            ]
        };
        let got = run(t(), "co-operation and cooperation");
        assert_eq!(
            got,
            [
                ("coop".into(), "co-operation".into()),
                ("hy".into(), "co-operation".into()),
                ("coop".into(), "cooperation".into()),
                ("hy".into(), "cooperation".into())
            ]
        );
    }

    #[test]
    fn parent_counts_union_of_children() {
        let got = run(
            vec![
                theme("econ", &["economy"]),
                theme("econ.trade", &["trade"]),
                theme("econ.energy", &["energy"]),
            ],
            "economy trade energy",
        );
        let econ = got.iter().filter(|(k, _)| k == "econ").count();
        assert_eq!(econ, 3, "{got:?}");
    }

    #[test]
    fn stem_patterns_and_possessives() {
        let got = run(
            vec![theme("s", &["stem:secur"]), theme("r", &["russia"])],
            "securing Russia’s security",
        );
        assert_eq!(
            got,
            [
                ("s".into(), "securing".into()),
                ("r".into(), "Russia’s".into()),
                ("s".into(), "security".into())
            ]
        );
    }

    #[test]
    fn exclusions_block_their_theme_and_its_ancestors() {
        // Hand count of "the Security Council and security, a peace council":
        // `sec` has `secur*` and excludes `security council`; so the first
        // "Security" does not count and the second does. Its parent `pol`
        // (pattern `council`) loses nothing to a child's exclusion: both
        // "Council"s count for `pol`, and "security" counts for it through
        // the child.
        let text = "the Security Council and security, a peace council";
        let got = run_all(
            vec![
                theme("pol", &["council"]),
                excluding("pol.sec", &["secur*"], &["security council"]),
            ],
            text,
        );
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            got,
            pairs(&[
                ("!pol.sec", "Security Council"),
                ("pol", "Council"),
                ("pol", "security"),
                ("pol.sec", "security"),
                ("pol", "council"),
            ])
        );
        // A parent's exclusion applies to its children's patterns: with
        // `exclude` on `pol`, neither "Security" of the phrase nor its
        // "Council" counts anywhere; the rest does.
        let got = run_all(
            vec![
                excluding("pol", &["council"], &["security council"]),
                theme("pol.sec", &["secur*"]),
                theme("other", &["secur*"]),
            ],
            text,
        );
        assert_eq!(
            got,
            pairs(&[
                ("!pol", "Security Council"),
                ("other", "Security"),
                ("pol", "security"),
                ("pol.sec", "security"),
                ("other", "security"),
                ("pol", "council"),
            ])
        );
    }

    #[test]
    fn exclusions_are_globs_and_phrases_like_patterns() {
        // `secur* council*` covers "security councils"; a longer pattern
        // that overlaps it (`security councils reform`) is blocked too.
        let got = run_all(
            vec![excluding(
                "s",
                &["secur*", "security councils reform"],
                &["secur* council*"],
            )],
            "Security Councils reform secures",
        );
        assert_eq!(
            got,
            [
                ("!s".to_string(), "Security Councils".to_string()),
                ("s".to_string(), "secures".to_string())
            ]
        );
    }
}
