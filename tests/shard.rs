//! The count-interchange tables (`term_forms`, `ngram_forms`) and
//! `analyze --shard K/N`: hand counts on a tiny document, the tables'
//! agreement with the per-document tables on real speeches, and the shard
//! formula and order keys.

use std::collections::{BTreeMap, HashMap};

use crate::util::{corpus, root, tempdir, themata, Table};

/// Two sections: "States states STATES state. States" and "United States,
/// united states. The United Nations." (`The` is a stopword, so it breaks
/// the run of terms; display forms are lowercase).
const TINY: &str =
    "States states STATES state. States\n\nUnited States, united states. The United Nations.\n";

fn analyze_tiny(extra: &[&str]) -> tempfile::TempDir {
    let dir = tempdir();
    std::fs::write(dir.path().join("tiny.txt"), TINY).expect("write");
    themata(dir.path())
        .args([
            "analyze", "tiny.txt", "-o", "out", "--quiet", "--charts", "none",
        ])
        .args(extra)
        .assert()
        .success();
    dir
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
}

/// Hand count: `states` 4 times in the first section and twice in the
/// second, `state` once, `united` 3 times, `nations` once; rows by stem,
/// then form.
#[test]
fn term_forms_by_hand_count() {
    let dir = analyze_tiny(&["--tables", "term_forms"]);
    let table = Table::read(&dir.path().join("out/term_forms.csv"));
    assert_eq!(table.header, ["doc_id", "stem", "term", "count"]);
    let expected: &[&[&str]] = &[
        &["tiny", "nation", "nations", "1"],
        &["tiny", "state", "state", "1"],
        &["tiny", "state", "states", "6"],
        &["tiny", "unit", "united", "3"],
    ];
    assert_eq!(table.rows, strings(expected));
    // Not in the default set.
    let dir = analyze_tiny(&[]);
    assert!(!dir.path().join("out/term_forms.csv").exists());
    assert!(!dir.path().join("out/ngram_forms.csv").exists());
}

/// Hand count of the runs `states states states state states` and
/// `united states united states` (then `The` breaks it) and `united
/// nations`: every exact sequence with its count, by n, stems, sequence.
#[test]
fn ngram_forms_by_hand_count() {
    let dir = analyze_tiny(&["--tables", "ngram_forms", "--ngrams", "3"]);
    let table = Table::read(&dir.path().join("out/ngram_forms.csv"));
    assert_eq!(table.header, ["doc_id", "n", "stems", "ngram", "count"]);
    let expected: &[&[&str]] = &[
        &["tiny", "2", "state state", "state states", "1"],
        &["tiny", "2", "state state", "states state", "1"],
        &["tiny", "2", "state state", "states states", "2"],
        &["tiny", "2", "state unit", "states united", "1"],
        &["tiny", "2", "unit nation", "united nations", "1"],
        &["tiny", "2", "unit state", "united states", "2"],
        &["tiny", "3", "state state state", "states state states", "1"],
        &["tiny", "3", "state state state", "states states state", "1"],
        &[
            "tiny",
            "3",
            "state state state",
            "states states states",
            "1",
        ],
        &["tiny", "3", "state unit state", "states united states", "1"],
        &["tiny", "3", "unit state unit", "united states united", "1"],
    ];
    assert_eq!(table.rows, strings(expected));
}

/// The form with the highest count, ties the smallest (byte order).
fn argmax(forms: &BTreeMap<String, u64>) -> &str {
    let mut best: Option<(&str, u64)> = None;
    for (form, &count) in forms {
        if best.is_none_or(|(_, c)| count > c) {
            best = Some((form, count));
        }
    }
    best.map_or("", |(f, _)| f)
}

/// Per key, the forms with their counts.
type Forms = HashMap<Vec<String>, BTreeMap<String, u64>>;

fn group(table: &Table, key: &[&str], form: &str) -> Forms {
    let mut out: Forms = HashMap::new();
    let (f, c) = (table.col(form), table.col("count"));
    let key: Vec<usize> = key.iter().map(|k| table.col(k)).collect();
    for row in &table.rows {
        let k = key.iter().map(|&i| row[i].clone()).collect();
        let count: u64 = row[c].parse().expect("count");
        *out.entry(k).or_default().entry(row[f].clone()).or_default() += count;
    }
    out
}

/// On the 2022 UN speeches: per document and stem, the forms' counts add
/// up to terms_by_document's count and the most frequent form (ties the
/// smallest) is its `term`; the same for n-grams against
/// ngrams_by_document (its `ngram` is the most frequent sequence).
#[test]
fn interchange_tables_agree_with_the_document_tables() {
    let speeches = corpus("ungdc").join("2022");
    let dir = tempdir();
    themata(&root())
        .arg("analyze")
        .arg(&speeches)
        .arg("-o")
        .arg(dir.path().join("out"))
        .args(["--quiet", "--charts", "none", "--ngrams", "3", "--tables"])
        .arg("terms_by_document,ngrams_by_document,term_forms,ngram_forms")
        .assert()
        .success();
    let out = dir.path().join("out");
    let forms = group(
        &Table::read(&out.join("term_forms.csv")),
        &["doc_id", "stem"],
        "term",
    );
    let terms = Table::read(&out.join("terms_by_document.csv"));
    assert!(terms.rows.len() > 100_000, "{} rows", terms.rows.len());
    assert_eq!(forms.len(), terms.rows.len(), "one stem in both tables");
    for r in terms.records() {
        let f = &forms[&vec![r["doc_id"].to_string(), r["stem"].to_string()]];
        assert_eq!(f.values().sum::<u64>().to_string(), r["count"], "{r:?}");
        assert_eq!(argmax(f), r["term"], "{r:?}");
    }
    let sequences = group(
        &Table::read(&out.join("ngram_forms.csv")),
        &["doc_id", "n", "stems"],
        "ngram",
    );
    let ngrams = Table::read(&out.join("ngrams_by_document.csv"));
    assert_eq!(sequences.len(), ngrams.rows.len());
    let by_text: HashMap<(String, String, String), u64> = sequences
        .values()
        .zip(sequences.keys())
        .map(|(f, k)| {
            (
                (k[0].clone(), k[1].clone(), argmax(f).into()),
                f.values().sum(),
            )
        })
        .collect();
    for r in ngrams.records() {
        let key = (r["doc_id"].into(), r["n"].into(), r["ngram"].into());
        assert_eq!(by_text[&key].to_string(), r["count"], "{r:?}");
    }
}

fn manifest(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("json")
}

/// The 3 shards of the 2022 speeches partition the one-run documents, each
/// document in the shard the documented formula gives for its name, in
/// the one-run order; each shard records the shard, its documents' order
/// keys and the interchange tables, and keeps the user's `tables`.
#[test]
fn shards_partition_the_corpus() {
    let speeches = corpus("ungdc").join("2022");
    let dir = tempdir();
    let run = |out: &str, extra: &[&str]| {
        themata(dir.path())
            .arg("analyze")
            .arg(&speeches)
            .args([
                "-o",
                out,
                "--quiet",
                "--charts",
                "none",
                "--tables",
                "documents",
            ])
            .args(extra)
            .assert()
            .success();
        dir.path().join(out)
    };
    let one = Table::read(&run("one", &[]).join("documents.csv")).rows;
    let mut union: Vec<(usize, Vec<String>)> = Vec::new();
    for k in 1..=3u64 {
        let out = run(&format!("s{k}"), &["--shard", &format!("{k}/3")]);
        let m = manifest(&out);
        assert_eq!(m["shard"]["k"], k);
        assert_eq!(m["shard"]["n"], 3);
        assert_eq!(m["shard"]["listed"], 193);
        assert_eq!(m["parameters"]["tables"], serde_json::json!(["documents"]));
        assert!(out.join("term_forms.csv").is_file() && out.join("ngram_forms.csv").is_file());
        let rows = Table::read(&out.join("documents.csv")).rows;
        let inputs = m["inputs"].as_array().expect("inputs");
        assert_eq!(inputs.len(), rows.len());
        for (row, input) in rows.iter().zip(inputs) {
            assert_eq!(themata::input::shard::of(&row[0], 3), k, "{}", row[0]);
            let file = format!("{}.txt", row[0]);
            assert_eq!(input["order"], serde_json::json!([0, [file], 0]));
            let at = one.iter().position(|r| r == row).expect("in the one run");
            union.push((at, row.clone()));
        }
    }
    union.sort();
    let places: Vec<usize> = union.iter().map(|(at, _)| *at).collect();
    assert_eq!(
        places,
        (0..one.len()).collect::<Vec<_>>(),
        "each document once"
    );
}

/// A shard with no document is a valid output: header-only tables, exit 0
/// (the shipped statement is one document, so one of 2 shards is empty).
#[test]
fn an_empty_shard_writes_header_only_tables() {
    let name = "2022-12-02_belarus-russia_joint-statement_osce";
    let empty = 3 - themata::input::shard::of(name, 2);
    let dir = tempdir();
    themata(&root())
        .args(["analyze", "--quiet", "--shard", &format!("{empty}/2"), "-o"])
        .arg(dir.path().join("out"))
        .assert()
        .success();
    let out = dir.path().join("out");
    for table in [
        "documents",
        "terms_by_document",
        "term_forms",
        "ngram_forms",
    ] {
        let t = Table::read(&out.join(format!("{table}.csv")));
        assert!(t.rows.is_empty() && !t.header.is_empty(), "{table}");
    }
    assert_eq!(manifest(&out)["inputs"], serde_json::json!([]));
}

/// `--shard` outside 1 <= K <= N <= 1,000,000: one line, exit 2, nothing
/// written.
#[test]
fn bad_shard_values_are_usage_errors() {
    for bad in ["0/3", "4/3", "3", "1/0", "1/1000001", "x/2"] {
        let dir = tempdir();
        let output = themata(&root())
            .args(["analyze", "--shard", bad, "-o"])
            .arg(dir.path().join("out"))
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("--shard"), "{stderr}");
        assert!(!dir.path().join("out").exists(), "{bad}");
    }
}

/// `compare --shard` would compare one shard's documents as if they were
/// the corpus: refused, pointing to `compare --from` a merged folder.
#[test]
fn compare_refuses_shard() {
    let dir = tempdir();
    let output = themata(&root())
        .args([
            "compare",
            "data/ungdc-2022",
            "--by",
            "folder",
            "--shard",
            "1/2",
            "-o",
        ])
        .arg(dir.path().join("out"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--shard applies to analyze"), "{stderr}");
    assert!(!dir.path().join("out").exists());
}
