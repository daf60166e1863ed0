//! The `compare` command: collects a [`Corpus`] of counts, from the texts
//! ([`texts`], through the pipeline) or from the count tables of an analyze
//! output folder ([`tables`], `--from DIR`, opened and checked by [`from`]),
//! then hands it to [`compare::run`]. Everything after the Corpus is one
//! path, so `compare --from DIR` writes what `compare` on the texts writes.

pub mod from;
pub mod tables;
pub mod texts;

use std::time::Instant;

use crate::cli::CompareArgs;
use crate::compare::{self, Corpus, Settings};
use crate::config::AnalyzeConfig;
use crate::error::{Error, Result};
use crate::write::Output;

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
    if args.analysis.shard.is_some() {
        return Err(Error::Usage(
            "--shard applies to analyze; compare the merged shards with `compare --from DIR`"
                .into(),
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
    if args.unit != compare::Unit::Ngram {
        cfg.counting.max_ngram = 0;
    }
    let say = |line: String| {
        if !cfg.quiet {
            eprintln!("{line}");
        }
    };
    let from = match &args.from {
        Some(dir) => Some(from::open(dir, &cfg, args)?),
        None => None,
    };
    // Before reading, so that a folder that cannot be written fails first.
    let mut out = Output::create(&cfg.output, cfg.excel)?;
    out.set_format(cfg.format);
    if cfg.xlsx.is_some() {
        out.start_workbook()?;
    }
    let (corpus, settings) = match &from {
        None => {
            let corpus = texts::corpus(&cfg, args.unit)?;
            let parameters = cfg.parameters.clone();
            let meta = (
                args.analysis.meta_pattern.clone(),
                args.analysis.meta.clone(),
            );
            let settings = settings(args, &cfg, &corpus, parameters, meta);
            (corpus, settings)
        }
        Some((dir, analysis)) => {
            let corpus = dir.corpus(args.unit, &say)?;
            let mut settings = settings(
                args,
                &cfg,
                &corpus,
                analysis.parameters.clone(),
                analysis.meta.clone(),
            );
            settings.from = Some(dir.path.display().to_string());
            (corpus, settings)
        }
    };
    let report = compare::run(&mut out, &settings, &corpus)?;
    if let (Some(path), Some((bytes, notes))) = (&cfg.xlsx, out.take_workbook()?) {
        for note in notes {
            say(format!("note: {}: {note}", path.display()));
        }
        out.workbook(path, &bytes)?;
    }
    let dir = out.dir().display().to_string();
    out.commit()?;
    for note in report.chart_notes.iter().chain(&report.notes) {
        say(format!("note: {note}"));
    }
    let n = report.comparisons;
    say(format!(
        "themata: {n} comparison{} of {} documents ({} unit, {} keyness rows) in {:.2} s; tables in {}/",
        if n == 1 { "" } else { "s" },
        corpus.docs.len(),
        args.unit.noun(),
        report.keyness_rows,
        started.elapsed().as_secs_f64(),
        dir.trim_end_matches('/'),
    ));
    Ok(())
}

/// The compare options as plain values, with the analysis parameters and
/// the metadata sources (`--meta-pattern`, `--meta`) to record.
fn settings(
    args: &CompareArgs,
    cfg: &AnalyzeConfig,
    corpus: &Corpus,
    parameters: serde_json::Value,
    (meta_pattern, meta): (Option<String>, Option<String>),
) -> Settings {
    Settings {
        target: args.target.clone(),
        reference: args.reference.clone(),
        by: args.by.clone(),
        unit: args.unit,
        min_count: args.min_count,
        sort: args.sort,
        top: args.top,
        max_p: args.max_p,
        charts: cfg.charts,
        jobs: cfg.threads(corpus.docs.len()).0,
        parameters,
        meta_pattern,
        meta,
        from: None,
        xlsx: cfg.xlsx.clone(),
    }
}

/// The note on documents whose doc_id does not fit --meta-pattern.
fn misfit_note(misfits: &[String]) -> Option<String> {
    let first = misfits.first()?;
    let one = misfits.len() == 1;
    Some(format!(
        "note: {} document{} not fit --meta-pattern (e.g. {first}); {} pattern fields are empty",
        misfits.len(),
        if one { " does" } else { "s do" },
        if one { "its" } else { "their" }
    ))
}
