//! `--format parquet|both`: every Parquet table read back (with the `parquet`
//! crate here, and with pyarrow through tools/parquet_check.py) holds the
//! header, row order and values of the CSV table of the same run.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;

use crate::util::{corpus, root, tempdir, themata, Table};

/// A Parquet table as the CSV writer would print it: header, and each
/// cell as text (None for null), with its column types.
struct Read {
    header: Vec<String>,
    types: Vec<DataType>,
    rows: Vec<Vec<Option<String>>>,
}

/// The cell as the CSV prints it: integers and booleans as they are,
/// floats with 6 decimals (p_value, tf and tf_idf in scientific notation
/// with 6 decimals, Rust's `{:.6e}`), text with the
/// formula guard (`'` before = + - @ tab CR), as PRODUCT.md states.
fn render(array: &ArrayRef, row: usize, column: &str) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Float64 => {
            let v = array.as_primitive::<Float64Type>().value(row);
            match column {
                "p_value" | "tf" | "tf_idf" => format!("{v:.6e}"),
                _ => format!("{v:.6}"),
            }
        }
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::Utf8 => {
            let s = array.as_string::<i32>().value(row);
            match s.as_bytes().first() {
                Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}"),
                _ => s.to_string(),
            }
        }
        other => panic!("column {column}: unexpected type {other}"),
    })
}

fn read_parquet(path: &Path) -> Read {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    for group in builder.metadata().row_groups() {
        // At most 256 Ki rows and 4 Mi cells (or 1,024 rows of a wider table).
        let (rows, cells) = (
            group.num_rows(),
            group.num_rows() * group.num_columns() as i64,
        );
        assert!(
            rows <= 256 * 1024 && (cells <= 4 << 20 || rows <= 1024),
            "{}: row group of {rows} rows, {cells} cells",
            path.display()
        );
        for column in group.columns() {
            assert!(
                matches!(column.compression(), Compression::ZSTD(_)),
                "{}: {} not zstd",
                path.display(),
                column.column_path()
            );
        }
    }
    let schema = builder.schema().clone();
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let types = schema
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    let mut rows = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        for r in 0..batch.num_rows() {
            rows.push(
                (batch.columns().iter().zip(&header))
                    .map(|(a, c)| render(a, r, c))
                    .collect(),
            );
        }
    }
    Read {
        header,
        types,
        rows,
    }
}

/// The type a column must have, from PRODUCT.md's definitions: counts and
/// ids are integers, rates and scores floats, the rest text.
fn expected_type(table: &str, index: usize, column: &str) -> DataType {
    let int = column.starts_with("count")
        || column.starts_with("total")
        || column.starts_with("n_")
        || matches!(
            column,
            "n" | "section_id" | "bytes" | "start_byte" | "end_byte"
        )
        || (table == "term_matrix" && index >= 2);
    let float = column.starts_with("per_1000")
        || matches!(
            column,
            "coverage"
                | "g2"
                | "p_value"
                | "log_ratio"
                | "chi2"
                | "log_odds"
                | "log_odds_z"
                | "tf"
                | "idf"
                | "tf_idf"
                | "cosine"
        );
    if table == "documents" && index >= 10 {
        DataType::Utf8 // metadata
    } else if column == "excluded" {
        DataType::Boolean
    } else if int {
        DataType::Int64
    } else if float {
        DataType::Float64
    } else {
        DataType::Utf8
    }
}

/// Every `.parquet` of `dir` against its `.csv`: same header, same row
/// count, each cell equal (nulls are empty cells). Returns the tables.
fn assert_same_as_csv(dir: &Path) -> Vec<String> {
    let mut tables = Vec::new();
    for path in parquet_files(dir) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let csv = Table::read(&path.with_extension("csv"));
        let pq = read_parquet(&path);
        assert_eq!(pq.header, csv.header, "{name}: header");
        for (i, (c, t)) in pq.header.iter().zip(&pq.types).enumerate() {
            assert_eq!(*t, expected_type(&name, i, c), "{name}.{c}: type");
        }
        assert_eq!(pq.rows.len(), csv.rows.len(), "{name}: rows");
        for (r, (p, c)) in pq.rows.iter().zip(&csv.rows).enumerate() {
            let p: Vec<String> = p.iter().map(|v| v.clone().unwrap_or_default()).collect();
            assert_eq!(&p, c, "{name}: row {}", r + 1);
        }
        tables.push(name);
    }
    tables.sort();
    tables
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    files
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// The manifest lists each table in both formats with the CSV's row count.
fn assert_manifest_lists_both(dir: &Path, tables: &[String]) {
    let m = manifest(dir);
    let files: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for t in tables {
        let rows = Table::read(&dir.join(format!("{t}.csv"))).rows.len() as u64;
        for ext in ["csv", "parquet"] {
            let file = format!("{t}.{ext}");
            assert!(files.contains(&file.as_str()), "{file} not in files");
            assert_eq!(m["tables"][&file], rows, "{file}: manifest row count");
        }
    }
    assert_eq!(m["parameters"]["format"], "both");
}

#[test]
fn statement_tables_in_parquet_equal_the_csv() {
    let dir = tempdir();
    let out = dir.path().join("out");
    themata(&root())
        // --excel: the CSV starts with a BOM, the Parquet column names do not.
        .args([
            "analyze", "-q", "--kwic", "--excel", "--format", "both", "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let tables = assert_same_as_csv(&out);
    // The nine tables of the contract and kwic.
    assert_eq!(tables.len(), 10, "{tables:?}");
    assert_manifest_lists_both(&out, &tables);
}

#[test]
fn un_2022_tables_in_parquet_equal_the_csv() {
    let ungdc = corpus("ungdc");
    let dir = tempdir();
    themata(dir.path())
        .arg("analyze")
        .arg(ungdc.join("2022"))
        .args(["-q", "--kwic", "--format", "both", "-o", "out"])
        .args(["--meta-pattern", "{country}_{session}_{year}"])
        .assert()
        .success();
    let out = dir.path().join("out");
    let tables = assert_same_as_csv(&out);
    assert_eq!(tables.len(), 10, "{tables:?}");
    assert_manifest_lists_both(&out, &tables);
    // The metadata columns are text; term_matrix has one Int64 column per speech.
    let docs = read_parquet(&out.join("documents.parquet"));
    assert_eq!(docs.header[10..], ["country", "session", "year", "folder"]);
    assert_eq!(docs.rows.len(), 193);
    let matrix = read_parquet(&out.join("term_matrix.parquet"));
    assert_eq!(matrix.header.len(), 3 + 193);
}

/// `compare` of the 2021 and 2022 speeches `--by year`, CSV and Parquet,
/// into DIR/OUT.
fn compare_by_year_2021_2022(dir: &Path, ungdc: &Path, out: &str) {
    themata(dir)
        .arg("compare")
        .arg(ungdc.join("202[12]/*.txt"))
        .args([
            "--meta-pattern",
            "{country}_{session}_{year}",
            "--by",
            "year",
        ])
        .args(["-q", "--format", "both", "-o", out])
        .assert()
        .success();
}

#[test]
fn compare_by_year_tables_in_parquet_equal_the_csv() {
    let ungdc = corpus("ungdc");
    let dir = tempdir();
    compare_by_year_2021_2022(dir.path(), &ungdc, "out");
    let out = dir.path().join("out");
    let tables = assert_same_as_csv(&out);
    assert_eq!(
        tables,
        ["keyness", "similarity", "tfidf", "themes_by_group"],
        "compare's four tables"
    );
    assert_manifest_lists_both(&out, &tables);
    let keyness = read_parquet(&out.join("keyness.parquet"));
    assert!(keyness.rows.len() > 1000, "{}", keyness.rows.len());
}

#[test]
fn parquet_alone_writes_no_csv_and_the_manifest_lists_what_landed() {
    let dir = tempdir();
    let run = |format: &str, out: &str| {
        themata(&root())
            .args(["analyze", "-q", "--format", format, "-o"])
            .arg(dir.path().join(out))
            .assert()
            .success();
    };
    run("parquet", "pq");
    run("parquet", "pq2");
    run("csv", "csv");
    let pq = dir.path().join("pq");
    let mut landed: Vec<String> = walk(&pq, &pq);
    landed.sort();
    let m = manifest(&pq);
    let listed: Vec<String> = (m["files"].as_array().unwrap().iter())
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, landed, "manifest files = files in the folder");
    assert!(!landed.iter().any(|f| f.ends_with(".csv")), "{landed:?}");
    assert_eq!(parquet_files(&pq).len(), 9);
    let counts = m["tables"].as_object().unwrap();
    assert!(counts.keys().all(|k| k.ends_with(".parquet")), "{counts:?}");
    assert_eq!(m["parameters"]["format"], "parquet");
    // The same values as the CSV run, and byte-identical reruns.
    let csv = dir.path().join("csv");
    for path in parquet_files(&pq) {
        let name = path.file_name().unwrap();
        let table = Table::read(&csv.join(name).with_extension("csv"));
        let read = read_parquet(&path);
        let rows: Vec<Vec<String>> = (read.rows.into_iter())
            .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
            .collect();
        assert_eq!(
            (&read.header, &rows),
            (&table.header, &table.rows),
            "{name:?}"
        );
        let again = std::fs::read(dir.path().join("pq2").join(name)).unwrap();
        assert!(
            std::fs::read(&path).unwrap() == again,
            "{name:?} differs between runs"
        );
        let rows = m["tables"][name.to_str().unwrap()].as_u64().unwrap();
        assert_eq!(rows as usize, table.rows.len(), "{name:?}: manifest rows");
    }
}

#[test]
fn kwic_writes_parquet_with_the_rows_of_its_csv() {
    let dir = tempdir();
    for (format, out) in [("both", "both"), ("parquet", "pq")] {
        themata(&root())
            .args(["kwic", "secur*", "-q", "--format", format, "-o"])
            .arg(dir.path().join(out))
            .assert()
            .success();
    }
    let both = dir.path().join("both");
    assert_eq!(assert_same_as_csv(&both), ["kwic"]);
    let pq = dir.path().join("pq");
    let mut landed = walk(&pq, &pq);
    landed.sort();
    assert_eq!(landed, ["kwic.parquet", "manifest.json"]);
    assert_eq!(manifest(&pq)["files"], serde_json::json!(landed));
    let rows = Table::read(&both.join("kwic.csv")).rows.len();
    // At least the 11 tokens of the stem `secur` (tests/golden/terms_by_document.csv).
    assert!(rows >= 11, "{rows}");
    assert_eq!(manifest(&pq)["tables"]["kwic.parquet"], rows as u64);
    // Without -o kwic prints CSV; --format needs -o.
    themata(&root())
        .args(["kwic", "secur*", "--format", "parquet"])
        .assert()
        .code(2);
}

/// Files under `dir`, relative to `base`, with `/`.
fn walk(dir: &Path, base: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path, base));
        } else {
            let rel = path.strip_prefix(base).unwrap();
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    files
}

/// The Python interpreter of a venv in target/ with the pyarrow pinned in
/// tools/requirements-parquet.txt, made on first use (`.ci/run` makes it
/// before the tests). Without python3 the tests that need it fail.
fn pyarrow_python() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let venv = target.join("pyarrow-venv");
    let python = venv.join("bin").join("python");
    let requirements = root().join("tools/requirements-parquet.txt");
    let pinned = std::fs::read_to_string(&requirements).unwrap();
    let version = pinned.trim().trim_start_matches("pyarrow==").to_string();
    let ready = || {
        Command::new(&python)
            .args([
                "-c",
                &format!("import pyarrow; assert pyarrow.__version__ == '{version}'"),
            ])
            .status()
            .is_ok_and(|s| s.success())
    };
    if ready() {
        return python;
    }
    assert!(
        Command::new("python3").arg("--version").output().is_ok(),
        "python3 is missing: the pyarrow check needs it to make {}",
        venv.display()
    );
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap()
        .success()
        && Command::new(venv.join("bin").join("pip"))
            .args(["install", "-q", "-r"])
            .arg(&requirements)
            .status()
            .unwrap()
            .success();
    assert!(
        ok && ready(),
        "could not install {pinned} into {}",
        venv.display()
    );
    python
}

#[test]
fn pyarrow_reads_the_same_rows_and_values_as_the_csv() {
    let ungdc = corpus("ungdc");
    let python = pyarrow_python();
    let dir = tempdir();
    themata(dir.path())
        .arg("analyze")
        .arg(ungdc.join("2022"))
        .args(["-q", "--kwic", "--format", "both", "-o", "out"])
        .args(["--meta-pattern", "{country}_{session}_{year}"])
        .assert()
        .success();
    compare_by_year_2021_2022(dir.path(), &ungdc, "cmp");
    for (out, tables) in [("out", 10), ("cmp", 4)] {
        let run = Command::new(&python)
            .arg(root().join("tools/parquet_check.py"))
            .arg(dir.path().join(out))
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "{out}: {said}{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(
            said.starts_with(&format!("parquet_check: {tables} tables")),
            "{said}"
        );
    }
}

/// A Parquet corpus whose metadata columns are Int64 (`year`), Int32
/// (`rank`), Float64 (`share`), Boolean (`member`) and Utf8 (`country`),
/// each with a null in row 2 (the values are the ones written here).
fn write_typed_corpus(path: &Path) {
    use arrow_array::{
        BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    };
    use std::sync::Arc;
    let batch = RecordBatch::try_from_iter([
        (
            "doc_id",
            Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef,
        ),
        (
            "text",
            Arc::new(StringArray::from(vec!["Peace.", "War.", "Peace and war."])),
        ),
        (
            "year",
            Arc::new(Int64Array::from(vec![Some(2021), None, Some(-7)])),
        ),
        (
            "rank",
            Arc::new(Int32Array::from(vec![Some(1), None, Some(3)])),
        ),
        (
            "share",
            Arc::new(Float64Array::from(vec![Some(0.25), None, Some(1e-7)])),
        ),
        (
            "member",
            Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
        ),
        (
            "country",
            Arc::new(StringArray::from(vec![Some("RUS"), None, Some("-x")])),
        ),
    ])
    .unwrap();
    let file = File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// The metadata columns of documents.parquet (after the 10 fixed ones):
/// name, type, and each value as text (None: null).
fn metadata(dir: &Path) -> Vec<(String, DataType, Vec<Option<String>>)> {
    let path = dir.join("documents.parquet");
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let batches: Vec<_> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    let schema = batches[0].schema();
    (10..schema.fields().len())
        .map(|c| {
            let field = schema.field(c);
            let values = (batches.iter())
                .flat_map(|b| {
                    let a = b.column(c).clone();
                    (0..b.num_rows()).map(move |r| typed_value(&a, r))
                })
                .collect();
            (field.name().clone(), field.data_type().clone(), values)
        })
        .collect()
}

/// A typed cell as Rust prints its value (None: null).
fn typed_value(array: &ArrayRef, row: usize) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Float64 => array.as_primitive::<Float64Type>().value(row).to_string(),
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        other => panic!("unexpected type {other}"),
    })
}

/// #16 "metadata columns typed as in the input": a Parquet corpus keeps its
/// integer, float and boolean columns typed in documents.parquet (Int32
/// widened to Int64), a missing value is null (an empty CSV cell), and the
/// CSV shows the same values as text.
#[test]
fn parquet_corpus_metadata_keeps_its_types() {
    let dir = tempdir();
    let d = dir.path();
    write_typed_corpus(&d.join("c.parquet"));
    themata(d)
        .args([
            "analyze",
            "c.parquet",
            "-q",
            "--format",
            "both",
            "-o",
            "out",
        ])
        .assert()
        .success();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        metadata(&d.join("out")),
        [
            (
                "year".into(),
                DataType::Int64,
                vec![s("2021"), None, s("-7")]
            ),
            ("rank".into(), DataType::Int64, vec![s("1"), None, s("3")]),
            (
                "share".into(),
                DataType::Float64,
                vec![s("0.25"), None, s("0.0000001")]
            ),
            (
                "member".into(),
                DataType::Boolean,
                vec![s("true"), None, s("false")]
            ),
            (
                "country".into(),
                DataType::Utf8,
                vec![s("RUS"), None, s("-x")]
            ),
            // Table rows have no folder: null.
            ("folder".into(), DataType::Utf8, vec![None, None, None]),
        ]
    );
    // The CSV: the same values as Arrow prints them, missing ones empty,
    // `-x` and `-7` with the formula guard (metadata is text to the CSV).
    let csv = Table::read(&d.join("out/documents.csv"));
    let meta: Vec<&[String]> = csv.rows.iter().map(|r| &r[10..]).collect();
    assert_eq!(
        meta,
        [
            ["2021", "1", "0.25", "true", "RUS", ""],
            ["", "", "", "", "", ""],
            ["'-7", "3", "1e-7", "false", "'-x", ""],
        ]
    );
}

/// JSON Lines fields are typed by their values (integers only: Int64; any
/// float among numbers: Float64; booleans only: Boolean; nulls do not
/// count; any other mix, or an integer past Int64: text), and a field in
/// two tables gets the type holding both: `year` is Int64 in the Parquet
/// file and in the JSON Lines file, `share` Float64 and integers (Float64),
/// `country` Utf8 and an integer (text). A text file has every field null.
#[test]
fn jsonl_metadata_typed_by_its_values_and_joined_with_other_tables() {
    let dir = tempdir();
    let d = dir.path();
    write_typed_corpus(&d.join("c.parquet"));
    std::fs::write(
        d.join("j.jsonl"),
        concat!(
            r#"{"doc_id": "j1", "text": "Peace.", "year": 2022, "share": 2, "country": 5,"#,
            r#" "live": true, "mixed": 1, "big": 1, "none": null}"#,
            "\n",
            r#"{"doc_id": "j2", "text": "War.", "year": null, "share": 3,"#,
            r#" "live": false, "mixed": "x", "big": 18446744073709551615}"#,
            "\n",
        ),
    )
    .unwrap();
    std::fs::write(d.join("t.txt"), "Peace and war.\n").unwrap();
    themata(d)
        .args(["analyze", "c.parquet", "j.jsonl", "t.txt", "-q"])
        .args(["--format", "both", "-o", "out"])
        .assert()
        .success();
    let types: Vec<(String, DataType)> = (metadata(&d.join("out")).into_iter())
        .map(|(name, t, _)| (name, t))
        .collect();
    let t = |name: &str, t: DataType| (name.to_string(), t);
    // Parquet's columns first, then the JSON Lines fields in the order
    // serde_json gives an object's keys (sorted).
    assert_eq!(
        types,
        [
            t("year", DataType::Int64),
            t("rank", DataType::Int64),
            t("share", DataType::Float64),
            t("member", DataType::Boolean),
            t("country", DataType::Utf8),
            t("big", DataType::Utf8),
            t("live", DataType::Boolean),
            t("mixed", DataType::Utf8),
            t("none", DataType::Utf8),
            t("folder", DataType::Utf8),
        ]
    );
    let meta = metadata(&d.join("out"));
    let column = |name: &str| meta.iter().find(|m| m.0 == name).unwrap().2.clone();
    let s = |v: &str| Some(v.to_string());
    // Rows: a, b, c (Parquet), j1, j2 (JSON Lines), t (text file).
    assert_eq!(
        column("year"),
        [s("2021"), None, s("-7"), s("2022"), None, None]
    );
    assert_eq!(
        column("share"),
        [s("0.25"), None, s("0.0000001"), s("2"), s("3"), None]
    );
    assert_eq!(column("country")[3], s("5"));
    assert_eq!(column("big")[4], s("18446744073709551615"));
    assert_eq!(column("live")[3..], [s("true"), s("false"), None]);
    assert_eq!(column("none"), [None, None, None, None, None, None]);
    let python = pyarrow_python();
    let run = Command::new(&python)
        .arg(root().join("tools/parquet_check.py"))
        .arg(d.join("out"))
        .args(["documents.year=int64", "documents.share=double"])
        .args(["documents.member=bool", "documents.big=string"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(said.starts_with("parquet_check: 9 tables"), "{said}");
}
