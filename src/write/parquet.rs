//! Parquet tables (`--format parquet|both`): a typed file per table, from
//! the same rows as the CSV file ([`super::TableSink`] hands each row to
//! both), written one batch at a time, so memory is bounded by a batch and
//! a row group, never by the table. Batches have a fixed number of rows
//! whatever the documents' sizes, so the bytes do not depend on them.
//!
//! Values, by the column's [`Kind`] ([`crate::table::kind`]):
//! - `Int`: Int64; `Float`: Float64, the number the CSV's fixed-precision
//!   text reads as (6 decimals, p-values in scientific notation), so that a notebook
//!   reading either file sees the same numbers; `Bool`: Boolean;
//! - an empty cell (a score that is undefined) is null, and so is an
//!   empty metadata cell in `documents` ([`crate::table::is_meta`]: a
//!   value the document does not have), whatever its type;
//! - metadata columns have the type the input gave them (`meta`: a Parquet
//!   corpus's Int64 column, a JSON Lines field that only holds integers),
//!   parsed from the text cell (`merge` reads the shards' CSV tables
//!   and passes texts without the formula guard, [`unguard`]);
//! - `Text`: Utf8 holding the raw text, without the `'` that the CSV puts
//!   before a text starting with `=`, `+`, `-`, `@`, tab or CR (a guard for
//!   spreadsheets, which do not open Parquet).
//!
//! Files: zstd (the crate's default level), row groups of at most
//! [`ROW_GROUP_ROWS`] rows, [`ROW_GROUP_CELLS`] cells (a wide `term_matrix`
//! stays bounded; 1,938 UN speeches as columns: 170 MB peak RSS) and
//! [`ROW_GROUP_BYTES`] bytes, no timestamps, so the same tables give
//! byte-identical files.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::cells::{shown, value};
use crate::error::{Error, Result};
use crate::table::{is_meta, kind, Cell, Kind};

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

/// One Parquet table being written from rows ([`Writer::row`]), a batch
/// at a time.
pub struct Writer {
    writer: ArrowWriter<File>,
    schema: SchemaRef,
    batch: Batch,
    batch_rows: usize,
    header: Vec<String>,
    rows: u64,
    /// The name errors give.
    target: PathBuf,
}

impl Writer {
    /// Starts table `table` with columns `header` in the file `path`;
    /// `target` is the name errors give, `meta` the types of metadata
    /// columns.
    pub fn create(
        table: &str,
        header: &[&str],
        path: &Path,
        target: &Path,
        meta: &[(String, Kind)],
    ) -> Result<Writer> {
        let fail = |e: &dyn std::fmt::Display| Error::output(target, e);
        let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        let kinds: Vec<Kind> = (header.iter().enumerate())
            .map(|(i, c)| kind(table, i, c, meta))
            .collect();
        let nullable: Vec<bool> = (0..kinds.len()).map(|i| is_meta(table, i)).collect();
        let schema = schema(&header, &kinds);
        let out = File::create(path).map_err(|e| fail(&e))?;
        let properties = Some(properties(kinds.len()));
        let writer = ArrowWriter::try_new(out, schema.clone(), properties).map_err(|e| fail(&e))?;
        let batch_rows = (BATCH_CELLS / kinds.len().max(1)).clamp(1024, 64 * 1024);
        Ok(Writer {
            writer,
            schema,
            batch: Batch::new(&kinds, nullable, batch_rows),
            batch_rows,
            header,
            rows: 0,
            target: target.to_path_buf(),
        })
    }

    /// Appends one row; a cell that does not fit its column's type is an
    /// error naming the row, the column and the cell.
    pub fn row(&mut self, cells: &[Cell]) -> Result<()> {
        let at = self.rows + 1;
        (self.batch.push(cells, &self.header))
            .map_err(|e| Error::output(&self.target, format!("row {at} of the table: {e}")))?;
        self.rows += 1;
        if self.batch.rows == self.batch_rows {
            self.write_batch()?;
        }
        Ok(())
    }

    fn write_batch(&mut self) -> Result<()> {
        let fail = |e: &dyn std::fmt::Display| Error::output(&self.target, e);
        let batch = self.batch.finish(&self.schema).map_err(|e| fail(&e))?;
        self.writer.write(&batch).map_err(|e| fail(&e))
    }

    /// Writes the last batch and the footer; returns the rows written.
    pub fn finish(mut self) -> Result<u64> {
        if self.batch.rows > 0 {
            self.write_batch()?;
        }
        (self.writer.close()).map_err(|e| Error::output(&self.target, e))?;
        Ok(self.rows)
    }
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

    /// Appends one row; a cell that does not fit its column's type is an
    /// error naming column and cell.
    fn push(&mut self, cells: &[Cell], header: &[String]) -> std::result::Result<(), String> {
        if cells.len() != self.columns.len() {
            return Err(format!(
                "row of {} cells under a header of {}",
                cells.len(),
                self.columns.len()
            ));
        }
        let cells = cells.iter().zip(header).zip(&self.nullable);
        for (column, ((cell, name), &nullable)) in self.columns.iter_mut().zip(cells) {
            let bad = || {
                format!(
                    "column {name}: {:?} is not of the column's type",
                    shown(cell)
                )
            };
            match (column, *cell) {
                (column, _)
                    if is_empty(cell) && (nullable || !matches!(column, Column::Text(_))) =>
                {
                    append_null(column)
                }
                (Column::Text(b), Cell::Str(s)) => b.append_value(s),
                (Column::Text(b), _) => b.append_value(shown(cell)),
                (Column::Int(b), Cell::Int(n)) => {
                    b.append_value(i64::try_from(n).map_err(|_| bad())?)
                }
                (Column::Int(b), Cell::Str(s)) => b.append_value(s.parse().map_err(|_| bad())?),
                (Column::Float(b), Cell::Int(n)) => b.append_value(n as f64),
                (Column::Float(b), Cell::Str(s)) => b.append_value(s.parse().map_err(|_| bad())?),
                (Column::Float(b), _) => b.append_option(value(cell)),
                (Column::Bool(b), Cell::Str("true")) => b.append_value(true),
                (Column::Bool(b), Cell::Str("false")) => b.append_value(false),
                _ => return Err(bad()),
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

/// Whether the CSV file shows the cell empty (an empty text, a float that
/// is undefined).
fn is_empty(cell: &Cell) -> bool {
    match *cell {
        Cell::Str(s) => s.is_empty(),
        Cell::Int(_) => false,
        Cell::Float(f) | Cell::Sci(f) => !f.is_finite(),
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

/// The text without the CSV's formula guard ([`super::needs_guard`]):
/// exactly the text that was written.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if super::needs_guard(rest.as_bytes()) => rest,
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
        assert_eq!(unguard("''=x"), "'=x");
        assert_eq!(unguard("'''-x"), "''-x");
        assert_eq!(unguard("''x"), "''x");
    }

    /// The guard is reversible: every text comes back from its CSV cell,
    /// on all texts of up to 5 characters over quotes, formula characters
    /// and letters.
    #[test]
    fn unguard_inverts_the_guard() {
        let alphabet = ["'", "=", "-", "+", "@", "\t", "a", " "];
        let mut texts = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = (texts.iter())
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts = longer;
            for text in &texts {
                let cell = crate::write::guard_formula(text);
                assert_eq!(unguard(&cell), text, "{cell:?}");
            }
        }
    }

    /// Writes `rows` as table `table` and reads the file back as one batch.
    fn written(
        table: &str,
        header: &[&str],
        rows: &[Vec<Cell>],
        meta: &[(String, Kind)],
    ) -> RecordBatch {
        let dir = tempfile::tempdir().unwrap();
        let pq = dir.path().join("t.parquet");
        let mut w = Writer::create(table, header, &pq, &pq, meta).unwrap();
        for row in rows {
            w.row(row).unwrap();
        }
        assert_eq!(w.finish().unwrap(), rows.len() as u64);
        let file = File::open(&pq).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 1024);
        reader.unwrap().next().unwrap().unwrap()
    }

    /// A keyness table with an undefined score (NaN: an empty CSV cell)
    /// and texts the CSV guards: the Parquet file has typed columns, a
    /// null, the raw texts, and floats as their CSV text reads.
    #[test]
    fn typed_columns_and_nulls() {
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Float64Type, Int64Type};
        use arrow_array::Array;
        let header = ["term", "count_target", "g2", "p_value"];
        let rows = [
            vec![
                Cell::Str("-x"),
                Cell::Int(3),
                Cell::Float(f64::NAN),
                Cell::Sci(1e-5),
            ],
            vec![
                Cell::Str("'=y"),
                Cell::Int(4),
                Cell::Float(-2.5),
                Cell::Sci(f64::NAN),
            ],
            vec![
                Cell::Str("z"),
                Cell::Int(5),
                Cell::Float(1.0 / 3.0),
                Cell::Sci(2.0 / 3.0),
            ],
        ];
        let batch = written("keyness", &header, &rows, &[]);
        let term = batch.column(0).as_string::<i32>();
        // The raw texts: no guard added, none taken away.
        assert_eq!((term.value(0), term.value(1)), ("-x", "'=y"));
        assert_eq!(
            batch.column(1).as_primitive::<Int64Type>().values(),
            &[3, 4, 5]
        );
        let g2 = batch.column(2).as_primitive::<Float64Type>();
        assert!(g2.is_null(0));
        // 1/3 as the CSV shows it: 0.333333.
        assert_eq!((g2.value(1), g2.value(2)), (-2.5, 0.333333));
        let p = batch.column(3).as_primitive::<Float64Type>();
        // 2/3 as the CSV shows it: 6.666667e-1.
        assert_eq!(
            (p.value(0), p.is_null(1), p.value(2)),
            (1e-5, true, 0.6666667)
        );
    }

    /// documents with metadata typed by the input (`year` Int64, `score`
    /// Float64, `ok` Boolean, `country` text): an empty metadata cell is null
    /// in every type, text included; `folder` has no type given: text.
    #[test]
    fn metadata_columns_typed_and_missing_values_null() {
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Float64Type, Int64Type};
        use arrow_array::Array;
        let mut header = crate::table::columns("documents").to_vec();
        header.extend(["year", "score", "ok", "country", "folder"]);
        let fixed = [
            Cell::Str("a"),
            Cell::Str("t.csv#1"),
            Cell::Str(""),
            Cell::Int(1),
            Cell::Int(2),
            Cell::Int(2),
            Cell::Int(2),
            Cell::Float(0.0),
            Cell::Str("utf-8"),
            Cell::Int(4),
        ];
        let meta = |cells: [&'static str; 5]| -> Vec<Cell<'static>> {
            fixed.iter().copied().chain(cells.map(Cell::Str)).collect()
        };
        let rows = [
            meta(["-2022", "0.5", "true", "", "x"]),
            meta(["", "-1e-3", "", "RUS", ""]),
        ];
        let kinds = [
            ("year".to_string(), Kind::Int),
            ("score".to_string(), Kind::Float),
            ("ok".to_string(), Kind::Bool),
            ("country".to_string(), Kind::Text),
        ];
        let batch = written("documents", &header, &rows, &kinds);
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
        let pq = dir.path().join("t.parquet");
        let target = Path::new("out/t.parquet");
        let mut w = Writer::create("t", &["doc_id", "count"], &pq, target, &[]).unwrap();
        let e = w.row(&[Cell::Str("a"), Cell::Str("x")]).unwrap_err();
        assert!(
            e.to_string().contains("row 1 of the table: column count"),
            "{e}"
        );
        assert!(e.to_string().contains("out/t.parquet"), "{e}");
    }
}
