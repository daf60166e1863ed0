//! The native codebook format (TOML) and its validation.
//!
//! ```toml
//! [[theme]]
//! key = "security"                 # snake_case; "economy.trade" nests
//! label = "Security and stability"
//! definition = "One sentence."
//! patterns = ["secur*", "stabil*", "peace"]
//! exclude = ["security council"]   # optional, same syntax as patterns
//! ```
//!
//! `exclude` lists phrases and globs whose matches are not this theme's
//! talk: a pattern match of the theme (or of one of its children) that
//! overlaps an exclusion match is not counted (see [`crate::theme`]).
//!
//! Validation reports every problem with file, line and column: unknown
//! keys, duplicate themes, bad keys, empty patterns, globs that match every
//! word, characters that never occur inside a word, and encoding errors.

use std::ops::Range;

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{line_column, Error, LineIndex, Result};

/// A theme as written in a codebook.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub key: String,
    pub label: String,
    pub definition: String,
    pub patterns: Vec<PatternDef>,
    /// Exclusions: same syntax as patterns; see the module docs.
    pub exclude: Vec<PatternDef>,
    /// Where the theme is defined (1-based; 0 when not from a file).
    pub line: usize,
    pub column: usize,
}

/// A pattern as written, with its position in the codebook file.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternDef {
    pub text: String,
    pub line: usize,
    pub column: usize,
}

/// A validated codebook: themes in file order, parents before children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Codebook {
    pub path: String,
    pub themes: Vec<Theme>,
}

/// The default codebook, written for the statement.
pub const DEFAULT_PATH: &str = "data/themes.toml";
pub const DEFAULT_TEXT: &str = include_str!("../../data/themes.toml");

/// Unknown keys are found by [`unknown_keys`], not by serde's
/// `deny_unknown_fields`, which stops at the first.
#[derive(Deserialize)]
struct File {
    #[serde(default)]
    theme: Vec<Spanned<RawTheme>>,
}

/// The keys a [[theme]] table may hold.
const THEME_KEYS: [&str; 5] = ["key", "label", "definition", "patterns", "exclude"];

/// Every key of the file and of its [[theme]] tables, with its span.
#[derive(Deserialize)]
struct Keys {
    #[serde(default)]
    theme: Vec<BTreeMap<Spanned<String>, IgnoredAny>>,
}

#[derive(Deserialize)]
struct RawTheme {
    key: Spanned<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    definition: Option<String>,
    #[serde(default)]
    patterns: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

/// A problem found in a codebook, before it is turned into an [`Error`].
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Codebook {
    /// Reads and validates a native codebook; the error lists every
    /// problem found.
    pub fn load(path: &str) -> Result<Codebook> {
        let text = read_text(path)?;
        Codebook::parse(path, &text).map_err(|problems| problems_error(path, &problems))
    }

    /// The shipped default codebook.
    pub fn default_codebook() -> Codebook {
        Codebook::parse(DEFAULT_PATH, DEFAULT_TEXT).expect("the shipped codebook is valid")
    }

    /// Parses and validates TOML text; returns every problem found.
    pub fn parse(path: &str, text: &str) -> std::result::Result<Codebook, Vec<Problem>> {
        let index = LineIndex::new(text);
        let at = |range: Range<usize>, message: String| {
            let (line, column) = index.locate(range.start);
            Problem {
                line,
                column,
                message,
            }
        };
        let file: File = toml::from_str(text).map_err(|e| {
            let range = e.span().unwrap_or(0..0);
            vec![at(range, e.message().trim().to_string())]
        })?;
        let mut problems = unknown_keys(text, &index);
        let mut themes: Vec<Theme> = Vec::new();
        for raw in file.theme {
            let theme_span = raw.span();
            let raw = raw.into_inner();
            let key = raw.key.get_ref().trim().to_string();
            let (line, column) = index.locate(theme_span.start);
            if let Err(message) = check_key(&key) {
                problems.push(at(raw.key.span(), message));
            } else if themes.iter().any(|t| t.key == key) {
                problems.push(at(raw.key.span(), format!("duplicate theme `{key}`")));
            }
            let mut check = |list: Vec<Spanned<String>>, what: &str| {
                let mut defs = Vec::new();
                for p in list {
                    let span = p.span();
                    let value = p.get_ref().trim().to_string();
                    if let Err(message) = check_pattern(&value) {
                        problems.push(at(
                            span.start + 1..span.end,
                            format!("theme `{key}`: {what}{message}"),
                        ));
                        continue;
                    }
                    let (pl, pc) = index.locate(span.start);
                    defs.push(PatternDef {
                        text: value,
                        line: pl,
                        column: pc,
                    });
                }
                defs
            };
            let patterns = check(raw.patterns, "");
            let exclude = check(raw.exclude, "exclude: ");
            themes.push(Theme {
                label: raw.label.unwrap_or_else(|| key.clone()),
                definition: raw.definition.unwrap_or_default(),
                key,
                patterns,
                exclude,
                line,
                column,
            });
        }
        if problems.is_empty() && themes.is_empty() {
            problems.push(Problem {
                line: 1,
                column: 1,
                message: "no [[theme]] in this codebook (for no themes use --themes none)".into(),
            });
        }
        if problems.is_empty() {
            if let Err(p) = add_implicit_parents(&mut themes) {
                problems.push(p);
            }
        }
        if problems.is_empty() {
            Ok(Codebook {
                path: path.to_string(),
                themes,
            })
        } else {
            problems.sort_by_key(|p| (p.line, p.column));
            Err(problems)
        }
    }

    pub fn n_patterns(&self) -> usize {
        self.themes.iter().map(|t| t.patterns.len()).sum()
    }

    /// Writes the codebook in the native TOML format.
    pub fn to_toml(&self) -> String {
        let mut out =
            String::from("# themata codebook (native format); see README \"Codebooks\".\n");
        for t in &self.themes {
            out.push_str("\n[[theme]]\n");
            out.push_str(&format!("key = {}\n", toml_string(&t.key)));
            out.push_str(&format!("label = {}\n", toml_string(&t.label)));
            out.push_str(&format!("definition = {}\n", toml_string(&t.definition)));
            let patterns: Vec<String> = t.patterns.iter().map(|p| toml_string(&p.text)).collect();
            out.push_str(&format!("patterns = [{}]\n", patterns.join(", ")));
            if !t.exclude.is_empty() {
                let exclude: Vec<String> = t.exclude.iter().map(|p| toml_string(&p.text)).collect();
                out.push_str(&format!("exclude = [{}]\n", exclude.join(", ")));
            }
        }
        out
    }
}

/// One error for the problems of a codebook, in file order.
pub fn problems_error(path: &str, problems: &[Problem]) -> Error {
    Error::all(
        problems
            .iter()
            .map(|p| Error::codebook(path, p.line, p.column, &p.message))
            .collect(),
    )
}

/// Every key that is neither `theme` at the top nor one of [`THEME_KEYS`]
/// in a [[theme]] table, at its position. (The text has parsed as [`File`]
/// already, so it parses here too; a failure finds nothing.)
fn unknown_keys(text: &str, index: &LineIndex) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut report = |key: &Spanned<String>, expected: &str| {
        let (line, column) = index.locate(key.span().start);
        problems.push(Problem {
            line,
            column,
            message: format!("unknown field `{}`, expected {expected}", key.get_ref()),
        });
    };
    let top: BTreeMap<Spanned<String>, IgnoredAny> = toml::from_str(text).unwrap_or_default();
    for key in top.keys().filter(|k| k.get_ref() != "theme") {
        report(key, "`theme`");
    }
    let expected = format!("one of `{}`", THEME_KEYS.join("`, `"));
    if let Ok(keys) = toml::from_str::<Keys>(text) {
        for table in &keys.theme {
            for key in table.keys() {
                if !THEME_KEYS.contains(&key.get_ref().as_str()) {
                    report(key, &expected);
                }
            }
        }
    }
    problems
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Reads a codebook file as UTF-8 (a BOM is allowed).
pub fn read_text(path: &str) -> Result<String> {
    read_utf8(path)?.map_err(|(_, line, column)| {
        Error::codebook(
            path,
            line,
            column,
            "not valid UTF-8 (save the codebook as UTF-8)",
        )
    })
}

/// A file that is not UTF-8: its bytes, and the 1-based line and column of
/// the first invalid byte.
pub(crate) type NotUtf8 = (Vec<u8>, usize, usize);

/// Reads a codebook file without its BOM; the inner `Err` when it is not UTF-8.
pub(crate) fn read_utf8(path: &str) -> Result<std::result::Result<String, NotUtf8>> {
    let mut bytes = crate::input::read_side_file(path, "codebook")?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    Ok(String::from_utf8(bytes).map_err(|e| {
        let valid_up_to = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let valid = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or("");
        let (line, column) = line_column(valid, valid.len());
        (bytes, line, column)
    }))
}

fn check_key(key: &str) -> std::result::Result<(), String> {
    if key.is_empty() {
        return Err("empty theme key".into());
    }
    for part in key.split('.') {
        if part.is_empty()
            || !part
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "theme key `{key}` must be words of letters, digits, `_` or `-`, joined by dots"
            ));
        }
    }
    Ok(())
}

/// A pattern must have at least one word; a word's characters must be ones
/// that occur inside tokens, plus the wildcards; a glob must not match every
/// word.
pub fn check_pattern(pattern: &str) -> std::result::Result<(), String> {
    if pattern.trim().is_empty() {
        return Err("empty pattern".into());
    }
    for word in pattern.split_whitespace() {
        let body = word.strip_prefix("stem:").unwrap_or(word);
        if body.is_empty() {
            return Err(format!(
                "pattern `{pattern}`: `stem:` needs a stem after it"
            ));
        }
        if let Some(bad) = body.chars().find(|&c| {
            !(c.is_alphanumeric()
                || matches!(
                    c,
                    '*' | '?' | '\'' | '\u{2019}' | '-' | '\u{2010}' | '\u{2011}' | '.' | '_'
                )
                || unicode_normalization::char::is_combining_mark(c))
        }) {
            return Err(format!(
                "pattern `{pattern}`: `{bad}` never occurs inside a word (use letters, digits, ' - . _ and the wildcards * ?)"
            ));
        }
        if !body.chars().any(|c| c.is_alphanumeric()) {
            return Err(format!(
                "pattern `{pattern}`: `{word}` matches every word; add letters to it"
            ));
        }
    }
    Ok(())
}

/// Inserts a theme for every missing parent key (`economy` for
/// `economy.trade`) just before its first child, and checks that a parent
/// defined explicitly comes before its children.
fn add_implicit_parents(themes: &mut Vec<Theme>) -> std::result::Result<(), Problem> {
    let mut i = 0;
    while i < themes.len() {
        let key = themes[i].key.clone();
        if let Some(dot) = key.rfind('.') {
            let parent = &key[..dot];
            match themes.iter().position(|t| t.key == parent) {
                Some(p) if p > i => {
                    return Err(Problem {
                        line: themes[p].line,
                        column: themes[p].column,
                        message: format!("theme `{parent}` must come before its child `{key}`"),
                    })
                }
                Some(_) => {}
                None => {
                    themes.insert(
                        i,
                        Theme {
                            key: parent.to_string(),
                            label: parent.to_string(),
                            definition: format!("Union of the `{parent}.*` themes."),
                            patterns: Vec::new(),
                            exclude: Vec::new(),
                            line: themes[i].line,
                            column: themes[i].column,
                        },
                    );
                    continue;
                }
            }
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<(usize, usize, String)> {
        match Codebook::parse("t.toml", text) {
            Ok(_) => Vec::new(),
            Err(p) => p
                .into_iter()
                .map(|p| (p.line, p.column, p.message))
                .collect(),
        }
    }

    #[test]
    fn the_shipped_codebook_is_valid() {
        let c = Codebook::default_codebook();
        assert!(c.themes.len() >= 11);
        assert!(c.themes.iter().all(|t| !t.definition.is_empty()));
    }

    #[test]
    fn parses_and_adds_implicit_parents() {
        let c = Codebook::parse(
            "t.toml",
            "[[theme]]\nkey = \"a.b\"\npatterns = [\"x\"]\n[[theme]]\nkey = \"a.c\"\npatterns = [\"y\"]\n",
        )
        .unwrap();
        let keys: Vec<&str> = c.themes.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["a", "a.b", "a.c"]);
        assert_eq!(c.themes[1].patterns[0].line, 3);
    }

    #[test]
    fn every_problem_has_line_and_column() {
        // Unknown key: `labels` on line 3.
        let p = problems("[[theme]]\nkey = \"a\"\nlabels = \"x\"\n");
        assert_eq!((p[0].0, p[0].1), (3, 1), "{p:?}");
        assert!(p[0].2.contains("unknown field"), "{p:?}");
        // Empty pattern: `""` opens at column 18 of line 3; toml spans its content, column 19.
        let p = problems("[[theme]]\nkey = \"a\"\npatterns = [\"x\", \"\"]\n");
        assert_eq!((p[0].0, p[0].1), (3, 19), "{p:?}");
        assert!(p[0].2.contains("empty pattern"));
        // Duplicate theme: the second key, line 5 column 7.
        let p = problems("[[theme]]\nkey = \"a\"\n\n[[theme]]\nkey = \"a\"\n");
        assert_eq!(p, [(5, 7, "duplicate theme `a`".to_string())]);
        // Bad glob and a character that never occurs in a word.
        assert!(problems("[[theme]]\nkey = \"a\"\npatterns = [\"**\"]")[0]
            .2
            .contains("matches every word"));
        assert!(
            problems("[[theme]]\nkey = \"a\"\npatterns = [\"[abc]\"]")[0]
                .2
                .contains("never occurs")
        );
        // Unclosed quote: a TOML error on line 3.
        let p = problems("[[theme]]\nkey = \"a\"\npatterns = [\"x]\n");
        assert_eq!(p[0].0, 3, "{p:?}");
        // No theme at all: an empty file or only comments.
        assert_eq!(
            problems("# nothing yet\n"),
            [(
                1,
                1,
                "no [[theme]] in this codebook (for no themes use --themes none)".to_string()
            )]
        );
        // A parent after its child.
        let p = problems("[[theme]]\nkey = \"a.b\"\n[[theme]]\nkey = \"a\"\n");
        assert!(p[0].2.contains("must come before"), "{p:?}");
    }
}
