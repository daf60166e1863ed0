//! `themata merge`: the shards of a corpus merge into exactly what one
//! `analyze` writes (every table and chart byte for byte; manifest.json
//! equal but for `command` and `shards`), and mismatched, overlapping,
//! missing or foreign folders are refused with one line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::{corpus, tempdir, themata};

/// Every file under `dir` by its path relative to `dir`.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("under dir").to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// The manifest without the fields a merge writes differently (README,
/// "Beyond one machine").
fn manifest_without_merge_fields(bytes: &[u8]) -> serde_json::Value {
    let mut m: serde_json::Value = serde_json::from_slice(bytes).expect("json");
    let o = m.as_object_mut().expect("object");
    o.remove("command");
    o.remove("shards");
    m
}

/// Asserts that `merged` holds the same files as `one`, byte for byte,
/// manifest.json compared as JSON without the merge fields.
fn assert_same_output(one: &Path, merged: &Path) {
    let (a, b) = (files(one), files(merged));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (path, bytes) in &a {
        if path == Path::new("manifest.json") {
            let (x, y) = (
                manifest_without_merge_fields(bytes),
                manifest_without_merge_fields(&b[path]),
            );
            assert_eq!(x, y, "manifest.json");
            let merged: serde_json::Value = serde_json::from_slice(&b[path]).expect("json");
            assert_eq!(merged["command"], "merge");
        } else {
            assert!(bytes == &b[path], "{} differs", path.display());
        }
    }
}

/// `analyze INPUT OPTIONS -o DIR/NAME`, run in DIR.
fn analyze(dir: &Path, input: &Path, name: &str, options: &[&str]) -> PathBuf {
    themata(dir)
        .arg("analyze")
        .arg(input)
        .args(["--quiet", "-o", name])
        .args(options)
        .assert()
        .success();
    dir.join(name)
}

/// Analyzes the N shards of `input` into DIR/shards-N/K and merges them
/// into DIR/merged-N; returns the merged folder.
fn shard_and_merge(dir: &Path, input: &Path, n: u32, options: &[&str], format: &str) -> PathBuf {
    let mut shards = Vec::new();
    for k in 1..=n {
        let shard = format!("--shard={k}/{n}");
        let mut opts = options.to_vec();
        opts.push(&shard);
        shards.push(analyze(dir, input, &format!("shards-{n}/{k}"), &opts));
    }
    // Given in reverse: merge orders them by K.
    shards.reverse();
    let merged = format!("merged-{n}");
    themata(dir)
        .arg("merge")
        .args(&shards)
        .args(["--quiet", "-o", &merged, "--format", format])
        .assert()
        .success();
    dir.join(merged)
}

/// All 1,938 UN speeches (and the corpus's SOURCE.md, ignored): 1, 2, 3
/// and 7 shards merge into exactly the output of one run, with the
/// default options (`--charts auto`: above 50 and 30 documents one run
/// draws no chart, and neither does the merge).
#[test]
fn shards_of_the_un_corpus_merge_into_one_run() {
    let un = corpus("ungdc");
    let dir = tempdir();
    let one = analyze(dir.path(), &un, "one", &[]);
    for n in [1, 2, 3, 7] {
        let merged = shard_and_merge(dir.path(), &un, n, &[], "csv");
        assert_same_output(&one, &merged);
    }
}

/// The 2022 speeches with 3-grams, `--hyphens both`, kwic, every chart
/// and Parquet beside CSV: 3 shards merge into one run.
#[test]
fn shards_with_trigrams_hyphens_both_kwic_and_parquet_merge_into_one_run() {
    let speeches = corpus("ungdc").join("2022");
    let dir = tempdir();
    let options = [
        "--ngrams",
        "3",
        "--hyphens",
        "both",
        "--kwic",
        "--charts",
        "all",
    ];
    let mut one_options = options.to_vec();
    one_options.extend(["--format", "both"]);
    let one = analyze(dir.path(), &speeches, "one", &one_options);
    let merged = shard_and_merge(dir.path(), &speeches, 3, &options, "both");
    assert_same_output(&one, &merged);
    assert!(merged.join("kwic.parquet").is_file());
}

/// A JSON Lines corpus whose `year` holds integers and `share` floats:
/// merged with `--format both`, documents.parquet types them as one run
/// does (Int64, Float64), since each shard records its metadata types.
/// The texts are the first 400 bytes of six 2022 speeches.
#[test]
fn typed_metadata_of_a_table_corpus_survives_the_merge() {
    let speeches = corpus("ungdc").join("2022");
    let dir = tempdir();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&speeches)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    let mut jsonl = String::new();
    for (i, path) in names.iter().take(6).enumerate() {
        let text = std::fs::read_to_string(path).expect("speech");
        let end = (0..=400.min(text.len()))
            .rev()
            .find(|&e| text.is_char_boundary(e))
            .unwrap();
        let row = serde_json::json!({
            "doc_id": format!("d{i}"),
            "year": 2000 + i,
            "share": i as f64 / 4.0,
            "text": &text[..end],
        });
        jsonl.push_str(&format!("{row}\n"));
    }
    let input = dir.path().join("speeches.jsonl");
    std::fs::write(&input, jsonl).expect("write");
    let one = analyze(dir.path(), &input, "one", &["--format", "both"]);
    let merged = shard_and_merge(dir.path(), &input, 3, &[], "both");
    assert_same_output(&one, &merged);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(merged.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "documents.parquet"));
}

/// A small corpus where one run draws every chart (theme rates and the
/// per-document ones), two files share a stem (doc_ids from their paths),
/// a binary file is skipped and a hidden and a Markdown file are ignored;
/// the interchange tables are asked for, so the merge keeps them.
#[test]
fn a_small_corpus_with_charts_skips_and_shared_stems_merges_into_one_run() {
    let speeches = corpus("ungdc").join("2022");
    let dir = tempdir();
    let small = dir.path().join("small");
    for sub in ["a", "b"] {
        std::fs::create_dir_all(small.join(sub)).expect("mkdir");
    }
    let mut names: Vec<PathBuf> = std::fs::read_dir(&speeches)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    for path in names.iter().take(12) {
        std::fs::copy(path, small.join("a").join(path.file_name().expect("name"))).expect("copy");
    }
    std::fs::copy(
        &names[0],
        small.join("b").join(names[0].file_name().expect("name")),
    )
    .expect("copy");
    std::fs::write(small.join("b/zz.txt"), b"\x00\x01binary").expect("write");
    std::fs::write(small.join(".hidden"), "x").expect("write");
    std::fs::write(small.join("notes.md"), "x").expect("write");
    let options = [
        "--tables",
        "documents,term_forms,ngram_forms,term_matrix,themes_by_section",
    ];
    let one = analyze(dir.path(), &small, "one", &options);
    for n in [2, 5] {
        let merged = shard_and_merge(dir.path(), &small, n, &options, "csv");
        assert_same_output(&one, &merged);
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(one.join("manifest.json")).expect("read"))
            .expect("json");
    assert_eq!(manifest["skipped"].as_array().map(Vec::len), Some(1));
    assert_eq!(manifest["ignored"].as_array().map(Vec::len), Some(2));
    assert!(one.join("charts/theme_rates.svg").is_file());
    assert!(one.join("term_forms.csv").is_file());
}

/// `merge ARGS -o DIR/out` fails with exit 2 and one line containing
/// `expected`, and writes no output folder.
fn assert_refused(dir: &Path, args: &[&Path], expected: &str) {
    let output = themata(dir)
        .arg("merge")
        .args(args)
        .args(["-o", "out"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!dir.join("out").exists());
}

/// Refused: shards made with other parameters (`--ngrams`) or an edited
/// codebook, the same shard twice (one folder, or two runs), a document in
/// two shards, a missing shard, Parquet-only shards, shards without a
/// readable document (as one run is), a FIFO in place of a table, a
/// folder that is not a
/// shard output (an analyze output, a missing folder) and an output folder
/// that is one of the shards.
#[test]
fn merge_refuses_mismatched_overlapping_missing_and_foreign_folders() {
    let speeches = corpus("ungdc").join("2022");
    let dir = tempdir();
    let d = dir.path();
    let quick = ["--charts", "none", "--tables", "documents"];
    let s1 = analyze(
        d,
        &speeches,
        "s1",
        &[&quick[..], &["--shard", "1/2"]].concat(),
    );
    let s2 = analyze(
        d,
        &speeches,
        "s2",
        &[&quick[..], &["--shard", "2/2"]].concat(),
    );
    let ngrams = [&quick[..], &["--shard", "2/2", "--ngrams", "3"]].concat();
    let s2_trigrams = analyze(d, &speeches, "s2-trigrams", &ngrams);
    assert_refused(d, &[&s1, &s2_trigrams], "parameters.ngrams = 3");
    assert_refused(d, &[&s1, &s1], "given twice");
    let again = analyze(
        d,
        &speeches,
        "s1-again",
        &[&quick[..], &["--shard", "1/2"]].concat(),
    );
    assert_refused(d, &[&s1, &again], "shard 1/2, as");
    let parquet = [&quick[..], &["--shard", "2/2", "--format", "parquet"]].concat();
    let s2_parquet = analyze(d, &speeches, "s2-parquet", &parquet);
    assert_refused(d, &[&s1, &s2_parquet], "Parquet only");
    // The same codebook file name, edited between the shards.
    let codebook = d.join("codebook.toml");
    std::fs::copy(crate::util::root().join("data/themes.toml"), &codebook).expect("copy");
    let with =
        |k: &'static str| [&quick[..], &["--themes", "codebook.toml", "--shard", k]].concat();
    let c1 = analyze(d, &speeches, "c1", &with("1/2"));
    let text = std::fs::read_to_string(&codebook).expect("read");
    std::fs::write(&codebook, text.replacen("\"secur*\",", "\"securit*\",", 1)).expect("write");
    let c2 = analyze(d, &speeches, "c2", &with("2/2"));
    assert_refused(d, &[&c1, &c2], "shard.codebook_sha256");
    assert_refused(d, &[&s1], "shard 2/2 is missing");
    // Shard 1's documents presented as shard 2 too.
    let copy = d.join("s1-as-2");
    std::fs::create_dir(&copy).expect("mkdir");
    for (path, bytes) in files(&s1) {
        std::fs::write(copy.join(path), bytes).expect("write");
    }
    let text = std::fs::read_to_string(copy.join("manifest.json")).expect("read");
    let text = text.replacen("\"k\": 1,", "\"k\": 2,", 1);
    std::fs::write(copy.join("manifest.json"), text).expect("write");
    assert_refused(d, &[&s1, &copy], "shards must not overlap");
    // A manifest edited to a shard outside 1..=N.
    let text = std::fs::read_to_string(copy.join("manifest.json")).expect("read");
    let text = text.replacen("\"k\": 2,", "\"k\": 5,", 1);
    std::fs::write(copy.join("manifest.json"), text).expect("write");
    assert_refused(
        d,
        &[&s1, &s2, &copy],
        "s1-as-2: not a shard output (its manifest.json says shard 5/2;",
    );
    // One run fails on a corpus with no readable document; so does the merge.
    std::fs::create_dir(d.join("binary")).expect("mkdir");
    std::fs::write(d.join("binary/bin.txt"), b"\x00\x01").expect("write");
    let b1 = analyze(d, &d.join("binary"), "b1", &["--shard", "1/2"]);
    let b2 = analyze(d, &d.join("binary"), "b2", &["--shard", "2/2"]);
    assert_refused(d, &[&b1, &b2], "no document with text");
    // A FIFO in place of a table: refused, not waited on.
    let fifo = analyze(
        d,
        &speeches,
        "fifo",
        &[&quick[..], &["--shard", "2/2"]].concat(),
    );
    std::fs::remove_file(fifo.join("documents.csv")).expect("remove");
    let made = std::process::Command::new("mkfifo")
        .arg(fifo.join("documents.csv"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    assert_refused(d, &[&s1, &fifo], "documents.csv: not a regular file");
    let plain = analyze(d, &speeches, "plain", &quick);
    assert_refused(d, &[&s1, &plain], "not a shard output");
    assert_refused(d, &[&s1, &d.join("nowhere")], "not a shard output");
    let output = themata(d)
        .arg("merge")
        .args([&s1, &s2])
        .arg("-o")
        .arg(&s2)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is one of the shards"));
    assert!(
        s2.join("manifest.json").is_file(),
        "the shard is left as it was"
    );
}

/// `compare --from` a merged folder writes what it writes from one run
/// (the manifest's `compare.from`, the folder read, aside).
#[test]
fn compare_from_a_merged_folder_equals_compare_from_one_run() {
    let speeches = corpus("ungdc").join("2022");
    let dir = tempdir();
    let d = dir.path();
    let options = [
        "--meta-pattern",
        "{country}_{session}_{year}",
        "--tables",
        "documents,themes_by_document,term_forms,ngram_forms",
    ];
    let one = analyze(d, &speeches, "one", &options);
    let merged = shard_and_merge(d, &speeches, 2, &options, "csv");
    for (from, out) in [(&one, "c-one"), (&merged, "c-merged")] {
        themata(d)
            .args([
                "compare",
                "--quiet",
                "--target",
                "country=RUS",
                "--reference",
            ])
            .args(["country=USA", "--from"])
            .arg(from)
            .args(["-o", out])
            .assert()
            .success();
    }
    let (a, b) = (files(&d.join("c-one")), files(&d.join("c-merged")));
    assert!(a.contains_key(Path::new("keyness.csv")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        if path != Path::new("manifest.json") {
            assert!(bytes == &b[path], "{} differs", path.display());
        }
    }
    let manifest = |m: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(m).expect("json");
        v["compare"].as_object_mut().map(|c| c.remove("from"));
        v
    };
    let name = Path::new("manifest.json");
    assert_eq!(manifest(&a[name]), manifest(&b[name]));
}

/// Two shards (1/2, 2/2) of the 2022 speeches with the default tables
/// and no charts, in DIR/s1 and DIR/s2.
fn two_shards(d: &Path) -> (PathBuf, PathBuf) {
    let speeches = corpus("ungdc").join("2022");
    let shard = |k: &str| {
        let name = format!("s{}", &k[..1]);
        analyze(d, &speeches, &name, &["--charts", "none", "--shard", k])
    };
    (shard("1/2"), shard("2/2"))
}

/// A copy of shard folder `from` as DIR/NAME.
fn copy_shard(d: &Path, from: &Path, name: &str) -> PathBuf {
    let copy = d.join(name);
    std::fs::create_dir(&copy).expect("mkdir");
    for (path, bytes) in files(from) {
        std::fs::write(copy.join(path), bytes).expect("write");
    }
    copy
}

/// A FIFO in place of a shard's table is refused at once (opening it for
/// reading would block for ever), and an empty table is named as itself
/// (it was reported as the next shard's "other columns").
#[test]
fn merge_refuses_a_fifo_or_an_empty_table_naming_it() {
    let dir = tempdir();
    let d = dir.path();
    let (s1, s2) = two_shards(d);
    let fifo = copy_shard(d, &s1, "fifo");
    std::fs::remove_file(fifo.join("sections.csv")).expect("rm");
    let made = std::process::Command::new("mkfifo")
        .arg(fifo.join("sections.csv"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let output = themata(d)
        .args(["merge", "fifo", "s2", "-o", "out"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("fifo/sections.csv: not a regular file"),
        "{stderr}"
    );
    assert!(!d.join("out").exists());
    let empty = copy_shard(d, &s1, "empty");
    std::fs::write(empty.join("term_forms.csv"), "").expect("truncate");
    assert_refused(d, &[&empty, &s2], "empty/term_forms.csv: empty file");
}

/// A row deleted from a shard's table after analyze: from
/// `terms_by_document.csv` it was merged silently (a wrong table), from
/// `documents.csv` it was an internal error (index out of bounds); both
/// are refused naming the file, by the row counts of the shard's manifest.
#[test]
fn merge_refuses_a_shard_table_with_a_row_deleted() {
    let dir = tempdir();
    let d = dir.path();
    let (s1, s2) = two_shards(d);
    for table in ["terms_by_document.csv", "documents.csv"] {
        let name = format!("cut-{table}");
        let cut = copy_shard(d, &s1, &name);
        let text = std::fs::read_to_string(cut.join(table)).expect("read");
        let mut lines: Vec<&str> = text.split_inclusive("\r\n").collect();
        lines.remove(3);
        std::fs::write(cut.join(table), lines.concat()).expect("write");
        let expected = format!("{name}/{table}: ");
        assert_refused(d, &[&cut, &s2], &expected);
        assert_refused(d, &[&cut, &s2], "but its manifest.json counts");
    }
}

/// A shard's manifest.json made huge (sparse, 4 GiB) was read whole into
/// memory; it is capped as `compare --from` caps it (64 MiB plus 8 times
/// documents.csv) and refused naming it.
#[test]
fn merge_refuses_a_huge_shard_manifest() {
    let dir = tempdir();
    let d = dir.path();
    let (s1, s2) = two_shards(d);
    let huge = copy_shard(d, &s1, "huge");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(huge.join("manifest.json"))
        .expect("open");
    file.set_len(4 << 30).expect("sparse");
    assert_refused(
        d,
        &[&huge, &s2],
        "huge/manifest.json: 4294967296 bytes, more than a manifest",
    );
}

/// A cell that is not a count in a shard's `term_forms.csv` (read for
/// `term_matrix.csv`): the error named no
/// file (`a shard's table holds `many` where a count belongs`); it names
/// the shard's file and the document.
#[test]
fn merge_names_the_file_of_a_bad_count() {
    let dir = tempdir();
    let d = dir.path();
    let (s1, s2) = two_shards(d);
    let bad = copy_shard(d, &s1, "bad");
    let path = bad.join("term_forms.csv");
    let text = std::fs::read_to_string(&path).expect("read");
    let mut lines: Vec<String> = text.split_inclusive("\r\n").map(String::from).collect();
    let mut cells: Vec<&str> = lines[1].split(',').collect();
    cells[3] = "many\r\n";
    lines[1] = cells.join(",");
    std::fs::write(&path, lines.concat()).expect("write");
    assert_refused(
        d,
        &[&bad, &s2],
        "bad/term_forms.csv: `many` where a count belongs (a row of doc_id `",
    );
}

/// `-o` inside one of the shards (`s1/merged`, or deeper `s1/a/b` whose
/// parents do not exist yet) was accepted and wrote the merge into the
/// shard's folder; it is refused like an output that is a shard.
#[test]
fn merge_refuses_an_output_inside_a_shard() {
    let dir = tempdir();
    let d = dir.path();
    let (s1, s2) = two_shards(d);
    let before = files(&s1);
    for out in ["s1/merged", "s1/a/b", "./s2/../s1/c"] {
        let output = themata(d)
            .args(["merge", "s1", "s2", "-o", out])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("lies inside shard s1"), "{stderr}");
    }
    assert!(files(&s1) == before, "the shard is left as it was");
    assert!(s2.join("manifest.json").is_file());
}

/// A manifest edited to say shard 0/0 made the shard alone "the whole
/// corpus" (exit 0, a merge of a third of the documents), and 5/3 was
/// taken for a shard (`shard 1/3 is missing (3 of 3 shards given)`):
/// K/N outside 1 <= K <= N <= 1,000,000 is not a shard output.
#[test]
fn merge_refuses_a_manifest_with_an_impossible_shard() {
    let dir = tempdir();
    let d = dir.path();
    let (s1, s2) = two_shards(d);
    for (name, k, n) in [("zero", 0, 0), ("five", 5, 2), ("huge", 1, 2_000_000)] {
        let copy = copy_shard(d, &s1, name);
        let path = copy.join("manifest.json");
        let mut m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        m["shard"]["k"] = k.into();
        m["shard"]["n"] = n.into();
        std::fs::write(&path, serde_json::to_vec(&m).expect("json")).expect("write");
        let expected = format!("{name}: not a shard output (its manifest.json says shard {k}/{n};");
        assert_refused(d, &[&copy], &expected);
        assert_refused(d, &[&copy, &s2], &expected);
    }
}

/// Shards of different inputs (here the 2022 speeches of the shared corpus
/// and the shipped excerpt folder) are refused, naming the shard manifests'
/// `inputs`, rather than merged into a mixed corpus.
#[test]
fn merge_refuses_shards_of_other_inputs() {
    let dir = tempdir();
    let d = dir.path();
    let speeches = corpus("ungdc").join("2022");
    let shipped = crate::util::root().join("data/ungdc-2022");
    let s1 = analyze(d, &speeches, "s1", &["--charts", "none", "--shard", "1/2"]);
    let s2 = analyze(d, &shipped, "s2", &["--charts", "none", "--shard", "2/2"]);
    assert_refused(d, &[&s1, &s2], "shard.inputs");
}

/// Texts that begin with `'` before a formula character (`'=q` as a file
/// name, so as doc_id; `'-x` in a section) come out of a merge exactly as
/// one run writes them, in CSV and in Parquet: the CSV guard is reversible
/// (`'=q` is written `''=q`), so merge can take it off the shards' cells.
#[test]
fn texts_beginning_with_a_quote_and_a_formula_character_survive_the_merge() {
    let dir = tempdir();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    std::fs::write(input.join("'=q_1_2020.txt"), "'-x peace.\n\n=sum war.\n").expect("write");
    std::fs::write(input.join("b_2_2021.txt"), "war and peace\n").expect("write");
    std::fs::write(input.join("c_3_2022.txt"), "'+1 plain\n").expect("write");
    let one = analyze(dir.path(), &input, "one", &["--format", "both"]);
    let merged = shard_and_merge(dir.path(), &input, 3, &[], "both");
    assert_same_output(&one, &merged);
    let documents = std::fs::read_to_string(one.join("documents.csv")).expect("read");
    assert!(documents.contains("\r\n''=q_1_2020,"), "{documents}");
}
