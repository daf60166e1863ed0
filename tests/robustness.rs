//! Integration tests: robustness. One test per failure mode of
//! docs/ROBUSTNESS.md (the table names the test), plus property tests of the
//! invariants the fuzz targets in fuzz/ check.
//!
//! Expected counts come from hand counts of the tiny generated documents
//! (stated beside each assertion) or from how the document was generated
//! (e.g. "N words written" → N tokens).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{corpus, tempdir, themata, Table};

/// The tables `analyze` writes by default.
const TABLES: [&str; 9] = [
    "documents",
    "sections",
    "terms_by_section",
    "terms_by_document",
    "themes_by_section",
    "themes_by_document",
    "theme_matches",
    "ngrams_by_document",
    "term_matrix",
];

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create parent");
    }
    fs::write(path, bytes).expect("write fixture");
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `themata analyze ARGS` in `dir` and returns the process output.
fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    themata(dir)
        .arg("analyze")
        .args(args)
        .timeout(Duration::from_secs(600))
        .output()
        .expect("run themata")
}

fn manifest(out: &Path) -> serde_json::Value {
    let text = fs::read_to_string(out.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest is JSON")
}

/// The `path` of every entry in a manifest list (`skipped` or `ignored`).
fn listed(m: &serde_json::Value, list: &str) -> Vec<String> {
    m[list]
        .as_array()
        .expect("manifest list")
        .iter()
        .map(|e| e["path"].as_str().unwrap_or("").to_string())
        .collect()
}

fn doc_ids(out: &Path) -> Vec<String> {
    let t = Table::read(&out.join("documents.csv"));
    let c = t.col("doc_id");
    t.rows.iter().map(|r| r[c].clone()).collect()
}

/// Asserts a fatal error: exit 2, one `themata: error: <needle>…` line on
/// stderr, and no output folder.
fn assert_fatal(out: &std::process::Output, needle: &str, output_dir: &Path) {
    let err = stderr_of(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("themata: error: ") && l.contains(needle)),
        "expected an error line containing {needle:?}, got: {err}"
    );
    assert!(
        !output_dir.exists(),
        "{} was left behind by a failed run",
        output_dir.display()
    );
}

/// Every file under `dir` with its bytes, sorted by path.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = fs::read(&p).unwrap_or_default();
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

/// A small valid document.
const TEXT: &str =
    "Security and cooperation in Europe.\n\nThe Parties reaffirm their commitment.\n";

// ---------------------------------------------------------------- inputs

#[test]
fn missing_input_is_fatal_and_writes_nothing() {
    let dir = tempdir();
    let out = run(dir.path(), &["nope.txt", "-o", "out"]);
    assert_fatal(
        &out,
        "nope.txt: no such file or folder",
        &dir.path().join("out"),
    );
}

#[test]
fn glob_matching_nothing_is_fatal() {
    let dir = tempdir();
    let out = run(dir.path(), &["*.nothing", "-o", "out"]);
    assert_fatal(
        &out,
        "no file matches this pattern",
        &dir.path().join("out"),
    );
}

#[test]
fn empty_folder_is_fatal_and_writes_nothing() {
    let dir = tempdir();
    fs::create_dir(dir.path().join("empty")).unwrap();
    let out = run(dir.path(), &["empty", "-o", "out/nested"]);
    // The output folder and its parent `out/` were created by the run: both gone.
    assert_fatal(
        &out,
        "no document with text to analyze",
        &dir.path().join("out"),
    );
}

#[test]
fn unreadable_file_is_skipped_and_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    write(&dir.path().join("in/a.txt"), TEXT);
    let locked = dir.path().join("in/locked.txt");
    write(&locked, TEXT);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    // Root (as in CI) reads a file whatever its mode bits say: then the
    // binary runs as `nobody` (setpriv, util-linux) in a folder open to all.
    let as_root = fs::read(&locked).is_ok();
    if as_root {
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        fs::set_permissions(dir.path().join("in"), fs::Permissions::from_mode(0o777)).unwrap();
    }
    // The binary is copied into the open folder: the clone it was built in
    // may lie under a folder `nobody` cannot enter (such as /root).
    let bin = match as_root {
        true => {
            let copy = dir.path().join("themata-bin");
            fs::copy(assert_cmd::cargo::cargo_bin("themata"), &copy).unwrap();
            fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
            copy
        }
        false => assert_cmd::cargo::cargo_bin("themata"),
    };
    let run = |args: &[&str]| {
        let bin = bin.clone();
        let mut cmd = if as_root {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(bin);
            c
        } else {
            std::process::Command::new(bin)
        };
        cmd.current_dir(dir.path())
            .arg("analyze")
            .args(args)
            .output()
            .expect("run themata")
    };
    let out = run(&["in", "-o", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("skipped: in/locked.txt: permission denied"));
    let m = manifest(&dir.path().join("out"));
    assert_eq!(listed(&m, "skipped"), ["in/locked.txt"]);
    assert_eq!(doc_ids(&dir.path().join("out")), ["a"]);
    let strict = run(&["in", "-o", "strict", "--strict"]);
    assert_fatal(
        &strict,
        "permission denied (--strict)",
        &dir.path().join("strict"),
    );
}

#[test]
fn symlink_loop_is_walked_once_and_named() {
    let dir = tempdir();
    write(&dir.path().join("in/a/t.txt"), TEXT);
    std::os::unix::fs::symlink("..", dir.path().join("in/a/up")).unwrap();
    std::os::unix::fs::symlink("loop2", dir.path().join("in/loop1")).unwrap();
    std::os::unix::fs::symlink("loop1", dir.path().join("in/loop2")).unwrap();
    std::os::unix::fs::symlink("nowhere", dir.path().join("in/dangling")).unwrap();
    let out = run(dir.path(), &["in", "-o", "out", "--follow"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("in/a/up: symbolic link loop (leads back to in, a folder that contains it)"),
        "{err}"
    );
    let m = manifest(&dir.path().join("out"));
    let skipped = listed(&m, "skipped");
    // in/a/up (loop back to in/), a dangling link, in/loop1 and in/loop2
    // (links to each other).
    assert_eq!(
        skipped,
        ["in/a/up", "in/dangling", "in/loop1", "in/loop2"],
        "{err}"
    );
    assert!(
        err.contains("skipped: in/dangling: no such file or folder"),
        "{err}"
    );
    assert_eq!(doc_ids(&dir.path().join("out")), ["t"]);
}

fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn fifo_and_device_are_skipped_without_blocking() {
    let dir = tempdir();
    write(&dir.path().join("in/a.txt"), TEXT);
    assert!(
        mkfifo(&dir.path().join("in/pipe.txt")),
        "mkfifo (coreutils) failed"
    );
    // A reader that opened the FIFO would block forever: the timeout catches it.
    let started = Instant::now();
    let out = run(dir.path(), &["in", "-o", "out"]);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out)
        .contains("skipped: in/pipe.txt: not a regular file (FIFO, socket or device)"));
    assert_eq!(
        listed(&manifest(&dir.path().join("out")), "skipped"),
        ["in/pipe.txt"]
    );

    // Named alone, a FIFO or a device leaves nothing to analyze: fatal.
    let alone = run(dir.path(), &["in/pipe.txt", "-o", "alone"]);
    assert_fatal(
        &alone,
        "no document with text to analyze",
        &dir.path().join("alone"),
    );
    let dev = run(dir.path(), &["/dev/zero", "-o", "dev"]);
    assert_fatal(
        &dev,
        "no document with text to analyze",
        &dir.path().join("dev"),
    );
}

#[test]
fn empty_and_blank_files_are_skipped() {
    let dir = tempdir();
    write(&dir.path().join("in/a.txt"), TEXT);
    write(&dir.path().join("in/empty.txt"), "");
    write(&dir.path().join("in/blank.txt"), " \n\r\n\t\n");
    let out = run(dir.path(), &["in", "-o", "out"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("skipped: in/empty.txt: empty file"), "{err}");
    assert!(
        err.contains("skipped: in/blank.txt: empty file (no text)"),
        "{err}"
    );
    assert_eq!(doc_ids(&dir.path().join("out")), ["a"]);
}

#[test]
fn punctuation_only_file_has_zero_tokens() {
    let dir = tempdir();
    write(
        &dir.path().join("p.txt"),
        "!!! ... ,,, ;;; ---\n?! «» — …\n",
    );
    let out = run(dir.path(), &["p.txt", "-o", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let docs = Table::read(&dir.path().join("out/documents.csv"));
    let r = &docs.records()[0];
    // No segment contains a letter or digit: 0 tokens, 0 terms.
    assert_eq!((r["n_tokens"], r["n_terms"], r["n_types"]), ("0", "0", "0"));
    assert_eq!(
        Table::read(&dir.path().join("out/terms_by_document.csv"))
            .rows
            .len(),
        0
    );
}

#[test]
fn huge_single_line_file_is_analyzed() {
    // 50 MB in release mode (CI); 5 MB in debug builds, where the tokenizer
    // is ~20x slower. Each repetition of the 10-word phrase is 77 bytes.
    let phrase = "Security cooperation Europe peace dialogue trust OSCE states sovereignty act ";
    assert_eq!(phrase.len(), 77);
    let target: usize = if cfg!(debug_assertions) {
        5 << 20
    } else {
        50 << 20
    };
    let reps = target / phrase.len();
    let dir = tempdir();
    let mut text = phrase.repeat(reps);
    text.push('\n');
    write(&dir.path().join("big.txt"), &text);
    let started = Instant::now();
    let out = run(
        dir.path(),
        &["big.txt", "-o", "out", "--tables", "documents,sections"],
    );
    eprintln!(
        "{} MB single line: {:.1} s",
        target >> 20,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let docs = Table::read(&dir.path().join("out/documents.csv"));
    let r = &docs.records()[0];
    // 10 words per repetition, none a stopword or number.
    assert_eq!(r["n_tokens"], (10 * reps).to_string());
    assert_eq!(r["n_terms"], (10 * reps).to_string());
    assert_eq!(r["n_sections"], "1");
}

/// Runs `themata ARGS` in `dir`; returns whether it succeeded and its peak
/// resident memory in KiB: the high-water mark (VmHWM) read from
/// /proc/PID/status every 2 ms while it runs. The mark only grows, so the
/// last value read is the peak of all but the run's last milliseconds
/// (writing a few small tables here).
fn peak_rss_kib(dir: &Path, args: &[&str]) -> (bool, u64) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("themata"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run themata");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        let hwm = fs::read_to_string(&status_file).ok().and_then(|s| {
            let line = s.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
            line.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        });
        peak = peak.max(hwm.unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait for themata") {
            return (status.success(), peak);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Issue #13: memory is bounded by the vocabulary, not by the length of a
/// section. One section of 20 MB (5 MB in debug builds), no line break: the
/// same word repeated (200 MB of it peaked at 4.8 GB before), and a phrase
/// with compounds and theme matches. Bound: the text held twice (as read and
/// decoded) plus 64 MiB for the binary, its threads and the tables (now: 38
/// and 36 MB in release). Before, the section's tokens cost about 25 bytes
/// per byte: 524 and 447 MB for these 20 MiB texts, about 130 MB for 5 MiB
/// of "peace " (/usr/bin/time). Token counts are the words written.
#[test]
fn one_huge_section_is_counted_in_bounded_memory() {
    let size: usize = if cfg!(debug_assertions) {
        5 << 20
    } else {
        20 << 20
    };
    let phrase = "Security co-operation and human rights, peace-keeping in Europe ";
    for (unit, words) in [("peace ", 1), (phrase, 10)] {
        let dir = tempdir();
        let reps = size / unit.len();
        write(&dir.path().join("big.txt"), unit.repeat(reps));
        let (ok, peak) = peak_rss_kib(dir.path(), &["analyze", "big.txt", "-o", "out", "--quiet"]);
        let bound = 2 * (size as u64 >> 10) + (64 << 10);
        eprintln!(
            "{} MB of {unit:?}: peak RSS {} MB (bound {} MB)",
            size >> 20,
            peak >> 10,
            bound >> 10
        );
        assert!(ok, "themata failed on {unit:?}");
        assert!(peak > 0, "no VmHWM read from /proc");
        assert!(peak <= bound, "{unit:?}: peak RSS {peak} KiB > {bound} KiB");
        let docs = Table::read(&dir.path().join("out/documents.csv"));
        let r = &docs.records()[0];
        assert_eq!(r["n_tokens"], (words * reps).to_string());
        assert_eq!(r["n_sections"], "1");
    }
}

#[test]
fn binary_file_is_skipped() {
    let dir = tempdir();
    write(&dir.path().join("in/a.txt"), TEXT);
    // A PNG header and pseudo-random bytes (a fixed LCG, so the test is stable).
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let mut x: u32 = 12345;
    for _ in 0..20_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
    }
    write(&dir.path().join("in/image.png"), &bytes);
    write(
        &dir.path().join("in/.DS_Store"),
        b"\0\0\0\x01Bud1\0\0\x10\0",
    );
    // Every file, whatever its extension (the default `--ext txt` would
    // ignore image.png without reading it).
    let out = run(dir.path(), &["in", "-o", "out", "--ext", "*"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("skipped: in/image.png: binary file"), "{err}");
    let m = manifest(&dir.path().join("out"));
    assert_eq!(listed(&m, "skipped"), ["in/image.png"]);
    assert_eq!(listed(&m, "ignored"), ["in/.DS_Store"]);
    assert_eq!(doc_ids(&dir.path().join("out")), ["a"]);
}

#[test]
fn invalid_utf8_in_the_middle_is_replaced_with_a_warning() {
    let dir = tempdir();
    let mut bytes = "Café security here. ".as_bytes().to_vec();
    bytes.extend_from_slice(b"\xff\xfe\x80");
    bytes.extend_from_slice(" peace and trust.\n".as_bytes());
    write(&dir.path().join("bad.txt"), &bytes);
    let out = run(dir.path(), &["bad.txt", "-o", "out"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("bad.txt: invalid UTF-8: 3 byte sequence(s) replaced with U+FFFD"),
        "{err}"
    );
    let docs = Table::read(&dir.path().join("out/documents.csv"));
    let r = &docs.records()[0];
    // Tokens: Café security here peace and trust = 6 (U+FFFD is not a letter).
    assert_eq!((r["n_tokens"], r["encoding"]), ("6", "utf-8"));
    let m = manifest(&dir.path().join("out"));
    assert!(m["inputs"][0]["warning"]
        .as_str()
        .unwrap_or("")
        .contains("invalid UTF-8"));
}

#[test]
fn utf16_without_bom_is_decoded() {
    let dir = tempdir();
    let text = "Security and cooperation in Europe.\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    write(&dir.path().join("in/le.txt"), le);
    write(&dir.path().join("in/be.txt"), be);
    let out = run(dir.path(), &["in", "-o", "out"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("le.txt: decoded as utf-16le (no byte-order mark"),
        "{err}"
    );
    let docs = Table::read(&dir.path().join("out/documents.csv"));
    for r in docs.records() {
        // Security and cooperation in Europe: 5 tokens, 3 terms (and, in).
        assert_eq!((r["n_tokens"], r["n_terms"]), ("5", "3"), "{r:?}");
    }
    let enc: Vec<&str> = docs.records().iter().map(|r| r["encoding"]).collect();
    assert_eq!(enc, ["utf-16be", "utf-16le"]);
}

#[test]
fn nul_bytes_make_a_file_binary() {
    let dir = tempdir();
    write(&dir.path().join("in/a.txt"), TEXT);
    write(&dir.path().join("in/nul.txt"), b"hello\0world text here\n");
    let out = run(dir.path(), &["in", "-o", "out"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("skipped: in/nul.txt: binary file (contains NUL bytes)"),
        "{err}"
    );
    assert_eq!(doc_ids(&dir.path().join("out")), ["a"]);
}

#[test]
fn a_one_megabyte_word_is_one_token() {
    let dir = tempdir();
    let word = "x".repeat(1 << 20);
    write(&dir.path().join("w.txt"), format!("peace {word} peace\n"));
    let out = run(
        dir.path(),
        &[
            "w.txt",
            "-o",
            "out",
            "--tables",
            "documents,terms_by_document",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let docs = Table::read(&dir.path().join("out/documents.csv"));
    let r = &docs.records()[0];
    // peace, <word>, peace: 3 tokens, 2 types.
    assert_eq!((r["n_tokens"], r["n_types"]), ("3", "2"));
    let terms = Table::read(&dir.path().join("out/terms_by_document.csv"));
    assert!(terms.records().iter().any(|t| t["term"].len() == 1 << 20));
}

#[test]
fn deep_folder_tree_is_walked() {
    let dir = tempdir();
    let mut deep = dir.path().join("in");
    for i in 0..200 {
        deep.push(format!("d{i}"));
    }
    write(&deep.join("bottom.txt"), TEXT);
    write(&dir.path().join("in/top.txt"), TEXT);
    let out = run(dir.path(), &["in", "-o", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(doc_ids(&dir.path().join("out")), ["bottom", "top"]);
}

#[test]
fn many_tiny_files() {
    // 100,000 files in release mode (CI), 20,000 in debug builds; the time is
    // printed (see docs/ROBUSTNESS.md for measurements).
    let n: usize = if cfg!(debug_assertions) {
        20_000
    } else {
        100_000
    };
    let dir = tempdir();
    for i in 0..n {
        let sub = dir.path().join(format!("in/{:03}", i / 1000));
        if i % 1000 == 0 {
            fs::create_dir_all(&sub).unwrap();
        }
        fs::write(sub.join(format!("f{i:06}.txt")), format!("peace {i}\n")).unwrap();
    }
    let started = Instant::now();
    let out = run(
        dir.path(),
        &["in", "-o", "out", "--tables", "documents,terms_by_document"],
    );
    eprintln!("{n} tiny files: {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let docs = Table::read(&dir.path().join("out/documents.csv"));
    assert_eq!(docs.rows.len(), n);
    // "peace N": 2 tokens, 1 term (numbers are not terms).
    assert!(docs
        .records()
        .iter()
        .all(|r| r["n_tokens"] == "2" && r["n_terms"] == "1"));
    let m = manifest(&dir.path().join("out"));
    assert_eq!(m["tables"]["terms_by_document.csv"], n as u64);
}

// ---------------------------------------------------------------- outputs

#[test]
fn output_under_a_regular_file_is_fatal() {
    // Fails even as root: a path below a regular file cannot be a folder.
    let dir = tempdir();
    write(&dir.path().join("a.txt"), TEXT);
    let out = run(dir.path(), &["a.txt", "-o", "a.txt/out"]);
    assert_fatal(
        &out,
        "a.txt/out: cannot create output folder",
        &dir.path().join("a.txt/out"),
    );
    assert_eq!(fs::read_to_string(dir.path().join("a.txt")).unwrap(), TEXT);
}

#[test]
fn output_inside_input_is_never_read_back() {
    let dir = tempdir();
    write(&dir.path().join("in/a.txt"), TEXT);
    write(&dir.path().join("in/b.txt"), "Peace and trust.\n");
    let first = run(dir.path(), &["in", "-o", "in/out"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    let before = snapshot(&dir.path().join("in/out"));
    let second = run(dir.path(), &["in", "-o", "in/out"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr_of(&second));
    assert_eq!(doc_ids(&dir.path().join("in/out")), ["a", "b"]);
    // Same input, same tables: byte-identical.
    assert_eq!(before, snapshot(&dir.path().join("in/out")));
    // Also when the output folder is named differently (./in/out/).
    let third = run(dir.path(), &["./in", "-o", "./in/out/"]);
    assert_eq!(third.status.code(), Some(0));
    assert_eq!(doc_ids(&dir.path().join("in/out")), ["a", "b"]);
}

#[test]
fn same_stem_gets_distinct_doc_ids() {
    let dir = tempdir();
    write(&dir.path().join("in/2021/USA.txt"), TEXT);
    write(&dir.path().join("in/2022/USA.txt"), TEXT);
    write(&dir.path().join("in/2022/USA.md"), TEXT);
    write(&dir.path().join("in/RUS.txt"), TEXT);
    let out = run(dir.path(), &["in", "-o", "out", "--ext", "txt,md"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("doc_id `USA` is used by another file too"),
        "{err}"
    );
    // Stem first; on collision the relative path without extension, then with it.
    assert_eq!(
        doc_ids(&dir.path().join("out")),
        ["2021/USA", "2022/USA.md", "2022/USA.txt", "RUS"]
    );
    // Named directly (no folder to make them relative to): a ~N suffix.
    let out = run(
        dir.path(),
        &["in/2021/USA.txt", "in/2022/USA.txt", "-o", "direct"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(doc_ids(&dir.path().join("direct")), ["USA", "USA~2"]);
}

#[test]
fn odd_file_names_keep_csv_parseable_and_doc_ids_sane() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempdir();
    let names: [&[u8]; 5] = [
        b"a,b.txt",
        b"say \"hi\".txt",
        b"new\nline.txt",
        b"caf\xe9.txt",
        b"tab\there.txt",
    ];
    for name in names {
        write(&dir.path().join("in").join(OsStr::from_bytes(name)), TEXT);
    }
    let out = run(dir.path(), &["in", "-o", "out"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // Messages stay one line: the newline in the name is shown as `\n`.
    assert!(
        err.contains("in/new\\nline.txt: file name has control characters; doc_id is `new_line`"),
        "{err}"
    );
    // Every line is a `warning:`, `skipped:` or `themata:` line, or one of
    // the closing summary's two fixed lines; no line starts mid-name.
    assert!(
        err.lines().all(|l| [
            "warning: ",
            "skipped: ",
            "themata: ",
            "Tables: ",
            "No input file was skipped."
        ]
        .iter()
        .any(|p| l.starts_with(p))),
        "{err}"
    );
    let mut ids = doc_ids(&dir.path().join("out"));
    ids.sort();
    // Control characters become `_`; a non-UTF-8 byte becomes U+FFFD.
    assert_eq!(
        ids,
        ["a,b", "caf\u{FFFD}", "new_line", "say \"hi\"", "tab_here"]
    );
    for table in TABLES {
        let t = Table::read(&dir.path().join(format!("out/{table}.csv")));
        assert!(t.rows.iter().all(|r| r.len() == t.header.len()), "{table}");
    }
    // The term matrix has one column per doc_id.
    let matrix = Table::read(&dir.path().join("out/term_matrix.csv"));
    assert_eq!(matrix.header.len(), 3 + 5);
}

#[test]
fn strict_makes_any_skip_fatal_and_keeps_previous_output() {
    let dir = tempdir();
    write(&dir.path().join("in/a.txt"), TEXT);
    let ok = run(dir.path(), &["in", "-o", "out"]);
    assert_eq!(ok.status.code(), Some(0));
    let before = snapshot(&dir.path().join("out"));
    write(&dir.path().join("in/empty.txt"), "");
    let strict = run(dir.path(), &["in", "-o", "out", "--strict"]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(stderr_of(&strict).contains("themata: error: in/empty.txt: empty file (--strict)"));
    assert_eq!(
        before,
        snapshot(&dir.path().join("out")),
        "previous output changed"
    );
    // Hidden files are ignored, not skipped: --strict accepts them.
    fs::remove_file(dir.path().join("in/empty.txt")).unwrap();
    write(&dir.path().join("in/.DS_Store"), b"\0\0\0\x01Bud1");
    write(&dir.path().join("in/.git/config"), "[core]\n");
    let hidden = run(dir.path(), &["in", "-o", "out", "--strict"]);
    assert_eq!(hidden.status.code(), Some(0), "{}", stderr_of(&hidden));
    let m = manifest(&dir.path().join("out"));
    assert_eq!(listed(&m, "ignored"), ["in/.DS_Store", "in/.git"]);
    assert!(listed(&m, "skipped").is_empty());
}

#[test]
fn malformed_codebooks_fail_with_line_and_column() {
    let dir = tempdir();
    write(&dir.path().join("a.txt"), TEXT);
    // (file, content, expected "file:line:column: message" start), positions by hand.
    let cases: [(&str, &[u8], &str); 8] = [
        ("unknown.toml", b"[[theme]]\nkey = \"a\"\npatterns = [\"x\"]\nbogus = 1\n", "unknown.toml:4:1: unknown field `bogus`"),
        ("emptypat.toml", b"[[theme]]\nkey = \"a\"\npatterns = [\"\"]\n", "emptypat.toml:3:14: theme `a`: empty pattern"),
        ("star.toml", b"[[theme]]\nkey = \"a\"\npatterns = [\"*\"]\n", "star.toml:3:14: theme `a`: pattern `*`"),
        ("bracket.toml", b"[[theme]]\nkey = \"a\"\npatterns = [\"se[c\"]\n", "bracket.toml:3:14: theme `a`: pattern `se[c`"),
        ("dup.toml", b"[[theme]]\nkey = \"a\"\npatterns = [\"x\"]\n[[theme]]\nkey = \"a\"\npatterns = [\"y\"]\n", "dup.toml:5:7: duplicate theme `a`"),
        ("unclosed.toml", b"[[theme]]\nkey = \"a\npatterns = [\"x\"]\n", "unclosed.toml:2:9: "),
        ("latin1.toml", b"[[theme]]\nkey = \"caf\xe9\"\npatterns = [\"x\"]\n", "latin1.toml:2:11: not valid UTF-8"),
        ("traversal.toml", b"[[theme]]\nkey = \"../x\"\npatterns = [\"x\"]\n", "traversal.toml:2:7: theme key `../x` must be"),
    ];
    for (file, content, expected) in cases {
        write(&dir.path().join(file), content);
        let out_dir = format!("out_{file}");
        let out = run(dir.path(), &["a.txt", "-o", &out_dir, "--themes", file]);
        assert_fatal(&out, expected, &dir.path().join(&out_dir));
        // `themes check` reports the same line.
        let check = themata(dir.path())
            .args(["themes", "check", file])
            .output()
            .unwrap();
        assert_eq!(check.status.code(), Some(2));
        assert!(
            stderr_of(&check).contains(expected),
            "{}",
            stderr_of(&check)
        );
    }
}

// ------------------------------------------------------- atomic output

/// Writes `n` documents of about 45 KB each (for runs long enough to kill).
fn big_corpus(dir: &Path, n: usize) {
    let words = [
        "security",
        "cooperation",
        "Europe",
        "peace",
        "dialogue",
        "trust",
        "the",
        "of",
        "OSCE",
        "states",
        "sovereignty",
        "principles",
        "Helsinki",
        "Final",
        "Act",
    ];
    let mut x: u32 = 7;
    for d in 0..n {
        let mut text = String::with_capacity(50_000);
        for line in 0..100 {
            for _ in 0..60 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                text.push_str(words[(x >> 16) as usize % words.len()]);
                text.push(' ');
            }
            text.push_str(if line % 5 == 4 { "\n\n" } else { "\n" });
        }
        write(&dir.join(format!("d{d:04}.txt")), text);
    }
}

/// The staging folders of output folder `out` (beside it, in its parent).
fn staging_folders(out: &Path) -> Vec<PathBuf> {
    let prefix = format!(
        ".themata-staging.{}.",
        out.file_name().unwrap().to_string_lossy()
    );
    fs::read_dir(out.parent().unwrap())
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Starts a run held by the binary's test hook once its staging folder exists
/// (`THEMATA_TEST_PAUSE=staging:MARKER`: it creates MARKER and waits), sends
/// `signal` and returns the exit status. No timing: the test waits for the
/// marker, not for a clock.
fn interrupt_run(dir: &Path, signal: &str) -> std::process::ExitStatus {
    let marker = dir.join(format!("staged{signal}.marker"));
    let bin = assert_cmd::cargo::cargo_bin("themata");
    let mut child = std::process::Command::new(bin)
        .current_dir(dir)
        .args(["analyze", "in", "-o", "in/out", "-q"])
        .env(
            "THEMATA_TEST_PAUSE",
            format!("staging:{}", marker.display()),
        )
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(300);
    while !marker.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended ({status}) before it made its staging folder");
        }
        assert!(
            Instant::now() < deadline,
            "the run never made its staging folder"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        !staging_folders(&dir.join("in/out")).is_empty(),
        "a held run has its staging folder"
    );
    std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    child.wait().expect("wait")
}

#[test]
fn killed_run_leaves_previous_output_intact() {
    let dir = tempdir();
    // More than one chunk of 256 documents, so rows are being written while
    // later documents are still being analyzed when the signal arrives.
    let docs = if cfg!(debug_assertions) { 300 } else { 800 };
    big_corpus(&dir.path().join("in"), docs);
    let first = run(dir.path(), &["in", "-o", "in/out", "-q"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    let before = snapshot(&dir.path().join("in/out"));

    // SIGKILL: no handler runs; the staging folder stays behind.
    let status = interrupt_run(dir.path(), "-KILL");
    assert!(!status.success());
    let leftover = staging_folders(&dir.path().join("in/out"));
    assert_eq!(leftover.len(), 1, "SIGKILL leaves the staging folder");
    assert_eq!(
        before,
        snapshot(&dir.path().join("in/out")),
        "previous tables changed by a killed run"
    );

    // The leftover staging folder is not read back as input, and the next
    // run removes it (its owner is gone).
    let again = run(dir.path(), &["in", "-o", "in/out", "-q"]);
    assert!(staging_folders(&dir.path().join("in/out")).is_empty());
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(doc_ids(&dir.path().join("in/out")).len(), docs);
    // (The whole output folder is excluded from the walk, staging included.)
    let m = manifest(&dir.path().join("in/out"));
    let sources: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["source"].as_str().unwrap())
        .collect();
    assert!(
        sources.iter().all(|s| !s.starts_with("in/out")),
        "{sources:?}"
    );
    let before = snapshot(&dir.path().join("in/out"));

    // SIGINT (Ctrl-C): the handler removes the staging folder, exit 130.
    let status = interrupt_run(dir.path(), "-INT");
    assert_eq!(status.code(), Some(130));
    assert!(staging_folders(&dir.path().join("in/out")).is_empty());
    assert_eq!(before, snapshot(&dir.path().join("in/out")));
}

// ------------------------------------------------ spreadsheet safety

/// Every cell of every CSV table in `out`, with its table and column.
fn all_cells(out: &Path) -> Vec<(String, String, String)> {
    let mut cells = Vec::new();
    for e in fs::read_dir(out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            let t = Table::read(&p);
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            for h in &t.header {
                cells.push((name.clone(), "header".into(), h.clone()));
            }
            for r in &t.rows {
                for (h, v) in t.header.iter().zip(r) {
                    cells.push((name.clone(), h.clone(), v.clone()));
                }
            }
        }
    }
    cells
}

#[test]
fn no_cell_starts_like_a_formula() {
    let dir = tempdir();
    let doc = "=HYPERLINK(\"http://evil.example\",\"click\")\n\n\
               @SUM(A1:A9) peace security\n\n\
               +cmd|' /C calc'!A0 trust\n\n\
               -2+3 dialogue =1+1 cooperation\n\n\
               \tTabbed start security\n\n\
               - list item security\n\n\
               =signature";
    write(&dir.path().join("in/=cmd.txt"), doc);
    write(&dir.path().join("in/@sum.txt"), "@SUM peace\n");
    write(&dir.path().join("in/+plus.txt"), "+x security\n");
    write(&dir.path().join("in/-minus.txt"), "-x security\n");
    write(
        &dir.path().join("themes.toml"),
        "[[theme]]\nkey = \"-dash\"\nlabel = \"=label\"\npatterns = [\"security\"]\n",
    );
    let out = run(dir.path(), &["in", "-o", "out", "--themes", "themes.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let cells = all_cells(&dir.path().join("out"));
    assert!(cells.len() > 100);
    let numeric = [
        "section_id",
        "n_sections",
        "n_tokens",
        "n_terms",
        "n_types",
        "coverage",
        "count",
        "per_1000",
        "n",
        "bytes",
        "start_byte",
        "end_byte",
        "total",
    ];
    for (table, column, value) in &cells {
        assert!(
            !value.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{table} {column}: {value:?} starts like a formula"
        );
        if numeric.contains(&column.as_str()) {
            assert!(value.parse::<f64>().is_ok(), "{table} {column}: {value:?}");
        }
    }
    // The guarded doc_id is the same in every table.
    assert!(cells
        .iter()
        .any(|(t, c, v)| t == "sections.csv" && c == "doc_id" && v == "'=cmd"));
    assert!(cells
        .iter()
        .any(|(t, c, v)| t == "term_matrix.csv" && c == "header" && v == "'=cmd"));
    assert!(cells.iter().any(|(_, c, v)| c == "theme" && v == "'-dash"));
}

// ---------------------------------------------------- path traversal

#[test]
fn nothing_is_written_outside_the_output_folder() {
    let dir = tempdir();
    let work = dir.path().join("work");
    write(&work.join("in/..x.txt"), TEXT); // hidden: ignored
    write(&work.join("in/x..txt"), TEXT);
    write(&work.join("in/sub/../y.txt"), TEXT); // `..` inside the named path
    write(&work.join("in/.. .txt"), TEXT);
    write(&work.join("in/... ../z.txt"), TEXT);
    let before = snapshot(dir.path());
    let out = run(
        &work,
        &["in/sub/../", "in/sub/../../in/x..txt", "-o", "out"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let after = snapshot(dir.path());
    let new: Vec<&PathBuf> = after
        .iter()
        .map(|(p, _)| p)
        .filter(|p| !before.iter().any(|(b, _)| b == *p))
        .collect();
    assert!(!new.is_empty());
    for p in new {
        assert!(
            p.starts_with(work.join("out")),
            "{} written outside -o",
            p.display()
        );
    }
    // A theme key that looks like a path is refused by the codebook validator.
    write(
        &work.join("t.toml"),
        "[[theme]]\nkey = \"../../etc/x\"\npatterns = [\"x\"]\n",
    );
    let bad = run(&work, &["in", "-o", "out2", "--themes", "t.toml"]);
    assert_fatal(
        &bad,
        "t.toml:2:7: theme key `../../etc/x` must be",
        &work.join("out2"),
    );
}

// ------------------------------------------------------ the UN corpus

#[test]
fn un_corpus_with_injected_junk() {
    let src = corpus("ungdc");
    let dir = tempdir();
    let input = dir.path().join("in");
    // Debug builds copy two sessions' folders (keeps `cargo test` fast); release (CI) copies all.
    let mut years: Vec<PathBuf> = fs::read_dir(&src)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    years.sort();
    if cfg!(debug_assertions) {
        years.truncate(2);
    }
    let mut speeches = 0;
    for y in &years {
        for e in fs::read_dir(y).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "txt") {
                let to = input
                    .join(y.file_name().unwrap())
                    .join(p.file_name().unwrap());
                write(&to, fs::read(&p).unwrap());
                speeches += 1;
            }
        }
    }
    if !cfg!(debug_assertions) {
        assert_eq!(speeches, 1938, "the UN corpus has 1,938 speeches");
    }
    // Junk: 2 binary files, an empty file, a FIFO (skipped); .DS_Store (ignored);
    // BOM, CRLF, invalid-UTF-8 and Latin-1 text files (analyzed, 4 of them).
    write(
        &input.join("junk/photo.jpg"),
        b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xdb",
    );
    write(
        &input.join("junk/archive.zip"),
        b"PK\x03\x04\x14\0\0\0\x08\0\0\0!\0",
    );
    write(&input.join("junk/empty.txt"), "");
    write(
        &input.join(".DS_Store"),
        b"\0\0\0\x01Bud1\0\0\x10\0\0\0\x08",
    );
    write(&input.join("junk/bom.txt"), "\u{FEFF}Peace and security.\n");
    write(
        &input.join("junk/crlf.txt"),
        "Peace and security.\r\nTrust.\r\n",
    );
    write(
        &input.join("junk/invalid.txt"),
        b"Caf\xc3\xa9 peace \xff\xfe security.\n",
    );
    write(&input.join("junk/latin1.txt"), b"Caf\xe9 s\xe9curit\xe9.\n");
    let fifo = mkfifo(&input.join("junk/pipe.txt"));
    let started = Instant::now();
    let out = run(
        dir.path(),
        &[
            "in",
            "-o",
            "out",
            "--tables",
            "documents,themes_by_document",
            "--ext",
            "*",
        ],
    );
    eprintln!(
        "UN corpus ({speeches} speeches) + junk: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(doc_ids(&dir.path().join("out")).len(), speeches + 4);
    let m = manifest(&dir.path().join("out"));
    let mut expected_skips = vec![
        "in/junk/archive.zip",
        "in/junk/empty.txt",
        "in/junk/photo.jpg",
    ];
    if fifo {
        expected_skips.push("in/junk/pipe.txt");
    }
    let mut skipped = listed(&m, "skipped");
    skipped.sort();
    assert_eq!(skipped, expected_skips);
    for s in &skipped {
        assert!(
            err.contains(&format!("skipped: {s}: ")),
            "{s} not named on stderr"
        );
    }
    assert_eq!(listed(&m, "ignored"), ["in/.DS_Store"]);

    let strict = run(
        dir.path(),
        &["in", "-o", "strict", "--strict", "--ext", "*"],
    );
    assert_fatal(&strict, "(--strict)", &dir.path().join("strict"));
}

// -------------------------------------------- properties (cf. fuzz/)

mod properties {
    use proptest::prelude::*;
    use themata::analyze::{Analyzer, AnalyzerOptions};
    use themata::count::{count_document, Vocabulary};
    use themata::section::{split, Mode};
    use themata::theme::{Codebook, Matcher};
    use themata::token::tokenize;

    /// Text built from pieces that exercise the splitter and tokenizer:
    /// line ends, list markers, hyphens, apostrophes, non-ASCII letters.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("\n\n".to_string()),
            Just(" ".to_string()),
            Just("– ".to_string()),
            Just("1. ".to_string()),
            Just("(iv) ".to_string()),
            Just("co-operation".to_string()),
            Just("pre\u{2011}eminent".to_string()),
            Just("one’s".to_string()),
            Just("human rights".to_string()),
            Just("2 December 2022".to_string()),
            "[a-zA-Z]{1,8}",
            "\\PC{1,4}",
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
    }

    fn modes() -> Vec<Mode> {
        vec![
            Mode::Auto,
            Mode::Paragraphs,
            Mode::Lines,
            Mode::None,
            Mode::Heading(regex::Regex::new(r"^\d").unwrap()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn sections_are_ordered_disjoint_and_on_char_boundaries(t in text()) {
            for mode in modes() {
                let sections = split(&t, &mode);
                let mut end = 0;
                for (i, s) in sections.iter().enumerate() {
                    prop_assert_eq!(s.id as usize, i + 1);
                    prop_assert!(s.range.start >= end, "overlap in {:?}", mode);
                    prop_assert!(s.range.start < s.range.end);
                    prop_assert!(t.is_char_boundary(s.range.start) && t.is_char_boundary(s.range.end));
                    prop_assert!(!t[s.range.clone()].trim().is_empty());
                    end = s.range.end;
                }
            }
        }

        #[test]
        fn tokens_slice_the_text_on_char_boundaries(t in text()) {
            let mut tokens = Vec::new();
            tokenize(&t, 0..t.len(), &mut tokens);
            // A token is a word for ICU (src/token.rs): it holds a letter,
            // number or `@`, or two connectors (`__`).
            let word = regex::Regex::new(
                r"[\p{L}\p{N}\p{wb=ALetter}\p{wb=Katakana}\p{wb=Numeric}@]|\p{wb=ExtendNumLet}.*\p{wb=ExtendNumLet}",
            )
            .unwrap();
            let mut end = 0;
            for tok in &tokens {
                prop_assert!(tok.start >= end && tok.start < tok.end && tok.end <= t.len());
                prop_assert!(t.is_char_boundary(tok.start) && t.is_char_boundary(tok.end));
                prop_assert!(word.is_match(&t[tok.range()]));
                end = tok.end;
            }
        }

        #[test]
        fn section_counts_sum_to_document_counts(t in text()) {
            let analyzer = Analyzer::new(&AnalyzerOptions::default()).unwrap();
            let codebook = Codebook::default_codebook();
            let matcher = Matcher::new(&codebook, &analyzer).unwrap();
            let mut cache = Vocabulary::default();
            for mode in modes() {
                let c = count_document(&t, &mode, &analyzer, &matcher, 3, &mut cache);
                let tokens: u64 = c.sections.iter().map(|s| s.n_tokens).sum();
                let terms: u64 = c.sections.iter().map(|s| s.n_terms).sum();
                prop_assert_eq!(tokens, c.n_tokens);
                prop_assert_eq!(terms, c.n_terms);
                let by_doc: u64 = c.terms.iter().map(|&(_, n, _)| u64::from(n)).sum();
                prop_assert_eq!(by_doc, c.n_terms);
                // Sections carry the same ranges as the splitter gives.
                let ranges: Vec<_> = split(&t, &mode).into_iter().map(|s| s.range).collect();
                let counted: Vec<_> = c.sections.iter().map(|s| s.section.range.clone()).collect();
                prop_assert_eq!(ranges, counted);
            }
        }
    }
}
