//! Codebook importers: read other tools' dictionary formats into a
//! [`Codebook`]. The format is chosen by the file extension:
//!
//! | extension | format | module |
//! | --- | --- | --- |
//! | `.toml` (and anything else) | native themata codebook | [`Codebook::load`] |
//! | `.yml`, `.yaml` | quanteda YAML dictionary | `yaml` |
//! | `.dic` | LIWC dictionary (2001/2007/2015, LIWC-22 export) | `liwc` |
//! | `.cat` | WordStat categorization dictionary | `wordstat` |
//! | `.lc3`, `.lcd` | Lexicoder dictionary | `lexicoder` |
//!
//! Every importer maps a category to a theme: nested categories get dotted
//! keys (`economy.trade`), each part sanitised to lowercase letters, digits,
//! `_` and `-` (the original name stays as the label). Patterns are
//! lowercased and checked with [`check_pattern`]. Every problem is an
//! [`Error::Codebook`] with the file, line and column (1-based, columns in
//! characters) of the offending spot; nothing here panics on any input.
//! An importer reports every problem it finds ([`Error::Problems`]): it
//! records a bad pattern, category or entry and reads on, and stops only
//! where the rest of the file cannot be read (a YAML syntax error, a LIWC
//! category list that is never closed, nesting deeper than [`MAX_DEPTH`]).
//! Things that are read but cannot be represented (LIWC conditional
//! categories, WordStat weights) are dropped with a warning that names the
//! line.

mod lexicoder;
mod liwc;
mod wordstat;
mod yaml;

use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::{Error, Result};
use crate::theme::codebook::{check_pattern, problems_error, read_text, read_utf8, PatternDef};
use crate::theme::{Codebook, Theme};

/// A codebook read from a file, with the warnings the importer raised.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub codebook: Codebook,
    /// One line each, starting with `path:line:column:` where known.
    pub warnings: Vec<String>,
}

/// The codebook formats themata reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Native,
    QuantedaYaml,
    Liwc,
    WordStat,
    Lexicoder,
}

impl Format {
    /// The format of a file, by its extension (case-insensitive); unknown
    /// extensions are read as native TOML.
    pub fn of(path: &str) -> Format {
        let ext = Path::new(path)
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "yml" | "yaml" => Format::QuantedaYaml,
            "dic" => Format::Liwc,
            "cat" => Format::WordStat,
            "lc3" | "lcd" => Format::Lexicoder,
            _ => Format::Native,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "themata TOML",
            Format::QuantedaYaml => "quanteda YAML",
            Format::Liwc => "LIWC",
            Format::WordStat => "WordStat",
            Format::Lexicoder => "Lexicoder",
        }
    }
}

/// Loads a codebook in any supported format; warnings go to stderr.
pub fn load(path: &str) -> Result<Codebook> {
    let imported = read(path)?;
    for w in &imported.warnings {
        eprintln!("themata: warning: {w}");
    }
    Ok(imported.codebook)
}

/// Reads a codebook in any supported format, returning its warnings.
pub fn read(path: &str) -> Result<Imported> {
    let format = Format::of(path);
    if format == Format::Native {
        return Ok(Imported {
            codebook: Codebook::load(path)?,
            warnings: Vec::new(),
        });
    }
    let mut warnings = Vec::new();
    let text = match format {
        // LIWC and WordStat files are often Windows-1252 (Latin-1).
        Format::Liwc | Format::WordStat => read_legacy_text(path, &mut warnings)?,
        // YAML and Lexicoder 3 are UTF-8 by definition.
        _ => read_text(path)?,
    };
    parse(path, &text, format, warnings)
}

/// Parses codebook text of a given (non-native) format.
pub fn parse(path: &str, text: &str, format: Format, warnings: Vec<String>) -> Result<Imported> {
    let mut b = Builder::new(path, warnings);
    let read = match format {
        Format::Native => {
            return Codebook::parse(path, text)
                .map(|codebook| Imported {
                    codebook,
                    warnings: b.warnings,
                })
                .map_err(|p| problems_error(path, &p))
        }
        Format::QuantedaYaml => yaml::parse(text, &mut b),
        Format::Liwc => liwc::parse(text, &mut b),
        Format::WordStat => wordstat::parse(text, &mut b),
        Format::Lexicoder => lexicoder::parse(text, &mut b),
    };
    if let Err(fatal) = read {
        b.problems.push(fatal);
    }
    if b.problems.is_empty() {
        Ok(b.finish())
    } else {
        Err(Error::all(b.problems))
    }
}

/// Reads a file as UTF-8 (BOM allowed); if it is not valid UTF-8, decodes it
/// as Windows-1252 (a superset of Latin-1) and says so in a warning.
fn read_legacy_text(path: &str, warnings: &mut Vec<String>) -> Result<String> {
    Ok(match read_utf8(path)? {
        Ok(text) => text,
        Err((bytes, line, column)) => {
            warnings.push(format!(
                "{path}:{line}:{column}: not valid UTF-8; read the file as Windows-1252 (Latin-1)"
            ));
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
            text.into_owned()
        }
    })
}

/// The lines of `text` with their 1-based numbers, without `\n` or `\r\n`.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
}

/// 1-based column (in characters) of byte offset `at` in `line`.
fn column(line: &str, at: usize) -> usize {
    line.get(..at).map_or(1, |s| s.chars().count() + 1)
}

/// Turns a category name into one key part: lowercase letters, digits, `_`
/// and `-`; every run of other characters becomes one `_`; leading and
/// trailing `_`/`-` are dropped. `Positive Emotion` → `positive_emotion`,
/// `+STATE+` → `state`, `CULTURE-HIGH` → `culture-high`.
pub fn key_part(name: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            // Lowercasing may add combining marks (`İ` → `i̇`): keep only
            // what a key may hold.
            out.extend(
                c.to_lowercase()
                    .filter(|l| l.is_alphanumeric() || *l == '_' || *l == '-'),
            );
        } else {
            gap = true;
        }
    }
    out.trim_matches(['_', '-']).to_string()
}

/// The deepest nesting of categories accepted (real dictionaries use 2–4
/// levels); it also bounds the YAML reader's recursion.
const MAX_DEPTH: usize = 50;

/// Collects themes and patterns for the importers, checking keys and
/// patterns as they come.
pub(crate) struct Builder<'a> {
    path: &'a str,
    themes: Vec<Theme>,
    /// (parent index, original name) → (line) of categories seen so far.
    names: FxHashMap<(Option<usize>, String), usize>,
    /// (theme index, pattern text) pairs already added, to skip duplicates.
    seen: FxHashSet<(usize, String)>,
    warnings: Vec<String>,
    /// Problems recorded so far (the importer reads on after each).
    problems: Vec<Error>,
}

impl<'a> Builder<'a> {
    fn new(path: &'a str, warnings: Vec<String>) -> Self {
        Builder {
            path,
            themes: Vec::new(),
            names: FxHashMap::default(),
            seen: FxHashSet::default(),
            warnings,
            problems: Vec::new(),
        }
    }

    /// An error at a line and column of this file.
    fn error(&self, line: usize, column: usize, message: impl std::fmt::Display) -> Error {
        Error::codebook(self.path, line, column, message)
    }

    /// Records a problem and reads on.
    fn problem(&mut self, line: usize, column: usize, message: impl std::fmt::Display) {
        let e = self.error(line, column, message);
        self.problems.push(e);
    }

    fn warn(&mut self, line: usize, column: usize, message: impl std::fmt::Display) {
        self.warnings
            .push(format!("{}:{line}:{column}: {message}", self.path));
    }

    /// Adds a theme for category `name` under `parent` (a theme index) and
    /// returns its index. The same name twice under one parent, or a name
    /// with nothing to make a key from, is a recorded problem (the category
    /// is still added, so that its entries are read and checked); two names
    /// that sanitise to the same key get `_2`, `_3`… with a warning. Nesting
    /// deeper than [`MAX_DEPTH`] is the one error that stops the reading.
    fn category(
        &mut self,
        parent: Option<usize>,
        name: &str,
        label: &str,
        definition: String,
        line: usize,
        column: usize,
    ) -> Result<usize> {
        let name = name.trim();
        let duplicate = self.names.get(&(parent, name.to_string())).copied();
        if let Some(first) = duplicate {
            self.problem(
                line,
                column,
                format!("duplicate category `{name}` (first defined on line {first})"),
            );
        }
        if let Some(p) = parent {
            if self.themes[p].key.matches('.').count() + 1 >= MAX_DEPTH {
                return Err(self.error(
                    line,
                    column,
                    format!("category `{name}` is nested more than {MAX_DEPTH} levels deep"),
                ));
            }
        }
        let mut part = key_part(name);
        if part.is_empty() {
            self.problem(
                line,
                column,
                format!("category name `{name}` has no letters or digits to make a theme key from"),
            );
            part = format!("line_{line}");
        }
        let base = match parent {
            Some(p) => format!("{}.{part}", self.themes[p].key),
            None => part,
        };
        let mut key = base.clone();
        let mut n = 1;
        while self.themes.iter().any(|t| t.key == key) {
            n += 1;
            key = format!("{base}_{n}");
        }
        if n > 1 && duplicate.is_none() {
            self.warn(
                line,
                column,
                format!("category `{name}` gets key `{key}` because `{base}` is taken"),
            );
        }
        self.names.entry((parent, name.to_string())).or_insert(line);
        let label = match label.trim() {
            "" => name,
            l => l,
        };
        self.themes.push(Theme {
            key,
            label: label.to_string(),
            definition,
            patterns: Vec::new(),
            exclude: Vec::new(),
            line,
            column,
        });
        Ok(self.themes.len() - 1)
    }

    /// Adds a pattern to a theme: lowercased, inner white space collapsed,
    /// checked (a bad one is a recorded problem); an exact duplicate within
    /// the theme is skipped.
    fn pattern(&mut self, theme: usize, raw: &str, line: usize, column: usize) {
        let text = raw
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let key = &self.themes[theme].key;
        if let Err(message) = check_pattern(&text) {
            let message = format!("theme `{key}`: {message}");
            return self.problem(line, column, message);
        }
        if self.seen.insert((theme, text.clone())) {
            self.themes[theme]
                .patterns
                .push(PatternDef { text, line, column });
        }
    }

    fn finish(self) -> Imported {
        Imported {
            codebook: Codebook {
                path: self.path.to_string(),
                themes: self.themes,
            },
            warnings: self.warnings,
        }
    }

    /// The file name, for definitions ("LIWC category 126 in LIWC2007.dic").
    fn file_name(&self) -> String {
        Path::new(self.path).file_name().map_or_else(
            || self.path.to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::of("a/b.YAML"), Format::QuantedaYaml);
        assert_eq!(Format::of("x.yml"), Format::QuantedaYaml);
        assert_eq!(Format::of("LIWC2007.dic"), Format::Liwc);
        assert_eq!(Format::of("LaverGarry.cat"), Format::WordStat);
        assert_eq!(Format::of("LSD2015.lc3"), Format::Lexicoder);
        assert_eq!(Format::of("old.lcd"), Format::Lexicoder);
        assert_eq!(Format::of("themes.toml"), Format::Native);
        assert_eq!(Format::of("noext"), Format::Native);
    }

    #[test]
    fn key_parts_are_sanitised() {
        assert_eq!(key_part("Positive Emotion"), "positive_emotion");
        assert_eq!(key_part("+STATE+"), "state");
        assert_eq!(key_part("CULTURE-HIGH"), "culture-high");
        assert_eq!(key_part("a.b"), "a_b");
        assert_eq!(key_part("(  )"), "");
        assert_eq!(key_part("Économie"), "économie");
    }

    #[test]
    fn sanitised_collisions_get_a_suffix_and_a_warning() {
        let mut b = Builder::new("t.cat", Vec::new());
        b.category(None, "+STATE+", "", String::new(), 1, 1)
            .unwrap();
        b.category(None, "=STATE=", "", String::new(), 2, 1)
            .unwrap();
        // A duplicate is a recorded problem; the category is still added.
        b.category(None, "+STATE+", "", String::new(), 3, 1)
            .unwrap();
        assert_eq!(
            b.problems[0].to_string(),
            "t.cat:3:1: duplicate category `+STATE+` (first defined on line 1)"
        );
        let mut parent = 0;
        for level in 1..50 {
            parent = b
                .category(Some(parent), "x", "", String::new(), 3 + level, 1)
                .unwrap();
        }
        let e = b
            .category(Some(parent), "x", "", String::new(), 99, 1)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.cat:99:1: category `x` is nested more than 50 levels deep"
        );
        assert_eq!(b.problems.len(), 1);
        let i = b.finish();
        assert_eq!(i.codebook.themes[1].key, "state_2");
        assert_eq!(i.codebook.themes[1].label, "=STATE=");
        assert_eq!(i.warnings.len(), 1, "{:?}", i.warnings);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const FORMATS: [Format; 4] = [
        Format::QuantedaYaml,
        Format::Liwc,
        Format::WordStat,
        Format::Lexicoder,
    ];

    /// Every (line, column) of an error, one per problem.
    fn positions(e: &Error) -> Vec<(usize, usize)> {
        match e {
            Error::Codebook { line, column, .. } => vec![(*line, *column)],
            Error::Problems(list) => list.iter().flat_map(positions).collect(),
            other => panic!("not a codebook error: {other}"),
        }
    }

    /// The property every importer keeps on any text: either a codebook
    /// that `themes convert` writes as TOML and the native reader reads
    /// back to the same keys and patterns, or an error whose every problem
    /// points inside the text (1-based line and column, the column at most
    /// one past the line's last character).
    fn check(text: &str, format: Format) -> std::result::Result<(), TestCaseError> {
        match parse("t", text, format, Vec::new()) {
            // An import with no theme at all (YAML `{}`) has nothing to round
            // trip: the native format refuses an empty codebook by design.
            Ok(imported) if imported.codebook.themes.is_empty() => {}
            Ok(imported) => {
                let toml = imported.codebook.to_toml();
                let back = Codebook::parse("t.toml", &toml)
                    .map_err(|p| TestCaseError::fail(format!("{p:?} in\n{toml}")))?;
                let texts = |list: &[PatternDef]| -> Vec<String> {
                    list.iter().map(|p| p.text.clone()).collect()
                };
                let themes = |c: &Codebook| -> Vec<(String, Vec<String>, Vec<String>)> {
                    c.themes
                        .iter()
                        .map(|t| (t.key.clone(), texts(&t.patterns), texts(&t.exclude)))
                        .collect()
                };
                prop_assert_eq!(themes(&back), themes(&imported.codebook));
            }
            Err(e) => {
                let lines: Vec<&str> = text.split('\n').collect();
                for (line, column) in positions(&e) {
                    prop_assert!(line >= 1 && line <= lines.len(), "{} for {:?}", e, text);
                    let width = lines[line - 1].chars().count();
                    prop_assert!(column >= 1 && column <= width + 1, "{} for {:?}", e, text);
                }
            }
        }
        Ok(())
    }

    proptest! {
        /// Text made of each format's own punctuation.
        #[test]
        fn any_text_imports_or_points_inside_it(text in "[%+\t \n\r()a-z0-9*:_#\\[\\]\"'-]{0,80}") {
            for format in FORMATS {
                check(&text, format)?;
            }
        }

        #[test]
        fn yaml_like_text_imports_or_points_inside_it(text in "[\\[\\]{}:,\"' \n\t&*!|>#?%@a-c_-]{0,80}") {
            check(&text, Format::QuantedaYaml)?;
        }

        /// Native TOML: [[theme]] tables with keys, patterns and exclusions
        /// from a small alphabet (so many are valid, and many are not: empty
        /// or all-wildcard patterns, bad or duplicate keys, children before
        /// parents), sometimes with a junk line.
        #[test]
        fn native_text_parses_or_points_inside_it(
            themes in proptest::collection::vec(
                (
                    "[a-e]{1,2}(\\.[a-c])?|",
                    proptest::collection::vec("[a-c]{1,3}[*?]?( [a-c]{1,2})?|[a-c*? :]{0,3}", 0..3),
                    proptest::collection::vec("[a-c]{1,3}[*?]?( [a-c]{1,2})?|[a-c*? :]{0,3}", 0..2),
                    proptest::option::weighted(0.2, "labels = 1|[a-c\"=\\[ ]{0,4}"),
                ),
                0..4,
            )
        ) {
            let quoted = |list: &[String]| -> String {
                list.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().join(", ")
            };
            let text: String = themes
                .iter()
                .map(|(key, patterns, exclude, junk)| {
                    format!(
                        "[[theme]]\nkey = {key:?}\npatterns = [{}]\nexclude = [{}]\n{}\n",
                        quoted(patterns),
                        quoted(exclude),
                        junk.as_deref().unwrap_or("")
                    )
                })
                .collect();
            check(&text, Format::Native)?;
        }

        #[test]
        fn any_unicode_imports_or_points_inside_it(text in "\\PC{0,60}") {
            for format in FORMATS {
                check(&text, format)?;
            }
        }
    }
}

/// Test helper: each theme as `key=pattern|pattern`.
#[cfg(test)]
pub(crate) fn summary(i: &Imported) -> Vec<String> {
    i.codebook
        .themes
        .iter()
        .map(|t| {
            let p: Vec<&str> = t.patterns.iter().map(|p| p.text.as_str()).collect();
            format!("{}={}", t.key, p.join("|"))
        })
        .collect()
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn keys_hold_no_combining_marks() {
        // Regression (found by fuzzing import_parse): "İ" lowercases to "i" +
        // U+0307, which the native key check rejects, so convert failed.
        assert_eq!(key_part("İstanbul"), "istanbul");
        assert_eq!(key_part("Positive Emotion"), "positive_emotion");
    }
}
