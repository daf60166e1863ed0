//! What is compared with what: the sides of each comparison (`--target`
//! and `--reference` expressions, or each value of `--by FIELD` against the
//! rest) as lists of documents of the [`Corpus`], and the groups that
//! themes_by_group.csv and similarity.csv show.

use super::{Corpus, Settings};
use crate::error::{Error, Result};

/// One side of a comparison.
#[derive(Clone)]
pub struct Side {
    /// The expression that selected it (for messages).
    pub label: String,
    /// The field its value is of (`doc_id`, `year`, …); empty for [`REST`].
    pub field: String,
    /// The plain value (`2015`, `RUS,BLR`, a doc_id, or [`REST`]).
    pub value: String,
    pub docs: Vec<usize>,
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
pub struct Plan {
    pub comparisons: Vec<(Side, Side)>,
    /// The groups shown in themes_by_group.csv (and similarity.csv with --by).
    pub groups: Vec<Side>,
    pub by: bool,
    /// What the user should know about the selection (printed, and in the manifest).
    pub notes: Vec<String>,
}

/// The label of the default reference.
pub const REST: &str = "rest";

impl Plan {
    pub fn new(args: &Settings, corpus: &Corpus) -> Result<Plan> {
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
                        args.unit.noun()
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
