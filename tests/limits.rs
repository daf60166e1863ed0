//! Integration tests: limits on what a careless or hostile input can do
//! (issues #13 and #14). Symbolic links in folders (`--follow`), side files
//! that are devices, FIFOs or huge, `--jobs` and `--window` bounds, XLSX
//! cells over Excel's limit, labels of text without spaces, and titles.
//! Each test names the row of docs/ROBUSTNESS.md it checks.
//!
//! Expected values are hand counts of the tiny generated inputs, stated
//! beside each assertion.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use calamine::{open_workbook_auto, Data, Reader};

use crate::util::{corpus, root, tempdir, themata, Table};

const TEXT: &str = "Peace and security matter.\n\nWe work for peace.\n";

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write fixture");
}

/// Runs `themata ARGS` in `dir` (with a generous timeout: a hang fails).
fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    themata(dir)
        .args(args)
        .timeout(Duration::from_secs(300))
        .output()
        .expect("run themata")
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn manifest(out: &Path) -> serde_json::Value {
    let text = fs::read_to_string(out.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest is JSON")
}

/// (path, reason) of every entry of a manifest list (`skipped`, `ignored`).
fn listed(m: &serde_json::Value, list: &str) -> Vec<(String, String)> {
    m[list]
        .as_array()
        .expect("manifest list")
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
            (s("path"), s("reason"))
        })
        .collect()
}

fn column(out: &Path, table: &str, name: &str) -> Vec<String> {
    let t = Table::read(&out.join(format!("{table}.csv")));
    let c = t.col(name);
    t.rows.iter().map(|r| r[c].clone()).collect()
}

fn ok(out: &std::process::Output) {
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(out));
}

/// A fatal error: exit 2, one line naming `path` and containing `reason`,
/// and no output folder.
fn assert_fatal(out: &std::process::Output, path: &str, reason: &str, output: &Path) {
    let err = stderr_of(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(&format!("{path}: ")), "names {path}: {err}");
    assert!(err.contains(reason), "says `{reason}`: {err}");
    assert!(!output.exists(), "{} was written", output.display());
}

/// Row "symbolic link to a folder (an alias)".
#[test]
fn symlinked_alias_is_ignored_by_default_and_read_once_with_follow() {
    let dir = tempdir();
    write(&dir.path().join("in/2024/a.txt"), TEXT);
    symlink("2024", dir.path().join("in/latest")).unwrap();
    let out = run(dir.path(), &["analyze", "in", "-o", "plain", "--strict"]);
    ok(&out);
    let plain = dir.path().join("plain");
    assert_eq!(column(&plain, "documents", "doc_id"), ["a"]);
    assert_eq!(
        listed(&manifest(&plain), "ignored"),
        [(
            "in/latest".to_string(),
            "symbolic link; --follow reads it".to_string()
        )]
    );
    // --follow: the alias is no loop (so --strict passes) and the file is
    // read once (no `a~2`).
    let out = run(
        dir.path(),
        &["analyze", "in", "-o", "follow", "--strict", "--follow"],
    );
    ok(&out);
    let follow = dir.path().join("follow");
    assert_eq!(column(&follow, "documents", "doc_id"), ["a"]);
    let m = manifest(&follow);
    assert_eq!(listed(&m, "skipped"), []);
    assert_eq!(
        listed(&m, "ignored"),
        [(
            "in/latest".to_string(),
            "same folder as in/2024".to_string()
        )]
    );
}

/// Row "symbolic link loop (a link to a folder that contains it)".
#[test]
fn link_to_an_ancestor_is_named_as_a_loop_with_follow() {
    let dir = tempdir();
    write(&dir.path().join("in/a/t.txt"), TEXT);
    symlink("..", dir.path().join("in/a/up")).unwrap();
    let out = run(dir.path(), &["analyze", "in", "-o", "out", "--follow"]);
    ok(&out);
    let out_dir = dir.path().join("out");
    assert_eq!(column(&out_dir, "documents", "doc_id"), ["t"]);
    assert_eq!(
        listed(&manifest(&out_dir), "skipped"),
        [(
            "in/a/up".to_string(),
            "symbolic link loop (leads back to in, a folder that contains it)".to_string()
        )]
    );
    // A true loop is a skip, so --strict refuses it; without --follow the
    // link is only ignored.
    let strict = run(
        dir.path(),
        &["analyze", "in", "-o", "strict", "--follow", "--strict"],
    );
    let err = stderr_of(&strict);
    assert_eq!(strict.status.code(), Some(2), "{err}");
    assert!(
        err.ends_with("themata: error: in/a/up: symbolic link loop (leads back to in, a folder that contains it) (--strict)\n"),
        "{err}"
    );
    assert!(!dir.path().join("strict").exists());
    ok(&run(
        dir.path(),
        &["analyze", "in", "-o", "plain", "--strict"],
    ));
}

/// Row "symbolic link to a file outside the input (`/etc/passwd`)".
#[test]
fn link_to_a_file_outside_is_ignored_unless_followed_or_named() {
    let dir = tempdir();
    write(
        &dir.path().join("outside/secret.txt"),
        "Secret words here.\n",
    );
    write(&dir.path().join("in/a.txt"), TEXT);
    symlink("../outside/secret.txt", dir.path().join("in/secret.txt")).unwrap();
    let out = run(dir.path(), &["analyze", "in", "-o", "plain"]);
    ok(&out);
    assert_eq!(
        column(&dir.path().join("plain"), "documents", "doc_id"),
        ["a"]
    );
    // Named on the command line, a link is read.
    ok(&run(
        dir.path(),
        &["analyze", "in/secret.txt", "-o", "named"],
    ));
    assert_eq!(
        column(&dir.path().join("named"), "documents", "doc_id"),
        ["secret"]
    );
    ok(&run(
        dir.path(),
        &["analyze", "in", "-o", "follow", "--follow"],
    ));
    assert_eq!(
        column(&dir.path().join("follow"), "documents", "doc_id"),
        ["a", "secret"]
    );
}

/// Row "the same file under two paths, with --follow".
#[test]
fn follow_reads_each_real_file_once() {
    let dir = tempdir();
    write(&dir.path().join("in/a.txt"), TEXT);
    symlink("a.txt", dir.path().join("in/b.txt")).unwrap();
    ok(&run(
        dir.path(),
        &["analyze", "in", "-o", "out", "--follow"],
    ));
    let out_dir = dir.path().join("out");
    assert_eq!(column(&out_dir, "documents", "doc_id"), ["a"]);
    assert_eq!(
        listed(&manifest(&out_dir), "ignored"),
        [("in/b.txt".to_string(), "same file as in/a.txt".to_string())]
    );
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Rows "side file is a device, a FIFO or larger than 64 MiB": each of
/// `--stopwords`, `--meta`, `--themes` and `themes check` fails at once
/// with one line (a FIFO would block a reader; /dev/zero never ends).
#[test]
fn side_files_must_be_regular_and_at_most_64_mib() {
    let dir = tempdir();
    mkfifo(&dir.path().join("fifo"));
    // Sparse: 64 MiB + 1 byte on disk costs nothing.
    let big = fs::File::create(dir.path().join("big.txt")).unwrap();
    big.set_len((64 << 20) + 1).unwrap();
    let cases = [
        ("/dev/zero", "not a regular file (FIFO, socket or device)"),
        ("fifo", "not a regular file (FIFO, socket or device)"),
        ("big.txt", "larger than the limit of 64 MiB"),
    ];
    let flags = [
        ("--stopwords", "stopword list"),
        ("--meta", "--meta file"),
        ("--themes", "codebook"),
    ];
    for (file, reason) in cases {
        for (flag, what) in flags {
            let output = dir.path().join("out");
            let out = run(
                dir.path(),
                &["analyze", flag, file, "-o", "out", "--charts", "none"],
            );
            assert_fatal(
                &out,
                file,
                &format!("cannot read {what}: {reason}"),
                &output,
            );
        }
        let out = run(dir.path(), &["themes", "check", file]);
        assert_fatal(
            &out,
            file,
            &format!("cannot read codebook: {reason}"),
            &dir.path().join("out"),
        );
    }
}

/// Row "`--jobs 10000`": capped at the number of documents (1 here), with a
/// note; the run finishes (it once started 10,002 threads for 12 minutes).
#[test]
fn jobs_are_capped_with_a_note() {
    let dir = tempdir();
    let out = themata(&root())
        .args(["analyze", "--jobs", "10000", "--charts", "none", "-o"])
        .arg(dir.path().join("out"))
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    ok(&out);
    let err = stderr_of(&out);
    assert!(
        err.contains("note: --jobs 10000 lowered to 1 (at most one per document and 4 per core"),
        "{err}"
    );
    assert_eq!(
        column(&dir.path().join("out"), "documents", "n_sections"),
        ["18"]
    );
}

/// Row "`--window` huge": a usage error (it once overflowed in kwic.rs and
/// panicked); 1000, the largest allowed, works.
#[test]
fn window_is_bounded_and_1000_works() {
    let dir = tempdir();
    for args in [
        &["kwic", "peace", "--window", "18446744073709551615"][..],
        &["kwic", "peace", "--window", "1001"],
        &["analyze", "--kwic", "--window", "1001", "-o", "out"],
    ] {
        let out = run(&root(), args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("is not in 0..=1000"), "{err}");
    }
    // One paragraph: 1,200 × "alpha", "peace", 1,200 × "beta".
    let text = format!(
        "{} peace {}\n",
        vec!["alpha"; 1200].join(" "),
        vec!["beta"; 1200].join(" ")
    );
    write(&dir.path().join("w.txt"), &text);
    let out = run(dir.path(), &["kwic", "peace", "w.txt", "--window", "1000"]);
    ok(&out);
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    // 1,000 tokens on each side, each followed (left) or preceded (right)
    // by one space.
    assert_eq!(&rows[0][2], format!("{} ", vec!["alpha"; 1000].join(" ")));
    assert_eq!(&rows[0][3], "peace");
    assert_eq!(&rows[0][4], format!(" {}", vec!["beta"; 1000].join(" ")));
}

/// Row "a cell longer than Excel's 32,767 characters": cut with a marker,
/// a note on stderr, exit 0; the CSV keeps the whole text.
#[test]
fn xlsx_cell_over_the_limit_is_cut_with_a_marker() {
    let dir = tempdir();
    // One 40,000-letter word: its stem and term are 40,000 characters.
    let word = "q".repeat(40_000);
    write(
        &dir.path().join("long.txt"),
        &format!("Peace and {word} here.\n"),
    );
    let out = run(
        dir.path(),
        &[
            "analyze", "long.txt", "-o", "out", "--xlsx", "t.xlsx", "--charts", "none",
        ],
    );
    ok(&out);
    let err = stderr_of(&out);
    assert!(
        err.contains("terms_by_document: 2 cell(s) longer than Excel's 32767 characters cut"),
        "{err}"
    );
    let csv = Table::read(&dir.path().join("out/terms_by_document.csv"));
    assert!(csv.rows.iter().any(|r| r[csv.col("term")] == word));
    let mut book = open_workbook_auto(dir.path().join("t.xlsx")).expect("workbook opens");
    let range = book.worksheet_range("terms_by_document").expect("sheet");
    let cut: Vec<String> = range
        .rows()
        .flat_map(|r| r.iter())
        .filter_map(|c| match c {
            Data::String(s) if s.starts_with("qqq") => Some(s.clone()),
            _ => None,
        })
        .collect();
    // Stem and term. Room is left for the longest marker, "… [cut: 40000
    // characters]" (25 characters): 32,742 letters kept, 7,258 cut.
    assert_eq!(cut.len(), 2);
    for cell in cut {
        assert_eq!(
            cell,
            format!("{}… [cut: 7258 characters]", "q".repeat(32_742))
        );
        assert!(cell.chars().count() <= 32_767);
    }
    // Under --format parquet no CSV is written: the notes point to the
    // Parquet files.
    let out = run(
        dir.path(),
        &[
            "analyze", "long.txt", "-o", "pq", "--format", "parquet", "--xlsx", "p.xlsx",
            "--charts", "none",
        ],
    );
    ok(&out);
    let err = stderr_of(&out);
    assert!(err.contains("the Parquet file has them in full"), "{err}");
    let mut book = open_workbook_auto(dir.path().join("p.xlsx")).expect("workbook opens");
    let readme = book.worksheet_range("README").expect("README sheet");
    let text: Vec<String> = (readme.rows().flat_map(|r| r.iter()))
        .map(|c| c.to_string())
        .collect();
    assert!(
        text.iter()
            .any(|t| t.contains("the Parquet files beside this workbook")),
        "{text:?}"
    );
}

/// Row "paragraph without spaces (Chinese, Thai)": its label is its first
/// 60 characters, not the whole paragraph.
#[test]
fn labels_of_text_without_spaces_are_short() {
    let dir = tempdir();
    let chinese = "我们致力于和平与安全".repeat(30); // 300 characters
    let thai = "สันติภาพและความมั่นคง".repeat(20);
    write(
        &dir.path().join("cjk.txt"),
        &format!("{chinese}\n\n{thai}\n"),
    );
    ok(&run(dir.path(), &["analyze", "cjk.txt", "-o", "out"]));
    let labels = column(&dir.path().join("out"), "sections", "label");
    assert_eq!(labels.len(), 2);
    assert_eq!(labels[0], chinese.chars().take(60).collect::<String>());
    assert_eq!(labels[1], thai.chars().take(60).collect::<String>());
}

/// Issue #14 row "titles": a salutation, a bare number or an emphasised
/// salutation is not a title; the shipped statement keeps its title.
#[test]
fn salutations_and_numbers_are_not_titles() {
    let dir = tempdir();
    for (name, first) in [
        ("a", "Mr President"),
        ("b", "**Mr President,**"),
        ("c", "1"),
        ("d", "Excellencies"),
        ("e", "**Our Common Agenda**"),
    ] {
        write(
            &dir.path().join(format!("in/{name}.txt")),
            &format!("{first}\n\nWe meet for peace.\n\nThank you.\n"),
        );
    }
    ok(&run(dir.path(), &["analyze", "in", "-o", "out"]));
    let out = dir.path().join("out");
    assert_eq!(
        column(&out, "documents", "title"),
        ["", "", "", "", "Our Common Agenda"]
    );
    let t = Table::read(&out.join("sections.csv"));
    let first: Vec<(String, String)> = t
        .rows
        .iter()
        .filter(|r| r[t.col("section_id")] == "1")
        .map(|r| (r[t.col("kind")].clone(), r[t.col("label")].clone()))
        .collect();
    let p = |label: &str| ("paragraph".to_string(), label.to_string());
    assert_eq!(
        first,
        [
            p("Mr President"),
            p("Mr President"),
            p("1"),
            p("Excellencies"),
            ("title".to_string(), "Our Common Agenda".to_string()),
        ]
    );
    // The shipped statement: 18 sections, the first its title.
    let statement = dir.path().join("statement");
    ok(&themata(&root())
        .args(["analyze", "--charts", "none", "-o"])
        .arg(&statement)
        .output()
        .unwrap());
    assert_eq!(column(&statement, "documents", "n_sections"), ["18"]);
    assert!(column(&statement, "documents", "title")[0]
        .starts_with("Joint Statement by the Republic of Belarus"));
}

/// Issue #14 on the UN corpus: of 53 titles before (5 "**Mr President,**",
/// 3 "Mr. President", 2 "Mr President", 1 "1", …), these 7 remain.
#[test]
fn un_corpus_titles() {
    let un = corpus("ungdc");
    let dir = tempdir();
    let out = themata(&root())
        .arg("analyze")
        .arg(&un)
        .args(["--tables", "documents", "--charts", "none", "--quiet", "-o"])
        .arg(dir.path().join("out"))
        .timeout(Duration::from_secs(600))
        .output()
        .unwrap();
    ok(&out);
    let mut titles: Vec<String> = column(&dir.path().join("out"), "documents", "title")
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        [
            "Address by Mr. Sooronbai Zheenbekov, President of the Kyrgyz Republic",
            "E nga Mana, e nga Reo, Rau Rangatira ma o tenei Whare Nui o te Ao",
            "I Introduction",
            "It is my privilege and honour once again to address the General",
            "Praise be to God, peace and blessings be upon the Prophet, his family and his companions",
            "The Kingdom’s Statement in the UN General Assembly 75th Session",
            "UNGA79 Plenary Speech September 2024",
        ]
    );
}
