//! Corpora as tables: one document per row of a CSV, TSV, JSON Lines or
//! Parquet file (CSV, TSV and JSON Lines also gzip- or zstd-compressed).
//!
//! Most downloaded corpora are one table with a text column and metadata
//! columns, not a folder of text files. A table is read twice, and never
//! whole: discovery ([`list`]) streams it once to learn the doc_ids (they
//! must be unique, and the number of documents is needed before counting),
//! then loading streams it again through one [`Cursor`] per table, which the
//! workers advance in row order; rows read ahead for another worker wait in
//! the cursor, so only the rows in flight are in memory. Parquet is read one
//! row group (in small batches) at a time.
//!
//! * Text: the `--text-column` (default `text`); a table without it is an
//!   error. Id: the `--id-column` (default `doc_id`; without that column,
//!   the row number, from 1).
//! * Every other column is document metadata (see `compare::meta`), with a
//!   type for typed outputs (Parquet): a Parquet column's own (integers,
//!   floats, booleans; anything else as text), for JSON Lines the values'
//!   (a field holding only integers is an integer column, only numbers a
//!   float column, only booleans a boolean one; nulls do not count), and
//!   text for CSV and TSV, which have no types.
//! * A bad row (ragged CSV row, invalid UTF-8, a JSON syntax error, a text
//!   that is not a string, an empty or duplicate id) is skipped with a
//!   reason naming its line (Parquet: row group) and column; `--strict`
//!   makes it fatal. A problem with the table as a whole (missing text
//!   column, no header, unreadable file, broken compression) is fatal.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

use crate::table::Kind;

/// The table formats, known by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Tsv,
    Jsonl,
    Parquet,
}

/// Compression around a CSV, TSV or JSON Lines file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

/// `--text-column` and `--id-column`.
#[derive(Debug, Clone)]
pub struct Columns {
    pub text: String,
    /// `None`: `doc_id` when the table has it, else the row number.
    pub id: Option<String>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            text: "text".into(),
            id: None,
        }
    }
}

impl Columns {
    fn id_name(&self) -> &str {
        self.id.as_deref().unwrap_or("doc_id")
    }
}

/// The table extensions (`un.csv`, `un.csv.gz`, `un.parquet`, …), lowercase.
pub const EXTENSIONS: &[&str] = &[
    "csv",
    "tsv",
    "jsonl",
    "ndjson",
    "parquet",
    "csv.gz",
    "tsv.gz",
    "jsonl.gz",
    "ndjson.gz",
    "csv.zst",
    "tsv.zst",
    "jsonl.zst",
    "ndjson.zst",
];

/// The format of a table file, from its name; `None`: not a table.
fn kind(path: &Path) -> Option<(Format, Compression)> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    let (rest, compression) = if let Some(rest) = name.strip_suffix(".gz") {
        (rest, Compression::Gzip)
    } else if let Some(rest) = name.strip_suffix(".zst") {
        (rest, Compression::Zstd)
    } else {
        (name.as_str(), Compression::None)
    };
    let format = match Path::new(rest).extension()?.to_str()? {
        "csv" => Format::Csv,
        "tsv" => Format::Tsv,
        "jsonl" | "ndjson" => Format::Jsonl,
        "parquet" if compression == Compression::None => Format::Parquet,
        _ => return None,
    };
    Some((format, compression))
}

/// True when the file name has a table extension.
pub fn is_table(path: &Path) -> bool {
    kind(path).is_some()
}

/// One row's cells (names shared by every row of a table).
#[derive(Debug)]
pub struct Fields {
    pub id: Option<String>,
    pub text: String,
    pub meta: Vec<(Arc<str>, String)>,
}

/// One row as read: its number (from 1), where it is, and its cells or
/// why it is skipped.
struct Row {
    number: u64,
    at: Place,
    fields: std::result::Result<Fields, String>,
}

/// Where a row is in its file, for messages.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// The line a CSV, TSV or JSON Lines row starts on (from 1).
    Line(u64),
    /// The row group of a Parquet row (from 1).
    Group(usize),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Line(n) => write!(f, "line {n}"),
            Place::Group(n) => write!(f, "row group {n}"),
        }
    }
}

/// A table read row by row; `Err` is fatal for the table.
trait Rows: Send {
    fn next_row(&mut self) -> std::result::Result<Option<Row>, String>;
    /// The metadata columns and their types, in order (JSON Lines: those
    /// seen so far, typed by the values seen so far).
    fn meta_columns(&self) -> Vec<(Arc<str>, Kind)>;
    /// Whether the id column exists (JSON Lines: seen so far).
    fn has_id(&self) -> bool;
}

/// A table found by discovery: its documents (row number, doc_id), the
/// rows skipped, its metadata columns and the cursor that loads its rows.
pub struct Listed {
    pub rows: Vec<(u64, String)>,
    /// (row number, reason).
    pub skipped: Vec<(u64, String)>,
    /// The metadata columns and their types.
    pub fields: Vec<(Arc<str>, Kind)>,
    pub cursor: Arc<Cursor>,
}

/// Reads a table once to list its rows. `Err` is fatal (one line naming
/// the problem; the caller adds the path).
pub fn list(path: &Path, columns: &Columns) -> std::result::Result<Listed, String> {
    let mut rows = open(path, columns)?;
    let mut ids: Vec<(u64, Place, Option<String>)> = Vec::new();
    let mut skipped = Vec::new();
    let mut saw_text = false;
    while let Some(row) = rows.next_row()? {
        match row.fields {
            Ok(f) => {
                saw_text = true;
                ids.push((row.number, row.at, f.id));
            }
            Err(reason) => {
                saw_text |= !reason.contains(NO_TEXT);
                skipped.push((row.number, reason));
            }
        }
    }
    if !saw_text && !skipped.is_empty() {
        return Err(format!("no row has the text column `{}`", columns.text));
    }
    let by_row = rows.has_id();
    if columns.id.is_some() && !by_row {
        return Err(format!("no id column `{}`", columns.id_name()));
    }
    let fields = rows.meta_columns();
    drop(rows);
    let mut first: HashMap<String, u64> = HashMap::with_capacity(ids.len());
    let mut listed = Vec::with_capacity(ids.len());
    let column = columns.id_name();
    for (number, at, id) in ids {
        let id = match (by_row, id) {
            (false, _) => number.to_string(),
            (true, Some(id)) if !id.is_empty() => id,
            (true, _) => {
                skipped.push((number, format!("{at}, column `{column}`: empty id")));
                continue;
            }
        };
        if let Some(row) = first.get(&id) {
            let reason =
                format!("{at}, column `{column}`: duplicate id `{id}` (first on row {row})");
            skipped.push((number, reason));
            continue;
        }
        first.insert(id.clone(), number);
        listed.push((number, id));
    }
    skipped.sort_by_key(|s| s.0);
    let cursor = Cursor::new(path.to_path_buf(), columns.clone(), &listed);
    Ok(Listed {
        rows: listed,
        skipped,
        fields,
        cursor: Arc::new(cursor),
    })
}

/// Marks the reason of a row without the text field (JSON Lines).
const NO_TEXT: &str = "has no text field";

/// Loads a table's rows in order for the workers: a worker asking for row
/// N reads up to it, keeping the listed rows it passes for the workers that
/// asked for them (rows are claimed in order, so at most one per worker).
pub struct Cursor {
    path: PathBuf,
    columns: Columns,
    state: Mutex<State>,
}

struct State {
    rows: Option<Box<dyn Rows>>,
    /// Row numbers listed by discovery (sorted).
    wanted: Vec<u64>,
    waiting: BTreeMap<u64, std::result::Result<Fields, String>>,
    /// Rows delivered; the reader is closed after the last.
    delivered: usize,
}

impl std::fmt::Debug for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cursor({})", self.path.display())
    }
}

impl Cursor {
    fn new(path: PathBuf, columns: Columns, rows: &[(u64, String)]) -> Cursor {
        Cursor {
            path,
            columns,
            state: Mutex::new(State {
                rows: None,
                wanted: rows.iter().map(|r| r.0).collect(),
                waiting: BTreeMap::new(),
                delivered: 0,
            }),
        }
    }

    /// The cells of row `number` (a listed row), or why it cannot be read.
    pub fn row(&self, number: u64) -> std::result::Result<Fields, String> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let found = match state.waiting.remove(&number) {
            Some(found) => found,
            None => self.read_to(&mut state, number),
        };
        state.delivered += 1;
        if state.delivered == state.wanted.len() {
            state.rows = None;
        }
        found
    }

    fn read_to(&self, state: &mut State, number: u64) -> std::result::Result<Fields, String> {
        if state.rows.is_none() {
            if state.delivered > 0 {
                return Err(CHANGED.into());
            }
            state.rows = Some(open(&self.path, &self.columns)?);
        }
        loop {
            let rows = state.rows.as_mut().ok_or(CHANGED)?;
            let row = rows.next_row()?.ok_or(CHANGED)?;
            if row.number == number {
                return row.fields;
            }
            if state.wanted.binary_search(&row.number).is_ok() {
                state.waiting.insert(row.number, row.fields);
            }
        }
    }
}

const CHANGED: &str = "the table changed while it was read";

/// Opens a table for reading row by row.
fn open(path: &Path, columns: &Columns) -> std::result::Result<Box<dyn Rows>, String> {
    let (format, compression) = kind(path).ok_or("not a table file")?;
    let meta = std::fs::metadata(path).map_err(|e| super::describe_io(&e))?;
    if !meta.is_file() {
        return Err("not a regular file (FIFO, socket or device)".into());
    }
    let file = File::open(path).map_err(|e| super::describe_io(&e))?;
    if format == Format::Parquet {
        return Ok(Box::new(ParquetRows::new(file, columns)?));
    }
    let bytes: Box<dyn BufRead + Send> = match compression {
        Compression::None => Box::new(BufReader::with_capacity(1 << 16, file)),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(BufReader::new(file)),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            1 << 16,
            zstd::Decoder::new(file).map_err(|e| format!("not zstd data: {e}"))?,
        )),
    };
    match format {
        Format::Jsonl => Ok(Box::new(JsonRows::new(bytes, columns))),
        Format::Tsv => Ok(Box::new(CsvRows::new(bytes, b'\t', columns)?)),
        _ => Ok(Box::new(CsvRows::new(bytes, b',', columns)?)),
    }
}

/// A text cell: empty text and NUL characters are skipped, as in files.
fn text_cell(text: String, column: &str, at: &str) -> std::result::Result<String, String> {
    if text.trim().is_empty() {
        return Err(format!("{at}, column `{column}`: no text"));
    }
    if text.contains('\0') {
        return Err(format!("{at}, column `{column}`: contains NUL characters"));
    }
    Ok(text)
}

/// The columns of a table with a header (CSV, TSV, Parquet): their names
/// and types, and which holds the text and which the id.
struct Header {
    names: Vec<Arc<str>>,
    kinds: Vec<Kind>,
    text: usize,
    id: Option<usize>,
}

impl Header {
    /// The metadata columns: all but the text and the id.
    fn meta_columns(&self) -> Vec<(Arc<str>, Kind)> {
        let skip = |i: usize| i == self.text || Some(i) == self.id;
        let named = self.names.iter().zip(&self.kinds).enumerate();
        named
            .filter(|(i, _)| !skip(*i))
            .map(|(_, (n, k))| (n.clone(), *k))
            .collect()
    }
}

/// CSV and TSV (RFC 4180 quoting; a header row names the columns).
struct CsvRows {
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    header: Header,
    record: csv::ByteRecord,
    number: u64,
}

impl CsvRows {
    fn new(
        bytes: Box<dyn BufRead + Send>,
        delimiter: u8,
        columns: &Columns,
    ) -> std::result::Result<CsvRows, String> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(bytes);
        let header = reader.byte_headers().map_err(|e| csv_error(&e))?.clone();
        if header.is_empty() {
            return Err("no header row".into());
        }
        let mut names: Vec<Arc<str>> = Vec::with_capacity(header.len());
        for (i, name) in header.iter().enumerate() {
            let name = std::str::from_utf8(name)
                .map_err(|_| format!("line 1, column {}: invalid UTF-8 in the header", i + 1))?;
            if names.iter().any(|n| &**n == name) {
                return Err(format!("line 1: column `{name}` appears twice"));
            }
            names.push(name.into());
        }
        let text = names
            .iter()
            .position(|n| **n == *columns.text)
            .ok_or_else(|| format!("line 1: no text column `{}`", columns.text))?;
        let id = (names.iter())
            .position(|n| **n == *columns.id_name())
            .filter(|&i| i != text);
        let kinds = vec![Kind::Text; names.len()];
        Ok(CsvRows {
            reader,
            header: Header {
                names,
                kinds,
                text,
                id,
            },
            record: csv::ByteRecord::new(),
            number: 0,
        })
    }

    fn fields(&self, line: u64) -> std::result::Result<Fields, String> {
        let at = format!("line {line}");
        if self.record.len() != self.header.names.len() {
            return Err(format!(
                "{at}: {} field{} where the header has {}",
                self.record.len(),
                if self.record.len() == 1 { "" } else { "s" },
                self.header.names.len()
            ));
        }
        let mut fields = Fields {
            id: None,
            text: String::new(),
            meta: Vec::with_capacity(self.header.names.len()),
        };
        for (i, (cell, name)) in self.record.iter().zip(&self.header.names).enumerate() {
            let value = std::str::from_utf8(cell)
                .map_err(|_| format!("{at}, column `{name}`: invalid UTF-8"))?
                .to_string();
            if i == self.header.text {
                fields.text = text_cell(value, name, &at)?;
            } else if Some(i) == self.header.id {
                fields.id = Some(value);
            } else {
                fields.meta.push((name.clone(), value));
            }
        }
        Ok(fields)
    }
}

fn csv_error(e: &csv::Error) -> String {
    match e.position() {
        Some(p) => format!("line {}: {e}", p.line()),
        None => e.to_string(),
    }
}

impl Rows for CsvRows {
    fn next_row(&mut self) -> std::result::Result<Option<Row>, String> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                self.number += 1;
                let line = self.record.position().map_or(0, |p| p.line());
                Ok(Some(Row {
                    number: self.number,
                    at: Place::Line(line),
                    fields: self.fields(line),
                }))
            }
            Err(e) => Err(csv_error(&e)),
        }
    }

    fn meta_columns(&self) -> Vec<(Arc<str>, Kind)> {
        self.header.meta_columns()
    }

    fn has_id(&self) -> bool {
        self.header.id.is_some()
    }
}

/// JSON Lines: one object per line; blank lines are passed over.
struct JsonRows {
    lines: Box<dyn BufRead + Send>,
    columns: Columns,
    /// Metadata keys in order of first appearance, with the type of their
    /// values so far (`None`: only nulls).
    names: Vec<(Arc<str>, Option<Kind>)>,
    has_id: bool,
    line: u64,
    number: u64,
    buffer: Vec<u8>,
}

impl JsonRows {
    fn new(lines: Box<dyn BufRead + Send>, columns: &Columns) -> JsonRows {
        JsonRows {
            lines,
            columns: columns.clone(),
            names: Vec::new(),
            has_id: false,
            line: 0,
            number: 0,
            buffer: Vec::new(),
        }
    }

    /// The name of metadata key `key`, whose type now also holds `value`'s.
    fn name(&mut self, key: &str, value: &serde_json::Value) -> Arc<str> {
        let i = match self.names.iter().position(|n| *n.0 == *key) {
            Some(i) => i,
            None => {
                self.names.push((key.into(), None));
                self.names.len() - 1
            }
        };
        let column = &mut self.names[i];
        column.1 = match (column.1, json_type(value)) {
            (Some(known), Some(new)) => Some(known.or(new)),
            (known, None) => known,
            (None, new) => new,
        };
        column.0.clone()
    }

    fn fields(&mut self) -> std::result::Result<Fields, String> {
        let at = format!("line {}", self.line);
        let line = std::str::from_utf8(&self.buffer)
            .map_err(|e| format!("{at}, column {}: invalid UTF-8", e.valid_up_to() + 1))?;
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
            .map_err(|e| {
                let message = e.to_string();
                let message = message.rsplit_once(" at line ").map_or(&*message, |m| m.0);
                format!("{at}, column {}: JSON error: {message}", e.column())
            })?;
        let mut fields = Fields {
            id: None,
            text: String::new(),
            meta: Vec::with_capacity(object.len()),
        };
        let mut text = None;
        for (key, value) in object {
            if key == self.columns.text {
                text = Some(match value {
                    serde_json::Value::String(s) => text_cell(s, &key, &at)?,
                    other => {
                        let kind = json_kind(&other);
                        return Err(format!("{at}, column `{key}`: not a string ({kind})"));
                    }
                });
            } else if key == self.columns.id_name() {
                self.has_id = true;
                fields.id = Some(json_cell(value));
            } else {
                let name = self.name(&key, &value);
                fields.meta.push((name, json_cell(value)));
            }
        }
        fields.text = text.ok_or_else(|| format!("{at}: {NO_TEXT} `{}`", self.columns.text))?;
        Ok(fields)
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The column type a JSON value fits: null none; an integer within Int64
/// (a larger one is text, so it is kept exactly); a float; a boolean;
/// anything else text.
fn json_type(value: &serde_json::Value) -> Option<Kind> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::Bool(_) => Some(Kind::Bool),
        serde_json::Value::Number(n) if n.is_i64() => Some(Kind::Int),
        serde_json::Value::Number(n) if n.is_f64() => Some(Kind::Float),
        _ => Some(Kind::Text),
    }
}

/// A JSON value as a metadata cell: strings as they are, null empty,
/// anything else as compact JSON.
fn json_cell(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Rows for JsonRows {
    fn next_row(&mut self) -> std::result::Result<Option<Row>, String> {
        loop {
            self.buffer.clear();
            let n = self
                .lines
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| format!("line {}: {e}", self.line + 1))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.line == 1 && self.buffer.starts_with(BOM) {
                self.buffer.drain(..BOM.len());
            }
            if self.buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.number += 1;
            return Ok(Some(Row {
                number: self.number,
                at: Place::Line(self.line),
                fields: self.fields(),
            }));
        }
    }

    fn meta_columns(&self) -> Vec<(Arc<str>, Kind)> {
        (self.names.iter())
            .map(|(n, k)| (n.clone(), k.unwrap_or(Kind::Text)))
            .collect()
    }

    fn has_id(&self) -> bool {
        self.has_id
    }
}

/// The UTF-8 byte order mark that Windows tools put before a file's first
/// line (the `csv` crate passes over it in a header by itself).
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Rows per Parquet batch: small, since a row is a whole document.
const PARQUET_BATCH: usize = 64;

/// Parquet: read one row group at a time, in batches of rows.
struct ParquetRows {
    batches: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    batch: Option<(RecordBatch, usize)>,
    /// The row number after each row group's last (for messages).
    group_ends: Vec<u64>,
    header: Header,
    number: u64,
}

impl ParquetRows {
    fn new(file: File, columns: &Columns) -> std::result::Result<ParquetRows, String> {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| format!("not a Parquet file: {e}"))?;
        let mut end = 0u64;
        let group_ends = (builder.metadata().row_groups().iter())
            .map(|g| {
                end += g.num_rows().max(0) as u64;
                end
            })
            .collect();
        let schema = builder.schema().clone();
        let names: Vec<Arc<str>> = schema
            .fields()
            .iter()
            .map(|f| f.name().as_str().into())
            .collect();
        let text = names
            .iter()
            .position(|n| **n == *columns.text)
            .ok_or_else(|| format!("no text column `{}`", columns.text))?;
        let text_type = schema.field(text).data_type();
        if !is_string(text_type) {
            return Err(format!(
                "column `{}` is {text_type}, not text",
                columns.text
            ));
        }
        let id = (names.iter())
            .position(|n| **n == *columns.id_name())
            .filter(|&i| i != text);
        let kinds = (schema.fields().iter())
            .map(|f| parquet_kind(f.data_type()))
            .collect();
        let batches = builder
            .with_batch_size(PARQUET_BATCH)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(ParquetRows {
            batches,
            batch: None,
            group_ends,
            header: Header {
                names,
                kinds,
                text,
                id,
            },
            number: 0,
        })
    }

    fn group(&self, number: u64) -> usize {
        self.group_ends.partition_point(|&end| end < number) + 1
    }

    fn fields(&self, batch: &RecordBatch, i: usize) -> std::result::Result<Fields, String> {
        let at = format!("row group {}", self.group(self.number));
        let mut fields = Fields {
            id: None,
            text: String::new(),
            meta: Vec::with_capacity(self.header.names.len()),
        };
        for (c, name) in self.header.names.iter().enumerate() {
            let column = batch.column(c);
            if c == self.header.text && column.is_null(i) {
                return Err(format!("{at}, column `{name}`: not a string (null)"));
            }
            let value =
                parquet_cell(column, i).map_err(|e| format!("{at}, column `{name}`: {e}"))?;
            if c == self.header.text {
                fields.text = text_cell(value, name, &at)?;
            } else if Some(c) == self.header.id {
                fields.id = Some(value);
            } else {
                fields.meta.push((name.clone(), value));
            }
        }
        Ok(fields)
    }
}

/// Whether a Parquet column holds strings: plain, large, view, or
/// dictionary-encoded (a pandas `category`).
fn is_string(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => is_string(values),
        _ => false,
    }
}

/// The type a Parquet column keeps as metadata: integers (but UInt64,
/// which may not fit Int64) as Int64, floats as Float64, booleans; any
/// other type (dates, timestamps, decimals, lists) is text as Arrow
/// displays it.
fn parquet_kind(t: &DataType) -> Kind {
    use DataType as T;
    match t {
        T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::UInt8 | T::UInt16 | T::UInt32 => Kind::Int,
        T::Float16 | T::Float32 | T::Float64 => Kind::Float,
        T::Boolean => Kind::Bool,
        _ => Kind::Text,
    }
}

/// One cell as text (null: empty), formatted as Arrow displays it.
fn parquet_cell(column: &dyn Array, i: usize) -> std::result::Result<String, String> {
    if column.is_null(i) {
        return Ok(String::new());
    }
    let options = arrow_cast::display::FormatOptions::default();
    let formatter = arrow_cast::display::ArrayFormatter::try_new(column, &options)
        .map_err(|e| e.to_string())?;
    Ok(formatter.value(i).to_string())
}

impl Rows for ParquetRows {
    fn next_row(&mut self) -> std::result::Result<Option<Row>, String> {
        loop {
            if let Some((batch, i)) = &mut self.batch {
                if *i < batch.num_rows() {
                    let (batch, row) = (batch.clone(), *i);
                    *i += 1;
                    self.number += 1;
                    return Ok(Some(Row {
                        number: self.number,
                        at: Place::Group(self.group(self.number)),
                        fields: self.fields(&batch, row),
                    }));
                }
            }
            match self.batches.next() {
                None => return Ok(None),
                Some(Ok(batch)) => self.batch = Some((batch, 0)),
                Some(Err(e)) => {
                    let group = self.group(self.number + 1);
                    return Err(format!("row group {group}: {e}"));
                }
            }
        }
    }

    fn meta_columns(&self) -> Vec<(Arc<str>, Kind)> {
        self.header.meta_columns()
    }

    fn has_id(&self) -> bool {
        self.header.id.is_some()
    }
}

/// Reads every row of a table (for tests of the formats).
#[cfg(test)]
fn read_all(path: &Path, columns: &Columns) -> Vec<(u64, std::result::Result<Fields, String>)> {
    let mut rows = open(path, columns).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next_row().unwrap() {
        out.push((row.number, row.fields));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_kinds_by_name() {
        assert_eq!(
            kind(Path::new("a/UN.CSV")),
            Some((Format::Csv, Compression::None))
        );
        assert_eq!(
            kind(Path::new("a.jsonl.gz")),
            Some((Format::Jsonl, Compression::Gzip))
        );
        assert_eq!(
            kind(Path::new("a.tsv.zst")),
            Some((Format::Tsv, Compression::Zstd))
        );
        assert_eq!(
            kind(Path::new("a.parquet")),
            Some((Format::Parquet, Compression::None))
        );
        assert_eq!(kind(Path::new("a.parquet.gz")), None);
        assert_eq!(kind(Path::new("a.txt")), None);
        assert_eq!(kind(Path::new("a.gz")), None);
    }

    #[test]
    fn csv_rows_and_reasons() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(
            &path,
            b"doc_id,text,year\na,\"one\ntwo\",2020\nb,x\nc,\xff,1\n",
        )
        .unwrap();
        let rows = read_all(&path, &Columns::default());
        assert_eq!(rows.len(), 3);
        let first = rows[0].1.as_ref().unwrap();
        assert_eq!(first.text, "one\ntwo");
        assert_eq!(first.id.as_deref(), Some("a"));
        assert_eq!(&*first.meta[0].0, "year");
        // Row 2 starts on line 4 (row 1 spans lines 2-3).
        assert_eq!(
            rows[1].1.as_ref().unwrap_err(),
            "line 4: 2 fields where the header has 3"
        );
        assert_eq!(
            rows[2].1.as_ref().unwrap_err(),
            "line 5, column `text`: invalid UTF-8"
        );
    }

    /// Workers may ask for rows out of order (row 4 before row 1): the rows
    /// read on the way wait in the cursor; a skipped row is never kept.
    #[test]
    fn cursor_hands_out_rows_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "doc_id,text\na,One.\na,Dup.\nb,Two.\nc,Three.\n").unwrap();
        let listed = list(&path, &Columns::default()).unwrap();
        let ids: Vec<&str> = listed.rows.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let dup = (
            2,
            "line 3, column `doc_id`: duplicate id `a` (first on row 1)".to_string(),
        );
        assert_eq!(listed.skipped, [dup]);
        let text = |n: u64| listed.cursor.row(n).unwrap().text;
        assert_eq!(text(4), "Three.");
        assert_eq!(listed.cursor.state.lock().unwrap().waiting.len(), 2);
        assert_eq!(text(1), "One.");
        assert_eq!(text(3), "Two.");
        let state = listed.cursor.state.lock().unwrap();
        assert!(state.waiting.is_empty() && state.rows.is_none());
    }

    /// Parquet: a null text is skipped naming its row group (two rows per
    /// group: row 3 is in group 2); an Int64 column is a metadata cell.
    #[test]
    fn parquet_null_text_names_its_row_group() {
        use arrow_array::{ArrayRef, Int64Array, StringArray};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let text: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some("b"), None]));
        let year: ArrayRef = Arc::new(Int64Array::from(vec![2020, 2021, 2022]));
        let batch = RecordBatch::try_from_iter([("text", text), ("year", year)]).unwrap();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(2))
            .build();
        let file = File::create(&path).unwrap();
        let mut w =
            parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let rows = read_all(&path, &Columns::default());
        assert_eq!(rows[1].1.as_ref().unwrap().meta[0].1, "2021");
        let reason = rows[2].1.as_ref().unwrap_err();
        assert_eq!(reason, "row group 2, column `text`: not a string (null)");
    }
}
