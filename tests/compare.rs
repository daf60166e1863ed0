//! Integration tests: compare.
//!
//! `themata compare` on small files written here (expected values by hand or
//! from quanteda's own tests), on the shipped 2022 UN speeches, and on the
//! shared corpora (Austen for tf-idf against the tidytext book; UNGDC for
//! RUS vs USA), which are skipped when absent.

use std::collections::HashMap;
use std::path::Path;

use crate::util::{corpus, root, tempdir, themata, Table};

/// Writes `files` (name, text) into `dir/in/`.
fn write_inputs(dir: &Path, files: &[(&str, &str)]) {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    for (name, text) in files {
        std::fs::write(input.join(name), text).unwrap();
    }
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// quanteda's keyness test documents (tests/testthat/test-textstat_keyness.R).
const QUANTEDA: &[(&str, &str)] = &[
    ("d1.txt", "a a a b b c c c c c c d e f g h h\n"),
    ("d2.txt", "a a b c c d d d d e f h\n"),
];

const RAW: &[&str] = &["--no-stem", "--stopwords", "none", "--themes", "none", "-q"];

#[test]
fn g2_order_matches_quanteda_lr_without_correction() {
    // quanteda test "basic textstat_keyness lr works on two rows":
    // textstat_keyness(mydfm, measure = "lr", correction = "none")$feature
    //   == c("c", "g", "b", "h", "a", "e", "f", "d"); with target = 2:
    //   c("d", "e", "f", "a", "b", "h", "g", "c").
    let dir = tempdir();
    write_inputs(dir.path(), QUANTEDA);
    for (target, expected) in [
        ("d1", ["c", "g", "b", "h", "a", "e", "f", "d"]),
        ("d2", ["d", "e", "f", "a", "b", "h", "g", "c"]),
    ] {
        themata(dir.path())
            .args(["compare", "in", "--target", target, "-o", target])
            .args(RAW)
            .assert()
            .success();
        let t = Table::read(&dir.path().join(target).join("keyness.csv"));
        let stems: Vec<&str> = t.records().iter().map(|r| r["stem"]).collect();
        assert_eq!(stems, expected, "target {target}");
    }
}

#[test]
fn every_measure_on_a_hand_table() {
    // Target t: "x" 3 times among 10 terms; reference r: "x" once among 10 terms.
    // a = 3, b = 1, N_T = N_R = 10, c = 7, d = 9, N = 20; E_a = E_b = 4·10/20 = 2,
    // E_c = E_d = 16·10/20 = 8.
    let dir = tempdir();
    write_inputs(
        dir.path(),
        &[
            ("t.txt", "x x x a b c d e f g\n"),
            ("r.txt", "x h i j k l m n o p\n"),
        ],
    );
    themata(dir.path())
        .args([
            "compare",
            "in",
            "--target",
            "t",
            "--reference",
            "r",
            "-o",
            "out",
        ])
        .args(RAW)
        .assert()
        .success();
    let t = Table::read(&dir.path().join("out/keyness.csv"));
    assert_eq!(t.header.len(), 18);
    let x = &t.filter("stem", "x")[0];
    // Selected by doc_id: the field is `doc_id`, the value the plain id.
    assert_eq!(
        (
            x["target_field"],
            x["target"],
            x["reference_field"],
            x["reference"]
        ),
        ("doc_id", "t", "doc_id", "r")
    );
    assert_eq!((x["count_target"], x["count_reference"]), ("3", "1"));
    assert_eq!((x["total_target"], x["total_reference"]), ("10", "10"));
    assert_eq!(
        (x["per_1000_target"], x["per_1000_reference"]),
        ("300.000000", "100.000000")
    );
    // G² = 2[3 ln(3/2) + 1 ln(1/2) + 7 ln(7/8) + 9 ln(9/8)]
    //    = 2[1.216395 − 0.693147 − 0.934720 + 1.060047] = 2 × 0.648576 = 1.297151
    assert!((num(x["g2"]) - 1.297_151).abs() < 2e-6, "{}", x["g2"]);
    // p = P(χ²₁ ≥ 1.297151) = erfc(√0.648576) = 0.254734
    assert!(
        (num(x["p_value"]) - 0.254_734).abs() < 2e-6,
        "{}",
        x["p_value"]
    );
    // log ratio = log2((3/10)/(1/10)) = log2 3 = 1.584963
    assert_eq!(x["log_ratio"], "1.584963");
    // χ² Yates: |ad − bc| = |27 − 7| = 20 > N/2 = 10;
    // 20 (20 − 10)² / (4 · 16 · 10 · 10) = 2000 / 6400 = 0.3125
    assert_eq!(x["chi2"], "0.312500");
    // α_w = 4, α₀ = 20: δ = ln(7/(10+20−7)) − ln(5/(10+20−5)) = ln(7/23) − ln(5/25)
    //   = −1.189584 − (−1.609438) = 0.419854; σ = √(1/7 + 1/5) = 0.585540; z = 0.717037
    assert!(
        (num(x["log_odds"]) - 0.419_854).abs() < 2e-6,
        "{}",
        x["log_odds"]
    );
    assert!(
        (num(x["log_odds_z"]) - 0.717_037).abs() < 2e-6,
        "{}",
        x["log_odds_z"]
    );
    // "a" is in the target only: a = 1, b = 0; log ratio uses 0.5 for b:
    // log2((1/10)/(0.5/10)) = 1; "h" in the reference only: −1.
    assert_eq!(t.filter("stem", "a")[0]["log_ratio"], "1.000000");
    assert_eq!(t.filter("stem", "h")[0]["log_ratio"], "-1.000000");
    // Sorted by g2 descending, ties by stem. A term only in the target (a = 1, b = 0)
    // outranks x: G² = 2[1 ln(1/0.5) + 9 ln(9/9.5) + 10 ln(10/9.5)] = 1.439 > 1.297,
    // so a…g (tied) come first, in stem order, then x.
    let stems: Vec<&str> = t.records().iter().map(|r| r["stem"]).collect();
    assert_eq!(stems[..8], ["a", "b", "c", "d", "e", "f", "g", "x"]);
    assert_eq!(t.records().last().unwrap()["count_target"], "0");
    // --sort log_ratio: x (log2 3 = 1.584963) first, then the target-only terms
    // a…g (log2((1/10)/(0.5/10)) = 1), ties by stem.
    themata(dir.path())
        .args([
            "compare",
            "in",
            "--target",
            "t",
            "--sort",
            "log_ratio",
            "-o",
            "lr",
        ])
        .args(RAW)
        .assert()
        .success();
    let lr = Table::read(&dir.path().join("lr/keyness.csv"));
    assert_eq!(lr.records()[0]["stem"], "x");
    assert_eq!(lr.records()[1]["stem"], "a");
}

#[test]
fn no_nan_inf_or_empty_cells() {
    let dir = tempdir();
    write_inputs(
        dir.path(),
        &[
            ("one.txt", "solo word\n"),
            ("two.txt", "solo solo other\n"),
            ("three.txt", "different words entirely\n"),
        ],
    );
    for unit in ["term", "ngram", "theme"] {
        let out = format!("out-{unit}");
        themata(dir.path())
            .args([
                "compare", "in", "--by", "doc_id", "--unit", unit, "-o", &out, "-q",
            ])
            .args(["--no-stem", "--stopwords", "none"])
            .assert()
            .success();
        for table in ["keyness", "tfidf", "similarity", "themes_by_group"] {
            let t = Table::read(&dir.path().join(&out).join(format!("{table}.csv")));
            for r in t.records() {
                for (&column, &cell) in &r {
                    // The one empty cell allowed: the rest of the corpus has no field.
                    let rest = column
                        .strip_suffix("_field")
                        .is_some_and(|side| r[side] == "rest");
                    let bad =
                        (cell.is_empty() && !rest) || cell.contains("NaN") || cell.ends_with("inf");
                    assert!(!bad, "{unit} {table}.csv: {r:?}");
                }
            }
        }
    }
}

#[test]
fn selection_errors_name_the_expression_and_write_nothing() {
    let dir = tempdir();
    write_inputs(dir.path(), QUANTEDA);
    let cases: &[(&[&str], &str)] = &[
        (&["--target", "country=XXX"], "no metadata field `country`"),
        (
            &[
                "--meta-pattern",
                "{country}_{session}_{year}",
                "--target",
                "country=XXX",
            ],
            "--target country=XXX: selects no document",
        ),
        (&["--target", "d3"], "--target d3: selects no document"),
        (&["--target", "d1", "--reference", "d1"], "both select d1"),
        (&["--target", "doc_id=d1,d2"], "rest of the corpus is empty"),
        (&["--by", "folder"], "needs at least two groups"),
        (&["--target", "d1", "--by", "doc_id"], "cannot be used with"),
    ];
    for (args, message) in cases {
        themata(dir.path())
            .args(["compare", "in", "-o", "out"])
            .args(RAW)
            .args(*args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(*message));
        assert!(!dir.path().join("out/keyness.csv").exists(), "{args:?}");
    }
}

#[test]
fn an_empty_group_is_an_error() {
    // A document of stopwords only has no terms: comparing it is an error, not NaN.
    let dir = tempdir();
    write_inputs(
        dir.path(),
        &[
            ("empty.txt", "the and of\n"),
            ("full.txt", "peace security\n"),
        ],
    );
    themata(dir.path())
        .args(["compare", "in", "--target", "empty", "-o", "out", "-q"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "`empty`: its 1 document has nothing to count",
        ));
}

#[test]
fn shipped_speeches_by_country_with_metadata() {
    let dir = tempdir();
    let data = root().join("data/ungdc-2022");
    let run = || {
        themata(dir.path())
            .arg("compare")
            .arg(data.join("*.txt"))
            .args([
                "--meta-pattern",
                "{country}_{session}_{year}",
                "--by",
                "country",
                "-o",
                "out",
                "-q",
            ])
            .assert()
            .success();
    };
    run();
    let out = dir.path().join("out");
    let k = Table::read(&out.join("keyness.csv"));
    let targets: Vec<&str> = {
        let mut v: Vec<&str> = k.records().iter().map(|r| r["target"]).collect();
        v.dedup();
        v
    };
    // Plain values; the field in its own column; the rest of the corpus has no field.
    assert_eq!(targets, ["BLR", "RUS", "UKR", "USA"]);
    assert!(k.records().iter().all(|r| r["target_field"] == "country"
        && r["reference_field"].is_empty()
        && r["reference"] == "rest"));
    // Every row is checkable by hand: recompute G² from the counts beside it.
    for r in k.records() {
        let (a, b, nt, nr) = (
            num(r["count_target"]),
            num(r["count_reference"]),
            num(r["total_target"]),
            num(r["total_reference"]),
        );
        let (c, d, n) = (nt - a, nr - b, nt + nr);
        let term = |o: f64, e: f64| if o > 0.0 { o * (o / e).ln() } else { 0.0 };
        let g = 2.0
            * (term(a, (a + b) * nt / n)
                + term(b, (a + b) * nr / n)
                + term(c, (c + d) * nt / n)
                + term(d, (c + d) * nr / n));
        let signed = if a / nt >= b / nr { g } else { -g };
        assert!((num(r["g2"]) - signed).abs() < 1e-5, "{r:?}");
    }
    // Groups of one document: similarity between the four countries, doc_a < doc_b.
    let s = Table::read(&out.join("similarity.csv"));
    assert_eq!(s.header, ["field", "doc_a", "doc_b", "cosine"]);
    assert_eq!(s.rows.len(), 6);
    assert_eq!(s.records()[0]["doc_a"], "BLR");
    for r in s.records() {
        assert_eq!(r["field"], "country");
        assert!(r["doc_a"] < r["doc_b"]);
        assert!((0.0..=1.0).contains(&num(r["cosine"])));
    }
    // Theme rates side by side: every theme for every country.
    let th = Table::read(&out.join("themes_by_group.csv"));
    assert_eq!(
        th.header,
        ["field", "group", "theme", "count", "n_terms", "per_1000"]
    );
    assert_eq!(th.rows.len() % 4, 0);
    assert_eq!(
        (th.records()[0]["field"], th.records()[0]["group"]),
        ("country", "BLR")
    );
    // Reruns are byte-identical.
    let first = std::fs::read(out.join("keyness.csv")).unwrap();
    run();
    assert_eq!(first, std::fs::read(out.join("keyness.csv")).unwrap());
}

#[test]
fn statement_against_two_speeches() {
    // The README example: the statement (folder corpus) against RUS and BLR 2022.
    let dir = tempdir();
    let r = root();
    themata(dir.path())
        .arg("compare")
        .arg(r.join("data/corpus"))
        .arg(r.join("data/ungdc-2022/*.txt"))
        .args([
            "--meta-pattern",
            "{country}_{session}_{year}",
            "--target",
            "folder=corpus",
        ])
        .args([
            "--reference",
            "country=RUS",
            "--reference",
            "country=BLR",
            "--min-count",
            "3",
            "-o",
            "out",
            "-q",
        ])
        .assert()
        .success();
    let k = Table::read(&dir.path().join("out/keyness.csv"));
    let pairs: Vec<[&str; 4]> = {
        let mut v: Vec<[&str; 4]> = k
            .records()
            .iter()
            .map(|r| {
                [
                    r["target_field"],
                    r["target"],
                    r["reference_field"],
                    r["reference"],
                ]
            })
            .collect();
        v.dedup();
        v
    };
    assert_eq!(
        pairs,
        [
            ["folder", "corpus", "country", "RUS"],
            ["folder", "corpus", "country", "BLR"]
        ]
    );
    assert!(k
        .records()
        .iter()
        .all(|r| num(r["count_target"]) + num(r["count_reference"]) >= 3.0));
    // The statement is about the OSCE; the speeches hardly mention it.
    let top = &k.records()[0];
    assert_eq!(top["stem"], "osc", "{top:?}");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["command"], "compare");
    assert_eq!(
        manifest["comparisons"][0]["documents_reference"][0],
        "RUS_77_2022"
    );
    assert!(manifest["formulas"]["g2"]
        .as_str()
        .unwrap()
        .contains("no correction"));
    assert!(manifest["formulas"]["tfidf"]
        .as_str()
        .unwrap()
        .contains("bind_tf_idf"));
}

#[test]
fn analyze_writes_metadata_columns() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("meta.csv"),
        "doc_id,region\nRUS_77_2022,Europe\n",
    )
    .unwrap();
    themata(dir.path())
        .arg("analyze")
        .arg(root().join("data/ungdc-2022/*.txt"))
        .args([
            "--meta-pattern",
            "{country}_{session}_{year}",
            "--meta",
            "meta.csv",
            "-o",
            "out",
            "-q",
        ])
        .assert()
        .success();
    let t = Table::read(&dir.path().join("out/documents.csv"));
    assert_eq!(&t.header[..3], ["doc_id", "source", "title"]);
    assert_eq!(
        &t.header[t.header.len() - 5..],
        ["country", "session", "year", "region", "folder"]
    );
    let rus = &t.filter("doc_id", "RUS_77_2022")[0];
    assert_eq!(
        (rus["country"], rus["year"], rus["region"], rus["folder"]),
        ("RUS", "2022", "Europe", "ungdc-2022")
    );
    assert_eq!(t.filter("doc_id", "USA_77_2022")[0]["region"], "");
}

#[test]
fn tfidf_on_austen_matches_tidytext() {
    let austen = corpus("austen");
    let dir = tempdir();
    // Tokens as tidytext's unnest_tokens keeps them: no stopwords, no stems,
    // possessives and numbers kept, hyphenated words split.
    themata(dir.path())
        .arg("compare")
        .arg(austen.join("*.txt"))
        .args([
            "--target",
            "emma",
            "-o",
            "out",
            "-q",
            "--no-stem",
            "--stopwords",
            "none",
            "--themes",
            "none",
        ])
        .args(["--keep-possessives", "--keep-numbers", "--hyphens", "split"])
        .assert()
        .success();
    let t = Table::read(&dir.path().join("out/tfidf.csv"));
    let mut total: HashMap<&str, f64> = HashMap::new();
    for r in t.records() {
        *total.entry(r["doc_id"]).or_default() += num(r["count"]);
    }
    // Totals as in "Text Mining with R" ch. 3 (book_words, total = sum(n) per book):
    // Pride & Prejudice 122204, Mansfield Park 160460, Emma 160996.
    assert_eq!(total["pride_and_prejudice"], 122_204.0);
    assert_eq!(total["mansfield_park"], 160_460.0);
    assert_eq!(total["emma"], 160_996.0);
    let row = |doc: &str, word: &str| {
        t.records()
            .into_iter()
            .find(|r| r["doc_id"] == doc && r["stem"] == word)
            .map(|r| {
                (
                    num(r["count"]),
                    num(r["tf"]),
                    num(r["idf"]),
                    num(r["tf_idf"]),
                )
            })
            .unwrap_or_else(|| panic!("{doc} {word}"))
    };
    // The book's top rows (n, tf, idf, tf_idf to 3 significant digits):
    // Sense & Sensibility elinor 623 0.00519 1.79 0.00931; marianne 492 0.00410 1.79 0.00735;
    // Mansfield Park crawford 493 0.00307 1.79 0.00551; Emma emma 786 0.00488 1.10 0.00536.
    for (doc, word, n, tf, idf, x) in [
        (
            "sense_and_sensibility",
            "elinor",
            623.0,
            0.00519,
            1.79,
            0.00931,
        ),
        (
            "sense_and_sensibility",
            "marianne",
            492.0,
            0.00410,
            1.79,
            0.00735,
        ),
        ("mansfield_park", "crawford", 493.0, 0.00307, 1.79, 0.00551),
        ("emma", "emma", 786.0, 0.00488, 1.10, 0.00536),
    ] {
        let got = row(doc, word);
        assert_eq!(got.0, n, "{doc} {word}");
        for (g, w) in [(got.1, tf), (got.2, idf), (got.3, x)] {
            assert!((g - w).abs() / w < 5e-3, "{doc} {word}: {got:?}");
        }
    }
    // An independent count for "elinor": n from splitting the lowercased text
    // on characters other than letters, digits and apostrophes (so "elinor's"
    // stays a word of its own, as with --keep-possessives); df = the books
    // containing it; D = 6.
    let mut df = 0;
    let mut n_sense = 0;
    for entry in std::fs::read_dir(&austen).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt") {
            let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
            let n = text
                .split(|c: char| !(c.is_alphanumeric() || c == '\''))
                .filter(|w| w.trim_matches('\'') == "elinor")
                .count();
            df += usize::from(n > 0);
            if path.file_stem().unwrap() == "sense_and_sensibility" {
                n_sense = n;
            }
        }
    }
    let (n, tf, idf, x) = row("sense_and_sensibility", "elinor");
    assert_eq!(n, n_sense as f64);
    // tf and tf_idf are written with 7 significant digits, idf with 6 decimals.
    assert!((tf / (n / total["sense_and_sensibility"]) - 1.0).abs() < 1e-6);
    assert!((idf - (6.0 / df as f64).ln()).abs() < 1e-6);
    assert!((x / (tf * idf) - 1.0).abs() < 1e-6);
    // A word in all six books has idf 0.
    assert_eq!(row("emma", "the").2, 0.0);
}

#[test]
fn russia_against_usa_over_ten_years() {
    let ungdc = corpus("ungdc");
    let dir = tempdir();
    themata(dir.path())
        .arg("compare")
        .arg(ungdc.join("*/*.txt"))
        .args([
            "--meta-pattern",
            "{country}_{session}_{year}",
            "--target",
            "country=RUS",
        ])
        .args(["--reference", "country=USA", "-o", "out", "-q"])
        .assert()
        .success();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/manifest.json")).unwrap(),
    )
    .unwrap();
    let c = &manifest["comparisons"][0];
    assert_eq!(c["documents_target"].as_array().unwrap().len(), 10);
    assert_eq!(c["documents_reference"].as_array().unwrap().len(), 10);
    // similarity.csv: the 20 speeches compared, 20·19/2 pairs.
    assert_eq!(
        Table::read(&dir.path().join("out/similarity.csv"))
            .rows
            .len(),
        190
    );
    let k = Table::read(&dir.path().join("out/keyness.csv"));
    let first = &k.records()[0];
    assert!(
        num(first["g2"]) > 0.0 && num(first["log_ratio"]) > 0.0,
        "{first:?}"
    );
}

/// The UN General Debate corpus; the tests that use it fail without it.
fn ungdc() -> std::path::PathBuf {
    corpus("ungdc")
}

#[test]
fn log_odds_z_has_the_sign_of_log_ratio_for_every_unit() {
    // Regression (issue 14): with --unit theme the prior's α₀ was the sum of the
    // theme counts while the totals were terms, and log_odds_z had the opposite
    // sign to g2 in 1,618 of 2,744 rows of `--by country --unit theme`. Wherever
    // the rates clearly differ (|log_ratio| > 0.1) on counts that are not tiny
    // (both >= 5), the weighted log-odds must point the same way as the rates.
    let dir = tempdir();
    let runs: &[(&str, &str)] = &[
        ("term", "year"),
        ("ngram", "year"),
        ("theme", "year"),
        ("theme", "country"),
    ];
    for &(unit, by) in runs {
        let out = format!("{unit}-{by}");
        themata(dir.path())
            .arg("compare")
            .arg(ungdc())
            .args(["--meta-pattern", "{country}_{session}_{year}"])
            .args(["--by", by, "--unit", unit, "--charts", "none", "-q"])
            // Both counts >= 5 implies a + b >= 10: the floor keeps the table small.
            .args(["--min-count", "10", "-o", &out])
            .assert()
            .success();
        let k = Table::read(&dir.path().join(&out).join("keyness.csv"));
        let mut checked = 0;
        for r in k.records() {
            let (a, b) = (num(r["count_target"]), num(r["count_reference"]));
            let lr = num(r["log_ratio"]);
            if lr.abs() <= 0.1 || a < 5.0 || b < 5.0 {
                continue;
            }
            let z = num(r["log_odds_z"]);
            assert!(
                z != 0.0 && z.signum() == lr.signum(),
                "{unit} --by {by}: {r:?}"
            );
            checked += 1;
        }
        // Rows checked (release build, November 2026): term 28,868, ngram 18,921,
        // theme by year 108, theme by country 2,149.
        assert!(
            checked > 100,
            "{unit} --by {by}: only {checked} rows checked"
        );
    }
}

/// Two overlapping themes: `p` = peace, `q` = peace or war.
const OVERLAPPING_THEMES: &str = r#"
[[theme]]
key = "p"
label = "P"
definition = "Peace."
patterns = ["peace"]

[[theme]]
key = "q"
label = "Q"
definition = "Peace or war."
patterns = ["peace", "war"]
"#;

#[test]
fn theme_log_odds_by_hand() {
    // Target t: 10 terms, "peace" 2×, "war" 1×; reference r: 20 terms, "peace" 1×,
    // "war" 3×. Theme p: a = 2, b = 1; theme q: a = 3, b = 4. The themes overlap,
    // so their counts (10) are not the terms (30): the totals are N_T = 10, N_R = 20.
    let dir = tempdir();
    write_inputs(
        dir.path(),
        &[
            (
                "t.txt",
                "peace peace war alpha beta gamma delta epsilon eta theta\n",
            ),
            (
                "r.txt",
                "peace war war war alpha beta gamma delta epsilon zeta \
                 iota kappa lambda mu nu xi omicron pi rho sigma\n",
            ),
        ],
    );
    std::fs::write(dir.path().join("themes.toml"), OVERLAPPING_THEMES).unwrap();
    themata(dir.path())
        .args(["compare", "in", "--target", "t", "--unit", "theme"])
        .args([
            "--themes",
            "themes.toml",
            "--no-stem",
            "--stopwords",
            "none",
        ])
        .args(["-o", "out", "-q"])
        .assert()
        .success();
    let k = Table::read(&dir.path().join("out/keyness.csv"));
    let row = |theme: &str| k.filter("stem", theme)[0].clone();
    let p = row("p");
    assert_eq!(
        [
            p["count_target"],
            p["count_reference"],
            p["total_target"],
            p["total_reference"]
        ],
        ["2", "1", "10", "20"]
    );
    // Prior: α_w = a + b, α₀ = N_T + N_R = 30 (the pooled term total; the old,
    // wrong α₀ was the sum of theme counts, 3 + 7 = 10, giving δ = 0.773190).
    // p: α_w = 3. δ = ln[(2+3)/(10+30−2−3)] − ln[(1+3)/(20+30−1−3)]
    //   = ln(5/35) − ln(4/46) = −1.945910 − (−2.442347) = 0.496437;
    //   σ = √(1/5 + 1/4) = 0.670820; z = 0.496437 / 0.670820 = 0.740044.
    assert_eq!((p["log_odds"], p["log_odds_z"]), ("0.496437", "0.740044"));
    // q: α_w = 7. δ = ln[(3+7)/(10+30−3−7)] − ln[(4+7)/(20+30−4−7)]
    //   = ln(10/30) − ln(11/39) = −1.098612 − (−1.265666) = 0.167054;
    //   σ = √(1/10 + 1/11) = 0.436931; z = 0.167054 / 0.436931 = 0.382335.
    // Rates 3/10 > 4/20 (log_ratio = log2 1.5 = 0.584963): the same sign.
    let q = row("q");
    assert_eq!((q["log_odds"], q["log_odds_z"]), ("0.167054", "0.382335"));
    assert_eq!(q["log_ratio"], "0.584963");
}

#[test]
fn undefined_values_are_empty_cells() {
    // (1) One term is all of both sides: a = N_T = 2, b = N_R = 1, α_w = 3, α₀ = 3,
    // so N_T + α₀ − a − α_w = 0: δ = ln(5/0) − ln(4/0) is undefined. It used to be
    // written 0.000000. G² is 0 (c = d = 0, equal rates), log ratio log2(1) = 0.
    let dir = tempdir();
    write_inputs(dir.path(), &[("t.txt", "solo solo\n"), ("r.txt", "solo\n")]);
    themata(dir.path())
        .args(["compare", "in", "--target", "t", "-o", "one"])
        .args(RAW)
        .assert()
        .success();
    let k = Table::read(&dir.path().join("one/keyness.csv"));
    let solo = &k.records()[0];
    assert_eq!((solo["log_odds"], solo["log_odds_z"]), ("", ""));
    assert_eq!((solo["g2"], solo["log_ratio"]), ("0.000000", "0.000000"));
    // (2) A theme matching a stopword: "the" 3× in a side of 1 term ("peace"), so
    // a = 3 > N_T = 1 and c = −2 is no count. G², p, χ² and the log-odds are empty;
    // the log ratio, a ratio of rates, is log2((3/1)/(0.5/2)) = log2 12 = 3.584963.
    std::fs::write(
        dir.path().join("the.toml"),
        "[[theme]]\nkey = \"the\"\nlabel = \"The\"\ndefinition = \"The.\"\npatterns = [\"the\"]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("in/t.txt"), "the the the peace\n").unwrap();
    std::fs::write(dir.path().join("in/r.txt"), "war and peace\n").unwrap();
    themata(dir.path())
        .args(["compare", "in", "--target", "t", "--unit", "theme"])
        .args(["--themes", "the.toml", "-o", "theme", "-q"])
        .assert()
        .success();
    let k = Table::read(&dir.path().join("theme/keyness.csv"));
    let the = &k.records()[0];
    assert_eq!((the["count_target"], the["total_target"]), ("3", "1"));
    for column in ["g2", "p_value", "chi2", "log_odds", "log_odds_z"] {
        assert_eq!(the[column], "", "{column}: {the:?}");
    }
    assert_eq!(the["log_ratio"], "3.584963");
}

#[test]
fn top_and_max_p_keep_the_key_rows() {
    // quanteda's documents, d1 against d2: the full order by G² is
    // c, g, b, h, a, e, f, d (g2_order_matches_quanteda_lr_without_correction).
    let dir = tempdir();
    write_inputs(dir.path(), QUANTEDA);
    let run = |out: &str, extra: &[&str]| {
        themata(dir.path())
            .args(["compare", "in", "--target", "d1", "-o", out])
            .args(RAW)
            .args(extra)
            .assert()
            .success();
        Table::read(&dir.path().join(out).join("keyness.csv"))
    };
    let stems =
        |t: &Table| -> Vec<String> { t.records().iter().map(|r| r["stem"].to_string()).collect() };
    let all = run("all", &[]);
    // --top 2: the two highest G² (most characteristic of d1) and the two lowest
    // (of d2), in the table's order.
    assert_eq!(stems(&run("top2", &["--top", "2"])), ["c", "g", "f", "d"]);
    // --top 4 covers all 8 rows: nothing is left out, nothing repeated.
    assert_eq!(stems(&run("top4", &["--top", "4"])), stems(&all));
    // --max-p 0.5 keeps exactly the rows of the full table with p_value <= 0.5.
    let kept = run("p", &["--max-p", "0.5"]);
    let expected: Vec<String> = all
        .records()
        .iter()
        .filter(|r| num(r["p_value"]) <= 0.5)
        .map(|r| r["stem"].to_string())
        .collect();
    assert!(!expected.is_empty() && expected.len() < all.rows.len());
    assert_eq!(stems(&kept), expected);
    // Both: --max-p first, then --top among what is left.
    let both = run("both", &["--max-p", "0.5", "--top", "1"]);
    assert_eq!(
        stems(&both),
        [expected[0].clone(), expected[expected.len() - 1].clone()]
    );
    // Nonsense values are usage errors (exit 2), nothing written.
    for bad in [
        &["--top", "0"][..],
        &["--max-p", "1.5"],
        &["--max-p", "-0.1"],
        &["--max-p", "NaN"],
    ] {
        themata(dir.path())
            .args(["compare", "in", "--target", "d1", "-o", "bad"])
            .args(RAW)
            .args(bad)
            .assert()
            .code(2);
        assert!(!dir.path().join("bad").exists(), "{bad:?}");
    }
}
