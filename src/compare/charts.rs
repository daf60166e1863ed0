//! The charts of a comparison run (SVG, see [`crate::chart`]).

use super::plan::{Plan, Side};
use super::score::{score, Keep};
use super::{Corpus, Settings, SortBy};
use crate::chart::{self, Policy};
use crate::error::Result;
use crate::table::per_1000;
use crate::write::Output;

/// Charts (`--charts`, see [`crate::chart`]): per comparison a keyness
/// chart (`charts/keyness_<n>.svg`, the top terms of each side by `--sort`),
/// and the theme rates of the groups (`charts/theme_rates.svg`) when there
/// are themes and at most [`crate::chart::RATES_MAX`] groups.
pub fn write(
    out: &mut Output,
    args: &Settings,
    corpus: &Corpus,
    plan: &Plan,
) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    if args.charts == Policy::None {
        return Ok(notes);
    }
    let measure = match args.sort {
        SortBy::G2 => "signed G²",
        SortBy::LogRatio => "log ratio",
        SortBy::Chi2 => "signed χ² (Yates)",
        SortBy::LogOddsZ => "weighted log-odds z",
    };
    let per_comparison = args.charts != Policy::Summary
        && (args.charts == Policy::All || plan.comparisons.len() <= chart::PER_DOCUMENT_MAX);
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
    } else if args.charts == Policy::Auto {
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
