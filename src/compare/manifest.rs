//! manifest.json of a comparison run: the options, the formulas, each
//! comparison with its documents and totals, the inputs and the files.

use super::plan::{Plan, Side, REST};
use super::{tfidf, Corpus, Settings, Unit};
use crate::error::Result;
use crate::manifest::Manifest;
use crate::write::Output;

/// manifest.json: the options, formulas, comparisons, inputs and files.
pub fn write(
    out: &mut Output,
    args: &Settings,
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
    let mut compare = serde_json::json!({
        "target": args.target,
        "reference": if args.reference.is_empty() && args.target.is_some() { vec![REST.to_string()] } else { args.reference.clone() },
        "by": args.by,
        "unit": args.unit,
        "min_count": args.min_count,
        "sort": args.sort,
        "top": args.top,
        "max_p": args.max_p,
        "meta_pattern": args.meta_pattern,
        "meta": args.meta,
        "fields": corpus.fields,
    });
    // Only with --from, so that the manifest of a run on texts stays as it was.
    if let Some(dir) = &args.from {
        compare["from"] = dir.as_str().into();
    }
    let (parameters, xlsx) = (args.parameters.clone(), args.xlsx.as_deref());
    let mut manifest = Manifest::new("compare", parameters, inputs(corpus), out, xlsx);
    manifest.compare = Some(compare);
    manifest.comparisons = Some(comparisons);
    manifest.formulas = Some(formulas());
    manifest.notes = Some(plan.notes.iter().chain(similarity).cloned().collect());
    manifest.similarity = Some(if plan.by { "groups" } else { "documents" });
    manifest.skipped = corpus
        .skipped
        .iter()
        .map(|s| serde_json::json!({"path": s.path, "reason": s.reason}))
        .collect();
    manifest.unit = Some(unit);
    manifest.write(out)
}

/// The formulas of every measure written.
fn formulas() -> serde_json::Value {
    serde_json::json!({
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
    })
}

/// Each document: id, source, size, SHA-256 and metadata values.
fn inputs(corpus: &Corpus) -> Vec<serde_json::Value> {
    let entry = |d: &super::Doc| {
        let mut m = serde_json::Map::new();
        m.insert("doc_id".into(), d.doc_id.clone().into());
        m.insert("source".into(), d.source.clone().into());
        m.insert("bytes".into(), d.bytes.into());
        m.insert("sha256".into(), d.sha256.clone().into());
        for (f, v) in corpus.fields.iter().zip(&d.meta).skip(1) {
            m.insert(f.clone(), v.clone().into());
        }
        serde_json::Value::Object(m)
    };
    corpus.docs.iter().map(entry).collect()
}
