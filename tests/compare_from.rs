//! Integration tests: `compare --from DIR`, from the count tables of an
//! analyze output folder.
//!
//! The reference is `compare` on the texts with the same options: every
//! table and chart must be byte-identical, and the manifest equal but for
//! `compare.from`. The UN speeches of 2022-2024 (three years, 580 speeches)
//! keep `--by year` with three groups and RUS and USA in every year, at a
//! third of the full corpus's time (the n-gram unit on all 1,938 speeches
//! takes half a minute per run on the 2-core machine).

use std::path::{Path, PathBuf};

use crate::util::{corpus, root, tempdir, themata};

const PATTERN: &str = "{country}_{session}_{year}";

/// The count tables --from needs, besides the default ones.
const COUNTS: &str = "documents,themes_by_document,term_forms,ngram_forms";

/// The three year folders of ../shared/corpora/ungdc used here.
fn years() -> Vec<PathBuf> {
    let ungdc = corpus("ungdc");
    ["2022", "2023", "2024"]
        .iter()
        .map(|y| ungdc.join(y))
        .collect()
}

/// Every file under `dir` (relative path → bytes), sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Asserts that two compare outputs are the same: every table and chart
/// byte for byte, the manifests equal once `compare.from` is taken out.
fn assert_same_output(texts: &Path, from: &Path, what: &str) {
    let (a, b) = (files(texts), files(from));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "{what}: the files differ");
    assert!(
        a.iter().any(|(n, _)| n.ends_with(".svg")),
        "{what}: no chart"
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if name == "manifest.json" {
            let x: serde_json::Value = serde_json::from_slice(x).unwrap();
            let mut y: serde_json::Value = serde_json::from_slice(y).unwrap();
            let from = y["compare"].as_object_mut().unwrap().remove("from");
            assert!(from.is_some(), "{what}: no compare.from in the manifest");
            assert_eq!(x, y, "{what}: manifest.json");
        } else {
            assert!(x == y, "{what}: {name} differs");
        }
    }
    let keyness = std::fs::read_to_string(texts.join("keyness.csv")).unwrap();
    assert!(
        keyness.lines().count() > 10,
        "{what}: keyness.csv has no rows"
    );
}

/// `themata analyze <years> -o DIR --tables COUNTS EXTRA…` in `work`.
fn analyze_years(work: &Path, out: &str, extra: &[&str]) -> PathBuf {
    themata(work)
        .arg("analyze")
        .args(years())
        .args(["--tables", COUNTS, "-q", "-o", out])
        .args(extra)
        .assert()
        .success();
    work.join(out)
}

#[test]
fn from_counts_equals_compare_on_texts_for_every_unit() {
    let dir = tempdir();
    let work = dir.path();
    let counts = analyze_years(work, "counts", &["--meta-pattern", PATTERN]);
    let selections: [&[&str]; 2] = [
        &["--by", "year"],
        &["--target", "country=RUS", "--reference", "country=USA"],
    ];
    for unit in ["term", "ngram", "theme"] {
        for (i, selection) in selections.iter().enumerate() {
            let what = format!("--unit {unit} {}", selection.join(" "));
            let (a, b) = (format!("texts_{unit}_{i}"), format!("from_{unit}_{i}"));
            themata(work)
                .arg("compare")
                .args(years())
                .args(["--meta-pattern", PATTERN, "--unit", unit, "-q", "-o", &a])
                .args(*selection)
                .assert()
                .success();
            themata(work)
                .args([
                    "compare", "--from", "counts", "--unit", unit, "-q", "-o", &b,
                ])
                .args(["--meta-pattern", PATTERN])
                .args(*selection)
                .assert()
                .success();
            assert_same_output(&work.join(a), &work.join(b), &what);
        }
    }
    assert!(counts.join("term_forms.csv").is_file());
}

#[test]
fn from_counts_takes_a_pattern_the_analysis_did_not_have() {
    // Analyzed without metadata; the pattern is applied to documents.csv's
    // doc_ids, as compare on the texts applies it to the file stems.
    let dir = tempdir();
    let work = dir.path();
    analyze_years(work, "plain", &[]);
    let args = ["--unit", "theme", "--by", "year", "-q"];
    themata(work)
        .arg("compare")
        .args(years())
        .args(["--meta-pattern", PATTERN, "-o", "texts"])
        .args(args)
        .assert()
        .success();
    themata(work)
        .args([
            "compare",
            "--from",
            "plain",
            "--meta-pattern",
            PATTERN,
            "-o",
            "from",
        ])
        .args(args)
        .assert()
        .success();
    assert_same_output(&work.join("texts"), &work.join("from"), "--by year");
}

#[test]
fn from_counts_equals_texts_with_other_analysis_flags() {
    // Compounds counted whole and split, longer n-grams: the forms tables
    // must still give each stem's and n-gram's count and display form.
    // The analysis flags go to analyze and to compare on the texts only.
    let dir = tempdir();
    let work = dir.path();
    let year = corpus("ungdc").join("2022");
    let flags = [
        "--hyphens",
        "both",
        "--ngrams",
        "3",
        "--meta-pattern",
        PATTERN,
    ];
    themata(work)
        .arg("analyze")
        .arg(&year)
        .args(["--tables", COUNTS, "-q", "-o", "counts"])
        .args(flags)
        .assert()
        .success();
    let selection = [
        "--target",
        "country=RUS",
        "--reference",
        "country=USA",
        "-q",
    ];
    for unit in ["term", "ngram"] {
        let (a, b) = (format!("texts_{unit}"), format!("from_{unit}"));
        themata(work)
            .arg("compare")
            .arg(&year)
            .args(flags)
            .args(["--unit", unit, "-o", &a])
            .args(selection)
            .assert()
            .success();
        themata(work)
            .args(["compare", "--from", "counts", "--unit", unit, "-o", &b])
            .args(selection)
            .assert()
            .success();
        let what = format!("--hyphens both --ngrams 3 --unit {unit}");
        assert_same_output(&work.join(a), &work.join(b), &what);
    }
}

/// Runs `themata compare --from DIR ARGS…` in `work`, expecting exit 2
/// with one line on stderr that contains every `needle`, and no output.
fn refused(work: &Path, args: &[&str], needles: &[&str]) {
    let out = themata(work)
        .args(["compare", "-o", "refused"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: `{n}` not in {stderr}");
    }
    assert!(!work.join("refused").exists(), "{args:?}: output written");
}

#[test]
fn from_refuses_missing_tables_contradicting_flags_and_its_own_folder() {
    let dir = tempdir();
    let work = dir.path();
    let statement = root().join("data").join("ungdc-2022");
    themata(work)
        .arg("analyze")
        .arg(&statement)
        .args(["-q", "-o", "plain", "--ngrams", "3"])
        .assert()
        .success();
    let from = ["--from", "plain", "--target", "RUS_77_2022"];
    // The default tables have no term_forms.csv.
    let missing = [&from[..], &["--unit", "term"]].concat();
    refused(
        work,
        &missing,
        &["term_forms.csv", "--tables", "term_forms"],
    );
    let ngrams = [&from[..], &["--unit", "ngram"]].concat();
    refused(
        work,
        &ngrams,
        &["ngram_forms.csv", "--tables", "ngram_forms"],
    );
    // Analysis flags that contradict DIR/manifest.json.
    let unit = ["--unit", "theme"];
    for (flag, value) in [
        ("--ngrams", "2"),
        ("--lang", "french"),
        ("--hyphens", "split"),
    ] {
        let args = [&from[..], &unit, &[flag, value]].concat();
        refused(work, &args, &[flag, "manifest.json"]);
    }
    refused(
        work,
        &[&from[..], &unit, &["--no-stem"]].concat(),
        &["--no-stem"],
    );
    // Texts and counts at once.
    let args = [&from[..], &unit, &[statement.to_str().unwrap()]].concat();
    refused(work, &args, &["give no INPUT"]);
    // A folder that is not an analyze output.
    std::fs::create_dir(work.join("empty")).unwrap();
    refused(
        work,
        &["--from", "empty", "--by", "year"],
        &["manifest.json"],
    );
    // The output folder may not be the folder read.
    let before = files(&work.join("plain"));
    let out = themata(work)
        .args([
            "compare", "--from", "plain", "-o", "plain", "--unit", "theme", "--by", "folder",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("overlaps --from"));
    assert_eq!(files(&work.join("plain")), before, "DIR changed");
}

#[test]
fn from_names_the_file_and_line_of_a_bad_count() {
    let dir = tempdir();
    let work = dir.path();
    themata(work)
        .arg("analyze")
        .arg(root().join("data").join("ungdc-2022"))
        .args(["-q", "-o", "counts"])
        .assert()
        .success();
    let from = [
        "--from",
        "counts",
        "--unit",
        "theme",
        "--target",
        "RUS_77_2022",
    ];
    themata(work)
        .arg("compare")
        .args(from)
        .args(["-q", "-o", "fine"])
        .assert()
        .success();
    // Line 3 of the table (its second row): the count becomes `many`.
    let path = work.join("counts").join("themes_by_document.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let cells: Vec<&str> = lines[2].split(',').collect();
    lines[2] = format!("{},{},many,{}", cells[0], cells[1], cells[3..].join(","));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    refused(
        work,
        &from,
        &["themes_by_document.csv", "line 3", "`many` is not a count"],
    );
}

/// `--from` one shard of several compared that part of the corpus as if
/// it were all of it (exit 0, keyness over a third of the documents); it
/// is refused, naming the shard. A single shard (`--shard 1/1`) holds the
/// whole corpus and is accepted.
#[test]
fn from_refuses_one_shard_of_several() {
    let dir = tempdir();
    let work = dir.path();
    let speeches = corpus("ungdc").join("2022");
    for (shard, out) in [("2/3", "part"), ("1/1", "whole")] {
        themata(work)
            .arg("analyze")
            .arg(&speeches)
            .args(["-q", "--charts", "none", "--tables", COUNTS])
            .args(["--shard", shard, "-o", out])
            .assert()
            .success();
    }
    let compare = ["--unit", "theme", "--target", "RUS_77_2022"];
    refused(
        work,
        &[&["--from", "part"][..], &compare].concat(),
        &[
            "part/manifest.json: --from: shard 2/3 of a corpus",
            "themata merge",
        ],
    );
    themata(work)
        .args(["compare", "-q", "-o", "ok", "--from", "whole"])
        .args(compare)
        .assert()
        .success();
}

/// A row deleted from DIR's `term_forms.csv` after analyze was read
/// silently (exit 0, other keyness values); it is refused, naming the
/// file, by the row count of DIR's manifest.
#[test]
fn from_refuses_a_count_table_with_a_row_deleted() {
    let dir = tempdir();
    let work = dir.path();
    themata(work)
        .arg("analyze")
        .arg(root().join("data").join("ungdc-2022"))
        .args(["-q", "--charts", "none", "--tables", COUNTS, "-o", "counts"])
        .assert()
        .success();
    let path = work.join("counts").join("term_forms.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.split_inclusive("\r\n").collect();
    lines.remove(5);
    std::fs::write(&path, lines.concat()).unwrap();
    refused(
        work,
        &["--from", "counts", "--target", "RUS_77_2022"],
        &["counts/term_forms.csv: ", "rows, but manifest.json counts"],
    );
}
