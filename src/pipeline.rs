//! Pipeline: the only module that calls every stage.
//!
//! `analyze`: create the output (staging) folder → discover inputs → workers
//! take documents one at a time: load, decode, count (and KWIC), render the
//! document's CSV rows → a writer thread appends each document's rows and
//! per-document charts in input order ([`crate::parallel::in_order`]) → after the last
//! document, the corpus-level tables, charts, the manifest and the workbook
//! → rename everything into place. Workers run at most [`crate::parallel::WINDOW`] documents
//! per worker ahead of the writer, so memory holds at most that many
//! documents' rows plus the corpus-level aggregates (the term matrix), not
//! every row.

use std::cell::RefCell;
use std::time::Instant;

use rustc_hash::FxHashMap;

use crate::config::AnalyzeConfig;
use crate::count::{self, DocCounts, KwicSpan, Vocabulary};
use crate::error::{one_line, Error, Result};
use crate::input::{self, Document, Skipped};
use crate::manifest::{self, Manifest};
use crate::progress::Progress;
use crate::render;
use crate::table::{Cell, Table};
use crate::write::{Output, Rows, Shape, TableSink};

/// Sets of row buffers (one per table) kept for reuse, and the capacity
/// each buffer keeps: the pool must not grow with the corpus (a buffer
/// would keep the capacity of the largest table it ever held), so it is
/// capped at a few megabytes.
const POOL_SETS: usize = 8;
const POOL_BUFFER_BYTES: usize = 64 * 1024;
/// Above this many documents the wide term matrix is only written on request.
pub(crate) const MATRIX_MAX_DOCS: usize = 200;

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
    /// Tables written (each as CSV, Parquet or both).
    pub tables: usize,
    /// The format of the tables.
    pub format: crate::write::Format,
    /// Charts (SVG files) written.
    pub charts: usize,
    /// The workbook written with --xlsx.
    pub xlsx: Option<String>,
}

thread_local! {
    static CACHE: RefCell<Vocabulary> = RefCell::new(Vocabulary::default());
}

/// Loads one document and counts it on the calling thread, with that
/// thread's vocabulary cache (shared by `analyze` and `compare`). The text is
/// kept, for KWIC; `Err` is the file skipped and why.
pub fn load_and_count(
    cfg: &AnalyzeConfig,
    source: &input::Source,
) -> std::result::Result<(Document, DocCounts), Skipped> {
    let doc = input::load(source).map_err(|reason| Skipped {
        path: source.source.clone(),
        reason,
    })?;
    let counts = CACHE.with(|c| {
        let (text, mode, cache) = (&doc.text, &cfg.mode, &mut c.borrow_mut());
        let (analyzer, matcher) = (&cfg.analyzer, &cfg.matcher);
        count::count_with(text, mode, analyzer, matcher, &cfg.counting, cache)
    });
    Ok((doc, counts))
}

/// A file that could not be read: an error with `--strict`, else said and
/// listed (for the manifest).
pub fn skip(
    cfg: &AnalyzeConfig,
    s: Skipped,
    say: &dyn Fn(String),
    skipped: &mut Vec<Skipped>,
) -> Result<()> {
    if cfg.strict {
        return Err(Error::input(&s.path, format!("{} (--strict)", s.reason)));
    }
    say(format!("skipped: {}: {}", s.path, s.reason));
    skipped.push(s);
    Ok(())
}

/// One document's outcome.
enum Outcome {
    /// The document, its counts and its rows, one [`Rows`] per open table.
    Done(Box<(Document, DocCounts, Vec<Rows>)>),
    Skipped(Skipped),
}

/// Runs `analyze`: discover → count and render every document (workers)
/// while the writer appends their rows in input order → corpus-level
/// tables and charts → manifest → workbook → commit.
pub fn analyze(cfg: &AnalyzeConfig) -> Result<Summary> {
    let started = Instant::now();
    let mut out = Output::create(&cfg.output, cfg.excel)?;
    out.set_format(cfg.format);
    if cfg.xlsx.is_some() {
        out.start_workbook()?;
    }
    let progress = Progress::new(cfg.quiet, cfg.verbose);
    let say = |line: String| progress.say(&one_line(&line));
    let (discovery, kinds) = discover(cfg, &mut out, &progress, &say)?;
    let (threads, note) = cfg.threads(discovery.sources.len());
    if let Some(note) = note {
        say(note);
    }
    let pool = crate::parallel::pool(threads)?;
    let mut sinks = Sinks::open(&mut out, cfg)?;
    let mut run = Run::new(cfg, &discovery, &out, &say)?;
    progress.start(discovery.sources.len());
    let bar = progress.handle();
    let tables = sinks.tables();
    let shape = out.shape();
    // Row buffers go back from the writer to the workers, so their capacity
    // is reused instead of allocated (and page-faulted) per document.
    let buffers: std::sync::Mutex<Vec<Vec<Rows>>> = std::sync::Mutex::new(Vec::new());
    // Workers count and render documents while the writer appends the
    // finished ones' rows in input order, so the output is the same for
    // any number of workers.
    let writer_needs_terms = run.writer_needs_terms;
    let work = |i: usize| {
        let outcome = match load_and_count(cfg, &discovery.sources[i]) {
            Ok((mut doc, mut counts)) => {
                let kwic = std::mem::take(&mut counts.kwic);
                let rows = render_rows(cfg, (&tables, shape), (&doc, &counts, &kwic), &buffers);
                doc.text = String::new();
                if !writer_needs_terms {
                    counts.drop_terms();
                }
                Outcome::Done(Box::new((doc, counts, rows)))
            }
            Err(skipped) => Outcome::Skipped(skipped),
        };
        if let Some(bar) = &bar {
            bar.inc(1);
        }
        outcome
    };
    let mut sources = discovery.sources.iter();
    crate::parallel::in_order(&pool, discovery.sources.len(), work, |outcome| {
        let key = sources.next().and_then(|s| s.order.as_deref());
        let rows = run.document(outcome, key, &mut sinks, &mut out)?;
        recycle(&buffers, rows);
        Ok(())
    })?;
    run.any_document()?;
    progress.finish();
    progress.stage("analyze");
    sinks.finish(&mut out)?;
    let mut summary = run.finish(out, &discovery, &kinds, &progress)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Discovers the inputs (the documents, and the files ignored or skipped,
/// said), fixes the metadata columns, and returns the discovery with the
/// metadata columns' types. With `--strict`, a file skipped is an error.
fn discover(
    cfg: &AnalyzeConfig,
    out: &mut Output,
    progress: &Progress,
    say: &dyn Fn(String),
) -> Result<(input::Discovery, Vec<(String, crate::table::Kind)>)> {
    let discovery = input::discover(&cfg.inputs, &cfg.filter)?;
    cfg.meta.set_table_fields(&discovery.fields)?;
    let kinds: Vec<(String, crate::table::Kind)> = discovery
        .fields
        .iter()
        .cloned()
        .zip(discovery.kinds.clone())
        .collect();
    out.set_meta_kinds(kinds.clone());
    progress.stage("discover");
    for s in &discovery.ignored {
        progress.detail(&format!("ignored: {}: {}", s.path, s.reason));
    }
    for w in &discovery.warnings {
        say(format!("warning: {w}"));
    }
    for s in &discovery.skipped {
        say(format!("skipped: {}: {}", s.path, s.reason));
    }
    if cfg.strict {
        if let Some(s) = discovery.skipped.first() {
            return Err(Error::input(&s.path, format!("{} (--strict)", s.reason)));
        }
    }
    Ok((discovery, kinds))
}

/// Gives a document's row buffers, written and emptied, back to the
/// workers (a few sets: the pool must not grow with the corpus).
fn recycle(buffers: &std::sync::Mutex<Vec<Vec<Rows>>>, rows: Vec<Rows>) {
    if let Ok(mut pool) = buffers.lock() {
        if pool.len() < POOL_SETS && !rows.is_empty() {
            pool.push(rows);
        }
    }
}

/// What the writer keeps from document to document, then writes after
/// the last: the term matrix, the charts, the manifest's inputs and
/// skipped files, and the summary.
struct Run<'a> {
    cfg: &'a AnalyzeConfig,
    say: &'a (dyn Fn(String) + Sync),
    write_matrix: bool,
    /// The writer needs a document's terms only for the term matrix and
    /// the per-document charts; otherwise the workers drop them (cheaper
    /// than on the writer thread).
    writer_needs_terms: bool,
    matrix: Matrix,
    /// Document ids, kept only for the term matrix.
    matrix_ids: Vec<String>,
    charts: crate::chart::Collector,
    /// The manifest's inputs, spooled as each document is written.
    inputs: manifest::Inputs,
    skipped: Vec<Skipped>,
    /// With --shard: (place in `skipped`, order key) of each file skipped
    /// while loading.
    skipped_orders: Vec<(usize, input::Order)>,
    summary: Summary,
}

impl<'a> Run<'a> {
    fn new(
        cfg: &'a AnalyzeConfig,
        discovery: &input::Discovery,
        out: &Output,
        say: &'a (dyn Fn(String) + Sync),
    ) -> Result<Run<'a>> {
        let n_docs = discovery.sources.len();
        let write_matrix =
            cfg.wants(Table::TermMatrix) && (n_docs <= MATRIX_MAX_DOCS || cfg.tables_named);
        Ok(Run {
            cfg,
            say,
            write_matrix,
            writer_needs_terms: write_matrix || cfg.charts.per_document(n_docs),
            matrix: Matrix::default(),
            matrix_ids: Vec::new(),
            // A shard draws per-document charts as the whole corpus would.
            charts: crate::chart::Collector::new(cfg.charts, discovery.listed),
            inputs: manifest::Inputs::new(out.dir())?,
            skipped: discovery.skipped.clone(),
            skipped_orders: Vec::new(),
            summary: Summary::default(),
        })
    }

    /// Writes one document's outcome (`key`: its order key under
    /// `--shard`): its rows, charts and manifest entry, or the file
    /// skipped. Returns the row buffers, emptied, for reuse.
    fn document(
        &mut self,
        outcome: Outcome,
        key: Option<&input::Order>,
        sinks: &mut Sinks,
        out: &mut Output,
    ) -> Result<Vec<Rows>> {
        let (cfg, say) = (self.cfg, self.say);
        let (doc, counts, mut rows) = match outcome {
            Outcome::Done(boxed) => *boxed,
            Outcome::Skipped(s) => {
                skip(cfg, s, say, &mut self.skipped)?;
                if let Some(key) = key {
                    (self.skipped_orders).push((self.skipped.len() - 1, key.clone()));
                }
                return Ok(Vec::new());
            }
        };
        if let Some(w) = &doc.warning {
            say(format!("warning: {}: {w}", doc.source));
        }
        sinks.append(&mut rows)?;
        for (path, svg) in self
            .charts
            .document(&doc.doc_id, &counts, cfg.matcher.keys())
        {
            out.file(&path, svg.as_bytes())?;
            self.summary.charts += 1;
        }
        if self.write_matrix {
            self.matrix.add(self.matrix_ids.len() as u32, &counts);
            self.matrix_ids.push(doc.doc_id.clone());
        }
        let summary = &mut self.summary;
        summary.documents += 1;
        summary.sections += counts.sections.len() as u64;
        summary.tokens += counts.n_tokens;
        summary.terms += counts.n_terms;
        self.inputs.push(&doc, key)?;
        Ok(rows)
    }

    /// None is an error, except in a shard (which may hold none).
    fn any_document(&self) -> Result<()> {
        let cfg = self.cfg;
        if self.summary.documents > 0 || cfg.shard.is_some() {
            return Ok(());
        }
        let what = if cfg.inputs.is_empty() {
            "-".to_string()
        } else {
            cfg.inputs.join(" ")
        };
        Err(Error::input(what, "no document with text to analyze"))
    }

    /// After the last document: the corpus-level tables and charts, the
    /// manifest, the workbook; then the commit. Returns the summary (but for the time taken).
    fn finish(
        mut self,
        mut out: Output,
        discovery: &input::Discovery,
        kinds: &[(String, crate::table::Kind)],
        progress: &Progress,
    ) -> Result<Summary> {
        let (cfg, say) = (self.cfg, self.say);
        self.term_matrix(&mut out)?;
        progress.stage("corpus tables");
        let (chart_files, chart_notes) = self.charts.finish(cfg.matcher.keys());
        for (path, svg) in chart_files {
            out.file(&path, svg.as_bytes())?;
            self.summary.charts += 1;
        }
        for note in chart_notes {
            say(format!("note: {note}"));
        }
        progress.stage("charts");
        let skipped = (&self.skipped[..], &self.skipped_orders[..]);
        write_manifest(cfg, discovery, kinds, self.inputs, skipped, &mut out)?;
        let mut summary = self.summary;
        summary.output = out.dir().display().to_string();
        summary.tables = out.tables();
        summary.format = cfg.format;
        if let (Some(path), Some((bytes, notes))) = (&cfg.xlsx, out.take_workbook()?) {
            for note in notes {
                say(format!("note: {}: {note}", path.display()));
            }
            summary.xlsx = Some(path.display().to_string());
            out.workbook(path, &bytes)?;
            progress.stage("xlsx");
        }
        out.commit()?;
        progress.stage("commit");
        summary.skipped = self.skipped.len();
        summary.ignored = discovery.ignored.len();
        Ok(summary)
    }

    /// term_matrix.csv, if it is written (else a note when it was asked for).
    fn term_matrix(&mut self, out: &mut Output) -> Result<()> {
        if self.write_matrix {
            let ids: Vec<&str> = self.matrix_ids.iter().map(String::as_str).collect();
            std::mem::take(&mut self.matrix).write(out, &ids)?;
        } else if self.cfg.wants(Table::TermMatrix) {
            (self.say)(format!(
                "note: term_matrix.csv not written: {} documents would make as many columns; ask for it with --tables term_matrix",
                self.summary.documents
            ));
        }
        Ok(())
    }
}

/// manifest.json of an analyze run: its settings, themes, inputs, the
/// files skipped (`skipped`: each with its place and order key under
/// `--shard`) and ignored, the tables and files written, and under
/// `--shard` what merge needs.
fn write_manifest(
    cfg: &AnalyzeConfig,
    discovery: &input::Discovery,
    kinds: &[(String, crate::table::Kind)],
    inputs: manifest::Inputs,
    (skipped, skipped_orders): (&[Skipped], &[(usize, input::Order)]),
    out: &mut Output,
) -> Result<()> {
    let (parameters, xlsx) = (cfg.parameters.clone(), cfg.xlsx.as_deref());
    let mut manifest = Manifest::new("analyze", parameters, inputs.finish()?, out, xlsx);
    manifest.themes = Some(themes_entry(&cfg.codebook));
    manifest.skipped = skipped_entries(skipped, skipped_orders);
    manifest.ignored = Some(ignored_entries(&discovery.ignored));
    if let Some(shard) = cfg.shard {
        let (named, listed) = (cfg.tables_named, discovery.listed);
        let entry = shard_entry(shard, (named, listed), &cfg.inputs, &cfg.codebook, kinds);
        manifest.shard = Some(entry);
    }
    manifest.write(out)
}

/// The manifest's `skipped`: path and reason, and under `--shard` the
/// order key of each file skipped while loading (`orders`: by place).
fn skipped_entries(
    skipped: &[Skipped],
    orders: &[(usize, input::Order)],
) -> Vec<serde_json::Value> {
    let mut orders = orders.iter().peekable();
    let entries = skipped.iter().enumerate().map(|(i, s)| {
        let mut entry = serde_json::json!({"path": s.path, "reason": s.reason});
        if let Some((_, key)) = orders.next_if(|(at, _)| *at == i) {
            entry["order"] = serde_json::json!(key);
        }
        entry
    });
    entries.collect()
}

/// The manifest's `ignored`: path and reason of each file passed over.
fn ignored_entries(ignored: &[Skipped]) -> Vec<serde_json::Value> {
    let entry = |s: &Skipped| serde_json::json!({"path": s.path, "reason": s.reason});
    ignored.iter().map(entry).collect()
}

/// The manifest's `themes`: key, label and number of patterns of each.
fn themes_entry(codebook: &crate::theme::Codebook) -> serde_json::Value {
    let theme = |t: &crate::theme::Theme| serde_json::json!({"theme": t.key, "label": t.label, "patterns": t.patterns.len()});
    codebook.themes.iter().map(theme).collect()
}

/// The open per-document tables.
struct Sinks {
    tables: Vec<(Table, TableSink)>,
}

impl Sinks {
    fn open(out: &mut Output, cfg: &AnalyzeConfig) -> Result<Sinks> {
        let mut tables = Vec::new();
        let kwic = cfg.kwic.then_some(Table::Kwic);
        let fields = cfg.meta.fields();
        for table in cfg.tables.iter().copied().chain(kwic) {
            if table == Table::TermMatrix {
                continue; // corpus level: [`Matrix`]
            }
            let mut header = table.columns().to_vec();
            if table == Table::Documents && cfg.meta.is_given() {
                header.extend(fields[1..].iter().map(String::as_str));
            }
            tables.push((table, out.table(table.name(), &header)?));
        }
        Ok(Sinks { tables })
    }

    fn tables(&self) -> Vec<Table> {
        self.tables.iter().map(|(table, _)| *table).collect()
    }

    /// Appends one document's rows (one [`Rows`] per table, in order),
    /// leaving them empty for reuse.
    fn append(&mut self, rows: &mut [Rows]) -> Result<()> {
        for ((_, sink), rows) in self.tables.iter_mut().zip(rows) {
            sink.append_rows(rows, POOL_BUFFER_BYTES)?;
        }
        Ok(())
    }

    fn finish(self, out: &mut Output) -> Result<()> {
        for (_, sink) in self.tables {
            out.finish(sink)?;
        }
        Ok(())
    }
}

/// Renders one document's rows of `tables`, one [`Rows`] each of the
/// run's `shape`, the CSV bytes in buffers taken back from the writer (on
/// a worker thread; [`Sinks::append`] writes them in input order).
fn render_rows(
    cfg: &AnalyzeConfig,
    (tables, shape): (&[Table], Shape),
    (doc, counts, kwic): (&Document, &DocCounts, &[KwicSpan]),
    buffers: &std::sync::Mutex<Vec<Vec<Rows>>>,
) -> Vec<Rows> {
    let spare = buffers.lock().ok().and_then(|mut pool| pool.pop());
    let mut rows = spare.unwrap_or_else(|| tables.iter().map(|_| shape.rows()).collect());
    let meta = cfg.meta.is_given().then(|| cfg.meta.values(doc).0);
    let d = render::Doc {
        doc,
        counts,
        kwic,
        matcher: &cfg.matcher,
        meta: meta.as_deref().map(|m| &m[1..]),
    };
    render::document(&d, tables, &mut rows);
    rows
}

/// Corpus-level term counts for the wide term matrix.
#[derive(Default)]
pub(crate) struct Matrix {
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
            let row = self.rows.entry(c.stem(stem).to_string()).or_default();
            row.total += u64::from(count);
            row.counts.push((doc, count));
        }
        for (stem, surface, count) in c.surfaces() {
            let row = self.rows.entry(c.stem(stem).to_string()).or_default();
            *row.surfaces.entry(surface.to_string()).or_insert(0) += u64::from(count);
        }
    }

    /// Adds `count` occurrences of `form` of `stem` in document `doc` (the
    /// latest document added; `merge` reads them from `term_forms`).
    pub(crate) fn add_form(&mut self, doc: u32, stem: &str, form: &str, count: u32) {
        let row = match self.rows.get_mut(stem) {
            Some(row) => row,
            None => self.rows.entry(stem.to_string()).or_default(),
        };
        row.total += u64::from(count);
        match row.counts.last_mut() {
            Some((d, c)) if *d == doc => *c += count,
            _ => row.counts.push((doc, count)),
        }
        match row.surfaces.get_mut(form) {
            Some(n) => *n += u64::from(count),
            None => {
                row.surfaces.insert(form.to_string(), u64::from(count));
            }
        }
    }

    /// Rows by total count descending, then stem; the term is the corpus's
    /// most frequent surface form (ties: the smallest).
    pub(crate) fn write(self, out: &mut Output, doc_ids: &[&str]) -> Result<()> {
        let mut header: Vec<&str> = Table::TermMatrix.columns().to_vec();
        header.extend_from_slice(doc_ids);
        let mut sink = out.table(Table::TermMatrix.name(), &header)?;
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

/// The manifest's `"shard"` object: the shard, whether `--tables` was
/// given, how many documents discovery listed before the shard was taken
/// (the per-document charts' limit counts them), the inputs as given
/// (merge refuses shards of other inputs), and the SHA-256 of the
/// codebook as TOML (merge refuses shards made with different codebooks
/// even under one file name), and the types of the metadata columns (for
/// merge's Parquet tables).
fn shard_entry(
    shard: crate::input::shard::Shard,
    (tables_named, listed): (bool, usize),
    inputs: &[String],
    codebook: &crate::theme::Codebook,
    meta: &[(String, crate::table::Kind)],
) -> serde_json::Value {
    serde_json::json!({
        "k": shard.k,
        "n": shard.n,
        "tables_named": tables_named,
        "listed": listed,
        "inputs": inputs,
        "codebook_sha256": crate::input::sha256_hex(codebook.to_toml().as_bytes()),
        "meta_kinds": meta.iter().map(|(f, k)| [f.as_str(), k.name()]).collect::<Vec<_>>(),
    })
}
