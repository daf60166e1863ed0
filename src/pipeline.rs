//! Pipeline: the only module that calls every stage.
//!
//! `analyze`: create the output (staging) folder → discover inputs → workers
//! take documents one at a time: load, decode, count (and KWIC), render the
//! document's CSV rows → a writer thread appends each document's rows and
//! per-document charts in input order ([`InOrder`]) → after the last
//! document, the corpus-level tables, charts, the manifest and the workbook
//! → rename everything into place. Workers run at most [`WINDOW`] documents
//! per worker ahead of the writer, so memory holds at most that many
//! documents' rows plus the corpus-level aggregates (the term matrix), not
//! every row.

use std::cell::RefCell;
use std::time::Instant;

use rustc_hash::FxHashMap;

use crate::config::AnalyzeConfig;
use crate::count::KwicSpan;
use crate::count::{self, DocCounts, Vocabulary};
use crate::error::{one_line, Error, Result};
use crate::input::{self, Document, Skipped};
use crate::kwic;
use crate::progress::Progress;
use crate::table::{columns, per_1000, share, Cell};
use crate::write::{
    fixed6, is_formula_start, needs_quotes, push_int_cell, push_text_bytes_cell, push_text_cell,
    put, CsvRows, CsvSink, Output, Spool,
};

/// How far (in documents, per worker) the workers may run ahead of the
/// writer: when the disk holds the writer back, at most this many
/// documents' rows wait in memory.
const WINDOW: usize = 8;
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
    /// The document, its counts and its rows, one [`CsvRows`] per open table.
    Done(Box<(Document, DocCounts, Vec<CsvRows>)>),
    Skipped(Skipped),
}

/// Runs `analyze`.
pub fn analyze(cfg: &AnalyzeConfig) -> Result<Summary> {
    let started = Instant::now();
    let mut out = Output::create(&cfg.output, cfg.excel)?;
    out.set_format(cfg.format);
    let progress = Progress::new(cfg.quiet, cfg.verbose);
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
    let say = |line: String| progress.say(&one_line(&line));
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
    let (threads, note) = cfg.threads(discovery.sources.len());
    if let Some(note) = note {
        say(note);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;

    let write_matrix = cfg.wants("term_matrix")
        && (discovery.sources.len() <= MATRIX_MAX_DOCS || cfg.tables_named);
    let mut sinks = Sinks::open(&mut out, cfg)?;
    let mut matrix = Matrix::default();
    // The manifest's inputs, rendered as each document is written (compact
    // text instead of a JSON tree per document, so memory stays flat).
    let mut inputs = ManifestInputs::new(&mut out)?;
    let mut summary = Summary::default();
    // A shard draws per-document charts as the whole corpus would.
    let mut charts = crate::chart::Collector::new(cfg.charts, discovery.listed);
    // The writer needs a document's terms only for the term matrix and the
    // per-document charts; otherwise they are dropped on the worker that
    // made them (cheaper than on the writer thread).
    let writer_needs_terms = write_matrix || cfg.charts.per_document(discovery.sources.len());
    progress.start(discovery.sources.len());
    let bar = progress.handle();

    // Workers count and render documents while a writer thread appends
    // the finished ones' rows in input order, so the output is
    // the same for any number of workers.
    let table_names = sinks.names();
    // Row buffers go back from the writer to the workers, so their capacity
    // is reused instead of allocated (and page-faulted) per document.
    let buffers: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());
    let order = InOrder::new(discovery.sources.len(), WINDOW * pool.current_num_threads());
    // With --shard: (place in `skipped`, order key) of each file skipped
    // while loading.
    let mut skipped_orders: Vec<(usize, input::Order)> = Vec::new();
    let written: Result<()> = std::thread::scope(|scope| {
        let writer = scope.spawn(|| -> Result<()> {
            // Stops the workers when the writer stops, on an error too.
            let _stop = StopOnDrop(&order);
            let mut sources = discovery.sources.iter();
            loop {
                let outcomes = order.take();
                if outcomes.is_empty() {
                    break;
                }
                for outcome in outcomes {
                    let key = sources.next().and_then(|s| s.order.as_deref());
                    match outcome {
                        Outcome::Skipped(s) => {
                            skip(cfg, s, &say, &mut skipped)?;
                            if let Some(key) = key {
                                skipped_orders.push((skipped.len() - 1, key.clone()));
                            }
                        }
                        Outcome::Done(boxed) => {
                            let (doc, counts, mut rows) = *boxed;
                            if let Some(w) = &doc.warning {
                                say(format!("warning: {}: {w}", doc.source));
                            }
                            let spent = sinks.append(&mut rows)?;
                            for (path, svg) in
                                charts.document(&doc.doc_id, &counts, cfg.matcher.keys())
                            {
                                out.file(&path, svg.as_bytes())?;
                                summary.charts += 1;
                            }
                            if let Ok(mut pool) = buffers.lock() {
                                let room = POOL_BUFFERS.saturating_sub(pool.len());
                                pool.extend(
                                    spent
                                        .into_iter()
                                        .filter(|b| b.capacity() <= POOL_BUFFER_BYTES)
                                        .take(room),
                                );
                            }
                            if write_matrix {
                                matrix.add(inputs.len() as u32, &counts);
                                inputs.doc_ids.push(doc.doc_id.clone());
                            }
                            summary.documents += 1;
                            summary.sections += counts.sections.len() as u64;
                            summary.tokens += counts.n_tokens;
                            summary.terms += counts.n_terms;
                            inputs.push(&doc, key)?;
                        }
                    }
                }
            }
            Ok(())
        });
        let work = || {
            while let Some(i) = order.claim() {
                let source = &discovery.sources[i];
                let outcome = match load_and_count(cfg, source) {
                    Ok((mut doc, mut counts)) => {
                        let kwic = std::mem::take(&mut counts.kwic);
                        let rows =
                            render_document(cfg, &table_names, &doc, &counts, &kwic, &buffers);
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
                order.put(i, outcome);
            }
        };
        {
            // Also when a worker panics: the writer must not wait for it.
            let _stop = StopOnDrop(&order);
            pool.scope(|s| {
                for _ in 0..pool.current_num_threads() {
                    s.spawn(|_| work());
                }
            });
        }
        writer
            .join()
            .unwrap_or_else(|_| Err(Error::Usage("the writer thread panicked".into())))
    });
    written?;
    if summary.documents == 0 && cfg.shard.is_none() {
        let what = if cfg.inputs.is_empty() {
            "-".to_string()
        } else {
            cfg.inputs.join(" ")
        };
        return Err(Error::input(what, "no document with text to analyze"));
    }
    progress.finish();
    progress.stage("analyze");
    sinks.finish(&mut out)?;
    if write_matrix {
        let ids: Vec<&str> = inputs.doc_ids.iter().map(String::as_str).collect();
        matrix.write(&mut out, &ids)?;
    } else if cfg.wants("term_matrix") {
        say(format!(
            "note: term_matrix.csv not written: {} documents would make as many columns; ask for it with --tables term_matrix",
            summary.documents
        ));
    }
    progress.stage("corpus tables");
    let (chart_files, chart_notes) = charts.finish(cfg.matcher.keys());
    for (path, svg) in chart_files {
        out.file(&path, svg.as_bytes())?;
        summary.charts += 1;
    }
    for note in chart_notes {
        say(format!("note: {note}"));
    }
    progress.stage("charts");
    if cfg.format != crate::write::Format::Csv {
        out.finish_formats(threads)?;
        progress.stage("parquet");
    }
    let mut manifest = serde_json::json!({
        "tool": "themata",
        "version": env!("CARGO_PKG_VERSION"),
        "command": "analyze",
        "parameters": cfg.parameters,
        "themes": cfg.codebook.themes.iter().map(|t| serde_json::json!({"theme": t.key, "label": t.label, "patterns": t.patterns.len()})).collect::<Vec<_>>(),
        "inputs": [],
        "skipped": skipped_entries(&skipped, &skipped_orders),
        "ignored": discovery.ignored.iter().map(|s| serde_json::json!({"path": s.path, "reason": s.reason})).collect::<Vec<_>>(),
        "tables": out.row_counts().into_iter().map(|(n, r)| (n, serde_json::Value::from(r))).collect::<serde_json::Map<_, _>>(),
        "files": out.manifest_files(cfg.xlsx.as_deref()),
    });
    if let Some(shard) = cfg.shard {
        let (named, listed) = (cfg.tables_named, discovery.listed);
        manifest["shard"] = shard_entry(shard, (named, listed), &cfg.inputs, &cfg.codebook, &kinds);
    }
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::output(out.dir().join("manifest.json"), e))?;
    inputs.write_into(&json, &mut out)?;
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
    summary.skipped = skipped.len();
    summary.ignored = discovery.ignored.len();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The manifest's `skipped`: path and reason, and under `--shard` the
/// order key of each file skipped while loading (`orders`: by place).
fn skipped_entries(skipped: &[Skipped], orders: &[(usize, input::Order)]) -> serde_json::Value {
    let mut orders = orders.iter().peekable();
    let entries = skipped.iter().enumerate().map(|(i, s)| {
        let mut entry = serde_json::json!({"path": s.path, "reason": s.reason});
        if let Some((_, key)) = orders.next_if(|(at, _)| *at == i) {
            entry["order"] = serde_json::json!(key);
        }
        entry
    });
    serde_json::Value::Array(entries.collect())
}

/// Results made in any order by several workers, handed to one consumer in
/// input order. A worker claims the next input only while it is fewer than
/// `window` inputs ahead of the consumer, so at most `window` results wait
/// in memory, and no worker waits for the others (as it would at the end of
/// a fixed chunk).
struct InOrder<T> {
    state: std::sync::Mutex<InOrderState<T>>,
    /// The consumer waits here for the next result.
    ready: std::sync::Condvar,
    /// Workers wait here for room in the window.
    room: std::sync::Condvar,
    window: usize,
}

struct InOrderState<T> {
    total: usize,
    /// The next input to claim.
    claimed: usize,
    /// Results of inputs `taken..`, by position; `None`: not done yet.
    done: std::collections::VecDeque<Option<T>>,
    taken: usize,
    stopped: bool,
    /// Who waits: waking a thread costs a system call (and, on a virtual
    /// machine, an interrupt), so nobody is woken in vain.
    consumer_waits: bool,
    workers_waiting: usize,
}

impl<T> InOrder<T> {
    /// Results the consumer is woken for at once.
    const BATCH: usize = 4;

    fn new(total: usize, window: usize) -> Self {
        InOrder {
            state: std::sync::Mutex::new(InOrderState {
                total,
                claimed: 0,
                done: std::collections::VecDeque::new(),
                taken: 0,
                stopped: false,
                consumer_waits: false,
                workers_waiting: 0,
            }),
            ready: std::sync::Condvar::new(),
            room: std::sync::Condvar::new(),
            window: window.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, InOrderState<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next input to work on, once the window has room; `None` when
    /// every input is claimed or the consumer stopped.
    fn claim(&self) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if state.stopped || state.claimed >= state.total {
                return None;
            }
            if state.claimed < state.taken + self.window {
                state.claimed += 1;
                return Some(state.claimed - 1);
            }
            // The window is full: the consumer must not sleep on results
            // that are ready.
            if state.consumer_waits && matches!(state.done.front(), Some(Some(_))) {
                self.ready.notify_one();
            }
            state.workers_waiting += 1;
            state = self.room.wait(state).unwrap_or_else(|e| e.into_inner());
            state.workers_waiting -= 1;
        }
    }

    /// The result of input `i` (claimed, not yet put).
    fn put(&self, i: usize, value: T) {
        let mut state = self.lock();
        let k = i - state.taken;
        if state.done.len() <= k {
            state.done.resize_with(k + 1, || None);
        }
        state.done[k] = Some(value);
        // The consumer is woken for a batch of results, or for the last ones.
        if state.consumer_waits
            && (state.claimed >= state.total
                || state.done.iter().take(Self::BATCH).all(Option::is_some)
                    && state.done.len() >= Self::BATCH)
        {
            self.ready.notify_one();
        }
    }

    /// The next results in input order (waiting for the next one); empty
    /// when all were taken or the run stopped.
    fn take(&self) -> Vec<T> {
        let mut state = self.lock();
        loop {
            let mut out = Vec::new();
            while let Some(Some(_)) = state.done.front() {
                if let Some(Some(value)) = state.done.pop_front() {
                    out.push(value);
                }
            }
            if !out.is_empty() {
                state.taken += out.len();
                if state.workers_waiting > 0 {
                    self.room.notify_all();
                }
                return out;
            }
            if state.stopped || state.taken >= state.total {
                return out;
            }
            state.consumer_waits = true;
            state = self.ready.wait(state).unwrap_or_else(|e| e.into_inner());
            state.consumer_waits = false;
        }
    }

    fn stop(&self) {
        self.lock().stopped = true;
        self.ready.notify_all();
        self.room.notify_all();
    }

    /// Whether [`InOrder::claim`] would hand out an input now rather than
    /// wait for the consumer (for tests: no timing needed).
    #[cfg(test)]
    fn has_room(&self) -> bool {
        let state = self.lock();
        state.claimed < state.taken + self.window
    }
}

/// Calls [`InOrder::stop`] when dropped.
struct StopOnDrop<'a, T>(&'a InOrder<T>);

impl<T> Drop for StopOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// The `inputs` array of the manifest, rendered one document at a time
/// exactly as `serde_json::to_string_pretty` renders it inside the manifest,
/// into a scratch file in staging (memory stays flat however many documents).
struct ManifestInputs {
    spool: Spool,
    n: usize,
    /// Document ids (kept only for the term matrix).
    doc_ids: Vec<String>,
    /// One rendered object, reused.
    text: String,
}

impl ManifestInputs {
    fn new(out: &mut Output) -> Result<ManifestInputs> {
        Ok(ManifestInputs {
            spool: out.spool("manifest-inputs.json.part")?,
            n: 0,
            doc_ids: Vec::new(),
            text: String::new(),
        })
    }

    fn len(&self) -> usize {
        self.n
    }

    /// Adds a document, with its order key under `--shard`.
    fn push(&mut self, doc: &Document, order: Option<&input::Order>) -> Result<()> {
        let mut object = serde_json::json!({
            "doc_id": doc.doc_id,
            "source": doc.source,
            "bytes": doc.bytes,
            "sha256": doc.sha256,
            "encoding": doc.encoding,
            "warning": doc.warning,
        });
        if let Some(order) = order {
            object["order"] = serde_json::json!(order);
        }
        let pretty = serde_json::to_string_pretty(&object).unwrap_or_default();
        self.text.clear();
        if self.n > 0 {
            self.text.push_str(",\n");
        }
        for (i, line) in pretty.split('\n').enumerate() {
            if i > 0 {
                self.text.push('\n');
            }
            self.text.push_str("    ");
            self.text.push_str(line);
        }
        self.n += 1;
        self.spool.write(self.text.as_bytes())
    }

    /// Writes `manifest.json`: `manifest` (with a line end) with its
    /// top-level `"inputs": []` filled in (the key is unique at that
    /// indentation: nested keys are indented deeper and strings cannot hold
    /// a raw line break).
    fn write_into(self, manifest: &str, out: &mut Output) -> Result<()> {
        let empty = "\n  \"inputs\": [],\n";
        match manifest.find(empty) {
            Some(at) if self.n > 0 => {
                let head = format!("{}\n  \"inputs\": [\n", &manifest[..at]);
                let tail = format!("\n  ],\n{}\n", &manifest[at + empty.len()..]);
                out.file_around(
                    "manifest.json",
                    head.as_bytes(),
                    self.spool,
                    tail.as_bytes(),
                )
            }
            _ => out.file("manifest.json", format!("{manifest}\n").as_bytes()),
        }
    }
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
        for stem in 0..c.stems.len() as u32 {
            push_text_bytes_cell(c.stem_bytes(stem), &mut stem_term);
            stem_term.push(b',');
            push_text_bytes_cell(c.surface_bytes(stem), &mut stem_term);
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
                    plain &= !needs_quotes(form);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Results put in any order by several workers come out in input
    /// order, each once.
    #[test]
    fn in_order_hands_results_in_input_order() {
        for (total, window, workers) in [(0, 4, 2), (1, 1, 3), (100, 1, 2), (1000, 7, 4)] {
            let order = InOrder::new(total, window);
            let got = std::thread::scope(|s| {
                for w in 0..workers {
                    let order = &order;
                    s.spawn(move || {
                        while let Some(i) = order.claim() {
                            if (i + w) % 3 == 0 {
                                std::thread::yield_now();
                            }
                            order.put(i, i);
                        }
                    });
                }
                let mut got = Vec::new();
                loop {
                    let batch = order.take();
                    if batch.is_empty() {
                        break;
                    }
                    got.extend(batch);
                }
                got
            });
            assert_eq!(got, (0..total).collect::<Vec<_>>());
        }
    }

    /// A worker cannot claim an input `window` or more ahead of the next one
    /// the consumer takes; it goes on once the consumer has taken it.
    #[test]
    fn in_order_holds_workers_within_the_window() {
        let order: InOrder<usize> = InOrder::new(10, 3);
        assert_eq!(
            (order.claim(), order.claim(), order.claim()),
            (Some(0), Some(1), Some(2))
        );
        assert!(!order.has_room(), "a claim past the window would not wait");
        order.put(1, 1);
        assert!(!order.has_room(), "input 0 is not taken yet");
        order.put(0, 0);
        assert_eq!(order.take(), vec![0, 1]);
        assert!(order.has_room());
        assert_eq!(order.claim(), Some(3));
        assert_eq!(order.claim(), Some(4));
        assert!(!order.has_room());
    }

    /// A consumer that stops releases the workers waiting for room, and a
    /// stop releases a consumer waiting for a result that will never come.
    #[test]
    fn in_order_stop_releases_everyone() {
        let order: InOrder<usize> = InOrder::new(10, 2);
        assert_eq!((order.claim(), order.claim()), (Some(0), Some(1)));
        std::thread::scope(|s| {
            let waiting = s.spawn(|| order.claim());
            std::thread::sleep(std::time::Duration::from_millis(20));
            order.stop();
            assert_eq!(waiting.join().ok(), Some(None));
        });
        assert!(order.take().is_empty());
        let order: InOrder<usize> = InOrder::new(3, 3);
        std::thread::scope(|s| {
            let consumer = s.spawn(|| order.take());
            std::thread::sleep(std::time::Duration::from_millis(20));
            order.stop();
            assert_eq!(consumer.join().ok(), Some(Vec::new()));
        });
    }
}
