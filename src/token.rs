//! Tokens: Unicode word segmentation (UAX #29, `unicode-segmentation`).
//!
//! A token is a word segment that contains at least one letter or digit.
//! Byte offsets into the document are set here once and never changed by
//! later stages. Segmentation runs line by line: UAX #29 always breaks at a
//! line end (rules WB3a/WB3b), so the tokens are the same as for the whole
//! text, and the crate's ASCII fast path applies to each line.
//!
//! The tokenizer also records whether a token is joined to the previous one
//! by exactly one hyphen (U+002D, U+2010 or U+2011) — `co-operation`,
//! `pre‑eminent` — so that the analyzer can rebuild compounds.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// A token: a byte range of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    /// Joined to the previous token by a single hyphen, no space.
    pub hyphen_joined: bool,
}

impl Token {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

fn is_word(segment: &str) -> bool {
    if segment.is_ascii() {
        segment.bytes().any(|b| b.is_ascii_alphanumeric())
    } else {
        segment.chars().any(char::is_alphanumeric)
    }
}

fn is_hyphen(between: &str) -> bool {
    matches!(between, "-" | "\u{2010}" | "\u{2011}")
}

/// Appends the tokens of `text[range]` to `out`.
pub fn tokenize(text: &str, range: Range<usize>, out: &mut Vec<Token>) {
    let mut line_start = range.start;
    for line in text[range].split('\n') {
        let mut previous_end: Option<usize> = None;
        for (offset, segment) in line.split_word_bound_indices() {
            if !is_word(segment) {
                continue;
            }
            let start = line_start + offset;
            let end = start + segment.len();
            let hyphen_joined = previous_end.is_some_and(|p| is_hyphen(&text[p..start]));
            out.push(Token {
                start,
                end,
                hyphen_joined,
            });
            previous_end = Some(end);
        }
        line_start += line.len() + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(&str, bool)> {
        let mut out = Vec::new();
        tokenize(text, 0..text.len(), &mut out);
        out.iter()
            .map(|t| (&text[t.range()], t.hyphen_joined))
            .collect()
    }

    #[test]
    fn uax29_words_with_offsets() {
        // Hand-read against UAX #29: apostrophes (U+0027, U+2019) between
        // letters stay inside a word; a trailing one does not; "3.14" is one
        // number; hyphens and U+2011 split.
        assert_eq!(
            words("one’s others’ don't 3.14, co-operation pre\u{2011}eminent"),
            [
                ("one’s", false),
                ("others", false),
                ("don't", false),
                ("3.14", false),
                ("co", false),
                ("operation", true),
                ("pre", false),
                ("eminent", true)
            ]
        );
    }

    #[test]
    fn hyphen_join_needs_exactly_one_hyphen_and_no_space() {
        assert_eq!(
            words("a - b a--b a–b x-y-z"),
            [
                ("a", false),
                ("b", false),
                ("a", false),
                ("b", false),
                ("a", false),
                ("b", false),
                ("x", false),
                ("y", true),
                ("z", true)
            ]
        );
    }

    #[test]
    fn offsets_slice_the_original_across_lines() {
        let text = "Ab cd\r\nÉf\n\ngh";
        let mut out = Vec::new();
        tokenize(text, 0..text.len(), &mut out);
        let got: Vec<&str> = out.iter().map(|t| &text[t.range()]).collect();
        assert_eq!(got, ["Ab", "cd", "Éf", "gh"]);
    }
}
