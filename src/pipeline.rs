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
use crate::count::KwicSpan;
use crate::count::{self, DocCounts, StemCache};
use crate::error::{one_line, Error, Result};
use crate::input::{self, Document, Skipped};
use crate::kwic;
use crate::manifest::{self, Manifest};
use crate::progress::Progress;
use crate::table::{columns, per_1000, share, Cell};
use crate::write::{
    fixed6, is_formula_start, needs_quotes, push_int_cell, push_text_bytes_cell, push_text_cell,
    put, CsvRows, CsvSink, Output,
};

/// Row buffers kept for reuse, and the largest one kept: the pool must not
/// grow with the corpus (a buffer keeps the capacity of the largest table it
/// ever held), so it is capped at a few megabytes.
const POOL_BUFFERS: usize = 64;
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
    static CACHE: RefCell<StemCache> = RefCell::new(StemCache::default());
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
    /// The document, its counts and its rows, one [`CsvRows`] per open table.
    Done(Box<(Document, DocCounts, Vec<CsvRows>)>),
    Skipped(Skipped),
}

/// Runs `analyze`: discover → count and render every document (workers)
/// while the writer appends their rows in input order → corpus-level
/// tables and charts → manifest → workbook → commit.
pub fn analyze(cfg: &AnalyzeConfig) -> Result<Summary> {
    let started = Instant::now();
    let mut out = Output::create(&cfg.output, cfg.excel)?;
    out.set_format(cfg.format);
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
    let table_names = sinks.names();
    // Row buffers go back from the writer to the workers, so their capacity
    // is reused instead of allocated (and page-faulted) per document.
    let buffers: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());
    // Workers count and render documents while the writer appends the
    // finished ones' rows in input order, so the output is the same for
    // any number of workers.
    let writer_needs_terms = run.writer_needs_terms;
    let work = |i: usize| {
        let outcome = match load_and_count(cfg, &discovery.sources[i]) {
            Ok((mut doc, mut counts)) => {
                let kwic = std::mem::take(&mut counts.kwic);
                let rows = render_document(cfg, &table_names, &doc, &counts, &kwic, &buffers);
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
        let spent = run.document(outcome, key, &mut sinks, &mut out)?;
        recycle(&buffers, spent);
        Ok(())
    })?;
    run.any_document()?;
    progress.finish();
    progress.stage("analyze");
    sinks.finish(&mut out)?;
    let mut summary = run.finish(out, &discovery, &kinds, threads, &progress)?;
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

/// Gives the row buffers the writer has written back to the workers
/// (a few, and only small ones: the pool must not grow with the corpus).
fn recycle(buffers: &std::sync::Mutex<Vec<Vec<u8>>>, spent: Vec<Vec<u8>>) {
    if let Ok(mut pool) = buffers.lock() {
        let room = POOL_BUFFERS.saturating_sub(pool.len());
        pool.extend(
            spent
                .into_iter()
                .filter(|b| b.capacity() <= POOL_BUFFER_BYTES)
                .take(room),
        );
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
            cfg.wants("term_matrix") && (n_docs <= MATRIX_MAX_DOCS || cfg.tables_named);
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
    /// skipped. Returns the row buffers written, for reuse.
    fn document(
        &mut self,
        outcome: Outcome,
        key: Option<&input::Order>,
        sinks: &mut Sinks,
        out: &mut Output,
    ) -> Result<Vec<Vec<u8>>> {
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
        let spent = sinks.append(&mut rows)?;
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
        Ok(spent)
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
    /// tables in the other formats, the manifest, the workbook; then the
    /// commit. Returns the summary (but for the time taken).
    fn finish(
        mut self,
        mut out: Output,
        discovery: &input::Discovery,
        kinds: &[(String, crate::table::Kind)],
        threads: usize,
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
        if cfg.format != crate::write::Format::Csv {
            out.finish_formats(threads)?;
            progress.stage("parquet");
        }
        let skipped = (&self.skipped[..], &self.skipped_orders[..]);
        write_manifest(cfg, discovery, kinds, self.inputs, skipped, &mut out)?;
        let mut summary = self.summary;
        summary.output = out.dir().display().to_string();
        summary.tables = out.staged_tables().len();
        summary.format = cfg.format;
        if let Some(path) = &cfg.xlsx {
            let (bytes, notes) = crate::write::xlsx::workbook(&out.staged_tables())?;
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
        } else if self.cfg.wants("term_matrix") {
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
    tables: Vec<(&'static str, CsvSink)>,
}

impl Sinks {
    fn open(out: &mut Output, cfg: &AnalyzeConfig) -> Result<Sinks> {
        let mut tables = Vec::new();
        for &name in &cfg.tables {
            if name == "documents" && cfg.meta.is_given() {
                let mut header = columns(name).to_vec();
                let extra = cfg.meta.fields();
                header.extend(extra[1..].iter().map(String::as_str));
                tables.push((name, out.csv(name, &header)?));
            } else if name != "term_matrix" {
                tables.push((name, out.csv(name, columns(name))?));
            }
        }
        if cfg.kwic {
            tables.push(("kwic", out.csv("kwic", kwic::COLUMNS)?));
        }
        Ok(Sinks { tables })
    }

    fn names(&self) -> Vec<&'static str> {
        self.tables.iter().map(|(name, _)| *name).collect()
    }

    /// Appends one document's rows (one [`CsvRows`] per table, in order)
    /// and returns the buffers written by now, emptied (a table may hold a
    /// buffer until its next write).
    fn append(&mut self, rows: &mut [CsvRows]) -> Result<Vec<Vec<u8>>> {
        let mut spent = Vec::new();
        for ((_, sink), rows) in self.tables.iter_mut().zip(rows) {
            let (bytes, n) = rows.take();
            sink.append_owned(bytes, n)?;
            spent.append(&mut sink.take_spent());
        }
        Ok(spent)
    }

    fn finish(self, out: &mut Output) -> Result<()> {
        for (_, sink) in self.tables {
            out.finish(sink)?;
        }
        Ok(())
    }
}

/// Renders one document's rows for the tables `names`, one [`CsvRows`] each
/// (on a worker thread; [`Sinks::append`] writes them in input order).
fn render_document(
    cfg: &AnalyzeConfig,
    names: &[&'static str],
    doc: &Document,
    c: &DocCounts,
    kwic: &[KwicSpan],
    buffers: &std::sync::Mutex<Vec<Vec<u8>>>,
) -> Vec<CsvRows> {
    let id = doc.doc_id.as_str();
    let keys = cfg.matcher.keys();
    // Fields repeated on many rows, rendered once: "doc_id," and each
    // stem's "stem,term".
    let mut id_comma = Vec::new();
    push_text_cell(id, &mut id_comma);
    id_comma.push(b',');
    let wants_terms = names
        .iter()
        .any(|n| matches!(*n, "terms_by_section" | "terms_by_document"));
    let mut stem_term: Vec<u8> = Vec::new();
    let mut stem_at: Vec<usize> = vec![0];
    if wants_terms {
        // A text known to be a cell as it is is copied without a scan.
        let push = |cell: Option<&[u8]>, text: &[u8], out: &mut Vec<u8>| match cell {
            Some(cell) => put(out, cell),
            None => push_text_bytes_cell(text, out),
        };
        for stem in 0..c.stems.len() as u32 {
            push(c.stem_cell(stem), c.stem_bytes(stem), &mut stem_term);
            stem_term.push(b',');
            push(c.surface_cell(stem), c.surface_bytes(stem), &mut stem_term);
            stem_at.push(stem_term.len());
        }
    }
    let stem_term = |stem: u32| &stem_term[stem_at[stem as usize]..stem_at[stem as usize + 1]];
    let mut tails = CountTails::default();
    // "doc_id,section_id," of a section.
    let section_prefix = |s: &count::SectionCounts, out: &mut Vec<u8>| {
        out.clear();
        put(out, &id_comma);
        push_int_cell(u64::from(s.section.id), out);
        out.push(b',');
    };
    let mut tables: Vec<CsvRows> = match buffers.lock() {
        Ok(mut pool) => names
            .iter()
            .map(|_| CsvRows::with_buffer(pool.pop().unwrap_or_default()))
            .collect(),
        Err(_) => names.iter().map(|_| CsvRows::default()).collect(),
    };
    for (name, sink) in names.iter().zip(&mut tables) {
        match *name {
            "documents" => {
                let title = c.title.as_str();
                let (meta, _) = cfg.meta.values(doc);
                let mut cells = vec![
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
                ];
                if cfg.meta.is_given() {
                    cells.extend(meta[1..].iter().map(|v| Cell::Str(v)));
                }
                sink.row(&cells);
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
                    ]);
                }
            }
            // The same cells as `sink.row(&[Cell::Str(id),
            // Cell::Int(section_id), Cell::Str(stem), Cell::Str(term),
            // Cell::Int(count), Cell::Float(per_1000)])`, from fields
            // rendered once per document.
            "terms_by_section" => {
                let mut section = Vec::new();
                for s in &c.sections {
                    section_prefix(s, &mut section);
                    tails.reset(s.n_terms);
                    for &(stem, count) in &s.terms {
                        sink.pieces_row(&[&section, stem_term(stem), tails.tail(count)]);
                    }
                }
            }
            "terms_by_document" => {
                tails.reset(c.n_terms);
                let mut digits = itoa::Buffer::new();
                for &(stem, count, n_sections) in &c.terms {
                    let n_sections = digits.format(n_sections).as_bytes();
                    sink.pieces_row(&[
                        &id_comma,
                        stem_term(stem),
                        tails.tail(count),
                        b",",
                        n_sections,
                    ]);
                }
            }
            "themes_by_section" => {
                let mut section = Vec::new();
                let mut key_cells: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
                for key in keys {
                    let mut cell = Vec::new();
                    push_text_cell(key, &mut cell);
                    key_cells.push(cell);
                }
                for s in &c.sections {
                    section_prefix(s, &mut section);
                    tails.reset(s.n_terms);
                    for (t, key) in key_cells.iter().enumerate() {
                        sink.pieces_row(&[&section, key, tails.tail(s.themes[t])]);
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
                    ]);
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
                        Cell::Str(if m.excluded { "true" } else { "false" }),
                    ]);
                }
            }
            "ngrams_by_document" => {
                // As `sink.row(&[Cell::Str(id), Cell::Int(n), Cell::Str(text),
                // Cell::Int(count), Cell::Float(per_1000)])`, the text being
                // the n-gram's most frequent exact sequence of display forms.
                // When no form needs quoting, the text is the forms copied in
                // place (the formula guard looks at the first byte only).
                let mut forms: Vec<u8> = Vec::new();
                let mut form_at: Vec<usize> = vec![0];
                let mut plain = true;
                for i in 0..c.ngram_forms.len() as u32 {
                    let form = c.ngram_form_bytes(i);
                    plain &= c.ngram_form_cell(i).is_some() || !needs_quotes(form);
                    forms.extend_from_slice(form);
                    form_at.push(forms.len());
                }
                let form = |s: u32| &forms[form_at[s as usize]..form_at[s as usize + 1]];
                let mut text = String::new();
                tails.reset(c.n_terms);
                // "doc_id,n," for the current n.
                let mut id_n: Vec<u8> = Vec::new();
                let mut n = None;
                for g in &c.ngrams {
                    if n != Some(g.n) {
                        n = Some(g.n);
                        id_n.clear();
                        id_n.extend_from_slice(&id_comma);
                        push_int_cell(u64::from(g.n), &mut id_n);
                        id_n.push(b',');
                    }
                    let sequence = &c.ngram_surfaces(g)[0].0[..g.n as usize];
                    let guarded = is_formula_start(form(sequence[0]).first());
                    if plain && !guarded {
                        // id_n, the forms with a space between, the tail.
                        let mut pieces: [&[u8]; 2 * count::MAX_NGRAM + 1] =
                            [&[]; 2 * count::MAX_NGRAM + 1];
                        pieces[0] = &id_n;
                        let mut k = 1;
                        for (i, &s) in sequence.iter().enumerate() {
                            if i > 0 {
                                pieces[k] = b" ";
                                k += 1;
                            }
                            pieces[k] = form(s);
                            k += 1;
                        }
                        pieces[k] = tails.tail(g.count);
                        sink.pieces_row(&pieces[..=k]);
                    } else {
                        sink.raw_row(|out| {
                            put(out, &id_n);
                            text.clear();
                            c.push_ngram_text(g, &mut text);
                            push_text_cell(&text, out);
                            tails.push(g.count, out);
                        });
                    }
                }
            }
            "term_forms" => {
                for (stem, term, count) in term_forms(c) {
                    let count = Cell::Int(u64::from(count));
                    sink.row(&[Cell::Str(id), Cell::Str(stem), Cell::Str(term), count]);
                }
            }
            "ngram_forms" => {
                for (n, stems, ngram, count) in ngram_forms(c) {
                    sink.row(&[
                        Cell::Str(id),
                        Cell::Int(u64::from(n)),
                        Cell::Str(&stems),
                        Cell::Str(&ngram),
                        Cell::Int(u64::from(count)),
                    ]);
                }
            }
            "kwic" => {
                for s in kwic {
                    sink.row(&kwic::cells(&doc.text, s, id, keys));
                }
            }
            _ => {}
        }
    }
    tables
}

/// The rows of `term_forms.csv` for one document: (stem, display form,
/// count), by stem, then form (byte order). Forms of one text are added up.
fn term_forms(c: &DocCounts) -> Vec<(&str, &str, u32)> {
    let mut rows: Vec<(&str, &str, u32)> = c
        .surfaces()
        .map(|(stem, form, count)| (c.stem(stem), form, count))
        .collect();
    rows.sort_unstable();
    rows.dedup_by(|b, a| {
        let same = (a.0, a.1) == (b.0, b.1);
        if same {
            a.2 += b.2;
        }
        same
    });
    rows
}

/// The rows of `ngram_forms.csv` for one document: (n, stems joined by a
/// space, exact sequence of display forms, count), by n, stems, then
/// sequence (byte order). Sequences of one text are added up.
fn ngram_forms(c: &DocCounts) -> Vec<(u32, String, String, u32)> {
    let mut rows = Vec::new();
    for g in &c.ngrams {
        let stems: Vec<&str> = g.stems().iter().map(|&s| c.stem(s)).collect();
        let stems = stems.join(" ");
        for (ngram, count) in c.ngram_sequences(g) {
            rows.push((g.n, stems.clone(), ngram, count));
        }
    }
    rows.sort_unstable();
    rows.dedup_by(|b, a| {
        let same = (a.0, &a.1, &a.2) == (b.0, &b.1, &b.2);
        if same {
            a.3 += b.3;
        }
        same
    });
    rows
}

/// The cells `,count,per_1000` for one total, rendered once per small count
/// (most rows of a section or a document have a count below 16).
struct CountTails {
    total: u64,
    /// By count; empty until first used.
    tails: Vec<Vec<u8>>,
    /// The cells of a count without a place in `tails`.
    other: Vec<u8>,
}

impl Default for CountTails {
    fn default() -> Self {
        CountTails {
            total: u64::MAX,
            tails: vec![Vec::new(); 16],
            other: Vec::new(),
        }
    }
}

impl CountTails {
    /// Makes the cells valid for `total` (kept when it is the same).
    fn reset(&mut self, total: u64) {
        if total != self.total {
            self.total = total;
            self.tails.iter_mut().for_each(Vec::clear);
        }
    }

    /// The cells `,count,per_1000` of `count`.
    fn tail(&mut self, count: u32) -> &[u8] {
        let total = self.total;
        let render = |out: &mut Vec<u8>| {
            out.push(b',');
            push_int_cell(u64::from(count), out);
            out.push(b',');
            fixed6(per_1000(u64::from(count), total), out);
        };
        match self.tails.get_mut(count as usize) {
            Some(tail) => {
                if tail.is_empty() {
                    render(tail);
                }
                tail
            }
            None => {
                self.other.clear();
                render(&mut self.other);
                &self.other
            }
        }
    }

    fn push(&mut self, count: u32, out: &mut Vec<u8>) {
        put(out, self.tail(count));
    }
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
