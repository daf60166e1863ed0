//! Compare: documents or groups of documents against each other.
//!
//! `themata compare INPUT… --target EXPR [--reference EXPR]… | --by FIELD`
//! reads and counts every document with the same analyzer as `analyze`
//! (same flags), keeps one bag of counts per document (stems, n-grams or
//! themes: `--unit`), then for each comparison sums the bags of each side
//! and writes:
//!
//! ```text
//! keyness.csv          target_field, target, reference_field, reference, stem, term,
//!                      count_target, count_reference, total_target, total_reference,
//!                      per_1000_target, per_1000_reference,
//!                      g2, p_value, log_ratio, chi2, log_odds, log_odds_z
//! tfidf.csv            doc_id, stem, term, count, tf, idf, tf_idf
//! similarity.csv       field, doc_a, doc_b, cosine
//! themes_by_group.csv  field, group, theme, count, n_terms, per_1000
//! manifest.json        formulas, unit, comparisons with their documents and totals
//! ```
//!
//! Selection (`EXPR`): a doc_id, or `FIELD=VALUE[,VALUE…]` on the metadata
//! fields (see [`meta`]). Tables and charts name a side by its plain value
//! (`2015`, `RUS`, a doc_id) with the field in a column of its own (`year`,
//! `doc_id`), so a spreadsheet can plot them as they are; the rest of the
//! corpus is `rest` with an empty field. The reference defaults to the rest of the corpus;
//! `--reference` may be repeated (one comparison each); `--by FIELD` compares
//! each value of the field with all other documents.
//!
//! Measures are in [`keyness`], tf-idf in [`tfidf`], cosine in [`similarity`].

pub mod keyness;
pub mod meta;
pub mod similarity;
pub mod tfidf;

use std::time::Instant;

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::cli::AnalyzeArgs;
use crate::config::AnalyzeConfig;
use crate::count::DocCounts;
use crate::error::{Error, Result};
use crate::input::{self, Skipped};
use crate::table::{per_1000, Cell};
use crate::write::{CsvRows, Output};
use keyness::Table2;

/// `--help` text after the flags.
pub const HELP: &str = "\
Selecting documents (EXPR): a doc_id, or FIELD=VALUE[,VALUE...] on metadata fields:
  doc_id, folder (the folder a file sits in), the fields of --meta-pattern
  (e.g. '{country}_{session}_{year}' on the file stem) and the columns of --meta FILE.

Tables written to the output folder:
  keyness.csv          target_field, target, reference_field, reference, stem, term,
                       count_target, count_reference, total_target, total_reference,
                       per_1000_target, per_1000_reference,
                       g2, p_value, log_ratio, chi2, log_odds, log_odds_z
                       (one row per comparison x term, sorted by --sort descending, then stem;
                       --top N keeps the N highest and N lowest, --max-p P rows with p_value <= P)
  tfidf.csv            doc_id, stem, term, count, tf, idf, tf_idf   (tidytext bind_tf_idf)
  similarity.csv       field, doc_a, doc_b, cosine   (groups with --by, else the documents compared)
  themes_by_group.csv  field, group, theme, count, n_terms, per_1000
  manifest.json        formulas, unit, comparisons with their documents and totals
  charts/keyness_<n>.svg   top 20 terms of each side of comparison n, by --sort (--charts)
  charts/theme_rates.svg   theme rates of the groups (up to 30 groups)
  Sides are plain values (2015, RUS, a doc_id) and *_field / field names their field
  (year, country, doc_id); the default reference is `rest`, with an empty field.

Measures for a term with counts a (target), b (reference) and totals N_T, N_R:
  g2          signed log-likelihood G2, no correction (AntConc; quanteda correction=\"none\")
  p_value     of g2, chi-square with 1 degree of freedom
  log_ratio   log2((a/N_T)/(b/N_R)), a zero count taken as 0.5 (Hardie 2014)
  chi2        chi-square with Yates' correction, signed like g2
  log_odds    weighted log-odds (Monroe, Colaresi & Quinn 2008, eq. 16) with the prior
              a_w = a + b, a_0 = N_T + N_R:
              ln[(a+a_w)/(N_T+a_0-a-a_w)] - ln[(b+a_w)/(N_R+a_0-b-a_w)]
              (eq. 16 has a_0 = sum of a_w, the same for terms and n-grams; for themes
              each count is taken against the rest of its side's terms)
  log_odds_z  log_odds / sqrt(1/(a+a_w) + 1/(b+a_w))
  A cell that cannot be computed is empty: g2, p_value, chi2 and log-odds when a count
  exceeds its side's total (a theme matching stopwords), log-odds when a term is all of
  both sides.

Examples:
  themata compare data/corpus data/ungdc-2022 --meta-pattern '{country}_{session}_{year}' \\
      --target folder=corpus --reference country=RUS --reference country=BLR -o out/compare
  themata compare ungdc/ --meta-pattern '{country}_{session}_{year}' \\
      --target country=RUS --reference country=USA
  themata compare ungdc/ --meta-pattern '{country}_{session}_{year}' --by year --min-count 5
  themata compare ungdc/ --meta-pattern '{country}_{session}_{year}' --by country --top 20";

/// Flags of `themata compare`: the analysis flags of `analyze`, plus what to compare.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The target: a doc_id, or FIELD=VALUE[,VALUE…] (e.g. country=RUS, year=2022).
    #[arg(
        long,
        value_name = "EXPR",
        required_unless_present = "by",
        conflicts_with = "by"
    )]
    pub target: Option<String>,

    /// The reference, selected like --target; repeat for several comparisons.
    /// Default: every document not in the target.
    #[arg(long, value_name = "EXPR", requires = "target")]
    pub reference: Vec<String>,

    /// Compare each value of this metadata field with all other documents.
    #[arg(long, value_name = "FIELD")]
    pub by: Option<String>,

    /// What is counted: stems (`term`), n-grams of 2..=--ngrams words, or themes.
    #[arg(long, value_enum, default_value_t = Unit::Term)]
    pub unit: Unit,

    /// Leave out terms seen fewer than N times in target and reference together.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub min_count: u64,

    /// The measure keyness.csv is sorted by (descending; ties by stem).
    #[arg(long, value_enum, default_value_t = SortBy::G2)]
    pub sort: SortBy,

    /// Keep, per comparison, the N rows with the highest and the N with the
    /// lowest --sort measure: the N terms most characteristic of each side.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub top: Option<u64>,

    /// Keep only rows whose p_value is at most P (0 to 1), e.g. 0.001.
    #[arg(long, value_name = "P", value_parser = parse_p)]
    pub max_p: Option<f64>,

    #[command(flatten)]
    pub analysis: AnalyzeArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Stems (terms after stopwords), as terms_by_document.csv counts them.
    Term,
    /// N-grams of consecutive terms, as ngrams_by_document.csv counts them.
    Ngram,
    /// Theme matches; totals are the terms of each side.
    Theme,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    G2,
    #[value(name = "log_ratio", alias = "log-ratio")]
    LogRatio,
    Chi2,
    #[value(name = "log_odds_z", alias = "log-odds-z")]
    LogOddsZ,
}

/// `--max-p`: a probability, 0 to 1.
fn parse_p(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a p-value between 0 and 1")),
    }
}

/// Runs `themata compare` and prints the closing summary.
pub fn command(args: &CompareArgs) -> Result<()> {
    let started = Instant::now();
    if !args.analysis.tables.is_empty() {
        return Err(Error::Usage(
            "--tables applies to analyze; compare writes keyness, tfidf, similarity and themes_by_group".into(),
        ));
    }
    if args.analysis.kwic {
        return Err(Error::Usage(
            "--kwic applies to analyze; for one pattern use `themata kwic`".into(),
        ));
    }
    let mut analysis = args.analysis.clone();
    analysis
        .output
        .get_or_insert_with(|| "output-compare".into());
    let mut cfg = AnalyzeConfig::from_args(&analysis)?;
    // N-grams only for `--unit ngram`, each with every exact sequence (the
    // corpus shows its most frequent one); no theme evidence rows.
    cfg.counting.all_sequences = true;
    cfg.counting.match_rows = false;
    if args.unit != Unit::Ngram {
        cfg.counting.max_ngram = 0;
    }
    // First, so that a folder that cannot be written fails before any reading.
    let mut out = Output::create(&cfg.output, cfg.excel)?;
    out.set_format(cfg.format);
    let corpus = Corpus::load(&cfg, &cfg.meta, args.unit)?;
    let plan = Plan::new(args, &corpus)?;
    let n_keyness = write_keyness(&mut out, args, &corpus, &plan)?;
    write_tfidf(&mut out, &corpus, cfg.threads(corpus.docs.len()).0)?;
    let similarity = write_similarity(&mut out, &corpus, &plan)?;
    write_themes(&mut out, &corpus, &plan)?;
    // Charts before the manifest, which lists every file.
    let chart_notes = write_charts(&mut out, args, &cfg, &corpus, &plan)?;
    out.finish_formats(cfg.threads(corpus.docs.len()).0)?;
    write_manifest(&mut out, args, &cfg, &corpus, &plan, &similarity)?;
    if let Some(path) = &cfg.xlsx {
        let (bytes, notes) = crate::write::xlsx::workbook(&out.staged_tables())?;
        for note in notes.iter().filter(|_| !cfg.quiet) {
            eprintln!("note: {}: {note}", path.display());
        }
        out.workbook(path, &bytes)?;
    }
    let dir = out.dir().display().to_string();
    out.commit()?;
    if !cfg.quiet {
        for note in chart_notes {
            eprintln!("note: {note}");
        }
    }
    if !cfg.quiet {
        for note in plan.notes.iter().chain(&similarity) {
            eprintln!("note: {note}");
        }
        eprintln!(
            "themata: {} comparison{} of {} documents ({} unit, {} keyness rows) in {:.2} s; tables in {}/",
            plan.comparisons.len(),
            if plan.comparisons.len() == 1 { "" } else { "s" },
            corpus.docs.len(),
            match args.unit {
                Unit::Term => "term",
                Unit::Ngram => "n-gram",
                Unit::Theme => "theme",
            },
            n_keyness,
            started.elapsed().as_secs_f64(),
            dir.trim_end_matches('/'),
        );
    }
    Ok(())
}

/// One counted document.
struct Doc {
    doc_id: String,
    source: String,
    bytes: u64,
    sha256: String,
    /// Values of the metadata fields, in `Corpus::fields` order.
    meta: Vec<String>,
    /// (key id, count), sorted by key id.
    bag: Vec<(u32, u64)>,
    /// The total the counts are a share of (terms, or n-grams).
    total: u64,
    n_terms: u64,
    /// Matches per theme.
    themes: Vec<u64>,
}

/// Every document, counted, with one key vocabulary.
struct Corpus {
    docs: Vec<Doc>,
    fields: Vec<String>,
    /// Key text by id (stem, n-gram stems, or theme key).
    keys: Vec<String>,
    /// The most frequent surface form of each key in the corpus.
    terms: Vec<String>,
    skipped: Vec<Skipped>,
    theme_keys: Vec<String>,
}

impl Corpus {
    fn load(cfg: &AnalyzeConfig, meta: &meta::Meta, unit: Unit) -> Result<Corpus> {
        let say = |line: String| {
            if !cfg.quiet {
                eprintln!("{line}");
            }
        };
        let discovery = input::discover(&cfg.inputs, &cfg.filter)?;
        meta.set_table_fields(&discovery.fields)?;
        for w in &discovery.warnings {
            say(format!("warning: {w}"));
        }
        let mut skipped = discovery.skipped.clone();
        if cfg.strict {
            if let Some(s) = skipped.first() {
                return Err(Error::input(&s.path, format!("{} (--strict)", s.reason)));
            }
        }
        for s in &skipped {
            say(format!("skipped: {}: {}", s.path, s.reason));
        }
        let (threads, note) = cfg.threads(discovery.sources.len());
        if let Some(note) = note {
            say(note);
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
        let n_themes = cfg.matcher.keys().len();
        let mut vocab: FxHashMap<String, u32> = FxHashMap::default();
        let mut keys: Vec<String> = Vec::new();
        let mut surfaces: Vec<FxHashMap<String, u64>> = Vec::new();
        let mut intern = |key: &str,
                          keys: &mut Vec<String>,
                          surfaces: &mut Vec<FxHashMap<String, u64>>|
         -> u32 {
            if let Some(&id) = vocab.get(key) {
                return id;
            }
            let id = keys.len() as u32;
            vocab.insert(key.to_string(), id);
            keys.push(key.to_string());
            surfaces.push(FxHashMap::default());
            id
        };
        if unit == Unit::Theme {
            for k in cfg.matcher.keys() {
                let id = intern(k, &mut keys, &mut surfaces);
                surfaces[id as usize].insert(k.clone(), 1);
            }
        }
        let mut docs = Vec::new();
        let mut misfits: Vec<String> = Vec::new();
        type Loaded = Vec<std::result::Result<(input::Document, DocCounts), Skipped>>;
        // The workers count the next chunk while this thread adds the
        // previous one to the corpus.
        let (send, receive) = std::sync::mpsc::sync_channel::<Loaded>(1);
        let sources = &discovery.sources;
        let pool = &pool;
        std::thread::scope(|scope| -> Result<()> {
            scope.spawn(move || {
                for chunk in sources.chunks(256) {
                    let loaded: Loaded = pool.install(|| {
                        chunk
                            .par_iter()
                            .map(|source| {
                                crate::pipeline::load_and_count(cfg, source).map(
                                    |(mut doc, counts)| {
                                        doc.text = String::new();
                                        (doc, counts)
                                    },
                                )
                            })
                            .collect()
                    });
                    if send.send(loaded).is_err() {
                        break; // the corpus stopped with an error
                    }
                }
            });
            for loaded in receive {
                for outcome in loaded {
                    let (doc, c) = match outcome {
                        Ok(pair) => pair,
                        Err(s) => {
                            crate::pipeline::skip(cfg, s, &say, &mut skipped)?;
                            continue;
                        }
                    };
                    if let Some(w) = &doc.warning {
                        say(format!("warning: {}: {w}", doc.source));
                    }
                    let themes: Vec<u64> = c
                        .theme_totals(n_themes)
                        .iter()
                        .map(|&(n, _)| u64::from(n))
                        .collect();
                    let mut bag: Vec<(u32, u64)> = Vec::new();
                    let mut total = c.n_terms;
                    match unit {
                        Unit::Term => {
                            // Every stem with a surface form has a count.
                            let mut ids = vec![u32::MAX; c.stems.len()];
                            for &(stem, count, _) in &c.terms {
                                let id = intern(c.stem(stem), &mut keys, &mut surfaces);
                                ids[stem as usize] = id;
                                bag.push((id, u64::from(count)));
                            }
                            for (stem, surface, count) in c.surfaces() {
                                let id = match ids[stem as usize] {
                                    u32::MAX => intern(c.stem(stem), &mut keys, &mut surfaces),
                                    id => id,
                                };
                                add_surface(&mut surfaces[id as usize], surface, count);
                            }
                        }
                        Unit::Ngram => {
                            total = 0;
                            for g in &c.ngrams {
                                let key: Vec<&str> = g.stems().iter().map(|&s| c.stem(s)).collect();
                                let id = intern(&key.join(" "), &mut keys, &mut surfaces);
                                bag.push((id, u64::from(g.count)));
                                // Every exact sequence, so that the corpus
                                // shows its most frequent one.
                                for (text, count) in c.ngram_sequences(g) {
                                    add_surface(&mut surfaces[id as usize], &text, count);
                                }
                                total += u64::from(g.count);
                            }
                        }
                        Unit::Theme => {
                            bag = themes
                                .iter()
                                .enumerate()
                                .filter(|&(_, &n)| n > 0)
                                .map(|(t, &n)| (t as u32, n))
                                .collect();
                        }
                    }
                    bag.sort_unstable();
                    let (values, fits) = meta.values(&doc);
                    if !fits {
                        misfits.push(doc.doc_id.clone());
                    }
                    docs.push(Doc {
                        doc_id: doc.doc_id,
                        source: doc.source,
                        bytes: doc.bytes,
                        sha256: doc.sha256,
                        meta: values,
                        bag,
                        total,
                        n_terms: c.n_terms,
                        themes,
                    });
                }
            }
            Ok(())
        })?;
        if docs.is_empty() {
            let what = if cfg.inputs.is_empty() {
                "-".to_string()
            } else {
                cfg.inputs.join(" ")
            };
            return Err(Error::input(what, "no document with text to compare"));
        }
        if let Some(first) = misfits.first() {
            say(format!(
                "note: {} document{} not fit --meta-pattern (e.g. {first}); {} pattern fields are empty",
                misfits.len(),
                if misfits.len() == 1 { " does" } else { "s do" },
                if misfits.len() == 1 { "its" } else { "their" }
            ));
        }
        // The display term: the key's most frequent surface form (ties: the smallest).
        let terms = surfaces
            .iter()
            .zip(&keys)
            .map(|(s, k)| {
                s.iter()
                    .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                    .map_or_else(|| k.clone(), |(t, _)| t.clone())
            })
            .collect();
        Ok(Corpus {
            docs,
            fields: meta.fields(),
            keys,
            terms,
            skipped,
            theme_keys: cfg.matcher.keys().to_vec(),
        })
    }
}

/// One side of a comparison.
#[derive(Clone)]
struct Side {
    /// The expression that selected it (for messages).
    label: String,
    /// The field its value is of (`doc_id`, `year`, …); empty for [`REST`].
    field: String,
    /// The plain value (`2015`, `RUS,BLR`, a doc_id, or [`REST`]).
    value: String,
    docs: Vec<usize>,
}

impl Side {
    /// The rest of the corpus (every document not in the target; with
    /// `--by`, of the other groups).
    fn rest(docs: Vec<usize>) -> Side {
        Side {
            label: REST.into(),
            field: String::new(),
            value: REST.into(),
            docs,
        }
    }
}

/// What is compared with what.
struct Plan {
    comparisons: Vec<(Side, Side)>,
    /// The groups shown in themes_by_group.csv (and similarity.csv with --by).
    groups: Vec<Side>,
    by: bool,
    /// What the user should know about the selection (printed, and in the manifest).
    notes: Vec<String>,
}

/// The label of the default reference.
const REST: &str = "rest";

impl Plan {
    fn new(args: &CompareArgs, corpus: &Corpus) -> Result<Plan> {
        let mut comparisons = Vec::new();
        let mut groups = Vec::new();
        let mut notes = Vec::new();
        let by = args.by.is_some();
        if let Some(field) = &args.by {
            let col = field_index(corpus, field, "--by")?;
            let mut values: Vec<&str> = corpus.docs.iter().map(|d| d.meta[col].as_str()).collect();
            values.sort_unstable();
            values.dedup();
            let without: Vec<&str> = corpus
                .docs
                .iter()
                .filter(|d| d.meta[col].is_empty())
                .map(|d| d.doc_id.as_str())
                .collect();
            if let Some(first) = without.first() {
                notes.push(format!(
                    "{} document{} no `{field}` (e.g. {first}) and {} left out of every group",
                    without.len(),
                    if without.len() == 1 { " has" } else { "s have" },
                    if without.len() == 1 { "is" } else { "are" },
                ));
            }
            values.retain(|v| !v.is_empty());
            if values.len() < 2 {
                return Err(Error::Usage(format!(
                    "--by {field}: needs at least two groups, found {} ({})",
                    values.len(),
                    values.join(", ")
                )));
            }
            for v in values {
                let target: Vec<usize> = (0..corpus.docs.len())
                    .filter(|&i| corpus.docs[i].meta[col] == v)
                    .collect();
                // "All the others": documents of the other groups; a document
                // without a value for the field is in no group and on no side.
                let rest: Vec<usize> = (0..corpus.docs.len())
                    .filter(|&i| {
                        let value = corpus.docs[i].meta[col].as_str();
                        value != v && !value.is_empty()
                    })
                    .collect();
                let side = || Side {
                    label: format!("{field}={v}"),
                    field: field.clone(),
                    value: v.to_string(),
                    docs: target.clone(),
                };
                groups.push(side());
                comparisons.push((side(), Side::rest(rest)));
            }
        } else if let Some(expr) = &args.target {
            let target = select(corpus, expr, "--target")?;
            let mut references = Vec::new();
            if args.reference.is_empty() {
                let rest: Vec<usize> = (0..corpus.docs.len())
                    .filter(|i| !target.docs.contains(i))
                    .collect();
                if rest.is_empty() {
                    return Err(Error::Usage(format!(
                        "--target {expr}: selects every document, so the rest of the corpus is empty; name a --reference"
                    )));
                }
                references.push(Side::rest(rest));
            }
            for r in &args.reference {
                let side = select(corpus, r, "--reference")?;
                if let Some(&shared) = side.docs.iter().find(|i| target.docs.contains(i)) {
                    return Err(Error::Usage(format!(
                        "--target {expr} and --reference {r} both select {}; a document can be on one side only",
                        corpus.docs[shared].doc_id
                    )));
                }
                references.push(side);
            }
            groups.push(target.clone());
            groups.extend(references.iter().cloned());
            for r in references {
                comparisons.push((target.clone(), r));
            }
        }
        for (t, r) in &comparisons {
            for side in [t, r] {
                if side.docs.iter().map(|&i| corpus.docs[i].total).sum::<u64>() == 0 {
                    return Err(Error::Usage(format!(
                        "`{}`: its {} document{} nothing to count ({} unit); nothing to compare",
                        side.label,
                        side.docs.len(),
                        if side.docs.len() == 1 {
                            " has"
                        } else {
                            "s have"
                        },
                        match args.unit {
                            Unit::Term => "term",
                            Unit::Ngram => "n-gram",
                            Unit::Theme => "theme",
                        }
                    )));
                }
            }
        }
        Ok(Plan {
            comparisons,
            groups,
            by,
            notes,
        })
    }
}

/// Adds `count` occurrences of `surface` (allocating only for a new one).
fn add_surface(surfaces: &mut FxHashMap<String, u64>, surface: &str, count: u32) {
    match surfaces.get_mut(surface) {
        Some(n) => *n += u64::from(count),
        None => {
            surfaces.insert(surface.to_string(), u64::from(count));
        }
    }
}

fn field_index(corpus: &Corpus, field: &str, flag: &str) -> Result<usize> {
    corpus.fields.iter().position(|f| f == field).ok_or_else(|| {
        Error::Usage(format!(
            "{flag}: no metadata field `{field}` (fields: {}; add fields with --meta-pattern or --meta)",
            corpus.fields.join(", ")
        ))
    })
}

/// `FIELD=V1,V2` or a doc_id → the documents it selects.
fn select(corpus: &Corpus, expr: &str, flag: &str) -> Result<Side> {
    let expr = expr.trim();
    let (field, value, docs): (&str, String, Vec<usize>) = match expr.split_once('=') {
        Some((field, values)) => {
            let field = field.trim();
            let col = field_index(corpus, field, &format!("{flag} {expr}"))?;
            let values: Vec<&str> = values.split(',').map(str::trim).collect();
            let docs = (0..corpus.docs.len())
                .filter(|&i| values.contains(&corpus.docs[i].meta[col].as_str()))
                .collect();
            (field, values.join(","), docs)
        }
        None => {
            let docs = (0..corpus.docs.len())
                .filter(|&i| corpus.docs[i].doc_id == expr)
                .collect();
            ("doc_id", expr.to_string(), docs)
        }
    };
    if docs.is_empty() {
        let hint = if expr.contains('=') {
            String::new()
        } else {
            format!(
                " (not a doc_id; use FIELD=VALUE to select by {})",
                corpus.fields.join(", ")
            )
        };
        return Err(Error::Usage(format!(
            "{flag} {expr}: selects no document{hint}"
        )));
    }
    Ok(Side {
        label: expr.to_string(),
        field: field.to_string(),
        value,
        docs,
    })
}

/// Sums the bags of some documents into dense counts.
fn sum_counts(corpus: &Corpus, docs: &[usize], counts: &mut [u64]) -> u64 {
    counts.iter_mut().for_each(|c| *c = 0);
    let mut total = 0;
    for &i in docs {
        for &(k, c) in &corpus.docs[i].bag {
            counts[k as usize] += c;
        }
        total += corpus.docs[i].total;
    }
    total
}

/// The sparse bag of a group of documents.
fn group_bag(corpus: &Corpus, docs: &[usize]) -> Vec<(u32, u64)> {
    let mut dense = vec![0u64; corpus.keys.len()];
    sum_counts(corpus, docs, &mut dense);
    dense
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c > 0)
        .map(|(k, &c)| (k as u32, c))
        .collect()
}

const KEYNESS_COLUMNS: &[&str] = &[
    "target_field",
    "target",
    "reference_field",
    "reference",
    "stem",
    "term",
    "count_target",
    "count_reference",
    "total_target",
    "total_reference",
    "per_1000_target",
    "per_1000_reference",
    "g2",
    "p_value",
    "log_ratio",
    "chi2",
    "log_odds",
    "log_odds_z",
];

/// A term's scores in one comparison.
struct Scored {
    key: u32,
    a: u64,
    b: u64,
    g2: f64,
    p_value: f64,
    log_ratio: f64,
    chi2: f64,
    log_odds: f64,
    log_odds_z: f64,
}

impl Scored {
    fn measure(&self, sort: SortBy) -> f64 {
        match sort {
            SortBy::G2 => self.g2,
            SortBy::LogRatio => self.log_ratio,
            SortBy::Chi2 => self.chi2,
            SortBy::LogOddsZ => self.log_odds_z,
        }
    }
}

/// Which rows of a comparison are kept, and their order.
#[derive(Debug, Clone, Copy)]
struct Keep {
    min_count: u64,
    sort: SortBy,
    max_p: Option<f64>,
    top: Option<usize>,
}

impl Keep {
    /// Every row (with the count floor): what the charts rank.
    fn all(args: &CompareArgs) -> Keep {
        Keep {
            min_count: args.min_count,
            sort: args.sort,
            max_p: None,
            top: None,
        }
    }

    /// The rows keyness.csv writes (`--max-p`, `--top`).
    fn table(args: &CompareArgs) -> Keep {
        Keep {
            max_p: args.max_p,
            top: args.top.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            ..Keep::all(args)
        }
    }
}

/// Descending by value, undefined (NaN) values last.
fn descending(x: f64, y: f64) -> std::cmp::Ordering {
    x.is_nan().cmp(&y.is_nan()).then_with(|| y.total_cmp(&x))
}

/// Scores every term of one comparison, sorted for output: by the measure
/// descending (undefined values last), ties by key. `--max-p` keeps rows
/// whose p_value is at most P; `--top N` then keeps the first N and the last
/// N rows with a defined measure (the N most characteristic of each side).
fn score(corpus: &Corpus, t: &Side, r: &Side, keep: Keep) -> (Vec<Scored>, u64, u64) {
    let mut ct = vec![0u64; corpus.keys.len()];
    let mut cr = vec![0u64; corpus.keys.len()];
    let nt = sum_counts(corpus, &t.docs, &mut ct);
    let nr = sum_counts(corpus, &r.docs, &mut cr);
    let mut rows: Vec<Scored> = (0..corpus.keys.len())
        .filter(|&k| ct[k] + cr[k] >= keep.min_count.max(1))
        .map(|k| {
            let (a, b) = (ct[k], cr[k]);
            let table = Table2::new(a, b, nt, nr);
            let (log_odds, log_odds_z) = table.log_odds();
            let g2 = table.g2();
            Scored {
                key: k as u32,
                a,
                b,
                g2,
                p_value: keyness::chi2_1df_p(g2),
                log_ratio: table.log_ratio(),
                chi2: table.chi2_yates(),
                log_odds,
                log_odds_z,
            }
        })
        .filter(|s| keep.max_p.is_none_or(|p| s.p_value <= p))
        .collect();
    rows.sort_by(|x, y| {
        descending(x.measure(keep.sort), y.measure(keep.sort))
            .then_with(|| corpus.keys[x.key as usize].cmp(&corpus.keys[y.key as usize]))
    });
    if let Some(n) = keep.top {
        rows.retain(|s| !s.measure(keep.sort).is_nan());
        if rows.len() > 2 * n {
            rows.drain(n..rows.len() - n);
        }
    }
    (rows, nt, nr)
}

fn write_keyness(
    out: &mut Output,
    args: &CompareArgs,
    corpus: &Corpus,
    plan: &Plan,
) -> Result<u64> {
    let mut sink = out.csv("keyness", KEYNESS_COLUMNS)?;
    let mut n = 0;
    for (t, r) in &plan.comparisons {
        let (rows, nt, nr) = score(corpus, t, r, Keep::table(args));
        for s in rows {
            sink.row(&[
                Cell::Str(&t.field),
                Cell::Str(&t.value),
                Cell::Str(&r.field),
                Cell::Str(&r.value),
                Cell::Str(&corpus.keys[s.key as usize]),
                Cell::Str(&corpus.terms[s.key as usize]),
                Cell::Int(s.a),
                Cell::Int(s.b),
                Cell::Int(nt),
                Cell::Int(nr),
                Cell::Float(per_1000(s.a, nt)),
                Cell::Float(per_1000(s.b, nr)),
                Cell::Float(s.g2),
                Cell::Sci(s.p_value),
                Cell::Float(s.log_ratio),
                Cell::Float(s.chi2),
                Cell::Float(s.log_odds),
                Cell::Float(s.log_odds_z),
            ])?;
            n += 1;
        }
    }
    out.finish(sink)?;
    Ok(n)
}

/// tf-idf of every term in every document (documents in input order; within
/// one, tf_idf descending, then stem). The rows of a chunk of documents are
/// rendered on `jobs` threads and appended in input order.
fn write_tfidf(out: &mut Output, corpus: &Corpus, jobs: usize) -> Result<()> {
    let mut df = vec![0u64; corpus.keys.len()];
    for d in &corpus.docs {
        for &(k, _) in &d.bag {
            df[k as usize] += 1;
        }
    }
    let n_docs = corpus.docs.len() as u64;
    let mut sink = out.csv(
        "tfidf",
        &["doc_id", "stem", "term", "count", "tf", "idf", "tf_idf"],
    )?;
    let render = |d: &Doc| {
        let mut rows: Vec<(u32, u64, (f64, f64, f64))> = d
            .bag
            .iter()
            .map(|&(k, n)| (k, n, tfidf::tf_idf(n, d.total, df[k as usize], n_docs)))
            .collect();
        rows.sort_by(|x, y| {
            y.2 .2
                .total_cmp(&x.2 .2)
                .then_with(|| corpus.keys[x.0 as usize].cmp(&corpus.keys[y.0 as usize]))
        });
        let mut csv = CsvRows::default();
        for (k, n, (tf, idf, x)) in rows {
            csv.row(&[
                Cell::Str(&d.doc_id),
                Cell::Str(&corpus.keys[k as usize]),
                Cell::Str(&corpus.terms[k as usize]),
                Cell::Int(n),
                Cell::Sci(tf),
                Cell::Float(idf),
                Cell::Sci(x),
            ]);
        }
        csv.take()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    for chunk in corpus.docs.chunks(64) {
        let rendered: Vec<(Vec<u8>, u64)> = pool.install(|| chunk.par_iter().map(render).collect());
        for (bytes, n) in rendered {
            sink.append(&bytes, n)?;
        }
    }
    out.finish(sink)
}

/// Above this many documents, pairwise document similarity is not written.
const SIMILARITY_MAX_DOCS: usize = 1000;

/// Cosine between every pair of groups (`--by`) or of the documents the
/// comparisons use. Returns a note when the table was left empty.
fn write_similarity(out: &mut Output, corpus: &Corpus, plan: &Plan) -> Result<Option<String>> {
    let mut sides: Vec<(String, Vec<(u32, u64)>)> = Vec::new();
    let mut note = None;
    let field = match plan.groups.first() {
        Some(g) if plan.by => g.field.as_str(),
        _ => "doc_id",
    };
    if plan.by {
        for g in &plan.groups {
            sides.push((g.value.clone(), group_bag(corpus, &g.docs)));
        }
    } else {
        let mut used: Vec<usize> = plan
            .groups
            .iter()
            .flat_map(|g| g.docs.iter().copied())
            .collect();
        used.sort_unstable();
        used.dedup();
        if used.len() > SIMILARITY_MAX_DOCS {
            note = Some(format!(
                "similarity.csv has no rows: {} documents would make {} pairs; use --by FIELD to compare groups",
                used.len(),
                used.len() * (used.len() - 1) / 2
            ));
        } else {
            for i in used {
                sides.push((corpus.docs[i].doc_id.clone(), corpus.docs[i].bag.clone()));
            }
        }
    }
    let mut rows: Vec<(usize, usize, f64)> = (0..sides.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            let sides = &sides;
            (i + 1..sides.len()).map(move |j| {
                let (a, b) = if sides[i].0 <= sides[j].0 {
                    (i, j)
                } else {
                    (j, i)
                };
                (a, b, similarity::cosine(&sides[i].1, &sides[j].1))
            })
        })
        .collect();
    rows.sort_by(|x, y| {
        sides[x.0]
            .0
            .cmp(&sides[y.0].0)
            .then_with(|| sides[x.1].0.cmp(&sides[y.1].0))
    });
    let mut sink = out.csv("similarity", &["field", "doc_a", "doc_b", "cosine"])?;
    for (a, b, c) in rows {
        sink.row(&[
            Cell::Str(field),
            Cell::Str(&sides[a].0),
            Cell::Str(&sides[b].0),
            Cell::Float(c),
        ])?;
    }
    out.finish(sink)?;
    Ok(note)
}

/// Theme counts and rates per group, every theme in every group.
fn write_themes(out: &mut Output, corpus: &Corpus, plan: &Plan) -> Result<()> {
    let mut sink = out.csv(
        "themes_by_group",
        &["field", "group", "theme", "count", "n_terms", "per_1000"],
    )?;
    for g in &plan.groups {
        let n_terms: u64 = g.docs.iter().map(|&i| corpus.docs[i].n_terms).sum();
        for (t, key) in corpus.theme_keys.iter().enumerate() {
            let count: u64 = g.docs.iter().map(|&i| corpus.docs[i].themes[t]).sum();
            sink.row(&[
                Cell::Str(&g.field),
                Cell::Str(&g.value),
                Cell::Str(key),
                Cell::Int(count),
                Cell::Int(n_terms),
                Cell::Float(per_1000(count, n_terms)),
            ])?;
        }
    }
    out.finish(sink)
}

/// Charts (`--charts`, see [`crate::chart`]): per comparison a keyness
/// chart (`charts/keyness_<n>.svg`, the top terms of each side by `--sort`),
/// and the theme rates of the groups (`charts/theme_rates.svg`) when there
/// are themes and at most [`crate::chart::RATES_MAX`] groups.
fn write_charts(
    out: &mut Output,
    args: &CompareArgs,
    cfg: &AnalyzeConfig,
    corpus: &Corpus,
    plan: &Plan,
) -> Result<Vec<String>> {
    use crate::chart::{self, Policy};
    let mut notes = Vec::new();
    if cfg.charts == Policy::None {
        return Ok(notes);
    }
    let measure = match args.sort {
        SortBy::G2 => "signed G²",
        SortBy::LogRatio => "log ratio",
        SortBy::Chi2 => "signed χ² (Yates)",
        SortBy::LogOddsZ => "weighted log-odds z",
    };
    let per_comparison = cfg.charts != Policy::Summary
        && (cfg.charts == Policy::All || plan.comparisons.len() <= chart::PER_DOCUMENT_MAX);
    if per_comparison {
        for (i, (t, r)) in plan.comparisons.iter().enumerate() {
            let (rows, _, _) = score(corpus, t, r, Keep::all(args));
            let side = |positive: bool| -> Vec<(String, f64)> {
                let mut side: Vec<(String, f64)> = rows
                    .iter()
                    .filter(|s| {
                        let v = s.measure(args.sort);
                        v.is_finite() && v != 0.0 && (v > 0.0) == positive
                    })
                    .map(|s| (corpus.terms[s.key as usize].clone(), s.measure(args.sort)))
                    .collect();
                side.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
                side.truncate(chart::keyness::TOP);
                side
            };
            let svg = chart::keyness::keyness(
                &t.value,
                &r.value,
                (&t.field, &r.field),
                &side(true),
                &side(false),
                measure,
            );
            out.file(&format!("charts/keyness_{}.svg", i + 1), svg.as_bytes())?;
        }
    } else if cfg.charts == Policy::Auto {
        notes.push(format!(
            "keyness charts not drawn for {} comparisons (more than {}); ask with --charts all",
            plan.comparisons.len(),
            chart::PER_DOCUMENT_MAX
        ));
    }
    if corpus.theme_keys.is_empty() {
        return Ok(notes);
    }
    if plan.groups.len() > chart::RATES_MAX {
        notes.push(format!(
            "charts/theme_rates.svg not drawn: {} groups (more than {})",
            plan.groups.len(),
            chart::RATES_MAX
        ));
        return Ok(notes);
    }
    // Plain values, unless two groups of different fields share one.
    let mut values: Vec<&str> = plan.groups.iter().map(|g| g.value.as_str()).collect();
    values.sort_unstable();
    values.dedup();
    let plain = values.len() == plan.groups.len();
    let mut rates = Vec::new();
    for g in &plan.groups {
        let n_terms: u64 = g.docs.iter().map(|&i| corpus.docs[i].n_terms).sum();
        let x = if plain || g.field.is_empty() {
            g.value.clone()
        } else {
            format!("{} {}", g.field, g.value)
        };
        for (t, key) in corpus.theme_keys.iter().enumerate() {
            let count: u64 = g.docs.iter().map(|&i| corpus.docs[i].themes[t]).sum();
            rates.push((x.clone(), key.clone(), per_1000(count, n_terms)));
        }
    }
    let groups: Vec<&Side> = plan.groups.iter().collect();
    let svg = chart::lines::theme_rates(
        &format!("Theme rates by {}", fields_of(&groups)),
        "Theme matches per 1,000 terms of each group (themes_by_group.csv).",
        &rates,
    );
    out.file("charts/theme_rates.svg", svg.as_bytes())?;
    Ok(notes)
}

/// The fields of some sides, for a chart title: `year`, or `folder, doc_id`
/// (the rest of the corpus has none).
fn fields_of(sides: &[&Side]) -> String {
    let mut fields: Vec<&str> = Vec::new();
    for s in sides {
        if !s.field.is_empty() && !fields.contains(&s.field.as_str()) {
            fields.push(&s.field);
        }
    }
    fields.join(", ")
}

fn write_manifest(
    out: &mut Output,
    args: &CompareArgs,
    cfg: &AnalyzeConfig,
    corpus: &Corpus,
    plan: &Plan,
    similarity: &Option<String>,
) -> Result<()> {
    let ids = |docs: &[usize]| -> Vec<&str> {
        docs.iter()
            .map(|&i| corpus.docs[i].doc_id.as_str())
            .collect()
    };
    let comparisons: Vec<serde_json::Value> = plan
        .comparisons
        .iter()
        .map(|(t, r)| {
            let total = |s: &Side| s.docs.iter().map(|&i| corpus.docs[i].total).sum::<u64>();
            serde_json::json!({
                "target_field": t.field,
                "target": t.value,
                "reference_field": r.field,
                "reference": r.value,
                "total_target": total(t),
                "total_reference": total(r),
                "documents_target": ids(&t.docs),
                "documents_reference": if r.field.is_empty() { serde_json::json!(r.docs.len()) } else { serde_json::json!(ids(&r.docs)) },
            })
        })
        .collect();
    let unit = match args.unit {
        Unit::Term => {
            "term: stems of terms (tokens minus stopwords and numbers); totals are n_terms"
        }
        Unit::Ngram => "ngram: n-grams of consecutive terms; totals are the n-grams counted",
        Unit::Theme => "theme: theme matches; totals are n_terms",
    };
    let manifest = serde_json::json!({
        "tool": "themata",
        "version": env!("CARGO_PKG_VERSION"),
        "command": "compare",
        "parameters": cfg.parameters,
        "compare": {
            "target": args.target,
            "reference": if args.reference.is_empty() && args.target.is_some() { vec![REST.to_string()] } else { args.reference.clone() },
            "by": args.by,
            "unit": args.unit,
            "min_count": args.min_count,
            "sort": args.sort,
            "top": args.top,
            "max_p": args.max_p,
            "meta_pattern": args.analysis.meta_pattern,
            "meta": args.analysis.meta,
            "fields": corpus.fields,
        },
        "unit": unit,
        "formulas": {
            "table": "a = count in target, b = count in reference, N_T and N_R the side totals, c = N_T - a, d = N_R - b, N = N_T + N_R, E = row total * column total / N",
            "g2": "2 * sum(O * ln(O / E)) over a, b, c, d (0 ln 0 = 0), no correction; negative when a/N_T < b/N_R (AntConc; quanteda textstat_keyness measure = 'lr', correction = 'none')",
            "p_value": "P(chi-square with 1 df >= |g2|) = erfc(sqrt(|g2| / 2))",
            "log_ratio": "log2((a / N_T) / (b / N_R)), a zero count replaced by 0.5 (Hardie 2014)",
            "chi2": "N (|ad - bc| - N/2)^2 / ((a+b)(c+d)(a+c)(b+d)) with Yates' correction, signed like g2; 0 when |ad - bc| <= N/2",
            "log_odds": "ln[(a+α_w)/(N_T+α0-a-α_w)] - ln[(b+α_w)/(N_R+α0-b-α_w)] with α_w = a + b (the pooled count) and α0 = N_T + N_R (the pooled total the counts are a share of): Monroe, Colaresi & Quinn 2008, eq. 16, where α0 = sum of α_w; the two are equal for terms and n-grams, and for themes (which overlap and leave terms out) each count is taken against its complement in the side's term total; empty when undefined (a term that is all of both sides, or a count above its side's total)",
            "log_odds_z": "log_odds / sqrt(1/(a+α_w) + 1/(b+α_w)); empty where log_odds is",
            "empty_cells": "g2, p_value, chi2, log_odds and log_odds_z are empty when a count exceeds its side's total (a theme whose patterns match stopwords or numbers), log_odds and log_odds_z also when a term is all of both sides",
            "rows": "--max-p P keeps rows with p_value <= P; --top N then keeps per comparison the N rows with the highest and the N with the lowest --sort measure (rows with an empty measure dropped)",
            "per_1000": "count * 1000 / side total",
            "tfidf": tfidf::VARIANT,
            "cosine": "sum(x_i y_i) / (|x| |y|) on raw counts of the unit",
        },
        "comparisons": comparisons,
        "similarity": if plan.by { "groups" } else { "documents" },
        "notes": plan.notes.iter().chain(similarity).collect::<Vec<_>>(),
        "inputs": corpus.docs.iter().map(|d| {
            let mut m = serde_json::Map::new();
            m.insert("doc_id".into(), d.doc_id.clone().into());
            m.insert("source".into(), d.source.clone().into());
            m.insert("bytes".into(), d.bytes.into());
            m.insert("sha256".into(), d.sha256.clone().into());
            for (f, v) in corpus.fields.iter().zip(&d.meta).skip(1) {
                m.insert(f.clone(), v.clone().into());
            }
            serde_json::Value::Object(m)
        }).collect::<Vec<_>>(),
        "skipped": corpus.skipped.iter().map(|s| serde_json::json!({"path": s.path, "reason": s.reason})).collect::<Vec<_>>(),
        "tables": out.row_counts().into_iter().map(|(n, r)| (n, serde_json::Value::from(r))).collect::<serde_json::Map<_, _>>(),
        "files": out.manifest_files(cfg.xlsx.as_deref()),
    });
    let mut json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::output(out.dir().join("manifest.json"), e))?;
    json.push('\n');
    out.file("manifest.json", json.as_bytes())
}
