//! The tables of a comparison run, rendered from the [`Corpus`] and the
//! [`Plan`]: keyness.csv, tfidf.csv, similarity.csv and themes_by_group.csv
//! (columns in the module doc of [`super`]).

use rayon::prelude::*;

use super::plan::Plan;
use super::score::{group_bag, score, Keep};
use super::{similarity, tfidf, Corpus, Doc, Settings};
use crate::error::Result;
use crate::table::{per_1000, Cell, RowSink};
use crate::write::Output;

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

/// keyness.csv: the kept rows of every comparison; returns their number.
pub fn keyness(out: &mut Output, args: &Settings, corpus: &Corpus, plan: &Plan) -> Result<u64> {
    let mut sink = out.table("keyness", KEYNESS_COLUMNS)?;
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
/// one, tf_idf descending, then stem). The rows of each document are
/// rendered on the threads of `pool` and appended in input order
/// ([`crate::parallel::in_order`]).
pub fn tfidf(out: &mut Output, corpus: &Corpus, pool: &rayon::ThreadPool) -> Result<()> {
    let mut df = vec![0u64; corpus.keys.len()];
    for d in &corpus.docs {
        for &(k, _) in &d.bag {
            df[k as usize] += 1;
        }
    }
    let n_docs = corpus.docs.len() as u64;
    let mut sink = out.table(
        "tfidf",
        &["doc_id", "stem", "term", "count", "tf", "idf", "tf_idf"],
    )?;
    let shape = out.shape();
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
        let mut out = shape.rows();
        out.lead(&[Cell::Str(&d.doc_id)]);
        for (k, n, (tf, idf, x)) in rows {
            out.row(&[
                Cell::Str(&corpus.keys[k as usize]),
                Cell::Str(&corpus.terms[k as usize]),
                Cell::Int(n),
                Cell::Sci(tf),
                Cell::Float(idf),
                Cell::Sci(x),
            ]);
        }
        out
    };
    let docs = &corpus.docs;
    crate::parallel::in_order(
        pool,
        docs.len(),
        |i| render(&docs[i]),
        |mut rows| sink.append_rows(&mut rows, 0),
    )?;
    out.finish(sink)
}

/// Above this many documents, pairwise document similarity is not written.
const SIMILARITY_MAX_DOCS: usize = 1000;

/// Cosine between every pair of groups (`--by`) or of the documents the
/// comparisons use, the pairs on the threads of `pool`. Returns a note
/// when the table was left empty.
pub fn similarity(
    out: &mut Output,
    corpus: &Corpus,
    plan: &Plan,
    pool: &rayon::ThreadPool,
) -> Result<Option<String>> {
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
    let cosines = || -> Vec<(usize, usize, f64)> {
        (0..sides.len())
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
            .collect()
    };
    let mut rows = pool.install(cosines);
    rows.sort_by(|x, y| {
        sides[x.0]
            .0
            .cmp(&sides[y.0].0)
            .then_with(|| sides[x.1].0.cmp(&sides[y.1].0))
    });
    let mut sink = out.table("similarity", &["field", "doc_a", "doc_b", "cosine"])?;
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
pub fn themes(out: &mut Output, corpus: &Corpus, plan: &Plan) -> Result<()> {
    let mut sink = out.table(
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
