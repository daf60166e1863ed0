//! Sections: splits a document's text into numbered, labelled byte ranges.
//!
//! Mode `auto` (the default):
//! * blocks separated by blank lines are paragraphs; a document with no blank
//!   line at all has one paragraph per line (the UN corpus layout);
//! * a line that starts with a list marker (– — - • * · `1.` `a)` `(i)`)
//!   starts a `list_item`;
//! * the first block is the `title` when it is one line that looks like one
//!   ([`is_title`]): short, with a letter, without end punctuation, not a
//!   salutation or invocation (`Mr President`, `Excellencies,`, `In the name
//!   of God`), and not cut mid-sentence (no sentence break or `, I`/`, we`
//!   clause inside, no function word like `the` at its end, no next block
//!   starting in lowercase). Markdown emphasis (`**Title**`) is not part of
//!   it. Speeches open with a salutation far more often than with a title,
//!   and a salutation is a paragraph, not a heading;
//! * a one-line block that is only a date is `date`; the last block is the
//!   `signature` when it is one short line without end punctuation that
//!   follows the body.
//!
//! A section's `label` is its first [`LABEL_WORDS`] words, at most
//! [`LABEL_CHARS`] characters (so a Chinese or Thai paragraph without spaces
//! gets a short label too), without a list marker or Markdown emphasis.
//!
//! Other modes: `paragraphs` (blank-line blocks only), `lines`, `none` (one
//! section for the whole document) and `heading` (a section starts at every
//! line that matches a user regex; text before the first heading is a
//! `preamble`). Sections never overlap and never contain blank text. Line
//! ends may be LF or CRLF; ranges exclude the line end.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

/// How to split a document.
#[derive(Debug, Clone)]
pub enum Mode {
    Auto,
    Paragraphs,
    Lines,
    None,
    Heading(Regex),
}

/// A section of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// 1-based, in document order.
    pub id: u32,
    pub kind: &'static str,
    /// The first words of the section (without a list marker).
    pub label: String,
    /// Byte range of the section's text in the document (list marker included).
    pub range: Range<usize>,
}

/// Longest line (in characters) that may be a title or a signature.
const SHORT_LINE: usize = 160;
/// Words in a label.
pub const LABEL_WORDS: usize = 4;
/// Characters in a label at most.
pub const LABEL_CHARS: usize = 60;

/// A non-blank line: its byte range without the line end.
#[derive(Debug, Clone)]
struct Line {
    range: Range<usize>,
    /// Preceded by a blank line (or the start of the text).
    after_blank: bool,
}

fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut after_blank = true;
    for piece in text.split_inclusive('\n') {
        let end = start + piece.len();
        let content = piece.trim_end_matches(['\n', '\r']);
        if content.trim().is_empty() {
            after_blank = true;
        } else {
            out.push(Line {
                range: start..start + content.len(),
                after_blank,
            });
            after_blank = false;
        }
        start = end;
    }
    out
}

fn list_marker() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^\s*(?:[–—\-•*·▪‣◦]|\d{1,3}[.)]|[a-z][.)]|\((?:[ivxlcdm]+|[a-z]|\d{1,3})\))\s+",
        )
        .expect("static regex")
    })
}

fn date_line() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let month = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";
        let pattern = format!(
            r"(?i)^\s*(?:{d} {m},? \d{{4}}|{m} {d},? \d{{4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}})\s*$",
            d = r"\d{1,2}(?:st|nd|rd|th)?",
            m = month
        );
        Regex::new(&pattern).expect("static regex")
    })
}

fn is_list_line(line: &str) -> bool {
    list_marker().is_match(line)
}

fn ends_with_punctuation(line: &str) -> bool {
    line.trim_end()
        .ends_with(['.', ',', ';', ':', '!', '?', '…', '"', '”', '»', ')'])
}

/// Words a title does not end with: a line that ends with one was cut
/// mid-sentence (common in OCR'd or hard-wrapped text).
const CONTINUATION_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "of", "on", "or",
    "that", "the", "to", "was", "which", "with",
];

/// Openings of a salutation or invocation, which start a speech but are
/// not its title: `Mr President`, `Mr. Secretary-General`, `Madam
/// President`, `Excellencies`, `Your Excellency …`, `Distinguished
/// delegates`, `Ladies and gentlemen`, `In the name of God …`, `Bismillah …`.
fn salutation() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)^(?:(?:mr|mrs|ms|mister|madam|madame|mdm|sir)\b|excellenc|(?:your|his|her)\s+(?:excellenc|majest|highness|royal)|hon(?:ou?rable\b|['’]ble\b|\.)|distinguished\b|dear\b|ladies\b|secretary-general\b|bismill|in\s+the\s+(?:holy\s+)?name\s+of\b)",
        )
        .expect("static regex")
    })
}

/// A sentence break inside a line: end punctuation after a word of four or
/// more letters (not `Mr.` or `No.`), then a capital.
fn sentence_break() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\p{L}{4}[.!?]\s+\p{Lu}|,\s*(?:I|[Ww]e)\s").expect("static regex")
    })
}

/// Whether the first block of a document (one line, emphasis removed by
/// [`plain`]) looks like a title, as described in the module header.
fn is_title(line: &str, next: Option<char>) -> bool {
    let last_word = line.split_whitespace().last().unwrap_or("").to_lowercase();
    is_short(line)
        && line.chars().any(char::is_alphabetic)
        && !ends_with_punctuation(line)
        && !salutation().is_match(line)
        && !sentence_break().is_match(line)
        && !CONTINUATION_WORDS.contains(&last_word.as_str())
        && !next.is_some_and(char::is_lowercase)
}

/// A block's words without Markdown emphasis, joined by single spaces: a
/// `*` or `_` goes unless it stands between two letters or digits
/// (`**Mr President,**` → `Mr President,`, `_that_.` → `that.`, while
/// `snake_case` and `2*3` stay).
pub fn plain(block: &str) -> String {
    if !block.contains(['*', '_']) {
        return block.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let chars: Vec<char> = block.chars().collect();
    let inside_word = |i: usize| {
        i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())
    };
    let kept: String = chars
        .iter()
        .enumerate()
        .filter(|&(i, c)| !matches!(c, '*' | '_') || inside_word(i))
        .map(|(_, c)| c)
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first non-space character after a block.
fn next_block_start(text: &str, block: &Range<usize>) -> Option<char> {
    text[block.end..].chars().find(|c| !c.is_whitespace())
}

fn is_short(line: &str) -> bool {
    line.chars().count() <= SHORT_LINE
}

/// Splits `text` into sections.
pub fn split(text: &str, mode: &Mode) -> Vec<Section> {
    let lines = lines(text);
    let blocks: Vec<(Range<usize>, &'static str)> = match mode {
        Mode::None => match (lines.first(), lines.last()) {
            (Some(first), Some(last)) => vec![(first.range.start..last.range.end, "document")],
            _ => Vec::new(),
        },
        Mode::Lines => lines.iter().map(|l| (l.range.clone(), "line")).collect(),
        Mode::Paragraphs => group(&lines, |l| l.after_blank)
            .into_iter()
            .map(|r| (r, "paragraph"))
            .collect(),
        Mode::Heading(re) => heading_blocks(text, &lines, re),
        Mode::Auto => auto_blocks(text, &lines),
    };
    blocks
        .into_iter()
        .enumerate()
        .map(|(i, (range, kind))| Section {
            id: i as u32 + 1,
            kind,
            label: label(&text[range.clone()]),
            range,
        })
        .collect()
}

/// Groups consecutive lines into blocks; `starts` says whether a line opens
/// a new block.
fn group(lines: &[Line], starts: impl Fn(&Line) -> bool) -> Vec<Range<usize>> {
    let mut blocks: Vec<Range<usize>> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match blocks.last_mut() {
            Some(block) if i > 0 && !starts(line) => block.end = line.range.end,
            _ => blocks.push(line.range.clone()),
        }
    }
    blocks
}

fn heading_blocks(text: &str, lines: &[Line], re: &Regex) -> Vec<(Range<usize>, &'static str)> {
    let is_heading = |l: &Line| re.is_match(&text[l.range.clone()]);
    let ranges = group(lines, is_heading);
    let first_is_heading = lines.first().is_some_and(is_heading);
    ranges
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let kind = if i == 0 && !first_is_heading {
                "preamble"
            } else {
                "heading"
            };
            (r, kind)
        })
        .collect()
}

fn auto_blocks(text: &str, lines: &[Line]) -> Vec<(Range<usize>, &'static str)> {
    let has_blank = lines.iter().skip(1).any(|l| l.after_blank);
    let line_text = |l: &Line| &text[l.range.clone()];
    let ranges = group(lines, |l| {
        !has_blank || l.after_blank || is_list_line(line_text(l))
    });
    let n = ranges.len();
    ranges
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let block = &text[r.clone()];
            let one_line = !block.contains('\n');
            let kind = if is_list_line(block) {
                "list_item"
            } else if one_line && date_line().is_match(block) {
                "date"
            } else if i == 0
                && n > 1
                && one_line
                && is_short(block)
                && is_title(&plain(block), next_block_start(text, &r))
            {
                "title"
            } else if i + 1 == n
                && i >= 2
                && one_line
                && is_short(block)
                && !ends_with_punctuation(block)
            {
                "signature"
            } else {
                "paragraph"
            };
            (r, kind)
        })
        .collect()
}

/// The first few words of a section (at most [`LABEL_WORDS`] words and
/// [`LABEL_CHARS`] characters), without a list marker, Markdown emphasis or
/// trailing punctuation.
pub fn label(block: &str) -> String {
    let body = match list_marker().find(block) {
        Some(m) => &block[m.end()..],
        None => block,
    };
    // Only the first characters of the first words are copied, however
    // long the block (a 200 MB paragraph without spaces is one word).
    let first = || {
        body.split_whitespace()
            .map(|w| first_chars(w, LABEL_CHARS + 1))
    };
    let mut joined = String::new();
    if first().take(LABEL_WORDS).any(|w| w.contains(['*', '_'])) {
        // Emphasis may remove whole words, so later words may move up.
        let words: Vec<&str> = first().take(LABEL_WORDS * 2).collect();
        let words = plain(&words.join(" "));
        let words: Vec<&str> = words.split(' ').take(LABEL_WORDS).collect();
        joined = words.join(" ");
    } else {
        // Without emphasis the first words are the label's words.
        for w in first().take(LABEL_WORDS) {
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(w);
        }
    }
    // Without the characters at the end that are not letters, digits or
    // marks (a Thai or Devanagari vowel sign is a mark and stays).
    let keep = |c: char| c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c);
    let len = first_chars(&joined, LABEL_CHARS)
        .trim_end_matches(|c: char| !keep(c))
        .len();
    joined.truncate(len);
    joined
}

/// The first `n` characters of `s` (all of it when shorter).
fn first_chars(s: &str, n: usize) -> &str {
    if s.len() <= n {
        // No more characters than bytes.
        return s;
    }
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        split(text, &Mode::Auto).iter().map(|s| s.kind).collect()
    }

    #[test]
    fn auto_detects_title_date_list_and_signature() {
        let text = "A Title Here\n\n2 December 2022\n\nFirst paragraph, with text:\n\n– item one,\n\n– item two.\n\nClosing words.\n\nThe Ministry";
        assert_eq!(
            kinds(text),
            [
                "title",
                "date",
                "paragraph",
                "list_item",
                "list_item",
                "paragraph",
                "signature"
            ]
        );
        let labels: Vec<String> = split(text, &Mode::Auto)
            .into_iter()
            .map(|s| s.label)
            .collect();
        assert_eq!(labels[3], "item one");
        assert_eq!(labels[0], "A Title Here");
    }

    #[test]
    fn a_line_cut_mid_sentence_is_not_a_title() {
        assert_eq!(kinds("Seventy years ago, the United Nations was founded as a collective\nresponse to war.\nMore."), ["paragraph"; 3]);
        assert_eq!(
            kinds("It is a great privilege for me to stand before the\n\nAssembly today.\n\nMore."),
            ["paragraph"; 3]
        );
        assert_eq!(
            kinds("A Short Title\nWe meet.\nThanks."),
            ["title", "paragraph", "paragraph"]
        );
    }

    /// Issue #14: salutations, bare numbers and sentences were titles.
    #[test]
    fn only_a_line_that_looks_like_a_title_is_one() {
        for first in [
            "Mr President",
            "Mr. President",
            "**Mr President,**",
            "__MR PRESIDENT__",
            "Madam President",
            "Mr. Secretary-General",
            "Excellencies",
            "Excellencies,",
            "Your Excellency Abdulla Shahid",
            "In the Name of God, the Compassionate, the Merciful",
            "Bismillahirrahmanirrahim",
            "Hon’ble Prime Minister",
            "1",
            "2.1 -- 3",
            "We are at a time fraught with challenges. The coronavirus disease",
            "At the outset, I have the pleasure of congratulating",
        ] {
            assert_eq!(
                kinds(&format!("{first}\n\nWe meet.\n\nThanks.")),
                ["paragraph"; 3],
                "{first}"
            );
        }
        for title in [
            "Joint Statement by the Republic of Belarus and the Russian Federation on Security Crisis and Co-operation in the OSCE",
            "**Address by Mr. Sooronbai Zheenbekov, President of the Kyrgyz Republic**",
            "UNGA79 Plenary Speech September 2024",
            "Honduras at the General Assembly",
        ] {
            let text = format!("{title}\n\nWe meet.\n\nThanks.");
            assert_eq!(kinds(&text)[0], "title", "{title}");
        }
        assert_eq!(plain("**Address by  Mr. X**"), "Address by Mr. X");
        assert_eq!(plain("I hope not _that_.--It"), "I hope not that.--It");
        assert_eq!(plain("snake_case 2*3 __init__ * *"), "snake_case 2*3 init");
    }

    /// The label as defined: the first 8 words (61 characters each at
    /// most), emphasis removed, then 4 words and 60 characters, trailing
    /// punctuation removed; what [`label`] computes without `plain` when
    /// the first 4 words hold no `*` or `_`.
    fn label_by_definition(block: &str) -> String {
        let body = match list_marker().find(block) {
            Some(m) => &block[m.end()..],
            None => block,
        };
        let first: Vec<String> = body
            .split_whitespace()
            .take(LABEL_WORDS * 2)
            .map(|w| w.chars().take(LABEL_CHARS + 1).collect())
            .collect();
        let words = plain(&first.join(" "));
        let words: Vec<&str> = words.split(' ').take(LABEL_WORDS).collect();
        let joined: String = words.join(" ").chars().take(LABEL_CHARS).collect();
        let keep =
            |c: char| c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c);
        joined.trim_end_matches(|c: char| !keep(c)).to_string()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5_000))]

        /// [`label`] (a shortcut when the first words hold no emphasis)
        /// equals the definition, on blocks of short and long words with
        /// emphasis marks, list markers, punctuation and marks.
        #[test]
        fn label_equals_its_definition(
            words in proptest::collection::vec("[a*_é,.\u{0E31}]{0,4}|a{55,70}|– |1\\.", 0..12),
            gaps in proptest::collection::vec("[ \n\t]{1,2}", 12),
        ) {
            let mut block = String::new();
            for (w, g) in words.iter().zip(&gaps) {
                block.push_str(w);
                block.push_str(g);
            }
            proptest::prop_assert_eq!(label(&block), label_by_definition(&block));
        }
    }

    #[test]
    fn labels_are_short_in_any_script() {
        // 4 words at most, emphasis and trailing punctuation removed.
        assert_eq!(
            label("**Mr President,** we meet here today."),
            "Mr President, we meet"
        );
        assert_eq!(label("– _item_ one"), "item one");
        // No spaces: the first 60 characters (counted by hand: 60 × 和).
        let cjk = "和".repeat(500);
        assert_eq!(label(&cjk), "和".repeat(60));
        let thai = "สวัสดีครับ".repeat(40);
        assert_eq!(label(&thai).chars().count(), 60);
        // Four long words: cut at 60 characters, on a character boundary.
        let long = format!("{} {} é", "a".repeat(40), "b".repeat(40));
        assert_eq!(
            label(&long),
            format!("{} {}", "a".repeat(40), "b".repeat(19))
        );
    }

    #[test]
    fn no_blank_lines_means_one_paragraph_per_line() {
        assert_eq!(
            kinds("Mr. President,\nWe meet today.\nI thank you."),
            ["paragraph", "paragraph", "paragraph"]
        );
    }

    #[test]
    fn list_items_without_blank_lines_split_inside_a_block() {
        let text = "Intro text:\n1. one\ncontinued\n2. two\n\nEnd.";
        let s = split(text, &Mode::Auto);
        assert_eq!(
            s.iter().map(|s| s.kind).collect::<Vec<_>>(),
            ["paragraph", "list_item", "list_item", "paragraph"]
        );
        assert_eq!(&text[s[1].range.clone()], "1. one\ncontinued");
    }

    #[test]
    fn crlf_is_excluded_from_ranges() {
        let text = "One line.\r\n\r\nTwo line.\r\n";
        let s = split(text, &Mode::Paragraphs);
        assert_eq!(&text[s[0].range.clone()], "One line.");
        assert_eq!(&text[s[1].range.clone()], "Two line.");
    }

    #[test]
    fn other_modes() {
        let text = "CHAPTER I\nA b.\nC d.\nCHAPTER II\nE f.";
        assert_eq!(split(text, &Mode::None).len(), 1);
        assert_eq!(split(text, &Mode::Lines).len(), 5);
        assert_eq!(split(text, &Mode::Paragraphs).len(), 1);
        let h = split(text, &Mode::Heading(Regex::new("^CHAPTER").unwrap()));
        assert_eq!(h.len(), 2);
        assert_eq!(h[1].label, "CHAPTER II E f");
        assert!(split("", &Mode::Auto).is_empty());
        assert!(split(" \n\n ", &Mode::None).is_empty());
    }

    #[test]
    fn dates() {
        for d in [
            "2 December 2022",
            "December 2, 2022",
            "2022-12-02",
            "02.12.2022",
            "1st Jan. 2020",
        ] {
            assert!(date_line().is_match(d), "{d}");
        }
        assert!(!date_line().is_match("On 2 December 2022 we met"));
    }
}
