//! Integration tests: performance features that must not change results.
//! Documents are counted on several worker threads and their rows merged in
//! input order, so `--jobs 2` must write the same bytes as `--jobs 1`.

use std::fs;
use std::path::Path;

use crate::util::{corpus, tempdir, themata};

/// Copies every `step`-th UN speech (in sorted path order) into `dest`,
/// keeping the YEAR/ folders; returns how many were copied.
fn sample_speeches(ungdc: &Path, dest: &Path, step: usize) -> usize {
    let mut files = Vec::new();
    for year in fs::read_dir(ungdc).expect("corpus folder") {
        let year = year.expect("entry").path();
        if year.is_dir() {
            for f in fs::read_dir(&year).expect("year folder") {
                files.push(f.expect("entry").path());
            }
        }
    }
    files.retain(|f| f.extension().is_some_and(|e| e == "txt"));
    files.sort();
    let mut n = 0;
    for f in files.iter().step_by(step) {
        let rel = f.strip_prefix(ungdc).expect("inside corpus");
        let to = dest.join(rel);
        fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        fs::copy(f, &to).expect("copy");
        n += 1;
    }
    n
}

#[test]
fn two_workers_write_the_same_bytes_as_one() {
    let ungdc = corpus("ungdc");
    let dir = tempdir();
    let input = dir.path().join("speeches");
    // ~100 speeches: more than one chunk of 64 documents, so the merge
    // across chunks is exercised too; under 200, so term_matrix is written.
    let n = sample_speeches(&ungdc, &input, 19);
    assert!(n > 64, "{n} speeches");
    for (jobs, out) in [("1", "one"), ("2", "two")] {
        themata(dir.path())
            .args(["analyze", "speeches", "-q", "--jobs", jobs, "-o", out])
            .assert()
            .success();
    }
    let mut names: Vec<String> = fs::read_dir(dir.path().join("one"))
        .expect("output")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.contains(&"term_matrix.csv".to_string()), "{names:?}");
    assert!(names.contains(&"manifest.json".to_string()), "{names:?}");
    for name in &names {
        let one = fs::read(dir.path().join("one").join(name)).expect("read");
        let two = fs::read(dir.path().join("two").join(name)).expect("read");
        assert!(one == two, "{name} differs between --jobs 1 and --jobs 2");
    }
}

/// Work skipped for the tables not asked for (n-grams, theme matching,
/// theme evidence) changes none of the tables that are: each table of a
/// smaller run equals that of the default run and of the run with every
/// table, byte for byte (about 50 UN speeches, trigrams, KWIC).
#[test]
fn tables_asked_alone_equal_the_full_run() {
    let ungdc = corpus("ungdc");
    let dir = tempdir();
    let n = sample_speeches(&ungdc, &dir.path().join("speeches"), 40);
    assert!(n > 40, "{n} speeches");
    let run = |out: &str, flags: &[&str]| {
        themata(dir.path())
            .args(["analyze", "speeches", "-q", "--ngrams", "3", "-o", out])
            .args(flags)
            .assert()
            .success();
    };
    // The default tables with KWIC, and every table.
    run("full", &["--kwic"]);
    let every = "documents,sections,terms_by_section,terms_by_document,themes_by_section,\
                 themes_by_document,theme_matches,ngrams_by_document,theme_spread,theme_cooccurrence,\
                 term_forms,ngram_forms";
    run("every", &["--tables", every]);
    let smaller: [&[&str]; 9] = [
        &[
            "--tables",
            "documents,terms_by_document",
            "--charts",
            "none",
        ],
        &["--tables", "terms_by_document", "--charts", "none"],
        &["--tables", "ngrams_by_document", "--charts", "none"],
        &["--tables", "theme_matches,sections", "--charts", "none"],
        &["--tables", "terms_by_section", "--charts", "none", "--kwic"],
        &["--tables", "ngram_forms", "--charts", "none"],
        &["--tables", "theme_spread", "--charts", "none"],
        &["--tables", "theme_cooccurrence", "--charts", "none"],
        &[
            "--tables",
            "term_forms,ngrams_by_document",
            "--charts",
            "none",
        ],
    ];
    for (k, flags) in smaller.iter().enumerate() {
        let out = format!("run{k}");
        run(&out, flags);
        let mut tables = 0;
        for entry in fs::read_dir(dir.path().join(&out)).expect("output") {
            let name = entry.expect("entry").file_name();
            if !name.to_string_lossy().ends_with(".csv") {
                continue;
            }
            let got = fs::read(dir.path().join(&out).join(&name)).expect("read");
            let mut compared = 0;
            for reference in ["full", "every"] {
                if let Ok(want) = fs::read(dir.path().join(reference).join(&name)) {
                    assert!(
                        got == want,
                        "{name:?} of {flags:?} differs from {reference}"
                    );
                    compared += 1;
                }
            }
            assert!(compared > 0, "{name:?} is in no reference run");
            tables += 1;
        }
        assert_eq!(
            tables,
            flags[1].split(',').count() + usize::from(flags.len() > 4)
        );
    }
}
