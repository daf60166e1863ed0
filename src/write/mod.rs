//! Writers: the only place output files are created.
//!
//! [`Output`] manages the target folder: every file is first written into a
//! hidden staging folder inside it (so a rename is atomic on the same file
//! system), and [`Output::commit`] renames them into place only when the whole
//! run succeeded. A failed or interrupted run leaves the previous tables as
//! they were; its staging folder is removed on error (and is hidden, so never
//! read back as input). An output folder that this run created is removed
//! again when the run fails, so a failed run leaves no trace. Ctrl-C (SIGINT)
//! or SIGTERM removes the staging folder and exits with code 130; only a
//! SIGKILL or a power cut can leave a `.themata-staging-*` folder behind,
//! which the next run ignores as hidden.
//!
//! [`CsvSink`] writes one RFC 4180 table: UTF-8 (with a BOM under
//! `--excel`), a header row, fixed float precision, and text cells that a
//! spreadsheet would execute as a formula (starting with `=`, `+`, `-`, `@`,
//! tab or CR) prefixed with `'` (OWASP's CSV-injection advice).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::error::{Error, Result};
use crate::table::Cell;

/// The output folder of one run.
pub struct Output {
    dir: PathBuf,
    staging: Option<tempfile::TempDir>,
    excel: bool,
    /// (file name, rows written), in the order the files were created.
    written: Vec<(String, u64)>,
    /// The first folder of `dir`'s ancestry that this run created, if any:
    /// removed again (when empty) if the run does not commit.
    created: Option<PathBuf>,
}

/// Staging folders of runs in progress, for the interrupt handler.
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// On SIGINT/SIGTERM: remove every staging folder, then exit 130. The lock
/// is held by [`Output::commit`] while it renames, so an interrupt never
/// splits a commit in half.
fn install_interrupt_handler() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // A second handler (e.g. in tests that build two Outputs) is refused
        // by ctrlc; the first one already covers every registered folder.
        let _ = ctrlc::set_handler(|| {
            let dirs = STAGING.lock().unwrap_or_else(|p| p.into_inner());
            for d in dirs.iter() {
                let _ = fs::remove_dir_all(d);
            }
            eprintln!("themata: interrupted; previous tables left as they were");
            std::process::exit(130);
        });
    });
}

fn register(path: &Path) {
    STAGING
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(path.to_path_buf());
}

fn unregister(dirs: &mut Vec<PathBuf>, path: &Path) {
    dirs.retain(|d| d != path);
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
    /// Creates the folder (and the staging folder inside it). Fails early, before
    /// any document is read, when the folder cannot be written.
    pub fn create(dir: &Path, excel: bool) -> Result<Output> {
        let created = first_missing(dir);
        let remove_created = || {
            if let Some(top) = &created {
                remove_empty_up_to(dir, top);
            }
        };
        fs::create_dir_all(dir).map_err(|e| {
            remove_created();
            Error::output(dir, format!("cannot create output folder: {e}"))
        })?;
        install_interrupt_handler();
        let staging = tempfile::Builder::new()
            .prefix(".themata-staging-")
            .tempdir_in(dir)
            .map_err(|e| {
                remove_created();
                Error::output(dir, format!("output folder is not writable: {e}"))
            })?;
        register(staging.path());
        Ok(Output {
            dir: dir.to_path_buf(),
            staging: Some(staging),
            excel,
            written: Vec::new(),
            created,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn staging_path(&self, name: &str) -> PathBuf {
        self.staging
            .as_ref()
            .expect("staging folder exists until commit")
            .path()
            .join(name)
    }

    /// Starts a CSV table `name.csv` with the given header.
    pub fn csv(&mut self, name: &str, header: &[&str]) -> Result<CsvSink> {
        let file_name = format!("{name}.csv");
        let path = self.staging_path(&file_name);
        let file = File::create(&path).map_err(|e| Error::output(self.dir.join(&file_name), e))?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        if self.excel {
            out.write_all(b"\xEF\xBB\xBF")
                .map_err(|e| Error::output(self.dir.join(&file_name), e))?;
        }
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        let mut sink = CsvSink {
            writer,
            name: file_name,
            target: self.dir.clone(),
            rows: 0,
            buffer: Vec::new(),
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
        let mut out = sink
            .writer
            .into_inner()
            .map_err(|e| Error::output(&target, e.error()))?;
        out.flush().map_err(|e| Error::output(&target, e))?;
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

    /// Row counts of the tables written so far, by file name.
    pub fn row_counts(&self) -> Vec<(String, u64)> {
        self.written
            .iter()
            .filter(|(n, _)| n.ends_with(".csv"))
            .cloned()
            .collect()
    }

    /// Moves every staged file into the output folder.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let staging = self
            .staging
            .take()
            .expect("staging folder exists until commit");
        let mut registered = STAGING.lock().unwrap_or_else(|p| p.into_inner());
        unregister(&mut registered, staging.path());
        self.created = None;
        let mut moved = Vec::new();
        for (name, _) in &self.written {
            let from = staging.path().join(name);
            let to = self.dir.join(name);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::output(&to, e))?;
            }
            fs::rename(&from, &to)
                .map_err(|e| Error::output(&to, format!("cannot move table into place: {e}")))?;
            moved.push(to);
        }
        drop(staging);
        Ok(moved)
    }
}

impl Drop for Output {
    /// A run that did not commit: remove its staging folder and any output
    /// folder it created (only if still empty: never someone's files).
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            let mut registered = STAGING.lock().unwrap_or_else(|p| p.into_inner());
            unregister(&mut registered, staging.path());
            drop(staging);
        }
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

/// One CSV table being written.
pub struct CsvSink {
    writer: csv::Writer<BufWriter<File>>,
    name: String,
    target: PathBuf,
    rows: u64,
    buffer: Vec<String>,
}

impl CsvSink {
    /// Writes one row.
    pub fn row(&mut self, cells: &[Cell]) -> Result<()> {
        self.buffer.clear();
        self.buffer.extend(cells.iter().map(|c| match c {
            Cell::Str(s) => guard_formula(s),
            other => other.render(),
        }));
        self.writer
            .write_record(&self.buffer)
            .map_err(|e| Error::output(self.target.join(&self.name), e))?;
        self.rows += 1;
        Ok(())
    }
}

/// Prefixes text that a spreadsheet would execute as a formula with `'`.
pub fn guard_formula(s: &str) -> String {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
