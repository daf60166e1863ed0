//! Test helpers: a temporary work folder, running the binary, reading CSV
//! tables as records, and locating the shared corpora (a test that needs
//! them fails when they are absent).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpora/<name>`. CI always has the shared corpora, so a
/// missing corpus fails the calling test (it never passes by skipping).
pub fn corpus(name: &str) -> PathBuf {
    let path = root().join("..").join("shared").join("corpora").join(name);
    assert!(
        path.is_dir(),
        "{} not found: this test needs the shared corpora (../shared beside the repository)",
        path.display()
    );
    path
}

/// The `themata` binary, run from `dir`.
pub fn themata(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("themata").expect("binary built");
    cmd.current_dir(dir);
    cmd
}

/// `themata analyze --quiet -o <tmp>/out EXTRA…` run from the repository
/// root (so with no input it analyzes the shipped statement); the tables
/// are in `<returned dir>/out`.
pub fn analyze(extra: &[&str]) -> tempfile::TempDir {
    let dir = tempdir();
    themata(&root())
        .args(["analyze", "--quiet", "-o"])
        .arg(dir.path().join("out"))
        .args(extra)
        .assert()
        .success();
    dir
}

/// A temporary folder that is removed at the end of the test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// A CSV table read as header + records of strings (a UTF-8 BOM is dropped).
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &Path) -> Table {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let bytes = bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&bytes)
            .to_vec();
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header = reader
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.expect("record").iter().map(String::from).collect())
            .collect();
        Table { header, rows }
    }

    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    /// Rows as maps from column name to value.
    pub fn records(&self) -> Vec<HashMap<&str, &str>> {
        self.rows
            .iter()
            .map(|r| {
                self.header
                    .iter()
                    .map(String::as_str)
                    .zip(r.iter().map(String::as_str))
                    .collect()
            })
            .collect()
    }

    /// Rows whose `column` equals `value`.
    pub fn filter(&self, column: &str, value: &str) -> Vec<HashMap<&str, &str>> {
        self.records()
            .into_iter()
            .filter(|r| r[column] == value)
            .collect()
    }
}
