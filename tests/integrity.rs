//! Output integrity: one output folder is one run, and nothing of the
//! user's is ever overwritten (src/write/folder.rs, src/write/interrupt.rs).
//!
//! Interruptions are placed with the binary's test hook
//! `THEMATA_TEST_PAUSE=POINT:MARKER`: at POINT of the commit the run creates
//! MARKER and waits there until the marker is removed or a signal arrives,
//! so no test depends on timing.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{corpus, tempdir, themata, Table};

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Three short documents in `dir/in`.
fn inputs(dir: &Path) {
    write(
        &dir.join("in/a.txt"),
        "Security and cooperation in Europe.\n\nThe parties reaffirm their commitment.\n",
    );
    write(&dir.join("in/b.txt"), "Peace and trust.\n");
    write(&dir.join("in/c.txt"), "Human rights and the rule of law.\n");
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    themata(dir)
        .args(args)
        .timeout(Duration::from_secs(600))
        .output()
        .expect("run themata")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: &std::process::Output) {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
}

/// Exit 2 and stderr is exactly one line, which contains `needle`.
fn refused(out: &std::process::Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(
        err.starts_with("themata: error: ") && err.contains(needle),
        "expected {needle:?} in {err}"
    );
}

/// Every file under `dir` (relative, `/`-separated), with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn files(dir: &Path) -> BTreeSet<String> {
    snapshot(dir).into_iter().map(|(p, _)| p).collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// The manifest's `files` equal the folder's files exactly.
fn assert_manifest_lists_every_file(dir: &Path) {
    let listed: BTreeSet<String> = manifest(dir)["files"]
        .as_array()
        .expect("files in the manifest")
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert_eq!(files(dir), listed, "{}", dir.display());
}

/// Names in `dir` starting with `.themata` (staging folders, temp files).
fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".themata"))
        .collect()
}

#[test]
fn rerun_with_fewer_tables_or_without_kwic_leaves_no_stale_file() {
    let dir = tempdir();
    inputs(dir.path());
    ok(&run(
        dir.path(),
        &["analyze", "in", "-o", "out", "-q", "--kwic"],
    ));
    let out = dir.path().join("out");
    assert!(out.join("kwic.csv").exists() && out.join("term_matrix.csv").exists());
    assert_manifest_lists_every_file(&out);

    ok(&run(
        dir.path(),
        &[
            "analyze",
            "in",
            "-o",
            "out",
            "-q",
            "--tables",
            "documents,sections",
        ],
    ));
    let tables: Vec<String> = files(&out)
        .into_iter()
        .filter(|f| f.ends_with(".csv"))
        .collect();
    assert_eq!(tables, ["documents.csv", "sections.csv"]);
    assert_manifest_lists_every_file(&out);
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[test]
fn rerun_with_other_documents_leaves_no_chart_of_the_old_ones() {
    let dir = tempdir();
    inputs(dir.path());
    ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
    let out = dir.path().join("out");
    assert!(out.join("charts/top_terms_a.svg").exists());
    // Other documents (and more of them): a's charts must go.
    fs::remove_file(dir.path().join("in/a.txt")).unwrap();
    for i in 0..5 {
        write(
            &dir.path().join(format!("in/d{i}.txt")),
            "Trade and economy.\n",
        );
    }
    ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
    assert!(!out.join("charts/top_terms_a.svg").exists());
    assert_eq!(Table::read(&out.join("documents.csv")).rows.len(), 7);
    assert_manifest_lists_every_file(&out);
}

#[test]
fn folder_with_a_foreign_file_is_refused_and_unchanged() {
    let dir = tempdir();
    inputs(dir.path());
    ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
    let out = dir.path().join("out");
    write(&out.join("notes.md"), "my notes");
    let before = snapshot(&out);
    let second = run(dir.path(), &["analyze", "in", "-o", "out", "-q"]);
    assert_eq!(
        stderr(&second),
        "themata: error: out/notes.md: output folder holds files themata did not write; choose an empty or new folder\n"
    );
    assert_eq!(second.status.code(), Some(2));
    assert_eq!(before, snapshot(&out));

    // A folder of the user's own tables, without a themata manifest.
    write(&dir.path().join("mine/documents.csv"), "doc_id\r\nx\r\n");
    let third = run(dir.path(), &["analyze", "in", "-o", "mine", "-q"]);
    refused(
        &third,
        "mine/documents.csv: output folder holds files themata did not write",
    );
    assert_eq!(
        fs::read(dir.path().join("mine/documents.csv")).unwrap(),
        b"doc_id\r\nx\r\n"
    );

    // An empty existing folder is fine.
    fs::create_dir(dir.path().join("empty")).unwrap();
    ok(&run(dir.path(), &["analyze", "in", "-o", "empty", "-q"]));
    assert_manifest_lists_every_file(&dir.path().join("empty"));
}

#[test]
fn xlsx_into_an_input_is_refused_and_the_input_is_unchanged() {
    let dir = tempdir();
    inputs(dir.path());
    let before = snapshot(&dir.path().join("in"));
    for (target, needle) in [
        ("in/a.txt", "in/a.txt: --xlsx: lies inside the input folder"),
        (
            "in/new.xlsx",
            "in/new.xlsx: --xlsx: lies inside the input folder",
        ),
        ("in", "in: --xlsx: is a folder"),
    ] {
        let out = run(
            dir.path(),
            &["analyze", "in", "-o", "out", "-q", "--xlsx", target],
        );
        refused(&out, needle);
        assert_eq!(before, snapshot(&dir.path().join("in")), "--xlsx {target}");
        assert!(!dir.path().join("out").exists());
    }
    // A file named directly as input, reached through another path.
    let out = run(
        dir.path(),
        &[
            "analyze",
            "in/b.txt",
            "-o",
            "out",
            "-q",
            "--xlsx",
            "./in/../in/b.txt",
        ],
    );
    refused(&out, "--xlsx: is an input file");
    assert_eq!(before, snapshot(&dir.path().join("in")));
}

#[test]
fn xlsx_never_overwrites_a_file_themata_did_not_write() {
    let dir = tempdir();
    inputs(dir.path());
    write(&dir.path().join("budget.xlsx"), "the user's workbook");
    let out = run(
        dir.path(),
        &["analyze", "in", "-o", "out", "-q", "--xlsx", "budget.xlsx"],
    );
    refused(
        &out,
        "budget.xlsx: --xlsx: file exists and themata did not write it",
    );
    assert_eq!(
        fs::read(dir.path().join("budget.xlsx")).unwrap(),
        b"the user's workbook"
    );
    // A table name inside the output folder is not a workbook name.
    ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
    let before = snapshot(&dir.path().join("out"));
    let out = run(
        dir.path(),
        &[
            "analyze",
            "in",
            "-o",
            "out",
            "-q",
            "--xlsx",
            "out/documents.csv",
        ],
    );
    refused(&out, "must end in .xlsx");
    assert_eq!(before, snapshot(&dir.path().join("out")));
    // themata's own workbook is replaced by a rerun, inside or beside the folder.
    for target in ["tables.xlsx", "out/tables.xlsx"] {
        ok(&run(
            dir.path(),
            &["analyze", "in", "-o", "out", "-q", "--xlsx", target],
        ));
        ok(&run(
            dir.path(),
            &["analyze", "in", "-o", "out", "-q", "--xlsx", target],
        ));
        assert!(dir.path().join(target).exists());
    }
    assert_manifest_lists_every_file(&dir.path().join("out"));
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn themes_convert_and_kwic_never_overwrite_inputs_or_foreign_files() {
    let dir = tempdir();
    inputs(dir.path());
    let dic = "%\n1\tpeace\n%\npeace*\t1\n";
    write(&dir.path().join("peace.dic"), dic);
    let same = run(dir.path(), &["themes", "convert", "peace.dic", "peace.dic"]);
    refused(&same, "peace.dic: themes convert: is an input file");
    assert_eq!(
        fs::read_to_string(dir.path().join("peace.dic")).unwrap(),
        dic
    );
    write(&dir.path().join("notes.toml"), "# mine\n");
    let foreign = run(
        dir.path(),
        &["themes", "convert", "peace.dic", "notes.toml"],
    );
    refused(
        &foreign,
        "notes.toml: themes convert: file exists and themata did not write it",
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("notes.toml")).unwrap(),
        "# mine\n"
    );
    // Its own converted codebook is replaced.
    ok(&run(
        dir.path(),
        &["themes", "convert", "peace.dic", "peace.toml"],
    ));
    ok(&run(
        dir.path(),
        &["themes", "convert", "peace.dic", "peace.toml"],
    ));

    // kwic -o writes a manifest, so a rerun knows the folder as its own.
    ok(&run(dir.path(), &["kwic", "peace", "in", "-o", "k", "-q"]));
    ok(&run(dir.path(), &["kwic", "trust", "in", "-o", "k", "-q"]));
    assert_manifest_lists_every_file(&dir.path().join("k"));
    let refused_in = run(dir.path(), &["kwic", "peace", "in", "-o", "in", "-q"]);
    refused(
        &refused_in,
        "output folder holds files themata did not write",
    );
}

#[test]
fn output_folder_that_cannot_be_replaced_is_refused() {
    let dir = tempdir();
    inputs(dir.path());
    let here = run(&dir.path().join("in"), &["analyze", ".", "-o", ".", "-q"]);
    refused(&here, ".: is (or holds) the current folder");
    write(&dir.path().join("file"), "x");
    let file = run(dir.path(), &["analyze", "in", "-o", "file", "-q"]);
    refused(&file, "file: exists and is not a folder");
    // A symbolic link to a folder: the folder behind it is replaced, the
    // link stays.
    fs::create_dir(dir.path().join("real")).unwrap();
    std::os::unix::fs::symlink("real", dir.path().join("latest")).unwrap();
    ok(&run(dir.path(), &["analyze", "in", "-o", "latest", "-q"]));
    ok(&run(
        dir.path(),
        &[
            "analyze",
            "in",
            "-o",
            "latest",
            "-q",
            "--tables",
            "documents",
        ],
    ));
    assert!(fs::symlink_metadata(dir.path().join("latest"))
        .unwrap()
        .is_symlink());
    assert!(dir.path().join("real/documents.csv").exists());
    assert!(!dir.path().join("real/sections.csv").exists());
    assert_manifest_lists_every_file(&dir.path().join("real"));
}

/// Starts `themata ARGS` in `dir` paused at `point`; returns once it is there.
fn start_paused(dir: &Path, args: &[&str], point: &str, marker: &Path) -> Child {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("themata"))
        .current_dir(dir)
        .args(args)
        .env(
            "THEMATA_TEST_PAUSE",
            format!("{point}:{}", marker.display()),
        )
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(300);
    while !marker.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("run ended ({status}) before reaching {point}");
        }
        assert!(Instant::now() < deadline, "{point} never reached");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[test]
fn signal_at_each_point_of_the_commit_leaves_the_old_or_the_new_run() {
    let dir = tempdir();
    inputs(dir.path());
    let out = dir.path().join("out");
    ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
    let old = snapshot(&out);
    let new_args = [
        "analyze",
        "in",
        "-o",
        "out",
        "-q",
        "--tables",
        "documents",
        "--xlsx",
        "book.xlsx",
    ];
    // The new run, made elsewhere, for comparison.
    let reference = tempdir();
    inputs(reference.path());
    ok(&run(reference.path(), &new_args));
    let new = snapshot(&reference.path().join("out"));
    assert_ne!(old, new);
    for (point, sig, replaced) in [
        ("staging", "-INT", false),
        ("switch", "-TERM", false),
        ("switched", "-INT", true),
        ("cleaned", "-TERM", true),
    ] {
        let marker = dir.path().join("marker");
        let child = start_paused(dir.path(), &new_args, point, &marker);
        signal(&child, sig);
        let done = child.wait_with_output().unwrap();
        fs::remove_file(&marker).unwrap();
        assert_eq!(done.status.code(), Some(130), "{point}");
        let message = match replaced {
            false => "themata: interrupted; out/ left as it was\n",
            true => "themata: interrupted after out/ was replaced by this run\n",
        };
        assert_eq!(stderr(&done), message, "{point}");
        let state = snapshot(&out);
        assert_eq!(&state, if replaced { &new } else { &old }, "{point}");
        assert_eq!(dir.path().join("book.xlsx").exists(), replaced, "{point}");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{point}: {:?}",
            leftovers(dir.path())
        );
        // Back to the old run for the next point.
        if replaced {
            fs::remove_file(dir.path().join("book.xlsx")).unwrap();
            ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
            assert_eq!(snapshot(&out), old);
        }
    }
}

#[test]
fn second_run_into_the_same_folder_fails_at_once() {
    // Held while staging, and after the switch while the old tree goes.
    for point in ["staging", "switched"] {
        let dir = tempdir();
        inputs(dir.path());
        let marker = dir.path().join("marker");
        let args = ["analyze", "in", "-o", "out", "-q"];
        let first = start_paused(dir.path(), &args, point, &marker);
        // The same folder, named differently.
        for name in ["out", "./out/"] {
            let second = run(
                dir.path(),
                &["analyze", "in", "-o", name, "-q", "--tables", "documents"],
            );
            refused(&second, "another themata run is writing into this folder");
        }
        fs::remove_file(&marker).unwrap();
        let done = first.wait_with_output().unwrap();
        ok(&done);
        let out = dir.path().join("out");
        assert_eq!(Table::read(&out.join("documents.csv")).rows.len(), 3);
        assert!(out.join("terms_by_section.csv").exists(), "{point}");
        assert_manifest_lists_every_file(&out);
        assert!(leftovers(dir.path()).is_empty());
    }
}

#[test]
fn staging_folder_of_a_killed_run_is_removed_by_the_next_run() {
    let dir = tempdir();
    inputs(dir.path());
    ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
    let old = snapshot(&dir.path().join("out"));
    let marker = dir.path().join("marker");
    let mut child = start_paused(
        dir.path(),
        &["analyze", "in", "-o", "out", "-q", "--tables", "documents"],
        "staging",
        &marker,
    );
    signal(&child, "-KILL");
    child.wait().unwrap();
    let stale = leftovers(dir.path());
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert!(stale[0].starts_with(".themata-staging.out."));
    assert_eq!(snapshot(&dir.path().join("out")), old);
    // Another folder's staging and other hidden files are left alone.
    write(&dir.path().join(".themata-staging.other.x/f"), "");
    ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
    assert_eq!(leftovers(dir.path()), [".themata-staging.other.x"]);
    assert_eq!(snapshot(&dir.path().join("out")), old);
}

#[test]
fn out_of_memory_exits_2_with_one_line_and_keeps_the_previous_output() {
    let corpus: PathBuf = corpus("ungdc");
    let dir = tempdir();
    inputs(dir.path());
    ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
    let old = snapshot(&dir.path().join("out"));
    // 150 MB of address space: enough to start and stage, not to analyze
    // 28 MB of speeches (both debug and release builds fail mid-run).
    let bin = assert_cmd::cargo::cargo_bin("themata");
    let script = format!(
        "ulimit -v 150000; exec '{}' analyze '{}' -o out -q --jobs 2",
        bin.display(),
        corpus.display()
    );
    let done = Command::new("sh")
        .current_dir(dir.path())
        .args(["-c", &script])
        .output()
        .unwrap();
    let err = stderr(&done);
    assert_eq!(done.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("themata: error: out of memory"), "{err}");
    assert!(err.ends_with("; out/ left as it was\n"), "{err}");
    assert_eq!(snapshot(&dir.path().join("out")), old);
    // The staging folder is removed by the failing run, unless memory runs
    // out again while it is being removed (other threads go on allocating
    // until the process exits: about 1 run in 20 under this limit); then the
    // next run removes it, its owner being gone.
    if !leftovers(dir.path()).is_empty() {
        ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
        assert_eq!(snapshot(&dir.path().join("out")), old);
    }
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[test]
fn compare_writes_output_compare_by_default() {
    let dir = tempdir();
    inputs(dir.path());
    ok(&run(dir.path(), &["analyze", "in", "-q"]));
    ok(&run(dir.path(), &["compare", "in", "-q", "--target", "a"]));
    assert!(dir.path().join("output-compare/keyness.csv").exists());
    assert_manifest_lists_every_file(&dir.path().join("output-compare"));
    assert_manifest_lists_every_file(&dir.path().join("output"));
}

/// A run written inside another run's output folder (`-o out/sub`) makes
/// the next run into `out/` refuse, naming the nested run, not one of its
/// files as if themata had not written it; both outputs stay as they were.
#[test]
fn a_run_nested_in_another_run_is_named_as_such() {
    let dir = tempdir();
    inputs(dir.path());
    ok(&run(dir.path(), &["analyze", "in", "-o", "out", "-q"]));
    ok(&run(dir.path(), &["analyze", "in", "-o", "out/sub", "-q"]));
    let before = snapshot(&dir.path().join("out"));
    let again = run(dir.path(), &["analyze", "in", "-o", "out", "-q"]);
    let err = stderr(&again);
    assert_eq!(again.status.code(), Some(2), "{err}");
    assert_eq!(
        err,
        "themata: error: out/sub/: output folder holds another themata run's output; \
         runs are not nested, so choose another folder for one of them\n"
    );
    assert_eq!(snapshot(&dir.path().join("out")), before);
}

/// rust_xlsxwriter keeps sheet rows in temporary files and panics when it
/// cannot create one; with TMPDIR missing the run stops at once with one
/// line naming the folder, and writes nothing.
#[test]
fn xlsx_without_a_temporary_folder_is_one_line_and_writes_nothing() {
    let dir = tempdir();
    let out = themata(dir.path())
        .env("TMPDIR", dir.path().join("missing"))
        .args(["analyze", "-q", "-o", "out", "--xlsx", "book.xlsx"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("missing: cannot create the workbook's temporary files"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists() && !dir.path().join("book.xlsx").exists());
}
