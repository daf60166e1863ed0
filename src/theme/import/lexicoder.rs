//! Lexicoder dictionaries (`.lc3`, `.lcd`), as read by quanteda's
//! `read_dict_lexicoder`:
//!
//! ```text
//! +negative#AA0000
//! a lie
//! abandon*
//! +positive
//! ability*
//! ```
//!
//! A line starting with `+` opens a category; the rest of the line is its
//! name, minus an optional `#RRGGBB` display colour (the Lexicoder Sentiment
//! Dictionary has one). Every other non-blank line is one pattern of the
//! current category: lowercase words, `*` as wildcard, spaces between the
//! words of a phrase. Lines are trimmed; blank lines are skipped. Lexicoder 3
//! files are UTF-8. The format has no nesting and no comment syntax. An XML
//! file (quanteda reads `.lcd` as Yoshikoder XML) is reported as such.

use super::{column, lines, Builder};
use crate::error::Result;

pub(super) fn parse(text: &str, b: &mut Builder) -> Result<()> {
    let file = b.file_name();
    let mut current = None;
    // After a category line with no name: its entries are skipped, not
    // reported one by one.
    let mut skipping = false;
    for (n, raw) in lines(text) {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let at = column(raw, raw.len() - raw.trim_start().len());
        if current.is_none() && line.starts_with('<') {
            // quanteda reads `.lcd` as Yoshikoder XML; say so instead of
            // reporting the first tag as a bad pattern.
            return Err(b.error(
                n,
                at,
                "this is XML (a Yoshikoder dictionary?), not a Lexicoder list; themata does not read it",
            ));
        }
        if let Some(name) = line.strip_prefix('+') {
            let name = strip_colour(name).trim();
            skipping = name.is_empty();
            if skipping {
                b.problem(n, at, "`+` must be followed by a category name");
                continue;
            }
            let definition = format!("Lexicoder category `{name}` in {file}.");
            current = Some(b.category(None, name, name, definition, n, at + 1)?);
        } else if !skipping {
            let Some(theme) = current else {
                b.problem(
                    n,
                    at,
                    format!("entry `{line}` comes before the first category (a line `+name`)"),
                );
                continue;
            };
            b.pattern(theme, line, n, at);
        }
    }
    if b.themes.is_empty() && b.problems.is_empty() {
        return Err(b.error(
            1,
            1,
            "no categories found (a Lexicoder category line starts with `+`)",
        ));
    }
    Ok(())
}

/// `negative#AA0000` → `negative`: drops a trailing `#` and six hex digits.
fn strip_colour(name: &str) -> &str {
    match name.rsplit_once('#') {
        Some((head, colour))
            if colour.len() == 6 && colour.chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            head
        }
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use crate::theme::import::{parse, Format};

    fn keys_and_patterns(text: &str) -> Vec<(String, Vec<String>)> {
        let i = parse("t.lc3", text, Format::Lexicoder, Vec::new()).unwrap();
        i.codebook
            .themes
            .iter()
            .map(|t| {
                (
                    t.key.clone(),
                    t.patterns.iter().map(|p| p.text.clone()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn reads_categories_colours_and_phrases() {
        let got = keys_and_patterns(
            "+negative#AA0000\r\na lie\r\nabandon*\r\n\r\n+positive\r\nAbility*\r\n",
        );
        assert_eq!(
            got,
            [
                (
                    "negative".to_string(),
                    vec!["a lie".to_string(), "abandon*".to_string()]
                ),
                ("positive".to_string(), vec!["ability*".to_string()]),
            ]
        );
    }

    #[test]
    fn problems_have_line_and_column() {
        let err = |t: &str| {
            parse("t.lc3", t, Format::Lexicoder, Vec::new())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("abandon*\n+negative\n"),
            "t.lc3:1:1: entry `abandon*` comes before the first category (a line `+name`)"
        );
        // `*` alone matches every word: line 3, after two spaces of indent.
        assert!(
            err("+negative\nbad\n  *\n").starts_with("t.lc3:3:3: theme `negative`: pattern `*`")
        );
        assert!(err("+a\nx\n+a\ny\n").starts_with("t.lc3:3:2: duplicate category `a`"));
        assert_eq!(
            err("+\nx\n"),
            "t.lc3:1:1: `+` must be followed by a category name"
        );
        assert!(err("+neg\nfoo(bar)\n").contains("never occurs inside a word"));
        assert!(
            err("<?xml version=\"1.0\"?>\n<dictionary>\n").starts_with("t.lc3:1:1: this is XML")
        );
    }
}
