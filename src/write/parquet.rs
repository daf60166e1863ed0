//! Parquet tables (`--format parquet|both`): each finished CSV table,
//! streamed into a typed Parquet file beside it in staging.
//!
//! Why from the CSV: the pipeline's workers render rows as CSV text in
//! parallel (the hottest loop of a run, [`super::CsvRows`]); converting the
//! staged table afterwards keeps that loop as it is and gives Parquet
//! exactly the rows, order and values of the CSV. The table is read one row
//! at a time and written one batch at a time, so memory is bounded by a
//! batch and a row group, never by the table.
//!
//! Values, by the column's [`Kind`] ([`crate::table::kind`]):
//! - `Int`: Int64; `Float`: Float64 parsed from the CSV's fixed-precision
//!   text (6 decimals, p-values in scientific notation), so that a notebook
//!   reading either file sees the same numbers; `Bool`: Boolean;
//! - an empty cell (a score that is undefined) is null, and so is an
//!   empty metadata cell in `documents` ([`crate::table::is_meta`]: a
//!   value the document does not have), whatever its type;
//! - metadata columns have the type the input gave them (`meta`: a Parquet
//!   corpus's Int64 column, a JSON Lines field that only holds integers),
//!   parsed from the CSV cell as any other column (less the formula guard
//!   that the CSV puts before a negative number held as text);
//! - `Text`: Utf8 holding the raw text, without the `'` that the CSV puts
//!   before a text starting with `=`, `+`, `-`, `@`, tab or CR (a guard for
//!   spreadsheets, which do not open Parquet). A text that itself began with
//!   `'` and one of those characters cannot be told from a guarded one and
//!   loses its `'` too.
//!
//! Files: zstd (the crate's default level), row groups of at most
//! [`ROW_GROUP_ROWS`] rows, [`ROW_GROUP_CELLS`] cells (a wide `term_matrix`
//! stays bounded; 1,938 UN speeches as columns: 170 MB peak RSS) and
//! [`ROW_GROUP_BYTES`] bytes, no timestamps, so the same tables give
//! byte-identical files.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};
use crate::table::{is_meta, kind, Kind};

/// Rows per row group at most.
pub const ROW_GROUP_ROWS: usize = 256 * 1024;
/// Cells per row group at most: the writer holds a row group's pages of
/// every column until it ends, so a wide `term_matrix` (a column per
/// document) gets shorter row groups.
pub const ROW_GROUP_CELLS: usize = 4 << 20;
/// Tables with more columns than this are written without dictionaries.
const WIDE: usize = 64;
/// Encoded bytes per row group at most.
pub const ROW_GROUP_BYTES: usize = 128 << 20;
/// Cells per batch handed to the writer (a batch of a wide table has fewer
/// rows).
const BATCH_CELLS: usize = 1 << 20;

/// Converts the staged CSV table `csv` (table `table`) into `parquet`;
/// `target` is the name errors give, `meta` the types of metadata columns.
/// Returns the rows written.
pub fn convert(
    table: &str,
    csv: &Path,
    parquet: &Path,
    target: &Path,
    meta: &[(String, Kind)],
) -> Result<u64> {
    let fail = |e: &dyn std::fmt::Display| Error::output(target, e);
    let file = File::open(csv).map_err(|e| fail(&e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(BufReader::with_capacity(1 << 16, file));
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| fail(&e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let kinds: Vec<Kind> = header
        .iter()
        .enumerate()
        .map(|(i, c)| kind(table, i, c, meta))
        .collect();
    let nullable: Vec<bool> = (0..kinds.len()).map(|i| is_meta(table, i)).collect();
    let schema = schema(&header, &kinds);
    let out = File::create(parquet).map_err(|e| fail(&e))?;
    let mut writer = ArrowWriter::try_new(out, schema.clone(), Some(properties(kinds.len())))
        .map_err(|e| fail(&e))?;
    let batch_rows = (BATCH_CELLS / kinds.len().max(1)).clamp(1024, 64 * 1024);
    let mut batch = Batch::new(&kinds, nullable, batch_rows);
    let mut rows = 0u64;
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|e| fail(&e))? {
        (batch.push(&record, &header))
            .map_err(|e| fail(&format!("row {} of the table: {e}", rows + 1)))?;
        rows += 1;
        if batch.rows == batch_rows {
            writer
                .write(&batch.finish(&schema).map_err(|e| fail(&e))?)
                .map_err(|e| fail(&e))?;
        }
    }
    if batch.rows > 0 {
        writer
            .write(&batch.finish(&schema).map_err(|e| fail(&e))?)
            .map_err(|e| fail(&e))?;
    }
    writer.close().map_err(|e| fail(&e))?;
    Ok(rows)
}

fn properties(columns: usize) -> WriterProperties {
    let group_rows = (ROW_GROUP_CELLS / columns.max(1)).clamp(1024, ROW_GROUP_ROWS);
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(group_rows))
        // A dictionary per column of a wide table costs more memory than it
        // saves space on columns of small counts.
        .set_dictionary_enabled(columns <= WIDE)
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_created_by(format!("themata {}", env!("CARGO_PKG_VERSION")))
        .build()
}

fn schema(header: &[String], kinds: &[Kind]) -> SchemaRef {
    let fields: Vec<Field> = header
        .iter()
        .zip(kinds)
        .map(|(name, k)| {
            let t = match k {
                Kind::Text => DataType::Utf8,
                Kind::Int => DataType::Int64,
                Kind::Float => DataType::Float64,
                Kind::Bool => DataType::Boolean,
            };
            Field::new(name, t, true)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// One column of a batch being built.
enum Column {
    Text(StringBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
}

/// The rows of one batch, column by column.
struct Batch {
    columns: Vec<Column>,
    /// Per column: an empty text cell is null (metadata), not "".
    nullable: Vec<bool>,
    rows: usize,
}

impl Batch {
    fn new(kinds: &[Kind], nullable: Vec<bool>, capacity: usize) -> Batch {
        let columns = kinds
            .iter()
            .map(|k| match k {
                Kind::Text => Column::Text(StringBuilder::with_capacity(capacity, capacity * 16)),
                Kind::Int => Column::Int(Int64Builder::with_capacity(capacity)),
                Kind::Float => Column::Float(Float64Builder::with_capacity(capacity)),
                Kind::Bool => Column::Bool(BooleanBuilder::with_capacity(capacity)),
            })
            .collect();
        Batch {
            columns,
            nullable,
            rows: 0,
        }
    }

    /// Appends one CSV row; a cell that does not fit its column's type is
    /// an error naming row, column and cell.
    fn push(
        &mut self,
        record: &csv::StringRecord,
        header: &[String],
    ) -> std::result::Result<(), String> {
        if record.len() != self.columns.len() {
            return Err(format!(
                "row of {} cells under a header of {}",
                record.len(),
                self.columns.len()
            ));
        }
        let cells = record.iter().zip(header).zip(&self.nullable);
        for (column, ((cell, name), &nullable)) in self.columns.iter_mut().zip(cells) {
            let bad = || format!("column {name}: {cell:?} is not of the column's type");
            match column {
                _ if cell.is_empty() && (nullable || !matches!(column, Column::Text(_))) => {
                    append_null(column)
                }
                Column::Text(b) => b.append_value(unguard(cell)),
                // A negative metadata number is text to the CSV writer,
                // which guards it (`'-7`).
                Column::Int(b) => b.append_value(unguard(cell).parse().map_err(|_| bad())?),
                Column::Float(b) => b.append_value(unguard(cell).parse().map_err(|_| bad())?),
                Column::Bool(b) => b.append_value(match cell {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad()),
                }),
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The batch so far as a record batch; the builders start empty again.
    fn finish(
        &mut self,
        schema: &SchemaRef,
    ) -> std::result::Result<RecordBatch, arrow_schema::ArrowError> {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|c| -> ArrayRef {
                match c {
                    Column::Text(b) => Arc::new(b.finish()),
                    Column::Int(b) => Arc::new(b.finish()),
                    Column::Float(b) => Arc::new(b.finish()),
                    Column::Bool(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        RecordBatch::try_new(schema.clone(), arrays)
    }
}

fn append_null(column: &mut Column) {
    match column {
        Column::Text(b) => b.append_null(),
        Column::Int(b) => b.append_null(),
        Column::Float(b) => b.append_null(),
        Column::Bool(b) => b.append_null(),
    }
}

/// The text without the CSV's formula guard ([`super::is_formula_start`]).
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if super::is_formula_start(rest.as_bytes().first()) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_removed_only_before_a_formula_start() {
        assert_eq!(unguard("'=1+1"), "=1+1");
        assert_eq!(unguard("'-item"), "-item");
        assert_eq!(unguard("'quoted"), "'quoted");
        assert_eq!(unguard("plain"), "plain");
        assert_eq!(unguard("'"), "'");
    }

    /// A keyness table with an undefined score (an empty cell) and a
    /// guarded text: the Parquet file has typed columns, a null, the raw text.
    #[test]
    fn typed_columns_and_nulls() {
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Float64Type, Int64Type};
        use arrow_array::Array;
        let dir = tempfile::tempdir().unwrap();
        let (csv, pq) = (dir.path().join("k.csv"), dir.path().join("k.parquet"));
        std::fs::write(
            &csv,
            "term,count_target,g2,p_value\r\n'-x,3,,1.000000e-5\r\ny,4,-2.500000,\r\n",
        )
        .unwrap();
        assert_eq!(convert("keyness", &csv, &pq, &pq, &[]).unwrap(), 2);
        let file = File::open(&pq).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 1024);
        let batch = reader.unwrap().next().unwrap().unwrap();
        assert_eq!(batch.column(0).as_string::<i32>().value(0), "-x");
        assert_eq!(
            batch.column(1).as_primitive::<Int64Type>().values(),
            &[3, 4]
        );
        let g2 = batch.column(2).as_primitive::<Float64Type>();
        assert!(g2.is_null(0));
        assert_eq!(g2.value(1), -2.5);
        let p = batch.column(3).as_primitive::<Float64Type>();
        assert_eq!((p.value(0), p.is_null(1)), (1e-5, true));
    }

    /// documents with metadata typed by the input (`year` Int64, `score`
    /// Float64, `ok` Boolean, `country` text): an empty metadata cell is null
    /// in every type, text included; `folder` has no type given: text.
    #[test]
    fn metadata_columns_typed_and_missing_values_null() {
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Float64Type, Int64Type};
        use arrow_array::Array;
        let dir = tempfile::tempdir().unwrap();
        let (csv, pq) = (dir.path().join("d.csv"), dir.path().join("d.parquet"));
        let fixed = crate::table::columns("documents").join(",");
        let cells = "a,t.csv#1,,1,2,2,2,0.000000,utf-8,4";
        std::fs::write(
            &csv,
            format!(
                "{fixed},year,score,ok,country,folder\r\n\
                 {cells},'-2022,0.5,true,,x\r\n{cells},,'-1e-3,,RUS,\r\n"
            ),
        )
        .unwrap();
        let meta = [
            ("year".to_string(), Kind::Int),
            ("score".to_string(), Kind::Float),
            ("ok".to_string(), Kind::Bool),
            ("country".to_string(), Kind::Text),
        ];
        assert_eq!(convert("documents", &csv, &pq, &pq, &meta).unwrap(), 2);
        let file = File::open(&pq).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 1024);
        let batch = reader.unwrap().next().unwrap().unwrap();
        let types: Vec<String> = (10..15)
            .map(|i| batch.schema().field(i).data_type().to_string())
            .collect();
        assert_eq!(types, ["Int64", "Float64", "Boolean", "Utf8", "Utf8"]);
        let year = batch.column(10).as_primitive::<Int64Type>();
        assert_eq!((year.value(0), year.is_null(1)), (-2022, true));
        let score = batch.column(11).as_primitive::<Float64Type>();
        assert_eq!((score.value(0), score.value(1)), (0.5, -0.001));
        let ok = batch.column(12).as_boolean();
        assert!(ok.value(0) && ok.is_null(1));
        let country = batch.column(13).as_string::<i32>();
        assert_eq!((country.is_null(0), country.value(1)), (true, "RUS"));
        let folder = batch.column(14).as_string::<i32>();
        assert_eq!((folder.value(0), folder.is_null(1)), ("x", true));
        // A fixed text column keeps an empty cell as "" (the title).
        let title = batch.column(2).as_string::<i32>();
        assert_eq!((title.is_null(0), title.value(0)), (false, ""));
    }

    #[test]
    fn a_cell_of_the_wrong_type_is_an_error_naming_the_column() {
        let dir = tempfile::tempdir().unwrap();
        let (csv, pq) = (dir.path().join("t.csv"), dir.path().join("t.parquet"));
        std::fs::write(&csv, "doc_id,count\r\na,x\r\n").unwrap();
        let e = convert("t", &csv, &pq, Path::new("out/t.parquet"), &[]).unwrap_err();
        assert!(
            e.to_string().contains("row 1 of the table: column count"),
            "{e}"
        );
        assert!(e.to_string().contains("out/t.parquet"), "{e}");
    }
}
