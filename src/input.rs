//! Input: turns the paths a user names into decoded documents.
//!
//! * Files, folders (walked recursively, in byte order of their paths), globs
//!   and `-` for stdin. Hidden files and folders (`.DS_Store`, `.git`) are
//!   ignored, as ripgrep does, and listed; the output folder is never read back.
//! * Symbolic links: a path named on the command line is read even when it is
//!   a link. Inside a folder walk, links are ignored (and listed) unless
//!   `--follow` is given, as in ripgrep and fd: a link to `/etc/passwd` in a
//!   downloaded corpus is not read by surprise. With `--follow`, each real
//!   file and folder is read once (by canonical path; a second path to it is
//!   listed as ignored), an alias (`latest -> 2024`) is not a loop, and a link
//!   to a folder that contains it is skipped as a loop.
//! * Side files (stopword lists, `--meta`, codebooks) are read by
//!   [`read_side_file`]: regular files of at most [`SIDE_FILE_CAP`] bytes.
//! * Decoding: UTF-8 with or without BOM; UTF-16 with a BOM (or, without one,
//!   when the NUL-byte pattern is unmistakable) and Windows-1252 are decoded with
//!   a warning; text with a few invalid UTF-8 bytes has them replaced by U+FFFD,
//!   with a warning. Binary files, FIFOs, devices and empty files are skipped
//!   with a reason.
//! * `doc_id` is the file stem; when two files share a stem, their paths
//!   (relative to the folder named on the command line) tell them apart.
//!
//! * Tables (`corpus.csv`, `.tsv`, `.jsonl`, `.parquet`, compressed
//!   `.csv.gz`, …) hold one document per row: see [`table`]. A file is a
//!   table by its name when named directly or by a glob, and in a folder
//!   walk only when `--ext` names its table extension (`--ext csv`; `*`
//!   reads every file as text, as before).
//!
//! Nothing here looks inside the text beyond its encoding.

pub mod shard;
pub mod table;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The statement shipped with themata, used when no input is named.
pub const DEFAULT_NAME: &str = "data/corpus/2022-12-02_belarus-russia_joint-statement_osce.txt";
pub const DEFAULT_TEXT: &str =
    include_str!("../data/corpus/2022-12-02_belarus-russia_joint-statement_osce.txt");

/// A document ready for analysis.
#[derive(Debug, Clone)]
pub struct Document {
    pub doc_id: String,
    /// The path as found (or `-` for stdin, or the built-in name).
    pub source: String,
    /// The folder named on the command line that this file was found under
    /// (empty for files named directly).
    pub folder: String,
    pub text: String,
    pub bytes: u64,
    pub sha256: String,
    /// `utf-8`, `utf-8-bom`, `utf-16le`, `windows-1252`, …
    pub encoding: &'static str,
    /// A decoding warning, if any.
    pub warning: Option<String>,
    /// A table row's metadata columns (name, value); empty for a file.
    pub meta: Vec<(std::sync::Arc<str>, String)>,
}

/// A path that was passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// Where a document's bytes come from.
#[derive(Debug, Clone)]
enum Origin {
    /// A file: its path, or `None` when the path is `source` itself (a
    /// UTF-8 path; saves a second copy per document of a large corpus).
    File(Option<PathBuf>),
    Bytes(std::sync::Arc<Vec<u8>>),
    /// Row N (from 1) of a table.
    Row(std::sync::Arc<table::Cursor>, u64),
}

/// A document found but not yet read: reading happens in the workers, so
/// only the documents being analyzed are in memory.
#[derive(Debug, Clone)]
pub struct Source {
    pub doc_id: String,
    pub source: String,
    /// Shared by every file found under one named folder.
    pub folder: std::sync::Arc<str>,
    origin: Origin,
    /// With `--shard`: the key discovery lists this document by.
    pub order: Option<Box<Order>>,
}

/// The key discovery lists documents by: the index of the input argument
/// that found it, its path below that argument compared component by
/// component (below a named folder: the path relative to it; a file named
/// directly: none; a glob's match: the path as matched), and its table row
/// (from 1; 0 for a file). Sources come out of [`discover`] sorted by it,
/// so `merge` restores one run's order from the shards' keys alone.
/// Serialized as `[input, [component, ...], row]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Order(pub u32, pub Vec<String>, pub u64);

/// What the inputs named: sources in a deterministic order, plus paths
/// ignored (hidden) or skipped while walking, and doc_id warnings.
#[derive(Debug, Default)]
pub struct Discovery {
    pub sources: Vec<Source>,
    pub ignored: Vec<Skipped>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<String>,
    /// The metadata columns of the tables read, in order of first appearance.
    pub fields: Vec<String>,
    /// The type of each of `fields` over every table that has it.
    pub kinds: Vec<crate::table::Kind>,
    /// Documents listed before `--shard` took its part.
    pub listed: usize,
}

/// A file found on disk before it is read.
struct Found {
    path: PathBuf,
    /// Path relative to the named folder, for doc_id disambiguation.
    relative: String,
    folder: std::sync::Arc<str>,
    /// Read as a table of documents.
    table: bool,
    /// The input argument that found it, and whether through a glob.
    input: u32,
    globbed: bool,
}

/// Which files a folder walk takes.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A folder never to descend into (the output folder).
    pub exclude: Option<PathBuf>,
    /// File extensions taken from folders (lowercase, without the dot);
    /// empty or `*` takes every file. Files named directly or matched by a
    /// glob are always read.
    pub extensions: Vec<String>,
    /// `--follow`: folder walks follow symbolic links.
    pub follow: bool,
    /// `--text-column` and `--id-column` of tables.
    pub columns: table::Columns,
    /// `--shard K/N`: only the documents of this shard are kept.
    pub shard: Option<crate::input::shard::Shard>,
}

impl Filter {
    /// A filter from `--ext` values (`.TXT` and `txt` are the same).
    pub fn new(exclude: Option<PathBuf>, extensions: &[String], follow: bool) -> Filter {
        Filter {
            exclude,
            extensions: extensions
                .iter()
                .map(|e| e.trim().trim_start_matches('.').to_lowercase())
                .collect(),
            follow,
            columns: table::Columns::default(),
            shard: None,
        }
    }

    /// The same filter keeping only the documents of `shard`.
    pub fn with_shard(mut self, shard: Option<crate::input::shard::Shard>) -> Filter {
        self.shard = shard;
        self
    }

    /// The same filter reading tables with these columns.
    pub fn with_columns(mut self, columns: table::Columns) -> Filter {
        self.columns = columns;
        self
    }

    fn takes(&self, path: &Path) -> bool {
        if self.extensions.is_empty() || self.extensions.iter().any(|e| e == "*") {
            return true;
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        self.extensions.contains(&ext) || self.names_table(path)
    }

    /// True when `--ext` names this file's table extension (`csv`,
    /// `csv.gz`, …): a folder walk reads it as a table.
    fn names_table(&self, path: &Path) -> bool {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        table::is_table(path)
            && self.extensions.iter().any(|e| {
                table::EXTENSIONS.contains(&e.as_str()) && name.ends_with(&format!(".{e}"))
            })
    }
}

/// Finds every input. Fatal only when a named path does not exist or a glob
/// matches nothing.
pub fn discover(inputs: &[String], filter: &Filter) -> Result<Discovery> {
    let mut d = Discovery::default();
    if inputs.is_empty() {
        d.sources.push(Source {
            doc_id: file_stem(Path::new(DEFAULT_NAME)),
            source: DEFAULT_NAME.to_string(),
            folder: "".into(),
            origin: Origin::Bytes(std::sync::Arc::new(DEFAULT_TEXT.as_bytes().to_vec())),
            order: None,
        });
        take_shard(&mut d, filter.shard);
        return Ok(d);
    }
    let filter = Filter {
        exclude: filter
            .exclude
            .as_ref()
            .and_then(|p| fs::canonicalize(p).ok()),
        extensions: filter.extensions.clone(),
        follow: filter.follow,
        columns: filter.columns.clone(),
        shard: filter.shard,
    };
    // (source, path relative to its named folder), in input order.
    let mut pending: Vec<(Source, String)> = Vec::new();
    let found = walk_inputs(inputs, &filter, &mut pending, &mut d)?;
    list_found(found, &filter, &mut pending, &mut d)?;
    // A shard is chosen by the name before doc_ids are made unique.
    let names: Vec<u64> = match filter.shard {
        Some(shard) => (pending.iter())
            .map(|(s, _)| crate::input::shard::of(&s.doc_id, shard.n))
            .collect(),
        None => Vec::new(),
    };
    assign_doc_ids(&mut pending, &mut d.warnings);
    d.sources = pending.into_iter().map(|(s, _)| s).collect();
    d.listed = d.sources.len();
    if let Some(shard) = filter.shard {
        let mut names = names.into_iter();
        d.sources.retain(|_| names.next() == Some(shard.k));
    }
    d.sources.shrink_to_fit();
    Ok(d)
}

/// Walks each input in turn: standard input (`-`, read now, into
/// `pending`), a file or folder, or a glob pattern (its matches sorted).
/// Returns the files found, in input order, a path found twice listed
/// twice.
fn walk_inputs(
    inputs: &[String],
    filter: &Filter,
    pending: &mut Vec<(Source, String)>,
    d: &mut Discovery,
) -> Result<Vec<Found>> {
    let mut walk = Walk {
        filter,
        folders: HashMap::new(),
        files: HashMap::new(),
        ancestors: Vec::new(),
        found: Vec::new(),
        input: 0,
        globbed: false,
    };
    for (index, input) in inputs.iter().enumerate() {
        (walk.input, walk.globbed) = (index as u32, false);
        if input == "-" {
            pending.push((stdin_source(index as u32, filter)?, String::new()));
            continue;
        }
        let path = Path::new(input);
        if fs::symlink_metadata(path).is_ok() {
            walk.collect(path, d)?;
        } else if input.contains(['*', '?', '[']) {
            let paths = glob::glob(input)
                .map_err(|e| Error::input(input, format!("bad glob pattern: {e}")))?;
            let mut matched: Vec<PathBuf> = paths.filter_map(|p| p.ok()).collect();
            if matched.is_empty() {
                return Err(Error::input(input, "no file matches this pattern"));
            }
            matched.sort();
            walk.globbed = true;
            for p in matched {
                walk.collect(&p, d)?;
            }
        } else {
            return Err(Error::input(input, "no such file or folder"));
        }
    }
    Ok(walk.found)
}

/// Standard input, read whole, as the `index`th input.
fn stdin_source(index: u32, filter: &Filter) -> Result<Source> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| Error::input("-", format!("cannot read standard input: {e}")))?;
    Ok(Source {
        doc_id: "stdin".into(),
        source: "-".into(),
        folder: "".into(),
        origin: Origin::Bytes(std::sync::Arc::new(bytes)),
        order: filter.shard.map(|_| Box::new(Order(index, Vec::new(), 0))),
    })
}

/// The files found, each path once (its first finding), into `pending`:
/// a file as one source, a table as one source per row.
fn list_found(
    found: Vec<Found>,
    filter: &Filter,
    pending: &mut Vec<(Source, String)>,
    d: &mut Discovery,
) -> Result<()> {
    // The first of each path is kept (marked without copying the paths).
    let mut seen: HashSet<&Path> = HashSet::new();
    let first: Vec<bool> = found.iter().map(|f| seen.insert(&f.path)).collect();
    drop(seen);
    pending.reserve_exact(first.iter().filter(|&&f| f).count());
    for (f, first) in found.into_iter().zip(first) {
        if !first {
            continue;
        }
        let order = filter.shard.map(|_| Box::new(f.order()));
        if f.table {
            let order = order.map(|o| *o);
            list_table(&f.path, f.folder, &filter.columns, order, pending, d)?;
            continue;
        }
        let doc_id = file_stem(&f.path);
        // A UTF-8 path becomes the source text without a copy.
        let (source, origin) = match f.path.into_os_string().into_string() {
            Ok(source) => (source, Origin::File(None)),
            Err(path) => {
                let path = PathBuf::from(path);
                (path.display().to_string(), Origin::File(Some(path)))
            }
        };
        let source = Source {
            doc_id,
            source,
            folder: f.folder,
            origin,
            order,
        };
        pending.push((source, f.relative));
    }
    Ok(())
}

/// Keeps the sources of `shard` (for the built-in statement; [`discover`]
/// chooses by the names before doc_ids are made unique).
fn take_shard(d: &mut Discovery, shard: Option<crate::input::shard::Shard>) {
    d.listed = d.sources.len();
    if let Some(shard) = shard {
        for s in &mut d.sources {
            s.order = Some(Box::new(Order(0, Vec::new(), 0)));
        }
        d.sources.retain(|s| shard.holds(&s.doc_id));
    }
}

impl Found {
    /// Its [`Order`] (row 0; a table's rows set theirs).
    fn order(&self) -> Order {
        let components = |p: &Path| -> Vec<String> {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        };
        let path = match self.globbed {
            true => components(&self.path),
            false => components(Path::new(&self.relative)),
        };
        Order(self.input, path, 0)
    }
}

/// Adds a table's rows as sources (and its bad rows as skipped).
fn list_table(
    path: &Path,
    folder: std::sync::Arc<str>,
    columns: &table::Columns,
    order: Option<Order>,
    pending: &mut Vec<(Source, String)>,
    d: &mut Discovery,
) -> Result<()> {
    let listed = table::list(path, columns).map_err(|e| Error::input(path, e))?;
    let name = path.display().to_string();
    for (number, reason) in listed.skipped {
        d.skipped.push(Skipped {
            path: format!("{name}#{number}"),
            reason,
        });
    }
    for (field, kind) in listed.fields {
        match d.fields.iter().position(|f| **f == *field) {
            Some(i) => d.kinds[i] = d.kinds[i].or(kind),
            None => {
                d.fields.push(field.to_string());
                d.kinds.push(kind);
            }
        }
    }
    pending.reserve(listed.rows.len());
    for (number, doc_id) in listed.rows {
        let source = Source {
            doc_id,
            source: format!("{name}#{number}"),
            folder: folder.clone(),
            origin: Origin::Row(listed.cursor.clone(), number),
            order: order
                .as_ref()
                .map(|o| Box::new(Order(o.0, o.1.clone(), number))),
        };
        pending.push((source, String::new()));
    }
    Ok(())
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads and decodes one source; `Err` is the reason it is skipped.
pub fn load(source: &Source) -> std::result::Result<Document, String> {
    let (decoded, len, sha256) = match &source.origin {
        Origin::Row(cursor, number) => return load_row(source, cursor.row(*number)?),
        Origin::File(path) => {
            let path = path.as_deref().unwrap_or(Path::new(&source.source));
            let bytes = read_file(path)?;
            let (len, sha256) = (bytes.len(), sha256_hex(&bytes));
            (decode_vec(bytes), len, sha256)
        }
        Origin::Bytes(b) => (decode(b), b.len(), sha256_hex(b)),
    };
    match decoded {
        Decoded::Text {
            text,
            encoding,
            warning,
        } => Ok(Document {
            doc_id: source.doc_id.clone(),
            source: source.source.clone(),
            folder: source.folder.to_string(),
            text,
            bytes: len as u64,
            sha256,
            encoding,
            warning,
            meta: Vec::new(),
        }),
        Decoded::Skip(reason) => Err(reason),
    }
}

/// A table row as a document: its text is UTF-8 already.
fn load_row(source: &Source, row: table::Fields) -> std::result::Result<Document, String> {
    Ok(Document {
        doc_id: source.doc_id.clone(),
        source: source.source.clone(),
        folder: source.folder.to_string(),
        bytes: row.text.len() as u64,
        sha256: sha256_hex(row.text.as_bytes()),
        text: row.text,
        encoding: "utf-8",
        warning: None,
        meta: row.meta,
    })
}

/// Gives every document a unique doc_id: the file stem, else the relative
/// path without extension, else with it, else a `~N` suffix.
fn assign_doc_ids(docs: &mut [(Source, String)], warnings: &mut Vec<String>) {
    for (doc, _) in docs.iter_mut() {
        if !doc.doc_id.is_empty() && !doc.doc_id.chars().any(char::is_control) {
            continue; // clean_id would return it unchanged
        }
        let clean = clean_id(&doc.doc_id);
        if clean != doc.doc_id {
            warnings.push(format!(
                "{}: file name has control characters; doc_id is `{clean}`",
                doc.source.escape_debug()
            ));
            doc.doc_id = clean;
        }
    }
    // Distinct ids (the usual case) stay as they are; checked without
    // copying them, since a large corpus has many.
    let mut distinct: HashSet<&str> = HashSet::with_capacity(docs.len());
    if docs.iter().all(|(d, _)| distinct.insert(&d.doc_id)) {
        return;
    }
    drop(distinct);
    let mut ids: Vec<String> = docs.iter().map(|(d, _)| d.doc_id.clone()).collect();
    let rounds: [fn(&str) -> String; 2] = [strip_extension, str::to_string];
    for rename in rounds {
        let counts = count_ids(&ids);
        for (i, (_, rel)) in docs.iter().enumerate() {
            if counts[&ids[i]] > 1 && !rel.is_empty() {
                ids[i] = clean_id(&rename(rel));
            }
        }
    }
    let all: HashSet<String> = ids.iter().cloned().collect();
    let mut used: HashSet<String> = HashSet::new();
    for ((doc, _), mut id) in docs.iter_mut().zip(ids) {
        if used.contains(&id) {
            let base = id.clone();
            let mut n = 2;
            while used.contains(&id) || all.contains(&id) {
                id = format!("{base}~{n}");
                n += 1;
            }
        }
        if id != doc.doc_id {
            warnings.push(format!(
                "{}: doc_id `{}` is used by another file too; this one is `{id}`",
                doc.source, doc.doc_id
            ));
        }
        used.insert(id.clone());
        doc.doc_id = id;
    }
}

/// A doc_id is one line of printable text: control characters in a file
/// name (a newline, a tab) become `_`, and an empty stem becomes `_`.
fn clean_id(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    if clean.is_empty() {
        "_".into()
    } else {
        clean
    }
}

fn count_ids(ids: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for id in ids {
        *counts.entry(id.clone()).or_insert(0) += 1;
    }
    counts
}

fn strip_extension(rel: &str) -> String {
    let path = Path::new(rel);
    match (path.parent(), path.file_stem()) {
        (Some(parent), Some(stem)) if !parent.as_os_str().is_empty() => {
            format!("{}/{}", parent.display(), stem.to_string_lossy())
        }
        (_, Some(stem)) => stem.to_string_lossy().into_owned(),
        _ => rel.to_string(),
    }
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy().starts_with('.'))
        .unwrap_or(false)
}

/// The state of the folder walks of one `discover` call.
struct Walk<'a> {
    filter: &'a Filter,
    /// Canonical path of every folder walked → the path it was walked as
    /// (shared by all named inputs, so a folder is walked once).
    folders: HashMap<PathBuf, String>,
    /// With `--follow`: canonical path of every file found → its first path.
    files: HashMap<PathBuf, String>,
    /// Canonical paths of the folders being walked (a link to one is a loop).
    ancestors: Vec<PathBuf>,
    found: Vec<Found>,
    /// The input argument being collected, and whether through a glob.
    input: u32,
    globbed: bool,
}

fn skip(list: &mut Vec<Skipped>, path: &Path, reason: String) {
    list.push(Skipped {
        path: path.display().to_string(),
        reason,
    })
}

impl Walk<'_> {
    /// Adds a named path (file or folder, a link or not) to `found`,
    /// walking folders.
    fn collect(&mut self, path: &Path, d: &mut Discovery) -> Result<()> {
        let meta = fs::metadata(path).map_err(|e| Error::input(path, describe_io(&e)))?;
        if meta.is_dir() {
            let folder: std::sync::Arc<str> = path.display().to_string().into();
            self.walk(path, path, &folder, d);
        } else {
            let table = table::is_table(path);
            self.push(path.to_path_buf(), String::new(), "".into(), table, d);
        }
        Ok(())
    }

    /// Adds a file; with `--follow`, a file already found under another
    /// path is listed as ignored instead.
    fn push(
        &mut self,
        path: PathBuf,
        relative: String,
        folder: std::sync::Arc<str>,
        table: bool,
        d: &mut Discovery,
    ) {
        if self.filter.follow {
            if let Ok(canonical) = fs::canonicalize(&path) {
                if let Some(first) = self.files.get(&canonical) {
                    if Path::new(first) != path {
                        skip(&mut d.ignored, &path, format!("same file as {first}"));
                    }
                    return;
                }
                self.files.insert(canonical, path.display().to_string());
            }
        }
        self.found.push(Found {
            path,
            relative,
            folder,
            table,
            input: self.input,
            globbed: self.globbed,
        });
    }

    fn walk(&mut self, root: &Path, dir: &Path, folder: &std::sync::Arc<str>, d: &mut Discovery) {
        let canonical = match fs::canonicalize(dir) {
            Ok(c) => c,
            Err(e) => return skip(&mut d.skipped, dir, describe_io(&e)),
        };
        if Some(&canonical) == self.filter.exclude.as_ref() {
            return;
        }
        if self.ancestors.contains(&canonical) {
            let reason = format!(
                "symbolic link loop (leads back to {}, a folder that contains it)",
                self.folders.get(&canonical).map_or("", String::as_str)
            );
            return skip(&mut d.skipped, dir, reason);
        }
        if let Some(first) = self.folders.get(&canonical) {
            return skip(&mut d.ignored, dir, format!("same folder as {first}"));
        }
        let entries = match fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                let reason = format!("cannot list folder: {}", describe_io(&e));
                return skip(&mut d.skipped, dir, reason);
            }
        };
        self.folders
            .insert(canonical.clone(), dir.display().to_string());
        self.ancestors.push(canonical);
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            self.entry(root, p, folder, d);
        }
        self.ancestors.pop();
    }

    /// One entry of a folder being walked.
    fn entry(&mut self, root: &Path, p: PathBuf, folder: &std::sync::Arc<str>, d: &mut Discovery) {
        if is_hidden(&p) {
            // A run's staging folder (beside its output folder) is not input.
            if !crate::staging::is_staging(&p) {
                skip(&mut d.ignored, &p, "hidden file or folder".into());
            }
            return;
        }
        let is_link = fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
        if is_link && !self.filter.follow {
            return skip(
                &mut d.ignored,
                &p,
                "symbolic link; --follow reads it".into(),
            );
        }
        match fs::metadata(&p) {
            Ok(m) if m.is_dir() => self.walk(root, &p, folder, d),
            Ok(_) if !self.filter.takes(&p) => skip(
                &mut d.ignored,
                &p,
                format!(
                    "extension not in --ext {}",
                    self.filter.extensions.join(",")
                ),
            ),
            Ok(_) => {
                let relative = p
                    .strip_prefix(root)
                    .map(|r| r.display().to_string())
                    .unwrap_or_else(|_| p.display().to_string());
                let table = self.filter.names_table(&p);
                self.push(p, relative, folder.clone(), table, d)
            }
            Err(e) => skip(&mut d.skipped, &p, describe_io(&e)),
        }
    }
}

/// Largest side file (stopword list, `--meta` CSV, codebook): 64 MiB, far
/// above any real one (the LIWC 2015 dictionary is under 100 KB).
pub const SIDE_FILE_CAP: u64 = 64 << 20;

/// Reads a side file (`what` names it in errors: "stopword list",
/// "codebook", …): a regular file of at most [`SIDE_FILE_CAP`] bytes. The
/// metadata is checked before the file is opened (a FIFO would block,
/// `/dev/zero` never ends), and the read stops after the cap in case the
/// file grows meanwhile.
pub fn read_side_file(path: &str, what: &str) -> Result<Vec<u8>> {
    let fail = |message: String| Error::input(path, format!("cannot read {what}: {message}"));
    let meta = fs::metadata(path).map_err(|e| fail(describe_io(&e)))?;
    if meta.is_dir() {
        return Err(fail("is a folder".into()));
    }
    if !meta.is_file() {
        return Err(fail("not a regular file (FIFO, socket or device)".into()));
    }
    let too_large = || {
        fail(format!(
            "larger than the limit of {} MiB",
            SIDE_FILE_CAP >> 20
        ))
    };
    if meta.len() > SIDE_FILE_CAP {
        return Err(too_large());
    }
    let file = fs::File::open(path).map_err(|e| fail(describe_io(&e)))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(SIDE_FILE_CAP + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(describe_io(&e)))?;
    if bytes.len() as u64 > SIDE_FILE_CAP {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Reads a regular file; FIFOs, sockets and devices are refused without
/// opening them (opening a FIFO would block).
fn read_file(path: &Path) -> std::result::Result<Vec<u8>, String> {
    let meta = fs::metadata(path).map_err(|e| describe_io(&e))?;
    if !meta.is_file() {
        return Err("not a regular file (FIFO, socket or device)".into());
    }
    fs::read(path).map_err(|e| describe_io(&e))
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 15)]));
    }
    hex
}

/// The outcome of decoding a file's bytes.
#[derive(Debug, PartialEq)]
pub enum Decoded {
    Text {
        text: String,
        encoding: &'static str,
        warning: Option<String>,
    },
    Skip(String),
}

/// [`decode`] of bytes the caller gives away: plain UTF-8 text (the usual
/// case) becomes the `String` without a copy.
pub fn decode_vec(bytes: Vec<u8>) -> Decoded {
    if bytes.is_empty()
        || encoding_rs::Encoding::for_bom(&bytes).is_some()
        || utf16_without_bom(&bytes).is_some()
    {
        return decode(&bytes);
    }
    match String::from_utf8(bytes) {
        Ok(text) => utf8_text(text),
        Err(e) => decode(e.as_bytes()),
    }
}

/// Decodes bytes as described in the module header.
pub fn decode(bytes: &[u8]) -> Decoded {
    if bytes.is_empty() {
        return Decoded::Skip("empty file".into());
    }
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        let name = match enc.name() {
            "UTF-8" => "utf-8-bom",
            "UTF-16LE" => "utf-16le",
            _ => "utf-16be",
        };
        let warning = match (name, had_errors) {
            ("utf-8-bom", false) => None,
            (_, false) => Some(format!("decoded as {name} (byte-order mark)")),
            (_, true) => Some(format!(
                "decoded as {name}; invalid sequences replaced with U+FFFD"
            )),
        };
        return text_or_skip(text.into_owned(), name, warning);
    }
    if let Some(enc) = utf16_without_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(bytes);
        let name = if enc == encoding_rs::UTF_16LE {
            "utf-16le"
        } else {
            "utf-16be"
        };
        return text_or_skip(
            text.into_owned(),
            name,
            Some(format!(
                "decoded as {name} (no byte-order mark; guessed from NUL bytes)"
            )),
        );
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return utf8_text(text.to_string());
    }
    if bytes.contains(&0) || looks_binary(bytes) {
        return Decoded::Skip("binary file (not text in UTF-8, UTF-16 or Windows-1252)".into());
    }
    if has_valid_multibyte_utf8(bytes) {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let bad = text.matches('\u{FFFD}').count();
        return text_or_skip(
            text,
            "utf-8",
            Some(format!(
                "invalid UTF-8: {bad} byte sequence(s) replaced with U+FFFD"
            )),
        );
    }
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    text_or_skip(
        text.into_owned(),
        "windows-1252",
        Some("not UTF-8; decoded as Windows-1252".into()),
    )
}

/// Valid UTF-8 without a byte-order mark.
fn utf8_text(text: String) -> Decoded {
    if text.contains('\0') {
        return Decoded::Skip("binary file (contains NUL bytes)".into());
    }
    text_or_skip(text, "utf-8", None)
}

fn text_or_skip(text: String, encoding: &'static str, warning: Option<String>) -> Decoded {
    if text.trim().is_empty() {
        return Decoded::Skip("empty file (no text)".into());
    }
    if text.contains('\0') {
        return Decoded::Skip("binary file (contains NUL characters)".into());
    }
    Decoded::Text {
        text,
        encoding,
        warning,
    }
}

/// UTF-16 without a BOM: at least a quarter of the bytes are NUL and nearly
/// all of them sit on the same parity (the high byte of Latin text).
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let sample = &bytes[..bytes.len().min(4096)];
    let (mut even, mut odd) = (0usize, 0usize);
    for (i, b) in sample.iter().enumerate() {
        if *b == 0 {
            if i % 2 == 0 {
                even += 1
            } else {
                odd += 1
            }
        }
    }
    let half = sample.len() / 2;
    if odd * 10 >= half * 9 && even == 0 {
        Some(encoding_rs::UTF_16LE)
    } else if even * 10 >= half * 9 && odd == 0 {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// More than 10% control characters (other than tab, CR, LF, FF) means binary.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    control * 10 > sample.len()
}

/// True when the bytes contain at least one well-formed multi-byte UTF-8
/// sequence, i.e. the file is UTF-8 with some damage rather than a legacy
/// single-byte encoding.
fn has_valid_multibyte_utf8(bytes: &[u8]) -> bool {
    bytes.utf8_chunks().any(|chunk| !chunk.valid().is_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Discovery lists documents sorted by their [`Order`] key (input
    /// argument, path components, row): a folder walk, a glob and a file
    /// named directly, with names where comparing by component differs
    /// from comparing the path as text (`a/b.txt` before `a.txt`, since
    /// `a` < `a.txt` while `/` > `.`). A duplicate named again later keeps
    /// its first key; `--shard 1/1` keeps every document.
    #[test]
    fn discovery_order_is_the_order_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("corpus");
        for f in [
            "a.txt",
            "a/b.txt",
            "a/c/d.txt",
            "a-b.txt",
            "B.txt",
            "z.txt",
            "a b.txt",
        ] {
            let path = root.join(f);
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            fs::write(&path, "Peace and security.").expect("write");
        }
        let other = dir.path().join("other");
        fs::create_dir_all(other.join("g2")).expect("mkdir");
        for f in ["g1.txt", "g2/x.txt", "g10.txt", "h.txt"] {
            fs::write(other.join(f), "Human rights.").expect("write");
        }
        let p = |p: &Path| p.display().to_string();
        let inputs = [
            p(&other.join("h.txt")),
            p(&root),
            format!("{}/g*", p(&other)),
            p(&root.join("z.txt")),
        ];
        let filter = Filter::new(None, &["txt".into()], false)
            .with_shard(Some(crate::input::shard::Shard { k: 1, n: 1 }));
        let d = discover(&inputs, &filter).expect("discover");
        let keys: Vec<Order> = d
            .sources
            .iter()
            .filter_map(|s| s.order.as_deref().cloned())
            .collect();
        assert_eq!(keys.len(), 11, "{keys:?}");
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted, "discovery order is the keys' order");
        let relative: Vec<String> = keys[1..8].iter().map(|k| k.1.join("/")).collect();
        assert_eq!(
            relative,
            [
                "B.txt",
                "a/b.txt",
                "a/c/d.txt",
                "a b.txt",
                "a-b.txt",
                "a.txt",
                "z.txt"
            ]
        );
        assert_eq!(keys[0], Order(0, Vec::new(), 0));
        assert!(keys[1..8].iter().all(|k| k.0 == 1));
        // The glob's matches by their path as matched: g1, g10, the folder
        // g2 walked; z.txt named again is not listed twice.
        let globbed: Vec<&String> = keys[8..].iter().map(|k| &k.1[k.1.len() - 1]).collect();
        assert_eq!(globbed, ["g1.txt", "g10.txt", "x.txt"]);
        assert_eq!(d.listed, 11);
    }

    fn text(d: Decoded) -> (String, &'static str, bool) {
        match d {
            Decoded::Text {
                text,
                encoding,
                warning,
            } => (text, encoding, warning.is_some()),
            Decoded::Skip(r) => panic!("skipped: {r}"),
        }
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(
            text(decode("héllo".as_bytes())),
            ("héllo".into(), "utf-8", false)
        );
        assert_eq!(
            text(decode(b"\xEF\xBB\xBFhi")),
            ("hi".into(), "utf-8-bom", false)
        );
    }

    #[test]
    fn utf16_with_bom_and_guessed() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("hi there".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(text(decode(&le)), ("hi there".into(), "utf-16le", true));
        let no_bom: Vec<u8> = "hi there"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(text(decode(&no_bom)), ("hi there".into(), "utf-16le", true));
    }

    #[test]
    fn windows_1252_and_damaged_utf8() {
        // 0x93/0x94 are curly quotes in Windows-1252.
        assert_eq!(
            text(decode(b"\x93caf\xe9\x94")),
            ("\u{201C}café\u{201D}".into(), "windows-1252", true)
        );
        // Valid "é" then one stray byte: stays UTF-8 with one replacement.
        assert_eq!(
            text(decode(b"caf\xc3\xa9 \xff ok")),
            ("café \u{FFFD} ok".into(), "utf-8", true)
        );
    }

    #[test]
    fn binary_and_empty_are_skipped() {
        assert!(matches!(decode(b""), Decoded::Skip(_)));
        assert!(matches!(decode(b"  \n "), Decoded::Skip(_)));
        assert!(matches!(decode(b"ab\0cd\x01\x02\x03"), Decoded::Skip(_)));
        assert!(matches!(
            decode(b"Bud1\0\0\0\x04\0\0\x08\0"),
            Decoded::Skip(_)
        ));
    }

    /// `decode_vec` (the bytes given away) decodes exactly as `decode` on
    /// every kind of input above: UTF-8 with and without BOM, UTF-16,
    /// Windows-1252, damaged UTF-8, NUL bytes, empty and blank files.
    #[test]
    fn decode_vec_equals_decode() {
        let utf16: Vec<u8> = "hi there"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let inputs: [&[u8]; 10] = [
            "héllo".as_bytes(),
            b"\xEF\xBB\xBFhi",
            b"\xFF\xFEh\0i\0",
            &utf16,
            b"\x93caf\xe9\x94",
            b"caf\xc3\xa9 \xff ok",
            b"",
            b"  \n ",
            b"ab\0cd\x01\x02\x03",
            b"text\0with a NUL",
        ];
        for bytes in inputs {
            assert_eq!(decode_vec(bytes.to_vec()), decode(bytes), "{bytes:?}");
        }
    }
}
