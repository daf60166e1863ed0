//! Corpora as tables: a CSV, TSV, JSON Lines or Parquet file (CSV and JSON
//! Lines also gzip- or zstd-compressed) read one document per row. The
//! reference for every count is the same corpus read as a folder of .txt
//! files: a table built from the files must give the same counts.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::util::{corpus, tempdir, themata, Table};

/// The UN General Debate speeches of one year as (doc_id, country, year,
/// text), doc_id = file stem COUNTRY_SESSION_YEAR, in file-name order (the
/// order a folder walk reads them).
fn un(year: &str) -> Vec<[String; 4]> {
    let dir = corpus("ungdc").join(year);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
            let parts: Vec<&str> = stem.split('_').collect();
            let text = std::fs::read_to_string(p).unwrap();
            [stem.clone(), parts[0].into(), parts[2].into(), text]
        })
        .collect()
}

const HEADER: [&str; 4] = ["doc_id", "country", "year", "text"];

fn write_csv(path: &Path, rows: &[[String; 4]], delimiter: u8) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    w.write_record(HEADER).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    let bytes = w.into_inner().unwrap();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

fn write_jsonl(path: &Path, rows: &[[String; 4]]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for r in rows {
        let object =
            serde_json::json!({"doc_id": r[0], "country": r[1], "year": r[2], "text": r[3]});
        writeln!(bytes, "{object}").unwrap();
    }
    std::fs::write(path, &bytes).unwrap();
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A Parquet file written with the Arrow writer; `year` typed Int64.
fn write_parquet(path: &Path, rows: &[[String; 4]], rows_per_group: usize) {
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    let strings = |i: usize| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r[i].clone()),
        ))
    };
    let years: ArrayRef = Arc::new(Int64Array::from_iter_values(
        rows.iter().map(|r| r[2].parse::<i64>().unwrap()),
    ));
    let batch = RecordBatch::try_from_iter([
        ("doc_id", strings(0)),
        ("country", strings(1)),
        ("year", years),
        ("text", strings(3)),
    ])
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(rows_per_group))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Runs `themata ARGS -o DIR/NAME` and returns the output folder.
fn run(dir: &Path, name: &str, args: &[&str]) -> std::path::PathBuf {
    let out = dir.join(name);
    themata(dir)
        .args(args)
        .args(["--quiet", "--charts", "none", "-o"])
        .arg(&out)
        .assert()
        .success();
    out
}

/// The columns of documents.csv that must not depend on where a text came from.
const SAME: [&str; 9] = [
    "doc_id",
    "title",
    "n_sections",
    "n_tokens",
    "n_terms",
    "n_types",
    "coverage",
    "country",
    "year",
];

fn columns(table: &Table, names: &[&str]) -> Vec<Vec<String>> {
    let idx: Vec<usize> = names.iter().map(|n| table.col(n)).collect();
    table
        .rows
        .iter()
        .map(|r| idx.iter().map(|&i| r[i].clone()).collect())
        .collect()
}

/// The table read as documents gives the same documents.csv counts and the
/// same terms_by_document.csv (byte for byte) as the .txt folder with
/// `--meta-pattern`, for CSV, TSV, JSON Lines, gzip, zstd and Parquet.
#[test]
fn tables_count_as_the_files_do() {
    let rows = un("2022");
    assert_eq!(rows.len(), 193, "the 2022 session has 193 speeches");
    let dir = tempdir();
    let d = dir.path();
    let folder = corpus("ungdc").join("2022");
    let reference = run(
        d,
        "folder",
        &[
            "analyze",
            folder.to_str().unwrap(),
            "--meta-pattern",
            "{country}_{session}_{year}",
        ],
    );
    let csv = write_csv(&d.join("un2022.csv"), &rows, b',');
    write_csv(&d.join("un2022.tsv"), &rows, b'\t');
    let jsonl = write_jsonl(&d.join("un2022.jsonl"), &rows);
    std::fs::write(d.join("un2022.csv.gz"), gzip(&csv)).unwrap();
    std::fs::write(d.join("un2022.jsonl.gz"), gzip(&jsonl)).unwrap();
    std::fs::write(
        d.join("un2022.csv.zst"),
        zstd::encode_all(&csv[..], 3).unwrap(),
    )
    .unwrap();
    // Row groups of 50 rows: the reader crosses row-group boundaries.
    write_parquet(&d.join("un2022.parquet"), &rows, 50);
    let expected_docs = columns(&Table::read(&reference.join("documents.csv")), &SAME);
    assert_eq!(expected_docs.len(), 193);
    let expected_terms = std::fs::read(reference.join("terms_by_document.csv")).unwrap();
    for table in [
        "un2022.csv",
        "un2022.tsv",
        "un2022.jsonl",
        "un2022.csv.gz",
        "un2022.jsonl.gz",
        "un2022.csv.zst",
        "un2022.parquet",
    ] {
        let out = run(d, &format!("out-{table}"), &["analyze", table]);
        let docs = Table::read(&out.join("documents.csv"));
        assert_eq!(columns(&docs, &SAME), expected_docs, "{table}");
        let first = &docs.records()[0];
        assert_eq!(first["source"], format!("{table}#1"), "{table}");
        assert_eq!(first["encoding"], "utf-8");
        assert_eq!(first["bytes"], rows[0][3].len().to_string());
        let terms = std::fs::read(out.join("terms_by_document.csv")).unwrap();
        assert!(
            terms == expected_terms,
            "{table}: terms_by_document.csv differs"
        );
    }
}

/// `compare --by year` and `--by country` group on the table's own columns
/// (2021 and 2022 speeches), with the same keyness as the folders read with
/// `--meta-pattern`.
#[test]
fn compare_by_table_columns() {
    let mut rows = un("2021");
    rows.extend(un("2022"));
    let dir = tempdir();
    let d = dir.path();
    write_csv(&d.join("un.csv"), &rows, b',');
    let ungdc = corpus("ungdc");
    let folders = [ungdc.join("2021"), ungdc.join("2022")];
    let [f21, f22] = folders.each_ref().map(|f| f.to_str().unwrap());
    for by in ["year", "country"] {
        let from_table = run(d, &format!("t-{by}"), &["compare", "un.csv", "--by", by]);
        let pattern = "{country}_{session}_{year}";
        let from_files = run(
            d,
            &format!("f-{by}"),
            &["compare", f21, f22, "--by", by, "--meta-pattern", pattern],
        );
        let keyness = |out: &Path| std::fs::read(out.join("keyness.csv")).unwrap();
        let table = keyness(&from_table);
        assert!(table.len() > 100, "--by {by}: keyness.csv is empty");
        assert!(
            table == keyness(&from_files),
            "--by {by}: keyness.csv differs"
        );
    }
}

/// A table and text files in one run; a folder walk reads a .csv as a
/// table only when --ext names it; no doc_id column: the row number.
#[test]
fn tables_and_files_mixed() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::create_dir(d.join("in")).unwrap();
    std::fs::write(d.join("in/a.txt"), "Peace and security.\n").unwrap();
    std::fs::write(
        d.join("in/t.csv"),
        "text,lang\nFirst row.,en\nSecond row.,fr\n",
    )
    .unwrap();
    let ids = |out: &Path| -> Vec<String> {
        let docs = Table::read(&out.join("documents.csv"));
        docs.records()
            .iter()
            .map(|r| r["doc_id"].to_string())
            .collect()
    };
    assert_eq!(ids(&run(d, "o1", &["analyze", "in"])), ["a"]);
    let out = run(d, "o2", &["analyze", "in", "--ext", "txt,csv"]);
    assert_eq!(ids(&out), ["a", "1", "2"]);
    let docs = Table::read(&out.join("documents.csv"));
    let lang: Vec<&str> = docs.records().iter().map(|r| r["lang"]).collect();
    assert_eq!(lang, ["", "en", "fr"]);
    assert_eq!(docs.records()[2]["source"], "in/t.csv#2");
    // Named directly, with other column names.
    std::fs::write(d.join("b.csv"), "body,key\nHello world.,k1\n").unwrap();
    let out = run(
        d,
        "o3",
        &[
            "analyze",
            "b.csv",
            "in/a.txt",
            "--text-column",
            "body",
            "--id-column",
            "key",
        ],
    );
    assert_eq!(ids(&out), ["k1", "a"]);
}

/// Runs `themata analyze ARGS` expecting exit 2; returns stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = themata(dir)
        .arg("analyze")
        .args(args)
        .args(["--quiet", "-o", "out"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!dir.join("out").exists(), "half-written output");
    stderr
}

/// Runs analyze on one bad table: the bad row is skipped (named in the
/// manifest with its reason), and with --strict the run fails naming it.
fn skipped_row(name: &str, content: &[u8], row: &str, reason: &str, kept: usize) {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join(name), content).unwrap();
    let out = run(d, "out-ok", &["analyze", name]);
    let docs = Table::read(&out.join("documents.csv"));
    assert_eq!(docs.rows.len(), kept, "{name}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let skipped = &manifest["skipped"][0];
    assert_eq!(skipped["path"], format!("{name}#{row}"), "{manifest}");
    assert_eq!(skipped["reason"], reason);
    let stderr = fails(d, &[name, "--strict"]);
    assert!(
        stderr.contains(&format!("{name}#{row}: {reason}")),
        "{stderr}"
    );
}

#[test]
fn duplicate_id_is_skipped() {
    let csv = b"doc_id,text\na,One.\nb,Two.\na,Three.\n";
    let reason = "line 4, column `doc_id`: duplicate id `a` (first on row 1)";
    skipped_row("t.csv", csv, "3", reason, 2);
}

#[test]
fn ragged_csv_row_is_skipped() {
    // Row 2 has one field; its line is 3.
    let csv = b"doc_id,text\na,One.\nb\nc,Three.\n";
    skipped_row(
        "t.csv",
        csv,
        "2",
        "line 3: 1 field where the header has 2",
        2,
    );
}

#[test]
fn invalid_utf8_is_skipped() {
    let csv = b"doc_id,text\na,One.\nb,T\xffwo.\n";
    skipped_row("t.csv", csv, "2", "line 3, column `text`: invalid UTF-8", 1);
    // JSON Lines: the column is the byte's, from 1 (11 valid bytes before it).
    let jsonl = b"{\"text\": \"One.\"}\n{\"text\": \"T\xffwo.\"}\n";
    skipped_row("t.jsonl", jsonl, "2", "line 2, column 12: invalid UTF-8", 1);
}

#[test]
fn text_not_a_string_is_skipped() {
    let jsonl = b"{\"doc_id\": \"a\", \"text\": \"One.\"}\n{\"doc_id\": \"b\", \"text\": 12}\n";
    let reason = "line 2, column `text`: not a string (a number)";
    skipped_row("t.jsonl", jsonl, "2", reason, 1);
}

#[test]
fn json_syntax_error_is_skipped() {
    // Line 2 breaks off after 19 characters (serde_json's column).
    let jsonl = b"{\"text\": \"One.\"}\n{\"text\": \"Two.\", x}\n{\"text\": \"Three.\"}\n";
    let reason = "line 2, column 18: JSON error: key must be a string";
    skipped_row("t.jsonl", jsonl, "2", reason, 2);
}

#[test]
fn missing_text_column_is_fatal() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("t.csv"), "doc_id,body\na,One.\n").unwrap();
    let stderr = fails(d, &["t.csv"]);
    assert!(
        stderr.contains("t.csv: line 1: no text column `text`"),
        "{stderr}"
    );
    std::fs::write(d.join("t.jsonl"), "{\"body\": \"One.\"}\n").unwrap();
    let stderr = fails(d, &["t.jsonl"]);
    assert!(
        stderr.contains("t.jsonl: no row has the text column `text`"),
        "{stderr}"
    );
    write_parquet(
        &d.join("t.parquet"),
        &[["a".into(), "b".into(), "1".into(), "x".into()]],
        10,
    );
    let stderr = fails(d, &["t.parquet", "--text-column", "year"]);
    assert!(
        stderr.contains("t.parquet: column `year` is Int64, not text"),
        "{stderr}"
    );
    let stderr = fails(d, &["t.parquet", "--id-column", "key"]);
    assert!(stderr.contains("t.parquet: no id column `key`"), "{stderr}");
}

/// A compressed table cut short (a partial download) is fatal, not read
/// as far as it goes: gzip and zstd both check the end of their stream.
#[test]
fn truncated_compressed_table_is_fatal() {
    let rows = un("2022");
    let dir = tempdir();
    let d = dir.path();
    let csv = write_csv(&d.join("full.csv"), &rows[..20], b',');
    let gz = gzip(&csv);
    std::fs::write(d.join("t.csv.gz"), &gz[..gz.len() / 2]).unwrap();
    let stderr = fails(d, &["t.csv.gz"]);
    assert!(stderr.contains("t.csv.gz: "), "{stderr}");
    let jsonl = write_jsonl(&d.join("full.jsonl"), &rows[..20]);
    let zst = zstd::encode_all(&jsonl[..], 3).unwrap();
    std::fs::write(d.join("t.jsonl.zst"), &zst[..zst.len() / 2]).unwrap();
    let stderr = fails(d, &["t.jsonl.zst"]);
    assert!(stderr.contains("t.jsonl.zst: line "), "{stderr}");
}

#[test]
fn empty_id_is_skipped() {
    // Row 2's doc_id is empty; a quoted text spans lines 2-3, so row 2 is on line 4.
    let csv = b"doc_id,text\na,\"One\nmore.\"\n,Two.\nc,Three.\n";
    skipped_row("t.csv", csv, "2", "line 4, column `doc_id`: empty id", 2);
}

/// A Parquet file in memory: `doc_id` and `text` (a null in row 3),
/// two rows per row group, so row 3 is in row group 2.
fn parquet_with_null_text() -> Vec<u8> {
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    let ids: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c", "d"]));
    let text: ArrayRef = Arc::new(StringArray::from(vec![
        Some("One."),
        Some("Two."),
        None,
        Some("Four."),
    ]));
    let batch = RecordBatch::try_from_iter([("doc_id", ids), ("text", text)]).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(2))
        .build();
    let mut bytes = Vec::new();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    bytes
}

#[test]
fn parquet_null_text_is_skipped_naming_its_row_group() {
    let reason = "row group 2, column `text`: not a string (null)";
    skipped_row("t.parquet", &parquet_with_null_text(), "3", reason, 3);
}

/// A JSON Lines file saved by a Windows tool starts with a byte order
/// mark: the first row is read, not skipped as a JSON error.
#[test]
fn jsonl_byte_order_mark_is_passed_over() {
    let dir = tempdir();
    let d = dir.path();
    let jsonl = "\u{feff}{\"doc_id\": \"a\", \"text\": \"One.\"}\r\n{\"doc_id\": \"b\", \"text\": \"Two.\"}\r\n";
    std::fs::write(d.join("t.jsonl"), jsonl).unwrap();
    let out = run(d, "out", &["analyze", "t.jsonl", "--strict"]);
    let docs = Table::read(&out.join("documents.csv"));
    let ids: Vec<&str> = docs.records().iter().map(|r| r["doc_id"]).collect();
    assert_eq!(ids, ["a", "b"]);
}

/// A pandas `category` text column is dictionary-encoded in Parquet; it is
/// read as text, with the counts of the same speeches as files.
#[test]
fn parquet_dictionary_text_is_text() {
    use arrow_array::types::Int16Type;
    use arrow_array::{ArrayRef, DictionaryArray, RecordBatch, StringArray};
    let rows = un("2022");
    let dir = tempdir();
    let d = dir.path();
    let ids: ArrayRef = Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r[0])));
    let text: DictionaryArray<Int16Type> = rows.iter().map(|r| r[3].as_str()).collect();
    let batch = RecordBatch::try_from_iter([("doc_id", ids), ("text", Arc::new(text) as ArrayRef)])
        .unwrap();
    let file = std::fs::File::create(d.join("cat.parquet")).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let folder = corpus("ungdc").join("2022");
    let files = run(d, "files", &["analyze", folder.to_str().unwrap()]);
    let table = run(d, "table", &["analyze", "cat.parquet"]);
    let terms = |out: &Path| std::fs::read(out.join("terms_by_document.csv")).unwrap();
    assert!(
        terms(&files) == terms(&table),
        "terms_by_document.csv differs"
    );
}
