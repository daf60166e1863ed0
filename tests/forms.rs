//! Integration tests: a form's display text and its counting key (issue 14).
//!
//! Terms and codebook patterns are compared by their key (NFKC, full case
//! folding, NFKC), while tables show the most frequent original lowercase
//! form; n-grams are shown by their most frequent exact sequence of display
//! forms. Expected counts are hand counts of the tiny texts written here.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use crate::util::{root, tempdir, themata, Table};

/// Runs `themata analyze in -o out EXTRA…` in `dir` on `files` (name, text)
/// written to `dir/in`.
fn analyze_files(dir: &Path, files: &[(&str, &str)], extra: &[&str]) {
    let input = dir.join("in");
    fs::create_dir_all(&input).unwrap();
    for (name, text) in files {
        fs::write(input.join(name), text).unwrap();
    }
    themata(dir)
        .args(["analyze", "in", "-o", "out", "--quiet"])
        .args(extra)
        .assert()
        .success();
}

/// Matches of theme `city` (pattern `istanbul`) in `text`, with `extra`
/// options.
fn istanbul_matches(text: &str, extra: &[&str]) -> u32 {
    let dir = tempdir();
    let book = dir.path().join("book.toml");
    fs::write(
        &book,
        "[[theme]]\nkey = \"city\"\nlabel = \"City\"\npatterns = [\"istanbul\"]\n",
    )
    .unwrap();
    let mut args = vec!["--themes", book.to_str().unwrap()];
    args.extend_from_slice(extra);
    analyze_files(dir.path(), &[("d.txt", text)], &args);
    let t = Table::read(&dir.path().join("out/themes_by_document.csv"));
    t.filter("theme", "city")
        .iter()
        .map(|r| r["count"].parse::<u32>().unwrap())
        .sum()
}

#[test]
fn dotted_capital_i_matches_istanbul_in_every_language() {
    // Hand count: three spellings, each once.
    for text in ["İSTANBUL", "Istanbul", "ISTANBUL", "I\u{307}STANBUL"] {
        assert_eq!(istanbul_matches(text, &[]), 1, "{text}");
    }
    assert_eq!(istanbul_matches("İSTANBUL. Istanbul. ISTANBUL.", &[]), 3);
    // Turkish folds İ to i and I to ı (dotless), as Unicode's Turkic
    // folding does: only the dotted capital spells "istanbul" there.
    assert_eq!(
        istanbul_matches("İSTANBUL. Istanbul. ISTANBUL.", &["--lang", "turkish"]),
        1
    );
}

/// (stem → (term, count)) of terms_by_document.csv of one document.
fn terms(dir: &Path) -> HashMap<String, (String, u32)> {
    let t = Table::read(&dir.join("out/terms_by_document.csv"));
    t.records()
        .iter()
        .map(|r| {
            (
                r["stem"].to_string(),
                (r["term"].to_string(), r["count"].parse().unwrap()),
            )
        })
        .collect()
}

#[test]
fn sharp_s_ligatures_and_full_width_letters_count_as_their_letters() {
    let dir = tempdir();
    let text = "Straße, Straße, STRASSE. ﬁnance, ﬁnance, finance. ＵＮ, UN. ２０２２ 2022.";
    analyze_files(dir.path(), &[("d.txt", text)], &[]);
    let got = terms(dir.path());
    // Hand count: one stem each; the display is the most frequent original
    // lowercase form ("straße" 2 against "strasse" 1, "ﬁnance" 2 against
    // "finance" 1, "ｕｎ" and "un" once each: the smaller text).
    let want: HashMap<String, (String, u32)> = [
        ("strass", ("straße", 3)),
        ("financ", ("ﬁnance", 3)),
        ("un", ("un", 2)),
    ]
    .into_iter()
    .map(|(s, (t, c))| (s.to_string(), (t.to_string(), c)))
    .collect();
    // Full-width digits are a number, as "2022" is: not a term.
    assert_eq!(got, want);
}

/// (doc_id, ngram) → count of ngrams_by_document.csv.
fn ngrams(out: &Path) -> Vec<(String, String, u32)> {
    let t = Table::read(&out.join("ngrams_by_document.csv"));
    t.records()
        .iter()
        .map(|r| {
            (
                r["doc_id"].to_string(),
                r["ngram"].to_string(),
                r["count"].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn an_ngram_is_shown_by_its_most_frequent_exact_sequence() {
    let dir = tempdir();
    // One run of terms (punctuation does not end a run): every nation
    // every nation united nations united nations united nations. The stem
    // "nation" is "nations" 3 times and "nation" twice, yet "every
    // nations" never occurs.
    let text = "Every nation; every nation; United Nations, United Nations, United Nations.";
    analyze_files(dir.path(), &[("d.txt", text)], &["--ngrams", "2"]);
    let got = ngrams(&dir.path().join("out"));
    let want = [
        // (unit, nation): "united nations" ×3.
        ("united nations", 3),
        // (nation, unit): "nation united" ×1, "nations united" ×2.
        ("nations united", 3),
        // (every, nation): "every nation" ×2.
        ("every nation", 2),
        // (nation, every): "nation every" ×1.
        ("nation every", 1),
    ];
    // Row order: n, count descending, text.
    let want: Vec<(String, String, u32)> = [want[1], want[0], want[2], want[3]]
        .iter()
        .map(|&(t, c)| ("d".to_string(), t.to_string(), c))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn ties_between_sequences_go_to_the_smaller_text() {
    let dir = tempdir();
    // (every, nation) twice: "every nations" once, "every nation" once.
    let text = "Every nations; every nation.";
    analyze_files(dir.path(), &[("d.txt", text)], &["--ngrams", "2"]);
    let got = ngrams(&dir.path().join("out"));
    assert!(
        got.contains(&("d".into(), "every nation".into(), 2)),
        "{got:?}"
    );
}

#[test]
fn compare_shows_the_corpus_most_frequent_sequence() {
    let dir = tempdir();
    let input = dir.path().join("in");
    fs::create_dir_all(&input).unwrap();
    // a: "every nation" 1, "every nations" 2 (a shows "every nations");
    // b: "every nation" 2. In the corpus "every nation" 3 against 2.
    fs::write(
        input.join("a.txt"),
        "Every nation. Every nations. Every nations.",
    )
    .unwrap();
    fs::write(input.join("b.txt"), "Every nation. Every nation.").unwrap();
    themata(dir.path())
        .args(["analyze", "in", "-o", "out", "--quiet"])
        .assert()
        .success();
    let by_doc = ngrams(&dir.path().join("out"));
    assert!(by_doc.contains(&("a".into(), "every nations".into(), 3)));
    assert!(by_doc.contains(&("b".into(), "every nation".into(), 2)));
    themata(dir.path())
        .args(["compare", "in", "--by", "doc_id", "--unit", "ngram"])
        .args(["-o", "cmp", "--quiet", "--charts", "none"])
        .assert()
        .success();
    let t = Table::read(&dir.path().join("cmp/keyness.csv"));
    let terms: HashSet<&str> = t
        .records()
        .iter()
        .filter(|r| r["stem"] == "everi nation")
        .map(|r| r["term"])
        .collect();
    assert_eq!(terms, HashSet::from(["every nation"]));
}

/// The document text as the n-gram test reads it: lowercase (display
/// forms are lowercase and NFC), U+2019 as `'`, U+2010 and U+2011 as `-`
/// (compounds are shown with `-`), cut into words at every character that
/// is not a letter, digit or mark, except `'` and `.` between two letters
/// or two digits (`qur'an`, `u.s`, `3.14`), `,` and `;` between two digits
/// (`1,000`), and `-` and `_` between two word characters (`g-7`): Unicode
/// word boundaries (UAX #29, with `@` a letter as for ICU) in short, plus compounds. A word's possessive
/// `'s` is dropped, as the analysis drops it.
fn verbatim_words(text: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    let text: String = text
        .nfc()
        .collect::<String>()
        .to_lowercase()
        .replace('\u{2019}', "'")
        .replace(['\u{2010}', '\u{2011}'], "-");
    let chars: Vec<char> = text.chars().collect();
    // `@` is a letter for ICU's word breaks (`unep@50` is one word).
    let letter = |c: char| {
        c.is_alphabetic() || c == '@' || unicode_normalization::char::is_combining_mark(c)
    };
    let digit = |c: char| c.is_numeric();
    let word = |c: char| letter(c) || digit(c);
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let (before, after) = match (i.checked_sub(1).map(|j| chars[j]), chars.get(i + 1)) {
            (Some(b), Some(&a)) => (b, a),
            _ => (' ', ' '),
        };
        let inner = match c {
            '\'' | '.' => (letter(before) && letter(after)) || (digit(before) && digit(after)),
            ',' | ';' => digit(before) && digit(after),
            '-' | '_' => word(before) && word(after),
            _ => false,
        };
        out.push(if word(c) || inner { c } else { ' ' });
    }
    out.split_whitespace()
        .map(|w| w.strip_suffix("'s").unwrap_or(w).to_string())
        .collect()
}

/// Every n-gram of ngrams_by_document.csv of the 2022 UN speeches occurs
/// verbatim in its document: its words, in order, are consecutive words of
/// the text as [`verbatim_words`] reads it. So between two words of an
/// n-gram the text has only white space and punctuation (n-grams run
/// across punctuation, never across a word that is not a term), and a
/// compound is shown with `-` where the text has a hyphen.
#[test]
fn every_ngram_of_the_un_2022_speeches_occurs_verbatim() {
    let corpus = root().join("../shared/corpora/ungdc/2022");
    assert!(corpus.is_dir(), "{} is missing", corpus.display());
    let dir = tempdir();
    themata(dir.path())
        .arg("analyze")
        .arg(&corpus)
        .args(["-o", "out", "--quiet", "--ngrams", "3", "--themes", "none"])
        .assert()
        .success();
    let rows = ngrams(&dir.path().join("out"));
    let mut by_doc: HashMap<&str, Vec<&str>> = HashMap::new();
    for (doc, ngram, _) in &rows {
        by_doc.entry(doc).or_default().push(ngram);
    }
    assert_eq!(by_doc.len(), 193);
    let mut missing = Vec::new();
    for (doc, grams) in &by_doc {
        let text = fs::read_to_string(corpus.join(format!("{doc}.txt"))).unwrap();
        let words = verbatim_words(&text);
        let mut seen: HashSet<String> = HashSet::new();
        for n in 2..=3 {
            seen.extend(words.windows(n).map(|w| w.join(" ")));
        }
        missing.extend(
            grams
                .iter()
                .filter(|g| !seen.contains(**g))
                .map(|g| format!("{doc}: {g}")),
        );
    }
    assert!(rows.len() > 100_000, "{} rows", rows.len());
    assert!(
        missing.is_empty(),
        "{} not verbatim: {:?}",
        missing.len(),
        &missing[..missing.len().min(20)]
    );
}
