//! Integration tests: themes (issue 3) — the default codebook on the
//! statement, the contract's theme tables, and codebook errors.

use std::collections::HashMap;
use std::fs;

use crate::util::{analyze, corpus, root, tempdir, themata, Table};

/// (section_id, theme) → count from themes_by_section.csv.
fn theme_counts(dir: &tempfile::TempDir) -> HashMap<(u32, String), u32> {
    let t = Table::read(&dir.path().join("out/themes_by_section.csv"));
    t.records()
        .iter()
        .map(|r| {
            (
                (r["section_id"].parse().unwrap(), r["theme"].to_string()),
                r["count"].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn hand_counted_themes_on_the_statement() {
    let dir = analyze(&[]);
    let got = theme_counts(&dir);
    // Hand counts from tests/fixtures/themes_hand_counts.md §1 (each match is
    // listed there as `matched text ← pattern`), re-checked with
    // tools/ref/theme_counts.py.
    let expected: &[(u32, &str, u32)] = &[
        // Section 5: secur* ×3, peace*, stabil*.
        (5, "security", 5),
        // pre‑eminent (U+2011 compound), "at the expense of".
        (5, "blocs_double_standards", 2),
        (5, "osce_institutions", 1),
        // Section 7: "double standards", "imbalances".
        (7, "blocs_double_standards", 2),
        (7, "security", 0),
        // Section 8: Chairmanship-in-Office, Secretary General, executive
        // structures, Rules of Procedure, OSCE, decision-making,
        // impartiality, transparency, accountability.
        (8, "osce_institutions", 9),
        // Section 10: 12 threats for the parent (union of its own and its
        // children's patterns), 1 terrorism, 6 crime/trafficking.
        (10, "transnational_threats", 12),
        (10, "transnational_threats.terrorism", 1),
        (10, "transnational_threats.crime_trafficking", 6),
        (10, "security", 3),
        (10, "discrimination_extremism", 0),
        // Section 14: racial, discrimination ×2, anti-Semitism, three
        // *phobia, aggressive nationalism, neo-Nazism.
        (14, "discrimination_extremism", 9),
        (14, "culture_diversity", 4),
        // Section 15: dividing lines, double standards, geo-economics,
        // alliances, unilateral, at the expense of.
        (15, "blocs_double_standards", 6),
        (15, "economy", 3),
        (15, "security", 1),
    ];
    for &(section, theme, count) in expected {
        assert_eq!(
            got[&(section, theme.to_string())],
            count,
            "section {section}, theme {theme}"
        );
    }
}

#[test]
fn theme_tables_are_complete_and_explained_by_the_matches() {
    let dir = analyze(&[]);
    let got = theme_counts(&dir);
    // Zeros included: 18 sections × the 14 themes of data/themes.toml.
    assert_eq!(got.len(), 18 * 14);
    // Every body section (not title, date, signature) is matched by a theme.
    for section in 3..=17 {
        assert!(
            got.iter().any(|((s, _), &c)| *s == section && c > 0),
            "section {section} unmatched"
        );
    }
    // theme_matches.csv sums to the counts, row by row.
    let matches = Table::read(&dir.path().join("out/theme_matches.csv"));
    let mut sums: HashMap<(u32, String), u32> = HashMap::new();
    for r in matches.records() {
        *sums
            .entry((r["section_id"].parse().unwrap(), r["theme"].to_string()))
            .or_default() += r["count"].parse::<u32>().unwrap();
    }
    for (key, count) in &got {
        assert_eq!(sums.get(key).copied().unwrap_or(0), *count, "{key:?}");
    }
    // Document totals are the sums over sections.
    let docs = Table::read(&dir.path().join("out/themes_by_document.csv"));
    for r in docs.records() {
        let total: u32 = got
            .iter()
            .filter(|((_, t), _)| t == r["theme"])
            .map(|(_, c)| c)
            .sum();
        assert_eq!(r["count"], total.to_string(), "{}", r["theme"]);
    }
    // Coverage is a share in [0, 1] and positive for the body.
    let sections = Table::read(&dir.path().join("out/sections.csv"));
    for r in sections.records() {
        let c: f64 = r["coverage"].parse().unwrap();
        assert!((0.0..=1.0).contains(&c));
    }
}

#[test]
fn a_user_codebook_with_phrases_globs_and_nesting() {
    let dir = tempdir();
    let book = dir.path().join("book.toml");
    fs::write(
        &book,
        r#"
[[theme]]
key = "threats"
label = "Threats"
definition = "Parent."
patterns = ["threat*"]

[[theme]]
key = "threats.wmd"
label = "WMD"
definition = "Weapons of mass destruction."
patterns = ["weapon* of mass destruction", "weapons"]
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    themata(&root())
        .args(["analyze", "--quiet", "--themes"])
        .arg(&book)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let t = Table::read(&out.join("themes_by_section.csv"));
    let count = |s: &str, th: &str| {
        t.records()
            .iter()
            .find(|r| r["section_id"] == s && r["theme"] == th)
            .unwrap()["count"]
            .to_string()
    };
    // Section 10 (hand count): "weapons of mass destruction" (phrase wins
    // over "weapons", once), "small weapons" → "weapons" once more = 2.
    assert_eq!(count("10", "threats.wmd"), "2");
    // Parent: its own "threats" ×2 plus the child's 2 = 4.
    assert_eq!(count("10", "threats"), "4");
    let m = Table::read(&out.join("theme_matches.csv"));
    assert!(m
        .records()
        .iter()
        .any(|r| r["matched"] == "weapons of mass destruction"
            && r["pattern"] == "weapon* of mass destruction"));
}

#[test]
fn malformed_codebooks_name_file_line_and_column_and_write_nothing() {
    let cases: &[(&str, &str)] = &[
        (
            "[[theme]]\nkey = \"a\"\nlabels = \"x\"\n",
            "book.toml:3:1: unknown field `labels`",
        ),
        (
            "[[theme]]\nkey = \"a\"\npatterns = [\"x\", \"\"]\n",
            "book.toml:3:19: theme `a`: empty pattern",
        ),
        (
            "[[theme]]\nkey = \"a\"\npatterns = [\"**\"]\n",
            "book.toml:3:14: theme `a`: pattern `**`",
        ),
        (
            "[[theme]]\nkey = \"a\"\n\n[[theme]]\nkey = \"a\"\n",
            "book.toml:5:7: duplicate theme `a`",
        ),
        ("[[theme]]\nkey = \"a\"\npatterns = [\"x]\n", "book.toml:3:"),
    ];
    for (text, message) in cases {
        let dir = tempdir();
        fs::write(dir.path().join("book.toml"), text).unwrap();
        let out = dir.path().join("out");
        let assert = themata(dir.path())
            .args(["analyze", "--themes", "book.toml", "-o"])
            .arg(&out)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(message), "{stderr:?} lacks {message:?}");
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(!out.exists(), "output written for a bad codebook");
        // `themes check` reports the same.
        themata(dir.path())
            .args(["themes", "check", "book.toml"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(*message));
    }
    // Wrong encoding: Latin-1 "é" on line 2, after `key = "caf`.
    let dir = tempdir();
    fs::write(
        dir.path().join("book.toml"),
        b"[[theme]]\nkey = \"caf\xe9\"\n",
    )
    .unwrap();
    themata(dir.path())
        .args(["themes", "check", "book.toml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("book.toml:2:11: not valid UTF-8"));
}

#[test]
fn themes_list_and_check_the_default_codebook() {
    themata(&root())
        .args(["themes", "check", "data/themes.toml"])
        .assert()
        .success()
        .stdout(predicates::str::contains("ok, 14 themes"));
    let out = themata(&root()).args(["themes", "list"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.starts_with("theme\tpatterns\tlabel\tdefinition\n"));
    assert!(text.contains("\ntransnational_threats.terrorism\t"));
}

#[test]
fn default_codebook_runs_over_the_un_corpus() {
    let Some(ungdc) = corpus("ungdc") else { return };
    let dir = tempdir();
    themata(&root())
        .args(["analyze", "--quiet", "--tables", "themes_by_document", "-o"])
        .arg(dir.path())
        .arg(ungdc.join("*/*.txt"))
        .assert()
        .success();
    let t = Table::read(&dir.path().join("themes_by_document.csv"));
    let n_themes = t
        .records()
        .iter()
        .filter(|r| r["doc_id"] == "RUS_77_2022")
        .count();
    assert_eq!(t.rows.len(), 1938 * n_themes);
    // A speech with no `security` match must not contain "secur" or
    // "peace" anywhere (checked on the raw text, independently of the matcher).
    let mut zero = 0;
    for r in t.filter("theme", "security") {
        if r["count"] == "0" {
            zero += 1;
            let year = r["doc_id"].rsplit('_').next().unwrap();
            let text =
                fs::read_to_string(ungdc.join(year).join(format!("{}.txt", r["doc_id"]))).unwrap();
            let lower = text.to_lowercase();
            assert!(
                !lower.contains("secur") && !lower.contains("peace"),
                "{}",
                r["doc_id"]
            );
        }
    }
    assert!(zero < 20, "{zero} speeches without a security match");
}
