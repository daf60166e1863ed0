//! Compare: documents or groups of documents against each other.
//!
//! `themata compare INPUT… --target EXPR [--reference EXPR]… | --by FIELD`
//! (or `--from DIR` instead of the inputs) works on a [`Corpus`]: one bag of
//! counts per document (stems, n-grams or themes: `--unit`) with the
//! documents' metadata. This module knows no texts, flags or pipeline: the
//! command layer (`collect`) builds the Corpus from the texts or from the
//! count tables of an analyze output folder, and [`run`] then, for each
//! comparison, sums the bags of each side and writes:
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
//! Measures are in [`keyness`], tf-idf in [`tfidf`], cosine in
//! [`similarity`]; what is compared with what in [`plan`], the scored rows
//! in [`score`], the tables in [`tables`], the charts in [`charts`] and the
//! manifest in [`manifest`].

pub mod charts;
pub mod corpus;
pub mod keyness;
pub mod manifest;
pub mod meta;
pub mod plan;
pub mod score;
pub mod similarity;
pub mod tables;
pub mod tfidf;

use std::path::PathBuf;

use clap::ValueEnum;

use crate::chart::Policy;
use crate::error::Result;
use crate::write::Output;
pub use corpus::{Corpus, Doc, Vocab};
use plan::Plan;

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

impl Unit {
    /// The unit as messages name it.
    pub fn noun(self) -> &'static str {
        match self {
            Unit::Term => "term",
            Unit::Ngram => "n-gram",
            Unit::Theme => "theme",
        }
    }
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

/// What to compare and how to write it: the options of `themata compare`
/// as plain values (the command layer fills them from the flags).
pub struct Settings {
    /// `--target EXPR`, with `--reference EXPR`… (empty: the rest).
    pub target: Option<String>,
    pub reference: Vec<String>,
    /// `--by FIELD`.
    pub by: Option<String>,
    pub unit: Unit,
    pub min_count: u64,
    pub sort: SortBy,
    pub top: Option<u64>,
    pub max_p: Option<f64>,
    pub charts: Policy,
    /// Worker threads for rendering tf-idf rows and converting formats.
    pub jobs: usize,
    /// The analysis parameters, as recorded in manifest.json.
    pub parameters: serde_json::Value,
    /// Where the metadata fields came from (for the manifest).
    pub meta_pattern: Option<String>,
    pub meta: Option<String>,
    /// `--from DIR`: the analyze output folder the counts were read from.
    pub from: Option<String>,
    /// The workbook written with `--xlsx` (listed in the manifest).
    pub xlsx: Option<PathBuf>,
}

/// What a run found, for the closing summary.
pub struct Report {
    pub comparisons: usize,
    pub keyness_rows: u64,
    /// Notes on the selection and on similarity.csv (also in the manifest).
    pub notes: Vec<String>,
    /// Notes on charts not drawn.
    pub chart_notes: Vec<String>,
}

/// Writes every table, chart and the manifest of one comparison run into
/// `out` (not committed: the caller adds a workbook, then commits).
pub fn run(out: &mut Output, s: &Settings, corpus: &Corpus) -> Result<Report> {
    let plan = Plan::new(s, corpus)?;
    let keyness_rows = tables::keyness(out, s, corpus, &plan)?;
    let pool = crate::parallel::pool(s.jobs)?;
    tables::tfidf(out, corpus, &pool)?;
    let similarity = tables::similarity(out, corpus, &plan, &pool)?;
    tables::themes(out, corpus, &plan)?;
    // Charts before the manifest, which lists every file.
    let chart_notes = charts::write(out, s, corpus, &plan)?;
    manifest::write(out, s, corpus, &plan, &similarity)?;
    Ok(Report {
        comparisons: plan.comparisons.len(),
        keyness_rows,
        notes: plan.notes.into_iter().chain(similarity).collect(),
        chart_notes,
    })
}
