//! Pipeline: the only module that calls every stage.
//!
//! `analyze`: create the output (staging) folder → discover inputs → for each
//! chunk of documents, in parallel: load, decode, count → write that chunk's
//! rows in input order → after the last chunk, the corpus-level tables and
//! the manifest → rename everything into place. Rows are written as each chunk
//! finishes, so memory holds one chunk of documents plus the corpus-level
//! aggregates (the term matrix), not every row.

use std::cell::RefCell;
use std::time::Instant;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::config::AnalyzeConfig;
use crate::count::{self, DocCounts, StemCache};
use crate::error::{Error, Result};
use crate::input::{self, Document, Skipped};
use crate::table::{columns, per_1000, share, Cell};
use crate::write::{CsvSink, Output};

/// Documents analyzed in parallel before their rows are written.
const CHUNK: usize = 256;
/// Above this many documents the wide term matrix is only written on request.
const MATRIX_MAX_DOCS: usize = 200;

/// What a run did, for the closing summary.
#[derive(Debug, Default)]
pub struct Summary {
    pub documents: usize,
    pub sections: u64,
    pub tokens: u64,
    pub terms: u64,
    pub skipped: usize,
    pub ignored: usize,
    pub seconds: f64,
    pub output: String,
}

thread_local! {
    static CACHE: RefCell<StemCache> = RefCell::new(StemCache::default());
}

/// One document's outcome.
enum Outcome {
    Done(Box<(Document, DocCounts)>),
    Skipped(Skipped),
}

/// A message stays one line on the terminal even when a file name has a
/// newline or another control character in it (shown escaped, `\n`).
fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs `analyze`.
pub fn analyze(cfg: &AnalyzeConfig) -> Result<Summary> {
    let started = Instant::now();
    let mut out = Output::create(&cfg.output, cfg.excel)?;
    let discovery = input::discover(&cfg.inputs, Some(&cfg.output))?;
    let say = |line: String| {
        if !cfg.quiet {
            eprintln!("{}", one_line(&line));
        }
    };
    for w in &discovery.warnings {
        say(format!("warning: {w}"));
    }
    let mut skipped = discovery.skipped.clone();
    for s in &skipped {
        say(format!("skipped: {}: {}", s.path, s.reason));
    }
    if cfg.strict {
        if let Some(s) = skipped.first() {
            return Err(Error::input(&s.path, format!("{} (--strict)", s.reason)));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;

    let write_matrix = cfg.wants("term_matrix")
        && (discovery.sources.len() <= MATRIX_MAX_DOCS || cfg.tables_named);
    let mut sinks = Sinks::open(&mut out, cfg)?;
    let mut matrix = Matrix::default();
    let mut inputs = Vec::new();
    let mut summary = Summary::default();

    for chunk in discovery.sources.chunks(CHUNK) {
        let outcomes: Vec<Outcome> = pool.install(|| {
            chunk
                .par_iter()
                .map(|source| match input::load(source) {
                    Ok(mut doc) => {
                        let counts = CACHE.with(|c| {
                            count::count_document(
                                &doc.text,
                                &cfg.mode,
                                &cfg.analyzer,
                                &cfg.matcher,
                                cfg.max_ngram,
                                &mut c.borrow_mut(),
                            )
                        });
                        doc.text = String::new();
                        Outcome::Done(Box::new((doc, counts)))
                    }
                    Err(reason) => Outcome::Skipped(Skipped {
                        path: source.source.clone(),
                        reason,
                    }),
                })
                .collect()
        });
        for outcome in outcomes {
            match outcome {
                Outcome::Skipped(s) => {
                    if cfg.strict {
                        return Err(Error::input(&s.path, format!("{} (--strict)", s.reason)));
                    }
                    say(format!("skipped: {}: {}", s.path, s.reason));
                    skipped.push(s);
                }
                Outcome::Done(boxed) => {
                    let (doc, counts) = *boxed;
                    if let Some(w) = &doc.warning {
                        say(format!("warning: {}: {w}", doc.source));
                    }
                    sinks.write_document(cfg, &doc, &counts)?;
                    if write_matrix {
                        matrix.add(inputs.len() as u32, &counts);
                    }
                    summary.documents += 1;
                    summary.sections += counts.sections.len() as u64;
                    summary.tokens += counts.n_tokens;
                    summary.terms += counts.n_terms;
                    inputs.push(serde_json::json!({
                        "doc_id": doc.doc_id,
                        "source": doc.source,
                        "bytes": doc.bytes,
                        "sha256": doc.sha256,
                        "encoding": doc.encoding,
                        "warning": doc.warning,
                    }));
                }
            }
        }
    }
    if summary.documents == 0 {
        let what = if cfg.inputs.is_empty() {
            "-".to_string()
        } else {
            cfg.inputs.join(" ")
        };
        return Err(Error::input(what, "no document with text to analyze"));
    }
    sinks.finish(&mut out)?;
    if write_matrix {
        let ids: Vec<&str> = inputs
            .iter()
            .map(|i| i["doc_id"].as_str().unwrap_or(""))
            .collect();
        matrix.write(&mut out, &ids)?;
    } else if cfg.wants("term_matrix") {
        say(format!(
            "note: term_matrix.csv not written: {} documents would make as many columns; ask for it with --tables term_matrix",
            summary.documents
        ));
    }
    let manifest = serde_json::json!({
        "tool": "themata",
        "version": env!("CARGO_PKG_VERSION"),
        "command": "analyze",
        "parameters": cfg.parameters,
        "themes": cfg.codebook.themes.iter().map(|t| serde_json::json!({"theme": t.key, "label": t.label, "patterns": t.patterns.len()})).collect::<Vec<_>>(),
        "inputs": inputs,
        "skipped": skipped.iter().map(|s| serde_json::json!({"path": s.path, "reason": s.reason})).collect::<Vec<_>>(),
        "ignored": discovery.ignored.iter().map(|s| serde_json::json!({"path": s.path, "reason": s.reason})).collect::<Vec<_>>(),
        "tables": out.row_counts().into_iter().map(|(n, r)| (n, serde_json::Value::from(r))).collect::<serde_json::Map<_, _>>(),
    });
    let mut json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::output(out.dir().join("manifest.json"), e))?;
    json.push('\n');
    out.file("manifest.json", json.as_bytes())?;
    summary.output = out.dir().display().to_string();
    out.commit()?;
    summary.skipped = skipped.len();
    summary.ignored = discovery.ignored.len();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The open per-document tables.
struct Sinks {
    tables: Vec<(&'static str, CsvSink)>,
}

impl Sinks {
    fn open(out: &mut Output, cfg: &AnalyzeConfig) -> Result<Sinks> {
        let mut tables = Vec::new();
        for &name in &cfg.tables {
            if name != "term_matrix" {
                tables.push((name, out.csv(name, columns(name))?));
            }
        }
        Ok(Sinks { tables })
    }

    fn finish(self, out: &mut Output) -> Result<()> {
        for (_, sink) in self.tables {
            out.finish(sink)?;
        }
        Ok(())
    }

    fn write_document(&mut self, cfg: &AnalyzeConfig, doc: &Document, c: &DocCounts) -> Result<()> {
        let id = doc.doc_id.as_str();
        let keys = cfg.matcher.keys();
        for (name, sink) in &mut self.tables {
            match *name {
                "documents" => {
                    let title = c.title.as_str();
                    sink.row(&[
                        Cell::Str(id),
                        Cell::Str(&doc.source),
                        Cell::Str(title),
                        Cell::Int(c.sections.len() as u64),
                        Cell::Int(c.n_tokens),
                        Cell::Int(c.n_terms),
                        Cell::Int(c.n_types()),
                        Cell::Float(share(c.n_covered(), c.n_terms)),
                        Cell::Str(doc.encoding),
                        Cell::Int(doc.bytes),
                    ])?;
                }
                "sections" => {
                    for s in &c.sections {
                        sink.row(&[
                            Cell::Str(id),
                            Cell::Int(u64::from(s.section.id)),
                            Cell::Str(s.section.kind),
                            Cell::Str(&s.section.label),
                            Cell::Int(s.n_tokens),
                            Cell::Int(s.n_terms),
                            Cell::Int(s.n_types),
                            Cell::Float(share(s.n_covered, s.n_terms)),
                            Cell::Int(s.section.range.start as u64),
                            Cell::Int(s.section.range.end as u64),
                        ])?;
                    }
                }
                "terms_by_section" => {
                    for s in &c.sections {
                        for &(stem, count) in &s.terms {
                            sink.row(&[
                                Cell::Str(id),
                                Cell::Int(u64::from(s.section.id)),
                                Cell::Str(&c.stems[stem as usize]),
                                Cell::Str(&c.surface[stem as usize]),
                                Cell::Int(u64::from(count)),
                                Cell::Float(per_1000(u64::from(count), s.n_terms)),
                            ])?;
                        }
                    }
                }
                "terms_by_document" => {
                    for &(stem, count, n_sections) in &c.terms {
                        sink.row(&[
                            Cell::Str(id),
                            Cell::Str(&c.stems[stem as usize]),
                            Cell::Str(&c.surface[stem as usize]),
                            Cell::Int(u64::from(count)),
                            Cell::Float(per_1000(u64::from(count), c.n_terms)),
                            Cell::Int(u64::from(n_sections)),
                        ])?;
                    }
                }
                "themes_by_section" => {
                    for s in &c.sections {
                        for (t, key) in keys.iter().enumerate() {
                            let count = u64::from(s.themes[t]);
                            sink.row(&[
                                Cell::Str(id),
                                Cell::Int(u64::from(s.section.id)),
                                Cell::Str(key),
                                Cell::Int(count),
                                Cell::Float(per_1000(count, s.n_terms)),
                            ])?;
                        }
                    }
                }
                "themes_by_document" => {
                    for (key, (count, n_sections)) in keys.iter().zip(c.theme_totals(keys.len())) {
                        sink.row(&[
                            Cell::Str(id),
                            Cell::Str(key),
                            Cell::Int(u64::from(count)),
                            Cell::Float(per_1000(u64::from(count), c.n_terms)),
                            Cell::Int(u64::from(n_sections)),
                        ])?;
                    }
                }
                "theme_matches" => {
                    for m in &c.matches {
                        sink.row(&[
                            Cell::Str(id),
                            Cell::Int(u64::from(m.section_id)),
                            Cell::Str(&keys[m.theme as usize]),
                            Cell::Str(cfg.matcher.pattern_text(m.pattern)),
                            Cell::Str(&m.matched),
                            Cell::Int(u64::from(m.count)),
                        ])?;
                    }
                }
                "ngrams_by_document" => {
                    for g in &c.ngrams {
                        sink.row(&[
                            Cell::Str(id),
                            Cell::Int(u64::from(g.n)),
                            Cell::Str(&g.text),
                            Cell::Int(u64::from(g.count)),
                            Cell::Float(per_1000(u64::from(g.count), c.n_terms)),
                        ])?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Corpus-level term counts for the wide term matrix.
#[derive(Default)]
struct Matrix {
    rows: FxHashMap<String, MatrixRow>,
}

#[derive(Default)]
struct MatrixRow {
    total: u64,
    counts: Vec<(u32, u32)>,
    surfaces: FxHashMap<String, u64>,
}

impl Matrix {
    fn add(&mut self, doc: u32, c: &DocCounts) {
        for &(stem, count, _) in &c.terms {
            let row = self.rows.entry(c.stems[stem as usize].clone()).or_default();
            row.total += u64::from(count);
            row.counts.push((doc, count));
        }
        for (stem, surface, count) in &c.surfaces {
            let row = self
                .rows
                .entry(c.stems[*stem as usize].clone())
                .or_default();
            *row.surfaces.entry(surface.clone()).or_insert(0) += u64::from(*count);
        }
    }

    /// Rows by total count descending, then stem; the term is the corpus's
    /// most frequent surface form (ties: the smallest).
    fn write(self, out: &mut Output, doc_ids: &[&str]) -> Result<()> {
        let mut header: Vec<&str> = columns("term_matrix").to_vec();
        header.extend_from_slice(doc_ids);
        let mut sink = out.csv("term_matrix", &header)?;
        let mut rows: Vec<(String, MatrixRow)> = self.rows.into_iter().collect();
        rows.sort_by(|a, b| b.1.total.cmp(&a.1.total).then_with(|| a.0.cmp(&b.0)));
        let mut dense = vec![0u64; doc_ids.len()];
        for (stem, row) in &rows {
            let term = row
                .surfaces
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(s, _)| s.as_str())
                .unwrap_or("");
            dense.iter_mut().for_each(|d| *d = 0);
            for &(doc, count) in &row.counts {
                dense[doc as usize] = u64::from(count);
            }
            let mut cells = vec![Cell::Str(stem), Cell::Str(term), Cell::Int(row.total)];
            cells.extend(dense.iter().map(|&d| Cell::Int(d)));
            sink.row(&cells)?;
        }
        out.finish(sink)
    }
}
