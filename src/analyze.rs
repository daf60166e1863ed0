//! Analyze: turns a token's text into a *form* and decides whether it is a
//! term, then stems terms. One `Analyzer` serves the documents and the
//! codebook patterns, so both are normalised the same way.
//!
//! Steps for one token (each expects the output of the one before):
//! 1. full Unicode lowercase and NFC; U+2019 becomes U+0027; leading and
//!    trailing `_` (Gutenberg italics) are trimmed;
//! 2. a stopword (checked before and after step 3, so `it's` and `don’t` are
//!    stopwords) is marked, not deleted;
//! 3. a possessive `'s` is removed (`one’s` → `one`) unless
//!    `--keep-possessives`;
//! 4. a form without a letter is a number, not a term, unless `--keep-numbers`;
//! 5. a term is stemmed with Snowball, except forms with a digit, `.` or `_`.
//!
//! Hyphenated compounds are rebuilt from tokens here too (see [`Hyphens`]).

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashSet;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use crate::error::{Error, Result};

/// What to do with hyphenated compounds (`co-operation`, `Euro-Atlantic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hyphens {
    /// Count the parts (`co`, `operation`) as terms, as tidytext does.
    Split,
    /// Count the compound as one term, stemmed without its hyphens, so
    /// `co-operation` and `cooperation` are the same term (as quanteda keeps
    /// hyphenated words whole). The default.
    Join,
    /// Count the parts and the compound.
    Both,
}

/// The role of a form in counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Term,
    Stopword,
    Number,
}

/// Languages with a Snowball stemmer; the ones with a shipped stopword list
/// carry it.
const LANGUAGES: &[(&str, Algorithm, Option<&str>)] = &[
    ("arabic", Algorithm::Arabic, None),
    (
        "danish",
        Algorithm::Danish,
        Some(include_str!("../data/stopwords/danish.txt")),
    ),
    (
        "dutch",
        Algorithm::Dutch,
        Some(include_str!("../data/stopwords/dutch.txt")),
    ),
    (
        "english",
        Algorithm::English,
        Some(include_str!("../data/stopwords/english.txt")),
    ),
    (
        "finnish",
        Algorithm::Finnish,
        Some(include_str!("../data/stopwords/finnish.txt")),
    ),
    (
        "french",
        Algorithm::French,
        Some(include_str!("../data/stopwords/french.txt")),
    ),
    (
        "german",
        Algorithm::German,
        Some(include_str!("../data/stopwords/german.txt")),
    ),
    ("greek", Algorithm::Greek, None),
    (
        "hungarian",
        Algorithm::Hungarian,
        Some(include_str!("../data/stopwords/hungarian.txt")),
    ),
    (
        "italian",
        Algorithm::Italian,
        Some(include_str!("../data/stopwords/italian.txt")),
    ),
    (
        "norwegian",
        Algorithm::Norwegian,
        Some(include_str!("../data/stopwords/norwegian.txt")),
    ),
    (
        "portuguese",
        Algorithm::Portuguese,
        Some(include_str!("../data/stopwords/portuguese.txt")),
    ),
    ("romanian", Algorithm::Romanian, None),
    (
        "russian",
        Algorithm::Russian,
        Some(include_str!("../data/stopwords/russian.txt")),
    ),
    (
        "spanish",
        Algorithm::Spanish,
        Some(include_str!("../data/stopwords/spanish.txt")),
    ),
    (
        "swedish",
        Algorithm::Swedish,
        Some(include_str!("../data/stopwords/swedish.txt")),
    ),
    ("tamil", Algorithm::Tamil, None),
    (
        "turkish",
        Algorithm::Turkish,
        Some(include_str!("../data/stopwords/turkish.txt")),
    ),
];

/// A process-wide counter for ids of compiled analyzers and matchers, so
/// that per-thread caches can tell whose results they hold.
pub fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Names of the languages `--lang` accepts.
pub fn language_names() -> Vec<&'static str> {
    LANGUAGES.iter().map(|(n, _, _)| *n).collect()
}

/// Where the stopwords come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopwords {
    /// The shipped Snowball list of the language.
    Default,
    None,
    File(String),
}

/// The analyzer's settings and loaded resources.
pub struct Analyzer {
    stopwords: FxHashSet<String>,
    stemmer: Option<Stemmer>,
    pub keep_possessives: bool,
    pub keep_numbers: bool,
    pub hyphens: Hyphens,
    pub language: String,
    /// How many stopwords are loaded (for the manifest).
    pub n_stopwords: usize,
    /// See [`next_id`].
    id: u64,
}

/// Options the analyzer is built from.
#[derive(Debug, Clone)]
pub struct AnalyzerOptions {
    pub language: String,
    pub stopwords: Stopwords,
    pub stem: bool,
    pub keep_possessives: bool,
    pub keep_numbers: bool,
    pub hyphens: Hyphens,
}

impl Default for AnalyzerOptions {
    fn default() -> Self {
        AnalyzerOptions {
            language: "english".into(),
            stopwords: Stopwords::Default,
            stem: true,
            keep_possessives: false,
            keep_numbers: false,
            hyphens: Hyphens::Join,
        }
    }
}

impl Analyzer {
    pub fn new(options: &AnalyzerOptions) -> Result<Analyzer> {
        let language = options.language.to_lowercase();
        let (_, algorithm, list) = LANGUAGES
            .iter()
            .find(|(n, _, _)| *n == language)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "unknown language `{}` (one of: {})",
                    options.language,
                    language_names().join(", ")
                ))
            })?;
        let mut analyzer = Analyzer {
            stopwords: FxHashSet::default(),
            stemmer: options.stem.then(|| Stemmer::create(*algorithm)),
            keep_possessives: options.keep_possessives,
            keep_numbers: options.keep_numbers,
            hyphens: options.hyphens,
            language,
            n_stopwords: 0,
            id: next_id(),
        };
        let text = match &options.stopwords {
            Stopwords::None => String::new(),
            Stopwords::Default => list.unwrap_or("").to_string(),
            Stopwords::File(path) => {
                let bytes = crate::input::read_side_file(path, "stopword list")?;
                String::from_utf8(bytes).map_err(|e| {
                    Error::input(
                        path,
                        format!(
                            "stopword list is not UTF-8 (byte {})",
                            e.utf8_error().valid_up_to()
                        ),
                    )
                })?
            }
        };
        for line in text.lines() {
            let word = line.split('#').next().unwrap_or("").trim();
            if !word.is_empty() {
                let form = analyzer.normalize(word);
                analyzer.stopwords.insert(form);
            }
        }
        analyzer.n_stopwords = analyzer.stopwords.len();
        Ok(analyzer)
    }

    /// Step 1: lowercase, NFC, apostrophes unified, `_` trimmed.
    pub fn normalize(&self, surface: &str) -> String {
        let trimmed = surface.trim_matches('_');
        let trimmed = if trimmed.is_empty() { surface } else { trimmed };
        if trimmed.is_ascii() {
            return trimmed.to_ascii_lowercase();
        }
        let lower = if is_nfc_quick(trimmed.chars()) == IsNormalized::Yes {
            trimmed.to_lowercase()
        } else {
            trimmed.nfc().collect::<String>().to_lowercase()
        };
        lower.replace('\u{2019}', "'")
    }

    /// Steps 1–4: the form used for counting and matching, and its role.
    pub fn classify(&self, surface: &str) -> (String, Role) {
        let mut form = self.normalize(surface);
        if self.stopwords.contains(&form) {
            return (form, Role::Stopword);
        }
        if !self.keep_possessives && form.len() > 2 && form.ends_with("'s") {
            form.truncate(form.len() - 2);
            if self.stopwords.contains(&form) {
                return (form, Role::Stopword);
            }
        }
        if !form.chars().any(char::is_alphabetic) && !self.keep_numbers {
            return (form, Role::Number);
        }
        (form, Role::Term)
    }

    /// Whether a form with no letters counts as a term.
    pub fn is_number(form: &str) -> bool {
        !form.chars().any(char::is_alphabetic)
    }

    /// Steps 1–5 for one token: its form, and its stem ("" when the form is
    /// not a term), as the theme matcher sees a word.
    pub fn form_and_stem(&self, surface: &str) -> (String, String) {
        let (form, role) = self.classify(surface);
        let stem = if role == Role::Term {
            self.stem(&form)
        } else {
            String::new()
        };
        (form, stem)
    }

    /// Step 5: the Snowball stem of a term form (expects step 1's output).
    /// A stemmer panic falls back to the form itself.
    pub fn stem(&self, form: &str) -> String {
        match &self.stemmer {
            Some(stemmer) if !form.contains(|c: char| c.is_numeric() || c == '.' || c == '_') => {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    stemmer.stem(form).into_owned()
                }))
                .unwrap_or_else(|_| form.to_string())
            }
            _ => form.to_string(),
        }
    }

    /// Identifies this analyzer and the settings that change its output, for
    /// caches of its results (see [`next_id`]).
    pub fn cache_key(&self) -> (u64, bool, bool, Hyphens) {
        (
            self.id,
            self.keep_possessives,
            self.keep_numbers,
            self.hyphens,
        )
    }

    pub fn is_stemming(&self) -> bool {
        self.stemmer.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english() -> Analyzer {
        Analyzer::new(&AnalyzerOptions::default()).unwrap()
    }

    #[test]
    fn shipped_english_list_has_174_words() {
        // data/stopwords/english.txt: the Snowball list with contractions.
        assert_eq!(english().n_stopwords, 174);
    }

    #[test]
    fn apostrophes_possessives_and_stopwords() {
        let a = english();
        assert_eq!(a.classify("Don’t"), ("don't".into(), Role::Stopword));
        assert_eq!(a.classify("It's"), ("it's".into(), Role::Stopword));
        assert_eq!(a.classify("one’s"), ("one".into(), Role::Term));
        assert_eq!(a.classify("Russia's"), ("russia".into(), Role::Term));
        assert_eq!(a.classify("_them_"), ("them".into(), Role::Stopword));
        assert_eq!(a.classify("2022"), ("2022".into(), Role::Number));
        assert_eq!(a.classify("3.14"), ("3.14".into(), Role::Number));
        assert_eq!(a.classify("G20"), ("g20".into(), Role::Term));
        let keep = Analyzer::new(&AnalyzerOptions {
            keep_possessives: true,
            keep_numbers: true,
            ..AnalyzerOptions::default()
        })
        .unwrap();
        assert_eq!(keep.classify("one’s"), ("one's".into(), Role::Term));
        assert_eq!(keep.classify("2022"), ("2022".into(), Role::Term));
    }

    #[test]
    fn stems_match_snowball_english() {
        // Expected stems from the Snowball English (Porter2) demo vocabulary.
        let a = english();
        for (word, stem) in [
            ("security", "secur"),
            ("cooperation", "cooper"),
            ("discrimination", "discrimin"),
            ("states", "state"),
            ("generously", "generous"),
            ("one's", "one"),
            ("g20", "g20"),
            ("u.s", "u.s"),
        ] {
            assert_eq!(a.stem(word), stem, "{word}");
        }
    }

    #[test]
    fn nfc_and_full_lowercase() {
        let a = english();
        // "É" as E + combining acute → NFC é; Greek capital sigma lowercases.
        assert_eq!(a.normalize("E\u{301}TAT"), "état");
        assert_eq!(a.normalize("ΣΟΦΊΑ"), "σοφία");
    }

    #[test]
    fn unknown_language_is_a_usage_error() {
        let err = Analyzer::new(&AnalyzerOptions {
            language: "klingon".into(),
            ..AnalyzerOptions::default()
        });
        assert!(matches!(err, Err(Error::Usage(_))));
    }
}
