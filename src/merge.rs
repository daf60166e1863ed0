//! Merge: combines the outputs of `analyze --shard K/N` (K = 1..=N) into
//! exactly the tables one `analyze` over the whole corpus writes.
//!
//! Counts are additive, so nothing is counted again:
//! - per-document tables (documents, sections, terms, themes, matches,
//!   n-grams, kwic, the interchange tables when asked for) are the shards'
//!   rows, each document's rows copied as bytes from its shard's file, the
//!   documents in one run's order: sorted by the order key every shard
//!   records per document (see [`crate::input::Order`]), so the global
//!   listing is not needed;
//! - `term_matrix.csv` is recomputed from the summed `term_forms` (the
//!   corpus-level term is the most frequent form over the corpus);
//! - `charts/theme_rates.svg` is redrawn from `themes_by_document` and
//!   `documents`; per-document charts are copied (renamed as one run names
//!   them);
//! - manifest.json is one run's, with `"command": "merge"` and `"shards"`.
//!
//! Shards made with other parameters, codebook or version, a missing or
//! repeated shard, a doc_id in two shards, or a folder that is not a shard
//! output are refused with one line naming the first difference. Memory
//! holds the documents' ids and order keys and the term matrix's
//! vocabulary, never the rows: each table is read one document at a time.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use crate::chart::{Collector, Names};
use crate::cli::MergeArgs;
use crate::error::{Error, Result};
use crate::input::Order;
use crate::manifest::Manifest;
use crate::write::{Format, Output};

/// The types of the metadata columns over every shard (a shard that saw
/// only its own files may have seen other values: an integer column
/// joined with a float one is a float one, as discovery joins tables).
fn meta_kinds(shards: &[Shard]) -> Vec<(String, crate::table::Kind)> {
    use crate::table::Kind;
    let mut kinds: Vec<(String, Kind)> = Vec::new();
    for s in shards {
        let listed = s.manifest["shard"]["meta_kinds"].as_array().cloned();
        for pair in listed.unwrap_or_default() {
            let (Some(field), Some(kind)) = (pair[0].as_str(), pair[1].as_str()) else {
                continue;
            };
            let kind = Kind::from_name(kind);
            match kinds.iter_mut().find(|(f, _)| f == field) {
                Some((_, k)) => *k = k.or(kind),
                None => kinds.push((field.to_string(), kind)),
            }
        }
    }
    kinds
}

/// One shard output, read from its manifest.
struct Shard {
    dir: PathBuf,
    manifest: Value,
    k: u64,
    n: u64,
}

/// A document of the merged run: its shard (index into the shards) and id.
struct Doc {
    shard: usize,
    id: String,
}

/// Parameters that may differ between shards: the tables' format (merge
/// has its own) and the workbook (merge writes none).
const OWN_PARAMETERS: &[&str] = &["format", "xlsx"];

/// Runs `merge`; prints the closing lines unless `--quiet`.
pub fn command(args: &MergeArgs) -> Result<()> {
    let started = Instant::now();
    let mut shards: Vec<Shard> = args
        .dirs
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<_>>()?;
    check_output(args, &shards)?;
    check_same(&shards)?;
    shards.sort_by_key(|s| s.k);
    check_complete(&shards)?;
    let docs = documents(&shards)?;
    if docs.is_empty() {
        // As one run over the corpus would fail.
        return Err(Error::Usage(
            "the shards hold no document with text to analyze".into(),
        ));
    }
    let mut out = Output::create(
        &args.output,
        shards[0].manifest["parameters"]["excel"] == true,
    )?;
    out.set_format(args.format);
    out.set_meta_kinds(meta_kinds(&shards));
    let say = |line: String| {
        if !args.quiet {
            eprintln!("themata: {line}");
        }
    };
    let run = Run::new(&shards, &docs);
    run.copy_tables(&mut out)?;
    let notes = run.corpus_outputs(&mut out)?;
    for note in notes {
        say(format!("note: {note}"));
    }
    run.manifest(&out, args.format).write(&mut out)?;
    let dir = out.commit()?;
    say(format!(
        "merged {} shard{} ({} document{}) in {:.2} s into {}/",
        shards.len(),
        if shards.len() == 1 { "" } else { "s" },
        crate::chart::thousands(docs.len() as u64),
        if docs.len() == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64(),
        dir.display().to_string().trim_end_matches('/'),
    ));
    Ok(())
}

/// Reads a shard's manifest; anything else is "not a shard output".
fn read_shard(dir: &Path) -> Result<Shard> {
    let path = dir.join("manifest.json");
    let not_shard = |why: &str| {
        Error::input(
            dir,
            format!("not a shard output ({why}; make shards with analyze --shard K/N)"),
        )
    };
    let meta = std::fs::metadata(&path).map_err(|_| not_shard("no manifest.json"))?;
    if !meta.is_file() {
        return Err(not_shard("manifest.json is not a file"));
    }
    // It lists every document (about 300 bytes each), so it is capped as
    // compare --from caps it: 64 MiB plus 8 times documents.csv's size.
    let documents = std::fs::metadata(dir.join("documents.csv")).map_or(0, |m| m.len());
    let cap = (64 << 20) + 8 * documents;
    if meta.len() > cap {
        return Err(Error::input(
            &path,
            format!(
                "{} bytes, more than a manifest of documents.csv's documents can be ({cap})",
                meta.len()
            ),
        ));
    }
    let text = std::fs::read(&path).map_err(|e| Error::input(&path, e))?;
    let manifest: Value =
        serde_json::from_slice(&text).map_err(|e| Error::input(&path, format!("not JSON: {e}")))?;
    let k = manifest["shard"]["k"].as_u64();
    let n = manifest["shard"]["n"].as_u64();
    let (Some(k), Some(n)) = (k, n) else {
        return Err(not_shard("its manifest.json has no \"shard\" entry"));
    };
    if k == 0 || k > n || n > crate::input::shard::MAX_SHARDS {
        return Err(not_shard(&format!("its manifest.json says shard {k}/{n}")));
    }
    if manifest["parameters"]["format"] == "parquet" {
        return Err(Error::input(
            dir,
            "tables written as Parquet only; merge reads the CSV tables (make shards with --format csv or both)",
        ));
    }
    Ok(Shard {
        dir: dir.to_path_buf(),
        manifest,
        k,
        n,
    })
}

/// The output folder must not be one of the shards (it would be replaced)
/// nor lie inside one (the shard would change under the merge).
fn check_output(args: &MergeArgs, shards: &[Shard]) -> Result<()> {
    let Some(out) = real_path(&args.output) else {
        return Ok(()); // Output::create names what is wrong with it
    };
    for s in shards {
        let Ok(dir) = std::fs::canonicalize(&s.dir) else {
            continue;
        };
        if out == dir {
            return Err(Error::output(
                &args.output,
                "is one of the shards being merged; choose another output folder",
            ));
        }
        if out.starts_with(&dir) {
            return Err(Error::output(
                &args.output,
                format!(
                    "lies inside shard {}; choose an output folder outside the shards",
                    s.dir.display()
                ),
            ));
        }
    }
    Ok(())
}

/// `path` made absolute with its symbolic links resolved, also when its
/// last components do not exist yet (they are appended as given).
fn real_path(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    let mut base = absolute.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(base) {
            return Some(rest.iter().rev().fold(real, |p: PathBuf, c| p.join(c)));
        }
        rest.push(base.file_name()?);
        base = base.parent()?;
    }
}

/// A part of a manifest that every shard must have alike.
type Field = fn(&Value) -> Value;

/// Every shard was made by the same version with the same parameters,
/// codebook and N as the first one; the error names the first difference.
fn check_same(shards: &[Shard]) -> Result<()> {
    let first = &shards[0];
    let fields: [(&str, Field); 5] = [
        ("version", |m| m["version"].clone()),
        ("command", |m| m["command"].clone()),
        ("parameters", |m| without(&m["parameters"], OWN_PARAMETERS)),
        ("themes", |m| m["themes"].clone()),
        ("shard", |m| {
            without(&m["shard"], &["k", "listed", "meta_kinds"])
        }),
    ];
    for other in &shards[1..] {
        for (name, get) in &fields {
            let (a, b) = (get(&first.manifest), get(&other.manifest));
            if let Some((path, x, y)) = first_difference(name, &a, &b) {
                return Err(Error::input(
                    &other.dir,
                    format!(
                        "made with {path} = {y}, but {} with {x}; shards must share version, parameters and codebook",
                        first.dir.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// An object without the fields `keys`.
fn without(object: &Value, keys: &[&str]) -> Value {
    let mut object = object.clone();
    if let Some(o) = object.as_object_mut() {
        for key in keys {
            o.remove(*key);
        }
    }
    object
}

/// The first place (`parameters.ngrams`) where `a` and `b` differ, with
/// both values; keys in sorted order.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<(String, Value, Value)> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let (p, q) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                first_difference(&format!("{path}.{k}"), p, q)
            })
        }
        _ if a == b => None,
        _ => Some((path.to_string(), a.clone(), b.clone())),
    }
}

/// Shards 1..=N, each once (`shards` sorted by K; [`read_shard`] has
/// checked 1 <= K <= N).
fn check_complete(shards: &[Shard]) -> Result<()> {
    let n = shards[0].n;
    for pair in shards.windows(2) {
        if pair[0].k == pair[1].k {
            let what = match pair[0].dir == pair[1].dir {
                true => "given twice".to_string(),
                false => format!(
                    "shard {}/{n}, as {} is too",
                    pair[1].k,
                    pair[0].dir.display()
                ),
            };
            return Err(Error::input(
                &pair[1].dir,
                format!("{what}; each shard once"),
            ));
        }
    }
    if let Some(k) = (1..=n).find(|k| shards.get(*k as usize - 1).map(|s| s.k) != Some(*k)) {
        return Err(Error::Usage(format!(
            "shard {k}/{n} is missing ({} of {n} shards given)",
            shards.len()
        )));
    }
    Ok(())
}

/// The documents of all shards in one run's order (by their order keys);
/// a doc_id in two shards is refused.
fn documents(shards: &[Shard]) -> Result<Vec<Doc>> {
    let mut keyed: Vec<(Order, usize, String)> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, s) in shards.iter().enumerate() {
        for input in s.manifest["inputs"].as_array().into_iter().flatten() {
            let id = input["doc_id"].as_str().unwrap_or_default();
            if let Some(j) = seen.insert(id, i) {
                return Err(Error::input(
                    &s.dir,
                    format!(
                        "doc_id `{id}` is in {} too; shards must not overlap",
                        shards[j].dir.display()
                    ),
                ));
            }
            keyed.push((order_key(s, input)?, i, id.to_string()));
        }
    }
    keyed.sort();
    Ok(keyed
        .into_iter()
        .map(|(_, shard, id)| Doc { shard, id })
        .collect())
}

/// The order key of a manifest entry (an input or a skipped file).
fn order_key(shard: &Shard, entry: &Value) -> Result<Order> {
    serde_json::from_value(entry["order"].clone()).map_err(|_| {
        Error::input(
            shard.dir.join("manifest.json"),
            "an input without its \"order\" key; not written by analyze --shard",
        )
    })
}

/// The merge of one set of shards.
struct Run<'a> {
    shards: &'a [Shard],
    docs: &'a [Doc],
    /// The parameters of one run (the first shard's).
    parameters: &'a Value,
    /// Files skipped while loading, with their order keys: one run counts
    /// them among the documents it listed.
    loaded_skips: Vec<(Order, Value)>,
}

impl<'a> Run<'a> {
    fn new(shards: &'a [Shard], docs: &'a [Doc]) -> Run<'a> {
        let mut loaded_skips = Vec::new();
        for s in shards {
            for entry in s.manifest["skipped"].as_array().into_iter().flatten() {
                if let Ok(key) = serde_json::from_value::<Order>(entry["order"].clone()) {
                    loaded_skips.push((key, without(entry, &["order"])));
                }
            }
        }
        loaded_skips.sort_by(|a, b| a.0.cmp(&b.0));
        Run {
            shards,
            docs,
            parameters: &shards[0].manifest["parameters"],
            loaded_skips,
        }
    }

    /// The tables the user asked for (`--tables`, or the default set).
    fn tables(&self) -> Vec<&'a str> {
        let named = self.parameters["tables"].as_array().into_iter().flatten();
        named.filter_map(Value::as_str).collect()
    }

    /// Documents one run would have listed (the charts' and term matrix's
    /// limits count them).
    fn listed(&self) -> usize {
        self.docs.len() + self.loaded_skips.len()
    }

    /// Copies every per-document table, document by document.
    fn copy_tables(&self, out: &mut Output) -> Result<()> {
        let mut names: Vec<&str> = self.tables();
        names.retain(|n| *n != "term_matrix");
        if self.parameters["kwic"] == true {
            names.push("kwic");
        }
        for name in names {
            let mut readers = self.open(name)?;
            let header: Vec<&str> = readers[0].header.iter().map(String::as_str).collect();
            let mut sink = out.table(name, &header)?;
            self.walk(&mut readers, |_, records, raw| {
                sink.append_csv(raw, records)
            })?;
            out.finish(sink)?;
        }
        Ok(())
    }

    /// Table `name` of every shard, with the same columns.
    fn open(&self, name: &str) -> Result<Vec<Rows>> {
        let file = format!("{name}.csv");
        let mut readers: Vec<Rows> = Vec::with_capacity(self.shards.len());
        for s in self.shards {
            let mut rows = Rows::open(&s.dir.join(&file))?;
            rows.expected = s.manifest["tables"][&file].as_u64();
            if readers.first().is_some_and(|r| r.header != rows.header) {
                return Err(Error::input(
                    s.dir.join(&file),
                    format!("other columns than in {}", self.shards[0].dir.display()),
                ));
            }
            readers.push(rows);
        }
        Ok(readers)
    }

    /// Walks the shards' tables in the merged documents' order:
    /// `each(document index, its records, their bytes)`.
    fn walk(
        &self,
        readers: &mut [Rows],
        mut each: impl FnMut(usize, &[csv::ByteRecord], &[u8]) -> Result<()>,
    ) -> Result<()> {
        let (mut records, mut raw) = (Vec::new(), Vec::new());
        for (i, doc) in self.docs.iter().enumerate() {
            readers[doc.shard].take(&doc.id, &mut records, &mut raw)?;
            each(i, &records, &raw)?;
        }
        readers.iter_mut().try_for_each(Rows::finish)
    }

    /// The term matrix and the charts; returns the notes one run prints.
    fn corpus_outputs(&self, out: &mut Output) -> Result<Vec<String>> {
        let mut notes = Vec::new();
        let wanted = self.tables().contains(&"term_matrix");
        let named = self.shards[0].manifest["shard"]["tables_named"] == true;
        if wanted && (self.listed() <= crate::pipeline::MATRIX_MAX_DOCS || named) {
            self.term_matrix(out)?;
        } else if wanted {
            notes.push(format!(
                "term_matrix.csv not written: {} documents would make as many columns; ask for it with --tables term_matrix",
                self.docs.len()
            ));
        }
        notes.extend(self.charts(out)?);
        Ok(notes)
    }

    /// `term_matrix.csv` from the summed `term_forms`.
    fn term_matrix(&self, out: &mut Output) -> Result<()> {
        let mut matrix = crate::pipeline::Matrix::default();
        self.walk(&mut self.open("term_forms")?, |doc, records, _| {
            for r in records {
                let [stem, term, count] = [1, 2, 3].map(|i| text(r, i));
                let count =
                    (count.parse()).map_err(|_| self.bad_count(doc, "term_forms", &count))?;
                matrix.add_form(doc as u32, &stem, &term, count);
            }
            Ok(())
        })?;
        let ids: Vec<&str> = self.docs.iter().map(|d| d.id.as_str()).collect();
        matrix.write(out, &ids)
    }

    /// The theme-rates chart (redrawn) and the per-document charts (copied).
    fn charts(&self, out: &mut Output) -> Result<Vec<String>> {
        let policy = self.parameters["charts"].as_str().unwrap_or_default();
        let policy = <crate::chart::Policy as clap::ValueEnum>::from_str(policy, false)
            .map_err(|_| Error::Usage(format!("unknown --charts `{policy}` in the shards")))?;
        if policy == crate::chart::Policy::None {
            return Ok(Vec::new());
        }
        let themes: Vec<String> = (self.shards[0].manifest["themes"].as_array().into_iter())
            .flatten()
            .filter_map(|t| t["theme"].as_str().map(String::from))
            .collect();
        let mut charts = Collector::new(policy, self.listed());
        let n_terms = self.n_terms()?;
        let mut shard_names: Vec<Names> = self.shards.iter().map(|_| Names::default()).collect();
        let mut counts: Vec<u64> = Vec::new();
        self.walk(&mut self.open("themes_by_document")?, |doc, records, _| {
            counts.clear();
            for r in records {
                let count = text(r, 2);
                let bad = |_| self.bad_count(doc, "themes_by_document", &count);
                counts.push(count.parse().map_err(bad)?);
            }
            let d = &self.docs[doc];
            charts.add(&d.id, &themes, &counts, n_terms[doc]);
            if let Some(name) = charts.name(&d.id) {
                let from = shard_names[d.shard].unique(&d.id);
                self.copy_charts(out, d.shard, &from, &name)?;
            }
            Ok(())
        })?;
        let (files, notes) = charts.finish(&themes);
        for (path, svg) in files {
            out.file(&path, svg.as_bytes())?;
        }
        Ok(notes)
    }

    /// A cell of table `name` that is not a count, in the shard of
    /// document `doc`: the error names that shard's file and the document.
    fn bad_count(&self, doc: usize, name: &str, cell: &str) -> Error {
        let d = &self.docs[doc];
        Error::input(
            self.shards[d.shard].dir.join(format!("{name}.csv")),
            format!(
                "`{cell}` where a count belongs (a row of doc_id `{}`)",
                d.id
            ),
        )
    }

    /// `n_terms` of every document, from `documents.csv`.
    fn n_terms(&self) -> Result<Vec<u64>> {
        let mut n_terms = Vec::with_capacity(self.docs.len());
        let mut readers = self.open("documents")?;
        let at = readers[0].column("n_terms")?;
        self.walk(&mut readers, |doc, records, _| {
            for r in records {
                let n = text(r, at);
                n_terms.push(
                    n.parse()
                        .map_err(|_| self.bad_count(doc, "documents", &n))?,
                );
            }
            Ok(())
        })?;
        Ok(n_terms)
    }

    /// Copies a document's heatmap and top-terms charts, named `from` in
    /// its shard, as `to` (the heatmap only exists with themes).
    fn copy_charts(&self, out: &mut Output, shard: usize, from: &str, to: &str) -> Result<()> {
        let s = &self.shards[shard];
        let files = s.manifest["files"].as_array();
        for kind in ["heatmap", "top_terms"] {
            let name = format!("charts/{kind}_{from}.svg");
            if !files.is_some_and(|f| f.iter().any(|x| x == name.as_str())) {
                continue;
            }
            let path = s.dir.join(&name);
            let mut svg = Vec::new();
            (open_regular(&path)?.read_to_end(&mut svg)).map_err(|e| Error::input(&path, e))?;
            out.file(&format!("charts/{kind}_{to}.svg"), &svg)?;
        }
        Ok(())
    }

    /// One run's manifest: the shards' parameters (with this --format and
    /// no workbook), the documents in order, skipped and ignored files of
    /// every shard (discovery's once, then those skipped while loading, in
    /// document order), the tables and files written.
    fn manifest(&self, out: &Output, format: Format) -> Manifest<Vec<Value>> {
        let first = &self.shards[0].manifest;
        let mut parameters = self.parameters.clone();
        parameters["format"] = serde_json::json!(format);
        parameters["xlsx"] = Value::Null;
        let mut inputs = Vec::with_capacity(self.docs.len());
        let mut places: Vec<usize> = vec![0; self.shards.len()];
        for d in self.docs {
            let shard_inputs = self.shards[d.shard].manifest["inputs"].as_array();
            let entry = shard_inputs.and_then(|a| a.get(places[d.shard]));
            places[d.shard] += 1;
            inputs.push(without(entry.unwrap_or(&Value::Null), &["order"]));
        }
        let mut skipped = self.union("skipped", |e| e.get("order").is_none());
        skipped.extend(self.loaded_skips.iter().map(|(_, e)| e.clone()));
        let mut manifest = Manifest::new("merge", parameters, inputs, out, None);
        // The shards' tool and version (merge checks that they agree).
        manifest.tool = first["tool"].as_str().unwrap_or_default().into();
        manifest.version = first["version"].as_str().unwrap_or_default().into();
        manifest.shards = Some(self.shards.len());
        manifest.themes = Some(first["themes"].clone());
        manifest.skipped = skipped;
        manifest.ignored = Some(self.union("ignored", |_| true));
        manifest
    }

    /// The entries of list `key` of every shard that `keep` takes, each
    /// once, in the order first seen (shards by K).
    fn union(&self, key: &str, keep: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut all: Vec<Value> = Vec::new();
        for s in self.shards {
            for e in s.manifest[key].as_array().into_iter().flatten() {
                if keep(e) && !all.contains(e) {
                    all.push(e.clone());
                }
            }
        }
        all
    }
}

/// Opens a file of a shard, refusing a FIFO or device (opening a FIFO
/// would wait forever) or a folder.
fn open_regular(path: &Path) -> Result<File> {
    let meta = std::fs::metadata(path).map_err(|e| Error::input(path, e))?;
    if !meta.is_file() {
        return Err(Error::input(path, "not a regular file"));
    }
    File::open(path).map_err(|e| Error::input(path, e))
}

/// Field `i` of a record as text, without the formula guard's `'`.
fn text(record: &csv::ByteRecord, i: usize) -> String {
    let cell = String::from_utf8_lossy(record.get(i).unwrap_or_default());
    crate::write::parquet::unguard(&cell).to_string()
}

/// One shard's table, read one document at a time: its rows are parsed
/// (for the corpus-level tables) and their bytes copied as they are.
struct Rows {
    path: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    /// The same file, for copying bytes by offset.
    file: File,
    len: u64,
    /// The rows the shard's manifest counts (`tables`), and those taken:
    /// a row deleted or added after analyze is refused, not merged.
    expected: Option<u64>,
    taken: u64,
    header: Vec<String>,
    /// The next record, read ahead (`None` at the end).
    next: Option<csv::ByteRecord>,
}

impl Rows {
    fn open(path: &Path) -> Result<Rows> {
        let fail = |e: &dyn std::fmt::Display| Error::input(path, e.to_string());
        let file = open_regular(path)?;
        let len = file.metadata().map_err(|e| fail(&e))?.len();
        let copy = file.try_clone().map_err(|e| fail(&e))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        let header = (reader.byte_headers().map_err(|e| fail(&e))?.iter())
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect::<Vec<_>>();
        if header.is_empty() {
            return Err(fail(&"empty file; not written by themata"));
        }
        let mut rows = Rows {
            path: path.to_path_buf(),
            reader,
            file: copy,
            len,
            expected: None,
            taken: 0,
            header,
            next: None,
        };
        rows.advance()?;
        Ok(rows)
    }

    /// The place of column `name`.
    fn column(&self, name: &str) -> Result<usize> {
        (self.header.iter().position(|h| h == name))
            .ok_or_else(|| Error::input(&self.path, format!("no column `{name}`")))
    }

    fn advance(&mut self) -> Result<()> {
        let mut record = csv::ByteRecord::new();
        let more = (self.reader.read_byte_record(&mut record))
            .map_err(|e| Error::input(&self.path, e.to_string()))?;
        self.next = more.then_some(record);
        Ok(())
    }

    /// Where the next record's bytes start: the csv reader places a record
    /// at the line feed ending the row before it (rows end in CRLF).
    fn next_start(&self) -> u64 {
        (self.next.as_ref())
            .and_then(|r| r.position())
            .map_or(self.len, |p| p.byte() + 1)
    }

    /// The rows of document `id` (the next ones whose first cell is its
    /// id as written, formula guard included): records and bytes.
    fn take(
        &mut self,
        id: &str,
        records: &mut Vec<csv::ByteRecord>,
        raw: &mut Vec<u8>,
    ) -> Result<()> {
        let cell = crate::write::guard_formula(id);
        let start = self.next_start();
        records.clear();
        while let Some(r) = self.next.take_if(|r| r.get(0) == Some(cell.as_bytes())) {
            records.push(r);
            self.taken += 1;
            self.advance()?;
        }
        let end = self.next_start();
        raw.resize((end - start.min(end)) as usize, 0);
        self.file
            .read_exact_at(raw, start)
            .map_err(|e| Error::input(&self.path, e))?;
        if !records.is_empty() && !raw.ends_with(b"\r\n") {
            return Err(Error::input(
                &self.path,
                "rows not written by themata (no CRLF line ends)",
            ));
        }
        Ok(())
    }

    /// After the last document: no row may be left over, and the rows
    /// taken are as many as the manifest counts.
    fn finish(&mut self) -> Result<()> {
        match &self.next {
            None if self.expected.is_some_and(|n| n != self.taken) => Err(Error::input(
                &self.path,
                format!(
                    "{} rows, but its manifest.json counts {}; a shard's tables must be as analyze wrote them",
                    self.taken,
                    self.expected.unwrap_or_default()
                ),
            )),
            None => Ok(()),
            Some(r) => Err(Error::input(
                &self.path,
                format!(
                    "a row of doc_id `{}` that its manifest does not list",
                    String::from_utf8_lossy(r.get(0).unwrap_or_default())
                ),
            )),
        }
    }
}
