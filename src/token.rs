//! Tokens: Unicode word segmentation as ICU does it by default.
//!
//! A token is a word segment that ICU gives a word status: one that holds a
//! letter or a number, or joins two connectors such as `__` (see
//! [`is_word`]); tidytext counts exactly these. Segments follow ICU's default word-break rules (ICU 72, the root locale),
//! which is what `stringi` and therefore tidytext and quanteda use: UAX #29
//! (`unicode-segmentation`) with the two tailorings of ICU's `word.txt`
//! (from CLDR's root rules) that matter for text:
//!
//! - the colons `:` U+FE55 U+FF1A are not MidLetter, so `ci:zens` (a PDF
//!   ligature artefact), `say:be` and `Note:This` are two words each;
//! - `@` is ALetter, so `name@host.org` and `unep@50` are one word each.
//!
//! Both are changes of a character's word-break class, so [`segments`] runs
//! the crate on a copy of the text in which each such character is replaced
//! by one of the new class and the same UTF-8 length (`@` → `a`, a colon →
//! `!` or `†`), and maps the segments back to the original by offset.
//!
//! Byte offsets into the document are set here once and never changed by
//! later stages. Segmentation runs line by line: UAX #29 always breaks at a
//! line end (rules WB3a/WB3b), so the tokens are the same as for the whole
//! text.
//!
//! ASCII text takes a hand-written path that gives exactly the same word
//! segments (rules WB5–WB13b restricted to ASCII, with the tailoring, see
//! [`ascii_words`]); a line with other characters is cut into pieces at
//! spaces where UAX #29 always breaks and no rule looks across (see
//! [`pieces`]), so only the pieces with a non-ASCII character go through the
//! crate (measured: without the ASCII path, `analyze` on 200 MB takes
//! 33 % more user CPU, `benches/pair.sh`, 5 rounds, 1.30-1.34). Tests
//! compare the result with [`segments`] on whole lines: every
//! line of the UN corpus and the Austen novels, and random text; and
//! `tests/fixtures/tidytext_token_diffs.md` compares the totals with
//! tidytext's on the UN corpus.
//!
//! The tokenizer also records whether a token is joined to the previous one
//! by exactly one hyphen (U+002D, U+2010 or U+2011) — `co-operation`,
//! `pre‑eminent` — so that the analyzer can rebuild compounds.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
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

/// Whether a word segment is a token: ICU gives it a word status (letter,
/// number, kana or ideograph), as `stringi`'s `skip_word_none` keeps it.
/// That is, it holds a letter (`@` included) or a number, or joins two
/// connectors (`__`, rule WB13a). A letter is a character of general
/// category L or of Word_Break ALetter (`Ⅷ`) or Katakana; a number one of
/// Word_Break Numeric: combining marks (Hebrew points after a space), `²`,
/// `₂`, `½` and `①` are neither.
fn is_word(segment: &str) -> bool {
    if segment.is_ascii() {
        is_ascii_word(segment.as_bytes())
    } else {
        WORD.is_match(segment)
    }
}

/// The test of [`is_word`] for any text.
static WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{wb=ALetter}\p{wb=Katakana}\p{wb=Numeric}@]|\p{wb=ExtendNumLet}.*\p{wb=ExtendNumLet}")
        .expect("valid pattern")
});

/// [`is_word`] for ASCII: a letter, digit or `@`, or two `_`.
fn is_ascii_word(segment: &[u8]) -> bool {
    segment
        .iter()
        .any(|&b| b.is_ascii_alphanumeric() || b == b'@')
        || segment.iter().filter(|&&b| b == b'_').count() >= 2
}

fn is_hyphen(between: &str) -> bool {
    matches!(between, "-" | "\u{2010}" | "\u{2011}")
}

/// The stand-in for a character whose word-break class ICU changes: one of
/// the new class with the same UTF-8 length (`!` and `†` are Other).
fn icu_stand_in(c: char) -> Option<char> {
    match c {
        '@' => Some('a'),
        ':' => Some('!'),
        '\u{FE55}' | '\u{FF1A}' => Some('\u{2020}'),
        _ => None,
    }
}

/// Calls `emit(offset, segment)` for each word-break segment of `text` by
/// ICU's default rules: the crate's UAX #29 segments of `text`, where each
/// `@` or colon was first replaced by its [`icu_stand_in`].
fn segments(text: &str, mut emit: impl FnMut(usize, &str)) {
    if !text.chars().any(|c| icu_stand_in(c).is_some()) {
        for (offset, segment) in text.split_word_bound_indices() {
            emit(offset, segment);
        }
        return;
    }
    let stand_in: String = text.chars().map(|c| icu_stand_in(c).unwrap_or(c)).collect();
    for (offset, segment) in stand_in.split_word_bound_indices() {
        emit(offset, &text[offset..offset + segment.len()]);
    }
}

/// Letters, digits, `_` (ExtendNumLet) and `@` (a letter for ICU).
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'@'
}

/// ASCII ALetter for ICU: the letters and `@`.
fn is_ascii_letter(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'@'
}

/// Calls `emit(start, end)` for each word segment (ICU's rules) of an ASCII
/// line that contains a letter, digit, `_` or `@` (other segments are single
/// characters or runs of spaces, never words). In ASCII the rules say:
/// letters (with `@`), digits and `_` never break between each other (WB5,
/// WB8–WB10, WB13a–b); a single `.` `'` between two letters (WB6–7; `:`
/// is not MidLetter for ICU) and a single `,` `;` `.` `'` between two
/// digits (WB11–12) stay inside the word; everything else breaks (WB999).
/// Expects a line without `\n`.
fn ascii_words(line: &[u8], mut emit: impl FnMut(usize, usize)) {
    let n = line.len();
    let mut i = 0;
    while i < n {
        if !is_word_byte(line[i]) {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        loop {
            if i < n && is_word_byte(line[i]) {
                i += 1;
            } else if i + 1 < n {
                let (before, mid, after) = (line[i - 1], line[i], line[i + 1]);
                let letters = is_ascii_letter(before)
                    && is_ascii_letter(after)
                    && matches!(mid, b'.' | b'\'');
                let digits = before.is_ascii_digit()
                    && after.is_ascii_digit()
                    && matches!(mid, b',' | b';' | b'.' | b'\'');
                if letters || digits {
                    i += 2;
                } else {
                    break;
                }
            } else {
                break;
            }
        }
        emit(start, i);
    }
}

/// Cuts a line into pieces, each given as (start, end, is_ascii), such that
/// segmenting the pieces one by one gives the segments of the whole line.
/// A piece ends after an ASCII space followed by an ASCII byte other than a
/// space. There UAX #29 always breaks (a space joins only a following
/// space, WB3d, or a following Extend/Format/ZWJ, WB4, and those are not
/// ASCII), and no rule looks across it: the look-ahead of WB6/WB11 and the
/// look-behind of WB7/WB12 pass over a single MidLetter/MidNum character,
/// which a space is not, and regional-indicator pairs (WB15–16) are not
/// ASCII. Consecutive ASCII pieces are merged.
fn pieces(line: &[u8], mut emit: impl FnMut(usize, usize, bool)) {
    let n = line.len();
    // A piece starts after `i` (a cut).
    let cut = |i: usize| line[i] == b' ' && i + 1 < n && line[i + 1] < 0x80 && line[i + 1] != b' ';
    // The pending run of ASCII pieces starts at `start`; each non-ASCII
    // byte's piece reaches back to the last cut before it and on to the
    // next cut after it.
    let mut start = 0;
    while let Some(offset) = first_non_ascii(&line[start..]) {
        let at = start + offset;
        let from = (start..at).rev().find(|&i| cut(i)).map_or(start, |i| i + 1);
        let to = (at..n).find(|&i| cut(i)).map_or(n, |i| i + 1);
        if from > start {
            emit(start, from, true);
        }
        emit(from, to, false);
        start = to;
    }
    if start < n {
        emit(start, n, true);
    }
}

/// The position of the first byte at or above 0x80, 8 bytes at a time.
fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if u64::from_le_bytes(word) & 0x8080_8080_8080_8080 != 0 {
            return chunk.iter().position(|&b| b >= 0x80).map(|k| at + k);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b >= 0x80)
        .map(|k| at + k)
}

/// Appends the tokens of `text[range]` to `out`.
pub fn tokenize(text: &str, range: Range<usize>, out: &mut Vec<Token>) {
    let mut line_start = range.start;
    for line in text[range].split('\n') {
        let mut previous_end: Option<usize> = None;
        let mut push = |offset: usize, len: usize| {
            let start = line_start + offset;
            let end = start + len;
            let hyphen_joined = previous_end.is_some_and(|p| is_hyphen(&text[p..start]));
            out.push(Token {
                start,
                end,
                hyphen_joined,
            });
            previous_end = Some(end);
        };
        if line.is_ascii() {
            let bytes = line.as_bytes();
            ascii_words(bytes, |start, end| {
                if is_ascii_word(&bytes[start..end]) {
                    push(start, end - start);
                }
            });
        } else {
            let bytes = line.as_bytes();
            pieces(bytes, |from, to, ascii| {
                if ascii {
                    ascii_words(&bytes[from..to], |start, end| {
                        if is_ascii_word(&bytes[from + start..from + end]) {
                            push(from + start, end - start);
                        }
                    });
                } else {
                    segments(&line[from..to], |offset, segment| {
                        if is_word(segment) {
                            push(from + offset, segment.len());
                        }
                    });
                }
            });
        }
        line_start += line.len() + 1;
    }
}

/// Bytes of a section tokenized at a time by [`Pieces`], about.
pub const PIECE_BYTES: usize = 1 << 18;

/// The tokens of a range, a piece at a time, so that a long section (a
/// 200 MB line) is never held as tokens all at once. A piece ends at a cut
/// (see `is_cut`) where UAX #29 always breaks and no rule looks across,
/// so the pieces' tokens are exactly [`tokenize`]'s on the whole range; the
/// first token of a piece is hyphen-joined as it would be there. A range
/// without any cut past `max_bytes` (one huge token, or a script this does
/// not know how to cut) is one piece.
pub struct Pieces<'a> {
    text: &'a str,
    next: usize,
    end: usize,
    max_bytes: usize,
    previous_end: Option<usize>,
}

impl<'a> Pieces<'a> {
    /// Pieces of `text[range]` of about `max_bytes` (at least 1).
    pub fn new(text: &'a str, range: Range<usize>, max_bytes: usize) -> Pieces<'a> {
        Pieces {
            text,
            next: range.start,
            end: range.end,
            max_bytes: max_bytes.max(1),
            previous_end: None,
        }
    }

    /// Appends the next piece's tokens to `out`; true when it was the last.
    pub fn next_into(&mut self, out: &mut Vec<Token>) -> bool {
        let from = self.next;
        let target = from.saturating_add(self.max_bytes).max(from + 2);
        let to = (target..self.end)
            .find(|&p| is_cut(self.text, p))
            .unwrap_or(self.end);
        let first = out.len();
        tokenize(self.text, from..to, out);
        if let (Some(t), Some(p)) = (out.get_mut(first), self.previous_end) {
            t.hyphen_joined = is_hyphen(&self.text[p..t.start]);
        }
        if let Some(t) = out.last().filter(|_| out.len() > first) {
            self.previous_end = Some(t.end);
        }
        self.next = to;
        to == self.end
    }
}

/// Whether the tokens of a text cut at byte `p` are the tokens of the
/// whole. True after a line end (lines are segmented one by one); between
/// three ASCII bytes `w x y` (cut between `x` and `y`) where `x` is not a
/// word byte, not a space before a space (WB3d), and not a `:` `.` `'`
/// between letters or `,` `;` `.` `'` between digits (WB6-7, WB11-12): then
/// UAX #29 breaks there and no rule looks across `x` (as in [`pieces`]);
/// and between two CJK ideographs (U+4E00..U+9FFF, word-break class Other,
/// so no rule keeps or looks across them). Expects `2 <= p < text.len()`.
fn is_cut(text: &str, p: usize) -> bool {
    let b = text.as_bytes();
    let (w, x, y) = (b[p - 2], b[p - 1], b[p]);
    if x == b'\n' {
        return true;
    }
    if w.is_ascii() && x.is_ascii() && y.is_ascii() {
        let letters = is_ascii_letter(w) && is_ascii_letter(y) && matches!(x, b':' | b'.' | b'\'');
        let digits =
            w.is_ascii_digit() && y.is_ascii_digit() && matches!(x, b',' | b';' | b'.' | b'\'');
        let spaces = x == b' ' && y == b' ';
        return !(is_word_byte(x) || spaces || letters || digits);
    }
    let ideograph = |c: Option<char>| c.is_some_and(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    (0xe4..=0xe9).contains(&y)
        && ideograph(text[p..].chars().next())
        && ideograph(text[..p].chars().next_back())
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

    /// The word segments (with offsets) that [`segments`] (the crate with
    /// ICU's tailoring) finds in an ASCII line.
    fn icu_words(line: &str) -> Vec<(usize, usize)> {
        let mut got = Vec::new();
        segments(line, |o, s| {
            if s.bytes().any(is_word_byte) {
                got.push((o, o + s.len()));
            }
        });
        got
    }

    /// The tokens [`segments`] finds in a whole line (any text).
    fn icu_tokens(line: &str) -> Vec<(usize, usize)> {
        let mut got = Vec::new();
        segments(line, |o, s| {
            if is_word(s) {
                got.push((o, o + s.len()));
            }
        });
        got
    }

    /// The tokens `tokenize` finds in a line.
    fn our_tokens(line: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        tokenize(line, 0..line.len(), &mut out);
        out.iter().map(|t| (t.start, t.end)).collect()
    }

    fn fast_words(line: &str) -> Vec<(usize, usize)> {
        let mut got = Vec::new();
        ascii_words(line.as_bytes(), |s, e| got.push((s, e)));
        got
    }

    #[test]
    fn ascii_path_cases() {
        // Expected segments from UAX #29 (WB6-7, WB11-12, WB13a-b) with
        // ICU's tailoring, checked against `segments` below.
        for (line, want) in [
            (
                "U.S. 3.14 1,000 don't a:b 1;2 a__b __",
                vec![
                    "U.S", "3.14", "1,000", "don't", "a", "b", "1;2", "a__b", "__",
                ],
            ),
            (
                "a@b.org unep@50 @ @@ a.@ @.a _@_ @'s a:@ 1@2",
                vec![
                    "a@b.org", "unep@50", "@", "@@", "a.@", "@.a", "_@_", "@'s", "a", "@", "1@2",
                ],
            ),
            (
                "a..b 1,,2 a.1 1.a x1.5 5a.b a'1 1'2 'a' a. .a",
                vec![
                    "a", "b", "1", "2", "a", "1", "1", "a", "x1.5", "5a.b", "a", "1", "1'2", "a",
                    "a", "a",
                ],
            ),
            ("e-mail\rx\x0by\tz", vec!["e", "mail", "x", "y", "z"]),
        ] {
            let got: Vec<&str> = fast_words(line).iter().map(|&(s, e)| &line[s..e]).collect();
            assert_eq!(got, want, "{line:?}");
            assert_eq!(fast_words(line), icu_words(line), "{line:?}");
        }
    }

    /// Every line of the shared corpora (UN speeches, Austen novels): the
    /// tokens are exactly the word segments [`segments`] finds in the whole
    /// line (and the ASCII path alone gives them on ASCII lines).
    #[test]
    fn ascii_path_equals_icu_segments_on_real_lines() {
        // The shared corpora sit beside the checkout (or a worktree's parent).
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|dir| dir.join("shared/corpora"))
            .find(|dir| dir.is_dir())
            .expect("shared/corpora beside the checkout or a parent");
        let mut stack = vec![root];
        let (mut lines, mut ascii, mut files) = (0usize, 0usize, 0usize);
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                files += 1;
                for line in text.split('\n') {
                    if line.is_ascii() {
                        assert_eq!(
                            fast_words(line),
                            icu_words(line),
                            "{}: {line:?}",
                            path.display()
                        );
                        ascii += 1;
                    }
                    assert_eq!(
                        our_tokens(line),
                        icu_tokens(line),
                        "{}: {line:?}",
                        path.display()
                    );
                    lines += 1;
                }
            }
        }
        eprintln!("{lines} lines ({ascii} ASCII) of {files} files compared");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// Random ASCII lines rich in the characters the rules treat
        /// specially: the fast path gives exactly the segments of the crate
        /// with ICU's tailoring.
        #[test]
        fn ascii_path_equals_icu_segments_on_random_lines(line in "[aZ09_.:@',; \"\\-#!\r\t\x0b\x0c\x00\x7f]{0,24}") {
            proptest::prop_assert_eq!(fast_words(&line), icu_words(&line));
        }

        /// Random lines mixing ASCII with characters of every word-break
        /// class that matters next to a space: MidNumLet ’ ‘, quotes “ ”,
        /// dashes, letters é, NBSP, the ideographic space (WSegSpace),
        /// Extend U+0301, Format U+00AD, ZWJ, regional indicators, emoji,
        /// Katakana, Han, Hebrew letters with ״ and ", ExtendNumLet ‿, and
        /// the characters ICU reclassifies: `@` and the colons : ﹕ ：.
        #[test]
        fn lines_equal_icu_segments_on_mixed_text(line in "[a1 .,:@'\"\\-_’‘“”–é\u{a0}\u{3000}\u{301}\u{ad}\u{200d}🇺🇸👍カ日אב״‿﹕：\r\t]{0,30}") {
            proptest::prop_assert_eq!(our_tokens(&line), icu_tokens(&line));
        }

        /// The ASCII test of a word agrees with the general one.
        #[test]
        fn ascii_word_test_equals_general(segment in "[a9_@.:' \u{7f}]{0,5}") {
            proptest::prop_assert_eq!(is_ascii_word(segment.as_bytes()), WORD.is_match(&segment));
        }

        /// Tokens taken a piece of a few bytes at a time are the tokens
        /// of the whole (offsets and hyphen joins), on text rich in the
        /// characters a cut looks at: spaces, hyphens, the mid-word
        /// punctuation of WB6-7 and WB11-12 between letters and digits, line
        /// ends, ideographs, Katakana, accents and combining marks.
        #[test]
        fn pieces_tokenize_like_the_whole(
            text in "[a1 .,:;'\"\\-_@\n\r\u{2010}é\u{301}\u{a0}\u{ff1a}日本カ]{0,60}",
            max in 1usize..12,
        ) {
            let mut whole = Vec::new();
            tokenize(&text, 0..text.len(), &mut whole);
            let mut pieces = Pieces::new(&text, 0..text.len(), max);
            let mut got = Vec::new();
            while !pieces.next_into(&mut got) {}
            proptest::prop_assert_eq!(got, whole);
        }

        #[test]
        fn ascii_path_equals_icu_segments_on_any_ascii(line in "[\x00-\x09\x0b-\x7f]{0,40}") {
            proptest::prop_assert_eq!(fast_words(&line), icu_words(&line));
        }
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

    /// Expected segments from ICU 72.1 itself: `stringi::stri_split_boundaries(
    /// x, type = "word", skip_word_none = TRUE)` (R 4.2.2, stringi 1.7.12,
    /// Debian bookworm).
    #[test]
    fn icu_tailoring_of_colon_and_at() {
        let text =
            "a\u{FE13}b a\u{FE55}b a\u{FF1A}b a\u{B7}b a\u{FF20}b a@b a:\u{301}b a.@ @.a 1@2 \
                    _@_ a@\u{301}b @ @@ e:g:h 1:2 a@.b a.@b @'s ci:zens verbatimrecords@un.org";
        let got: Vec<&str> = words(text).into_iter().map(|(w, _)| w).collect();
        assert_eq!(
            got,
            [
                "a\u{FE13}b",
                "a",
                "b",
                "a",
                "b",
                "a\u{B7}b",
                "a",
                "b",
                "a@b",
                "a",
                "b",
                "a.@",
                "@.a",
                "1@2",
                "_@_",
                "a@\u{301}b",
                "@",
                "@@",
                "e",
                "g",
                "h",
                "1",
                "2",
                "a@.b",
                "a.@b",
                "@'s",
                "ci",
                "zens",
                "verbatimrecords@un.org"
            ]
        );
    }

    /// Which segments are words, from ICU 72.1 as in
    /// `icu_tailoring_of_colon_and_at`: `__` and two U+202F (ExtendNumLet)
    /// are, a lone `_` is not; combining marks, `²` `₂` `½` `①` are not,
    /// `Ⅷ` (ALetter) and Arabic-Indic digits are.
    #[test]
    fn word_status_as_icu() {
        for (text, want) in [
            ("a _ b\n_\n__ _\u{301} ._ _@", vec!["a", "b", "__", "_@"]),
            (
                "x\n\u{202F}\n\u{202F}\u{202F}",
                vec!["x", "\u{202F}\u{202F}"],
            ),
            (" \u{5B4}\u{5A3} \n\u{5B4}x", vec!["x"]),
            (
                "CO\u{2082} km\u{B2} \u{BD} \u{2460} \u{2167} \u{661}\u{662}",
                vec!["CO", "km", "\u{2167}", "\u{661}\u{662}"],
            ),
        ] {
            let got: Vec<&str> = words(text).into_iter().map(|(w, _)| w).collect();
            assert_eq!(got, want, "{text:?}");
        }
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

    /// A long line is cut where UAX #29 surely breaks: after a hyphen
    /// (the next piece's first token still joined), between letters around
    /// a comma (WB11 joins digits only), between ideographs; never inside
    /// "1,000" or "U.S." (hand-read against WB6-7, WB11-12).
    #[test]
    fn long_lines_are_cut_between_tokens() {
        let pieces_of = |text: &str| {
            let mut p = Pieces::new(text, 0..text.len(), 1);
            let mut out = Vec::new();
            let mut cuts = 0;
            while !p.next_into(&mut out) {
                cuts += 1;
            }
            (cuts, out)
        };
        let (cuts, tokens) = pieces_of("co-operation");
        assert_eq!(cuts, 1);
        assert!(tokens[1].hyphen_joined);
        assert_eq!(pieces_of("a,b,c").0, 2);
        assert_eq!(pieces_of("日本語").0, 2);
        assert_eq!(pieces_of("1,000").0, 0);
        assert_eq!(pieces_of("U.S. a").0, 1, "after \"U.S.\", not inside");
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
