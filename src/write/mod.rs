//! Writers: the only place output files are created.
//!
//! [`Output`] manages the target folder: every file is first written into a
//! staging folder beside it, and [`Output::commit`] swaps the staging folder
//! and the output folder in one step ([`folder`]), only when the whole run
//! succeeded. After any exit the folder holds the whole previous run or the
//! whole new one, never a mix, and no file of an earlier run survives a
//! later one. A failed run removes its staging folder, and an output folder
//! it created is removed again. Ctrl-C (SIGINT) or SIGTERM removes the
//! staging folder and exits 130 ([`interrupt`]); a staging folder left by a
//! SIGKILL or a power cut is removed by the next run into the same folder.
//! A workbook outside the folder (`--xlsx`) is written to a temporary file
//! beside its target and renamed in the same step.
//!
//! [`TableSink`] writes one RFC 4180 table: UTF-8 (with a BOM under
//! `--excel`), a header row, fixed float precision, and text cells that a
//! spreadsheet would execute as a formula (starting with `=`, `+`, `-`, `@`,
//! tab or CR) prefixed with `'` (OWASP's CSV-injection advice), as is a
//! text that begins with `'` before such a character, so that the guard
//! can be taken off exactly ([`needs_guard`], [`parquet::unguard`]).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::table::Cell;

mod cells;
pub mod folder;
pub mod interrupt;
pub mod parquet;
mod rows;
pub mod xlsx;

pub use cells::{Rows, Shape};
pub use rows::{fixed6, is_formula_start, needs_guard, sci6, CsvRows};

/// The formats the tables are written in (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// CSV tables only.
    #[default]
    Csv,
    /// Parquet tables only (typed, zstd).
    Parquet,
    /// Both, with the same rows.
    Both,
}

/// The output folder of one run.
pub struct Output {
    /// The folder as the user named it.
    dir: PathBuf,
    /// Locked and staged until commit.
    folder: Option<folder::Folder>,
    /// This run in [`interrupt`]'s registry.
    run: u64,
    excel: bool,
    /// (file name, rows written), in the order the files were created.
    written: Vec<(String, u64)>,
    /// Workbooks outside the folder: (temporary file, target).
    beside: Vec<(PathBuf, PathBuf)>,
    /// The first folder of `dir`'s ancestry that this run created, if any:
    /// removed again (when empty) if the run does not commit.
    created: Option<PathBuf>,
    format: Format,
    /// The types of the metadata columns of `documents` (Parquet).
    meta: Vec<(String, crate::table::Kind)>,
    /// The workbook (`--xlsx`), which every table adds a sheet to.
    book: Option<Arc<Mutex<xlsx::Book>>>,
    /// Tables finished, by name.
    tables: Vec<String>,
}

/// The first ancestor of `dir` (or `dir` itself) that does not exist yet.
fn first_missing(dir: &Path) -> Option<PathBuf> {
    let mut missing = None;
    for a in dir.ancestors() {
        if a.as_os_str().is_empty() || fs::symlink_metadata(a).is_ok() {
            break;
        }
        missing = Some(a.to_path_buf());
    }
    missing
}

impl Output {
    /// Creates (if missing), checks and locks the folder and stages beside
    /// it. Fails early, before any document is read, when the folder cannot
    /// be replaced: another run writes it, it holds files themata did not
    /// write, or its parent is not writable.
    pub fn create(dir: &Path, excel: bool) -> Result<Output> {
        let created = first_missing(dir);
        let folder = folder::prepare(dir).inspect_err(|_| {
            if let Some(top) = &created {
                remove_empty_up_to(dir, top);
            }
        })?;
        let run = interrupt::register(
            dir.display().to_string().trim_end_matches('/').to_string(),
            folder.staging.clone(),
            created.clone().map(|top| (dir.to_path_buf(), top)),
        );
        interrupt::pause("staging");
        Ok(Output {
            dir: dir.to_path_buf(),
            folder: Some(folder),
            run,
            excel,
            written: Vec::new(),
            beside: Vec::new(),
            created,
            format: Format::Csv,
            meta: Vec::new(),
            book: None,
            tables: Vec::new(),
        })
    }

    /// Sets the formats of the tables started from now on.
    pub fn set_format(&mut self, format: Format) {
        self.format = format;
    }

    /// Sets the types of metadata columns, as the input tables gave them
    /// (a column not named here is text).
    pub fn set_meta_kinds(&mut self, meta: Vec<(String, crate::table::Kind)>) {
        self.meta = meta;
    }

    /// Gives every table started from now on a sheet in a workbook
    /// ([`Output::take_workbook`]).
    pub fn start_workbook(&mut self) -> Result<()> {
        let kind = match self.format {
            Format::Parquet => "Parquet",
            _ => "CSV",
        };
        self.book = Some(Arc::new(Mutex::new(xlsx::Book::new(kind)?)));
        Ok(())
    }

    /// The workbook's bytes and notes, once every table is finished (none
    /// without [`Output::start_workbook`]).
    pub fn take_workbook(&mut self) -> Result<Option<(Vec<u8>, Vec<String>)>> {
        let Some(book) = self.book.take() else {
            return Ok(None);
        };
        let book = Arc::into_inner(book)
            .ok_or_else(|| Error::Usage("the workbook has a table still open".into()))?;
        let book = book.into_inner().map_err(|_| poisoned())?;
        book.finish().map(Some)
    }

    /// What the rows of a table hold for this run's formats (for rows
    /// rendered on a worker thread and appended with
    /// [`TableSink::append_rows`]).
    pub fn shape(&self) -> Shape {
        Shape {
            csv: self.format != Format::Parquet,
            typed: self.format != Format::Csv || self.book.is_some(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn folder(&self) -> &folder::Folder {
        self.folder
            .as_ref()
            .expect("staging folder exists until commit")
    }

    fn staging_path(&self, name: &str) -> PathBuf {
        self.folder().staging.join(name)
    }

    /// The file name of `path` when it names a file directly in the output
    /// folder (as the user wrote it, or by its real location).
    pub fn inside(&self, path: &Path) -> Option<String> {
        let name = path.file_name()?.to_string_lossy().into_owned();
        let parent = match path.parent()? {
            p if p.as_os_str().is_empty() => Path::new("."),
            p => p,
        };
        let real = || fs::canonicalize(parent).is_ok_and(|p| p == self.folder().target);
        (parent == self.dir || real()).then_some(name)
    }

    /// Stages a workbook: in the folder when `path` names a file in it,
    /// else beside `path` ([`Output::file_beside`]).
    pub fn workbook(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        match self.inside(path) {
            Some(name) => self.file(&name, bytes),
            None => self.file_beside(path, bytes),
        }
    }

    /// Starts table `name` with the given header: `name.csv`,
    /// `name.parquet` or both (`--format`), and its sheet in the workbook.
    pub fn table(&mut self, name: &str, header: &[&str]) -> Result<TableSink> {
        let csv = match self.format {
            Format::Parquet => None,
            _ => Some(self.csv_file(name, header)?),
        };
        let parquet = match self.format {
            Format::Csv => None,
            _ => {
                let file_name = format!("{name}.parquet");
                let (path, target) = (self.staging_path(&file_name), self.dir.join(&file_name));
                let w = parquet::Writer::create(name, header, &path, &target, &self.meta)?;
                Some(w)
            }
        };
        let sheet = match &self.book {
            Some(book) => {
                let n = book.lock().map_err(|_| poisoned())?.sheet(name, header)?;
                Some((book.clone(), n))
            }
            None => None,
        };
        Ok(TableSink {
            csv,
            parquet,
            sheet,
            name: name.to_string(),
            target: self.dir.clone(),
            rows: 0,
        })
    }

    /// `name.csv` in staging, with its header.
    fn csv_file(&mut self, name: &str, header: &[&str]) -> Result<CsvFile> {
        let file_name = format!("{name}.csv");
        let path = self.staging_path(&file_name);
        let file = File::create(&path).map_err(|e| Error::output(self.dir.join(&file_name), e))?;
        let mut out = BufWriter::with_capacity(WRITE_SIZE, file);
        if self.excel {
            out.write_all(b"\xEF\xBB\xBF")
                .map_err(|e| Error::output(self.dir.join(&file_name), e))?;
        }
        let mut pending = CsvRows::default();
        let header: Vec<Cell> = header.iter().map(|h| Cell::Str(h)).collect();
        pending.row(&header);
        Ok(CsvFile {
            out,
            pending,
            path: self.dir.join(&file_name),
        })
    }

    /// Finishes a table: the rest of its rows written, its files closed,
    /// its rows counted (for the manifest), its sheet ended.
    pub fn finish(&mut self, sink: TableSink) -> Result<()> {
        let TableSink {
            csv,
            parquet,
            sheet,
            name,
            rows,
            ..
        } = sink;
        if let Some(mut csv) = csv {
            csv.drain()?;
            csv.out.flush().map_err(|e| Error::output(&csv.path, e))?;
            self.written.push((format!("{name}.csv"), rows));
        }
        if let Some(parquet) = parquet {
            parquet.finish()?;
            self.written.push((format!("{name}.parquet"), rows));
        }
        if let Some((book, n)) = sheet {
            book.lock().map_err(|_| poisoned())?.end(n)?;
        }
        self.tables.push(name);
        Ok(())
    }

    /// Writes a whole file (e.g. `manifest.json`) into staging.
    pub fn file(&mut self, relative: &str, bytes: &[u8]) -> Result<()> {
        let path = self.staging_path(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::output(self.dir.join(relative), e))?;
        }
        fs::write(&path, bytes).map_err(|e| Error::output(self.dir.join(relative), e))?;
        self.written.push((relative.to_string(), 0));
        Ok(())
    }

    /// Writes a file outside the folder (a workbook): to a temporary file
    /// beside `path` now, renamed onto `path` in [`Output::commit`]'s step.
    pub fn file_beside(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".themata-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::output(path, e))?;
        let (mut file, tmp) = tmp.keep().map_err(|e| Error::output(path, e.error))?;
        interrupt::add_temp(self.run, tmp.clone());
        self.beside.push((tmp, path.to_path_buf()));
        file.write_all(bytes).map_err(|e| Error::output(path, e))?;
        // A temporary file is private (0600); the workbook is an ordinary file.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::output(path, e))
    }

    /// Starts a scratch file in the staging folder, for text that a later
    /// file is assembled from ([`Output::file_around`]); it never lands.
    pub fn spool(&mut self, name: &str) -> Result<Spool> {
        let path = self.staging_path(name);
        let file = File::create(&path).map_err(|e| Error::output(self.dir.join(name), e))?;
        Ok(Spool {
            out: BufWriter::with_capacity(1 << 16, file),
            path,
            target: self.dir.join(name),
        })
    }

    /// Writes a whole file into staging as `head`, the spooled text, `tail`,
    /// without holding the spooled text in memory.
    pub fn file_around(
        &mut self,
        relative: &str,
        head: &[u8],
        spool: Spool,
        tail: &[u8],
    ) -> Result<()> {
        let target = self.dir.join(relative);
        let Spool { out, path, .. } = spool;
        out.into_inner()
            .map_err(|e| Error::output(&target, e.error().to_string()))?;
        let mut from = File::open(&path).map_err(|e| Error::output(&target, e))?;
        let to =
            File::create(self.staging_path(relative)).map_err(|e| Error::output(&target, e))?;
        let mut to = BufWriter::with_capacity(1 << 16, to);
        to.write_all(head)
            .and_then(|_| std::io::copy(&mut from, &mut to).map(|_| ()))
            .and_then(|_| to.write_all(tail))
            .and_then(|_| to.flush())
            .map_err(|e| Error::output(&target, e))?;
        drop(from);
        // The spool stays in staging, which is removed with everything in it.
        let _ = fs::remove_file(&path);
        self.written.push((relative.to_string(), 0));
        Ok(())
    }

    /// Row counts of the tables written so far, by file name.
    pub fn row_counts(&self) -> Vec<(String, u64)> {
        (self.written.iter())
            .filter(|(n, _)| n.ends_with(".csv") || n.ends_with(".parquet"))
            .cloned()
            .collect()
    }

    /// How many tables were written (in one format or more).
    pub fn tables(&self) -> usize {
        self.tables.len()
    }

    /// The manifest's `files`, sorted: every file written so far, the
    /// manifest itself, and the workbook `xlsx` when it goes into the folder.
    pub fn manifest_files(&self, xlsx: Option<&Path>) -> Vec<String> {
        let mut files: Vec<String> = self.written.iter().map(|(n, _)| n.clone()).collect();
        files.push("manifest.json".into());
        files.extend(xlsx.and_then(|p| self.inside(p)));
        files.sort();
        files.dedup();
        files
    }

    /// Replaces the output folder with the staged one (and moves workbooks
    /// beside it into place), then removes the old tree. Returns the
    /// output folder.
    pub fn commit(mut self) -> Result<PathBuf> {
        let (staging, target) = (self.folder().staging.clone(), self.folder().target.clone());
        let mut switch = interrupt::begin(self.run);
        // On an error here nothing is switched; drop removes the staging folder.
        let old = folder::exchange(&staging, &target)?;
        switch.switched(old.clone());
        // Keeps the locks until the old tree is removed.
        let folder = self.folder.take();
        self.created = None;
        let mut landed = Ok(());
        for (tmp, target) in std::mem::take(&mut self.beside) {
            match fs::rename(&tmp, &target) {
                Ok(()) => switch.landed(&tmp),
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    landed = Err(Error::output(
                        &target,
                        format!("cannot move the workbook into place ({e}); the tables are from this run"),
                    ));
                }
            }
        }
        interrupt::pause("switched");
        drop(switch);
        interrupt::settle();
        let _ = fs::remove_dir_all(&old);
        interrupt::pause("cleaned");
        drop(folder);
        landed.map(|()| self.dir.clone())
    }
}

impl Drop for Output {
    /// A run that did not commit: remove its staging folder, its temporary
    /// files and any output folder it created (only if still empty: never
    /// someone's files). A committed run stays registered, so that a signal
    /// until the process ends still says that the folder was replaced.
    fn drop(&mut self) {
        let Some(folder) = self.folder.take() else {
            return;
        };
        let _ = fs::remove_dir_all(&folder.staging);
        for (tmp, _) in &self.beside {
            let _ = fs::remove_file(tmp);
        }
        interrupt::unregister(self.run);
        drop(folder);
        if let Some(top) = self.created.take() {
            remove_empty_up_to(&self.dir, &top);
        }
    }
}

/// Removes `dir` and its parents up to and including `top`, each only if empty.
fn remove_empty_up_to(dir: &Path, top: &Path) {
    for a in dir.ancestors() {
        if fs::remove_dir(a).is_err() || a == top {
            break;
        }
    }
}

/// A scratch file in staging (see [`Output::spool`]).
pub struct Spool {
    out: BufWriter<File>,
    path: PathBuf,
    /// The name errors give.
    target: PathBuf,
}

impl Spool {
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| Error::output(&self.target, e))
    }
}

/// Tables are written to the kernel 64 KiB at a time: on this project's
/// VMs, 1 MiB writes made the kernel's copy into the page cache slower
/// (sys 0.9 -> 2.5 s on 200 MB; docs/PERFORMANCE.md).
const WRITE_SIZE: usize = 64 * 1024;

/// One table being written, in each format the run asks for: every row
/// goes to its CSV file, its Parquet file and its sheet alike.
pub struct TableSink {
    csv: Option<CsvFile>,
    parquet: Option<parquet::Writer>,
    /// The workbook and the number of this table's sheet.
    sheet: Option<(Arc<Mutex<xlsx::Book>>, usize)>,
    name: String,
    target: PathBuf,
    rows: u64,
}

impl TableSink {
    /// Writes one row.
    pub fn row(&mut self, cells: &[Cell]) -> Result<()> {
        if let Some(csv) = &mut self.csv {
            csv.pending.row(cells);
            if csv.pending.len() >= 1 << 16 {
                csv.drain()?;
            }
        }
        self.rows += 1;
        self.typed(cells)
    }

    /// Hands one row to the typed formats (Parquet, the workbook).
    fn typed(&mut self, cells: &[Cell]) -> Result<()> {
        if let Some(parquet) = &mut self.parquet {
            parquet.row(cells)?;
        }
        if let Some((book, n)) = &self.sheet {
            book.lock().map_err(|_| poisoned())?.row(*n, cells)?;
        }
        Ok(())
    }

    /// Whether the table goes to a typed format.
    fn is_typed(&self) -> bool {
        self.parquet.is_some() || self.sheet.is_some()
    }

    /// Appends rows rendered elsewhere (on a worker thread) in the
    /// [`Output::shape`] of this run, and empties them for reuse, keeping
    /// at most `keep` bytes of capacity per buffer.
    pub fn append_rows(&mut self, rows: &mut Rows, keep: usize) -> Result<()> {
        let mut n = None;
        if let Some(pending) = &mut rows.csv {
            if let Some(csv) = &mut self.csv {
                csv.drain()?;
                csv.write(pending.bytes())?;
            }
            n = Some(pending.rows());
        }
        if let Some(typed) = rows.typed.as_ref().filter(|t| !t.is_empty()) {
            if let Some(parquet) = &mut self.parquet {
                typed.each(|cells| parquet.row(cells))?;
            }
            if let Some((book, sheet)) = &self.sheet {
                let mut book = book.lock().map_err(|_| poisoned())?;
                typed.each(|cells| book.row(*sheet, cells))?;
            }
            n = n.or(Some(typed.len()));
        }
        rows.clear(keep);
        self.rows += n.unwrap_or(0);
        Ok(())
    }

    /// Appends rows read from CSV tables (`merge`): `raw` as they are to
    /// the CSV file, `records` (the same rows, parsed) to the typed
    /// formats, their texts without the formula guard.
    pub fn append_csv(&mut self, raw: &[u8], records: &[csv::ByteRecord]) -> Result<()> {
        if let Some(csv) = &mut self.csv {
            csv.drain()?;
            csv.write(raw)?;
        }
        self.rows += records.len() as u64;
        if !self.is_typed() {
            return Ok(());
        }
        let mut cells: Vec<Cell> = Vec::new();
        for record in records {
            cells.clear();
            for field in record {
                let text = std::str::from_utf8(field).map_err(|e| {
                    Error::output(self.target.join(&self.name), format!("not UTF-8: {e}"))
                })?;
                cells.push(Cell::Str(parquet::unguard(text)));
            }
            self.typed(&cells)?;
        }
        Ok(())
    }
}

/// A table's CSV file being written.
struct CsvFile {
    out: BufWriter<File>,
    /// Rows rendered but not yet handed to `out`.
    pending: CsvRows,
    /// The name errors give.
    path: PathBuf,
}

impl CsvFile {
    fn drain(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let (bytes, _) = self.pending.take();
        self.write(&bytes)
    }

    /// Writes `bytes` at most [`WRITE_SIZE`] at a time.
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        for chunk in bytes.chunks(WRITE_SIZE) {
            (self.out.write_all(chunk)).map_err(|e| Error::output(&self.path, e))?;
        }
        Ok(())
    }
}

/// A lock poisoned by a panic elsewhere.
fn poisoned() -> Error {
    Error::Usage("internal error: a writer thread panicked".into())
}

/// A whole CSV table as bytes (for stdout), with the same quoting, line
/// ends, float format and formula guard as [`TableSink`].
pub fn csv_bytes(header: &[&str], rows: &[Vec<Cell>], bom: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    if bom {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(bytes);
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(header);
    for row in rows {
        let _ = writer.write_record(row.iter().map(|c| match c {
            Cell::Str(s) => guard_formula(s),
            other => other.render(),
        }));
    }
    writer.into_inner().unwrap_or_default()
}

/// Prefixes text that a spreadsheet would execute as a formula with `'`.
pub fn guard_formula(s: &str) -> String {
    match needs_guard(s.as_bytes()) {
        true => format!("'{s}"),
        false => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::RowSink;

    #[test]
    fn rows_in_memory_equal_sink_rows() {
        let rows: Vec<Vec<Cell>> = vec![
            vec![
                Cell::Str("a,b"),
                Cell::Str("say \"hi\""),
                Cell::Str("line\nbreak"),
            ],
            vec![Cell::Str("=1+1"), Cell::Str("-2"), Cell::Str("")],
            vec![Cell::Int(0), Cell::Int(u64::MAX), Cell::Float(1.0 / 3.0)],
            vec![
                Cell::Float(-0.0),
                Cell::Float(f64::NAN),
                Cell::Sci(0.000012345),
            ],
            vec![Cell::Str("\tx"), Cell::Str("\rx"), Cell::Str("é ü")],
        ];
        // Reference: csv::Writer::write_record of guard_formula / render
        // strings (how rows were written before CsvRows).
        let mut reference = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        reference.write_record(["a", "b", "c"]).unwrap();
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .map(|c| match c {
                    Cell::Str(s) => guard_formula(s),
                    other => other.render(),
                })
                .collect();
            reference.write_record(&cells).unwrap();
        }
        let reference = reference.into_inner().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut out = Output::create(dir.path(), false).unwrap();
        let mut direct = out.table("direct", &["a", "b", "c"]).unwrap();
        let mut appended = out.table("appended", &["a", "b", "c"]).unwrap();
        let mut mem = out.shape().rows();
        for r in &rows {
            direct.row(r).unwrap();
            mem.row(r);
        }
        appended.append_rows(&mut mem, 0).unwrap();
        out.finish(direct).unwrap();
        out.finish(appended).unwrap();
        assert_eq!(out.row_counts()[1], ("appended.csv".to_string(), 5));
        out.commit().unwrap();
        let a = fs::read(dir.path().join("direct.csv")).unwrap();
        let b = fs::read(dir.path().join("appended.csv")).unwrap();
        assert_eq!(a, reference);
        assert_eq!(b, reference);
    }

    /// Under `--format parquet` no CSV file is written, and the rows a
    /// worker renders hold typed cells only.
    #[test]
    fn parquet_only_writes_no_csv() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Output::create(dir.path(), false).unwrap();
        out.set_format(Format::Parquet);
        assert_eq!(
            out.shape(),
            Shape {
                csv: false,
                typed: true
            }
        );
        let mut sink = out.table("t", &["doc_id", "count"]).unwrap();
        let mut rows = out.shape().rows();
        rows.row(&[Cell::Str("a"), Cell::Int(1)]);
        sink.append_rows(&mut rows, 0).unwrap();
        out.finish(sink).unwrap();
        assert_eq!(out.row_counts(), [("t.parquet".to_string(), 1)]);
        out.commit().unwrap();
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["t.parquet"]);
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(guard_formula("=1+1"), "'=1+1");
        assert_eq!(guard_formula("+cmd"), "'+cmd");
        assert_eq!(guard_formula("-2"), "'-2");
        assert_eq!(guard_formula("@SUM"), "'@SUM");
        assert_eq!(guard_formula("\tx"), "'\tx");
        assert_eq!(guard_formula("\rx"), "'\rx");
        assert_eq!(guard_formula("a=b"), "a=b");
        // A text that begins with quotes before a formula character gets
        // one more, so the guard can be taken off exactly.
        assert_eq!(guard_formula("'=x"), "''=x");
        assert_eq!(guard_formula("'x"), "'x");
    }

    #[test]
    fn nothing_lands_without_commit() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut out = Output::create(dir.path(), false).unwrap();
            let mut sink = out.table("t", &["a"]).unwrap();
            sink.row(&[Cell::Int(1)]).unwrap();
            out.finish(sink).unwrap();
            // dropped without commit
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut out = Output::create(dir.path(), true).unwrap();
        let mut sink = out.table("t", &["a", "b"]).unwrap();
        sink.row(&[Cell::Str("x,y"), Cell::Float(0.5)]).unwrap();
        out.finish(sink).unwrap();
        out.commit().unwrap();
        let text = fs::read(dir.path().join("t.csv")).unwrap();
        assert_eq!(text, b"\xEF\xBB\xBFa,b\r\n\"x,y\",0.500000\r\n");
    }
}
