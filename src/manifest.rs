//! manifest.json: what a run read, with which settings, and what it wrote.
//!
//! Every command (`analyze`, `compare`, `merge`) builds one [`Manifest`]
//! value and [`Manifest::write`] serializes it once. The fields are
//! declared in the order serde_json gives an object's keys (sorted, as
//! `preserve_order` is off), the order of every earlier manifest; a field
//! one command does not write is `None` and left out.
//!
//! `analyze` may read millions of documents, so its per-document `inputs`
//! are not held in memory: [`Inputs`] spools each entry, one compact line,
//! to an unnamed scratch file as the document is written, and reads them
//! back one at a time while the manifest is serialized.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::input::{Document, Order};
use crate::write::{Output, Spool};

/// One run's manifest; `I` is the `inputs` list.
#[derive(Serialize)]
pub struct Manifest<I: Serialize> {
    pub command: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparisons: Option<Vec<Value>>,
    pub files: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formulas: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<Vec<Value>>,
    pub inputs: I,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<String>>,
    pub parameters: Value,
    /// `analyze --shard`: what merge checks and needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<Value>,
    /// `merge`: how many shards were merged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<&'static str>,
    pub skipped: Vec<Value>,
    /// Rows written, by file name.
    pub tables: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub themes: Option<Value>,
    pub tool: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'static str>,
    pub version: String,
}

impl<I: Serialize> Manifest<I> {
    /// The fields every run has: this tool and version, the settings, the
    /// inputs, and the tables and files written so far to `out` (with the
    /// workbook `xlsx` when it lands in the folder); nothing skipped yet.
    pub fn new(
        command: &'static str,
        parameters: Value,
        inputs: I,
        out: &Output,
        xlsx: Option<&Path>,
    ) -> Manifest<I> {
        Manifest {
            command,
            compare: None,
            comparisons: None,
            files: out.manifest_files(xlsx),
            formulas: None,
            ignored: None,
            inputs,
            notes: None,
            parameters,
            shard: None,
            shards: None,
            similarity: None,
            skipped: Vec::new(),
            tables: out.row_counts().into_iter().collect(),
            themes: None,
            tool: "themata".into(),
            unit: None,
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }

    /// Writes `manifest.json` into `out`'s staging folder, serialized once
    /// (pretty, with a line end) through a scratch file, so that a long
    /// `inputs` list is never held in memory as text either.
    pub fn write(&self, out: &mut Output) -> Result<()> {
        let mut spool = out.spool("manifest.json.part")?;
        serde_json::to_writer_pretty(ToSpool(&mut spool), self)
            .map_err(|e| Error::output(out.dir().join("manifest.json"), e))?;
        out.file_around("manifest.json", b"", spool, b"\n")
    }
}

/// [`Spool`] as an [`std::io::Write`] for serde_json (which buffers
/// nothing; the spool does).
struct ToSpool<'a>(&'a mut Spool);

impl Write for ToSpool<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes).map_err(std::io::Error::other)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One document of `analyze`'s `inputs` (fields in serde_json's order).
#[derive(Serialize)]
struct Input<'a> {
    bytes: u64,
    doc_id: &'a str,
    encoding: &'a str,
    /// Under `--shard`: where merge puts the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<&'a Order>,
    sha256: &'a str,
    source: &'a str,
    warning: Option<&'a str>,
}

/// `analyze`'s `inputs`, spooled one compact JSON line per document to an
/// unnamed file beside the output folder (removed by the system when
/// closed, even if the run dies), and serialized from there one entry at
/// a time: memory stays flat however many documents.
pub struct Inputs {
    file: BufWriter<File>,
    /// The manifest's path, for errors.
    target: PathBuf,
    n: usize,
    /// Reused for each line.
    line: Vec<u8>,
}

impl Inputs {
    /// A scratch file in the parent of the output folder `dir` (where the
    /// run stages, so it is writable and on the output's file system).
    pub fn new(dir: &Path) -> Result<Inputs> {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let file = tempfile::tempfile_in(parent).map_err(|e| {
            Error::output(dir, format!("cannot make a scratch file beside it: {e}"))
        })?;
        Ok(Inputs {
            file: BufWriter::with_capacity(1 << 16, file),
            target: dir.join("manifest.json"),
            n: 0,
            line: Vec::new(),
        })
    }

    /// Documents added so far.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Adds a document, with its order key under `--shard`.
    pub fn push(&mut self, doc: &Document, order: Option<&Order>) -> Result<()> {
        let input = Input {
            bytes: doc.bytes,
            doc_id: &doc.doc_id,
            encoding: doc.encoding,
            order,
            sha256: &doc.sha256,
            source: &doc.source,
            warning: doc.warning.as_deref(),
        };
        self.line.clear();
        let fail = |e: &dyn std::fmt::Display| Inputs::fail(&self.target, e);
        serde_json::to_writer(&mut self.line, &input).map_err(|e| fail(&e))?;
        self.line.push(b'\n');
        self.n += 1;
        self.file.write_all(&self.line).map_err(|e| fail(&e))
    }

    /// The spooled entries, ready to serialize.
    pub fn finish(self) -> Result<SpooledInputs> {
        let target = self.target;
        let file = (self.file.into_inner()).map_err(|e| Inputs::fail(&target, e.error()))?;
        Ok(SpooledInputs(file))
    }

    fn fail(target: &Path, e: &dyn std::fmt::Display) -> Error {
        Error::output(target, format!("cannot spool the inputs: {e}"))
    }
}

/// The entries [`Inputs`] spooled; serializes as the list of them.
pub struct SpooledInputs(File);

impl Serialize for SpooledInputs {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut file = &self.0;
        file.rewind().map_err(S::Error::custom)?;
        let mut seq = s.serialize_seq(None)?;
        for line in BufReader::new(file).lines() {
            let line = line.map_err(S::Error::custom)?;
            let entry: Value = serde_json::from_str(&line).map_err(S::Error::custom)?;
            seq.serialize_element(&entry)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest with every field set serializes exactly as the same
    /// content as a serde_json value does (the bytes of earlier manifests):
    /// the fields are declared in serde_json's key order.
    #[test]
    fn fields_are_in_serde_json_key_order() {
        let some = || Some(serde_json::json!({"b": 1, "a": [2]}));
        let manifest = Manifest {
            command: "analyze",
            compare: some(),
            comparisons: Some(vec![serde_json::json!(1)]),
            files: vec!["a.csv".into()],
            formulas: some(),
            ignored: Some(vec![serde_json::json!({"path": "p"})]),
            inputs: vec![serde_json::json!({"doc_id": "d"})],
            notes: Some(vec!["n".into()]),
            parameters: serde_json::json!({"jobs": 0}),
            shard: some(),
            shards: Some(2),
            similarity: Some("groups"),
            skipped: vec![serde_json::json!({"path": "q"})],
            tables: [("a.csv".to_string(), 3)].into_iter().collect(),
            themes: some(),
            tool: "themata".into(),
            unit: Some("term"),
            version: "1".into(),
        };
        let value = serde_json::to_value(&manifest).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&manifest).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    /// Spooled inputs serialize as the list of the documents pushed, in
    /// order, with `order` only where given, and as `[]` when none was.
    #[test]
    fn spooled_inputs_serialize_as_the_documents_pushed() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = Inputs::new(&dir.path().join("out")).unwrap();
        let empty = serde_json::to_string_pretty(&inputs.finish().unwrap()).unwrap();
        assert_eq!(empty, "[]");
        let mut inputs = Inputs::new(&dir.path().join("out")).unwrap();
        let doc = |id: &str, warning: Option<&str>| Document {
            doc_id: id.into(),
            source: format!("{id}.txt"),
            folder: String::new(),
            text: String::new(),
            bytes: 5,
            sha256: "ab".into(),
            encoding: "utf-8",
            warning: warning.map(String::from),
            meta: Vec::new(),
        };
        let order = Order(0, vec!["b.txt".into()], 0);
        inputs.push(&doc("a \"q\"", None), None).unwrap();
        inputs
            .push(&doc("b", Some("bad byte")), Some(&order))
            .unwrap();
        assert_eq!(inputs.len(), 2);
        let got = serde_json::to_value(inputs.finish().unwrap()).unwrap();
        let want = serde_json::json!([
            {"bytes": 5, "doc_id": "a \"q\"", "encoding": "utf-8", "sha256": "ab", "source": "a \"q\".txt", "warning": null},
            {"bytes": 5, "doc_id": "b", "encoding": "utf-8", "order": [0, ["b.txt"], 0], "sha256": "ab", "source": "b.txt", "warning": "bad byte"},
        ]);
        assert_eq!(got, want);
    }
}
