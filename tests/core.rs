//! Integration tests: the core pipeline (issue 2) on the statement, the
//! Austen novels and the UN corpus.

use std::collections::HashMap;
use std::fs;

use crate::util::{analyze, corpus, root, tempdir, themata, Table};

const STATEMENT: &str = "2022-12-02_belarus-russia_joint-statement_osce";

#[test]
fn statement_has_18_sections_of_the_expected_kinds_and_token_counts() {
    let dir = analyze(&[]);
    let sections = Table::read(&dir.path().join("out/sections.csv"));
    let kinds: Vec<&str> = sections
        .rows
        .iter()
        .map(|r| r[sections.col("kind")].as_str())
        .collect();
    // The statement's structure (shared/statement/README.md): title, date, 7
    // preamble paragraphs, 7 en-dash list items, closing paragraph, signature.
    let mut expected = vec!["title", "date"];
    expected.extend(["paragraph"; 7]);
    expected.extend(["list_item"; 7]);
    expected.extend(["paragraph", "signature"]);
    assert_eq!(kinds, expected);
    // Hand count (tests/fixtures/statement_hand_counts.md, column n_tokens,
    // read token by token and checked with ICU's word break iterator).
    let tokens: Vec<u64> = sections
        .rows
        .iter()
        .map(|r| r[sections.col("n_tokens")].parse().unwrap())
        .collect();
    assert_eq!(
        tokens,
        [20, 3, 50, 42, 55, 35, 19, 38, 25, 49, 44, 28, 24, 32, 47, 18, 16, 9]
    );
    let labels: Vec<&str> = sections
        .rows
        .iter()
        .map(|r| r[sections.col("label")].as_str())
        .collect();
    assert_eq!(labels[2], "Reaffirming the commitment to");
    assert_eq!(labels[9], "joining efforts to counter");
    assert_eq!(labels[17], "The Ministry of Foreign");

    let docs = Table::read(&dir.path().join("out/documents.csv"));
    let d = &docs.records()[0];
    assert_eq!(d["doc_id"], STATEMENT);
    assert_eq!(d["n_sections"], "18");
    assert_eq!(d["n_tokens"], "554"); // hand count total
    assert!(d["title"].starts_with("Joint Statement by the Republic of Belarus"));
}

#[test]
fn statement_hand_counted_terms() {
    let dir = analyze(&[]);
    let terms = Table::read(&dir.path().join("out/terms_by_section.csv"));
    let count_in = |stem: &str| -> HashMap<u32, u32> {
        terms
            .filter("stem", stem)
            .iter()
            .map(|r| {
                (
                    r["section_id"].parse().unwrap(),
                    r["count"].parse().unwrap(),
                )
            })
            .collect()
    };
    // secur*: hand count 11 — sections 1, 3, 4 (×2), 5 (×3), 6, 9, 10, 16
    // ("secure" stems to "secur" as well).
    let secur = count_in("secur");
    assert_eq!(
        secur,
        HashMap::from([
            (1, 1),
            (3, 1),
            (4, 2),
            (5, 3),
            (6, 1),
            (9, 1),
            (10, 1),
            (16, 1)
        ])
    );
    // co-operation / cooperation: hand count 5 — sections 1, 6, 11 (×2), 17
    // ("cooperation"); joined by the default --hyphens join into one stem.
    assert_eq!(
        count_in("cooper"),
        HashMap::from([(1, 1), (6, 1), (11, 2), (17, 1)])
    );
    // OSCE: hand count 9, once each in sections 1, 5, 6, 7, 8, 11, 12, 15, 17.
    let osce = count_in("osc");
    assert_eq!(osce.len(), 9);
    assert!(osce.values().all(|&c| c == 1));
    // state(s): hand count 8 — 5 (×3), 6 (×2), 12 (×2), 17.
    assert_eq!(
        count_in("state"),
        HashMap::from([(5, 3), (6, 2), (12, 2), (17, 1)])
    );

    let by_doc = Table::read(&dir.path().join("out/terms_by_document.csv"));
    let secur = &by_doc.filter("stem", "secur")[0];
    assert_eq!(
        (secur["term"], secur["count"], secur["n_sections"]),
        ("security", "11", "8")
    );
    let coop = &by_doc.filter("stem", "cooper")[0];
    // "co-operation" (4×) is more frequent than "cooperation" (1×).
    assert_eq!(coop["term"], "co-operation");
    // one’s → one (possessive removed): the stem is "one", never "one’".
    assert_eq!(by_doc.filter("stem", "one").len(), 1);
    assert!(by_doc.records().iter().all(|r| !r["stem"].contains('’')));
}

#[test]
fn split_mode_terms_are_tokens_minus_stopwords_and_numbers() {
    // Hand counts: 554 tokens, 195 stopwords, 2 numbers → 357 terms when
    // hyphenated parts count separately.
    let dir = analyze(&["--hyphens", "split", "--tables", "documents"]);
    let docs = Table::read(&dir.path().join("out/documents.csv"));
    assert_eq!(docs.records()[0]["n_terms"], "357");
    // With join (default) each hyphen chain is one term instead of its non-stopword parts.
    let dir = analyze(&["--tables", "documents,terms_by_document"]);
    let docs = Table::read(&dir.path().join("out/documents.csv"));
    let terms = Table::read(&dir.path().join("out/terms_by_document.csv"));
    let sum: u64 = terms
        .rows
        .iter()
        .map(|r| r[terms.col("count")].parse::<u64>().unwrap())
        .sum();
    assert_eq!(docs.records()[0]["n_terms"], sum.to_string());
    assert!(terms.filter("stem", "euroatlant")[0]["term"] == "euro-atlantic");
    assert!(terms.filter("stem", "co").is_empty());
}

#[test]
fn possessives_and_numbers_options() {
    let dir = analyze(&[
        "--keep-possessives",
        "--keep-numbers",
        "--no-stem",
        "--tables",
        "terms_by_document",
    ]);
    let terms = Table::read(&dir.path().join("out/terms_by_document.csv"));
    assert_eq!(terms.filter("stem", "one's").len(), 1);
    assert_eq!(terms.filter("stem", "2022").len(), 1);
    assert_eq!(terms.filter("stem", "security")[0]["count"], "10"); // 11 secur* minus "secure"
}

#[test]
fn ngrams_never_cross_stopwords_or_sections() {
    let dir = analyze(&["--ngrams", "3", "--tables", "ngrams_by_document"]);
    let grams = Table::read(&dir.path().join("out/ngrams_by_document.csv"));
    let find = |g: &str| {
        grams
            .filter("ngram", g)
            .first()
            .map(|r| r["count"].to_string())
    };
    // "mutually beneficial" occurs in sections 3 and 11 (hand count).
    assert_eq!(find("mutually beneficial").as_deref(), Some("2"));
    // "human rights" (sections 11 "social and economic rights" is not it; 13 "human rights").
    assert_eq!(find("human rights").as_deref(), Some("1"));
    // "security council" directly adjacent in section 4.
    assert_eq!(find("security council").as_deref(), Some("1"));
    // Across a stopword: "weapons of mass" must not give "weapons mass".
    assert_eq!(find("weapons mass"), None);
    // Across a section boundary: title ends "osce", date is "2 December 2022".
    assert_eq!(find("osce december"), None);
    assert!(grams.rows.iter().any(|r| r[grams.col("n")] == "3"));
}

/// An n-gram whose surface form holds a comma is quoted like any CSV
/// field (hand count: "1,000 people" twice, "people came" once).
#[test]
fn ngram_with_a_comma_is_quoted() {
    let dir = tempdir();
    let out = dir.path().join("out");
    themata(&root())
        .args(["analyze", "-", "--quiet", "--keep-numbers", "--no-stem"])
        .args(["--tables", "ngrams_by_document", "-o"])
        .arg(&out)
        .write_stdin("Some 1,000 people came; 1,000 people left.\n")
        .assert()
        .success();
    let csv = fs::read_to_string(out.join("ngrams_by_document.csv")).unwrap();
    assert!(csv.contains("stdin,2,\"1,000 people\",2,"), "{csv}");
    assert!(csv.contains("stdin,2,people came,1,"), "{csv}");
}

#[test]
fn reruns_are_byte_identical() {
    let a = analyze(&[]);
    let b = analyze(&[]);
    for entry in fs::read_dir(a.path().join("out")).unwrap() {
        let entry = entry.unwrap();
        // Folders (charts/) are compared by tests/experience.rs.
        if entry.file_type().unwrap().is_dir() {
            continue;
        }
        let name = entry.file_name();
        let x = fs::read(a.path().join("out").join(&name)).unwrap();
        let y = fs::read(b.path().join("out").join(&name)).unwrap();
        assert!(x == y, "{name:?} differs between runs");
    }
}

#[test]
fn default_run_matches_the_reviewed_golden_tables() {
    // tests/golden/ holds the default run's tables, reviewed by eye; when the
    // output changes on purpose, regenerate with
    // `cargo run --release -- -o tests/golden` and review the diff.
    // Every file, charts included, and no other: the manifest lists them.
    let dir = analyze(&[]);
    let golden = root().join("tests/golden");
    let files = |top: &std::path::Path| -> Vec<std::path::PathBuf> {
        let mut stack = vec![top.to_path_buf()];
        let mut found = Vec::new();
        while let Some(d) = stack.pop() {
            for entry in fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    found.push(path.strip_prefix(top).unwrap().to_path_buf());
                }
            }
        }
        found.sort();
        found
    };
    let out = dir.path().join("out");
    let names = files(&golden);
    assert_eq!(
        names,
        files(&out),
        "the run wrote other files than tests/golden"
    );
    for name in &names {
        let got = fs::read_to_string(out.join(name)).unwrap();
        let want = fs::read_to_string(golden.join(name)).unwrap();
        assert!(
            got == want,
            "{name:?} differs from tests/golden; review and regenerate"
        );
    }
    assert!(names.len() >= 13, "golden folder has {} files", names.len());
}

#[test]
fn austen_token_totals_match_icu_word_breaks() {
    let austen = corpus("austen");
    let dir = tempdir();
    themata(&root())
        .args([
            "analyze",
            "--quiet",
            "--sections",
            "none",
            "--tables",
            "documents",
            "-o",
        ])
        .arg(dir.path())
        .arg(austen.join("*.txt"))
        .assert()
        .success();
    let docs = Table::read(&dir.path().join("documents.csv"));
    // tests/fixtures/austen_token_counts.csv: counted independently with ICU
    // 72.1's word BreakIterator (PyICU) and cross-checked with Python regex's
    // UAX#29 mode; method in tools/ref/README.md.
    let expected = Table::read(&root().join("tests/fixtures/austen_token_counts.csv"));
    assert_eq!(docs.rows.len(), 6);
    for row in expected.records() {
        let id = row["file"].trim_end_matches(".txt");
        let got = &docs.filter("doc_id", id)[0];
        assert_eq!(got["n_tokens"], row["n_tokens"], "{id}");
    }
}

/// The speeches whose token totals differed from tidytext's before tokens
/// followed ICU (tests/fixtures/tidytext_token_diffs.md, tidytext 0.4.1 on
/// ICU 72.1, computed with tools/ref/tidytext_tokens.R): themata now gives
/// tidytext's total for each.
#[test]
fn token_totals_match_tidytext_where_they_differed() {
    // The shared corpora sit beside the checkout (or a worktree's parent).
    let ungdc = root()
        .ancestors()
        .map(|dir| dir.join("shared/corpora/ungdc"))
        .find(|dir| dir.is_dir())
        .expect("shared/corpora/ungdc beside the checkout or a parent");
    let fixture =
        fs::read_to_string(root().join("tests/fixtures/tidytext_token_diffs.md")).unwrap();
    let expected: Vec<(&str, &str)> = fixture
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let year = cells.get(1)?.rsplit('_').next()?;
            (year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()))
                .then(|| (cells[1], cells[2]))
        })
        .collect();
    assert_eq!(expected.len(), 11);
    let dir = tempdir();
    let mut cmd = themata(&root());
    cmd.args(["analyze", "--quiet", "--tables", "documents", "-o"])
        .arg(dir.path());
    for (id, _) in &expected {
        cmd.arg(
            ungdc
                .join(id.rsplit('_').next().unwrap())
                .join(format!("{id}.txt")),
        );
    }
    cmd.assert().success();
    let docs = Table::read(&dir.path().join("documents.csv"));
    for (id, tidytext) in expected {
        assert_eq!(docs.filter("doc_id", id)[0]["n_tokens"], tidytext, "{id}");
    }
}

#[test]
fn stems_agree_with_official_snowball_on_every_austen_word() {
    // tests/fixtures/austen_snowball_english.tsv: every word type of the six
    // novels with its stem from the official Snowball 3.1.1 English stemmer
    // (PyPI snowballstemmer 3.1.1). rust-stemmers 1.2 implements the older
    // Snowball 2.x English algorithm; Snowball 3.0 changed exactly these:
    // - "-ed/-ing" after a double consonant keeps the consonant pair rules
    //   for short words (added→add, erred→err; 2.x: ad, er);
    // - new exceptional stems for "emergenc-", "evening", "interfer-",
    //   "internal", "interval", "universal", "universit-" (3.x keeps the
    //   longer stem to avoid conflating unrelated words).
    let exceptions = [
        "added",
        "adding",
        "emergence",
        "emergency",
        "erred",
        "erring",
        "evening",
        "evening's",
        "evenings",
        "interfered",
        "interfering",
        "internal",
        "internally",
        "interval",
        "intervals",
        "universal",
        "universally",
        "universities",
        "university",
    ];
    let analyzer =
        themata::analyze::Analyzer::new(&themata::analyze::AnalyzerOptions::default()).unwrap();
    let text =
        fs::read_to_string(root().join("tests/fixtures/austen_snowball_english.tsv")).unwrap();
    let mut differing = Vec::new();
    let mut n = 0;
    for line in text.lines() {
        let (word, stem) = line.split_once('\t').unwrap();
        n += 1;
        if analyzer.stem(word) != stem {
            differing.push(word);
        }
    }
    assert_eq!(n, 14_039);
    assert_eq!(differing, exceptions);
}

#[test]
fn un_corpus_analyzes_and_section_counts_add_up() {
    let ungdc = corpus("ungdc");
    let dir = tempdir();
    themata(&root())
        .args(["analyze", "--quiet", "--tables", "documents,sections", "-o"])
        .arg(dir.path())
        .arg(ungdc.join("*/*.txt"))
        .assert()
        .success();
    let docs = Table::read(&dir.path().join("documents.csv"));
    assert_eq!(docs.rows.len(), 1938);
    let sections = Table::read(&dir.path().join("sections.csv"));
    let mut sums: HashMap<&str, (u64, u64, u64)> = HashMap::new();
    for s in sections.records() {
        let e = sums.entry(s["doc_id"]).or_default();
        e.0 += s["n_tokens"].parse::<u64>().unwrap();
        e.1 += s["n_terms"].parse::<u64>().unwrap();
        e.2 += 1;
    }
    for d in docs.records() {
        let (tokens, terms, n) = sums[d["doc_id"]];
        assert_eq!(tokens.to_string(), d["n_tokens"], "{}", d["doc_id"]);
        assert_eq!(terms.to_string(), d["n_terms"], "{}", d["doc_id"]);
        assert_eq!(n.to_string(), d["n_sections"], "{}", d["doc_id"]);
    }
    // One paragraph per line: RUS_77_2022 has as many sections as non-blank lines.
    let text = fs::read_to_string(ungdc.join("2022/RUS_77_2022.txt")).unwrap();
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(
        docs.filter("doc_id", "RUS_77_2022")[0]["n_sections"],
        lines.to_string()
    );
}

#[test]
fn missing_input_fails_with_the_file_name_and_writes_nothing() {
    let dir = tempdir();
    let out = dir.path().join("out");
    themata(dir.path())
        .args(["analyze", "no-such-file.txt", "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no-such-file.txt"));
    assert!(!out.exists() || fs::read_dir(&out).unwrap().count() == 0);
}

#[test]
fn excel_flag_adds_a_bom() {
    let dir = analyze(&["--excel", "--tables", "documents"]);
    let bytes = fs::read(dir.path().join("out/documents.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFdoc_id,"));
}

#[test]
fn stopword_file_section_modes_and_stdin() {
    let dir = tempdir();
    fs::write(dir.path().join("stop.txt"), "# my list\nsecurity\nOSCE\n").unwrap();
    let out = dir.path().join("out");
    themata(&root())
        .args([
            "analyze",
            "--quiet",
            "--no-stem",
            "--tables",
            "terms_by_document",
            "--stopwords",
        ])
        .arg(dir.path().join("stop.txt"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let terms = Table::read(&out.join("terms_by_document.csv"));
    assert!(terms.filter("stem", "security").is_empty());
    assert!(terms.filter("stem", "osce").is_empty());
    // "the" is no longer a stopword with this list: 40 times in the
    // statement (hand count with `grep -oiw the | wc -l`).
    assert_eq!(terms.filter("stem", "the")[0]["count"], "40");

    // Section modes on the statement: 35 lines of which 18 are not blank.
    for (mode, n) in [("none", 1), ("lines", 18), ("paragraphs", 18)] {
        themata(&root())
            .args([
                "analyze",
                "--quiet",
                "--tables",
                "documents",
                "--sections",
                mode,
                "-o",
            ])
            .arg(&out)
            .assert()
            .success();
        let docs = Table::read(&out.join("documents.csv"));
        assert_eq!(docs.records()[0]["n_sections"], n.to_string(), "{mode}");
        assert_eq!(docs.records()[0]["n_tokens"], "554", "{mode}");
    }
    // Headings: one section per line starting with an en dash, plus the preamble.
    themata(&root())
        .args([
            "analyze",
            "--quiet",
            "--tables",
            "sections",
            "--heading",
            "^–",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let sections = Table::read(&out.join("sections.csv"));
    assert_eq!(sections.rows.len(), 8);
    assert_eq!(sections.records()[0]["kind"], "preamble");

    // Standard input is the document "stdin".
    themata(dir.path())
        .args([
            "analyze",
            "--quiet",
            "--tables",
            "documents",
            "-o",
            "out2",
            "-",
        ])
        .write_stdin("Security and co-operation.\n")
        .assert()
        .success();
    let docs = Table::read(&dir.path().join("out2/documents.csv"));
    let d = &docs.records()[0];
    assert_eq!(
        (d["doc_id"], d["n_tokens"], d["n_terms"]),
        ("stdin", "4", "2")
    );
}

#[test]
fn folders_read_txt_files_by_default_and_list_the_rest() {
    let dir = tempdir();
    fs::create_dir_all(dir.path().join("in/sub")).unwrap();
    fs::write(dir.path().join("in/a.txt"), "Peace and security.\n").unwrap();
    fs::write(dir.path().join("in/sub/b.TXT"), "Security.\n").unwrap();
    fs::write(
        dir.path().join("in/SOURCE.md"),
        "# Where the files come from\n",
    )
    .unwrap();
    themata(dir.path())
        .args(["analyze", "--quiet", "in", "-o", "out"])
        .assert()
        .success();
    let docs = Table::read(&dir.path().join("out/documents.csv"));
    let ids: Vec<&str> = docs.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    let manifest = fs::read_to_string(dir.path().join("out/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"path\": \"in/SOURCE.md\""),
        "{manifest}"
    );
    // --ext md,txt takes it; a file named directly is always read.
    themata(dir.path())
        .args(["analyze", "--quiet", "in", "--ext", "md,txt", "-o", "out"])
        .assert()
        .success();
    assert_eq!(
        Table::read(&dir.path().join("out/documents.csv"))
            .rows
            .len(),
        3
    );
    themata(dir.path())
        .args(["analyze", "--quiet", "in/SOURCE.md", "-o", "out"])
        .assert()
        .success();
    assert_eq!(
        Table::read(&dir.path().join("out/documents.csv"))
            .rows
            .len(),
        1
    );
}
