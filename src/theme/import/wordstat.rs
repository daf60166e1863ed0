//! WordStat categorization dictionaries (`.cat`), as read by quanteda's
//! `read_dict_wordstat`:
//!
//! ```text
//! (indented with tabs)
//! CULTURE
//!     CULTURE-HIGH
//!         ART (1)
//!         ARTISTIC (1)
//!     SPORT
//!         ANGLER* (1)
//! ECONOMY
//!     +STATE+
//!         PUBLIC_OWNERSHIP (1)
//! ```
//!
//! A line that ends with a weight in parentheses (`ART (1)`) is an entry of
//! the nearest category above it with less indentation; any other line is a
//! category, nested under the nearest category above it with less
//! indentation (`culture.culture-high`). Indentation is tabs or spaces,
//! compared by its length. In an entry, `_` joins the words of a phrase
//! (`PUBLIC_OWNERSHIP` → `public ownership`) and `*` is the wildcard.
//! Weights are read and ignored: a match counts 1 (a warning says so when a
//! file has weights other than 1). A category with neither entries nor
//! subcategories is kept, with a warning (often an entry that lost its
//! weight). Files that are not UTF-8 are read as Windows-1252 with a warning.

use super::{column, lines, Builder};
use crate::error::Result;

pub(super) fn parse(text: &str, b: &mut Builder) -> Result<()> {
    let file = b.file_name();
    // Open categories: (indent length, theme index).
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut other_weight: Option<(usize, usize)> = None;
    for (n, raw) in lines(text) {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let at = column(raw, indent);
        let body = line.trim_start();
        while open.last().is_some_and(|&(i, _)| i >= indent) {
            open.pop();
        }
        match split_weight(body) {
            Some((word, weight)) => {
                let Some(&(_, theme)) = open.last() else {
                    b.problem(
                        n,
                        at,
                        format!("entry `{body}` is not indented under a category"),
                    );
                    continue;
                };
                if word.is_empty() {
                    b.problem(n, at, "entry has a weight but no word");
                    continue;
                }
                if weight.parse::<f64>().ok() != Some(1.0) && other_weight.is_none() {
                    other_weight = Some((n, at));
                }
                b.pattern(theme, &word.replace('_', " "), n, at);
            }
            None => {
                let parent = open.last().map(|&(_, t)| t);
                let definition = format!("WordStat category `{body}` in {file}.");
                let theme = b.category(parent, body, body, definition, n, at)?;
                open.push((indent, theme));
            }
        }
    }
    if b.themes.is_empty() && b.problems.is_empty() {
        return Err(b.error(1, 1, "no categories found"));
    }
    if let Some((n, at)) = other_weight {
        b.warn(
            n,
            at,
            "weights other than 1 are ignored: every match counts 1",
        );
    }
    // Categories with no entries and no subcategories.
    let keys: Vec<(String, usize, usize)> = b
        .themes
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            t.patterns.is_empty()
                && b.themes
                    .get(i + 1)
                    .is_none_or(|next| !next.key.starts_with(&format!("{}.", t.key)))
        })
        .map(|(_, t)| (t.key.clone(), t.line, t.column))
        .collect();
    for (key, line, col) in keys {
        b.warn(line, col, format!("category `{key}` has no entries (does an entry lack its weight, as in `WORD (1)`?)"));
    }
    Ok(())
}

/// `ART (1)` → (`ART`, `1`); None when the line does not end with a number
/// in parentheses.
fn split_weight(body: &str) -> Option<(&str, &str)> {
    let inner = body.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let weight = inner[open + 1..].trim();
    let numeric = !weight.is_empty()
        && weight
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+');
    numeric.then(|| (inner[..open].trim(), weight))
}

#[cfg(test)]
mod tests {
    use crate::theme::import::{parse, Format, Imported};

    fn read(text: &str) -> Imported {
        parse("t.cat", text, Format::WordStat, Vec::new()).unwrap()
    }
    fn err(text: &str) -> String {
        parse("t.cat", text, Format::WordStat, Vec::new())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_nested_categories_and_phrases() {
        let i = read("CULTURE\n\tCULTURE-HIGH\n\t\tART (1)\n\t\tFINE_ARTS (1)\n\tSPORT\n\t\tANGLER* (1)\nECONOMY\n    +STATE+\n        SUBSID* (1)\n    -STATE-\n        PRIVATI* (1)\n");
        let got: Vec<String> = i
            .codebook
            .themes
            .iter()
            .map(|t| {
                let p: Vec<&str> = t.patterns.iter().map(|p| p.text.as_str()).collect();
                format!("{}={}", t.key, p.join("|"))
            })
            .collect();
        assert_eq!(
            got,
            [
                "culture=",
                "culture.culture-high=art|fine arts",
                "culture.sport=angler*",
                "economy=",
                "economy.state=subsid*",
                "economy.state_2=privati*",
            ]
        );
        // One warning: `-STATE-` also sanitises to `state`.
        assert_eq!(i.warnings.len(), 1, "{:?}", i.warnings);
        assert_eq!(i.codebook.themes[5].label, "-STATE-");
    }

    #[test]
    fn warns_about_weights_and_empty_categories() {
        let i = read("A\n\tX (2)\nB\n\tY\n");
        assert_eq!(i.warnings.len(), 2, "{:?}", i.warnings);
        assert!(i.warnings[0].starts_with("t.cat:2:2: weights other than 1"));
        assert!(i.warnings[1].starts_with("t.cat:4:2: category `b.y` has no entries"));
    }

    #[test]
    fn problems_have_line_and_column() {
        assert_eq!(
            err("ART (1)\n"),
            "t.cat:1:1: entry `ART (1)` is not indented under a category"
        );
        // The indent is a tab and a space, so `(1)` starts at column 3.
        assert_eq!(
            err("A\n\t (1)\n"),
            "t.cat:2:3: entry has a weight but no word"
        );
        assert!(err("A\n\tX (1)\n\t** (1)\n")
            .starts_with("t.cat:3:2: theme `a`: pattern `**`: `**` matches every word"));
        assert!(err("A\n\tB\nA\n").starts_with("t.cat:3:1: duplicate category `A`"));
        assert!(err("A\n\tAT&T (1)\n").contains("`&` never occurs inside a word"));
    }
}
