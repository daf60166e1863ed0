//! KWIC (keyword in context): every theme match with the words around it,
//! for `themata kwic PATTERN` and `analyze --kwic`.
//!
//! Matching is the matcher's own (same sections, tokens, analyzer and
//! longest-match rule as the counts), so each KWIC row is one match counted
//! in `themes_by_section.csv`. `match` is the exact source text from the
//! match's first token to its last (`start_byte..end_byte` of the decoded
//! document); `left` and `right` are the exact source text of up to
//! `window` tokens before and after, inside the same section (a match
//! never sees context from a neighbouring section). Nothing is normalised,
//! so `left + match + right` is a slice of the document.
//!
//! Rows come in document order: by start byte, then theme (codebook order).
//! They come from the counting pass (`analyze --kwic` tokenizes each text
//! once), which keeps only byte offsets of each match and its context.

use crate::analyze::Analyzer;
use crate::count::{self, KwicSpan, Vocabulary};
use crate::section::Mode;
use crate::table::Cell;
use crate::theme::Matcher;

/// Columns of `kwic.csv`.
pub const COLUMNS: &[&str] = crate::table::catalog::KWIC.columns;

/// Default context, in tokens on each side.
pub const DEFAULT_WINDOW: usize = 5;

/// Largest `--window` the flags accept (context is read by people; 1,000
/// tokens is a few pages).
pub const MAX_WINDOW: usize = 1000;

/// One match in context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KwicRow {
    pub section_id: u32,
    /// Theme index in the matcher.
    pub theme: u32,
    pub left: String,
    pub matched: String,
    pub right: String,
    pub start_byte: usize,
    pub end_byte: usize,
}

impl KwicRow {
    /// The row's cells, in [`COLUMNS`] order.
    pub fn cells<'a>(&'a self, doc_id: &'a str, keys: &'a [String]) -> [Cell<'a>; 8] {
        [
            Cell::Str(doc_id),
            Cell::Int(u64::from(self.section_id)),
            Cell::Str(&self.left),
            Cell::Str(&self.matched),
            Cell::Str(&self.right),
            Cell::Str(&keys[self.theme as usize]),
            Cell::Int(self.start_byte as u64),
            Cell::Int(self.end_byte as u64),
        ]
    }
}

/// Every theme match of one document's text, with `window` tokens of
/// context: the matches that [`count::count_with_kwic`] counts.
pub fn find(
    text: &str,
    mode: &Mode,
    analyzer: &Analyzer,
    matcher: &Matcher,
    window: usize,
) -> Vec<KwicRow> {
    if matcher.is_empty() {
        return Vec::new();
    }
    let mut vocab = Vocabulary::default();
    let counts = count::count_with_kwic(text, mode, analyzer, matcher, 1, window, &mut vocab);
    rows(text, &counts.kwic)
}

/// The cells of the row of the match place `s` in `text` (the document
/// `doc_id`), in [`COLUMNS`] order: slices of the text, nothing copied.
pub fn cells<'a>(
    text: &'a str,
    s: &KwicSpan,
    doc_id: &'a str,
    keys: &'a [String],
) -> [Cell<'a>; 8] {
    [
        Cell::Str(doc_id),
        Cell::Int(u64::from(s.section_id)),
        Cell::Str(&text[s.left..s.start]),
        Cell::Str(&text[s.start..s.end]),
        Cell::Str(&text[s.end..s.right]),
        Cell::Str(&keys[s.theme as usize]),
        Cell::Int(s.start as u64),
        Cell::Int(s.end as u64),
    ]
}

/// The rows of the match places `spans` (from [`count::count_with_kwic`]
/// on `text`), in their order.
pub fn rows(text: &str, spans: &[KwicSpan]) -> Vec<KwicRow> {
    spans
        .iter()
        .map(|s| KwicRow {
            section_id: s.section_id,
            theme: s.theme,
            left: text[s.left..s.start].to_string(),
            matched: text[s.start..s.end].to_string(),
            right: text[s.end..s.right].to_string(),
            start_byte: s.start,
            end_byte: s.end,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{AnalyzerOptions, Stopwords};
    use crate::theme::{codebook::PatternDef, Codebook, Theme};

    #[test]
    fn context_is_exact_source_text() {
        let analyzer = Analyzer::new(&AnalyzerOptions {
            language: "english".into(),
            stopwords: Stopwords::Default,
            stem: true,
            keep_possessives: false,
            keep_numbers: false,
            hyphens: crate::analyze::Hyphens::Join,
        })
        .unwrap();
        let codebook = Codebook {
            path: String::new(),
            themes: vec![Theme {
                key: "t".into(),
                label: String::new(),
                definition: String::new(),
                patterns: vec![PatternDef {
                    text: "human rights".into(),
                    line: 0,
                    column: 0,
                }],
                exclude: Vec::new(),
                line: 0,
                column: 0,
            }],
        };
        let matcher = Matcher::new(&codebook, &analyzer).unwrap();
        let text = "We defend  Human\u{a0}Rights, always and everywhere.";
        let rows = find(text, &Mode::None, &analyzer, &matcher, 2);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.matched, "Human\u{a0}Rights");
        assert_eq!(r.left, "We defend  ");
        assert_eq!(r.right, ", always and");
        assert_eq!(&text[r.start_byte..r.end_byte], r.matched);
        // A window larger than the section (here usize::MAX, which once
        // overflowed) gives the whole section as context.
        let rows = find(text, &Mode::None, &analyzer, &matcher, usize::MAX);
        assert_eq!(rows[0].left, "We defend  ");
        assert_eq!(rows[0].right, ", always and everywhere");
    }
}
