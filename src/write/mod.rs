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
//! [`CsvSink`] writes one RFC 4180 table: UTF-8 (with a BOM under
//! `--excel`), a header row, fixed float precision, and text cells that a
//! spreadsheet would execute as a formula (starting with `=`, `+`, `-`, `@`,
//! tab or CR) prefixed with `'` (OWASP's CSV-injection advice).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::table::Cell;

pub mod folder;
pub mod interrupt;
pub mod parquet;
pub mod xlsx;

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
    /// CSV tables staged only to make the Parquet files (and a workbook)
    /// from: not listed in the manifest, removed before the commit.
    scratch: Vec<String>,
    /// The types of the metadata columns of `documents` (Parquet).
    meta: Vec<(String, crate::table::Kind)>,
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
            scratch: Vec::new(),
            meta: Vec::new(),
        })
    }

    /// Sets the formats of the tables ([`Output::finish_formats`]).
    pub fn set_format(&mut self, format: Format) {
        self.format = format;
    }

    /// Sets the types of metadata columns, as the input tables gave them
    /// (a column not named here is text).
    pub fn set_meta_kinds(&mut self, meta: Vec<(String, crate::table::Kind)>) {
        self.meta = meta;
    }

    /// After the last table: writes each CSV table staged so far as
    /// `name.parquet` too (for `--format parquet|both`), `jobs` tables at a
    /// time, and under `--format parquet` keeps the CSV tables out of the
    /// manifest and the output folder (they stay in staging for a workbook
    /// until the commit).
    pub fn finish_formats(&mut self, jobs: usize) -> Result<()> {
        use rayon::prelude::*;
        if self.format == Format::Csv {
            return Ok(());
        }
        let tables = self.staged_tables();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build()
            .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
        let rows: Vec<u64> = pool.install(|| {
            (tables.par_iter())
                .map(|(table, csv)| {
                    let name = format!("{table}.parquet");
                    let (staged, target) = (self.staging_path(&name), self.dir.join(&name));
                    parquet::convert(table, csv, &staged, &target, &self.meta)
                })
                .collect::<Result<_>>()
        })?;
        for ((table, _), rows) in tables.into_iter().zip(rows) {
            self.written.push((format!("{table}.parquet"), rows));
            if self.format == Format::Parquet {
                self.scratch.push(format!("{table}.csv"));
            }
        }
        Ok(())
    }

    /// Whether `name` lands in the output folder.
    fn lands(&self, name: &str) -> bool {
        !self.scratch.iter().any(|s| s == name)
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

    /// Starts a CSV table `name.csv` with the given header.
    pub fn csv(&mut self, name: &str, header: &[&str]) -> Result<CsvSink> {
        let file_name = format!("{name}.csv");
        let path = self.staging_path(&file_name);
        let file = File::create(&path).map_err(|e| Error::output(self.dir.join(&file_name), e))?;
        let mut out = BufWriter::with_capacity(WRITE_SIZE, file);
        if self.excel {
            out.write_all(b"\xEF\xBB\xBF")
                .map_err(|e| Error::output(self.dir.join(&file_name), e))?;
        }
        let mut sink = CsvSink {
            out,
            spent: Vec::new(),
            pending: CsvRows::default(),
            name: file_name,
            target: self.dir.clone(),
            rows: 0,
        };
        let header: Vec<Cell> = header.iter().map(|h| Cell::Str(h)).collect();
        sink.row(&header)?;
        sink.rows = 0;
        Ok(sink)
    }

    /// Records a finished table (for the manifest's row counts).
    pub fn finish(&mut self, sink: CsvSink) -> Result<()> {
        let target = sink.target.join(&sink.name);
        let rows = sink.rows;
        let name = sink.name.clone();
        let mut sink = sink;
        sink.drain()?;
        sink.out.flush().map_err(|e| Error::output(&target, e))?;
        self.written.push((name, rows));
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
        self.written
            .iter()
            .filter(|(n, _)| (n.ends_with(".csv") || n.ends_with(".parquet")) && self.lands(n))
            .cloned()
            .collect()
    }

    /// The manifest's `files`, sorted: every file written so far, the
    /// manifest itself, and the workbook `xlsx` when it goes into the folder.
    pub fn manifest_files(&self, xlsx: Option<&Path>) -> Vec<String> {
        let mut files: Vec<String> = (self.written.iter())
            .filter(|(n, _)| self.lands(n))
            .map(|(n, _)| n.clone())
            .collect();
        files.push("manifest.json".into());
        files.extend(xlsx.and_then(|p| self.inside(p)));
        files.sort();
        files.dedup();
        files
    }

    /// The CSV tables staged so far: (table name, staged path), in the order
    /// they were created (for building the XLSX workbook from them).
    pub fn staged_tables(&self) -> Vec<(String, PathBuf)> {
        self.written
            .iter()
            .filter_map(|(n, _)| {
                n.strip_suffix(".csv")
                    .map(|t| (t.to_string(), self.staging_path(n)))
            })
            .collect()
    }

    /// Replaces the output folder with the staged one (and moves workbooks
    /// beside it into place), then removes the old tree. Returns the
    /// output folder.
    pub fn commit(mut self) -> Result<PathBuf> {
        let (staging, target) = (self.folder().staging.clone(), self.folder().target.clone());
        for name in &self.scratch {
            fs::remove_file(staging.join(name))
                .map_err(|e| Error::output(self.dir.join(name), e))?;
        }
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

/// One CSV table being written.
pub struct CsvSink {
    out: BufWriter<File>,
    /// Buffers given to [`CsvSink::append_owned`], written and emptied,
    /// until [`CsvSink::take_spent`] hands them back for reuse.
    spent: Vec<Vec<u8>>,
    /// Rows rendered but not yet handed to `out`.
    pending: CsvRows,
    name: String,
    target: PathBuf,
    rows: u64,
}

impl CsvSink {
    /// Writes one row.
    pub fn row(&mut self, cells: &[Cell]) -> Result<()> {
        self.pending.row(cells);
        self.rows += 1;
        if self.pending.len() >= 1 << 16 {
            self.drain()?;
        }
        Ok(())
    }

    /// Appends rows rendered by [`CsvRows`] (e.g. on a worker thread).
    pub fn append(&mut self, bytes: &[u8], rows: u64) -> Result<()> {
        self.drain()?;
        self.write(bytes)?;
        self.rows += rows;
        Ok(())
    }

    /// [`CsvSink::append`] of a buffer that [`CsvSink::take_spent`] gives
    /// back, emptied, for reuse.
    pub fn append_owned(&mut self, mut bytes: Vec<u8>, rows: u64) -> Result<()> {
        self.append(&bytes, rows)?;
        bytes.clear();
        self.spent.push(bytes);
        Ok(())
    }

    /// Buffers given to [`CsvSink::append_owned`], written and emptied.
    pub fn take_spent(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.spent)
    }

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
            self.out
                .write_all(chunk)
                .map_err(|e| Error::output(self.target.join(&self.name), e))?;
        }
        Ok(())
    }
}

/// Rows rendered in memory exactly as [`CsvSink::row`] writes them (same
/// quoting, terminator, number formats and formula guard), so that worker
/// threads can format rows in parallel and the sink only appends bytes.
///
/// The dialect is the `csv` crate's default with CRLF line ends (a field is
/// quoted when it holds `,`, `"`, CR or LF; quotes inside are doubled; a
/// row of one empty field is `""`), written by hand because this is the
/// hottest loop of a large run; `csv_rows_equal_csv_crate` checks it
/// against `csv::Writer` on random fields.
#[derive(Default)]
pub struct CsvRows {
    bytes: Vec<u8>,
    rows: u64,
}

/// Appends `s` to `out`. (An unsafe copy without a `memcpy` call for short
/// pieces stood here; a build with plain `extend_from_slice` ran 7.08 s
/// against 7.25 s, median of 9 alternating pairs on 200 MB, so the simple
/// version stays.)
#[inline]
pub fn put(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(s);
}

/// Appends one row: the concatenation of `pieces`, then CRLF, with one
/// capacity check for the whole row.
#[inline]
pub fn put_row(out: &mut Vec<u8>, pieces: &[&[u8]]) {
    out.reserve(pieces.iter().map(|p| p.len()).sum::<usize>() + 2);
    for p in pieces {
        out.extend_from_slice(p);
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends the decimal digits of `n` (as `n.to_string()`).
fn push_u64(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Whether a spreadsheet would run text that starts with `first` as a
/// formula (such text gets a leading `'`).
pub fn is_formula_start(first: Option<&u8>) -> bool {
    matches!(first, Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'))
}

/// Whether a CSV field must be quoted.
pub fn needs_quotes(field: &[u8]) -> bool {
    field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// Appends a text cell as [`CsvRows::row`] writes it (formula guard,
/// quoting), for rows assembled from pre-rendered fields.
pub fn push_text_cell(s: &str, out: &mut Vec<u8>) {
    push_text_bytes_cell(s.as_bytes(), out);
}

/// [`push_text_cell`] of a text given as its UTF-8 bytes.
pub fn push_text_bytes_cell(s: &[u8], out: &mut Vec<u8>) {
    let prefix: &[u8] = match is_formula_start(s.first()) {
        true => b"'",
        false => b"",
    };
    push_text(prefix, s, out);
}

/// Appends an integer cell as [`CsvRows::row`] writes it.
pub fn push_int_cell(n: u64, out: &mut Vec<u8>) {
    push_u64(n, out);
}

/// Appends a text field, quoted if it must be. `prefix` (the formula
/// guard's `'`, or nothing) goes first, inside the quotes.
fn push_text(prefix: &[u8], field: &[u8], out: &mut Vec<u8>) {
    if !needs_quotes(field) {
        put(out, prefix);
        put(out, field);
        return;
    }
    out.push(b'"');
    out.extend_from_slice(prefix);
    for part in field.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

impl crate::table::RowSink for CsvRows {
    fn row(&mut self, cells: &[Cell]) {
        CsvRows::row(self, cells);
    }
}

impl CsvRows {
    /// Rows rendered into `buffer` (cleared), reusing its capacity.
    pub fn with_buffer(mut buffer: Vec<u8>) -> CsvRows {
        buffer.clear();
        CsvRows {
            bytes: buffer,
            rows: 0,
        }
    }

    pub fn row(&mut self, cells: &[Cell]) {
        self.rows += 1; // first, as in `raw_row`
        let out = &mut self.bytes;
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match *cell {
                Cell::Str("") if cells.len() == 1 => out.extend_from_slice(b"\"\""),
                Cell::Str(s) => push_text_cell(s, out),
                Cell::Int(n) => push_u64(n, out),
                Cell::Float(f) => fixed6(f, out),
                Cell::Sci(f) => sci6(f, out),
            }
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Appends one row assembled by `render` from pre-rendered fields (with
    /// [`push_text_cell`], [`push_int_cell`], [`fixed6`] and commas); it
    /// must write a whole row of two or more cells without the line end.
    pub fn raw_row(&mut self, render: impl FnOnce(&mut Vec<u8>)) {
        // Counted first: after the row, the compiler adds to the length and
        // the count with one 16-byte load that spans the length just stored
        // by `render` (a store-forwarding stall on every row, 10 % of a run).
        self.rows += 1;
        render(&mut self.bytes);
        self.bytes.extend_from_slice(b"\r\n");
    }

    /// Appends one row made of pre-rendered `pieces` (cells and commas, as
    /// for [`CsvRows::raw_row`]), without the line end.
    #[inline(always)]
    pub fn pieces_row(&mut self, pieces: &[&[u8]]) {
        self.rows += 1; // first, as in `raw_row`
        put_row(&mut self.bytes, pieces);
    }

    /// Bytes rendered so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The rendered bytes and the number of rows, leaving `self` empty.
    pub fn take(&mut self) -> (Vec<u8>, u64) {
        (
            std::mem::take(&mut self.bytes),
            std::mem::take(&mut self.rows),
        )
    }
}

/// `format!("{:.6}", f)` as [`Cell::render`] writes a float (`-0` as `0`,
/// nothing for NaN or infinity), without its cost in the common case: a
/// non-negative value below 10^9 whose 7th decimal is not within rounding
/// error of a tie is rounded from `f * 10^6` (error below 10^-3 of a unit);
/// anything else goes through `format!`.
pub fn fixed6(f: f64, out: &mut Vec<u8>) {
    if f.is_finite() && (0.0..1e9).contains(&f) {
        let scaled = f * 1e6;
        let floor = scaled.floor();
        let frac = scaled - floor;
        if (frac - 0.5).abs() > 1e-3 {
            let units = floor as u64 + u64::from(frac > 0.5);
            push_u64(units / 1_000_000, out);
            let fraction = units % 1_000_000;
            out.push(b'.');
            for div in [100_000, 10_000, 1_000, 100, 10, 1] {
                out.push(b'0' + (fraction / div % 10) as u8);
            }
            return;
        }
    }
    out.extend_from_slice(Cell::Float(f).render().as_bytes());
}

/// `format!("{:.6e}", f)` as [`Cell::render`] writes a p-value or a tf
/// (nothing for NaN or infinity), without its cost in the common case: a
/// positive normal value whose mantissa, scaled to seven digits, is not
/// within 10^-3 of a unit of a rounding tie is rounded from
/// `f * 10^(6 - e)`; anything else (zero, negatives, ties, an exponent
/// estimate off by one) goes through `format!`.
pub fn sci6(f: f64, out: &mut Vec<u8>) {
    if f.is_normal() && f > 0.0 {
        let e = f.log10().floor() as i32;
        let scaled = f * 10f64.powi(6 - e);
        if scaled.is_finite() && (1e6..1e7).contains(&scaled) {
            let whole = scaled as u64;
            let frac = scaled - whole as f64;
            let units = whole + u64::from(frac > 0.5);
            if (frac - 0.5).abs() > 1e-3 && units < 10_000_000 {
                push_u64(units / 1_000_000, out);
                out.push(b'.');
                let fraction = units % 1_000_000;
                for div in [100_000, 10_000, 1_000, 100, 10, 1] {
                    out.push(b'0' + (fraction / div % 10) as u8);
                }
                out.push(b'e');
                if e < 0 {
                    out.push(b'-');
                }
                push_u64(u64::from(e.unsigned_abs()), out);
                return;
            }
        }
    }
    out.extend_from_slice(Cell::Sci(f).render().as_bytes());
}

/// A whole CSV table as bytes (for stdout), with the same quoting, line
/// ends, float format and formula guard as [`CsvSink`].
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
    match is_formula_start(s.as_bytes().first()) {
        true => format!("'{s}"),
        false => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_equal_to_string() {
        for n in [0, 1, 9, 10, 99, 100, 12345, u64::MAX - 1, u64::MAX] {
            let mut s = Vec::new();
            push_u64(n, &mut s);
            assert_eq!(s, n.to_string().as_bytes());
        }
    }

    #[test]
    fn fixed6_equals_format() {
        // Reference: Rust's correctly rounded `{:.6}` (Cell::render).
        let check = |f: f64| {
            let mut s = Vec::new();
            fixed6(f, &mut s);
            assert_eq!(s, Cell::Float(f).render().as_bytes(), "{f:e}");
        };
        for f in [
            0.0,
            -0.0,
            0.5,
            1.0 / 3.0,
            2.0 / 3.0,
            0.9765625,
            0.0000005,
            999.9999995,
            1e9,
            1e12,
            -1.5,
            f64::NAN,
        ] {
            check(f);
        }
        for total in 1..2000u64 {
            for count in [1, 2, 3, 7, total / 2, total] {
                check(count as f64 * 1000.0 / total as f64);
                check(count as f64 / total as f64);
            }
        }
        let mut x = 0x2545F4914F6CDD1Du64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check((x >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((x % 12) as i32 - 3));
        }
    }

    /// The hand-written writer against the reference, `csv::Writer` (CRLF,
    /// default quoting) fed the guarded and rendered strings, on random rows
    /// mixing the bytes that matter (`,` `"` CR LF, formula starts, spaces,
    /// non-ASCII) with numbers.
    #[test]
    fn csv_rows_equal_csv_crate() {
        use proptest::prelude::*;
        let text = proptest::string::string_regex("[a-c,\"\r\n=+@\t -é€]{0,6}").unwrap();
        let cell = prop_oneof![
            text.prop_map(Some),
            any::<u64>().prop_map(|n| Some(n.to_string())),
            Just(None),
        ];
        let rows = proptest::collection::vec(proptest::collection::vec(cell, 1..5), 1..6);
        proptest!(ProptestConfig::with_cases(5000), |(rows in rows)| {
            let mut reference = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .flexible(true)
                .from_writer(Vec::new());
            let mut ours = CsvRows::default();
            for row in &rows {
                // None stands for a float cell (1/3, rendered with 6 decimals).
                let cells: Vec<Cell> = row
                    .iter()
                    .map(|c| match c {
                        Some(s) => Cell::Str(s),
                        None => Cell::Float(1.0 / 3.0),
                    })
                    .collect();
                let strings: Vec<String> = cells
                    .iter()
                    .map(|c| match c {
                        Cell::Str(s) => guard_formula(s),
                        other => other.render(),
                    })
                    .collect();
                reference.write_record(&strings).unwrap();
                ours.row(&cells);
            }
            let reference = reference.into_inner().unwrap();
            prop_assert_eq!(ours.take().0, reference);
        });
    }

    #[test]
    fn sci6_equals_format() {
        // Reference: Rust's correctly rounded `{:.6e}` (Cell::render).
        let check = |f: f64| {
            let mut s = Vec::new();
            sci6(f, &mut s);
            assert_eq!(s, Cell::Sci(f).render().as_bytes(), "{f:e}");
        };
        for f in [
            0.0,
            -0.0,
            1.0,
            9.9999995,
            9.99999949,
            1e-300,
            f64::MIN_POSITIVE,
            5e-324,
            1e300,
            f64::MAX,
            -1.5e-3,
            f64::NAN,
            f64::INFINITY,
            0.125,
            1.0000005,
        ] {
            check(f);
        }
        for total in 1..3000u64 {
            for count in [1, 2, 3, 7, total / 2, total] {
                check(count as f64 / total as f64);
                check(count as f64 / total as f64 * (total as f64).ln());
            }
        }
        let mut x = 0x9E3779B97F4A7C15u64;
        for _ in 0..300_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check(f64::from_bits(x >> 1));
            check((x >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((x % 40) as i32 - 30));
        }
    }

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
        let mut direct = out.csv("direct", &["a", "b", "c"]).unwrap();
        let mut appended = out.csv("appended", &["a", "b", "c"]).unwrap();
        let mut mem = CsvRows::default();
        for r in &rows {
            direct.row(r).unwrap();
            mem.row(r);
        }
        let (bytes, n) = mem.take();
        appended.append(&bytes, n).unwrap();
        out.finish(direct).unwrap();
        out.finish(appended).unwrap();
        out.commit().unwrap();
        let a = fs::read(dir.path().join("direct.csv")).unwrap();
        let b = fs::read(dir.path().join("appended.csv")).unwrap();
        assert_eq!(a, reference);
        assert_eq!(b, reference);
        assert_eq!(n, 5);
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
    }

    #[test]
    fn nothing_lands_without_commit() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut out = Output::create(dir.path(), false).unwrap();
            let mut sink = out.csv("t", &["a"]).unwrap();
            sink.row(&[Cell::Int(1)]).unwrap();
            out.finish(sink).unwrap();
            // dropped without commit
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut out = Output::create(dir.path(), true).unwrap();
        let mut sink = out.csv("t", &["a", "b"]).unwrap();
        sink.row(&[Cell::Str("x,y"), Cell::Float(0.5)]).unwrap();
        out.finish(sink).unwrap();
        out.commit().unwrap();
        let text = fs::read(dir.path().join("t.csv")).unwrap();
        assert_eq!(text, b"\xEF\xBB\xBFa,b\r\n\"x,y\",0.500000\r\n");
    }
}
