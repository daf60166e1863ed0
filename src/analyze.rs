//! Analyze: turns a token's text into a *form* and decides whether it is a
//! term, then stems terms. One `Analyzer` serves the documents and the
//! codebook patterns, so both are normalised the same way.
//!
//! A form has two texts. Its *display* text is what tables show: the token
//! lowercased (full Unicode lowercase) and in NFC. Its *key* is what is
//! counted and matched: NFKC, then full Unicode case folding, then NFKC
//! again, so `Straße` and `STRASSE` (`strasse`), `ﬁnance` and `finance`,
//! full-width `ＵＮ` and `un` are one key. `İ` folds to `i` (not `i̇`);
//! with `--lang turkish` the Turkic rules apply instead (`I` → `ı`,
//! `İ` → `i`). In both texts U+2019 becomes U+0027 and leading and trailing
//! `_` (Gutenberg italics) are trimmed. For ASCII text (without `I` in
//! Turkish) the key is the display text, computed once.
//!
//! Steps for one token (each expects the output of the one before):
//! 1. display text and key as above;
//! 2. a stopword (checked on the key before and after step 3, so `it's` and
//!    `don’t` are stopwords) is marked, not deleted;
//! 3. a possessive `'s` is removed from both texts (`one’s` → `one`) unless
//!    `--keep-possessives`;
//! 4. a key without a letter is a number, not a term, unless `--keep-numbers`;
//! 5. a term's key is stemmed with Snowball, except keys with a digit, `.`
//!    or `_`.
//!
//! Stopwords and codebook patterns go through the same key function.
//!
//! Hyphenated compounds are rebuilt from tokens here too (see [`Hyphens`]).

use icu_casemap::CaseMapper;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashSet;
use unicode_normalization::{is_nfc_quick, is_nfkc_quick, IsNormalized, UnicodeNormalization};

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

/// A token's texts and role, as [`Analyzer::analyze`] gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analyzed {
    /// The display text (lowercase, NFC).
    pub display: String,
    /// The key (NFKC, case folded), when it differs from `display`.
    pub key: Option<String>,
    pub role: Role,
}

impl Analyzed {
    /// The text that is counted, stemmed and matched.
    pub fn key(&self) -> &str {
        self.key.as_deref().unwrap_or(&self.display)
    }
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

/// `text` without leading and trailing `_`, unless it is only `_`.
fn trim_underscores(text: &str) -> &str {
    match text.trim_matches('_') {
        "" => text,
        trimmed => trimmed,
    }
}

/// `text` in NFKC.
fn nfkc(text: &str) -> String {
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        text.to_string()
    } else {
        text.nfkc().collect()
    }
}

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
    /// Turkic case folding of `I` and `İ` (Turkish).
    turkic: bool,
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
            turkic: language == "turkish",
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

    /// Step 1's key: NFKC, full case folding, NFKC, apostrophes unified,
    /// `_` trimmed (the text that is counted and matched).
    pub fn normalize(&self, surface: &str) -> String {
        let trimmed = trim_underscores(surface);
        if self.is_fast(trimmed) {
            return trimmed.to_ascii_lowercase();
        }
        self.fold(trimmed)
    }

    /// Step 1's display text: lowercase, NFC, apostrophes unified, `_`
    /// trimmed.
    pub fn display(&self, surface: &str) -> String {
        let trimmed = trim_underscores(surface);
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

    /// Whether the key of `text` is its ASCII lowercase (and so equals its
    /// display text).
    fn is_fast(&self, text: &str) -> bool {
        text.is_ascii() && !(self.turkic && text.contains('I'))
    }

    /// The key of a trimmed text that takes no fast path.
    fn fold(&self, text: &str) -> String {
        let composed = nfkc(text);
        let case = CaseMapper::new();
        let folded = if self.turkic {
            case.fold_turkic_string(&composed).into_owned()
        } else {
            // Full folding maps İ to i + U+0307; outside Turkic it is an I.
            case.fold_string(&composed.replace('\u{130}', "I"))
                .into_owned()
        };
        nfkc(&folded).replace('\u{2019}', "'")
    }

    /// Steps 1–4: a token's display text, key and role.
    pub fn analyze(&self, surface: &str) -> Analyzed {
        let trimmed = trim_underscores(surface);
        let mut display = self.display(surface);
        let mut key = (!self.is_fast(trimmed))
            .then(|| self.fold(trimmed))
            .filter(|k| *k != display);
        let role = self.role(&mut display, &mut key);
        let key = key.filter(|k| *k != display);
        Analyzed { display, key, role }
    }

    /// Steps 2–4 on a token's display text and key (`None`: the display
    /// text), removing a possessive from both.
    fn role(&self, display: &mut String, key: &mut Option<String>) -> Role {
        if self.stopwords.contains(key.as_deref().unwrap_or(display)) {
            return Role::Stopword;
        }
        let k = key.as_deref().unwrap_or(display);
        if !self.keep_possessives && k.len() > 2 && k.ends_with("'s") {
            if let Some(key) = key {
                key.truncate(key.len() - 2);
            }
            if display.len() > 2 && display.ends_with("'s") {
                display.truncate(display.len() - 2);
            }
            if self.stopwords.contains(key.as_deref().unwrap_or(display)) {
                return Role::Stopword;
            }
        }
        if !self.keep_numbers && Analyzer::is_number(key.as_deref().unwrap_or(display)) {
            Role::Number
        } else {
            Role::Term
        }
    }

    /// Steps 1–4: the key used for counting and matching, and its role.
    pub fn classify(&self, surface: &str) -> (String, Role) {
        let a = self.analyze(surface);
        (a.key.unwrap_or(a.display), a.role)
    }

    /// Whether a form with no letters counts as a term.
    pub fn is_number(form: &str) -> bool {
        !form.chars().any(char::is_alphabetic)
    }

    /// Steps 1–5 for one token: its key, and its stem ("" when the token is
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

    /// Step 5: the Snowball stem of a term's key (expects step 1's key).
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

    /// Keys by Unicode's CaseFolding.txt (full, F; Turkic, T) and NFKC:
    /// ß → ss, ﬁ → fi, full-width letters and digits → ASCII; İ → i.
    #[test]
    fn keys_are_nfkc_and_full_case_folded() {
        let a = english();
        for (surface, key) in [
            ("İSTANBUL", "istanbul"),
            ("I\u{307}STANBUL", "istanbul"),
            ("Istanbul", "istanbul"),
            ("Straße", "strasse"),
            ("STRAẞE", "strasse"),
            ("ﬁnance", "finance"),
            ("ＵＮ", "un"),
            ("Don’t", "don't"),
            ("_ΣΟΦΊΑ_", "σοφία"),
        ] {
            assert_eq!(a.normalize(surface), key, "{surface}");
        }
        let turkish = Analyzer::new(&AnalyzerOptions {
            language: "turkish".into(),
            ..AnalyzerOptions::default()
        })
        .unwrap();
        assert_eq!(turkish.normalize("İSTANBUL"), "istanbul");
        assert_eq!(turkish.normalize("ISTANBUL"), "ıstanbul");
        assert_eq!(turkish.normalize("ıstanbul"), "ıstanbul");
    }

    /// The display text keeps the original letters (lowercase, NFC); the
    /// key is counted; a possessive leaves both; ASCII has one text.
    #[test]
    fn display_and_key() {
        let a = english();
        let got = a.analyze("Straße’s");
        assert_eq!(got.display, "straße");
        assert_eq!(got.key(), "strasse");
        assert_eq!(got.role, Role::Term);
        let fw = a.analyze("２０２２");
        assert_eq!((fw.key(), fw.role), ("2022", Role::Number));
        assert_eq!(a.analyze("ＴＨＥ").role, Role::Stopword);
        let ascii = a.analyze("Peace");
        assert_eq!((ascii.display.as_str(), ascii.key), ("peace", None));
        assert_eq!(a.analyze("İSTANBUL").display, "i\u{307}stanbul");
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
