//! LIWC dictionaries (`.dic`): a category list between two `%` lines, then
//! one entry per line.
//!
//! ```text
//! (fields separated by tabs)
//! %
//! 1    funct
//! 125    affect
//! 126    posemo
//! %
//! a    1    10
//! abandon*    125    127    130
//! like    (02 134)125/464    (02 134)126    253    466
//! kind of    1    131
//! ```
//!
//! * Category lines are `id name`; the name may carry a label, either in
//!   parentheses (`126 posemo (Positive Emotion)`) or as the whole name
//!   (`126 Positive Emotion` → key `positive_emotion`). In LIWC2015-style
//!   files, tabs before the id nest a category under the one above it
//!   (`affect.posemo`), as quanteda reads them.
//! * Entry lines are `word id id …`. Fields are separated by tabs; a file
//!   with no tab on a line (LIWC-22 exports, hand edits) is split on spaces,
//!   and the trailing ids are the categories, so `kind of 1 131` is the
//!   phrase `kind of`. A space inside the word makes a phrase.
//! * LIWC2007 conditional items — `(02 134)125/464` ("125 if the previous word
//!   is in 02 or 134, otherwise 464") and `<of>131/125` — depend on the
//!   neighbouring word, which a theme pattern cannot express. themata skips
//!   them with a warning and keeps the entry's plain ids (`like` above counts
//!   for 253 and 466 only). quanteda instead strips the parenthesis and
//!   counts both alternatives (`like` in 125, 464, 126, 253 and 466); it
//!   drops entries with `<of>` entirely.
//! * An id that no category defines is an error at its line and column
//!   (quanteda ignores it with a note).
//! * BOM, CRLF and blank lines are accepted; a file that is not UTF-8 is
//!   read as Windows-1252 with a warning.

use rustc_hash::FxHashMap;

use super::{column, lines, Builder};
use crate::error::Result;

pub(super) fn parse(text: &str, b: &mut Builder) -> Result<()> {
    let file = b.file_name();
    let mut all = lines(text).filter(|(_, l)| !l.trim().is_empty());
    // The opening `%`.
    match all.next() {
        Some((_, l)) if l.trim() == "%" => {}
        Some((n, l)) => {
            let at = column(l, l.len() - l.trim_start().len());
            return Err(b.error(
                n,
                at,
                "a LIWC dictionary starts with a line `%` before the category list",
            ));
        }
        None => return Err(b.error(1, 1, "empty LIWC dictionary")),
    }
    // The category list, up to the closing `%`.
    let mut ids: FxHashMap<String, usize> = FxHashMap::default();
    // Index of the last category at each depth, for nesting.
    let mut open: Vec<usize> = Vec::new();
    let mut closed = false;
    let mut last_line = 1;
    let problems_before = b.problems.len();
    for (n, raw) in all.by_ref() {
        last_line = n;
        let line = raw.trim();
        if line == "%" {
            closed = true;
            break;
        }
        let depth = raw.len() - raw.trim_start_matches('\t').len();
        let start = raw.len() - raw.trim_start().len();
        let at = column(raw, start);
        let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (id, rest) = line.split_at(digits);
        if id.is_empty() || !rest.starts_with(char::is_whitespace) {
            b.problem(
                n,
                at,
                format!("expected `id<TAB>name` in the category list, found `{line}`"),
            );
            continue;
        }
        let rest = rest.trim();
        let (name, label) = match rest.split_once('(') {
            Some((name, label)) if !name.trim().is_empty() => {
                (name.trim(), label.trim().trim_end_matches(')').trim())
            }
            _ => (rest, rest),
        };
        let id = id.trim_start_matches('0');
        if let Some(&first) = ids.get(id) {
            let first = b.themes[first].line;
            b.problem(
                n,
                at,
                format!("category id {id} is defined twice (first on line {first})"),
            );
            continue;
        }
        if depth > open.len() {
            b.problem(
                n,
                1,
                format!("category `{name}` is indented deeper than the category above it"),
            );
            continue;
        }
        open.truncate(depth);
        // `rest` is a slice of `raw`: its offset is the distance between them.
        let name_at = column(raw, rest.as_ptr() as usize - raw.as_ptr() as usize);
        let definition = format!("LIWC category {id} in {file}.");
        let theme = b.category(open.last().copied(), name, label, definition, n, name_at)?;
        ids.insert(id.to_string(), theme);
        open.push(theme);
    }
    if !closed {
        // Without the closing `%`, the entries were read as category lines:
        // only the first of those problems says something.
        b.problems.truncate(problems_before + 1);
        return Err(b.error(
            last_line,
            1,
            "the category list is not closed by a second `%` line",
        ));
    }
    // The entries.
    for (n, raw) in all {
        entry(raw, n, &ids, b);
    }
    Ok(())
}

/// One item after the word: a plain id or a conditional item, with its
/// byte offset in the line.
enum Item<'a> {
    Id(&'a str),
    Conditional(&'a str),
}

/// Reads one entry line; its problems are recorded in `b`.
fn entry(raw: &str, n: usize, ids: &FxHashMap<String, usize>, b: &mut Builder) {
    let start = raw.len() - raw.trim_start().len();
    let line = raw.trim_end();
    // The word ends at the first tab, or else before the first item.
    let word_end = match line[start..].find('\t') {
        Some(i) => start + i,
        None => first_item(line, start),
    };
    let word = line[start..word_end].trim();
    if word.is_empty() {
        return b.problem(
            n,
            column(raw, start),
            "entry has no word before its category ids",
        );
    }
    let mut items = Vec::new();
    let mut i = word_end;
    while i < line.len() {
        let rest = &line[i..];
        let skip = rest.len() - rest.trim_start().len();
        i += skip;
        if i >= line.len() {
            break;
        }
        let rest = &line[i..];
        let len = if rest.starts_with('(') {
            // `(02 134)125/464`: to the closing parenthesis, then to white space.
            let close = rest.find(')').map_or(rest.len(), |c| c + 1);
            close
                + rest[close..]
                    .find(char::is_whitespace)
                    .unwrap_or(rest.len() - close)
        } else {
            rest.find(char::is_whitespace).unwrap_or(rest.len())
        };
        let item = &rest[..len];
        if item.starts_with(['(', '<']) {
            items.push((i, Item::Conditional(item)));
        } else {
            items.push((i, Item::Id(item)));
        }
        i += len;
    }
    if items.is_empty() {
        return b.problem(
            n,
            column(raw, start),
            format!("entry `{word}` has no category ids"),
        );
    }
    let mut themes = Vec::new();
    for (at, item) in items {
        match item {
            Item::Conditional(c) => b.warn(
                n,
                column(raw, at),
                format!("`{word}`: conditional category `{c}` skipped (it depends on the neighbouring word)"),
            ),
            Item::Id(id) if !id.chars().all(|c| c.is_ascii_digit()) => b.problem(
                n,
                column(raw, at),
                format!("`{word}`: category id `{id}` is not a number"),
            ),
            Item::Id(id) => match ids.get(id.trim_start_matches('0')) {
                Some(&t) => themes.push(t),
                None => b.problem(
                    n,
                    column(raw, at),
                    format!("`{word}`: category id {id} is not in the category list"),
                ),
            },
        }
    }
    for t in themes {
        b.pattern(t, word, n, column(raw, start));
    }
}

/// Where the ids start on a line without tabs: at the first white-space
/// separated token that is a number or a conditional item.
fn first_item(line: &str, start: usize) -> usize {
    let mut i = start;
    for token in line[start..].split_whitespace() {
        let at = line[i..].find(token).map_or(i, |p| i + p);
        if at > start
            && (token.chars().all(|c| c.is_ascii_digit()) || token.starts_with(['(', '<']))
        {
            return at;
        }
        i = at + token.len();
    }
    line.len()
}

#[cfg(test)]
mod tests {
    use crate::theme::import::{parse, summary, Format, Imported};

    fn read(text: &str) -> Imported {
        parse("t.dic", text, Format::Liwc, Vec::new()).unwrap()
    }
    fn err(text: &str) -> String {
        parse("t.dic", text, Format::Liwc, Vec::new())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_liwc2007_with_conditionals() {
        let i = read("%\n1\tfunct\n02\tpronoun\n125\taffect\n126\tposemo\n134\tdiscrep\n464\tfiller\n%\na\t1\nlike\t(02 134)125/464\t(02 134)126\t464\nkind of\t1\n");
        assert_eq!(
            summary(&i),
            [
                "funct=a|kind of",
                "pronoun=",
                "affect=",
                "posemo=",
                "discrep=",
                "filler=like"
            ]
        );
        // Two conditional items on line 10, at columns 6 and 22.
        assert_eq!(i.warnings.len(), 2, "{:?}", i.warnings);
        assert!(
            i.warnings[0].starts_with("t.dic:10:6: `like`: conditional category `(02 134)125/464`")
        );
        assert!(i.warnings[1].starts_with("t.dic:10:22:"));
    }

    #[test]
    fn reads_liwc22_quirks() {
        // Spaces instead of tabs, CRLF, labels in parentheses, a phrase.
        let i = read("%\r\n1 posemo (Positive Emotion)\r\n2 Negative Emotion\r\n%\r\ngood 1\r\nnot good 2\r\nmeh  1  2\r\n");
        assert_eq!(
            summary(&i),
            ["posemo=good|meh", "negative_emotion=not good|meh"]
        );
        assert_eq!(i.codebook.themes[0].label, "Positive Emotion");
        assert_eq!(i.codebook.themes[1].label, "Negative Emotion");
        assert_eq!(
            (i.codebook.themes[1].line, i.codebook.themes[1].column),
            (3, 3)
        );
    }

    #[test]
    fn nests_tab_indented_categories() {
        let i = read("%\n1\taffect\n\t2\tposemo\n\t3\tnegemo\n\t\t4\tanger\n5\tsocial\n%\nhappy\t1\t2\nmad\t1\t3\t4\n");
        let keys: Vec<&str> = i.codebook.themes.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "affect",
                "affect.posemo",
                "affect.negemo",
                "affect.negemo.anger",
                "social"
            ]
        );
    }

    #[test]
    fn problems_have_line_and_column() {
        assert_eq!(
            err("%\n1\ta\n%\nx\t1\t7\n"),
            "t.dic:4:5: `x`: category id 7 is not in the category list"
        );
        assert_eq!(
            err("%\n1\ta\n%\nx\t1\tb\n"),
            "t.dic:4:5: `x`: category id `b` is not a number"
        );
        assert_eq!(
            err("%\n1\ta\n1\tb\n%\n"),
            "t.dic:3:1: category id 1 is defined twice (first on line 2)"
        );
        // Without the second `%`, the first line that is not a category and
        // the missing `%` (not one problem per entry).
        assert_eq!(
            err("%\n1\ta\nx\n"),
            "t.dic:3:1: expected `id<TAB>name` in the category list, found `x`\n\
             t.dic:3:1: the category list is not closed by a second `%` line"
        );
        assert_eq!(
            err("%\n1\ta\nfoo\t1\nbar\t1\n"),
            "t.dic:3:1: expected `id<TAB>name` in the category list, found `foo\t1`\n\
             t.dic:4:1: the category list is not closed by a second `%` line"
        );
        assert_eq!(
            err("%\n1\ta\n"),
            "t.dic:2:1: the category list is not closed by a second `%` line"
        );
        assert_eq!(
            err("1\ta\n%\n"),
            "t.dic:1:1: a LIWC dictionary starts with a line `%` before the category list"
        );
        assert!(err("%\n1\ta\n%\n:)\t1\n").starts_with("t.dic:4:1: theme `a`: pattern `:)`"));
        assert_eq!(
            err("%\n1\ta\n%\n\t1\n"),
            "t.dic:4:2: entry `1` has no category ids"
        );
        assert_eq!(
            err("%\n1\ta\n%\nword\n"),
            "t.dic:4:1: entry `word` has no category ids"
        );
    }
}
